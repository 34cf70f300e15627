//! Distortion measures of an upscaled image against its ground truth, as SR papers report
//! them: PSNR and SSIM, per image, then averaged over the images. Values are in [-1, 1] (the
//! engine's range, a peak-to-peak of 2); outputs are clamped to it first, as an image viewer
//! would show them.

use super::resize::Planes;

/// The data range of images in [-1, 1].
const RANGE: f64 = 2.0;
/// PSNR of an exact copy would be infinite; it is reported as this many dB.
pub const PSNR_CAP: f64 = 100.0;

/// Mean over images of 10·log10(range² / MSE), in dB (all channels of an image together).
pub fn psnr(output: &[f32], truth: &[f32], shape: Planes) -> f64 {
    let len = shape.image_len();
    if len == 0 || shape.n == 0 {
        return f64::NAN;
    }
    let per_image = output
        .chunks_exact(len)
        .zip(truth.chunks_exact(len))
        .map(|(o, t)| {
            let mse = o
                .iter()
                .zip(t)
                .map(|(&o, &t)| {
                    let d = (o.clamp(-1.0, 1.0) - t) as f64;
                    d * d
                })
                .sum::<f64>()
                / len as f64;
            if mse <= 0.0 {
                PSNR_CAP
            } else {
                (10.0 * (RANGE * RANGE / mse).log10()).min(PSNR_CAP)
            }
        });
    per_image.sum::<f64>() / shape.n as f64
}

/// SSIM's Gaussian window: 11×11, σ = 1.5 (Wang et al. 2004), smaller on images narrower than
/// that (the largest odd side that fits).
fn window(side: usize) -> Vec<f64> {
    let size = if side >= 11 { 11 } else { (side - 1) | 1 };
    debug_assert!(size <= side);
    let r = (size / 2) as f64;
    let g: Vec<f64> = (0..size)
        .map(|i| (-((i as f64 - r).powi(2)) / (2.0 * 1.5 * 1.5)).exp())
        .collect();
    let total: f64 = g.iter().sum();
    g.iter().map(|v| v / total).collect()
}

/// Mean structural similarity over images: per channel, the mean over every window that fits
/// wholly inside the image (no padding), then the mean over channels.
pub fn ssim(output: &[f32], truth: &[f32], shape: Planes) -> f64 {
    let (h, s) = (shape.h, shape.w);
    if h < 2 || s < 2 || shape.n == 0 || shape.c == 0 {
        return f64::NAN;
    }
    let g = window(h.min(s));
    let k = g.len();
    let (rows, positions) = (h + 1 - k, s + 1 - k);
    let c1 = (0.01 * RANGE).powi(2);
    let c2 = (0.03 * RANGE).powi(2);
    let mut total = 0.0;
    for (o, t) in output.chunks_exact(h * s).zip(truth.chunks_exact(h * s)) {
        let mut plane = 0.0;
        for y in 0..rows {
            for x in 0..positions {
                let (mut mo, mut mt, mut oo, mut tt, mut ot) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for dy in 0..k {
                    for dx in 0..k {
                        let w = g[dy] * g[dx];
                        let i = (y + dy) * s + x + dx;
                        let (a, b) = (o[i].clamp(-1.0, 1.0) as f64, t[i] as f64);
                        mo += w * a;
                        mt += w * b;
                        oo += w * a * a;
                        tt += w * b * b;
                        ot += w * a * b;
                    }
                }
                let (vo, vt, cov) = (oo - mo * mo, tt - mt * mt, ot - mo * mt);
                plane += ((2.0 * mo * mt + c1) * (2.0 * cov + c2))
                    / ((mo * mo + mt * mt + c1) * (vo + vt + c2));
            }
        }
        total += plane / (rows * positions) as f64;
    }
    total / (shape.n * shape.c) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(side: usize) -> Planes {
        Planes::square(1, 1, side)
    }

    #[test]
    fn psnr_on_hand_made_images() {
        // Errors 0.2 on every pixel: MSE 0.04, 10·log10(4 / 0.04) = 20 dB.
        let truth = [0.0f32, 0.5, -0.5, 1.0];
        let off: Vec<f32> = truth.iter().map(|v| v - 0.2).collect();
        assert!((psnr(&off, &truth, one(2)) - 20.0).abs() < 1e-4);
        // One pixel off by 2 (MSE 1): 10·log10(4) = 6.02 dB.
        let far = [0.0f32, 0.5, -0.5, -1.0];
        assert!((psnr(&far, &truth, one(2)) - 6.0206).abs() < 1e-3);
        // Outputs are clamped: 3.0 against 1.0 counts as 1.0.
        let over = [0.0f32, 0.5, -0.5, 3.0];
        assert_eq!(psnr(&over, &truth, one(2)), PSNR_CAP);
        // The mean over two images of their own PSNRs (20 and 6.02 dB).
        let both: Vec<f32> = off.iter().chain(&far).copied().collect();
        let truths: Vec<f32> = truth.iter().chain(&truth).copied().collect();
        let shape = Planes::square(2, 1, 2);
        assert!((psnr(&both, &truths, shape) - 13.0103).abs() < 1e-3);
    }

    #[test]
    fn ssim_is_one_for_a_copy_and_the_luminance_term_for_flat_images() {
        let x: Vec<f32> = (0..144)
            .map(|i| ((i * 37) % 17) as f32 / 8.5 - 1.0)
            .collect();
        assert!((ssim(&x, &x, one(12)) - 1.0).abs() < 1e-9);
        // Two flat images a and b: no variance, so SSIM = (2ab + C1) / (a² + b² + C1).
        let (a, b) = (0.5f64, -0.25f64);
        let c1 = 0.02f64.powi(2);
        let want = (2.0 * a * b + c1) / (a * a + b * b + c1);
        let got = ssim(&[a as f32; 144], &[b as f32; 144], one(12));
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        // Noise lowers it.
        let noisy: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 0.3 } else { -0.3 })
            .collect();
        assert!(ssim(&noisy, &x, one(12)) < 0.9);
    }

    #[test]
    fn small_images_get_a_window_that_fits() {
        assert_eq!(window(28).len(), 11);
        assert_eq!(window(8).len(), 7);
        assert_eq!(window(7).len(), 7);
        assert!((window(7).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let x = [0.1f32; 49];
        assert!((ssim(&x, &x, one(7)) - 1.0).abs() < 1e-9);
    }
}
