//! The `ganvas` binary end to end: train, then sample from the run directory; bad input gives a
//! message and a failing exit code, never a panic.

use std::process::Command;

use crate::util::{repo, temp_dir};

fn ganvas(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ganvas"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs")
}

#[test]
fn train_then_sample_from_the_run_directory() {
    let dir = temp_dir("cli");
    let out = dir.join("run");
    let out_s = out.to_string_lossy().into_owned();
    let o = ganvas(&[
        "train",
        "--preset",
        "presets/ring8-vanilla.toml",
        "--steps",
        "20",
        "--backend",
        "cpu",
        "--out",
        &out_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("trained 20 steps") && stdout.contains("modes_covered"),
        "{stdout}"
    );
    for f in [
        "checkpoint.ganvas",
        "metrics.csv",
        "samples.png",
        "generator.safetensors",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let csv = dir.join("pts.csv");
    let o = ganvas(&[
        "sample",
        "--checkpoint",
        &out_s,
        "--n",
        "100",
        "--out",
        &csv.to_string_lossy(),
        "--backend",
        "cpu",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&csv).expect("csv").lines().count(),
        101
    );
    // Resuming continues the step count.
    let o = ganvas(&[
        "train",
        "--resume",
        &out_s,
        "--preset",
        "presets/ring8-vanilla.toml",
        "--steps",
        "5",
        "--backend",
        "cpu",
        "--out",
        &out_s,
    ]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at step 20"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Without --preset and --out, a resumed run keeps its own configuration and directory.
    let o = ganvas(&[
        "train",
        "--resume",
        &out_s,
        "--steps",
        "5",
        "--backend",
        "cpu",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("at step 25"), "{stderr}");
    let ckpt = ganvas::engine::checkpoint::Checkpoint::read(std::path::Path::new(&out_s))
        .expect("the run directory's checkpoint");
    assert_eq!(ckpt.step, 30, "written back into the resumed run");
}

#[test]
fn bad_input_is_a_message_not_a_panic() {
    let dir = temp_dir("cli-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "format = 1\n[data]\nkind = \"ring\"\n[tricks]\npack = 0\n",
    )
    .expect("write");
    let o = ganvas(&[
        "train",
        "--preset",
        &bad.to_string_lossy(),
        "--steps",
        "1",
        "--backend",
        "cpu",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("tricks.pack") && !err.contains("panicked"),
        "{err}"
    );
    let o = ganvas(&[
        "sample",
        "--checkpoint",
        &bad.to_string_lossy(),
        "--n",
        "3",
        "--out",
        "x.csv",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("not a ganvas checkpoint") && !err.contains("panicked"),
        "{err}"
    );
    // The window reads the checkpoint before it opens: the same message, no window.
    let o = ganvas(&["gui", "--checkpoint", &bad.to_string_lossy()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("not a ganvas checkpoint") && !err.contains("panicked"),
        "{err}"
    );
    let o = ganvas(&["gui", "--checkpoint", "a.ganvas", "--preset", "b.toml"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("cannot be used with"),
        "{err}"
    );
}

#[test]
fn eval_prints_the_collapse_metrics_of_a_checkpoint() {
    let dir = temp_dir("cli-eval");
    let cache = dir.join("cache");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ganvas"))
            .args(args)
            .current_dir(repo())
            .env("GANVAS_CACHE_DIR", &cache)
            .output()
            .expect("runs")
    };
    let out = dir.join("digits");
    let out_s = out.to_string_lossy().into_owned();
    let o = run(&[
        "train",
        "--preset",
        "presets/digits-dcgan.toml",
        "--steps",
        "2",
        "--backend",
        "cpu",
        "--out",
        &out_s,
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("metrics classifier:"), "{stderr}");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("metrics.csv");
    assert!(
        csv.contains("fid_lite") && csv.contains("classes_covered"),
        "{csv}"
    );
    let o = run(&["eval", "--checkpoint", &out_s, "--backend", "cpu"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "step                   2",
        "classes_covered",
        "mean_confidence",
        "fid_lite",
        "precision",
        "coverage",
        "diversity_ratio",
        "histogram (",
    ] {
        assert!(stdout.contains(name), "{name} missing in {stdout}");
    }
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("from the cache"),
        "the second run reuses the classifier"
    );
    assert!(
        stdout.contains("of 1000 samples"),
        "the usual count: {stdout}"
    );
    let o = run(&[
        "eval",
        "--checkpoint",
        &out_s,
        "--backend",
        "cpu",
        "--samples",
        "300",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("of 300 samples"), "{stdout}");
    let o = run(&["eval", "--checkpoint", &out_s, "--samples", "3"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && stderr.contains("--samples") && !stderr.contains("panicked"),
        "{stderr}"
    );
    let o = run(&[
        "eval",
        "--checkpoint",
        &dir.join("missing").to_string_lossy(),
    ]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("missing") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// scripts/gpu-check.sh where there is no GPU (CI, most sessions): it says so, in its report
/// and on stderr, exits 2, and runs nothing else.
#[test]
fn the_gpu_check_says_plainly_when_there_is_no_gpu() {
    let bin = env!("CARGO_BIN_EXE_ganvas");
    let probe = Command::new(bin)
        .args(["bench", "--probe-gpu"])
        .output()
        .expect("runs");
    if probe.status.success() {
        eprintln!("skipping: this machine has a GPU (run scripts/gpu-check.sh itself)");
        return;
    }
    let dir = temp_dir("gpu-check");
    let report = dir.join("report.md");
    let o = Command::new(repo().join("scripts/gpu-check.sh"))
        .arg(&report)
        .env("GANVAS_BIN", bin)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no GPU figure can be taken here: no GPU"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&report).expect("the report");
    assert!(text.starts_with("# ganvas GPU check\n"), "{text}");
    assert!(
        text.contains("## adapter") && text.contains("status: no GPU"),
        "{text}"
    );
    assert!(!text.contains("## bench"), "nothing else ran: {text}");
}
