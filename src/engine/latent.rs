//! Drawing G's latent vectors: from the configured prior (Gaussian, uniform cube, or a mixture
//! of Gaussians), optionally with the truncation trick. Training, snapshots, metrics, exports,
//! the CLI and the latent explorer all draw through one [`LatentSampler`], so they agree.

use crate::engine::config::{LatentPrior, ModelConfig};
use crate::engine::rng::Rng;

/// The mixture's centres come from this seed alone, so that they depend only on the number of
/// components and the latent size: a checkpoint needs nothing more than its config.
const MIXTURE_SEED: u64 = 0x6D69_7874_7572_6573;

/// The prior of one model, ready to sample.
#[derive(Clone, Debug, PartialEq)]
pub struct LatentSampler {
    pub prior: LatentPrior,
    pub dim: usize,
    /// components × dim, for [`LatentPrior::Mixture`]; empty otherwise.
    centres: Vec<f32>,
    /// Spread of each mixture component around its centre.
    spread: f32,
}

impl LatentSampler {
    /// The sampler for `model`'s latent size and prior.
    pub fn new(model: &ModelConfig) -> Self {
        let mut s = Self::with(
            model.latent_prior,
            model.latent_dim,
            model.latent_components,
        );
        s.spread = model.latent_component_std;
        s
    }

    /// A sampler for `dim`-sized vectors; `components` matters only for a mixture (whose
    /// components then have the default spread, 0.1).
    pub fn with(prior: LatentPrior, dim: usize, components: usize) -> Self {
        let centres = match prior {
            LatentPrior::Mixture => Rng::seeded(MIXTURE_SEED).normals(components.max(1) * dim),
            _ => Vec::new(),
        };
        Self {
            prior,
            dim,
            centres,
            spread: 0.1,
        }
    }

    /// Whether this sampler is the one `model` asks for (cheap: draws no centres).
    pub fn is_for(&self, model: &ModelConfig) -> bool {
        self.prior == model.latent_prior
            && self.dim == model.latent_dim
            && (self.prior != LatentPrior::Mixture
                || (self.components() == model.latent_components.max(1)
                    && self.spread == model.latent_component_std))
    }

    /// Half the range a latent slider spans: ±3σ for the Gaussian and the mixture (whose
    /// centres are standard normal), the cube's ±1 for the uniform prior.
    pub fn slider_bound(&self) -> f32 {
        match self.prior {
            LatentPrior::Gaussian | LatentPrior::Mixture => 3.0,
            LatentPrior::Uniform => 1.0,
        }
    }

    /// `vectors` latent vectors, flattened; with the truncation trick (BigGAN) when `bound`
    /// is set: every coordinate beyond ±bound (from the centre of its mixture component) is
    /// drawn again.
    pub fn draw(&self, rng: &mut Rng, vectors: usize, bound: Option<f32>) -> Vec<f32> {
        let mut z = Vec::with_capacity(vectors * self.dim);
        for _ in 0..vectors {
            match self.prior {
                LatentPrior::Gaussian => z.extend((0..self.dim).map(|_| rng.normal() as f32)),
                LatentPrior::Uniform => {
                    z.extend((0..self.dim).map(|_| rng.uniform_in(-1.0, 1.0) as f32))
                }
                LatentPrior::Mixture => {
                    let k = rng.below(self.components());
                    let centre = &self.centres[k * self.dim..(k + 1) * self.dim];
                    z.extend(
                        centre
                            .iter()
                            .map(|&c| c + self.spread * rng.normal() as f32),
                    );
                }
            }
        }
        if let Some(b) = bound {
            self.truncate(rng, &mut z, b);
        }
        z
    }

    /// Number of mixture components (1 for the other priors).
    pub fn components(&self) -> usize {
        (self.centres.len() / self.dim.max(1)).max(1)
    }

    /// Draws every coordinate of `z` (whole vectors of `dim`) that lies beyond ±bound again
    /// until it lies within (rejection sampling). For the mixture, "beyond" is measured in
    /// component spreads from the nearest centre, so a vector stays with its component. The
    /// config keeps `bound` ≥ 0.1, where ≥ 8 % of draws land inside, so the loop stays short.
    pub fn truncate(&self, rng: &mut Rng, z: &mut [f32], bound: f32) {
        for v in z.chunks_exact_mut(self.dim.max(1)) {
            match self.prior {
                LatentPrior::Gaussian => {
                    for x in v.iter_mut() {
                        while x.abs() > bound {
                            *x = rng.normal() as f32;
                        }
                    }
                }
                LatentPrior::Uniform => {
                    for x in v.iter_mut() {
                        while x.abs() > bound {
                            *x = rng.uniform_in(-1.0, 1.0) as f32;
                        }
                    }
                }
                LatentPrior::Mixture => {
                    let centre = self.nearest_centre(v).to_vec();
                    for (x, c) in v.iter_mut().zip(centre) {
                        let mut e = (*x - c) / self.spread;
                        while e.abs() > bound {
                            e = rng.normal() as f32;
                        }
                        *x = c + self.spread * e;
                    }
                }
            }
        }
    }

    /// The mixture centre closest to `v`.
    fn nearest_centre(&self, v: &[f32]) -> &[f32] {
        let dist = |c: &[f32]| v.iter().zip(c).map(|(a, b)| (a - b).powi(2)).sum::<f32>();
        self.centres
            .chunks_exact(self.dim)
            .min_by(|a, b| dist(a).total_cmp(&dist(b)))
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(prior: LatentPrior, dim: usize) -> LatentSampler {
        LatentSampler::with(prior, dim, 5)
    }

    #[test]
    fn truncated_latents_stay_within_the_bound_and_keep_the_inside_values() {
        let gauss = sampler(LatentPrior::Gaussian, 1);
        let plain = gauss.draw(&mut Rng::seeded(3), 10_000, None);
        assert_eq!(plain, Rng::seeded(3).normals(10_000));
        assert!(plain.iter().any(|v| v.abs() > 1.0));
        let cut = gauss.draw(&mut Rng::seeded(3), 10_000, Some(1.0));
        assert_eq!(cut.len(), 10_000);
        assert!(cut.iter().all(|v| v.abs() <= 1.0));
        // Values already inside are kept: only the ~32 % outside ±1 are drawn again.
        let kept = plain.iter().zip(&cut).filter(|(a, b)| a == b).count();
        assert!((6_500..7_000).contains(&kept), "kept {kept}");
        // A truncated standard normal on ±1 has variance ≈ 0.291.
        let var = cut.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / cut.len() as f64;
        assert!((var - 0.291).abs() < 0.02, "var {var}");
        let cube = sampler(LatentPrior::Uniform, 4).draw(&mut Rng::seeded(3), 2_500, Some(0.5));
        assert!(cube.iter().all(|v| v.abs() <= 0.5));
        let mean_abs = cube.iter().map(|v| v.abs() as f64).sum::<f64>() / 10_000.0;
        assert!(
            (mean_abs - 0.25).abs() < 0.01,
            "uniform on ±0.5: mean |v| {mean_abs}"
        );
    }

    #[test]
    fn mixture_draws_cluster_tightly_around_fixed_centres() {
        let s = sampler(LatentPrior::Mixture, 8);
        assert_eq!(s.components(), 5);
        // The centres depend on the component count and size only, not on the run's seed.
        assert_eq!(s, sampler(LatentPrior::Mixture, 8));
        let z = s.draw(&mut Rng::seeded(1), 2_000, None);
        assert_eq!(z.len(), 16_000);
        let mut used = [0usize; 5];
        for v in z.chunks_exact(8) {
            let c = s.nearest_centre(v);
            let k = s
                .centres
                .chunks_exact(8)
                .position(|x| x == c)
                .expect("a centre");
            used[k] += 1;
            let d2: f32 = v.iter().zip(c).map(|(a, b)| (a - b).powi(2)).sum();
            // 8 coordinates of spread 0.1: squared distance ≈ 8 × 0.01 = 0.08.
            assert!(d2 < 0.4, "a draw {d2} from its centre");
        }
        assert!(used.iter().all(|&n| (300..500).contains(&n)), "{used:?}");
        // Truncation keeps each vector with its component and within bound spreads of it.
        let cut = s.draw(&mut Rng::seeded(1), 2_000, Some(1.0));
        for (v, w) in z.chunks_exact(8).zip(cut.chunks_exact(8)) {
            let c = s.nearest_centre(v);
            assert_eq!(s.nearest_centre(w), c);
            assert!(
                w.iter()
                    .zip(c)
                    .all(|(a, b)| (a - b).abs() <= s.spread + 1e-6)
            );
        }
    }
}
