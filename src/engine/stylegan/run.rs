//! A StyleGAN training run: the generator and critic, their Adam optimizers (β₁ = 0, β₂ =
//! 0.99, as StyleGAN2), the EMA of the generator (what is shown and sampled), the running
//! mean of w (the centre of truncation), and the round: a critic update (logistic loss, with
//! the R1 estimate every `r1_every`-th update, weighted by γ·r1_every: lazy regularisation)
//! then a generator update (non-saturating loss; with probability `style_mixing` each image
//! takes its styles from two z, cut at a random layer).

use std::sync::Arc;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::critic::{CriticOptions, StyleCritic};
use super::generator::{GeneratorShape, StyleGenerator, Upsampling, truncate};
use super::layers::Noise;
use super::r1::r1_surrogate;
use crate::engine::data::ImageSet;
use crate::engine::loss::softplus;
use crate::engine::nn::params::{ema_decay_at, ema_update};
use crate::engine::rng::Rng;
use crate::engine::trainer::run_log::RunLog;

/// What a StyleGAN run is (a preset's `[stylegan]` section).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StyleConfig {
    /// Output side: 32 or 64 (smaller images are padded, centred).
    pub resolution: usize,
    pub z_dim: usize,
    pub w_dim: usize,
    pub mapping_layers: usize,
    pub mapping_lr_mul: f32,
    pub channel_base: usize,
    pub channel_max: usize,
    /// "nearest" or "bilinear"; absent: nearest, so that files written before the option
    /// existed train and sample as they did.
    #[serde(default)]
    pub upsampling: Upsampling,
    pub batch_size: usize,
    /// Adam's learning rate (the generator's; the critic's too unless `lr_critic` is set).
    pub lr: f32,
    /// The critic's own learning rate (two time-scale update rule, TTUR); none: `lr`.
    pub lr_critic: Option<f32>,
    /// R1's γ.
    pub r1_gamma: f32,
    /// R1 every this many critic updates (lazy regularisation).
    pub r1_every: u64,
    /// The probability that an image of a generator batch mixes two z's styles.
    pub style_mixing: f32,
    /// The generator's EMA decay (0: no EMA).
    pub ema: f32,
    /// The decay of the running mean of w.
    pub w_avg_decay: f32,
    /// The critic's minibatch standard deviation over groups of up to this many images.
    pub mbstd_group: usize,
    /// Mode seeking (MSGAN, Mao et al. 2019): the generator's loss adds this weight over the
    /// ratio of two images' distance to their latents' distance, so that different z must
    /// give different images (0: off, as StyleGAN; the presets use 1: see BENCHMARKS.md).
    pub mode_seeking: f32,
    /// PacGAN: the critic judges this many images at once, stacked along the channels (1: one
    /// image, as StyleGAN; absent in older files: 1). The batch must be a multiple of it.
    #[serde(default = "one")]
    pub pack: usize,
    /// The critic's feature maps at each level, as a multiple of the generator's (1: the
    /// same, as StyleGAN; absent in older files: 1).
    #[serde(default = "one")]
    pub critic_width: usize,
    /// Minibatch standard deviation channels: the features are split into this many groups,
    /// each giving its own channel (StyleGAN2's `num_channels`; absent in older files: 1).
    #[serde(default = "one")]
    pub mbstd_channels: usize,
    pub seed: u64,
}

fn one() -> usize {
    1
}

impl Default for StyleConfig {
    fn default() -> Self {
        Self {
            resolution: 32,
            z_dim: 64,
            w_dim: 64,
            mapping_layers: 4,
            mapping_lr_mul: 0.01,
            channel_base: 1024,
            channel_max: 64,
            upsampling: Upsampling::Nearest,
            batch_size: 32,
            lr: 0.002,
            lr_critic: None,
            r1_gamma: 1.0,
            r1_every: 16,
            style_mixing: 0.9,
            ema: 0.999,
            w_avg_decay: 0.995,
            mbstd_group: 4,
            mode_seeking: 0.0,
            pack: 1,
            critic_width: 1,
            mbstd_channels: 1,
            seed: 1,
        }
    }
}

impl StyleConfig {
    /// The critic's options beside the generator's shape.
    pub fn critic_options(&self) -> CriticOptions {
        CriticOptions {
            mbstd_group: self.mbstd_group,
            mbstd_channels: self.mbstd_channels,
            pack: self.pack,
            width: self.critic_width,
        }
    }

    /// The critic's learning rate.
    pub fn critic_lr(&self) -> f32 {
        self.lr_critic.unwrap_or(self.lr)
    }

    /// The generator's shape for images of `channels` channels.
    pub fn shape(&self, channels: usize) -> GeneratorShape {
        GeneratorShape {
            resolution: self.resolution,
            channels,
            z_dim: self.z_dim,
            w_dim: self.w_dim,
            mapping_layers: self.mapping_layers,
            mapping_lr_mul: self.mapping_lr_mul,
            channel_base: self.channel_base,
            channel_max: self.channel_max,
            upsampling: self.upsampling,
        }
    }
}

/// Why a StyleGAN run cannot be built or stepped.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StyleError {
    #[error(
        "the images are {width}×{height}: this StyleGAN draws {resolution} px (set resolution to 64, or use smaller images)"
    )]
    TooLarge {
        width: usize,
        height: usize,
        resolution: usize,
    },
    #[error("a StyleGAN needs images (not 2D points) in 1 or 3 channels, not {0}")]
    Channels(usize),
    #[error("a batch needs at least 2 images (the minibatch standard deviation)")]
    SmallBatch,
}

/// `set` centred on a `side` × `side` canvas of black (the digits' 28 px → 32 px).
pub fn pad_to(set: &ImageSet, side: usize) -> Result<ImageSet, StyleError> {
    let (h, w, c) = (set.height, set.width, set.channels);
    if h > side || w > side {
        return Err(StyleError::TooLarge {
            width: w,
            height: h,
            resolution: side,
        });
    }
    if c != 1 && c != 3 {
        return Err(StyleError::Channels(c));
    }
    let (top, left) = ((side - h) / 2, (side - w) / 2);
    let mut pixels = vec![0u8; set.len() * c * side * side];
    for (i, image) in set.pixels.chunks_exact(set.image_len()).enumerate() {
        for ch in 0..c {
            for y in 0..h {
                let from = ch * h * w + y * w;
                let to = ((i * c + ch) * side + top + y) * side + left;
                pixels[to..to + w].copy_from_slice(&image[from..from + w]);
            }
        }
    }
    Ok(ImageSet {
        pixels,
        labels: set.labels.clone(),
        class_names: set.class_names.clone(),
        channels: c,
        height: side,
        width: side,
    })
}

/// One critic update's figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CriticStats {
    /// The logistic loss (without the R1 term).
    pub loss: f32,
    pub real: f32,
    pub fake: f32,
    /// γ/2·E‖∇ₓD‖² when this update regularised.
    pub r1: Option<f32>,
}

/// A StyleGAN training run.
pub struct StyleRun {
    pub config: StyleConfig,
    pub shape: GeneratorShape,
    pub images: Arc<ImageSet>,
    pub generator: StyleGenerator,
    pub critic: StyleCritic,
    /// The EMA of the generator (inference copy): what is sampled.
    pub ema: StyleGenerator,
    /// The running mean of w [w_dim] (the centre of truncation).
    pub w_avg: Vec<f32>,
    pub(super) opt_g: ModuleOptimizer,
    pub(super) opt_d: ModuleOptimizer,
    pub(super) rng: Rng,
    /// Completed rounds.
    pub step: u64,
    /// Critic updates so far (R1's schedule counts them).
    pub(super) critic_updates: u64,
    /// The run's curves and evaluations, saved with checkpoints.
    pub log: RunLog,
    device: Device,
    ad: Device,
}

pub(super) fn adam() -> ModuleOptimizer {
    AdamConfig::new()
        .with_beta_1(0.0)
        .with_beta_2(0.99)
        .with_epsilon(1e-8)
        .init()
}

/// MSGAN's term for a batch of images [n, c, h, w] (see [`crate::engine::loss::mode_seeking`]).
fn mode_seeking_term(images: Tensor<4>, z: Tensor<2>) -> Tensor<1> {
    let [n, c, h, w] = images.dims();
    crate::engine::loss::mode_seeking(images.reshape([n, c * h * w]), z)
}

/// Mean of a one-element-per-image tensor.
fn scalar(t: Tensor<1>) -> f32 {
    t.mean().into_scalar::<f32>()
}

impl StyleRun {
    /// A fresh run on `images` (padded to the resolution), weights drawn from the seed.
    pub fn new(
        config: StyleConfig,
        images: &ImageSet,
        device: &Device,
    ) -> Result<Self, StyleError> {
        if config.batch_size < 2 {
            return Err(StyleError::SmallBatch);
        }
        let images = Arc::new(pad_to(images, config.resolution)?);
        let shape = config.shape(images.channels);
        let ad = device.clone().autodiff();
        let mut rng = Rng::seeded(config.seed);
        let mut init = rng.fork();
        let generator = StyleGenerator::new(&mut init, &shape, &ad);
        let critic = StyleCritic::new(&mut init, &shape, config.critic_options(), &ad);
        let ema = generator.valid();
        Ok(Self {
            w_avg: vec![0.0; shape.w_dim],
            config,
            shape,
            images,
            generator,
            critic,
            ema,
            opt_g: adam(),
            opt_d: adam(),
            rng,
            step: 0,
            critic_updates: 0,
            log: RunLog::default(),
            device: device.clone(),
            ad,
        })
    }

    fn latents(&mut self, n: usize, device: &Device) -> Tensor<2> {
        let values = self.rng.normals(n * self.shape.z_dim);
        Tensor::from_data(TensorData::new(values, [n, self.shape.z_dim]), device)
    }

    fn real_batch(&mut self) -> Tensor<4> {
        let n = self.config.batch_size;
        let indices: Vec<usize> = (0..n).map(|_| self.rng.below(self.images.len())).collect();
        let batch = self.images.gather(&indices);
        let side = self.shape.resolution;
        let shape = [n, self.images.channels, side, side];
        Tensor::from_data(TensorData::new(batch.pixels, shape), &self.ad)
    }

    /// Per-layer w for a generator batch (style mixing with its probability), the first w
    /// and the first z.
    fn training_ws(&mut self, n: usize) -> (Vec<Tensor<2>>, Tensor<2>, Tensor<2>) {
        let layers = self.shape.num_ws();
        let ad = self.ad.clone();
        let z = self.latents(n, &ad);
        let first = self.generator.mapping.forward(z.clone());
        let mixes = self.rng.uniform() < f64::from(self.config.style_mixing);
        let ws = if mixes {
            // One cut for the batch (StyleGAN draws one per batch too).
            let z = self.latents(n, &ad);
            let second = self.generator.mapping.forward(z);
            let cut = 1 + self.rng.below(layers - 1);
            super::generator::mixed_ws(&first, &second, cut, layers)
        } else {
            vec![first.clone(); layers]
        };
        (ws, first, z)
    }

    /// One critic update.
    pub fn critic_update(&mut self) -> CriticStats {
        let n = self.config.batch_size;
        let real = self.real_batch();
        let (ws, _, _) = self.training_ws(n);
        let noise = self.generator.random_noise(&mut self.rng, n, &self.ad);
        let fake = self.generator.synthesis.forward(&ws, &noise).detach();
        let d_real = self.critic.forward(real.clone());
        let d_fake = self.critic.forward(fake);
        let (real_mean, fake_mean) = (
            scalar(d_real.clone().detach()),
            scalar(d_fake.clone().detach()),
        );
        let col = |t: Tensor<1>| t.unsqueeze_dim::<2>(1);
        let mut loss = softplus(col(d_fake))
            .mean()
            .add(softplus(col(d_real.clone()).neg()).mean());
        // The curve shows the logistic loss alone: R1 has its own (its lazy ×r1_every weight
        // would make the loss jump at every regularised update).
        let loss_value = scalar(loss.clone().detach());
        let regularise =
            self.config.r1_gamma > 0.0 && self.critic_updates.is_multiple_of(self.config.r1_every);
        let mut r1 = None;
        if regularise {
            let gamma = self.config.r1_gamma * self.config.r1_every as f32;
            let critic = &self.critic;
            let forward = |x| critic.forward(x);
            let (surrogate, value) = r1_surrogate(&forward, real, d_real, gamma);
            r1 = Some(value.into_scalar::<f32>() / self.config.r1_every as f32);
            loss = loss.add(surrogate);
        }
        let grads = GradientsParams::from_grads(loss.backward(), &self.critic);
        self.critic = self.opt_d.step(
            f64::from(self.config.critic_lr()),
            self.critic.clone(),
            grads,
        );
        self.critic_updates += 1;
        CriticStats {
            loss: loss_value,
            real: real_mean,
            fake: fake_mean,
            r1,
        }
    }

    /// One generator update; its loss.
    pub fn generator_update(&mut self) -> f32 {
        let n = self.config.batch_size;
        let (ws, first, z) = self.training_ws(n);
        let noise = if self.config.mode_seeking > 0.0 && n.is_multiple_of(2) {
            // Both halves of the batch get the same noise, so that the mode-seeking term can
            // only be met through z (stronger noise would also set the images apart).
            let half = self.generator.random_noise(&mut self.rng, n / 2, &self.ad);
            half.into_iter()
                .map(|layer| match layer {
                    Noise::Given(t) => Noise::Given(Box::new(t.repeat_dim(0, 2))),
                    Noise::Off => Noise::Off,
                })
                .collect()
        } else {
            self.generator.random_noise(&mut self.rng, n, &self.ad)
        };
        let fake = self.generator.synthesis.forward(&ws, &noise);
        let critic = self.critic.clone().no_grad();
        let logits = critic.forward(fake.clone()).unsqueeze_dim::<2>(1);
        let mut loss = softplus(logits.neg()).mean();
        // The curve shows the adversarial loss alone.
        let loss_value = scalar(loss.clone().detach());
        if self.config.mode_seeking > 0.0 {
            loss = loss.add(mode_seeking_term(fake, z).mul_scalar(self.config.mode_seeking));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &self.generator);
        self.generator = self
            .opt_g
            .step(f64::from(self.config.lr), self.generator.clone(), grads);
        // The running mean of w, from this batch's (first) w.
        let batch_mean = first
            .detach()
            .mean_dim(0)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let beta = self.config.w_avg_decay;
        for (avg, new) in self.w_avg.iter_mut().zip(batch_mean) {
            *avg = beta * *avg + (1.0 - beta) * new;
        }
        self.ema = if self.config.ema > 0.0 {
            let decay = ema_decay_at(self.config.ema, self.step);
            ema_update(self.ema.clone(), &self.generator.valid(), decay)
        } else {
            self.generator.valid()
        };
        loss_value
    }

    /// A round: a critic update, then a generator update.
    pub fn round(&mut self) -> (CriticStats, f32) {
        let d = self.critic_update();
        let g = self.generator_update();
        self.step += 1;
        (d, g)
    }

    /// The running mean of w as a tensor on the inference device.
    pub fn w_avg_tensor(&self) -> Tensor<1> {
        Tensor::from_data(
            TensorData::new(self.w_avg.clone(), [self.w_avg.len()]),
            &self.device,
        )
    }

    /// `n` images from the EMA generator for latent seed `seed`, truncated by `psi`, with
    /// random noise or none: [n, c, R, R] values in about [-1, 1].
    pub fn sample(&self, n: usize, seed: u64, psi: f32, noise_on: bool) -> Vec<f32> {
        let mut rng = Rng::seeded(seed);
        let z = Tensor::from_data(
            TensorData::new(rng.normals(n * self.shape.z_dim), [n, self.shape.z_dim]),
            &self.device,
        );
        let w = truncate(self.ema.mapping.forward(z), self.w_avg_tensor(), psi);
        let noise = if noise_on {
            self.ema.random_noise(&mut rng, n, &self.device)
        } else {
            vec![Noise::Off; self.ema.synthesis.convs.len()]
        };
        let ws = vec![w; self.shape.num_ws()];
        self.ema
            .synthesis
            .forward(&ws, &noise)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
