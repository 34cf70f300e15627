//! The super-resolution window driven like a user would (egui_kittest, no display, no GPU),
//! with the real trainer thread on the CPU backend and a shrunk digits preset.

use std::time::Instant;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::SuperresApp;
use crate::engine::backend::{BackendChoice, select};
use crate::engine::config::DataConfig;
use crate::engine::superres::preset::SrPreset;
use crate::engine::trainer::protocol::StepKind;
use crate::gui::harness::until;

/// The shipped digits preset on fewer images, stepping every round (`full`: its own network
/// sizes, else shrunk).
fn digits(full: bool) -> SrPreset {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/superres/digits-4x.toml");
    let mut p = SrPreset::load(&path).expect("preset");
    let s = &mut p.superres;
    s.data = DataConfig::Digits { count: 200 };
    s.held_out = 40;
    if !full {
        (s.g_filters, s.residual_blocks, s.d_filters, s.batch_size) = (8, 1, 4, 4);
    }
    (s.sample_every, s.metrics_every, s.pixel_steps) = (1, 2, 2);
    p
}

fn window() -> Harness<'static, SuperresApp> {
    window_on(digits(false))
}

fn window_on(preset: SrPreset) -> Harness<'static, SuperresApp> {
    let backend = select(BackendChoice::Cpu).expect("cpu");
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| SuperresApp::new(cc, preset, backend, false).expect("app"));
    assert!(
        until(&mut h, 30, |a| a.frame.view.shown().is_some()),
        "the run is built and its comparison shown"
    );
    h
}

/// Whether the newest update's curve `key` was measured.
fn measured(app: &SuperresApp, key: &str) -> bool {
    app.frame
        .view
        .history
        .last()
        .and_then(|s| s.get(key))
        .is_some_and(f32::is_finite)
}

#[test]
fn the_phase_buttons_update_the_network_they_name() {
    let mut h = window();
    h.get_by_label("Pixel step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.history.len() == 1));
    let app = h.state();
    assert_eq!(
        app.frame.view.history[0].kind,
        StepKind::Phase(crate::engine::superres::PIXEL)
    );
    assert!(measured(app, "pixel_l1") && !measured(app, "gan_l1") && !measured(app, "d_loss"));
    // Before its stage, the comparison has no GAN row: low-res, bicubic, pixel, high-res.
    let (_, rows) = h.state().frame.view.shown().expect("comparison");
    assert_eq!(rows.count(), 4 * 8);
    h.get_by_label("GAN step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.history.len() == 2));
    let app = h.state();
    assert!(measured(app, "gan_l1") && measured(app, "gan_feature") && measured(app, "gan_adv"));
    assert!(!measured(app, "pixel_l1"));
    h.get_by_label("Critic step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.history.len() == 3));
    assert!(measured(h.state(), "d_loss") && !measured(h.state(), "gan_l1"));
    assert_eq!(
        h.state().frame.view.step,
        0,
        "single phases do not complete a round"
    );
    h.get_by_label("Step").click();
    assert!(until(&mut h, 30, |a| a.frame.view.step == 1));
    // The GAN stage began (a GAN step started it): a round updates all three networks,
    // and the comparison gains the GAN row.
    let app = h.state();
    assert!(measured(app, "pixel_l1") && measured(app, "gan_l1") && measured(app, "d_loss"));
    assert!(until(&mut h, 10, |a| a
        .frame
        .view
        .shown()
        .is_some_and(|(s, rows)| *s == 1 && rows.count() == 5 * 8)));
}

#[test]
fn the_hallucination_slider_mixes_the_networks_at_once_while_paused() {
    // The preset's own network sizes: the latency printed is the one a user gets.
    let mut h = window_on(digits(true));
    // At mix 0 the output is the pixel network's: the comparison's pixel row, exactly.
    assert!(until(&mut h, 30, |a| a.last_upscaled().is_some()));
    let first = h.state().last_upscaled().cloned().expect("answer");
    let (_, comparison) = h.state().frame.view.shown().cloned().expect("comparison");
    let len = comparison.len * 8;
    assert_eq!(first.mix, 0.0);
    assert_eq!(first.held.values, comparison.values[2 * len..3 * len]);
    // Into the GAN stage, then the slider to 1: the GAN network's row.
    for _ in 0..3 {
        h.get_by_label("Step").click();
        let step = h.state().frame.view.step;
        assert!(until(&mut h, 30, |a| a.frame.view.step > step));
    }
    assert!(until(&mut h, 10, |a| a
        .frame
        .view
        .shown()
        .is_some_and(|(s, r)| *s == 3 && r.count() == 40)));
    assert!(until(&mut h, 10, |a| a
        .last_upscaled()
        .is_some_and(|u| u.step == 3)));
    let started = Instant::now();
    h.state_mut().live.mix = 1.0;
    assert!(until(&mut h, 10, |a| a
        .last_upscaled()
        .is_some_and(|u| u.mix == 1.0)));
    let waited = started.elapsed();
    let latency = h.state().live.latency.expect("measured");
    eprintln!("hallucination slider: answered in {latency:?} (test waited {waited:?})");
    assert!(latency.as_millis() < 1000, "{latency:?}");
    let gan = h.state().last_upscaled().cloned().expect("answer");
    let (_, comparison) = h.state().frame.view.shown().cloned().expect("comparison");
    assert_eq!(
        gan.held.values,
        comparison.values[3 * len..4 * len],
        "the GAN row"
    );
    // Halfway lies between them.
    h.state_mut().live.mix = 0.5;
    assert!(until(&mut h, 10, |a| a
        .last_upscaled()
        .is_some_and(|u| u.mix == 0.5)));
    let half = h.state().last_upscaled().cloned().expect("answer");
    assert_ne!(half.held.values, gan.held.values);
    assert_ne!(half.held.values, comparison.values[2 * len..3 * len]);
}

#[test]
fn your_own_image_is_upscaled_and_bad_files_are_refused() {
    let mut h = window();
    let dir = std::env::temp_dir().join(format!("ganvas-sr-own-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("stripes.png");
    let img = image::RgbImage::from_fn(30, 20, |x, _| {
        if x % 6 < 3 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    img.save(&path).expect("png");
    h.state_mut().open_image(&path);
    assert!(until(&mut h, 30, |a| a
        .last_upscaled()
        .is_some_and(|u| u.own.is_some())));
    let answer = h.state().last_upscaled().cloned().expect("answer");
    let [bicubic, output] = answer.own.expect("own");
    assert_eq!((output.width, output.height, output.channels), (120, 80, 1));
    assert_eq!(bicubic.values.len(), output.values.len());
    h.run_steps(2);
    h.get_by_label("Open image…");
    // A large image is shrunk for the window and says so.
    let big = dir.join("big.png");
    image::RgbImage::from_pixel(400, 200, image::Rgb([90, 90, 90]))
        .save(&big)
        .expect("png");
    h.state_mut().open_image(&big);
    assert!(
        h.state()
            .frame
            .view
            .messages
            .iter()
            .any(|m| m.contains("shrunk to 96×48"))
    );
    let bad = dir.join("notes.png");
    std::fs::write(&bad, b"not an image").expect("write");
    h.state_mut().open_image(&bad);
    assert!(
        h.state()
            .frame
            .view
            .messages
            .iter()
            .any(|m| m.contains("not an image ganvas can read")),
        "{:?}",
        h.state().frame.view.messages
    );
    let _ = std::fs::remove_dir_all(&dir);
}
