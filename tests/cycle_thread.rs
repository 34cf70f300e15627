//! The trainer thread on a CycleGAN preset: each phase button's command updates its own
//! networks (its curves are measured, the other phase's are not), rounds count, the fixed
//! strips and evaluations arrive, a user's image is translated there and back, a checkpoint
//! saved from the thread loads back with its history, and GAN-only commands get a message.

use ganvas::engine::cyclegan::preset::{CyclePreset, DomainsConfig, PairName};
use ganvas::engine::cyclegan::{self, CRITICS, GENERATORS};
use ganvas::engine::trainer::protocol::{
    Command, Event, RenderRequest, RunOrigin, RunSetup, StepKind, TranslateRequest,
};
use ganvas::engine::trainer::thread::Trainer;

use crate::util::{cpu, events_until as until, repo, temp_dir};

/// The shipped thin ↔ thick preset, shrunk to train in milliseconds.
fn tiny() -> CyclePreset {
    let mut p =
        CyclePreset::load(&repo().join("presets/cyclegan/digits-thin-thick.toml")).expect("preset");
    let s = &mut p.cyclegan;
    s.domains = DomainsConfig::EmbeddedPair {
        pair: PairName::ThinThick,
        per_domain: 120,
    };
    s.held_out = 40;
    (s.g_filters, s.d_filters, s.residual_blocks, s.batch_size) = (8, 8, 1, 4);
    (s.sample_every, s.metrics_every) = (2, 2);
    p
}

fn measured(e: &Event, key: &str) -> Option<bool> {
    match e {
        Event::Step(s) => s.get(key).map(|v| v.is_finite()),
        _ => None,
    }
}

#[test]
fn a_cyclegan_run_steps_by_phase_translates_and_checkpoints_on_the_trainer_thread() {
    let t = Trainer::spawn_cycle(tiny(), cpu(), None).expect("spawns");
    let seen = until(&t, 60, |e| matches!(e, Event::Snapshot { .. }));
    let info = seen
        .iter()
        .find_map(|e| match e {
            Event::Ready(i) => Some(i.clone()),
            _ => None,
        })
        .expect("the run is described first");
    assert_eq!(info.family.key, "cyclegan");
    assert!(matches!(info.setup, RunSetup::Cycle(_)));
    assert_eq!(info.domains.len(), 2);
    assert_eq!((info.domains[0].channels, info.domains[0].side), (1, 28));
    assert_eq!(info.domains[0].images, 80, "120 drawn, 40 of them held out");

    // The critics' button: D_A's loss measured, G_AB's not; and the reverse.
    t.send(Command::Step { phase: CRITICS }).expect("send");
    let critics = until(&t, 30, |e| matches!(e, Event::Step(_)));
    let last = critics.last().expect("a step");
    assert_eq!(measured(last, "d_a_loss"), Some(true));
    assert_eq!(measured(last, "g_ab_adv"), Some(false));
    t.send(Command::Step { phase: GENERATORS }).expect("send");
    let generators = until(&t, 30, |e| matches!(e, Event::Step(_)));
    let last = generators.last().expect("a step");
    assert_eq!(measured(last, "g_ab_adv"), Some(true));
    assert_eq!(measured(last, "cycle_a"), Some(true));
    assert_eq!(measured(last, "d_a_loss"), Some(false));

    // Two rounds: step 2, the strips of 6 rows × 8 columns, and an evaluation at step 2.
    t.send(Command::StepRound).expect("send");
    t.send(Command::StepRound).expect("send");
    let rounds = until(&t, 60, |e| matches!(e, Event::Metrics(r) if r.step == 2));
    let steps: Vec<(StepKind, u64)> = rounds
        .iter()
        .filter_map(|e| match e {
            Event::Step(s) => Some((s.kind, s.step)),
            _ => None,
        })
        .collect();
    assert_eq!(steps, [(StepKind::Round, 1), (StepKind::Round, 2)]);
    let report = rounds.iter().rev().find_map(|e| match e {
        Event::Metrics(r) => Some(r.clone()),
        _ => None,
    });
    let report = report.expect("an evaluation");
    let cycle_a = report.get("cycle_l1_a").expect("cycle L1 of A");
    assert!(cycle_a.is_finite() && cycle_a > 0.0, "{cycle_a}");
    // The translations' variety is measured against each target domain.
    for dir in ["ab", "ba"] {
        let d = report
            .get(&format!("diversity_ratio_{dir}"))
            .expect("diversity");
        assert!(d.is_finite() && d > 0.0, "{dir}: {d}");
        assert!(report.get(&format!("duplicate_pct_{dir}")).is_some());
    }

    // A 28×28 grey image of A, there and back; a wrong size refused by name; a GAN's
    // latent render refused. (A newer translation replaces one not yet made: one at a time.)
    let answer = |command: Command| {
        t.send(command).expect("send");
        let seen = until(&t, 30, |e| {
            matches!(e, Event::Translated { .. } | Event::Error(_))
        });
        match seen.last() {
            Some(Event::Translated {
                id, forward, back, ..
            }) => format!("{id}: {} {}", forward.values.len(), back.values.len()),
            Some(Event::Error(m)) => m.clone(),
            _ => unreachable!(),
        }
    };
    let translate = |id: u64, len: usize| {
        Command::Translate(TranslateRequest {
            id,
            a_to_b: id == 7,
            pixels: vec![-1.0; len],
        })
    };
    assert_eq!(answer(translate(7, 28 * 28)), "7: 784 784");
    let wrong = answer(translate(8, 10));
    assert!(wrong.contains("thick needs 784 values"), "{wrong}");
    let render = answer(Command::Render(RenderRequest {
        id: 9,
        latents: vec![0.0; 2],
        classes: Vec::new(),
    }));
    assert!(render.contains("not a latent vector"), "{render}");

    // Save at step 2, train on, load: back at step 2 with the history up to it.
    let dir = temp_dir("cycle-thread");
    let path = dir.join("run.ganvas");
    t.send(Command::SaveCheckpoint(path.clone())).expect("send");
    until(&t, 30, |e| {
        matches!(e, Event::CheckpointSaved { step: 2, .. })
    });
    t.send(Command::StepRound).expect("send");
    t.send(Command::LoadCheckpoint(path.clone())).expect("send");
    let loaded = until(&t, 60, |e| matches!(e, Event::CheckpointLoaded { .. }));
    assert!(
        loaded
            .iter()
            .any(|e| matches!(e, Event::Ready(i) if i.origin == RunOrigin::Loaded))
    );
    let history = loaded.iter().find_map(|e| match e {
        Event::History { stats, reports } => Some((stats.len(), reports.len())),
        _ => None,
    });
    assert_eq!(
        history,
        Some((4, 1)),
        "two phase steps, two rounds, one evaluation"
    );
    assert!(
        loaded
            .iter()
            .any(|e| matches!(e, Event::CheckpointLoaded { step: 2, .. }))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_cyclegan_preset_that_cannot_be_built_is_reported_and_play_is_refused() {
    let mut p = tiny();
    p.cyclegan.batch_size = 0;
    let t = Trainer::spawn_cycle(p, cpu(), None).expect("spawns");
    let seen = until(&t, 30, |e| matches!(e, Event::Error(_)));
    let Some(Event::Error(m)) = seen.last() else {
        unreachable!()
    };
    assert!(m.contains("cannot be built"), "{m}");
    t.send(Command::Play).expect("send");
    let refused = until(&t, 30, |e| matches!(e, Event::Error(_)));
    assert!(matches!(refused.last(), Some(Event::Error(m)) if m.contains("no run is loaded")));
    assert_eq!(cyclegan::DESCRIPTION.phases.len(), 2);
}
