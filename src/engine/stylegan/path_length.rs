//! Perceptual path length (StyleGAN, Karras et al. 2019): how abruptly the images change
//! along straight lines in w. For pairs of w, a point t on the segment between them and one
//! a step ε further are drawn; the squared distance of their images in a perceptual feature
//! space, divided by ε², is averaged. StyleGAN measures it with LPIPS (VGG features); ganvas
//! uses the dataset classifier's features, as FID-lite does, so the figure is comparable
//! between runs on one dataset, not with the papers'. Lower: a smoother latent space.

use burn::tensor::{Tensor, TensorData};

use super::generator::mixed_ws;
use super::layers::Noise;
use super::run::StyleRun;
use crate::engine::metrics::classifier::Classifier;
use crate::engine::rng::Rng;

/// The step along the segment (StyleGAN: 1e-4 in float32 LPIPS; 1e-3 keeps the classifier's
/// float32 features' rounding well below the differences measured).
const EPSILON: f32 = 1e-3;

impl StyleRun {
    /// The perceptual path length in w over `pairs` pairs (noise off, no truncation; the
    /// lowest and highest 1 % dropped, as StyleGAN does, since a few segments cross a seam).
    pub fn path_length(&self, classifier: &Classifier, pairs: usize, seed: u64) -> f64 {
        let (z_dim, w_dim) = (self.shape.z_dim, self.shape.w_dim);
        let device = self.w_avg_tensor().device();
        let mut rng = Rng::seeded(seed);
        let mut w_of = |n: usize| -> Vec<f32> {
            let z = Tensor::from_data(TensorData::new(rng.normals(n * z_dim), [n, z_dim]), &device);
            self.ema
                .mapping
                .forward(z)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default()
        };
        let (w1, w2) = (w_of(pairs), w_of(pairs));
        let ts: Vec<f32> = (0..pairs)
            .map(|_| rng.uniform() as f32 * (1.0 - EPSILON))
            .collect();
        let lerp = |shift: f32| -> Tensor<2> {
            let mut values = Vec::with_capacity(pairs * w_dim);
            for (i, t) in ts.iter().enumerate() {
                let t = t + shift;
                let (a, b) = (&w1[i * w_dim..][..w_dim], &w2[i * w_dim..][..w_dim]);
                values.extend(a.iter().zip(b).map(|(x, y)| x + t * (y - x)));
            }
            Tensor::from_data(TensorData::new(values, [pairs, w_dim]), &device)
        };
        let both = Tensor::cat(vec![lerp(0.0), lerp(EPSILON)], 0);
        let num_ws = self.shape.num_ws();
        let noise = vec![Noise::Off; self.ema.synthesis.convs.len()];
        let images: Vec<f32> = self
            .ema
            .synthesis
            .forward(&mixed_ws(&both, &both, num_ws, num_ws), &noise)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let features = classifier.classify(&images).features;
        let f = features.len() / (2 * pairs).max(1);
        let mut distances: Vec<f64> = (0..pairs)
            .map(|i| {
                let (a, b) = (&features[i * f..][..f], &features[(pairs + i) * f..][..f]);
                let d: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
                d / f64::from(EPSILON).powi(2)
            })
            .collect();
        distances.sort_by(f64::total_cmp);
        let drop = pairs / 100;
        let kept = &distances[drop..pairs - drop];
        kept.iter().sum::<f64>() / kept.len().max(1) as f64
    }
}
