//! ganvas: interactive GAN exploration. The [`engine`] trains GAN variants with burn (wgpu on
//! a GPU, flex on the CPU) and talks to its drivers (GUI, CLI, tests) through plain data; the
//! [`cli`] runs presets headless for scripts, tests and benchmarks.

pub mod cli;
pub mod engine;
