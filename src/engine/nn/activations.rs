//! Non-linearities, batch norm fused with them, and dropout: how hidden layers turn
//! pre-activations into outputs, and what the explicit input gradients (WGAN-GP) need to go
//! back through them.

use burn::module::RunningState;
use burn::nn::BatchNorm;
use burn::tensor::Tensor;

pub use super::dropout::{Dropout, dropout_mask};
use super::kernels::norm::{self as fused, Nonlinearity};
use crate::engine::config::Activation;

/// The kernels' name for a hidden-layer activation.
pub fn nonlinearity(act: Activation, slope: f32) -> Nonlinearity {
    match act {
        Activation::Relu => Nonlinearity::Relu,
        Activation::LeakyRelu => Nonlinearity::LeakyRelu(slope),
        Activation::Tanh => Nonlinearity::Tanh,
    }
}

/// Applies a hidden-layer non-linearity.
pub fn activate<const D: usize>(x: Tensor<D>, act: Activation, slope: f32) -> Tensor<D> {
    fused::activate(x, nonlinearity(act, slope))
}

/// `norm` (when there is one), then `act`. While training, batch norm uses the batch's
/// statistics and moves the running ones towards them exactly as burn's `BatchNorm::forward`
/// does, but in one fused kernel with the activation; otherwise it uses the running ones.
pub fn norm_activate<const D: usize>(
    x: Tensor<D>,
    norm: Option<&BatchNorm>,
    act: Nonlinearity,
) -> Tensor<D> {
    let Some(norm) = norm else {
        return fused::activate(x, act);
    };
    if !(x.device().is_autodiff() && norm.training.is_enabled()) {
        return fused::activate(norm.forward(x), act);
    }
    let (gamma, beta) = (norm.gamma.val(), norm.beta.val());
    let (y, mean, variance) = fused::batch_norm_act(x, gamma, beta, norm.epsilon, act);
    let device = y.device();
    let momentum = norm.momentum;
    let blend = |running: &RunningState<Tensor<1>>, batch: Tensor<1>| {
        let old = running.value_sync().to_device(&device);
        let new = old
            .mul_scalar(1.0 - momentum)
            .add(batch.detach().mul_scalar(momentum));
        running.update(new.detach());
    };
    blend(&norm.running_mean, mean);
    blend(&norm.running_var, variance);
    y
}

/// The derivative of [`activate`] at pre-activation `z`. For tanh it stays differentiable
/// (WGAN-GP differentiates through it); for the piecewise-linear ones it is a constant mask.
pub fn activation_grad<const D: usize>(z: Tensor<D>, act: Activation, slope: f32) -> Tensor<D> {
    match act {
        Activation::Relu => z.detach().greater_elem(0.0).float(),
        Activation::LeakyRelu => {
            let positive = z.detach().greater_elem(0.0).float();
            positive
                .clone()
                .add(positive.neg().add_scalar(1.0).mul_scalar(slope))
        }
        Activation::Tanh => z.tanh().square().neg().add_scalar(1.0),
    }
}

/// A hidden layer's non-linearity as the critics apply it: activation, then inverted dropout.
/// Keeps what the explicit input gradient needs to go back through it.
pub struct Activated<const D: usize> {
    pub output: Tensor<D>,
    pub pre_activation: Tensor<D>,
    pub mask: Option<Tensor<D>>,
}

/// Activation and dropout of pre-activation `z`.
pub fn activate_dropout<const D: usize>(
    z: Tensor<D>,
    act: Activation,
    slope: f32,
    dropout: Dropout,
) -> Activated<D> {
    let mut output = activate(z.clone(), act, slope);
    let mask = dropout_mask(output.dims(), dropout, &output.device());
    if let Some(m) = &mask {
        output = output.mul(m.clone());
    }
    Activated {
        output,
        pre_activation: z,
        mask,
    }
}

/// Dropout alone, for units that are already non-linear (maxout).
pub fn activated_identity<const D: usize>(z: Tensor<D>, dropout: Dropout) -> Activated<D> {
    let mask = dropout_mask(z.dims(), dropout, &z.device());
    let output = match &mask {
        Some(m) => z.clone().mul(m.clone()),
        None => z.clone(),
    };
    Activated {
        output,
        pre_activation: z,
        mask,
    }
}

/// Pulls gradient `g` (at the output of [`activate_dropout`]) back to the pre-activation.
pub fn activation_backward<const D: usize>(
    g: Tensor<D>,
    pre_activation: Tensor<D>,
    mask: Option<Tensor<D>>,
    act: Activation,
    slope: f32,
) -> Tensor<D> {
    let g = g.mul(activation_grad(pre_activation, act, slope));
    match mask {
        Some(m) => g.mul(m),
        None => g,
    }
}

/// `h` with inverted dropout (unchanged when its probability is 0).
pub fn dropout<const D: usize>(h: Tensor<D>, dropout: Dropout) -> Tensor<D> {
    match dropout_mask(h.dims(), dropout, &h.device()) {
        Some(mask) => h.mul(mask),
        None => h,
    }
}

/// `norm` (burn's module, on its own) applied to `z` when there is one.
pub fn maybe_norm<const D: usize>(z: Tensor<D>, norm: Option<&BatchNorm>) -> Tensor<D> {
    match norm {
        Some(norm) => norm.forward(z),
        None => z,
    }
}
