//! The CycleGAN window driven like a user would (egui_kittest, no display, no GPU), with
//! the real trainer thread on the CPU backend and a shrunk thin <-> thick preset.

use std::time::Duration;

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::TranslationApp;
use crate::engine::backend::{BackendChoice, select};
use crate::engine::cyclegan::preset::{CyclePreset, DomainsConfig, PairName};
use crate::engine::trainer::protocol::StepKind;
use crate::gui::files::FileJob;
use crate::gui::harness::{request_close, until};

fn tiny() -> CyclePreset {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("presets/cyclegan/digits-thin-thick.toml");
    let mut p = CyclePreset::load(&path).expect("preset");
    let s = &mut p.cyclegan;
    s.domains = DomainsConfig::EmbeddedPair {
        pair: PairName::ThinThick,
        per_domain: 120,
    };
    s.held_out = 40;
    (s.g_filters, s.d_filters, s.residual_blocks, s.batch_size) = (8, 8, 1, 4);
    (s.sample_every, s.metrics_every) = (1, 2);
    p
}

fn window() -> Harness<'static, TranslationApp> {
    let backend = select(BackendChoice::Cpu).expect("cpu");
    let preset = tiny();
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| TranslationApp::new(cc, preset, backend, false).expect("app"));
    assert!(
        until(&mut h, 30, |a| a.frame.view.shown().is_some()),
        "the run is built and its strips shown"
    );
    h
}

/// Whether the newest update's curve `key` was measured.
fn measured(app: &TranslationApp, key: &str) -> bool {
    app.frame
        .view
        .history
        .last()
        .and_then(|s| s.get(key))
        .is_some_and(f32::is_finite)
}

#[test]
fn the_phase_buttons_step_the_networks_they_name_and_step_does_a_round() {
    let mut h = window();
    h.get_by_label("Critics step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.history.len() == 1));
    let app = h.state();
    assert_eq!(
        app.frame.view.history[0].kind,
        StepKind::Phase(crate::engine::cyclegan::CRITICS)
    );
    assert!(measured(app, "d_a_loss") && measured(app, "d_b_loss"));
    assert!(!measured(app, "g_ab_adv") && !measured(app, "cycle_a"));
    h.get_by_label("Generators step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.history.len() == 2));
    let app = h.state();
    assert!(measured(app, "g_ab_adv") && measured(app, "cycle_a") && measured(app, "cycle_b"));
    assert!(!measured(app, "d_a_loss"));
    assert_eq!(
        app.frame.view.step, 0,
        "single phases do not complete a round"
    );
    h.get_by_label("Step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.step == 1));
    // The strips follow the round: a snapshot at step 1, six rows of eight.
    assert!(until(&mut h, 10, |a| a
        .frame
        .view
        .shown()
        .is_some_and(|(s, _)| *s == 1)));
    let (_, strips) = h.state().frame.view.shown().expect("strips");
    assert_eq!((strips.count(), strips.side), (48, 28));
}

#[test]
fn your_own_image_is_translated_both_ways_and_follows_training() {
    let mut h = window();
    // The pad starts from a held-out thin digit, translated at once.
    assert!(until(&mut h, 30, |a| a.own.result.is_some()));
    let first = h.state().own.result.clone().expect("translated");
    let [input, forward, back] = &first.0;
    assert_eq!((input.side, forward.side, back.side), (28, 28, 28));
    assert!(
        h.state().own.origin.contains("thin"),
        "{}",
        h.state().own.origin
    );
    // An image file of another size is fitted to the domain (28², grey) and translated.
    let dir = std::env::temp_dir().join(format!("ganvas-own-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("ring.png");
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        let d = ((x as f32 - 32.0).powi(2) + (y as f32 - 24.0).powi(2)).sqrt();
        if (14.0..19.0).contains(&d) {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    img.save(&path).expect("png");
    h.state_mut().open_image(&path);
    let version = h.state().own.version;
    assert!(until(&mut h, 30, |a| a
        .own
        .result
        .as_ref()
        .is_some_and(|(_, v)| *v == version)));
    let (shown, _) = h.state().own.result.clone().expect("translated");
    assert_eq!(shown[0].values.len(), 28 * 28);
    assert!(
        shown[0].values.iter().any(|&v| v > 0.5),
        "the ring's ink is there"
    );
    assert_eq!(h.state().own.origin, "ring.png");
    // Training moves the generators: the same image is translated again after the round.
    let before = shown[1].values.clone();
    h.get_by_label("Step").click();
    assert!(until(&mut h, 30, |a| a
        .own
        .result
        .as_ref()
        .is_some_and(|(s, _)| s[1].values != before)));
    // ... and the pictures on screen are the new translation's, not the first one's.
    h.run_steps(2);
    assert!(h.state().own.shows_newest());
    // A file that is no image is refused with a message, the pad kept.
    let bad = dir.join("notes.png");
    std::fs::write(&bad, b"not an image").expect("write");
    h.state_mut().open_image(&bad);
    assert!(
        h.state()
            .frame
            .view
            .messages
            .iter()
            .any(|m| m.contains("not an image ganvas can read"))
    );
    assert_eq!(h.state().own.origin, "ring.png");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_picked_preset_starts_the_other_pair() {
    let mut h = window();
    h.get_by_role_and_label(Role::ComboBox, "preset").click();
    h.run_steps(2);
    h.get_by_label("Translation: Digits: upright <-> slanted (CycleGAN)")
        .click_accesskit();
    assert!(until(&mut h, 60, |a| a
        .frame
        .view
        .info
        .as_ref()
        .is_some_and(|i| i.domains[0].name == "upright")));
    assert_eq!(h.state().frame.view.step, 0);
}

#[test]
fn closing_with_a_long_unsaved_run_asks_and_a_saved_one_closes() {
    let mut h = window();
    h.get_by_label("Play").click();
    assert!(until(&mut h, 30, |a| a.frame.view.step >= 2), "trains");
    h.get_by_label("Pause").click();
    assert!(until(&mut h, 10, |a| !a.frame.view.running));
    // As if the run had trained longer than the limit.
    h.state_mut().frame.close_guard.limit = Duration::from_millis(1);
    request_close(&mut h);
    assert!(h.query_by_label("Quit ganvas?").is_some(), "asks first");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label("Quit ganvas?").is_none(), "Cancel stays");
    let path =
        std::env::temp_dir().join(format!("ganvas-cycle-close-{}.ganvas", std::process::id()));
    h.state_mut()
        .file_chosen(FileJob::SaveCheckpoint, path.clone());
    assert!(until(&mut h, 20, |a| a
        .frame
        .view
        .messages
        .iter()
        .any(|m| m.starts_with("Saved step"))));
    request_close(&mut h);
    assert!(
        h.query_by_label("Quit ganvas?").is_none(),
        "saved: no question"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn an_edited_objective_applies_as_a_new_run_at_step_zero() {
    use crate::engine::config::Objective;
    use crate::engine::trainer::protocol::RunSetup;
    let mut h = window();
    h.get_by_label("Step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.step == 1));
    h.get_by_role_and_label(Role::ComboBox, "objective").click();
    h.run_steps(2);
    h.get_by_label("hinge").click();
    h.run_steps(2);
    h.get_by_label("Apply (new run at step 0)").click();
    let objective = |a: &TranslationApp| match a.frame.view.info.as_ref().map(|i| &i.setup) {
        Some(RunSetup::Cycle(p)) => Some(p.cyclegan.objective),
        _ => None,
    };
    assert!(until(&mut h, 30, |a| objective(a) == Some(Objective::Hinge)));
    assert_eq!(h.state().frame.view.step, 0, "a new run");
    h.get_by_label("Step").click();
    assert!(
        until(&mut h, 30, |a| a.frame.view.step == 1),
        "and it trains"
    );
}

#[test]
fn the_setup_saved_as_a_preset_loads_back_as_the_run_it_was() {
    use crate::engine::trainer::protocol::RunSetup;
    let h = window();
    let dir = std::env::temp_dir().join(format!("ganvas-cycle-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("saved.toml");
    let message = h.state().save_preset(&path);
    assert!(message.starts_with("Saved the current setup"), "{message}");
    let loaded = CyclePreset::load(&path).expect("the saved preset loads");
    let Some(RunSetup::Cycle(running)) = h.state().frame.view.info.as_ref().map(|i| &i.setup)
    else {
        panic!("a CycleGAN run");
    };
    assert_eq!(loaded.cyclegan, running.cyclegan, "the same settings");
    assert!(loaded.name.ends_with(" (edited)"), "{}", loaded.name);
    // Into a folder that does not exist: an error, nothing written.
    let message = h.state().save_preset(&dir.join("missing/saved.toml"));
    assert!(message.starts_with("Error:"), "{message}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fewer_downsamplings_applied_in_the_editor_build_a_new_run_that_trains() {
    use crate::engine::trainer::protocol::RunSetup;
    let mut h = window();
    h.get_by_label("downsamplings").set_value_accesskit(1.0);
    h.run_steps(2);
    h.get_by_label("Apply (new run at step 0)").click();
    let downsamplings = |a: &TranslationApp| match a.frame.view.info.as_ref().map(|i| &i.setup) {
        Some(RunSetup::Cycle(p)) => Some(p.cyclegan.downsamplings),
        _ => None,
    };
    assert!(until(&mut h, 30, |a| downsamplings(a) == Some(1)));
    h.get_by_label("Step").click();
    assert!(
        until(&mut h, 30, |a| a.frame.view.step == 1),
        "and it trains"
    );
}

#[test]
fn a_crash_copy_of_the_translation_run_is_written_and_offered_at_the_next_start() {
    let dir = std::env::temp_dir().join(format!("ganvas-cycle-recovery-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("recovery-translation.ganvas");
    let mut h = window();
    h.state_mut().frame.recovery = crate::gui::recovery::Recovery::at(Some(path.clone()));
    h.state_mut().frame.recovery.every = Duration::from_millis(200);
    h.get_by_label("Play").click();
    assert!(
        until(&mut h, 60, |_| path.exists()),
        "a copy is written while training"
    );
    h.get_by_label("Pause").click();
    assert!(until(&mut h, 20, |a| !a.frame.view.running));
    drop(h); // gone without its normal exit, as in a crash

    let mut next = window();
    next.state_mut().frame.recovery = crate::gui::recovery::Recovery::at(Some(path.clone()));
    next.run_steps(2);
    assert!(
        next.query_by_label_contains("A copy of its run").is_some(),
        "the copy is offered"
    );
    assert_eq!(
        next.state().frame.view.step,
        0,
        "a fresh run until the user answers"
    );
    next.get_by_label("Restore it").click();
    assert!(
        until(&mut next, 30, |a| a.frame.view.step > 0),
        "the copied run is back"
    );
    assert!(next.query_by_label_contains("A copy of its run").is_none());
    eframe::App::on_exit(next.state_mut());
    assert!(!path.exists(), "a normal exit leaves nothing to recover");
    let _ = std::fs::remove_dir_all(&dir);
}
