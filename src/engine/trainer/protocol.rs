//! The plain-data messages between a driver (GUI, CLI, tests) and the trainer thread. No burn
//! types cross this boundary.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::engine::captions::ask::{CaptionAnswer, CaptionRequest};
pub use crate::engine::captions::preset::CaptionPreset;
use crate::engine::config::TrainConfig;
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::family::{FamilyDescription, gan};
pub use crate::engine::stylegan::preset::StylePreset;
pub use crate::engine::stylegan::studio::{StyleAnswer, StyleRequest};
use crate::engine::superres::preset::SrPreset;
use crate::engine::superres::tiles::Picture;

/// What the driver asks of the trainer. Commands are handled in the order sent.
#[derive(Clone, Debug)]
pub enum Command {
    /// Train continuously until paused.
    Play,
    /// Train until this many rounds are done, then pause (a lesson's "run to step N").
    PlayUntil(u64),
    /// Stop training after the current step; stay responsive.
    Pause,
    /// One update of the family's phase `phase` (a GAN's D or G update), then pause.
    Step { phase: usize },
    /// One full round (for a GAN: d_steps D updates, g_steps G updates), then pause.
    StepRound,
    /// Apply a changed configuration between steps; the answer says what took effect. A
    /// change to what is learned (data, architecture, objective, seed) restarts the run.
    SetConfig(Box<TrainConfig>),
    /// Start a new run at step 0 on this configuration, whatever changed (a loaded preset).
    Restart(Box<TrainConfig>),
    /// Map latent vectors through G (the newest request wins; answered between steps).
    Render(RenderRequest),
    /// Translate an image there and back (families that take an image; answered between
    /// steps, with [`Event::Translated`]).
    Translate(TranslateRequest),
    /// Upscale with the weight mix `mix` between the pixel and the GAN network (families that
    /// upscale; answered between steps, newest request first, with [`Event::Upscaled`]).
    Upscale(UpscaleRequest),
    /// Draw the StyleGAN studio's images (families with styles; answered between steps,
    /// newest request first, with [`Event::Styled`]).
    Style(Box<StyleRequest>),
    /// Draw a typed caption (text-to-image; answered between steps, newest request first,
    /// with [`Event::Captioned`]).
    Caption(Box<CaptionRequest>),
    /// Start a new run at step 0 on this setup, of the family the trainer runs (a loaded
    /// preset); a GAN trainer takes [`RunSetup::Gan`] as it takes [`Command::Restart`].
    Rebuild(Box<RunSetup>),
    /// Write a checkpoint (atomically).
    SaveCheckpoint(PathBuf),
    /// Write a checkpoint (atomically) as a crash copy: no answer unless it fails, and it does
    /// not count as the user's save.
    SaveRecovery(PathBuf),
    /// Continue from a checkpoint of the same architecture.
    LoadCheckpoint(PathBuf),
    /// After divergence: go back to the state before the step that diverged.
    RestoreLastGood,
    /// Start the run again from step 0; `Some(seed)` changes the seed.
    Reset { seed: Option<u64> },
    /// 2D data: evaluate D on a `resolution`² grid over `bounds`, D's gradient at the
    /// snapshot's points and G's manifold (answered between steps, like renders). In slow
    /// motion and after single steps the trainer sends these layers again after every update,
    /// over the bounds last asked for, so that each D and G update can be watched.
    DField {
        resolution: u32,
        bounds: PlaneBounds,
    },
    /// Slow motion: wait this long between updates while playing (0: full speed), showing
    /// each D and each G update. Commands are still handled at once during the wait.
    SetPace { millis: u32 },
    /// End the trainer thread.
    Stop,
}

/// Latent vectors to map through the generator.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderRequest {
    /// Echoed in the answer, so the driver can match it.
    pub id: u64,
    /// `n × latent_dim` values, vector after vector.
    pub latents: Vec<f32>,
    /// One class per vector for conditional models (ignored otherwise).
    pub classes: Vec<u32>,
}

/// An image of one domain to translate into the other and back.
#[derive(Clone, Debug, PartialEq)]
pub struct TranslateRequest {
    /// Echoed in the answer, so the driver can match it.
    pub id: u64,
    /// A → B (else B → A).
    pub a_to_b: bool,
    /// The image in the source domain's shape (channels × side², channel-major, in [-1, 1]).
    pub pixels: Vec<f32>,
}

/// What to upscale, and with which weights.
#[derive(Clone, Debug, PartialEq)]
pub struct UpscaleRequest {
    /// Echoed in the answer, so the driver can match it.
    pub id: u64,
    /// 0: the pixel network; 1: the GAN network; between: a mix of their weights.
    pub mix: f32,
    /// The user's own image (low-res input, the run's channels), besides the held-out ones.
    pub own: Option<Picture>,
}

/// The answer to [`Command::Upscale`].
#[derive(Clone, Debug, PartialEq)]
pub struct Upscaled {
    pub id: u64,
    /// The mix the outputs were made with (the pixel network's before the GAN stage).
    pub mix: f32,
    /// The step of the weights used.
    pub step: u64,
    /// The held-out images of the comparison snapshot, upscaled with the mix.
    pub held: Samples,
    /// The user's image: its bicubic upscale and the network's.
    pub own: Option<[Picture; 2]>,
}

/// One of a translation family's two domains, as the run holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainInfo {
    pub name: String,
    pub channels: usize,
    pub side: usize,
    /// Training images (held-out ones not counted).
    pub images: usize,
}

impl DomainInfo {
    /// Values per image.
    pub fn len(&self) -> usize {
        self.channels * self.side * self.side
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether the trainer is stepping on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    Running,
    Paused,
}

/// Which update a [`StepStats`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// One update of the family's phase with this index (for a GAN, [`gan::D`] or [`gan::G`]).
    Phase(usize),
    /// A whole round: every phase, as the configuration says.
    Round,
}

/// Statistics of one update or round: the family's curves, in the order its description
/// lists them. Values not measured by this kind of step are NaN.
#[derive(Clone, Debug, PartialEq)]
pub struct StepStats {
    /// Completed rounds after this update.
    pub step: u64,
    pub kind: StepKind,
    /// The family whose curves `values` holds.
    pub family: &'static FamilyDescription,
    pub values: Vec<f32>,
    /// Wall time of the update(s), in milliseconds.
    pub millis: f32,
}

/// What a run was built from: its family's configuration.
#[derive(Clone, Debug, PartialEq)]
pub enum RunSetup {
    /// A GAN (vanilla, DCGAN, cGAN, …) with its objective and tricks.
    Gan(Box<TrainConfig>),
    /// A CycleGAN preset (its two domains, networks and losses).
    Cycle(Box<CyclePreset>),
    /// A super-resolution preset (its images, scale, networks and losses).
    Superres(Box<SrPreset>),
    /// A StyleGAN preset (its images, networks and training).
    Style(Box<StylePreset>),
    /// A text-to-image preset (its digits, scenes, encoder, networks and training).
    Captions(Box<CaptionPreset>),
}

impl RunInfo {
    /// The GAN configuration, when the run is a GAN.
    pub fn gan(&self) -> Option<&TrainConfig> {
        match &self.setup {
            RunSetup::Gan(c) => Some(c),
            RunSetup::Cycle(_)
            | RunSetup::Superres(_)
            | RunSetup::Style(_)
            | RunSetup::Captions(_) => None,
        }
    }

    /// The seed the run was built with.
    pub fn seed(&self) -> u64 {
        match &self.setup {
            RunSetup::Gan(c) => c.train.seed,
            RunSetup::Cycle(p) => p.cyclegan.seed,
            RunSetup::Superres(p) => p.superres.seed,
            RunSetup::Style(p) => p.stylegan.seed,
            RunSetup::Captions(p) => p.captions.seed,
        }
    }

    /// Whether this starts a new history (a new run, a reset, a restart, a loaded checkpoint);
    /// false when a live configuration change kept the run going.
    pub fn fresh(&self) -> bool {
        self.origin != RunOrigin::Continued
    }
}

impl StepStats {
    /// Statistics of `family` with nothing measured yet (every value NaN, no wall time).
    pub fn unmeasured(family: &'static FamilyDescription, step: u64, kind: StepKind) -> Self {
        Self {
            step,
            kind,
            family,
            values: vec![f32::NAN; family.curves.len()],
            millis: 0.0,
        }
    }

    /// A GAN round's statistics from its six curves, in the order of [`gan::DESCRIPTION`]
    /// (G loss, D loss, D(real), D(fake), G and D gradient norms; no wall time).
    pub fn gan_round(step: u64, curves: [f32; 6]) -> Self {
        Self {
            values: curves.to_vec(),
            ..Self::unmeasured(&gan::DESCRIPTION, step, StepKind::Round)
        }
    }

    /// Curve `i` of the family's description (NaN when out of range).
    pub fn value(&self, i: usize) -> f32 {
        self.values.get(i).copied().unwrap_or(f32::NAN)
    }

    /// The curve named `key` ("d_real"), if the family reports one.
    pub fn get(&self, key: &str) -> Option<f32> {
        self.family.curve_index(key).map(|i| self.value(i))
    }

    /// Each curve's key with its value, in the description's order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, f32)> + '_ {
        self.family
            .curves
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key, self.value(i)))
    }
}

/// Generated samples as plain numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// `n × len` values: points (x, y) or images (C×H×W in [-1, 1]).
    pub values: Vec<f32>,
    /// Values per sample.
    pub len: usize,
    /// Image channels and side (0 for points).
    pub channels: usize,
    pub side: usize,
    /// The class of each sample for conditional models (empty otherwise).
    pub classes: Vec<u32>,
}

impl Samples {
    /// Number of samples.
    pub fn count(&self) -> usize {
        self.values.len() / self.len.max(1)
    }
}

/// One value of a named metric at a step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    pub name: String,
    pub step: u64,
    pub value: f64,
}

/// What a histogram of generated samples counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistogramKind {
    /// High-quality samples per mode of a 2D mixture.
    Modes,
    /// Samples per class, as the dataset's classifier sees them.
    Classes,
}

/// How generated samples spread over the data's modes or classes (the mode map, the class
/// histogram).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub kind: HistogramKind,
    /// A name per bin ("mode 3", a class name).
    pub labels: Vec<String>,
    pub counts: Vec<usize>,
    /// Samples evaluated (bins need not add up to it: low-quality 2D samples are in none).
    pub total: usize,
    /// The share of `total` a bin needs to count as covered.
    pub covered_share: f64,
    /// Conditional models: per class, the share of samples generated for it that look like it.
    pub accuracy: Vec<f64>,
}

impl Histogram {
    /// Whether bin `i` holds enough samples to count as covered.
    pub fn covered(&self, i: usize) -> bool {
        let c = self.counts.get(i).copied().unwrap_or(0);
        c > 0 && c as f64 >= self.covered_share * self.total as f64
    }

    /// The covered bins.
    pub fn covered_bins(&self) -> Vec<usize> {
        (0..self.counts.len())
            .filter(|&i| self.covered(i))
            .collect()
    }
}

/// The metrics of one evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    pub step: u64,
    pub values: Vec<MetricValue>,
    pub histogram: Option<Histogram>,
}

impl MetricsReport {
    /// The value of a named metric.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|v| v.name == name).map(|v| v.value)
    }
}

/// Where the dataset's classifier (behind the class metrics) stands.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassifierStatus {
    /// Being trained on the dataset's labels; fraction done.
    Training { fraction: f32 },
    Ready {
        /// Accuracy on held-out images of the dataset.
        accuracy: f64,
        held_out: usize,
        /// Mean confidence on those real held-out images (the reference for generated ones).
        held_out_confidence: f64,
        /// Seconds training took (0 when it came from the cache).
        train_secs: f64,
        from_cache: bool,
    },
    /// No class metrics for this data (no labels, too small), and why.
    Unavailable(String),
}

/// A rectangle of the 2D plane: x from `min[0]` to `max[0]`, y from `min[1]` to `max[1]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlaneBounds {
    pub min: [f32; 2],
    pub max: [f32; 2],
}

impl PlaneBounds {
    /// The square [-extent, extent]².
    pub fn square(extent: f32) -> Self {
        Self {
            min: [-extent, -extent],
            max: [extent, extent],
        }
    }

    /// Whether both sides are finite and of positive length.
    pub fn is_valid(&self) -> bool {
        (0..2).all(|i| {
            self.min[i].is_finite() && self.max[i].is_finite() && self.max[i] > self.min[i]
        })
    }

    /// The longer side's length.
    pub fn span(&self) -> f32 {
        (self.max[0] - self.min[0]).max(self.max[1] - self.min[1])
    }
}

/// What the 2D view draws besides the points, at `step`: D's output on a `resolution`² grid
/// over `bounds` (row-major, y from top to bottom, on the scale of `d_real`); D's gradient at
/// each of the snapshot's generated `points` (the way G pushes them); G's `manifold`, a
/// `manifold_side`² mesh of outputs, row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaneLayers {
    pub step: u64,
    /// The update these layers follow: the round's kind of update in slow motion (a D update
    /// changes the field, a G update moves the points).
    pub after: Option<StepKind>,
    pub resolution: u32,
    pub bounds: PlaneBounds,
    pub values: Vec<f32>,
    pub points: Vec<f32>,
    pub arrows: Vec<f32>,
    pub manifold: Vec<f32>,
    pub manifold_side: usize,
    /// How long the trainer took to compute these layers, in ms (the window spaces its
    /// requests by it, so that drawing the view does not slow training).
    pub compute_ms: f32,
}

/// Why a run description was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOrigin {
    /// The trainer's first run.
    Built,
    /// Reset, with the same or a new seed.
    Reset,
    /// A change to what is learned (data, architecture, objective, seed) or a loaded preset
    /// started a new run at step 0.
    Restarted,
    /// A checkpoint was loaded.
    Loaded,
    /// A live change (a trick, a learning rate) kept the run going.
    Continued,
}

/// What the trainer is running on and with.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Why this was sent.
    pub origin: RunOrigin,
    /// "wgpu: NVIDIA H100 (Vulkan)" or "CPU (flex)".
    pub backend: String,
    /// Why a requested GPU was not used, if it was not.
    pub fallback_note: Option<String>,
    /// What the run was built from (the family's own configuration).
    pub setup: RunSetup,
    /// The model family: its phases (the step buttons) and its curves (the plots).
    pub family: &'static FamilyDescription,
    /// Notes from loading the data (skipped files).
    pub data_notes: Vec<String>,
    pub sample_len: usize,
    pub channels: usize,
    pub side: usize,
    pub classes: usize,
    pub class_names: Vec<String>,
    pub g_params: usize,
    pub d_params: usize,
    /// A few hundred real samples, for drawing beside the generated ones.
    pub real_preview: Samples,
    /// 2D mixtures: the modes' centres and their standard deviation (the mode map).
    pub modes: Vec<[f32; 2]>,
    pub mode_std: f32,
    /// Translation families: domain A, then domain B (empty for a GAN).
    pub domains: Vec<DomainInfo>,
    /// What each row of a snapshot shows, where the family says (text-to-image: the
    /// caption); empty otherwise.
    pub rows: Vec<String>,
}

/// What the trainer reports.
#[derive(Clone, Debug)]
pub enum Event {
    /// A run was built (at start, after a reset or a config change that rebuilt it).
    Ready(Box<RunInfo>),
    State(RunState),
    Step(StepStats),
    /// Samples on the fixed noise, every `train.sample_every` rounds.
    Snapshot {
        step: u64,
        samples: Samples,
    },
    Metrics(MetricsReport),
    /// Progress or result of the classifier behind the class metrics (image data).
    Classifier(ClassifierStatus),
    Rendered {
        id: u64,
        samples: Samples,
    },
    /// The answer to [`Command::Translate`]: the translation and its way back.
    Translated {
        id: u64,
        a_to_b: bool,
        input: Samples,
        forward: Samples,
        back: Samples,
    },
    /// The answer to [`Command::Upscale`].
    Upscaled(Box<Upscaled>),
    /// The answer to [`Command::Style`].
    Styled(Box<StyleAnswer>),
    /// The answer to [`Command::Caption`].
    Captioned(Box<CaptionAnswer>),
    /// The 2D view's layers (answer to `Command::DField`).
    DField(Box<PlaneLayers>),
    /// A config change was applied; the notes say what changed and what was rebuilt.
    ConfigApplied {
        notes: Vec<String>,
    },
    /// A loss, gradient or weight became NaN/Inf at `step`; training paused.
    Diverged {
        step: u64,
        what: String,
    },
    Restored {
        step: u64,
    },
    CheckpointSaved {
        path: PathBuf,
        step: u64,
    },
    CheckpointLoaded {
        path: PathBuf,
        step: u64,
    },
    /// The curves and evaluations that led to a loaded checkpoint (sent after its `Ready`).
    History {
        stats: Vec<StepStats>,
        reports: Vec<MetricsReport>,
    },
    /// A command failed; the run is unchanged.
    Error(String),
    /// No run could be built from `config` (its data could not be loaded, say): the trainer
    /// has no run until a configuration that builds arrives.
    BuildFailed {
        config: Box<TrainConfig>,
        error: String,
    },
    /// Training stopped on an internal error (a bug, not the user's input): the run is kept
    /// as it was before the failing update, and Reset starts it again.
    Crashed {
        step: u64,
        what: String,
    },
    Stopped,
}
