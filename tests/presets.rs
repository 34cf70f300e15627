//! Every preset in presets/ loads and runs a few steps; bad presets give errors naming the
//! field.

use std::path::Path;

use ganvas::engine::family::gan;
use ganvas::engine::preset::{self, Preset, PresetError};
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::Session;

use crate::util::{cpu, mnist, repo};

#[test]
fn every_preset_loads_and_runs_a_few_steps() {
    let files = preset::list_with_lessons(&repo().join("presets"));
    assert!(
        files.len() >= 14,
        "expected the shipped presets and lessons, found {files:?}"
    );
    for file in files {
        let p = Preset::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !p.name.is_empty() && !p.description.is_empty(),
            "{} lacks a name",
            file.display()
        );
        let mut config = p.config();
        let needs_mnist = matches!(config.data, ganvas::engine::config::DataConfig::Idx { .. });
        if needs_mnist {
            let Some((images, labels)) = mnist() else {
                continue;
            };
            config.data = ganvas::engine::config::DataConfig::Idx {
                images,
                labels: Some(labels),
                transpose: false,
            };
        }
        if let ganvas::engine::config::DataConfig::Digits { count } = &mut config.data {
            *count = 200; // the shape is what matters here
        }
        let mut s =
            Session::new(config, cpu()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for _ in 0..2 {
            let st = s
                .step_once(StepKind::Round)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(
                st.value(gan::D_LOSS).is_finite() && st.value(gan::G_LOSS).is_finite(),
                "{}",
                file.display()
            );
        }
        assert_eq!(s.step(), 2);
    }
}

#[test]
fn the_embedded_default_is_the_digits_dcgan_file() {
    let embedded = preset::default_preset();
    let file = Preset::load(&repo().join("presets/digits-dcgan.toml")).expect("loads");
    assert_eq!(embedded.config(), file.config());
}

fn parse_err(text: &str) -> String {
    Preset::parse(text, Path::new("bad.toml"))
        .expect_err("must fail")
        .to_string()
}

#[test]
fn bad_presets_name_the_field() {
    let head = "format = 1\n[data]\nkind = \"ring\"\n";
    let unknown = parse_err(&format!("{head}[model]\ndepht = 3\n"));
    assert!(
        unknown.contains("depht") && unknown.contains("bad.toml"),
        "{unknown}"
    );
    let range = parse_err(&format!("{head}[tricks]\nlabel_smoothing = 0.9\n"));
    assert!(range.contains("tricks.label_smoothing"), "{range}");
    let pack = parse_err(&format!(
        "{head}[train]\nbatch_size = 10\n[tricks]\npack = 4\n"
    ));
    assert!(pack.contains("tricks.pack"), "{pack}");
    let gp_bn = parse_err(
        "format = 1\n[data]\nkind = \"digits\"\n[model]\nfamily = \"dcgan\"\nd_batch_norm = true\n[objective]\nkind = \"wgan-gp\"\n",
    );
    assert!(gp_bn.contains("model.d_batch_norm"), "{gp_bn}");
    let dcgan_points = parse_err(&format!("{head}[model]\nfamily = \"dcgan\"\n"));
    assert!(dcgan_points.contains("model.family"), "{dcgan_points}");
    let lr = parse_err(&format!(
        "{head}[optimizer.d]\nkind = \"adam\"\nlr = -1.0\n"
    ));
    assert!(lr.contains("optimizer.d.lr"), "{lr}");
    let kind = parse_err("format = 1\n[data]\nkind = \"rings\"\n");
    assert!(kind.contains("rings"), "{kind}");
    let err = Preset::parse("format = 9\n[data]\nkind = \"ring\"\n", Path::new("v.toml"))
        .expect_err("format");
    assert!(matches!(err, PresetError::Format { found: 9, .. }), "{err}");
}

#[test]
fn a_saved_preset_loads_back_equal() {
    let dir = crate::util::temp_dir("preset");
    let p = preset::default_preset();
    let path = dir.join("mine.toml");
    p.save(&path).expect("saves");
    assert_eq!(Preset::load(&path).expect("loads").config(), p.config());
}

#[test]
fn a_drawing_trains_and_survives_a_preset_round_trip() {
    use ganvas::engine::config::DataConfig;
    let ring = Preset::load(&repo().join("presets/ring8-vanilla.toml")).expect("loads");
    // A stroke along the diagonal, as the window's "draw your own" makes one.
    let points: Vec<[f32; 2]> = (0..50)
        .map(|i| [i as f32 / 25.0 - 1.0, i as f32 / 25.0 - 1.0])
        .collect();
    let config = ganvas::engine::adapt::switch_data(
        &ring.config(),
        DataConfig::Drawn {
            points: points.clone(),
        },
    );
    let dir = crate::util::temp_dir("drawn");
    let path = dir.join("drawing.toml");
    Preset::from_config("my drawing", "drawn", &config)
        .save(&path)
        .expect("saves");
    let back = Preset::load(&path).expect("loads back").config();
    assert_eq!(back.data, DataConfig::Drawn { points });
    let mut session = Session::new(back, cpu()).expect("builds");
    session.step_once(StepKind::Round).expect("trains");
    let real = session.real_preview(100).values;
    assert!(
        real.chunks_exact(2).all(|p| (p[0] - p[1]).abs() < 1e-6),
        "real samples are the drawn points"
    );

    let mut bad = config.clone();
    bad.data = DataConfig::Drawn {
        points: vec![[0.0, f32::NAN], [1.0, 1.0]],
    };
    let err = bad.validate().expect_err("NaN point");
    assert_eq!(err.field, "data.points");
}

#[test]
fn lessons_load_with_their_steps_and_bad_ones_name_the_field() {
    let lesson = Preset::load(&repo().join("presets/lessons/collapse-and-cures.toml"))
        .expect("loads")
        .lesson
        .expect("has a lesson");
    assert!(lesson.steps.len() >= 5 && !lesson.bookmarks.is_empty());
    let switch = lesson
        .steps
        .iter()
        .find_map(|s| s.load.clone())
        .expect("a switch");
    assert!(
        switch.exists(),
        "the preset it switches to is resolved beside it: {switch:?}"
    );
    let head = "format = 1\n[data]\nkind = \"ring\"\n[lesson]\ntitle = \"t\"\n";
    let bad_set = parse_err(&format!(
        "{head}[[lesson.steps]]\nsay = \"x\"\n[lesson.steps.set.tricks]\nlabel_smoothing = 0.9\n"
    ));
    assert!(
        bad_set.contains("lesson.steps[0].set") && bad_set.contains("tricks.label_smoothing"),
        "{bad_set}"
    );
    let missing = parse_err(&format!(
        "{head}[[lesson.steps]]\nsay = \"x\"\n[[lesson.steps]]\nsay = \"y\"\nload = \"nope.toml\"\n"
    ));
    assert!(missing.contains("lesson.steps[1].load"), "{missing}");
    let empty = parse_err(&format!("{head}[[lesson.steps]]\nsay = \"\"\n"));
    assert!(empty.contains("lesson.steps[0].say"), "{empty}");
    let none = parse_err(head);
    assert!(none.contains("lesson.steps"), "{none}");
    let unknown = parse_err(&format!(
        "{head}[[lesson.steps]]\nsay = \"x\"\nrun_too = 5\n"
    ));
    assert!(unknown.contains("run_too"), "{unknown}");
}
