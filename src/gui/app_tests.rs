//! The window driven like a user would (egui_kittest: clicks on labelled widgets, no display,
//! no GPU), with the real trainer thread on the CPU backend.

use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::GanvasApp;
use crate::engine::config::Objective;
use crate::engine::family::gan;
use crate::engine::trainer::protocol::StepKind;

fn window(preset: &str) -> Harness<'static, GanvasApp> {
    window_sized(preset, [1400.0, 900.0])
}

pub(super) use crate::gui::harness::gan_window as window_sized;
pub(super) use crate::gui::harness::until;

/// Whether the window has shown a message starting with `prefix`.
fn said(app: &GanvasApp, prefix: &str) -> bool {
    app.view.messages.iter().any(|m| m.starts_with(prefix))
}

#[test]
fn play_advances_the_step_counter_and_pause_stops_it() {
    let mut h = window("ring8-vanilla.toml");
    assert_eq!(h.state().view.step, 0);
    h.get_by_label("Play").click();
    assert!(until(&mut h, 30, |a| a.view.step >= 20), "Play trains");
    h.get_by_label("Pause").click();
    assert!(
        until(&mut h, 10, |a| !a.view.running),
        "Pause is acknowledged"
    );
    let stopped_at = h.state().view.step;
    until(&mut h, 1, |_| false);
    assert_eq!(h.state().view.step, stopped_at, "no step after Pause");
    assert!(
        h.query_by_label_contains(&format!("step {stopped_at}"))
            .is_some()
    );
}

#[test]
fn a_d_step_changes_d_loss_but_not_g() {
    let mut h = window("ring8-vanilla.toml");
    assert!(until(&mut h, 10, |a| !a.view.snapshots.is_empty()));
    let g_before = h.state().view.snapshots.last().expect("snapshot").1.clone();
    let version = h.state().view.snapshot_version;
    h.get_by_label("D step").click();
    assert!(until(&mut h, 20, |a| a.view.history.len() == 1
        && a.view.snapshot_version > version));
    let stats = h.state().view.history[0].clone();
    assert_eq!(stats.kind, StepKind::Phase(gan::D));
    assert!(
        stats.value(gan::D_LOSS).is_finite() && stats.value(gan::G_LOSS).is_nan(),
        "{stats:?}"
    );
    let g_after = &h.state().view.snapshots.last().expect("snapshot").1;
    assert_eq!(
        g_after.values, g_before.values,
        "G's output on the fixed noise is unchanged"
    );
    h.get_by_label("G step").click();
    assert!(until(&mut h, 20, |a| a.view.history.len() == 2));
    let g_moved = &h.state().view.snapshots.last().expect("snapshot").1;
    assert_ne!(g_moved.values, g_before.values, "a G step moves G");
}

#[test]
fn turning_on_ema_says_the_samples_come_from_the_average() {
    // Tall enough for the Tricks section of the Setup panel to be on screen.
    let mut h = window_sized("ring8-vanilla.toml", [1400.0, 1500.0]);
    h.get_by_label("Step").click();
    assert!(until(&mut h, 20, |a| a.view.step == 1));
    assert!(h.query_by_label_contains("from the EMA of G").is_none());
    h.get_by_label("EMA of G").click();
    assert!(until(&mut h, 20, |a| {
        a.view.gan_config().is_some_and(|i| i.tricks.ema.is_some())
    }));
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("from the EMA of G (0.999)")
            .is_some(),
        "the sample heading names the average"
    );
}

#[test]
fn switching_the_variant_applies_it_and_switching_the_data_rebuilds_the_run() {
    let mut h = window("ring8-vanilla.toml");
    h.get_by_label("Step").click();
    assert!(until(&mut h, 20, |a| a.view.step == 1));
    h.get_by_label("wgan-gp").click();
    assert!(until(&mut h, 20, |a| {
        a.view
            .gan_config()
            .is_some_and(|i| matches!(i.objective, Objective::WganGp { .. }))
    }));
    // The data picker: the ring → the spiral restarts the run at step 0 on the new data.
    h.get_by_role_and_label(Role::ComboBox, "data").click();
    h.run_steps(2);
    h.get_by_label("spiral").click();
    // The run's report and the message saying why it restarted are two events: a loaded
    // machine can draw a frame between them.
    assert!(until(&mut h, 20, |a| {
        let rebuilt = a
            .view
            .info
            .as_ref()
            .is_some_and(|i| i.gan().is_some_and(|c| c.data.is_points()) && i.modes.is_empty());
        rebuilt
            && a.view
                .messages
                .iter()
                .any(|m| m.contains("restarted at step 0"))
    }));
    assert_eq!(h.state().view.step, 0);
}

#[test]
fn moving_a_latent_slider_changes_the_rendered_sample() {
    let mut h = window("ring8-vanilla.toml");
    h.get_by_label("Latent explorer").click();
    assert!(until(&mut h, 20, |a| a.explorer.single.is_some()));
    let before = h.state().explorer.single.clone().expect("render").values;
    // egui lays a newly opened window out invisibly in its first frame: its sliders reach the
    // accessibility tree a frame later, which a fast render can beat.
    for _ in 0..10 {
        if h.query_by_role_and_label(Role::Slider, "z0").is_some() {
            break;
        }
        h.step();
    }
    let started = Instant::now();
    h.get_by_role_and_label(Role::Slider, "z0")
        .set_value_accesskit(2.5);
    assert!(
        until(&mut h, 5, |a| a
            .explorer
            .single
            .as_ref()
            .is_some_and(|s| s.values != before)),
        "the sample follows the slider"
    );
    eprintln!(
        "slider → new render in {:?} (paused, CPU)",
        started.elapsed()
    );
    assert!((h.state().explorer.z[0] - 2.5).abs() < 1e-6);
}

#[test]
fn a_corrupt_checkpoint_shows_an_error_and_the_window_stays_usable() {
    let mut h = window("ring8-vanilla.toml");
    let path = std::env::temp_dir().join(format!("ganvas-corrupt-{}.ganvas", std::process::id()));
    std::fs::write(&path, b"not a checkpoint at all").expect("write");
    h.state_mut()
        .file_chosen(crate::gui::files::FileJob::LoadCheckpoint, path.clone());
    assert!(until(&mut h, 10, |a| said(a, "Error:")));
    assert!(
        h.query_by_label_contains("Error:").is_some(),
        "the message is on screen"
    );
    h.get_by_label("Step").click();
    assert!(
        until(&mut h, 20, |a| a.view.step == 1),
        "training still works"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_loaded_checkpoint_brings_back_its_curves_and_metrics() {
    let mut h = window("ring8-vanilla.toml");
    let path = std::env::temp_dir().join(format!("ganvas-history-{}.ganvas", std::process::id()));
    h.get_by_label("Play").click();
    // ring8-vanilla evaluates every 250 steps.
    assert!(
        until(&mut h, 60, |a| !a.view.reports.is_empty()),
        "an evaluation arrives"
    );
    h.get_by_label("Pause").click();
    assert!(until(&mut h, 10, |a| !a.view.running));
    let saved_steps = h.state().view.history.len();
    let saved_reports = h.state().view.reports.clone();
    h.state_mut()
        .file_chosen(crate::gui::files::FileJob::SaveCheckpoint, path.clone());
    assert!(until(&mut h, 10, |a| said(a, "Saved")));
    h.get_by_label("Reset").click();
    assert!(
        until(&mut h, 10, |a| a.view.history.is_empty()
            && a.view.reports.is_empty()),
        "a reset starts without curves"
    );
    h.state_mut()
        .file_chosen(crate::gui::files::FileJob::LoadCheckpoint, path.clone());
    assert!(until(&mut h, 10, |a| a.view.history.len() == saved_steps));
    assert_eq!(h.state().view.reports, saved_reports);
    assert!(
        h.state().view.metric_values().next().is_some(),
        "metric curves are back too"
    );
    let _ = std::fs::remove_file(path);
}

use crate::gui::harness::request_close;

#[test]
fn closing_with_a_long_unsaved_run_asks_first_and_a_short_one_does_not() {
    let mut h = window("ring8-vanilla.toml");
    h.get_by_label("Play").click();
    assert!(until(&mut h, 30, |a| a.view.step >= 20), "trains");
    h.get_by_label("Pause").click();
    assert!(until(&mut h, 10, |a| !a.view.running));
    request_close(&mut h);
    assert!(
        h.query_by_label("Quit ganvas?").is_none(),
        "a few seconds of training close at once"
    );
    // As if the run had trained longer than the limit.
    h.state_mut().close_guard.limit = Duration::from_millis(1);
    request_close(&mut h);
    assert!(
        h.query_by_label("Quit ganvas?").is_some(),
        "the question is on screen"
    );
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label("Quit ganvas?").is_none(), "Cancel stays");
    // Once saved, nothing is at risk: the window closes at once.
    let path = std::env::temp_dir().join(format!("ganvas-close-{}.ganvas", std::process::id()));
    h.state_mut()
        .file_chosen(crate::gui::files::FileJob::SaveCheckpoint, path.clone());
    assert!(until(&mut h, 10, |a| said(a, "Saved")));
    request_close(&mut h);
    assert!(
        h.query_by_label("Quit ganvas?").is_none(),
        "saved: no question"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_crash_copy_is_written_while_training_and_offered_at_the_next_start() {
    let dir = std::env::temp_dir().join(format!("ganvas-recovery-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("recovery.ganvas");
    let mut h = window("ring8-vanilla.toml");
    h.state_mut().recovery = super::Recovery::at(Some(path.clone()));
    h.state_mut().recovery.every = Duration::from_millis(200);
    h.get_by_label("Play").click();
    assert!(
        until(&mut h, 30, |_| path.exists()),
        "a copy is written while training"
    );
    h.get_by_label("Pause").click();
    assert!(until(&mut h, 10, |a| !a.view.running));
    assert!(
        !said(h.state(), "Saved"),
        "a crash copy is not the user's save"
    );
    drop(h); // the window goes away without its normal exit, as in a crash

    let mut next = window("ring8-vanilla.toml");
    next.state_mut().recovery = super::Recovery::at(Some(path.clone()));
    next.run_steps(2);
    assert!(
        next.query_by_label_contains("A copy of its run").is_some(),
        "the copy is offered"
    );
    next.get_by_label("Restore it").click();
    assert!(
        until(&mut next, 20, |a| said(a, "Loaded") && a.view.step > 0),
        "the copied run is back"
    );
    assert!(next.query_by_label_contains("A copy of its run").is_none());
    // A normal exit leaves nothing to recover.
    eframe::App::on_exit(next.state_mut());
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
