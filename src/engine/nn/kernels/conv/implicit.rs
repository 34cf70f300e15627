//! Stride-1 "same" convolutions (odd k, padding (k − 1)/2: SRResNet's and CycleGAN's residual
//! and upsampling layers) as matrix products over one padded copy of the input, with no column
//! matrix.
//!
//! The input is copied once, channels last, onto a grid whose rows are `w + p` wide and whose
//! images are `h + p` rows tall: the p zeros before each row are also the right-hand padding of
//! the row before, and the p zero rows before each image the bottom padding of the image
//! before (see [`Grid`]). On that grid output (n, y, x), stored at q = n·image + y·pitch + x,
//! reads tap (ki, kj) at grid position q + ki·pitch + kj, one constant shift. With channels
//! last, the k taps of a kernel row and the c channels are k·c consecutive values, so for each
//! kernel row the "column matrix" is the padded copy itself seen with a row stride of c: k
//! products of depth k·c, accumulated, instead of copying the input k² times and reading the
//! copies back (BENCHMARKS.md). The outputs at grid positions that are not pixels (the
//! padding columns and rows) are computed and dropped; for the weight gradient the output
//! gradient is zero there.
//!
//! Plain slices, no burn types; each thread works on its own run of grid positions, so the
//! output block stays in cache across the k products.

use rayon::prelude::*;

use super::super::gemm::{self, MatRef, recycle, scratch, zeros};
use super::super::transpose::{transpose_into, transpose_to_rows};
use super::im2col::{ConvGeometry, Strided4};

/// Input channels from which the implicit products beat im2col (with fewer, the products are
/// too shallow for the matrix kernel: depth k·c).
const MIN_CHANNELS: usize = 8;

/// Grid positions per block of work (a block's output, 32 channels, is 64 KB).
const BLOCK: usize = 512;

/// Whether [`conv`] and [`weight_grad`] handle geometry `g`.
pub fn applies(g: &ConvGeometry) -> bool {
    g.stride == 1
        && g.kernel % 2 == 1
        && 2 * g.padding + 1 == g.kernel
        && g.channels >= MIN_CHANNELS
        && g.batch > 0
        && g.height > 0
        && g.width > 0
}

/// The padded grid of a "same" convolution's input (see the module's comment).
#[derive(Clone, Copy, Debug)]
struct Grid {
    /// Positions per grid row: w + p.
    pitch: usize,
    /// Positions per image.
    image: usize,
    /// Output positions computed: up to the last pixel of the last image.
    outputs: usize,
    /// Positions in the padded copy: every tap of every output lies inside it.
    positions: usize,
}

impl Grid {
    fn new(g: &ConvGeometry) -> Self {
        let pitch = g.width + g.padding;
        let image = (g.height + g.padding) * pitch;
        let outputs = (g.batch - 1) * image + (g.height - 1) * pitch + g.width;
        // The last output's last tap is (k − 1)·(pitch + 1) further on.
        let needed = outputs + (g.kernel - 1) * (pitch + 1);
        Self {
            pitch,
            image,
            outputs,
            positions: needed.div_ceil(pitch) * pitch,
        }
    }
}

/// The runs of whole images the threads take, one each: an image's taps reach only its own
/// grid rows and the zero rows after it, so a run needs nothing from the others and its
/// output is one contiguous range of the [n, o, h, w] result. One parallel section per call
/// (three before: padding, products, unpacking) spares the other worker two wake-ups each.
fn image_runs(batch: usize) -> Vec<std::ops::Range<usize>> {
    let parts = rayon::current_num_threads().clamp(1, batch);
    (0..parts)
        .map(|p| (p * batch / parts)..((p + 1) * batch / parts))
        .collect()
}

/// Geometry `g` for the images `run` of a batch, and `x` seen from its first image.
fn run_of<'a>(
    x: Strided4<'a>,
    g: &ConvGeometry,
    run: &std::ops::Range<usize>,
) -> (Strided4<'a>, ConvGeometry) {
    let view = Strided4 {
        offset: x.offset + run.start * x.strides[0],
        ..x
    };
    let geometry = ConvGeometry {
        batch: run.len(),
        ..*g
    };
    (view, geometry)
}

/// `x` [n, c, h, w] copied channels last onto `grid`, zeros in the padding:
/// [positions, c]. When an image's planes are contiguous, each is one transpose of
/// [c, h·w] whose rows land on the grid's pixel rows.
fn padded_channels_last(x: Strided4<'_>, grid: &Grid, g: &ConvGeometry) -> Vec<f32> {
    let (c, p, h, w) = (g.channels, g.padding, g.height, g.width);
    let [sn, sc, sh, sw] = x.strides;
    let mut padded = scratch(grid.positions * c);
    let (images, tail) = padded.split_at_mut(g.batch * grid.image * c);
    tail.fill(0.0);
    for (n, dst) in images.chunks_exact_mut(grid.image * c).enumerate() {
        // The p zero rows above the image, then the p zeros before each pixel row.
        dst[..p * grid.pitch * c].fill(0.0);
        for y in 0..h {
            dst[(p + y) * grid.pitch * c..][..p * c].fill(0.0);
        }
        let pixel = |j: usize| ((p + j / w) * grid.pitch + p + j % w) * c;
        let start = x.offset + n * sn;
        if sw == 1 && sh == w {
            transpose_to_rows(&x.data[start..], sc, dst, pixel, c, h * w);
            continue;
        }
        for ch in 0..c {
            for y in 0..h {
                for i in 0..w {
                    dst[pixel(y * w + i) + ch] = x.data[start + ch * sc + y * sh + i * sw];
                }
            }
        }
    }
    padded
}

/// The view of the padded copy that kernel row `ki` multiplies, for output positions
/// `start..start + len`: [len, k·c], row q holding taps (kj, ch) of output q.
fn taps_view<'a>(
    padded: &'a [f32],
    grid: &Grid,
    g: &ConvGeometry,
    ki: usize,
    start: usize,
    len: usize,
) -> MatRef<'a> {
    let c = g.channels;
    MatRef {
        data: padded,
        offset: (start + ki * grid.pitch) * c,
        rows: len,
        cols: g.kernel * c,
        row_stride: c as isize,
        col_stride: 1,
    }
}

/// `weight` [o, c, k, k] → [k (ki), k (kj), c, o]: for each kernel row the [k·c, o] matrix
/// that the taps view multiplies.
fn taps_by_row(weight: &[f32], o: usize, c: usize, k: usize) -> Vec<f32> {
    let mut taps = vec![0.0f32; weight.len()];
    for oc in 0..o {
        for ch in 0..c {
            for t in 0..k * k {
                taps[(t * c + ch) * o + oc] = weight[(oc * c + ch) * k * k + t];
            }
        }
    }
    taps
}

/// The stride-1 "same" convolution of `x` [n, c, h, w] with `weight` [o, c, k, k]
/// (contiguous) plus `bias` [o]: [n, o, h, w], contiguous.
pub fn conv(x: Strided4<'_>, weight: &[f32], bias: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let (c, k, o) = (g.channels, g.kernel, bias.len());
    debug_assert!(applies(g) && weight.len() == o * c * k * k);
    let taps = taps_by_row(weight, o, c, k);
    let per_image = o * g.height * g.width;
    let mut y = scratch(g.batch * per_image);
    let runs = image_runs(g.batch);
    let mut outputs: Vec<&mut [f32]> = Vec::with_capacity(runs.len());
    let mut rest = y.as_mut_slice();
    for run in &runs {
        let (mine, after) = rest.split_at_mut(run.len() * per_image);
        outputs.push(mine);
        rest = after;
    }
    runs.par_iter().zip(outputs).for_each(|(run, out)| {
        let (view, g) = run_of(x, g, run);
        conv_run(view, &taps, bias, &g, out);
    });
    y
}

/// [`conv`] for one run of images, on this thread, into `out` [n, o, h, w].
fn conv_run(x: Strided4<'_>, taps: &[f32], bias: &[f32], g: &ConvGeometry, out: &mut [f32]) {
    let (c, k, o) = (g.channels, g.kernel, bias.len());
    let grid = Grid::new(g);
    let padded = padded_channels_last(x, &grid, g);
    let mut by_position = scratch(BLOCK * o);
    let mut by_channel = scratch(BLOCK * o);
    for start in (0..grid.outputs).step_by(BLOCK) {
        let len = BLOCK.min(grid.outputs - start);
        // The products leave [len, o] (the faster orientation for the matrix kernel,
        // BENCHMARKS.md); transposed while in cache, the pixels come out as row pieces.
        let block = &mut by_position[..len * o];
        for row in block.chunks_exact_mut(o) {
            row.copy_from_slice(bias);
        }
        for ki in 0..k {
            let a = taps_view(&padded, &grid, g, ki, start, len);
            let b = MatRef::row_major(&taps[ki * k * c * o..][..k * c * o], k * c, o);
            gemm::matmul(block, a, b, true);
        }
        transpose_into(block, o, &mut by_channel, len, len, o);
        unpack_pixels(&by_channel[..o * len], &grid, g, start..start + len, out);
    }
    recycle(padded);
    recycle(by_position);
    recycle(by_channel);
}

/// The pixels among grid positions `block` (a block's output, [o, len]) into `out`
/// [n, o, h, w]: the junk positions of the padding are dropped.
fn unpack_pixels(
    block: &[f32],
    grid: &Grid,
    g: &ConvGeometry,
    positions: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let (h, w) = (g.height, g.width);
    let len = positions.len();
    let o = block.len() / len.max(1);
    let mut q = positions.start;
    while q < positions.end {
        let (n, within) = (q / grid.image, q % grid.image);
        let (y, x) = (within / grid.pitch, within % grid.pitch);
        let row_end = (q - x + grid.pitch).min(positions.end);
        if y < h && x < w {
            let take = (w - x).min(row_end - q);
            let from = q - positions.start;
            for oc in 0..o {
                let dst = &mut out[((n * o + oc) * h + y) * w + x..][..take];
                dst.copy_from_slice(&block[oc * len + from..][..take]);
            }
        }
        q = row_end;
    }
}

/// The output gradient `grad` [n, o, h, w] on the grid's output positions, channel first:
/// [o, outputs], zero where no pixel is.
fn grad_on_grid(grad: Strided4<'_>, grid: &Grid, g: &ConvGeometry, o: usize) -> Vec<f32> {
    let (h, w) = (g.height, g.width);
    let [sn, sc, sh, sw] = grad.strides;
    let mut wide = scratch(o * grid.outputs);
    for (oc, dst) in wide.chunks_exact_mut(grid.outputs).enumerate() {
        for n in 0..g.batch {
            for y in 0..h {
                let q = n * grid.image + y * grid.pitch;
                let src = grad.offset + n * sn + oc * sc + y * sh;
                let row = &mut dst[q..q + w];
                if sw == 1 {
                    row.copy_from_slice(&grad.data[src..src + w]);
                } else {
                    for (i, v) in row.iter_mut().enumerate() {
                        *v = grad.data[src + i * sw];
                    }
                }
                // The padding positions up to the next row (or image).
                let end = if y + 1 < h {
                    q + grid.pitch
                } else {
                    (n + 1) * grid.image
                };
                dst[q + w..end.min(grid.outputs)].fill(0.0);
            }
        }
    }
    wide
}

/// The weight gradient of [`conv`]: `x` [n, c, h, w] and `grad` [n, o, h, w] →
/// [o, c, k, k].
pub fn weight_grad(x: Strided4<'_>, grad: Strided4<'_>, o: usize, g: &ConvGeometry) -> Vec<f32> {
    let (c, k) = (g.channels, g.kernel);
    debug_assert!(applies(g));
    // Each run sums its products into its own [k, o, k·c]; then the runs are added.
    let rows = image_runs(g.batch)
        .into_par_iter()
        .map(|run| {
            let (x, g) = run_of(x, g, &run);
            let (grad, _) = run_of(grad, &g, &run);
            weight_grad_run(x, grad, o, &g)
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += *y);
            a
        })
        .unwrap_or_else(|| zeros(k * k * c * o));
    let mut dw = vec![0.0f32; rows.len()];
    for oc in 0..o {
        for ch in 0..c {
            for ki in 0..k {
                for kj in 0..k {
                    dw[((oc * c + ch) * k + ki) * k + kj] = rows[((ki * o + oc) * k + kj) * c + ch];
                }
            }
        }
    }
    dw
}

/// [`weight_grad`] for one run of images, on this thread: [k (ki), o, k (kj), c].
fn weight_grad_run(x: Strided4<'_>, grad: Strided4<'_>, o: usize, g: &ConvGeometry) -> Vec<f32> {
    let (c, k) = (g.channels, g.kernel);
    let grid = Grid::new(g);
    let padded = padded_channels_last(x, &grid, g);
    let wide = grad_on_grid(grad, &grid, g, o);
    let mut rows = zeros(k * o * k * c);
    for start in (0..grid.outputs).step_by(BLOCK) {
        let len = BLOCK.min(grid.outputs - start);
        // [o, len]: the block's output gradient.
        let grad_block = MatRef {
            data: &wide,
            offset: start,
            rows: o,
            cols: len,
            row_stride: grid.outputs as isize,
            col_stride: 1,
        };
        for (ki, out) in rows.chunks_exact_mut(o * k * c).enumerate() {
            let b = taps_view(&padded, &grid, g, ki, start, len);
            gemm::matmul(out, grad_block, b, true);
        }
    }
    recycle(padded);
    recycle(wide);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i + seed) * 7919 % 1013) as f32 / 1013.0) - 0.5)
            .collect()
    }

    /// The definition: y[n, o, y, x] = b[o] + Σ w[o, c, ki, kj]·x[n, c, y + ki − p, x + kj − p].
    fn naive(x: &[f32], w: &[f32], b: &[f32], g: &ConvGeometry) -> Vec<f32> {
        let (c, h, wd, k, p, o) = (g.channels, g.height, g.width, g.kernel, g.padding, b.len());
        let mut y = vec![0.0f32; g.batch * o * h * wd];
        for n in 0..g.batch {
            for oc in 0..o {
                for r in 0..h {
                    for s in 0..wd {
                        let mut acc = b[oc];
                        for ch in 0..c {
                            for ki in 0..k {
                                for kj in 0..k {
                                    let (iy, ix) = (
                                        (r + ki) as isize - p as isize,
                                        (s + kj) as isize - p as isize,
                                    );
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                        continue;
                                    }
                                    acc += w[((oc * c + ch) * k + ki) * k + kj]
                                        * x[((n * c + ch) * h + iy as usize) * wd + ix as usize];
                                }
                            }
                        }
                        y[((n * o + oc) * h + r) * wd + s] = acc;
                    }
                }
            }
        }
        y
    }

    fn geometries() -> Vec<(ConvGeometry, usize)> {
        let g = |batch, channels, height, width, kernel| ConvGeometry {
            batch,
            channels,
            height,
            width,
            kernel,
            stride: 1,
            padding: kernel / 2,
        };
        vec![
            (g(2, 8, 7, 7, 3), 9),
            (g(3, 9, 5, 11, 3), 4),
            (g(1, 8, 6, 4, 5), 8),
            (g(2, 10, 9, 8, 7), 5),
            (g(2, 8, 5, 6, 1), 3),
            // More outputs than one block, and an odd last block.
            (g(5, 8, 15, 13, 3), 17),
        ]
    }

    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{what}: max difference {worst}");
    }

    #[test]
    fn the_implicit_convolution_is_the_definition() {
        for (g, o) in geometries() {
            assert!(applies(&g));
            let dims = [g.batch, g.channels, g.height, g.width];
            let x = values(dims.iter().product(), 1);
            let w = values(o * g.channels * g.kernel * g.kernel, 2);
            let b = values(o, 3);
            let y = conv(Strided4::contiguous(&x, dims), &w, &b, &g);
            close(&y, &naive(&x, &w, &b, &g), &format!("{g:?}"));
        }
    }

    #[test]
    fn the_weight_gradient_is_the_adjoint_of_the_convolution() {
        // <conv(x, w), r> is linear in w, so its gradient at any w is weight_grad(x, r):
        // check dw·v = <conv(x, v), r> − <conv(x, 0), r> for a direction v.
        for (g, o) in geometries() {
            let dims = [g.batch, g.channels, g.height, g.width];
            let x = values(dims.iter().product(), 4);
            let r = values(g.batch * o * g.height * g.width, 5);
            let v = values(o * g.channels * g.kernel * g.kernel, 6);
            let rdims = [g.batch, o, g.height, g.width];
            let dw = weight_grad(
                Strided4::contiguous(&x, dims),
                Strided4::contiguous(&r, rdims),
                o,
                &g,
            );
            let zero_bias = vec![0.0; o];
            let y = naive(&x, &v, &zero_bias, &g);
            let lhs: f64 = dw
                .iter()
                .zip(&v)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum();
            let rhs: f64 = y
                .iter()
                .zip(&r)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum();
            assert!(
                (lhs - rhs).abs() < 1e-3 * rhs.abs().max(1.0),
                "{g:?}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn a_strided_input_gives_the_same_result() {
        // The same input stored channel-major ([c, n, h, w]) and read through strides.
        let (g, o) = geometries()[1];
        let (n, c, h, w) = (g.batch, g.channels, g.height, g.width);
        let x = values(n * c * h * w, 7);
        let mut channel_major = vec![0.0; x.len()];
        for i in 0..n {
            for ch in 0..c {
                for p in 0..h * w {
                    channel_major[(ch * n + i) * h * w + p] = x[(i * c + ch) * h * w + p];
                }
            }
        }
        let view = Strided4 {
            data: &channel_major,
            offset: 0,
            strides: [h * w, n * h * w, w, 1],
        };
        let wt = values(o * c * 9, 8);
        let b = values(o, 9);
        let contiguous = conv(Strided4::contiguous(&x, [n, c, h, w]), &wt, &b, &g);
        close(&conv(view, &wt, &b, &g), &contiguous, "channel-major input");
    }

    #[test]
    fn only_same_stride_one_convolutions_with_enough_channels_apply() {
        let (g, _) = geometries()[0];
        assert!(applies(&g));
        assert!(!applies(&ConvGeometry { stride: 2, ..g }));
        assert!(!applies(&ConvGeometry { padding: 0, ..g }));
        assert!(!applies(&ConvGeometry { kernel: 4, ..g }));
        assert!(!applies(&ConvGeometry { channels: 3, ..g }));
        assert!(!applies(&ConvGeometry { batch: 0, ..g }));
    }
}
