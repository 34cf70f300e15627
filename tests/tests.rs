//! The one integration-test binary (every extra test binary costs a long link).

mod util;

mod checkpoints;
mod cli;
mod collapse_metrics;
mod data_files;
mod divergence;
mod exports;
mod gradients;
#[cfg(unix)]
mod interrupted_runs;
mod learning;
mod presets;
mod trainer_thread;
mod wgpu_backend;
