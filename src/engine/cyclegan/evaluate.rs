//! A CycleGAN run's evaluation on held-out images, shared by `ganvas train` and the trainer
//! thread: cycle L1 per direction and, where the domains carry labels, label preservation
//! judged by each target domain's classifier (trained, or taken from the classifier cache).

use super::metrics::{agreement, label_preservation};
use super::run::CycleRun;
use crate::engine::data::ImageSet;
use crate::engine::data::domains::DomainPair;
use crate::engine::metrics::classifier::{self, Classifier};
use crate::engine::trainer::protocol::{MetricValue, MetricsReport};

/// Held-out images the cycle L1 is measured on.
const CYCLE_IMAGES: usize = 200;

/// The metrics of `run` at its step, with the names the CSV, the plots and the CLI use.
pub fn evaluate(
    run: &CycleRun,
    held: &DomainPair,
    judges: Option<&[Classifier; 2]>,
) -> MetricsReport {
    let step = run.step;
    let value = |name: &str, value: f64| MetricValue {
        name: name.into(),
        step,
        value,
    };
    let cycle = run.cycle_l1_on([&held.a, &held.b], CYCLE_IMAGES);
    let mut values = vec![
        value("cycle_l1_a", cycle[0] as f64),
        value("cycle_l1_b", cycle[1] as f64),
    ];
    if let Some([ja, jb]) = judges {
        let n = held.a.len().max(held.b.len());
        let [ab, ba] = label_preservation(run, [&held.a, &held.b], [ja, jb], n);
        values.extend(ab.map(|v| value("label_preservation_ab", v)));
        values.extend(ba.map(|v| value("label_preservation_ba", v)));
    }
    MetricsReport {
        step,
        values,
        histogram: None,
    }
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
