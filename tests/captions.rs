//! The text-to-image family end to end: every shipped preset builds and trains a round;
//! `ganvas train` writes its run directory and resumes, `ganvas eval` measures caption
//! accuracy on it; `ganvas sample --caption` draws a
//! typed sentence, names the words it does not know, and refuses what it cannot do.

use std::path::Path;

use ganvas::engine::captions::preset::CaptionPreset;
use ganvas::engine::captions::run::CaptionRun;
use ganvas::engine::config::DataConfig;
use ganvas::engine::trainer::protocol::StepKind;

use crate::util::{cpu, ganvas_in, mnist, output_text, repo, temp_dir};

#[test]
fn every_captions_preset_loads_and_trains_a_round() {
    let files = ganvas::engine::preset::list(&repo().join("presets/captions"));
    assert!(!files.is_empty(), "{files:?}");
    for file in files {
        let mut p = CaptionPreset::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !p.name.is_empty() && !p.description.is_empty(),
            "{}",
            file.display()
        );
        if matches!(p.data, DataConfig::Idx { .. }) && mnist().is_none() {
            continue;
        }
        // The shape is what matters here.
        (p.captions.scenes, p.captions.held_out_scenes) = (100, 10);
        p.captions.batch_size = 4;
        let (train, held) = p
            .scenes()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut run = CaptionRun::new(p.captions.clone(), train, held, &cpu().device);
        let stats = run.step_once(StepKind::Round);
        assert!(
            ganvas::engine::captions::divergence(&stats).is_none(),
            "{}: {stats:?}",
            file.display()
        );
    }
}

fn tiny_preset(dir: &Path) -> String {
    let text = "format = 1\nfamily = \"captions\"\nname = \"tiny\"\ndescription = \"t\"\n\
        [data]\nkind = \"digits\"\n\
        [captions]\nscenes = 300\nheld_out_scenes = 20\nembed = 8\ncondition = 4\nz_dim = 8\n\
        base_channels = 4\nbatch_size = 4\n\
        [train]\nsteps = 4\nsample_every = 2\nmetrics_every = 2\n";
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).expect("preset");
    path.to_string_lossy().into_owned()
}

#[test]
fn train_writes_the_run_and_sample_draws_a_typed_caption() {
    let dir = temp_dir("captions-cli");
    let preset = tiny_preset(&dir);
    let out = dir.join("run");
    let out_s = out.to_string_lossy().into_owned();
    let train = [
        "train",
        "--preset",
        &preset,
        "--out",
        &out_s,
        "--backend",
        "cpu",
    ];
    let o = ganvas_in(repo(), &train);
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    for file in [
        "checkpoint.ganvas",
        "metrics.csv",
        "samples.png",
        "samples.txt",
    ] {
        assert!(out.join(file).exists(), "{file}: {text}");
    }
    assert!(
        text.contains("caption_single_seen") && text.contains("caption_pair_held_out"),
        "{text}"
    );
    // Eight captions (four seen, four held out), eight samples each, of 64 px.
    let grid = image::open(out.join("samples.png")).expect("png");
    assert!(
        grid.width() >= 8 * 64 && grid.height() >= 8 * 64,
        "{grid:?}"
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert!(csv.lines().any(|l| l.starts_with("4,d_loss,")), "{csv}");
    assert!(
        csv.lines().any(|l| l.starts_with("4,caption_single_seen,")),
        "{csv}"
    );

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
    let ckpt = ganvas::engine::captions::checkpoint::CaptionCheckpoint::read(&out)
        .expect("the run directory's checkpoint");
    assert_eq!(ckpt.step, 6);
    let o = ganvas_in(
        repo(),
        &[
            "eval",
            "--checkpoint",
            &out_s,
            "--samples",
            "30",
            "--backend",
            "cpu",
        ],
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("at step 6 (30 captions of training scenes, 20 of held-out")
            && text.contains("caption_pair_held_out"),
        "{text}"
    );

    let png = dir.join("threes.png");
    let png_s = png.to_string_lossy().into_owned();
    let sample = |caption: &str, out: &str| {
        let args = [
            "sample",
            "--checkpoint",
            &out_s,
            "--caption",
            caption,
            "--n",
            "6",
            "--out",
            out,
            "--backend",
            "cpu",
        ];
        ganvas_in(repo(), &args)
    };
    let o = sample("a small purple 3 at the top left", &png_s);
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("\"purple\"") && text.contains("the words known are"),
        "{text}"
    );
    assert!(text.contains("a small 3 at the top left"), "{text}");
    assert!(image::open(&png).is_ok());
    let o = sample("hello world", &png_s);
    let text = output_text(&o);
    assert!(!o.status.success() && text.contains("\"hello\""), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let o = ganvas_in(
        repo(),
        &[
            "sample",
            "--checkpoint",
            &out_s,
            "--out",
            &png_s,
            "--backend",
            "cpu",
        ],
    );
    let text = output_text(&o);
    assert!(!o.status.success() && text.contains("--caption"), "{text}");
    // --caption on another family's checkpoint says so.
    let fixture = repo().join("tests/fixtures/checkpoint-v1.ganvas");
    let o = ganvas_in(
        repo(),
        &[
            "sample",
            "--checkpoint",
            &fixture.to_string_lossy(),
            "--caption",
            "a 3",
            "--out",
            &png_s,
        ],
    );
    let text = output_text(&o);
    assert!(
        !o.status.success() && text.contains("text-to-image"),
        "{text}"
    );
}
