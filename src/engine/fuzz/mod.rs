//! A fuzzer for every file ganvas reads (IDX raw and gzip, IDX labels, CIFAR batches, image
//! files in a folder, CSV points, presets, checkpoints): each case mutates a valid file (bit
//! flips, bytes set to edge values, 32-bit words set to edge values, cuts, insertions,
//! splices, numbers in text replaced by extreme ones), writes it, and hands it to the same
//! function the app uses. An error is the right answer to a broken file; a panic is a crash,
//! kept with the input that caused it. Stable Rust, no extra dependency: `cargo test` runs a
//! bounded number of cases, `ganvas fuzz` (scripts/fuzz.sh) long runs.

mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use targets::Target;

use super::quiet::Quiet;
use super::rng::Rng;

/// How long a run goes on.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    Cases(u64),
    Time(Duration),
}

/// A panic and the input that caused it.
#[derive(Clone, Debug)]
pub struct Crash {
    pub message: String,
    pub input: Vec<u8>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Report {
    pub target: Target,
    pub cases: u64,
    /// Cases the parser accepted (the rest were refused with an error, as they should be
    /// when broken).
    pub accepted: u64,
    pub seconds: f64,
    pub crashes: Vec<Crash>,
}

impl Report {
    pub fn cases_per_second(&self) -> f64 {
        self.cases as f64 / self.seconds.max(1e-9)
    }
}

/// Edge values a mutated byte takes.
const BYTES: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, b'9', b'-'];
/// Edge values a mutated big-endian or little-endian 32-bit word takes.
const WORDS: [u32; 8] = [
    0,
    1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x0001_0000,
    60_000,
    28,
];
/// Numbers that replace one in a text file.
const NUMBERS: [&str; 12] = [
    "0",
    "-1",
    "1e39",
    "-1e39",
    "nan",
    "inf",
    "1e19",
    "18446744073709551616",
    "4294967297",
    "0.0000001",
    "65536",
    "-0",
];

/// One mutation of `input`; `other` is another seed to splice from.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = v.len();
        let at = if len == 0 { 0 } else { rng.below(len) };
        match rng.below(9) {
            0 if len > 0 => v[at] ^= 1 << rng.below(8),
            1 if len > 0 => v[at] = BYTES[rng.below(BYTES.len())],
            2 if len >= 4 => {
                let at = rng.below(len - 3);
                let word = WORDS[rng.below(WORDS.len())];
                let bytes = if rng.below(2) == 0 {
                    word.to_be_bytes()
                } else {
                    word.to_le_bytes()
                };
                v[at..at + 4].copy_from_slice(&bytes);
            }
            3 => v.truncate(at),
            4 => {
                let n = 1 + rng.below(16);
                for _ in 0..n {
                    v.insert(at.min(v.len()), rng.below(256) as u8);
                }
            }
            5 if len > 1 => {
                let n = 1 + rng.below((len - at).min(64));
                v.drain(at..(at + n).min(len));
            }
            6 if !other.is_empty() => {
                let from = rng.below(other.len());
                let n = 1 + rng.below((other.len() - from).min(256));
                let end = (at + n).min(v.len());
                v.splice(at..end, other[from..from + n].iter().copied());
            }
            7 => replace_number(rng, &mut v),
            _ if len > 0 => {
                // Duplicate a chunk: repeated sections, doubled headers.
                let n = 1 + rng.below((len - at).min(128));
                let chunk = v[at..at + n].to_vec();
                v.splice(at..at, chunk);
            }
            _ => v.push(rng.below(256) as u8),
        }
    }
    v
}

/// Replaces one run of digits (a number in a text file) by an extreme value.
fn replace_number(rng: &mut Rng, v: &mut Vec<u8>) {
    let starts: Vec<usize> = (0..v.len())
        .filter(|&i| v[i].is_ascii_digit() && (i == 0 || !v[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = starts[rng.below(starts.len())];
    let end = (start..v.len())
        .find(|&i| !(v[i].is_ascii_digit() || v[i] == b'.' || v[i] == b'e'))
        .unwrap_or(v.len());
    let number = NUMBERS[rng.below(NUMBERS.len())].as_bytes().to_vec();
    v.splice(start..end, number);
}

use super::quiet::panic_message;

/// A folder for the cases' files, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fastest place for throwaway files: /dev/shm where it exists, else the temp folder.
fn scratch_root() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Fuzzes `target` within `budget`, from `seed`. Panics are caught (and not printed while
/// the run lasts); each is reported with its input.
pub fn run(target: Target, budget: Budget, seed: u64) -> std::io::Result<Report> {
    let dir = scratch_root().join(format!(
        "ganvas-fuzz-{}-{}-{seed}",
        target.name(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let scratch = Scratch(dir);
    let seeds = target.seeds(&scratch.0)?;
    let mut rng = Rng::seeded(seed);
    let started = Instant::now();
    let _quiet = Quiet::on();
    let mut report = Report {
        target,
        cases: 0,
        accepted: 0,
        seconds: 0.0,
        crashes: Vec::new(),
    };
    loop {
        let done = match budget {
            Budget::Cases(n) => report.cases >= n,
            Budget::Time(t) => started.elapsed() >= t,
        };
        if done {
            break;
        }
        let a = &seeds[rng.below(seeds.len())];
        let b = &seeds[rng.below(seeds.len())];
        // Now and then the seed itself, so that the valid path stays exercised.
        let input = if report.cases.is_multiple_of(50) {
            a.clone()
        } else {
            mutate(&mut rng, a, b)
        };
        report.cases += 1;
        match catch_unwind(AssertUnwindSafe(|| target.execute(&scratch.0, &input))) {
            Ok(Ok(())) => report.accepted += 1,
            Ok(Err(_)) => {}
            Err(payload) => report.crashes.push(Crash {
                message: panic_message(payload.as_ref()),
                input,
            }),
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Every `stride`-th byte of each seed checkpoint, flipped (and, separately, set to 0 and to
/// 0xff), driven through sample, eval and resume: the systematic sweep beside the random
/// mutations. `stride` 1 covers every byte.
pub fn sweep_checkpoints(stride: usize) -> std::io::Result<Report> {
    let target = Target::Checkpoint;
    let dir = scratch_root().join(format!("ganvas-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let scratch = Scratch(dir);
    let seeds = target.seeds(&scratch.0)?;
    let started = Instant::now();
    let _quiet = Quiet::on();
    let mut report = Report {
        target,
        cases: 0,
        accepted: 0,
        seconds: 0.0,
        crashes: Vec::new(),
    };
    for seed in &seeds {
        for at in (0..seed.len()).step_by(stride.max(1)) {
            for value in [seed[at] ^ 0xff, 0x00, 0xff] {
                let mut input = seed.clone();
                input[at] = value;
                report.cases += 1;
                match catch_unwind(AssertUnwindSafe(|| target.execute(&scratch.0, &input))) {
                    Ok(Ok(())) => report.accepted += 1,
                    Ok(Err(_)) => {}
                    Err(payload) => report.crashes.push(Crash {
                        message: format!(
                            "byte {at} = {value:#04x}: {}",
                            panic_message(payload.as_ref())
                        ),
                        input,
                    }),
                }
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_change_inputs_and_stay_reproducible() {
        let input = b"format = 1\n[train]\nbatch_size = 64\n".to_vec();
        let mut a = Rng::seeded(3);
        let mut b = Rng::seeded(3);
        let mut changed = 0;
        for _ in 0..200 {
            let x = mutate(&mut a, &input, b"other");
            assert_eq!(x, mutate(&mut b, &input, b"other"), "same seed, same case");
            changed += usize::from(x != input);
        }
        assert!(changed > 180, "{changed} of 200 changed");
        let mut v = b"lr = 0.001\n".to_vec();
        replace_number(&mut Rng::seeded(1), &mut v);
        assert_ne!(v, b"lr = 0.001\n".to_vec());
        assert!(
            v.starts_with(b"lr = ") && v.ends_with(b"\n"),
            "{:?}",
            String::from_utf8_lossy(&v)
        );
    }
}
