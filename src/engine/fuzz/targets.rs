//! What the fuzzer feeds: a few valid files per parser, made here, and how each case is
//! handed to the code the app runs on such a file.

use std::io::Write;
use std::path::Path;

use crate::engine::backend::{BackendChoice, select};
use crate::engine::checkpoint::Checkpoint;
use crate::engine::config::DataConfig;
use crate::engine::data::{files, idx, points};
use crate::engine::preset::Preset;
use crate::engine::trainer::protocol::StepKind;
use crate::engine::trainer::session::Session;
use crate::engine::trainer::tensors::{matrix, one_hot, read};

/// A parser to fuzz.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An IDX images file (MNIST format), raw.
    Idx,
    /// The same, gzip-compressed.
    IdxGz,
    /// An IDX labels file beside a valid images file.
    IdxLabels,
    /// A CIFAR-10 binary batch.
    Cifar,
    /// An image file in a class folder (PNG, BMP, GIF, JPEG contents).
    Image,
    /// A CSV of 2D points.
    Csv,
    /// A preset, built and trained a step when it is valid and small.
    Preset,
    /// A checkpoint: read, sampled (`ganvas sample`), evaluated (`ganvas eval`) and resumed
    /// a step (`ganvas train --resume`).
    Checkpoint,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::Idx,
        Target::IdxGz,
        Target::IdxLabels,
        Target::Cifar,
        Target::Image,
        Target::Csv,
        Target::Preset,
        Target::Checkpoint,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Idx => "idx",
            Target::IdxGz => "idx-gz",
            Target::IdxLabels => "idx-labels",
            Target::Cifar => "cifar",
            Target::Image => "image",
            Target::Csv => "csv",
            Target::Preset => "preset",
            Target::Checkpoint => "checkpoint",
        }
    }

    /// The target with this name.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Valid inputs to mutate (and files a case needs beside its own, written into `dir`).
    pub fn seeds(self, dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
        Ok(match self {
            Target::Idx => vec![idx_images(12, 28), idx_images(3, 28)],
            Target::IdxGz => vec![gzip(&idx_images(12, 28)), gzip(&idx_images(2, 28))],
            Target::IdxLabels => {
                std::fs::write(dir.join("fixed-images.idx"), idx_images(12, 28))?;
                vec![idx_labels(12), gzip(&idx_labels(12))]
            }
            Target::Cifar => vec![cifar(3), cifar(1)],
            Target::Image => images(),
            Target::Csv => vec![
                b"x,y\n0.5,-1\n2,3\n".to_vec(),
                b"# drawn\n1;2\n3;4\n-0.25;7e-3\n".to_vec(),
                b"1\t2\n3\t4\n".to_vec(),
            ],
            Target::Preset => vec![
                include_bytes!("../../../presets/ring8-vanilla.toml").to_vec(),
                include_bytes!("../../../presets/digits-dcgan.toml").to_vec(),
                include_bytes!("../../../presets/grid25.toml").to_vec(),
                include_bytes!("../../../presets/lessons/d-vs-g-balance.toml").to_vec(),
            ],
            Target::Checkpoint => checkpoints(dir)?,
        })
    }

    /// Hands one case to the parser; an error is a refusal, a panic a crash.
    pub fn execute(self, dir: &Path, input: &[u8]) -> Result<(), String> {
        let text = || String::from_utf8_lossy(input).into_owned();
        match self {
            Target::Idx | Target::IdxGz => {
                let path = dir.join("case.idx");
                std::fs::write(&path, input).map_err(|e| e.to_string())?;
                idx::load_idx(&path, None)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Target::IdxLabels => {
                let path = dir.join("case-labels.idx");
                std::fs::write(&path, input).map_err(|e| e.to_string())?;
                idx::load_idx(&dir.join("fixed-images.idx"), Some(&path))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Target::Cifar => {
                let path = dir.join("data_batch_1.bin");
                std::fs::write(&path, input).map_err(|e| e.to_string())?;
                files::load_cifar10(&[path])
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Target::Image => {
                let class = dir.join("folder").join("a");
                std::fs::create_dir_all(&class).map_err(|e| e.to_string())?;
                std::fs::write(class.join("case.png"), input).map_err(|e| e.to_string())?;
                files::load_image_folder(&dir.join("folder"), 28, 3)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Target::Csv => points::parse_csv_points(&text()).map(|_| ()),
            Target::Preset => preset_case(dir, &text()),
            Target::Checkpoint => {
                let path = dir.join("case.ganvas");
                std::fs::write(&path, input).map_err(|e| e.to_string())?;
                drive_checkpoint(&path)
            }
        }
    }
}

fn idx_images(count: u32, side: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0x0803u32.to_be_bytes());
    for d in [count, side, side] {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend((0..count * side * side).map(|i| (i * 37 % 256) as u8));
    v
}

fn idx_labels(count: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0x0801u32.to_be_bytes());
    v.extend_from_slice(&count.to_be_bytes());
    v.extend((0..count).map(|i| (i % 10) as u8));
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

fn cifar(records: usize) -> Vec<u8> {
    (0..records)
        .flat_map(|r| {
            std::iter::once((r % 10) as u8).chain((0..3072).map(move |i| ((i + r) % 256) as u8))
        })
        .collect()
}

/// Small pictures in each format the image folders read.
fn images() -> Vec<Vec<u8>> {
    let rgb = image::RgbImage::from_fn(9, 7, |x, y| {
        image::Rgb([(x * 20) as u8, (y * 30) as u8, 90])
    });
    let picture = image::DynamicImage::ImageRgb8(rgb);
    let mut out = Vec::new();
    for format in [
        image::ImageFormat::Png,
        image::ImageFormat::Bmp,
        image::ImageFormat::Gif,
        image::ImageFormat::Jpeg,
    ] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        if picture.write_to(&mut bytes, format).is_ok() {
            out.push(bytes.into_inner());
        }
    }
    out
}

/// Whether a run is small enough to build and step for one fuzz case (bigger valid setups
/// are the memory check's business, and would only slow the fuzzer).
fn small(
    config: &crate::engine::config::TrainConfig,
    shape: crate::engine::nn::SampleShape,
) -> bool {
    crate::engine::memory::estimate(config, shape).total() < 64 << 20
}

fn cpu() -> Result<crate::engine::backend::Backend, String> {
    select(BackendChoice::Cpu).map_err(|e| e.to_string())
}

/// A preset: parsed and checked; when valid and small, built on small data and stepped.
fn preset_case(dir: &Path, text: &str) -> Result<(), String> {
    let preset = Preset::parse(text, &dir.join("case.toml")).map_err(|e| e.to_string())?;
    let mut config = preset.config();
    match &mut config.data {
        DataConfig::Digits { count } => *count = (*count).min(64),
        data if !data.is_points() => return Ok(()),
        _ => {}
    }
    config.train.snapshot_samples = config.train.snapshot_samples.min(64);
    let mut session = Session::new(config, cpu()?).map_err(|e| e.to_string())?;
    if !small(&session.config, session.shape) {
        return Ok(());
    }
    session
        .step_once(StepKind::Round)
        .map_err(|e| e.to_string())?;
    let _ = session.snapshot();
    Ok(())
}

/// What `sample`, `eval` and `train --resume` do with a checkpoint file, without the CLI.
pub fn drive_checkpoint(path: &Path) -> Result<(), String> {
    let ckpt = Checkpoint::read(path).map_err(|e| e.to_string())?;
    let device = burn::tensor::Device::flex();
    // sample
    let g = ckpt.generator(&device).map_err(|e| e.to_string())?;
    let latent = ckpt.config.model.latent_dim;
    let z = matrix(vec![0.3; 4 * latent], 4, latent, &device);
    let classes = (ckpt.config.model.conditional)
        .then(|| one_hot(&[0, 1, 2, 3], ckpt.shape.classes.max(1), &device));
    let out = read(g.forward(z, classes));
    if out.len() != 4 * ckpt.shape.len {
        return Err(format!("{} values from G", out.len()));
    }
    // eval and resume: on the checkpoint's own data when that needs no file.
    let mut config = ckpt.config.clone();
    match &mut config.data {
        DataConfig::Digits { count } => *count = (*count).min(64),
        data if !data.is_points() => return Ok(()),
        _ => {}
    }
    if !small(&config, ckpt.shape) {
        return Ok(());
    }
    let mut session = Session::new(config, cpu()?).map_err(|e| e.to_string())?;
    session.restore(&ckpt).map_err(|e| e.to_string())?;
    let _ = session.metrics_on(Some(64));
    session
        .step_once(StepKind::Round)
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Real checkpoints of small runs: an MLP on the ring, a conditional DCGAN with an EMA on a
/// few digits.
fn checkpoints(dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let ring = Preset::parse(
        include_str!("../../../presets/ring8-vanilla.toml"),
        Path::new("ring.toml"),
    )
    .map_err(std::io::Error::other)?;
    let mut small_ring = ring.config();
    small_ring.model.width = 8;
    small_ring.model.depth = 1;
    small_ring.train.batch_size = 16;
    small_ring.train.snapshot_samples = 16;
    let mut digits = crate::engine::preset::default_preset().config();
    digits.data = DataConfig::Digits { count: 40 };
    digits.model.base_channels = 4;
    digits.model.latent_dim = 4;
    digits.model.conditional = true;
    digits.train.batch_size = 8;
    digits.train.snapshot_samples = 10;
    digits.tricks.ema = Some(0.9);
    let backend = cpu().map_err(std::io::Error::other)?;
    for (i, config) in [small_ring, digits].into_iter().enumerate() {
        let mut s = Session::new(config, backend.clone()).map_err(std::io::Error::other)?;
        for _ in 0..3 {
            s.step_once(StepKind::Round)
                .map_err(std::io::Error::other)?;
        }
        let path = dir.join(format!("seed{i}.ganvas"));
        s.save_checkpoint(&path).map_err(std::io::Error::other)?;
        out.push(std::fs::read(&path)?);
    }
    Ok(out)
}
