//! MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST), raw or gzip-compressed.
//! Headers are checked against the file before any buffer of the promised size is allocated.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use super::DataError;
use super::images::ImageSet;

/// Refuse files that promise more than this many bytes of pixels (4 GiB): no IDX data set in
/// use comes near, and a corrupt header must not make us allocate it.
pub const MAX_IDX_BYTES: u64 = 4 << 30;

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Loads an image file and, optionally, its labels file.
pub fn load_idx(images: &Path, labels_path: Option<&Path>) -> Result<ImageSet, DataError> {
    let (dims, pixels) = read_idx(images, IMAGES_MAGIC, 3)?;
    let (count, height, width) = (dims[0], dims[1], dims[2]);
    if height != width {
        return Err(DataError::Malformed {
            path: images.to_path_buf(),
            message: format!(
                "the images are {height}×{width} pixels; ganvas trains square images (pad or resize them)"
            ),
        });
    }
    let labels = match labels_path {
        None => None,
        Some(path) => {
            let (ldims, bytes) = read_idx(path, LABELS_MAGIC, 1)?;
            if ldims[0] != count {
                return Err(DataError::Malformed {
                    path: path.to_path_buf(),
                    message: format!(
                        "{} labels for {count} images in {}",
                        ldims[0],
                        images.display()
                    ),
                });
            }
            Some(bytes.into_iter().map(u16::from).collect::<Vec<u16>>())
        }
    };
    let classes = match (&labels, labels_path) {
        (Some(l), Some(path)) => class_count(l, path)?,
        _ => 0,
    };
    Ok(ImageSet {
        pixels,
        labels,
        class_names: (0..classes).map(|c| c.to_string()).collect(),
        channels: 1,
        height,
        width,
    })
}

/// The number of classes labels `0..=max` make, refusing a labels file where most of those
/// classes would be empty: one stray value (a damaged byte, 200 among digits 0–9) would
/// otherwise make 201 classes, and the conditional models and class metrics with them.
fn class_count(labels: &[u16], path: &Path) -> Result<usize, DataError> {
    let Some(&max) = labels.iter().max() else {
        return Ok(0);
    };
    let classes = max as usize + 1;
    let mut counts = vec![0usize; classes];
    for &l in labels {
        counts[l as usize] += 1;
    }
    let used = counts.iter().filter(|&&c| c > 0).count();
    if used * 2 >= classes {
        return Ok(classes);
    }
    // Name the values that stand apart: those after the first gap in the labels that occur.
    let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
    let typical = (first..classes)
        .take_while(|&v| counts[v] > 0)
        .last()
        .unwrap_or(first);
    let odd: Vec<String> = (typical + 1..classes)
        .filter(|&v| counts[v] > 0)
        .take(3)
        .map(|v| {
            let at = labels.iter().position(|&l| l as usize == v).unwrap_or(0);
            format!("{v} (item {at})")
        })
        .collect();
    Err(DataError::Malformed {
        path: path.to_path_buf(),
        message: format!(
            "labels run up to {max} but only {used} of those {classes} classes occur; \
             labels {first}–{typical} hold the others, and {} {} out: a damaged file?",
            odd.join(", "),
            if odd.len() == 1 { "stands" } else { "stand" }
        ),
    })
}

/// Reads one IDX file of unsigned bytes with the given magic and rank.
fn read_idx(path: &Path, magic: u32, rank: usize) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(DataError::Malformed {
            path: path.to_path_buf(),
            message:
                "is a folder, not an IDX file (pick the …-idx3-ubyte or …-idx1-ubyte file in it)"
                    .to_string(),
        });
    }
    let file_len = meta.len();
    let mut raw = BufReader::new(file);
    let mut head = [0u8; 2];
    raw.read_exact(&mut head)
        .map_err(|_| truncated(path, "the file is empty"))?;
    let gzipped = head == [0x1f, 0x8b];
    let chained = std::io::Cursor::new(head).chain(raw);
    let mut reader: Box<dyn Read> = if gzipped {
        Box::new(GzDecoder::new(chained))
    } else {
        Box::new(chained)
    };

    let mut word = [0u8; 4];
    reader
        .read_exact(&mut word)
        .map_err(|_| truncated(path, "the IDX header is cut short"))?;
    let found = u32::from_be_bytes(word);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            message: format!(
                "magic number 0x{found:08x}, expected 0x{magic:08x} ({}){}",
                if magic == IMAGES_MAGIC {
                    "IDX images of unsigned bytes, rank 3"
                } else {
                    "IDX labels, rank 1"
                },
                if gzipped { "" } else { "; not gzip either" }
            ),
        });
    }
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        reader
            .read_exact(&mut word)
            .map_err(|_| truncated(path, "the IDX header is cut short"))?;
        dims.push(u32::from_be_bytes(word) as usize);
    }
    let promised = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    let promised = match promised {
        Some(p) if p <= MAX_IDX_BYTES => p,
        _ => {
            return Err(DataError::TooLarge {
                path: path.to_path_buf(),
                message: format!(
                    "the header promises {dims:?} = more than {} GiB of pixels",
                    MAX_IDX_BYTES >> 30
                ),
            });
        }
    };
    if promised == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            message: format!("the header declares dimensions {dims:?}"),
        });
    }
    let header_len = 4 + 4 * rank as u64;
    if !gzipped && file_len < header_len + promised {
        return Err(truncated(
            path,
            &format!(
                "the header promises {promised} bytes of data but the file holds {}",
                file_len.saturating_sub(header_len)
            ),
        ));
    }
    // For gzip the decompressed size is unknown until read: read at most what was promised,
    // growing the buffer as data arrives rather than trusting the header.
    let mut data = Vec::new();
    (&mut reader)
        .take(promised)
        .read_to_end(&mut data)
        .map_err(|e| DataError::Malformed {
            path: path.to_path_buf(),
            message: format!("cannot decompress: {e}"),
        })?;
    if (data.len() as u64) < promised {
        return Err(truncated(
            path,
            &format!(
                "the header promises {promised} bytes of data but only {} arrive",
                data.len()
            ),
        ));
    }
    // Read on to the end: gzip checks its CRC there (a file damaged in the middle decodes to
    // wrong pixels without complaint until then), and data past what the header promises
    // means the header is wrong.
    let mut more = [0u8; 1];
    match reader.read(&mut more) {
        Ok(0) => {}
        Ok(_) => {
            return Err(DataError::Malformed {
                path: path.to_path_buf(),
                message: format!(
                    "the file holds more data than its header promises ({dims:?}): a damaged header?"
                ),
            });
        }
        Err(e) => {
            return Err(DataError::Malformed {
                path: path.to_path_buf(),
                message: format!("damaged compressed data: {e}"),
            });
        }
    }
    Ok((dims, data))
}

fn truncated(path: &Path, message: &str) -> DataError {
    DataError::Truncated {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}
