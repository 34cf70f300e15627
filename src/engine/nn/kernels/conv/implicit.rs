//! Convolutions as matrix products over one padded, channels-last copy of the input, with no
//! column matrix: stride-1 "same" convolutions (odd k, padding (k − 1)/2: the residual and
//! upsampling layers of SRResNet and CycleGAN) and strided ones whose kernel the stride
//! divides (the critics' 4×4 stride-2 layers). Other stride-1 paddings below k work the
//! same way (the transposed convolutions' phases are "full" ones, `transposed`).
//!
//! The input is copied once onto a grid (see [`Grid`]), channels last. On that grid output
//! (n, y, x), stored at q = n·image + y·pitch + x, reads tap (u, v) at grid position
//! q + u·pitch + v, one constant shift, so the t taps of a kernel row and the channels are
//! consecutive values and for each kernel row the "column matrix" is the grid itself seen
//! with a row stride of its channel count: t products, accumulated, instead of copying the
//! input k² times and reading the copies back (BENCHMARKS.md).
//!
//! - Stride 1: the grid's rows are `w + p` wide and its images `h + p` rows tall: the p zeros
//!   before each row are also the right-hand padding of the row before, and the p zero rows
//!   before each image the bottom padding of the image before.
//! - Stride s (k a multiple of s): each grid position holds an s × s block of the padded input,
//!   its phases as channels (c·s² of them), which makes the convolution a stride-1 one with
//!   k/s taps per axis and no padding (a polyphase split: no gathers, no column matrix).
//!
//! The outputs at grid positions that are not pixels (padding columns and rows) are computed
//! and dropped; for the weight gradient the output gradient is zero there. Plain slices, no
//! burn types.

use rayon::prelude::*;

use super::super::gemm::{self, MatRef, recycle, scratch, zeros};
use super::super::transpose::{transpose_into, transpose_to_rows};
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

/// The grid a convolution's input is copied onto (see the module's comment).
#[derive(Clone, Copy, Debug)]
struct Grid {
    /// The stride: each grid position holds stride × stride input positions.
    phases: usize,
    /// Kernel taps per axis on the grid: k / stride.
    taps: usize,
    /// Values per grid position: c · stride².
    channels: usize,
    /// Positions per grid row.
    pitch: usize,
    /// Positions per image.
    image: usize,
    /// Output rows and columns.
    out: [usize; 2],
    /// Output positions computed: up to the last pixel of the last image.
    outputs: usize,
    /// Positions in the grid: every tap of every output lies inside it.
    positions: usize,
}

impl Grid {
    fn new(g: &ConvGeometry) -> Self {
        let s = g.stride;
        let taps = g.kernel / s;
        // Zero rows (and columns) before each image's (and row's) values that double as the
        // padding after the previous one: p at stride 1, none otherwise.
        let lead = if s == 1 { g.padding } else { 0 };
        let out = [g.out_height(), g.out_width()];
        let pitch = out[1] + taps - 1 - lead;
        let image = (out[0] + taps - 1 - lead) * pitch;
        let outputs = (g.batch - 1) * image + (out[0] - 1) * pitch + out[1];
        // The last output's last tap is (taps − 1)·(pitch + 1) further on.
        let needed = outputs + (taps - 1) * (pitch + 1);
        Self {
            phases: s,
            taps,
            channels: g.channels * s * s,
            pitch,
            image,
            out,
            outputs,
            positions: needed.div_ceil(pitch).max(g.batch * image / pitch) * pitch,
        }
    }

    /// Grid channel of input channel `c`, phase (a, b).
    fn channel(&self, c: usize, a: usize, b: usize) -> usize {
        (c * self.phases + a) * self.phases + b
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
/// [positions, grid channels].
fn padded_channels_last(x: Strided4<'_>, grid: &Grid, g: &ConvGeometry) -> Vec<f32> {
    let cg = grid.channels;
    let mut padded = scratch(grid.positions * cg);
    let (images, tail) = padded.split_at_mut(g.batch * grid.image * cg);
    tail.fill(0.0);
    for (n, dst) in images.chunks_exact_mut(grid.image * cg).enumerate() {
        if grid.phases == 1 {
            image_same(x, n, grid, g, dst);
        } else {
            image_phases(x, n, grid, g, dst);
        }
    }
    padded
}

/// Image `n` onto its part of a stride-1 grid. When the image's planes are contiguous, this
/// is one transpose of [c, h·w] whose rows land on the grid's pixel rows.
fn image_same(x: Strided4<'_>, n: usize, grid: &Grid, g: &ConvGeometry, dst: &mut [f32]) {
    let (c, p, h, w) = (g.channels, g.padding, g.height, g.width);
    let [sn, sc, sh, sw] = x.strides;
    // The p zero rows above the image, then the p zeros before each pixel row.
    dst[..p * grid.pitch * c].fill(0.0);
    for y in 0..h {
        dst[(p + y) * grid.pitch * c..][..p * c].fill(0.0);
    }
    let pixel = |j: usize| ((p + j / w) * grid.pitch + p + j % w) * c;
    let start = x.offset + n * sn;
    if sw == 1 && sh == w {
        transpose_to_rows(&x.data[start..], sc, dst, pixel, c, h * w);
        return;
    }
    for ch in 0..c {
        for y in 0..h {
            for i in 0..w {
                dst[pixel(y * w + i) + ch] = x.data[start + ch * sc + y * sh + i * sw];
            }
        }
    }
}

/// Image `n` onto its part of a strided grid: position (gy, gx), channel (c, a, b) holds
/// x[c, s·gy + a − p, s·gx + b − p] (zero outside the image). Row by row of the grid: each
/// channel's phases gathered into [channels, pitch], then transposed into place.
fn image_phases(x: Strided4<'_>, n: usize, grid: &Grid, g: &ConvGeometry, dst: &mut [f32]) {
    let (s, p, cg, pitch) = (grid.phases, g.padding, grid.channels, grid.pitch);
    let [sn, sc, sh, sw] = x.strides;
    let mut by_channel = scratch(cg * pitch);
    for (gy, row) in dst.chunks_exact_mut(pitch * cg).enumerate() {
        for c in 0..g.channels {
            for a in 0..s {
                let iy = (s * gy + a) as isize - p as isize;
                for b in 0..s {
                    let line = &mut by_channel[grid.channel(c, a, b) * pitch..][..pitch];
                    if iy < 0 || iy >= g.height as isize {
                        line.fill(0.0);
                        continue;
                    }
                    // Columns s·gx + b − p inside the image: gx in first..end.
                    let first = p.saturating_sub(b).div_ceil(s).min(pitch);
                    let end = if g.width + p > b {
                        ((g.width + p - b - 1) / s + 1).clamp(first, pitch)
                    } else {
                        first
                    };
                    line[..first].fill(0.0);
                    line[end..].fill(0.0);
                    let start = x.offset + n * sn + c * sc + iy as usize * sh;
                    let from = start + (s * first + b - p) * sw;
                    let source = x.data[from..].iter().step_by(s * sw);
                    for (v, value) in line[first..end].iter_mut().zip(source) {
                        *v = *value;
                    }
                }
            }
        }
        transpose_into(&by_channel, pitch, row, cg, cg, pitch);
    }
    recycle(by_channel);
}

/// The view of the grid that kernel row `u` multiplies, for output positions
/// `start..start + len`: [len, taps·channels], row q holding taps (v, channel) of output q.
fn taps_view<'a>(padded: &'a [f32], grid: &Grid, u: usize, start: usize, len: usize) -> MatRef<'a> {
    let cg = grid.channels;
    MatRef {
        data: padded,
        offset: (start + u * grid.pitch) * cg,
        rows: len,
        cols: grid.taps * cg,
        row_stride: cg as isize,
        col_stride: 1,
    }
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
            // Grid channels in order: (c, a, b).
            for c in 0..g.channels {
                for a in 0..s {
                    for b in 0..s {
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
    let per_image = o * g.out_height() * g.out_width();
    conv_with_taps(x, &taps, bias, g, per_image, &|block, positions, out| {
        unpack_pixels(block, &grid, positions, out)
    })
}

/// Lays a block's output [o, len] (grid positions `positions` of a run) into the run's part
/// of the result.
pub type Unpack<'a> = dyn Fn(&[f32], std::ops::Range<usize>, &mut [f32]) + Sync + 'a;

/// [`conv`] with its weights already in the products' layout, [taps (u), taps (v), c, o] for
/// a stride-1 `g` (for each kernel row u the [taps·c, o] matrix the grid's view multiplies),
/// and the output laid out by `unpack` into `per_image` values per image.
pub fn conv_with_taps(
    x: Strided4<'_>,
    taps: &[f32],
    bias: &[f32],
    g: &ConvGeometry,
    per_image: usize,
    unpack: &Unpack<'_>,
) -> Vec<f32> {
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
        conv_run(view, taps, bias, &g, out, unpack);
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
    unpack: &Unpack<'_>,
) {
    let o = bias.len();
    let grid = Grid::new(g);
    let depth = grid.taps * grid.channels;
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
        for u in 0..grid.taps {
            let a = taps_view(&padded, &grid, u, start, len);
            let b = MatRef::row_major(&taps[u * depth * o..][..depth * o], depth, o);
            gemm::matmul(block, a, b, true);
        }
        transpose_into(block, o, &mut by_channel, len, len, o);
        unpack(&by_channel[..o * len], start..start + len, out);
    }
    recycle(padded);
    recycle(by_position);
    recycle(by_channel);
}

/// The pixels among grid positions `positions` (a block's output, [o, len]) into `out`
/// [n, o, h', w']: the junk positions of the padding are dropped.
fn unpack_pixels(block: &[f32], grid: &Grid, positions: std::ops::Range<usize>, out: &mut [f32]) {
    let [h, w] = grid.out;
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

/// The output gradient `grad` [n, o, h', w'] on the grid's output positions, channel first:
/// [o, outputs], zero where no pixel is.
fn grad_on_grid(grad: Strided4<'_>, grid: &Grid, batch: usize, o: usize) -> Vec<f32> {
    let [h, w] = grid.out;
    let [sn, sc, sh, sw] = grad.strides;
    let mut wide = scratch(o * grid.outputs);
    for (oc, dst) in wide.chunks_exact_mut(grid.outputs).enumerate() {
        for n in 0..batch {
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
