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
