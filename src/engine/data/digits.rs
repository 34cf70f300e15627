//! The embedded dataset: handwriting-like digits 0–9 drawn procedurally at 28×28, so that the
//! app, the README command and the tests need no file. Each digit is a few strokes in a unit
//! box; every image gets its own jitter of the control points, a random affine transform and
//! stroke width, then anti-aliased rendering. The same count always gives the same images.

use super::images::ImageSet;
use crate::engine::rng::Rng;

const SIZE: usize = 28;
const SEED: u64 = 0xD161_7500;

type Stroke = Vec<[f32; 2]>;

/// Points on an arc (y down, angles in degrees, clockwise on screen as they grow).
fn arc(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32) -> Stroke {
    let steps = (((to - from).abs() / 20.0).ceil() as usize).max(2);
    (0..=steps)
        .map(|i| {
            let a = (from + (to - from) * i as f32 / steps as f32).to_radians();
            [cx + rx * a.cos(), cy + ry * a.sin()]
        })
        .collect()
}

/// The strokes of `digit` in the unit square.
fn skeleton(digit: usize) -> Vec<Stroke> {
    match digit {
        0 => vec![arc(0.5, 0.5, 0.26, 0.38, 0.0, 360.0)],
        1 => vec![vec![[0.36, 0.26], [0.52, 0.1], [0.52, 0.9]]],
        2 => {
            let mut s = arc(0.5, 0.32, 0.22, 0.2, 200.0, 380.0);
            s.extend([[0.26, 0.88], [0.8, 0.88]]);
            vec![s]
        }
        3 => vec![
            arc(0.47, 0.3, 0.2, 0.18, 210.0, 450.0),
            arc(0.47, 0.69, 0.23, 0.21, 270.0, 510.0),
        ],
        4 => vec![vec![[0.64, 0.9], [0.64, 0.1], [0.2, 0.64], [0.82, 0.64]]],
        5 => {
            let mut s = vec![[0.74, 0.12], [0.33, 0.12], [0.31, 0.46]];
            s.extend(arc(0.48, 0.65, 0.24, 0.22, 225.0, 515.0));
            vec![s]
        }
        6 => vec![
            vec![
                [0.68, 0.12],
                [0.5, 0.2],
                [0.36, 0.38],
                [0.3, 0.6],
                [0.32, 0.74],
            ],
            arc(0.5, 0.68, 0.2, 0.2, 0.0, 360.0),
        ],
        7 => vec![vec![[0.2, 0.12], [0.8, 0.12], [0.42, 0.9]]],
        8 => vec![
            arc(0.5, 0.3, 0.18, 0.18, 0.0, 360.0),
            arc(0.5, 0.7, 0.22, 0.2, 0.0, 360.0),
        ],
        _ => vec![
            arc(0.5, 0.33, 0.2, 0.19, 0.0, 360.0),
            vec![[0.7, 0.35], [0.67, 0.6], [0.58, 0.9]],
        ],
    }
}

/// Where a drawing's random style is drawn from: the stroke's half-width (in units of the
/// box) and the shear (x moves by shear·y with y growing downwards, so a negative shear leans
/// the top to the right, as italics do). The domains of
/// the image-to-image pairs are digits drawn in two styles that keep the label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DigitStyle {
    pub width: (f32, f32),
    pub shear: (f32, f32),
    /// Largest rotation either way, in radians.
    pub angle: f32,
}

impl DigitStyle {
    /// The embedded dataset's style: any width and lean within handwriting's usual range.
    pub const HANDWRITTEN: Self = Self {
        width: (0.045, 0.085),
        shear: (-0.3, 0.3),
        angle: 0.22,
    };
    /// Fine pen strokes.
    pub const THIN: Self = Self {
        width: (0.03, 0.042),
        ..Self::HANDWRITTEN
    };
    /// Marker strokes.
    pub const THICK: Self = Self {
        width: (0.095, 0.12),
        ..Self::HANDWRITTEN
    };
    /// Upright: no lean, little rotation.
    pub const UPRIGHT: Self = Self {
        shear: (-0.05, 0.05),
        angle: 0.05,
        ..Self::HANDWRITTEN
    };
    /// Italic: a strong lean to the right.
    pub const SLANTED: Self = Self {
        shear: (-0.65, -0.5),
        angle: 0.05,
        ..Self::HANDWRITTEN
    };
}

/// Maps `u`, drawn uniformly from `from`, onto the same place in `to` (so that every style
/// takes the same draws from the generator, and the handwritten style's values are the
/// ones it always had).
fn remap(u: f32, from: (f32, f32), to: (f32, f32)) -> f32 {
    if from == to {
        return u;
    }
    let t = (u - from.0) / (from.1 - from.0);
    to.0 + t * (to.1 - to.0)
}

/// Renders one digit with its own random style into 28×28 bytes.
pub fn draw_digit(digit: usize, rng: &mut Rng) -> Vec<u8> {
    draw_digit_styled(digit, rng, &DigitStyle::HANDWRITTEN)
}

/// Renders one digit with its own random draw from `style` into 28×28 bytes.
pub fn draw_digit_styled(digit: usize, rng: &mut Rng, style: &DigitStyle) -> Vec<u8> {
    let base = DigitStyle::HANDWRITTEN;
    let angle = remap(
        rng.uniform_in(-0.22, 0.22) as f32,
        (-base.angle, base.angle),
        (-style.angle, style.angle),
    );
    let (sx, sy) = (
        rng.uniform_in(0.75, 1.0) as f32,
        rng.uniform_in(0.8, 1.02) as f32,
    );
    let shear = remap(rng.uniform_in(-0.3, 0.3) as f32, base.shear, style.shear);
    let (tx, ty) = (
        rng.uniform_in(-0.06, 0.06) as f32,
        rng.uniform_in(-0.05, 0.05) as f32,
    );
    let width = remap(rng.uniform_in(0.045, 0.085) as f32, base.width, style.width);
    let (sin, cos) = angle.sin_cos();
    let mut wobble = |p: [f32; 2]| {
        [
            p[0] + 0.025 * rng.normal() as f32,
            p[1] + 0.025 * rng.normal() as f32,
        ]
    };
    // Unit box → centred, sheared, scaled, rotated, moved; then into pixel units.
    let place = |p: [f32; 2]| {
        let (x, y) = (p[0] - 0.5, p[1] - 0.5);
        let (x, y) = ((x + shear * y) * sx, y * sy);
        let (x, y) = (cos * x - sin * y, sin * x + cos * y);
        [(x + 0.5 + tx) * SIZE as f32, (y + 0.5 + ty) * SIZE as f32]
    };
    let strokes: Vec<Stroke> = skeleton(digit)
        .into_iter()
        .map(|s| s.into_iter().map(|p| place(wobble(p))).collect())
        .collect();
    let half_width = width * SIZE as f32;
    let mut dist = vec![f32::INFINITY; SIZE * SIZE];
    for stroke in &strokes {
        for seg in stroke.windows(2) {
            stamp_segment(&mut dist, seg[0], seg[1], half_width + 1.0);
        }
    }
    dist.iter()
        .map(|&d| ((half_width + 0.5 - d).clamp(0.0, 1.0) * 255.0) as u8)
        .collect()
}

/// Lowers `dist` to the distance from each pixel centre within `reach` of segment a–b.
fn stamp_segment(dist: &mut [f32], a: [f32; 2], b: [f32; 2], reach: f32) {
    let lo = |u: f32, v: f32| ((u.min(v) - reach).floor().max(0.0)) as usize;
    let hi = |u: f32, v: f32| ((u.max(v) + reach).ceil().min(SIZE as f32 - 1.0)).max(0.0) as usize;
    let (ab_x, ab_y) = (b[0] - a[0], b[1] - a[1]);
    let len2 = (ab_x * ab_x + ab_y * ab_y).max(1e-9);
    for py in lo(a[1], b[1])..=hi(a[1], b[1]) {
        for px in lo(a[0], b[0])..=hi(a[0], b[0]) {
            let (cx, cy) = (px as f32 + 0.5, py as f32 + 0.5);
            let t = (((cx - a[0]) * ab_x + (cy - a[1]) * ab_y) / len2).clamp(0.0, 1.0);
            let (dx, dy) = (cx - a[0] - t * ab_x, cy - a[1] - t * ab_y);
            let d = (dx * dx + dy * dy).sqrt();
            let cell = &mut dist[py * SIZE + px];
            *cell = cell.min(d);
        }
    }
}

/// `count` labelled digits, classes in turn (0, 1, …, 9, 0, …).
pub fn embedded_digits(count: usize) -> ImageSet {
    let mut rng = Rng::seeded(SEED);
    let mut pixels = Vec::with_capacity(count * SIZE * SIZE);
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let digit = i % 10;
        pixels.extend(draw_digit(digit, &mut rng));
        labels.push(digit as u16);
    }
    digit_set(pixels, labels)
}

/// 28×28 grey digits with their labels, as an image set of the ten digit classes.
pub fn digit_set(pixels: Vec<u8>, labels: Vec<u16>) -> ImageSet {
    ImageSet {
        pixels,
        labels: Some(labels),
        class_names: (0..10).map(|d| d.to_string()).collect(),
        channels: 1,
        height: SIZE,
        width: SIZE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_deterministic_labelled_and_inked() {
        let a = embedded_digits(50);
        let b = embedded_digits(50);
        assert_eq!(a, b);
        assert_eq!(a.len(), 50);
        assert_eq!(a.num_classes(), 10);
        for i in 0..50 {
            let ink = a.image(i).iter().filter(|&&p| p > 128).count();
            // A stroke covers some of the box but never most of it.
            assert!((25..400).contains(&ink), "image {i} has {ink} inked pixels");
        }
        // Two drawings of the same digit differ (style jitter).
        assert_ne!(a.image(0), a.image(10));
    }
}
