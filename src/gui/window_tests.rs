//! `ganvas gui --checkpoint`: a checkpoint opens its family's window on the preset it was
//! trained from, with the run restored where it stopped (egui_kittest, CPU backend).

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use egui_kittest::Harness;

use super::{Window, launch};
use crate::engine::backend::{BackendChoice, select};
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::stylegan::run::StyleRun;
use crate::engine::trainer::protocol::RunOrigin;
use crate::gui::harness::until;
use crate::gui::shell::{Family, Opening, Shell};
use crate::gui::view::RunView;

fn view(s: &Shell) -> &RunView {
    match &s.family {
        Family::Gan(app) => &app.view,
        Family::Translation(app) => &app.frame.view,
        Family::Superres(app) => &app.frame.view,
        Family::Style(app) => &app.frame.view,
        Family::Captions(app) => &app.frame.view,
    }
}

/// The window `ganvas gui --checkpoint path` opens, once its run reports the checkpoint loaded.
fn opened(path: &Path, step: u64) -> Harness<'static, Shell> {
    let (window, resolved) = Window::of_checkpoint(path).expect("a checkpoint");
    let backend = select(BackendChoice::Cpu).expect("cpu");
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |cc| {
            let opening = Opening::from(&*cc);
            let family =
                launch(window, Some(resolved), &opening, &backend, false, false).expect("window");
            Shell::new(family, backend, false, false)
        });
    let loaded = |s: &Shell| {
        let v = view(s);
        v.info
            .as_ref()
            .is_some_and(|i| i.origin == RunOrigin::Loaded)
            && v.step == step
    };
    assert!(
        until(&mut h, 60, loaded),
        "the checkpoint's run is shown: {:?}",
        view(h.state()).messages
    );
    h
}

#[test]
fn a_gan_checkpoint_opens_the_gan_window_at_its_step_paused() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoint-v1.ganvas");
    let h = opened(&fixture, 3);
    assert!(matches!(h.state().family, Family::Gan(_)));
    assert!(!view(h.state()).running, "opened paused");
}

/// A three-round StyleGAN run on a few digits, saved into a run directory.
fn stylegan_run_dir(tag: &str) -> PathBuf {
    let text = "format = 1\nfamily = \"stylegan\"\nname = \"Tiny style run\"\n[data]\nkind = \"digits\"\n\
                count = 64\n[stylegan]\nz_dim = 8\nw_dim = 8\nmapping_layers = 2\nchannel_base = 64\n\
                channel_max = 8\nbatch_size = 4\n";
    let preset = StylePreset::parse(text, Path::new("tiny.toml")).expect("preset");
    let images = preset.load_images().expect("digits");
    let mut run = StyleRun::new(preset.stylegan.clone(), &images, &Device::flex()).expect("run");
    for _ in 0..3 {
        run.round();
    }
    let dir = std::env::temp_dir().join(format!("ganvas-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    crate::engine::stylegan::checkpoint::save(&run, &preset, &dir.join("checkpoint.ganvas"))
        .expect("saved");
    dir
}

#[test]
fn a_stylegan_run_directory_opens_the_style_window_on_its_own_preset() {
    let dir = stylegan_run_dir("gui-style-ckpt");
    let h = opened(&dir, 3);
    let Family::Style(app) = &h.state().family else {
        panic!("not the StyleGAN window");
    };
    let crate::engine::trainer::protocol::RunSetup::Style(preset) =
        &app.frame.view.info.as_ref().expect("info").setup
    else {
        panic!("not a StyleGAN run");
    };
    assert_eq!(preset.name, "Tiny style run");
    assert_eq!(preset.stylegan.channel_max, 8, "the checkpoint's networks");
    drop(h);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_text_to_image_checkpoint_opens_the_caption_window_and_draws_typed_captions() {
    use crate::engine::captions::preset::CaptionPreset;
    use crate::engine::captions::run::CaptionRun;
    let text = "format = 1\nfamily = \"captions\"\nname = \"Tiny caption run\"\n[data]\n\
                kind = \"digits\"\n[captions]\nscenes = 200\nheld_out_scenes = 20\nembed = 8\n\
                condition = 4\nz_dim = 8\nbase_channels = 4\nbatch_size = 4\n";
    let preset = CaptionPreset::parse(text, Path::new("tiny.toml")).expect("preset");
    let (train, held) = preset.scenes().expect("scenes");
    let mut run = CaptionRun::new(preset.captions.clone(), train, held, &Device::flex());
    for _ in 0..2 {
        run.round();
    }
    let dir = std::env::temp_dir().join(format!("ganvas-gui-captions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("checkpoint.ganvas");
    crate::engine::captions::checkpoint::save(&run, &preset, &path).expect("saved");
    let mut h = opened(&path, 2);
    assert!(
        until(&mut h, 30, |s| match &s.family {
            Family::Captions(app) => app.caption.answer.as_ref().is_some_and(|a| a.step == 2),
            _ => false,
        }),
        "the caption box draws from the loaded generator"
    );
    drop(h);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn what_is_not_a_checkpoint_is_refused_before_a_window_opens() {
    let dir = std::env::temp_dir().join(format!("ganvas-gui-notckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("notes.txt");
    std::fs::write(&path, "not a checkpoint").expect("write");
    let message = match Window::of_checkpoint(&path) {
        Ok(_) => panic!("a text file was taken for a checkpoint"),
        Err(e) => format!("{e:#}"),
    };
    assert!(message.contains("notes.txt"), "{message}");
    let missing = Window::of_checkpoint(&dir.join("nothing.ganvas"));
    assert!(missing.is_err_and(|e| format!("{e:#}").contains("nothing.ganvas")));
    std::fs::remove_dir_all(&dir).expect("clean up");
}
