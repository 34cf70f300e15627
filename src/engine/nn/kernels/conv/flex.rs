//! [`ConvKernels`] on burn-flex: im2col / col2im around one GEMM per operation (burn-flex's
//! own strided matrix product, which runs the `gemm` crate on all cores for large products).
//! Results stay in the layout the product leaves them in (channel-major), exposed to burn as
//! permuted views; burn's operations accept any strides, so nothing is copied to reorder them.

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::{FloatTensorOps, ModuleOps};
use burn::backend::{DType, Flex, Shape, TensorData, TensorMetadata};
use rayon::prelude::*;

use super::super::gemm::{self, MatRef, recycle, scratch};
use super::im2col::{ConvGeometry, Strided4, channel_sums, col2im, im2col};
use super::{ConvKernels, SavedConv};
use super::{direct, implicit, transposed};

type F = Flex;

/// A read-only strided view of a 4-D f32 tensor, when its layout allows one.
fn strided(t: &FlexTensor) -> Option<Strided4<'_>> {
    if t.dtype() != DType::F32 || t.layout().num_dims() != 4 {
        return None;
    }
    let s = t.layout().strides();
    let strides: [usize; 4] = [
        usize::try_from(s[0]).ok()?,
        usize::try_from(s[1]).ok()?,
        usize::try_from(s[2]).ok()?,
        usize::try_from(s[3]).ok()?,
    ];
    Some(Strided4 {
        data: t.storage::<f32>(),
        offset: t.layout().start_offset(),
        strides,
    })
}

/// `t` as a strided view with contiguous rows (what im2col reads fastest and the direct
/// kernels need), copied to a contiguous tensor first when its strides are otherwise
/// (negative after a flip, say).
fn with_view<R>(t: &FlexTensor, f: impl FnOnce(Strided4<'_>) -> R) -> R {
    match strided(t) {
        Some(view) if view.strides[3] == 1 => f(view),
        _ => {
            let copy = t.to_contiguous();
            f(strided(&copy).expect("a contiguous f32 tensor has a strided view"))
        }
    }
}

/// A contiguous [n, c, h, w] tensor.
fn nchw(values: Vec<f32>, dims: [usize; 4]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, dims))
}

/// The stride-1 convolution with few output channels, done directly (see `direct`).
fn direct_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: &ConvGeometry,
) -> FlexTensor {
    let o = weight.shape()[0];
    let y = with_view(x, |view| {
        direct::conv(view, &values(weight), &values(bias), g)
    });
    nchw(y, [g.batch, o, g.out_height(), g.out_width()])
}

fn geometry(x: &Shape, kernel: usize, stride: usize, padding: usize) -> ConvGeometry {
    ConvGeometry::new(x.dims(), kernel, stride, padding)
}

fn matrix(values: Vec<f32>, rows: usize, cols: usize) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, [rows, cols]))
}

/// [n, c, h, w] → the matrix [c, n·h·w] (a free view when already channel-major).
fn channel_major_matrix(t: FlexTensor) -> FlexTensor {
    let [n, c, h, w] = t.shape().dims();
    F::float_reshape(
        F::float_permute(t, &[1, 0, 2, 3]),
        Shape::new([c, n * h * w]),
    )
}

/// The channel-major matrix [c, n·h·w] seen as the tensor [n, c, h, w], without a copy (the
/// matrix products return contiguous matrices; anything else is copied first).
fn from_channel_major(m: &FlexTensor, [n, c, h, w]: [usize; 4]) -> FlexTensor {
    if !m.is_contiguous() {
        return from_channel_major(&m.to_contiguous(), [n, c, h, w]);
    }
    let data = m.data_arc();
    let offset = m.layout().start_offset();
    let plane = (h * w) as isize;
    let layout = Layout::new(
        Shape::new([n, c, h, w]),
        vec![plane, n as isize * plane, w as isize, 1],
        offset,
    );
    FlexTensor::from_arc(data, layout, DType::F32)
}

fn is_f32(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

fn values(t: &FlexTensor) -> Vec<f32> {
    t.clone()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

/// [rows, cols] with every element of row r equal to `bias[r]`.
fn bias_rows(bias: &[f32], cols: usize) -> Vec<f32> {
    let mut y = scratch(bias.len() * cols);
    y.par_chunks_mut(cols.max(1))
        .zip(bias.par_iter())
        .for_each(|(row, b)| row.fill(*b));
    y
}

/// A contiguous 2-D f32 tensor as a matrix view.
fn mat(t: &FlexTensor) -> MatRef<'_> {
    let [rows, cols] = t.shape().dims();
    let offset = t.layout().start_offset();
    let data = t.storage::<f32>();
    MatRef {
        offset,
        ..MatRef::row_major(data, rows, cols)
    }
}

/// `t` with a contiguous layout (itself when it already has one).
fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() {
        t
    } else {
        t.to_contiguous()
    }
}

fn vector(values: Vec<f32>) -> FlexTensor {
    let n = values.len();
    FlexTensor::from_data(TensorData::new(values, [n]))
}

/// The convolution of `x` (f32): its output [o, n·h'·w'] and its column matrix.
fn forward(
    x: &FlexTensor,
    weight: FlexTensor,
    bias: &FlexTensor,
    g: &ConvGeometry,
) -> (Vec<f32>, Vec<f32>) {
    let o = weight.shape()[0];
    let cols = with_view(x, |view| im2col(view, g));
    let (rows, len) = (g.col_rows(), g.col_len());
    let weight = contiguous(F::float_reshape(weight, Shape::new([o, rows])));
    let mut y = bias_rows(&values(bias), len);
    gemm::matmul(
        &mut y,
        mat(&weight),
        MatRef::row_major(&cols, rows, len),
        true,
    );
    (y, cols)
}

/// The weight gradient [o, c, k, k] from the column matrix `cols` [c·k·k, n·h'·w'] of the
/// input and the output gradient.
fn weight_grad_from(cols: MatRef<'_>, grad: FlexTensor, kernel: usize) -> FlexTensor {
    let rows = cols.rows;
    let o = grad.shape()[1];
    let grad = contiguous(channel_major_matrix(grad)); // [o, n·h'·w']
    let mut dw = scratch(o * rows);
    gemm::matmul(&mut dw, mat(&grad), cols.t(), false);
    let shape = Shape::new([o, rows / (kernel * kernel), kernel, kernel]);
    F::float_reshape(matrix(dw, o, rows), shape)
}

/// The transposed stride-1 convolution (`g` is the forward convolution's geometry) as the
/// convolution it is: the output gradient's column matrix times the flipped weights, so that
/// it gathers with `im2col` (whole shifted image rows per copy at stride 1) instead of
/// scattering with `col2im` (one add loop per output row, 7 values long in CycleGAN's residual
/// blocks). Measured alone it was even with col2im (BENCHMARKS.md); it is what lets the
/// one-channel stem's input gradient go `direct` and keeps col2im for strided layers only.
fn stride_one_transpose(
    grad: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    g: &ConvGeometry,
) -> FlexTensor {
    let [o, c, k, _] = weight.shape().dims();
    let back = direct::adjoint_geometry(g, o);
    let flipped = direct::flipped(&values(weight), o, c, k); // [c, o·k·k]
    if implicit::applies(&back) {
        let dx = with_view(grad, |view| {
            implicit::conv(view, &flipped, &values(bias), &back)
        });
        return nchw(dx, [g.batch, c, g.height, g.width]);
    }
    let cols = with_view(grad, |view| im2col(view, &back)); // [o·k·k, n·h·w]
    let (rows, len) = (back.col_rows(), back.col_len());
    let mut y = bias_rows(&values(bias), len);
    gemm::matmul(
        &mut y,
        MatRef::row_major(&flipped, c, rows),
        MatRef::row_major(&cols, rows, len),
        true,
    );
    recycle(cols);
    from_channel_major(&matrix(y, c, len), [g.batch, c, g.height, g.width])
}

impl ConvKernels for Flex {
    fn strided_conv(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        stride: usize,
        padding: usize,
    ) -> FlexTensor {
        if !is_f32(&[&x, &weight, &bias]) {
            return F::conv2d(x, weight, Some(bias), super::conv_options(stride, padding));
        }
        let [o, _, k, _] = weight.shape().dims();
        let g = geometry(&x.shape(), k, stride, padding);
        if direct::applies(stride, o) {
            return direct_forward(&x, &weight, &bias, &g);
        }
        if implicit::applies(&g) {
            let y = with_view(&x, |view| {
                implicit::conv(view, &values(&weight), &values(&bias), &g)
            });
            return nchw(y, [g.batch, o, g.out_height(), g.out_width()]);
        }
        let (y, cols) = forward(&x, weight, &bias, &g);
        recycle(cols);
        let len = g.col_len();
        from_channel_major(
            &matrix(y, o, len),
            [g.batch, o, g.out_height(), g.out_width()],
        )
    }

    fn strided_conv_saving(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        stride: usize,
        padding: usize,
    ) -> SavedConv<Flex> {
        // Only the input is kept, never the column matrix: the weight gradient builds the
        // columns again. Columns are k² times the input (a CycleGAN round kept ~115 MB of them
        // alive from forward to backward, written, cleared and read back from memory); built
        // again right before their product they are read while still in cache. A CycleGAN
        // round ran 7-10 % faster this way, the DCGAN step the same to 5 % (BENCHMARKS.md).
        let output = Self::strided_conv(x.clone(), weight, bias, stride, padding);
        SavedConv { output, saved: x }
    }

    fn strided_conv_transpose(
        grad: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        stride: usize,
        padding: usize,
        height: usize,
        width: usize,
    ) -> FlexTensor {
        if !is_f32(&[&grad, &weight, &bias]) {
            let options =
                super::transpose_options::<F>(&grad, &weight, stride, padding, [height, width]);
            return F::conv_transpose2d(grad, weight, Some(bias), options);
        }
        let [o, c, k, _] = weight.shape().dims();
        let n = grad.shape()[0];
        let g = ConvGeometry::new([n, c, height, width], k, stride, padding);
        let [_, _, oh, ow] = grad.shape().dims();
        let stride_one = stride == 1 && padding < k && (g.out_height(), g.out_width()) == (oh, ow);
        if stride_one && (direct::applies(1, o) || direct::applies(1, c)) {
            // Few channels on either side: the adjoint convolution directly (see `direct`).
            let dx = with_view(&grad, |view| {
                direct::input_grad(view, &values(&weight), &values(&bias), &g)
            });
            return nchw(dx, [n, c, height, width]);
        }
        if stride_one {
            return stride_one_transpose(&grad, &weight, &bias, &g);
        }
        if transposed::applies(&g, o) && (g.out_height(), g.out_width()) == (oh, ow) {
            let dx = with_view(&grad, |view| {
                transposed::conv_transpose(view, &values(&weight), &values(&bias), &g)
            });
            return nchw(dx, [n, c, height, width]);
        }
        let weight = contiguous(F::float_reshape(weight, Shape::new([o, g.col_rows()])));
        let grad = contiguous(channel_major_matrix(grad)); // [o, n·h'·w']
        let mut cols = scratch(g.col_rows() * g.col_len()); // [c·k·k, n·h'·w']
        gemm::matmul(&mut cols, mat(&weight).t(), mat(&grad), false);
        let image = col2im(&cols, &g, &values(&bias)); // [c, n, h, w]
        recycle(cols);
        from_channel_major(&matrix(image, c, n * height * width), [n, c, height, width])
    }

    fn strided_conv_weight_grad(
        x: FlexTensor,
        grad: FlexTensor,
        stride: usize,
        padding: usize,
        kernel: usize,
    ) -> FlexTensor {
        if !is_f32(&[&x, &grad]) {
            return super::burn_weight_grad::<F>(x, grad, stride, padding, kernel);
        }
        let g = geometry(&x.shape(), kernel, stride, padding);
        let o = grad.shape()[1];
        if direct::applies(stride, o) {
            let dw = with_view(&x, |xv| {
                with_view(&grad, |gv| direct::weight_grad(xv, gv, o, &g))
            });
            let dims = [o, g.channels, kernel, kernel];
            return nchw(dw, dims);
        }
        if implicit::applies(&g) {
            let dw = with_view(&x, |xv| {
                with_view(&grad, |gv| implicit::weight_grad(xv, gv, o, &g))
            });
            return nchw(dw, [o, g.channels, kernel, kernel]);
        }
        let cols = with_view(&x, |view| im2col(view, &g));
        let dw = weight_grad_from(
            MatRef::row_major(&cols, g.col_rows(), g.col_len()),
            grad,
            kernel,
        );
        recycle(cols);
        dw
    }

    fn strided_conv_weight_grad_saved(
        saved: FlexTensor,
        grad: FlexTensor,
        stride: usize,
        padding: usize,
        kernel: usize,
    ) -> FlexTensor {
        // What `strided_conv_saving` keeps is the input itself.
        Self::strided_conv_weight_grad(saved, grad, stride, padding, kernel)
    }

    fn channel_sums(grad: FlexTensor) -> FlexTensor {
        let dims: [usize; 4] = match grad.shape().num_dims() {
            4 if grad.dtype() == DType::F32 => grad.shape().dims(),
            _ => return default_channel_sums(grad),
        };
        vector(with_view(&grad, |view| channel_sums(view, dims)))
    }
}

/// The trait's default (burn's operations), for tensors the loop above does not handle.
fn default_channel_sums(grad: FlexTensor) -> FlexTensor {
    let c = grad.shape()[1];
    let per_channel = F::float_swap_dims(grad, 0, 1);
    let n = per_channel.shape().num_elements() / c;
    let flat = F::float_reshape(per_channel, Shape::new([c, n]));
    F::float_reshape(F::float_sum_dim(flat, 1), Shape::new([c]))
}
