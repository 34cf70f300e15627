//! Mode-collapse metrics. For 2D mixtures (VEEGAN / PacGAN definitions): a sample is of high
//! quality when it lies within 3σ of its nearest mode; a mode counts as covered when at least
//! 20 of every 2,500 samples are high-quality samples of that mode (PacGAN's rule: "lost if
//! fewer than 20 high-quality samples", for its 2,500 samples). For images: see [`images`].

pub mod classifier;
pub mod collapse;
pub mod images;
pub mod stats;

use std::sync::{Arc, OnceLock};

use crate::engine::data::{ImageSet, Mixture};
use crate::engine::trainer::protocol::{Histogram, HistogramKind, MetricValue, MetricsReport};
use classifier::Classifier;
use images::{ClassReference, DiversityReference};

/// Coverage of a mixture's modes by generated points.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeCoverage {
    /// High-quality samples per mode.
    pub counts: Vec<usize>,
    /// Modes holding at least [`COVERED_SHARE`] of all samples as high-quality samples.
    pub modes_covered: usize,
    /// Share of samples within 3σ of their nearest mode, in percent.
    pub high_quality_pct: f64,
    /// KL divergence of the high-quality mode histogram to the uniform one (nats).
    pub kl_to_uniform: f64,
}

/// 20 of 2,500 samples: the share a mode must hold to count as covered.
pub const COVERED_SHARE: f64 = 20.0 / 2500.0;

/// Scores `points` (x, y pairs) against `mixture`.
pub fn mode_coverage(points: &[f32], mixture: &Mixture) -> ModeCoverage {
    let k = mixture.means.len();
    let mut counts = vec![0usize; k];
    let n = points.len() / 2;
    let limit2 = (3.0 * mixture.std as f64).powi(2);
    for p in points.chunks_exact(2) {
        let (mut best, mut best_d2) = (0, f64::INFINITY);
        for (i, m) in mixture.means.iter().enumerate() {
            let d2 = (p[0] as f64 - m[0] as f64).powi(2) + (p[1] as f64 - m[1] as f64).powi(2);
            if d2 < best_d2 {
                (best, best_d2) = (i, d2);
            }
        }
        if best_d2 <= limit2 {
            counts[best] += 1;
        }
    }
    let high: usize = counts.iter().sum();
    let needed = (COVERED_SHARE * n as f64).max(1.0);
    let modes_covered = counts.iter().filter(|&&c| c as f64 >= needed).count();
    ModeCoverage {
        high_quality_pct: if n == 0 {
            0.0
        } else {
            100.0 * high as f64 / n as f64
        },
        kl_to_uniform: kl_to_uniform(&counts),
        counts,
        modes_covered,
    }
}

/// KL(p ‖ uniform) of a histogram, in nats; ln(k) when empty (all mass "nowhere").
pub fn kl_to_uniform(counts: &[usize]) -> f64 {
    let k = counts.len() as f64;
    let total: usize = counts.iter().sum();
    if total == 0 {
        return k.ln();
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            p * (p * k).ln()
        })
        .sum()
}

impl ModeCoverage {
    /// The values as named metrics.
    pub fn values(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("modes_covered", self.modes_covered as f64),
            ("high_quality_pct", self.high_quality_pct),
            ("kl_modes_to_uniform", self.kl_to_uniform),
        ]
    }

    /// The mode map's histogram over `total` samples.
    pub fn histogram(&self, total: usize) -> Histogram {
        Histogram {
            kind: HistogramKind::Modes,
            labels: (0..self.counts.len())
                .map(|i| format!("mode {i}"))
                .collect(),
            counts: self.counts.clone(),
            total,
            covered_share: COVERED_SHARE,
            accuracy: Vec::new(),
        }
    }
}

/// Samples the 2D metrics are computed on (≥ 2,500, as in the papers).
pub const METRIC_SAMPLES: usize = 2500;

/// What a run's image metrics compare against, built once per dataset and shared by the runs
/// of a session (a reset keeps it).
#[derive(Clone, Debug, Default)]
pub struct MetricRefs {
    diversity: Arc<OnceLock<DiversityReference>>,
    classes: Option<Arc<ClassReference>>,
}

impl MetricRefs {
    /// The classifier behind the class metrics, when one is attached.
    pub fn classifier(&self) -> Option<&Arc<Classifier>> {
        self.classes.as_ref().map(|c| &c.classifier)
    }

    /// Turns on the class metrics with `classifier` (trained on `set`); attaching the one
    /// already attached keeps its reference.
    pub fn attach_classifier(&mut self, classifier: Arc<Classifier>, set: &ImageSet) {
        if self
            .classifier()
            .is_none_or(|c| !Arc::ptr_eq(c, &classifier))
        {
            self.classes = Some(Arc::new(ClassReference::new(classifier, set)));
        }
    }

    /// Diversity (and, with a classifier, class) metrics of generated images against `set`.
    pub fn image_report(
        &self,
        step: u64,
        set: &ImageSet,
        values: &[f32],
        classes: &[u32],
    ) -> MetricsReport {
        let diversity = self.diversity.get_or_init(|| DiversityReference::new(set));
        images::image_report(step, diversity, self.classes.as_deref(), values, classes)
    }
}

/// Named values at a step as [`MetricValue`]s.
pub fn named(step: u64, values: &[(&'static str, f64)]) -> Vec<MetricValue> {
    values
        .iter()
        .map(|&(name, value)| MetricValue {
            name: name.to_string(),
            step,
            value,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Mixture {
        Mixture::ring(8, 1.0, 0.01)
    }

    #[test]
    fn all_modes_exactly_on_centres() {
        let pts: Vec<f32> = ring()
            .means
            .iter()
            .cycle()
            .take(800)
            .flatten()
            .copied()
            .collect();
        let c = mode_coverage(&pts, &ring());
        assert_eq!(c.modes_covered, 8);
        assert!((c.high_quality_pct - 100.0).abs() < 1e-9);
        assert!(c.kl_to_uniform.abs() < 1e-12);
    }

    #[test]
    fn one_mode_collapse() {
        let m = ring().means[3];
        let pts: Vec<f32> = (0..500).flat_map(|_| m).collect();
        let c = mode_coverage(&pts, &ring());
        assert_eq!(c.modes_covered, 1);
        assert_eq!(c.counts[3], 500);
        assert!((c.kl_to_uniform - 8f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn no_high_quality_samples() {
        let pts = vec![0.0f32; 200]; // the centre of the ring: 1.0 from every mode
        let c = mode_coverage(&pts, &ring());
        assert_eq!(c.modes_covered, 0);
        assert_eq!(c.high_quality_pct, 0.0);
    }

    #[test]
    fn three_sigma_boundary() {
        let m = ring().means[0];
        let inside = [m[0] + 0.0299, m[1]];
        let outside = [m[0] + 0.0301, m[1]];
        assert_eq!(mode_coverage(&inside, &ring()).high_quality_pct, 100.0);
        assert_eq!(mode_coverage(&outside, &ring()).high_quality_pct, 0.0);
    }
}
