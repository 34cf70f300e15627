//! The fused instance norm against burn's `InstanceNorm` module (no affine parameters) and
//! activations: values and input gradients, for NCHW inputs and for the channel-major views
//! the convolution kernels return; and the burn-composed bodies (the GPU path) against the CPU
//! kernel, forward and backward.

use burn::backend::Dispatch;
use burn::nn::InstanceNormConfig;
use burn::tensor::{Device, Tensor, TensorData, activation};

use super::{Nonlinearity, NormKernels, instance, instance_norm_act};
use crate::engine::nn::kernels::conv::conv;

const ACTS: [Nonlinearity; 3] = [
    Nonlinearity::Identity,
    Nonlinearity::Relu,
    Nonlinearity::LeakyRelu(0.2),
];

fn tensor<const D: usize>(shape: [usize; D], seed: usize, device: &Device) -> Tensor<D> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 500.0) - 1.0)
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn assert_close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes");
    let (a, b) = (a.into_data(), b.into_data());
    let (a, b) = (
        a.try_to_vec::<f32>().expect("f32"),
        b.try_to_vec::<f32>().expect("f32"),
    );
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 2e-4, "{what}: max difference {worst}");
}

/// burn's instance norm (no affine parameters), then the activation.
fn burn_in_act(x: Tensor<4>, act: Nonlinearity) -> Tensor<4> {
    let norm = InstanceNormConfig::new(x.dims()[1])
        .with_affine(false)
        .init(&x.device());
    let y = norm.forward(x);
    match act {
        Nonlinearity::Identity => y,
        Nonlinearity::Relu => activation::relu(y),
        Nonlinearity::LeakyRelu(s) => activation::leaky_relu(y, s as f64),
        Nonlinearity::Tanh => y.tanh(),
    }
}

/// An input of `shape`, optionally as the channel-major output of a 1×1 convolution (the
/// layout the CPU convolution kernels return), built from `x`.
fn laid_out(x: Tensor<4>, channel_major: bool) -> Tensor<4> {
    if !channel_major {
        return x;
    }
    let c = x.dims()[1];
    let device = x.device();
    let eye: Vec<f32> = (0..c * c)
        .map(|i| if i / c == i % c { 1.0 } else { 0.0 })
        .collect();
    let w = Tensor::<4>::from_data(TensorData::new(eye, [c, c, 1, 1]), &device);
    conv(x, w, Tensor::zeros([c], &device), 1, 0)
}

#[test]
fn instance_norm_act_matches_burn_for_both_layouts() {
    let device = Device::flex();
    for act in ACTS {
        for channel_major in [false, true] {
            let x = laid_out(tensor([3, 4, 5, 6], 1, &device), channel_major);
            let what = format!("{act:?}, channel-major {channel_major}");
            assert_close(
                instance_norm_act(x.clone(), 1e-5, act),
                burn_in_act(x, act),
                &what,
            );
        }
    }
}

/// ∂/∂x of Σ f(x)·r, x drawn with `seed` and laid out as asked.
fn input_grad(f: impl Fn(Tensor<4>) -> Tensor<4>, channel_major: bool) -> Tensor<4> {
    let device = Device::flex().autodiff();
    let shape = [3, 4, 5, 6];
    let x = tensor(shape, 1, &device).require_grad();
    let y = f(laid_out(x.clone(), channel_major));
    let g = y.mul(tensor(shape, 5, &device)).sum().backward();
    let grad = x.grad(&g).expect("x has a gradient");
    Tensor::from_data(grad.into_data(), &Device::flex())
}

#[test]
fn instance_norm_act_gradients_match_burn() {
    for act in ACTS {
        for channel_major in [false, true] {
            assert_close(
                input_grad(|x| instance_norm_act(x, 1e-5, act), channel_major),
                input_grad(|x| burn_in_act(x, act), channel_major),
                &format!("{act:?}, channel-major {channel_major}: gradient"),
            );
        }
    }
}

#[test]
fn the_burn_composed_path_matches_the_kernel() {
    // What a GPU runs, computed on the CPU beside the kernel, forward and backward.
    let device = Device::flex();
    for act in ACTS {
        let x = tensor([2, 3, 4, 5], 2, &device);
        let grad = tensor([2, 3, 4, 5], 6, &device);
        let kernel =
            <Dispatch as NormKernels>::instance_norm_act(x.clone().into_dispatch(), 1e-5, act);
        let composed =
            instance::burn_instance_norm_act::<Dispatch>(x.clone().into_dispatch(), 1e-5, act);
        let what = format!("{act:?}");
        let out = |t| Tensor::<4>::from_dispatch(t);
        assert_close(out(kernel.output), out(composed.output), &what);
        let dx_kernel = <Dispatch as NormKernels>::instance_norm_act_backward(
            x.clone().into_dispatch(),
            kernel.mean,
            kernel.variance,
            1e-5,
            act,
            grad.clone().into_dispatch(),
        );
        let dx_composed = instance::burn_instance_norm_act_backward::<Dispatch>(
            x.into_dispatch(),
            [composed.mean, composed.variance],
            1e-5,
            act,
            grad.into_dispatch(),
        );
        assert_close(
            out(dx_kernel),
            out(dx_composed),
            &format!("{what}: backward"),
        );
    }
}
