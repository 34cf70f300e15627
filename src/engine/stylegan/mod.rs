//! A small StyleGAN (issue 16): a mapping network z → w, a synthesis network of modulated
//! convolutions fed one style per layer with per-pixel noise, a resnet discriminator with the
//! minibatch standard deviation, R1 regularisation without double backward, style mixing,
//! truncation around the running mean of w, and an EMA of the generator.

pub mod critic;
pub mod generator;
pub mod layers;
pub mod r1;
pub mod run;
