//! Frame timing: how long each frame takes to build (the UI thread's own work) and how often
//! frames come, with training steps/s over the same window. Shown as an overlay (F12) and,
//! with `ganvas gui --perf-log`, printed to stderr every five seconds for benchmarks.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use eframe::egui;

/// Frames kept for the percentiles.
const WINDOW: usize = 600;
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Recent frame timings.
pub struct Perf {
    /// (when the frame started, how long building it took).
    frames: VecDeque<(Instant, Duration)>,
    frame_started: Option<Instant>,
    /// Whole frames as eframe measures them (UI, tessellation and painting), seconds.
    whole: VecDeque<Duration>,
    pub overlay: bool,
    log: bool,
    last_log: Instant,
    /// (when, step) at the last log line, for steps/s.
    last_step: Option<(Instant, u64)>,
}

/// Percentiles of a sample, in milliseconds.
pub fn percentile_ms(values: &[Duration], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v: Vec<f64> = values.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    v.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)]
}

impl Perf {
    pub fn new(log: bool) -> Self {
        Self {
            frames: VecDeque::with_capacity(WINDOW),
            frame_started: None,
            whole: VecDeque::with_capacity(WINDOW),
            overlay: false,
            log,
            last_log: Instant::now(),
            last_step: None,
        }
    }

    pub fn begin_frame(&mut self) {
        self.frame_started = Some(Instant::now());
    }

    /// Ends the frame; `step` is the trainer's latest step (for steps/s in the log);
    /// `previous_whole`: eframe's CPU time of the previous frame, painting included.
    pub fn end_frame(&mut self, step: u64, previous_whole: Option<f32>) {
        let Some(start) = self.frame_started.take() else {
            return;
        };
        if let Some(secs) = previous_whole.filter(|s| s.is_finite() && *s >= 0.0) {
            if self.whole.len() == WINDOW {
                self.whole.pop_front();
            }
            self.whole.push_back(Duration::from_secs_f32(secs));
        }
        if self.frames.len() == WINDOW {
            self.frames.pop_front();
        }
        self.frames.push_back((start, start.elapsed()));
        if self.log && self.last_log.elapsed() >= LOG_EVERY {
            eprintln!("perf: {}", self.summary(step));
            self.last_log = Instant::now();
        }
    }

    fn builds(&self) -> Vec<Duration> {
        self.frames.iter().map(|(_, d)| *d).collect()
    }

    fn intervals(&self) -> Vec<Duration> {
        let starts: Vec<Instant> = self.frames.iter().map(|(s, _)| *s).collect();
        starts.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// One line: frame build time and interval percentiles, frames/s and steps/s.
    pub fn summary(&mut self, step: u64) -> String {
        let builds = self.builds();
        let intervals = self.intervals();
        let now = Instant::now();
        let steps_per_sec = self.last_step.map_or(0.0, |(t, s)| {
            step.saturating_sub(s) as f64 / (now - t).as_secs_f64().max(1e-9)
        });
        self.last_step = Some((now, step));
        let fps = 1e3 / percentile_ms(&intervals, 50.0).max(1e-9);
        let whole: Vec<Duration> = self.whole.iter().copied().collect();
        format!(
            "frame build p50 {:.1} ms p95 {:.1} ms; whole frame (with painting) p50 {:.1} ms p95 {:.1} ms; interval p50 {:.1} ms p95 {:.1} ms ({fps:.0} fps); {steps_per_sec:.1} steps/s; {} frames",
            percentile_ms(&builds, 50.0),
            percentile_ms(&builds, 95.0),
            percentile_ms(&whole, 50.0),
            percentile_ms(&whole, 95.0),
            percentile_ms(&intervals, 50.0),
            percentile_ms(&intervals, 95.0),
            builds.len()
        )
    }

    /// The overlay in a corner window, with the redraw rate while training.
    pub fn overlay_ui(&self, ctx: &egui::Context, repaint: &super::app::RepaintPolicy) {
        if !self.overlay {
            return;
        }
        let builds = self.builds();
        let intervals = self.intervals();
        egui::Window::new("Performance (F12)")
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-8.0, -40.0))
            .resizable(false)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(format!(
                    "frame build: p50 {:.1} ms, p95 {:.1} ms",
                    percentile_ms(&builds, 50.0),
                    percentile_ms(&builds, 95.0)
                ));
                let whole: Vec<Duration> = self.whole.iter().copied().collect();
                ui.label(format!(
                    "whole frame with painting: p50 {:.1} ms, p95 {:.1} ms",
                    percentile_ms(&whole, 50.0),
                    percentile_ms(&whole, 95.0)
                ));
                ui.label(format!(
                    "between frames: p50 {:.1} ms, p95 {:.1} ms",
                    percentile_ms(&intervals, 50.0),
                    percentile_ms(&intervals, 95.0)
                ));
                ui.small(format!("last {} frames", builds.len()));
                let ordering = std::sync::atomic::Ordering::Relaxed;
                let mut ms = repaint.training_interval_ms.load(ordering);
                let mut per_sec = (1000 / ms.max(1)).max(1);
                if ui
                    .add(egui::Slider::new(&mut per_sec, 1..=60).text("redraws/s while training"))
                    .on_hover_text("Fewer redraws leave more CPU to training when the window is drawn without a GPU")
                    .changed()
                {
                    ms = 1000 / per_sec.max(1);
                    repaint.training_interval_ms.store(ms, ordering);
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_values() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&v, 50.0), 51.0);
        assert_eq!(percentile_ms(&v, 95.0), 95.0);
        assert_eq!(percentile_ms(&[], 95.0), 0.0);
    }
}
