//! ganvas: interactive GAN exploration. The [`engine`] trains GAN variants with burn (wgpu on
//! a GPU, flex on the CPU) and talks to its drivers (GUI, CLI, tests) through plain data; the
//! [`cli`] runs presets headless for scripts, tests and benchmarks.

pub mod cli;
pub mod engine;
#[cfg(feature = "gui")]
pub mod gui;

/// The allocator of every binary that links ganvas (the app, the CLI, the tests).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tells the allocator to keep freed memory mapped instead of handing it back to the OS.
/// A training step frees and reallocates tensors of several MB each; with mimalloc's default
/// (return them after 10 ms) every step faulted its pages in afresh, which cost the DCGAN
/// 14 % of its step time (BENCHMARKS.md). The process keeps its peak footprint instead.
/// Called when a training session starts; idempotent.
pub fn keep_freed_memory_mapped() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(set_purge_delay);
}

/// mimalloc's `mi_option_purge_delay` (the 16th entry of `mi_option_e` in mimalloc.h, the same
/// in its v2 and v3); -1 means never purge.
#[allow(unsafe_code)]
fn set_purge_delay() {
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set stores an integer in mimalloc's option table, which the allocator
    // reads at its next purge; it touches no memory of ours and is safe from any thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}
