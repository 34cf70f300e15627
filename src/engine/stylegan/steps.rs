//! A StyleGAN run as the loops drive it: an update as the family's named curves (pushed into
//! the run's log), and an evaluation of the EMA generator's samples.

use super::run::StyleRun;
use crate::engine::metrics::MetricRefs;
use crate::engine::trainer::protocol::{MetricsReport, StepStats};

impl StyleRun {
    /// One update of `kind` (a round: critic then generator) as the family's named curves,
    /// pushed into the run's log; on a worker of the thread pool.
    pub fn step_once(&mut self, kind: crate::engine::trainer::protocol::StepKind) -> StepStats {
        crate::engine::workers::on_pool(|| self.step_here(kind))
    }

    fn step_here(&mut self, kind: crate::engine::trainer::protocol::StepKind) -> StepStats {
        use super::{CRITIC, D_FAKE, D_LOSS, D_REAL, DESCRIPTION, G_LOSS, R1};
        use crate::engine::trainer::protocol::StepKind;
        let started = std::time::Instant::now();
        let mut critic = None;
        let mut generator = None;
        match kind {
            StepKind::Round => {
                let (d, g) = self.round();
                (critic, generator) = (Some(d), Some(g));
            }
            StepKind::Phase(CRITIC) => critic = Some(self.critic_update()),
            StepKind::Phase(_) => generator = Some(self.generator_update()),
        }
        let mut stats = StepStats::unmeasured(&DESCRIPTION, self.step, kind);
        if let Some(d) = critic {
            stats.values[D_LOSS] = d.loss;
            stats.values[D_REAL] = d.real;
            stats.values[D_FAKE] = d.fake;
            stats.values[R1] = d.r1.unwrap_or(f32::NAN);
        }
        if let Some(g) = generator {
            stats.values[G_LOSS] = g;
        }
        stats.millis = started.elapsed().as_secs_f32() * 1000.0;
        self.log.push_stats(stats.clone());
        stats
    }

    /// Diversity (FID-lite, PRDC) and, with a classifier, class metrics of `count` EMA
    /// samples (ψ = 1, noise on) against the run's images, pushed into the log.
    pub fn evaluate(&mut self, refs: &MetricRefs, count: usize) -> MetricsReport {
        // A seed tied to the step: the same checkpoint gives the same numbers.
        let seed = 0x5354_594C ^ self.step;
        let mut values = Vec::with_capacity(count * self.images.image_len());
        for start in (0..count).step_by(SAMPLE_CHUNK) {
            let n = SAMPLE_CHUNK.min(count - start);
            values.extend(self.sample(n, seed.wrapping_add(start as u64), 1.0, true));
        }
        let mut report = refs.image_report(self.step, &self.images, &values, &[]);
        if let Some(classifier) = refs.classifier() {
            // The mixing check: coarse styles from B, the rest from A.
            let coarse = super::explore::StyleRange::Coarse.layers(self);
            let mix = self.mixing_check(classifier, MIX_PAIRS, seed, coarse);
            let path_length = self.path_length(classifier, MIX_PAIRS, seed);
            report.values.extend(crate::engine::metrics::named(
                self.step,
                &[
                    ("coarse_mix_follows_coarse", mix.follows_b),
                    ("coarse_mix_follows_fine", mix.follows_a),
                    ("path_length", path_length),
                ],
            ));
        }
        self.log.push_report(report.clone());
        report
    }
}

/// Pairs of the mixing check and of the path length in each evaluation.
const MIX_PAIRS: usize = 200;

/// Images generated per forward pass when many are drawn (bounds the memory).
const SAMPLE_CHUNK: usize = 100;
