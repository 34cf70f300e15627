//! `ganvas train` for a CycleGAN preset (or `--resume` of a CycleGAN run): the two domains'
//! classifiers for label preservation, then rounds with a progress bar, evaluations on the
//! held-out images, autosave and Ctrl-C as for a GAN. The run directory receives
//! `checkpoint.ganvas`, `metrics.csv` (the headline curves every `sample_every` rounds, the
//! evaluations every `metrics_every`) and `translations.png` (the translation strips).

use std::path::Path;
use std::sync::Arc;

use super::family_plan::{FamilyPreset, Plan, Resumed, Trained, plan, train_rounds};
use super::train::TrainArgs;
use crate::engine::checkpoint::LATEST;
use crate::engine::cyclegan::checkpoint::{self as cycle_checkpoint, CycleCheckpoint};
use crate::engine::cyclegan::evaluate::{
    TargetReferences, collapse_alert, evaluate, judges, untranslated_baseline,
};
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::cyclegan::run::CycleRun;
use crate::engine::cyclegan::strips::translation_strips;
use crate::engine::data::domains::DomainPair;
use crate::engine::export;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind, StepStats};

/// The headline curves of an update that it measured, named as the metrics CSV names them.
pub(super) fn curve_values(stats: &StepStats) -> impl Iterator<Item = MetricValue> + '_ {
    stats
        .family
        .curves
        .iter()
        .zip(&stats.values)
        // Unmeasured curves (semantic consistency off, say) are NaN and left out.
        .filter(|(c, v)| c.headline && !v.is_nan())
        .map(|(c, v)| MetricValue {
            name: c.key.into(),
            step: stats.step,
            value: *v as f64,
        })
}

fn save_outputs(
    run: &CycleRun,
    preset: &CyclePreset,
    held: &DomainPair,
    history: &[MetricValue],
    out: &Path,
) -> anyhow::Result<()> {
    cycle_checkpoint::save(run, preset, &out.join(LATEST))?;
    export::write_metrics_csv(history, &out.join("metrics.csv"))?;
    let strips = translation_strips(run, [&held.a, &held.b], 8);
    export::write_png(&strips, &[], &out.join("translations.png"))?;
    Ok(())
}

/// A CycleGAN run as `train`'s loop drives it.
struct Training<'a> {
    run: CycleRun,
    preset: &'a CyclePreset,
    held: &'a DomainPair,
    judges: Option<&'a [crate::engine::metrics::classifier::Classifier; 2]>,
    references: &'a TargetReferences,
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
        crate::engine::cyclegan::divergence(stats)
    }

    fn evaluate(&mut self, warn: &mut dyn FnMut(String)) -> (MetricsReport, String) {
        let report = evaluate(&self.run, self.held, self.judges, Some(self.references));
        if let Some(alert) = collapse_alert(&report, &self.run.domains.names) {
            warn(alert);
        }
        let shown: Vec<String> = report
            .values
            .iter()
            .map(|v| format!("{} {:.3}", v.name, v.value))
            .collect();
        self.run.log.push_report(report.clone());
        (report, shown.join(", "))
    }

    fn save(&self, history: &[MetricValue], out: &Path) -> anyhow::Result<()> {
        save_outputs(&self.run, self.preset, self.held, history, out)
    }
}

/// Runs `ganvas train` on a CycleGAN preset (`preset`) or resumes `args.resume`.
pub fn run(args: &TrainArgs, preset: Option<CyclePreset>) -> anyhow::Result<()> {
    let resumed = match &args.resume {
        Some(path) => Some(CycleCheckpoint::read(path)?),
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
    let section = preset.cyclegan.clone();
    let backend = super::pick_backend(args.backend)?;
    let [train, held] = section.load_domains().map_err(anyhow::Error::msg)?;
    eprintln!(
        "training the classifiers of {} and {} (label preservation; cached after the first run)…",
        train.names[0], train.names[1]
    );
    let judges = match judges(&train, &mut |_| {}) {
        Ok(j) => Some(j),
        Err(why) => {
            eprintln!("note: no label preservation: {why}");
            None
        }
    };
    let baseline = judges
        .as_ref()
        .map(|j| untranslated_baseline(&held, j))
        .unwrap_or_default();
    for b in &baseline {
        eprintln!(
            "note: untranslated, {:.1} % of held-out {} images get their label from the {} classifier (label preservation {} should beat it)",
            100.0 * b.agreement,
            b.source,
            b.target,
            b.direction
        );
    }
    let references = TargetReferences::new(&held, judges.as_ref());
    let mut run = CycleRun::new(section.config(), Arc::new(train), &backend.device)?;
    if let Some(ckpt) = &resumed {
        ckpt.restore_into(&mut run)?;
        eprintln!("resumed from {} at step {}", ckpt.path.display(), ckpt.step);
    }
    if let Some(g) = &run.guides {
        eprintln!(
            "semantic consistency on (weight {}): guide classifiers {:.1} % ({}) and {:.1} % ({}) on held-out training images",
            section.semantic,
            100.0 * g.accuracy[0],
            run.domains.names[0],
            100.0 * g.accuracy[1],
            run.domains.names[1]
        );
    }
    let d = &run.domains;
    eprintln!(
        "{}: CycleGAN {} ({} images) ↔ {} ({} images), {} held out each, {steps} steps",
        if preset.name.is_empty() {
            "run"
        } else {
            &preset.name
        },
        d.names[0],
        d.a.len(),
        d.names[1],
        d.b.len(),
        held.a.len(),
    );
    let before: Vec<MetricValue> = baseline
        .iter()
        .map(|b| MetricValue {
            name: b.metric(),
            step: run.step,
            value: b.agreement,
        })
        .collect();
    let intervals = [section.sample_every, section.metrics_every];
    let mut training = Training {
        run,
        preset: &preset,
        held: &held,
        judges: judges.as_ref(),
        references: &references,
    };
    train_rounds(args, &mut training, (steps, intervals), &out, before)?;
    let run = training.run;
    if let Some(r) = run.log.reports.last() {
        for v in &r.values {
            outln!("{:<24} {:.4}", v.name, v.value);
        }
    }
    outln!(
        "wrote {}/{{checkpoint.ganvas,metrics.csv,translations.png}}",
        out.display()
    );
    Ok(())
}

impl FamilyPreset for CyclePreset {
    const DIR: &'static str = "cyclegan";
    const RUN: &'static str = "a CycleGAN run";

    fn same_run(&self, other: &Self) -> bool {
        self.cyclegan == other.cyclegan
    }

    fn steps(&self) -> u64 {
        self.cyclegan.steps
    }

    fn set_seed(&mut self, seed: u64) {
        self.cyclegan.seed = seed;
    }
}
