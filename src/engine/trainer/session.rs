//! One training run, driven synchronously: the trainer thread, the CLI and the tests all use
//! it. It owns the data, G, D, their optimizers, the EMA of G and the random state.

use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::protocol::{RunInfo, Samples};
use super::tensors::{matrix, one_hot, read};
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::data::{self, Dataset};
use crate::engine::latent::LatentSampler;
use crate::engine::nn::{SampleShape, build_models};
use crate::engine::rng::Rng;
use crate::engine::state::{ModelState, make_optimizer};

/// Why a run could not be built or a command could not be carried out. Each message says it
/// all once: no variant also exposes its inner error as a source, which `{:#}` would print a
/// second time.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("invalid configuration: {0}")]
    Config(crate::engine::validate::ConfigError),
    #[error("cannot load the data: {0}")]
    Data(data::DataError),
    #[error(transparent)]
    Checkpoint(#[from] crate::engine::checkpoint::CheckpointError),
    #[error("training diverged at step {step} ({what}); restore the last good state or reset")]
    Diverged { step: u64, what: String },
    #[error("not enough memory: {0}")]
    Memory(String),
    #[error("this model has no update phase {0}")]
    NoSuchPhase(usize),
}

impl From<crate::engine::validate::ConfigError> for SessionError {
    fn from(e: crate::engine::validate::ConfigError) -> Self {
        SessionError::Config(e)
    }
}

impl From<data::DataError> for SessionError {
    fn from(e: data::DataError) -> Self {
        SessionError::Data(e)
    }
}

/// A training run.
pub struct Session {
    pub config: TrainConfig,
    pub backend: Backend,
    /// The backend's device with autodiff on.
    pub(super) ad: Device,
    pub data: Arc<Dataset>,
    pub data_notes: Vec<String>,
    pub shape: SampleShape,
    pub state: ModelState,
    pub last_good: Option<ModelState>,
    /// Set when a step produced NaN/Inf: (step, what).
    pub diverged: Option<(u64, String)>,
    /// Latents (and classes) of the snapshot grid, fixed for the whole run.
    pub fixed_z: Vec<f32>,
    pub fixed_classes: Vec<u32>,
    /// Draws G's latent vectors from the model's prior.
    pub latent: LatentSampler,
    /// What the image metrics compare against (kept across resets on the same data).
    pub metric_refs: crate::engine::metrics::MetricRefs,
    /// The run's curves and evaluations so far (saved with checkpoints).
    pub log: super::run_log::RunLog,
    /// Updates of the current round already done in slow motion ([`Session::step_update`]).
    pub(super) round_progress: usize,
    /// The last D update's numbers, reported with the round that a G update completes.
    pub(super) round_d: Option<super::step::DNumbers>,
    /// An update is under way: a panic now leaves the state half-updated, so the trainer
    /// goes back to `last_good`.
    pub(super) in_update: bool,
}

impl Session {
    /// Loads the data and builds a fresh run.
    pub fn new(config: TrainConfig, backend: Backend) -> Result<Self, SessionError> {
        config.validate()?;
        let loaded = data::load(&config.data)?;
        Self::with_data(config, backend, Arc::new(loaded.dataset), loaded.notes)
    }

    /// Builds a fresh run on already loaded data.
    pub fn with_data(
        config: TrainConfig,
        backend: Backend,
        data: Arc<Dataset>,
        data_notes: Vec<String>,
    ) -> Result<Self, SessionError> {
        crate::keep_freed_memory_mapped();
        config.validate()?;
        let shape = sample_shape(&data);
        // Before anything is allocated: a run that cannot fit would abort the process.
        crate::engine::memory::check(&config, shape).map_err(SessionError::Memory)?;
        let ad = backend.device.clone().autodiff();
        let seed = config.train.seed;
        // Dropout masks come from the device's generator; everything else from `rng`.
        backend.device.seed(seed);
        let mut rng = Rng::seeded(seed);
        let mut init_rng = rng.fork();
        let (g, d) = build_models(&config, shape, &mut init_rng, &ad)?;
        let mut fixed_rng = rng.fork();
        let n = config.train.snapshot_samples;
        let latent = LatentSampler::new(&config.model);
        let fixed_z = latent.draw(&mut fixed_rng, n, None);
        let fixed_classes = if config.model.conditional {
            grid_classes(n, shape.classes)
        } else {
            Vec::new()
        };
        let ema = config.tricks.ema.map(|_| g.valid());
        let state = ModelState {
            g,
            d,
            opt_g: make_optimizer(&config.optimizer.g),
            opt_d: make_optimizer(&config.optimizer.d),
            ema,
            rng,
            step: 0,
        };
        Ok(Self {
            config,
            backend,
            ad,
            data,
            data_notes,
            shape,
            state,
            last_good: None,
            diverged: None,
            fixed_z,
            fixed_classes,
            latent,
            metric_refs: Default::default(),
            log: Default::default(),
            round_progress: 0,
            round_d: None,
            in_update: false,
        })
    }

    /// A description of the run for the driver.
    pub fn info(&self) -> RunInfo {
        let class_names = self
            .data
            .images()
            .map(|s| s.class_names.clone())
            .unwrap_or_default();
        let mixture = self.data.points().and_then(|p| p.mixture());
        RunInfo {
            origin: super::protocol::RunOrigin::Built,
            backend: self.backend.name.clone(),
            fallback_note: self.backend.note.clone(),
            setup: super::protocol::RunSetup::Gan(Box::new(self.config.clone())),
            family: &crate::engine::family::gan::DESCRIPTION,
            data_notes: self.data_notes.clone(),
            sample_len: self.shape.len,
            channels: self.shape.channels,
            side: self.shape.side,
            classes: self.shape.classes,
            class_names,
            g_params: self.state.g.num_params(),
            d_params: self.state.d.num_params(),
            real_preview: self.real_preview(512),
            modes: mixture.map(|m| m.means.clone()).unwrap_or_default(),
            mode_std: mixture.map_or(0.0, |m| m.std),
            domains: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// `n` real samples (a fixed draw), as plain values.
    pub fn real_preview(&self, n: usize) -> Samples {
        let mut rng = Rng::seeded(0x5245_414C);
        let (values, classes) = match self.data.as_ref() {
            Dataset::Points(p) => (p.sample_flat(&mut rng, n), Vec::new()),
            Dataset::Images(set) => {
                let b = set.sample(&mut rng, n.min(64));
                (b.pixels, b.labels)
            }
        };
        Samples {
            values,
            len: self.shape.len,
            channels: self.shape.channels,
            side: self.shape.side,
            classes,
        }
    }

    /// Every value of D's parameters (inspection and tests: e.g. that clipping holds).
    pub fn d_weights(&self) -> Vec<f32> {
        crate::engine::nn::params::parameter_values(&self.state.d)
    }

    /// Completed rounds.
    pub fn step(&self) -> u64 {
        self.state.step
    }

    /// Number of classes G is conditioned on (0 when unconditional).
    pub fn conditioning_classes(&self) -> usize {
        if self.config.model.conditional {
            self.shape.classes
        } else {
            0
        }
    }

    /// One-hot classes on the autodiff device, when the model is conditional.
    pub(super) fn classes_for(&self, labels: &[u32], device: &Device) -> Option<Tensor<2>> {
        let k = self.conditioning_classes();
        (k > 0).then(|| one_hot(labels, k, device))
    }

    /// Maps latent vectors (and classes) through the sampling generator (EMA if on).
    pub fn generate(&self, latents: &[f32], classes: &[u32]) -> Samples {
        let latent = self.config.model.latent_dim;
        let n = latents.len() / latent;
        let device = &self.backend.device;
        let g = match &self.state.ema {
            Some(ema) => ema.clone(),
            None => self.state.g.valid(),
        };
        let mut values = Vec::with_capacity(n * self.shape.len);
        let mut labels = Vec::new();
        // Chunks keep memory flat for big requests (metrics, exports).
        for start in (0..n).step_by(512) {
            let end = (start + 512).min(n);
            let z = matrix(
                latents[start * latent..end * latent].to_vec(),
                end - start,
                latent,
                device,
            );
            let chunk_classes: Vec<u32> = if self.conditioning_classes() > 0 {
                (start..end)
                    .map(|i| classes.get(i).copied().unwrap_or(0))
                    .collect()
            } else {
                Vec::new()
            };
            let c = self.classes_for(&chunk_classes, device);
            values.extend(read(g.forward(z, c)));
            labels.extend(chunk_classes);
        }
        Samples {
            values,
            len: self.shape.len,
            channels: self.shape.channels,
            side: self.shape.side,
            classes: labels,
        }
    }

    /// The fixed-noise samples for the snapshot grid.
    pub fn snapshot(&self) -> Samples {
        match self.config.tricks.truncation {
            None => self.generate(&self.fixed_z, &self.fixed_classes),
            Some(bound) => {
                // Redraws from a generator of their own, so that the grid stays the same
                // noise from one snapshot to the next.
                let mut z = self.fixed_z.clone();
                let mut rng = Rng::seeded(self.config.train.seed ^ TRUNCATION_STREAM);
                self.latent.truncate(&mut rng, &mut z, bound);
                self.generate(&z, &self.fixed_classes)
            }
        }
    }

    /// `n` samples on fresh noise drawn from `seed` (exports, metrics); balanced classes.
    pub fn sample_n(&self, n: usize, seed: u64) -> Samples {
        let mut rng = Rng::seeded(seed);
        let z = self.latent.draw(&mut rng, n, self.config.tricks.truncation);
        let k = self.conditioning_classes().max(1);
        let classes: Vec<u32> = (0..n).map(|i| (i % k) as u32).collect();
        self.generate(&z, &classes)
    }
}

/// Seed offset of the generator that redraws the snapshot's out-of-range latent values.
const TRUNCATION_STREAM: u64 = 0x7472_756e_6361_7465;

/// Classes for a conditional sample grid of `n` samples: one row per class (`n / classes`
/// samples each; a remainder repeats the last class and is left out of grids).
pub fn grid_classes(n: usize, classes: usize) -> Vec<u32> {
    let per_class = (n / classes.max(1)).max(1);
    (0..n)
        .map(|i| (i / per_class).min(classes.saturating_sub(1)) as u32)
        .collect()
}

/// How the models see a dataset.
pub fn sample_shape(data: &Dataset) -> SampleShape {
    match data {
        Dataset::Points(_) => SampleShape {
            len: 2,
            channels: 0,
            side: 0,
            classes: 0,
        },
        Dataset::Images(set) => SampleShape {
            len: set.image_len(),
            channels: set.channels,
            side: if set.height == set.width {
                set.height
            } else {
                0
            },
            classes: set.num_classes(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::grid_classes;

    #[test]
    fn conditional_grids_have_one_row_per_class() {
        let c = grid_classes(80, 10);
        assert_eq!(&c[..9], &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(c[79], 9);
        assert_eq!(
            grid_classes(64, 10)[63],
            9,
            "the remainder repeats the last class"
        );
        assert_eq!(
            grid_classes(5, 10),
            vec![0, 1, 2, 3, 4],
            "fewer samples than classes"
        );
    }
}
