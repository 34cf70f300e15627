//! Directions in w found by principal component analysis (GANSpace, Härkönen et al. 2020):
//! map many random z through the mapping network, and the eigenvectors of the w's covariance
//! with the largest eigenvalues are the directions along which the generator's styles vary
//! most. Moving w along one, at chosen layers, edits a sample; the slider's unit is that
//! component's standard deviation, so ±2 stays within what the network was trained on.

use burn::tensor::{Tensor, TensorData};

use super::run::StyleRun;
use crate::engine::rng::Rng;

/// How many directions are kept.
pub const DIRECTIONS: usize = 8;
/// How many w the covariance is estimated from.
const DRAWS: usize = 2000;

/// The principal directions of w at one moment of training.
#[derive(Clone, Debug, PartialEq)]
pub struct Directions {
    /// The round they were computed at.
    pub step: u64,
    /// Unit vectors [w_dim], largest variance first.
    pub vectors: Vec<Vec<f32>>,
    /// Each direction's standard deviation in w.
    pub sigmas: Vec<f32>,
    /// Each direction's share of the total variance of w.
    pub explained: Vec<f32>,
}

impl Directions {
    /// `w` [w_dim] moved by `edits[k]` standard deviations along direction k.
    pub fn apply(&self, w: &mut [f32], edits: &[f32]) {
        for ((vector, sigma), amount) in self.vectors.iter().zip(&self.sigmas).zip(edits) {
            for (x, u) in w.iter_mut().zip(vector) {
                *x += amount * sigma * u;
            }
        }
    }
}

impl StyleRun {
    /// The principal directions of the EMA generator's w, from a fixed set of z (so that two
    /// computations at the same step agree).
    pub fn directions(&self) -> Directions {
        let dim = self.shape.w_dim;
        let mut rng = Rng::seeded(0x4741_4E53);
        let z = Tensor::from_data(
            TensorData::new(
                rng.normals(DRAWS * self.shape.z_dim),
                [DRAWS, self.shape.z_dim],
            ),
            &self.w_avg_tensor().device(),
        );
        let w: Vec<f32> = self
            .ema
            .mapping
            .forward(z)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let (values, vectors) = principal_components(&w, dim);
        let total: f64 = values.iter().map(|&v| v.max(0.0)).sum::<f64>().max(1e-12);
        let keep = DIRECTIONS.min(dim);
        Directions {
            step: self.step,
            vectors: vectors[..keep]
                .iter()
                .map(|v| v.iter().map(|&x| x as f32).collect())
                .collect(),
            sigmas: values[..keep]
                .iter()
                .map(|&v| v.max(0.0).sqrt() as f32)
                .collect(),
            explained: values[..keep]
                .iter()
                .map(|&v| (v.max(0.0) / total) as f32)
                .collect(),
        }
    }
}

/// The eigenvalues (descending) and unit eigenvectors of the covariance of `rows` (n × dim
/// values, row after row).
pub fn principal_components(rows: &[f32], dim: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = rows.len() / dim.max(1);
    let mut mean = vec![0.0f64; dim];
    for row in rows.chunks_exact(dim) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += f64::from(x) / n as f64;
        }
    }
    let mut cov = vec![0.0f64; dim * dim];
    for row in rows.chunks_exact(dim) {
        let centred: Vec<f64> = row
            .iter()
            .zip(&mean)
            .map(|(&x, m)| f64::from(x) - m)
            .collect();
        for i in 0..dim {
            for j in i..dim {
                cov[i * dim + j] += centred[i] * centred[j];
            }
        }
    }
    let denominator = (n.max(2) - 1) as f64;
    for i in 0..dim {
        for j in i..dim {
            let v = cov[i * dim + j] / denominator;
            cov[i * dim + j] = v;
            cov[j * dim + i] = v;
        }
    }
    symmetric_eigen(cov, dim)
}

/// Eigen-decomposition of a symmetric `dim` × `dim` matrix by cyclic Jacobi rotations
/// (exact to rounding for the small matrices here: w has at most a few hundred dimensions).
fn symmetric_eigen(mut a: Vec<f64>, dim: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut v = vec![0.0f64; dim * dim];
    for i in 0..dim {
        v[i * dim + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..dim)
            .flat_map(|i| (0..dim).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * dim + j] * a[i * dim + j])
            .sum();
        let scale: f64 = (0..dim).map(|i| a[i * dim + i] * a[i * dim + i]).sum();
        if off <= 1e-24 * scale.max(1e-300) {
            break;
        }
        for p in 0..dim {
            for q in p + 1..dim {
                let apq = a[p * dim + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * dim + q] - a[p * dim + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..dim {
                    let (akp, akq) = (a[k * dim + p], a[k * dim + q]);
                    a[k * dim + p] = c * akp - s * akq;
                    a[k * dim + q] = s * akp + c * akq;
                }
                for k in 0..dim {
                    let (apk, aqk) = (a[p * dim + k], a[q * dim + k]);
                    a[p * dim + k] = c * apk - s * aqk;
                    a[q * dim + k] = s * apk + c * aqk;
                }
                for k in 0..dim {
                    let (vkp, vkq) = (v[k * dim + p], v[k * dim + q]);
                    v[k * dim + p] = c * vkp - s * vkq;
                    v[k * dim + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&i, &j| a[j * dim + j].total_cmp(&a[i * dim + i]));
    let values = order.iter().map(|&i| a[i * dim + i]).collect();
    let vectors = order
        .iter()
        .map(|&i| (0..dim).map(|k| v[k * dim + i]).collect())
        .collect();
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_a_known_spectrum() {
        // [[2, 1], [1, 2]]: eigenvalues 3 (along (1, 1)/√2) and 1.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0][0].abs() - h).abs() < 1e-12);
        assert!((vectors[0][0] - vectors[0][1]).abs() < 1e-12, "same sign");
    }

    #[test]
    fn pca_recovers_a_planted_direction_and_its_spread() {
        // Points spread σ = 3 along (1, 2, 2)/3 and 0.5 in every other direction.
        let mut rng = Rng::seeded(5);
        let dim = 3;
        let u: [f64; 3] = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
        let mut rows = Vec::new();
        for _ in 0..20_000 {
            let big = 3.0 * rng.normal();
            let noise = rng.normals(dim);
            rows.extend((0..dim).map(|k| (big * u[k] + 0.5 * f64::from(noise[k])) as f32));
        }
        let (values, vectors) = principal_components(&rows, dim);
        assert!(
            (values[0].sqrt() - (9.0f64 + 0.25).sqrt()).abs() < 0.08,
            "{values:?}"
        );
        assert!((values[1].sqrt() - 0.5).abs() < 0.02, "{values:?}");
        let dot: f64 = vectors[0].iter().zip(u).map(|(a, b)| a * b).sum();
        assert!(dot.abs() > 0.999, "{dot}");
        // Unit, orthogonal eigenvectors.
        for i in 0..dim {
            for j in 0..dim {
                let d: f64 = vectors[i].iter().zip(&vectors[j]).map(|(a, b)| a * b).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-9);
            }
        }
    }
}
