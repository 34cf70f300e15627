//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::{Duration, Instant};

use ganvas::engine::backend::{self, Backend, BackendChoice};
use ganvas::engine::trainer::protocol::Event;
use ganvas::engine::trainer::thread::Trainer;

/// The ganvas binary run in `dir` with `args`, as a user would run it.
pub fn ganvas_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ganvas"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs")
}

/// Everything a run printed, stdout then stderr.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The CPU backend (tests never need a GPU).
pub fn cpu() -> Backend {
    backend::select(BackendChoice::Cpu).expect("the CPU backend always exists")
}

/// A fresh empty directory under the system temp dir, removed again when the test is done
/// with it (kept when the test panics, so a failure can be looked at).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn temp_dir(tag: &str) -> TempDir {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ganvas-test-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

/// The repository root (tests run from it, but be explicit).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shared MNIST test set, when this checkout has it beside it.
pub fn mnist() -> Option<(PathBuf, PathBuf)> {
    let dir = repo().join("../shared/data/mnist");
    let images = dir.join("t10k-images-idx3-ubyte.gz");
    let labels = dir.join("t10k-labels-idx1-ubyte.gz");
    if images.exists() && labels.exists() {
        Some((images, labels))
    } else {
        eprintln!("skipping the MNIST part: {} is absent", dir.display());
        None
    }
}

/// A trainer's events until `pred` matches one (which is the last), or a panic naming what was
/// seen after `secs`.
pub fn events_until(t: &Trainer, secs: u64, mut pred: impl FnMut(&Event) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Some(e) = t.recv_timeout(Duration::from_millis(50)) {
            let done = pred(&e);
            seen.push(e);
            if done {
                return seen;
            }
        }
    }
    panic!("timed out; saw {seen:?}");
}
