//! A CycleGAN checkpoint written by an earlier ganvas still loads. `tests/fixtures/cyclegan-v2.ganvas`
//! was written by the binary of commit 1042d28 (2026-12-04), when the family reported ten
//! curves, with
//!
//! ```sh
//! ganvas train --preset tests/fixtures/cyclegan-v2.toml --backend cpu --out RUN
//! cp RUN/checkpoint.ganvas tests/fixtures/cyclegan-v2.ganvas
//! ```
//!
//! and `cyclegan-v2.translated.bin` holds what that code's G_AB made of the first two
//! held-out A images (pixels as bytes, 0 = -1 and 255 = +1). Today's code must read the file,
//! translate the same images and keep training it. The fixtures are never rewritten.

use ganvas::engine::cyclegan::{self, checkpoint::CycleCheckpoint};
use ganvas::engine::trainer::protocol::StepKind;

use crate::util::{cpu, repo};

const FIXTURE: &str = "tests/fixtures/cyclegan-v2.ganvas";
const TRANSLATED: &str = "tests/fixtures/cyclegan-v2.translated.bin";

fn bytes(pixels: &[f32]) -> Vec<u8> {
    pixels
        .iter()
        .map(|v| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
        .collect()
}

#[test]
fn a_cyclegan_checkpoint_of_the_ten_curve_format_restores_and_trains_on() {
    let ckpt = CycleCheckpoint::read(&repo().join(FIXTURE)).expect("the fixture reads");
    assert_eq!(ckpt.step, 3);
    let (mut run, held) = ckpt.reopen(&cpu().device).expect("reopens");
    assert_eq!(run.step, 3);
    assert_eq!(
        run.log.stats.iter().map(|s| s.step).collect::<Vec<_>>(),
        [1, 2, 3],
        "its curves come back"
    );
    let first = &run.log.stats[0];
    assert!(first.value(cyclegan::CYCLE_A).is_finite() && first.value(cyclegan::D_B_LOSS) > 0.0);
    let x = held.a.gather(&[0, 1]).pixels;
    let now = bytes(&run.translate(true, &x));
    let path = repo().join(TRANSLATED);
    let then = std::fs::read(&path).expect("the recorded translation");
    assert_eq!(now.len(), then.len(), "two 28x28 images");
    // Bytes rounded from floats: another summation order may move one across a boundary.
    let off = now
        .iter()
        .zip(&then)
        .filter(|(a, b)| a.abs_diff(**b) > 1)
        .count();
    assert_eq!(
        off, 0,
        "G_AB translates differently from the code that wrote it"
    );
    let st = run.step_once(StepKind::Round).expect("keeps training");
    assert!(st.value(cyclegan::CYCLE_A).is_finite() && st.value(cyclegan::D_A_LOSS).is_finite());
    assert_eq!(run.step, 4);
}
