//! A training timelapse: the snapshot history as an animated GIF (sample grids, or scatter
//! plots for 2D points on one fixed frame), with a bar along the bottom showing how far into
//! the run each frame is. Written atomically like every export.

use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};

use super::checkpoint::write_atomically;
use super::export::{ExportError, grid_columns, grid_pixels, points_bounds};
use super::plane_image::{PlaneScene, render};
use super::trainer::protocol::Samples;

/// Frames a timelapse keeps at most (evenly chosen, the last one always in).
pub const MAX_FRAMES: usize = 150;
/// Size of a frame of 2D points (axes included).
const SCATTER_PX: (usize, usize) = (480, 420);
const BAR_PX: usize = 4;

/// Indices of at most `max` of `n` frames, evenly spread, ending with the last.
pub fn frame_indices(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..max).map(|i| i * (n - 1) / (max - 1)).collect();
    v.dedup();
    v
}

fn to_rgba(width: usize, height: usize, channels: usize, px: &[u8], scale: usize) -> RgbaImage {
    let (w, h) = (width * scale, height * scale);
    RgbaImage::from_fn(w as u32, h as u32 + BAR_PX as u32, |x, y| {
        let (x, y) = (x as usize / scale, y as usize / scale);
        if y >= height {
            return image::Rgba([0, 0, 0, 255]);
        }
        let at = (y * width + x) * channels;
        match channels {
            1 => image::Rgba([px[at], px[at], px[at], 255]),
            _ => image::Rgba([px[at], px[at + 1], px[at + 2], 255]),
        }
    })
}

/// Writes the snapshots (oldest first) as a looping GIF, `frame_ms` per frame; returns the
/// number of frames written.
pub fn write_timelapse_gif(
    snapshots: &[(u64, Samples)],
    real_points: &[f32],
    path: &Path,
    frame_ms: u32,
) -> Result<usize, ExportError> {
    let unsupported = |message: String| ExportError::Unsupported {
        path: path.to_path_buf(),
        message,
    };
    if snapshots.is_empty() {
        return Err(unsupported("there are no snapshots yet".into()));
    }
    let last_step = snapshots.last().map_or(1, |(s, _)| (*s).max(1));
    // 2D points: one frame for the whole run, so the points move and the axes stay.
    let all: Vec<f32> = snapshots
        .iter()
        .flat_map(|(_, s)| s.values.iter().copied())
        .collect();
    let bounds = points_bounds(&all, real_points);
    let mut frames = Vec::new();
    for i in frame_indices(snapshots.len(), MAX_FRAMES) {
        let (step, samples) = &snapshots[i];
        let mut img = if samples.side > 0 {
            let (w, h, px) = grid_pixels(samples, grid_columns(samples));
            let scale = if w < 300 { 2 } else { 1 };
            to_rgba(w, h, samples.channels, &px, scale)
        } else {
            let scene = PlaneScene {
                bounds,
                field: None,
                real: real_points,
                generated: &samples.values,
                modes: &[],
                mode_radius: 0.0,
                title: format!("step {step}"),
            };
            let (w, h) = SCATTER_PX;
            to_rgba(w, h, 3, &render(&scene, w, h), 1)
        };
        let (w, h) = img.dimensions();
        let filled = (*step as f64 / last_step as f64 * w as f64).round() as u32;
        for y in h - BAR_PX as u32..h {
            for x in 0..filled.min(w) {
                img.put_pixel(x, y, image::Rgba([230, 110, 20, 255]));
            }
        }
        frames.push(Frame::from_parts(
            img,
            0,
            0,
            Delay::from_numer_denom_ms(frame_ms, 1),
        ));
    }
    let count = frames.len();
    write_gif(frames, path)?;
    Ok(count)
}

/// Encodes `frames` as a looping GIF and writes it atomically.
pub fn write_gif(frames: Vec<Frame>, path: &Path) -> Result<(), ExportError> {
    let mut bytes = Vec::new();
    {
        // Speed 20 of 30: quantising each frame is most of the cost; grids have few colours.
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, 20);
        encoder
            .set_repeat(Repeat::Infinite)
            .and_then(|()| encoder.encode_frames(frames))
            .map_err(|e| ExportError::Unsupported {
                path: path.to_path_buf(),
                message: format!("GIF encoding failed: {e}"),
            })?;
    }
    write_atomically(path, &bytes).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        cause: source,
    })
}

/// An RGB picture as one GIF frame shown for `frame_ms`.
pub fn rgb_frame(width: usize, height: usize, rgb: &[u8], frame_ms: u32) -> Frame {
    let img = RgbaImage::from_fn(width as u32, height as u32, |x, y| {
        let at = (y as usize * width + x as usize) * 3;
        image::Rgba([rgb[at], rgb[at + 1], rgb[at + 2], 255])
    });
    Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(frame_ms, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_thinned_evenly_and_keep_the_ends() {
        assert_eq!(frame_indices(3, 10), vec![0, 1, 2]);
        let v = frame_indices(1000, 150);
        assert_eq!((v.len(), v[0], v[149]), (150, 0, 999));
        assert!(v.windows(2).all(|w| w[1] > w[0]));
    }
}
