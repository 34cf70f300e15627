//! [`NormKernels`] on burn-flex. Batch norm works channel by channel (one thread per block of
//! channels) and writes its results channel-major, exposed to burn as a permuted view; the
//! elementwise activation keeps whatever layout its input has.

use super::loops::{
    self, Channels, NormParams, activate, activate_backward, batch_norm_backward,
    batch_norm_forward, dispatch,
};
use super::{BatchNormGrads, BatchNormed, InstanceNormed, Nonlinearity, NormKernels};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::{DType, Flex, Shape, TensorData, TensorMetadata};

/// The channel view of `t` [n, c, …] when its trailing dimensions are contiguous.
pub(in crate::engine::nn::kernels) fn channels(t: &FlexTensor) -> Option<Channels<'_>> {
    let dims = t.layout().shape().as_slice();
    let strides = t.layout().strides();
    if t.dtype() != DType::F32 || dims.len() < 2 {
        return None;
    }
    let mut expected = 1isize;
    for (d, s) in dims.iter().zip(strides).skip(2).rev() {
        if *d > 1 && *s != expected {
            return None;
        }
        expected *= *d as isize;
    }
    Some(Channels {
        data: t.storage::<f32>(),
        offset: t.layout().start_offset(),
        sn: usize::try_from(strides[0]).ok()?,
        sc: usize::try_from(strides[1]).ok()?,
        batch: dims[0],
        spatial: dims[2..].iter().product(),
    })
}

/// Runs `f` on the channel view of `t`, copying `t` to a contiguous tensor first if needed.
pub(in crate::engine::nn::kernels) fn with_channels<R>(
    t: &FlexTensor,
    f: impl FnOnce(&Channels<'_>) -> R,
) -> R {
    match channels(t) {
        Some(view) => f(&view),
        None => {
            let copy = t.to_contiguous();
            f(&channels(&copy).expect("a contiguous f32 tensor has a channel view"))
        }
    }
}

/// A channel-major buffer [c, n, …] seen as the tensor `shape` [n, c, …].
fn from_channel_major(values: Vec<f32>, shape: Shape) -> FlexTensor {
    let dims = shape.as_slice();
    let spatial: usize = dims[2..].iter().product();
    let mut strides = vec![spatial as isize, (dims[0] * spatial) as isize];
    let mut inner = spatial as isize;
    for d in &dims[2..] {
        inner /= (*d).max(1) as isize;
        strides.push(inner);
    }
    let data = FlexTensor::from_data(TensorData::new(values, [dims.iter().product::<usize>()]));
    FlexTensor::from_arc(data.data_arc(), Layout::new(shape, strides, 0), DType::F32)
}

pub(in crate::engine::nn::kernels) fn vector(values: Vec<f32>) -> FlexTensor {
    let n = values.len();
    FlexTensor::from_data(TensorData::new(values, [n]))
}

/// The forward loops' (mean, variance) pairs as two vectors.
fn statistics(stats: &[(f32, f32)]) -> (FlexTensor, FlexTensor) {
    (
        vector(stats.iter().map(|s| s.0).collect()),
        vector(stats.iter().map(|s| s.1).collect()),
    )
}

pub(in crate::engine::nn::kernels) fn values(t: &FlexTensor) -> Vec<f32> {
    t.clone()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

fn is_f32(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

impl NormKernels for Flex {
    fn batch_norm_act(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
        act: Nonlinearity,
    ) -> BatchNormed<Flex> {
        if !is_f32(&[&x, &gamma, &beta]) {
            return super::burn_batch_norm_act::<Flex>(x, gamma, beta, epsilon, act);
        }
        let shape = x.shape();
        let (gamma, beta) = (values(&gamma), values(&beta));
        let eps = epsilon as f32;
        let (out, stats) = with_channels(&x, |xv| {
            dispatch!(act, batch_norm_forward(xv, &gamma, &beta, eps))
        });
        let (mean, variance) = statistics(&stats);
        BatchNormed {
            output: from_channel_major(out, shape),
            mean,
            variance,
        }
    }

    fn batch_norm_act_backward(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        mean: FlexTensor,
        variance: FlexTensor,
        epsilon: f64,
        act: Nonlinearity,
        grad: FlexTensor,
    ) -> BatchNormGrads<Flex> {
        if !is_f32(&[&x, &gamma, &beta, &mean, &variance, &grad]) {
            let stats = [mean, variance];
            return super::burn_batch_norm_act_backward::<Flex>(
                x, gamma, beta, stats, epsilon, act, grad,
            );
        }
        let shape = x.shape();
        let (gamma, beta) = (values(&gamma), values(&beta));
        let (mean, variance) = (values(&mean), values(&variance));
        let params = NormParams {
            gamma: &gamma,
            beta: &beta,
            mean: &mean,
            variance: &variance,
            epsilon: epsilon as f32,
        };
        let (dx, sums) = with_channels(&x, |xv| {
            with_channels(&grad, |gv| {
                dispatch!(act, batch_norm_backward(xv, gv, &params))
            })
        });
        BatchNormGrads {
            x: from_channel_major(dx, shape),
            gamma: vector(sums.iter().map(|s| s.0).collect()),
            beta: vector(sums.iter().map(|s| s.1).collect()),
        }
    }

    fn instance_norm_act(x: FlexTensor, epsilon: f64, act: Nonlinearity) -> InstanceNormed<Flex> {
        let x = with_planes_laid_out(x);
        let Some(view) = plane_view(&x) else {
            return super::instance::burn_instance_norm_act::<Flex>(x, epsilon, act);
        };
        // One batch-norm "channel" per plane, batch 1, γ = 1 and β = 0: the same arithmetic.
        let (ones, zeros) = (vec![1.0; view_planes(&view)], vec![0.0; view_planes(&view)]);
        let eps = epsilon as f32;
        let (out, stats) = dispatch!(act, batch_norm_forward(&view, &ones, &zeros, eps));
        let (mean, variance) = statistics(&stats);
        InstanceNormed {
            output: same_layout(out, &x),
            mean,
            variance,
        }
    }

    fn instance_norm_act_backward(
        x: FlexTensor,
        mean: FlexTensor,
        variance: FlexTensor,
        epsilon: f64,
        act: Nonlinearity,
        grad: FlexTensor,
    ) -> FlexTensor {
        // The forward pass saw x after `with_planes_laid_out`, which leaves a tensor that has
        // a plane view as it is: the same x gives the same planes here.
        let x = with_planes_laid_out(x);
        let grad = if same_strides(&x, &grad) {
            grad
        } else {
            reorder_like(&grad, &x)
        };
        let (Some(xv), Some(gv)) = (plane_view(&x), plane_view(&grad)) else {
            let stats = [mean, variance];
            return super::instance::burn_instance_norm_act_backward::<Flex>(
                x, stats, epsilon, act, grad,
            );
        };
        let planes = view_planes(&xv);
        let (ones, zeros) = (vec![1.0; planes], vec![0.0; planes]);
        let (mean, variance) = (values(&mean), values(&variance));
        let params = NormParams {
            gamma: &ones,
            beta: &zeros,
            mean: &mean,
            variance: &variance,
            epsilon: epsilon as f32,
        };
        let (dx, _) = dispatch!(act, batch_norm_backward(&xv, &gv, &params));
        same_layout(dx, &x)
    }

    fn activate(x: FlexTensor, act: Nonlinearity) -> FlexTensor {
        match dense(&x) {
            Some(src) => same_layout(dispatch!(act, activate(src)), &x),
            None => super::burn_activate::<Flex>(x, act),
        }
    }

    fn activate_backward(x: FlexTensor, grad: FlexTensor, act: Nonlinearity) -> FlexTensor {
        let grad = if same_strides(&x, &grad) {
            grad
        } else {
            // Reorder the gradient into x's layout (a copy of one tensor, not of both).
            reorder_like(&grad, &x)
        };
        match (dense(&x), dense(&grad)) {
            (Some(xs), Some(gs)) => same_layout(dispatch!(act, activate_backward(xs, gs)), &x),
            _ => super::burn_activate_backward::<Flex>(x, grad, act),
        }
    }
}

/// The planes (sample, channel) of `t` [n, c, …] in the order they lie in memory, as the
/// batch-norm loops' view of that many channels of batch 1: when `t` fills a gap-free block
/// and each plane is one contiguous run (NCHW, and the channel-major layout the convolution
/// kernels return).
fn plane_view(t: &FlexTensor) -> Option<Channels<'_>> {
    let data = dense(t)?;
    let spatial = channels(t)?.spatial;
    Some(Channels {
        data,
        offset: 0,
        sn: 0,
        sc: spatial,
        batch: 1,
        spatial,
    })
}

fn view_planes(view: &Channels<'_>) -> usize {
    view.data.len() / view.spatial.max(1)
}

/// `t` itself when it has a [`plane_view`], else a contiguous copy (which has one).
fn with_planes_laid_out(t: FlexTensor) -> FlexTensor {
    if t.dtype() != DType::F32 || t.shape().num_dims() < 3 || plane_view(&t).is_some() {
        t
    } else {
        t.to_contiguous()
    }
}

/// Whether `a` and `b` (of one shape) store their elements in the same order.
fn same_strides(a: &FlexTensor, b: &FlexTensor) -> bool {
    let dims = a.layout().shape().as_slice();
    let (sa, sb) = (a.layout().strides(), b.layout().strides());
    dims.iter()
        .zip(sa.iter().zip(sb))
        .all(|(d, (x, y))| *d <= 1 || x == y)
}

/// `t` copied into the element order of `like` (a dense tensor of the same shape).
fn reorder_like(t: &FlexTensor, like: &FlexTensor) -> FlexTensor {
    // Order the axes by like's strides, outermost first; copying t's permuted view
    // contiguously then stores t in like's order, and permuting back restores the shape.
    let strides = like.layout().strides();
    let mut axes: Vec<usize> = (0..strides.len()).collect();
    axes.sort_by_key(|&a| std::cmp::Reverse(strides[a]));
    let mut inverse = vec![0; axes.len()];
    for (i, &a) in axes.iter().enumerate() {
        inverse[a] = i;
    }
    let ordered = t.permute(&axes).to_contiguous();
    ordered.permute(&inverse)
}

/// The storage of `t` when its elements fill a gap-free block in some order (any permutation
/// of a contiguous layout), as that block.
fn dense(t: &FlexTensor) -> Option<&[f32]> {
    if t.dtype() != DType::F32 {
        return None;
    }
    let layout = t.layout();
    let mut dims: Vec<(isize, usize)> = layout
        .strides()
        .iter()
        .copied()
        .zip(layout.shape().as_slice().iter().copied())
        .filter(|(_, d)| *d > 1)
        .collect();
    dims.sort_unstable();
    let mut expected = 1isize;
    for (stride, d) in dims {
        if stride != expected {
            return None;
        }
        expected *= d as isize;
    }
    let n = layout.num_elements();
    let start = layout.start_offset();
    t.storage::<f32>().get(start..start + n)
}

/// `values`, laid out as `like` is (same strides, from offset 0).
fn same_layout(values: Vec<f32>, like: &FlexTensor) -> FlexTensor {
    let n = values.len();
    let data = FlexTensor::from_data(TensorData::new(values, [n]));
    let layout = Layout::new(like.shape(), like.layout().strides().to_vec(), 0);
    FlexTensor::from_arc(data.data_arc(), layout, DType::F32)
}
