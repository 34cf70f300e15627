//! NaN/Inf is caught at the step it happens; the last good state is kept and restorable.

use ganvas::engine::config::{DataConfig, Objective};
use ganvas::engine::preset::Preset;
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::{Session, SessionError};

use crate::util::{cpu, repo, temp_dir};

#[test]
fn divergence_is_caught_and_the_last_good_state_restored() {
    // Points at ±1e6 (the largest coordinates a CSV may hold) and plain SGD at lr 10:
    // least-squares gradients on them overflow f32 within a few updates.
    let dir = temp_dir("diverge");
    let csv = dir.join("far.csv");
    std::fs::write(&csv, "1e6,1e6\n-1e6,1e6\n").expect("write");
    let mut config = Preset::load(&repo().join("presets/ring8-vanilla.toml"))
        .expect("preset")
        .config();
    config.objective = Objective::LeastSquares;
    let sgd = ganvas::engine::config::OptimizerConfig::Sgd {
        lr: 10.0,
        momentum: 0.0,
    };
    config.optimizer.g = sgd;
    config.optimizer.d = sgd;
    config.data = DataConfig::Csv { path: csv };
    let mut s = Session::new(config, cpu()).expect("builds");
    let mut before = s.snapshot();
    let mut diverged = None;
    for _ in 0..50 {
        let snapshot = s.snapshot();
        match s.step_once(StepKind::Round) {
            Ok(_) => {}
            Err(e) => {
                before = snapshot;
                diverged = Some(e);
                break;
            }
        }
    }
    let err = diverged.expect("diverges within 50 rounds");
    let at = match &err {
        SessionError::Diverged { step, what } => {
            assert!(what.contains("loss") || what.contains("gradient"), "{what}");
            *step
        }
        other => panic!("expected divergence, got {other}"),
    };
    // Stepping again is refused until restored.
    assert!(matches!(
        s.step_once(StepKind::Round),
        Err(SessionError::Diverged { .. })
    ));
    assert_eq!(s.restore_last_good(), Some(at));
    assert_eq!(
        s.snapshot(),
        before,
        "G is back to its state before the bad step"
    );
    // With sane data and settings the restored run trains on.
    let sane = Preset::load(&repo().join("presets/ring8-vanilla.toml"))
        .expect("preset")
        .config();
    s.apply_config(sane).expect("applies");
    s.step_once(StepKind::Round).expect("trains again");
}
