//! What a model family tells its drivers once, as plain data: the update phases its step
//! buttons run, the curves it reports at every update and the plots they are grouped in. The
//! trainer, the CLI, the window and the checkpoint's run log work from this description, so a
//! new family (CycleGAN's two generators and two critics, say) brings its own phases and curves
//! without a driver naming them.

/// One update phase: what a step button runs ("D step" for a GAN's critic update).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseSpec {
    /// Stable name, in logs and tests ("d").
    pub key: &'static str,
    /// The step button's text ("D step").
    pub button: &'static str,
    /// What the button does, for its tooltip.
    pub hint: &'static str,
}

/// A plot that groups some of the curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotSpec {
    /// Stable id (egui keeps each plot's zoom under it).
    pub id: &'static str,
    /// The heading over the plot.
    pub title: &'static str,
    /// What to read in it, for the heading's tooltip.
    pub hint: &'static str,
}

/// A curve reported at every update (NaN where an update does not measure it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurveSpec {
    /// Stable name: CSV columns, the CLI's metric names ("g_loss").
    pub key: &'static str,
    /// The legend's text ("G loss").
    pub label: &'static str,
    /// Index into [`FamilyDescription::plots`].
    pub plot: usize,
    /// Whether it sums up a round: the Compare tab offers it and the CLI writes it to its
    /// metrics CSV (a GAN's losses and D outputs; gradient norms are for the plots).
    pub headline: bool,
}

impl CurveSpec {
    pub const fn new(key: &'static str, label: &'static str, plot: usize, headline: bool) -> Self {
        Self {
            key,
            label,
            plot,
            headline,
        }
    }
}

/// Everything a driver needs to know of a family to step it and show what it reports.
#[derive(Debug, PartialEq, Eq)]
pub struct FamilyDescription {
    /// Stable name, as presets and checkpoints spell it ("gan").
    pub key: &'static str,
    /// What the window calls it.
    pub name: &'static str,
    pub phases: &'static [PhaseSpec],
    pub plots: &'static [PlotSpec],
    /// In the order of [`StepStats::values`](crate::engine::trainer::protocol::StepStats).
    pub curves: &'static [CurveSpec],
}

impl FamilyDescription {
    /// The index of the curve named `key`.
    pub fn curve_index(&self, key: &str) -> Option<usize> {
        self.curves.iter().position(|c| c.key == key)
    }

    /// The curves drawn in plot `plot`, with their indices.
    pub fn curves_in(&self, plot: usize) -> impl Iterator<Item = (usize, &'static CurveSpec)> {
        self.curves
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.plot == plot)
    }

    /// The family named `key` ("gan"), if this ganvas knows it.
    pub fn named(key: &str) -> Option<&'static FamilyDescription> {
        FAMILIES.iter().copied().find(|f| f.key == key)
    }
}

/// Every family this ganvas trains.
pub const FAMILIES: &[&FamilyDescription] = &[&gan::DESCRIPTION];

/// The GAN family (GAN, DCGAN, cGAN and every objective and trick on them): one generator,
/// one discriminator or critic.
pub mod gan {
    use super::{CurveSpec, FamilyDescription, PhaseSpec, PlotSpec};

    /// The discriminator's update phase.
    pub const D: usize = 0;
    /// The generator's update phase.
    pub const G: usize = 1;

    /// Curve indices, in the order the first checkpoint format stored them.
    pub const G_LOSS: usize = 0;
    pub const D_LOSS: usize = 1;
    pub const D_REAL: usize = 2;
    pub const D_FAKE: usize = 3;
    pub const G_GRAD_NORM: usize = 4;
    pub const D_GRAD_NORM: usize = 5;

    const fn curve(
        key: &'static str,
        label: &'static str,
        plot: usize,
        headline: bool,
    ) -> CurveSpec {
        CurveSpec::new(key, label, plot, headline)
    }

    pub const DESCRIPTION: FamilyDescription = FamilyDescription {
        key: "gan",
        name: "GAN",
        phases: &[
            PhaseSpec {
                key: "d",
                button: "D step",
                hint: "One discriminator update: only D's weights move (watch D's heatmap change)",
            },
            PhaseSpec {
                key: "g",
                button: "G step",
                hint: "One generator update: only G's weights move (watch the orange points follow D's gradient)",
            },
        ],
        plots: &[
            PlotSpec {
                id: "losses",
                title: "Losses",
                hint: "Click a legend entry to hide its curve; drag to pan, scroll to zoom, double-click to reset",
            },
            PlotSpec {
                id: "d_outputs",
                title: "D's output on real and generated samples",
                hint: "Mean D output per batch: a probability for the cross-entropy objectives, a score for the critics",
            },
            PlotSpec {
                id: "grad_norms",
                title: "Gradient norms",
                hint: "L2 norm of all of G's (D's) weight gradients in an update: vanishing or exploding gradients show here",
            },
        ],
        curves: &[
            curve("g_loss", "G loss", 0, true),
            curve("d_loss", "D loss", 0, true),
            curve("d_real", "mean D(real)", 1, true),
            curve("d_fake", "mean D(fake)", 1, true),
            curve("g_grad_norm", "G gradient norm", 2, false),
            curve("d_grad_norm", "D gradient norm", 2, false),
        ],
    };
}

/// What went wrong in an update's statistics, if anything: an infinite value, or one of the
/// `measured` curves (those this update computes) came out NaN. Unmeasured curves are NaN by
/// design and do not count. Each family says which curves an update measures.
pub fn divergence_of(
    stats: &crate::engine::trainer::protocol::StepStats,
    family: &FamilyDescription,
    measured: &[usize],
) -> Option<String> {
    if let Some((key, v)) = stats.named().find(|(_, v)| v.is_infinite()) {
        return Some(format!("{key} became {v}"));
    }
    measured
        .iter()
        .find(|&&i| stats.value(i).is_nan())
        .map(|&i| format!("{} became NaN", family.curves[i].key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_consistent() {
        let coming = [
            &crate::engine::cyclegan::DESCRIPTION,
            &crate::engine::superres::DESCRIPTION,
            &crate::engine::stylegan::DESCRIPTION,
            &crate::engine::captions::DESCRIPTION,
        ];
        for f in FAMILIES.iter().chain(&coming) {
            assert!(!f.phases.is_empty() && !f.curves.is_empty(), "{}", f.key);
            assert!(f.phases.len() < 255, "phase 255 is the run log's round");
            assert!(f.curves.iter().all(|c| c.plot < f.plots.len()), "{}", f.key);
            let mut keys: Vec<_> = f.curves.iter().map(|c| c.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), f.curves.len(), "{}: curve keys repeat", f.key);
        }
        for f in FAMILIES {
            assert_eq!(FamilyDescription::named(f.key), Some(*f));
        }
        assert_eq!(FamilyDescription::named("stylegan-9"), None);
    }

    #[test]
    fn the_gan_curves_keep_the_first_formats_order() {
        let g = &gan::DESCRIPTION;
        let order = [
            "g_loss",
            "d_loss",
            "d_real",
            "d_fake",
            "g_grad_norm",
            "d_grad_norm",
        ];
        for (i, key) in order.iter().enumerate() {
            assert_eq!(g.curve_index(key), Some(i));
        }
        assert_eq!(g.curve_index("d_real"), Some(gan::D_REAL));
        let in_losses: Vec<_> = g.curves_in(0).map(|(i, _)| i).collect();
        assert_eq!(in_losses, vec![gan::G_LOSS, gan::D_LOSS]);
        assert_eq!(g.phases[gan::D].button, "D step");
        assert_eq!(g.phases[gan::G].key, "g");
    }

    #[test]
    fn divergence_names_an_infinite_curve_or_a_measured_nan_only() {
        use crate::engine::trainer::protocol::{StepKind, StepStats};
        let family = &crate::engine::captions::DESCRIPTION;
        let mut stats = StepStats::unmeasured(family, 1, StepKind::Round);
        stats.values[0] = 0.5;
        assert_eq!(
            divergence_of(&stats, family, &[0]),
            None,
            "unmeasured NaNs are fine"
        );
        assert_eq!(
            divergence_of(&stats, family, &[0, 1]).as_deref(),
            Some("g_loss became NaN")
        );
        stats.values[4] = f32::INFINITY;
        assert_eq!(
            divergence_of(&stats, family, &[0]).as_deref(),
            Some("d_fake became inf")
        );
    }
}
