//! `ganvas train` for a CycleGAN preset (or `--resume` of a CycleGAN run): the two domains'
//! classifiers for label preservation, then rounds with a progress bar, evaluations on the
//! held-out images, autosave and Ctrl-C as for a GAN. The run directory receives
//! `checkpoint.ganvas`, `metrics.csv` (the headline curves every `sample_every` rounds, the
//! evaluations every `metrics_every`) and `translations.png` (the translation strips).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::train::{MAX_STEPS, TrainArgs, guard_output};
use crate::engine::checkpoint::LATEST;
use crate::engine::cyclegan::checkpoint::{self as cycle_checkpoint, CycleCheckpoint};
use crate::engine::cyclegan::metrics::label_preservation;
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::cyclegan::run::CycleRun;
use crate::engine::cyclegan::strips::translation_strips;
use crate::engine::data::ImageSet;
use crate::engine::data::domains::DomainPair;
use crate::engine::export;
use crate::engine::metrics::classifier::{self, Classifier};
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind, StepStats};

/// Held-out images the cycle L1 is measured on.
const CYCLE_IMAGES: usize = 200;

/// What an evaluation reports, with the names the CSV and the progress bar use.
fn evaluate(run: &CycleRun, held: &DomainPair, judges: Option<&[Classifier; 2]>) -> MetricsReport {
    let step = run.step;
    let value = |name: &str, value: f64| MetricValue {
        name: name.into(),
        step,
        value,
    };
    let cycle = run.cycle_l1_on([&held.a, &held.b], CYCLE_IMAGES);
    let mut values = vec![
        value("cycle_l1_a", cycle[0] as f64),
        value("cycle_l1_b", cycle[1] as f64),
    ];
    if let Some([ja, jb]) = judges {
        let n = held.a.len().max(held.b.len());
        let [ab, ba] = label_preservation(run, [&held.a, &held.b], [ja, jb], n);
        values.extend(ab.map(|v| value("label_preservation_ab", v)));
        values.extend(ba.map(|v| value("label_preservation_ba", v)));
    }
    MetricsReport {
        step,
        values,
        histogram: None,
    }
}

/// How often each target domain's classifier gives held-out images of the other domain their
/// label untranslated (when their shapes allow): what label preservation must beat for a
/// translation to have helped the judge, and a warning where the judge itself is weak.
fn untranslated_baseline(held: &DomainPair, judges: &[Classifier; 2]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let directions = [
        ("ab", &held.a, &judges[1], &held.b),
        ("ba", &held.b, &judges[0], &held.a),
    ];
    for (dir, source, judge, target) in directions {
        let same_shape = source.image_len() == target.image_len();
        let (Some(labels), true) = (source.labels.as_ref(), same_shape) else {
            continue;
        };
        let x = source.gather(&(0..source.len()).collect::<Vec<_>>()).pixels;
        let labels: Vec<u32> = labels.iter().map(|&l| u32::from(l)).collect();
        let v = crate::engine::cyclegan::metrics::agreement(judge, &x, &labels);
        eprintln!(
            "note: untranslated, {:.1} % of held-out {} images get their label from the {} classifier (label preservation {dir} should beat it)",
            100.0 * v,
            if dir == "ab" {
                &held.names[0]
            } else {
                &held.names[1]
            },
            if dir == "ab" {
                &held.names[1]
            } else {
                &held.names[0]
            },
        );
        out.push((format!("untranslated_agreement_{dir}"), v));
    }
    out
}

/// Each domain's classifier (cached like the GAN's), or why there are none.
fn judges(train: &DomainPair) -> Result<[Classifier; 2], String> {
    let one = |set: &ImageSet, name: &str| {
        eprintln!("training the classifier of domain {name} (label preservation)…");
        classifier::for_dataset(set, &mut |_| {}).map_err(|e| format!("domain {name}: {e}"))
    };
    Ok([
        one(&train.a, &train.names[0])?,
        one(&train.b, &train.names[1])?,
    ])
}

fn curve_values(stats: &StepStats) -> impl Iterator<Item = MetricValue> + '_ {
    stats
        .family
        .curves
        .iter()
        .zip(&stats.values)
        .filter(|(c, _)| c.headline)
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
    let mut preset = match (preset, &resumed) {
        (Some(p), Some(ckpt)) => {
            anyhow::ensure!(
                p.cyclegan == ckpt.preset.cyclegan,
                "the preset does not describe the run in {}: leave --preset out to go on with \
                 the checkpoint's own configuration",
                ckpt.path.display()
            );
            p
        }
        (Some(p), None) => p,
        (None, Some(ckpt)) => ckpt.preset.clone(),
        (None, None) => anyhow::bail!("a CycleGAN run needs --preset or --resume"),
    };
    if let Some(seed) = args.seed {
        preset.cyclegan.seed = seed;
    }
    let section = preset.cyclegan.clone();
    let done = resumed.as_ref().map_or(0, |c| c.step);
    let steps = match args.steps {
        Some(n) => n,
        None if done < section.steps => section.steps - done,
        None => section.steps,
    };
    anyhow::ensure!(
        steps <= MAX_STEPS,
        "--steps {steps} is too many (at most {MAX_STEPS})"
    );
    let resumed_dir = resumed
        .as_ref()
        .and_then(|c| c.path.parent().map(PathBuf::from))
        .filter(|d| !d.as_os_str().is_empty());
    let out = args.out.clone().or(resumed_dir).unwrap_or_else(|| {
        let stem = args
            .preset
            .as_ref()
            .and_then(|p| p.file_stem())
            .map_or_else(|| "cyclegan".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("runs").join(stem)
    });
    guard_output(&out, resumed.as_ref().map(|c| c.path.as_path()), args.force)?;
    let backend = super::pick_backend(args.backend)?;
    let [train, held] = section.load_domains().map_err(anyhow::Error::msg)?;
    let judges = match judges(&train) {
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
    let mut run = CycleRun::new(section.config(), Arc::new(train), &backend.device)?;
    if let Some(ckpt) = &resumed {
        ckpt.restore_into(&mut run)?;
        eprintln!("resumed from {} at step {}", ckpt.path.display(), ckpt.step);
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
    for (name, value) in &baseline {
        history.push(MetricValue {
            name: name.clone(),
            step: run.step,
            value: *value,
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
        if let Some(what) = stats
            .named()
            .find(|(_, v)| !v.is_nan() && !v.is_finite())
            .map(|(k, v)| format!("{k} became {v}"))
        {
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
            let report = evaluate(&run, &held, judges.as_ref());
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
