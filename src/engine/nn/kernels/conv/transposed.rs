//! The transposed strided convolution (a strided convolution's input gradient, and DCGAN's
//! generator layers) as one stride-1 convolution on the implicit path, with no column matrix
//! and no scatter-add.
//!
//! For stride s, kernel k (a multiple of s), padding p: output pixel Y of the transposed
//! convolution, written Y + p = s·Yq + a, gathers gradient rows y = Yq − u through kernel rows
//! ki = s·u + a (u < t = k/s). So each of the s² phases (a, b) of the output is a stride-1
//! correlation of the gradient, zero-padded by t − 1 on every side ("full"), with t × t taps
//! taken from the kernel and flipped. With the phases as output channels (c·s² of them) all
//! of it is a single stride-1 convolution over the gradient's o channels, which the implicit
//! kernels do as t products of depth t·o per block, one phase row a (s·c channels) at a
//! time, so that rows whose phase row a falls outside the image skip it and a block's values
//! along a grid row are already a pixel row, transposed into the image. The work is the
//! transposed convolution's own (o·t² multiply-adds per output value); col2im's route wrote
//! a column matrix k² times the gradient and added it back piece by piece.

use super::super::transpose::transpose_to_rows;
use super::im2col::{ConvGeometry, Strided4};
use super::implicit;

/// The fewest output channels of the phase convolution worth doing this way: an image's
/// gradient (one channel, 4 phases) makes products 4 wide, far from the matrix kernel's speed
/// (the DCGAN step ran 10 % slower), and stays with col2im.
const MIN_PHASE_CHANNELS: usize = 16;

/// The stride-1 convolution over the gradient [n, o, h', w'] that yields every phase of the
/// transposed convolution of forward geometry `g`: t × t taps, padding t − 1.
fn phase_geometry(g: &ConvGeometry, o: usize) -> ConvGeometry {
    let t = g.kernel / g.stride;
    ConvGeometry::new([g.batch, o, g.out_height(), g.out_width()], t, 1, t - 1)
}

/// Whether [`conv_transpose`] handles the transposed convolution of forward geometry `g` with
/// `o` output channels (the gradient's channels).
pub fn applies(g: &ConvGeometry, o: usize) -> bool {
    let (s, k) = (g.stride, g.kernel);
    s > 1
        && k % s == 0
        && g.channels * s * s >= MIN_PHASE_CHANNELS
        && g.height + 2 * g.padding >= k
        && g.width + 2 * g.padding >= k
        && implicit::applies(&phase_geometry(g, o))
}

/// The phase channels that fall inside the image at phase row `yq`: the rows a with
/// 0 ≤ s·yq + a − p < h. The phase convolution's channels go phase by phase, (a, b, c), so
/// that one row a's phases are consecutive channels and a phase row whose other half falls
/// outside the image computes only the half it needs.
fn phase_columns(g: &ConvGeometry, yq: usize) -> std::ops::Range<usize> {
    let (s, p, c) = (g.stride, g.padding, g.channels);
    let first = p.saturating_sub(s * yq).min(s);
    let end = (g.height + p).saturating_sub(s * yq).clamp(first, s);
    first * s * c..end * s * c
}

/// `weight` [o, c, k, k] as the phase convolution's weights, in the layout of the implicit
/// products ([u, v, o, s²·c], see `implicit::conv_with_taps`): phase (a, b) of channel c,
/// tap (u, v) of gradient channel oc is weight (oc, c, s·(t − 1 − u) + a, s·(t − 1 − v) + b)
/// (flipped, because the taps read the gradient forwards from Yq − (t − 1)).
fn phase_taps(weight: &[f32], o: usize, g: &ConvGeometry) -> Vec<f32> {
    let (c, k, s) = (g.channels, g.kernel, g.stride);
    let t = k / s;
    let mut taps = Vec::with_capacity(weight.len());
    for u in 0..t {
        for v in 0..t {
            for oc in 0..o {
                for a in 0..s {
                    let ki = s * (t - 1 - u) + a;
                    for b in 0..s {
                        let kj = s * (t - 1 - v) + b;
                        taps.extend((0..c).map(|ch| weight[((oc * c + ch) * k + ki) * k + kj]));
                    }
                }
            }
        }
    }
    taps
}

/// The transposed convolution of `grad` [n, o, h', w'] (h', w' the forward output of `g`)
/// with `weight` [o, c, k, k], plus `bias` [c]: [n, c, h, w] (g's input), contiguous.
pub fn conv_transpose(
    grad: Strided4<'_>,
    weight: &[f32],
    bias: &[f32],
    g: &ConvGeometry,
) -> Vec<f32> {
    let c = g.channels;
    let o = weight.len() / (c * g.kernel * g.kernel);
    debug_assert!(applies(g, o) && bias.len() == c);
    let pg = phase_geometry(g, o);
    let s = g.stride;
    let phase_bias: Vec<f32> = bias.iter().cycle().take(s * s * c).copied().collect();
    let phases = [pg.out_height(), pg.out_width()];
    let per_image = c * g.height * g.width;
    let taps = phase_taps(weight, o, g);
    let outputs = implicit::Outputs {
        per_image,
        columns: &|yq| phase_columns(g, yq),
        // A phase row a at a time: then a block's values, in order, are its pixel row.
        group: s * c,
        unpack: &|block, grid, out| interleave(block, g, grid, out),
    };
    let mut dx = implicit::conv_with_taps(grad, &taps, &phase_bias, &pg, &outputs);
    fill_unreached(&mut dx, g, phases, bias);
    dx
}

/// A block of phases (of the phase grid, which has no padding columns: its pitch is the
/// phases' width wq) into the image [n, c, h, w]: phase (a, b) at (yq, xq) is pixel
/// (s·yq + a − p, s·xq + b − p) when that lies inside. The block holds one phase row a, its
/// values [positions, (b, c)] in order: along a grid row, position xq's phase b is pixel
/// column s·xq + b − p, so the row's values are the pixel row's [pixels, c], and one
/// transpose puts them in place.
fn interleave(
    block: &implicit::Block<'_>,
    g: &ConvGeometry,
    grid: &implicit::Grid,
    out: &mut [f32],
) {
    let (c, h, w, s, p) = (g.channels, g.height, g.width, g.stride, g.padding);
    let (positions, width) = (block.positions.clone(), s * c);
    debug_assert_eq!(block.channels.len(), width);
    let a = block.channels.start / width;
    let mut q = positions.start;
    while q < positions.end {
        let (n, yq, xq) = grid.locate(q);
        let take = (grid.pitch - xq).min(positions.end - q);
        let from = q - positions.start;
        q += take;
        let Some(y) = (s * yq + a).checked_sub(p).filter(|y| *y < h) else {
            continue;
        };
        // Padded columns s·xq .. s·(xq + take), those inside the image.
        let first = (s * xq).max(p);
        let end = (s * (xq + take)).min(w + p);
        if first >= end {
            continue;
        }
        let values = &block.values[(from * s + first - s * xq) * c..];
        let plane = |ch: usize| ((n * c + ch) * h + y) * w + first - p;
        transpose_to_rows(values, c, out, plane, end - first, c);
    }
}

/// The pixels that no phase covers (rows or columns past (hq, wq)·s − p: no gradient reaches
/// them) set to the bias; every other pixel was written by [`interleave`].
fn fill_unreached(dx: &mut [f32], g: &ConvGeometry, [hq, wq]: [usize; 2], bias: &[f32]) {
    let (c, h, w, s, p) = (g.channels, g.height, g.width, g.stride, g.padding);
    let (rows, cols) = (
        (s * hq).saturating_sub(p).min(h),
        (s * wq).saturating_sub(p).min(w),
    );
    if (rows, cols) == (h, w) {
        return;
    }
    for (i, plane) in dx.chunks_exact_mut(h * w).enumerate() {
        for (y, row) in plane.chunks_exact_mut(w).enumerate() {
            let from = if y < rows { cols } else { 0 };
            row[from..].fill(bias[i % c]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::direct::tests::close;
    use super::super::im2col::tests::direct_conv;
    use super::super::implicit::tests::values;
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (*x as f64) * (*y as f64))
            .sum()
    }

    /// (forward geometry, output channels o).
    fn geometries() -> Vec<(ConvGeometry, usize)> {
        let g = ConvGeometry::new;
        vec![
            // The critics' and DCGAN's 4×4 stride-2 layers, even and odd sizes.
            (g([2, 4, 8, 8], 4, 2, 1), 16),
            (g([3, 5, 7, 9], 4, 2, 1), 12),
            (g([4, 8, 28, 28], 4, 2, 1), 16),
            (g([2, 4, 14, 14], 4, 2, 1), 32),
            // Other strides, paddings and kernels that the stride divides.
            (g([2, 4, 6, 5], 2, 2, 0), 24),
            (g([2, 2, 10, 8], 6, 3, 2), 12),
            (g([1, 3, 9, 11], 3, 3, 1), 24),
            (g([2, 4, 9, 9], 4, 2, 3), 12),
            // Wider phase rows (s·c of 80 and 72).
            (g([2, 40, 8, 8], 4, 2, 1), 16),
            (g([3, 36, 7, 7], 4, 2, 1), 24),
        ]
    }

    #[test]
    fn the_transposed_convolution_is_the_adjoint_of_the_convolution() {
        // <conv(x, w), r> = <x, conv_transpose(r, w)> for any x and r.
        for (g, o) in geometries() {
            assert!(applies(&g, o), "{g:?}");
            let dims = [g.batch, g.channels, g.height, g.width];
            let x = values(dims.iter().product(), 1);
            let w = values(o * g.channels * g.kernel * g.kernel, 2);
            let rdims = [g.batch, o, g.out_height(), g.out_width()];
            let r = values(rdims.iter().product(), 3);
            let zero = vec![0.0; g.channels];
            let dx = conv_transpose(Strided4::contiguous(&r, rdims), &w, &zero, &g);
            assert_eq!(dx.len(), x.len());
            let lhs = dot(&direct_conv(&x, &w, o, &g), &r);
            let rhs = dot(&x, &dx);
            assert!(
                (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
                "{g:?}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn the_bias_is_added_to_every_pixel_even_those_no_gradient_reaches() {
        // 9 × 9 at stride 2 with k 2, p 0: 4 outputs cover rows 0..8, so row 8 and column 8
        // get no gradient, only the bias.
        let (g, o) = (ConvGeometry::new([1, 4, 9, 9], 2, 2, 0), 24);
        assert_eq!(g.out_height(), 4);
        let w = values(o * 4 * 4, 4);
        let rdims = [1, o, 4, 4];
        let r = values(rdims.iter().product(), 5);
        let grad = Strided4::contiguous(&r, rdims);
        let bias = [1.5, -2.0, 0.25, 3.0];
        let plain = conv_transpose(grad, &w, &[0.0; 4], &g);
        let biased = conv_transpose(grad, &w, &bias, &g);
        for (i, (a, b)) in plain.iter().zip(&biased).enumerate() {
            let bias = bias[i / 81];
            assert!(
                (b - a - bias).abs() < 1e-5,
                "pixel {i}: {a} + {bias} vs {b}"
            );
        }
        assert_eq!(plain[8], 0.0); // row 0, column 8
        assert_eq!(plain[8 * 9 + 3], 0.0); // row 8
    }

    #[test]
    fn a_strided_gradient_gives_the_same_result() {
        let (g, o) = geometries()[1];
        let (n, h, w) = (g.batch, g.out_height(), g.out_width());
        let r = values(n * o * h * w, 6);
        let mut channel_major = vec![0.0; r.len()];
        for i in 0..n {
            for ch in 0..o {
                for q in 0..h * w {
                    channel_major[(ch * n + i) * h * w + q] = r[(i * o + ch) * h * w + q];
                }
            }
        }
        let view = Strided4 {
            data: &channel_major,
            offset: 0,
            strides: [h * w, n * h * w, w, 1],
        };
        let wt = values(o * g.channels * 16, 7);
        let bias = values(g.channels, 8);
        let contiguous = conv_transpose(Strided4::contiguous(&r, [n, o, h, w]), &wt, &bias, &g);
        close(
            &conv_transpose(view, &wt, &bias, &g),
            &contiguous,
            "channel-major gradient",
        );
    }

    #[test]
    fn only_the_phases_inside_the_image_are_computed_at_the_edge_rows() {
        // 7 → 14 (k 4, s 2, p 1): phase row 0 gives pixel rows −1 and 0, row 7 rows 13 and
        // 14, so each computes one of its two phase rows (channels phase by phase).
        let g = ConvGeometry::new([2, 64, 14, 14], 4, 2, 1);
        assert_eq!(phase_geometry(&g, 128).out_height(), 8);
        assert_eq!(phase_columns(&g, 0), 128..256);
        assert_eq!(phase_columns(&g, 3), 0..256);
        assert_eq!(phase_columns(&g, 7), 0..128);
        // 9 → 4 with k 2, p 0 (the bias test's geometry): no phase row falls outside.
        let g = ConvGeometry::new([1, 4, 9, 9], 2, 2, 0);
        assert_eq!(phase_columns(&g, 0), 0..16);
        assert_eq!(phase_columns(&g, 3), 0..16);
    }

    #[test]
    fn only_kernels_the_stride_divides_with_enough_depth_apply() {
        let g = ConvGeometry::new([2, 4, 8, 8], 4, 2, 1);
        assert!(applies(&g, 16));
        assert!(!applies(&g, 4)); // 2 taps × 4 channels: too shallow a product
        assert!(!applies(&ConvGeometry { channels: 1, ..g }, 16)); // an image: 4 phases
        assert!(!applies(&ConvGeometry { kernel: 3, ..g }, 16));
        assert!(!applies(&ConvGeometry { stride: 1, ..g }, 16));
    }
}
