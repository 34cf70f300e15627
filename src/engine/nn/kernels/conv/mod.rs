//! Strided convolutions as one large matrix product each.
//!
//! burn-flex (the CPU backend) convolves one sample at a time and computes the weight gradient
//! as a dilated convolution with batch and channels swapped: small matrix products that ran
//! the DCGAN at a third of PyTorch's speed (BENCHMARKS.md). Here each of the three operations a
//! strided convolution needs — forward, input gradient, weight gradient — is one large matrix
//! product over the whole batch, and the bias is added inside the kernel (a separate broadcast
//! add cost a pass over the output and reordered it). Each operation is differentiable in terms
//! of the others, so WGAN-GP's gradient of a gradient goes through them too.
//!
//! Stride-1 convolutions with at most a few output channels (CycleGAN's output layer) are
//! computed directly instead (`direct`): their column matrix would be copied k² times for a
//! handful of multiply-adds per copy. Stride-1 "same" convolutions with 8 or more input
//! channels (the residual and upsampling layers of CycleGAN and super-resolution) build no
//! column matrix at all (`implicit`): k products over one padded, channels-last copy of the
//! input, each thread on its own run of images. Strided transposed convolutions (input
//! gradients of strided layers, DCGAN's generator) are one such convolution computing every
//! phase of the output at once (`transposed`).
//!
//! On the GPU (burn's cubecl backend) the same operations fall back to burn's own convolutions,
//! so the models call one API on every device.

mod autodiff;
mod direct;
mod flex;
mod grid;
pub mod im2col;
mod implicit;
#[cfg(test)]
mod tests;
mod transposed;

use burn::backend::ops::{ConvOptions, ConvTransposeOptions};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Backend, Cube, Dispatch, ExtensionType, Shape, TensorMetadata, backend_extension,
};
use burn::tensor::Tensor;

/// A convolution's output and what its weight gradient will need (the input, on every backend
/// today: the CPU kernels once kept the column matrix instead, which cost more in memory
/// traffic than building it again saved, BENCHMARKS.md).
#[derive(ExtensionType)]
pub struct SavedConv<B: Backend> {
    pub output: FloatTensor<B>,
    pub saved: FloatTensor<B>,
}

/// Square-kernel convolutions with equal stride and zero padding on both axes, no dilation or
/// groups (what DCGAN-style models use), each with a bias per output channel. The default
/// bodies are burn's own operations.
#[backend_extension(Flex, Cube, Autodiff)]
pub trait ConvKernels: Backend {
    /// `x` [n, c, h, w] ⊛ `weight` [o, c, k, k] + `bias` [o] → [n, o, h', w'].
    fn strided_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> FloatTensor<Self> {
        let options = conv_options(stride, padding);
        Self::conv2d(x, weight, Some(bias), options)
    }

    /// [`ConvKernels::strided_conv`], keeping what its weight gradient needs.
    fn strided_conv_saving(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> SavedConv<Self> {
        let options = conv_options(stride, padding);
        SavedConv {
            output: Self::conv2d(x.clone(), weight, Some(bias), options),
            saved: x,
        }
    }

    /// The transposed convolution of `grad` [n, o, h', w'] with `weight` [o, c, k, k], plus
    /// `bias` [c], for an output of `height` × `width`: [n, c, height, width]. Without the
    /// bias it is the gradient of [`ConvKernels::strided_conv`] with respect to its input.
    fn strided_conv_transpose(
        grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        height: usize,
        width: usize,
    ) -> FloatTensor<Self> {
        let options = transpose_options::<Self>(&grad, &weight, stride, padding, [height, width]);
        Self::conv_transpose2d(grad, weight, Some(bias), options)
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

    /// The weight gradient from what [`ConvKernels::strided_conv_saving`] kept.
    fn strided_conv_weight_grad_saved(
        saved: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        kernel: usize,
    ) -> FloatTensor<Self> {
        burn_weight_grad::<Self>(saved, grad, stride, padding, kernel)
    }

    /// Σ of `grad` [n, c, …] over every dimension but 1: the gradient of a per-channel bias.
    fn channel_sums(grad: FloatTensor<Self>) -> FloatTensor<Self> {
        let c = grad.shape()[1];
        let per_channel = Self::float_swap_dims(grad, 0, 1);
        let n = per_channel.shape().num_elements() / c;
        let flat = Self::float_reshape(per_channel, Shape::new([c, n]));
        Self::float_reshape(Self::float_sum_dim(flat, 1), Shape::new([c]))
    }
}

impl ConvKernels for Cube {}

fn conv_options(stride: usize, padding: usize) -> ConvOptions<2> {
    ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1)
}

/// burn's options for the transposed convolution that gives `[height, width]`.
fn transpose_options<B: Backend>(
    grad: &FloatTensor<B>,
    weight: &FloatTensor<B>,
    stride: usize,
    padding: usize,
    [height, width]: [usize; 2],
) -> ConvTransposeOptions<2> {
    let [_, _, oh, ow] = grad.shape().dims();
    let k = weight.shape()[2];
    let full = |o: usize| (o - 1) * stride + k - 2 * padding;
    ConvTransposeOptions::new(
        [stride, stride],
        [padding, padding],
        [height - full(oh), width - full(ow)],
        [1, 1],
        1,
    )
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

/// A zero bias for `channels` channels, like `t`.
fn zero_bias<B: Backend>(t: &FloatTensor<B>, channels: usize) -> FloatTensor<B> {
    B::float_zeros(Shape::new([channels]), &t.device(), t.dtype().into())
}

/// `x` [n, c, h, w] convolved with `weight` [o, c, k, k], plus `bias` [o].
pub fn conv(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    stride: usize,
    padding: usize,
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvKernels>::strided_conv(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        stride,
        padding,
    ))
}

/// The transposed convolution: `grad` [n, o, h', w'] with `weight` [o, c, k, k], plus `bias`
/// [c] → [n, c, height, width]. It is both a transposed-convolution layer and (with a zero
/// bias) the input gradient of [`conv`].
pub fn conv_transpose(
    grad: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    stride: usize,
    padding: usize,
    [height, width]: [usize; 2],
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvKernels>::strided_conv_transpose(
        grad.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
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
