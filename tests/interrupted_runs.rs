//! A long `ganvas train` loses nothing: Ctrl-C saves the run and says how to go on, a resume
//! without --steps finishes it, and the run saves itself every --autosave seconds, so even a
//! killed process leaves a checkpoint that loads.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use ganvas::engine::checkpoint::Checkpoint;

use crate::util::{repo, temp_dir};

/// `ganvas train` on the ring for far more steps than the test waits for, its stderr lines
/// arriving on the channel.
fn start_long_run(out: &Path, extra: &[&str]) -> (Child, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ganvas"))
        .args(["train", "--preset", "presets/ring8-vanilla.toml"])
        .args(["--steps", "100000000", "--backend", "cpu", "--out"])
        .arg(out)
        .args(extra)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// Lines until one contains `needle` (panics after `secs`).
fn wait_for(rx: &Receiver<String>, needle: &str, secs: u64) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no line with {needle:?} within {secs} s: {seen:#?}");
}

/// Sends a signal through the shell's `kill` builtin (a minimal Debian has no /bin/kill).
fn signal(child: &Child, name: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("kill {name} {}", child.id()))
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill {name}");
}

#[test]
fn ctrl_c_saves_the_run_and_a_resume_finishes_it() {
    let dir = temp_dir("interrupted");
    let run = dir.join("run");
    let (mut child, rx) = start_long_run(&run, &["--autosave", "0"]);
    // ring8-vanilla evaluates every 250 steps: a line means the loop is running.
    wait_for(&rx, "step 250/", 60);
    assert!(
        !run.join("checkpoint.ganvas").exists(),
        "no autosave asked for"
    );
    signal(&child, "-INT");
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(130), "Ctrl-C's exit status");
    let said = wait_for(&rx, "Go on with: ganvas train --resume", 10).join("\n");
    assert!(said.contains("stopped at step"), "{said}");
    assert!(
        !said.contains("panicked") && !said.contains("error:"),
        "{said}"
    );
    let saved = Checkpoint::read(&run).expect("the saved run loads");
    assert!(saved.step >= 250, "saved at step {}", saved.step);
    let csv = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics.csv");
    assert!(csv.contains("modes_covered"), "the curves so far are kept");

    // A resume without --steps trains the steps the preset has left.
    let planned = saved.config.train.steps as u64;
    assert!(
        saved.step < planned,
        "interrupted early enough ({})",
        saved.step
    );
    let o = Command::new(env!("CARGO_BIN_EXE_ganvas"))
        .args(["train", "--resume"])
        .arg(&run)
        .args(["--backend", "cpu"])
        .current_dir(repo())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{} steps", planned - saved.step)),
        "{stderr}"
    );
    let finished = Checkpoint::read(&run).expect("loads");
    assert_eq!(finished.step, planned);
}

#[test]
fn a_killed_run_leaves_its_last_autosave() {
    let dir = temp_dir("killed");
    let run = dir.join("run");
    let (mut child, rx) = start_long_run(&run, &["--autosave", "1"]);
    wait_for(&rx, "step 250/", 60);
    let checkpoint = run.join("checkpoint.ganvas");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !checkpoint.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(checkpoint.exists(), "autosaved within 30 s");
    std::thread::sleep(Duration::from_millis(1500)); // into the next save, maybe mid-write
    signal(&child, "-KILL");
    child.wait().expect("ends");
    let saved = Checkpoint::read(&run).expect("the last complete save loads");
    assert!(saved.step > 0);
}

#[test]
fn a_failed_autosave_warns_and_training_goes_on() {
    let dir = temp_dir("autosave-fails");
    let run = dir.join("run");
    let (mut child, rx) = start_long_run(&run, &["--autosave", "1"]);
    wait_for(&rx, "step 250/", 60);
    // The run directory becomes a file: every save fails (even as root).
    // (An autosave may be writing into it right now: try again until it is gone.)
    let removed = (0..50).any(|_| {
        std::fs::remove_dir_all(&run).is_ok() || {
            std::thread::sleep(Duration::from_millis(20));
            false
        }
    });
    assert!(removed, "the run directory could not be removed");
    std::fs::write(&run, b"in the way").expect("a file in its place");
    wait_for(&rx, "warning: autosave at step", 30);
    // A progress line ("step N/100000000 (… steps/s)") after the warning: still training.
    wait_for(&rx, "/100000000 (", 30);
    // Once the directory is back, Ctrl-C saves the run that kept training.
    std::fs::remove_file(&run).expect("remove the file");
    std::fs::create_dir(&run).expect("the directory again");
    signal(&child, "-INT");
    assert_eq!(child.wait().expect("ends").code(), Some(130));
    let saved = Checkpoint::read(&run).expect("loads");
    assert!(saved.step > 250, "saved at step {}", saved.step);
}
