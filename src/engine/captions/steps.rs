//! A text-to-image run as the loops drive it: an update as the family's named curves (pushed
//! into the run's log), and an evaluation: caption accuracy, read by the scene reader, on
//! captions of training scenes and of the held-out combinations, one-digit and relations
//! apart.

use super::caption_fid::KindReference;
use super::grammar::{GRID, Place, Placed, SceneSpec};
use super::reader::{CaptionScore, SceneReader, score};
use super::render::SIDE;
use super::run::CaptionRun;
use super::vocab;
use crate::engine::metrics::named;
use crate::engine::trainer::protocol::{MetricsReport, StepKind, StepStats};

/// Images generated per forward pass when many are drawn (bounds the memory).
const SAMPLE_CHUNK: usize = 100;

/// The names of an evaluation's values, and what they say.
pub const METRICS: [(&str, &str); 11] = [
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
    (
        "caption_diversity",
        "How different the samples of one caption are, over how different real scenes of one caption are (1: as varied as the data; near 0: one picture per caption)",
    ),
    (
        "caption_digit_effect",
        "How much a sample changes when only the caption's digit changes (same z), over how much it changes when only the place does: near 0, the generator ignores which digit it is asked for",
    ),
    (
        "caption_pair_digits_seen",
        "Relations of training scenes: the share with the two digits and nothing else, wherever they stand (caption_pair_seen over this is how often the order is right)",
    ),
    (
        "caption_pair_digits_held_out",
        "Relations never trained on: the share with the two digits and nothing else, wherever they stand",
    ),
    (
        "caption_fid_seen",
        "FID-lite per caption (one-digit captions of training scenes, 24 samples each): the reader's features of the window at the caption's place against real digits of that digit, size and stroke; lower is more real",
    ),
    (
        "caption_fid_held_out",
        "FID-lite per caption on held-out combinations: a digit drawn at a place it never had in training, against real ones of its kind from the places it had",
    ),
];

/// One-digit captions the digit effect is measured on.
const EFFECT_CAPTIONS: usize = 60;

/// Captions the diversity is measured on, and samples per caption.
const DIVERSITY_CAPTIONS: usize = 40;
const DIVERSITY_SAMPLES: usize = 6;

/// Mean absolute difference per pixel between two images of a group, over every pair of
/// every group (groups of fewer than two count nothing).
fn within_groups(groups: &[Vec<&[f32]>]) -> f64 {
    let (mut sum, mut pairs) = (0.0f64, 0usize);
    for g in groups {
        for i in 0..g.len() {
            for j in i + 1..g.len() {
                let d: f32 = g[i].iter().zip(g[j]).map(|(a, b)| (a - b).abs()).sum();
                sum += f64::from(d) / g[i].len() as f64;
                pairs += 1;
            }
        }
    }
    sum / pairs.max(1) as f64
}

impl CaptionRun {
    /// One update of `kind` (a round: critic then generator) as the family's named curves,
    /// pushed into the run's log; on a worker of the thread pool.
    pub fn step_once(&mut self, kind: StepKind) -> StepStats {
        crate::engine::workers::on_pool(|| self.step_here(kind))
    }

    fn step_here(&mut self, kind: StepKind) -> StepStats {
        use super::{
            CRITIC, D_FAKE, D_LOSS, D_REAL, D_WRONG, DESCRIPTION, G_LOSS, KL, PLACES_FAKE,
            PLACES_REAL,
        };
        let started = std::time::Instant::now();
        let (mut critic, mut generator) = (None, None);
        match kind {
            StepKind::Round => {
                let r = self.round();
                critic = Some((r.d_loss, [r.real, r.wrong, r.fake], r.places_real));
                generator = Some((r.g_loss, r.kl, r.places_fake));
            }
            StepKind::Phase(CRITIC) => critic = Some(self.critic_update()),
            StepKind::Phase(_) => generator = Some(self.generator_update()),
        }
        // After the update: a round's statistics carry the rounds completed with it.
        let mut stats = StepStats::unmeasured(&DESCRIPTION, self.step, kind);
        if let Some((g, kl, places)) = generator {
            (stats.values[G_LOSS], stats.values[KL]) = (g, kl);
            stats.values[PLACES_FAKE] = places;
        }
        if let Some((loss, [real, wrong, fake], places)) = critic {
            stats.values[PLACES_REAL] = places;
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

    /// Samples of one caption against real scenes of one caption: the ratio of their mean
    /// pairwise differences, over training captions that several real scenes share.
    pub fn caption_diversity(&self, seed: u64) -> f64 {
        let mut by_spec: std::collections::HashMap<SceneSpec, Vec<usize>> = Default::default();
        for (i, s) in self.train.specs.iter().enumerate() {
            by_spec.entry(*s).or_default().push(i);
        }
        let mut shared: Vec<(SceneSpec, Vec<usize>)> =
            by_spec.into_iter().filter(|(_, v)| v.len() >= 2).collect();
        // A fixed choice: in order of each caption's first scene.
        shared.sort_by_key(|(_, v)| v[0]);
        shared.truncate(DIVERSITY_CAPTIONS);
        if shared.is_empty() {
            return f64::NAN;
        }
        let real: Vec<Vec<f32>> = shared.iter().map(|(_, v)| self.train.batch(v).0).collect();
        let real_groups: Vec<Vec<&[f32]>> = real
            .iter()
            .map(|r| r.chunks_exact(SIDE * SIDE).collect())
            .collect();
        let specs: Vec<SceneSpec> = shared
            .iter()
            .flat_map(|(s, _)| std::iter::repeat_n(*s, DIVERSITY_SAMPLES))
            .collect();
        let fake = self.sample_specs(&specs, seed);
        let fake_groups: Vec<Vec<&[f32]>> = fake
            .chunks_exact(SIDE * SIDE * DIVERSITY_SAMPLES)
            .map(|g| g.chunks_exact(SIDE * SIDE).collect())
            .collect();
        within_groups(&fake_groups) / within_groups(&real_groups).max(1e-9)
    }

    /// How much the EMA generator's image changes when only the digit of a one-digit caption
    /// changes, over how much it changes when only its place does (the same latents for the
    /// three captions): the diagnostic of a generator that has learned where but not which.
    pub fn digit_effect(&self, seed: u64) -> f64 {
        let singles: Vec<Placed> = self
            .train
            .specs
            .iter()
            .filter_map(|s| match s {
                SceneSpec::Single(p) => Some(*p),
                SceneSpec::Pair { .. } => None,
            })
            .take(EFFECT_CAPTIONS)
            .collect();
        if singles.is_empty() {
            return f64::NAN;
        }
        let specs = |change: &dyn Fn(Placed) -> Placed| -> Vec<SceneSpec> {
            singles
                .iter()
                .map(|p| SceneSpec::Single(change(*p)))
                .collect()
        };
        let asked = self.sample_specs(&specs(&|p| p), seed);
        let other_digit = self.sample_specs(
            &specs(&|p| Placed {
                digit: (p.digit + 5) % 10,
                ..p
            }),
            seed,
        );
        let other_place = self.sample_specs(
            &specs(&|p| Placed {
                place: Place {
                    row: (p.place.row + 1) % GRID,
                    col: (p.place.col + 1) % GRID,
                },
                ..p
            }),
            seed,
        );
        let distance = |a: &[f32], b: &[f32]| -> f64 {
            a.iter()
                .zip(b)
                .map(|(x, y)| f64::from((x - y).abs()))
                .sum::<f64>()
                / a.len() as f64
        };
        distance(&asked, &other_digit) / distance(&asked, &other_place).max(1e-9)
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
        let kinds = KindReference::new(&self.train, reader);
        let fid = |specs: &[SceneSpec], seed| {
            kinds
                .mean_fid(self, reader, specs, seed)
                .unwrap_or(f64::NAN)
        };
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
                    (METRICS[5].0, self.caption_diversity(seed ^ 2)),
                    (METRICS[6].0, self.digit_effect(seed ^ 3)),
                    (METRICS[7].0, s.pair_digits_share()),
                    (METRICS[8].0, h.pair_digits_share()),
                    (METRICS[9].0, fid(&seen, seed ^ 4)),
                    (METRICS[10].0, fid(&held, seed ^ 5)),
                ],
            ),
            histogram: None,
        };
        self.log.push_report(report.clone());
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_group_differences_count_pairs_inside_groups_only() {
        let (a, b, c) = ([0.0f32, 0.0], [1.0f32, 1.0], [0.0f32, 1.0]);
        let groups = vec![
            vec![&a[..], &b[..]],
            vec![&c[..]],
            vec![&a[..], &a[..], &c[..]],
        ];
        // Pairs: (a, b) 1.0; (a, a) 0; (a, c) 0.5 twice.
        assert!((within_groups(&groups) - 2.0 / 4.0).abs() < 1e-9);
        assert_eq!(within_groups(&[vec![&a[..]]]), 0.0);
    }
}
