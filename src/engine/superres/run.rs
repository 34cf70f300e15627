//! A super-resolution run: the pixel network, the GAN network (from the GAN stage on), the
//! critic, their optimizers and the random state; the family's three phases and its round
//! (stage 1: a pixel-network update, then the critic's against its outputs; stage 2: the
//! pixel network's, the GAN network's, then the critic's against the GAN network's outputs;
//! all on one batch). Reports the family's named curves as [`StepStats`].

use std::sync::Arc;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use super::nets::{SrCritic, SrGenerator};
use super::pairs::{Degradation, PairError, Pairs};
use super::resize::{Planes, bicubic_upscale};
use super::{CRITIC, DESCRIPTION, GAN, PIXEL, SrConfig};
use crate::engine::cyclegan::loss::{critic_objective, generator_objective, l1};
use crate::engine::data::ImageSet;
use crate::engine::nn::params::{ema_decay_at, ema_update, grad_norm, mix_weights};
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::{StepKind, StepStats};
use crate::engine::trainer::run_log::RunLog;
use crate::engine::trainer::tensors::read;

/// Why a super-resolution run cannot be built, stepped or asked to upscale.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SrError {
    #[error(transparent)]
    Pairs(#[from] PairError),
    #[error("a super-resolution run has no update phase {0}")]
    NoSuchPhase(usize),
    #[error("a batch needs at least one image")]
    EmptyBatch,
    #[error(
        "the image is {w}×{h} with {channels} channel(s); this network upscales {wanted}-channel images"
    )]
    Channels {
        w: usize,
        h: usize,
        channels: usize,
        wanted: usize,
    },
    #[error("the image is {w}×{h}: an input needs at least 2×2 pixels")]
    TooSmallInput { w: usize, h: usize },
}

/// Images upscaled per forward pass outside training (bounds the memory of large batches).
const UPSCALE_CHUNK: usize = 64;

/// A super-resolution training run.
pub struct SrRun {
    pub config: SrConfig,
    pub degradation: Degradation,
    /// The high-res training images.
    pub images: Arc<ImageSet>,
    /// Stage 1's network, trained on L1 alone.
    pub pixel: SrGenerator,
    /// Stage 2's network, from the GAN stage's first update on (a copy of `pixel` then).
    pub gan: Option<SrGenerator>,
    /// The exponential moving average of the GAN network's weights (when `config.ema` > 0):
    /// what is shown, measured and exported as "the GAN network", smoothing the oscillation
    /// of adversarial training (an inference copy).
    pub gan_ema: Option<SrGenerator>,
    pub critic: SrCritic,
    pub(super) opt_pixel: ModuleOptimizer,
    pub(super) opt_gan: ModuleOptimizer,
    pub(super) opt_critic: ModuleOptimizer,
    pub(super) rng: Rng,
    /// The run's curves and evaluations, saved with checkpoints.
    pub log: RunLog,
    /// Completed rounds.
    pub step: u64,
    device: Device,
    ad: Device,
}

pub(super) fn adam(c: &SrConfig) -> ModuleOptimizer {
    AdamConfig::new()
        .with_beta_1(c.beta1)
        .with_beta_2(c.beta2)
        .with_epsilon(1e-8)
        .init()
}

fn tensor(values: Vec<f32>, shape: Planes, device: &Device) -> Tensor<4> {
    Tensor::from_data(
        TensorData::new(values, [shape.n, shape.c, shape.h, shape.w]),
        device,
    )
}

/// A batch of pairs as tensors: (low-res, bicubic, high-res).
struct Batch {
    lr: Tensor<4>,
    bicubic: Tensor<4>,
    hr: Tensor<4>,
}

/// The values of one-element tensors, read in one go.
fn numbers(parts: Vec<Tensor<1>>) -> Vec<f32> {
    read(Tensor::cat(parts, 0).unsqueeze())
}

impl SrRun {
    /// A fresh run on `images` (high-res), its weights drawn from the config's seed.
    pub fn new(
        config: SrConfig,
        degradation: Degradation,
        images: Arc<ImageSet>,
        device: &Device,
    ) -> Result<Self, SrError> {
        degradation.check(&images)?;
        if config.batch_size == 0 {
            return Err(SrError::EmptyBatch);
        }
        let ad = device.clone().autodiff();
        let mut rng = Rng::seeded(config.seed);
        let mut init = rng.fork();
        let c = images.channels;
        let pixel = SrGenerator::new(&mut init, c, &config.nets, &ad);
        let critic = SrCritic::new(&mut init, c, &config.nets, &ad);
        Ok(Self {
            opt_pixel: adam(&config),
            opt_gan: adam(&config),
            opt_critic: adam(&config),
            config,
            degradation,
            images,
            pixel,
            gan: None,
            gan_ema: None,
            critic,
            rng,
            log: RunLog::default(),
            step: 0,
            device: device.clone(),
            ad,
        })
    }

    /// Whether the GAN stage has begun.
    pub fn gan_started(&self) -> bool {
        self.gan.is_some()
    }

    /// The high-res shape of the run's images, one image.
    pub fn image_shape(&self) -> Planes {
        Planes::square(1, self.images.channels, self.images.height)
    }

    fn batch(&mut self) -> Batch {
        let n = self.config.batch_size;
        let indices: Vec<usize> = (0..n).map(|_| self.rng.below(self.images.len())).collect();
        let p = Pairs::of(&self.images, &indices, &self.degradation, &mut self.rng);
        Batch {
            lr: tensor(p.lr, p.shape.shrunk(p.scale), &self.ad),
            bicubic: tensor(p.bicubic, p.shape, &self.ad),
            hr: tensor(p.hr, p.shape, &self.ad),
        }
    }

    /// One update of `kind` (a round: the stage's updates), on a worker of the thread pool.
    pub fn step_once(&mut self, kind: StepKind) -> Result<StepStats, SrError> {
        crate::engine::workers::on_pool(|| self.step_here(kind))
    }

    fn step_here(&mut self, kind: StepKind) -> Result<StepStats, SrError> {
        let started = Instant::now();
        let mut stats = StepStats::unmeasured(&DESCRIPTION, self.step, kind);
        let v = &mut stats.values;
        match kind {
            StepKind::Phase(PIXEL) => {
                let b = self.batch();
                let _ = self.pixel_update(&b, v);
            }
            StepKind::Phase(CRITIC) => {
                // Against the stage's generator: the pixel network until the GAN stage.
                let b = self.batch();
                let g = self.gan.as_ref().unwrap_or(&self.pixel).clone().no_grad();
                let out = g.forward(b.lr, b.bicubic);
                self.critic_update(b.hr, out.detach(), v);
            }
            StepKind::Phase(GAN) => {
                let b = self.batch();
                self.gan_update(&b, v);
            }
            StepKind::Round => {
                let b = self.batch();
                // The pixel network trains on in the GAN stage: at any step both networks
                // have had as many updates, so their scores compare fairly.
                let pixel_out = self.pixel_update(&b, v);
                let out = if self.gan.is_some() || self.step >= self.config.pixel_steps {
                    self.gan_update(&b, v)
                } else {
                    // Stage 1 trains the critic too, against the pixel network's outputs: the
                    // GAN network then starts against a critic whose features already tell
                    // blur from detail (a fresh critic's random features, in the feature
                    // loss, first pushed it away from its good start).
                    pixel_out
                };
                self.critic_update(b.hr, out, v);
                self.step += 1;
            }
            StepKind::Phase(p) => return Err(SrError::NoSuchPhase(p)),
        }
        stats.step = self.step;
        stats.millis = started.elapsed().as_secs_f32() * 1000.0;
        self.log.push_stats(stats.clone());
        Ok(stats)
    }

    /// The GAN network, started as a copy of the pixel network if it was not yet.
    fn gan_network(&mut self) -> &SrGenerator {
        self.gan.get_or_insert_with(|| self.pixel.clone())
    }

    /// The pixel network's update; returns its outputs (constants).
    fn pixel_update(&mut self, b: &Batch, v: &mut [f32]) -> Tensor<4> {
        let out = self.pixel.forward(b.lr.clone(), b.bicubic.clone());
        let loss = l1(out.clone(), b.hr.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &self.pixel);
        let norm = grad_norm(&self.pixel, &grads).unwrap_or_else(|| Tensor::zeros([1], &self.ad));
        self.pixel = self
            .opt_pixel
            .step(self.config.lr, self.pixel.clone(), grads);
        let n = numbers(vec![loss.detach(), norm]);
        (v[super::PIXEL_L1], v[super::G_GRAD_NORM]) = (n[0], n[1]);
        out.detach()
    }

    /// The GAN network's update; returns its outputs (constants) for the critic.
    fn gan_update(&mut self, b: &Batch, v: &mut [f32]) -> Tensor<4> {
        let c = self.config;
        let g = self.gan_network().clone();
        let out = g.forward(b.lr.clone(), b.bicubic.clone());
        let pixel = l1(out.clone(), b.hr.clone());
        // The critic's weights are constants here: only the gradient through it is needed.
        let d = self.critic.clone().no_grad();
        let fake = d.forward(out.clone());
        let real = d.forward(b.hr.clone());
        let [f0, f1] = fake.features;
        let [r0, r1] = real.features;
        let feature = l1(f0, r0.detach()).add(l1(f1, r1.detach())).mul_scalar(0.5);
        let adv = generator_objective(&c.objective, fake.scores);
        let loss = pixel
            .clone()
            .mul_scalar(c.pixel_weight)
            .add(feature.clone().mul_scalar(c.feature_weight))
            .add(adv.clone().mul_scalar(c.adversarial_weight));
        let grads = GradientsParams::from_grads(loss.backward(), &g);
        let norm = grad_norm(&g, &grads).unwrap_or_else(|| Tensor::zeros([1], &self.ad));
        let g = self.opt_gan.step(c.lr, g, grads);
        if c.ema > 0.0 {
            let since = self.step.saturating_sub(c.pixel_steps);
            self.gan_ema = Some(match self.gan_ema.take() {
                Some(e) => ema_update(e, &g, ema_decay_at(c.ema, since)),
                None => g.valid(),
            });
        }
        self.gan = Some(g);
        let n = numbers(vec![pixel.detach(), feature.detach(), adv.detach(), norm]);
        (v[super::GAN_L1], v[super::GAN_FEATURE], v[super::GAN_ADV]) = (n[0], n[1], n[2]);
        v[super::G_GRAD_NORM] = n[3];
        out.detach()
    }

    fn critic_update(&mut self, hr: Tensor<4>, out: Tensor<4>, v: &mut [f32]) {
        let n = hr.dims()[0];
        let both = self.critic.forward(Tensor::cat(vec![hr, out], 0)).scores;
        let (real, fake) = (both.clone().narrow(0, 0, n), both.narrow(0, n, n));
        let loss = critic_objective(&self.config.objective, real.clone(), fake.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &self.critic);
        let norm = grad_norm(&self.critic, &grads).unwrap_or_else(|| Tensor::zeros([1], &self.ad));
        self.critic = self
            .opt_critic
            .step(self.config.lr, self.critic.clone(), grads);
        let parts = vec![
            loss.detach(),
            real.detach().mean(),
            fake.detach().mean(),
            norm,
        ];
        let n = numbers(parts);
        (v[super::D_LOSS], v[super::D_REAL], v[super::D_FAKE]) = (n[0], n[1], n[2]);
        v[super::D_GRAD_NORM] = n[3];
    }

    /// The GAN network as shown and measured (its weights' moving average when on), for
    /// inference; None before the GAN stage.
    pub fn gan_output(&self) -> Option<SrGenerator> {
        self.gan_ema
            .clone()
            .or_else(|| self.gan.as_ref().map(Module::valid))
    }

    /// The generator whose weights are (1 − `mix`)·pixel + `mix`·GAN, for inference (the pixel
    /// network alone before the GAN stage, or at `mix` 0).
    pub fn mixed(&self, mix: f32) -> SrGenerator {
        let pixel = self.pixel.valid();
        match self.gan_output() {
            Some(gan) if mix > 0.0 => mix_weights(&pixel, &gan, mix.min(1.0)),
            _ => pixel,
        }
    }

    /// Upscales `lr` (values in [-1, 1], shape `shape`) with `net`: the outputs, not
    /// clamped, [n, c, s·h, s·w].
    pub fn upscale_with(
        &self,
        net: &SrGenerator,
        lr: &[f32],
        shape: Planes,
    ) -> Result<Vec<f32>, SrError> {
        upscale(
            net,
            self.config.nets.scale,
            self.images.channels,
            lr,
            shape,
            &self.device,
        )
    }
}

/// Upscales `lr` (values in [-1, 1], shape `shape`) by `scale` with `net` (an inference copy
/// on `device`), in chunks: the outputs, not clamped. Any image size of ≥ 2×2 pixels.
pub fn upscale(
    net: &SrGenerator,
    scale: usize,
    channels: usize,
    lr: &[f32],
    shape: Planes,
    device: &Device,
) -> Result<Vec<f32>, SrError> {
    if shape.c != channels {
        return Err(SrError::Channels {
            w: shape.w,
            h: shape.h,
            channels: shape.c,
            wanted: channels,
        });
    }
    if shape.h < 2 || shape.w < 2 {
        return Err(SrError::TooSmallInput {
            w: shape.w,
            h: shape.h,
        });
    }
    crate::engine::workers::on_pool(|| {
        let len = shape.image_len();
        let mut out = Vec::with_capacity(lr.len() * scale * scale);
        for chunk in lr[..shape.n * len].chunks(UPSCALE_CHUNK * len) {
            let part = Planes {
                n: chunk.len() / len,
                ..shape
            };
            let bicubic = bicubic_upscale(chunk, part, scale);
            let y = net.forward(
                tensor(chunk.to_vec(), part, device),
                tensor(bicubic, part.grown(scale), device),
            );
            let [m, c, h, w] = y.dims();
            out.extend(read(y.reshape([m, c * h * w])));
        }
        Ok(out)
    })
}
