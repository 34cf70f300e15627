//! The window as a teacher uses it (egui_kittest, no display, the real trainer on the CPU):
//! an objective's button restarts the run and Compare keeps the old one, missing data leaves
//! the setup usable, a lesson's steps advance and act, the layout holds at 1024×640, and the
//! 2D view exports as a picture.

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::GanvasApp;
use super::tests::{until, window_sized as window};
use crate::engine::backend::{BackendChoice, select};
use crate::engine::config::Objective;
use crate::engine::preset::Preset;
use crate::gui::files::FileJob;

fn window_on(preset: Preset, size: [f32; 2]) -> Harness<'static, GanvasApp> {
    let backend = select(BackendChoice::Cpu).expect("cpu");
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| GanvasApp::new(cc, preset, backend, false, false).expect("app"))
}

#[test]
fn changing_the_objective_restarts_and_compare_shows_both_runs() {
    let mut h = window("ring8-vanilla.toml", [1400.0, 900.0]);
    for _ in 0..3 {
        h.get_by_label("Step").click();
        h.run_steps(1);
    }
    assert!(until(&mut h, 20, |a| a.view.step == 3));
    h.get_by_label("wgan-gp").click();
    assert!(
        until(&mut h, 20, |a| a.view.step == 0
            && a.view.gan_config().is_some_and(|i| matches!(
                i.objective,
                Objective::WganGp { lambda } if lambda == 0.1
            ))),
        "the button brings the preset's λ and the run restarts"
    );
    // The trainer's note follows the new run's description.
    assert!(until(&mut h, 10, |a| a
        .view
        .messages
        .iter()
        .any(|m| m.contains("restarted at step 0"))));
    let app = h.state();
    assert_eq!(app.compare.runs.len(), 1, "the old run is kept");
    assert_eq!(app.view.gan_config().map(|i| i.train.d_steps), Some(5));
    assert!(
        app.view
            .messages
            .iter()
            .any(|m| m.contains("restarted at step 0")),
        "{:?}",
        app.view.messages
    );
    assert!(
        app.view
            .messages
            .iter()
            .any(|m| m.contains("D steps per round: 1 -> 5")),
        "the message says what the button changed: {:?}",
        app.view.messages
    );
    h.get_by_label("Step").click();
    assert!(until(&mut h, 20, |a| a.view.step == 1));
    h.get_by_label_contains("Compare runs (1)").click();
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("#1 non-saturating")
            .next()
            .is_some(),
        "the kept run is listed"
    );
    assert!(
        h.query_all_by_label_contains("current run")
            .next()
            .is_some(),
        "and overlaid with the current one"
    );
}

#[test]
fn a_preset_with_missing_data_leaves_the_setup_usable() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/mnist-cgan.toml"),
    )
    .expect("preset")
    .replace("../shared/data/mnist/", "nowhere/");
    let preset = Preset::parse(
        &text,
        std::path::Path::new("/tmp/ganvas-missing/mnist.toml"),
    )
    .expect("parses: the files are only read when the run is built");
    let mut h = window_on(preset, [1400.0, 900.0]);
    assert!(until(&mut h, 20, |a| a.view.build_failed.is_some()));
    h.run_steps(2);
    assert!(h.query_by_label("This run could not be built").is_some());
    assert!(
        h.query_by_label("Open MNIST-format file…").is_some(),
        "the fix is offered"
    );
    assert!(
        h.query_by_label_contains("/tmp/ganvas-missing/nowhere/t10k-images")
            .is_some(),
        "the paths tried are named"
    );
    assert!(
        h.query_by_role_and_label(Role::ComboBox, "data").is_some(),
        "the setup panel is there"
    );
    h.get_by_label("Use the embedded digits instead").click();
    assert!(
        until(&mut h, 30, |a| a.view.info.is_some()
            && a.view.build_failed.is_none()),
        "the fix builds the run"
    );
    let config = h.state().view.gan_config().expect("run");
    assert!(config.model.conditional, "the rest of the setup stayed");
}

#[test]
fn a_lessons_steps_advance_and_carry_out_what_they_say() {
    let mut h = window("lessons/tricks.toml", [1400.0, 1000.0]);
    assert!(
        h.query_by_label("What each trick does").is_some(),
        "the lesson is shown"
    );
    assert!(h.query_by_label_contains("First the baseline").is_some());
    h.get_by_label("Run to step 1000").click();
    assert!(
        until(&mut h, 60, |a| a.view.step == 1000 && !a.view.running),
        "the run stops at the lesson's step"
    );
    h.get_by_label("Next >").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("One-sided label smoothing")
            .is_some()
    );
    assert!(h.query_by_label("step 2 of 7").is_some());
    h.get_by_label("Apply this change").click();
    assert!(
        until(&mut h, 20, |a| a
            .view
            .gan_config()
            .is_some_and(|i| i.tricks.label_smoothing == 0.2)),
        "the step's change is applied"
    );
    assert_eq!(h.state().view.step, 1000, "a trick keeps the run going");
    h.get_by_label("< Previous").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("First the baseline").is_some());
}

#[test]
fn the_view_keeps_its_width_at_1024_by_640() {
    let mut h = window("ring8-vanilla.toml", [1024.0, 640.0]);
    h.run_steps(4);
    let width = h.state().view_width;
    assert!(width >= 400.0, "the main view got {width} px");
    assert!(h.state().layout.show_left && h.state().layout.show_right);
    assert!(h.query_by_label("Play").is_some() && h.query_by_label("Latent explorer").is_some());
}

#[test]
fn the_2d_view_exports_with_its_heatmap_axes_and_step() {
    let mut h = window("ring8-vanilla.toml", [1400.0, 900.0]);
    h.get_by_label("Play").click();
    assert!(until(&mut h, 30, |a| a.view.step >= 100
        && a.view.d_field.is_some()));
    h.get_by_label("Pause").click();
    assert!(until(&mut h, 10, |a| !a.view.running));
    let dir = std::env::temp_dir().join(format!("ganvas-view-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("view.png");
    h.state_mut()
        .file_chosen(FileJob::ExportPlanePng, path.clone());
    assert!(
        h.state()
            .view
            .messages
            .iter()
            .any(|m| m.starts_with("Exported the 2D view"))
    );
    let img = image::open(&path).expect("a PNG").to_rgb8();
    assert_eq!(img.dimensions(), (960, 720));
    // The middle of the plot is covered by D's field: no white canvas shows through.
    let (mut coloured, mut total) = (0, 0);
    for y in 250..450 {
        for x in 300..600 {
            total += 1;
            coloured += usize::from(img.get_pixel(x, y).0 != [255, 255, 255]);
        }
    }
    assert!(
        coloured * 10 >= total * 9,
        "{coloured} of {total} pixels coloured"
    );
    // The animation of the run's history, written on a helper thread.
    let gif = dir.join("view.gif");
    h.state_mut()
        .file_chosen(FileJob::ExportPlaneGif, gif.clone());
    assert!(
        until(&mut h, 60, |a| a
            .view
            .messages
            .iter()
            .any(|m| m.starts_with("Exported a"))),
        "the animation is written"
    );
    let file = std::io::BufReader::new(std::fs::File::open(&gif).expect("gif"));
    let decoder = image::codecs::gif::GifDecoder::new(file).expect("a GIF");
    let frames = image::AnimationDecoder::into_frames(decoder)
        .collect_frames()
        .expect("frames");
    assert!(frames.len() >= 2, "{} frames", frames.len());
    assert_eq!(frames[0].buffer().dimensions(), (960, 720));
    let _ = std::fs::remove_dir_all(&dir);
}
