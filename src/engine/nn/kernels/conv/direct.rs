//! Stride-1 convolutions computed directly, row by row, for layers with few output channels.
//!
//! As one matrix product, a convolution first copies its input k² times into a column matrix
//! and then does `o` multiply-adds per column element (`o` = output channels). With `o` of 1 or
//! 3 (CycleGAN's 7×7 output layer) the product is a matrix-vector one and the copies are the
//! whole cost: 20 MB of columns per call at batch 8, 28 px, 16 channels, written, read once
//! and cleared by the kernel (BENCHMARKS.md). Here the input is padded once and each tap is
//! one long vectorised multiply-add of a shifted padded plane into the output (see [`Padded`]),
//! touching nothing but input, output and weights. The same loop serves the input gradient (a
//! stride-1 convolution with the kernel flipped and its channel axes swapped), and the weight
//! gradient is one dot product per tap. Plain slices, no burn types.

use rayon::prelude::*;

use super::im2col::{ConvGeometry, Strided4};

/// Output channels up to which a stride-1 convolution (and its gradients) is direct: the
/// matrix product does `o` multiply-adds per column element it copied, so below a handful
/// the copies cost more than the arithmetic.
pub const MAX_DIRECT_CHANNELS: usize = 3;

/// Whether [`conv`], [`input_grad`] and [`weight_grad`] handle a convolution with `outputs`
/// output channels and this stride.
pub fn applies(stride: usize, outputs: usize) -> bool {
    stride == 1 && outputs <= MAX_DIRECT_CHANNELS
}

/// `out[i] += w · src[i]`.
#[inline(always)]
fn axpy(out: &mut [f32], w: f32, src: &[f32]) {
    for (o, s) in out.iter_mut().zip(src) {
        *o += w * s;
    }
}

/// Σ a[i]·b[i], with 16 accumulators so that it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The input padded with zeros on every side, planes [n, c] of `hp × wp` laid end to end.
///
/// On that grid a tap (ki, kj) of a stride-1 convolution is one constant shift,
/// `ki·wp + kj`, of the whole plane: output position (y, x), stored at `y·wp + x`, reads
/// input `y·wp + x + ki·wp + kj`. So each tap is one multiply-add over a run of
/// `(oh − 1)·wp + ow` values instead of one per output row; the `wp − ow` values at the end of
/// each output row are computed and dropped.
struct Padded {
    data: Vec<f32>,
    wp: usize,
    plane: usize,
}

impl Padded {
    fn new(x: &Strided4<'_>, g: &ConvGeometry) -> Self {
        let p = g.padding;
        let (hp, wp) = (g.height + 2 * p, g.width + 2 * p);
        let plane = hp * wp;
        let mut data = vec![0.0f32; g.batch * g.channels * plane];
        let [sn, sc, sh, _] = x.strides;
        data.par_chunks_mut(plane).enumerate().for_each(|(i, dst)| {
            let (n, c) = (i / g.channels, i % g.channels);
            for y in 0..g.height {
                let src = &x.data[x.offset + n * sn + c * sc + y * sh..][..g.width];
                dst[(y + p) * wp + p..][..g.width].copy_from_slice(src);
            }
        });
        Self { data, wp, plane }
    }

    fn plane(&self, n: usize, c: usize, channels: usize) -> &[f32] {
        &self.data[(n * channels + c) * self.plane..][..self.plane]
    }
}

/// `acc[q] += Σ_j taps[j]·src[q + j]` for the K taps of one kernel row: the accumulator is
/// read and written once for K multiply-adds (K known at compile time, so the sum unrolls
/// and the loop over q vectorises).
#[inline(always)]
fn row_taps<const K: usize>(acc: &mut [f32], taps: &[f32], src: &[f32]) {
    let taps: [f32; K] = std::array::from_fn(|j| taps[j]);
    let src = &src[..acc.len() + K - 1];
    for (q, a) in acc.iter_mut().enumerate() {
        let window = &src[q..q + K];
        let mut s = *a;
        for j in 0..K {
            s += taps[j] * window[j];
        }
        *a = s;
    }
}

/// [`row_taps`] for any kernel width, specialised for the widths the networks use.
fn kernel_row(acc: &mut [f32], taps: &[f32], src: &[f32]) {
    match taps.len() {
        3 => row_taps::<3>(acc, taps, src),
        4 => row_taps::<4>(acc, taps, src),
        7 => row_taps::<7>(acc, taps, src),
        _ => {
            for (j, w) in taps.iter().enumerate() {
                axpy(acc, *w, &src[j..]);
            }
        }
    }
}

/// `Σ_q g[q]·src[q + j]` for j < K: the K taps of one kernel row of a weight gradient, one
/// read of `g` for K products (16 lanes per tap so that the sums vectorise).
#[inline(always)]
fn row_dots<const K: usize>(g: &[f32], src: &[f32]) -> [f32; K] {
    let src = &src[..g.len() + K - 1];
    let mut acc = [[0.0f32; 16]; K];
    let chunks = g.len() / 16;
    for c in 0..chunks {
        let q = c * 16;
        let gq = &g[q..q + 16];
        for (j, a) in acc.iter_mut().enumerate() {
            let s = &src[q + j..q + j + 16];
            for l in 0..16 {
                a[l] += gq[l] * s[l];
            }
        }
    }
    std::array::from_fn(|j| {
        let tail: f32 = (chunks * 16..g.len()).map(|q| g[q] * src[q + j]).sum();
        acc[j].iter().sum::<f32>() + tail
    })
}

/// The weight-gradient taps of one kernel row, into `out` (its width).
fn kernel_row_dots(out: &mut [f32], g: &[f32], src: &[f32]) {
    fn put<const K: usize>(out: &mut [f32], v: [f32; K]) {
        out.iter_mut().zip(v).for_each(|(o, x)| *o += x);
    }
    match out.len() {
        3 => put(out, row_dots::<3>(g, src)),
        4 => put(out, row_dots::<4>(g, src)),
        7 => put(out, row_dots::<7>(g, src)),
        k => {
            for (j, o) in out.iter_mut().enumerate().take(k) {
                *o += dot(g, &src[j..][..g.len()]);
            }
        }
    }
}

/// The stride-1 convolution of `x` [n, c, h, w] (rows contiguous) with `weight` [o, c, k, k]
/// (contiguous) plus `bias` [o]: [n, o, h', w'], contiguous.
pub fn conv(x: Strided4<'_>, weight: &[f32], bias: &[f32], g: &ConvGeometry) -> Vec<f32> {
    assert_eq!(g.stride, 1, "direct convolution: stride 1 only");
    assert_eq!(
        x.strides[3], 1,
        "direct convolution: rows must be contiguous"
    );
    let (oh, ow, k) = (g.out_height(), g.out_width(), g.kernel);
    let (c, o) = (g.channels, bias.len());
    assert_eq!(
        weight.len(),
        o * c * k * k,
        "direct convolution: weight size"
    );
    let xp = Padded::new(&x, g);
    let wp = xp.wp;
    let span = (oh - 1) * wp + ow;
    let mut y = vec![0.0f32; g.batch * o * oh * ow];
    y.par_chunks_mut(oh * ow)
        .enumerate()
        .for_each(|(plane, out)| {
            let (n, oc) = (plane / o, plane % o);
            let mut acc = vec![bias[oc]; span];
            for ch in 0..c {
                let src = xp.plane(n, ch, c);
                let taps = &weight[(oc * c + ch) * k * k..][..k * k];
                for ki in 0..k {
                    kernel_row(&mut acc, &taps[ki * k..][..k], &src[ki * wp..]);
                }
            }
            for (row, dst) in out.chunks_exact_mut(ow).enumerate() {
                dst.copy_from_slice(&acc[row * wp..][..ow]);
            }
        });
    y
}

/// `weight` [o, c, k, k] → [c, o, k, k] with each kernel rotated by 180°: the weights of the
/// convolution that is the input gradient of a stride-1 convolution.
pub fn flipped(weight: &[f32], o: usize, c: usize, k: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; weight.len()];
    for oc in 0..o {
        for ch in 0..c {
            for t in 0..k * k {
                out[(ch * o + oc) * k * k + (k * k - 1 - t)] = weight[(oc * c + ch) * k * k + t];
            }
        }
    }
    out
}

/// The input gradient of the stride-1 convolution with geometry `g` (of its input) and
/// `weight` [o, c, k, k], for the output gradient `grad` [n, o, h', w']: [n, c, h, w],
/// contiguous, plus `bias[c]` everywhere (zeros for a plain gradient).
pub fn input_grad(grad: Strided4<'_>, weight: &[f32], bias: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let (o, c, k) = (
        weight.len() / (g.channels * g.kernel * g.kernel),
        g.channels,
        g.kernel,
    );
    let back = adjoint_geometry(g, o);
    debug_assert_eq!((back.out_height(), back.out_width()), (g.height, g.width));
    conv(grad, &flipped(weight, o, c, k), bias, &back)
}

/// The geometry of the stride-1 convolution that is the input gradient of the stride-1
/// convolution `g` with `o` output channels: a full correlation over its output gradient,
/// padded by k − 1 − p (its output is `g`'s input size).
pub fn adjoint_geometry(g: &ConvGeometry, o: usize) -> ConvGeometry {
    ConvGeometry {
        batch: g.batch,
        channels: o,
        height: g.out_height(),
        width: g.out_width(),
        kernel: g.kernel,
        stride: 1,
        padding: g.kernel - 1 - g.padding,
    }
}

/// The weight gradient [o, c, k, k] of the stride-1 convolution with geometry `g`, input `x`
/// [n, c, h, w] and output gradient `grad` [n, o, h', w'] (rows of both contiguous): per tap,
/// one dot product of the gradient laid on the padded grid with the shifted padded input.
pub fn weight_grad(x: Strided4<'_>, grad: Strided4<'_>, o: usize, g: &ConvGeometry) -> Vec<f32> {
    assert_eq!(g.stride, 1, "direct convolution: stride 1 only");
    let (oh, ow, k, c) = (g.out_height(), g.out_width(), g.kernel, g.channels);
    let xp = Padded::new(&x, g);
    let wp = xp.wp;
    let span = (oh - 1) * wp + ow;
    // The gradient on the padded grid's row stride, zeros where the output has no column.
    let mut gp = vec![0.0f32; g.batch * o * span];
    let [sn, sc, sh, _] = grad.strides;
    gp.par_chunks_mut(span).enumerate().for_each(|(i, dst)| {
        let (n, oc) = (i / o, i % o);
        for y in 0..oh {
            let src = &grad.data[grad.offset + n * sn + oc * sc + y * sh..][..ow];
            dst[y * wp..][..ow].copy_from_slice(src);
        }
    });
    let mut dw = vec![0.0f32; o * c * k * k];
    dw.par_chunks_mut(k * k)
        .enumerate()
        .for_each(|(pair, taps)| {
            let (oc, ch) = (pair / c, pair % c);
            for n in 0..g.batch {
                let gr = &gp[(n * o + oc) * span..][..span];
                let src = xp.plane(n, ch, c);
                for (ki, row) in taps.chunks_exact_mut(k).enumerate() {
                    kernel_row_dots(row, gr, &src[ki * wp..]);
                }
            }
        });
    dw
}

#[cfg(test)]
#[path = "direct_tests.rs"]
pub(super) mod tests;
