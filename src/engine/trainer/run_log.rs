//! What a run has been through: its step statistics (thinned to a bounded number) and every
//! metrics evaluation. Kept by the [`Session`](super::session::Session) and stored in
//! checkpoints, so that loading one shows the curves that led to it, not an empty plot.

use serde::{Deserialize, Serialize};

use super::protocol::{MetricsReport, StepKind, StepStats};

/// Step statistics kept at most (about twice as many before each thinning).
pub const MAX_STATS: usize = 20_000;
/// Bytes of one encoded [`StepStats`]: step (u64), kind (u8), seven f32.
const STATS_BYTES: usize = 8 + 1 + 7 * 4;

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

    /// The log as bytes: the statistics as little-endian numbers, then the reports as TOML.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(8 + self.stats.len() * STATS_BYTES);
        out.extend_from_slice(&(self.stats.len() as u64).to_le_bytes());
        for s in &self.stats {
            out.extend_from_slice(&s.step.to_le_bytes());
            out.push(match s.kind {
                StepKind::D => 0,
                StepKind::G => 1,
                StepKind::Round => 2,
            });
            for v in s.curves().into_iter().chain([s.millis]) {
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

    /// Reads [`encode`](Self::encode)'s bytes back; says what is wrong otherwise.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let count = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .ok_or("the log is cut short")? as usize;
        let end = count
            .checked_mul(STATS_BYTES)
            .and_then(|n| n.checked_add(8))
            .filter(|&n| n <= bytes.len())
            .ok_or("the log promises more statistics than it holds")?;
        let stats = bytes[8..end]
            .chunks_exact(STATS_BYTES)
            .map(|c| {
                let f = |i: usize| {
                    let at = 9 + 4 * i;
                    f32::from_le_bytes([c[at], c[at + 1], c[at + 2], c[at + 3]])
                };
                let mut step = [0u8; 8];
                step.copy_from_slice(&c[..8]);
                let kind = match c[8] {
                    0 => StepKind::D,
                    1 => StepKind::G,
                    _ => StepKind::Round,
                };
                StepStats {
                    kind,
                    millis: f(6),
                    ..StepStats::round(u64::from_le_bytes(step), std::array::from_fn(f))
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
    use crate::engine::trainer::protocol::{Histogram, HistogramKind, MetricValue};

    fn stats(step: u64) -> StepStats {
        StepStats {
            step,
            kind: if step.is_multiple_of(3) {
                StepKind::D
            } else {
                StepKind::Round
            },
            g_loss: step as f32 * 0.5,
            d_loss: f32::NAN,
            d_real: 0.25,
            d_fake: -1.5,
            g_grad_norm: 3.0,
            d_grad_norm: 4.0,
            millis: 2.0,
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
        let back = RunLog::decode(&log.encode().expect("encodes")).expect("decodes");
        assert_eq!(back.stats.len(), 100);
        assert_eq!(back.stats[99].g_loss, 49.5);
        assert_eq!(back.stats[3].kind, StepKind::D);
        assert!(back.stats[5].d_loss.is_nan());
        assert_eq!(back.reports, log.reports);
        // It goes on thinning where it left off.
        assert_eq!((back.seen, back.stride), (log.seen, log.stride));
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
        assert!(RunLog::decode(&bytes[..5]).is_err());
        assert!(RunLog::decode(&bytes[..bytes.len() / 2]).is_err());
        let mut lying = bytes.clone();
        lying[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(RunLog::decode(&lying).is_err());
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
