//! Where `ganvas train` on an image family (CycleGAN, super-resolution) starts: the preset
//! (the one given, which must describe a resumed run, or the checkpoint's own), the seed
//! asked for, how many rounds to train, and the run directory (checked before training).

use std::path::{Path, PathBuf};

use super::train::{MAX_STEPS, OutputDir, TrainArgs, guard_output};

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
