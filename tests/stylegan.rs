//! The StyleGAN family end to end: every shipped preset builds and trains a round; `ganvas
//! train` writes its run directory, resumes, and refuses what it cannot do with a message.

use std::path::Path;

use ganvas::engine::config::DataConfig;
use ganvas::engine::stylegan::preset::StylePreset;
use ganvas::engine::stylegan::run::StyleRun;
use ganvas::engine::trainer::protocol::StepKind;

use crate::util::{cpu, ganvas_in, mnist, output_text, repo, temp_dir};

#[test]
fn every_stylegan_preset_loads_and_trains_a_round() {
    let files = ganvas::engine::preset::list(&repo().join("presets/stylegan"));
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let mut p = StylePreset::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !p.name.is_empty() && !p.description.is_empty(),
            "{}",
            file.display()
        );
        let folder = temp_dir("stylegan-folder");
        match &mut p.data {
            DataConfig::Digits { count } => *count = 64,
            DataConfig::Idx { .. } if mnist().is_none() => continue,
            DataConfig::ImageFolder { path, .. } => {
                // The folder a user points it at: checked with a made-up one.
                for i in 0..8u8 {
                    image::RgbImage::from_fn(40, 36, |x, y| {
                        image::Rgb([x as u8 * 5, y as u8 * 6, i * 30])
                    })
                    .save(folder.join(format!("{i}.png")))
                    .expect("png");
                }
                *path = folder.to_path_buf();
            }
            _ => {}
        }
        let images = p
            .load_images()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            (images.height, images.width),
            (32, 32),
            "{}",
            file.display()
        );
        p.stylegan.batch_size = 4;
        let mut run = StyleRun::new(p.stylegan.clone(), &images, &cpu().device).expect("run");
        let stats = run.step_once(StepKind::Round);
        assert!(
            ganvas::engine::stylegan::divergence(&stats).is_none(),
            "{}: {stats:?}",
            file.display()
        );
        let grid = run.sample_grid(4, 1, 1.0);
        assert_eq!(grid.values.len(), 4 * images.channels * 32 * 32);
    }
}

fn tiny_preset(dir: &Path) -> String {
    let text = "format = 1\nfamily = \"stylegan\"\nname = \"tiny\"\ndescription = \"t\"\n\
        [data]\nkind = \"digits\"\ncount = 200\n\
        [stylegan]\nz_dim = 8\nw_dim = 8\nmapping_layers = 2\nchannel_base = 64\nchannel_max = 8\nbatch_size = 4\nr1_every = 2\n\
        [train]\nsteps = 4\nsample_every = 2\nmetrics_every = 2\n";
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).expect("preset");
    path.to_string_lossy().into_owned()
}

#[test]
fn train_writes_the_run_directory_and_resume_goes_on() {
    let dir = temp_dir("stylegan-cli");
    let preset = tiny_preset(&dir);
    let out = dir.join("run");
    let out_s = out.to_string_lossy().into_owned();
    let o = ganvas_in(
        repo(),
        &[
            "train",
            "--preset",
            &preset,
            "--out",
            &out_s,
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    for file in [
        "checkpoint.ganvas",
        "metrics.csv",
        "samples.png",
        "mixing.png",
    ] {
        assert!(out.join(file).exists(), "{file}: {}", output_text(&o));
    }
    let text = output_text(&o);
    assert!(
        text.contains("fid_lite") && text.contains("classes_covered"),
        "{text}"
    );
    // The mixing grid: 6 sources each way and their headers, 7 × 7 cells of 32 px.
    let mixing = image::open(out.join("mixing.png")).expect("png");
    assert!(mixing.width() >= 7 * 32, "{}", mixing.width());
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert!(csv.lines().any(|l| l.starts_with("4,d_loss,")), "{csv}");
    let o = ganvas_in(
        repo(),
        &[
            "train",
            "--resume",
            &out_s,
            "--steps",
            "2",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("resumed from"),
        "{}",
        output_text(&o)
    );
    let ckpt =
        ganvas::engine::stylegan::checkpoint::StyleCheckpoint::read(&out).expect("checkpoint");
    assert_eq!(ckpt.step, 6);
    // `eval` reads the run directory: the metrics, then the mixing check on 1,000 pairs:
    // how many have sources of different classes, and of those how many mixes follow B or A.
    let o = ganvas_in(
        repo(),
        &["eval", "--checkpoint", &out_s, "--backend", "cpu"],
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("at step 6") && text.contains("fid_lite"),
        "{text}"
    );
    let number_before = |line: &str, word: &str| -> f64 {
        let head = &line[..line.find(word).unwrap_or_else(|| panic!("{word}: {line}"))];
        head.split_whitespace()
            .last()
            .and_then(|w| w.parse().ok())
            .unwrap_or(-1.0)
    };
    let header = text
        .lines()
        .find(|l| l.starts_with("mixing check: 1000 pairs"))
        .unwrap_or_else(|| panic!("no mixing check: {text}"));
    let differing = number_before(header, "pairs have");
    let line = text
        .lines()
        .find(|l| l.contains("the mix's class is B's"))
        .unwrap_or_else(|| panic!("no mixing line: {text}"));
    let counts: Vec<f64> = line
        .split(['(', ')', ','])
        .filter_map(|part| part.split_whitespace().last()?.parse().ok())
        .collect();
    assert!(
        (0.0..=1000.0).contains(&differing)
            && counts.len() == 2
            && counts.iter().sum::<f64>() <= differing,
        "{header} / {line}: {counts:?}"
    );
    let o = ganvas_in(
        repo(),
        &["eval", "--checkpoint", &out_s, "--truncation", "2"],
    );
    let text = output_text(&o);
    assert!(!o.status.success() && text.contains("ψ"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn bad_stylegan_requests_are_refused_with_their_reason() {
    let dir = temp_dir("stylegan-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "format = 1\nfamily = \"stylegan\"\n[data]\nkind = \"digits\"\n[stylegan]\nresolution = 28\n",
    )
    .expect("write");
    let o = ganvas_in(
        repo(),
        &[
            "train",
            "--preset",
            &bad.to_string_lossy(),
            "--backend",
            "cpu",
        ],
    );
    let text = output_text(&o);
    assert!(
        !o.status.success() && text.contains("stylegan.resolution") && text.contains("32 or 64"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    // The window reads the preset before it opens: the same message, no window.
    let o = ganvas_in(repo(), &["gui", "--preset", &bad.to_string_lossy()]);
    let text = output_text(&o);
    assert!(
        !o.status.success() && text.contains("stylegan.resolution"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}
