//! `ganvas bench`: training steps/s of the reference models on the CPU backend (and on wgpu
//! when a GPU adapter exists), beside the same models in PyTorch (bench/pytorch_gan_bench.py,
//! bench/pytorch_cyclegan_bench.py, bench/pytorch_superres_bench.py,
//! bench/pytorch_stylegan_bench.py)
//! run from the same invocation with the same thread count.

use std::process::Command as Process;
use std::time::Instant;

use clap::Args;

use crate::engine::backend::{self, Backend, BackendChoice};
use crate::engine::config::{
    Activation, DataConfig, ModelConfig, ModelFamily, Objective, OptimizerConfig, Optimizers,
    TrainConfig, TrainLoop, Tricks,
};
use crate::engine::trainer::protocol::StepKind;
use crate::engine::trainer::session::Session;

/// Options of `ganvas bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Timed rounds for the ring MLP GAN (after 10% warm-up).
    #[arg(long, default_value_t = 300)]
    pub ring_steps: u64,
    /// Timed rounds for the DCGAN (after a short warm-up).
    #[arg(long, default_value_t = 20)]
    pub dcgan_steps: u64,
    /// Timed rounds for the CycleGAN (0 leaves its row out).
    #[arg(long, default_value_t = 10)]
    pub cycle_steps: u64,
    /// Timed rounds for the super-resolution GAN stage (0 leaves its row out).
    #[arg(long, default_value_t = 20)]
    pub sr_steps: u64,
    /// Timed rounds for the StyleGAN (0 leaves its row out).
    #[arg(long, default_value_t = 20)]
    pub style_steps: u64,
    /// DCGAN batch size (64 on the CPU; the GPU target uses 128).
    #[arg(long, default_value_t = 64)]
    pub dcgan_batch: usize,
    /// Measurements of each model, ganvas and PyTorch taking turns; the table gives medians.
    /// This VM's speed drifts by tens of percent within minutes, so one pair proves little.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Skip the PyTorch reference.
    #[arg(long)]
    pub no_pytorch: bool,
    /// Python interpreter for the reference.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Instead: say whether a hardware GPU adapter is there (exit status 0, its name) or not
    /// (exit status 1, why); scripts/gpu-check.sh starts with it.
    #[arg(long)]
    pub probe_gpu: bool,
    /// Instead: measure what the collapse metrics cost on these presets (CPU backend).
    #[arg(long, num_args = 1..)]
    pub metrics: Vec<std::path::PathBuf>,
    /// Timed rounds per preset for --metrics.
    #[arg(long, default_value_t = 20)]
    pub metrics_rounds: u64,
    /// Instead: how long a typed caption takes to come back as samples from this
    /// text-to-image preset's trainer thread while paused.
    #[arg(long)]
    pub caption_latency: Option<std::path::PathBuf>,
    /// Instead: frame times of the training-curve plots once the history holds this many
    /// steps (headless egui, no GPU).
    #[cfg(feature = "gui")]
    #[arg(long)]
    pub plot_points: Option<u64>,
}

/// The ring MLP GAN: G and D 3×128 ReLU, batch 256, Adam (lr 1e-3, β 0.5/0.999).
pub fn ring_config() -> TrainConfig {
    let adam = OptimizerConfig::Adam {
        lr: 1e-3,
        beta1: 0.5,
        beta2: 0.999,
    };
    TrainConfig {
        data: DataConfig::Ring {
            modes: 8,
            radius: 1.0,
            std: 0.01,
        },
        model: ModelConfig {
            family: ModelFamily::Mlp,
            latent_dim: 2,
            depth: 3,
            width: 128,
            g_activation: Activation::Relu,
            d_activation: Activation::Relu,
            ..ModelConfig::default()
        },
        objective: Objective::NonSaturating,
        train: TrainLoop {
            batch_size: 256,
            snapshot_samples: 16,
            ..TrainLoop::default()
        },
        optimizer: Optimizers { g: adam, d: adam },
        tricks: Tricks::default(),
    }
}

/// The DCGAN at 28×28: z 100 → 128·7·7 → 64 → 1 channels; D 1 → 64 → 128 → linear; BN in
/// both; Adam (2e-4, β 0.5/0.999).
pub fn dcgan_config(batch: usize) -> TrainConfig {
    let adam = OptimizerConfig::Adam {
        lr: 2e-4,
        beta1: 0.5,
        beta2: 0.999,
    };
    TrainConfig {
        data: DataConfig::Digits { count: 1000 },
        model: ModelConfig {
            family: ModelFamily::Dcgan,
            latent_dim: 100,
            base_channels: 64,
            g_activation: Activation::Relu,
            d_activation: Activation::LeakyRelu,
            g_batch_norm: true,
            d_batch_norm: true,
            ..ModelConfig::default()
        },
        objective: Objective::NonSaturating,
        train: TrainLoop {
            batch_size: batch,
            snapshot_samples: 16,
            ..TrainLoop::default()
        },
        optimizer: Optimizers { g: adam, d: adam },
        tricks: Tricks::default(),
    }
}

fn ganvas_steps_per_sec(config: TrainConfig, backend: Backend, steps: u64) -> anyhow::Result<f64> {
    let mut session = Session::new(config, backend)?;
    for _ in 0..(steps / 10).max(2) {
        session.step_once(StepKind::Round)?;
    }
    let started = Instant::now();
    for _ in 0..steps {
        session.step_once(StepKind::Round)?;
    }
    Ok(steps as f64 / started.elapsed().as_secs_f64())
}

/// The CycleGAN row: 28×28 grey thin ↔ thick digits, the default networks (16 filters, 3
/// residual blocks), batch 8 (bench/pytorch_cyclegan_bench.py is its twin).
fn cycle_steps_per_sec(backend: &Backend, steps: u64) -> anyhow::Result<f64> {
    use crate::engine::cyclegan::{CycleConfig, run::CycleRun};
    use crate::engine::data::domains::{EmbeddedPair, embedded_pair};
    let pair = std::sync::Arc::new(embedded_pair(EmbeddedPair::ThinThick, 1000));
    let mut run = CycleRun::new(CycleConfig::default(), pair, &backend.device)?;
    for _ in 0..(steps / 10).max(2) {
        run.step_once(StepKind::Round)?;
    }
    let started = Instant::now();
    for _ in 0..steps {
        run.step_once(StepKind::Round)?;
    }
    Ok(steps as f64 / started.elapsed().as_secs_f64())
}

/// The super-resolution row: 4× on 28×28 grey digits, the default networks (32 filters, 4
/// residual blocks; critic 16 filters), batch 16, rounds of the GAN stage (pixel, GAN and
/// critic updates; bench/pytorch_superres_bench.py is its twin).
fn sr_steps_per_sec(backend: &Backend, steps: u64) -> anyhow::Result<f64> {
    use crate::engine::superres::pairs::Degradation;
    use crate::engine::superres::{SrConfig, run::SrRun};
    let digits = std::sync::Arc::new(crate::engine::data::digits::embedded_digits(1000));
    let config = SrConfig {
        pixel_steps: 0,
        ..SrConfig::default()
    };
    let four = Degradation {
        scale: 4,
        blur: 0.0,
        noise: 0.0,
    };
    let mut run = SrRun::new(config, four, digits, &backend.device)?;
    for _ in 0..(steps / 10).max(2) {
        run.step_once(StepKind::Round)?;
    }
    let started = Instant::now();
    for _ in 0..steps {
        run.step_once(StepKind::Round)?;
    }
    Ok(steps as f64 / started.elapsed().as_secs_f64())
}

/// The StyleGAN row's configuration: the `digits-32` preset's networks and objective (a test
/// keeps them equal); the twin receives its R1 γ, mode-seeking weight, upsampling, packing
/// and maps (the critic's own learning rate changes no cost, so the twin has one rate).
fn bench_style_config() -> crate::engine::stylegan::run::StyleConfig {
    crate::engine::stylegan::run::StyleConfig {
        channel_base: 512,
        channel_max: 128,
        lr_critic: Some(0.001),
        r1_gamma: 1.0,
        mode_seeking: 2.0,
        pack: 2,
        upsampling: crate::engine::stylegan::generator::Upsampling::Bilinear,
        ..Default::default()
    }
}

/// The StyleGAN row: rounds of a critic and a generator update of [`bench_style_config`]
/// on the embedded digits (bench/pytorch_stylegan_bench.py is its twin).
fn style_steps_per_sec(backend: &Backend, steps: u64) -> anyhow::Result<f64> {
    use crate::engine::stylegan::run::StyleRun;
    let digits = crate::engine::data::digits::embedded_digits(1000);
    let config = bench_style_config();
    let mut run = StyleRun::new(config, &digits, &backend.device)?;
    for _ in 0..(steps / 10).max(2) {
        run.step_once(StepKind::Round);
    }
    let started = Instant::now();
    for _ in 0..steps {
        run.step_once(StepKind::Round);
    }
    Ok(steps as f64 / started.elapsed().as_secs_f64())
}

/// Runs a PyTorch reference script; its `steps_per_sec=` line.
fn run_reference(python: &str, script: &str, args: &[String]) -> Result<f64, String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let output = Process::new(python)
        .arg(&script)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.lines().last().unwrap_or("failed").to_string());
    }
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("steps_per_sec="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("unexpected output: {stdout}"))
}

fn pytorch_steps_per_sec(
    args: &BenchArgs,
    model: &str,
    device: &str,
    steps: u64,
    threads: usize,
) -> Result<f64, String> {
    let common = [
        "--device".to_string(),
        device.to_string(),
        "--steps".to_string(),
        steps.to_string(),
        "--threads".to_string(),
        threads.to_string(),
    ];
    if model == "cyclegan" {
        return run_reference(&args.python, "bench/pytorch_cyclegan_bench.py", &common);
    }
    if model == "superres" {
        return run_reference(&args.python, "bench/pytorch_superres_bench.py", &common);
    }
    if model == "stylegan" {
        let c = bench_style_config();
        let mut all = common.to_vec();
        all.extend([
            "--gamma".to_string(),
            c.r1_gamma.to_string(),
            "--mode-seeking".to_string(),
            c.mode_seeking.to_string(),
            "--upsampling".to_string(),
            c.upsampling.name().to_string(),
            "--pack".to_string(),
            c.pack.to_string(),
            "--channel-base".to_string(),
            c.channel_base.to_string(),
            "--channel-max".to_string(),
            c.channel_max.to_string(),
        ]);
        return run_reference(&args.python, "bench/pytorch_stylegan_bench.py", &all);
    }
    let mut all = vec!["--model".to_string(), model.to_string()];
    all.extend(common);
    all.extend(["--dcgan-batch".to_string(), args.dcgan_batch.to_string()]);
    run_reference(&args.python, "bench/pytorch_gan_bench.py", &all)
}

/// Peak resident memory of this process so far (Linux), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The median of `values` (None when empty).
fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// "a / b / c" with one decimal.
fn list(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().map(|v| format!("{v:.1}")).collect();
    parts.join(" / ")
}

/// One model's figures: ganvas's, PyTorch's, or why PyTorch has none.
#[derive(Default)]
struct Measured {
    ours: Vec<f64>,
    theirs: Vec<f64>,
    torch_error: Option<String>,
}

impl Measured {
    /// The table row: medians of both sides and their ratio.
    fn row(&self, label: &str, backend: &str) {
        let (t, ratio) = match (median(&self.theirs), &self.torch_error) {
            (Some(v), None) => (
                format!("{v:.1} ({})", list(&self.theirs)),
                format!("{:.2}x", median(&self.ours).unwrap_or(0.0) / v),
            ),
            (_, Some(e)) => (format!("n/a ({e})"), "-".to_string()),
            (None, None) => ("n/a (skipped)".to_string(), "-".to_string()),
        };
        outln!(
            "| {label} | {backend} | {:.1} ({}) | {t} | {ratio} |",
            median(&self.ours).unwrap_or(0.0),
            list(&self.ours),
        );
    }
}

/// Runs `ganvas bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    // A figure holds for one processor: every table says which.
    outln!(
        "processor: {}",
        crate::engine::processor::Processor::detect()
    );
    if args.probe_gpu {
        return match backend::select(BackendChoice::Gpu) {
            Ok(gpu) if gpu.note.is_none() => {
                outln!("gpu: {}", gpu.name);
                Ok(())
            }
            Ok(soft) => anyhow::bail!("no GPU: {}", soft.note.unwrap_or_default()),
            Err(e) => anyhow::bail!("no GPU: {e}"),
        };
    }
    #[cfg(feature = "gui")]
    if let Some(points) = args.plot_points {
        return crate::gui::plot_bench::run(points);
    }
    if let Some(path) = &args.caption_latency {
        let cpu = backend::select(BackendChoice::Cpu)?;
        return super::bench_caption::run(path, &cpu);
    }
    if !args.metrics.is_empty() {
        let cpu = backend::select(BackendChoice::Cpu)?;
        return super::bench_metrics::run(&args.metrics, &cpu, args.metrics_rounds);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut backends = vec![("cpu", backend::select(BackendChoice::Cpu)?)];
    match backend::select(BackendChoice::Gpu) {
        Ok(gpu) if gpu.note.is_none() => backends.push(("cuda", gpu)),
        Ok(soft) => eprintln!("skipping wgpu: {}", soft.note.unwrap_or_default()),
        Err(e) => eprintln!("skipping wgpu: {e}"),
    }
    outln!("threads: {threads}");
    outln!(
        "| model | backend | ganvas steps/s, median ({} runs) | PyTorch steps/s, median | ratio of medians |",
        args.repeat.max(1)
    );
    outln!("|---|---|---|---|---|");
    for (torch_device, backend) in backends {
        let models: [(&str, TrainConfig, u64); 2] = [
            ("ring MLP GAN (3x128)", ring_config(), args.ring_steps),
            (
                if torch_device == "cpu" {
                    "DCGAN 28x28"
                } else {
                    "DCGAN 28x28 (GPU)"
                },
                dcgan_config(args.dcgan_batch),
                args.dcgan_steps,
            ),
        ];
        // ganvas and PyTorch take turns, `repeat` times each.
        let measure = |ours_once: &mut dyn FnMut() -> anyhow::Result<f64>,
                       model: &str,
                       steps: u64|
         -> anyhow::Result<Measured> {
            let mut m = Measured::default();
            for _ in 0..args.repeat.max(1) {
                m.ours.push(ours_once()?);
                if args.no_pytorch || m.torch_error.is_some() {
                    continue;
                }
                match pytorch_steps_per_sec(args, model, torch_device, steps, threads) {
                    Ok(v) => m.theirs.push(v),
                    Err(e) => m.torch_error = Some(e),
                }
            }
            Ok(m)
        };
        for (i, (label, config, steps)) in models.into_iter().enumerate() {
            let mut once = || ganvas_steps_per_sec(config.clone(), backend.clone(), steps);
            let m = measure(&mut once, ["ring", "dcgan"][i], steps)?;
            let batch = if i == 0 { 256 } else { args.dcgan_batch };
            m.row(&format!("{label} b{batch}"), &backend.name);
        }
        if args.cycle_steps > 0 {
            let mut once = || cycle_steps_per_sec(&backend, args.cycle_steps);
            let m = measure(&mut once, "cyclegan", args.cycle_steps)?;
            m.row("CycleGAN 28x28 (16 filters, 3 blocks) b8", &backend.name);
        }
        if args.sr_steps > 0 {
            let mut once = || sr_steps_per_sec(&backend, args.sr_steps);
            let m = measure(&mut once, "superres", args.sr_steps)?;
            m.row(
                "Super-resolution 4x 7->28 (32 filters, 4 blocks) b16",
                &backend.name,
            );
        }
        if args.style_steps > 0 {
            let mut once = || style_steps_per_sec(&backend, args.style_steps);
            let m = measure(&mut once, "stylegan", args.style_steps)?;
            m.row(
                "StyleGAN 32x32 (128 to 16 maps, 8 styles, R1 every 16) b32",
                &backend.name,
            );
        }
    }
    if let Some(rss) = peak_rss_mib() {
        outln!("peak RSS of this ganvas process: {rss:.0} MiB");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stylegan_row_trains_the_digits_32_preset_s_networks() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("presets/stylegan/digits-32.toml");
        let preset = crate::engine::stylegan::preset::StylePreset::load(&path).expect("preset");
        let bench = super::bench_style_config();
        assert_eq!(
            crate::engine::stylegan::run::StyleConfig {
                seed: bench.seed,
                ..preset.stylegan
            },
            bench
        );
    }
}
