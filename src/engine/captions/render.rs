//! Drawing a scene: each digit of its description, from the embedded procedural digits (any
//! stroke on demand) or from an image set such as MNIST (thin and thick taken from the
//! lightest and heaviest third of each class by ink), shrunk to its size by area averaging
//! and set at its place on a grey canvas, with a little jitter.

use super::grammar::{GRID, Place, Placed, SceneSpec, Size, Stroke};
use crate::engine::data::ImageSet;
use crate::engine::data::digits::{DigitStyle, draw_digit_styled};
use crate::engine::rng::Rng;

/// The canvas side in pixels.
pub const SIDE: usize = 64;
/// Distance between the centres of neighbouring places.
const STRIDE: f32 = 18.0;
/// Largest shift of a digit from its place's centre, either way, in pixels.
const JITTER: f32 = 2.0;

/// A digit's side on the canvas.
pub fn side_of(size: Size) -> usize {
    match size {
        Size::Small => 16,
        Size::Large => 26,
    }
}

/// The centre of `place` in pixels (x, y).
pub fn centre_of(place: Place) -> (f32, f32) {
    let at = |i: usize| SIDE as f32 / 2.0 + (i as f32 - (GRID / 2) as f32) * STRIDE;
    (at(place.col), at(place.row))
}

/// Where the digits of a scene come from.
pub enum DigitSource {
    /// The embedded procedural digits, drawn anew for every scene.
    Drawn,
    /// Digits of a labelled 28 × 28 image set; per class, indices from light to heavy ink.
    Images {
        set: ImageSet,
        by_ink: Vec<Vec<usize>>,
    },
}

impl DigitSource {
    /// A source over a labelled set of 28 × 28 grey digits (classes 0-9).
    pub fn images(set: ImageSet) -> Result<Self, String> {
        let Some(labels) = set.labels.clone() else {
            return Err("the digit images need labels (which digit each one is)".into());
        };
        if set.channels != 1 || set.height != 28 || set.width != 28 {
            return Err(format!(
                "the digit images must be 28×28 grey, got {}×{} with {} channel(s)",
                set.width, set.height, set.channels
            ));
        }
        let mut by_ink: Vec<Vec<usize>> = vec![Vec::new(); 10];
        for (i, &l) in labels.iter().enumerate() {
            let Some(class) = by_ink.get_mut(l as usize) else {
                return Err(format!("label {l} is not a digit (0-9)"));
            };
            class.push(i);
        }
        if let Some(d) = by_ink.iter().position(|c| c.len() < 3) {
            return Err(format!(
                "too few images of the digit {d} (at least 3 are needed)"
            ));
        }
        let ink = |i: usize| set.image(i).iter().map(|&v| v as u64).sum::<u64>();
        for class in &mut by_ink {
            class.sort_by_key(|&i| ink(i));
        }
        Ok(DigitSource::Images { set, by_ink })
    }

    /// One 28 × 28 drawing of `digit` with `stroke`, values in [0, 1].
    fn digit(&self, digit: usize, stroke: Option<Stroke>, rng: &mut Rng) -> Vec<f32> {
        match self {
            DigitSource::Drawn => {
                let style = match stroke {
                    None => DigitStyle::HANDWRITTEN,
                    Some(Stroke::Thin) => DigitStyle::THIN,
                    Some(Stroke::Thick) => DigitStyle::THICK,
                };
                let bytes = draw_digit_styled(digit, rng, &style);
                bytes.iter().map(|&b| b as f32 / 255.0).collect()
            }
            DigitSource::Images { set, by_ink } => {
                let class = &by_ink[digit];
                let third = class.len() / 3;
                let range = match stroke {
                    None => 0..class.len(),
                    Some(Stroke::Thin) => 0..third,
                    Some(Stroke::Thick) => class.len() - third..class.len(),
                };
                let i = class[range.start + rng.below(range.len())];
                set.image(i).iter().map(|&b| b as f32 / 255.0).collect()
            }
        }
    }
}

/// Area-averaging weights [dst × src]: row i spreads output pixel i over the source pixels
/// its footprint covers, in proportion to the overlap (each row sums to 1).
fn box_weights(src: usize, dst: usize) -> Vec<f32> {
    let ratio = src as f32 / dst as f32;
    let mut w = vec![0.0; dst * src];
    for i in 0..dst {
        let (lo, hi) = (i as f32 * ratio, (i + 1) as f32 * ratio);
        for j in lo.floor() as usize..(hi.ceil() as usize).min(src) {
            let overlap = (hi.min(j as f32 + 1.0) - lo.max(j as f32)).max(0.0);
            w[i * src + j] = overlap / ratio;
        }
    }
    w
}

/// `image` (side `src`) shrunk to side `dst` by area averaging.
pub fn shrink(image: &[f32], src: usize, dst: usize) -> Vec<f32> {
    let w = box_weights(src, dst);
    // Rows first ([src × dst]), then columns.
    let mut rows = vec![0.0; src * dst];
    for y in 0..src {
        for x in 0..dst {
            rows[y * dst + x] = (0..src).map(|j| w[x * src + j] * image[y * src + j]).sum();
        }
    }
    let mut out = vec![0.0; dst * dst];
    for y in 0..dst {
        for x in 0..dst {
            out[y * dst + x] = (0..src).map(|j| w[y * src + j] * rows[j * dst + x]).sum();
        }
    }
    out
}

/// Sets `digit` (side `side`) onto `canvas` with its top-left corner at (`x0`, `y0`), keeping
/// the brighter value where strokes meet; what falls off the canvas is cut.
fn stamp(canvas: &mut [f32], digit: &[f32], side: usize, x0: i64, y0: i64) {
    for y in 0..side {
        for x in 0..side {
            let (cx, cy) = (x0 + x as i64, y0 + y as i64);
            if (0..SIDE as i64).contains(&cx) && (0..SIDE as i64).contains(&cy) {
                let cell = &mut canvas[cy as usize * SIDE + cx as usize];
                *cell = cell.max(digit[y * side + x]);
            }
        }
    }
}

/// Draws one placed digit onto `canvas`.
fn draw_placed(canvas: &mut [f32], p: &Placed, source: &DigitSource, rng: &mut Rng) {
    let side = side_of(p.size);
    let digit = shrink(&source.digit(p.digit, p.stroke, rng), 28, side);
    let (cx, cy) = centre_of(p.place);
    let jitter = |rng: &mut Rng| rng.uniform_in(-JITTER as f64, JITTER as f64) as f32;
    let x0 = (cx + jitter(rng) - side as f32 / 2.0).round() as i64;
    let y0 = (cy + jitter(rng) - side as f32 / 2.0).round() as i64;
    stamp(canvas, &digit, side, x0, y0);
}

/// The scene `spec` drawn on a black SIDE × SIDE canvas, values in [0, 1].
pub fn draw_scene(spec: &SceneSpec, source: &DigitSource, rng: &mut Rng) -> Vec<f32> {
    let mut canvas = vec![0.0; SIDE * SIDE];
    for p in spec.digits() {
        draw_placed(&mut canvas, &p, source, rng);
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::super::grammar::Relation;
    use super::*;

    /// The ink's centre of mass (x, y) and its total.
    fn ink_centre(canvas: &[f32]) -> (f32, f32, f32) {
        let (mut sx, mut sy, mut total) = (0.0, 0.0, 0.0);
        for (i, &v) in canvas.iter().enumerate() {
            sx += v * ((i % SIDE) as f32 + 0.5);
            sy += v * ((i / SIDE) as f32 + 0.5);
            total += v;
        }
        (sx / total, sy / total, total)
    }

    fn placed(digit: usize, row: usize, col: usize, size: Size) -> Placed {
        Placed {
            digit,
            place: Place { row, col },
            size,
            stroke: None,
        }
    }

    #[test]
    fn shrinking_keeps_the_mean_and_a_constant_image() {
        let mut rng = Rng::seeded(1);
        let image: Vec<f32> = (0..28 * 28).map(|_| rng.uniform() as f32).collect();
        for dst in [16, 26, 7] {
            let small = shrink(&image, 28, dst);
            assert_eq!(small.len(), dst * dst);
            let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
            assert!((mean(&small) - mean(&image)).abs() < 1e-4, "side {dst}");
        }
        let flat = shrink(&[0.25; 28 * 28], 28, 16);
        assert!(flat.iter().all(|v| (v - 0.25).abs() < 1e-5));
    }

    #[test]
    fn a_digit_lands_at_its_place_with_its_size() {
        let mut rng = Rng::seeded(2);
        for place in Place::all() {
            let spec = SceneSpec::Single(placed(8, place.row, place.col, Size::Small));
            let canvas = draw_scene(&spec, &DigitSource::Drawn, &mut rng);
            let (x, y, _) = ink_centre(&canvas);
            let (cx, cy) = centre_of(place);
            assert!(
                (x - cx).abs() < 4.0 && (y - cy).abs() < 4.0,
                "{place:?}: ink at ({x}, {y}), place at ({cx}, {cy})"
            );
        }
        let ink = |size| {
            let spec = SceneSpec::Single(placed(0, 1, 1, size));
            ink_centre(&draw_scene(&spec, &DigitSource::Drawn, &mut Rng::seeded(3))).2
        };
        let ratio = ink(Size::Large) / ink(Size::Small);
        assert!(
            (2.0..3.5).contains(&ratio),
            "area grows with the side²: {ratio}"
        );
    }

    #[test]
    fn a_relation_draws_the_first_digit_where_it_says() {
        let spec = SceneSpec::Pair {
            first: placed(1, 0, 2, Size::Small),
            relation: Relation::RightOf,
            second: placed(7, 0, 0, Size::Small),
        };
        let canvas = draw_scene(&spec, &DigitSource::Drawn, &mut Rng::seeded(5));
        let half = |cols: std::ops::Range<usize>| {
            canvas
                .iter()
                .enumerate()
                .filter(|(i, _)| cols.contains(&(i % SIDE)) && i / SIDE < SIDE / 2)
                .map(|(_, v)| v)
                .sum::<f32>()
        };
        assert!(half(0..SIDE / 2) > 5.0 && half(SIDE / 2..SIDE) > 5.0);
        let bottom: f32 = canvas[SIDE * SIDE / 2..].iter().sum();
        assert!(bottom < 1.0, "nothing in the lower half: {bottom}");
    }

    #[test]
    fn thick_strokes_carry_more_ink_than_thin_ones() {
        let spec = |stroke| {
            SceneSpec::Single(Placed {
                stroke: Some(stroke),
                ..placed(4, 1, 1, Size::Large)
            })
        };
        let ink = |stroke| {
            let mut rng = Rng::seeded(6);
            (0..20)
                .map(|_| ink_centre(&draw_scene(&spec(stroke), &DigitSource::Drawn, &mut rng)).2)
                .sum::<f32>()
        };
        assert!(ink(Stroke::Thick) > 1.8 * ink(Stroke::Thin));
    }

    #[test]
    fn an_image_source_needs_labelled_28_px_grey_digits() {
        let set = crate::engine::data::digits::embedded_digits(60);
        let source = DigitSource::images(set.clone()).expect("digits");
        let DigitSource::Images { by_ink, .. } = &source else {
            panic!("an image source");
        };
        assert!(by_ink.iter().all(|c| c.len() == 6));
        let unlabelled = ImageSet {
            labels: None,
            ..set.clone()
        };
        assert!(DigitSource::images(unlabelled).is_err_and(|e| e.contains("labels")));
        let few = crate::engine::data::digits::embedded_digits(20);
        assert!(DigitSource::images(few).is_err_and(|e| e.contains("too few")));
        // Thin draws come from each class's lightest third.
        let mut rng = Rng::seeded(7);
        let thin = source.digit(3, Some(Stroke::Thin), &mut rng);
        let heavy = source.digit(3, Some(Stroke::Thick), &mut rng);
        assert!(thin.iter().sum::<f32>() < heavy.iter().sum::<f32>());
    }
}
