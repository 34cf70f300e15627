//! The kernels against burn's own convolutions on the CPU backend: values and gradients,
//! biases included.

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor, TensorData};

use super::{conv, conv_transpose, weight_grad};

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 1013.0) - 0.5)
        .collect()
}

fn tensor<const D: usize>(shape: [usize; D], seed: usize, device: &Device) -> Tensor<D> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(values(n, seed), shape), device)
}

fn assert_close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
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

fn burn_conv(x: Tensor<4>, w: Tensor<4>, b: Tensor<1>, stride: usize, padding: usize) -> Tensor<4> {
    let options = ConvOptions::new([stride; 2], [padding; 2], [1, 1], 1);
    conv2d(x, w, Some(b), options)
}

fn burn_conv_transpose(
    d: Tensor<4>,
    w: Tensor<4>,
    b: Tensor<1>,
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
    conv_transpose2d(d, w, Some(b), options)
}

/// (input shape, out channels, kernel, stride, padding)
/// (input shape, output channels, kernel, stride, padding). The stride-1 cases cover each
/// route of the transposed convolution: few outputs (direct), few inputs (direct, a 7×7 stem
/// on one channel), and neither (the flipped weights times the gradient's columns, with the
/// 3×3 'same' padding and the 4×4 critic's uneven one). The last three are 'same'
/// convolutions with enough input channels for the implicit products (`implicit`), forward
/// and both gradients (whose input gradient, with as many output channels, is one too).
const CASES: [([usize; 4], usize, usize, usize, usize); 10] = [
    ([3, 5, 8, 8], 4, 4, 2, 1),
    ([2, 3, 9, 7], 6, 4, 2, 1),
    ([2, 2, 7, 7], 3, 3, 1, 1),
    ([1, 4, 6, 10], 2, 5, 2, 2),
    ([2, 1, 9, 8], 6, 7, 1, 3),
    ([2, 5, 7, 6], 6, 3, 1, 1),
    ([3, 4, 6, 7], 5, 4, 1, 1),
    ([2, 8, 7, 6], 9, 3, 1, 1),
    ([3, 9, 5, 5], 8, 5, 1, 2),
    ([2, 8, 6, 7], 8, 1, 1, 0),
];

/// Input, weight and the output shape of a case's convolution.
fn case(
    shape: [usize; 4],
    o: usize,
    k: usize,
    s: usize,
    p: usize,
    device: &Device,
) -> (Tensor<4>, Tensor<4>, [usize; 4]) {
    let x = tensor(shape, 1, device);
    let w = tensor([o, shape[1], k, k], 2, device);
    let out = burn_conv(x.clone(), w.clone(), tensor([o], 9, device), s, p).dims();
    (x, w, out)
}

#[test]
fn the_convolution_matches_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let (x, w, _) = case(shape, o, k, s, p, &device);
        let b = tensor([o], 9, &device);
        let ours = conv(x.clone(), w.clone(), b.clone(), s, p);
        assert_close(ours, burn_conv(x, w, b, s, p), "conv");
    }
}

#[test]
fn the_transposed_convolution_matches_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let (_, w, out) = case(shape, o, k, s, p, &device);
        let d = tensor(out, 3, &device);
        let b = tensor([shape[1]], 4, &device);
        let hw = [shape[2], shape[3]];
        assert_close(
            conv_transpose(d.clone(), w.clone(), b.clone(), s, p, hw),
            burn_conv_transpose(d, w, b, s, p, hw),
            "conv_transpose",
        );
    }
}

#[test]
fn a_channel_major_input_gives_the_same_convolution() {
    // The kernels return channel-major views; feeding one back in must not change the result.
    let device = Device::flex();
    let x = tensor([3, 4, 8, 8], 1, &device);
    let (w, b) = (tensor([5, 4, 4, 4], 2, &device), tensor([5], 3, &device));
    let (w2, b2) = (tensor([2, 5, 4, 4], 4, &device), tensor([2], 5, &device));
    let h = conv(x.clone(), w.clone(), b.clone(), 2, 1);
    let expected = burn_conv(burn_conv(x, w, b, 2, 1), w2.clone(), b2.clone(), 2, 1);
    assert_close(conv(h, w2, b2, 2, 1), expected, "conv of a conv");
}

/// Gradients of Σ f(a, w, b)·r (r fixed) with respect to a and, unless they are held
/// constant, w and b.
struct Grads {
    a: Tensor<4>,
    w: Option<Tensor<4>>,
    b: Option<Tensor<1>>,
}

fn grads(
    f: impl Fn(Tensor<4>, Tensor<4>, Tensor<1>) -> Tensor<4>,
    (a, w, b): (&Tensor<4>, &Tensor<4>, &Tensor<1>),
    constant_weights: bool,
) -> Grads {
    let device = Device::flex().autodiff();
    let a = Tensor::from_data(a.to_data(), &device).require_grad();
    let mut w = Tensor::from_data(w.to_data(), &device);
    let mut b = Tensor::from_data(b.to_data(), &device);
    if !constant_weights {
        w = w.require_grad();
        b = b.require_grad();
    }
    let y = f(a.clone(), w.clone(), b.clone());
    let r = tensor(y.dims(), 6, &device);
    let g = y.mul(r).sum().backward();
    let cpu = Device::flex();
    Grads {
        a: Tensor::from_data(a.grad(&g).expect("input gradient").into_data(), &cpu),
        w: w.grad(&g).map(|t| Tensor::from_data(t.into_data(), &cpu)),
        b: b.grad(&g).map(|t| Tensor::from_data(t.into_data(), &cpu)),
    }
}

fn assert_same_grads(ours: Grads, theirs: Grads, what: &str) {
    assert_close(ours.a, theirs.a, &format!("{what}: input gradient"));
    match (ours.w, theirs.w, ours.b, theirs.b) {
        (Some(w), Some(bw), Some(b), Some(bb)) => {
            assert_close(w, bw, &format!("{what}: weight gradient"));
            assert_close(b, bb, &format!("{what}: bias gradient"));
        }
        (None, None, None, None) => {}
        _ => panic!("{what}: gradients exist on one side only"),
    }
}

#[test]
fn gradients_of_the_convolution_match_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let (x, w, _) = case(shape, o, k, s, p, &device);
        let b = tensor([o], 9, &device);
        for constant in [false, true] {
            let ours = grads(|x, w, b| conv(x, w, b, s, p), (&x, &w, &b), constant);
            let theirs = grads(|x, w, b| burn_conv(x, w, b, s, p), (&x, &w, &b), constant);
            assert_same_grads(
                ours,
                theirs,
                &format!("conv {shape:?}, constant weights {constant}"),
            );
        }
    }
}

#[test]
fn gradients_of_the_transposed_convolution_match_burns() {
    let device = Device::flex();
    for (shape, o, k, s, p) in CASES {
        let (_, w, out) = case(shape, o, k, s, p, &device);
        let d = tensor(out, 3, &device);
        let b = tensor([shape[1]], 4, &device);
        let hw = [shape[2], shape[3]];
        for constant in [false, true] {
            let ours = grads(
                |d, w, b| conv_transpose(d, w, b, s, p, hw),
                (&d, &w, &b),
                constant,
            );
            let theirs = grads(
                |d, w, b| burn_conv_transpose(d, w, b, s, p, hw),
                (&d, &w, &b),
                constant,
            );
            assert_same_grads(ours, theirs, &format!("conv_transpose {shape:?}"));
        }
    }
}

#[test]
fn gradients_of_the_weight_gradient_match_its_bilinear_form() {
    // Σ weight_grad(x, d)·r = Σ conv(x, r)·d, so both sides have the same gradients.
    let cpu = Device::flex();
    let ad = cpu.clone().autodiff();
    let back =
        |t: Option<Tensor<4>>| Tensor::<4>::from_data(t.expect("gradient").into_data(), &cpu);
    for (shape, o, k, s, p) in CASES {
        let (x, _, out) = case(shape, o, k, s, p, &cpu);
        let d = tensor(out, 3, &cpu);
        let r = tensor([o, shape[1], k, k], 6, &ad);
        let leaf = |t: &Tensor<4>| Tensor::<4>::from_data(t.to_data(), &ad).require_grad();
        let (x1, d1) = (leaf(&x), leaf(&d));
        let g1 = weight_grad(x1.clone(), d1.clone(), s, p, k)
            .mul(r.clone())
            .sum()
            .backward();
        let (x2, d2) = (leaf(&x), leaf(&d));
        let zero = Tensor::<1>::zeros([o], &ad);
        let g2 = burn_conv(x2.clone(), r, zero, s, p)
            .mul(d2.clone())
            .sum()
            .backward();
        assert_close(
            back(x1.grad(&g1)),
            back(x2.grad(&g2)),
            "weight_grad: x gradient",
        );
        assert_close(
            back(d1.grad(&g1)),
            back(d2.grad(&g2)),
            "weight_grad: d gradient",
        );
    }
}
