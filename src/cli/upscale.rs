//! `ganvas upscale`: images through a super-resolution run's generator, without its data. An
//! image file becomes one PNG `scale` times larger; a folder of images becomes a folder of
//! PNGs with the same names. Images keep their size (large ones go through in tiles) and are
//! turned grey or colour as the run's images were. `--mix` picks the weights between the pixel
//! network (0) and the GAN network (1).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::engine::backend::BackendChoice;
use crate::engine::data::files::decode_image;
use crate::engine::export;
use crate::engine::superres::checkpoint::SrCheckpoint;
use crate::engine::superres::tiles::{Picture, upscale_picture};

/// Options of `ganvas upscale`.
#[derive(Debug, Args)]
pub struct UpscaleArgs {
    /// A super-resolution checkpoint, or its run directory.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// An image file (PNG, JPEG, …) or a folder of them.
    #[arg(long = "in")]
    pub input: PathBuf,
    /// A .png file for one input image; a folder (created if needed) for a folder of inputs.
    #[arg(long)]
    pub out: PathBuf,
    /// Weights between the pixel-loss network (0: the best PSNR) and the GAN network (1: the
    /// sharpest detail); ESRGAN's network interpolation in between.
    #[arg(long, default_value_t = 1.0, value_parser = parse_mix)]
    pub mix: f32,
    /// Replace output files that exist already (without it, ganvas refuses to overwrite).
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
}

/// `--mix`: a number within [0, 1].
fn parse_mix(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(m) if (0.0..=1.0).contains(&m) => Ok(m),
        _ => Err(format!("expected a number from 0 to 1, got `{s}`")),
    }
}

/// An image file as a picture of `channels` channels (luma for 1), values in [-1, 1].
pub fn load_picture(path: &Path, channels: usize) -> anyhow::Result<Picture> {
    let img = decode_image(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Picture::from_image(&img, channels))
}

pub fn run(args: &UpscaleArgs) -> anyhow::Result<()> {
    let ckpt = SrCheckpoint::read(&args.checkpoint)?;
    let many = args.input.is_dir();
    let inputs = if many {
        super::translate::images_in(&args.input)?
    } else {
        vec![args.input.clone()]
    };
    let png_out = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    anyhow::ensure!(
        !(many && png_out),
        "--in is a folder, so --out must be a folder too (one PNG per input), not {}",
        args.out.display()
    );
    anyhow::ensure!(
        many || png_out,
        "--out must be a .png file when --in is one image (got {})",
        args.out.display()
    );
    let outputs: Vec<PathBuf> = if many {
        inputs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let stem = p
                    .file_stem()
                    .map_or_else(|| format!("{i:05}"), |s| s.to_string_lossy().into_owned());
                args.out.join(format!("{stem}.png"))
            })
            .collect()
    } else {
        vec![args.out.clone()]
    };
    if !args.force
        && let Some(existing) = outputs.iter().find(|p| p.exists())
    {
        anyhow::bail!(
            "{} exists already: pick another --out, or add --force to replace it",
            existing.display()
        );
    }
    let backend = super::pick_backend(args.backend)?;
    let net = ckpt.generator(args.mix, &backend.device)?;
    let scale = ckpt.preset.superres.scale;
    if many {
        std::fs::create_dir_all(&args.out)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.out.display()))?;
    }
    for (input, output) in inputs.iter().zip(&outputs) {
        let picture = load_picture(input, ckpt.channels)?;
        let up = upscale_picture(&net, scale, ckpt.channels, &picture, &backend.device)
            .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
        export::write_rgb_png(up.width, up.height, &up.to_rgb_bytes(), output)?;
    }
    let which = match args.mix {
        m if m <= 0.0 => "the pixel network".to_string(),
        m if m >= 1.0 => "the GAN network".to_string(),
        m => format!("a mix of {:.0} % GAN network", 100.0 * m),
    };
    outln!(
        "upscaled {} image{} {scale}× with {which} (step {}) into {}",
        inputs.len(),
        if inputs.len() == 1 { "" } else { "s" },
        ckpt.step,
        args.out.display()
    );
    Ok(())
}
