//! NaN/Inf is caught at the step it happens; the last good state is kept and restorable.

use ganvas::engine::config::{DataConfig, Objective};
use ganvas::engine::preset::Preset;
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::{Session, SessionError};

use crate::util::{cpu, repo, temp_dir};

#[test]
fn divergence_is_caught_and_the_last_good_state_restored() {
    // Points at ±1e30: least-squares losses on them overflow f32 on the first D update.
    let dir = temp_dir("diverge");
    let csv = dir.join("far.csv");
    std::fs::write(&csv, "1e30,1e30\n-1e30,1e30\n").expect("write");
    let mut config = Preset::load(&repo().join("presets/ring8-vanilla.toml"))
        .expect("preset")
        .config();
    config.objective = Objective::LeastSquares;
    let ring = config.data.clone();
    config.data = DataConfig::Csv { path: csv };
    let mut s = Session::new(config, cpu()).expect("builds");
    let before = s.snapshot();
    let err = s.step_once(StepKind::Round).expect_err("diverges");
    match &err {
        SessionError::Diverged { step, what } => {
            assert_eq!(*step, 0);
            assert!(
                what.contains("D loss") || what.contains("D gradient"),
                "{what}"
            );
        }
        other => panic!("expected divergence, got {other}"),
    }
    // Stepping again is refused until restored.
    assert!(matches!(
        s.step_once(StepKind::Round),
        Err(SessionError::Diverged { .. })
    ));
    assert_eq!(s.restore_last_good(), Some(0));
    assert_eq!(
        s.snapshot(),
        before,
        "G is back to its state before the bad step"
    );
    assert!(s.snapshot().values.iter().all(|v| v.is_finite()));
    // With sane data the restored run trains on.
    let mut sane = s.config.clone();
    sane.data = ring;
    s.apply_config(sane).expect("applies");
    s.step_once(StepKind::Round).expect("trains again");
}
