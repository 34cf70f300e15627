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
