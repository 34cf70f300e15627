//! The augmentation lab's tab driven like a user would: the real experiment thread on the
//! CPU, a tiny plan on the embedded digits.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use super::*;
use crate::engine::augment::lab::RESULTS_FILE;
use crate::gui::app::GanvasApp;
use crate::gui::harness::{gan_window as window_sized, until};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganvas-lab-tab-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The window on the digits cGAN with the lab's tab open, a plan of one N and two seeds,
/// results in `folder`.
fn lab_window(folder: &std::path::Path, gan_steps: u64) -> Harness<'static, GanvasApp> {
    let mut h = window_sized("digits-cgan.toml", [1400.0, 900.0]);
    h.get_by_label("Augmentation lab").click();
    h.run_steps(2);
    let lab = &mut h.state_mut().augment;
    lab.per_class_text = "4".into();
    lab.seeds_text = "1, 2".into();
    lab.plan.gan_steps = Some(gan_steps);
    lab.plan.classifier_steps = 5;
    lab.plan.synthetic_per_class = 4;
    lab.folder = Some(folder.to_path_buf());
    h.run_steps(2);
    h
}

fn finished(app: &GanvasApp) -> Option<bool> {
    match app.augment.state {
        LabState::Finished { stopped } if !app.augment.running() => Some(stopped),
        _ => None,
    }
}

#[test]
fn the_experiment_runs_from_the_tab_and_the_table_shows_the_csv() {
    let folder = temp("run");
    let mut h = lab_window(&folder, 3);
    h.get_by_label("Play").click();
    assert!(until(&mut h, 30, |a| a.view.step >= 2), "the run trains");
    h.get_by_label("Run experiment").click();
    assert!(
        until(&mut h, 120, |a| finished(a) == Some(false)),
        "{:?}",
        h.state().augment.state
    );
    let app = h.state();
    assert!(!app.view.running, "training was paused for the lab");
    assert_eq!(app.augment.results.len(), 2);
    let on_disk = results::read(&folder.join(RESULTS_FILE)).expect("the CSV");
    assert_eq!(
        results::to_csv(&on_disk),
        results::to_csv(&app.augment.results)
    );
    // The table shows the CSV's figures: mean ± sd of the two seeds.
    let s = results::summarise(&on_disk).remove(0);
    let real = format!("{:.3} ± {:.3}", s.real.mean, s.real.std);
    let gan_test = format!("{:.3} ± {:.3}", s.gan_test.mean, s.gan_test.std);
    h.run_steps(2);
    assert!(h.query_by_label("N = 4 (2 runs)").is_some());
    assert!(h.query_by_label(&real).is_some(), "{real}");
    assert!(h.query_by_label(&gan_test).is_some(), "{gan_test}");
    assert!(
        h.query_by_label_contains("adding synthetic images")
            .is_some()
    );
    std::fs::remove_dir_all(&folder).expect("clean up");
}

#[test]
fn stop_keeps_the_finished_run_and_run_goes_on_from_it() {
    let folder = temp("stop");
    let mut h = lab_window(&folder, 400);
    h.get_by_label("Run experiment").click();
    assert!(
        until(&mut h, 120, |a| a.augment.results.len() == 1),
        "the first run finishes"
    );
    h.get_by_label("Stop").click();
    assert!(until(&mut h, 60, |a| finished(a) == Some(true)));
    assert_eq!(h.state().augment.results.len(), 1);
    let on_disk = results::read(&folder.join(RESULTS_FILE)).expect("the CSV");
    assert_eq!(on_disk.len(), 1, "the finished run is in the file");
    assert!(
        h.state()
            .view
            .messages
            .iter()
            .any(|m| m.contains("1 finished runs kept"))
    );
    // Again: only the second seed is trained.
    h.state_mut().augment.plan.gan_steps = Some(400);
    h.run_steps(1);
    h.get_by_label("Run experiment").click();
    assert!(until(&mut h, 120, |a| finished(a) == Some(false)));
    let seeds: Vec<u64> = h.state().augment.results.iter().map(|r| r.seed).collect();
    assert_eq!(seeds, vec![1, 2]);
    assert_eq!(h.state().augment.results[0], on_disk[0], "kept, not redone");
    std::fs::remove_dir_all(&folder).expect("clean up");
}

#[test]
fn a_bad_plan_or_an_unconditional_run_is_explained() {
    let folder = temp("bad");
    let mut h = lab_window(&folder, 3);
    h.state_mut().augment.per_class_text = "10, ten".into();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("`ten` is not a whole number")
            .is_some()
    );
    h.get_by_label("Run experiment").click();
    h.run_steps(2);
    assert!(!h.state().augment.running());
    assert!(
        h.state()
            .view
            .messages
            .iter()
            .any(|m| m.starts_with("Error: N per class"))
    );
    assert!(!folder.exists(), "nothing written");

    let mut h = window_sized("digits-dcgan.toml", [1400.0, 900.0]);
    h.get_by_label("Augmentation lab").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("needs a conditional GAN")
            .is_some()
    );
    h.get_by_label("Open the digits cGAN preset").click();
    assert!(until(&mut h, 30, |a| a
        .view
        .gan_config()
        .is_some_and(|c| c.model.conditional)));
    assert_eq!(
        h.state().augment.plan.per_class,
        vec![10, 50],
        "the lab takes the preset's plan"
    );
}
