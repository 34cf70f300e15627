//! What a translation is judged by: the cycle L1 (does there-and-back return the input?) and
//! label preservation (does G_AB turn a thin 3 into a thick 3?), the share of held-out images
//! of one domain whose translation the target domain's classifier gives the source's label.

use super::run::CycleRun;
use crate::engine::data::ImageSet;
use crate::engine::metrics::classifier::{Classifier, argmax};

/// The first `n` images of `set` with their labels (none when unlabelled).
fn first(set: &ImageSet, n: usize) -> (Vec<f32>, Vec<u32>) {
    let indices: Vec<usize> = (0..n.min(set.len())).collect();
    let b = set.gather(&indices);
    (b.pixels, b.labels)
}

/// The share of `labels` that `judge` gives to `images`.
pub fn agreement(judge: &Classifier, images: &[f32], labels: &[u32]) -> f64 {
    let probs = judge.classify(images).probabilities;
    let k = judge.classes().max(1);
    let same = probs
        .chunks_exact(k)
        .zip(labels)
        .filter(|(p, l)| argmax(p) == **l as usize)
        .count();
    same as f64 / labels.len().max(1) as f64
}

/// Label preservation of both directions on the first `n` images of `held_a` and `held_b`:
/// [A→B judged by B's classifier, B→A judged by A's]. None for a direction whose source has
/// no labels.
pub fn label_preservation(
    run: &CycleRun,
    held: [&ImageSet; 2],
    judges: [&Classifier; 2],
    n: usize,
) -> [Option<f64>; 2] {
    let direction = |from: &ImageSet, a_to_b: bool, judge: &Classifier| {
        let (x, labels) = first(from, n);
        if labels.is_empty() {
            return None;
        }
        Some(agreement(judge, &run.translate(a_to_b, &x), &labels))
    };
    [
        direction(held[0], true, judges[1]),
        direction(held[1], false, judges[0]),
    ]
}
