//! Real data: 2D point distributions and image sets, loaded from a [`DataConfig`].

pub mod digits;
pub mod domains;
pub mod files;
pub mod idx;
pub mod images;
pub mod points;

use std::path::PathBuf;

pub use images::{ImageBatch, ImageSet};
pub use points::{Mixture, PointSet, PointSource};

use super::config::DataConfig;

/// Why a data source could not be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: wrong file type: {message}")]
    BadMagic { path: PathBuf, message: String },
    #[error("{path}: truncated: {message}")]
    Truncated { path: PathBuf, message: String },
    #[error("{path}: too large: {message}")]
    TooLarge { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("{path}: empty: {message}")]
    Empty { path: PathBuf, message: String },
}

/// A loaded data source.
#[derive(Clone, Debug, PartialEq)]
pub enum Dataset {
    Points(PointSet),
    Images(ImageSet),
}

/// A dataset and what loading it skipped (unreadable images), for the user to see.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub dataset: Dataset,
    /// Human-readable notes ("3 unreadable images skipped: a.png, …").
    pub notes: Vec<String>,
}

impl Dataset {
    /// Values per sample (2 for points, channels × height × width for images).
    pub fn sample_len(&self) -> usize {
        match self {
            Dataset::Points(_) => 2,
            Dataset::Images(set) => set.image_len(),
        }
    }

    /// Number of classes (0 when unlabelled).
    pub fn num_classes(&self) -> usize {
        match self {
            Dataset::Points(_) => 0,
            Dataset::Images(set) => set.num_classes(),
        }
    }

    /// The image set, if this is one.
    pub fn images(&self) -> Option<&ImageSet> {
        match self {
            Dataset::Images(set) => Some(set),
            Dataset::Points(_) => None,
        }
    }

    /// The point set, if this is one.
    pub fn points(&self) -> Option<&PointSet> {
        match self {
            Dataset::Points(set) => Some(set),
            Dataset::Images(_) => None,
        }
    }
}

/// Loads (or generates) the data a config names.
pub fn load(config: &DataConfig) -> Result<Loaded, DataError> {
    let points = |source| Dataset::Points(PointSet { source });
    let mut notes = Vec::new();
    let dataset = match config {
        DataConfig::Ring { modes, radius, std } => {
            points(PointSource::Mixture(Mixture::ring(*modes, *radius, *std)))
        }
        DataConfig::Grid { side, spacing, std } => {
            points(PointSource::Mixture(Mixture::grid(*side, *spacing, *std)))
        }
        DataConfig::Clusters {
            count,
            std,
            layout_seed,
        } => points(PointSource::Mixture(Mixture::clusters(
            *count,
            *std,
            *layout_seed,
        ))),
        DataConfig::Spiral { turns, noise } => points(PointSource::Spiral {
            turns: *turns,
            noise: *noise,
        }),
        DataConfig::Moons { noise } => points(PointSource::Moons { noise: *noise }),
        DataConfig::Line { noise } => points(PointSource::Line { noise: *noise }),
        DataConfig::Csv { path } => points(PointSource::Fixed(points::read_csv_points(path)?)),
        DataConfig::Drawn { points: drawn } => points(PointSource::Fixed(drawn.clone())),
        DataConfig::Digits { count } => Dataset::Images(digits::embedded_digits(*count)),
        DataConfig::Idx {
            images,
            labels,
            transpose,
        } => {
            let mut set = idx::load_idx(images, labels.as_deref())?;
            if *transpose {
                images::transpose_all(&mut set);
            }
            Dataset::Images(set)
        }
        DataConfig::ImageFolder {
            path,
            size,
            channels,
        } => {
            let (set, report) = files::load_image_folder(path, *size, *channels)?;
            if !report.loose.is_empty() {
                notes.push(format!(
                    "{} image(s) at the top of {} were left out: they sit beside the class folders, so they have no class ({})",
                    report.loose.len(),
                    path.display(),
                    report
                        .loose
                        .iter()
                        .take(3)
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !report.unreadable.is_empty() {
                let names: Vec<String> = report
                    .unreadable
                    .iter()
                    .take(5)
                    .map(|p| p.display().to_string())
                    .collect();
                notes.push(format!(
                    "{} unreadable image(s) skipped: {}{}",
                    report.unreadable.len(),
                    names.join(", "),
                    if report.unreadable.len() > 5 {
                        ", …"
                    } else {
                        ""
                    }
                ));
            }
            Dataset::Images(set)
        }
        DataConfig::Cifar10 { files } => Dataset::Images(files::load_cifar10(files)?),
    };
    Ok(Loaded { dataset, notes })
}
