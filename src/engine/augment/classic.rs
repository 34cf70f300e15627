//! Classic data augmentation, the honest baseline a GAN's samples must beat: each training
//! image shifted by a few pixels and turned by a small angle, drawn afresh every time it is
//! used (bilinear sampling, edges extended: a digit's border is background).

use crate::engine::rng::Rng;

/// How far images are moved: shifts up to `max_shift` pixels each way, rotations up to
/// `max_degrees` either way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jitter {
    pub max_shift: f32,
    pub max_degrees: f32,
}

impl Default for Jitter {
    /// ±2 px and ±10°: what MNIST papers use, small enough that a 6 stays a 6.
    fn default() -> Self {
        Self {
            max_shift: 2.0,
            max_degrees: 10.0,
        }
    }
}

/// `image` (channels × side_h × side_w values) turned by `degrees` about its centre and
/// moved by (dx, dy) pixels, sampled bilinearly with the edges extended.
pub fn transform(
    image: &[f32],
    [c, h, w]: [usize; 3],
    degrees: f32,
    [dx, dy]: [f32; 2],
) -> Vec<f32> {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let mut out = vec![0.0; image.len()];
    for y in 0..h {
        for x in 0..w {
            // The source of output pixel (x, y): undo the shift, then the rotation.
            let (u, v) = (x as f32 - dx - cx, y as f32 - dy - cy);
            let sx = cos * u + sin * v + cx;
            let sy = -sin * u + cos * v + cy;
            for ch in 0..c {
                let plane = &image[ch * h * w..][..h * w];
                out[(ch * h + y) * w + x] = bilinear(plane, h, w, sx, sy);
            }
        }
    }
    out
}

/// The plane's value at (x, y), clamped to its edges.
fn bilinear(plane: &[f32], h: usize, w: usize, x: f32, y: f32) -> f32 {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |yy: usize, xx: usize| plane[yy * w + xx];
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
    let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// `image` moved and turned at random within `jitter`.
pub fn jitter(image: &[f32], dims: [usize; 3], jitter: Jitter, rng: &mut Rng) -> Vec<f32> {
    let degrees = rng.uniform_in(-jitter.max_degrees as f64, jitter.max_degrees as f64) as f32;
    let shift = jitter.max_shift as f64;
    let dx = rng.uniform_in(-shift, shift) as f32;
    let dy = rng.uniform_in(-shift, shift) as f32;
    transform(image, dims, degrees, [dx, dy])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 × 5 × 5 image with one bright pixel at (x, y) on a dark background.
    fn dot(x: usize, y: usize) -> Vec<f32> {
        let mut image = vec![-1.0; 25];
        image[y * 5 + x] = 1.0;
        image
    }

    #[test]
    fn no_movement_is_the_identity() {
        let image: Vec<f32> = (0..2 * 25).map(|i| i as f32 / 50.0).collect();
        assert_eq!(transform(&image, [2, 5, 5], 0.0, [0.0, 0.0]), image);
    }

    #[test]
    fn a_shift_moves_pixels_by_whole_steps() {
        let moved = transform(&dot(1, 1), [1, 5, 5], 0.0, [2.0, 1.0]);
        assert_eq!(moved, dot(3, 2));
    }

    #[test]
    fn a_quarter_turn_turns_the_image() {
        // 90° with y pointing down: (x, y) → (cx − (y − cy), cy + (x − cx)) = (4 − y, x) on 5 × 5.
        let turned = transform(&dot(3, 0), [1, 5, 5], 90.0, [0.0, 0.0]);
        let want = dot(4, 3);
        for (a, b) in turned.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "{turned:?}");
        }
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_keeps_the_range() {
        let mut rng = Rng::seeded(1);
        let image = dot(2, 2);
        for _ in 0..50 {
            let moved = jitter(&image, [1, 5, 5], Jitter::default(), &mut rng);
            assert!(moved.iter().all(|v| (-1.0..=1.0).contains(v)));
            // The bright mass moves at most ~2 px: it stays inside the 5 × 5 frame.
            assert!(moved.iter().any(|v| *v > -0.9));
        }
    }
}
