//! What a translation is judged by: the cycle L1 (does there-and-back return the input?) and
//! label preservation (does G_AB turn a thin 3 into a thick 3?), the share of held-out images
//! of one domain whose translation the target domain's classifier gives the source's label.

use crate::engine::metrics::classifier::{Classifier, argmax};

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
