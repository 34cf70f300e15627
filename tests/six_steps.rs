//! Every shipped preset trains exactly as it did when `tests/fixtures/six_steps.txt` was
//! written: the losses and mean D outputs of its first six rounds, seed as in the file, agree
//! with the recorded ones. This is the net under refactors of the engine (the model-family
//! seam, issue 14): a change that trains differently moves these numbers by far more than the
//! tolerance, which only absorbs summation order (thread count, SIMD width).
//!
//! `GANVAS_BLESS=1 cargo test six_steps` rewrites the file from the current code (needs the
//! shared MNIST beside the checkout, so that every preset is recorded).

use std::collections::BTreeMap;
use std::path::Path;

use ganvas::engine::config::DataConfig;
use ganvas::engine::family::gan;
use ganvas::engine::preset::{self, Preset};
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::Session;

use crate::util::{cpu, mnist, repo};

const FIXTURE: &str = "tests/fixtures/six_steps.txt";
const ROUNDS: usize = 6;
/// Relative to max(1, |value|): the image presets' convolutions sum in an order that depends on
/// the thread split and SIMD width (≤ 5·10⁻⁴ measured between kernel versions, BENCHMARKS.md).
const TOLERANCE: f32 = 2e-3;

/// A preset's rounds as (g_loss, d_loss, d_real, d_fake), or None when its data is absent here.
fn six_rounds(file: &Path) -> Option<Vec<[f32; 4]>> {
    let p = Preset::load(file).unwrap_or_else(|e| panic!("{e}"));
    let mut config = p.config();
    if let DataConfig::Idx { .. } = config.data {
        let (images, labels) = mnist()?;
        config.data = DataConfig::Idx {
            images,
            labels: Some(labels),
            transpose: false,
        };
    }
    let mut s = Session::new(config, cpu()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let rounds = (0..ROUNDS)
        .map(|_| {
            let st = s
                .step_once(StepKind::Round)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            [
                st.value(gan::G_LOSS),
                st.value(gan::D_LOSS),
                st.value(gan::D_REAL),
                st.value(gan::D_FAKE),
            ]
        })
        .collect();
    Some(rounds)
}

fn name(file: &Path) -> String {
    file.strip_prefix(repo())
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}

fn parse(text: &str) -> BTreeMap<String, Vec<[f32; 4]>> {
    let mut out: BTreeMap<String, Vec<[f32; 4]>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 6, "{FIXTURE}: bad line {line:?}");
        let v: Vec<f32> = fields[2..]
            .iter()
            .map(|f| f.parse().expect("a number"))
            .collect();
        out.entry(fields[0].to_string())
            .or_default()
            .push([v[0], v[1], v[2], v[3]]);
    }
    out
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(1.0)
}

#[test]
fn six_steps_of_every_preset_match_the_recorded_ones() {
    let files = preset::list_with_lessons(&repo().join("presets"));
    let fixture = repo().join(FIXTURE);
    if std::env::var_os("GANVAS_BLESS").is_some() {
        let mut text = String::from(
            "# preset round g_loss d_loss d_real d_fake: the first six rounds of each shipped preset\n\
             # (CPU backend), written by GANVAS_BLESS=1 cargo test six_steps\n",
        );
        for file in &files {
            let rounds = six_rounds(file).expect("blessing needs the shared MNIST");
            for (i, r) in rounds.iter().enumerate() {
                text += &format!(
                    "{} {} {:e} {:e} {:e} {:e}\n",
                    name(file),
                    i + 1,
                    r[0],
                    r[1],
                    r[2],
                    r[3]
                );
            }
        }
        std::fs::write(&fixture, text).expect("writes the fixture");
        return;
    }
    let recorded = parse(&std::fs::read_to_string(&fixture).expect("the fixture is committed"));
    let names: Vec<String> = files.iter().map(|f| name(f)).collect();
    assert_eq!(
        recorded.keys().cloned().collect::<Vec<_>>(),
        {
            let mut n = names.clone();
            n.sort();
            n
        },
        "a preset was added or removed: bless the fixture again (and say why in the commit)"
    );
    let mut checked = 0;
    for file in &files {
        let Some(now) = six_rounds(file) else {
            continue;
        };
        let then = &recorded[&name(file)];
        for (round, (a, b)) in now.iter().zip(then).enumerate() {
            for (what, (x, y)) in ["g_loss", "d_loss", "d_real", "d_fake"]
                .iter()
                .zip(a.iter().zip(b))
            {
                assert!(
                    close(*x, *y),
                    "{}: round {} {what} is {x}, recorded {y}",
                    name(file),
                    round + 1
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} presets could be checked");
}
