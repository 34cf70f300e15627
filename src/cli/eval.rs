//! `ganvas eval`: the collapse metrics of a checkpoint, printed one per line (scriptable), and
//! the shared helper that gets a run its dataset's classifier with a progress bar.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::backend::BackendChoice;
use crate::engine::checkpoint::Checkpoint;
use crate::engine::metrics::classifier::{self, ClassifierError};
use crate::engine::trainer::protocol::MetricsReport;
use crate::engine::trainer::session::Session;

/// Options of `ganvas eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A checkpoint file, or a run directory (its latest checkpoint).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Truncation trick for the evaluated samples: `off`, or redraw latent values beyond
    /// ±BOUND (default: the checkpoint's `tricks.truncation`).
    #[arg(long, value_parser = super::parse_truncation)]
    pub truncation: Option<super::TruncationArg>,
    /// Generated samples to evaluate (default: the count training uses, 2,500 points or
    /// 1,000 images). More gives steadier figures; FID-lite and PRDC change with the count,
    /// so compare them only at the same one.
    #[arg(long, value_parser = clap::value_parser!(u32).range(10..=100_000))]
    pub samples: Option<u32>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
}

/// Gives an image run with labels its classifier (cached, or trained here with a progress
/// bar) so that the class metrics are computed. Says why not when there are no labels.
pub fn attach_classifier(session: &mut Session) -> anyhow::Result<()> {
    let Some(set) = session.data.images() else {
        return Ok(());
    };
    let bar = ProgressBar::new(100).with_message("training the metrics classifier");
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut progress = |f: f32| bar.set_position((f * 100.0) as u64);
    match classifier::for_dataset(set, &mut progress) {
        Ok(c) => {
            bar.finish_and_clear();
            eprintln!(
                "metrics classifier: {:.1} % accuracy, mean confidence {:.3} on {} held-out real images ({})",
                100.0 * c.accuracy,
                c.held_out_confidence,
                c.held_out,
                if c.from_cache {
                    "from the cache".to_string()
                } else {
                    format!("trained in {:.1} s", c.train_secs)
                }
            );
            session.attach_classifier(Arc::new(c));
        }
        Err(e @ (ClassifierError::NoLabels | ClassifierError::TooSmall(_))) => {
            bar.finish_and_clear();
            eprintln!("note: {e}");
        }
    }
    Ok(())
}

/// Prints a report: `name value` lines, then the histogram.
pub fn print_report(report: &MetricsReport) {
    for v in &report.values {
        outln!("{:<22} {:.4}", v.name, v.value);
    }
    if let Some(h) = &report.histogram {
        let covered = h.covered_bins();
        let line: Vec<String> = h
            .labels
            .iter()
            .zip(&h.counts)
            .map(|(l, c)| format!("{l}:{c}"))
            .collect();
        outln!(
            "histogram ({} of {} covered, of {} samples) {}",
            covered.len(),
            h.counts.len(),
            h.total,
            line.join(" ")
        );
        if !h.accuracy.is_empty() {
            let acc: Vec<String> = h
                .labels
                .iter()
                .zip(&h.accuracy)
                .map(|(l, a)| format!("{l}:{a:.2}"))
                .collect();
            outln!("per-class accuracy {}", acc.join(" "));
        }
    }
}

/// Runs `ganvas eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let family = crate::engine::checkpoint::peek(&args.checkpoint)?.0.key;
    if family == crate::engine::cyclegan::DESCRIPTION.key {
        return super::eval_cycle::run(args);
    }
    if family == crate::engine::superres::DESCRIPTION.key {
        return super::eval_sr::run(args);
    }
    if family == crate::engine::stylegan::DESCRIPTION.key {
        return super::eval_style::run(args);
    }
    if family == crate::engine::captions::DESCRIPTION.key {
        return super::eval_captions::run(args);
    }
    let ckpt = Checkpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let mut session = Session::new(ckpt.config.clone(), backend)?;
    session.restore(&ckpt)?;
    if let Some(t) = args.truncation {
        session.config.tricks.truncation = t.0;
    }
    if let Some(bound) = session.config.tricks.truncation {
        eprintln!("sampling with the truncation trick: latent values within ±{bound}");
    }
    attach_classifier(&mut session)?;
    let report = session.metrics_on(args.samples.map(|n| n as usize));
    anyhow::ensure!(
        !report.values.is_empty(),
        "no collapse metrics for this data (a 2D set without known modes)"
    );
    outln!("step                   {}", report.step);
    print_report(&report);
    Ok(())
}
