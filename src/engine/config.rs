//! The training configuration: what a preset file holds (TOML, unknown fields rejected), what a
//! checkpoint stores, and what the trainer runs. `validate` is the second stage: it checks ranges
//! and combinations and names the offending field.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything that defines a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub data: DataConfig,
    #[serde(default)]
    pub model: ModelConfig,
    #[serde(default)]
    pub objective: Objective,
    #[serde(default)]
    pub train: TrainLoop,
    #[serde(default)]
    pub optimizer: Optimizers,
    #[serde(default)]
    pub tricks: Tricks,
}

/// Where real samples come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DataConfig {
    /// Gaussians on a circle (PacGAN: 8 modes, radius 1, σ 0.01).
    Ring {
        #[serde(default = "d_ring_modes")]
        modes: usize,
        #[serde(default = "d_one")]
        radius: f32,
        #[serde(default = "d_ring_std")]
        std: f32,
    },
    /// Gaussians on a square grid (PacGAN: 5×5 at {-4,-2,0,2,4}², σ 0.05).
    Grid {
        #[serde(default = "d_grid_side")]
        side: usize,
        #[serde(default = "d_grid_spacing")]
        spacing: f32,
        #[serde(default = "d_grid_std")]
        std: f32,
    },
    /// A two-armed spiral.
    Spiral {
        #[serde(default = "d_spiral_turns")]
        turns: f32,
        #[serde(default = "d_point_noise")]
        noise: f32,
    },
    /// Two interleaved half circles.
    Moons {
        #[serde(default = "d_point_noise")]
        noise: f32,
    },
    /// A segment from (-1, -1) to (1, 1).
    Line {
        #[serde(default = "d_point_noise")]
        noise: f32,
    },
    /// Gaussian blobs at random places (fixed by `layout_seed`).
    Clusters {
        #[serde(default = "d_clusters")]
        count: usize,
        #[serde(default = "d_cluster_std")]
        std: f32,
        #[serde(default)]
        layout_seed: u64,
    },
    /// The user's own points: a CSV file of `x,y` rows (a header line is allowed).
    Csv { path: PathBuf },
    /// Points given inline, e.g. drawn with the mouse in the window (saved with the preset).
    Drawn { points: Vec<[f32; 2]> },
    /// The embedded, procedurally drawn 28×28 digits (no files needed).
    Digits {
        #[serde(default = "d_digits_count")]
        count: usize,
    },
    /// MNIST-format IDX files (raw or .gz): MNIST, Fashion-MNIST, KMNIST, EMNIST.
    Idx {
        images: PathBuf,
        #[serde(default)]
        labels: Option<PathBuf>,
        /// Swap rows and columns of every image: EMNIST stores its images transposed.
        #[serde(default)]
        transpose: bool,
    },
    /// A folder of images; subfolder names become labels.
    ImageFolder {
        path: PathBuf,
        #[serde(default = "d_image_size")]
        size: usize,
        #[serde(default = "d_one_usize")]
        channels: usize,
    },
    /// CIFAR-10 binary batches (`data_batch_*.bin`).
    Cifar10 { files: Vec<PathBuf> },
}

impl DataConfig {
    /// Whether these are 2D points (as opposed to images).
    pub fn is_points(&self) -> bool {
        matches!(
            self,
            DataConfig::Ring { .. }
                | DataConfig::Grid { .. }
                | DataConfig::Spiral { .. }
                | DataConfig::Moons { .. }
                | DataConfig::Line { .. }
                | DataConfig::Clusters { .. }
                | DataConfig::Csv { .. }
                | DataConfig::Drawn { .. }
        )
    }
}

/// The generator/discriminator family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFamily {
    /// Fully connected G and D (2D data, or flattened images).
    Mlp,
    /// Transposed-convolution G, strided-convolution D (Radford et al.).
    Dcgan,
}

/// A hidden-layer non-linearity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Relu,
    LeakyRelu,
    Tanh,
}

/// The distribution G's latent vectors are drawn from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatentPrior {
    /// Standard normal in every coordinate.
    #[default]
    Gaussian,
    /// Uniform on [-1, 1] in every coordinate (the DCGAN paper and GAN Lab): no dense centre,
    /// so G can tile the cube without squeezing most of its mass into the middle.
    Uniform,
    /// A mixture of `latent_components` tight Gaussians (`latent_component_std`) around fixed N(0, I)
    /// centres (DeLiGAN, GM-GAN): G can send each component to its own mode without having to
    /// tear one blob apart, which eases collapse on many-mode data such as the 5×5 grid.
    Mixture,
}

/// Architecture of G and D.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    pub family: ModelFamily,
    pub latent_dim: usize,
    /// What the latent vectors are drawn from.
    pub latent_prior: LatentPrior,
    /// Components of the `mixture` prior (ignored by the others).
    pub latent_components: usize,
    /// Spread of each component of the `mixture` prior around its centre.
    pub latent_component_std: f32,
    /// cGAN: G and D both see the class label.
    pub conditional: bool,
    /// MLP: hidden layers in G and in D.
    pub depth: usize,
    /// MLP: units per hidden layer (of G, and of D unless `d_width` says otherwise).
    pub width: usize,
    /// MLP: units per hidden layer of D when it differs from G's (PacGAN's grid uses 400 / 200).
    pub d_width: Option<usize>,
    /// MLP: maxout in D's hidden layers (Goodfellow et al.; PacGAN's D): each unit is the
    /// largest of this many linear pieces. 1 means off (D uses `d_activation`).
    pub d_maxout_pieces: usize,
    pub g_activation: Activation,
    pub d_activation: Activation,
    /// Negative slope when an activation is `leaky-relu`.
    pub leaky_slope: f32,
    pub g_batch_norm: bool,
    pub d_batch_norm: bool,
    /// DCGAN: channels of the widest convolution (halved or doubled per layer).
    pub base_channels: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            family: ModelFamily::Mlp,
            latent_dim: 2,
            latent_prior: LatentPrior::Gaussian,
            latent_components: 50,
            latent_component_std: 0.1,
            conditional: false,
            depth: 3,
            width: 128,
            d_width: None,
            d_maxout_pieces: 1,
            g_activation: Activation::Relu,
            d_activation: Activation::Relu,
            leaky_slope: 0.2,
            g_batch_norm: false,
            d_batch_norm: false,
            base_channels: 64,
        }
    }
}

/// The adversarial objective.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Objective {
    /// Goodfellow's original minimax: G minimises log(1 − D(G(z))) (saturates early on).
    Minimax,
    /// G maximises log D(G(z)) instead: same fixed point, strong early gradients.
    #[default]
    NonSaturating,
    /// LSGAN: squared distance to the targets 1 (real) and 0 (fake).
    LeastSquares,
    /// WGAN: critic maximises E[D(x)] − E[D(G(z))], weights clipped to ±clip.
    Wgan {
        #[serde(default = "d_clip")]
        clip: f32,
    },
    /// WGAN-GP: the critic's input-gradient norm is pushed towards 1 on interpolates.
    WganGp {
        #[serde(default = "d_gp_lambda")]
        lambda: f32,
    },
    /// Hinge loss (SAGAN, BigGAN): max(0, 1 − D(x)) + max(0, 1 + D(G(z))).
    Hinge,
}

impl Objective {
    /// A short display name.
    pub fn name(&self) -> &'static str {
        match self {
            Objective::Minimax => "minimax",
            Objective::NonSaturating => "non-saturating",
            Objective::LeastSquares => "least-squares",
            Objective::Wgan { .. } => "wgan",
            Objective::WganGp { .. } => "wgan-gp",
            Objective::Hinge => "hinge",
        }
    }
}

/// Batch size, step ratios and reporting intervals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainLoop {
    pub batch_size: usize,
    pub seed: u64,
    /// D (critic) updates per round.
    pub d_steps: usize,
    /// G updates per round.
    pub g_steps: usize,
    /// Steps between fixed-noise sample snapshots.
    pub sample_every: usize,
    /// Steps between metric evaluations (2D mixtures).
    pub metrics_every: usize,
    /// How many fixed-noise samples a snapshot holds.
    pub snapshot_samples: usize,
    /// Steps a CLI run takes when `--steps` is not given.
    pub steps: usize,
}

impl Default for TrainLoop {
    fn default() -> Self {
        Self {
            batch_size: 256,
            seed: 0,
            d_steps: 1,
            g_steps: 1,
            sample_every: 100,
            metrics_every: 500,
            snapshot_samples: 512,
            steps: 5000,
        }
    }
}

/// One optimizer with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OptimizerConfig {
    Adam {
        lr: f64,
        #[serde(default = "d_beta1")]
        beta1: f32,
        #[serde(default = "d_beta2")]
        beta2: f32,
    },
    Sgd {
        lr: f64,
        #[serde(default)]
        momentum: f32,
    },
    Rmsprop {
        lr: f64,
        #[serde(default = "d_rms_alpha")]
        alpha: f32,
    },
}

impl OptimizerConfig {
    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Rmsprop { lr, .. } => lr,
        }
    }

    /// The same optimizer with another learning rate.
    pub fn with_lr(mut self, new_lr: f64) -> Self {
        match &mut self {
            OptimizerConfig::Adam { lr, .. }
            | OptimizerConfig::Sgd { lr, .. }
            | OptimizerConfig::Rmsprop { lr, .. } => *lr = new_lr,
        }
        self
    }

    /// Whether switching from `self` to `other` needs a fresh optimizer state.
    pub fn same_kind(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// G's and D's optimizers (separate learning rates give TTUR).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Optimizers {
    pub g: OptimizerConfig,
    pub d: OptimizerConfig,
}

impl Default for Optimizers {
    fn default() -> Self {
        let adam = OptimizerConfig::Adam {
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
        };
        Self { g: adam, d: adam }
    }
}

/// Stabilisation tricks; each can change between steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tricks {
    /// One-sided label smoothing: D's target for real samples is 1 − this.
    pub label_smoothing: f32,
    /// Std of Gaussian noise added to D's inputs (real and fake), at step 0.
    pub instance_noise: f32,
    /// Steps over which instance noise decays linearly to zero (0: constant).
    pub instance_noise_anneal_steps: usize,
    /// Dropout probability in D's hidden layers.
    pub d_dropout: f32,
    /// Spectral normalisation of D's weights (one power iteration per step).
    pub spectral_norm: bool,
    /// Append the batch's feature standard deviation to D's last hidden layer.
    pub minibatch_stddev: bool,
    /// PacGAN: D judges `pack` samples at once (1: off).
    pub pack: usize,
    /// Exponential moving average of G's weights for sampling (None: off).
    pub ema: Option<f32>,
    /// Truncation trick (BigGAN), for sampling only: latent values beyond ±this are drawn
    /// again for the sample grid, metrics and exports; training is unaffected (None: off).
    pub truncation: Option<f32>,
}

impl Default for Tricks {
    fn default() -> Self {
        Self {
            label_smoothing: 0.0,
            instance_noise: 0.0,
            instance_noise_anneal_steps: 0,
            d_dropout: 0.0,
            spectral_norm: false,
            minibatch_stddev: false,
            pack: 1,
            ema: None,
            truncation: None,
        }
    }
}

impl Tricks {
    /// Instance-noise std at `step`, after linear annealing.
    pub fn instance_noise_at(&self, step: u64) -> f32 {
        if self.instance_noise_anneal_steps == 0 {
            return self.instance_noise;
        }
        let left = 1.0 - step as f32 / self.instance_noise_anneal_steps as f32;
        self.instance_noise * left.max(0.0)
    }
}

fn d_ring_modes() -> usize {
    8
}
fn d_one() -> f32 {
    1.0
}
fn d_one_usize() -> usize {
    1
}
fn d_ring_std() -> f32 {
    0.01
}
fn d_grid_side() -> usize {
    5
}
fn d_grid_spacing() -> f32 {
    2.0
}
fn d_grid_std() -> f32 {
    0.05
}
fn d_spiral_turns() -> f32 {
    1.5
}
fn d_point_noise() -> f32 {
    0.05
}
fn d_clusters() -> usize {
    6
}
fn d_cluster_std() -> f32 {
    0.1
}
fn d_digits_count() -> usize {
    10_000
}
fn d_image_size() -> usize {
    28
}
fn d_clip() -> f32 {
    0.01
}
fn d_gp_lambda() -> f32 {
    10.0
}
fn d_beta1() -> f32 {
    0.5
}
fn d_beta2() -> f32 {
    0.999
}
fn d_rms_alpha() -> f32 {
    0.99
}
