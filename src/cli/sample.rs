//! `ganvas sample`: samples from a checkpoint, without loading its training data.

use std::path::PathBuf;

use clap::Args;

use crate::engine::backend::BackendChoice;
use crate::engine::checkpoint::Checkpoint;
use crate::engine::export;
use crate::engine::latent::LatentSampler;
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::Samples;
use crate::engine::trainer::tensors::{matrix, one_hot, read};

/// Options of `ganvas sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A checkpoint file, or a run directory (its latest checkpoint).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// How many samples.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// FILE.csv (points), FILE.idx (grey images), FILE.png (grid / scatter) or a directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the latent vectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Truncation trick: `off`, or redraw latent values beyond ±BOUND (default: the
    /// checkpoint's `tricks.truncation`).
    #[arg(long, value_parser = super::parse_truncation)]
    pub truncation: Option<super::TruncationArg>,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Text-to-image runs: the sentence to draw ("a small 3 at the top left"); words it does
    /// not know are named and skipped.
    #[arg(long)]
    pub caption: Option<String>,
}

/// Runs `ganvas sample`.
pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.n > 0 && args.n <= 1_000_000,
        "--n must be between 1 and 1000000"
    );
    let family = crate::engine::checkpoint::peek(&args.checkpoint)?.0.key;
    if family == crate::engine::captions::DESCRIPTION.key {
        return sample_captions(args);
    }
    anyhow::ensure!(
        args.caption.is_none(),
        "--caption is for text-to-image runs; {} holds a {family} run",
        args.checkpoint.display()
    );
    if family == crate::engine::cyclegan::DESCRIPTION.key {
        return sample_cycle(args);
    }
    let ckpt = Checkpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let device = backend.device;
    let g = ckpt.generator(&device)?;
    let latent = ckpt.config.model.latent_dim;
    let k = if ckpt.config.model.conditional {
        ckpt.shape.classes
    } else {
        0
    };
    let truncation = args
        .truncation
        .map_or(ckpt.config.tricks.truncation, |t| t.0);
    let mut rng = Rng::seeded(args.seed);
    let sampler = LatentSampler::new(&ckpt.config.model);
    let mut values = Vec::with_capacity(args.n * ckpt.shape.len);
    let mut classes = Vec::new();
    for start in (0..args.n).step_by(512) {
        let m = (args.n - start).min(512);
        let z = matrix(sampler.draw(&mut rng, m, truncation), m, latent, &device);
        let labels: Vec<u32> = (start..start + m).map(|i| (i % k.max(1)) as u32).collect();
        let c = (k > 0).then(|| one_hot(&labels, k, &device));
        values.extend(read(g.forward(z, c)));
        if k > 0 {
            classes.extend(labels);
        }
    }
    let samples = Samples {
        values,
        len: ckpt.shape.len,
        channels: ckpt.shape.channels,
        side: ckpt.shape.side,
        classes,
    };
    export::write_samples(&samples, &args.out)?;
    outln!(
        "wrote {} samples from step {} of {} to {}",
        args.n,
        ckpt.step,
        ckpt.path.display(),
        args.out.display()
    );
    Ok(())
}

/// `ganvas sample` on a CycleGAN run: the translation strips (A, G_AB(A), G_BA(G_AB(A)), then
/// from B) of `--n` held-out images of each domain drawn with `--seed`, as one PNG.
fn sample_cycle(args: &SampleArgs) -> anyhow::Result<()> {
    use crate::engine::cyclegan::checkpoint::CycleCheckpoint;
    anyhow::ensure!(
        args.truncation.is_none(),
        "--truncation bounds a GAN's latent vectors; a CycleGAN run translates images and has none"
    );
    anyhow::ensure!(
        args.out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png")),
        "a CycleGAN run's samples are translation strips: --out must be a .png file (got {}); \
         `ganvas translate` writes one PNG per image of your own",
        args.out.display()
    );
    let ckpt = CycleCheckpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let (run, held) = ckpt.reopen(&backend.device).map_err(anyhow::Error::msg)?;
    let available = held.a.len().min(held.b.len());
    anyhow::ensure!(
        available > 0,
        "the run holds no held-out images to translate (held_out = 0 in its preset)"
    );
    // n distinct held-out images, a seeded draw.
    let mut order: Vec<usize> = (0..available).collect();
    let mut rng = Rng::seeded(args.seed);
    let n = args.n.min(available);
    for i in 0..n {
        let j = i + rng.below(available - i);
        order.swap(i, j);
    }
    let strips = crate::engine::cyclegan::strips::strips_of(&run, [&held.a, &held.b], &order[..n]);
    export::write_png(&strips, &[], &args.out)?;
    if n < args.n {
        eprintln!("note: the run holds {available} held-out images per domain; wrote {n}");
    }
    outln!(
        "wrote the translation strips of {n} held-out images per domain at step {} to {}",
        run.step,
        args.out.display()
    );
    Ok(())
}

/// `ganvas sample --caption` of a text-to-image run: n samples of the caption.
fn sample_captions(args: &SampleArgs) -> anyhow::Result<()> {
    use crate::engine::captions::{checkpoint::CaptionCheckpoint, render::SIDE, run, vocab};
    let Some(text) = &args.caption else {
        anyhow::bail!(
            "{} is a text-to-image run: say what to draw with --caption \"a small 3 at the top left\"",
            args.checkpoint.display()
        );
    };
    let parsed = vocab::parse(text)?;
    if !parsed.unknown.is_empty() {
        eprintln!("{}", parsed.summary());
    }
    let ckpt = CaptionCheckpoint::read(&args.checkpoint)?;
    let backend = super::pick_backend(args.backend)?;
    let g = ckpt.generator(&backend.device)?;
    let z_dim = ckpt.preset.captions.z_dim;
    let mut values = Vec::with_capacity(args.n * SIDE * SIDE);
    for (k, start) in (0..args.n).step_by(256).enumerate() {
        let m = (args.n - start).min(256);
        let seed = args.seed.wrapping_add(k as u64);
        values.extend(run::sample_from(
            &g,
            z_dim,
            std::slice::from_ref(&parsed.tokens),
            m,
            seed,
        ));
    }
    let samples = Samples {
        values,
        len: SIDE * SIDE,
        channels: 1,
        side: SIDE,
        classes: Vec::new(),
    };
    export::write_samples(&samples, &args.out)?;
    outln!(
        "wrote {} samples of \"{}\" to {}",
        args.n,
        parsed.understood.join(" "),
        args.out.display()
    );
    Ok(())
}
