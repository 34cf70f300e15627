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
