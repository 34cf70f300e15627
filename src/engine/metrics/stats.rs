//! Statistics on feature vectors (rows of a row-major matrix): Fréchet distance, precision /
//! recall / density / coverage (Naeem et al. 2020), nearest-neighbour distances and diversity.
//! Plain f32/f64 code: the matrices are small (≤ a few thousand rows of 64 values); the
//! distance loops run on the thread pool.

use rayon::prelude::*;

/// Rows of `dim` values.
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a> {
    pub values: &'a [f32],
    pub dim: usize,
}

impl<'a> Rows<'a> {
    pub fn new(values: &'a [f32], dim: usize) -> Self {
        Self { values, dim }
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.dim.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }
}

/// Squared Euclidean distance between two rows, summed in 16 lanes so that it vectorises
/// (these sums are most of an image evaluation's cost).
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (xa, xb) in ca.zip(cb) {
        for ((s, x), y) in acc.iter_mut().zip(xa).zip(xb) {
            *s += (x - y) * (x - y);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Euclidean distance between two rows.
pub fn distance(a: &[f32], b: &[f32]) -> f32 {
    squared_distance(a, b).sqrt()
}

/// Distances from every row of `a` to every row of `b`, `a.len() × b.len()`.
pub fn distances(a: Rows, b: Rows) -> Vec<f32> {
    let mut out = vec![0.0f32; a.len() * b.len()];
    out.par_chunks_mut(b.len().max(1))
        .enumerate()
        .for_each(|(i, row)| {
            let ai = a.row(i);
            for (j, d) in row.iter_mut().enumerate() {
                *d = distance(ai, b.row(j));
            }
        });
    out
}

/// For each row, the distance to its `k`-th nearest other row (k ≥ 1), from a square
/// distance matrix of `n` rows.
pub fn kth_neighbour_radii(square: &[f32], n: usize, k: usize) -> Vec<f32> {
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut row: Vec<f32> = (0..n)
                .filter(|&j| j != i)
                .map(|j| square[i * n + j])
                .collect();
            if row.is_empty() {
                return f32::INFINITY;
            }
            let k = k.min(row.len()) - 1;
            row.select_nth_unstable_by(k, f32::total_cmp);
            row[k]
        })
        .collect()
}

/// Precision, recall, density and coverage of `fake` against `real` with `k` neighbours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prdc {
    pub precision: f64,
    pub recall: f64,
    pub density: f64,
    pub coverage: f64,
}

/// PRDC (Naeem et al., "Reliable Fidelity and Diversity Metrics for Generative Models").
pub fn prdc(real: Rows, fake: Rows, k: usize) -> Prdc {
    PrdcReference::new(real, k).evaluate(fake)
}

/// The real side of PRDC: the real rows and each one's k-th-neighbour radius, computed once
/// per dataset rather than at every evaluation.
#[derive(Clone, Debug)]
pub struct PrdcReference {
    real: Vec<f32>,
    dim: usize,
    k: usize,
    radii: Vec<f32>,
}

impl PrdcReference {
    pub fn new(real: Rows, k: usize) -> Self {
        let n = real.len();
        Self {
            real: real.values.to_vec(),
            dim: real.dim,
            k,
            radii: kth_neighbour_radii(&distances(real, real), n, k),
        }
    }

    /// PRDC of `fake` against the reference.
    pub fn evaluate(&self, fake: Rows) -> Prdc {
        let real = Rows::new(&self.real, self.dim);
        let (n, m, k) = (real.len(), fake.len(), self.k);
        if n < 2 || m < 2 {
            return Prdc {
                precision: 0.0,
                recall: 0.0,
                density: 0.0,
                coverage: 0.0,
            };
        }
        let real_radii = &self.radii;
        let fake_radii = kth_neighbour_radii(&distances(fake, fake), m, k);
        let cross = distances(real, fake); // n × m
        let mut precise = 0usize;
        let mut density_hits = 0usize;
        for j in 0..m {
            let inside = (0..n)
                .filter(|&i| cross[i * m + j] <= real_radii[i])
                .count();
            precise += usize::from(inside > 0);
            density_hits += inside;
        }
        let mut recalled = 0usize;
        let mut covered = 0usize;
        for i in 0..n {
            let row = &cross[i * m..(i + 1) * m];
            recalled += usize::from(row.iter().zip(&fake_radii).any(|(d, r)| d <= r));
            covered += usize::from(row.iter().any(|&d| d <= real_radii[i]));
        }
        Prdc {
            precision: precise as f64 / m as f64,
            recall: recalled as f64 / n as f64,
            density: density_hits as f64 / (k * m) as f64,
            coverage: covered as f64 / n as f64,
        }
    }
}

/// Mean and covariance (unbiased) of the rows, in f64.
pub fn mean_covariance(x: Rows) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = (x.len(), x.dim);
    let mut mean = vec![0.0f64; d];
    for i in 0..n {
        for (m, &v) in mean.iter_mut().zip(x.row(i)) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let mut cov = vec![0.0f64; d * d];
    let mut centred = vec![0.0f64; d];
    for i in 0..n {
        for ((c, &v), m) in centred.iter_mut().zip(x.row(i)).zip(&mean) {
            *c = v as f64 - m;
        }
        for a in 0..d {
            let ca = centred[a];
            for b in a..d {
                cov[a * d + b] += ca * centred[b];
            }
        }
    }
    let denom = (n.max(2) - 1) as f64;
    for a in 0..d {
        for b in a..d {
            let v = cov[a * d + b] / denom;
            cov[a * d + b] = v;
            cov[b * d + a] = v;
        }
    }
    (mean, cov)
}

/// Eigenvalues and eigenvectors (columns) of a symmetric `d × d` matrix (cyclic Jacobi).
pub fn symmetric_eigen(matrix: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v = vec![0.0f64; d * d];
    (0..d).for_each(|i| v[i * d + i] = 1.0);
    for _sweep in 0..64 {
        let off: f64 = (0..d)
            .flat_map(|p| (0..d).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| a[p * d + q] * a[p * d + q])
            .sum();
        let scale: f64 = (0..d).map(|i| a[i * d + i] * a[i * d + i]).sum::<f64>();
        if off <= 1e-22 * scale.max(1e-300) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

/// The PSD square root of a symmetric matrix (negative eigenvalues from round-off clamped).
fn sqrt_psd(matrix: &[f64], d: usize) -> Vec<f64> {
    let (values, vectors) = symmetric_eigen(matrix, d);
    let mut out = vec![0.0f64; d * d];
    for (k, &lambda) in values.iter().enumerate() {
        let s = lambda.max(0.0).sqrt();
        for i in 0..d {
            let vik = vectors[i * d + k] * s;
            for j in 0..d {
                out[i * d + j] += vik * vectors[j * d + k];
            }
        }
    }
    out
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            for j in 0..d {
                out[i * d + j] += aik * b[k * d + j];
            }
        }
    }
    out
}

/// Fréchet distance between Gaussians N(m1, c1) and N(m2, c2):
/// ‖m1 − m2‖² + Tr(c1 + c2 − 2 (c1 c2)^½), with Tr (c1 c2)^½ = Tr (√c1 c2 √c1)^½.
pub fn frechet_distance(m1: &[f64], c1: &[f64], m2: &[f64], c2: &[f64]) -> f64 {
    let d = m1.len();
    let mean_term: f64 = m1.iter().zip(m2).map(|(a, b)| (a - b) * (a - b)).sum();
    let s1 = sqrt_psd(c1, d);
    let inner = matmul(&matmul(&s1, c2, d), &s1, d);
    let (values, _) = symmetric_eigen(&inner, d);
    let tr_sqrt: f64 = values.iter().map(|v| v.max(0.0).sqrt()).sum();
    let trace = |c: &[f64]| (0..d).map(|i| c[i * d + i]).sum::<f64>();
    (mean_term + trace(c1) + trace(c2) - 2.0 * tr_sqrt).max(0.0)
}

/// Mean distance over all pairs of distinct rows.
pub fn mean_pairwise_distance(x: Rows) -> f64 {
    let n = x.len();
    if n < 2 {
        return 0.0;
    }
    let sum: f64 = (0..n)
        .into_par_iter()
        .map(|i| {
            (i + 1..n)
                .map(|j| distance(x.row(i), x.row(j)) as f64)
                .sum::<f64>()
        })
        .sum();
    sum / (n * (n - 1) / 2) as f64
}

/// For each row of `a`, the distance to its nearest row of `b` (`same`: a and b are the same
/// rows, so a row is not its own neighbour).
pub fn nearest_distances(a: Rows, b: Rows, same: bool) -> Vec<f32> {
    (0..a.len())
        .into_par_iter()
        .map(|i| {
            (0..b.len())
                .filter(|&j| !(same && i == j))
                .map(|j| squared_distance(a.row(i), b.row(j)))
                .fold(f32::INFINITY, f32::min)
                .sqrt()
        })
        .collect()
}

/// The median of finite values (0 when there are none).
pub fn median(values: &[f32]) -> f32 {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable_by(mid, f32::total_cmp);
    v[mid]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Rng;

    fn gaussian(n: usize, d: usize, shift: f32, scale: f32, seed: u64) -> Vec<f32> {
        let mut rng = Rng::seeded(seed);
        rng.normals(n * d)
            .into_iter()
            .map(|v| v * scale + shift)
            .collect()
    }

    #[test]
    fn frechet_distance_of_known_gaussians() {
        // Diagonal covariances: FD = ‖Δm‖² + Σ (σ1 − σ2)².
        let d = 3;
        let m1 = vec![0.0, 1.0, 2.0];
        let m2 = vec![1.0, 1.0, 0.0];
        let diag = |s: [f64; 3]| {
            let mut c = vec![0.0; 9];
            (0..3).for_each(|i| c[i * 3 + i] = s[i] * s[i]);
            c
        };
        let fd = frechet_distance(&m1, &diag([1.0, 2.0, 3.0]), &m2, &diag([2.0, 2.0, 1.0]));
        assert!((fd - (5.0 + 1.0 + 0.0 + 4.0)).abs() < 1e-9, "{fd}");
        let (m, c) = mean_covariance(Rows::new(&gaussian(4000, d, 0.0, 1.0, 1), d));
        assert!(frechet_distance(&m, &c, &m, &c).abs() < 1e-9);
    }

    #[test]
    fn eigen_decomposition_reconstructs() {
        let m = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0];
        let (vals, vecs) = symmetric_eigen(&m, 3);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3)
                    .map(|k| vecs[i * 3 + k] * vals[k] * vecs[j * 3 + k])
                    .sum();
                assert!((r - m[i * 3 + j]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn prdc_same_distribution_is_high_and_shifted_is_low() {
        let d = 8;
        let real = gaussian(400, d, 0.0, 1.0, 2);
        let same = gaussian(400, d, 0.0, 1.0, 3);
        let p = prdc(Rows::new(&real, d), Rows::new(&same, d), 5);
        assert!(p.precision > 0.8 && p.recall > 0.8, "{p:?}");
        assert!(p.coverage > 0.9 && (0.7..1.3).contains(&p.density), "{p:?}");
        let far = gaussian(400, d, 10.0, 1.0, 4);
        let p = prdc(Rows::new(&real, d), Rows::new(&far, d), 5);
        assert_eq!((p.precision, p.recall, p.coverage), (0.0, 0.0, 0.0));
        // A collapsed generator: every sample at the mean. Precise, but covers little.
        let collapsed = vec![0.0f32; 400 * d];
        let p = prdc(Rows::new(&real, d), Rows::new(&collapsed, d), 5);
        assert_eq!(p.precision, 1.0);
        assert!(p.coverage < 0.1 && p.recall < 0.05, "{p:?}");
    }

    #[test]
    fn nearest_neighbours_and_pairwise_distance() {
        let x = [0.0f32, 0.0, 3.0, 4.0, 0.0, 1.0];
        let rows = Rows::new(&x, 2);
        assert_eq!(
            nearest_distances(rows, rows, true),
            vec![1.0, 3.0f32.hypot(3.0), 1.0]
        );
        let mean = (5.0 + 1.0 + 3.0f64.hypot(3.0)) / 3.0;
        assert!((mean_pairwise_distance(rows) - mean).abs() < 1e-6);
        assert_eq!(
            kth_neighbour_radii(&distances(rows, rows), 3, 1),
            vec![1.0, 3.0f32.hypot(3.0), 1.0]
        );
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
