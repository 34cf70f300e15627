//! The one integration-test binary (every extra test binary costs a long link).

mod util;

mod augment_cli;
mod captions;
mod checkpoint_fixture;
mod checkpoints;
mod classroom;
mod cli;
mod collapse_metrics;
mod cycle_fixture;
mod cycle_thread;
mod cyclegan;
mod cyclegan_cli;
mod data_files;
mod divergence;
mod exports;
mod fuzzing;
mod gradients;
#[cfg(unix)]
mod interrupted_runs;
mod learning;
mod presets;
mod reliability;
mod six_steps;
mod stylegan;
mod superres;
mod trainer_thread;
mod variant_matrix;
mod wgpu_backend;
