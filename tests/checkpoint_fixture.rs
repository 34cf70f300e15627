//! A checkpoint written by an earlier ganvas still loads. `tests/fixtures/checkpoint-v1.ganvas`
//! is the first checkpoint format (1), written before the model-family seam by the binary of
//! commit 1a01455 (2026-12-03), together with what that binary sampled from it:
//!
//! ```sh
//! ganvas train --preset tests/fixtures/checkpoint-v1.toml --steps 3 --backend cpu --out RUN
//! cp RUN/checkpoint.ganvas tests/fixtures/checkpoint-v1.ganvas
//! ganvas sample --checkpoint tests/fixtures/checkpoint-v1.ganvas --n 16 --seed 3 \
//!     --backend cpu --out tests/fixtures/checkpoint-v1.samples.idx
//! ```
//!
//! (a small conditional DCGAN with an EMA of G, so that every section is there). Whatever the
//! format becomes, today's binary must read that file, sample the same images from it, and
//! keep training it. The fixture is never rewritten.

use std::process::Command;

use ganvas::engine::checkpoint::Checkpoint;
use ganvas::engine::family::gan;
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::Session;

use crate::util::{cpu, repo, temp_dir};

const FIXTURE: &str = "tests/fixtures/checkpoint-v1.ganvas";
const SAMPLES: &str = "tests/fixtures/checkpoint-v1.samples.idx";

#[test]
fn a_checkpoint_of_the_first_format_restores_and_trains_on() {
    let ckpt = Checkpoint::read(&repo().join(FIXTURE)).expect("the fixture reads");
    assert_eq!(ckpt.step, 3);
    assert_eq!(
        (ckpt.format, ckpt.family.key),
        (1, "gan"),
        "no family named: a GAN"
    );
    assert!(ckpt.config.model.conditional && ckpt.config.tricks.ema.is_some());
    let mut s = Session::new(ckpt.config.clone(), cpu()).expect("its run builds");
    s.restore(&ckpt).expect("restores");
    assert_eq!(s.step(), 3);
    assert_eq!(
        s.log.stats.iter().map(|st| st.step).collect::<Vec<_>>(),
        [1, 2, 3],
        "its curves come back"
    );
    // The first format's six curves are the GAN family's, in its order.
    let first = &s.log.stats[0];
    assert_eq!(first.kind, StepKind::Round);
    assert_eq!(first.family.key, "gan");
    assert!(first.values.iter().all(|v| v.is_finite()), "{first:?}");
    assert!(first.value(gan::D_REAL) > 0.0 && first.value(gan::D_REAL) < 1.0);
    // Saved again, it is format 2 and names its family; the curves survive the round trip.
    let dir = temp_dir("fixture-resave");
    let again = dir.join("again.ganvas");
    s.save_checkpoint(&again).expect("saves");
    let back = Checkpoint::read(&again).expect("reads");
    assert_eq!((back.format, back.family.key), (2, "gan"));
    let mut t = Session::new(back.config.clone(), cpu()).expect("builds");
    t.restore(&back).expect("restores");
    assert_eq!(t.log.stats, s.log.stats);
    let st = s.step_once(StepKind::Round).expect("keeps training");
    assert!(st.value(gan::G_LOSS).is_finite() && st.value(gan::D_LOSS).is_finite());
    assert_eq!(s.step(), 4);
}

#[test]
fn a_checkpoint_of_the_first_format_samples_what_it_sampled_then() {
    let dir = temp_dir("fixture-sample");
    let out = dir.join("now.idx");
    let o = Command::new(env!("CARGO_BIN_EXE_ganvas"))
        .current_dir(repo())
        .args([
            "sample",
            "--checkpoint",
            FIXTURE,
            "--n",
            "16",
            "--seed",
            "3",
        ])
        .args(["--backend", "cpu", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let then = std::fs::read(repo().join(SAMPLES)).expect("the recorded samples");
    let now = std::fs::read(&out).expect("the new samples");
    assert_eq!(now.len(), then.len(), "same header and count");
    assert_eq!(now[..16], then[..16], "same IDX header: 16 images 28x28");
    // Pixels are bytes rounded from floats: a different summation order (another SIMD width)
    // may move one across a rounding boundary, never further.
    let off = now
        .iter()
        .zip(&then)
        .filter(|(a, b)| a.abs_diff(**b) > 1)
        .count();
    assert_eq!(off, 0, "pixels differ from what the first format sampled");
}
