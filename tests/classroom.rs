//! What a lesson in front of a class relies on: slow motion shows each D and G update without
//! changing the arithmetic, "run to step N" stops there, a change to what is learned restarts
//! the run, a paused trainer stays quiet, missing data leaves the trainer ready for a fix,
//! and each objective's button brings the settings of its preset.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ganvas::engine::config::{DataConfig, Objective, TrainConfig};
use ganvas::engine::family::gan;
use ganvas::engine::preset::Preset;
use ganvas::engine::recipes::apply_recipe;
use ganvas::engine::trainer::protocol::{
    Command, Event, PlaneBounds, RunOrigin, RunState, StepKind,
};
use ganvas::engine::trainer::session::Session;
use ganvas::engine::trainer::thread::Trainer;

use crate::util::{cpu, repo};

fn preset(name: &str) -> TrainConfig {
    Preset::load(&repo().join("presets").join(name))
        .expect("preset")
        .config()
}

use crate::util::events_until as until;

#[test]
fn slow_motion_updates_are_the_same_rounds_one_update_at_a_time() {
    let mut config = preset("ring8-vanilla.toml");
    config.train.d_steps = 2;
    let mut whole = Session::new(config.clone(), cpu()).expect("builds");
    let mut parts = Session::new(config, cpu()).expect("builds");
    for round in 0..3 {
        let a = whole.step_once(StepKind::Round).expect("round");
        let mut kinds = Vec::new();
        let b = loop {
            let (st, done) = parts.step_update().expect("update");
            kinds.push(st.kind);
            if done {
                break st;
            }
        };
        assert_eq!(
            kinds,
            [
                StepKind::Phase(gan::D),
                StepKind::Phase(gan::D),
                StepKind::Round
            ],
            "round {round}"
        );
        assert_eq!(
            (a.step, a.value(gan::D_LOSS), a.value(gan::G_LOSS)),
            (b.step, b.value(gan::D_LOSS), b.value(gan::G_LOSS))
        );
        assert_eq!(
            (a.value(gan::D_REAL), a.value(gan::D_FAKE)),
            (b.value(gan::D_REAL), b.value(gan::D_FAKE))
        );
    }
    assert_eq!(whole.snapshot().values, parts.snapshot().values);
}

#[test]
fn slow_motion_shows_d_changing_the_field_then_g_moving_the_points() {
    let t = Trainer::spawn(preset("ring8-vanilla.toml"), cpu(), None).expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    t.send(Command::DField {
        resolution: 16,
        bounds: PlaneBounds::square(1.5),
    })
    .expect("send");
    until(&t, 10, |e| matches!(e, Event::DField(_)));
    t.send(Command::SetPace { millis: 20 }).expect("send");
    t.send(Command::Play).expect("send");
    let mut fields = Vec::new();
    until(&t, 30, |e| {
        if let Event::DField(l) = e {
            fields.push((**l).clone());
        }
        fields.len() >= 6
    });
    t.send(Command::Pause).expect("send");
    let kinds: Vec<_> = fields.iter().map(|l| l.after).collect();
    assert_eq!(
        kinds[..4],
        [
            Some(StepKind::Phase(gan::D)),
            Some(StepKind::Round),
            Some(StepKind::Phase(gan::D)),
            Some(StepKind::Round)
        ],
        "each update is shown: D, then the G update that completes the round"
    );
    let (d, g) = (&fields[0], &fields[1]);
    assert_ne!(d.values, fields[5].values, "D's updates change its field");
    assert_ne!(d.points, g.points, "G's update moves the points");
    assert_eq!(
        fields[2].points, g.points,
        "a D update leaves G's points where they were"
    );
}

#[test]
fn run_to_a_step_pauses_exactly_there() {
    let t = Trainer::spawn(preset("ring8-vanilla.toml"), cpu(), None).expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    t.send(Command::PlayUntil(37)).expect("send");
    let mut last = 0;
    until(&t, 30, |e| {
        if let Event::Step(s) = e {
            last = s.step;
        }
        matches!(e, Event::State(RunState::Paused)) && last > 0
    });
    assert_eq!(last, 37);
}

#[test]
fn changing_the_objective_restarts_on_the_same_seed_and_says_so() {
    let config = preset("ring8-vanilla.toml");
    let t = Trainer::spawn(config.clone(), cpu(), None).expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    for _ in 0..5 {
        t.send(Command::StepRound).expect("send");
    }
    until(&t, 20, |e| matches!(e, Event::Step(s) if s.step == 5));
    let (gp, _) = apply_recipe(&config, "wgan-gp").expect("recipe");
    t.send(Command::SetConfig(Box::new(gp.clone())))
        .expect("send");
    let seen = until(&t, 20, |e| matches!(e, Event::ConfigApplied { .. }));
    let ready = seen.iter().find_map(|e| match e {
        Event::Ready(i) => Some(i.clone()),
        _ => None,
    });
    let info = ready.expect("a new run is described before the note");
    assert_eq!(info.origin, RunOrigin::Restarted);
    assert_eq!(info.gan(), Some(&gp));
    assert_eq!(info.seed(), config.train.seed);
    let Some(Event::ConfigApplied { notes }) = seen.last() else {
        unreachable!()
    };
    assert!(notes[0].contains("the objective changed"), "{notes:?}");
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::Snapshot { step: 0, .. }))
    );
    // A trick is a live change: the run goes on.
    let mut smoothed = gp.clone();
    smoothed.tricks.label_smoothing = 0.1;
    t.send(Command::StepRound).expect("send");
    t.send(Command::SetConfig(Box::new(smoothed)))
        .expect("send");
    let seen = until(&t, 20, |e| matches!(e, Event::Ready(_)));
    let Some(Event::Ready(info)) = seen.last() else {
        unreachable!()
    };
    assert_eq!(info.origin, RunOrigin::Continued);
    // Loading a preset always starts a new run, even on the same configuration.
    t.send(Command::Restart(Box::new(gp))).expect("send");
    let seen = until(&t, 20, |e| matches!(e, Event::Ready(_)));
    let Some(Event::Ready(info)) = seen.last() else {
        unreachable!()
    };
    assert_eq!(info.origin, RunOrigin::Restarted);
}

#[test]
fn a_paused_trainer_does_not_wake_the_window() {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let t = Trainer::spawn(
        preset("ring8-vanilla.toml"),
        cpu(),
        Some(Arc::new(move || {
            w.fetch_add(1, Ordering::Relaxed);
        })),
    )
    .expect("spawns");
    until(&t, 20, |e| matches!(e, Event::State(RunState::Paused)));
    while t.recv_timeout(Duration::from_millis(300)).is_some() {}
    let before = wakes.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        wakes.load(Ordering::Relaxed),
        before,
        "no news, no wake-up (a paused window draws nothing)"
    );
    t.send(Command::StepRound).expect("send");
    until(&t, 10, |e| matches!(e, Event::Step(_)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while wakes.load(Ordering::Relaxed) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(wakes.load(Ordering::Relaxed) > before, "news wakes it");
}

#[test]
fn missing_data_leaves_the_trainer_waiting_for_a_fix() {
    let mut config = preset("mnist-cgan.toml");
    config.data = DataConfig::Idx {
        images: "/nonexistent/t10k-images-idx3-ubyte.gz".into(),
        labels: None,
        transpose: false,
    };
    let t = Trainer::spawn(config.clone(), cpu(), None).expect("spawns");
    let seen = until(&t, 20, |e| matches!(e, Event::BuildFailed { .. }));
    let Some(Event::BuildFailed {
        config: failed,
        error,
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(**failed, config, "the failed setup comes back to be edited");
    assert!(error.contains("/nonexistent/t10k-images"), "{error}");
    let fixed = ganvas::engine::adapt::switch_data(&config, DataConfig::Digits { count: 200 });
    t.send(Command::SetConfig(Box::new(fixed))).expect("send");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    t.send(Command::StepRound).expect("send");
    until(&t, 20, |e| matches!(e, Event::Step(s) if s.step == 1));
}

/// The configuration a button gives, against the preset for that objective: the same in
/// everything but the number of steps a CLI run takes.
fn assert_button_is_preset(from: &str, objective: &str, preset_file: &str) {
    let (button, _) = apply_recipe(&preset(from), objective).expect("recipe");
    let mut want = preset(preset_file);
    want.train.steps = button.train.steps;
    assert_eq!(button, want, "{objective} from {from} vs {preset_file}");
}

#[test]
fn each_objective_button_brings_the_settings_of_its_preset() {
    assert_button_is_preset("ring8-vanilla.toml", "wgan-gp", "ring8-wgan-gp.toml");
    assert_button_is_preset("digits-dcgan.toml", "hinge", "digits-hinge-sn.toml");
    assert_button_is_preset("digits-dcgan.toml", "least-squares", "digits-lsgan.toml");
    assert_button_is_preset("mnist-dcgan.toml", "wgan-gp", "mnist-wgan-gp.toml");
    assert_button_is_preset("ring8-wgan-gp.toml", "non-saturating", "ring8-vanilla.toml");
}

#[test]
fn the_wgan_gp_button_covers_the_ring_like_its_preset() {
    let (config, changes) = apply_recipe(&preset("ring8-vanilla.toml"), "wgan-gp").expect("recipe");
    assert!(
        changes
            .iter()
            .any(|c| c.contains("D steps per round: 1 -> 5")),
        "{changes:?}"
    );
    assert!(matches!(config.objective, Objective::WganGp { lambda } if lambda == 0.1));
    let mut s = Session::new(config, cpu()).expect("builds");
    for _ in 0..500 {
        s.step_once(StepKind::Round).expect("trains");
    }
    let report = s.metrics();
    let modes = report.get("modes_covered").expect("2D metrics");
    assert_eq!(modes, 8.0, "{:?}", report.values);
}
