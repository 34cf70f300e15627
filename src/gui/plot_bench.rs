//! `ganvas bench --plot-points N`: what drawing the training curves costs once the history
//! holds N steps, for the incremental curves ([`PlotCache`] kept between frames) beside
//! rebuilding them from the whole history on every frame (what each new step cost before).
//! Headless: one egui pass and its tessellation per frame, no window and no GPU.

use std::time::Instant;

use eframe::egui;

use super::panels::{PlotCache, PlotSettings, plots_ui};
use super::view::RunView;
use crate::engine::trainer::protocol::StepStats;

/// Steps the trainer adds between two redraws in the measurement.
const STEPS_PER_FRAME: u64 = 50;
const FRAMES: usize = 30;

fn stat(step: u64) -> StepStats {
    // Noisy but deterministic curves, with the occasional spike.
    let noise = ((step.wrapping_mul(2_654_435_761) >> 7) % 1000) as f32 / 1000.0;
    let spike = if step.is_multiple_of(9973) { 20.0 } else { 0.0 };
    StepStats::gan_round(
        step,
        [
            0.7 + noise + spike,
            1.4 - 0.5 * noise,
            0.5 + 0.2 * noise,
            0.5 - 0.2 * noise,
            1.0 + noise,
            2.0 + noise,
        ],
    )
}

/// Milliseconds of each frame: grow the history, lay out the plots, tessellate.
fn frames(view: &mut RunView, keep_cache: bool) -> Vec<f64> {
    let ctx = egui::Context::default();
    let settings = PlotSettings::default();
    let mut cache = PlotCache::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(FRAMES);
    // Frame 0 is untimed: it builds the font atlas (and, when kept, the curves: timed apart).
    for frame in 0..=FRAMES {
        let next = view.history.last().map_or(0, |s| s.step + 1);
        view.history
            .extend((next..next + STEPS_PER_FRAME).map(stat));
        let started = Instant::now();
        if !keep_cache {
            cache = PlotCache::default();
        }
        let mut shown = settings;
        let mut out = ctx.run_ui(input(), |ui| plots_ui(ui, view, &mut shown, &mut cache));
        // No renderer takes the font atlas here.
        out.textures_delta.clear();
        let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(primitives);
        if frame > 0 {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints a table of frame times for a history of `points` steps.
pub fn run(points: u64) -> anyhow::Result<()> {
    let mut view = RunView::default();
    view.history.extend((0..points).map(stat));
    let started = Instant::now();
    let mut cache = PlotCache::default();
    cache.update(&view, PlotSettings::default());
    let first = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "history: {points} steps; building the six curves from it once: {first:.1} ms \
         (on opening a run or changing smoothing / log scale)"
    );
    println!(
        "| curves | frame p50 | frame p95 | (one egui pass + tessellation, {STEPS_PER_FRAME} new steps per frame) |"
    );
    println!("|---|---|---|---|");
    for (label, keep) in [
        ("rebuilt from the whole history each frame (before)", false),
        ("incremental, cache kept (now)", true),
    ] {
        let mut times = frames(&mut view, keep);
        times.sort_by(f64::total_cmp);
        println!(
            "| {label} | {:.2} ms | {:.2} ms | |",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
    Ok(())
}
