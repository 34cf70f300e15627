//! Dropout masks. burn-flex draws every random value through ChaCha on one thread: with
//! dropout 0.3 in the DCGAN critic that was a third of all CPU time and halved the training
//! speed (17 → 8 steps/s on MNIST, 2026-12-01). On the CPU the mask is therefore hashed, in
//! parallel, from a seed the trainer draws from the run's own generator for each forward pass
//! (and salts per layer): a fixed seed repeats a run, whatever else uses burn's generator in the
//! process meanwhile. On a GPU burn draws the mask on the device.

use burn::tensor::{Device, Distribution, Tensor, TensorData};
use rayon::prelude::*;

use crate::engine::rng::splitmix64 as mix;

/// Dropout at one site: the probability and the seed its mask is hashed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    pub p: f32,
    pub seed: u64,
}

impl Dropout {
    /// No dropout.
    pub const OFF: Dropout = Dropout { p: 0.0, seed: 0 };

    /// The same probability with the mask seed of hidden layer `layer`.
    pub fn at_layer(self, layer: usize) -> Dropout {
        Dropout {
            p: self.p,
            seed: mix(self.seed ^ mix(layer as u64 + 1)),
        }
    }
}

/// An inverted-dropout mask (already scaled by 1/(1 − p)), or None when p is 0.
pub fn dropout_mask<const D: usize>(
    shape: [usize; D],
    dropout: Dropout,
    device: &Device,
) -> Option<Tensor<D>> {
    if dropout.p <= 0.0 {
        return None;
    }
    let keep = 1.0 - dropout.p as f64;
    if *device != Device::flex() {
        return Some(Tensor::random(shape, Distribution::Bernoulli(keep), device).div_scalar(keep));
    }
    let n = shape.iter().product();
    let values = hashed_mask(n, keep, dropout.seed);
    Some(Tensor::from_data(TensorData::new(values, shape), device))
}

/// n values, each 1/keep with probability `keep` (to 1/65,536) and 0 otherwise, from `seed`.
/// Element i depends only on (seed, i), so the thread count does not change the mask; one
/// 64-bit hash decides four elements.
pub fn hashed_mask(n: usize, keep: f64, seed: u64) -> Vec<f32> {
    const CHUNK: usize = 16 * 1024;
    let threshold = (keep * 65536.0).round() as u32;
    let scale = (1.0 / keep) as f32;
    let key = mix(seed);
    let mut out = vec![0.0f32; n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let base = (c * CHUNK / 4) as u64;
            for (j, quad) in chunk.chunks_mut(4).enumerate() {
                let bits = mix(key ^ (base + j as u64));
                for (lane, v) in quad.iter_mut().enumerate() {
                    if ((bits >> (16 * lane)) as u32 & 0xFFFF) < threshold {
                        *v = scale;
                    }
                }
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_masks_keep_the_asked_share_at_the_inverted_scale() {
        let m = hashed_mask(200_000, 0.7, 1);
        let kept = m.iter().filter(|&&v| v > 0.0).count() as f64 / m.len() as f64;
        assert!((kept - 0.7).abs() < 0.005, "kept {kept}");
        assert!(m.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
        let mean = m.iter().map(|&v| v as f64).sum::<f64>() / m.len() as f64;
        assert!(
            (mean - 1.0).abs() < 0.01,
            "inverted dropout keeps the mean: {mean}"
        );
    }

    #[test]
    fn hashed_masks_depend_on_the_seed_only() {
        assert_eq!(hashed_mask(50_000, 0.5, 9), hashed_mask(50_000, 0.5, 9));
        let (a, b) = (hashed_mask(50_000, 0.5, 9), hashed_mask(50_000, 0.5, 10));
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64;
        assert!(
            (same - 0.5).abs() < 0.02,
            "independent masks agree half the time: {same}"
        );
        // Neighbouring elements are not correlated.
        let pairs = a.windows(2).filter(|w| w[0] == w[1]).count() as f64 / (a.len() - 1) as f64;
        assert!((pairs - 0.5).abs() < 0.02, "{pairs}");
    }

    #[test]
    fn cpu_masks_follow_their_seed() {
        let device = Device::flex();
        let draw = |d: Dropout| {
            dropout_mask([64, 32, 7, 7], d, &device)
                .expect("p > 0")
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32")
        };
        let d = Dropout { p: 0.3, seed: 5 };
        assert_eq!(draw(d), draw(d), "the same seed gives the same mask");
        assert_ne!(draw(d), draw(Dropout { seed: 6, ..d }));
        assert_ne!(draw(d.at_layer(0)), draw(d.at_layer(1)), "layers differ");
        assert!(dropout_mask([4, 4], Dropout::OFF, &device).is_none());
    }
}
