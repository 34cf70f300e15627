//! `ganvas fuzz`: long fuzzing runs of the file parsers (scripts/fuzz.sh runs every target);
//! `cargo test` runs a bounded number of cases of each. Crashing inputs are written to --out.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::engine::fuzz::{self, Budget, Target};

/// Options of `ganvas fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// idx, idx-gz, idx-labels, cifar, image, csv, preset, checkpoint, or all.
    #[arg(long, default_value = "all")]
    pub target: String,
    /// Seconds per target.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Seed of the mutations (a run is reproducible from its seed).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for the inputs that crashed a parser.
    #[arg(long, default_value = "fuzz-crashes")]
    pub out: PathBuf,
    /// Instead: flip every N-th byte of real checkpoints, one at a time (1: every byte), and
    /// drive each through sample, eval and resume.
    #[arg(long, value_name = "N")]
    pub sweep: Option<usize>,
}

/// Runs `ganvas fuzz`; fails when any input crashed a parser.
pub fn run(args: &FuzzArgs) -> anyhow::Result<()> {
    let targets: Vec<Target> = if args.target == "all" {
        Target::ALL.to_vec()
    } else {
        let t = Target::named(&args.target).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown target `{}`: one of {}, or all",
                args.target,
                Target::ALL.map(Target::name).join(", ")
            )
        })?;
        vec![t]
    };
    outln!("| target | cases | cases/s | accepted | crashes |");
    outln!("|---|---|---|---|---|");
    let mut crashed = 0;
    let runs: Vec<Option<Target>> = match args.sweep {
        Some(_) => vec![None],
        None => targets.into_iter().map(Some).collect(),
    };
    for run in runs {
        let report = match (run, args.sweep) {
            (Some(target), _) => fuzz::run(
                target,
                Budget::Time(Duration::from_secs(args.seconds)),
                args.seed,
            )?,
            (None, stride) => fuzz::sweep_checkpoints(stride.unwrap_or(1))?,
        };
        let target = report.target;
        outln!(
            "| {}{} | {} | {:.0} | {} | {} |",
            target.name(),
            if args.sweep.is_some() {
                " (byte sweep)"
            } else {
                ""
            },
            report.cases,
            report.cases_per_second(),
            report.accepted,
            report.crashes.len()
        );
        for (i, c) in report.crashes.iter().enumerate().take(20) {
            std::fs::create_dir_all(&args.out)?;
            let path = args.out.join(format!("{}-{i}.bin", target.name()));
            std::fs::write(&path, &c.input)?;
            eprintln!("crash: {} (input: {})", c.message, path.display());
        }
        crashed += report.crashes.len();
    }
    anyhow::ensure!(crashed == 0, "{crashed} inputs crashed a parser");
    Ok(())
}
