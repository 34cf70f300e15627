//! The headless command line: train a preset, sample a checkpoint, benchmark.

/// Prints a line of a command's output (stdout). A closed stdout (`ganvas eval … | head -1`)
/// ends the process quietly, as Unix tools do, instead of panicking in `println!`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::print_line(format_args!($($arg)*))
    };
}

pub mod augment;
pub mod bench;
pub mod bench_caption;
mod bench_metrics;
pub mod eval;
mod eval_captions;
mod eval_cycle;
mod eval_sr;
mod eval_style;
mod family_plan;
pub mod fuzz;
pub mod interrupt;
pub mod sample;
pub mod train;
pub mod train_captions;
pub mod train_cycle;
pub mod train_sr;
pub mod train_style;
pub mod translate;
pub mod upscale;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::engine::backend::{self, Backend, BackendChoice};
use crate::engine::preset::{self, Preset};

/// Train GAN variants and explore what they learn.
#[derive(Debug, Parser)]
#[command(name = "ganvas", version, about)]
pub struct Args {
    /// What to do; without one, the window opens (or, built without the GUI, this help).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a preset headless; writes a checkpoint, metrics CSV and sample grid into --out.
    Train(train::TrainArgs),
    /// Generate samples from a checkpoint (or a run directory's latest checkpoint).
    Sample(sample::SampleArgs),
    /// Print a checkpoint's collapse metrics (modes or classes covered, FID-lite, PRDC, …).
    Eval(eval::EvalArgs),
    /// Translate images through a CycleGAN run's generator (A → B or B → A).
    Translate(translate::TranslateArgs),
    /// Upscale images through a super-resolution run's generator (pixel network, GAN network
    /// or a mix of their weights).
    Upscale(upscale::UpscaleArgs),
    /// Measure training speed (steps/s) of the reference models, beside PyTorch if present.
    Bench(bench::BenchArgs),
    /// Does a conditional GAN help a classifier? Trains it on N labelled images per class,
    /// then the same classifier on real, synthetic, mixed and classically augmented data.
    Augment(augment::AugmentArgs),
    /// Fuzz the file parsers (for developers: scripts/fuzz.sh).
    #[command(hide = true)]
    Fuzz(fuzz::FuzzArgs),
    /// Open the window (the embedded default preset unless --preset is given).
    #[cfg(feature = "gui")]
    Gui(GuiArgs),
}

/// Options of `ganvas gui`.
#[cfg(feature = "gui")]
#[derive(Debug, clap::Args)]
pub struct GuiArgs {
    /// Preset file (TOML) to open.
    #[arg(long)]
    pub preset: Option<PathBuf>,
    /// A checkpoint (or a run directory) to open: its family's window on the preset it was
    /// trained from, the run restored where it stopped (paused, unless --play).
    #[arg(long, conflicts_with = "preset")]
    pub checkpoint: Option<PathBuf>,
    /// Start training at once.
    #[arg(long)]
    pub play: bool,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Print frame-time percentiles and training steps/s to stderr every 5 s (F12 shows them
    /// in the window).
    #[arg(long)]
    pub perf_log: bool,
}

/// `--truncation off|BOUND`: overrides a checkpoint's sampling truncation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TruncationArg(pub Option<f32>);

/// Parses `--truncation`: `off`, or a bound in [0.1, 10].
pub fn parse_truncation(s: &str) -> Result<TruncationArg, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(TruncationArg(None));
    }
    match s.parse::<f32>() {
        Ok(b) if (0.1..=10.0).contains(&b) => Ok(TruncationArg(Some(b))),
        _ => Err(format!(
            "expected `off` or a bound between 0.1 and 10, got `{s}`"
        )),
    }
}

/// Runs a parsed command line.
pub fn run(args: Args) -> anyhow::Result<()> {
    let Some(command) = args.command else {
        #[cfg(feature = "gui")]
        return crate::gui::run(None, None, false, BackendChoice::Auto, false);
        #[cfg(not(feature = "gui"))]
        {
            use clap::CommandFactory;
            Args::command().print_help()?;
            return Ok(());
        }
    };
    match command {
        Command::Train(a) => train::run(&a),
        Command::Sample(a) => sample::run(&a),
        Command::Eval(a) => eval::run(&a),
        Command::Translate(a) => translate::run(&a),
        Command::Upscale(a) => upscale::run(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Augment(a) => augment::run(&a),
        Command::Fuzz(a) => fuzz::run(&a),
        #[cfg(feature = "gui")]
        Command::Gui(a) => crate::gui::run(
            a.preset.as_deref(),
            a.checkpoint.as_deref(),
            a.play,
            a.backend,
            a.perf_log,
        ),
    }
}

impl Args {
    /// The backend the command asked for (None for commands without a choice).
    pub fn backend_choice(&self) -> Option<BackendChoice> {
        match self.command.as_ref()? {
            Command::Train(a) => Some(a.backend),
            Command::Sample(a) => Some(a.backend),
            Command::Eval(a) => Some(a.backend),
            Command::Translate(a) => Some(a.backend),
            Command::Upscale(a) => Some(a.backend),
            Command::Bench(_) => None,
            Command::Augment(a) => Some(a.backend),
            Command::Fuzz(_) => Some(BackendChoice::Cpu),
            #[cfg(feature = "gui")]
            Command::Gui(a) => Some(a.backend),
        }
    }
}

/// The function behind `outln!`.
pub fn print_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// The preset at `path`, or the embedded default when none is given.
pub fn load_preset(path: Option<&PathBuf>) -> anyhow::Result<Preset> {
    match path {
        Some(p) => Ok(Preset::load(p)?),
        None => Ok(preset::default_preset()),
    }
}

/// The backend for `choice`, with the fallback said aloud.
pub fn pick_backend(choice: BackendChoice) -> anyhow::Result<Backend> {
    let b = backend::select(choice).context("choosing a backend")?;
    eprintln!("backend: {}", b.name);
    if let Some(note) = &b.note {
        eprintln!("note: {note}");
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_argument_is_off_or_a_bound_in_range() {
        assert_eq!(parse_truncation("off"), Ok(TruncationArg(None)));
        assert_eq!(parse_truncation("0.7"), Ok(TruncationArg(Some(0.7))));
        for bad in ["0", "-1", "11", "none", ""] {
            assert!(parse_truncation(bad).is_err(), "{bad} accepted");
        }
    }
}
