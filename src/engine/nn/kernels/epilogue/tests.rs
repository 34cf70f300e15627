//! The fused epilogue against the same arithmetic built from burn's operations on the CPU
//! backend: values and the four gradients, for every non-linearity, and for a channel-major
//! input (what the convolution kernels return).

use burn::tensor::{Device, Tensor, TensorData, activation};

use super::scale_offset_bias_act;
use crate::engine::nn::kernels::conv::conv;
use crate::engine::nn::kernels::norm::Nonlinearity;

const ACTS: [Nonlinearity; 4] = [
    Nonlinearity::Identity,
    Nonlinearity::Relu,
    Nonlinearity::LeakyRelu(0.2),
    Nonlinearity::Tanh,
];

fn tensor<const D: usize>(shape: [usize; D], seed: usize, device: &Device) -> Tensor<D> {
    let n: usize = shape.iter().product();
    let values = (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 500.0) - 1.0)
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn flat<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 values")
}

fn assert_close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes");
    let (a, b) = (flat(a), flat(b));
    let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4 * scale, "{what}: max difference {worst}");
}

/// The same function from burn's operations.
fn composed(
    y: Tensor<4>,
    scale: Tensor<2>,
    offset: Tensor<4>,
    bias: Tensor<1>,
    act: Nonlinearity,
    gain: f32,
) -> Tensor<4> {
    let [n, c, _, _] = y.dims();
    let z = y
        .mul(scale.reshape([n, c, 1, 1]))
        .add(offset)
        .add(bias.reshape([1, c, 1, 1]));
    let a = match act {
        Nonlinearity::Identity => z,
        Nonlinearity::Relu => activation::relu(z),
        Nonlinearity::LeakyRelu(s) => activation::leaky_relu(z, f64::from(s)),
        Nonlinearity::Tanh => z.tanh(),
    };
    a.mul_scalar(gain)
}

type Epilogue = fn(Tensor<4>, Tensor<2>, Tensor<4>, Tensor<1>, Nonlinearity, f32) -> Tensor<4>;

/// The output and the gradients of Σ f(…)·r at y, scale, offset and bias.
fn run(f: Epilogue, act: Nonlinearity) -> [Vec<f32>; 5] {
    let device = Device::flex().autodiff();
    let (n, c, h, w) = (3, 4, 5, 6);
    let y = tensor([n, c, h, w], 1, &device).require_grad();
    let scale = tensor([n, c], 2, &device).add_scalar(1.2).require_grad();
    let offset = tensor([n, 1, h, w], 3, &device).require_grad();
    let bias = tensor([c], 4, &device).require_grad();
    let out = f(
        y.clone(),
        scale.clone(),
        offset.clone(),
        bias.clone(),
        act,
        1.5,
    );
    let g = out
        .clone()
        .mul(tensor([n, c, h, w], 5, &device))
        .sum()
        .backward();
    [
        flat(out),
        flat(y.grad(&g).expect("y grad")),
        flat(scale.grad(&g).expect("scale grad")),
        flat(offset.grad(&g).expect("offset grad")),
        flat(bias.grad(&g).expect("bias grad")),
    ]
}

#[test]
fn the_fused_epilogue_and_its_gradients_match_burns_operations() {
    let cpu = Device::flex();
    for act in ACTS {
        let ours = run(scale_offset_bias_act, act);
        let theirs = run(composed, act);
        for (what, (a, b)) in ["output", "dy", "dscale", "doffset", "dbias"]
            .iter()
            .zip(ours.into_iter().zip(theirs))
        {
            let n = a.len();
            assert_eq!(n, b.len(), "{act:?} {what}: sizes");
            let as_tensor = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [n]), &cpu);
            assert_close(as_tensor(a), as_tensor(b), &format!("{act:?} {what}"));
        }
    }
}

#[test]
fn a_channel_major_convolution_output_gives_the_same_values() {
    let device = Device::flex();
    let y = conv(
        tensor([3, 2, 8, 8], 1, &device),
        tensor([4, 2, 3, 3], 2, &device),
        tensor([4], 3, &device),
        1,
        1,
    );
    let scale = tensor([3, 4], 4, &device);
    let offset = tensor([3, 1, 8, 8], 5, &device);
    let bias = tensor([4], 6, &device);
    let act = Nonlinearity::LeakyRelu(0.2);
    let contiguous = Tensor::<4>::from_data(y.clone().into_data(), &device);
    let ours = scale_offset_bias_act(y, scale.clone(), offset.clone(), bias.clone(), act, 1.4);
    let theirs = composed(contiguous, scale, offset, bias, act, 1.4);
    assert_close(ours, theirs, "channel-major input");
}
