//! What follows a modulated convolution in StyleGAN's generator, in one pass:
//! act(y·s + o + b)·gain, with y the convolution's output [n, c, h, w], s one scale per sample
//! and channel [n, c] (the demodulation), o one offset per sample and pixel [n, 1, h, w] (the
//! noise times its strength) and b one bias per channel [c].
//!
//! Built from burn's operations this is five whole-tensor passes forward (a broadcast
//! multiply, two broadcast adds, the activation and its gain) and about ten backward, which
//! the small StyleGAN's profile showed as a fifth of a round in copies, fills and elementwise
//! loops. The CPU kernel reads y once forward, and y and the incoming gradient once backward,
//! where it produces all four gradients.

mod autodiff;
mod flex;
#[cfg(test)]
mod tests;

use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Backend, Cube, Dispatch, ExtensionType, Shape, TensorMetadata, backend_extension,
};
use burn::tensor::Tensor;

use super::norm::{Nonlinearity, burn_activate, burn_activate_backward};

/// Gradients of [`EpilogueKernels::scale_offset_bias_act`] with respect to its four inputs.
#[derive(ExtensionType)]
pub struct EpilogueGrads<B: Backend> {
    pub y: FloatTensor<B>,
    pub scale: FloatTensor<B>,
    pub offset: FloatTensor<B>,
    pub bias: FloatTensor<B>,
}

/// The default bodies compose burn's own operations (the GPU path).
#[backend_extension(Flex, Cube, Autodiff)]
pub trait EpilogueKernels: Backend {
    /// act(y·scale + offset + bias)·gain; y [n, c, h, w], scale [n, c], offset [n, 1, h, w],
    /// bias [c].
    fn scale_offset_bias_act(
        y: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        offset: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        act: Nonlinearity,
        gain: f64,
    ) -> FloatTensor<Self> {
        burn_forward::<Self>([y, scale, offset, bias], act, gain)
    }

    /// The gradients of [`EpilogueKernels::scale_offset_bias_act`] given the gradient of its
    /// output. A building block of the backward pass: never differentiated.
    #[allow(clippy::too_many_arguments)]
    fn scale_offset_bias_act_backward(
        y: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        offset: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        act: Nonlinearity,
        gain: f64,
        grad: FloatTensor<Self>,
    ) -> EpilogueGrads<Self> {
        burn_backward::<Self>([y, scale, offset, bias], act, gain, grad)
    }
}

impl EpilogueKernels for Cube {}

/// [n, c] → [n, c, 1, 1] and [c] → [1, c, 1, 1], for broadcasting against [n, c, h, w].
fn per_channel<B: Backend>(t: FloatTensor<B>, n: usize, c: usize) -> FloatTensor<B> {
    B::float_reshape(t, Shape::new([n, c, 1, 1]))
}

/// The forward pass from burn's operations.
fn burn_forward<B: Backend>(
    [y, scale, offset, bias]: [FloatTensor<B>; 4],
    act: Nonlinearity,
    gain: f64,
) -> FloatTensor<B> {
    let z = burn_pre_activation::<B>(y, scale, offset, bias);
    B::float_mul_scalar(burn_activate::<B>(z, act), gain.into())
}

fn burn_pre_activation<B: Backend>(
    y: FloatTensor<B>,
    scale: FloatTensor<B>,
    offset: FloatTensor<B>,
    bias: FloatTensor<B>,
) -> FloatTensor<B> {
    let dims = y.shape();
    let (n, c) = (dims[0], dims[1]);
    let z = B::float_mul(y, per_channel::<B>(scale, n, c));
    let z = B::float_add(z, offset);
    B::float_add(z, per_channel::<B>(bias, 1, c))
}

fn burn_backward<B: Backend>(
    [y, scale, offset, bias]: [FloatTensor<B>; 4],
    act: Nonlinearity,
    gain: f64,
    grad: FloatTensor<B>,
) -> EpilogueGrads<B> {
    let dims = y.shape();
    let (n, c, h, w) = (dims[0], dims[1], dims[2], dims[3]);
    let z = burn_pre_activation::<B>(y.clone(), scale.clone(), offset, bias);
    let gz = burn_activate_backward::<B>(z, B::float_mul_scalar(grad, gain.into()), act);
    let dy = B::float_mul(gz.clone(), per_channel::<B>(scale, n, c));
    let spatial_sum = |t: FloatTensor<B>| {
        let flat = B::float_reshape(t, Shape::new([n, c, h * w]));
        B::float_reshape(B::float_sum_dim(flat, 2), Shape::new([n, c]))
    };
    let dscale = spatial_sum(B::float_mul(gz.clone(), y));
    let doffset = B::float_sum_dim(gz.clone(), 1);
    let dbias = B::float_reshape(B::float_sum_dim(spatial_sum(gz), 0), Shape::new([c]));
    EpilogueGrads {
        y: dy,
        scale: dscale,
        offset: doffset,
        bias: dbias,
    }
}

/// act(y·scale + offset + bias)·gain (see the module).
pub fn scale_offset_bias_act(
    y: Tensor<4>,
    scale: Tensor<2>,
    offset: Tensor<4>,
    bias: Tensor<1>,
    act: Nonlinearity,
    gain: f32,
) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as EpilogueKernels>::scale_offset_bias_act(
        y.into_dispatch(),
        scale.into_dispatch(),
        offset.into_dispatch(),
        bias.into_dispatch(),
        act,
        f64::from(gain),
    ))
}
