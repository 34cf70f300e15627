//! The data movement around a convolution done as one matrix product: `im2col` lays every
//! receptive field out as a column, `col2im` adds columns back into the image they came from
//! (its adjoint). Plain slices, no burn types, so they can be tested against a direct
//! convolution by hand.
//!
//! Column matrices are [channels·k·k, batch·out_h·out_w]: row (c, ki, kj), column (n, oy, ox).
//! One matrix for the whole batch is what makes the product large enough to run at the GEMM
//! kernel's full speed (BENCHMARKS.md: per-sample products of 49 columns ran at a third of it).

use rayon::prelude::*;

use super::super::gemm::scratch;

/// A square-kernel convolution with equal stride and zero padding on both axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl ConvGeometry {
    /// The convolution of an input of `dims` [n, c, h, w] with a square kernel.
    pub fn new(
        [batch, channels, height, width]: [usize; 4],
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Self {
        Self {
            batch,
            channels,
            height,
            width,
            kernel,
            stride,
            padding,
        }
    }

    /// Output rows of the convolution.
    pub fn out_height(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Output columns of the convolution.
    pub fn out_width(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Rows of the column matrix: channels · k · k.
    pub fn col_rows(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Columns of the column matrix: batch · out_h · out_w.
    pub fn col_len(&self) -> usize {
        self.batch * self.out_height() * self.out_width()
    }

    /// The output positions `o` (along an axis of `size` inputs) whose tap `tap` lands inside
    /// the input: `o·stride + tap − padding ∈ [0, size)`.
    fn valid_outputs(&self, tap: usize, size: usize, outputs: usize) -> std::ops::Range<usize> {
        let (s, p) = (self.stride, self.padding);
        let first = p.saturating_sub(tap).div_ceil(s);
        // Largest o with o·s + tap − p ≤ size − 1.
        let end = if size + p > tap {
            ((size + p - tap - 1) / s + 1).min(outputs)
        } else {
            0
        };
        first..end.max(first)
    }
}

/// Σ over n, h, w of each channel of `x` [n, c, h, w].
pub fn channel_sums(x: Strided4<'_>, [n, c, h, w]: [usize; 4]) -> Vec<f32> {
    let [sn, sc, sh, sw] = x.strides;
    (0..c)
        .into_par_iter()
        .map(|ch| {
            let mut total = 0.0f64;
            for i in 0..n {
                for y in 0..h {
                    let row = x.offset + i * sn + ch * sc + y * sh;
                    let s: f32 = if sw == 1 {
                        x.data[row..row + w].iter().sum()
                    } else {
                        (0..w).map(|j| x.data[row + j * sw]).sum()
                    };
                    total += s as f64;
                }
            }
            total as f32
        })
        .collect()
}

/// A read-only 4-D f32 array: element (n, c, h, w) lives at
/// `offset + n·strides[0] + c·strides[1] + h·strides[2] + w·strides[3]`.
#[derive(Clone, Copy, Debug)]
pub struct Strided4<'a> {
    pub data: &'a [f32],
    pub offset: usize,
    pub strides: [usize; 4],
}

impl<'a> Strided4<'a> {
    /// A contiguous [n, c, h, w] array.
    pub fn contiguous(data: &'a [f32], [_, c, h, w]: [usize; 4]) -> Self {
        Self {
            data,
            offset: 0,
            strides: [c * h * w, h * w, w, 1],
        }
    }
}

/// The column matrix of input `x` for geometry `g`, written into `cols` (g.col_rows() ×
/// g.col_len() values, whatever they held before: every element is written).
pub fn im2col_into(x: Strided4<'_>, g: &ConvGeometry, cols: &mut [f32]) {
    let (oh, ow, k) = (g.out_height(), g.out_width(), g.kernel);
    let len = g.col_len();
    assert_eq!(cols.len(), g.col_rows() * len, "im2col: column matrix size");
    let [sn, sc, sh, sw] = x.strides;
    cols.par_chunks_mut(len).enumerate().for_each(|(row, out)| {
        let (c, ki, kj) = (row / (k * k), (row / k) % k, row % k);
        let ys = g.valid_outputs(ki, g.height, oh);
        let xs = g.valid_outputs(kj, g.width, ow);
        if xs.is_empty() || ys.is_empty() {
            out.fill(0.0);
            return;
        }
        let first_iw = xs.start * g.stride + kj - g.padding;
        let flat = g.stride == 1 && ow == g.width && sw == 1 && sh == g.width;
        for (n, image) in out.chunks_exact_mut(oh * ow).enumerate() {
            // Rows whose tap falls in the padding are zeros, and so are the ends of the others.
            image[..ys.start * ow].fill(0.0);
            image[ys.end * ow..].fill(0.0);
            if flat {
                let plane = x.offset + n * sn + c * sc;
                shifted_rows(image, &x.data[plane..][..g.height * g.width], g, (ki, kj));
                for oy in ys.clone() {
                    let dst = &mut image[oy * ow..][..ow];
                    dst[..xs.start].fill(0.0);
                    dst[xs.end..].fill(0.0);
                }
                continue;
            }
            let plane = x.offset + n * sn + c * sc + first_iw * sw;
            for oy in ys.clone() {
                let start = plane + (oy * g.stride + ki - g.padding) * sh;
                let dst = &mut image[oy * ow..][..ow];
                dst[..xs.start].fill(0.0);
                dst[xs.end..].fill(0.0);
                gather(&mut dst[xs.clone()], &x.data[start..], g.stride * sw);
            }
        }
    });
}

/// One image's part of a column-matrix row for tap (ki, kj) of a stride-1 convolution whose
/// output rows are as wide as its input rows: output position q = oy·w + ox reads input
/// position q + (ki − p)·w + (kj − p), one constant shift. So the rows whose tap lies inside
/// the input are one copy of consecutive input values instead of one short copy per output row
/// (7 values at CycleGAN's residual blocks, where a copy call cost more than its values); the
/// values that wrapped around from a neighbouring row land in padding columns, which the
/// caller zeroes.
fn shifted_rows(image: &mut [f32], plane: &[f32], g: &ConvGeometry, (ki, kj): (usize, usize)) {
    let (w, p) = (g.width as isize, g.padding as isize);
    let shift = (ki as isize - p) * w + kj as isize - p;
    let ys = g.valid_outputs(ki, g.height, g.out_height());
    let rows = (ys.start * g.width) as isize..(ys.end * g.width) as isize;
    // Keep q + shift inside the plane; what is cut off lies in the padding columns.
    let lo = rows.start.max(-shift);
    let hi = rows.end.min(plane.len() as isize - shift);
    if lo >= hi {
        image[rows.start as usize..rows.end as usize].fill(0.0);
        return;
    }
    image[rows.start as usize..lo as usize].fill(0.0);
    image[hi as usize..rows.end as usize].fill(0.0);
    let src = &plane[(lo + shift) as usize..(hi + shift) as usize];
    image[lo as usize..hi as usize].copy_from_slice(src);
}

/// The column matrix of input `x` for geometry `g`, in a buffer of its own.
pub fn im2col(x: Strided4<'_>, g: &ConvGeometry) -> Vec<f32> {
    let mut cols = scratch(g.col_rows() * g.col_len());
    im2col_into(x, g, &mut cols);
    cols
}

/// `dst[i] = src[i·step]`, written so that the common steps compile to plain vector moves.
#[inline(always)]
fn gather(dst: &mut [f32], src: &[f32], step: usize) {
    let n = dst.len();
    match step {
        1 => dst.copy_from_slice(&src[..n]),
        2 => {
            let src = &src[..2 * n - 1];
            for (d, pair) in dst.iter_mut().zip(src.chunks(2)) {
                *d = pair[0];
            }
        }
        _ => {
            for (d, v) in dst.iter_mut().zip(src.iter().step_by(step)) {
                *d = *v;
            }
        }
    }
}

/// `dst[i·step] += src[i]`: the adjoint of [`gather`].
#[inline(always)]
fn scatter_add(dst: &mut [f32], src: &[f32], step: usize) {
    match step {
        1 => {
            for (d, v) in dst.iter_mut().zip(src) {
                *d += *v;
            }
        }
        2 => {
            let dst = &mut dst[..2 * src.len() - 1];
            for (pair, v) in dst.chunks_mut(2).zip(src) {
                pair[0] += *v;
            }
        }
        _ => {
            for (d, v) in dst.iter_mut().step_by(step).zip(src) {
                *d += *v;
            }
        }
    }
}

/// The adjoint of [`im2col`]: every column value added back at the input position it was
/// read from, onto `start[c]` in every position of channel c (a bias, or zeros). Returns the
/// image channel-major, [channels, batch, height, width], so that each thread owns whole
/// channels.
pub fn col2im(cols: &[f32], g: &ConvGeometry, start: &[f32]) -> Vec<f32> {
    let (oh, ow, k) = (g.out_height(), g.out_width(), g.kernel);
    let len = g.col_len();
    assert_eq!(cols.len(), g.col_rows() * len, "col2im: column matrix size");
    let plane = g.batch * g.height * g.width;
    // Every element is first set to its channel's start value below.
    let mut image = scratch(g.channels * plane);
    image
        .par_chunks_mut(plane)
        .enumerate()
        .for_each(|(c, img)| {
            img.fill(start[c]);
            for ki in 0..k {
                let ys = g.valid_outputs(ki, g.height, oh);
                for kj in 0..k {
                    let xs = g.valid_outputs(kj, g.width, ow);
                    if xs.is_empty() {
                        continue;
                    }
                    let first_iw = xs.start * g.stride + kj - g.padding;
                    let src = &cols[((c * k + ki) * k + kj) * len..][..len];
                    let per_image = g.height * g.width;
                    for (dst_image, src_image) in img
                        .chunks_exact_mut(per_image)
                        .zip(src.chunks_exact(oh * ow))
                    {
                        for oy in ys.clone() {
                            let ih = oy * g.stride + ki - g.padding;
                            let dst = &mut dst_image[ih * g.width + first_iw..(ih + 1) * g.width];
                            scatter_add(dst, &src_image[oy * ow..][xs.clone()], g.stride);
                        }
                    }
                }
            }
        });
    image
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn geometry(batch: usize, channels: usize, side: usize) -> ConvGeometry {
        ConvGeometry::new([batch, channels, side, side + 1], 4, 2, 1)
    }

    fn values(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect()
    }

    /// Direct convolution of x [n, c, h, w] with w [o, c, k, k] (also the implicit products'
    /// reference).
    pub(in super::super) fn direct_conv(
        x: &[f32],
        w: &[f32],
        o: usize,
        g: &ConvGeometry,
    ) -> Vec<f32> {
        let (oh, ow, k) = (g.out_height(), g.out_width(), g.kernel);
        let mut y = vec![0.0; g.batch * o * oh * ow];
        for n in 0..g.batch {
            for oc in 0..o {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut acc = 0.0;
                        for c in 0..g.channels {
                            for ki in 0..k {
                                for kj in 0..k {
                                    let ih = (oy * g.stride + ki) as isize - g.padding as isize;
                                    let iw = (ox * g.stride + kj) as isize - g.padding as isize;
                                    if ih < 0 || iw < 0 {
                                        continue;
                                    }
                                    let (ih, iw) = (ih as usize, iw as usize);
                                    if ih >= g.height || iw >= g.width {
                                        continue;
                                    }
                                    acc += x[((n * g.channels + c) * g.height + ih) * g.width + iw]
                                        * w[((oc * g.channels + c) * k + ki) * k + kj];
                                }
                            }
                        }
                        y[((n * o + oc) * oh + oy) * ow + ox] = acc;
                    }
                }
            }
        }
        y
    }

    /// Weights times `im2col`'s columns of a contiguous input of geometry `g` give the direct
    /// convolution.
    fn assert_columns_convolve(g: &ConvGeometry) {
        let o = 2;
        let dims = [g.batch, g.channels, g.height, g.width];
        let x = values(dims.iter().product());
        let w = values(o * g.col_rows());
        let cols = im2col(Strided4::contiguous(&x, dims), g);
        let (rows, len) = (g.col_rows(), g.col_len());
        let p = g.out_height() * g.out_width();
        let expected = direct_conv(&x, &w, o, g);
        for oc in 0..o {
            for j in 0..len {
                let got: f32 = (0..rows)
                    .map(|r| w[oc * rows + r] * cols[r * len + j])
                    .sum();
                let want = expected[((j / p) * o + oc) * p + j % p];
                assert!(
                    (got - want).abs() < 1e-4,
                    "{g:?} ({oc}, {j}): {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn weights_times_columns_is_the_direct_convolution() {
        assert_columns_convolve(&geometry(2, 3, 6));
    }

    #[test]
    fn a_strided_view_gives_the_same_columns() {
        // The same input stored channel-major ([c, n, h, w]) and read through strides.
        let g = geometry(2, 3, 6);
        let dims = [2, 3, 6, 7];
        let x = values(2 * 3 * 6 * 7);
        let mut channel_major = vec![0.0; x.len()];
        for n in 0..2 {
            for c in 0..3 {
                for i in 0..42 {
                    channel_major[(c * 2 + n) * 42 + i] = x[(n * 3 + c) * 42 + i];
                }
            }
        }
        let view = Strided4 {
            data: &channel_major,
            offset: 0,
            strides: [42, 84, 7, 1],
        };
        assert_eq!(im2col(view, &g), im2col(Strided4::contiguous(&x, dims), &g));
    }

    #[test]
    fn stride_one_columns_match_the_direct_convolution() {
        // The shifted whole-image copies (rows as wide as the input), for 'same' and other
        // paddings.
        for (kernel, padding, width) in [(3, 1, 7), (7, 3, 9), (5, 2, 8), (4, 1, 6), (3, 2, 5)] {
            assert_columns_convolve(&ConvGeometry {
                batch: 2,
                channels: 3,
                height: 6,
                width,
                kernel,
                stride: 1,
                padding,
            });
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), c> = <x, col2im(c)> for any x and c.
        let g = geometry(2, 3, 7);
        let x = values(g.batch * g.channels * g.height * g.width);
        let c: Vec<f32> = values(g.col_rows() * g.col_len() + 5)[5..].to_vec();
        let lhs: f64 = im2col(Strided4::contiguous(&x, [2, 3, 7, 8]), &g)
            .iter()
            .zip(&c)
            .map(|(a, b)| (*a as f64) * (*b as f64))
            .sum();
        let back = col2im(&c, &g, &[0.0; 3]); // [c, n, h, w]
        let plane = g.height * g.width;
        let mut rhs = 0.0f64;
        for n in 0..g.batch {
            for ch in 0..g.channels {
                for i in 0..plane {
                    let xv = x[(n * g.channels + ch) * plane + i] as f64;
                    rhs += xv * back[(ch * g.batch + n) * plane + i] as f64;
                }
            }
        }
        assert!(
            (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }

    #[test]
    fn valid_outputs_keep_taps_inside_the_input() {
        let g = geometry(1, 1, 7);
        for tap in 0..4 {
            let r = g.valid_outputs(tap, 7, g.out_height());
            for o in 0..g.out_height() {
                let pos = (o * 2 + tap) as isize - 1;
                assert_eq!(
                    r.contains(&o),
                    (0..7).contains(&pos),
                    "tap {tap} output {o}"
                );
            }
        }
    }
}
