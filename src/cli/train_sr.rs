//! `ganvas train` for a super-resolution preset (or `--resume` of such a run): the dataset's
//! classifier (FID-lite and accuracy on labelled data), then rounds with a progress bar,
//! evaluations on the held-out images, autosave and Ctrl-C as for the other families. The run
//! directory receives `checkpoint.ganvas`, `metrics.csv` (the headline curves every
//! `sample_every` rounds, the evaluations every `metrics_every`) and `comparison.png`.

use std::path::Path;
use std::sync::Arc;

use super::family_plan::{FamilyPreset, Plan, Resumed, Trained, plan, train_rounds};
use super::train::TrainArgs;
use crate::engine::checkpoint::LATEST;
use crate::engine::export;
use crate::engine::metrics::classifier;
use crate::engine::superres::checkpoint::{self as sr_checkpoint, SrCheckpoint};
use crate::engine::superres::compare::comparison;
use crate::engine::superres::evaluate::{SrReferences, evaluate};
use crate::engine::superres::preset::SrPreset;
use crate::engine::superres::run::SrRun;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind, StepStats};

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
    let intervals = [section.sample_every, section.metrics_every];
    let mut training = Training {
        run,
        preset: &preset,
        refs: &refs,
    };
    train_rounds(args, &mut training, (steps, intervals), &out, Vec::new())?;
    let run = training.run;
    if let Some(r) = run.log.reports.last() {
        print_report(r);
    }
    outln!(
        "wrote {}/{{checkpoint.ganvas,metrics.csv,comparison.png}}",
        out.display()
    );
    Ok(())
}

/// A super-resolution run as `train`'s loop drives it.
struct Training<'a> {
    run: SrRun,
    preset: &'a SrPreset,
    refs: &'a SrReferences,
}

impl Trained for Training<'_> {
    fn log(&self) -> &crate::engine::trainer::run_log::RunLog {
        &self.run.log
    }

    fn rounds(&self) -> u64 {
        self.run.step
    }

    fn round(&mut self) -> anyhow::Result<StepStats> {
        Ok(self.run.step_once(StepKind::Round)?)
    }

    fn diverged(&self, stats: &StepStats) -> Option<String> {
        crate::engine::superres::divergence(stats, self.run.gan_started())
    }

    fn evaluate(&mut self, _warn: &mut dyn FnMut(String)) -> (MetricsReport, String) {
        let report = evaluate(&self.run, self.refs);
        self.run.log.push_report(report.clone());
        let message = shown(&report);
        (report, message)
    }

    fn save(&self, history: &[MetricValue], out: &Path) -> anyhow::Result<()> {
        save_outputs(&self.run, self.preset, self.refs, history, out)
    }
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
