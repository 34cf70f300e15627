//! [`ConvKernels`] on burn-flex: im2col / col2im around one GEMM per operation (burn-flex's
//! own strided matrix product, which runs the `gemm` crate on all cores for large products).
//! Results stay in the layout the product leaves them in (channel-major), exposed to burn as
//! permuted views; burn's operations accept any strides, so nothing is copied to reorder them.

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::FloatTensorOps;
use burn::backend::{DType, Flex, Shape, TensorData, TensorMetadata};

use super::ConvKernels;
use super::im2col::{ConvGeometry, Strided4, col2im, im2col};

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

/// `t` as a strided view, copied to a contiguous tensor first when its strides are unusual
/// (negative after a flip, say).
fn with_view<R>(t: &FlexTensor, f: impl FnOnce(Strided4<'_>) -> R) -> R {
    match strided(t) {
        Some(view) => f(view),
        None => {
            let copy = t.to_contiguous();
            f(strided(&copy).expect("a contiguous f32 tensor has a strided view"))
        }
    }
}

fn geometry(x: &Shape, kernel: usize, stride: usize, padding: usize) -> ConvGeometry {
    let [batch, channels, height, width] = x.dims();
    ConvGeometry {
        batch,
        channels,
        height,
        width,
        kernel,
        stride,
        padding,
    }
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

impl ConvKernels for Flex {
    fn strided_conv(
        x: FlexTensor,
        weight: FlexTensor,
        stride: usize,
        padding: usize,
    ) -> FlexTensor {
        if !is_f32(&[&x, &weight]) {
            return super::burn_conv::<F>(x, weight, stride, padding);
        }
        let [o, _, k, _] = weight.shape().dims();
        let g = geometry(&x.shape(), k, stride, padding);
        let cols = with_view(&x, |view| im2col(view, &g));
        let cols = matrix(cols, g.col_rows(), g.col_len());
        let w = F::float_reshape(weight, Shape::new([o, g.col_rows()]));
        let y = F::float_matmul(w, cols); // [o, n·h'·w']
        from_channel_major(&y, [g.batch, o, g.out_height(), g.out_width()])
    }

    fn strided_conv_input_grad(
        grad: FlexTensor,
        weight: FlexTensor,
        stride: usize,
        padding: usize,
        height: usize,
        width: usize,
    ) -> FlexTensor {
        if !is_f32(&[&grad, &weight]) {
            return super::burn_input_grad::<F>(grad, weight, stride, padding, [height, width]);
        }
        let [o, c, k, _] = weight.shape().dims();
        let n = grad.shape()[0];
        let g = ConvGeometry {
            batch: n,
            channels: c,
            height,
            width,
            kernel: k,
            stride,
            padding,
        };
        let w_t = F::float_transpose(F::float_reshape(weight, Shape::new([o, g.col_rows()])));
        let cols = F::float_matmul(w_t, channel_major_matrix(grad)); // [c·k·k, n·h'·w']
        let image = match cols.as_slice::<f32>() {
            Some(values) => col2im(values, &g), // [c, n, h, w]
            None => col2im(cols.to_contiguous().storage::<f32>(), &g),
        };
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
        let cols = with_view(&x, |view| im2col(view, &g));
        let cols_t = F::float_transpose(matrix(cols, g.col_rows(), g.col_len()));
        let dw = F::float_matmul(channel_major_matrix(grad), cols_t); // [o, c·k·k]
        F::float_reshape(dw, Shape::new([o, g.channels, kernel, kernel]))
    }
}
