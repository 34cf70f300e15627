//! Image folders (subfolder names as labels) and CIFAR-10 binary batches.

use std::path::{Path, PathBuf};

use super::DataError;
use super::images::ImageSet;

const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "gif", "bmp", "webp"];

/// What reading an image folder skipped, for the user to see.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FolderReport {
    /// Files with an image extension that could not be decoded.
    pub unreadable: Vec<PathBuf>,
    /// Images at the top of a tree of class folders, left out (they have no class).
    pub loose: Vec<PathBuf>,
}

/// The most an image may need decoded (a small file can claim a huge picture): 16,384 px a
/// side and 512 MiB.
fn decode_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 << 20);
    limits
}

/// `img` resized to `side`² and turned into `channels` (1: grey, 3: RGB) channel-major
/// planes in [-1, 1], as a model of that shape takes it.
pub fn image_pixels(img: &image::DynamicImage, channels: usize, side: usize) -> Vec<f32> {
    let s = side as u32;
    planes(
        &img.resize_exact(s, s, image::imageops::FilterType::Triangle),
        channels,
    )
}

/// `img` at its own size as `channels` (1: grey, 3: RGB) channel-major planes in [-1, 1].
pub fn planes(img: &image::DynamicImage, channels: usize) -> Vec<f32> {
    let bytes: Vec<u8> = if channels == 1 {
        img.to_luma8().into_raw()
    } else {
        let rgb = img.to_rgb8();
        (0..3)
            .flat_map(|c| rgb.pixels().map(move |p| p.0[c]).collect::<Vec<_>>())
            .collect()
    };
    bytes.iter().map(|&b| b as f32 / 127.5 - 1.0).collect()
}

/// Decodes one image file within [`decode_limits`].
pub fn decode_image(path: &Path) -> Result<image::DynamicImage, String> {
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    reader.limits(decode_limits());
    reader.decode().map_err(|e| e.to_string())
}

/// Reads every image under `root` (one level of subfolders: each subfolder is a class),
/// resized to `size`×`size` with `channels` 1 (grey) or 3 (RGB). Unreadable files are skipped
/// and listed in the report.
pub fn load_image_folder(
    root: &Path,
    size: usize,
    channels: usize,
) -> Result<(ImageSet, FolderReport), DataError> {
    let io = |source| DataError::Io {
        path: root.to_path_buf(),
        cause: source,
    };
    let mut files: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(root).map_err(io)?.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            let class = entry.file_name().to_string_lossy().into_owned();
            let mut inner: Vec<_> = std::fs::read_dir(&path)
                .map_err(|source| DataError::Io {
                    path: path.clone(),
                    cause: source,
                })?
                .flatten()
                .map(|e| e.path())
                .filter(|p| is_image(p))
                .collect();
            inner.sort();
            files.extend(inner.into_iter().map(|p| (p, Some(class.clone()))));
        } else if is_image(&path) {
            files.push((path, None));
        }
    }
    let mut report = FolderReport::default();
    // Class folders make the labels; an image lying beside them has none and is left out
    // (said in the report) rather than turning the whole set unlabelled.
    if files.iter().any(|(_, c)| c.is_some()) {
        let (kept, loose): (Vec<_>, Vec<_>) = files.into_iter().partition(|(_, c)| c.is_some());
        report.loose = loose.into_iter().map(|(p, _)| p).collect();
        files = kept;
    }
    let labelled = files.iter().all(|(_, c)| c.is_some());
    let mut class_names: Vec<String> = Vec::new();
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (path, class) in files {
        let Ok(img) = decode_image(&path) else {
            report.unreadable.push(path);
            continue;
        };
        let img = img.resize_exact(
            size as u32,
            size as u32,
            image::imageops::FilterType::Triangle,
        );
        if channels == 1 {
            pixels.extend_from_slice(img.to_luma8().as_raw());
        } else {
            let rgb = img.to_rgb8();
            for c in 0..3 {
                pixels.extend(rgb.pixels().map(|p| p.0[c]));
            }
        }
        if let (true, Some(class)) = (labelled, class) {
            let index = match class_names.iter().position(|c| *c == class) {
                Some(i) => i,
                None => {
                    class_names.push(class);
                    class_names.len() - 1
                }
            };
            labels.push(index as u16);
        }
    }
    if pixels.is_empty() {
        return Err(DataError::Empty {
            path: root.to_path_buf(),
            message: format!(
                "no readable image ({} unreadable files skipped; looked for {})",
                report.unreadable.len(),
                IMAGE_EXTENSIONS.join(", ")
            ),
        });
    }
    let set = ImageSet {
        pixels,
        labels: labelled.then_some(labels),
        class_names: if labelled { class_names } else { Vec::new() },
        channels,
        height: size,
        width: size,
    };
    Ok((set, report))
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// CIFAR-10's class names, in label order.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

const CIFAR_RECORD: usize = 1 + 3 * 32 * 32;

/// Reads CIFAR-10 binary batches: records of one label byte and 3072 channel-major pixels.
pub fn load_cifar10(files: &[PathBuf]) -> Result<ImageSet, DataError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for path in files {
        let io = |source| DataError::Io {
            path: path.clone(),
            cause: source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len() as usize;
        if len == 0 || !len.is_multiple_of(CIFAR_RECORD) {
            return Err(DataError::Truncated {
                path: path.clone(),
                message: format!(
                    "{len} bytes is not a whole number of {CIFAR_RECORD}-byte CIFAR-10 records"
                ),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        for record in bytes.chunks_exact(CIFAR_RECORD) {
            if record[0] > 9 {
                return Err(DataError::Malformed {
                    path: path.clone(),
                    message: format!("label {} is not a CIFAR-10 class (0–9)", record[0]),
                });
            }
            labels.push(record[0] as u16);
            pixels.extend_from_slice(&record[1..]);
        }
    }
    Ok(ImageSet {
        pixels,
        labels: Some(labels),
        class_names: CIFAR10_CLASSES.iter().map(|s| s.to_string()).collect(),
        channels: 3,
        height: 32,
        width: 32,
    })
}
