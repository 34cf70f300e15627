//! `ganvas eval` on a super-resolution run: both networks and the bicubic and nearest
//! baselines on its preset's held-out images (PSNR, SSIM, and on labelled data FID-lite and
//! the classifier's accuracy), as one table.

use std::sync::Arc;

use super::eval::EvalArgs;
use super::train_sr::print_report;
use crate::engine::metrics::classifier;
use crate::engine::superres::checkpoint::SrCheckpoint;
use crate::engine::superres::evaluate::{SrReferences, evaluate};

/// Runs `ganvas eval` on the super-resolution checkpoint `args.checkpoint`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.truncation.is_none(),
        "--truncation bounds a GAN's latent vectors; a super-resolution run upscales images and has none"
    );
    anyhow::ensure!(
        args.samples.is_none(),
        "--samples: a super-resolution run is evaluated on its preset's held-out images \
         (held_out in the [superres] section)"
    );
    let ckpt = SrCheckpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let (run, held) = ckpt.reopen(&backend.device).map_err(anyhow::Error::msg)?;
    let judge = match run.images.labels {
        Some(_) => {
            eprintln!("training (or loading from the cache) the dataset's classifier…");
            classifier::for_dataset(&run.images, &mut |_| {})
                .map(Arc::new)
                .map_err(|why| eprintln!("note: no FID-lite or accuracy: {why}"))
                .ok()
        }
        None => None,
    };
    let refs = SrReferences::new(&held, &run.degradation, judge);
    print_report(&evaluate(&run, &refs));
    Ok(())
}
