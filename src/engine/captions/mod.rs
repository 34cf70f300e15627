//! Text-to-image on scenes ganvas makes itself (issue 17): digits placed on a canvas and
//! captions written from the same description ([`grammar`]), drawn from the embedded digits or
//! MNIST ([`render`]) into a dataset ([`scenes`]); the words a caption encoder reads
//! ([`vocab`]), the encoders ([`encoder`]), the conditioned GAN ([`nets`], [`run`]) and the
//! reader that checks a generated scene against its caption ([`reader`]).

pub mod ask;
pub mod caption_fid;
pub mod checkpoint;
pub mod encoder;
pub mod grammar;
pub mod layout;
pub mod nets;
pub mod place_likelihood;
pub mod preset;
pub mod reader;
pub mod render;
pub mod run;
pub mod scenes;
pub mod steps;
pub mod vocab;

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
pub const D_WRONG: usize = 3;
pub const D_FAKE: usize = 4;
pub const KL: usize = 5;
pub const PLACES_REAL: usize = 6;
pub const PLACES_FAKE: usize = 7;

pub const DESCRIPTION: FamilyDescription = FamilyDescription {
    key: "captions",
    name: "Text-to-image",
    phases: &[
        PhaseSpec {
            key: "critic",
            button: "D step",
            hint: "One critic update: real scenes with their captions against real scenes with a caption false of them and generated scenes with theirs (matching-aware); only the critic and its caption encoder move",
        },
        PhaseSpec {
            key: "generator",
            button: "G step",
            hint: "One generator update on training captions (non-saturating loss plus the conditioning augmentation's KL term); only the generator and its caption encoder move",
        },
    ],
    plots: &[
        PlotSpec {
            id: "caption_losses",
            title: "Losses",
            hint: "The critic's matching-aware loss and the generator's non-saturating loss",
        },
        PlotSpec {
            id: "caption_critic",
            title: "Critic",
            hint: "The critic's mean logit on real scenes with their own caption, with a wrong caption, and on generated scenes: the gap between the first two is how well it reads captions; and the conditioning augmentation's KL",
        },
        PlotSpec {
            id: "caption_places",
            title: "Auxiliary place labels",
            hint: "With the critic's auxiliary head (preset option places > 0): its cross-entropy naming each place's digit on real scenes (how well it reads them) and on generated scenes for their captions (how well the generator draws what it was asked); empty without the head",
        },
    ],
    curves: &[
        CurveSpec::new("d_loss", "D loss", 0, true),
        CurveSpec::new("g_loss", "G loss", 0, true),
        CurveSpec::new("d_real", "mean logit, real + its caption", 1, false),
        CurveSpec::new("d_wrong", "mean logit, real + wrong caption", 1, false),
        CurveSpec::new("d_fake", "mean logit, generated", 1, false),
        CurveSpec::new("kl", "conditioning KL", 1, false),
        CurveSpec::new("places_real", "place labels CE, real (aux)", 2, false),
        CurveSpec::new("places_fake", "place labels CE, generated (aux)", 2, false),
    ],
};

/// What went wrong in an update's statistics (see the StyleGAN family's).
pub fn divergence(stats: &StepStats) -> Option<String> {
    let measured: &[usize] = match stats.kind {
        StepKind::Round => &[D_LOSS, G_LOSS],
        StepKind::Phase(CRITIC) => &[D_LOSS],
        StepKind::Phase(_) => &[G_LOSS],
    };
    crate::engine::family::divergence_of(stats, &DESCRIPTION, measured)
}
