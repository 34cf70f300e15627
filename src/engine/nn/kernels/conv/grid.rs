//! The channels-last grid the implicit convolutions read (see `implicit`'s module comment):
//! its geometry, where each image's pixels land on it, and the view of it one kernel row's
//! product multiplies. Plain slices, no burn types.

use super::super::gemm::{MatRef, scratch};
use super::super::transpose::transpose_to_rows;
use super::im2col::{ConvGeometry, Strided4};

/// The grid a convolution's input is copied onto (see `implicit`'s module comment).
#[derive(Clone, Copy, Debug)]
pub struct Grid {
    /// The stride: each grid position holds stride × stride input positions.
    pub(super) phases: usize,
    /// Kernel taps per axis on the grid: k / stride.
    pub(super) taps: usize,
    /// Values per grid position: c · stride².
    pub(super) channels: usize,
    /// Images, interleaved row by row.
    pub images: usize,
    /// Positions per row of one image.
    pub pitch: usize,
    /// Output rows and columns.
    pub out: [usize; 2],
    /// Output positions computed: up to the last pixel of the last image's last row.
    pub(super) outputs: usize,
    /// Grid rows: every tap of every output lies inside them.
    pub(super) rows: usize,
    /// Leading zero columns of each row (and zero rows above the images) at stride 1.
    pub(super) lead: usize,
}

impl Grid {
    pub(super) fn new(g: &ConvGeometry) -> Self {
        let s = g.stride;
        let taps = g.kernel / s;
        // Zero columns before each row's values that double as the padding after the
        // previous one: p at stride 1, none otherwise.
        let lead = if s == 1 { g.padding } else { 0 };
        let out = [g.out_height(), g.out_width()];
        let pitch = out[1] + taps - 1 - lead;
        let band = g.batch * pitch;
        let outputs = out[0] * band - (pitch - out[1]);
        // The last output's last tap is (taps − 1)·(band + 1) further on.
        let needed = outputs + (taps - 1) * (band + 1);
        Self {
            phases: s,
            taps,
            channels: g.channels * s * s,
            images: g.batch,
            pitch,
            out,
            outputs,
            rows: needed.div_ceil(band),
            lead,
        }
    }

    /// Positions per grid row: a row of every image.
    pub fn band(&self) -> usize {
        self.images * self.pitch
    }

    /// Positions in the grid.
    pub(super) fn positions(&self) -> usize {
        self.rows * self.band()
    }

    /// The grid position of row `y`, column `x` of image `n`.
    pub fn position(&self, n: usize, y: usize, x: usize) -> usize {
        (y * self.images + n) * self.pitch + x
    }

    /// (image, row, column) of grid position `q`.
    pub fn locate(&self, q: usize) -> (usize, usize, usize) {
        (
            q / self.pitch % self.images,
            q / self.band(),
            q % self.pitch,
        )
    }

    /// Grid channel of input channel `c`, phase (a, b): phase by phase, so that a pixel's
    /// channels are consecutive values on the grid.
    pub(super) fn channel(&self, c: usize, a: usize, b: usize) -> usize {
        (a * self.phases + b) * (self.channels / (self.phases * self.phases)) + c
    }
}

/// `x` [n, c, h, w] copied channels last onto `grid`, zeros in the padding:
/// [positions, grid channels].
pub(super) fn padded_channels_last(x: Strided4<'_>, grid: &Grid, g: &ConvGeometry) -> Vec<f32> {
    let mut padded = scratch(grid.positions() * grid.channels);
    if grid.phases == 1 {
        same_zeros(grid, g, &mut padded);
    }
    for n in 0..g.batch {
        if grid.phases > 1 {
            phase_zeros(n, grid, g, &mut padded);
        }
        image_onto_grid(x, n, grid, g, &mut padded);
    }
    padded
}

/// The zeros of a stride-1 grid: p rows above the images, the rows below them, and the p
/// leading columns of each image's rows.
fn same_zeros(grid: &Grid, g: &ConvGeometry, padded: &mut [f32]) {
    let (c, p, band) = (grid.channels, grid.lead, grid.band());
    padded[..p * band * c].fill(0.0);
    padded[(p + g.height) * band * c..].fill(0.0);
    for row in p..p + g.height {
        for n in 0..grid.images {
            padded[grid.position(n, row, 0) * c..][..p * c].fill(0.0);
        }
    }
}

/// The zeros of image `n` on a strided grid: the phases of padded rows and columns that lie
/// outside the image (the padding, and past the image's edge up to the grid's).
fn phase_zeros(n: usize, grid: &Grid, g: &ConvGeometry, padded: &mut [f32]) {
    let (s, p, c, cg) = (grid.phases, g.padding, g.channels, grid.channels);
    let inside = |padded_index: usize, size: usize| (p..p + size).contains(&padded_index);
    for gy in 0..grid.rows {
        for gx in 0..grid.pitch {
            let values = &mut padded[grid.position(n, gy, gx) * cg..][..cg];
            for a in 0..s {
                if !inside(s * gy + a, g.height) {
                    values[a * s * c..][..s * c].fill(0.0);
                    continue;
                }
                for b in (0..s).filter(|b| !inside(s * gx + b, g.width)) {
                    values[grid.channel(0, a, b)..][..c].fill(0.0);
                }
            }
        }
    }
}

/// Image `n` onto the grid: pixel (y, x), padded (y + p, x + p), goes to grid row
/// (y + p) / s, column (x + p) / s, its channels consecutive at phase ((y + p) % s,
/// (x + p) % s). So the copy is a transpose of [c, pixels] whose rows land on the grid, of
/// the whole image when its planes are contiguous and every pixel is on the grid (pixels past
/// the last tap the outputs read are left out).
fn image_onto_grid(x: Strided4<'_>, n: usize, grid: &Grid, g: &ConvGeometry, dst: &mut [f32]) {
    let (c, p, s) = (g.channels, g.padding, grid.phases);
    let [sn, sc, sh, sw] = x.strides;
    let (h, w) = (
        g.height.min((grid.rows * s).saturating_sub(p)),
        g.width.min((grid.pitch * s).saturating_sub(p)),
    );
    let offset = |y: usize, x: usize| {
        let (py, px) = (y + p, x + p);
        grid.position(n, py / s, px / s) * grid.channels + grid.channel(0, py % s, px % s)
    };
    let start = x.offset + n * sn;
    if sw == 1 && sh == g.width && (h, w) == (g.height, g.width) {
        transpose_to_rows(
            &x.data[start..],
            sc,
            dst,
            |j| offset(j / w, j % w),
            c,
            h * w,
        );
        return;
    }
    if sw == 1 {
        for y in 0..h {
            let row = &x.data[start + y * sh..];
            transpose_to_rows(row, sc, dst, |j| offset(y, j), c, w);
        }
        return;
    }
    for ch in 0..c {
        for y in 0..h {
            for i in 0..w {
                dst[offset(y, i) + ch] = x.data[start + ch * sc + y * sh + i * sw];
            }
        }
    }
}

/// The view of the grid that kernel row `u` multiplies, for output positions
/// `start..start + len`: [len, taps·channels], row q holding taps (v, channel) of output q.
pub(super) fn taps_view<'a>(
    padded: &'a [f32],
    grid: &Grid,
    u: usize,
    start: usize,
    len: usize,
) -> MatRef<'a> {
    let cg = grid.channels;
    MatRef {
        data: padded,
        offset: (start + u * grid.band()) * cg,
        rows: len,
        cols: grid.taps * cg,
        row_stride: cg as isize,
        col_stride: 1,
    }
}
