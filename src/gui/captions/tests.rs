//! The text-to-image window driven like a user would (egui_kittest, no display, no GPU), with
//! the real trainer thread on the CPU backend and a shrunk digits preset.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::CaptionsApp;
use crate::engine::backend::{BackendChoice, select};
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::captions::render::SIDE;
use crate::gui::harness::until;

/// The shipped digits preset on fewer scenes with small networks, sampling every round.
fn digits() -> CaptionPreset {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/captions/digits.toml");
    let mut p = CaptionPreset::load(&path).expect("preset");
    let c = &mut p.captions;
    (c.scenes, c.held_out_scenes) = (200, 20);
    (c.embed, c.condition, c.z_dim, c.base_channels, c.batch_size) = (8, 4, 8, 4, 4);
    (p.train.sample_every, p.train.metrics_every) = (1, 1000);
    p
}

fn window() -> Harness<'static, CaptionsApp> {
    let backend = select(BackendChoice::Cpu).expect("cpu");
    let preset = digits();
    let mut h = Harness::builder()
        .with_size([1500.0, 1000.0])
        .build_eframe(move |cc| CaptionsApp::new(cc, preset, backend, false).expect("app"));
    assert!(
        until(&mut h, 60, |a| a.caption.answer.is_some()
            && a.frame.view.shown().is_some()),
        "the run is built, the showcase and the default caption's samples shown"
    );
    h
}

fn answer_id(app: &CaptionsApp) -> u64 {
    app.caption.answer.as_ref().map_or(0, |a| a.id)
}

#[test]
fn the_window_shows_the_default_caption_and_the_showcase_rows_with_their_captions() {
    let h = window();
    let app = h.state();
    let answer = app.caption.answer.as_ref().expect("answer");
    assert_eq!(answer.samples.count(), 8);
    assert_eq!(answer.samples.side, SIDE);
    assert_eq!(answer.read, "read: a large 3 in the centre");
    assert!(answer.between.is_none(), "no second caption yet");
    let info = app.frame.view.info.as_ref().expect("info");
    assert_eq!(info.rows.len(), 8, "four seen and four held-out captions");
    assert_eq!(
        info.rows
            .iter()
            .filter(|r| r.ends_with("(held out)"))
            .count(),
        4
    );
    let (_, grid) = app.frame.view.shown().expect("snapshot");
    assert_eq!(grid.count(), 8 * 8, "eight samples per showcase caption");
    // Each row's caption is on screen.
    h.get_by_label(&info.rows[0]);
    h.get_by_label("read: a large 3 in the centre");
}

#[test]
fn typing_a_caption_draws_it_and_names_unknown_words_and_a_second_caption_interpolates() {
    let mut h = window();
    let first = h.state().caption.answer.clone().expect("answer");
    let field = h.get_by_label("caption");
    field.click();
    h.run_steps(2);
    h.key_press(eframe::egui::Key::End);
    h.run_steps(1);
    h.get_by_label("caption").type_text(" and purple");
    assert!(until(&mut h, 30, |a| answer_id(a) > first.id));
    let answer = h.state().caption.answer.clone().expect("answer");
    assert!(
        answer
            .read
            .starts_with("read: a large 3 in the centre — not known, skipped: \"and\", \"purple\"")
            && answer.read.contains("the words known are"),
        "{}",
        answer.read
    );
    assert_eq!(answer.samples.count(), 8);
    // A caption with no known word is refused on this side: nothing is sent, the reason
    // is shown, and the last samples stay.
    h.state_mut().caption.text = "hello world".into();
    h.run_steps(3);
    std::thread::sleep(std::time::Duration::from_millis(300));
    h.run_steps(3);
    assert_eq!(answer_id(h.state()), answer.id, "nothing drawn for it");
    let why = h
        .state()
        .caption
        .parsed()
        .expect_err("nothing known")
        .to_string();
    h.get_by_label(&why);
    // A valid caption and a second one: samples and the way between them.
    {
        let c = &mut h.state_mut().caption;
        c.text = "a small 7 at the top left".into();
        c.towards = "a large 2 at the bottom right".into();
        c.steps = 5;
    }
    assert!(until(&mut h, 30, |a| a
        .caption
        .answer
        .as_ref()
        .is_some_and(|x| x.between.is_some())));
    let answer = h.state().caption.answer.clone().expect("answer");
    let between = answer.between.expect("interpolation");
    assert_eq!(between.count(), 5);
    // Its ends are the two captions' images on one latent: the first differs from the last.
    let len = between.len;
    assert_ne!(between.values[..len], between.values[4 * len..]);
    assert!(h.state().caption.latency.is_some());
}

#[test]
fn other_samples_draws_new_latents_and_training_refreshes_the_samples() {
    let mut h = window();
    let first = h.state().caption.answer.clone().expect("answer");
    h.get_by_label("Other samples").click();
    assert!(until(&mut h, 30, |a| answer_id(a) > first.id));
    let other = h.state().caption.answer.clone().expect("answer");
    assert_ne!(other.samples.values, first.samples.values, "new z");
    assert_eq!(other.step, 0);
    h.get_by_label("Step").click();
    assert!(
        until(&mut h, 60, |a| a
            .caption
            .answer
            .as_ref()
            .is_some_and(|x| x.step == 1)),
        "after a round the box draws again from the newer generator"
    );
    assert!(until(&mut h, 30, |a| a
        .frame
        .view
        .shown()
        .is_some_and(|s| s.0 == 1)));
}

#[test]
fn a_word_typed_outside_the_caption_box_does_not_reset_the_run_but_ctrl_r_does() {
    use eframe::egui::{Key, Modifiers};
    let mut h = window();
    h.get_by_label("Step").click();
    assert!(until(&mut h, 60, |a| a.frame.view.step == 1));
    // "r" with no text field focused (a click that missed the box, then typing).
    h.key_press(Key::R);
    h.run_steps(3);
    std::thread::sleep(std::time::Duration::from_millis(300));
    h.run_steps(3);
    assert_eq!(h.state().frame.view.step, 1, "the run is kept");
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    assert!(
        until(&mut h, 60, |a| a.frame.view.step == 0
            && a.frame.view.info.is_some()),
        "Ctrl+R resets"
    );
}
