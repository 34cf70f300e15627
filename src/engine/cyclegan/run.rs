//! A CycleGAN run: both generators and both critics with their optimizers, the replay buffers
//! and the random state; its two phases and its round (the generators' update, then the
//! critics' on the translations that update made, as the reference implementation orders
//! them). Reports the family's named curves as [`StepStats`].

use std::sync::Arc;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use super::guide::Guides;
use super::loss::{critic_objective, generator_objective, l1};
use super::nets::{PatchCritic, ResnetGenerator, in_one_batch, with_second};
use super::replay::ReplayBuffer;
use super::{CRITICS, CycleConfig, DESCRIPTION, GENERATORS};
use crate::engine::data::ImageSet;
use crate::engine::data::domains::DomainPair;
use crate::engine::loss::cross_entropy;
use crate::engine::nn::params::grad_norm;
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::{StepKind, StepStats};
use crate::engine::trainer::run_log::RunLog;
use crate::engine::trainer::tensors::read;

/// G_AB: A → B and G_BA: B → A, updated together by one optimizer.
#[derive(Module, Debug)]
pub struct Generators {
    pub ab: ResnetGenerator,
    pub ba: ResnetGenerator,
}

/// D_A scores domain A, D_B domain B; updated together by one optimizer.
#[derive(Module, Debug)]
pub struct Critics {
    pub a: PatchCritic,
    pub b: PatchCritic,
}

/// Why a CycleGAN run cannot be built or stepped.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    #[error(
        "CycleGAN's generators halve the image {downsamplings} time(s): its side must be a multiple of {multiple} (it is {side}); change cyclegan.downsamplings or resize the images"
    )]
    Side {
        side: usize,
        downsamplings: usize,
        multiple: usize,
    },
    #[error(
        "the identity loss compares an image with its translation, so it needs both domains to have the same channels ({a} and {b}); set identity = 0"
    )]
    IdentityChannels { a: usize, b: usize },
    #[error("a CycleGAN run has no update phase {0}")]
    NoSuchPhase(usize),
    #[error("a batch needs at least one image per domain")]
    EmptyBatch,
    #[error("{0}")]
    Semantic(String),
}

/// Images translated per forward pass outside training.
const TRANSLATE_CHUNK: usize = 32;

/// A CycleGAN training run.
pub struct CycleRun {
    pub config: CycleConfig,
    pub domains: Arc<DomainPair>,
    pub generators: Generators,
    pub critics: Critics,
    pub(super) opt_g: ModuleOptimizer,
    pub(super) opt_d: ModuleOptimizer,
    /// Past translations into A (for D_A) and into B (for D_B).
    pub(super) buffers: [ReplayBuffer; 2],
    pub(super) rng: Rng,
    /// The frozen classifiers of the semantic-consistency loss, when it is on.
    pub guides: Option<Guides>,
    /// The run's curves (every round's, thinned) and evaluations, saved with checkpoints.
    pub log: RunLog,
    /// Completed rounds.
    pub step: u64,
    /// The backend's device, and the same with autodiff on (training).
    device: Device,
    ad: Device,
}

/// A batch of one domain on the autodiff device, [n, c, s, s].
fn images(pixels: Vec<f32>, n: usize, set: &ImageSet, device: &Device) -> Tensor<4> {
    let shape = [n, set.channels, set.height, set.width];
    Tensor::from_data(TensorData::new(pixels, shape), device)
}

pub(super) fn adam(c: &CycleConfig) -> ModuleOptimizer {
    AdamConfig::new()
        .with_beta_1(c.beta1)
        .with_beta_2(c.beta2)
        .with_epsilon(1e-8)
        .init()
}

/// One domain's real images and their labels (empty when the domain has none).
struct Batch {
    images: Tensor<4>,
    labels: Vec<u32>,
}

/// The values of one-element tensors, read in one go.
fn numbers(parts: Vec<Tensor<1>>) -> Vec<f32> {
    read(Tensor::cat(parts, 0).unsqueeze())
}

impl CycleRun {
    /// A fresh run on `domains`, its weights drawn from the config's seed.
    pub fn new(
        config: CycleConfig,
        domains: Arc<DomainPair>,
        device: &Device,
    ) -> Result<Self, CycleError> {
        let side = domains.side();
        let downsamplings = config.nets.downsamplings;
        let multiple = 1 << downsamplings;
        if !side.is_multiple_of(multiple) {
            return Err(CycleError::Side {
                side,
                downsamplings,
                multiple,
            });
        }
        let (ca, cb) = (domains.a.channels, domains.b.channels);
        if config.identity > 0.0 && ca != cb {
            return Err(CycleError::IdentityChannels { a: ca, b: cb });
        }
        if config.batch_size == 0 {
            return Err(CycleError::EmptyBatch);
        }
        let ad = device.clone().autodiff();
        let guides = if config.semantic > 0.0 {
            Some(Guides::for_domains(&domains, &ad).map_err(CycleError::Semantic)?)
        } else {
            None
        };
        let mut rng = Rng::seeded(config.seed);
        let mut init = rng.fork();
        let nets = &config.nets;
        let generators = Generators {
            ab: ResnetGenerator::new(&mut init, ca, cb, nets, &ad),
            ba: ResnetGenerator::new(&mut init, cb, ca, nets, &ad),
        };
        let critics = Critics {
            a: PatchCritic::new(&mut init, ca, nets, &ad),
            b: PatchCritic::new(&mut init, cb, nets, &ad),
        };
        Ok(Self {
            opt_g: adam(&config),
            opt_d: adam(&config),
            buffers: [
                ReplayBuffer::new(config.replay),
                ReplayBuffer::new(config.replay),
            ],
            config,
            domains,
            generators,
            critics,
            rng,
            guides,
            log: RunLog::default(),
            step: 0,
            device: device.clone(),
            ad,
        })
    }

    /// A real batch of each domain, drawn independently (never paired).
    fn real_batches(&mut self) -> [Batch; 2] {
        let n = self.config.batch_size;
        let d = self.domains.clone();
        [&d.a, &d.b].map(|set| {
            let drawn = set.sample(&mut self.rng, n);
            Batch {
                images: images(drawn.pixels, n, set, &self.ad),
                labels: drawn.labels,
            }
        })
    }

    /// One update of `kind`'s networks (a whole round: the generators, then the critics), on
    /// a worker of the thread pool (see [`crate::engine::workers`]).
    pub fn step_once(&mut self, kind: StepKind) -> Result<StepStats, CycleError> {
        crate::engine::workers::on_pool(|| self.step_here(kind))
    }

    fn step_here(&mut self, kind: StepKind) -> Result<StepStats, CycleError> {
        let started = Instant::now();
        let mut stats = StepStats::unmeasured(&DESCRIPTION, self.step, kind);
        let [a, b] = self.real_batches();
        match kind {
            StepKind::Phase(CRITICS) => {
                let g = self.generators.clone().no_grad();
                let fake_b = g.ab.forward(a.images.clone()).detach();
                let fake_a = g.ba.forward(b.images.clone()).detach();
                self.critics_update(a.images, b.images, fake_a, fake_b, &mut stats.values);
            }
            StepKind::Phase(GENERATORS) => {
                self.generators_update(&a, &b, &mut stats.values);
            }
            StepKind::Round => {
                let (fake_a, fake_b) = self.generators_update(&a, &b, &mut stats.values);
                self.critics_update(a.images, b.images, fake_a, fake_b, &mut stats.values);
                self.step += 1;
            }
            StepKind::Phase(p) => return Err(CycleError::NoSuchPhase(p)),
        }
        stats.step = self.step;
        stats.millis = started.elapsed().as_secs_f32() * 1000.0;
        self.log.push_stats(stats.clone());
        Ok(stats)
    }

    /// Both generators' update; returns this update's translations (constants): into A, into B.
    fn generators_update(&mut self, a: &Batch, b: &Batch, v: &mut [f32]) -> (Tensor<4>, Tensor<4>) {
        let c = self.config;
        let (labels_a, labels_b) = (&a.labels, &b.labels);
        let (a, b) = (a.images.clone(), b.images.clone());
        let g = &self.generators;
        let fake_b = g.ab.forward(a.clone());
        let fake_a = g.ba.forward(b.clone());
        // Each generator's cycle back and its identity (on its own domain) in one batch.
        let identity = c.identity > 0.0;
        let (back_a, same_a) = with_second(
            |x| g.ba.forward(x),
            fake_b.clone(),
            identity.then(|| a.clone()),
        );
        let (back_b, same_b) = with_second(
            |x| g.ab.forward(x),
            fake_a.clone(),
            identity.then(|| b.clone()),
        );
        let cycle_a = l1(back_a, a.clone());
        let cycle_b = l1(back_b, b.clone());
        // The critics' weights are constants here: only the gradient through them is needed.
        let d = self.critics.clone().no_grad();
        let adv_ab = generator_objective(&self.config.objective, d.b.forward(fake_b.clone()));
        let adv_ba = generator_objective(&self.config.objective, d.a.forward(fake_a.clone()));
        let mut loss = adv_ab.clone().add(adv_ba.clone()).add(
            cycle_a
                .clone()
                .add(cycle_b.clone())
                .mul_scalar(c.lambda_cycle),
        );
        let mut parts = vec![adv_ab, adv_ba, cycle_a, cycle_b];
        if let (Some(same_a), Some(same_b)) = (same_a, same_b) {
            let idt_a = l1(same_a, a);
            let idt_b = l1(same_b, b);
            let weight = c.lambda_cycle * c.identity;
            loss = loss.add(idt_a.clone().add(idt_b.clone()).mul_scalar(weight));
            parts.extend([idt_a, idt_b]);
        }
        let semantic = self.guides.as_ref().map(|guides| {
            // Each translation should be classed, by its target domain's guide, as its input.
            let sem_ab = cross_entropy(guides.nets[1].forward(fake_b.clone()), labels_a);
            let sem_ba = cross_entropy(guides.nets[0].forward(fake_a.clone()), labels_b);
            [sem_ab, sem_ba]
        });
        if let Some([sem_ab, sem_ba]) = semantic.clone() {
            loss = loss.add(sem_ab.add(sem_ba).mul_scalar(c.semantic));
        }
        let grads = GradientsParams::from_grads(loss.backward(), g);
        let norm = grad_norm(g, &grads).unwrap_or_else(|| Tensor::zeros([1], &self.ad));
        let semantic_parts = parts.len();
        parts.extend(semantic.into_iter().flatten());
        parts.push(norm);
        let lr = c.lr_at(self.step);
        self.generators = self.opt_g.step(lr, self.generators.clone(), grads);
        let n = numbers(parts.into_iter().map(|t| t.detach()).collect());
        (v[super::G_AB_ADV], v[super::G_BA_ADV]) = (n[0], n[1]);
        (v[super::CYCLE_A], v[super::CYCLE_B]) = (n[2], n[3]);
        if c.identity > 0.0 {
            (v[super::IDENTITY_A], v[super::IDENTITY_B]) = (n[4], n[5]);
        }
        if self.guides.is_some() {
            let i = semantic_parts;
            (v[super::SEMANTIC_AB], v[super::SEMANTIC_BA]) = (n[i], n[i + 1]);
        }
        v[super::G_GRAD_NORM] = n[n.len() - 1];
        (fake_a.detach(), fake_b.detach())
    }

    /// Both critics' update on real images and on translations passed through the replay
    /// buffers.
    fn critics_update(
        &mut self,
        a: Tensor<4>,
        b: Tensor<4>,
        fake_a: Tensor<4>,
        fake_b: Tensor<4>,
        v: &mut [f32],
    ) {
        let shown = |fake: Tensor<4>, buffer: &mut ReplayBuffer, rng: &mut Rng| {
            let dims = fake.dims();
            let len = dims[1] * dims[2] * dims[3];
            let values = read(fake.reshape([dims[0], len]));
            let mixed = buffer.exchange(&values, len, rng);
            Tensor::<4>::from_data(TensorData::new(mixed, dims), &self.ad)
        };
        let [buf_a, buf_b] = &mut self.buffers;
        let fake_a = shown(fake_a, buf_a, &mut self.rng);
        let fake_b = shown(fake_b, buf_b, &mut self.rng);
        let d = &self.critics;
        let scores = |critic: &PatchCritic, real, fake| {
            let (real, fake) = in_one_batch(|x| critic.forward(x), real, fake);
            critic_objective(&self.config.objective, real, fake)
        };
        let loss_a = scores(&d.a, a, fake_a);
        let loss_b = scores(&d.b, b, fake_b);
        let grads = GradientsParams::from_grads(loss_a.clone().add(loss_b.clone()).backward(), d);
        let norm = grad_norm(d, &grads).unwrap_or_else(|| Tensor::zeros([1], &self.ad));
        let lr = self.config.lr_at(self.step);
        self.critics = self.opt_d.step(lr, self.critics.clone(), grads);
        let n = numbers(vec![loss_a.detach(), loss_b.detach(), norm]);
        (
            v[super::D_A_LOSS],
            v[super::D_B_LOSS],
            v[super::D_GRAD_NORM],
        ) = (n[0], n[1], n[2]);
    }

    /// `pixels` (whole images of the source domain, in [-1, 1]) translated A → B
    /// (`a_to_b`) or B → A.
    pub fn translate(&self, a_to_b: bool, pixels: &[f32]) -> Vec<f32> {
        crate::engine::workers::on_pool(|| self.translate_here(a_to_b, pixels))
    }

    fn translate_here(&self, a_to_b: bool, pixels: &[f32]) -> Vec<f32> {
        let d = &self.domains;
        let (from, g) = if a_to_b {
            (&d.a, self.generators.ab.valid())
        } else {
            (&d.b, self.generators.ba.valid())
        };
        let len = from.image_len().max(1);
        let n = pixels.len() / len;
        let mut out = Vec::new();
        // In chunks: the 7×7 convolutions' column matrices of 500 images at once take over
        // a gigabyte.
        for chunk in pixels[..n * len].chunks(TRANSLATE_CHUNK * len) {
            let x = images(chunk.to_vec(), chunk.len() / len, from, &self.device);
            let y = g.forward(x);
            let [m, c, h, w] = y.dims();
            out.extend(read(y.reshape([m, c * h * w])));
        }
        out
    }

    /// Mean cycle L1 of the first `n` images of `sets` (domain A's, domain B's, e.g. held-out
    /// images): [A→B→A, B→A→B].
    pub fn cycle_l1_on(&self, sets: [&ImageSet; 2], n: usize) -> [f32; 2] {
        [(sets[0], true), (sets[1], false)].map(|(set, a_to_b)| {
            let indices: Vec<usize> = (0..n.min(set.len())).collect();
            let x = set.gather(&indices).pixels;
            let there = self.translate(a_to_b, &x);
            let back = self.translate(!a_to_b, &there);
            let diff: f32 = back.iter().zip(&x).map(|(p, q)| (p - q).abs()).sum();
            diff / x.len().max(1) as f32
        })
    }
}
