//! The StyleGAN window driven like a user would (egui_kittest, no display, no GPU), with the
//! real trainer thread on the CPU backend and a shrunk digits preset.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::StyleApp;
use crate::engine::backend::{BackendChoice, select};
use crate::engine::config::DataConfig;
use crate::engine::stylegan::preset::StylePreset;
use crate::gui::harness::until;

/// The shipped digits preset on fewer images with small networks, sampling every round.
fn digits() -> StylePreset {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/stylegan/digits-32.toml");
    let mut p = StylePreset::load(&path).expect("preset");
    p.data = DataConfig::Digits { count: 200 };
    let s = &mut p.stylegan;
    (s.z_dim, s.w_dim, s.mapping_layers) = (8, 8, 2);
    (s.channel_base, s.channel_max, s.batch_size) = (64, 8, 4);
    (p.train.sample_every, p.train.metrics_every) = (1, 2);
    p
}

fn window() -> Harness<'static, StyleApp> {
    let backend = select(BackendChoice::Cpu).expect("cpu");
    let preset = digits();
    let mut h = Harness::builder()
        .with_size([1500.0, 1000.0])
        .build_eframe(move |cc| StyleApp::new(cc, preset, backend, false).expect("app"));
    assert!(
        until(&mut h, 60, |a| a.studio.answer.is_some()
            && a.frame.view.shown().is_some()),
        "the run is built, its samples and the studio's images shown"
    );
    h
}

fn answer_id(app: &StyleApp) -> u64 {
    app.studio.answer.as_ref().map_or(0, |a| a.id)
}

#[test]
fn the_studio_draws_the_mixing_grid_focus_and_noise_strip_for_the_run() {
    let h = window();
    let app = h.state();
    let answer = app.studio.answer.as_ref().expect("answer");
    assert_eq!(answer.w_sides, vec![4, 8, 8, 16, 16, 32, 32, 32]);
    assert_eq!(answer.conv_sides.len(), 7);
    assert_eq!(answer.grid.count(), 25, "(4 sources + 1)² cells");
    assert_eq!(answer.focus.count(), 1);
    assert_eq!(
        answer.variation.count(),
        7,
        "6 noise draws and their spread"
    );
    assert_eq!(app.studio.mix, 0..3, "coarse layers by default");
}

#[test]
fn picking_a_range_and_moving_a_direction_redraws_and_training_refreshes_it() {
    let mut h = window();
    let before = h.state().studio.answer.clone().expect("answer");
    h.get_by_label("Fine (layers 5-7 (32 px))").click();
    assert!(until(&mut h, 60, |a| answer_id(a) > before.id));
    assert_eq!(h.state().studio.mix, 5..8);
    let fine = h.state().studio.answer.clone().expect("answer");
    assert_ne!(fine.grid.values, before.grid.values, "other layers mixed");
    // The first row (the B sources) and the first column (A) do not depend on the range.
    let len = fine.grid.len;
    assert_eq!(fine.grid.values[..5 * len], before.grid.values[..5 * len]);
    // A move along the first direction computes the directions and changes the focus image.
    h.state_mut().studio.edits[0] = 2.0;
    assert!(until(&mut h, 60, |a| a
        .studio
        .answer
        .as_ref()
        .is_some_and(|x| x.directions.is_some())));
    let moved = h.state().studio.answer.clone().expect("answer");
    assert_ne!(moved.focus.values, fine.focus.values);
    assert_eq!(moved.directions.as_ref().map(|d| d.step), Some(0));
    // A trained round shows in the studio without touching it (paused: at once).
    h.get_by_label("Step").click();
    assert!(until(&mut h, 120, |a| a
        .studio
        .answer
        .as_ref()
        .is_some_and(|x| x.step == 1)));
}

#[test]
fn truncation_to_zero_makes_every_cell_the_mean_image() {
    let mut h = window();
    let id = answer_id(h.state());
    h.state_mut().studio.psi = 0.0;
    for on in &mut h.state_mut().studio.noise {
        *on = false;
    }
    assert!(until(&mut h, 60, |a| answer_id(a) > id));
    let grid = h.state().studio.answer.clone().expect("answer").grid;
    let len = grid.len;
    let first = &grid.values[len..2 * len];
    for cell in 2..grid.count() {
        let other = &grid.values[cell * len..(cell + 1) * len];
        let gap = first
            .iter()
            .zip(other)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(gap < 1e-4, "cell {cell} differs by {gap}");
    }
}
