//! The super-resolution family: a generator that turns a low-res image into one `scale` times
//! larger, trained in two stages as SRGAN and ESRGAN are. Stage 1 trains the *pixel network*
//! on L1 alone (SRResNet's training: the best PSNR, and blurry); at `pixel_steps` the *GAN
//! network* starts as a copy of it and trains against a critic with adversarial, pixel and
//! feature losses (sharper, and a lower PSNR: the perception–distortion trade-off) while the
//! pixel network trains on beside it, so that both have had as many updates. The critic trains
//! from the start, in stage 1 against the pixel network's outputs. Both networks are kept; mixing their weights (ESRGAN's network interpolation) moves between them.
//!
//! There is no pretrained VGG offline, so the feature loss compares the critic's own features
//! (its two downsampling layers' activations) of the output and of the ground truth.

pub mod checkpoint;
pub mod compare;
pub mod evaluate;
pub mod nets;
pub mod pairs;
pub mod preset;
pub mod quality;
pub mod resize;
pub mod run;
pub mod tiles;

use crate::engine::config::Objective;
use crate::engine::family::{CurveSpec, FamilyDescription, PhaseSpec, PlotSpec};

/// The pixel network's L1 update (stage 1).
pub const PIXEL: usize = 0;
/// The critic's update (against the pixel network's outputs in stage 1, the GAN network's in
/// stage 2).
pub const CRITIC: usize = 1;
/// The GAN network's update (stage 2).
pub const GAN: usize = 2;

/// Curve indices, in the order of [`DESCRIPTION`].
pub const PIXEL_L1: usize = 0;
pub const GAN_L1: usize = 1;
pub const GAN_FEATURE: usize = 2;
pub const GAN_ADV: usize = 3;
pub const D_LOSS: usize = 4;
pub const D_REAL: usize = 5;
pub const D_FAKE: usize = 6;
pub const G_GRAD_NORM: usize = 7;
pub const D_GRAD_NORM: usize = 8;

const fn curve(key: &'static str, label: &'static str, plot: usize, headline: bool) -> CurveSpec {
    CurveSpec::new(key, label, plot, headline)
}

pub const DESCRIPTION: FamilyDescription = FamilyDescription {
    key: "superres",
    name: "Super-resolution",
    phases: &[
        PhaseSpec {
            key: "pixel",
            button: "Pixel step",
            hint: "One update of the pixel network on L1 alone (stage 1, SRResNet's training): only its weights move",
        },
        PhaseSpec {
            key: "critic",
            button: "Critic step",
            hint: "One critic update: high-res images against the outputs of the stage's network (the pixel network's until the GAN stage, then the GAN network's); only the critic's weights move",
        },
        PhaseSpec {
            key: "gan",
            button: "GAN step",
            hint: "One update of the GAN network on its adversarial, pixel and feature losses (starts the GAN stage if it has not started)",
        },
    ],
    plots: &[
        PlotSpec {
            id: "sr_l1",
            title: "L1 against the high-res image",
            hint: "Mean absolute error of each network's output on its training batch: the pixel network minimises only this; the GAN network trades some of it for realism",
        },
        PlotSpec {
            id: "sr_gan_losses",
            title: "GAN network: feature and adversarial losses",
            hint: "Feature: L1 between the critic's features of the output and of the ground truth (there is no pretrained VGG offline); adversarial: how far the critic is from taking the output for a real high-res image",
        },
        PlotSpec {
            id: "sr_critic",
            title: "Critic",
            hint: "The critic's loss, and its mean score of real high-res images and of the outputs it is shown (the pixel network's in stage 1, the GAN network's after)",
        },
        PlotSpec {
            id: "sr_grad_norms",
            title: "Gradient norms",
            hint: "L2 norm of the generator's (pixel or GAN network) and the critic's weight gradients in an update",
        },
    ],
    curves: &[
        curve("pixel_l1", "pixel network L1", 0, true),
        curve("gan_l1", "GAN network L1", 0, true),
        curve("gan_feature", "feature loss", 1, true),
        curve("gan_adv", "adversarial loss", 1, true),
        curve("d_loss", "critic loss", 2, true),
        curve("d_real", "mean score, real", 2, false),
        curve("d_fake", "mean score, output", 2, false),
        curve("g_grad_norm", "generator gradient norm", 3, false),
        curve("d_grad_norm", "critic gradient norm", 3, false),
    ],
};

/// Sizes of the networks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SrNets {
    /// 2 or 4.
    pub scale: usize,
    /// Channels of the generator's trunk.
    pub g_filters: usize,
    pub residual_blocks: usize,
    /// Each residual block's output is multiplied by this before it is added (EDSR, ESRGAN):
    /// deep stacks without batch norm stay stable.
    pub residual_scaling: f32,
    /// Channels of the critic's first layer (doubled twice).
    pub d_filters: usize,
}

/// Everything a super-resolution run is trained with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SrConfig {
    pub nets: SrNets,
    pub batch_size: usize,
    pub lr: f64,
    pub beta1: f32,
    pub beta2: f32,
    /// Rounds of stage 1 (pixel network, L1 only) before the GAN stage.
    pub pixel_steps: u64,
    /// Weights of the GAN network's losses.
    pub pixel_weight: f32,
    pub feature_weight: f32,
    pub adversarial_weight: f32,
    pub objective: Objective,
    /// Decay of the moving average of the GAN network's weights (0: off).
    pub ema: f32,
    pub seed: u64,
}

impl Default for SrConfig {
    fn default() -> Self {
        Self {
            nets: SrNets {
                scale: 4,
                g_filters: 32,
                residual_blocks: 4,
                residual_scaling: 0.2,
                d_filters: 16,
            },
            batch_size: 16,
            lr: 2e-4,
            beta1: 0.9,
            beta2: 0.999,
            pixel_steps: 1000,
            pixel_weight: 0.01,
            feature_weight: 1.0,
            adversarial_weight: 0.01,
            objective: Objective::LeastSquares,
            ema: 0.999,
            seed: 1,
        }
    }
}

/// What went wrong in an update's statistics, if anything: an infinite value, or a loss the
/// update measures that came out NaN (unmeasured curves are NaN by design). `gan_stage`:
/// whether the run is in its GAN stage (a round then updates the GAN network and the critic,
/// else the pixel network).
pub fn divergence(
    stats: &crate::engine::trainer::protocol::StepStats,
    gan_stage: bool,
) -> Option<String> {
    use crate::engine::trainer::protocol::StepKind;
    let measured: &[usize] = match stats.kind {
        StepKind::Round if gan_stage => &[PIXEL_L1, GAN_L1, D_LOSS],
        StepKind::Round => &[PIXEL_L1, D_LOSS],
        StepKind::Phase(PIXEL) => &[PIXEL_L1],
        StepKind::Phase(CRITIC) => &[D_LOSS],
        StepKind::Phase(_) => &[GAN_L1],
    };
    crate::engine::family::divergence_of(stats, &DESCRIPTION, measured)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trainer::protocol::{StepKind, StepStats};

    #[test]
    fn the_description_names_every_curve_index() {
        let d = &DESCRIPTION;
        assert_eq!(d.curves.len(), 9);
        for (i, key) in [
            (PIXEL_L1, "pixel_l1"),
            (GAN_ADV, "gan_adv"),
            (D_FAKE, "d_fake"),
            (D_GRAD_NORM, "d_grad_norm"),
        ] {
            assert_eq!(d.curve_index(key), Some(i));
        }
        assert_eq!(d.phases[PIXEL].key, "pixel");
        assert_eq!(d.phases[GAN].key, "gan");
    }

    #[test]
    fn a_nan_counts_only_where_the_update_measured_it() {
        let named = |stats: &StepStats, gan: bool| divergence(stats, gan);
        let mut stats = StepStats::unmeasured(&DESCRIPTION, 3, StepKind::Round);
        assert_eq!(named(&stats, false).as_deref(), Some("pixel_l1 became NaN"));
        stats.values[PIXEL_L1] = 0.5;
        // Stage 1 trains the critic too.
        assert_eq!(named(&stats, false).as_deref(), Some("d_loss became NaN"));
        stats.values[D_LOSS] = 0.7;
        assert_eq!(
            named(&stats, false),
            None,
            "the GAN's curves are not measured"
        );
        assert_eq!(named(&stats, true).as_deref(), Some("gan_l1 became NaN"));
        stats.values[GAN_L1] = 0.5;
        assert_eq!(named(&stats, true), None);
        stats.values[D_REAL] = f32::INFINITY;
        assert_eq!(named(&stats, true).as_deref(), Some("d_real became inf"));
        let critic = StepStats::unmeasured(&DESCRIPTION, 3, StepKind::Phase(CRITIC));
        assert_eq!(named(&critic, true).as_deref(), Some("d_loss became NaN"));
        let pixel = StepStats::unmeasured(&DESCRIPTION, 3, StepKind::Phase(PIXEL));
        assert_eq!(named(&pixel, true).as_deref(), Some("pixel_l1 became NaN"));
    }
}
