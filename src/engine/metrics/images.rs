//! Metrics for image GANs. Without labels: diversity in a fixed random projection of the
//! pixels (mean pairwise distance relative to the data's, near-duplicate samples, samples that
//! copy a training image). With labels, through the dataset's own [`Classifier`]: the class
//! histogram of generated samples, classes holding ≥ 2 %, KL to uniform, mean confidence,
//! FID-lite (a Fréchet distance in the classifier's 64 features: NOT comparable to Inception
//! FID), precision / recall / density / coverage (k = 5), and for a cGAN whether class k looks
//! like k.

use std::sync::Arc;

use rayon::prelude::*;

use super::classifier::{Classifier, FEATURES, argmax};
use super::kl_to_uniform;
use super::stats::{self, Rows};
use crate::engine::data::ImageSet;
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::{Histogram, HistogramKind, MetricsReport};

/// Generated images the metrics are computed on.
pub const IMAGE_METRIC_SAMPLES: usize = 1000;
/// Real images of the reference draw (features, diversity baseline).
const REAL_SAMPLES: usize = 1000;
/// Training images a generated one is compared with to flag copies.
const MEMORY_SAMPLES: usize = 5000;
const PROJECTION: usize = 64;
/// Neighbours for PRDC (Naeem et al.'s default).
pub const PRDC_K: usize = 5;
/// A class counts as produced when it holds at least 2 % of the samples.
pub const CLASS_COVERED_SHARE: f64 = 0.02;
/// Two images closer than this fraction of the data's median nearest-neighbour distance are
/// near-duplicates (a generated pair) or a copy (a generated image and a training image).
const DUPLICATE_FRACTION: f32 = 0.25;

/// The data-side half of the label-free metrics, computed once per run.
#[derive(Clone, Debug)]
pub struct DiversityReference {
    image_len: usize,
    /// image_len × PROJECTION, N(0, 1/image_len).
    projection: Vec<f32>,
    real_diversity: f64,
    memory: Vec<f32>,
    duplicate_below: f32,
}

fn project(images: &[f32], image_len: usize, projection: &[f32]) -> Vec<f32> {
    let n = images.len() / image_len.max(1);
    let mut out = vec![0.0f32; n * PROJECTION];
    out.par_chunks_exact_mut(PROJECTION)
        .zip(images.par_chunks_exact(image_len.max(1)))
        .for_each(|(o, img)| {
            for (&v, row) in img.iter().zip(projection.chunks_exact(PROJECTION)) {
                for (acc, &w) in o.iter_mut().zip(row) {
                    *acc += v * w;
                }
            }
        });
    out
}

/// `n` distinct images of `set` (all of them when it has fewer), in a seeded random order:
/// drawing with replacement would plant exact duplicates in the reference.
pub fn distinct_sample(set: &ImageSet, rng: &mut Rng, n: usize) -> Vec<f32> {
    let mut order: Vec<usize> = (0..set.len()).collect();
    let n = n.min(order.len());
    for i in 0..n {
        let j = i + rng.below(order.len() - i);
        order.swap(i, j);
    }
    set.gather(&order[..n]).pixels
}

impl DiversityReference {
    pub fn new(set: &ImageSet) -> Self {
        let len = set.image_len();
        let mut rng = Rng::seeded(0x0D1F_E125);
        let scale = 1.0 / (len as f32).sqrt();
        let projection: Vec<f32> = rng
            .normals(len * PROJECTION)
            .iter()
            .map(|v| v * scale)
            .collect();
        let real = project(
            &distinct_sample(set, &mut rng, REAL_SAMPLES),
            len,
            &projection,
        );
        let real_rows = Rows::new(&real, PROJECTION);
        let nn = stats::nearest_distances(real_rows, real_rows, true);
        let memory = project(
            &distinct_sample(set, &mut rng, MEMORY_SAMPLES),
            len,
            &projection,
        );
        Self {
            image_len: len,
            real_diversity: stats::mean_pairwise_distance(real_rows),
            duplicate_below: DUPLICATE_FRACTION * stats::median(&nn),
            projection,
            memory,
        }
    }

    /// (diversity_ratio, duplicate_pct, memorised_pct) of generated images.
    pub fn evaluate(&self, images: &[f32]) -> [(&'static str, f64); 3] {
        let fake = project(images, self.image_len, &self.projection);
        let rows = Rows::new(&fake, PROJECTION);
        let n = rows.len().max(1) as f64;
        let below = |d: Vec<f32>| d.iter().filter(|&&x| x < self.duplicate_below).count() as f64;
        let duplicates = below(stats::nearest_distances(rows, rows, true));
        let copies = below(stats::nearest_distances(
            rows,
            Rows::new(&self.memory, PROJECTION),
            false,
        ));
        [
            (
                "diversity_ratio",
                stats::mean_pairwise_distance(rows) / self.real_diversity.max(1e-12),
            ),
            ("duplicate_pct", 100.0 * duplicates / n),
            ("memorised_pct", 100.0 * copies / n),
        ]
    }
}

/// The data-side half of the class metrics: the classifier and real images' features.
#[derive(Clone, Debug)]
pub struct ClassReference {
    pub classifier: Arc<Classifier>,
    real_prdc: stats::PrdcReference,
    real_mean: Vec<f64>,
    real_cov: Vec<f64>,
}

impl ClassReference {
    pub fn new(classifier: Arc<Classifier>, set: &ImageSet) -> Self {
        let mut rng = Rng::seeded(0xFEA7_0000);
        let real = distinct_sample(set, &mut rng, REAL_SAMPLES);
        let real_features = classifier.classify(&real).features;
        let real_rows = Rows::new(&real_features, FEATURES);
        let (real_mean, real_cov) = stats::mean_covariance(real_rows);
        Self {
            classifier,
            real_prdc: stats::PrdcReference::new(real_rows, PRDC_K),
            real_mean,
            real_cov,
        }
    }

    /// Class metrics of generated images; `conditioned_on`: the class each was generated
    /// for (cGAN), else empty.
    pub fn evaluate(
        &self,
        images: &[f32],
        conditioned_on: &[u32],
    ) -> (Vec<(&'static str, f64)>, Histogram) {
        let c = self.classifier.classify(images);
        let k = self.classifier.classes();
        let n = c.probabilities.len() / k.max(1);
        let mut counts = vec![0usize; k];
        let mut confidence = 0.0f64;
        let mut hits = vec![0usize; k];
        let mut asked = vec![0usize; k];
        for (i, p) in c.probabilities.chunks_exact(k).enumerate() {
            let top = argmax(p);
            counts[top] += 1;
            confidence += p[top] as f64;
            if let Some(&want) = conditioned_on.get(i) {
                let want = (want as usize).min(k - 1);
                asked[want] += 1;
                hits[want] += usize::from(top == want);
            }
        }
        let needed = CLASS_COVERED_SHARE * n as f64;
        let covered = counts
            .iter()
            .filter(|&&c| c as f64 >= needed && c > 0)
            .count();
        let fake = Rows::new(&c.features, FEATURES);
        let (mean, cov) = stats::mean_covariance(fake);
        let fid = stats::frechet_distance(&self.real_mean, &self.real_cov, &mean, &cov);
        let prdc = self.real_prdc.evaluate(fake);
        let mut values = vec![
            ("classes_covered", covered as f64),
            ("kl_classes_to_uniform", kl_to_uniform(&counts)),
            ("mean_confidence", confidence / n.max(1) as f64),
            ("fid_lite", fid),
            ("precision", prdc.precision),
            ("recall", prdc.recall),
            ("density", prdc.density),
            ("coverage", prdc.coverage),
        ];
        let accuracy: Vec<f64> = if conditioned_on.is_empty() {
            Vec::new()
        } else {
            let acc: Vec<f64> = hits
                .iter()
                .zip(&asked)
                .map(|(&h, &a)| if a == 0 { 0.0 } else { h as f64 / a as f64 })
                .collect();
            values.push(("cgan_accuracy", acc.iter().sum::<f64>() / k as f64));
            acc
        };
        let histogram = Histogram {
            kind: HistogramKind::Classes,
            labels: self.classifier.class_names.clone(),
            counts,
            total: n,
            covered_share: CLASS_COVERED_SHARE,
            accuracy,
        };
        (values, histogram)
    }
}

/// The image metrics of generated `images` at `step`: diversity always, class metrics when a
/// classifier is there. `conditioned_on`: the class each image was generated for (cGAN).
pub fn image_report(
    step: u64,
    diversity: &DiversityReference,
    classes: Option<&ClassReference>,
    images: &[f32],
    conditioned_on: &[u32],
) -> MetricsReport {
    let mut values = super::named(step, &diversity.evaluate(images));
    let mut histogram = None;
    if let Some(classes) = classes {
        let (v, h) = classes.evaluate(images, conditioned_on);
        values.extend(super::named(step, &v));
        histogram = Some(h);
    }
    MetricsReport {
        step,
        values,
        histogram,
    }
}
