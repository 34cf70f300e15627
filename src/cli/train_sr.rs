//! `ganvas train` for a super-resolution preset (or `--resume` of such a run): the dataset's
//! classifier (FID-lite and accuracy on labelled data), then rounds with a progress bar,
//! evaluations on the held-out images, autosave and Ctrl-C as for the other families. The run
//! directory receives `checkpoint.ganvas`, `metrics.csv` (the headline curves every
//! `sample_every` rounds, the evaluations every `metrics_every`) and `comparison.png`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::family_plan::{FamilyPreset, Plan, Resumed, plan};
use super::train::TrainArgs;
use super::train_cycle::curve_values;
use crate::engine::checkpoint::LATEST;
use crate::engine::export;
use crate::engine::metrics::classifier;
use crate::engine::superres::checkpoint::{self as sr_checkpoint, SrCheckpoint};
use crate::engine::superres::compare::comparison;
use crate::engine::superres::evaluate::{SrReferences, evaluate};
use crate::engine::superres::preset::SrPreset;
use crate::engine::superres::run::SrRun;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind};

/// Held-out images in `comparison.png`.
const COMPARED: usize = 10;

fn save_outputs(
    run: &SrRun,
    preset: &SrPreset,
    refs: &SrReferences,
    history: &[MetricValue],
    out: &Path,
) -> anyhow::Result<()> {
    sr_checkpoint::save(run, preset, &out.join(LATEST))?;
    export::write_metrics_csv(history, &out.join("metrics.csv"))?;
    let picture = comparison(run, &refs.pairs, COMPARED);
    export::write_png(&picture, &[], &out.join("comparison.png"))?;
    Ok(())
}

/// The metrics shown beside the progress bar: each output's PSNR and, when measured, FID-lite.
fn shown(report: &MetricsReport) -> String {
    report
        .values
        .iter()
        .filter(|v| v.name.starts_with("psnr_") || v.name.starts_with("fid_lite_"))
        .filter(|v| !v.name.ends_with("nearest"))
        .map(|v| format!("{} {:.2}", v.name, v.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `ganvas train` on a super-resolution preset (`preset`) or resumes `args.resume`.
pub fn run(args: &TrainArgs, preset: Option<SrPreset>) -> anyhow::Result<()> {
    let resumed = match &args.resume {
        Some(path) => Some(SrCheckpoint::read(path)?),
        None => None,
    };
    let Plan {
        preset,
        steps,
        out,
        guard: _out_dir,
    } = plan(
        args,
        preset,
        resumed.as_ref().map(|c| Resumed {
            preset: &c.preset,
            step: c.step,
            path: &c.path,
        }),
    )?;
    let section = preset.superres.clone();
    let backend = super::pick_backend(args.backend)?;
    let [train, held] = section.load_images().map_err(anyhow::Error::msg)?;
    let judge = if train.labels.is_some() {
        eprintln!(
            "training the dataset's classifier (FID-lite, accuracy; cached after the first run)…"
        );
        match classifier::for_dataset(&train, &mut |_| {}) {
            Ok(c) => Some(Arc::new(c)),
            Err(why) => {
                eprintln!("note: no FID-lite or accuracy: {why}");
                None
            }
        }
    } else {
        eprintln!("note: the images have no labels: PSNR and SSIM only (no FID-lite, no accuracy)");
        None
    };
    let degradation = section.degradation();
    let refs = SrReferences::new(&held, &degradation, judge);
    let mut run = SrRun::new(
        section.config(),
        degradation,
        Arc::new(train),
        &backend.device,
    )?;
    if let Some(ckpt) = &resumed {
        ckpt.restore_into(&mut run)?;
        eprintln!("resumed from {} at step {}", ckpt.path.display(), ckpt.step);
    }
    let side = run.images.height;
    eprintln!(
        "{}: super-resolution {}× ({} → {} px), {} training images, {} held out; {} pixel-network rounds, then the GAN stage; {steps} steps",
        if preset.name.is_empty() {
            "run"
        } else {
            &preset.name
        },
        section.scale,
        side / section.scale,
        side,
        run.images.len(),
        held.len(),
        section.pixel_steps,
    );
    let mut history: Vec<MetricValue> = Vec::new();
    for s in run.log.stats.iter().filter(|s| s.kind == StepKind::Round) {
        if s.step.is_multiple_of(section.sample_every) {
            history.extend(curve_values(s));
        }
    }
    history.extend(
        run.log
            .reports
            .iter()
            .flat_map(|r| r.values.iter().cloned()),
    );
    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    super::interrupt::install();
    let autosave = (args.autosave > 0).then(|| Duration::from_secs(args.autosave));
    let (started, first) = (Instant::now(), run.step);
    let mut saved_at = Instant::now();
    let mut last = None;
    while run.step < first + steps {
        if super::interrupt::requested() {
            bar.abandon();
            save_outputs(&run, &preset, &refs, &history, &out)?;
            return Err(super::interrupt::Interrupted(format!(
                "stopped at step {} of {} (interrupted); the run is saved in {dir}.\n\
                 Go on with: ganvas train --resume {dir} --steps {}",
                run.step,
                first + steps,
                first + steps - run.step,
                dir = out.display()
            ))
            .into());
        }
        let stats = run.step_once(StepKind::Round)?;
        if let Some(what) = crate::engine::superres::divergence(&stats, run.gan_started()) {
            bar.abandon();
            anyhow::bail!(
                "training diverged at step {} ({what}); the last saved checkpoint in {} is kept",
                run.step,
                out.display()
            );
        }
        let step = stats.step;
        let end = step == first + steps;
        if step.is_multiple_of(section.sample_every) || end {
            history.extend(curve_values(&stats));
        }
        if step.is_multiple_of(section.metrics_every) || end {
            let report = evaluate(&run, &refs);
            bar.set_message(shown(&report));
            history.extend(report.values.iter().cloned());
            run.log.push_report(report);
        }
        bar.inc(1);
        last = Some(stats);
        if autosave.is_some_and(|every| saved_at.elapsed() >= every) {
            if let Err(e) = save_outputs(&run, &preset, &refs, &history, &out) {
                bar.suspend(|| eprintln!("warning: autosave at step {step} failed: {e:#}"));
            }
            saved_at = Instant::now();
        }
    }
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    save_outputs(&run, &preset, &refs, &history, &out)?;
    outln!(
        "trained {steps} steps in {secs:.1} s ({:.1} steps/s)",
        steps as f64 / secs.max(1e-9)
    );
    if let Some(s) = last {
        let text: Vec<String> = curve_values(&s)
            .map(|v| format!("{} {:.4}", v.name, v.value))
            .collect();
        outln!("final: {}", text.join(", "));
    }
    if let Some(r) = run.log.reports.last() {
        print_report(r);
    }
    outln!(
        "wrote {}/{{checkpoint.ganvas,metrics.csv,comparison.png}}",
        out.display()
    );
    Ok(())
}

/// An evaluation as a table: one row per output, PSNR, SSIM, FID-lite and accuracy columns.
pub fn print_report(report: &MetricsReport) {
    outln!(
        "{:<10} {:>9} {:>7} {:>9} {:>9}   (held-out images, step {})",
        "output",
        "PSNR dB",
        "SSIM",
        "FID-lite",
        "accuracy",
        report.step
    );
    for name in ["nearest", "bicubic", "pixel", "gan", "hr"] {
        let get = |metric: &str| report.get(&format!("{metric}_{name}"));
        let cells = [get("psnr"), get("ssim"), get("fid_lite"), get("accuracy")];
        if cells.iter().all(Option::is_none) {
            continue;
        }
        let cell = |v: Option<f64>, digits: usize| {
            v.map_or_else(|| "-".to_string(), |v| format!("{v:.digits$}"))
        };
        outln!(
            "{:<10} {:>9} {:>7} {:>9} {:>9}",
            name,
            cell(cells[0], 2),
            cell(cells[1], 4),
            cell(cells[2], 2),
            cell(cells[3], 4)
        );
    }
}

impl FamilyPreset for SrPreset {
    const DIR: &'static str = "superres";
    const RUN: &'static str = "a super-resolution run";

    fn same_run(&self, other: &Self) -> bool {
        self.superres == other.superres
    }

    fn steps(&self) -> u64 {
        self.superres.steps
    }

    fn set_seed(&mut self, seed: u64) {
        self.superres.seed = seed;
    }
}
