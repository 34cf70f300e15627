//! Building blocks shared by every model family. Weights are drawn from the run's own
//! [`Rng`], so a seed fixes the initial model on every backend.

use burn::module::{Module, Param, RunningState};
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::{Device, Tensor, TensorData};

pub use super::activations::*;
use super::kernels::conv as kernels;

use crate::engine::rng::Rng;

/// How a forward pass should behave; chosen per call by the trainer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pass {
    /// Advance training-only state (spectral-norm vectors).
    pub training: bool,
    /// Divide D's weights by their largest singular value.
    pub spectral_norm: bool,
    /// Dropout in D's hidden layers (probability and this pass's mask seed).
    pub dropout: Dropout,
}

impl Pass {
    /// Inference: no dropout, no state updates.
    pub fn eval(spectral_norm: bool) -> Self {
        Self {
            training: false,
            spectral_norm,
            dropout: Dropout::OFF,
        }
    }
}

/// How weights start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// U(±1/√fan_in) for weights and biases: PyTorch's default for linear layers.
    FanIn,
    /// N(0, 0.02) weights and zero biases, as in DCGAN.
    Normal02,
}

fn init_values(rng: &mut Rng, init: Init, n: usize, fan_in: usize) -> Vec<f32> {
    match init {
        Init::FanIn => rng.uniforms(n, 1.0 / (fan_in as f32).sqrt()),
        Init::Normal02 => rng.normals(n).into_iter().map(|v| 0.02 * v).collect(),
    }
}

fn param<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

fn bias(rng: &mut Rng, init: Init, n: usize, fan_in: usize, device: &Device) -> Param<Tensor<1>> {
    let values = match init {
        Init::FanIn => init_values(rng, init, n, fan_in),
        Init::Normal02 => vec![0.0; n],
    };
    param(values, [n], device)
}

/// A unit vector of length `n` for power iteration.
fn unit_vector(rng: &mut Rng, n: usize, device: &Device) -> RunningState<Tensor<2>> {
    let v = rng.normals(n);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    let v: Vec<f32> = v.into_iter().map(|x| x / norm).collect();
    RunningState::new(Tensor::from_data(TensorData::new(v, [n, 1]), device))
}

fn l2_normalize(v: Tensor<2>) -> Tensor<2> {
    let norm = v.clone().square().sum().sqrt().add_scalar(1e-12);
    v.div(norm.unsqueeze())
}

/// `matrix / σ(matrix)`, σ estimated by one power-iteration step from the stored vector
/// (Miyato et al.). The vectors are constants; the gradient flows through σ's use of `matrix`.
pub fn spectral_normalize(
    matrix: Tensor<2>,
    u: &RunningState<Tensor<2>>,
    update: bool,
) -> Tensor<2> {
    let device = matrix.device();
    let w = matrix.clone().detach();
    let u_old = u.value_sync().to_device(&device).detach();
    let v = l2_normalize(w.clone().matmul(u_old)); // [rows, 1]
    let u_new = l2_normalize(w.transpose().matmul(v.clone())); // [cols, 1]
    if update {
        u.update(u_new.clone());
    }
    let sigma = v.transpose().matmul(matrix.clone().matmul(u_new)); // [1, 1]
    matrix.div(sigma)
}

/// A fully connected layer, weight stored as [in, out].
#[derive(Module, Debug)]
pub struct Dense {
    pub weight: Param<Tensor<2>>,
    pub bias: Param<Tensor<1>>,
    /// Power-iteration vector for spectral norm, [out, 1].
    pub sn_u: RunningState<Tensor<2>>,
}

impl Dense {
    /// A layer from `fan_in` to `fan_out` units.
    pub fn new(rng: &mut Rng, init: Init, fan_in: usize, fan_out: usize, device: &Device) -> Self {
        Self {
            weight: param(
                init_values(rng, init, fan_in * fan_out, fan_in),
                [fan_in, fan_out],
                device,
            ),
            bias: bias(rng, init, fan_out, fan_in, device),
            sn_u: unit_vector(rng, fan_out, device),
        }
    }

    /// The weight used by this pass (spectrally normalised or not), [in, out].
    pub fn weight_for(&self, pass: &Pass) -> Tensor<2> {
        let w = self.weight.val();
        if pass.spectral_norm {
            spectral_normalize(w, &self.sn_u, pass.training)
        } else {
            w
        }
    }

    /// `x · weight + bias` with an explicit weight (from [`Dense::weight_for`]).
    pub fn apply(&self, x: Tensor<2>, weight: Tensor<2>) -> Tensor<2> {
        x.matmul(weight).add(self.bias.val().unsqueeze())
    }

    /// Plain forward pass.
    pub fn forward(&self, x: Tensor<2>, pass: &Pass) -> Tensor<2> {
        let w = self.weight_for(pass);
        self.apply(x, w)
    }
}

/// A strided convolution (kernel 4, stride 2, padding 1 halves the size), weight [out, in, k, k].
#[derive(Module, Debug)]
pub struct Conv {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    /// Power-iteration vector for spectral norm, [in·k·k, 1].
    pub sn_u: RunningState<Tensor<2>>,
}

/// Kernel, stride and padding of every (transposed) convolution: each halves or doubles H and W.
pub const KERNEL: usize = 4;
const STRIDE: usize = 2;
const PADDING: usize = 1;

impl Conv {
    /// A 4×4 stride-2 convolution from `c_in` to `c_out` channels.
    pub fn new(rng: &mut Rng, c_in: usize, c_out: usize, device: &Device) -> Self {
        let n = c_out * c_in * KERNEL * KERNEL;
        let fan_in = c_in * KERNEL * KERNEL;
        Self {
            weight: param(
                init_values(rng, Init::Normal02, n, fan_in),
                [c_out, c_in, KERNEL, KERNEL],
                device,
            ),
            bias: bias(rng, Init::Normal02, c_out, fan_in, device),
            sn_u: unit_vector(rng, fan_in, device),
        }
    }

    /// The weight used by this pass, [out, in, k, k].
    pub fn weight_for(&self, pass: &Pass) -> Tensor<4> {
        let w = self.weight.val();
        if !pass.spectral_norm {
            return w;
        }
        let [o, i, kh, kw] = w.dims();
        spectral_normalize(w.reshape([o, i * kh * kw]), &self.sn_u, pass.training)
            .reshape([o, i, kh, kw])
    }

    /// The convolution with an explicit weight.
    pub fn apply(&self, x: Tensor<4>, weight: Tensor<4>) -> Tensor<4> {
        kernels::conv(x, weight, self.bias.val(), STRIDE, PADDING)
    }
}

/// The gradient of a [`Conv`] with respect to its input, given the gradient `g` at its output:
/// the transposed convolution with the same weight. Every op is differentiable, so the result
/// can itself be differentiated with respect to the weight (WGAN-GP).
pub fn conv_input_grad(g: Tensor<4>, weight: Tensor<4>, input_hw: [usize; 2]) -> Tensor<4> {
    let [_, c, _, _] = weight.dims();
    let zero = Tensor::zeros([c], &g.device());
    kernels::conv_transpose(g, weight, zero, STRIDE, PADDING, input_hw)
}

/// A transposed convolution that doubles H and W, weight [in, out, k, k].
#[derive(Module, Debug)]
pub struct ConvT {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
}

impl ConvT {
    /// A 4×4 stride-2 transposed convolution from `c_in` to `c_out` channels.
    pub fn new(rng: &mut Rng, c_in: usize, c_out: usize, device: &Device) -> Self {
        let n = c_in * c_out * KERNEL * KERNEL;
        Self {
            weight: param(
                init_values(rng, Init::Normal02, n, c_in),
                [c_in, c_out, KERNEL, KERNEL],
                device,
            ),
            bias: bias(rng, Init::Normal02, c_out, c_in, device),
        }
    }

    /// Forward pass: [n, in, h, w] → [n, out, 2h, 2w].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let doubled = [h * STRIDE, w * STRIDE];
        kernels::conv_transpose(
            x,
            self.weight.val(),
            self.bias.val(),
            STRIDE,
            PADDING,
            doubled,
        )
    }
}

/// Batch normalisation (ε 1e-5, momentum 0.1: PyTorch's defaults, not the 0.8 of a known bug).
pub fn batch_norm(features: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(features).init(device)
}

/// Minibatch standard deviation (Karras et al.): the mean over features of each feature's std
/// across the batch, one number per batch, returned as a [batch, 1] column.
pub fn minibatch_stddev(h: Tensor<2>) -> Tensor<2> {
    let [batch, _] = h.dims();
    let std = h.var(0).add_scalar(1e-8).sqrt().mean(); // [1]
    std.unsqueeze::<2>().expand([batch, 1])
}
