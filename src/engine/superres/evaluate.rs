//! A super-resolution run's evaluation on held-out images, shared by `ganvas train`, `ganvas
//! eval` and the trainer thread: PSNR and SSIM of the pixel network, the GAN network, bicubic
//! and nearest against the ground truth; with the dataset's classifier (labelled data),
//! FID-lite against the held-out high-res images and the classifier's accuracy on each
//! output. (PSNR, FID-lite) of each network is its perception–distortion point.

use std::sync::Arc;

use burn::module::Module;

use super::pairs::{Pairs, held_out_pairs};
use super::quality::{psnr, ssim};
use super::resize::nearest_upscale;
use super::run::SrRun;
use crate::engine::data::ImageSet;
use crate::engine::metrics::classifier::Classifier;
use crate::engine::metrics::images::ClassReference;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport};

/// Held-out images an evaluation uses at most (the acceptance figures use 1,000).
pub const EVAL_IMAGES: usize = 1000;

/// What every evaluation of a run compares with, built once: the held-out pairs, the
/// baselines' scores (they do not change while training) and the classifier's reference.
pub struct SrReferences {
    pub pairs: Pairs,
    baselines: Vec<(String, f64)>,
    classes: Option<ClassReference>,
}

/// The distortion and, with a classifier, perception scores of `images` under `name`.
fn scores(
    name: &str,
    images: &[f32],
    pairs: &Pairs,
    classes: Option<&ClassReference>,
) -> Vec<(String, f64)> {
    let mut out = vec![
        (format!("psnr_{name}"), psnr(images, &pairs.hr, pairs.shape)),
        (format!("ssim_{name}"), ssim(images, &pairs.hr, pairs.shape)),
    ];
    if let Some(classes) = classes {
        let clamped: Vec<f32> = images.iter().map(|v| v.clamp(-1.0, 1.0)).collect();
        let (values, _) = classes.evaluate(&clamped, &pairs.labels);
        for (key, v) in values {
            match key {
                "fid_lite" => out.push((format!("fid_lite_{name}"), v)),
                "cgan_accuracy" => out.push((format!("accuracy_{name}"), v)),
                _ => {}
            }
        }
    }
    out
}

impl SrReferences {
    /// From the held-out high-res images (their first [`EVAL_IMAGES`]) and, for labelled data,
    /// the classifier trained on the training images.
    pub fn new(
        held: &ImageSet,
        degradation: &super::pairs::Degradation,
        classifier: Option<Arc<Classifier>>,
    ) -> Self {
        let pairs = held_out_pairs(held, degradation).first(EVAL_IMAGES);
        let classes = classifier
            .filter(|_| !pairs.labels.is_empty())
            .map(|c| ClassReference::new(c, held));
        let nearest = nearest_upscale(&pairs.lr, pairs.lr_shape(), pairs.scale);
        let mut baselines = scores("bicubic", &pairs.bicubic, &pairs, classes.as_ref());
        baselines.extend(scores("nearest", &nearest, &pairs, None));
        if let Some(c) = &classes {
            // The classifier on the ground truth itself: the accuracy no output can beat.
            let (values, _) = c.evaluate(&pairs.hr, &pairs.labels);
            let truth = values.iter().find(|(k, _)| *k == "cgan_accuracy");
            baselines.extend(truth.map(|&(_, v)| ("accuracy_hr".to_string(), v)));
        }
        Self {
            pairs,
            baselines,
            classes,
        }
    }

    /// Whether FID-lite and accuracies are measured.
    pub fn has_classifier(&self) -> bool {
        self.classes.is_some()
    }
}

/// The metrics of `run` at its step: each network's PSNR, SSIM and (with a classifier)
/// FID-lite and accuracy (`_pixel`, `_gan`), and the baselines' (`_bicubic`, `_nearest`).
pub fn evaluate(run: &SrRun, refs: &SrReferences) -> MetricsReport {
    let step = run.step;
    let p = &refs.pairs;
    let shape = p.lr_shape();
    let mut named: Vec<(String, f64)> = refs.baselines.clone();
    let mut networks = vec![("pixel", run.pixel.valid())];
    networks.extend(run.gan_output().map(|g| ("gan", g)));
    for (name, net) in networks {
        let out = run.upscale_with(&net, &p.lr, shape).unwrap_or_default();
        if out.len() == p.hr.len() {
            named.extend(scores(name, &out, p, refs.classes.as_ref()));
        }
    }
    MetricsReport {
        step,
        values: named
            .into_iter()
            .map(|(name, value)| MetricValue { name, step, value })
            .collect(),
        histogram: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::superres::SrConfig;
    use crate::engine::superres::pairs::Degradation;
    use burn::tensor::Device;

    #[test]
    fn an_untrained_run_scores_near_bicubic_and_above_nearest() {
        let digits = crate::engine::data::digits::embedded_digits(80);
        let d = Degradation {
            scale: 4,
            blur: 0.0,
            noise: 0.0,
        };
        let run = SrRun::new(
            SrConfig::default(),
            d,
            Arc::new(digits.clone()),
            &Device::flex(),
        )
        .expect("builds");
        let refs = SrReferences::new(&digits, &d, None);
        let report = evaluate(&run, &refs);
        let get = |k: &str| report.get(k).unwrap_or_else(|| panic!("{k}"));
        assert!(get("psnr_bicubic") > get("psnr_nearest"));
        assert!((get("psnr_pixel") - get("psnr_bicubic")).abs() < 1.0);
        assert!(get("ssim_bicubic") > 0.0 && get("ssim_bicubic") < 1.0);
        assert!(
            report.get("psnr_gan").is_none(),
            "no GAN network before its stage"
        );
        assert!(
            report.get("fid_lite_pixel").is_none(),
            "no classifier given"
        );
    }
}
