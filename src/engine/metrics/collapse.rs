//! The collapse alert: reads a run's metric reports and says in words when the generator has
//! lost modes or classes it produced before, covers few of them, or its samples are far less
//! varied than the data. A condition must hold in the last [`STREAK`] reports, so that one
//! noisy evaluation (a mode at 19 of the 20 samples it needs) does not raise it.

use crate::engine::trainer::protocol::{Histogram, HistogramKind, MetricsReport};

/// Reports in a row a condition must hold in.
pub const STREAK: usize = 2;
/// Below this share of the data's mean pairwise distance, samples count as collapsed.
pub const DIVERSITY_FLOOR: f64 = 0.5;
/// Above this share of near-duplicate samples, samples count as collapsed.
pub const DUPLICATE_CEILING: f64 = 10.0;

/// A detected collapse.
#[derive(Clone, Debug, PartialEq)]
pub struct CollapseAlert {
    /// The step of the evaluation where the condition first held (the start of the streak).
    pub since: u64,
    /// What happened, in a sentence or two.
    pub message: String,
    /// Names of the modes or classes lost.
    pub lost: Vec<String>,
}

fn what(h: &Histogram) -> &'static str {
    match h.kind {
        HistogramKind::Modes => "modes",
        HistogramKind::Classes => "classes",
    }
}

/// "mode 1, mode 7" (mode labels name themselves), "class 3", "classes 3, 7".
fn lost_phrase(kind: HistogramKind, names: &[String]) -> String {
    match kind {
        HistogramKind::Modes => names.join(", "),
        HistogramKind::Classes if names.len() == 1 => format!("class {}", names[0]),
        HistogramKind::Classes => format!("classes {}", names.join(", ")),
    }
}

/// The first step of the run of reports at the end of `reports` for which `holds` is true.
fn streak_start(reports: &[MetricsReport], holds: impl Fn(&MetricsReport) -> bool) -> Option<u64> {
    let n = reports.iter().rev().take_while(|r| holds(r)).count();
    (n >= STREAK).then(|| reports[reports.len() - n].step)
}

/// The alert for a run's reports (oldest first), if any.
pub fn assess(reports: &[MetricsReport]) -> Option<CollapseAlert> {
    let mut parts = Vec::new();
    let mut lost_names = Vec::new();
    let mut since: Option<u64> = None;
    let mut note_since = |s: u64| since = Some(since.map_or(s, |old: u64| old.min(s)));

    if let Some(last) = reports.last().and_then(|r| r.histogram.as_ref()) {
        let bins = last.counts.len();
        // Bins covered at some evaluation and not covered over the whole streak, with the
        // step their streak began.
        let lost: Vec<(usize, u64)> = (0..bins)
            .filter(|&i| {
                reports
                    .iter()
                    .any(|r| r.histogram.as_ref().is_some_and(|h| h.covered(i)))
            })
            .filter_map(|i| {
                streak_start(reports, |r| {
                    r.histogram.as_ref().is_some_and(|h| !h.covered(i))
                })
                .map(|start| (i, start))
            })
            .collect();
        if let Some(start) = lost.iter().map(|&(_, s)| s).min() {
            note_since(start);
            lost_names = lost.iter().map(|&(i, _)| last.labels[i].clone()).collect();
            parts.push(format!(
                "{} lost since step {start} ({} of {bins} still produced)",
                lost_phrase(last.kind, &lost_names),
                last.covered_bins().len()
            ));
        }
        let few = |r: &MetricsReport| {
            r.histogram
                .as_ref()
                .is_some_and(|h| 2 * h.covered_bins().len() < h.counts.len())
        };
        // Covering more at every evaluation of the streak is a run still learning (grid25 goes
        // 0, 3, 7, … over its first thousands of steps), not a collapse.
        let covered_since = |start: u64| -> Vec<usize> {
            reports
                .iter()
                .filter(|r| r.step >= start)
                .filter_map(|r| r.histogram.as_ref().map(|h| h.covered_bins().len()))
                .collect()
        };
        let still_rising = |start: u64| {
            let c = covered_since(start);
            c.windows(2).all(|w| w[0] <= w[1]) && c.first() < c.last()
        };
        if let Some(start) = streak_start(reports, few)
            .filter(|_| lost.is_empty())
            .filter(|&start| !still_rising(start))
        {
            note_since(start);
            parts.push(format!(
                "only {} of {bins} {} produced since step {start}",
                last.covered_bins().len(),
                what(last)
            ));
        }
    }
    // Metrics that signal collapse past a threshold: (name, bad value, what it means).
    type Rule = (&'static str, fn(f64) -> bool, fn(f64) -> String);
    let rules: [Rule; 2] = [
        (
            "diversity_ratio",
            |d| d < DIVERSITY_FLOOR,
            |d| {
                format!(
                    "samples are far less varied than the data (diversity {d:.2} of the data's)"
                )
            },
        ),
        (
            "duplicate_pct",
            |d| d > DUPLICATE_CEILING,
            |d| format!("{d:.0} % of samples are near-duplicates"),
        ),
    ];
    for (name, bad, describe) in rules {
        if let Some(start) = streak_start(reports, |r| r.get(name).is_some_and(bad)) {
            note_since(start);
            let value = reports.last().and_then(|r| r.get(name)).unwrap_or(0.0);
            parts.push(format!("{} since step {start}", describe(value)));
        }
    }
    let since = since?;
    Some(CollapseAlert {
        since,
        message: format!("Mode collapse: {}.", parts.join("; ")),
        lost: lost_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trainer::protocol::MetricValue;

    fn report(step: u64, counts: &[usize], diversity: f64) -> MetricsReport {
        let mut r = mode_report(step, counts, diversity);
        let h = r.histogram.as_mut().expect("histogram");
        h.kind = HistogramKind::Classes;
        h.labels = (0..counts.len()).map(|i| i.to_string()).collect();
        r
    }

    /// A 2D run's report: the labels are "mode i", as mode coverage writes them.
    fn mode_report(step: u64, counts: &[usize], diversity: f64) -> MetricsReport {
        MetricsReport {
            step,
            values: vec![MetricValue {
                name: "diversity_ratio".into(),
                step,
                value: diversity,
            }],
            histogram: Some(Histogram {
                kind: HistogramKind::Modes,
                labels: (0..counts.len()).map(|i| format!("mode {i}")).collect(),
                counts: counts.to_vec(),
                total: counts.iter().sum(),
                covered_share: 0.02,
                accuracy: Vec::new(),
            }),
        }
    }

    #[test]
    fn healthy_runs_raise_nothing() {
        let even = [100; 10];
        let reports: Vec<_> = (1..=5).map(|s| report(s * 100, &even, 0.95)).collect();
        assert_eq!(assess(&reports), None);
    }

    #[test]
    fn lost_classes_are_named_with_the_step_they_went() {
        let even = [100; 10];
        let mut collapsed = [0; 10];
        collapsed[3] = 1000;
        let reports = vec![
            report(100, &even, 0.9),
            report(200, &even, 0.9),
            report(300, &collapsed, 0.9),
            report(400, &collapsed, 0.9),
        ];
        let alert = assess(&reports).expect("an alert");
        assert_eq!(alert.since, 300);
        assert_eq!(alert.lost.len(), 9);
        assert!(!alert.lost.contains(&"3".to_string()));
        assert!(
            alert.message.contains("lost since step 300"),
            "{}",
            alert.message
        );
        assert!(
            alert
                .message
                .starts_with("Mode collapse: classes 0, 1, 2, 4"),
            "{}",
            alert.message
        );
        // One bad evaluation is not enough.
        assert_eq!(assess(&reports[..3]), None);
    }

    #[test]
    fn few_modes_that_keep_rising_are_learning_not_collapse() {
        let covering = |k: usize| {
            let mut c = [0; 25];
            c[..k].iter_mut().for_each(|v| *v = 100);
            c
        };
        let rising: Vec<_> = [(1000, 0), (2000, 3), (3000, 3), (4000, 7)]
            .map(|(s, k)| mode_report(s, &covering(k), 0.9))
            .to_vec();
        assert_eq!(assess(&rising), None, "0, 3, 3, 7 of 25: still learning");
        let stuck: Vec<_> = [(1000, 3), (2000, 7), (3000, 5)]
            .map(|(s, k)| mode_report(s, &covering(k), 0.9))
            .to_vec();
        let alert = assess(&stuck).expect("a fall is an alert");
        assert!(
            alert.message.contains("only 5 of 25 modes"),
            "{}",
            alert.message
        );
    }

    #[test]
    fn the_alert_names_lost_modes_and_a_single_class_in_plain_words() {
        let even = [100; 8];
        let mut six = even;
        six[1] = 0;
        six[7] = 0;
        let modes =
            [100, 200, 300].map(|s| mode_report(s, if s == 100 { &even } else { &six }, 0.9));
        let alert = assess(&modes).expect("an alert");
        assert!(
            alert
                .message
                .starts_with("Mode collapse: mode 1, mode 7 lost since step 200 (6 of 8 still"),
            "{}",
            alert.message
        );
        let mut nine = [100; 10];
        nine[4] = 0;
        let classes =
            [100, 200, 300].map(|s| report(s, if s == 100 { &[100; 10] } else { &nine }, 0.9));
        let alert = assess(&classes).expect("an alert");
        assert!(
            alert
                .message
                .starts_with("Mode collapse: class 4 lost since step 200"),
            "{}",
            alert.message
        );
    }

    #[test]
    fn few_modes_from_the_start_and_low_diversity_alert() {
        let mut two = [0; 8];
        two[0] = 500;
        two[5] = 500;
        let reports: Vec<_> = (1..=3).map(|s| report(s * 100, &two, 0.2)).collect();
        let alert = assess(&reports).expect("an alert");
        assert_eq!(alert.since, 100);
        assert!(
            alert.message.contains("only 2 of 8 classes"),
            "{}",
            alert.message
        );
        assert!(alert.message.contains("less varied"), "{}", alert.message);
    }
}
