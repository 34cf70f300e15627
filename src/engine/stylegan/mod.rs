//! A small StyleGAN (issue 16): a mapping network z → w, a synthesis network of modulated
//! convolutions fed one style per layer with per-pixel noise, a resnet discriminator with the
//! minibatch standard deviation, R1 regularisation without double backward, style mixing,
//! truncation around the running mean of w, and an EMA of the generator.

pub mod checkpoint;
pub mod critic;
pub mod directions;
pub mod generator;
pub mod layers;
pub mod path_length;
pub mod preset;
pub mod r1;
pub mod run;

use crate::engine::family::{CurveSpec, FamilyDescription, PhaseSpec, PlotSpec};
use crate::engine::trainer::protocol::{StepKind, StepStats};

/// The critic's update.
pub const CRITIC: usize = 0;
/// The generator's update.
pub const GENERATOR: usize = 1;

/// Curve indices, in the order of [`DESCRIPTION`].
pub const D_LOSS: usize = 0;
pub const G_LOSS: usize = 1;
pub const D_REAL: usize = 2;
pub const D_FAKE: usize = 3;
pub const R1: usize = 4;

const fn curve(key: &'static str, label: &'static str, plot: usize, headline: bool) -> CurveSpec {
    CurveSpec::new(key, label, plot, headline)
}

pub const DESCRIPTION: FamilyDescription = FamilyDescription {
    key: "stylegan",
    name: "StyleGAN",
    phases: &[
        PhaseSpec {
            key: "critic",
            button: "D step",
            hint: "One critic update: real images against the generator's (logistic loss; R1 on every r1_every-th update); only the critic's weights move",
        },
        PhaseSpec {
            key: "generator",
            button: "G step",
            hint: "One generator update (mapping and synthesis networks; styles mixed with the style_mixing probability); only the generator's weights move",
        },
    ],
    plots: &[
        PlotSpec {
            id: "style_losses",
            title: "Losses",
            hint: "The critic's logistic loss and the generator's non-saturating loss",
        },
        PlotSpec {
            id: "style_critic",
            title: "Critic",
            hint: "The critic's mean logit on real and on generated images, and R1 = γ/2·E‖∇D(real)‖² when it was measured (every r1_every-th critic update)",
        },
    ],
    curves: &[
        curve("d_loss", "D loss", 0, true),
        curve("g_loss", "G loss", 0, true),
        curve("d_real", "mean logit, real", 1, false),
        curve("d_fake", "mean logit, generated", 1, false),
        curve("r1", "R1 penalty", 1, false),
    ],
};

/// What went wrong in an update's statistics: an infinite value, or a loss the update
/// measures that came out NaN (unmeasured curves are NaN by design).
pub fn divergence(stats: &StepStats) -> Option<String> {
    let measured: &[usize] = match stats.kind {
        StepKind::Round => &[D_LOSS, G_LOSS],
        StepKind::Phase(CRITIC) => &[D_LOSS],
        StepKind::Phase(_) => &[G_LOSS],
    };
    crate::engine::family::divergence_of(stats, &DESCRIPTION, measured)
}
pub mod explore;
pub mod steps;
pub mod studio;
