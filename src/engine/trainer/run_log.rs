//! What a run has been through: its step statistics (thinned to a bounded number) and every
//! metrics evaluation. Kept by the [`Session`](super::session::Session) and stored in
//! checkpoints, so that loading one shows the curves that led to it, not an empty plot.

use serde::{Deserialize, Serialize};

use super::protocol::{MetricsReport, StepKind, StepStats};
use crate::engine::family::FamilyDescription;

/// Step statistics kept at most (about twice as many before each thinning).
pub const MAX_STATS: usize = 20_000;
/// The run log's kind byte for a whole round (phases are 0, 1, …).
const ROUND: u8 = 255;

/// How a checkpoint's log section lays out its statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Checkpoint format 1 (GAN only): count (u64), then per update step (u64), kind (u8: 0 D,
    /// 1 G, 2 round) and seven f32 (the six GAN curves, the wall time).
    GanSix,
    /// Checkpoint format 2: count (u64), curves per update (u32), then per update step (u64),
    /// kind (u8: the phase, 255 a round), the family's curves and the wall time (f32 each).
    Named,
}

/// A run's curves and evaluations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunLog {
    /// Every `stride`-th update's statistics, in order.
    pub stats: Vec<StepStats>,
    /// Updates seen since the run began (kept or not).
    seen: u64,
    stride: u64,
    pub reports: Vec<MetricsReport>,
}

#[derive(Serialize, Deserialize)]
struct Reports {
    seen: u64,
    stride: u64,
    reports: Vec<MetricsReport>,
}

impl RunLog {
    pub fn push_stats(&mut self, stats: StepStats) {
        let stride = self.stride.max(1);
        if self.seen.is_multiple_of(stride) {
            self.stats.push(stats);
        }
        self.seen += 1;
        if self.stats.len() > 2 * MAX_STATS {
            let mut keep = false;
            self.stats.retain(|_| {
                keep = !keep;
                keep
            });
            self.stride = stride * 2;
        }
    }

    /// Adds an evaluation (one at a step already held replaces it: a restore re-evaluates).
    pub fn push_report(&mut self, report: MetricsReport) {
        self.reports.retain(|r| r.step < report.step);
        self.reports.push(report);
    }

    /// The log as bytes ([`LogFormat::Named`]): the statistics as little-endian numbers,
    /// then the reports as TOML.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let width = self.stats.first().map_or(0, |s| s.values.len());
        if self.stats.iter().any(|s| s.values.len() != width) {
            return Err("the statistics do not all hold the same curves".into());
        }
        let mut out = Vec::with_capacity(12 + self.stats.len() * (13 + 4 * width));
        out.extend_from_slice(&(self.stats.len() as u64).to_le_bytes());
        out.extend_from_slice(&(width as u32).to_le_bytes());
        for s in &self.stats {
            out.extend_from_slice(&s.step.to_le_bytes());
            out.push(match s.kind {
                StepKind::Phase(p) => u8::try_from(p)
                    .ok()
                    .filter(|&p| p != ROUND)
                    .ok_or("too many phases")?,
                StepKind::Round => ROUND,
            });
            for v in s.values.iter().chain([&s.millis]) {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        let reports = Reports {
            seen: self.seen,
            stride: self.stride,
            reports: self.reports.clone(),
        };
        let text = toml::to_string(&reports).map_err(|e| e.to_string())?;
        out.extend_from_slice(text.as_bytes());
        Ok(out)
    }

    /// Reads a log of `family` laid out as `format` back; says what is wrong otherwise.
    pub fn decode(
        bytes: &[u8],
        family: &'static FamilyDescription,
        format: LogFormat,
    ) -> Result<Self, String> {
        let count = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .ok_or("the log is cut short")? as usize;
        let (width, start) = match format {
            LogFormat::GanSix => (6, 8),
            LogFormat::Named => {
                let w = bytes
                    .get(8..12)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_le_bytes)
                    .ok_or("the log is cut short")?;
                (w as usize, 12)
            }
        };
        // An empty log says nothing of its width. A narrower one was written before the
        // family gained curves (new curves are only ever appended): those read as unmeasured.
        if count > 0 && (width > family.curves.len() || width == 0) {
            return Err(format!(
                "the log holds {width} curves per update, the {} family reports {}",
                family.name,
                family.curves.len()
            ));
        }
        let record = 9 + 4 * (width + 1);
        let end = count
            .checked_mul(record)
            .and_then(|n| n.checked_add(start))
            .filter(|&n| n <= bytes.len())
            .ok_or("the log promises more statistics than it holds")?;
        let stats = bytes[start..end]
            .chunks_exact(record)
            .map(|c| {
                let f = |i: usize| {
                    let at = 9 + 4 * i;
                    f32::from_le_bytes([c[at], c[at + 1], c[at + 2], c[at + 3]])
                };
                let mut step = [0u8; 8];
                step.copy_from_slice(&c[..8]);
                let kind = match (format, c[8]) {
                    (LogFormat::GanSix, 2) | (LogFormat::Named, ROUND) => StepKind::Round,
                    (LogFormat::GanSix, k) => StepKind::Phase(usize::from(k.min(1))),
                    (LogFormat::Named, k) => StepKind::Phase(usize::from(k)),
                };
                StepStats {
                    step: u64::from_le_bytes(step),
                    kind,
                    family,
                    values: (0..family.curves.len())
                        .map(|i| if i < width { f(i) } else { f32::NAN })
                        .collect(),
                    millis: f(width),
                }
            })
            .collect();
        let text = std::str::from_utf8(&bytes[end..]).map_err(|_| "the reports are not text")?;
        let reports: Reports = toml::from_str(text).map_err(|e| format!("bad reports: {e}"))?;
        Ok(Self {
            stats,
            seen: reports.seen,
            stride: reports.stride,
            reports: reports.reports,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::family::gan;
    use crate::engine::trainer::protocol::{Histogram, HistogramKind, MetricValue};

    fn decode(bytes: &[u8]) -> Result<RunLog, String> {
        RunLog::decode(bytes, &gan::DESCRIPTION, LogFormat::Named)
    }

    fn stats(step: u64) -> StepStats {
        StepStats {
            kind: if step.is_multiple_of(3) {
                StepKind::Phase(gan::D)
            } else {
                StepKind::Round
            },
            millis: 2.0,
            ..StepStats::gan_round(step, [step as f32 * 0.5, f32::NAN, 0.25, -1.5, 3.0, 4.0])
        }
    }

    fn report(step: u64) -> MetricsReport {
        MetricsReport {
            step,
            values: vec![MetricValue {
                name: "modes_covered".into(),
                step,
                value: 7.0,
            }],
            histogram: Some(Histogram {
                kind: HistogramKind::Modes,
                labels: vec!["mode 0".into(), "mode 1".into()],
                counts: vec![12, 0],
                total: 2500,
                covered_share: 0.008,
                accuracy: Vec::new(),
            }),
        }
    }

    #[test]
    fn a_log_survives_encoding_whole() {
        let mut log = RunLog::default();
        for s in 0..100 {
            log.push_stats(stats(s));
        }
        log.push_report(report(50));
        log.push_report(report(100));
        let back = decode(&log.encode().expect("encodes")).expect("decodes");
        assert_eq!(back.stats.len(), 100);
        assert_eq!(back.stats[99].value(gan::G_LOSS), 49.5);
        assert_eq!(back.stats[99].millis, 2.0);
        assert_eq!(back.stats[3].kind, StepKind::Phase(gan::D));
        assert_eq!(back.stats[4].kind, StepKind::Round);
        assert!(back.stats[5].value(gan::D_LOSS).is_nan());
        assert_eq!(back.reports, log.reports);
        // It goes on thinning where it left off.
        assert_eq!((back.seen, back.stride), (log.seen, log.stride));
    }

    #[test]
    fn a_log_from_before_a_curve_was_added_reads_it_as_unmeasured() {
        let mut log = RunLog::default();
        log.push_stats(stats(4));
        let bytes = log.encode().expect("encodes");
        let width = gan::DESCRIPTION.curves.len();
        // The same update written with one curve fewer (the last value left out).
        let record = 12 + 9 + 4 * width;
        let mut narrow = 1u64.to_le_bytes().to_vec();
        narrow.extend(((width - 1) as u32).to_le_bytes());
        narrow.extend(&bytes[12..record - 4]);
        narrow.extend(&bytes[record..]);
        let back = decode(&narrow).expect("decodes");
        let (was, now) = (&log.stats[0], &back.stats[0]);
        assert_eq!(now.values.len(), width);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&now.values[..width - 1]),
            bits(&was.values[..width - 1])
        );
        assert!(now.values[width - 1].is_nan());
        assert_eq!(
            (now.step, now.kind, now.millis),
            (was.step, was.kind, was.millis)
        );
    }

    #[test]
    fn long_runs_are_thinned_and_bad_bytes_are_refused() {
        let mut log = RunLog::default();
        for s in 0..200_000 {
            log.push_stats(stats(s));
        }
        assert!(log.stats.len() <= 2 * MAX_STATS && log.stats.len() >= MAX_STATS / 2);
        assert!(log.stats.windows(2).all(|w| w[0].step < w[1].step));
        assert_eq!(log.stats[0].step, 0);
        let bytes = log.encode().expect("encodes");
        assert!(decode(&bytes[..5]).is_err());
        assert!(decode(&bytes[..bytes.len() / 2]).is_err());
        let mut lying = bytes.clone();
        lying[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(&lying).is_err());
        // A log of another width is not read as this family's curves.
        let mut wide = bytes.clone();
        wide[8..12].copy_from_slice(&7u32.to_le_bytes());
        let err = decode(&wide).expect_err("refused");
        assert!(err.contains("7 curves per update"), "{err}");
    }

    #[test]
    fn the_first_formats_six_curve_records_are_read() {
        // Two updates as checkpoint format 1 wrote them: a G update, then a round.
        let mut bytes = 2u64.to_le_bytes().to_vec();
        for (step, kind) in [(4u64, 1u8), (5, 2)] {
            bytes.extend_from_slice(&step.to_le_bytes());
            bytes.push(kind);
            for v in [0.5f32, 1.0, 0.25, 0.75, 3.0, 4.0, 9.0] {
                bytes.extend_from_slice(&(v * step as f32).to_le_bytes());
            }
        }
        bytes.extend_from_slice(b"seen = 2\nstride = 1\nreports = []\n");
        let log = RunLog::decode(&bytes, &gan::DESCRIPTION, LogFormat::GanSix).expect("decodes");
        assert_eq!(log.stats.len(), 2);
        assert_eq!(log.stats[0].kind, StepKind::Phase(gan::G));
        assert_eq!(log.stats[1].kind, StepKind::Round);
        assert_eq!(log.stats[1].get("d_real"), Some(1.25));
        assert_eq!(log.stats[1].value(gan::D_GRAD_NORM), 20.0);
        assert_eq!(log.stats[0].millis, 36.0);
    }

    #[test]
    fn a_report_at_a_step_already_held_replaces_the_later_ones() {
        let mut log = RunLog::default();
        for s in [10, 20, 30] {
            log.push_report(report(s));
        }
        log.push_report(report(20));
        let steps: Vec<u64> = log.reports.iter().map(|r| r.step).collect();
        assert_eq!(steps, vec![10, 20]);
    }
}
