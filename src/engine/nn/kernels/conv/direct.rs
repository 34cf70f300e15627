//! Stride-1 convolutions computed directly, row by row, for layers with few output channels.
//!
//! As one matrix product, a convolution first copies its input k² times into a column matrix
//! and then does `o` multiply-adds per column element (`o` = output channels). With `o` of 1 or
//! 3 (CycleGAN's 7×7 output layer) the product is a matrix-vector one and the copies are the
//! whole cost: 20 MB of columns per call at batch 8, 28 px, 16 channels, written, read once
//! and cleared by the kernel (BENCHMARKS.md). Here each output row accumulates shifted input
//! rows in place (a vectorised multiply-add per tap), touching nothing but input, output and
//! weights. The same loop serves the input gradient (a stride-1 convolution with the kernel
//! flipped and its channel axes swapped), and the weight gradient is one dot product of rows
//! per tap. Plain slices, no burn types.

use rayon::prelude::*;

use super::im2col::{ConvGeometry, Strided4};

/// Output channels up to which a stride-1 convolution (and its gradients) is direct: the
/// matrix product does `o` multiply-adds per column element it copied, so below a handful
/// the copies cost more than the arithmetic.
pub const MAX_DIRECT_CHANNELS: usize = 4;

/// Whether [`conv`], [`input_grad`] and [`weight_grad`] handle a convolution with `outputs`
/// output channels and this stride.
pub fn applies(stride: usize, outputs: usize) -> bool {
    stride == 1 && outputs <= MAX_DIRECT_CHANNELS
}

/// The output positions (along an axis of `size` inputs, `outputs` outputs) whose tap `tap`
/// lands inside the input at stride 1: `o + tap − padding ∈ [0, size)`.
fn valid(tap: usize, padding: usize, size: usize, outputs: usize) -> std::ops::Range<usize> {
    let first = padding.saturating_sub(tap);
    let end = (size + padding).saturating_sub(tap).min(outputs);
    first..end.max(first)
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

/// One image row of `x`: sample `n`, channel `c`, row `y` (its elements must be contiguous).
fn row<'a>(x: &Strided4<'a>, n: usize, c: usize, y: usize, width: usize) -> &'a [f32] {
    let [sn, sc, sh, _] = x.strides;
    &x.data[x.offset + n * sn + c * sc + y * sh..][..width]
}

/// The stride-1 convolution of `x` [n, c, h, w] (rows contiguous) with `weight` [o, c, k, k]
/// (contiguous) plus `bias` [o]: [n, o, h', w'], contiguous.
pub fn conv(x: Strided4<'_>, weight: &[f32], bias: &[f32], g: &ConvGeometry) -> Vec<f32> {
    assert_eq!(g.stride, 1, "direct convolution: stride 1 only");
    assert_eq!(
        x.strides[3], 1,
        "direct convolution: rows must be contiguous"
    );
    let (oh, ow, k, p) = (g.out_height(), g.out_width(), g.kernel, g.padding);
    let (c, o) = (g.channels, bias.len());
    assert_eq!(
        weight.len(),
        o * c * k * k,
        "direct convolution: weight size"
    );
    let mut y = vec![0.0f32; g.batch * o * oh * ow];
    y.par_chunks_mut(oh * ow)
        .enumerate()
        .for_each(|(plane, out)| {
            let (n, oc) = (plane / o, plane % o);
            out.fill(bias[oc]);
            for ch in 0..c {
                let taps = &weight[(oc * c + ch) * k * k..][..k * k];
                for ki in 0..k {
                    for oy in valid(ki, p, g.height, oh) {
                        let src = row(&x, n, ch, oy + ki - p, g.width);
                        let dst = &mut out[oy * ow..][..ow];
                        for kj in 0..k {
                            let xs = valid(kj, p, g.width, ow);
                            if xs.is_empty() {
                                continue;
                            }
                            let from = xs.start + kj - p;
                            axpy(&mut dst[xs.clone()], taps[ki * k + kj], &src[from..]);
                        }
                    }
                }
            }
        });
    y
}

/// `weight` [o, c, k, k] → [c, o, k, k] with each kernel rotated by 180°: the weights of the
/// convolution that is the input gradient of a stride-1 convolution.
fn flipped(weight: &[f32], o: usize, c: usize, k: usize) -> Vec<f32> {
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
    // A full correlation: pad by k − 1 − p around the output gradient.
    let back = ConvGeometry {
        batch: g.batch,
        channels: o,
        height: g.out_height(),
        width: g.out_width(),
        kernel: k,
        stride: 1,
        padding: k - 1 - g.padding,
    };
    debug_assert_eq!((back.out_height(), back.out_width()), (g.height, g.width));
    conv(grad, &flipped(weight, o, c, k), bias, &back)
}

/// The weight gradient [o, c, k, k] of the stride-1 convolution with geometry `g`, input `x`
/// [n, c, h, w] and output gradient `grad` [n, o, h', w'] (rows of both contiguous).
pub fn weight_grad(x: Strided4<'_>, grad: Strided4<'_>, o: usize, g: &ConvGeometry) -> Vec<f32> {
    assert_eq!(g.stride, 1, "direct convolution: stride 1 only");
    let (oh, ow, k, p, c) = (
        g.out_height(),
        g.out_width(),
        g.kernel,
        g.padding,
        g.channels,
    );
    let mut dw = vec![0.0f32; o * c * k * k];
    dw.par_chunks_mut(k * k)
        .enumerate()
        .for_each(|(pair, taps)| {
            let (oc, ch) = (pair / c, pair % c);
            for ki in 0..k {
                let ys = valid(ki, p, g.height, oh);
                for kj in 0..k {
                    let xs = valid(kj, p, g.width, ow);
                    if xs.is_empty() {
                        continue;
                    }
                    let from = xs.start + kj - p;
                    let mut total = 0.0f64;
                    for n in 0..g.batch {
                        let mut s = 0.0f32;
                        for oy in ys.clone() {
                            let gr = &row(&grad, n, oc, oy, ow)[xs.clone()];
                            let xr = &row(&x, n, ch, oy + ki - p, g.width)[from..][..gr.len()];
                            s += dot(gr, xr);
                        }
                        total += s as f64;
                    }
                    taps[ki * k + kj] = total as f32;
                }
            }
        });
    dw
}

#[cfg(test)]
mod tests {
    use super::super::im2col::{col2im, im2col};
    use super::*;

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i + seed) * 7919 % 1013) as f32 / 500.0) - 1.0)
            .collect()
    }

    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "{what}: max difference {worst}");
    }

    /// [rows, cols] · [cols, len] for plain row-major slices.
    fn product(a: &[f32], b: &[f32], rows: usize, inner: usize, len: usize) -> Vec<f32> {
        let mut y = vec![0.0; rows * len];
        for r in 0..rows {
            for i in 0..inner {
                for j in 0..len {
                    y[r * len + j] += a[r * inner + i] * b[i * len + j];
                }
            }
        }
        y
    }

    /// [o, n·p] (channel-major) → [n, o, p] (contiguous).
    fn to_nchw(m: &[f32], o: usize, n: usize, p: usize) -> Vec<f32> {
        let mut y = vec![0.0; m.len()];
        for oc in 0..o {
            for i in 0..n {
                y[(i * o + oc) * p..][..p].copy_from_slice(&m[(oc * n + i) * p..][..p]);
            }
        }
        y
    }

    /// The geometries CycleGAN uses (7×7 pad 3, 3×3 pad 1), a width unequal to the height,
    /// and a padding smaller than it could be.
    fn geometries() -> Vec<(ConvGeometry, usize)> {
        let g = |kernel, padding, height, width| ConvGeometry {
            batch: 2,
            channels: 3,
            height,
            width,
            kernel,
            stride: 1,
            padding,
        };
        vec![
            (g(7, 3, 9, 11), 1),
            (g(3, 1, 6, 5), 3),
            (g(4, 1, 7, 8), 2),
            (g(3, 0, 5, 6), 4),
        ]
    }

    #[test]
    fn the_direct_convolution_is_the_matrix_product_one() {
        for (g, o) in geometries() {
            let dims = [g.batch, g.channels, g.height, g.width];
            let x = values(dims.iter().product(), 1);
            let w = values(o * g.col_rows(), 2);
            let bias = values(o, 3);
            let view = Strided4::contiguous(&x, dims);
            let cols = im2col(view, &g);
            let mut m = product(&w, &cols, o, g.col_rows(), g.col_len());
            let p = g.out_height() * g.out_width();
            for (oc, chunk) in m.chunks_mut(g.col_len()).enumerate() {
                chunk.iter_mut().for_each(|v| *v += bias[oc]);
            }
            let want = to_nchw(&m, o, g.batch, p);
            close(&conv(view, &w, &bias, &g), &want, &format!("{g:?}"));
        }
    }

    #[test]
    fn the_input_gradient_is_the_adjoint_col2im_gives() {
        for (g, o) in geometries() {
            let (oh, ow) = (g.out_height(), g.out_width());
            let dims = [g.batch, o, oh, ow];
            let grad = values(dims.iter().product(), 4);
            let w = values(o * g.col_rows(), 5);
            // Reference: colsᵀ = Wᵀ·G, then col2im (bias c at every position).
            let bias = values(g.channels, 6);
            let mut wt = vec![0.0; w.len()];
            for oc in 0..o {
                for r in 0..g.col_rows() {
                    wt[r * o + oc] = w[oc * g.col_rows() + r];
                }
            }
            let gm = {
                let mut m = vec![0.0; grad.len()];
                let p = oh * ow;
                for i in 0..g.batch {
                    for oc in 0..o {
                        m[(oc * g.batch + i) * p..][..p]
                            .copy_from_slice(&grad[(i * o + oc) * p..][..p]);
                    }
                }
                m
            };
            let cols = product(&wt, &gm, g.col_rows(), o, g.col_len());
            let image = col2im(&cols, &g, &bias); // [c, n, h, w]
            let want = to_nchw(&image, g.channels, g.batch, g.height * g.width);
            let got = input_grad(Strided4::contiguous(&grad, dims), &w, &bias, &g);
            close(&got, &want, &format!("{g:?}"));
        }
    }

    #[test]
    fn the_weight_gradient_is_the_columns_product() {
        for (g, o) in geometries() {
            let (oh, ow) = (g.out_height(), g.out_width());
            let xdims = [g.batch, g.channels, g.height, g.width];
            let gdims = [g.batch, o, oh, ow];
            let x = values(xdims.iter().product(), 7);
            let grad = values(gdims.iter().product(), 8);
            let cols = im2col(Strided4::contiguous(&x, xdims), &g);
            let p = oh * ow;
            let mut want = vec![0.0f32; o * g.col_rows()];
            for oc in 0..o {
                for r in 0..g.col_rows() {
                    let mut s = 0.0;
                    for i in 0..g.batch {
                        for q in 0..p {
                            s += grad[(i * o + oc) * p + q] * cols[r * g.col_len() + i * p + q];
                        }
                    }
                    want[oc * g.col_rows() + r] = s;
                }
            }
            let got = weight_grad(
                Strided4::contiguous(&x, xdims),
                Strided4::contiguous(&grad, gdims),
                o,
                &g,
            );
            close(&got, &want, &format!("{g:?}"));
        }
    }
}
