//! What a StyleGAN run shows: sample grids and the style-mixing grid (a row per source A, a
//! column per source B; each cell draws A's styles before the cut layer and B's from it on),
//! from the EMA generator, as the families' plain [`Samples`].

use burn::tensor::{Tensor, TensorData};

use super::generator::{mixed_ws, truncate};
use super::layers::Noise;
use super::run::StyleRun;
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::Samples;

/// Which layers take source B's styles in a mix, by the resolution they act at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StyleRange {
    /// 4-8 px: pose, shape, which digit.
    Coarse,
    /// 16 px (and 32 px at 64): stroke features.
    Middle,
    /// The finest level: texture, colour.
    Fine,
}

impl StyleRange {
    /// The first w index that takes B's styles for this range (B from there to the end is the
    /// cut the teaching figures use; `Middle` and `Fine` keep A's coarse styles).
    pub fn cut(self, run: &StyleRun) -> usize {
        let shape = &run.shape;
        let first_at = |min_side: usize| {
            (0..shape.num_ws())
                .find(|&i| shape.resolution_of_w(i) >= min_side)
                .unwrap_or(shape.num_ws())
        };
        match self {
            StyleRange::Coarse => 0,
            StyleRange::Middle => first_at(16),
            StyleRange::Fine => first_at(shape.resolution),
        }
    }

    /// The w indices of the range: B's styles go there, A's elsewhere.
    pub fn layers(self, run: &StyleRun) -> std::ops::Range<usize> {
        let end = match self {
            StyleRange::Coarse => StyleRange::Middle.cut(run),
            StyleRange::Middle => StyleRange::Fine.cut(run),
            StyleRange::Fine => run.shape.num_ws(),
        };
        self.cut(run)..end
    }
}

impl StyleRun {
    fn as_samples(&self, values: Vec<f32>) -> Samples {
        Samples {
            values,
            len: self.images.image_len(),
            channels: self.images.channels,
            side: self.shape.resolution,
            classes: Vec::new(),
        }
    }

    /// `n` EMA samples for seed `seed`, truncated by `psi`.
    pub fn sample_grid(&self, n: usize, seed: u64, psi: f32) -> Samples {
        self.as_samples(self.sample(n, seed, psi, true))
    }

    /// The mixing grid for `sources` A and B images (seeds `seed`, `seed + 1`): (sources + 1)²
    /// cells, row-major; the first row holds the B sources (after a blank corner), the first
    /// column the A sources; cell (i, j) has B_j's styles at the layers `range` names and
    /// A_i's elsewhere. Noise is off, so only the styles differ.
    pub fn mixing_grid(&self, sources: usize, seed: u64, psi: f32, range: StyleRange) -> Samples {
        let device = self.w_avg_tensor().device();
        let w_of = |s: u64| {
            let mut rng = Rng::seeded(s);
            let z = Tensor::from_data(
                TensorData::new(
                    rng.normals(sources * self.shape.z_dim),
                    [sources, self.shape.z_dim],
                ),
                &device,
            );
            truncate(self.ema.mapping.forward(z), self.w_avg_tensor(), psi)
        };
        let (a, b) = (w_of(seed), w_of(seed.wrapping_add(1)));
        let layers = range.layers(self);
        let noise = vec![Noise::Off; self.ema.synthesis.convs.len()];
        let num_ws = self.shape.num_ws();
        let draw = |ws: Vec<Tensor<2>>| {
            self.ema
                .synthesis
                .forward(&ws, &noise)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default()
        };
        let len = self.images.image_len();
        let a_images = draw(mixed_ws(&a, &a, num_ws, num_ws));
        let b_images = draw(mixed_ws(&b, &b, num_ws, num_ws));
        let mut values = vec![-1.0; len];
        values.extend_from_slice(&b_images);
        for i in 0..sources {
            let row_a = a.clone().narrow(0, i, 1).repeat_dim(0, sources);
            let ws = (0..num_ws)
                .map(|k| {
                    if layers.contains(&k) {
                        b.clone()
                    } else {
                        row_a.clone()
                    }
                })
                .collect();
            values.extend_from_slice(&a_images[i * len..(i + 1) * len]);
            values.extend(draw(ws));
        }
        self.as_samples(values)
    }
}

/// How often a mix's class follows each source, B giving its styles at `layers` and A the
/// rest. Only pairs whose sources the classifier puts in different classes tell the sources
/// apart (a collapsed generator would pass a check over all pairs), so the shares are of those.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MixAgreement {
    pub pairs: usize,
    /// Pairs whose A and B are of different classes.
    pub differing: usize,
    /// Share of the differing pairs whose mix is of B's class (0 when none differ).
    pub follows_b: f64,
    /// Share of the differing pairs whose mix is of A's class.
    pub follows_a: f64,
}

impl StyleRun {
    /// The mixing check: `n` pairs (A, B) from the EMA generator (ψ = 1, noise off), each mixed
    /// with B's styles at `layers`; the classifier names the class of A, of B and of the mix.
    /// For a coarse-layer mix the class should follow B (the coarse source).
    pub fn mixing_check(
        &self,
        classifier: &crate::engine::metrics::classifier::Classifier,
        n: usize,
        seed: u64,
        layers: std::ops::Range<usize>,
    ) -> MixAgreement {
        use crate::engine::metrics::classifier::argmax;
        let device = self.w_avg_tensor().device();
        let z_dim = self.shape.z_dim;
        let mut rng = Rng::seeded(seed);
        let mut w_of = |n: usize| {
            let z = Tensor::from_data(TensorData::new(rng.normals(n * z_dim), [n, z_dim]), &device);
            self.ema.mapping.forward(z)
        };
        let (a, b) = (w_of(n), w_of(n));
        let noise = vec![Noise::Off; self.ema.synthesis.convs.len()];
        let num_ws = self.shape.num_ws();
        let classes_of = |ws: Vec<Tensor<2>>| -> Vec<usize> {
            let images: Vec<f32> = self
                .ema
                .synthesis
                .forward(&ws, &noise)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            let p = classifier.classify(&images).probabilities;
            p.chunks_exact(classifier.classes().max(1))
                .map(argmax)
                .collect()
        };
        let class_a = classes_of(mixed_ws(&a, &a, num_ws, num_ws));
        let class_b = classes_of(mixed_ws(&b, &b, num_ws, num_ws));
        let mixed = (0..num_ws)
            .map(|k| {
                if layers.contains(&k) {
                    b.clone()
                } else {
                    a.clone()
                }
            })
            .collect();
        let class_mix = classes_of(mixed);
        let differing: Vec<usize> = (0..n).filter(|&i| class_a[i] != class_b[i]).collect();
        let share = |other: &[usize]| {
            let agree = differing
                .iter()
                .filter(|&&i| class_mix[i] == other[i])
                .count();
            agree as f64 / differing.len().max(1) as f64
        };
        MixAgreement {
            pairs: n,
            differing: differing.len(),
            follows_b: share(&class_b),
            follows_a: share(&class_a),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::engine::data::digits::embedded_digits;
    use crate::engine::metrics::classifier;
    use crate::engine::stylegan::run::StyleConfig;

    #[test]
    fn the_ranges_split_a_32_px_generator_s_styles_and_a_full_mix_is_b() {
        let set = embedded_digits(300);
        let config = StyleConfig {
            z_dim: 8,
            w_dim: 8,
            mapping_layers: 2,
            channel_base: 64,
            channel_max: 8,
            batch_size: 4,
            ..StyleConfig::default()
        };
        let run = StyleRun::new(config, &set, &Device::flex()).expect("run");
        assert_eq!(StyleRange::Coarse.layers(&run), 0..3);
        assert_eq!(StyleRange::Middle.layers(&run), 3..5);
        assert_eq!(StyleRange::Fine.layers(&run), 5..8);
        let grid = run.mixing_grid(3, 1, 1.0, StyleRange::Coarse);
        assert_eq!(grid.count(), 16, "(3 + 1)² cells");
        let padded = crate::engine::stylegan::run::pad_to(&set, 32).expect("pads");
        let judge = classifier::train(&padded, &mut |_| {}).expect("a classifier");
        // B's styles everywhere: the mix is B's image, so its class is B's every time.
        let all = run.mixing_check(&judge, 20, 3, 0..8);
        assert!(all.differing > 0, "{all:?}");
        assert_eq!((all.follows_b, all.follows_a), (1.0, 0.0));
        let none = run.mixing_check(&judge, 20, 3, 0..0);
        assert_eq!((none.follows_a, none.follows_b), (1.0, 0.0));
        assert_eq!((none.pairs, none.differing), (20, all.differing));
    }
}
