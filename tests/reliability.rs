//! Nothing a user made is lost and no input makes ganvas panic: each case a careless or
//! hostile user found (issue 20) through the binary, as they ran it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::util::output_text as text;
use crate::util::{ganvas_in, repo, temp_dir};

/// Fails on a panic or an abort: every bad input must end in a message and exit status 1.
fn refused(o: &Output, says: &str) {
    let all = text(o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    assert!(all.contains(says), "expected `{says}` in: {all}");
}

fn preset(name: &str) -> String {
    repo()
        .join("presets")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The ring preset with SGD at this learning rate and momentum.
fn sgd_ring(dir: &Path, lr: f32, momentum: f32) -> String {
    let text = std::fs::read_to_string(preset("ring8-vanilla.toml")).expect("preset");
    let text = text
        .replace("kind = \"adam\"", "kind = \"sgd\"")
        .replace("lr = 0.001", &format!("lr = {lr}\nmomentum = {momentum}"))
        .lines()
        .filter(|l| !l.starts_with("beta"))
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join(format!("sgd-{lr}-{momentum}.toml"));
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_diverged_resume_keeps_a_finite_checkpoint() {
    let dir = temp_dir("diverge");
    let p = sgd_ring(&dir, 0.3, 0.9);
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &p,
            "--steps",
            "15",
            "--out",
            "D",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--resume",
            "D",
            "--steps",
            "50",
            "--backend",
            "cpu",
        ],
    );
    refused(&o, "diverged");
    assert!(
        text(&o).contains("saved the last good state"),
        "{}",
        text(&o)
    );
    let o = ganvas_in(
        &dir,
        &[
            "sample",
            "--checkpoint",
            "D",
            "--n",
            "50",
            "--out",
            "s.csv",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(dir.join("s.csv")).expect("csv");
    assert!(
        !csv.contains("NaN") && !csv.contains("inf"),
        "the saved G is finite:\n{csv}"
    );
}

#[test]
fn a_wild_divergence_on_points_is_reported_not_a_panic() {
    let dir = temp_dir("diverge-wild");
    let p = sgd_ring(&dir, 1.0, 0.99);
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &p,
            "--steps",
            "60",
            "--out",
            "E",
            "--backend",
            "cpu",
        ],
    );
    refused(&o, "diverged");
}

#[test]
fn a_run_is_never_replaced_without_asking() {
    let dir = temp_dir("overwrite");
    let digits = preset("digits-dcgan.toml");
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &digits,
            "--steps",
            "3",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let run = dir.join("runs/digits-dcgan/checkpoint.ganvas");
    let before = std::fs::read(&run).expect("the run");
    let ring = preset("ring8-vanilla.toml");
    for args in [
        vec![
            "train",
            "--preset",
            &ring,
            "--steps",
            "2",
            "--out",
            "runs/digits-dcgan",
            "--backend",
            "cpu",
        ],
        vec![
            "train",
            "--preset",
            &digits,
            "--steps",
            "2",
            "--backend",
            "cpu",
        ],
    ] {
        refused(&ganvas_in(&dir, &args), "already holds a run (step 3)");
        assert_eq!(std::fs::read(&run).expect("kept"), before, "{args:?}");
    }
    // Resuming it writes back into it; --force replaces it.
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--resume",
            "runs/digits-dcgan",
            "--steps",
            "1",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &ring,
            "--steps",
            "2",
            "--out",
            "runs/digits-dcgan",
            "--force",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn an_unwritable_output_is_refused_before_training() {
    let dir = temp_dir("unwritable");
    // A directory that exists and takes no file, even for root (CI runs as root, which
    // ignores permission bits): /proc/self. Before, this was found at the first save,
    // after the whole run had trained.
    let unwritable = Path::new("/proc/self");
    if !unwritable.is_dir() {
        eprintln!("skipping: no /proc here");
        return;
    }
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &preset("ring8-vanilla.toml"),
            "--steps",
            "300",
            "--out",
            "/proc/self",
            "--backend",
            "cpu",
        ],
    );
    refused(&o, "cannot write into /proc/self (checked before training)");
    assert!(
        !text(&o).contains("trained"),
        "nothing trained: {}",
        text(&o)
    );
}

#[test]
fn absurd_numbers_and_files_get_messages() {
    let dir = temp_dir("absurd");
    std::fs::write(dir.join("big.csv"), "x,y\n0,0\n1e19,2\n").expect("csv");
    std::fs::write(
        dir.join("csv.toml"),
        "format = 1\n[data]\nkind = \"csv\"\npath = \"big.csv\"\n",
    )
    .expect("preset");
    refused(
        &ganvas_in(
            &dir,
            &[
                "train",
                "--preset",
                "csv.toml",
                "--steps",
                "0",
                "--out",
                "c",
                "--backend",
                "cpu",
            ],
        ),
        "line 3",
    );
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &preset("ring8-vanilla.toml"),
            "--steps",
            "3",
            "--out",
            "R",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    refused(
        &ganvas_in(
            &dir,
            &[
                "train",
                "--resume",
                "R",
                "--steps",
                "18446744073709551615",
                "--backend",
                "cpu",
            ],
        ),
        "too many",
    );
    // Every field within its limits, the whole far beyond the machine: refused at once.
    std::fs::write(
        dir.join("huge.toml"),
        "format = 1\n[data]\nkind = \"ring\"\n[model]\nwidth = 8192\ndepth = 16\n[train]\nbatch_size = 65536\n",
    )
    .expect("preset");
    refused(
        &ganvas_in(
            &dir,
            &[
                "train",
                "--preset",
                "huge.toml",
                "--steps",
                "1",
                "--out",
                "h",
                "--backend",
                "cpu",
            ],
        ),
        "not enough memory",
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = temp_dir("pipe");
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &preset("ring8-vanilla.toml"),
            "--steps",
            "3",
            "--out",
            "R",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ganvas"))
        .args(["eval", "--checkpoint", "R", "--backend", "cpu"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    drop(child.stdout.take()); // as `| head -0` does
    let o = child.wait_with_output().expect("ends");
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

#[test]
fn each_error_is_said_once_naming_the_file() {
    let dir = temp_dir("once");
    std::fs::write(
        dir.join("short.idx"),
        [0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2],
    )
    .expect("idx");
    std::fs::create_dir_all(dir.join("a-folder")).expect("dir");
    for (file, says) in [("short.idx", "truncated"), ("a-folder", "is a folder")] {
        std::fs::write(
            dir.join("idx.toml"),
            format!("format = 1\n[data]\nkind = \"idx\"\nimages = \"{file}\"\n[model]\nfamily = \"dcgan\"\n"),
        )
        .expect("preset");
        let o = ganvas_in(
            &dir,
            &[
                "train",
                "--preset",
                "idx.toml",
                "--steps",
                "1",
                "--out",
                "i",
                "--backend",
                "cpu",
            ],
        );
        refused(&o, says);
        assert_eq!(text(&o).matches(says).count(), 1, "{}", text(&o));
        assert!(text(&o).contains(file), "{}", text(&o));
    }
    // A file that is not there, through each kind of error that wraps a system error.
    let missing = "No such file or directory";
    for args in [
        &["train", "--resume", "no-run", "--steps", "1"][..],
        &["train", "--preset", "no-preset.toml", "--steps", "1"],
        &["eval", "--checkpoint", "no-run"],
    ] {
        let o = ganvas_in(&dir, args);
        refused(&o, missing);
        assert_eq!(text(&o).matches(missing).count(), 1, "{}", text(&o));
    }
}

#[test]
fn a_preset_beside_resume_must_describe_that_run() {
    let dir = temp_dir("preset-resume");
    let ring = preset("ring8-vanilla.toml");
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &ring,
            "--steps",
            "3",
            "--out",
            "R",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    refused(
        &ganvas_in(
            &dir,
            &[
                "train",
                "--preset",
                &preset("ring8-wgan-gp.toml"),
                "--resume",
                "R",
                "--steps",
                "1",
                "--backend",
                "cpu",
            ],
        ),
        "objective",
    );
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &ring,
            "--resume",
            "R",
            "--steps",
            "1",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "the same preset goes on: {}", text(&o));
}

#[test]
fn a_run_on_relative_files_is_evaluated_from_anywhere() {
    let dir = temp_dir("anywhere");
    let grey = image::GrayImage::from_fn(8, 8, |x, y| image::Luma([(x * 20 + y * 9) as u8]));
    for class in ["a", "b"] {
        std::fs::create_dir_all(dir.join("pics").join(class)).expect("dir");
        for i in 0..4 {
            grey.save(dir.join("pics").join(class).join(format!("{i}.png")))
                .expect("png");
        }
    }
    std::fs::write(
        dir.join("p.toml"),
        "format = 1\n[data]\nkind = \"image-folder\"\npath = \"pics\"\n[model]\nfamily = \"dcgan\"\nlatent_dim = 4\nbase_channels = 4\n[train]\nbatch_size = 4\nsnapshot_samples = 4\n",
    )
    .expect("preset");
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            "p.toml",
            "--steps",
            "2",
            "--out",
            "R",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let elsewhere = temp_dir("elsewhere");
    let run = dir.join("R").to_string_lossy().into_owned();
    for args in [
        vec![
            "eval",
            "--checkpoint",
            &run,
            "--samples",
            "10",
            "--backend",
            "cpu",
        ],
        vec![
            "train",
            "--resume",
            &run,
            "--steps",
            "1",
            "--backend",
            "cpu",
        ],
    ] {
        let o = ganvas_in(&elsewhere, &args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
    }
}

#[test]
fn a_killed_saves_temporary_file_is_cleaned_up_by_the_next_save() {
    let dir = temp_dir("stale");
    let ring = preset("ring8-vanilla.toml");
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &ring,
            "--steps",
            "2",
            "--out",
            "R",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // What a save killed between writing and renaming leaves: a process id that is gone.
    let stale = dir.join("R/.checkpoint.ganvas.4000000000.tmp");
    std::fs::write(&stale, b"half a checkpoint").expect("write");
    let o = ganvas_in(
        &dir,
        &["train", "--resume", "R", "--steps", "1", "--backend", "cpu"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!stale.exists(), "the next save removed it");
}
