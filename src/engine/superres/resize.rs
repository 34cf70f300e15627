//! The resampling a super-resolution lesson is built on, on planes of f32 values laid out
//! [n, c, h, w]: area downscaling (each low-res pixel is the mean of its s×s block, what a
//! camera sensor with bigger pixels records), bicubic and nearest upscaling (the baselines an
//! SR network must beat; bicubic is also what the generator predicts a residual over), and the
//! optional Gaussian blur of the degradation.

/// The shape of a batch of images: count, channels, height, width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planes {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Planes {
    pub fn square(n: usize, c: usize, side: usize) -> Self {
        Self {
            n,
            c,
            h: side,
            w: side,
        }
    }

    /// The same images `factor` times larger (or smaller, with [`Planes::shrunk`]).
    pub fn grown(self, factor: usize) -> Self {
        Self {
            h: self.h * factor,
            w: self.w * factor,
            ..self
        }
    }

    pub fn shrunk(self, factor: usize) -> Self {
        Self {
            h: self.h / factor,
            w: self.w / factor,
            ..self
        }
    }

    /// Values per image.
    pub fn image_len(&self) -> usize {
        self.c * self.h * self.w
    }

    pub fn len(&self) -> usize {
        self.n * self.image_len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Area downscaling by `scale` (both sides must be multiples of it): every output pixel is
/// the mean of its `scale`×`scale` block.
pub fn area_downscale(values: &[f32], shape: Planes, scale: usize) -> Vec<f32> {
    let (h, w) = (shape.h, shape.w);
    let small = shape.shrunk(scale);
    let ow = small.w;
    let inv = 1.0 / (scale * scale) as f32;
    let mut out = vec![0.0f32; small.len()];
    for (plane, dst) in values
        .chunks_exact(h * w)
        .zip(out.chunks_exact_mut(small.h * ow))
    {
        for y in 0..h {
            let row = &plane[y * w..(y + 1) * w];
            let dst_row = &mut dst[(y / scale) * ow..(y / scale + 1) * ow];
            for (x, v) in row.iter().enumerate() {
                dst_row[x / scale] += v;
            }
        }
        dst.iter_mut().for_each(|v| *v *= inv);
    }
    out
}

/// Keys' cubic convolution kernel with a = −0.5 (the one MATLAB's `imresize` and Pillow use;
/// PyTorch's bicubic takes a = −0.75).
fn cubic(x: f32) -> f32 {
    const A: f32 = -0.5;
    let x = x.abs();
    if x <= 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    } else {
        0.0
    }
}

/// For each of the `scale · side` output coordinates, its four source indices (clamped to the
/// border) and weights. Pixel centres are aligned (PyTorch's `align_corners = false`).
fn cubic_taps(side: usize, scale: usize) -> Vec<([usize; 4], [f32; 4])> {
    (0..side * scale)
        .map(|o| {
            let src = (o as f32 + 0.5) / scale as f32 - 0.5;
            let base = src.floor();
            let t = src - base;
            let mut idx = [0usize; 4];
            let mut w = [0.0f32; 4];
            for k in 0..4 {
                let i = base as isize + k as isize - 1;
                idx[k] = i.clamp(0, side as isize - 1) as usize;
                w[k] = cubic(t - (k as f32 - 1.0));
            }
            (idx, w)
        })
        .collect()
}

/// Bicubic upscaling by `scale`, separable (rows, then columns).
pub fn bicubic_upscale(values: &[f32], shape: Planes, scale: usize) -> Vec<f32> {
    let (h, w) = (shape.h, shape.w);
    let big = shape.grown(scale);
    let ow = big.w;
    let (x_taps, y_taps) = (cubic_taps(w, scale), cubic_taps(h, scale));
    let mut out = vec![0.0f32; big.len()];
    let mut wide = vec![0.0f32; h * ow];
    for (plane, dst) in values
        .chunks_exact(h * w)
        .zip(out.chunks_exact_mut(big.h * ow))
    {
        for y in 0..h {
            let row = &plane[y * w..(y + 1) * w];
            for (x, (idx, wt)) in x_taps.iter().enumerate() {
                wide[y * ow + x] = (0..4).map(|k| wt[k] * row[idx[k]]).sum();
            }
        }
        for (y, (idx, wt)) in y_taps.iter().enumerate() {
            for x in 0..ow {
                dst[y * ow + x] = (0..4).map(|k| wt[k] * wide[idx[k] * ow + x]).sum();
            }
        }
    }
    out
}

/// Nearest-neighbour upscaling by `scale`: each pixel becomes a block (how the low-res input
/// is shown beside the others).
pub fn nearest_upscale(values: &[f32], shape: Planes, scale: usize) -> Vec<f32> {
    let w = shape.w;
    let big = shape.grown(scale);
    let mut out = vec![0.0f32; big.len()];
    for (plane, dst) in values
        .chunks_exact(shape.h * w)
        .zip(out.chunks_exact_mut(big.h * big.w))
    {
        for y in 0..big.h {
            for x in 0..big.w {
                dst[y * big.w + x] = plane[(y / scale) * w + x / scale];
            }
        }
    }
    out
}

/// Gaussian blur with standard deviation `sigma` pixels (the kernel reaches 3σ; borders
/// repeat the edge pixel). σ = 0 returns the values unchanged.
pub fn gaussian_blur(values: &[f32], shape: Planes, sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return values.to_vec();
    }
    let radius = (3.0 * sigma).ceil() as isize;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|d| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let (h, w) = (shape.h, shape.w);
    let at = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    let mut out = vec![0.0f32; values.len()];
    let mut rows = vec![0.0f32; h * w];
    for (plane, dst) in values.chunks_exact(h * w).zip(out.chunks_exact_mut(h * w)) {
        for y in 0..h {
            for x in 0..w {
                rows[y * w + x] = (-radius..=radius)
                    .map(|d| kernel[(d + radius) as usize] * plane[y * w + at(x as isize + d, w)])
                    .sum();
            }
        }
        for y in 0..h {
            for x in 0..w {
                dst[y * w + x] = (-radius..=radius)
                    .map(|d| kernel[(d + radius) as usize] * rows[at(y as isize + d, h) * w + x])
                    .sum();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(side: usize) -> Planes {
        Planes::square(1, 1, side)
    }

    #[test]
    fn area_downscaling_averages_each_block() {
        #[rustfmt::skip]
        let x = [
            1.0, 3.0, 0.0, 0.0,
            5.0, 7.0, 0.0, 4.0,
            -1.0, -1.0, 2.0, 2.0,
            -1.0, -1.0, 2.0, 2.0,
        ];
        assert_eq!(area_downscale(&x, one(4), 2), [4.0, 1.0, -1.0, 2.0]);
        assert_eq!(area_downscale(&x, one(4), 4), [1.5]);
        // Two planes are downscaled independently.
        let two: Vec<f32> = x.iter().chain(&[0.5f32; 16]).copied().collect();
        let shape = Planes::square(1, 2, 4);
        assert_eq!(area_downscale(&two, shape, 2)[4..], [0.5; 4]);
    }

    #[test]
    fn the_cubic_kernel_interpolates_and_sums_to_one() {
        assert_eq!(cubic(0.0), 1.0);
        assert_eq!(cubic(1.0), 0.0);
        assert_eq!(cubic(2.0), 0.0);
        for t in [0.1f32, 0.25, 0.5, 0.875] {
            let sum: f32 = (0..4).map(|k| cubic(t - (k as f32 - 1.0))).sum();
            assert!((sum - 1.0).abs() < 1e-6, "{t}: {sum}");
        }
        // Keys' a = −0.5 at the half-pixel: −1/16, 9/16, 9/16, −1/16.
        let half: Vec<f32> = (0..4).map(|k| cubic(0.5 - (k as f32 - 1.0))).collect();
        assert_eq!(half, [-0.0625, 0.5625, 0.5625, -0.0625]);
    }

    #[test]
    fn bicubic_keeps_constants_and_reproduces_a_ramp_inside() {
        let flat = bicubic_upscale(&[0.3; 16], one(4), 4);
        assert_eq!(flat.len(), 256);
        assert!(flat.iter().all(|v| (v - 0.3).abs() < 1e-6));
        // A horizontal ramp v = x: away from the clamped border the output is the ramp at
        // the output pixel's source coordinate (x_out + 0.5) / 2 − 0.5.
        let ramp: Vec<f32> = (0..64).map(|i| (i % 8) as f32).collect();
        let up = bicubic_upscale(&ramp, one(8), 2);
        for x in 4..12 {
            let want = (x as f32 + 0.5) / 2.0 - 0.5;
            assert!(
                (up[5 * 16 + x] - want).abs() < 1e-5,
                "{x}: {}",
                up[5 * 16 + x]
            );
        }
    }

    #[test]
    fn nearest_repeats_pixels_and_downscaling_undoes_it() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let up = nearest_upscale(&x, one(2), 2);
        assert_eq!(&up[..8], &[1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
        assert_eq!(area_downscale(&up, one(4), 2), x);
    }

    #[test]
    fn blur_keeps_the_mean_of_a_flat_image_and_spreads_a_point() {
        let flat = gaussian_blur(&[0.7; 49], one(7), 1.0);
        assert!(flat.iter().all(|v| (v - 0.7).abs() < 1e-6));
        let mut point = vec![0.0f32; 49];
        point[24] = 1.0;
        let blurred = gaussian_blur(&point, one(7), 1.0);
        assert!(blurred[24] < 0.2 && blurred[23] > 0.05);
        assert!((blurred.iter().sum::<f32>() - 1.0).abs() < 1e-3);
        assert_eq!(gaussian_blur(&point, one(7), 0.0), point);
    }
}
