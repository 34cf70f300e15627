//! Where `ganvas train` on an image family (CycleGAN, super-resolution) starts: the preset
//! (the one given, which must describe a resumed run, or the checkpoint's own), the seed
//! asked for, how many rounds to train, and the run directory (checked before training); and
//! the loop that trains it (progress bar, evaluations, autosave, Ctrl-C).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::train::{MAX_STEPS, OutputDir, TrainArgs, guard_output};
use super::train_cycle::curve_values;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind, StepStats};
use crate::engine::trainer::run_log::RunLog;

/// A resumed run as the plan needs it: its preset, its step and its checkpoint's path.
pub(super) struct Resumed<'a, P> {
    pub preset: &'a P,
    pub step: u64,
    pub path: &'a Path,
}

// By hand: a derive would ask P: Copy, and only references to P are held.
impl<P> Clone for Resumed<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for Resumed<'_, P> {}

/// What a family's preset tells the plan.
pub(super) trait FamilyPreset: Clone {
    /// The family as a run directory is named by default ("cyclegan").
    const DIR: &'static str;
    /// The family in messages ("a CycleGAN run").
    const RUN: &'static str;
    /// Whether `self` trains the same run as `other` (their training sections agree).
    fn same_run(&self, other: &Self) -> bool;
    /// The rounds the preset trains in all.
    fn steps(&self) -> u64;
    fn set_seed(&mut self, seed: u64);
}

pub(super) struct Plan<P> {
    pub preset: P,
    /// Rounds to train now.
    pub steps: u64,
    pub out: PathBuf,
    /// Holds the run directory for this process (see [`guard_output`]).
    pub guard: OutputDir,
}

pub(super) fn plan<P: FamilyPreset>(
    args: &TrainArgs,
    given: Option<P>,
    resumed: Option<Resumed<'_, P>>,
) -> anyhow::Result<Plan<P>> {
    let mut preset = match (given, &resumed) {
        (Some(p), Some(r)) => {
            anyhow::ensure!(
                p.same_run(r.preset),
                "the preset does not describe the run in {}: leave --preset out to go on with \
                 the checkpoint's own configuration",
                r.path.display()
            );
            p
        }
        (Some(p), None) => p,
        (None, Some(r)) => r.preset.clone(),
        (None, None) => anyhow::bail!("{} needs --preset or --resume", P::RUN),
    };
    if let Some(seed) = args.seed {
        preset.set_seed(seed);
    }
    let done = resumed.as_ref().map_or(0, |r| r.step);
    let steps = match args.steps {
        Some(n) => n,
        None if done < preset.steps() => preset.steps() - done,
        None => preset.steps(),
    };
    anyhow::ensure!(
        steps <= MAX_STEPS,
        "--steps {steps} is too many (at most {MAX_STEPS})"
    );
    let resumed_dir = resumed
        .as_ref()
        .and_then(|r| r.path.parent().map(PathBuf::from))
        .filter(|d| !d.as_os_str().is_empty());
    let out = args.out.clone().or(resumed_dir).unwrap_or_else(|| {
        let stem = args
            .preset
            .as_ref()
            .and_then(|p| p.file_stem())
            .map_or_else(|| P::DIR.into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("runs").join(stem)
    });
    let guard = guard_output(&out, resumed.as_ref().map(|r| r.path), args.force)?;
    Ok(Plan {
        preset,
        steps,
        out,
        guard,
    })
}

/// A family's run as `ganvas train`'s loop drives it.
pub(super) trait Trained {
    /// The run's log: its curves and evaluations so far.
    fn log(&self) -> &RunLog;
    fn rounds(&self) -> u64;
    /// One round.
    fn round(&mut self) -> anyhow::Result<StepStats>;
    /// What diverged in `stats`, if anything.
    fn diverged(&self, stats: &StepStats) -> Option<String>;
    /// An evaluation (already pushed into the run's log) and the progress bar's message;
    /// warnings are printed through `warn`.
    fn evaluate(&mut self, warn: &mut dyn FnMut(String)) -> (MetricsReport, String);
    /// Writes the run directory's files.
    fn save(&self, history: &[MetricValue], out: &Path) -> anyhow::Result<()>;
}

/// The headline curves the log holds every `sample_every` rounds and every evaluation: the
/// metrics CSV of a resumed run starts with them.
pub(super) fn history_of(log: &RunLog, sample_every: u64) -> Vec<MetricValue> {
    let mut history: Vec<MetricValue> = Vec::new();
    for s in log.stats.iter().filter(|s| s.kind == StepKind::Round) {
        if s.step.is_multiple_of(sample_every) {
            history.extend(curve_values(s));
        }
    }
    history.extend(log.reports.iter().flat_map(|r| r.values.iter().cloned()));
    history
}

/// Trains `steps` rounds of `run` with a progress bar, the CSV's rows every `sample_every`
/// rounds and evaluations every `metrics_every` (and at the end), autosave and Ctrl-C; saves
/// the run directory at the end and prints the speed and the last curves. The metrics CSV
/// starts with `before` (baselines measured once), then the log's history.
pub(super) fn train_rounds(
    args: &TrainArgs,
    run: &mut dyn Trained,
    (steps, [sample_every, metrics_every]): (u64, [u64; 2]),
    out: &Path,
    before: Vec<MetricValue>,
) -> anyhow::Result<()> {
    let mut history = before;
    history.extend(history_of(run.log(), sample_every));
    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    super::interrupt::install();
    let autosave = (args.autosave > 0).then(|| Duration::from_secs(args.autosave));
    let (started, first) = (Instant::now(), run.rounds());
    let mut saved_at = Instant::now();
    let mut last = None;
    while run.rounds() < first + steps {
        if super::interrupt::requested() {
            bar.abandon();
            run.save(&history, out)?;
            return Err(super::interrupt::Interrupted(format!(
                "stopped at step {} of {} (interrupted); the run is saved in {dir}.\n\
                 Go on with: ganvas train --resume {dir} --steps {}",
                run.rounds(),
                first + steps,
                first + steps - run.rounds(),
                dir = out.display()
            ))
            .into());
        }
        let stats = run.round()?;
        if let Some(what) = run.diverged(&stats) {
            bar.abandon();
            anyhow::bail!(
                "training diverged at step {} ({what}); the last saved checkpoint in {} is kept",
                run.rounds(),
                out.display()
            );
        }
        let step = stats.step;
        let end = step == first + steps;
        if step.is_multiple_of(sample_every) || end {
            history.extend(curve_values(&stats));
        }
        if step.is_multiple_of(metrics_every) || end {
            let mut warn = |w: String| bar.suspend(|| eprintln!("warning: {w}"));
            let (report, message) = run.evaluate(&mut warn);
            bar.set_message(message);
            history.extend(report.values.iter().cloned());
        }
        bar.inc(1);
        last = Some(stats);
        if autosave.is_some_and(|every| saved_at.elapsed() >= every) {
            if let Err(e) = run.save(&history, out) {
                bar.suspend(|| eprintln!("warning: autosave at step {step} failed: {e:#}"));
            }
            saved_at = Instant::now();
        }
    }
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    run.save(&history, out)?;
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
    Ok(())
}
