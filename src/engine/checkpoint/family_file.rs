//! What every image family's checkpoint reader shares: open the container, refuse another
//! family's file (saying whose it is), parse the header as the family's own, pair the section
//! names it lists with the sections, and the random state as hex words.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::CheckpointError;
use super::container::{encode_container, header_family, read_container, write_atomically};
use crate::engine::family::FamilyDescription;
use crate::engine::rng::Rng;

/// Writes `header` (TOML) and `sections` to `path` atomically: a file is whole or absent.
pub(crate) fn write_family_file<H: Serialize>(
    path: &Path,
    header: &H,
    sections: &[(String, Vec<u8>)],
) -> Result<(), CheckpointError> {
    let header = toml::to_string(header).map_err(|e| CheckpointError::Record {
        path: path.to_path_buf(),
        section: "header".into(),
        message: e.to_string(),
    })?;
    write_atomically(path, &encode_container(&header, sections)).map_err(|cause| {
        CheckpointError::Io {
            path: path.to_path_buf(),
            cause,
        }
    })
}

/// A family's checkpoint file, opened: its header and its named sections.
pub(crate) struct FamilyFile<H> {
    pub path: PathBuf,
    pub header: H,
    pub sections: Vec<(String, Vec<u8>)>,
}

/// Opens the checkpoint at `path` (or a run directory's latest one) as one of `family`'s,
/// its header parsed as `H`; `names` gives the section names the header lists.
pub(crate) fn read_family_file<H: DeserializeOwned>(
    path: &Path,
    family: &FamilyDescription,
    names: impl Fn(&H) -> &[String],
) -> Result<FamilyFile<H>, CheckpointError> {
    let c = read_container(path)?;
    if let Some(found) = header_family(&c.header)
        && found.key != family.key
    {
        return Err(CheckpointError::WrongFamily {
            path: c.path,
            found: found.name,
            needed: family.name,
            hint: "",
        });
    }
    let header: H = toml::from_str(&c.header)
        .map_err(|e| not_a_checkpoint(&c.path, format!("bad header: {e}")))?;
    let listed = names(&header);
    if listed.len() != c.parts.len() {
        return Err(not_a_checkpoint(
            &c.path,
            "sections are missing (truncated file?)".into(),
        ));
    }
    let sections = listed.iter().cloned().zip(c.parts).collect();
    Ok(FamilyFile {
        path: c.path,
        header,
        sections,
    })
}

impl<H> FamilyFile<H> {
    /// "`path` is not a usable checkpoint: `reason`".
    pub fn bad(&self, reason: impl Into<String>) -> CheckpointError {
        not_a_checkpoint(&self.path, reason.into())
    }
}

fn not_a_checkpoint(path: &Path, reason: String) -> CheckpointError {
    CheckpointError::NotACheckpoint {
        path: path.to_path_buf(),
        reason,
    }
}

/// The section named `name` of `sections`.
pub(crate) fn section<'a>(sections: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    sections
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.as_slice())
}

/// The random state as a header writes it: hex words (TOML integers are signed 64-bit).
pub(crate) fn rng_words(rng: &Rng) -> [String; 4] {
    rng.state().map(|w| format!("{w:016x}"))
}

/// The random state of a header's hex words; None when one is not hex.
pub(crate) fn rng_from_words(words: &[String; 4]) -> Option<Rng> {
    let mut state = [0u64; 4];
    for (w, s) in state.iter_mut().zip(words) {
        *w = u64::from_str_radix(s, 16).ok()?;
    }
    Some(Rng::from_state(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_random_state_round_trips_through_its_words() {
        let mut rng = Rng::seeded(7);
        rng.next_u64();
        let mut back = rng_from_words(&rng_words(&rng)).expect("hex");
        assert_eq!(back.next_u64(), rng.next_u64());
        let mut bad = rng_words(&rng);
        bad[2] = "not hex".into();
        assert!(rng_from_words(&bad).is_none());
    }
}
