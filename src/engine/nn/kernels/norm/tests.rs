//! The fused kernels against burn's own batch norm and activations on the CPU backend: values,
//! statistics and gradients, for every non-linearity and for 2-D and 4-D inputs.

use burn::tensor::{Device, Tensor, TensorData, activation};

use burn::backend::Dispatch;

use super::{Nonlinearity, NormKernels, batch_norm_act};
use crate::engine::nn::kernels::conv::conv;

const ACTS: [Nonlinearity; 4] = [
    Nonlinearity::Identity,
    Nonlinearity::Relu,
    Nonlinearity::LeakyRelu(0.2),
    Nonlinearity::Tanh,
];

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 500.0) - 1.0)
        .collect()
}

fn tensor<const D: usize>(shape: [usize; D], seed: usize, device: &Device) -> Tensor<D> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(values(n, seed), shape), device)
}

fn flat<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 values")
}

fn assert_close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes");
    let worst = flat(a)
        .iter()
        .zip(flat(b))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 2e-4, "{what}: max difference {worst}");
}

fn burn_act<const D: usize>(x: Tensor<D>, act: Nonlinearity) -> Tensor<D> {
    match act {
        Nonlinearity::Identity => x,
        Nonlinearity::Relu => activation::relu(x),
        Nonlinearity::LeakyRelu(s) => activation::leaky_relu(x, s as f64),
        Nonlinearity::Tanh => x.tanh(),
    }
}

/// burn's training-mode batch norm (via its BatchNorm module's operation) and activation.
fn burn_bn_act<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    act: Nonlinearity,
) -> (Tensor<D>, Tensor<1>, Tensor<1>) {
    let r = burn::tensor::module::batch_norm_train(x, gamma, beta, 1e-5);
    (burn_act(r.output, act), r.mean, r.variance)
}

#[test]
fn batch_norm_act_matches_burn_in_2d_and_4d() {
    let device = Device::flex();
    for act in ACTS {
        let gamma = tensor([3], 7, &device).add_scalar(1.5);
        let beta = tensor([3], 8, &device);
        let x4 = tensor([4, 3, 5, 6], 1, &device);
        let (y, m, v) = batch_norm_act(x4.clone(), gamma.clone(), beta.clone(), 1e-5, act);
        let (by, bm, bv) = burn_bn_act(x4, gamma.clone(), beta.clone(), act);
        assert_close(y, by, "4-D output");
        assert_close(m, bm, "4-D mean");
        assert_close(v, bv, "4-D variance");
        let x2 = tensor([9, 3], 2, &device);
        let (y, m, v) = batch_norm_act(x2.clone(), gamma.clone(), beta.clone(), 1e-5, act);
        let (by, bm, bv) = burn_bn_act(x2, gamma, beta, act);
        assert_close(y, by, "2-D output");
        assert_close(m, bm, "2-D mean");
        assert_close(v, bv, "2-D variance");
    }
}

#[test]
fn a_channel_major_input_is_normalised_the_same() {
    // Convolution outputs are channel-major views; the kernel must read them as burn does.
    let device = Device::flex();
    let h = conv(
        tensor([3, 2, 8, 8], 1, &device),
        tensor([4, 2, 4, 4], 2, &device),
        tensor([4], 3, &device),
        2,
        1,
    );
    let gamma = tensor([4], 3, &device);
    let beta = tensor([4], 4, &device);
    let act = Nonlinearity::LeakyRelu(0.2);
    let (y, _, _) = batch_norm_act(h.clone(), gamma.clone(), beta.clone(), 1e-5, act);
    let contiguous = Tensor::<4>::from_data(h.into_data(), &device);
    let (by, _, _) = burn_bn_act(contiguous, gamma, beta, act);
    assert_close(y, by, "channel-major input");
}

/// Gradients of Σ f(x, γ, β)·r with respect to x, γ and β.
fn grads<const D: usize>(
    f: impl Fn(Tensor<D>, Tensor<1>, Tensor<1>) -> Tensor<D>,
    shape: [usize; D],
) -> (Tensor<D>, Tensor<1>, Tensor<1>) {
    let device = Device::flex().autodiff();
    let c = shape[1];
    let x = tensor(shape, 1, &device).require_grad();
    let gamma = tensor([c], 7, &device).add_scalar(1.5).require_grad();
    let beta = tensor([c], 8, &device).require_grad();
    let y = f(x.clone(), gamma.clone(), beta.clone());
    let g = y.mul(tensor(shape, 5, &device)).sum().backward();
    let cpu = Device::flex();
    let back = |t: Option<Tensor<D>>| Tensor::<D>::from_data(t.expect("grad").into_data(), &cpu);
    let back1 = |t: Option<Tensor<1>>| Tensor::<1>::from_data(t.expect("grad").into_data(), &cpu);
    (
        back(x.grad(&g)),
        back1(gamma.grad(&g)),
        back1(beta.grad(&g)),
    )
}

#[test]
fn batch_norm_act_gradients_match_burn() {
    for act in ACTS {
        for shape in [vec![4, 3, 5, 6], vec![9, 3]] {
            let (ours, theirs) = if shape.len() == 4 {
                let s = [4, 3, 5, 6];
                let ours = grads(|x, g, b| batch_norm_act(x, g, b, 1e-5, act).0, s);
                let theirs = grads(|x, g, b| burn_bn_act(x, g, b, act).0, s);
                (
                    (flat(ours.0), ours.1, ours.2),
                    (flat(theirs.0), theirs.1, theirs.2),
                )
            } else {
                let s = [9, 3];
                let ours = grads(|x, g, b| batch_norm_act(x, g, b, 1e-5, act).0, s);
                let theirs = grads(|x, g, b| burn_bn_act(x, g, b, act).0, s);
                (
                    (flat(ours.0), ours.1, ours.2),
                    (flat(theirs.0), theirs.1, theirs.2),
                )
            };
            let device = Device::flex();
            let n = ours.0.len();
            let as_tensor = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [n]), &device);
            let what = format!("{act:?} {shape:?}");
            assert_close(
                as_tensor(ours.0),
                as_tensor(theirs.0),
                &format!("{what}: x gradient"),
            );
            assert_close(ours.1, theirs.1, &format!("{what}: gamma gradient"));
            assert_close(ours.2, theirs.2, &format!("{what}: beta gradient"));
        }
    }
}

/// The activation kernel itself (the public `activate` sends ReLU and tanh to burn).
fn kernel_activate<const D: usize>(x: Tensor<D>, act: Nonlinearity) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as NormKernels>::activate(x.into_dispatch(), act))
}

#[test]
fn activate_and_its_gradient_match_burn() {
    let device = Device::flex();
    for act in ACTS {
        let x = tensor([4, 3, 5, 6], 1, &device);
        assert_close(
            kernel_activate(x.clone(), act),
            burn_act(x, act),
            &format!("{act:?}"),
        );
        let shape = [4, 3, 5, 6];
        // γ and β are unused here; grads() needs them as leaves, so they get a zero gradient.
        let ours = grads(|x, g, b| kernel_activate(x, act).add(zero(g, b)), shape);
        let theirs = grads(|x, g, b| burn_act(x, act).add(zero(g, b)), shape);
        assert_close(ours.0, theirs.0, &format!("{act:?}: gradient"));
    }
}

/// 0 (as a broadcastable [1, 1, 1, 1]) that still depends on γ and β.
fn zero(g: Tensor<1>, b: Tensor<1>) -> Tensor<4> {
    g.add(b).sum().mul_scalar(0.0).reshape([1, 1, 1, 1])
}
