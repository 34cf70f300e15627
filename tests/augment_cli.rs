//! `ganvas augment` end to end on the embedded digits: the CSV it writes is what its table
//! shows, a rerun resumes instead of redoing, and bad requests are refused with a message.

use crate::util::{ganvas_in, repo, temp_dir};

fn ganvas(args: &[&str]) -> std::process::Output {
    ganvas_in(repo(), args)
}

/// presets/digits-dcgan.toml made conditional and small (the experiment's wiring is under
/// test here, not what the GAN learns).
fn conditional_digits_preset(dir: &std::path::Path) -> String {
    let text =
        std::fs::read_to_string(repo().join("presets/digits-dcgan.toml")).expect("test value");
    let text = text
        .replace("count = 10000", "count = 600")
        .replace(
            "base_channels = 32",
            "base_channels = 8\nconditional = true",
        )
        .replace("batch_size = 64", "batch_size = 16");
    assert!(text.contains("conditional = true"));
    let path = dir.join("digits-cgan.toml");
    std::fs::write(&path, text).expect("test value");
    path.to_string_lossy().into_owned()
}

fn augment(preset: &str, out: &str, seeds: &str) -> std::process::Output {
    ganvas(&[
        "augment",
        "--preset",
        preset,
        "--per-class",
        "4,8",
        "--seeds",
        seeds,
        "--gan-steps",
        "3",
        "--classifier-steps",
        "40",
        "--synthetic-per-class",
        "6",
        "--out",
        out,
        "--backend",
        "cpu",
    ])
}

#[test]
fn the_table_shows_the_csv_and_a_rerun_resumes() {
    let dir = temp_dir("augment");
    let preset = conditional_digits_preset(&dir);
    let out = dir.join("lab").to_string_lossy().into_owned();
    let o = augment(&preset, &out, "1");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("lab/results.csv")).expect("test value");
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().expect("test value"))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!((rows[0][0], rows[1][0]), (4.0, 8.0));
    // Each N ran once: its table row shows the CSV's accuracies, ± 0.
    let stdout = String::from_utf8_lossy(&o.stdout);
    for row in &rows {
        let cells: Vec<String> = row[2..7]
            .iter()
            .map(|v| format!("{v:.3} ± 0.000"))
            .collect();
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {} | 1 |", row[0])))
            .unwrap_or_else(|| panic!("no row for N = {}: {stdout}", row[0]));
        for cell in cells {
            assert!(line.contains(&cell), "{cell} not in {line}");
        }
        assert!(row[2..7].iter().all(|v| (0.0..=1.0).contains(v)), "{row:?}");
    }
    // A second seed: the first runs are kept as they were, two new ones appended.
    let o = augment(&preset, &out, "1,2");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again = std::fs::read_to_string(dir.join("lab/results.csv")).expect("test value");
    assert!(
        again.starts_with(&csv),
        "finished runs were redone:\n{csv}\n{again}"
    );
    assert_eq!(again.lines().count(), 5);
    assert!(String::from_utf8_lossy(&o.stdout).contains("| 4 | 2 |"));
    let chart = image::open(dir.join("lab/chart.png")).expect("a readable chart");
    assert!(chart.width() > 400 && chart.height() == 480);
}

#[test]
fn bad_requests_name_the_problem() {
    let dir = temp_dir("augment-bad");
    let out = dir.join("lab").to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--preset", "presets/digits-dcgan.toml"],
            "conditional generator",
        ),
        (
            &["--preset", "presets/ring8-vanilla.toml"],
            "needs labelled images",
        ),
        (
            &["--preset", "presets/superres/digits-4x.toml"],
            "superres preset",
        ),
        (
            &["--preset", "presets/digits-dcgan.toml", "--mix", "1.5"],
            "between 0 and 1",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["augment", "--out", &out, "--backend", "cpu"];
        all.extend_from_slice(args);
        let o = ganvas(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && stderr.contains(message),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let preset = conditional_digits_preset(&dir);
    let o = ganvas(&[
        "augment",
        "--preset",
        &preset,
        "--per-class",
        "500",
        "--out",
        &out,
        "--backend",
        "cpu",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("fewer than the 500 per class"), "{stderr}");
}
