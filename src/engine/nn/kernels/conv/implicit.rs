//! Convolutions as matrix products over one padded, channels-last copy of the input, with no
//! column matrix: stride-1 "same" convolutions (odd k, padding (k − 1)/2: the residual and
//! upsampling layers of SRResNet and CycleGAN) and strided ones whose kernel the stride
//! divides (the critics' 4×4 stride-2 layers). Other stride-1 paddings below k work the
//! same way (the transposed convolutions' phases are "full" ones, `transposed`).
//!
//! The input is copied once onto a grid (see [`Grid`]), channels last, the images of a run
//! interleaved row by row: grid row y holds row y of the first image, then of the second, and
//! so on. On that grid output (n, y, x), stored at q = (y·N + n)·pitch + x for N images,
//! reads tap (u, v) at grid position q + u·N·pitch + v, one constant shift, so the t taps of a
//! kernel row and the channels are consecutive values and for each kernel row the "column
//! matrix" is the grid itself seen with a row stride of its channel count: t products,
//! accumulated, instead of copying the input k² times and reading the copies back
//! (BENCHMARKS.md). Interleaving the images puts no junk rows between them: the positions
//! computed are the output rows times the pitch (with images one after the other, each
//! image's last t − 1 grid rows were computed and dropped: 8 × 8 positions for a 7 × 7
//! output).
//!
//! - Stride 1: the grid's rows are `w + p` wide: the p zeros before each row are also the
//!   right-hand padding of the row before (of the image before, or of the last image's row
//!   above). p zero rows above and below.
//! - Stride s (k a multiple of s): each grid position holds an s × s block of the padded input,
//!   its phases as channels (c·s² of them), which makes the convolution a stride-1 one with
//!   k/s taps per axis and no padding (a polyphase split: no gathers, no column matrix).
//!
//! The outputs at grid positions that are not pixels (padding columns) are computed and
//! dropped; for the weight gradient the output gradient is zero there. Plain slices, no
//! burn types.

use std::ops::Range;

use rayon::prelude::*;

use super::super::gemm::{self, MatRef, recycle, scratch, zeros};
use super::super::transpose::transpose_to_rows;
pub use super::grid::Grid;
use super::grid::{padded_channels_last, taps_view};
use super::im2col::{ConvGeometry, Strided4};

/// The shallowest product (taps per kernel row × grid channels) worth doing this way: below
/// it the matrix kernel runs far from its speed (a 3×3 layer needs 8 input channels).
const MIN_DEPTH: usize = 24;

/// Grid positions per block of work (a block's output, 32 channels, is 64 KB).
const BLOCK: usize = 512;

/// Whether [`conv`] and [`weight_grad`] handle geometry `g`.
pub fn applies(g: &ConvGeometry) -> bool {
    let (s, k, p) = (g.stride, g.kernel, g.padding);
    // Stride 1 needs p < k: the grid's rows share their p leading zeros as the previous
    // row's trailing padding, which leaves k − 1 − p junk columns per row.
    let shape = if s == 1 { p < k } else { k % s == 0 };
    let fits = g.height + 2 * p >= k && g.width + 2 * p >= k;
    shape && fits && g.batch > 0 && g.height > 0 && g.width > 0 && k * g.channels * s >= MIN_DEPTH
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

/// The weight index in [o, c, k, k] (without the output channel's offset) of tap (u, v),
/// phase (a, b) of input channel c: weight (·, c, s·u + a, s·v + b).
fn tap_index(g: &ConvGeometry, c: usize, [u, v]: [usize; 2], [a, b]: [usize; 2]) -> usize {
    let (k, s) = (g.kernel, g.stride);
    (c * k + s * u + a) * k + s * v + b
}

/// `weight` [o, c, k, k] → [taps (u), taps (v), grid channels, o]: for each kernel row the
/// [taps·channels, o] matrix that the taps view multiplies. Written in order, read with a
/// stride (an element-wise scatter cost 3 % of a super-resolution round).
fn taps_by_row(weight: &[f32], o: usize, g: &ConvGeometry, grid: &Grid) -> Vec<f32> {
    let (t, s) = (grid.taps, grid.phases);
    let per_output = g.channels * g.kernel * g.kernel;
    let mut taps = Vec::with_capacity(weight.len());
    for u in 0..t {
        for v in 0..t {
            // Grid channels in order: (a, b, c).
            for a in 0..s {
                for b in 0..s {
                    for c in 0..g.channels {
                        let index = tap_index(g, c, [u, v], [a, b]);
                        taps.extend((0..o).map(|oc| weight[oc * per_output + index]));
                    }
                }
            }
        }
    }
    taps
}

/// The convolution of `x` [n, c, h, w] with `weight` [o, c, k, k] (contiguous) plus `bias`
/// [o]: [n, o, h', w'], contiguous.
pub fn conv(x: Strided4<'_>, weight: &[f32], bias: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let o = bias.len();
    debug_assert!(applies(g) && weight.len() == o * g.channels * g.kernel * g.kernel);
    let grid = Grid::new(g);
    let taps = taps_by_row(weight, o, g, &grid);
    let outputs = Outputs {
        per_image: o * g.out_height() * g.out_width(),
        columns: &|_row| 0..o,
        group: o,
        unpack: &unpack_pixels,
    };
    conv_with_taps(x, &taps, bias, g, &outputs)
}

/// A block of a run's output: output channels `channels` at grid positions `positions`,
/// [positions, channels] (as the products leave it).
pub struct Block<'a> {
    pub values: &'a [f32],
    pub positions: Range<usize>,
    pub channels: Range<usize>,
}

/// Lays a block of a run's output (on the run's grid) into the run's part of the result.
pub type Unpack<'a> = dyn Fn(&Block<'_>, &Grid, &mut [f32]) + Sync + 'a;

/// The output channels needed at an output row (all of them, except where a caller drops
/// some: the transposed convolution's phases that fall outside the image).
pub type Columns<'a> = dyn Fn(usize) -> Range<usize> + Sync + 'a;

/// What a caller wants of the products: the channels `columns` names at each output row, in
/// blocks of at most `group` channels, laid out by `unpack` into `per_image` values per image.
pub struct Outputs<'a> {
    pub per_image: usize,
    pub columns: &'a Columns<'a>,
    pub group: usize,
    pub unpack: &'a Unpack<'a>,
}

/// [`conv`] with its weights already in the products' layout, [taps (u), taps (v), c, o] for
/// a stride-1 `g` (for each kernel row u the [taps·c, o] matrix the grid's view multiplies),
/// and the output as `outputs` asks.
pub fn conv_with_taps(
    x: Strided4<'_>,
    taps: &[f32],
    bias: &[f32],
    g: &ConvGeometry,
    outputs: &Outputs<'_>,
) -> Vec<f32> {
    let per_image = outputs.per_image;
    let mut y = scratch(g.batch * per_image);
    let runs = image_runs(g.batch);
    let mut parts: Vec<&mut [f32]> = Vec::with_capacity(runs.len());
    let mut rest = y.as_mut_slice();
    for run in &runs {
        let (mine, after) = rest.split_at_mut(run.len() * per_image);
        parts.push(mine);
        rest = after;
    }
    runs.par_iter().zip(parts).for_each(|(run, out)| {
        let (view, g) = run_of(x, g, run);
        conv_run(view, taps, bias, &g, out, outputs);
    });
    y
}

/// [`conv_with_taps`] for one run of images, on this thread, into `out`.
fn conv_run(
    x: Strided4<'_>,
    taps: &[f32],
    bias: &[f32],
    g: &ConvGeometry,
    out: &mut [f32],
    outputs: &Outputs<'_>,
) {
    let o = bias.len();
    let grid = Grid::new(g);
    let depth = grid.taps * grid.channels;
    let padded = padded_channels_last(x, &grid, g);
    let mut by_position = scratch(BLOCK * outputs.group.clamp(1, o));
    for (positions, channels) in blocks(&grid, outputs) {
        let (start, len, width) = (positions.start, positions.len(), channels.len());
        // The products leave [len, width] (the faster orientation for the matrix kernel,
        // BENCHMARKS.md).
        let block = &mut by_position[..len * width];
        for row in block.chunks_exact_mut(width) {
            row.copy_from_slice(&bias[channels.clone()]);
        }
        for u in 0..grid.taps {
            let a = taps_view(&padded, &grid, u, start, len);
            let b = MatRef {
                data: taps,
                offset: u * depth * o + channels.start,
                rows: depth,
                cols: width,
                row_stride: o as isize,
                col_stride: 1,
            };
            gemm::matmul(block, a, b, true);
        }
        let values = &by_position[..len * width];
        (outputs.unpack)(
            &Block {
                values,
                positions,
                channels,
            },
            &grid,
            out,
        );
    }
    recycle(padded);
    recycle(by_position);
}

/// The blocks of a run's products (positions, channels): runs of output rows that need the
/// same output channels, cut into pieces of at most [`BLOCK`] positions and the outputs'
/// group of channels.
fn blocks(grid: &Grid, outputs: &Outputs<'_>) -> Vec<(Range<usize>, Range<usize>)> {
    let mut blocks = Vec::new();
    let (rows, columns) = (grid.out[0], outputs.columns);
    let mut first = 0;
    while first < rows {
        let channels = columns(first);
        let mut end = first + 1;
        while end < rows && columns(end) == channels {
            end += 1;
        }
        // Up to the last pixel of the last image's last row (the rest of that row is junk).
        let stop = grid.position(0, end, 0).min(grid.outputs);
        let mut start = grid.position(0, first, 0);
        while start < stop {
            let len = BLOCK.min(stop - start);
            let mut from = channels.start;
            while from < channels.end {
                let to = channels.end.min(from + outputs.group.max(1));
                blocks.push((start..start + len, from..to));
                from = to;
            }
            start += len;
        }
        first = end;
    }
    blocks
}

/// The pixels of a block into `out` [n, o, h', w']: the junk positions of the padding are
/// dropped. Each piece of an image's row, [pixels, o] in the block, is one transpose into
/// the o planes.
fn unpack_pixels(block: &Block<'_>, grid: &Grid, out: &mut [f32]) {
    let [h, w] = grid.out;
    let positions = block.positions.clone();
    let o = block.channels.len();
    let mut q = positions.start;
    while q < positions.end {
        let (n, y, x) = grid.locate(q);
        let row_end = (q - x + grid.pitch).min(positions.end);
        if x < w {
            let take = (w - x).min(row_end - q);
            let values = &block.values[(q - positions.start) * o..];
            let plane = |oc: usize| ((n * o + oc) * h + y) * w + x;
            transpose_to_rows(values, o, out, plane, take, o);
        }
        q = row_end;
    }
}

/// The output gradient `grad` [n, o, h', w'] on the grid's output positions, channel first:
/// [o, outputs], zero where no pixel is.
fn grad_on_grid(grad: Strided4<'_>, grid: &Grid, batch: usize, o: usize) -> Vec<f32> {
    let [h, w] = grid.out;
    let [sn, sc, sh, sw] = grad.strides;
    let mut wide = scratch(o * grid.outputs);
    for (oc, dst) in wide.chunks_exact_mut(grid.outputs).enumerate() {
        for n in 0..batch {
            for y in 0..h {
                let q = grid.position(n, y, 0);
                let src = grad.offset + n * sn + oc * sc + y * sh;
                let row = &mut dst[q..q + w];
                if sw == 1 {
                    row.copy_from_slice(&grad.data[src..src + w]);
                } else {
                    for (i, v) in row.iter_mut().enumerate() {
                        *v = grad.data[src + i * sw];
                    }
                }
                // The padding positions up to the next image's row.
                dst[q + w..(q + grid.pitch).min(grid.outputs)].fill(0.0);
            }
        }
    }
    wide
}

/// The weight gradient of [`conv`]: `x` [n, c, h, w] and `grad` [n, o, h', w'] →
/// [o, c, k, k].
pub fn weight_grad(x: Strided4<'_>, grad: Strided4<'_>, o: usize, g: &ConvGeometry) -> Vec<f32> {
    debug_assert!(applies(g));
    let grid = Grid::new(g);
    let size = o * g.channels * g.kernel * g.kernel;
    // Each run sums its products into its own [taps (u), o, taps (v), grid channels]; then
    // the runs are added.
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
        .unwrap_or_else(|| zeros(size));
    // Back to [o, c, k, k], written in order.
    let (t, cg, s) = (grid.taps, grid.channels, grid.phases);
    let mut dw = Vec::with_capacity(size);
    for oc in 0..o {
        for c in 0..g.channels {
            for ki in 0..g.kernel {
                for kj in 0..g.kernel {
                    let ch = grid.channel(c, ki % s, kj % s);
                    dw.push(rows[((ki / s * o + oc) * t + kj / s) * cg + ch]);
                }
            }
        }
    }
    dw
}

/// [`weight_grad`] for one run of images, on this thread.
fn weight_grad_run(x: Strided4<'_>, grad: Strided4<'_>, o: usize, g: &ConvGeometry) -> Vec<f32> {
    let grid = Grid::new(g);
    let depth = grid.taps * grid.channels;
    let padded = padded_channels_last(x, &grid, g);
    let wide = grad_on_grid(grad, &grid, g.batch, o);
    let mut rows = zeros(grid.taps * o * depth);
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
        for (u, out) in rows.chunks_exact_mut(o * depth).enumerate() {
            let b = taps_view(&padded, &grid, u, start, len);
            gemm::matmul(out, grad_block, b, true);
        }
    }
    recycle(padded);
    recycle(wide);
    rows
}

#[cfg(test)]
#[path = "implicit_tests.rs"]
pub(super) mod tests;
