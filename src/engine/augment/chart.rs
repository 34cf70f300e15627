//! The experiment's bar chart: for each N per class, the four held-out accuracies and
//! GAN-test as bars (mean over seeds) with ± one standard deviation, on a 0-1 axis.

use std::path::Path;

use crate::engine::canvas::{Canvas, GLYPH, INK, text_width};
use crate::engine::export::{ExportError, write_rgb_png};

use super::results::Summary;

const GRID: [u8; 3] = [225, 225, 225];
/// The conditions in the table's order, with their colours.
pub const SERIES: [(&str, [u8; 3]); 5] = [
    ("real subset", [70, 110, 200]),
    ("synthetic only", [230, 120, 30]),
    ("real + synthetic", [150, 90, 180]),
    ("classic augmentation", [60, 160, 90]),
    ("GAN-test", [150, 150, 150]),
];

const BAR: i64 = 24;
const GAP: i64 = 48;
const HEIGHT: usize = 480;

/// The chart as RGB pixels, with its width and height.
pub fn render(summaries: &[Summary], title: &str) -> (usize, usize, Vec<u8>) {
    let left = 6 * GLYPH as i64;
    let group = SERIES.len() as i64 * BAR + GAP;
    let legend_width = 2 * GLYPH as i64 + text_width("classic augmentation");
    let plot = (summaries.len().max(1) as i64 * group).max(320);
    let width = (left + plot + legend_width + 3 * GLYPH as i64).max(text_width(title) + 2 * left);
    let width = width as usize;
    let mut c = Canvas::new(width, HEIGHT);
    let (top, bottom) = (3 * GLYPH as i64, HEIGHT as i64 - 3 * GLYPH as i64);
    let y_of = |v: f64| bottom - ((v.clamp(0.0, 1.0)) * (bottom - top) as f64).round() as i64;
    c.text(left, GLYPH as i64 / 2, title, INK);
    for tick in 0..=5 {
        let v = tick as f64 / 5.0;
        let y = y_of(v);
        c.rect(left, y, left + plot, y + 1, GRID);
        let label = format!("{v:.1}");
        c.text(
            left - 8 - text_width(&label),
            y - GLYPH as i64 / 2,
            &label,
            INK,
        );
    }
    c.rect(left, top, left + 1, bottom + 1, INK);
    c.rect(left, bottom, left + plot, bottom + 1, INK);
    for (g, s) in summaries.iter().enumerate() {
        let x0 = left + GAP / 2 + g as i64 * group;
        for (k, (v, (_, colour))) in s.spreads().iter().zip(SERIES).enumerate() {
            let x = x0 + k as i64 * BAR;
            c.rect(x + 2, y_of(v.mean), x + BAR - 2, bottom, colour);
            // ± one standard deviation, with caps.
            let (hi, lo) = (y_of(v.mean + v.std), y_of(v.mean - v.std));
            let mid = x + BAR / 2;
            c.rect(mid, hi, mid + 2, lo + 1, INK);
            c.rect(mid - 4, hi, mid + 6, hi + 2, INK);
            c.rect(mid - 4, lo, mid + 6, lo + 2, INK);
        }
        let label = format!("N={} ({})", s.per_class, s.runs);
        let centre = x0 + SERIES.len() as i64 * BAR / 2;
        c.text(centre - text_width(&label) / 2, bottom + 10, &label, INK);
    }
    let lx = left + plot + 2 * GLYPH as i64;
    for (k, (name, colour)) in SERIES.iter().enumerate() {
        let y = top + k as i64 * (GLYPH as i64 + 8);
        c.rect(lx, y, lx + GLYPH as i64, y + GLYPH as i64, *colour);
        c.text(lx + GLYPH as i64 + 6, y, name, INK);
    }
    (width, HEIGHT, c.px)
}

/// The chart written as a PNG, atomically.
pub fn write_png(summaries: &[Summary], title: &str, path: &Path) -> Result<(), ExportError> {
    let (w, h, px) = render(summaries, title);
    write_rgb_png(w, h, &px, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::augment::results::Spread;

    fn summary(per_class: usize, mean: f64) -> Summary {
        let s = Spread { mean, std: 0.05 };
        Summary {
            per_class,
            runs: 3,
            real: s,
            synthetic: s,
            mixed: s,
            classic: s,
            gan_test: s,
            secs: 1.0,
        }
    }

    fn pixel(px: &[u8], w: usize, x: i64, y: i64) -> [u8; 3] {
        let at = (y as usize * w + x as usize) * 3;
        [px[at], px[at + 1], px[at + 2]]
    }

    #[test]
    fn bars_are_as_tall_as_their_means() {
        let (w, h, px) = render(&[summary(10, 0.5), summary(50, 1.0)], "test");
        assert_eq!(px.len(), w * h * 3);
        let (left, top, bottom) = (
            6 * GLYPH as i64,
            3 * GLYPH as i64,
            h as i64 - 3 * GLYPH as i64,
        );
        let group = 5 * BAR + GAP;
        // The first bar of each group ("real subset", blue), a few pixels in from its edge.
        let colour = SERIES[0].1;
        let x = |g: i64| left + GAP / 2 + g * group + 4;
        let half = bottom - (bottom - top) / 2;
        assert_eq!(pixel(&px, w, x(0), half + 3), colour);
        assert_ne!(
            pixel(&px, w, x(0), half - 12),
            colour,
            "N=10's bar stops at 0.5"
        );
        assert_eq!(pixel(&px, w, x(1), top + 3), colour, "N=50's reaches 1.0");
    }
}
