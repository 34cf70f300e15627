//! Models. The trainer sees only [`Generator`] and [`Discriminator`]: flat samples in, flat
//! samples or logits out. A new family is a new variant here, not a new training loop.

pub mod activations;
pub mod dcgan;
pub mod dropout;
pub mod kernels;
pub mod layers;
pub mod mlp;
pub mod params;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use self::dcgan::{DcganDiscriminator, DcganGenerator, DcganSpec};
use self::layers::Pass;
use self::mlp::{MlpDiscriminator, MlpGenerator, MlpSpec};
use super::config::{ModelFamily, TrainConfig};
use super::rng::Rng;
use super::validate::ConfigError;

/// What the data look like to the models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleShape {
    /// 2 for points; channels × side × side for images.
    pub len: usize,
    /// Image channels (0 for points).
    pub channels: usize,
    /// Image side (0 for points).
    pub side: usize,
    /// Classes a conditional model is told about (0 when unconditional).
    pub classes: usize,
}

/// The generator of any family.
#[derive(Module, Debug)]
pub enum Generator {
    Mlp(MlpGenerator),
    Dcgan(DcganGenerator),
}

/// The discriminator (critic) of any family.
#[derive(Module, Debug)]
pub enum Discriminator {
    Mlp(MlpDiscriminator),
    Dcgan(DcganDiscriminator),
}

/// Batch norm's usual running-statistics momentum (PyTorch's default).
pub const BN_MOMENTUM: f64 = 0.1;

/// The momentum for the running statistics at round `step`: a plain running average for the
/// first ten rounds, then [`BN_MOMENTUM`]. With 0.1 from the start, the initial variance of 1
/// dominates for dozens of steps while DCGAN's real activations have a variance near 0.03, so
/// eval-mode samples (snapshots, metrics, the explorer) came out uniformly grey early on.
pub fn bn_momentum(step: u64) -> f64 {
    (1.0 / (step as f64 + 1.0)).max(BN_MOMENTUM)
}

fn set_momentum(norms: &mut [burn::nn::BatchNorm], momentum: f64) {
    norms.iter_mut().for_each(|n| n.momentum = momentum);
}

impl Generator {
    /// Sets the running-statistics momentum of every batch norm.
    pub fn set_bn_momentum(&mut self, momentum: f64) {
        match self {
            Generator::Mlp(g) => set_momentum(&mut g.norms, momentum),
            Generator::Dcgan(g) => set_momentum(&mut g.norms, momentum),
        }
    }

    /// `z` [batch, latent] and optional one-hot classes → samples [batch, len].
    pub fn forward(&self, z: Tensor<2>, classes: Option<Tensor<2>>) -> Tensor<2> {
        match self {
            Generator::Mlp(g) => g.forward(z, classes),
            Generator::Dcgan(g) => g.forward(z, classes),
        }
    }
}

impl Discriminator {
    /// Sets the running-statistics momentum of every batch norm.
    pub fn set_bn_momentum(&mut self, momentum: f64) {
        match self {
            Discriminator::Mlp(d) => set_momentum(&mut d.norms, momentum),
            Discriminator::Dcgan(d) => set_momentum(&mut d.norms, momentum),
        }
    }

    /// Packed samples [batch/pack, pack·len] (+ packed one-hot classes) → logits [batch/pack, 1].
    pub fn forward(&self, x: Tensor<2>, classes: Option<Tensor<2>>, pass: &Pass) -> Tensor<2> {
        match self {
            Discriminator::Mlp(d) => {
                let input = match classes {
                    Some(c) => Tensor::cat(vec![x, c], 1),
                    None => x,
                };
                d.forward(input, pass)
            }
            Discriminator::Dcgan(d) => d.forward(x, classes, pass),
        }
    }

    /// Logits and their gradient with respect to `x` (not the classes), differentiable with
    /// respect to D's weights: what WGAN-GP penalises.
    pub fn forward_with_input_grad(
        &self,
        x: Tensor<2>,
        classes: Option<Tensor<2>>,
        pass: &Pass,
    ) -> (Tensor<2>, Tensor<2>) {
        match self {
            Discriminator::Mlp(d) => {
                let [_, width] = x.dims();
                let input = match classes {
                    Some(c) => Tensor::cat(vec![x, c], 1),
                    None => x,
                };
                let (logits, grad) = d.forward_with_input_grad(input, pass);
                (logits, grad.narrow(1, 0, width))
            }
            Discriminator::Dcgan(d) => d.forward_with_input_grad(x, classes, pass),
        }
    }
}

/// Builds G and D for a validated config and data shape, on `device`.
pub fn build_models(
    config: &TrainConfig,
    shape: SampleShape,
    rng: &mut Rng,
    device: &Device,
) -> Result<(Generator, Discriminator), ConfigError> {
    let m = &config.model;
    let classes = if m.conditional { shape.classes } else { 0 };
    if m.conditional && shape.classes == 0 {
        return Err(ConfigError {
            field: "model.conditional".into(),
            message: "this dataset has no labels; a cGAN needs a labelled dataset".into(),
        });
    }
    let pack = config.tricks.pack;
    let mbstd = config.tricks.minibatch_stddev;
    match m.family {
        ModelFamily::Mlp => {
            let spec = MlpSpec {
                latent: m.latent_dim,
                classes,
                sample_len: shape.len,
                pack,
                depth: m.depth,
                width: m.width,
                d_width: m.d_width.unwrap_or(m.width),
                maxout_pieces: m.d_maxout_pieces,
                slope: m.leaky_slope,
                minibatch_stddev: mbstd,
            };
            let images = shape.channels > 0;
            let g = MlpGenerator::new(&spec, m.g_activation, m.g_batch_norm, images, rng, device);
            let d = MlpDiscriminator::new(&spec, m.d_activation, m.d_batch_norm, rng, device);
            Ok((Generator::Mlp(g), Discriminator::Mlp(d)))
        }
        ModelFamily::Dcgan => {
            if ![28, 32, 64].contains(&shape.side) {
                return Err(ConfigError {
                    field: "model.family".into(),
                    message: format!(
                        "dcgan needs square 28, 32 or 64 px images; these are {} px (use mlp)",
                        shape.side
                    ),
                });
            }
            let spec = DcganSpec {
                latent: m.latent_dim,
                classes,
                channels: shape.channels,
                size: shape.side,
                pack,
                base_channels: m.base_channels,
                slope: m.leaky_slope,
                minibatch_stddev: mbstd,
            };
            let g = DcganGenerator::new(&spec, m.g_activation, m.g_batch_norm, rng, device);
            let d = DcganDiscriminator::new(&spec, m.d_activation, m.d_batch_norm, rng, device);
            Ok((Generator::Dcgan(g), Discriminator::Dcgan(d)))
        }
    }
}
