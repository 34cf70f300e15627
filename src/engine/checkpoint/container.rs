//! The file container every family's checkpoints share: `GANVASCK`, a u32 format version,
//! then length-prefixed (u64 LE) parts: a TOML header, then the named sections in the order
//! the header lists them. Also the pieces a family's sections are made of (burn records of
//! modules and optimizers) and the atomic write that never leaves a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use super::{CheckpointError, LATEST, MAGIC, VERSION};
use crate::engine::family::{FamilyDescription, gan};

pub(crate) fn record_bytes<M: Module>(
    module: M,
    path: &Path,
    section: &str,
) -> Result<Vec<u8>, CheckpointError> {
    let bytes = module
        .into_record()
        .into_bytes()
        .map_err(|e| CheckpointError::Record {
            path: path.to_path_buf(),
            section: section.to_string(),
            message: e.to_string(),
        })?;
    Ok(bytes.to_vec())
}

/// A run's log as a section.
pub(crate) fn log_bytes(
    log: &crate::engine::trainer::run_log::RunLog,
    path: &Path,
) -> Result<Vec<u8>, CheckpointError> {
    log.encode().map_err(|message| CheckpointError::Record {
        path: path.to_path_buf(),
        section: "log".into(),
        message,
    })
}

/// The run log of section `bytes` (an empty log when the section is missing: checkpoints
/// written before the log existed simply have no curves).
pub(crate) fn load_log(
    bytes: Option<&[u8]>,
    family: &'static FamilyDescription,
    format: crate::engine::trainer::run_log::LogFormat,
    path: &Path,
) -> Result<crate::engine::trainer::run_log::RunLog, CheckpointError> {
    let Some(bytes) = bytes else {
        return Ok(Default::default());
    };
    crate::engine::trainer::run_log::RunLog::decode(bytes, family, format).map_err(|message| {
        CheckpointError::Record {
            path: path.to_path_buf(),
            section: "log".into(),
            message,
        }
    })
}

/// An optimizer's state as a section.
pub(crate) fn optimizer_bytes(
    o: &burn::optim::ModuleOptimizer,
    path: &Path,
    section: &str,
) -> Result<Vec<u8>, CheckpointError> {
    o.into_bytes()
        .map(|b| b.to_vec())
        .map_err(|e| CheckpointError::Record {
            path: path.to_path_buf(),
            section: section.to_string(),
            message: e.to_string(),
        })
}

/// `module` with the weights of section `section` (`bytes`; None: the section is missing).
pub(crate) fn load_record<M: Module>(
    module: M,
    bytes: Option<&[u8]>,
    path: &Path,
    section: &str,
) -> Result<M, CheckpointError> {
    let err = |message: String| CheckpointError::Record {
        path: path.to_path_buf(),
        section: section.to_string(),
        message,
    };
    let bytes = bytes.ok_or_else(|| err("missing".into()))?;
    // burn's record parser panics on some damaged bytes: a panic is a damaged file too.
    crate::engine::quiet::catching(|| {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| err(e.to_string()))?;
        module
            .try_load_record(record)
            .map_err(|e| err(e.to_string()))
    })
    .map_err(|panic| err(format!("damaged record ({panic})")))?
}

/// An optimizer like `template` with the state of section `section` (an empty state when
/// the section is missing: a fresh optimizer).
pub(crate) fn load_optimizer(
    template: &burn::optim::ModuleOptimizer,
    bytes: Option<&[u8]>,
    path: &Path,
    section: &str,
) -> Result<burn::optim::ModuleOptimizer, CheckpointError> {
    let bytes = bytes.unwrap_or_default().to_vec();
    let err = |message: String| CheckpointError::Record {
        path: path.to_path_buf(),
        section: section.to_string(),
        message,
    };
    crate::engine::quiet::catching(|| {
        template
            .clone()
            .from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| err(e.to_string()))
    })
    .map_err(|panic| err(format!("damaged record ({panic})")))?
}

/// The file's bytes: the signature, the format version, the header, then each section, each
/// prefixed by its length (every family's checkpoints share this container).
pub(crate) fn encode_container(header: &str, sections: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    for part in std::iter::once(header.as_bytes()).chain(sections.iter().map(|(_, b)| b.as_slice()))
    {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// A checkpoint file split into its parts, not yet interpreted.
pub(crate) struct Container {
    pub path: PathBuf,
    pub version: u32,
    pub header: String,
    /// The sections after the header, in file order.
    pub parts: Vec<Vec<u8>>,
}

/// Reads a checkpoint file's container (or a run directory's latest one), refusing files
/// that are not checkpoints, are cut short, or are too large for this machine.
pub(crate) fn read_container(path: &Path) -> Result<Container, CheckpointError> {
    let path = resolve(path);
    let io = |source| CheckpointError::Io {
        path: path.clone(),
        cause: source,
    };
    // The whole file is read into memory: one larger than the memory free is refused.
    let len = std::fs::metadata(&path).map_err(io)?.len();
    if let Some(free) = crate::engine::memory::available_bytes()
        && len > free / 2
    {
        return Err(CheckpointError::NotACheckpoint {
            path: path.clone(),
            reason: format!(
                "{} is more than this machine can read in ({} free)",
                crate::engine::memory::gib(len),
                crate::engine::memory::gib(free)
            ),
        });
    }
    let bytes = std::fs::read(&path).map_err(io)?;
    let bad = |reason: &str| CheckpointError::NotACheckpoint {
        path: path.clone(),
        reason: reason.to_string(),
    };
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(bad(
            "it does not start with the ganvas checkpoint signature",
        ));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > VERSION {
        return Err(CheckpointError::Version {
            path,
            found: version,
        });
    }
    let mut parts = Vec::new();
    let mut at = 12usize;
    while at < bytes.len() {
        let len_bytes: [u8; 8] = bytes
            .get(at..at + 8)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("a section length is cut short"))?;
        let len = u64::from_le_bytes(len_bytes) as usize;
        let body = bytes
            .get(at + 8..(at + 8).saturating_add(len))
            .ok_or_else(|| bad("a section is cut short (truncated file?)"))?;
        parts.push(body.to_vec());
        at += 8 + len;
    }
    let mut parts = parts.into_iter();
    let header = parts.next().ok_or_else(|| bad("no header"))?;
    let header = String::from_utf8(header).map_err(|_| bad("the header is not text"))?;
    Ok(Container {
        path,
        version,
        header,
        parts: parts.collect(),
    })
}

/// Removes temporary files that a killed save of `name` left in `dir` (their writer's
/// process is gone). Only where /proc tells which processes live; elsewhere they stay.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        if !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_temporaries(dir, &name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `path` itself, or `path/checkpoint.ganvas` when `path` is a run directory.
pub fn resolve(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(LATEST)
    } else {
        path.to_path_buf()
    }
}

/// The family and step a checkpoint file's header states (before its records are read).
pub fn peek(path: &Path) -> Result<(&'static FamilyDescription, u64), CheckpointError> {
    let c = read_container(path)?;
    let bad = |reason: String| CheckpointError::NotACheckpoint {
        path: c.path.clone(),
        reason,
    };
    let table: toml::Table =
        toml::from_str(&c.header).map_err(|e| bad(format!("bad header: {e}")))?;
    let family = match table.get("family").and_then(|v| v.as_str()) {
        None => &gan::DESCRIPTION,
        Some(key) => known_family(key).ok_or_else(|| bad(unknown_family(key)))?,
    };
    let step = table
        .get("step")
        .and_then(|v| v.as_integer())
        .unwrap_or(0)
        .max(0) as u64;
    Ok((family, step))
}

/// The family a header names (a GAN when it names none), if this ganvas knows it.
pub(crate) fn header_family(header: &str) -> Option<&'static FamilyDescription> {
    let table: toml::Table = toml::from_str(header).ok()?;
    match table.get("family") {
        None => Some(&gan::DESCRIPTION),
        Some(v) => known_family(v.as_str()?),
    }
}

/// The families whose checkpoints this ganvas reads.
fn known_family(key: &str) -> Option<&'static FamilyDescription> {
    FamilyDescription::named(key).or_else(|| {
        [
            &crate::engine::cyclegan::DESCRIPTION,
            &crate::engine::superres::DESCRIPTION,
            &crate::engine::stylegan::DESCRIPTION,
            &crate::engine::captions::DESCRIPTION,
        ]
        .into_iter()
        .find(|f| f.key == key)
    })
}

pub(crate) fn unknown_family(key: &str) -> String {
    format!("it holds a {key} model, a family this ganvas does not know (a newer ganvas made it?)")
}
