//! Checkpoints: identical samples after a round trip, resuming continues the same run, another
//! architecture or a damaged file is a clear error, and `sample` reads a run directory.

use ganvas::engine::checkpoint::{self, Checkpoint, CheckpointError};
use ganvas::engine::family::gan;
use ganvas::engine::preset::Preset;
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::Session;

use crate::util::{cpu, repo, temp_dir};

fn config(name: &str) -> ganvas::engine::config::TrainConfig {
    Preset::load(&repo().join("presets").join(name))
        .expect("preset")
        .config()
}

fn losses(s: &mut Session, n: usize) -> Vec<(f32, f32)> {
    (0..n)
        .map(|_| s.step_once(StepKind::Round).expect("step"))
        .map(|st| (st.value(gan::D_LOSS), st.value(gan::G_LOSS)))
        .collect()
}

#[test]
fn round_trip_gives_identical_samples_and_resume_continues_the_run() {
    let dir = temp_dir("ckpt");
    let path = dir.join("run.ganvas");
    let mut cfg = config("digits-dcgan.toml");
    cfg.data = ganvas::engine::config::DataConfig::Digits { count: 200 };
    cfg.tricks.ema = Some(0.9);
    let mut a = Session::new(cfg.clone(), cpu()).expect("builds");
    losses(&mut a, 3);
    let report = a.evaluate();
    a.save_checkpoint(&path).expect("saves");
    let saved_log = a.log.clone();
    let later_a = losses(&mut a, 3);

    let mut b = Session::new(cfg, cpu()).expect("builds");
    let ckpt = Checkpoint::read(&path).expect("reads");
    assert_eq!(ckpt.step, 3);
    assert!(b.log.stats.is_empty());
    b.restore(&ckpt).expect("same architecture");
    // The curves and evaluations that led to the checkpoint come back with it.
    assert_eq!(b.log, saved_log);
    assert_eq!(
        b.log.stats.iter().map(|s| s.step).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(b.log.reports, vec![report]);
    let mut a2 = Session::new(b.config.clone(), cpu()).expect("builds");
    a2.restore(&ckpt).expect("restores");
    assert_eq!(
        a2.snapshot(),
        b.snapshot(),
        "two restores sample identically"
    );
    // The saved G (its EMA, since on) produces the same samples without any data loaded.
    let g = ckpt
        .generator(&burn::tensor::Device::flex())
        .expect("generator");
    let z = ganvas::engine::trainer::tensors::matrix(
        b.fixed_z.clone(),
        b.fixed_z.len() / 64,
        64,
        &burn::tensor::Device::flex(),
    );
    assert_eq!(
        ganvas::engine::trainer::tensors::read(g.forward(z, None)),
        b.snapshot().values
    );
    assert_eq!(
        losses(&mut b, 3),
        later_a,
        "resuming continues the same run"
    );
    assert!(
        !dir.read_dir()
            .expect("dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
    );
}

#[test]
fn another_architecture_or_a_damaged_file_is_a_clear_error() {
    let dir = temp_dir("ckpt-bad");
    let path = dir.join("ring.ganvas");
    let ring = Session::new(config("ring8-vanilla.toml"), cpu()).expect("builds");
    ring.save_checkpoint(&path).expect("saves");
    let mut wider_cfg = config("ring8-vanilla.toml");
    wider_cfg.model.width = 64;
    let mut wider = Session::new(wider_cfg, cpu()).expect("builds");
    let err = wider
        .restore(&Checkpoint::read(&path).expect("reads"))
        .expect_err("mismatch");
    assert!(matches!(err, CheckpointError::Architecture { .. }), "{err}");
    assert!(
        err.to_string().contains("width 128") && err.to_string().contains("width 64"),
        "{err}"
    );

    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(dir.join("cut.ganvas"), &bytes[..bytes.len() / 2]).expect("write");
    let cut = Checkpoint::read(&dir.join("cut.ganvas"))
        .err()
        .expect("truncated");
    assert!(cut.to_string().contains("cut short"), "{cut}");
    std::fs::write(dir.join("text.ganvas"), b"hello").expect("write");
    let not = Checkpoint::read(&dir.join("text.ganvas"))
        .err()
        .expect("not a checkpoint");
    assert!(
        matches!(not, CheckpointError::NotACheckpoint { .. }),
        "{not}"
    );
    // A run directory means its latest checkpoint.
    std::fs::copy(&path, dir.join(checkpoint::LATEST)).expect("copy");
    assert_eq!(Checkpoint::read(&dir).expect("dir resolves").step, 0);
}
