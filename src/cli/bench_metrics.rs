//! `ganvas bench --metrics PRESET…`: what the collapse metrics cost. For each preset, the time
//! of a training round and of one evaluation, and the evaluation's share of training time at
//! the preset's `metrics_every` (the target is ≤ 5 %).

use std::path::PathBuf;
use std::time::Instant;

use crate::engine::backend::Backend;
use crate::engine::preset::Preset;
use crate::engine::trainer::protocol::StepKind;
use crate::engine::trainer::session::Session;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Measures and prints one table row per preset.
pub fn run(presets: &[PathBuf], backend: &Backend, rounds: u64) -> anyhow::Result<()> {
    outln!("| preset | ms/round | ms/evaluation | metrics_every | overhead |");
    outln!("|---|---|---|---|---|");
    for path in presets {
        let preset = Preset::load(path)?;
        let mut session = Session::new(preset.config(), backend.clone())?;
        super::eval::attach_classifier(&mut session)?;
        for _ in 0..3 {
            session.step_once(StepKind::Round)?;
        }
        let started = Instant::now();
        for _ in 0..rounds {
            session.step_once(StepKind::Round)?;
        }
        let round_ms = started.elapsed().as_secs_f64() * 1e3 / rounds as f64;
        // The first evaluation also builds the data-side references: time it apart.
        let first = Instant::now();
        let _ = session.metrics();
        let first_ms = first.elapsed().as_secs_f64() * 1e3;
        let eval_ms = median(
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    let _ = session.metrics();
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        let every = session.config.train.metrics_every as f64;
        outln!(
            "| {} | {round_ms:.1} | {eval_ms:.0} (first {first_ms:.0}) | {every} | {:.1} % |",
            path.display(),
            100.0 * eval_ms / (every * round_ms + eval_ms)
        );
    }
    Ok(())
}
