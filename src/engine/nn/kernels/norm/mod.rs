//! Batch norm with the batch's own statistics fused with the non-linearity after it, instance
//! norm (without affine parameters) fused the same way, and the non-linearity alone.
//!
//! burn builds training-mode batch norm out of about ten whole-tensor operations forward and
//! fifteen backward, and LeakyReLU out of a comparison, a mask and a select whose backward is
//! slower still: on DCGAN's 64×64×14×14 activations, BN + LeakyReLU forward and backward took
//! 22 ms against PyTorch's 4 ms (BENCHMARKS.md). The CPU kernels here make two passes over the
//! data forward and two backward. Instance norm is the same arithmetic with one statistic per
//! plane (sample, channel) instead of per channel: burn builds it from nine operations, and
//! CycleGAN runs it after almost every convolution.

mod autodiff;
pub(super) mod flex;
mod instance;
#[cfg(test)]
mod instance_tests;
pub(super) mod loops;
#[cfg(test)]
mod tests;

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Cube, Dispatch, ExtensionType, backend_extension};
use burn::tensor::Tensor;

/// A pointwise non-linearity a kernel can apply on the fly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    Identity,
    Relu,
    /// LeakyReLU with this negative slope.
    LeakyRelu(f32),
    Tanh,
}

impl Nonlinearity {
    /// f(z).
    #[inline(always)]
    pub fn apply(self, z: f32) -> f32 {
        match self {
            Nonlinearity::Identity => z,
            Nonlinearity::Relu => z.max(0.0),
            Nonlinearity::LeakyRelu(slope) => {
                if z > 0.0 {
                    z
                } else {
                    z * slope
                }
            }
            Nonlinearity::Tanh => z.tanh(),
        }
    }

    /// f'(z), given z and y = f(z).
    #[inline(always)]
    pub fn derivative(self, z: f32, y: f32) -> f32 {
        match self {
            Nonlinearity::Identity => 1.0,
            Nonlinearity::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Nonlinearity::LeakyRelu(slope) => {
                if z > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
            Nonlinearity::Tanh => 1.0 - y * y,
        }
    }
}

/// What [`NormKernels::batch_norm_act`] returns: the activated output and the batch's
/// statistics per channel (mean and biased variance), for the running averages.
#[derive(ExtensionType)]
pub struct BatchNormed<B: Backend> {
    pub output: FloatTensor<B>,
    pub mean: FloatTensor<B>,
    pub variance: FloatTensor<B>,
}

/// What [`NormKernels::instance_norm_act`] returns: the activated output and each plane's
/// mean and biased variance ([n·c], in an order of the backend's own), for its backward.
#[derive(ExtensionType)]
pub struct InstanceNormed<B: Backend> {
    pub output: FloatTensor<B>,
    pub mean: FloatTensor<B>,
    pub variance: FloatTensor<B>,
}

/// Gradients of [`NormKernels::batch_norm_act`] with respect to x, γ and β.
#[derive(ExtensionType)]
pub struct BatchNormGrads<B: Backend> {
    pub x: FloatTensor<B>,
    pub gamma: FloatTensor<B>,
    pub beta: FloatTensor<B>,
}

/// The default bodies compose burn's own operations (the GPU path).
#[backend_extension(Flex, Cube, Autodiff)]
pub trait NormKernels: Backend {
    /// act(γ·(x − μ)/√(σ² + ε) + β) with μ, σ² over every dimension but 1 of `x`
    /// [n, channels, …].
    fn batch_norm_act(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
    ) -> BatchNormed<Self> {
        burn_batch_norm_act::<Self>(x, gamma, beta, epsilon, act)
    }

    /// The gradients of [`NormKernels::batch_norm_act`] given the gradient of its output and
    /// the statistics it returned. A building block of the backward pass: never differentiated.
    #[allow(clippy::too_many_arguments)]
    fn batch_norm_act_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        variance: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
        grad: FloatTensor<Self>,
    ) -> BatchNormGrads<Self> {
        let stats = [mean, variance];
        burn_batch_norm_act_backward::<Self>(x, gamma, beta, stats, epsilon, act, grad)
    }

    /// act((x − μ)/√(σ² + ε)) with μ, σ² over each plane of `x` [n, c, h, w] (instance norm
    /// without affine parameters, as CycleGAN's reference uses it).
    fn instance_norm_act(
        x: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
    ) -> InstanceNormed<Self> {
        instance::burn_instance_norm_act::<Self>(x, epsilon, act)
    }

    /// The gradient at x of [`NormKernels::instance_norm_act`], given the gradient of its
    /// output and the statistics it returned. A building block of the backward pass: never
    /// differentiated.
    fn instance_norm_act_backward(
        x: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        variance: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        instance::burn_instance_norm_act_backward::<Self>(x, [mean, variance], epsilon, act, grad)
    }

    /// act(x), elementwise.
    fn activate(x: FloatTensor<Self>, act: Nonlinearity) -> FloatTensor<Self> {
        burn_activate::<Self>(x, act)
    }

    /// grad · act'(x). A building block of the backward pass: never differentiated.
    fn activate_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        act: Nonlinearity,
    ) -> FloatTensor<Self> {
        burn_activate_backward::<Self>(x, grad, act)
    }
}

impl NormKernels for Cube {}

fn burn_batch_norm_act<B: Backend>(
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    beta: FloatTensor<B>,
    epsilon: f64,
    act: Nonlinearity,
) -> BatchNormed<B> {
    let r = B::batch_norm_train(x, gamma, beta, epsilon);
    BatchNormed {
        output: burn_activate::<B>(r.output, act),
        mean: r.mean,
        variance: r.variance,
    }
}

fn burn_batch_norm_act_backward<B: Backend>(
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    beta: FloatTensor<B>,
    [mean, variance]: [FloatTensor<B>; 2],
    epsilon: f64,
    act: Nonlinearity,
    grad: FloatTensor<B>,
) -> BatchNormGrads<B> {
    let z = B::batch_norm(
        x.clone(),
        gamma.clone(),
        beta,
        mean.clone(),
        variance.clone(),
        epsilon,
    );
    let grad = burn_activate_backward::<B>(z, grad, act);
    let r = B::batch_norm_train_backward(x, gamma, mean, variance, epsilon, grad);
    BatchNormGrads {
        x: r.x_grad,
        gamma: r.gamma_grad,
        beta: r.beta_grad,
    }
}

pub(in crate::engine::nn::kernels) fn burn_activate<B: Backend>(
    x: FloatTensor<B>,
    act: Nonlinearity,
) -> FloatTensor<B> {
    match act {
        Nonlinearity::Identity => x,
        Nonlinearity::Relu => B::relu(x),
        Nonlinearity::LeakyRelu(slope) => B::leaky_relu(x, (slope as f64).into()),
        Nonlinearity::Tanh => B::float_tanh(x),
    }
}

pub(in crate::engine::nn::kernels) fn burn_activate_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    act: Nonlinearity,
) -> FloatTensor<B> {
    match act {
        Nonlinearity::Identity => grad,
        Nonlinearity::Relu => B::relu_backward(B::relu(x), grad),
        Nonlinearity::LeakyRelu(slope) => {
            // g·slope + g·(1 − slope)·[x > 0]: no masks, which burn differentiates slowly.
            let positive = B::relu_backward(B::relu(x), grad.clone());
            B::float_add(
                B::float_mul_scalar(grad, (slope as f64).into()),
                B::float_mul_scalar(positive, (1.0 - slope as f64).into()),
            )
        }
        Nonlinearity::Tanh => {
            let y = B::float_tanh(x);
            let gy = B::float_mul(grad.clone(), y.clone());
            B::float_sub(grad, B::float_mul(gy, y))
        }
    }
}

/// `act(x)` elementwise. burn's own ReLU is fast (and works in place when it can); LeakyReLU,
/// whose burn backward is slow, and tanh, which burn computes on one thread, go through the
/// kernel.
pub fn activate<const D: usize>(x: Tensor<D>, act: Nonlinearity) -> Tensor<D> {
    match act {
        Nonlinearity::Identity => x,
        Nonlinearity::Relu => burn::tensor::activation::relu(x),
        Nonlinearity::Tanh | Nonlinearity::LeakyRelu(_) => {
            Tensor::from_dispatch(<Dispatch as NormKernels>::activate(x.into_dispatch(), act))
        }
    }
}

/// Instance norm of `x` [n, c, h, w] without affine parameters (each plane to mean 0 and
/// variance 1), followed by `act`.
pub fn instance_norm_act(x: Tensor<4>, epsilon: f64, act: Nonlinearity) -> Tensor<4> {
    let r = <Dispatch as NormKernels>::instance_norm_act(x.into_dispatch(), epsilon, act);
    Tensor::from_dispatch(r.output)
}

/// Training-mode batch norm of `x` [n, channels, …] followed by `act`: the output and the
/// batch's mean and biased variance per channel (detached).
pub fn batch_norm_act<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
    act: Nonlinearity,
) -> (Tensor<D>, Tensor<1>, Tensor<1>) {
    let r = <Dispatch as NormKernels>::batch_norm_act(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        epsilon,
        act,
    );
    (
        Tensor::from_dispatch(r.output),
        Tensor::from_dispatch(r.mean),
        Tensor::from_dispatch(r.variance),
    )
}
