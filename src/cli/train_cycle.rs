//! `ganvas train` for a CycleGAN preset (or `--resume` of a CycleGAN run): the two domains'
//! classifiers for label preservation, then rounds with a progress bar, evaluations on the
//! held-out images, autosave and Ctrl-C as for a GAN. The run directory receives
//! `checkpoint.ganvas`, `metrics.csv` (the headline curves every `sample_every` rounds, the
//! evaluations every `metrics_every`) and `translations.png` (the translation strips).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::family_plan::{FamilyPreset, Plan, Resumed, plan};
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
use crate::engine::trainer::protocol::{MetricValue, StepKind, StepStats};

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
    let mut history: Vec<MetricValue> = Vec::new();
    for b in &baseline {
        history.push(MetricValue {
            name: b.metric(),
            step: run.step,
            value: b.agreement,
        });
    }
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
            save_outputs(&run, &preset, &held, &history, &out)?;
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
        if let Some(what) = crate::engine::cyclegan::divergence(&stats) {
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
            let report = evaluate(&run, &held, judges.as_ref(), Some(&references));
            if let Some(alert) = collapse_alert(&report, &run.domains.names) {
                bar.suspend(|| eprintln!("warning: {alert}"));
            }
            let shown: Vec<String> = report
                .values
                .iter()
                .map(|v| format!("{} {:.3}", v.name, v.value))
                .collect();
            bar.set_message(shown.join(", "));
            history.extend(report.values.iter().cloned());
            run.log.push_report(report);
        }
        bar.inc(1);
        last = Some(stats);
        if autosave.is_some_and(|every| saved_at.elapsed() >= every) {
            if let Err(e) = save_outputs(&run, &preset, &held, &history, &out) {
                bar.suspend(|| eprintln!("warning: autosave at step {step} failed: {e:#}"));
            }
            saved_at = Instant::now();
        }
    }
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    save_outputs(&run, &preset, &held, &history, &out)?;
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
