//! Upscaling one image of any size: the generator is fully convolutional, so a small image
//! goes through whole; a large one goes through in overlapping tiles (a 1000 px photo at 4×
//! would otherwise need gigabytes of activations), each tile's margin wider than the
//! generator's reach, so the seams do not show.

use burn::tensor::Device;

use super::nets::SrGenerator;
use super::resize::Planes;
use super::run::{SrError, upscale};

/// Low-res pixels per tile side, and the margin each tile reads beyond it on every side.
const TILE: usize = 64;
const MARGIN: usize = 16;

/// An image: channel-major values in [-1, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub channels: usize,
    pub width: usize,
    pub height: usize,
    pub values: Vec<f32>,
}

impl Picture {
    /// A decoded image as `channels` channels (luma for 1, RGB for 3), values in [-1, 1].
    pub fn from_image(img: &image::DynamicImage, channels: usize) -> Self {
        Self {
            channels,
            width: img.width() as usize,
            height: img.height() as usize,
            values: crate::engine::data::files::planes(img, channels),
        }
    }

    /// The image shrunk (keeping its aspect) so that its longer side is at most `most`
    /// pixels, with the image crate's area-like Triangle filter; unchanged if it fits.
    pub fn fitted(img: &image::DynamicImage, channels: usize, most: usize) -> (Self, bool) {
        let longer = img.width().max(img.height()) as usize;
        if longer <= most {
            return (Self::from_image(img, channels), false);
        }
        let m = most as u32;
        let small = img.resize(m, m, image::imageops::FilterType::Triangle);
        (Self::from_image(&small, channels), true)
    }

    fn plane(&self, c: usize) -> &[f32] {
        let n = self.width * self.height;
        &self.values[c * n..(c + 1) * n]
    }

    /// The region `x0..x1` × `y0..y1`.
    fn crop(&self, x0: usize, x1: usize, y0: usize, y1: usize) -> Picture {
        let mut values = Vec::with_capacity(self.channels * (x1 - x0) * (y1 - y0));
        for c in 0..self.channels {
            let plane = self.plane(c);
            for y in y0..y1 {
                values.extend_from_slice(&plane[y * self.width + x0..y * self.width + x1]);
            }
        }
        Picture {
            channels: self.channels,
            width: x1 - x0,
            height: y1 - y0,
            values,
        }
    }

    /// As RGB bytes, pixel-interleaved (grey repeated), clamped.
    pub fn to_rgb_bytes(&self) -> Vec<u8> {
        let n = self.width * self.height;
        let byte = |v: f32| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
        let mut out = Vec::with_capacity(3 * n);
        for i in 0..n {
            for c in 0..3 {
                let c = c.min(self.channels - 1);
                out.push(byte(self.values[c * n + i]));
            }
        }
        out
    }
}

/// `picture` upscaled by `scale` with `net` (which upscales `channels`-channel images).
pub fn upscale_picture(
    net: &SrGenerator,
    scale: usize,
    channels: usize,
    picture: &Picture,
    device: &Device,
) -> Result<Picture, SrError> {
    let (w, h) = (picture.width, picture.height);
    let whole = |p: &Picture| {
        let shape = Planes {
            n: 1,
            c: p.channels,
            h: p.height,
            w: p.width,
        };
        upscale(net, scale, channels, &p.values, shape, device)
    };
    if w <= TILE + 2 * MARGIN && h <= TILE + 2 * MARGIN {
        let values = whole(picture)?;
        return Ok(Picture {
            channels: picture.channels,
            width: w * scale,
            height: h * scale,
            values,
        });
    }
    let (ow, oh) = (w * scale, h * scale);
    let mut values = vec![0.0f32; picture.channels * ow * oh];
    for ty in (0..h).step_by(TILE) {
        for tx in (0..w).step_by(TILE) {
            let (x1, y1) = ((tx + TILE).min(w), (ty + TILE).min(h));
            let (rx0, ry0) = (tx.saturating_sub(MARGIN), ty.saturating_sub(MARGIN));
            let (rx1, ry1) = ((x1 + MARGIN).min(w), (y1 + MARGIN).min(h));
            let region = picture.crop(rx0, rx1, ry0, ry1);
            let up = whole(&region)?;
            let rw = (rx1 - rx0) * scale;
            let rh = (ry1 - ry0) * scale;
            for c in 0..picture.channels {
                let src = &up[c * rw * rh..(c + 1) * rw * rh];
                let dst = &mut values[c * ow * oh..(c + 1) * ow * oh];
                for y in ty * scale..y1 * scale {
                    let sy = y - ry0 * scale;
                    let (sx0, sx1) = ((tx - rx0) * scale, (x1 - rx0) * scale);
                    dst[y * ow + tx * scale..y * ow + x1 * scale]
                        .copy_from_slice(&src[sy * rw + sx0..sy * rw + sx1]);
                }
            }
        }
    }
    Ok(Picture {
        channels: picture.channels,
        width: ow,
        height: oh,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::Rng;
    use crate::engine::superres::SrNets;

    #[test]
    fn tiles_join_into_what_one_pass_gives() {
        let d = Device::flex();
        let nets = SrNets {
            scale: 2,
            g_filters: 4,
            residual_blocks: 1,
            residual_scaling: 0.2,
            d_filters: 4,
        };
        let g = SrGenerator::new(&mut Rng::seeded(4), 1, &nets, &d);
        let (w, h) = (150, 70);
        let values: Vec<f32> = Rng::seeded(5).uniforms(w * h, 1.0);
        let picture = Picture {
            channels: 1,
            width: w,
            height: h,
            values,
        };
        let tiled = upscale_picture(&g, 2, 1, &picture, &d).expect("upscales");
        assert_eq!((tiled.width, tiled.height), (300, 140));
        let shape = Planes { n: 1, c: 1, h, w };
        let whole = upscale(&g, 2, 1, &picture.values, shape, &d).expect("upscales");
        let worst = tiled
            .values
            .iter()
            .zip(&whole)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "largest seam difference {worst}");
        let grey = Picture {
            channels: 1,
            width: 1,
            height: 1,
            values: vec![1.0],
        };
        assert_eq!(grey.to_rgb_bytes(), [255, 255, 255]);
    }
}
