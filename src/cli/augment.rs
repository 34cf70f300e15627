//! `ganvas augment`: does a conditional GAN's output make a better classifier? Runs the
//! augmentation lab's experiment (`engine::augment`) for each N per class and seed, writing
//! `results.csv` after every run (a rerun with the same --out resumes), then prints the table
//! and draws it as `chart.png`.

use std::path::PathBuf;

use crate::engine::augment::chart;
use crate::engine::augment::experiment::{RunResult, STAGES};
use crate::engine::augment::lab::{self, Destination, LabProgress};
use crate::engine::augment::plan::AugmentPlan;
use crate::engine::augment::results::{self, Progress, Summary};
use crate::engine::backend::{self, BackendChoice};
use crate::engine::preset::{self, Preset};

/// Options of `ganvas augment`. Unset options come from the preset's `[augment]` section,
/// else the defaults shown.
#[derive(Debug, clap::Args)]
pub struct AugmentArgs {
    /// A conditional GAN preset (TOML): its data is the labelled set, its model and
    /// optimizers what is trained on each subset (e.g. presets/mnist-cgan.toml).
    #[arg(long)]
    pub preset: PathBuf,
    /// Labelled images per class the generator and classifiers may train on, comma-separated
    /// [default: 10,50,100].
    #[arg(long, value_delimiter = ',')]
    pub per_class: Option<Vec<usize>>,
    /// Seeds, comma-separated: each N is run once per seed (mean ± spread over them)
    /// [default: 1,2,3].
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Rounds the generator trains on each subset [default: the preset's `train.steps`].
    #[arg(long)]
    pub gan_steps: Option<u64>,
    /// Adam steps (batch 128) of each classifier [default: 1000].
    #[arg(long)]
    pub classifier_steps: Option<usize>,
    /// Synthetic images drawn per class [default: 500].
    #[arg(long)]
    pub synthetic_per_class: Option<usize>,
    /// The share of synthetic images in the real + synthetic classifier's batches, 0-1
    /// [default: 0.5].
    #[arg(long)]
    pub mix: Option<f32>,
    /// Folder for results.csv, setup.toml and chart.png (a rerun with the same folder skips
    /// the finished runs; a folder of another setup is refused).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
}

impl AugmentArgs {
    /// The preset's plan with the options given here laid over it.
    fn plan(&self, preset: Option<AugmentPlan>) -> AugmentPlan {
        let mut plan = preset.unwrap_or_default();
        let Self {
            per_class,
            seeds,
            gan_steps,
            classifier_steps,
            synthetic_per_class,
            mix,
            ..
        } = self;
        plan.per_class = per_class.clone().unwrap_or(plan.per_class);
        plan.seeds = seeds.clone().unwrap_or(plan.seeds);
        plan.gan_steps = gan_steps.or(plan.gan_steps);
        plan.classifier_steps = classifier_steps.unwrap_or(plan.classifier_steps);
        plan.synthetic_per_class = synthetic_per_class.unwrap_or(plan.synthetic_per_class);
        plan.mix = mix.unwrap_or(plan.mix);
        plan
    }
}

pub fn run(args: &AugmentArgs) -> anyhow::Result<()> {
    let text = preset::read_text(&args.preset)?;
    if let Some(family) = preset::family_of(&text).filter(|f| f != "gan") {
        anyhow::bail!(
            "{} is a {family} preset; the augmentation lab trains a conditional GAN \
             (e.g. presets/mnist-cgan.toml)",
            args.preset.display()
        );
    }
    let loaded_preset = Preset::load(&args.preset)?;
    let config = loaded_preset.config();
    let plan = args.plan(loaded_preset.augment.clone());
    let backend = backend::select(args.backend)?;
    outln!(
        "the generator: {} rounds on {} per subset; N per class {:?}, seeds {:?}",
        plan.gan_steps_for(&config),
        backend.name,
        plan.per_class,
        plan.seeds
    );
    super::interrupt::install();
    let mut last = (usize::MAX, usize::MAX);
    let mut judging = false;
    let destination = Destination::Folder(args.out.clone());
    let outcome = lab::run(&config, &plan, &destination, backend, &mut |p| {
        match p {
            LabProgress::Found(done) if !done.is_empty() => {
                eprintln!(
                    "{} finished runs found in {}",
                    done.len(),
                    args.out.display()
                );
            }
            LabProgress::Judge(_) if !judging => {
                judging = true;
                eprintln!("training the judge of GAN-test on the whole training pool…");
            }
            LabProgress::Run(Progress::Stage(at)) if (at.run, at.stage) != last => {
                eprintln!(
                    "run {}/{} (N = {}, seed {}): {}…",
                    at.run + 1,
                    at.total,
                    at.per_class,
                    at.seed,
                    STAGES[at.stage]
                );
                last = (at.run, at.stage);
            }
            _ => {}
        }
        !super::interrupt::requested()
    })?;
    let path = args.out.join(lab::RESULTS_FILE);
    report(
        &outcome.results,
        &loaded_preset.name,
        args,
        &path,
        outcome.stopped,
    )
}

/// Prints the table, draws the chart, and says what was written (and, when stopped, how to
/// go on).
fn report(
    finished: &[RunResult],
    preset_name: &str,
    args: &AugmentArgs,
    path: &std::path::Path,
    stopped: bool,
) -> anyhow::Result<()> {
    let summaries = results::summarise(finished);
    print_table(&summaries);
    for s in &summaries {
        outln!("{}", s.verdict());
    }
    let chart = args.out.join("chart.png");
    let title = format!("{preset_name}: held-out accuracy by N per class (mean +/- sd over seeds)");
    chart::write_png(&summaries, &title, &chart)?;
    outln!("wrote {} and {}", path.display(), chart.display());
    if stopped {
        return Err(super::interrupt::Interrupted(format!(
            "stopped: {} finished runs kept in {}; run the same command again to go on",
            finished.len(),
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// The summary as a Markdown table: accuracies on the held-out real images, mean ± standard
/// deviation over seeds.
pub fn table(summaries: &[Summary]) -> String {
    let mut text = String::from(
        "| N per class | runs | real | synthetic only (GAN-train) | real + synthetic | classic augmentation | GAN-test | s per run |\n|---|---|---|---|---|---|---|---|\n",
    );
    for s in summaries {
        let cell = |v: results::Spread| format!("{:.3} ± {:.3}", v.mean, v.std);
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} |\n",
            s.per_class,
            s.runs,
            cell(s.real),
            cell(s.synthetic),
            cell(s.mixed),
            cell(s.classic),
            cell(s.gan_test),
            s.secs
        ));
    }
    text
}

fn print_table(summaries: &[Summary]) {
    for line in table(summaries).lines() {
        outln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: AugmentArgs,
    }

    fn args(line: &[&str]) -> AugmentArgs {
        let mut all = vec!["ganvas", "--preset", "p.toml", "--out", "o"];
        all.extend_from_slice(line);
        Cli::try_parse_from(all).expect("valid flags").args
    }

    #[test]
    fn flags_override_the_presets_plan_and_the_rest_comes_from_it() {
        let preset = AugmentPlan {
            per_class: vec![10, 50],
            seeds: vec![1, 2, 3],
            gan_steps: Some(600),
            classifier_steps: 500,
            synthetic_per_class: 200,
            mix: 0.5,
        };
        let plan = args(&["--seeds", "7,8", "--mix", "0.25"]).plan(Some(preset.clone()));
        assert_eq!(
            plan,
            AugmentPlan {
                seeds: vec![7, 8],
                mix: 0.25,
                ..preset
            }
        );
        assert_eq!(args(&[]).plan(None), AugmentPlan::default());
    }
}
