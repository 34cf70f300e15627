//! `ganvas eval` on a text-to-image run: caption accuracy, read by the scene reader, on more
//! captions than training's evaluations take (1,000 per split by default), seen and held-out
//! combinations, one-digit captions and relations apart.

use super::eval::EvalArgs;
use crate::engine::captions::checkpoint::CaptionCheckpoint;
use crate::engine::captions::reader::SceneReader;
use crate::engine::captions::steps::METRICS;

/// Runs `ganvas eval` on the text-to-image checkpoint `args.checkpoint`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.truncation.is_none(),
        "--truncation bounds a GAN's latent vectors; a text-to-image run is evaluated without it"
    );
    let ckpt = CaptionCheckpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let mut run = ckpt.reopen(&backend.device).map_err(anyhow::Error::msg)?;
    eprintln!("training the scene reader (cached after the first run)…");
    let reader = SceneReader::for_scenes(&run.train, &mut |_| {})
        .map_err(|e| anyhow::anyhow!("the scene reader: {e}"))?;
    let count = args.samples.map_or(1000, |n| n as usize);
    let report = run.evaluate(&reader, count);
    outln!(
        "{} at step {} ({} captions of training scenes, {} of held-out combinations; one EMA sample each):",
        ckpt.path.display(),
        ckpt.step,
        count.min(run.train.len()),
        count.min(run.held_out.len())
    );
    for (name, meaning) in METRICS {
        if let Some(v) = report.get(name) {
            outln!("  {name:<30} {v:.4}   {meaning}");
        }
    }
    Ok(())
}
