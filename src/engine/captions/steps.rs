//! A text-to-image run as the loops drive it: an update as the family's named curves (pushed
//! into the run's log), and an evaluation: caption accuracy, read by the scene reader, on
//! captions of training scenes and of the held-out combinations, one-digit and relations
//! apart.

use super::grammar::SceneSpec;
use super::reader::{CaptionScore, SceneReader, score};
use super::render::SIDE;
use super::run::CaptionRun;
use super::vocab;
use crate::engine::metrics::named;
use crate::engine::trainer::protocol::{MetricsReport, StepKind, StepStats};

/// Images generated per forward pass when many are drawn (bounds the memory).
const SAMPLE_CHUNK: usize = 100;

/// The names of an evaluation's values, and what they say.
pub const METRICS: [(&str, &str); 5] = [
    (
        "caption_single_seen",
        "One-digit captions of training scenes: the share of samples with that digit at that place and nothing elsewhere",
    ),
    ("caption_single_sized", "…and at the size the caption says"),
    (
        "caption_pair_seen",
        "Relations of training scenes: the share with the two digits, nothing else, standing as the caption says",
    ),
    (
        "caption_single_held_out",
        "One-digit captions of combinations never trained on (a digit at a place it was never seen at)",
    ),
    (
        "caption_pair_held_out",
        "Relations never trained on (an ordered pair of digits in a relation only seen the other way round or not at all)",
    ),
];

impl CaptionRun {
    /// One update of `kind` (a round: critic then generator) as the family's named curves,
    /// pushed into the run's log; on a worker of the thread pool.
    pub fn step_once(&mut self, kind: StepKind) -> StepStats {
        crate::engine::workers::on_pool(|| self.step_here(kind))
    }

    fn step_here(&mut self, kind: StepKind) -> StepStats {
        use super::{CRITIC, D_FAKE, D_LOSS, D_REAL, D_WRONG, DESCRIPTION, G_LOSS, KL};
        let started = std::time::Instant::now();
        let (mut critic, mut generator) = (None, None);
        match kind {
            StepKind::Round => {
                let r = self.round();
                critic = Some((r.d_loss, [r.real, r.wrong, r.fake]));
                generator = Some((r.g_loss, r.kl));
            }
            StepKind::Phase(CRITIC) => critic = Some(self.critic_update()),
            StepKind::Phase(_) => generator = Some(self.generator_update()),
        }
        // After the update: a round's statistics carry the rounds completed with it.
        let mut stats = StepStats::unmeasured(&DESCRIPTION, self.step, kind);
        if let Some((g, kl)) = generator {
            (stats.values[G_LOSS], stats.values[KL]) = (g, kl);
        }
        if let Some((loss, [real, wrong, fake])) = critic {
            stats.values[D_LOSS] = loss;
            stats.values[D_REAL] = real;
            stats.values[D_WRONG] = wrong;
            stats.values[D_FAKE] = fake;
        }
        stats.millis = started.elapsed().as_secs_f32() * 1000.0;
        self.log.push_stats(stats.clone());
        stats
    }

    /// One sample per description of `specs` (its caption, latents from `seed`), in
    /// chunks: n × SIDE² values in [-1, 1].
    pub fn sample_specs(&self, specs: &[SceneSpec], seed: u64) -> Vec<f32> {
        let mut out = Vec::with_capacity(specs.len() * SIDE * SIDE);
        for (k, chunk) in specs.chunks(SAMPLE_CHUNK).enumerate() {
            let lists: Vec<Vec<usize>> = chunk
                .iter()
                .map(|s| vocab::parse(&s.caption()).map_or_else(|_| Vec::new(), |p| p.tokens))
                .collect();
            out.extend(self.sample(&lists, 1, seed.wrapping_add(k as u64)));
        }
        out
    }

    /// How the EMA generator's samples meet `specs`' captions, as the reader sees them.
    pub fn caption_score(
        &self,
        reader: &SceneReader,
        specs: &[SceneSpec],
        seed: u64,
    ) -> CaptionScore {
        let images = self.sample_specs(specs, seed);
        score(specs, &reader.read(&images))
    }

    /// Caption accuracy on `count` training captions and `count` held-out ones (at most
    /// the held-out scenes there are), pushed into the log.
    pub fn evaluate(&mut self, reader: &SceneReader, count: usize) -> MetricsReport {
        // A seed tied to the step: the same checkpoint gives the same numbers.
        let seed = 0x4341_5054 ^ self.step;
        let seen: Vec<SceneSpec> = self.train.specs.iter().take(count).copied().collect();
        let held: Vec<SceneSpec> = self.held_out.specs.iter().take(count).copied().collect();
        let s = self.caption_score(reader, &seen, seed);
        let h = self.caption_score(reader, &held, seed ^ 1);
        let report = MetricsReport {
            step: self.step,
            values: named(
                self.step,
                &[
                    (METRICS[0].0, s.singles_share()),
                    (METRICS[1].0, s.sized_share()),
                    (METRICS[2].0, s.pairs_share()),
                    (METRICS[3].0, h.singles_share()),
                    (METRICS[4].0, h.pairs_share()),
                ],
            ),
            histogram: None,
        };
        self.log.push_report(report.clone());
        report
    }
}
