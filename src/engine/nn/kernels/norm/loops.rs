//! The numeric loops of the batch-norm and activation kernels, on plain slices. Each is generic
//! over the non-linearity ([`Act`]) so that it is known inside the loop and the loop vectorises;
//! [`dispatch!`] picks the instance once per call.

use rayon::prelude::*;

use super::super::gemm::zeros;

/// Elements of `t` read channel by channel: the values of sample `n`, channel `c` are one
/// contiguous run of `spatial` floats at `offset + n·sn + c·sc`.
pub struct Channels<'a> {
    pub data: &'a [f32],
    pub offset: usize,
    pub sn: usize,
    pub sc: usize,
    pub batch: usize,
    pub spatial: usize,
}

impl Channels<'_> {
    pub fn run(&self, n: usize, c: usize) -> &[f32] {
        &self.data[self.offset + n * self.sn + c * self.sc..][..self.spatial]
    }
}

/// A non-linearity fixed at compile time.
pub trait Act: Copy + Send + Sync {
    fn apply(self, z: f32) -> f32;
    /// f'(z), given z and y = f(z).
    fn derivative(self, z: f32, y: f32) -> f32;
}

#[derive(Clone, Copy)]
pub struct Identity;
#[derive(Clone, Copy)]
pub struct Relu;
#[derive(Clone, Copy)]
pub struct Leaky(pub f32);
#[derive(Clone, Copy)]
pub struct Tanh;

impl Act for Identity {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        z
    }
    #[inline(always)]
    fn derivative(self, _: f32, _: f32) -> f32 {
        1.0
    }
}

impl Act for Relu {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        z.max(0.0)
    }
    #[inline(always)]
    fn derivative(self, z: f32, _: f32) -> f32 {
        if z > 0.0 { 1.0 } else { 0.0 }
    }
}

impl Act for Leaky {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        if z > 0.0 { z } else { z * self.0 }
    }
    #[inline(always)]
    fn derivative(self, z: f32, _: f32) -> f32 {
        if z > 0.0 { 1.0 } else { self.0 }
    }
}

impl Act for Tanh {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        z.tanh()
    }
    #[inline(always)]
    fn derivative(self, _: f32, y: f32) -> f32 {
        1.0 - y * y
    }
}

/// Calls the generic function `f` with the [`Act`] for `act` as its first argument.
/// (Expands to a `match` on `Nonlinearity` and `loops::*`, both of which the caller imports.)
macro_rules! dispatch {
    ($act:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $act {
            Nonlinearity::Identity => $f(loops::Identity, $($arg),*),
            Nonlinearity::Relu => $f(loops::Relu, $($arg),*),
            Nonlinearity::LeakyRelu(slope) => $f(loops::Leaky(slope), $($arg),*),
            Nonlinearity::Tanh => $f(loops::Tanh, $($arg),*),
        }
    };
}
pub(in crate::engine::nn::kernels) use dispatch;

/// Σ xs and Σ (xs − mean)², with 16 accumulators so that the loops vectorise.
fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let chunks = xs.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (a, v) in acc.iter_mut().zip(chunk) {
            *a += *v;
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn sum_sq_dev(xs: &[f32], mean: f32) -> f32 {
    let mut acc = [0.0f32; 16];
    let chunks = xs.chunks_exact(16);
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum();
    for chunk in chunks {
        for (a, v) in acc.iter_mut().zip(chunk) {
            *a += (v - mean) * (v - mean);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Per-channel mean and biased variance.
fn statistics(x: &Channels<'_>, c: usize) -> (f32, f32) {
    let m = (x.batch * x.spatial) as f64;
    let total: f64 = (0..x.batch).map(|n| sum(x.run(n, c)) as f64).sum();
    let mean = (total / m) as f32;
    let sq: f64 = (0..x.batch)
        .map(|n| sum_sq_dev(x.run(n, c), mean) as f64)
        .sum();
    (mean, (sq / m) as f32)
}

/// Batch norm with the batch's statistics, then `act`: the output channel-major
/// ([c, n·spatial]) and each channel's (mean, biased variance).
pub fn batch_norm_forward<A: Act>(
    act: A,
    x: &Channels<'_>,
    gamma: &[f32],
    beta: &[f32],
    epsilon: f32,
) -> (Vec<f32>, Vec<(f32, f32)>) {
    let block = x.batch * x.spatial;
    let mut out = zeros(gamma.len() * block);
    let mut stats = vec![(0.0f32, 0.0f32); gamma.len()];
    out.par_chunks_mut(block)
        .zip(stats.par_iter_mut())
        .enumerate()
        .for_each(|(ch, (dst, stat))| {
            let (mean, var) = statistics(x, ch);
            *stat = (mean, var);
            let scale = gamma[ch] / (var + epsilon).sqrt();
            let shift = beta[ch] - mean * scale;
            for (n, dst) in dst.chunks_exact_mut(x.spatial).enumerate() {
                for (d, v) in dst.iter_mut().zip(x.run(n, ch)) {
                    *d = act.apply(v * scale + shift);
                }
            }
        });
    (out, stats)
}

/// What the batch-norm backward needs per channel besides the data.
pub struct NormParams<'a> {
    pub gamma: &'a [f32],
    pub beta: &'a [f32],
    pub mean: &'a [f32],
    pub variance: &'a [f32],
    pub epsilon: f32,
}

/// The gradient of [`batch_norm_forward`] at x (channel-major) and each channel's
/// (∂γ, ∂β), given the gradient `up` at its output.
pub fn batch_norm_backward<A: Act>(
    act: A,
    x: &Channels<'_>,
    up: &Channels<'_>,
    p: &NormParams<'_>,
) -> (Vec<f32>, Vec<(f32, f32)>) {
    let block = x.batch * x.spatial;
    let m = block as f64;
    let mut dx = zeros(p.gamma.len() * block);
    let mut sums = vec![(0.0f32, 0.0f32); p.gamma.len()];
    dx.par_chunks_mut(block)
        .zip(sums.par_iter_mut())
        .enumerate()
        .for_each(|(ch, (dst, out))| {
            let inv = 1.0 / (p.variance[ch] + p.epsilon).sqrt();
            let (g, b, mu) = (p.gamma[ch], p.beta[ch], p.mean[ch]);
            // Pass 1: the gradient at the pre-activation, and its two sums.
            let (mut d_beta, mut d_gamma) = (0.0f64, 0.0f64);
            for (n, dst) in dst.chunks_exact_mut(x.spatial).enumerate() {
                let (mut sb, mut sg) = (0.0f32, 0.0f32);
                for ((d, v), u) in dst.iter_mut().zip(x.run(n, ch)).zip(up.run(n, ch)) {
                    let x_hat = (v - mu) * inv;
                    let z = g * x_hat + b;
                    let gz = u * act.derivative(z, act.apply(z));
                    *d = gz;
                    sb += gz;
                    sg += gz * x_hat;
                }
                d_beta += sb as f64;
                d_gamma += sg as f64;
            }
            let mean_b = (d_beta / m) as f32;
            let mean_g = (d_gamma / m) as f32;
            // Pass 2: the gradient at the input.
            for (n, dst) in dst.chunks_exact_mut(x.spatial).enumerate() {
                for (d, v) in dst.iter_mut().zip(x.run(n, ch)) {
                    let x_hat = (v - mu) * inv;
                    *d = g * inv * (*d - mean_b - x_hat * mean_g);
                }
            }
            *out = (d_gamma as f32, d_beta as f32);
        });
    (dx, sums)
}

/// Elements per task of the elementwise loops: small tensors stay on one thread.
const PARALLEL_CHUNK: usize = 1 << 15;

/// act(x) elementwise.
pub fn activate<A: Act>(act: A, x: &[f32]) -> Vec<f32> {
    let mut out = zeros(x.len());
    out.par_chunks_mut(PARALLEL_CHUNK)
        .zip(x.par_chunks(PARALLEL_CHUNK))
        .for_each(|(o, s)| {
            for (o, v) in o.iter_mut().zip(s) {
                *o = act.apply(*v);
            }
        });
    out
}

/// grad · act'(x) elementwise.
pub fn activate_backward<A: Act>(act: A, x: &[f32], grad: &[f32]) -> Vec<f32> {
    let mut out = zeros(x.len());
    out.par_chunks_mut(PARALLEL_CHUNK)
        .zip(
            x.par_chunks(PARALLEL_CHUNK)
                .zip(grad.par_chunks(PARALLEL_CHUNK)),
        )
        .for_each(|(o, (xs, gs))| {
            for ((o, z), g) in o.iter_mut().zip(xs).zip(gs) {
                *o = g * act.derivative(*z, act.apply(*z));
            }
        });
    out
}
