//! The CycleGAN family: unpaired image-to-image translation between two domains with two
//! generators (G_AB, G_BA) and two critics (D_A, D_B), least-squares adversarial losses, a
//! cycle loss (G_BA(G_AB(a)) ≈ a, and back) and an identity loss, Adam with linear decay and a
//! replay buffer of past fakes (Zhu et al. 2017; the reference implementation's defaults).

pub mod checkpoint;
pub mod evaluate;
pub mod guide;
pub mod loss;
pub mod metrics;
pub mod nets;
pub mod preset;
pub mod replay;
pub mod run;
pub mod strips;

use crate::engine::config::Objective;
use crate::engine::family::{CurveSpec, FamilyDescription, PhaseSpec, PlotSpec};
pub use nets::NetSpec;

/// The critics' update phase.
pub const CRITICS: usize = 0;
/// The generators' update phase.
pub const GENERATORS: usize = 1;

/// Curve indices, in the order of [`DESCRIPTION`].
pub const D_A_LOSS: usize = 0;
pub const D_B_LOSS: usize = 1;
pub const G_AB_ADV: usize = 2;
pub const G_BA_ADV: usize = 3;
pub const CYCLE_A: usize = 4;
pub const CYCLE_B: usize = 5;
pub const IDENTITY_A: usize = 6;
pub const IDENTITY_B: usize = 7;
pub const G_GRAD_NORM: usize = 8;
pub const D_GRAD_NORM: usize = 9;
pub const SEMANTIC_AB: usize = 10;
pub const SEMANTIC_BA: usize = 11;

const fn curve(key: &'static str, label: &'static str, plot: usize, headline: bool) -> CurveSpec {
    CurveSpec::new(key, label, plot, headline)
}

pub const DESCRIPTION: FamilyDescription = FamilyDescription {
    key: "cyclegan",
    name: "CycleGAN",
    phases: &[
        PhaseSpec {
            key: "critics",
            button: "Critics step",
            hint: "One update of both critics, D_A and D_B, on real images and (replayed) translations: only the critics' weights move",
        },
        PhaseSpec {
            key: "generators",
            button: "Generators step",
            hint: "One update of both generators, G_AB and G_BA, on the adversarial, cycle and identity losses: only the generators' weights move",
        },
    ],
    plots: &[
        PlotSpec {
            id: "critic_losses",
            title: "Critics' losses",
            hint: "Least-squares loss of D_A (real A against G_BA's translations) and D_B (real B against G_AB's)",
        },
        PlotSpec {
            id: "generator_losses",
            title: "Generators' losses",
            hint: "Adversarial: how far each generator's translations are from what its critic scores as real; semantic (when on): how far the target domain's guide classifier is from giving each translation its input's class",
        },
        PlotSpec {
            id: "cycle_identity",
            title: "Cycle and identity L1",
            hint: "Cycle: how well a translation there and back returns the input; identity: how little a generator changes an image that is already in its target domain",
        },
        PlotSpec {
            id: "cycle_grad_norms",
            title: "Gradient norms",
            hint: "L2 norm of all of the generators' (critics') weight gradients in an update",
        },
    ],
    curves: &[
        curve("d_a_loss", "D_A loss", 0, true),
        curve("d_b_loss", "D_B loss", 0, true),
        curve("g_ab_adv", "G_AB adversarial", 1, true),
        curve("g_ba_adv", "G_BA adversarial", 1, true),
        curve("cycle_a", "cycle L1 A->B->A", 2, true),
        curve("cycle_b", "cycle L1 B->A->B", 2, true),
        curve("identity_a", "identity L1 G_BA(a)", 2, false),
        curve("identity_b", "identity L1 G_AB(b)", 2, false),
        curve("g_grad_norm", "generators' gradient norm", 3, false),
        curve("d_grad_norm", "critics' gradient norm", 3, false),
        // Appended after the first ten (logs of older runs stop before them).
        curve("semantic_ab", "semantic CE G_AB", 1, true),
        curve("semantic_ba", "semantic CE G_BA", 1, true),
    ],
};

/// Linear decay of the learning rate to 0 over `steps` rounds from round `start` (the
/// reference keeps it constant for half the run, then decays it over the other half).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearDecay {
    pub start: u64,
    pub steps: u64,
}

/// Everything a CycleGAN run is trained with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CycleConfig {
    pub nets: NetSpec,
    pub batch_size: usize,
    /// Adam's learning rate and betas, for both generators and both critics.
    pub lr: f64,
    pub beta1: f32,
    pub beta2: f32,
    pub decay: Option<LinearDecay>,
    /// Weight of the cycle loss (λ, 10 in the paper).
    pub lambda_cycle: f32,
    /// Weight of the identity loss relative to λ (0.5 in the paper; 0 turns it off). It needs
    /// both domains to have the same channels.
    pub identity: f32,
    /// Past fakes the critics draw from (50 in the paper; 0: none).
    pub replay: usize,
    /// Weight of the semantic-consistency loss (0: off, plain CycleGAN): a departure taken
    /// from CyCADA that keeps a translation's class (see [`guide`]). Needs labelled domains.
    pub semantic: f32,
    /// The adversarial loss (least squares in the paper; no gradient-penalty objective).
    pub objective: Objective,
    pub seed: u64,
}

impl Default for CycleConfig {
    fn default() -> Self {
        Self {
            nets: NetSpec {
                g_filters: 16,
                downsamplings: 2,
                residual_blocks: 3,
                d_filters: 16,
            },
            batch_size: 8,
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            decay: None,
            lambda_cycle: 10.0,
            identity: 0.5,
            replay: 50,
            semantic: 0.0,
            objective: Objective::LeastSquares,
            seed: 1,
        }
    }
}

impl CycleConfig {
    /// The learning rate at `step`.
    pub fn lr_at(&self, step: u64) -> f64 {
        match self.decay {
            Some(LinearDecay { start, steps }) if step > start => {
                let done = (step - start) as f64 / steps.max(1) as f64;
                self.lr * (1.0 - done).max(0.0)
            }
            _ => self.lr,
        }
    }
}

/// What went wrong in a CycleGAN update's statistics, if anything: an infinite value, or a
/// loss that the update measures (the cycle losses for the generators, the critics' losses
/// for the critics) came out NaN. Unmeasured curves are NaN by design and do not count.
pub fn divergence(stats: &crate::engine::trainer::protocol::StepStats) -> Option<String> {
    use crate::engine::trainer::protocol::StepKind;
    let generators = matches!(stats.kind, StepKind::Round | StepKind::Phase(GENERATORS));
    let critics = matches!(stats.kind, StepKind::Round | StepKind::Phase(CRITICS));
    let measured: Vec<usize> = [
        (CYCLE_A, generators),
        (CYCLE_B, generators),
        (D_A_LOSS, critics),
        (D_B_LOSS, critics),
    ]
    .into_iter()
    .filter_map(|(i, measured)| measured.then_some(i))
    .collect();
    crate::engine::family::divergence_of(stats, &DESCRIPTION, &measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_every_curve_index() {
        let d = &DESCRIPTION;
        assert_eq!(d.curves.len(), 12);
        for (i, key) in [
            (D_A_LOSS, "d_a_loss"),
            (CYCLE_B, "cycle_b"),
            (IDENTITY_A, "identity_a"),
            (D_GRAD_NORM, "d_grad_norm"),
            (SEMANTIC_BA, "semantic_ba"),
        ] {
            assert_eq!(d.curve_index(key), Some(i));
        }
        assert_eq!(d.phases[CRITICS].key, "critics");
        assert_eq!(d.phases[GENERATORS].key, "generators");
    }

    #[test]
    fn the_learning_rate_decays_linearly_to_zero() {
        let c = CycleConfig {
            decay: Some(LinearDecay {
                start: 100,
                steps: 50,
            }),
            ..CycleConfig::default()
        };
        assert_eq!(c.lr_at(0), 2e-4);
        assert_eq!(c.lr_at(100), 2e-4);
        assert!((c.lr_at(125) - 1e-4).abs() < 1e-12);
        assert_eq!(c.lr_at(150), 0.0);
        assert_eq!(c.lr_at(1000), 0.0);
    }
}
