//! A bounded run of the parser fuzzer (engine::fuzz) in every `cargo test`: every file kind
//! ganvas reads, mutated, never panics. Long runs: scripts/fuzz.sh (BENCHMARKS.md).

use ganvas::engine::fuzz::{self, Budget, Target};

#[test]
fn no_mutated_file_crashes_a_parser() {
    for target in Target::ALL {
        // Checkpoints and presets build, sample and train: fewer, dearer cases.
        let cases = match target {
            Target::Checkpoint | Target::Preset => 150,
            _ => 3000,
        };
        let r = fuzz::run(target, Budget::Cases(cases), 7).expect("scratch folder");
        eprintln!(
            "{}: {} cases ({:.0}/s), {} accepted, {} crashes",
            target.name(),
            r.cases,
            r.cases_per_second(),
            r.accepted,
            r.crashes.len()
        );
        assert!(r.accepted > 0, "{}: the valid seeds pass", target.name());
        assert!(
            r.crashes.is_empty(),
            "{}: {:?}",
            target.name(),
            r.crashes.iter().map(|c| &c.message).collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_kth_byte_of_a_real_checkpoint_flipped_is_an_error_or_a_run() {
    let r = fuzz::sweep_checkpoints(307).expect("scratch folder");
    eprintln!(
        "{} cases in {:.1} s, {} accepted",
        r.cases, r.seconds, r.accepted
    );
    assert!(r.cases > 1000, "{}", r.cases);
    assert!(
        r.crashes.is_empty(),
        "{:?}",
        r.crashes
            .iter()
            .map(|c| &c.message)
            .take(5)
            .collect::<Vec<_>>()
    );
}
