//! Strided convolutions as one large matrix product each.
//!
//! burn-flex (the CPU backend) convolves one sample at a time and computes the weight gradient
//! as a dilated convolution with batch and channels swapped: small matrix products that ran
//! the DCGAN at a third of PyTorch's speed (BENCHMARKS.md). Here each of the three operations a
//! strided convolution needs — forward, input gradient, weight gradient — is one large matrix
//! product over the whole batch. Each is differentiable in terms of the other two, so WGAN-GP's
//! gradient of a gradient goes through them too.
//!
//! On the GPU (burn's cubecl backend) the same operations fall back to burn's own convolutions,
//! so the models call one API on every device.

mod autodiff;
mod flex;
pub mod im2col;

use burn::backend::ops::{ConvOptions, ConvTransposeOptions};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Cube, Dispatch, Shape, TensorMetadata, backend_extension};
use burn::tensor::Tensor;

/// Square-kernel convolutions with equal stride and zero padding on both axes, no dilation or
/// groups (what DCGAN-style models use). The default bodies are burn's own operations.
#[backend_extension(Flex, Cube, Autodiff)]
pub trait ConvKernels: Backend {
    /// `x` [n, c, h, w] ⊛ `weight` [o, c, k, k] → [n, o, h', w'].
    fn strided_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> FloatTensor<Self> {
        burn_conv::<Self>(x, weight, stride, padding)
    }

    /// The gradient of [`ConvKernels::strided_conv`] with respect to its input, for an input
    /// of `height` × `width`: the transposed convolution of `grad` [n, o, h', w'] with
    /// `weight` [o, c, k, k] → [n, c, height, width].
    fn strided_conv_input_grad(
        grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        height: usize,
        width: usize,
    ) -> FloatTensor<Self> {
        burn_input_grad::<Self>(grad, weight, stride, padding, [height, width])
    }

    /// The gradient of [`ConvKernels::strided_conv`] with respect to its weight:
    /// `x` [n, c, h, w] and `grad` [n, o, h', w'] → [o, c, kernel, kernel].
    fn strided_conv_weight_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        kernel: usize,
    ) -> FloatTensor<Self> {
        burn_weight_grad::<Self>(x, grad, stride, padding, kernel)
    }
}

fn conv_options(stride: usize, padding: usize) -> ConvOptions<2> {
    ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1)
}

/// burn's convolution.
fn burn_conv<B: Backend>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
    stride: usize,
    padding: usize,
) -> FloatTensor<B> {
    B::conv2d(x, weight, None, conv_options(stride, padding))
}

/// burn's transposed convolution, with the output padding that gives `[height, width]`.
fn burn_input_grad<B: Backend>(
    grad: FloatTensor<B>,
    weight: FloatTensor<B>,
    stride: usize,
    padding: usize,
    [height, width]: [usize; 2],
) -> FloatTensor<B> {
    let [_, _, oh, ow] = grad.shape().dims();
    let k = weight.shape()[2];
    let full = |o: usize| (o - 1) * stride + k - 2 * padding;
    let options = ConvTransposeOptions::new(
        [stride, stride],
        [padding, padding],
        [height - full(oh), width - full(ow)],
        [1, 1],
        1,
    );
    B::conv_transpose2d(grad, weight, None, options)
}

/// burn's weight gradient of a convolution.
fn burn_weight_grad<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
    stride: usize,
    padding: usize,
    kernel: usize,
) -> FloatTensor<B> {
    let shape = Shape::new([grad.shape()[1], x.shape()[1], kernel, kernel]);
    let like = B::float_zeros(shape, &x.device(), x.dtype().into());
    B::conv2d_weight_backward(x, like, grad, conv_options(stride, padding))
}

impl ConvKernels for Cube {}

/// `x` [n, c, h, w] convolved with `weight` [o, c, k, k] (no bias).
pub fn conv(x: Tensor<4>, weight: Tensor<4>, stride: usize, padding: usize) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvKernels>::strided_conv(
        x.into_dispatch(),
        weight.into_dispatch(),
        stride,
        padding,
    ))
}

/// The transposed convolution: `grad` [n, o, h', w'] with `weight` [o, c, k, k] →
/// [n, c, height, width]. It is both a transposed-convolution layer and the input gradient of
/// [`conv`].
pub fn conv_transpose(
    grad: Tensor<4>,
    weight: Tensor<4>,
    stride: usize,
    padding: usize,
    [height, width]: [usize; 2],
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvKernels>::strided_conv_input_grad(
        grad.into_dispatch(),
        weight.into_dispatch(),
        stride,
        padding,
        height,
        width,
    ))
}

/// The weight gradient of [`conv`] for input `x` [n, c, h, w] and output gradient `grad`
/// [n, o, h', w'] → [o, c, kernel, kernel].
pub fn weight_grad(
    x: Tensor<4>,
    grad: Tensor<4>,
    stride: usize,
    padding: usize,
    kernel: usize,
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvKernels>::strided_conv_weight_grad(
        x.into_dispatch(),
        grad.into_dispatch(),
        stride,
        padding,
        kernel,
    ))
}

#[cfg(test)]
mod tests;
