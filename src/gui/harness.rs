//! What the window tests of every family share: stepping frames until a condition holds
//! (the trainer works in real time meanwhile), and a close request as the title bar sends.

use std::time::{Duration, Instant};

use egui_kittest::Harness;

/// Steps frames until `done` or `secs` pass; whether `done` held.
pub fn until<A>(h: &mut Harness<'static, A>, secs: u64, done: impl Fn(&A) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        h.step();
        if done(h.state()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    false
}

/// Asks the window to close, as its title bar's close button does.
pub fn request_close<A>(h: &mut Harness<'static, A>) {
    h.input_mut()
        .viewports
        .entry(eframe::egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(eframe::egui::ViewportEvent::Close);
    h.step();
    h.step();
}

/// The GAN window on `presets/<preset>` (CPU backend, paused), once its run is built.
pub fn gan_window(preset: &str, size: [f32; 2]) -> Harness<'static, super::app::GanvasApp> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("presets")
        .join(preset);
    let preset = crate::engine::preset::Preset::load(&path).expect("preset");
    let backend =
        crate::engine::backend::select(crate::engine::backend::BackendChoice::Cpu).expect("cpu");
    let mut h = Harness::builder().with_size(size).build_eframe(move |cc| {
        super::app::GanvasApp::new(cc, preset, backend, false, false).expect("app")
    });
    assert!(
        until(&mut h, 30, |a| a.view.info.is_some()),
        "the run is built"
    );
    h
}
