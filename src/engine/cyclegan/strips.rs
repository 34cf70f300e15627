//! The translation strips: a row of held-out images of domain A, G_AB of them, G_BA of that
//! (the cycle), then the same from domain B. What the window's translation view and the CLI's
//! `translations.png` show.

use super::run::CycleRun;
use crate::engine::data::ImageSet;
use crate::engine::trainer::protocol::Samples;

/// Rows of a strip picture, top to bottom.
pub const ROWS: [&str; 6] = [
    "A",
    "G_AB(A)",
    "G_BA(G_AB(A))",
    "B",
    "G_BA(B)",
    "G_AB(G_BA(B))",
];

/// Grey images as RGB (each value three times, channel-major).
fn to_rgb(values: &[f32], side: usize) -> Vec<f32> {
    let plane = side * side;
    values
        .chunks_exact(plane)
        .flat_map(|img| {
            img.iter()
                .chain(img)
                .chain(img)
                .copied()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The strips of the first `n` images of each held-out domain, as one sample grid with one
/// row per entry of [`ROWS`] (`classes` holds the row, so a grid writer lays them out so).
/// Domains of different channel counts are shown in colour.
pub fn translation_strips(run: &CycleRun, held: [&ImageSet; 2], n: usize) -> Samples {
    // Both halves have as many columns.
    let n = n.min(held[0].len()).min(held[1].len());
    strips_of(run, held, &(0..n).collect::<Vec<_>>())
}

/// The strips of the images at `picks` in each held-out domain (each index must be within
/// both domains).
pub fn strips_of(run: &CycleRun, held: [&ImageSet; 2], picks: &[usize]) -> Samples {
    let side = held[0].height;
    let channels = held[0].channels.max(held[1].channels);
    let n = picks.len();
    let mut values = Vec::new();
    for (set, a_to_b) in [(held[0], true), (held[1], false)] {
        let x = set.gather(picks).pixels;
        let there = run.translate(a_to_b, &x);
        let back = run.translate(!a_to_b, &there);
        for row in [x, there, back] {
            let per_image = row.len() / n.max(1);
            if per_image == side * side && channels == 3 {
                values.extend(to_rgb(&row, side));
            } else {
                values.extend(row);
            }
        }
    }
    Samples {
        classes: (0..ROWS.len() as u32)
            .flat_map(|r| std::iter::repeat_n(r, n))
            .collect(),
        values,
        len: channels * side * side,
        channels,
        side,
    }
}
