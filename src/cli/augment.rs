//! `ganvas augment`: does a conditional GAN's output make a better classifier? Runs the
//! augmentation lab's experiment (`engine::augment`) for each N per class and seed, writing
//! `results.csv` after every run (a rerun with the same --out resumes), then prints the table
//! and draws it as `chart.png`.

use std::path::PathBuf;

use anyhow::Context;

use crate::engine::augment::chart;
use crate::engine::augment::classic::Jitter;
use crate::engine::augment::experiment::{Bench, Recipe, RunResult, STAGES};
use crate::engine::augment::gan::GanSynthesizer;
use crate::engine::augment::results::{self, Summary};
use crate::engine::augment::split;
use crate::engine::backend::{self, BackendChoice};
use crate::engine::data::{self, Dataset};
use crate::engine::preset::{self, Preset};

/// Options of `ganvas augment`.
#[derive(Debug, clap::Args)]
pub struct AugmentArgs {
    /// A conditional GAN preset (TOML): its data is the labelled set, its model and
    /// optimizers what is trained on each subset (e.g. presets/mnist-cgan.toml).
    #[arg(long)]
    pub preset: PathBuf,
    /// Labelled images per class the generator and classifiers may train on, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,50,100")]
    pub per_class: Vec<usize>,
    /// Seeds, comma-separated: each N is run once per seed (mean ± spread over them).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub seeds: Vec<u64>,
    /// Rounds the generator trains on each subset (default: the preset's `train.steps`).
    #[arg(long)]
    pub gan_steps: Option<u64>,
    /// Adam steps (batch 128) of each classifier.
    #[arg(long, default_value_t = 1000)]
    pub classifier_steps: usize,
    /// Synthetic images drawn per class.
    #[arg(long, default_value_t = 500)]
    pub synthetic_per_class: usize,
    /// The share of synthetic images in the real + synthetic classifier's batches, 0-1.
    #[arg(long, default_value_t = 0.5)]
    pub mix: f32,
    /// Folder for results.csv (a rerun with the same folder skips the finished runs).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
}

pub fn run(args: &AugmentArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.mix),
        "--mix is the share of synthetic images in a batch: between 0 and 1, not {}",
        args.mix
    );
    anyhow::ensure!(
        !args.per_class.is_empty(),
        "--per-class needs at least one N"
    );
    anyhow::ensure!(!args.seeds.is_empty(), "--seeds needs at least one seed");
    anyhow::ensure!(
        args.classifier_steps > 0 && args.synthetic_per_class > 0,
        "--classifier-steps and --synthetic-per-class must be at least 1"
    );
    let text = preset::read_text(&args.preset)?;
    if let Some(family) = preset::family_of(&text).filter(|f| f != "gan") {
        anyhow::bail!(
            "{} is a {family} preset; the augmentation lab trains a conditional GAN \
             (e.g. presets/mnist-cgan.toml)",
            args.preset.display()
        );
    }
    let loaded_preset = Preset::load(&args.preset)?;
    let (config, preset_name) = (loaded_preset.config(), loaded_preset.name.clone());
    let loaded = data::load(&config.data)?;
    let Dataset::Images(set) = loaded.dataset else {
        anyhow::bail!(
            "{}: the augmentation lab needs labelled images, not 2D points",
            args.preset.display()
        );
    };
    let backend = backend::select(args.backend)?;
    let steps = args.gan_steps.unwrap_or(config.train.steps as u64);
    let mut synthesizer =
        GanSynthesizer::new(config, steps, backend.clone()).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let path = args.out.join("results.csv");
    let recipe = Recipe {
        classifier_steps: args.classifier_steps,
        synthetic_per_class: args.synthetic_per_class,
        mix: args.mix,
        jitter: Jitter::default(),
    };
    outln!(
        "{} labelled images in {} classes; the generator: {steps} rounds on {} per subset",
        set.len(),
        set.class_names.len(),
        backend.name
    );
    // The largest N must fit every class of the training pool: said before any training.
    if let (Some(labels), Some(&largest)) = (&set.labels, args.per_class.iter().max()) {
        let split = split::split(labels, set.class_names.len())?;
        split::subset(&split.pool, labels, &set.class_names, largest, 0)?;
    }
    let done = results::read(&path).map_err(anyhow::Error::msg)?;
    let planned = args
        .per_class
        .iter()
        .flat_map(|&n| args.seeds.iter().map(move |&s| (n, s)));
    let all_done = planned
        .clone()
        .all(|(n, s)| done.iter().any(|r| (r.per_class, r.seed) == (n, s)));
    if all_done {
        // Nothing left to train: the table and chart of what the file holds.
        return report(&done, &preset_name, args, &path, false);
    }
    super::interrupt::install();
    let keep_going = || !super::interrupt::requested();
    eprintln!("training the judge of GAN-test on the whole training pool…");
    let bench = Bench::new(&set, recipe, &mut |_| keep_going())?
        .ok_or_else(|| super::interrupt::Interrupted("stopped before any run".into()))?;
    outln!(
        "training pool {} images, held out {} (every accuracy is on those)",
        bench.split.pool.len(),
        bench.split.held_out.len()
    );
    let mut last = (usize::MAX, usize::MAX);
    let outcome = results::run_all(
        &bench,
        &mut synthesizer,
        &args.per_class,
        &args.seeds,
        &path,
        &mut |k, total, stage, _| {
            if (k, stage) != last {
                eprintln!("run {}/{total}: {}…", k + 1, STAGES[stage]);
                last = (k, stage);
            }
            keep_going()
        },
    )?;
    report(&outcome.results, &preset_name, args, &path, outcome.stopped)
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
