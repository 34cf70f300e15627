//! A CycleGAN run's evaluation on held-out images, shared by `ganvas train` and the trainer
//! thread: cycle L1 per direction; where the domains carry labels, label preservation judged
//! by each target domain's classifier (trained, or taken from the classifier cache); the
//! translations' variety and FID-lite against the target domain, and the collapse alert.

use std::sync::Arc;

use super::metrics::agreement;
use super::run::CycleRun;
use crate::engine::data::ImageSet;
use crate::engine::data::domains::DomainPair;
use crate::engine::metrics::classifier::{self, Classifier};
use crate::engine::metrics::collapse::{DIVERSITY_FLOOR, DUPLICATE_CEILING};
use crate::engine::metrics::images::{ClassReference, DiversityReference};
use crate::engine::trainer::protocol::{MetricValue, MetricsReport};

/// Held-out images the cycle L1 is measured on.
const CYCLE_IMAGES: usize = 200;

/// What translations into each domain are compared with: the domain's own held-out images'
/// variety (diversity, near-duplicates) and, when the judges are there, their classifier
/// features (FID-lite). Built once per run; index 0 is domain A, 1 is domain B.
pub struct TargetReferences {
    diversity: [DiversityReference; 2],
    classes: Option<[ClassReference; 2]>,
}

impl TargetReferences {
    pub fn new(held: &DomainPair, judges: Option<&[Classifier; 2]>) -> Self {
        let class = |i: usize, set: &ImageSet| {
            judges.map(|j| ClassReference::new(Arc::new(j[i].clone()), set))
        };
        Self {
            diversity: [
                DiversityReference::new(&held.a),
                DiversityReference::new(&held.b),
            ],
            classes: class(0, &held.a)
                .zip(class(1, &held.b))
                .map(|(a, b)| [a, b]),
        }
    }
}

/// Every held-out image of `set`, with its labels (empty when unlabelled).
fn all(set: &ImageSet) -> (Vec<f32>, Vec<u32>) {
    let b = set.gather(&(0..set.len()).collect::<Vec<_>>());
    (b.pixels, b.labels)
}

/// The metrics of `run` at its step, with the names the CSV, the plots and the CLI use:
/// cycle L1 per domain; per direction (`_ab`, `_ba`) label preservation (with the judges),
/// and with `refs` the translations' variety against the target domain's (`diversity_ratio`,
/// `duplicate_pct`) and FID-lite to it.
pub fn evaluate(
    run: &CycleRun,
    held: &DomainPair,
    judges: Option<&[Classifier; 2]>,
    refs: Option<&TargetReferences>,
) -> MetricsReport {
    let step = run.step;
    let value = |name: String, value: f64| MetricValue { name, step, value };
    let cycle = run.cycle_l1_on([&held.a, &held.b], CYCLE_IMAGES);
    let mut values = vec![
        value("cycle_l1_a".into(), cycle[0] as f64),
        value("cycle_l1_b".into(), cycle[1] as f64),
    ];
    // (suffix, source, whether A → B, target index)
    for (dir, source, a_to_b, target) in [("ab", &held.a, true, 1), ("ba", &held.b, false, 0)] {
        let (x, labels) = all(source);
        let translated = run.translate(a_to_b, &x);
        if let Some(j) = judges
            && !labels.is_empty()
        {
            let v = agreement(&j[target], &translated, &labels);
            values.push(value(format!("label_preservation_{dir}"), v));
        }
        let Some(refs) = refs else { continue };
        for (name, v) in refs.diversity[target].evaluate(&translated) {
            if name != "memorised_pct" {
                values.push(value(format!("{name}_{dir}"), v));
            }
        }
        if let Some(classes) = &refs.classes {
            let (class_values, _) = classes[target].evaluate(&translated, &[]);
            let fid = class_values.iter().find(|(n, _)| *n == "fid_lite");
            values.extend(fid.map(|&(_, v)| value(format!("fid_lite_{dir}"), v)));
        }
    }
    MetricsReport {
        step,
        values,
        histogram: None,
    }
}

/// The collapse alert of a translation: when one direction's outputs have far less variety
/// than the target domain (many inputs, one output), what to tell the user.
pub fn collapse_alert(report: &MetricsReport, names: &[String; 2]) -> Option<String> {
    let mut parts = Vec::new();
    for (dir, from, to) in [("ab", &names[0], &names[1]), ("ba", &names[1], &names[0])] {
        let diversity = report.get(&format!("diversity_ratio_{dir}"));
        let duplicates = report.get(&format!("duplicate_pct_{dir}"));
        if diversity.is_some_and(|d| d < DIVERSITY_FLOOR)
            || duplicates.is_some_and(|d| d > DUPLICATE_CEILING)
        {
            parts.push(format!(
                "{from} -> {to} translations have {:.2} of the {to} images' variety, {:.0} % near-duplicates",
                diversity.unwrap_or(f64::NAN),
                duplicates.unwrap_or(f64::NAN)
            ));
        }
    }
    (!parts.is_empty()).then(|| {
        format!(
            "Mode collapse at step {}: {} (many inputs give one output; the translation no longer depends on its input)",
            report.step,
            parts.join("; ")
        )
    })
}

/// How often a target domain's classifier gives held-out source images their label
/// untranslated: what label preservation must beat for the translation to have helped.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// "ab" or "ba".
    pub direction: &'static str,
    pub source: String,
    pub target: String,
    pub agreement: f64,
}

impl Baseline {
    /// The metric name it is recorded under ("untranslated_agreement_ab").
    pub fn metric(&self) -> String {
        format!("untranslated_agreement_{}", self.direction)
    }
}

/// The untranslated baseline of each direction whose source has labels and whose images
/// have the target's shape.
pub fn untranslated_baseline(held: &DomainPair, judges: &[Classifier; 2]) -> Vec<Baseline> {
    let directions = [
        ("ab", &held.a, &judges[1], &held.b, 0),
        ("ba", &held.b, &judges[0], &held.a, 1),
    ];
    let mut out = Vec::new();
    for (direction, source, judge, target, from) in directions {
        let same_shape = source.image_len() == target.image_len();
        let (Some(labels), true) = (source.labels.as_ref(), same_shape) else {
            continue;
        };
        let x = source.gather(&(0..source.len()).collect::<Vec<_>>()).pixels;
        let labels: Vec<u32> = labels.iter().map(|&l| u32::from(l)).collect();
        out.push(Baseline {
            direction,
            source: held.names[from].clone(),
            target: held.names[1 - from].clone(),
            agreement: agreement(judge, &x, &labels),
        });
    }
    out
}

/// Each domain's classifier (cached like the GAN's), or why there are none. `progress`
/// gets the fraction of the two done.
pub fn judges(
    train: &DomainPair,
    progress: &mut dyn FnMut(f32),
) -> Result<[Classifier; 2], String> {
    let mut one = |set: &ImageSet, i: usize| {
        let name = &train.names[i];
        classifier::for_dataset(set, &mut |f| progress((i as f32 + f) / 2.0))
            .map_err(|e| format!("domain {name}: {e}"))
    };
    Ok([one(&train.a, 0)?, one(&train.b, 1)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(diversity_ab: f64, duplicates_ba: f64) -> MetricsReport {
        let v = |name: &str, value: f64| MetricValue {
            name: name.into(),
            step: 400,
            value,
        };
        MetricsReport {
            step: 400,
            values: vec![
                v("diversity_ratio_ab", diversity_ab),
                v("duplicate_pct_ab", 0.0),
                v("diversity_ratio_ba", 0.95),
                v("duplicate_pct_ba", duplicates_ba),
            ],
            histogram: None,
        }
    }

    #[test]
    fn the_collapse_alert_names_the_direction_whose_outputs_stopped_varying() {
        let names = ["thin".to_string(), "thick".to_string()];
        assert_eq!(collapse_alert(&report(0.9, 1.0), &names), None);
        let alert = collapse_alert(&report(0.2, 1.0), &names).expect("collapsed A -> B");
        assert!(
            alert.starts_with("Mode collapse at step 400: thin -> thick"),
            "{alert}"
        );
        assert!(
            alert.contains("0.20 of the thick images' variety"),
            "{alert}"
        );
        assert!(!alert.contains("thick -> thin"), "{alert}");
        let both = collapse_alert(&report(0.2, 40.0), &names).expect("both");
        assert!(both.contains("thick -> thin translations"), "{both}");
        // A report without these metrics (no references) raises nothing.
        let bare = MetricsReport {
            step: 1,
            values: Vec::new(),
            histogram: None,
        };
        assert_eq!(collapse_alert(&bare, &names), None);
    }
}
