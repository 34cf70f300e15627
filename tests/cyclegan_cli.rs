//! CycleGAN from the command line as a user runs it: every shipped CycleGAN preset loads and
//! trains; `ganvas train` writes the run, resumes it, and refuses to overwrite it;
//! `ganvas translate` turns an image and a folder of them; GAN-only commands refuse a
//! CycleGAN run by name.

use std::path::Path;
use std::sync::Arc;

use ganvas::engine::cyclegan::preset::{CyclePreset, DomainsConfig, shipped_dir};
use ganvas::engine::cyclegan::run::CycleRun;
use ganvas::engine::preset;
use ganvas::engine::trainer::protocol::StepKind;

use crate::util::output_text as text;
use crate::util::{cpu, ganvas_in, mnist, repo, temp_dir};

#[test]
fn every_cyclegan_preset_loads_and_trains_two_rounds() {
    let files = preset::list(&shipped_dir(&repo().join("presets")));
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let p = CyclePreset::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !p.name.is_empty() && !p.description.is_empty(),
            "{}",
            file.display()
        );
        let mut section = p.cyclegan.clone();
        if let DomainsConfig::Sources { a, .. } = &section.domains
            && matches!(a, ganvas::engine::config::DataConfig::Idx { .. })
            && mnist().is_none()
        {
            eprintln!(
                "skipping {}: ../shared/data/mnist is absent",
                file.display()
            );
            continue;
        }
        // The shapes are what matter here.
        if let DomainsConfig::EmbeddedPair { per_domain, .. } = &mut section.domains {
            *per_domain = 120;
        }
        section.held_out = 20;
        let [train, _] = section
            .load_domains()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut run = CycleRun::new(section.config(), Arc::new(train), &cpu().device)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for _ in 0..2 {
            let st = run.step_once(StepKind::Round).expect("trains");
            assert!(
                st.values.iter().take(6).all(|v| v.is_finite()),
                "{}",
                file.display()
            );
            assert_eq!(
                st.value(ganvas::engine::cyclegan::SEMANTIC_AB).is_finite(),
                section.semantic > 0.0,
                "{}: the semantic curve is measured exactly when the term is on",
                file.display()
            );
        }
    }
}

/// A small, fast version of the thin ↔ thick preset.
fn small_preset(dir: &Path) -> String {
    let text = std::fs::read_to_string(repo().join("presets/cyclegan/digits-thin-thick.toml"))
        .expect("preset")
        .replace("per_domain = 2500", "per_domain = 300")
        .replace("held_out = 500", "held_out = 100")
        .replace("g_filters = 16", "g_filters = 8")
        .replace("d_filters = 16", "d_filters = 8")
        .replace("metrics_every = 200", "metrics_every = 20");
    let path = dir.join("small.toml");
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn train_resume_translate_as_a_user_would() {
    let dir = temp_dir("cyclegan-cli");
    let p = small_preset(&dir);
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--backend", "cpu", "--out", "R"];
        args.extend_from_slice(extra);
        ganvas_in(&dir, &args)
    };
    let o = train(&["--preset", &p, "--steps", "40"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("label_preservation_ab"), "{}", text(&o));
    for f in ["checkpoint.ganvas", "metrics.csv", "translations.png"] {
        assert!(dir.join("R").join(f).exists(), "{f}");
    }
    let csv = std::fs::read_to_string(dir.join("R/metrics.csv")).expect("csv");
    assert!(
        csv.contains("40,cycle_l1_a,") && csv.contains("20,label_preservation_ba,"),
        "{csv}"
    );
    // What the judges say of untranslated images, the baseline label preservation must beat.
    assert!(csv.contains("0,untranslated_agreement_ab,"), "{csv}");
    assert!(text(&o).contains("untranslated, "), "{}", text(&o));
    // The strips: 6 rows of 8 digits, 29 px each with a 1 px gap.
    let strips = image::open(dir.join("R/translations.png")).expect("png");
    assert_eq!((strips.width(), strips.height()), (8 * 29 + 1, 6 * 29 + 1));
    // The same directory again is refused; --resume goes on from step 40.
    let o = train(&["--preset", &p, "--steps", "5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("already holds a run (a CycleGAN run, step 40)"),
        "{}",
        text(&o)
    );
    let o = train(&["--resume", "R", "--steps", "5"]);
    assert!(o.status.success(), "{}", text(&o));
    let peeked = ganvas::engine::checkpoint::peek(&dir.join("R")).expect("reads");
    assert_eq!((peeked.0.key, peeked.1), ("cyclegan", 45));
    // Translate one image and a folder.
    std::fs::create_dir_all(dir.join("in")).expect("dir");
    let digit = image::GrayImage::from_fn(40, 40, |x, y| {
        let on = (18..22).contains(&x) && (6..34).contains(&y);
        image::Luma([if on { 255 } else { 0 }])
    });
    digit.save(dir.join("in/one.png")).expect("png");
    digit.save(dir.join("in/two.png")).expect("png");
    let translate = |args: &[&str]| {
        let mut all = vec!["translate", "--checkpoint"];
        all.extend_from_slice(args);
        ganvas_in(&dir, &all)
    };
    let o = translate(&[
        "R",
        "--direction",
        "ab",
        "--in",
        "in/one.png",
        "--out",
        "t.png",
        "--backend",
        "cpu",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = image::open(dir.join("t.png")).expect("png");
    assert_eq!((t.width(), t.height()), (28, 28), "the run's side");
    let o = translate(&[
        "R",
        "--direction",
        "ba",
        "--in",
        "in",
        "--out",
        "T",
        "--backend",
        "cpu",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("T/one.png").exists() && dir.join("T/two.png").exists());
    // Wrong uses are refused with what to do.
    let o = translate(&["R", "--direction", "ab", "--in", "in", "--out", "x.png"]);
    assert!(
        text(&o).contains("--out must be a folder too"),
        "{}",
        text(&o)
    );
    // eval: the run's held-out images, every metric named per direction.
    let o = ganvas_in(&dir, &["eval", "--checkpoint", "R", "--backend", "cpu"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    for name in [
        "cycle_l1_a",
        "label_preservation_ab",
        "label_preservation_ba",
        "diversity_ratio_ab",
        "duplicate_pct_ba",
        "fid_lite_ab",
        "untranslated_agreement_ab",
    ] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
    let o = ganvas_in(&dir, &["eval", "--checkpoint", "R", "--samples", "50"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("held-out images"), "{}", text(&o));
    // sample: the strips of n held-out images of each domain (6 rows of n), seeded.
    let o = ganvas_in(
        &dir,
        &[
            "sample",
            "--checkpoint",
            "R",
            "--n",
            "5",
            "--out",
            "s.png",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let strips = image::open(dir.join("s.png")).expect("a PNG");
    assert_eq!(
        (strips.width(), strips.height()),
        (5 * 29 + 1, 6 * 29 + 1),
        "6 rows of 5 images of 28² with 1 px gaps"
    );
    let o = ganvas_in(
        &dir,
        &["sample", "--checkpoint", "R", "--n", "4", "--out", "s.idx"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("must be a .png file"), "{}", text(&o));
    let o = ganvas_in(
        &dir,
        &[
            "sample",
            "--checkpoint",
            "R",
            "--truncation",
            "1.0",
            "--out",
            "t.png",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("has none"), "{}", text(&o));
    let gan = ganvas_in(
        &dir,
        &[
            "train",
            "--preset",
            &repo().join("presets/ring8-vanilla.toml").to_string_lossy(),
            "--steps",
            "2",
            "--out",
            "G",
            "--backend",
            "cpu",
        ],
    );
    assert!(gan.status.success(), "{}", text(&gan));
    let o = translate(&["G", "--direction", "ab", "--in", "in", "--out", "U"]);
    assert!(
        text(&o).contains("holds a GAN run, and this needs a CycleGAN one"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_run_that_cannot_start_leaves_no_output_folder_behind() {
    let dir = temp_dir("cycle-no-start");
    let preset = dir.join("missing.toml");
    std::fs::write(
        &preset,
        "format = 1\nfamily = \"cyclegan\"\nname = \"x\"\n[cyclegan]\n\
         domains = { kind = \"sources\", a = { kind = \"idx\", images = \"nowhere.idx\" }, b = { kind = \"digits\" } }\n",
    )
    .expect("write");
    let train_into = |out: &str| {
        let args = [
            "train",
            "--preset",
            "missing.toml",
            "--backend",
            "cpu",
            "--out",
            out,
        ];
        ganvas_in(&dir, &args)
    };
    let o = train_into("R");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("nowhere.idx"), "{}", text(&o));
    assert!(
        !dir.join("R").exists(),
        "the empty --out folder was removed"
    );
    // A folder that was there before stays, empty or not.
    std::fs::create_dir(dir.join("mine")).expect("mkdir");
    let o = train_into("mine");
    assert_eq!(o.status.code(), Some(1));
    assert!(dir.join("mine").is_dir(), "the user's own folder is kept");
}
