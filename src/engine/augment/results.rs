//! An experiment's results: one CSV row per finished (N, seed) run, rewritten whole after
//! each run (a temporary file renamed over the old one: never half-written), read back to
//! resume, and summarised per N as mean ± standard deviation over seeds.

use std::path::Path;

use super::experiment::{Bench, RunError, RunResult, Synthesizer};
use crate::engine::checkpoint::write_atomically;

pub const HEADER: &str =
    "per_class,seed,real,synthetic,mixed,classic,gan_test,generator_secs,total_secs";

/// The CSV text of `results` (header first).
pub fn to_csv(results: &[RunResult]) -> String {
    let mut text = format!("{HEADER}\n");
    for r in results {
        text.push_str(&format!(
            "{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.1},{:.1}\n",
            r.per_class,
            r.seed,
            r.real,
            r.synthetic,
            r.mixed,
            r.classic,
            r.gan_test,
            r.generator_secs,
            r.total_secs
        ));
    }
    text
}

/// The runs of a results CSV.
pub fn parse_csv(text: &str) -> Result<Vec<RunResult>, String> {
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h.trim() == HEADER => {}
        Some(h) => return Err(format!("not an augmentation results file (header `{h}`)")),
        None => return Ok(Vec::new()),
    }
    let mut results = Vec::new();
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let bad = || format!("line {}: expected 9 numbers, got `{line}`", i + 2);
        if fields.len() != 9 {
            return Err(bad());
        }
        let number = |k: usize| fields[k].trim().parse::<f64>().map_err(|_| bad());
        results.push(RunResult {
            per_class: fields[0].trim().parse().map_err(|_| bad())?,
            seed: fields[1].trim().parse().map_err(|_| bad())?,
            real: number(2)?,
            synthetic: number(3)?,
            mixed: number(4)?,
            classic: number(5)?,
            gan_test: number(6)?,
            generator_secs: number(7)?,
            total_secs: number(8)?,
        });
    }
    Ok(results)
}

/// The runs recorded at `path` (none when the file does not exist yet).
pub fn read(path: &Path) -> Result<Vec<RunResult>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_csv(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes `results` to `path` through a synced temporary file beside it, renamed into place.
pub fn write(path: &Path, results: &[RunResult]) -> std::io::Result<()> {
    write_atomically(path, to_csv(results).as_bytes())
}

/// Mean and standard deviation (over seeds; 0 for one run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub std: f64,
}

fn spread(values: &[f64]) -> Spread {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Spread {
        mean,
        std: var.sqrt(),
    }
}

/// One N's runs summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub per_class: usize,
    pub runs: usize,
    pub real: Spread,
    pub synthetic: Spread,
    pub mixed: Spread,
    pub classic: Spread,
    pub gan_test: Spread,
    /// Mean wall time of a run, seconds.
    pub secs: f64,
}

impl Summary {
    /// The five figures in the chart's order: real, synthetic only, real + synthetic, classic
    /// augmentation, GAN-test.
    pub fn spreads(&self) -> [Spread; 5] {
        [
            self.real,
            self.synthetic,
            self.mixed,
            self.classic,
            self.gan_test,
        ]
    }

    /// Whether synthetic images helped at this N, in words: real + synthetic against the real
    /// subset alone, a difference counted only when larger than the seeds' spread; classic
    /// augmentation beside it, the honest baseline.
    pub fn verdict(&self) -> String {
        let points = |a: Spread, b: Spread| 100.0 * (a.mean - b.mean);
        let gain = points(self.mixed, self.real);
        let noise = 100.0 * self.mixed.std.max(self.real.std);
        let judged = if self.runs < 2 {
            "one seed: no spread to judge by"
        } else if gain > noise {
            "helped"
        } else if gain < -noise {
            "hurt"
        } else {
            "no clear difference, within the seeds' spread"
        };
        format!(
            "N = {}: adding synthetic images: {gain:+.1} points ({judged}); classic augmentation: {:+.1} points",
            self.per_class,
            points(self.classic, self.real)
        )
    }
}

/// One summary per N, in increasing N.
pub fn summarise(results: &[RunResult]) -> Vec<Summary> {
    let mut ns: Vec<usize> = results.iter().map(|r| r.per_class).collect();
    ns.sort_unstable();
    ns.dedup();
    ns.into_iter()
        .map(|n| {
            let runs: Vec<&RunResult> = results.iter().filter(|r| r.per_class == n).collect();
            let of =
                |f: fn(&RunResult) -> f64| spread(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
            Summary {
                per_class: n,
                runs: runs.len(),
                real: of(|r| r.real),
                synthetic: of(|r| r.synthetic),
                mixed: of(|r| r.mixed),
                classic: of(|r| r.classic),
                gan_test: of(|r| r.gan_test),
                secs: of(|r| r.total_secs).mean,
            }
        })
        .collect()
}

/// Whether every planned run finished or the experiment was stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Every finished run, those found at the start included.
    pub results: Vec<RunResult>,
    pub stopped: bool,
}

/// Where a run is: run `run` of `total` (N = `per_class`, `seed`) is at
/// [`super::experiment::STAGES`]`[stage]`, `fraction` of that stage done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunAt {
    pub run: usize,
    pub total: usize,
    pub per_class: usize,
    pub seed: u64,
    pub stage: usize,
    pub fraction: f32,
}

/// What [`run_all`] reports while it works.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Progress<'a> {
    Stage(RunAt),
    /// A run finished and is in the file.
    Saved(&'a RunResult),
}

/// Runs every (N, seed) of `runs` that `path` does not already hold, writing the file after
/// each; a stop (progress returning false) loses only the run under way.
pub fn run_all(
    bench: &Bench<'_>,
    synthesizer: &mut dyn Synthesizer,
    runs: &[(usize, u64)],
    path: &Path,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<Outcome, AugmentError> {
    let mut results = read(path).map_err(AugmentError::Results)?;
    let total = runs.len();
    for (k, &(n, seed)) in runs.iter().enumerate() {
        if results.iter().any(|r| r.per_class == n && r.seed == seed) {
            continue;
        }
        let run = bench.run(synthesizer, n, seed, &mut |stage, fraction| {
            progress(Progress::Stage(RunAt {
                run: k,
                total,
                per_class: n,
                seed,
                stage,
                fraction,
            }))
        })?;
        let Some(result) = run else {
            return Ok(Outcome {
                results,
                stopped: true,
            });
        };
        results.push(result);
        write(path, &results)
            .map_err(|e| AugmentError::Results(format!("cannot write {}: {e}", path.display())))?;
        if let Some(saved) = results.last()
            && !progress(Progress::Saved(saved))
        {
            return Ok(Outcome {
                stopped: k + 1 < total,
                results,
            });
        }
    }
    Ok(Outcome {
        results,
        stopped: false,
    })
}

/// Why an experiment stopped short.
#[derive(Debug, thiserror::Error)]
pub enum AugmentError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("{0}")]
    Results(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(per_class: usize, seed: u64, real: f64) -> RunResult {
        RunResult {
            per_class,
            seed,
            real,
            synthetic: 0.5,
            mixed: 0.75,
            classic: 0.8125,
            gan_test: 0.9,
            generator_secs: 12.5,
            total_secs: 20.0,
        }
    }

    #[test]
    fn the_csv_reads_back_what_was_written() {
        let results = vec![result(10, 1, 0.625), result(50, 2, 0.875)];
        assert_eq!(parse_csv(&to_csv(&results)).expect("test value"), results);
    }

    #[test]
    fn a_foreign_or_damaged_file_is_refused_with_its_line() {
        assert!(
            parse_csv("a,b\n1,2\n")
                .expect_err("an error")
                .contains("not an augmentation")
        );
        let err = parse_csv(&format!("{HEADER}\n10,1,0.5\n")).expect_err("an error");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_summary_is_the_mean_and_spread_over_seeds() {
        let results = vec![result(10, 1, 0.5), result(10, 2, 0.7), result(50, 1, 0.9)];
        let s = summarise(&results);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].per_class, s[0].runs), (10, 2));
        assert!((s[0].real.mean - 0.6).abs() < 1e-12);
        // Sample standard deviation of 0.5 and 0.7.
        assert!((s[0].real.std - 0.02f64.sqrt()).abs() < 1e-12);
        assert_eq!(
            s[1].real,
            Spread {
                mean: 0.9,
                std: 0.0
            }
        );
    }

    #[test]
    fn the_verdict_counts_a_gain_only_beyond_the_spread() {
        let with = |mixed: [f64; 2]| {
            let mut runs = vec![result(10, 1, 0.70), result(10, 2, 0.72)];
            runs[0].mixed = mixed[0];
            runs[1].mixed = mixed[1];
            summarise(&runs).remove(0)
        };
        let helped = with([0.80, 0.82]).verdict();
        assert!(helped.contains("+10.0 points (helped)"), "{helped}");
        assert!(with([0.60, 0.62]).verdict().contains("hurt"));
        assert!(with([0.70, 0.73]).verdict().contains("no clear difference"));
        let one = summarise(&[result(10, 1, 0.7)]).remove(0).verdict();
        assert!(one.contains("one seed"), "{one}");
        assert!(one.contains("classic augmentation: +11."), "{one}");
    }

    #[test]
    fn writing_replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("ganvas-augment-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test value");
        let path = dir.join("results.csv");
        write(&path, &[result(10, 1, 0.5)]).expect("test value");
        write(&path, &[result(10, 1, 0.5), result(10, 2, 0.6)]).expect("test value");
        assert_eq!(read(&path).expect("test value").len(), 2);
        let files = std::fs::read_dir(&dir).expect("test value").count();
        assert_eq!(files, 1, "a temporary file was left behind");
        assert_eq!(
            read(&dir.join("absent.csv")).expect("test value"),
            Vec::new()
        );
        std::fs::remove_dir_all(&dir).expect("test value");
    }
}
