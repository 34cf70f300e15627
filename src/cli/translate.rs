//! `ganvas translate`: images through one generator of a CycleGAN run, without its data. An
//! image file becomes one PNG; a folder of images becomes a folder of PNGs with the same
//! names. Inputs are resized to the run's side and turned grey or colour as the source
//! domain was.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use clap::{Args, ValueEnum};

use crate::engine::backend::BackendChoice;
use crate::engine::cyclegan::checkpoint::{CycleCheckpoint, ImageShape};
use crate::engine::data::files::{decode_image, image_pixels};
use crate::engine::export;
use crate::engine::trainer::protocol::Samples;
use crate::engine::trainer::tensors::read;

/// Which generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// G_AB: domain A → domain B.
    Ab,
    /// G_BA: domain B → domain A.
    Ba,
}

/// Options of `ganvas translate`.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// A CycleGAN checkpoint, or its run directory.
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, value_enum)]
    pub direction: Direction,
    /// An image file (PNG, JPEG, …) or a folder of them.
    #[arg(long = "in")]
    pub input: PathBuf,
    /// A .png file for one input image; a folder (created if needed) for a folder of inputs.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
}

fn load(path: &Path, shape: ImageShape) -> anyhow::Result<Vec<f32>> {
    let img = decode_image(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(image_pixels(&img, shape.channels, shape.side))
}

/// The image files of a folder, sorted by name.
pub(super) fn images_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && decode_image(p).is_ok())
        .collect();
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "{} holds no readable image",
        dir.display()
    );
    Ok(files)
}

pub fn run(args: &TranslateArgs) -> anyhow::Result<()> {
    let ckpt = CycleCheckpoint::read(&args.checkpoint)?;
    let a_to_b = args.direction == Direction::Ab;
    let [a, b] = ckpt.domains;
    let (from, to) = if a_to_b { (a, b) } else { (b, a) };
    let (from_name, to_name) = if a_to_b {
        (&ckpt.names[0], &ckpt.names[1])
    } else {
        (&ckpt.names[1], &ckpt.names[0])
    };
    let inputs = if args.input.is_dir() {
        images_in(&args.input)?
    } else {
        vec![args.input.clone()]
    };
    let many = args.input.is_dir();
    let png_out = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    anyhow::ensure!(
        !(many && png_out),
        "--in is a folder, so --out must be a folder too (one PNG per input), not {}",
        args.out.display()
    );
    if !many {
        anyhow::ensure!(
            png_out,
            "--out must be a .png file when --in is one image (got {})",
            args.out.display()
        );
    }
    let backend = super::pick_backend(args.backend)?;
    let g = ckpt.generator(a_to_b, &backend.device)?;
    let len_in = from.channels * from.side * from.side;
    let mut values = Vec::with_capacity(inputs.len() * len_in);
    for path in &inputs {
        values.extend(load(path, from)?);
    }
    let mut translated = Vec::with_capacity(inputs.len() * to.channels * to.side * to.side);
    // Chunks keep memory flat for big folders.
    for chunk in values.chunks(32 * len_in) {
        let n = chunk.len() / len_in;
        let x = Tensor::<4>::from_data(
            TensorData::new(chunk.to_vec(), [n, from.channels, from.side, from.side]),
            &backend.device,
        );
        let y = g.forward(x);
        let [n, c, h, w] = y.dims();
        translated.extend(read(y.reshape([n, c * h * w])));
    }
    let samples = Samples {
        values: translated,
        len: to.channels * to.side * to.side,
        channels: to.channels,
        side: to.side,
        classes: Vec::new(),
    };
    if many {
        std::fs::create_dir_all(&args.out)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.out.display()))?;
        for (i, path) in inputs.iter().enumerate() {
            let stem = path
                .file_stem()
                .map_or_else(|| format!("{i:05}"), |s| s.to_string_lossy().into_owned());
            export::write_one_png(&samples, i, &args.out.join(format!("{stem}.png")))?;
        }
    } else {
        export::write_one_png(&samples, 0, &args.out)?;
    }
    outln!(
        "translated {} image{} {from_name} → {to_name} ({}×{} px) into {}",
        inputs.len(),
        if inputs.len() == 1 { "" } else { "s" },
        to.side,
        to.side,
        args.out.display()
    );
    Ok(())
}
