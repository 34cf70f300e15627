//! (low-res, high-res) pairs made on the fly from any image set: the high-res image is the
//! set's own; the low-res one is its optional Gaussian blur, area-downscaled by the scale
//! factor, with optional Gaussian noise. Each pair also carries the bicubic upscale of the
//! low-res image (the baseline, and what the generator adds its residual to).

use super::resize::{Planes, area_downscale, bicubic_upscale, gaussian_blur};
use crate::engine::data::ImageSet;
use crate::engine::rng::Rng;

/// How a high-res image is turned into its low-res input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Degradation {
    /// 2 or 4.
    pub scale: usize,
    /// σ of the Gaussian blur before downscaling, in high-res pixels (0: none).
    pub blur: f32,
    /// σ of the Gaussian noise added to the low-res image, in the [-1, 1] range (0: none).
    pub noise: f32,
}

/// Why images cannot be made into super-resolution pairs.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    #[error(
        "a scale of {0} is not offered: the generator upsamples by doubling, so the scale is 2 or 4"
    )]
    Scale(usize),
    #[error(
        "the images are {side} px: not a multiple of the scale {scale}, so no low-res image of whole pixels matches them (resize them to a multiple of {scale}, or pick another scale)"
    )]
    Side { side: usize, scale: usize },
    #[error(
        "the images are {side} px: at scale {scale} their low-res versions would be {small} px, too small to learn from (at least 4 px; use larger images or a smaller scale)"
    )]
    TooSmall {
        side: usize,
        scale: usize,
        small: usize,
    },
    #[error("super-resolution needs square images; these are {w}×{h}")]
    NotSquare { w: usize, h: usize },
    #[error("the image set is empty")]
    Empty,
}

impl Degradation {
    /// Checks that `set` can be made into pairs at this scale.
    pub fn check(&self, set: &ImageSet) -> Result<(), PairError> {
        if ![2, 4].contains(&self.scale) {
            return Err(PairError::Scale(self.scale));
        }
        if set.height != set.width {
            return Err(PairError::NotSquare {
                w: set.width,
                h: set.height,
            });
        }
        let side = set.height;
        if !side.is_multiple_of(self.scale) {
            return Err(PairError::Side {
                side,
                scale: self.scale,
            });
        }
        if side / self.scale < 4 {
            return Err(PairError::TooSmall {
                side,
                scale: self.scale,
                small: side / self.scale,
            });
        }
        if set.is_empty() {
            return Err(PairError::Empty);
        }
        Ok(())
    }

    /// The low-res inputs of high-res images `hr` (shape `shape`); noise drawn from `rng`.
    pub fn degrade(&self, hr: &[f32], shape: Planes, rng: &mut Rng) -> Vec<f32> {
        let blurred = gaussian_blur(hr, shape, self.blur);
        let mut lr = area_downscale(&blurred, shape, self.scale);
        if self.noise > 0.0 {
            let noise = rng.normals(lr.len());
            for (v, e) in lr.iter_mut().zip(noise) {
                *v = (*v + self.noise * e).clamp(-1.0, 1.0);
            }
        }
        lr
    }
}

/// A batch of pairs, all [n, c, side, side] (high-res) or [n, c, side/scale, side/scale].
#[derive(Clone, Debug, PartialEq)]
pub struct Pairs {
    /// The high-res shape.
    pub shape: Planes,
    pub scale: usize,
    pub lr: Vec<f32>,
    pub bicubic: Vec<f32>,
    pub hr: Vec<f32>,
    /// The images' labels (empty when the set has none).
    pub labels: Vec<u32>,
}

impl Pairs {
    /// The pairs of `set`'s images at `indices`.
    pub fn of(set: &ImageSet, indices: &[usize], degradation: &Degradation, rng: &mut Rng) -> Self {
        let batch = set.gather(indices);
        let shape = Planes {
            n: indices.len(),
            c: set.channels,
            h: set.height,
            w: set.width,
        };
        Self::from_hr(batch.pixels, batch.labels, shape, degradation, rng)
    }

    /// The pairs of high-res images given as values in [-1, 1].
    pub fn from_hr(
        hr: Vec<f32>,
        labels: Vec<u32>,
        shape: Planes,
        degradation: &Degradation,
        rng: &mut Rng,
    ) -> Self {
        let scale = degradation.scale;
        let lr = degradation.degrade(&hr, shape, rng);
        let bicubic = bicubic_upscale(&lr, shape.shrunk(scale), scale);
        Self {
            shape,
            scale,
            lr,
            bicubic,
            hr,
            labels,
        }
    }

    /// The low-res shape.
    pub fn lr_shape(&self) -> Planes {
        self.shape.shrunk(self.scale)
    }

    /// The first `n` pairs.
    pub fn first(&self, n: usize) -> Self {
        let n = n.min(self.shape.n);
        let (hl, ll) = (self.shape.image_len(), self.lr_shape().image_len());
        Self {
            shape: Planes { n, ..self.shape },
            scale: self.scale,
            lr: self.lr[..n * ll].to_vec(),
            bicubic: self.bicubic[..n * hl].to_vec(),
            hr: self.hr[..n * hl].to_vec(),
            labels: self.labels.iter().take(n).copied().collect(),
        }
    }
}

/// The held-out pairs of a run: made once, with their own fixed noise, so that every
/// evaluation compares the same inputs.
pub fn held_out_pairs(set: &ImageSet, degradation: &Degradation) -> Pairs {
    let indices: Vec<usize> = (0..set.len()).collect();
    Pairs::of(set, &indices, degradation, &mut Rng::seeded(0x5E1D_0017))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(side: usize, n: usize) -> ImageSet {
        ImageSet {
            pixels: (0..n * side * side).map(|i| (i % 251) as u8).collect(),
            labels: Some((0..n as u16).collect()),
            class_names: (0..n).map(|i| i.to_string()).collect(),
            channels: 1,
            height: side,
            width: side,
        }
    }

    #[test]
    fn bad_scales_and_sides_are_named() {
        let d = |scale| Degradation {
            scale,
            blur: 0.0,
            noise: 0.0,
        };
        assert_eq!(d(3).check(&set(28, 2)), Err(PairError::Scale(3)));
        assert_eq!(
            d(4).check(&set(30, 2)),
            Err(PairError::Side { side: 30, scale: 4 })
        );
        assert_eq!(
            d(4).check(&set(12, 2)),
            Err(PairError::TooSmall {
                side: 12,
                scale: 4,
                small: 3
            })
        );
        let message = d(4).check(&set(30, 2)).expect_err("30 px").to_string();
        assert!(
            message.contains("30 px") && message.contains("scale 4"),
            "{message}"
        );
        assert_eq!(d(4).check(&set(28, 2)), Ok(()));
        assert_eq!(d(2).check(&set(8, 2)), Ok(()));
    }

    #[test]
    fn pairs_have_the_shapes_and_the_low_res_is_the_block_mean() {
        let s = set(8, 3);
        let d = Degradation {
            scale: 2,
            blur: 0.0,
            noise: 0.0,
        };
        let p = Pairs::of(&s, &[2, 0], &d, &mut Rng::seeded(1));
        assert_eq!(p.shape, Planes::square(2, 1, 8));
        assert_eq!((p.lr.len(), p.bicubic.len(), p.hr.len()), (32, 128, 128));
        assert_eq!(p.labels, [2, 0]);
        let hr = &p.hr;
        let want = (hr[0] + hr[1] + hr[8] + hr[9]) / 4.0;
        assert!((p.lr[0] - want).abs() < 1e-6);
        assert_eq!(p.first(1).hr, p.hr[..64]);
        // Noise moves the low-res image and nothing else; held-out pairs repeat exactly.
        let noisy = Degradation { noise: 0.1, ..d };
        let q = Pairs::of(&s, &[2, 0], &noisy, &mut Rng::seeded(1));
        assert_eq!(q.hr, p.hr);
        assert!(q.lr != p.lr && q.lr.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert_eq!(held_out_pairs(&s, &noisy), held_out_pairs(&s, &noisy));
    }
}
