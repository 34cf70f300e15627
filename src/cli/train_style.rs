//! `ganvas train` for a StyleGAN preset (or `--resume` of such a run): the dataset's
//! classifier at the run's resolution (class metrics on labelled data), then rounds with a
//! progress bar, evaluations (FID-lite, PRDC, classes), autosave and Ctrl-C as for the other
//! families. The run directory receives `checkpoint.ganvas`, `metrics.csv`, `samples.png`
//! (64 EMA samples, ψ = 1) and `mixing.png` (the top row's coarse styles on the first
//! column's other styles).

use std::path::Path;
use std::sync::Arc;

use super::family_plan::{FamilyPreset, Plan, Resumed, Trained, plan, train_rounds};
use super::train::TrainArgs;
use crate::engine::checkpoint::LATEST;
use crate::engine::data::images::ImageSet;
use crate::engine::export;
use crate::engine::metrics::{MetricRefs, classifier};
use crate::engine::stylegan::checkpoint::{self as style_checkpoint, StyleCheckpoint};
use crate::engine::stylegan::explore::StyleRange;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::stylegan::run::StyleRun;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind, StepStats};

/// Samples each evaluation draws (FID-lite and PRDC depend on the count: compare at one).
const EVALUATED: usize = 1000;

/// Runs `ganvas train` on a StyleGAN preset (`preset`) or resumes `args.resume`.
pub fn run(args: &TrainArgs, preset: Option<StylePreset>) -> anyhow::Result<()> {
    let resumed = match &args.resume {
        Some(path) => Some(StyleCheckpoint::read(path)?),
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
    let backend = super::pick_backend(args.backend)?;
    let images = preset.load_images().map_err(anyhow::Error::msg)?;
    let (refs, _) = metric_refs(&images);
    let mut run = StyleRun::new(preset.stylegan.clone(), &images, &backend.device)?;
    if let Some(ckpt) = &resumed {
        ckpt.restore_into(&mut run)?;
        eprintln!("resumed from {} at step {}", ckpt.path.display(), ckpt.step);
    }
    let c = &preset.stylegan;
    eprintln!(
        "{}: StyleGAN at {} px on {} images ({} channel(s)); {} styles, batch {}, R1 γ {} every {}; {steps} steps on {}",
        if preset.name.is_empty() {
            "run"
        } else {
            &preset.name
        },
        c.resolution,
        run.images.len(),
        run.images.channels,
        run.shape.num_ws(),
        c.batch_size,
        c.r1_gamma,
        c.r1_every,
        backend.name
    );
    let intervals = [preset.train.sample_every, preset.train.metrics_every];
    let mut training = Training {
        run,
        preset: &preset,
        refs: &refs,
    };
    train_rounds(args, &mut training, (steps, intervals), &out, Vec::new())?;
    if let Some(r) = training.run.log.reports.last() {
        let text: Vec<String> = r
            .values
            .iter()
            .map(|v| format!("{} {:.4}", v.name, v.value))
            .collect();
        outln!("last evaluation (step {}): {}", r.step, text.join(", "));
    }
    outln!(
        "wrote {}/{{checkpoint.ganvas,metrics.csv,samples.png,mixing.png}}",
        out.display()
    );
    Ok(())
}

/// The metrics' references for a run on `images`, with the dataset's classifier (trained, or
/// loaded from the cache) when the images have labels; says on stderr why not otherwise.
pub(super) fn metric_refs(images: &ImageSet) -> (MetricRefs, Option<Arc<classifier::Classifier>>) {
    let mut refs = MetricRefs::default();
    if images.labels.is_none() {
        eprintln!("note: the images have no labels: FID-lite and PRDC only");
        return (refs, None);
    }
    eprintln!("training the dataset's classifier (class metrics; cached after the first run)…");
    match classifier::for_dataset(images, &mut |_| {}) {
        Ok(c) => {
            let judge = Arc::new(c);
            refs.attach_classifier(judge.clone(), images);
            (refs, Some(judge))
        }
        Err(why) => {
            eprintln!("note: no class metrics: {why}");
            (refs, None)
        }
    }
}

/// A StyleGAN run as `train`'s loop drives it.
struct Training<'a> {
    run: StyleRun,
    preset: &'a StylePreset,
    refs: &'a MetricRefs,
}

impl Trained for Training<'_> {
    fn log(&self) -> &crate::engine::trainer::run_log::RunLog {
        &self.run.log
    }

    fn rounds(&self) -> u64 {
        self.run.step
    }

    fn round(&mut self) -> anyhow::Result<StepStats> {
        Ok(self.run.step_once(StepKind::Round))
    }

    fn diverged(&self, stats: &StepStats) -> Option<String> {
        crate::engine::stylegan::divergence(stats)
    }

    fn evaluate(&mut self, _warn: &mut dyn FnMut(String)) -> (MetricsReport, String) {
        let report = self.run.evaluate(self.refs, EVALUATED);
        let message = report
            .values
            .iter()
            .filter(|v| {
                ["fid_lite", "classes_covered", "mean_confidence"].contains(&v.name.as_str())
            })
            .map(|v| format!("{} {:.3}", v.name, v.value))
            .collect::<Vec<_>>()
            .join(", ");
        (report, message)
    }

    fn save(&self, history: &[MetricValue], out: &Path) -> anyhow::Result<()> {
        style_checkpoint::save(&self.run, self.preset, &out.join(LATEST))?;
        export::write_metrics_csv(history, &out.join("metrics.csv"))?;
        export::write_png(
            &self.run.sample_grid(64, 1, 1.0),
            &[],
            &out.join("samples.png"),
        )?;
        let mixing = self.run.mixing_grid(6, 2, 1.0, StyleRange::Coarse);
        export::write_png(&mixing, &[], &out.join("mixing.png"))?;
        Ok(())
    }
}

impl FamilyPreset for StylePreset {
    const DIR: &'static str = "stylegan";
    const RUN: &'static str = "a StyleGAN run";

    fn same_run(&self, other: &Self) -> bool {
        self.stylegan == other.stylegan && self.data == other.data
    }

    fn steps(&self) -> u64 {
        self.train.steps
    }

    fn set_seed(&mut self, seed: u64) {
        self.stylegan.seed = seed;
    }
}
