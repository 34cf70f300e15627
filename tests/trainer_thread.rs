//! The trainer thread: commands are honoured in order, renders are answered between steps,
//! the waker is called, and Stop returns within a second even while training.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ganvas::engine::family::gan;
use ganvas::engine::preset::Preset;
use ganvas::engine::trainer::protocol::{
    Command, Event, PlaneBounds, RenderRequest, RunState, StepKind,
};
use ganvas::engine::trainer::thread::Trainer;

use crate::util::{cpu, repo};

fn ring() -> ganvas::engine::config::TrainConfig {
    Preset::load(&repo().join("presets/ring8-vanilla.toml"))
        .expect("preset")
        .config()
}

use crate::util::events_until as until;

/// A GAN phase's key, as the family describes it.
fn t_key(phase: usize) -> &'static str {
    gan::DESCRIPTION.phases[phase].key
}

#[test]
fn commands_are_honoured_in_order() {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let t = Trainer::spawn(
        ring(),
        cpu(),
        Some(Arc::new(move || {
            w.fetch_add(1, Ordering::Relaxed);
        })),
    )
    .expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    // A D step changes only D; then a config change; then a G step uses the new config.
    t.send(Command::Step { phase: gan::D }).expect("send");
    let mut changed = ring();
    changed.optimizer.g = changed.optimizer.g.with_lr(1e-4);
    t.send(Command::SetConfig(Box::new(changed))).expect("send");
    t.send(Command::Step { phase: gan::G }).expect("send");
    // A phase the family does not have is refused and changes nothing.
    t.send(Command::Step { phase: 7 }).expect("send");
    t.send(Command::StepRound).expect("send");
    let mut order = Vec::new();
    until(&t, 20, |e| {
        match e {
            Event::Step(s) => order.push(match s.kind {
                StepKind::Phase(p) => t_key(p).to_string(),
                StepKind::Round => format!("round -> step {}", s.step),
            }),
            Event::ConfigApplied { .. } => order.push("config".into()),
            Event::Error(m) => order.push(m.clone()),
            _ => {}
        }
        order.len() == 5
    });
    assert_eq!(
        order,
        vec![
            "d",
            "config",
            "g",
            "this model has no update phase 7",
            "round -> step 1"
        ]
    );
    assert!(wakes.load(Ordering::Relaxed) > 0, "the waker was called");
    t.stop();
}

#[test]
fn play_pause_render_and_stop_within_a_second() {
    let t = Trainer::spawn(ring(), cpu(), None).expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    t.send(Command::Play).expect("send");
    until(&t, 20, |e| matches!(e, Event::Step(s) if s.step >= 20));
    // A render while running is answered between steps.
    t.send(Command::Render(RenderRequest {
        id: 7,
        latents: vec![0.1, -0.2, 0.3, 0.4],
        classes: vec![],
    }))
    .expect("send");
    let seen = until(&t, 10, |e| matches!(e, Event::Rendered { id: 7, .. }));
    let Some(Event::Rendered { samples, .. }) = seen.last() else {
        unreachable!()
    };
    assert_eq!((samples.count(), samples.len), (2, 2));
    t.send(Command::Pause).expect("send");
    until(&t, 10, |e| matches!(e, Event::State(RunState::Paused)));
    while t.recv_timeout(Duration::from_millis(300)).is_some() {}
    assert!(
        t.recv_timeout(Duration::from_millis(300)).is_none(),
        "no steps while paused"
    );
    // A bad render is an error event, not a crash.
    t.send(Command::Render(RenderRequest {
        id: 8,
        latents: vec![1.0, 2.0, 3.0],
        classes: vec![],
    }))
    .expect("send");
    until(
        &t,
        10,
        |e| matches!(e, Event::Error(m) if m.contains("multiple of 2")),
    );
    t.send(Command::Play).expect("send");
    until(&t, 10, |e| matches!(e, Event::Step(_)));
    let started = Instant::now();
    t.stop();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "stop took {:?}",
        started.elapsed()
    );
}

#[test]
fn slow_motion_paces_rounds_but_not_commands() {
    let t = Trainer::spawn(ring(), cpu(), None).expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    t.send(Command::SetPace { millis: 250 }).expect("send");
    t.send(Command::Play).expect("send");
    let started = Instant::now();
    let mut rounds = 0;
    while started.elapsed() < Duration::from_millis(1100) {
        if let Some(Event::Step(_)) = t.recv_timeout(Duration::from_millis(20)) {
            rounds += 1;
        }
    }
    // Unpaced, this preset runs ~150 rounds a second here; at 250 ms a round, about 4-5.
    assert!((3..=6).contains(&rounds), "{rounds} rounds in 1.1 s");
    // A render during the wait is answered at once, not after the pause.
    let asked = Instant::now();
    t.send(Command::Render(RenderRequest {
        id: 9,
        latents: vec![0.0, 0.0],
        classes: vec![],
    }))
    .expect("send");
    until(&t, 5, |e| matches!(e, Event::Rendered { id: 9, .. }));
    assert!(
        asked.elapsed() < Duration::from_millis(200),
        "render took {:?}",
        asked.elapsed()
    );
    let stopping = Instant::now();
    t.stop();
    assert!(stopping.elapsed() < Duration::from_secs(1));
}

#[test]
fn d_field_answers_with_probabilities_on_a_grid() {
    let t = Trainer::spawn(ring(), cpu(), None).expect("spawns");
    until(&t, 20, |e| matches!(e, Event::Ready(_)));
    let area = PlaneBounds {
        min: [-1.5, -0.5],
        max: [2.5, 1.0],
    };
    t.send(Command::DField {
        resolution: 8,
        bounds: area,
    })
    .expect("send");
    let seen = until(&t, 10, |e| matches!(e, Event::DField(_)));
    let Some(Event::DField(layers)) = seen.last() else {
        unreachable!()
    };
    let ganvas::engine::trainer::protocol::PlaneLayers {
        resolution,
        bounds,
        values,
        points,
        arrows,
        manifold,
        manifold_side,
        ..
    } = layers.as_ref();
    assert_eq!((*resolution, *bounds, values.len()), (8, area, 64));
    assert_eq!(
        arrows.len(),
        points.len(),
        "one gradient per generated point"
    );
    assert_eq!(points.len(), 2 * ring().train.snapshot_samples);
    assert_eq!(manifold.len(), 2 * manifold_side.pow(2));
    assert!(
        values.iter().all(|v| (0.0..=1.0).contains(v)),
        "non-saturating D gives probabilities"
    );
    t.send(Command::DField {
        resolution: 1,
        bounds: area,
    })
    .expect("send");
    until(
        &t,
        10,
        |e| matches!(e, Event::Error(m) if m.contains("bad field request")),
    );
    t.stop();
}

#[test]
fn the_field_covers_the_bounds_asked_for_corner_to_corner() {
    use ganvas::engine::trainer::session::Session;
    let mut session = Session::new(ring(), cpu()).expect("builds");
    for _ in 0..5 {
        session.step_once(StepKind::Round).expect("steps");
    }
    let area = PlaneBounds {
        min: [-3.0, -0.5],
        max: [1.0, 2.5],
    };
    let res = 5;
    let field = session.d_field(res, area).expect("2D");
    let p = |logit: f32| 1.0 / (1.0 + (-logit).exp());
    // Rows run from the top (y = max) down; columns from x = min.
    for (index, (x, y)) in [
        (0, (-3.0, 2.5)),
        (res - 1, (1.0, 2.5)),
        (res * (res - 1), (-3.0, -0.5)),
        (res * res - 1, (1.0, -0.5)),
    ] {
        let want = p(session.d_value(x, y));
        assert!(
            (field[index] - want).abs() < 1e-4,
            "corner ({x}, {y}): {} vs {want}",
            field[index]
        );
    }
}

#[test]
fn gradient_arrows_point_where_d_rises() {
    use ganvas::engine::trainer::session::Session;
    let mut session = Session::new(ring(), cpu()).expect("builds");
    for _ in 0..30 {
        session.step_once(StepKind::Round).expect("steps");
    }
    let points = session.snapshot().values;
    let grads = session.d_gradients(&points).expect("2D");
    // Compare D a small step along the arrow with D a step against it, on a fine field
    // through the origin: use the field itself as D's value at grid points.
    let mut up = 0;
    let mut total = 0;
    for (p, g) in points.chunks_exact(2).zip(grads.chunks_exact(2)).take(64) {
        let norm = g[0].hypot(g[1]);
        if norm < 1e-6 {
            continue;
        }
        let eps = 1e-2 / norm;
        let d_at = |x: f32, y: f32| session.d_value(x, y);
        let ahead = d_at(p[0] + eps * g[0], p[1] + eps * g[1]);
        let behind = d_at(p[0] - eps * g[0], p[1] - eps * g[1]);
        total += 1;
        up += usize::from(ahead > behind);
    }
    assert!(
        total > 40 && up == total,
        "{up} of {total} arrows point uphill"
    );
}
