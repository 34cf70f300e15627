//! The wgpu code path (CI has no GPU, but Mesa's software adapter runs the same kernels): the
//! heaviest GAN combination trains a few steps with finite numbers, and its checkpoint samples
//! on the CPU; a CycleGAN round gives the CPU's losses. Skipped, with a message, where no wgpu
//! adapter exists.

use std::sync::Arc;

use ganvas::engine::backend::{self, BackendChoice};
use ganvas::engine::checkpoint::Checkpoint;
use ganvas::engine::config::{Activation, DataConfig, ModelFamily, Objective};
use ganvas::engine::cyclegan::nets::NetSpec;
use ganvas::engine::cyclegan::run::CycleRun;
use ganvas::engine::cyclegan::{self, CycleConfig};
use ganvas::engine::data::domains::{EmbeddedPair, embedded_pair};
use ganvas::engine::family::gan;
use ganvas::engine::preset;
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::Session;

use crate::util::temp_dir;

/// The wgpu backend, or None (with a message) where there is no adapter.
fn gpu_or_skip() -> Option<backend::Backend> {
    // scripts/gpu-check.sh sets GANVAS_REQUIRE_GPU: there a skip would hide a missing GPU.
    let required = std::env::var_os("GANVAS_REQUIRE_GPU").is_some();
    match backend::select(BackendChoice::Gpu) {
        Ok(b) if required && b.note.is_some() => {
            panic!("GANVAS_REQUIRE_GPU is set, and wgpu has only a software adapter: {b:?}")
        }
        Ok(b) => Some(b),
        Err(e) if required => panic!("GANVAS_REQUIRE_GPU is set, and wgpu has no adapter: {e}"),
        Err(e) => {
            eprintln!("skipping: {e}");
            None
        }
    }
}

#[test]
fn a_cyclegan_round_on_wgpu_gives_the_cpus_losses() {
    // On a GPU the CPU kernels' operations (convolutions, fused instance norm, activations)
    // fall back to burn's own: the first round must give the same numbers.
    let Some(gpu) = gpu_or_skip() else {
        return;
    };
    let pair = Arc::new(embedded_pair(EmbeddedPair::ThinThick, 40));
    let config = CycleConfig {
        nets: NetSpec {
            g_filters: 4,
            downsamplings: 2,
            residual_blocks: 1,
            d_filters: 4,
        },
        batch_size: 4,
        ..CycleConfig::default()
    };
    let round = |device: &burn::tensor::Device| {
        let mut run = CycleRun::new(config, pair.clone(), device).expect("builds");
        run.step_once(StepKind::Round).expect("no divergence")
    };
    let (cpu, gpu) = (round(&burn::tensor::Device::flex()), round(&gpu.device));
    let curves = [
        (cyclegan::D_A_LOSS, "D_A loss"),
        (cyclegan::D_B_LOSS, "D_B loss"),
        (cyclegan::G_AB_ADV, "G_AB adversarial"),
        (cyclegan::G_BA_ADV, "G_BA adversarial"),
        (cyclegan::CYCLE_A, "cycle A"),
        (cyclegan::CYCLE_B, "cycle B"),
        (cyclegan::IDENTITY_A, "identity A"),
        (cyclegan::IDENTITY_B, "identity B"),
    ];
    for (i, name) in curves {
        let (c, g) = (cpu.value(i), gpu.value(i));
        assert!(
            g.is_finite() && (c - g).abs() <= 1e-3 * c.abs().max(1.0),
            "{name}: CPU {c}, wgpu {g}"
        );
    }
}

#[test]
fn conditional_wgan_gp_dcgan_trains_on_wgpu() {
    let Some(gpu) = gpu_or_skip() else {
        return;
    };
    let mut config = preset::default_preset().config();
    config.data = DataConfig::Digits { count: 100 };
    config.model.family = ModelFamily::Dcgan;
    config.model.conditional = true;
    config.model.latent_dim = 8;
    config.model.base_channels = 4;
    config.model.d_activation = Activation::LeakyRelu;
    config.model.d_batch_norm = false;
    config.objective = Objective::WganGp { lambda: 10.0 };
    config.train.batch_size = 8;
    config.train.snapshot_samples = 4;
    config.tricks.spectral_norm = true;
    config.tricks.d_dropout = 0.1;
    config.tricks.ema = Some(0.9);
    let mut s = Session::new(config, gpu).expect("builds on wgpu");
    for _ in 0..2 {
        let st = s.step_once(StepKind::Round).expect("no divergence");
        assert!(
            st.value(gan::D_LOSS).is_finite()
                && st.value(gan::G_LOSS).is_finite()
                && st.value(gan::D_GRAD_NORM) > 0.0
        );
    }
    let dir = temp_dir("wgpu");
    let path = dir.join("gpu.ganvas");
    s.save_checkpoint(&path).expect("saves from wgpu tensors");
    let g = Checkpoint::read(&path)
        .expect("reads")
        .generator(&burn::tensor::Device::flex())
        .expect("loads on CPU");
    let z =
        ganvas::engine::trainer::tensors::matrix(vec![0.5; 8], 1, 8, &burn::tensor::Device::flex());
    let c = ganvas::engine::trainer::tensors::one_hot(&[3], 10, &burn::tensor::Device::flex());
    let out = ganvas::engine::trainer::tensors::read(g.forward(z, Some(c)));
    assert_eq!(out.len(), 784);
    assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
}

#[test]
fn a_stylegan_round_on_wgpu_gives_the_cpus_losses() {
    // The fused epilogue of the modulated convolutions, bilinear upsampling and the critic's
    // folded gains fall back to burn's operations on a GPU: the first round (R1 included)
    // must give the same numbers.
    use ganvas::engine::stylegan::run::{StyleConfig, StyleRun};
    use ganvas::engine::stylegan::{self as style, generator::Upsampling};
    let Some(gpu) = gpu_or_skip() else {
        return;
    };
    let digits = ganvas::engine::data::digits::embedded_digits(40);
    let config = StyleConfig {
        z_dim: 8,
        w_dim: 8,
        mapping_layers: 2,
        channel_base: 64,
        channel_max: 8,
        upsampling: Upsampling::Bilinear,
        batch_size: 4,
        r1_gamma: 10.0,
        mode_seeking: 2.0,
        ..StyleConfig::default()
    };
    let round = |device: &burn::tensor::Device| {
        let mut run = StyleRun::new(config.clone(), &digits, device).expect("builds");
        run.step_once(StepKind::Round)
    };
    let (cpu, gpu) = (round(&burn::tensor::Device::flex()), round(&gpu.device));
    for (i, name) in [
        (style::D_LOSS, "D loss"),
        (style::G_LOSS, "G loss"),
        (style::D_REAL, "D(real)"),
        (style::D_FAKE, "D(fake)"),
        (style::R1, "R1"),
    ] {
        let (c, g) = (cpu.value(i), gpu.value(i));
        assert!(
            g.is_finite() && (c - g).abs() <= 1e-3 * c.abs().max(1.0),
            "{name}: CPU {c}, wgpu {g}"
        );
    }
}
