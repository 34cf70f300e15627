//! `ganvas bench --caption-latency PRESET`: how long a typed caption takes to come back as
//! samples while the run is paused (issue 17 asks for 100 ms). The preset's trainer thread
//! is started as the window starts it; then a sentence is "typed" a character at a time,
//! each prefix that parses sent as the window sends it, and the time from sending to its
//! answer (`Event::Captioned`) measured, with and without an interpolation to a second
//! caption. The window shows an answer on the next frame after it arrives.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::engine::backend::Backend;
use crate::engine::captions::ask::CaptionRequest;
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::captions::vocab;
use crate::engine::trainer::protocol::{Command, Event};
use crate::engine::trainer::thread::Trainer;

const TYPED: &str = "a large thick 7 at the top left";
const TOWARDS: &str = "a small 2 at the bottom right";

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Waits for the event `want` picks, up to `secs`.
fn wait_for(t: &Trainer, secs: u64, want: impl Fn(&Event) -> bool) -> anyhow::Result<Event> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(e) = t.recv_timeout(Duration::from_millis(20)) {
            if let Event::Error(m) = &e {
                anyhow::bail!("{m}");
            }
            if want(&e) {
                return Ok(e);
            }
        }
    }
    anyhow::bail!("no answer within {secs} s")
}

/// Measures and prints one table row per setting.
pub fn run(path: &Path, backend: &Backend) -> anyhow::Result<()> {
    let preset = CaptionPreset::load(path)?;
    let t = Trainer::spawn_captions(preset, backend.clone(), None)?;
    wait_for(&t, 300, |e| matches!(e, Event::Snapshot { .. }))?;
    outln!(
        "typed caption to samples, run paused ({}, {}):",
        path.display(),
        backend.name
    );
    outln!("| request | answers | p50 ms | p95 ms | max ms |");
    outln!("|---|---|---|---|---|");
    let mut id = 0;
    for (what, n, towards) in [
        ("8 samples", 8, None),
        ("8 samples + 8-image interpolation", 8, Some(TOWARDS)),
        ("32 samples", 32, None),
    ] {
        let mut times = Vec::new();
        // Three passes over the sentence's prefixes; the first answer warms up.
        for _ in 0..3 {
            for end in 1..=TYPED.len() {
                let text = &TYPED[..end];
                if vocab::parse(text).is_err() {
                    continue;
                }
                id += 1;
                let request = CaptionRequest {
                    id,
                    text: text.to_string(),
                    n,
                    seed: 1,
                    towards: towards.map(str::to_string),
                    steps: 8,
                };
                let sent = Instant::now();
                t.send(Command::Caption(Box::new(request)))?;
                wait_for(&t, 30, |e| matches!(e, Event::Captioned(a) if a.id == id))?;
                times.push(sent.elapsed().as_secs_f64() * 1e3);
            }
        }
        let mut timed = times[1..].to_vec();
        timed.sort_by(f64::total_cmp);
        outln!(
            "| {what} | {} | {:.1} | {:.1} | {:.1} |",
            timed.len(),
            percentile(&timed, 0.5),
            percentile(&timed, 0.95),
            percentile(&timed, 1.0)
        );
    }
    t.stop();
    Ok(())
}
