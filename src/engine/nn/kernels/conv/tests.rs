//! The kernels against burn's own convolutions on the CPU backend: values and gradients.

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor, TensorData};

use super::{conv, conv_transpose, weight_grad};

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 1013.0) - 0.5)
        .collect()
}

fn tensor(shape: [usize; 4], seed: usize, device: &Device) -> Tensor<4> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(values(n, seed), shape), device)
}

fn assert_close(a: Tensor<4>, b: Tensor<4>, what: &str) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes");
    let a = a.into_data().try_to_vec::<f32>().expect("f32 values");
    let b = b.into_data().try_to_vec::<f32>().expect("f32 values");
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "{what}: max difference {worst}");
}

fn burn_conv(x: Tensor<4>, w: Tensor<4>, stride: usize, padding: usize) -> Tensor<4> {
    conv2d(
        x,
        w,
        None,
        ConvOptions::new([stride; 2], [padding; 2], [1, 1], 1),
    )
}

fn burn_conv_transpose(
    d: Tensor<4>,
    w: Tensor<4>,
    stride: usize,
    padding: usize,
    hw: [usize; 2],
) -> Tensor<4> {
    let [_, _, oh, ow] = d.dims();
    let k = w.dims()[2];
    let full = |o: usize| (o - 1) * stride + k - 2 * padding;
    let options = ConvTransposeOptions::new(
        [stride; 2],
        [padding; 2],
        [hw[0] - full(oh), hw[1] - full(ow)],
        [1, 1],
        1,
    );
    conv_transpose2d(d, w, None, options)
}

/// (input shape, out channels, kernel, stride, padding)
const CASES: [([usize; 4], usize, usize, usize, usize); 4] = [
    ([3, 5, 8, 8], 4, 4, 2, 1),
    ([2, 3, 9, 7], 6, 4, 2, 1),
    ([2, 2, 7, 7], 3, 3, 1, 1),
    ([1, 4, 6, 10], 2, 5, 2, 2),
];

#[test]
fn the_convolution_matches_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let x = tensor(shape, 1, &device);
        let w = tensor([o, shape[1], k, k], 2, &device);
        assert_close(
            conv(x.clone(), w.clone(), s, p),
            burn_conv(x, w, s, p),
            "conv",
        );
    }
}

#[test]
fn the_transposed_convolution_matches_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let x = tensor(shape, 1, &device);
        let w = tensor([o, shape[1], k, k], 2, &device);
        let out = burn_conv(x, w.clone(), s, p).dims();
        let d = tensor(out, 3, &device);
        let hw = [shape[2], shape[3]];
        assert_close(
            conv_transpose(d.clone(), w.clone(), s, p, hw),
            burn_conv_transpose(d, w, s, p, hw),
            "conv_transpose",
        );
    }
}

#[test]
fn a_channel_major_input_gives_the_same_convolution() {
    // The kernels return channel-major views; feeding one back in must not change the result.
    let device = Device::flex();
    let x = tensor([3, 4, 8, 8], 1, &device);
    let w = tensor([5, 4, 4, 4], 2, &device);
    let w2 = tensor([2, 5, 4, 4], 4, &device);
    let h = conv(x.clone(), w.clone(), 2, 1);
    let expected = burn_conv(burn_conv(x, w, 2, 1), w2.clone(), 2, 1);
    assert_close(conv(h, w2, 2, 1), expected, "conv of a conv");
}

/// Gradients of Σ f(a, b)·r with respect to a and b, r drawn from `seed` (all ones for None).
fn grads(
    f: impl Fn(Tensor<4>, Tensor<4>) -> Tensor<4>,
    a: &Tensor<4>,
    b: &Tensor<4>,
    seed: Option<usize>,
) -> (Tensor<4>, Tensor<4>) {
    let device = Device::flex().autodiff();
    let a = Tensor::from_data(a.to_data(), &device).require_grad();
    let b = Tensor::from_data(b.to_data(), &device).require_grad();
    let y = f(a.clone(), b.clone());
    let y = match seed {
        Some(seed) => y.clone().mul(tensor(y.dims(), seed, &device)),
        None => y,
    };
    let g = y.sum().backward();
    let ga = a.grad(&g).expect("gradient of a");
    let gb = b.grad(&g).expect("gradient of b");
    let cpu = Device::flex();
    (
        Tensor::from_data(ga.into_data(), &cpu),
        Tensor::from_data(gb.into_data(), &cpu),
    )
}

#[test]
fn gradients_of_the_convolution_match_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let x = tensor(shape, 1, &device);
        let w = tensor([o, shape[1], k, k], 2, &device);
        let (gx, gw) = grads(|x, w| conv(x, w, s, p), &x, &w, Some(5));
        let (bx, bw) = grads(|x, w| burn_conv(x, w, s, p), &x, &w, Some(5));
        assert_close(gx, bx, "conv: input gradient");
        assert_close(gw, bw, "conv: weight gradient");
    }
}

#[test]
fn gradients_of_the_transposed_convolution_match_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let w = tensor([o, shape[1], k, k], 2, &device);
        let out = burn_conv(tensor(shape, 1, &device), w.clone(), s, p).dims();
        let d = tensor(out, 3, &device);
        let hw = [shape[2], shape[3]];
        let (gd, gw) = grads(|d, w| conv_transpose(d, w, s, p, hw), &d, &w, Some(6));
        let (bd, bw) = grads(|d, w| burn_conv_transpose(d, w, s, p, hw), &d, &w, Some(6));
        assert_close(gd, bd, "conv_transpose: input gradient");
        assert_close(gw, bw, "conv_transpose: weight gradient");
    }
}

#[test]
fn gradients_of_the_weight_gradient_match_its_bilinear_form() {
    // Σ weight_grad(x, d)·r = Σ conv(x, r)·d, so both sides have the same gradients.
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let r = tensor([o, shape[1], k, k], 2, &device);
        let x = tensor(shape, 1, &device);
        let d = tensor(burn_conv(x.clone(), r.clone(), s, p).dims(), 3, &device);
        let cpu_r = r.clone();
        let (gx, gd) = grads(|x, d| weight_grad(x, d, s, p, k), &x, &d, Some(2));
        let (bx, bd) = grads(
            move |x, d| {
                let r = Tensor::from_data(cpu_r.to_data(), &x.device());
                burn_conv(x, r, s, p).mul(d)
            },
            &x,
            &d,
            None,
        );
        assert_close(gx, bx, "weight_grad: x gradient");
        assert_close(gd, bd, "weight_grad: d gradient");
    }
}
