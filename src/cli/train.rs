//! `ganvas train`: a preset run with a progress bar, then a summary and the run's files.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::module::Module;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::backend::BackendChoice;
use crate::engine::checkpoint;
use crate::engine::export;
use crate::engine::trainer::protocol::{MetricValue, StepKind, StepStats};
use crate::engine::trainer::session::Session;

/// Options of `ganvas train`. The run directory receives `checkpoint.ganvas`, `metrics.csv`
/// (losses every `sample_every` steps, metrics every `metrics_every`), `samples.png` and
/// `generator.safetensors` (the sampling generator: the EMA when on).
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Preset file (TOML); the embedded digits DCGAN when omitted.
    #[arg(long)]
    pub preset: Option<PathBuf>,
    /// Rounds to train (default: the preset's `train.steps`; with --resume of a run that
    /// stopped before its `train.steps`, the rounds it has left).
    #[arg(long)]
    pub steps: Option<u64>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Seed (default: the preset's `train.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output directory (default: the resumed run's directory, else runs/<preset file name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue from this checkpoint (or run directory) instead of starting afresh; without
    /// --preset the run goes on with the configuration saved in the checkpoint.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Save the run's files every this many seconds while it trains (0: only at the end), so
    /// that a crash costs at most that much of it. Ctrl-C always saves before it stops.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub autosave: u64,
    /// Replace a run that the output directory already holds (without it, ganvas refuses
    /// to write a new run over an existing one).
    #[arg(long)]
    pub force: bool,
}

/// The most rounds one command may train (about 30 years at 1,000 steps/s): a larger --steps
/// is a typo, and step arithmetic must not overflow.
pub const MAX_STEPS: u64 = 1_000_000_000_000;

/// Metrics shown beside the progress bar.
const SHOWN: [&str; 4] = [
    "modes_covered",
    "high_quality_pct",
    "classes_covered",
    "mean_confidence",
];

/// Runs `ganvas train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    // Another family's preset or run goes to that family's loop.
    use crate::engine::{captions, cyclegan, stylegan, superres};
    let preset_family = match &args.preset {
        Some(path) => crate::engine::preset::family_of(&crate::engine::preset::read_text(path)?),
        None => None,
    };
    let resumed_family = match &args.resume {
        Some(path) => Some(checkpoint::peek(path)?.0.key),
        None => None,
    };
    let family = preset_family.as_deref().or(resumed_family);
    if family == Some(cyclegan::DESCRIPTION.key) {
        let preset = match &args.preset {
            Some(path) => Some(cyclegan::preset::CyclePreset::load(path)?),
            None => None,
        };
        return super::train_cycle::run(args, preset);
    }
    if family == Some(superres::DESCRIPTION.key) {
        let preset = match &args.preset {
            Some(path) => Some(superres::preset::SrPreset::load(path)?),
            None => None,
        };
        return super::train_sr::run(args, preset);
    }
    if family == Some(stylegan::DESCRIPTION.key) {
        let preset = match &args.preset {
            Some(path) => Some(stylegan::preset::StylePreset::load(path)?),
            None => None,
        };
        return super::train_style::run(args, preset);
    }
    if family == Some(captions::DESCRIPTION.key) {
        let preset = match &args.preset {
            Some(path) => Some(captions::preset::CaptionPreset::load(path)?),
            None => None,
        };
        return super::train_captions::run(args, preset);
    }
    let resumed = match &args.resume {
        Some(path) => Some(checkpoint::Checkpoint::read(path)?),
        None => None,
    };
    let preset = super::load_preset(args.preset.as_ref())?;
    let mut config = match (&resumed, &args.preset) {
        (Some(ckpt), None) => ckpt.config.clone(),
        (Some(ckpt), Some(path)) => {
            // A preset beside --resume must describe the same run: anything else would be
            // silently overruled by the checkpoint's own configuration.
            let differs = resume_differences(&ckpt.config, &preset.config());
            anyhow::ensure!(
                differs.is_empty(),
                "{} does not describe the run in {} ({} differ{}): leave --preset out to go on \
                 with the checkpoint's own configuration, or start a new run with --out",
                path.display(),
                ckpt.path.display(),
                differs.join(", "),
                if differs.len() == 1 { "s" } else { "" }
            );
            ckpt.config.clone()
        }
        (None, _) => preset.config(),
    };
    if let Some(seed) = args.seed {
        config.train.seed = seed;
    }
    let planned = config.train.steps as u64;
    let steps = match (args.steps, &resumed) {
        (Some(n), _) => n,
        // An interrupted run: finish it rather than start its whole length again.
        (None, Some(ckpt)) if ckpt.step < planned => planned - ckpt.step,
        (None, _) => planned,
    };
    let done_before = resumed.as_ref().map_or(0, |c| c.step);
    anyhow::ensure!(
        steps <= MAX_STEPS && done_before.checked_add(steps).is_some(),
        "--steps {steps} is too many (at most {MAX_STEPS})"
    );
    let resumed_dir = resumed
        .as_ref()
        .and_then(|c| c.path.parent().map(PathBuf::from))
        .filter(|dir| !dir.as_os_str().is_empty());
    let out = args.out.clone().or(resumed_dir.clone()).unwrap_or_else(|| {
        let stem = args
            .preset
            .as_ref()
            .and_then(|p| p.file_stem())
            .map_or("digits-dcgan".to_string(), |s| {
                s.to_string_lossy().into_owned()
            });
        PathBuf::from("runs").join(stem)
    });
    let _out_dir = guard_output(&out, resumed.as_ref().map(|c| c.path.as_path()), args.force)?;
    let backend = super::pick_backend(args.backend)?;
    let mut session = Session::new(config, backend)?;
    for note in &session.data_notes {
        eprintln!("note: {note}");
    }
    if let Some(ckpt) = &resumed {
        session.restore(ckpt)?;
        eprintln!("resumed from {} at step {}", ckpt.path.display(), ckpt.step);
    }
    super::eval::attach_classifier(&mut session)?;
    let info = session.info();
    eprintln!(
        "{}: {} + {}, G {} params, D {} params, {} steps",
        if resumed.is_some() && args.preset.is_none() {
            "resumed run"
        } else if preset.name.is_empty() {
            "run"
        } else {
            &preset.name
        },
        format!("{:?}", session.config.model.family).to_lowercase(),
        session.config.objective.name(),
        info.g_params,
        info.d_params,
        steps
    );

    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // A resumed run's CSV holds the curves and metrics that led to its checkpoint too.
    let every = session.config.train.sample_every as u64;
    let mut history: Vec<MetricValue> = Vec::new();
    for s in &session.log.stats {
        if s.kind == StepKind::Round && s.step.is_multiple_of(every) {
            history.extend(curve_values(s));
        }
    }
    let mut reports = session.log.reports.clone();
    history.extend(reports.iter().flat_map(|r| r.values.iter().cloned()));
    history.sort_by_key(|v| v.step);
    super::interrupt::install();
    let autosave = (args.autosave > 0).then(|| Duration::from_secs(args.autosave));
    let started = Instant::now();
    let mut saved_at = Instant::now();
    let first = session.step();
    let mut last = None;
    while session.step() < first + steps {
        if super::interrupt::requested() {
            bar.abandon();
            save_outputs(&session, &history, &out)?;
            return Err(
                super::interrupt::Interrupted(stopped_note(&session, first + steps, &out)).into(),
            );
        }
        let stats = match session.step_once(StepKind::Round) {
            Ok(s) => s,
            Err(e) => {
                bar.abandon();
                let what = match e {
                    crate::engine::trainer::session::SessionError::Diverged { step, what } => {
                        format!("training diverged at step {step} ({what})")
                    }
                    other => other.to_string(),
                };
                anyhow::bail!(
                    "{what}; {}",
                    save_after_divergence(&mut session, &history, &out)
                );
            }
        };
        let step = stats.step;
        if step.is_multiple_of(every) || step == first + steps {
            history.extend(curve_values(&stats));
        }
        if step % session.config.train.metrics_every as u64 == 0 || step == first + steps {
            let m = session.evaluate();
            let shown: Vec<String> = m
                .values
                .iter()
                .filter(|v| SHOWN.contains(&v.name.as_str()))
                .map(|v| format!("{} {:.2}", v.name, v.value))
                .collect();
            if bar.is_hidden() {
                // No terminal (a log file, CI): one line per evaluation instead of a bar.
                let rate = (step - first) as f64 / started.elapsed().as_secs_f64().max(1e-9);
                eprintln!(
                    "step {step}/{} ({rate:.1} steps/s) {}",
                    first + steps,
                    shown.join(" ")
                );
            } else {
                bar.set_message(shown.join(" "));
            }
            history.extend(m.values.iter().cloned());
            reports.push(m);
        }
        bar.inc(1);
        last = Some(stats);
        if autosave.is_some_and(|every| saved_at.elapsed() >= every)
            && session.step() < first + steps
        {
            // A failed autosave (disk full, directory gone) must not end the run it protects:
            // say so and keep training; the final save reports a lasting problem.
            if let Err(e) = save_outputs(&session, &history, &out) {
                bar.suspend(|| {
                    eprintln!("warning: autosave at step {} failed: {e:#}", session.step())
                });
            }
            saved_at = Instant::now();
        }
    }
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    save_outputs(&session, &history, &out)?;
    outln!(
        "trained {} steps in {secs:.1} s ({:.1} steps/s)",
        steps,
        steps as f64 / secs.max(1e-9)
    );
    if let Some(s) = last {
        outln!("final: {}", headline_text(&s));
    }
    if let Some(last) = reports.last() {
        super::eval::print_report(last);
    }
    if let Some(alert) = crate::engine::metrics::collapse::assess(&reports) {
        outln!("{}", alert.message);
    }
    outln!(
        "wrote {}/{{checkpoint.ganvas,metrics.csv,samples.png,generator.safetensors}}",
        out.display()
    );
    Ok(())
}

/// After a divergence: saves the state before the step that diverged when its weights are
/// finite, and says what happened to the run's files (a NaN state is never written).
fn save_after_divergence(
    session: &mut Session,
    history: &[MetricValue],
    out: &std::path::Path,
) -> String {
    let restored = session.restore_last_good();
    match (restored, save_outputs(session, history, out)) {
        (Some(step), Ok(())) => format!(
            "saved the last good state (step {step}) in {}; lower the learning rates before going on",
            out.display()
        ),
        (_, Err(e)) => format!(
            "the files in {} were left as they were ({e:#})",
            out.display()
        ),
        (None, Ok(())) => format!("saved the run in {}", out.display()),
    }
}

/// Sections of a preset's configuration that differ from a resumed checkpoint's (its number
/// of steps aside: that is what --steps changes; data paths compared as files).
fn resume_differences(
    checkpoint: &crate::engine::config::TrainConfig,
    preset: &crate::engine::config::TrainConfig,
) -> Vec<&'static str> {
    let same_data = checkpoint.data == preset.data
        || checkpoint::same_data_files(&checkpoint.data, &preset.data);
    let mut a = checkpoint.train.clone();
    a.steps = preset.train.steps;
    [
        ("data", !same_data),
        ("model", checkpoint.model != preset.model),
        ("objective", checkpoint.objective != preset.objective),
        ("train", a != preset.train),
        ("optimizer", checkpoint.optimizer != preset.optimizer),
        ("tricks", checkpoint.tricks != preset.tricks),
    ]
    .into_iter()
    .filter(|(_, differs)| *differs)
    .map(|(name, _)| name)
    .collect()
}

/// An output directory this run created: removed again when the run ends with it still
/// empty (the data failed to load, say), so that a failed start leaves nothing behind.
/// `remove_dir` only removes an empty directory, so a run's files are never touched.
pub(super) struct OutputDir(Option<std::path::PathBuf>);

impl Drop for OutputDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Before any training: the output directory exists and takes files, and does not hold
/// another run (unless it is the run being resumed, or --force says to replace it). Keep the
/// returned guard for the whole run.
pub(super) fn guard_output(
    out: &std::path::Path,
    resumed: Option<&std::path::Path>,
    force: bool,
) -> anyhow::Result<OutputDir> {
    let existing = out.join(checkpoint::LATEST);
    if existing.exists() && !force {
        let same = resumed.is_some_and(|path| {
            std::fs::canonicalize(path).ok() == std::fs::canonicalize(&existing).ok()
        });
        if !same {
            let step = checkpoint::peek(&existing)
                .map(|(family, step)| match family.key {
                    "gan" => format!("step {step}"),
                    _ => format!("a {} run, step {step}", family.name),
                })
                .unwrap_or_else(|_| "unreadable".into());
            anyhow::bail!(
                "{} already holds a run ({step}): go on with --resume {}, write elsewhere with --out, \
                 or replace it with --force",
                out.display(),
                out.display()
            );
        }
    }
    let created = (!out.exists()).then(|| out.to_path_buf());
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let guard = OutputDir(created);
    let probe = out.join(format!(".ganvas-write-test.{}", std::process::id()));
    std::fs::write(&probe, b"ok").with_context(|| {
        format!(
            "cannot write into {} (checked before training)",
            out.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(guard)
}

/// What a stopped run says: where it stopped, where it is saved, how to go on.
fn stopped_note(session: &Session, target: u64, out: &std::path::Path) -> String {
    let step = session.step();
    format!(
        "stopped at step {step} of {target} (interrupted); the run is saved in {dir}.\n\
         Go on with: ganvas train --resume {dir} --steps {left}",
        dir = out.display(),
        left = target - step
    )
}

/// The headline curves of one round (a GAN's losses and D outputs) as metric values (the
/// CSV's rows).
fn curve_values(stats: &StepStats) -> Vec<MetricValue> {
    let headline = stats.family.curves.iter().map(|c| c.headline);
    stats
        .named()
        .zip(headline)
        .filter(|(_, h)| *h)
        .map(|((name, value), _)| MetricValue {
            name: name.into(),
            step: stats.step,
            value: value as f64,
        })
        .collect()
}

/// "G loss 0.6931, D loss 1.3862, …": the headline curves of a round.
fn headline_text(stats: &StepStats) -> String {
    let family = stats.family;
    family
        .curves
        .iter()
        .zip(&stats.values)
        .filter(|(c, _)| c.headline)
        .map(|(c, v)| format!("{} {v:.4}", c.label))
        .collect::<Vec<_>>()
        .join(", ")
}

fn save_outputs(
    session: &Session,
    history: &[MetricValue],
    out: &std::path::Path,
) -> anyhow::Result<()> {
    session.save_checkpoint(&out.join(checkpoint::LATEST))?;
    export::write_metrics_csv(history, &out.join("metrics.csv"))?;
    let samples = session.snapshot();
    let real = match session.data.points() {
        Some(p) => p.sample_flat(&mut crate::engine::rng::Rng::seeded(1), 1000),
        None => Vec::new(),
    };
    if samples.side == 0 {
        // 2D: D's decision behind the points, as in the window.
        let resolution = 128;
        let bounds = export::points_bounds(&samples.values, &real);
        let field = session.d_field(resolution, bounds).ok();
        let title = format!("step {}: generated (orange), real (grey)", session.step());
        export::write_points_png(
            &samples,
            &real,
            field.as_deref().map(|f| (f, resolution)),
            &title,
            &out.join("samples.png"),
        )?;
    } else {
        export::write_png(&samples, &real, &out.join("samples.png"))?;
    }
    let g = match &session.state.ema {
        Some(ema) => ema.clone(),
        None => session.state.g.valid(),
    };
    export::write_safetensors(&g, &out.join("generator.safetensors"))?;
    Ok(())
}
