//! The engine: data, models, objectives, trainer, metrics, checkpoints. No GUI types here.

pub mod adapt;
pub mod backend;
pub mod checkpoint;
pub mod config;
pub mod cyclegan;
pub mod data;
pub mod export;
pub mod family;
pub mod fuzz;
pub mod latent;
pub mod lesson;
pub mod loss;
pub mod memory;
pub mod metrics;
pub mod nn;
pub mod plane_image;
pub mod preset;
pub mod processor;
pub mod quiet;
pub mod recipes;
pub mod rng;
pub mod state;
pub mod timelapse;
pub mod trainer;
pub mod validate;
pub mod workers;
