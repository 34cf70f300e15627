//! `ganvas eval` on a CycleGAN run: the checkpoint's generators evaluated on its preset's
//! held-out images of both domains (cycle L1, label preservation beside the untranslated
//! baseline, the translations' variety and FID-lite against each target domain), with the
//! collapse alert when translations stop depending on their input.

use super::eval::{EvalArgs, print_report};
use crate::engine::cyclegan::checkpoint::CycleCheckpoint;
use crate::engine::cyclegan::evaluate::{
    TargetReferences, collapse_alert, evaluate, judges, untranslated_baseline,
};
use crate::engine::trainer::protocol::MetricValue;

/// Runs `ganvas eval` on the CycleGAN checkpoint `args.checkpoint`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.truncation.is_none(),
        "--truncation bounds a GAN's latent vectors; a CycleGAN run translates images and has none"
    );
    anyhow::ensure!(
        args.samples.is_none(),
        "--samples: a CycleGAN run is evaluated on its preset's held-out images of each domain \
         (held_out in the [cyclegan] section)"
    );
    let ckpt = CycleCheckpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let (run, held) = ckpt.reopen(&backend.device).map_err(anyhow::Error::msg)?;
    let train = run.domains.clone();
    eprintln!(
        "training (or loading from the cache) the classifiers of {} and {}…",
        train.names[0], train.names[1]
    );
    let judges = match judges(&train, &mut |_| {}) {
        Ok(j) => Some(j),
        Err(why) => {
            eprintln!("note: no label preservation or FID-lite: {why}");
            None
        }
    };
    let references = TargetReferences::new(&held, judges.as_ref());
    let mut report = evaluate(&run, &held, judges.as_ref(), Some(&references));
    for b in judges
        .as_ref()
        .map(|j| untranslated_baseline(&held, j))
        .unwrap_or_default()
    {
        report.values.push(MetricValue {
            name: b.metric(),
            step: run.step,
            value: b.agreement,
        });
    }
    outln!(
        "{} at step {}: {} ↔ {}, {} and {} held-out images",
        ckpt.path.display(),
        run.step,
        held.names[0],
        held.names[1],
        held.a.len(),
        held.b.len()
    );
    print_report(&report);
    if let Some(alert) = collapse_alert(&report, &held.names) {
        outln!("alert: {alert}");
    }
    Ok(())
}
