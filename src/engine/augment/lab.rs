//! An augmentation experiment from a GAN configuration and a plan to a results folder: what
//! the CLI's `ganvas augment` and the window's lab tab both run. Every refusal (an
//! unconditional model, points instead of images, an N the pool cannot give, a folder of
//! another setup) comes before any training; the judge of GAN-test is trained only when a
//! run is left to do.

use std::path::{Path, PathBuf};

use super::experiment::{Bench, RunResult};
use super::gan::GanSynthesizer;
use super::plan::AugmentPlan;
use super::results::{self, AugmentError, Outcome, Progress};
use super::split::{self, SplitError};
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::data::{self, Dataset};

/// What the lab reports while it works.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LabProgress<'a> {
    /// The experiment's results go to this folder (said first).
    Folder(&'a Path),
    /// The runs the folder already holds, before any training.
    Found(&'a [RunResult]),
    /// The judge of GAN-test is training on the whole pool: this fraction done.
    Judge(f32),
    /// A run's stage, or a finished run.
    Run(Progress<'a>),
}

/// Why an experiment could not run or stopped short.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("the plan: {0}")]
    Plan(String),
    #[error("{0}")]
    Generator(String),
    #[error("the data: {0}")]
    Data(String),
    #[error("the augmentation lab needs labelled images, not 2D points")]
    Points,
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error("the results folder: {0}")]
    Folder(String),
    #[error(transparent)]
    Augment(#[from] AugmentError),
}

/// Where the results go when no folder is named: one folder per preset and setup in the
/// cache folder, so a rerun of the same setup resumes and another setup starts afresh.
pub fn default_folder(name: &str) -> Option<PathBuf> {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    crate::engine::metrics::classifier::cache_dir().map(|d| d.join("augment").join(safe))
}

/// Where to write: a folder, or the cache's folder for a name (the setup's fingerprint is
/// appended to it).
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    Folder(PathBuf),
    Cache(String),
}

/// Runs `plan` with the conditional GAN `config` on `backend`, results in `destination`.
/// `progress` stops the experiment (finished runs kept) by returning false.
pub fn run(
    config: &TrainConfig,
    plan: &AugmentPlan,
    destination: &Destination,
    backend: Backend,
    progress: &mut dyn FnMut(LabProgress<'_>) -> bool,
) -> Result<Outcome, LabError> {
    plan.validate().map_err(LabError::Plan)?;
    let loaded = data::load(&config.data).map_err(|e| LabError::Data(e.to_string()))?;
    let Dataset::Images(set) = loaded.dataset else {
        return Err(LabError::Points);
    };
    let steps = plan.gan_steps_for(config);
    let mut synthesizer =
        GanSynthesizer::new(config.clone(), steps, backend).map_err(LabError::Generator)?;
    let labels = set.labels.as_ref().ok_or(SplitError::NoLabels)?;
    // The largest N must fit every class of the training pool.
    let split = split::split(labels, set.class_names.len())?;
    if let Some(&largest) = plan.per_class.iter().max() {
        split::subset(&split.pool, labels, &set.class_names, largest, 0)?;
    }
    let setup = plan.setup(config, set.len(), set.class_names.len());
    let folder = match destination {
        Destination::Folder(folder) => folder.clone(),
        Destination::Cache(name) => default_folder(&format!("{name}-{}", setup.fingerprint()))
            .ok_or_else(|| LabError::Folder("no cache folder (HOME is not set)".into()))?,
    };
    std::fs::create_dir_all(&folder)
        .map_err(|e| LabError::Folder(format!("cannot create {}: {e}", folder.display())))?;
    setup.claim(&folder).map_err(LabError::Folder)?;
    progress(LabProgress::Folder(&folder));
    let path = folder.join(RESULTS_FILE);
    let done = results::read(&path).map_err(LabError::Folder)?;
    progress(LabProgress::Found(&done));
    let runs = plan.runs();
    if runs
        .iter()
        .all(|&(n, s)| done.iter().any(|r| (r.per_class, r.seed) == (n, s)))
    {
        return Ok(Outcome {
            results: done,
            stopped: false,
        });
    }
    let bench = Bench::new(&set, plan.recipe(), &mut |f| {
        progress(LabProgress::Judge(f))
    })?;
    let Some(bench) = bench else {
        return Ok(Outcome {
            results: done,
            stopped: true,
        });
    };
    Ok(results::run_all(
        &bench,
        &mut synthesizer,
        &runs,
        &path,
        &mut |p| progress(LabProgress::Run(p)),
    )?)
}

/// The results file's name in an experiment's folder.
pub const RESULTS_FILE: &str = "results.csv";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::backend::{BackendChoice, select};
    use crate::engine::preset::Preset;

    fn digits_cgan() -> TrainConfig {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/digits-cgan.toml");
        Preset::load(&path)
            .expect("the digits cGAN preset")
            .config()
    }

    fn tiny_plan() -> AugmentPlan {
        AugmentPlan {
            per_class: vec![4],
            seeds: vec![1],
            gan_steps: Some(2),
            classifier_steps: 3,
            synthetic_per_class: 4,
            mix: 0.5,
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ganvas-lab-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_plan_runs_into_its_folder_and_a_rerun_trains_nothing() {
        let dir = temp("rerun");
        let destination = Destination::Folder(dir.clone());
        let cpu = || select(BackendChoice::Cpu).expect("cpu");
        let mut judged = false;
        let outcome = run(
            &digits_cgan(),
            &tiny_plan(),
            &destination,
            cpu(),
            &mut |p| {
                judged |= matches!(p, LabProgress::Judge(_));
                true
            },
        )
        .expect("runs");
        assert!(!outcome.stopped && judged);
        assert_eq!(outcome.results.len(), 1);
        assert!(
            dir.join(RESULTS_FILE).exists() && dir.join(super::super::plan::SETUP_FILE).exists()
        );
        // The same plan again: read back, no judge, no generator.
        let mut trained = false;
        let again = run(
            &digits_cgan(),
            &tiny_plan(),
            &destination,
            cpu(),
            &mut |p| {
                trained |= matches!(p, LabProgress::Judge(_) | LabProgress::Run(_));
                true
            },
        )
        .expect("reads back");
        assert!(!trained);
        assert_eq!(
            results::to_csv(&again.results),
            results::to_csv(&outcome.results)
        );
        // Another setup in the same folder is refused before any training.
        let other = AugmentPlan {
            classifier_steps: 4,
            ..tiny_plan()
        };
        let err = run(&digits_cgan(), &other, &destination, cpu(), &mut |_| true)
            .expect_err("another setup");
        assert!(
            err.to_string().contains("classifier_steps 3 there, 4 here"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn refusals_come_before_any_training() {
        let dir = temp("refusals");
        let destination = Destination::Folder(dir.clone());
        let cpu = || select(BackendChoice::Cpu).expect("cpu");
        let mut unconditional = digits_cgan();
        unconditional.model.conditional = false;
        let err = run(
            &unconditional,
            &tiny_plan(),
            &destination,
            cpu(),
            &mut |_| true,
        );
        assert!(matches!(err, Err(LabError::Generator(_))), "{err:?}");
        let too_many = AugmentPlan {
            per_class: vec![4, 100_000],
            ..tiny_plan()
        };
        let err = run(&digits_cgan(), &too_many, &destination, cpu(), &mut |_| {
            true
        });
        assert!(matches!(err, Err(LabError::Split(_))), "{err:?}");
        assert!(!dir.exists(), "nothing written for a refused plan");
    }
}
