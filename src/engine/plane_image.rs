//! The 2D view as a picture for slides: D's decision as a heatmap with its colour bar, real
//! and generated points, the mode map, axes with numbered ticks and a title. Drawn here with
//! a bitmap font (no GUI types), so the window's PNG/GIF exports and `ganvas sample` make the
//! same image.

use super::canvas::{Canvas, GLYPH, INK, text_width};
use super::trainer::protocol::PlaneBounds;

/// How D's values map to colours: probabilities (the cross-entropy objectives) over [0, 1],
/// raw scores (WGAN, hinge, LSGAN) stretched between their minimum and maximum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldScale {
    pub lo: f32,
    pub hi: f32,
    pub probability: bool,
}

impl FieldScale {
    /// The scale of a field's values (non-finite ones ignored).
    pub fn of(values: &[f32]) -> Self {
        let (lo, hi) = values
            .iter()
            .filter(|v| v.is_finite())
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if !lo.is_finite() {
            return Self {
                lo: 0.0,
                hi: 1.0,
                probability: true,
            };
        }
        let probability = lo >= 0.0 && hi <= 1.0;
        if probability {
            Self {
                lo: 0.0,
                hi: 1.0,
                probability,
            }
        } else {
            Self {
                lo,
                hi: hi.max(lo + 1e-6),
                probability,
            }
        }
    }

    /// Where `v` falls, 0 (fake end) to 1 (real end).
    pub fn position(&self, v: f32) -> f32 {
        ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }
}

/// The colour at position `t` of the scale: purple (D says fake) to green (D says real),
/// through a light grey where D cannot tell.
pub fn field_colour(t: f32) -> [u8; 3] {
    const FAKE: [f32; 3] = [118.0, 42.0, 131.0];
    const MIDDLE: [f32; 3] = [235.0, 235.0, 235.0];
    const REAL: [f32; 3] = [27.0, 120.0, 55.0];
    let t = t.clamp(0.0, 1.0);
    let (a, b, u) = if t < 0.5 {
        (FAKE, MIDDLE, t * 2.0)
    } else {
        (MIDDLE, REAL, t * 2.0 - 1.0)
    };
    std::array::from_fn(|i| (a[i] + u * (b[i] - a[i])).round() as u8)
}

/// A mode of the data's mixture on the map: centre, and whether G covers it with its count
/// (None before the first evaluation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeMark {
    pub centre: [f32; 2],
    pub coverage: Option<(bool, usize)>,
}

/// What the picture shows.
pub struct PlaneScene<'a> {
    /// The area drawn.
    pub bounds: PlaneBounds,
    /// D's values on a `resolution`² grid over their own bounds (rows from the top).
    pub field: Option<(&'a [f32], usize, PlaneBounds)>,
    pub real: &'a [f32],
    pub generated: &'a [f32],
    pub modes: &'a [ModeMark],
    pub mode_radius: f32,
    /// The line above the plot ("Ring of 8, vanilla GAN: step 1,500").
    pub title: String,
}

const REAL_DOT: [u8; 3] = [90, 90, 90];
const FAKE_DOT: [u8; 3] = [230, 110, 20];
const COVERED: [u8; 3] = [40, 150, 80];
const LOST: [u8; 3] = [210, 50, 40];

/// About `n` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart).
pub fn ticks(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    if !(lo.is_finite() && hi.is_finite() && hi > lo) || n == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / n as f32;
    let power = 10f32.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f32 * step).collect()
}

fn tick_label(v: f32) -> String {
    let v = if v.abs() < 1e-6 { 0.0 } else { v };
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The scene as RGB pixels, `width` × `height`.
pub fn render(scene: &PlaneScene, width: usize, height: usize) -> Vec<u8> {
    let mut c = Canvas::new(width, height);
    let b = scene.bounds;
    // Margins: title above, tick labels left and below, the colour bar right.
    let (left, top) = (7 * GLYPH as i64, 2 * GLYPH as i64);
    let bar = if scene.field.is_some() { 170 } else { 20 };
    let (right, bottom) = (width as i64 - bar, height as i64 - 2 * GLYPH as i64);
    // Keep the data's aspect ratio inside the plot area.
    let (pw, ph) = ((right - left).max(1) as f32, (bottom - top).max(1) as f32);
    let (sx, sy) = (b.max[0] - b.min[0], b.max[1] - b.min[1]);
    let scale = (pw / sx).min(ph / sy);
    let (ox, oy) = (
        left as f32 + (pw - sx * scale) / 2.0,
        top as f32 + (ph - sy * scale) / 2.0,
    );
    let to_px = |x: f32, y: f32| {
        (
            (ox + (x - b.min[0]) * scale).round() as i64,
            (oy + (b.max[1] - y) * scale).round() as i64,
        )
    };
    let (x0, y0) = to_px(b.min[0], b.max[1]);
    let (x1, y1) = to_px(b.max[0], b.min[1]);
    // The title, cut to the picture's width.
    let fits = (width / GLYPH).saturating_sub(1);
    let title: String = if scene.title.chars().count() > fits {
        let mut t: String = scene.title.chars().take(fits.saturating_sub(3)).collect();
        t.push_str("...");
        t
    } else {
        scene.title.clone()
    };
    c.text(8, 4, &title, INK);
    if let Some((values, resolution, fb)) = scene.field {
        let fs = FieldScale::of(values);
        let last = (resolution - 1) as f32;
        for py in y0..y1 {
            for px in x0..x1 {
                let x = b.min[0] + (px - x0) as f32 / scale;
                let y = b.max[1] - (py - y0) as f32 / scale;
                // Where (x, y) falls on the field's grid, sampled bilinearly (the window draws
                // its texture smoothed too).
                let col = (x - fb.min[0]) / (fb.max[0] - fb.min[0]) * last;
                let row = (fb.max[1] - y) / (fb.max[1] - fb.min[1]) * last;
                if !(0.0..=last).contains(&col) || !(0.0..=last).contains(&row) {
                    continue;
                }
                let (c0, r0) = (col.floor() as usize, row.floor() as usize);
                let (c1, r1) = ((c0 + 1).min(resolution - 1), (r0 + 1).min(resolution - 1));
                let (u, v) = (col - c0 as f32, row - r0 as f32);
                let at = |r: usize, c: usize| values[r * resolution + c];
                let top = at(r0, c0) * (1.0 - u) + at(r0, c1) * u;
                let bottom = at(r1, c0) * (1.0 - u) + at(r1, c1) * u;
                let value = top * (1.0 - v) + bottom * v;
                c.set(px, py, field_colour(fs.position(value)));
            }
        }
        colour_bar(&mut c, right + 24, y0, y1, fs);
    }
    let r = (scene.mode_radius * scale).round().max(4.0) as i64;
    for m in scene.modes {
        let (cx, cy) = to_px(m.centre[0], m.centre[1]);
        let (rgb, label) = match m.coverage {
            Some((true, n)) => (COVERED, n.to_string()),
            Some((false, n)) => (LOST, n.to_string()),
            None => ([150, 150, 150], String::new()),
        };
        c.ring(cx, cy, r, 3, rgb);
        c.text(
            cx - text_width(&label) / 2,
            cy - r - GLYPH as i64 - 2,
            &label,
            rgb,
        );
    }
    let inside = |x: i64, y: i64| x >= x0 && x < x1 && y >= y0 && y < y1;
    for (points, rgb) in [(scene.real, REAL_DOT), (scene.generated, FAKE_DOT)] {
        for p in points.chunks_exact(2) {
            if !(p[0].is_finite() && p[1].is_finite()) {
                continue;
            }
            let (x, y) = to_px(p[0], p[1]);
            if inside(x, y) {
                c.disc(x, y, 2, rgb);
            }
        }
    }
    // Frame and ticks.
    c.rect(x0, y1, x1, y1 + 2, INK);
    c.rect(x0 - 2, y0, x0, y1 + 2, INK);
    for t in ticks(b.min[0], b.max[0], 6) {
        let (x, _) = to_px(t, 0.0);
        c.rect(x, y1, x + 2, y1 + 8, INK);
        let label = tick_label(t);
        c.text(x - text_width(&label) / 2, y1 + 10, &label, INK);
    }
    for t in ticks(b.min[1], b.max[1], 6) {
        let (_, y) = to_px(0.0, t);
        c.rect(x0 - 8, y, x0, y + 2, INK);
        let label = tick_label(t);
        c.text(
            x0 - 10 - text_width(&label),
            y - GLYPH as i64 / 2,
            &label,
            INK,
        );
    }
    c.px
}

/// A vertical bar from fake (bottom) to real (top), labelled with the scale's ends.
fn colour_bar(c: &mut Canvas, x: i64, y0: i64, y1: i64, fs: FieldScale) {
    let h = (y1 - y0).max(1);
    for y in y0..y1 {
        let t = 1.0 - (y - y0) as f32 / h as f32;
        c.rect(x, y, x + 24, y + 1, field_colour(t));
    }
    let (top, bottom) = if fs.probability {
        ("1 real".to_string(), "0 fake".to_string())
    } else {
        (tick_label(fs.hi), tick_label(fs.lo))
    };
    c.text(x + 28, y0, &top, INK);
    c.text(x + 28, y1 - GLYPH as i64, &bottom, INK);
    c.text(x + 28, (y0 + y1) / 2 - GLYPH as i64 / 2, "D", INK);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(-1.5, 1.5, 6),
            vec![-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
        );
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert!(ticks(1.0, 1.0, 5).is_empty());
        assert_eq!(tick_label(-0.5), "-0.5");
        assert_eq!(tick_label(2.0), "2");
    }

    #[test]
    fn scales_map_probabilities_and_scores() {
        let p = FieldScale::of(&[0.1, 0.9]);
        assert!(p.probability && p.position(0.5) == 0.5);
        let s = FieldScale::of(&[-4.0, 0.0, f32::NAN]);
        assert!(!s.probability);
        assert_eq!((s.position(-4.0), s.position(0.0)), (0.0, 1.0));
        assert_eq!(field_colour(0.0), [118, 42, 131]);
        assert_eq!(field_colour(1.0), [27, 120, 55]);
    }

    #[test]
    fn the_picture_shows_the_field_points_and_modes_where_they_are() {
        let bounds = PlaneBounds::square(2.0);
        // D says "real" (1) on the right half, "fake" (0) on the left.
        let res = 8;
        let field: Vec<f32> = (0..res * res)
            .map(|i| if i % res >= res / 2 { 1.0 } else { 0.0 })
            .collect();
        let modes = [ModeMark {
            centre: [1.0, 1.0],
            coverage: Some((false, 3)),
        }];
        let scene = PlaneScene {
            bounds,
            field: Some((&field, res, bounds)),
            real: &[],
            generated: &[-1.0, -1.0],
            modes: &modes,
            mode_radius: 0.1,
            title: "step 7".into(),
        };
        let (w, h) = (640, 480);
        let px = render(&scene, w, h);
        assert_eq!(px.len(), w * h * 3);
        let at = |x: usize, y: usize| -> [u8; 3] {
            let i = (y * w + x) * 3;
            [px[i], px[i + 1], px[i + 2]]
        };
        // The plot square: 480 - 64 px high, centred between the margins.
        let has = |rgb: [u8; 3]| px.chunks_exact(3).any(|p| p == rgb);
        assert!(
            has(field_colour(1.0)) && has(field_colour(0.0)),
            "both ends of the field"
        );
        assert!(has(FAKE_DOT) && has(LOST) && has(INK));
        // Left of centre is fake-coloured, right of centre real-coloured (away from marks).
        let mid_y = h / 2 + 40;
        let plot_mid_x = (112 + (w - 170)) / 2;
        assert_eq!(at(plot_mid_x - 60, mid_y), field_colour(0.0));
        assert_eq!(at(plot_mid_x + 60, mid_y), field_colour(1.0));
    }
}
