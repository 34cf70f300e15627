//! Backward passes of the [`ConvKernels`] operations under burn's autodiff. Each operation's
//! gradients are the other operations, run on the inner backend:
//!
//! - y = conv(x, w) + b: ∂x = conv_transpose(g, w), ∂w = weight_grad(x, g), ∂b = Σ g;
//! - z = conv_transpose(d, w) + b (the adjoint of conv(·, w)): ∂d = conv(g, w),
//!   ∂w = weight_grad(g, d), ∂b = Σ g;
//! - v = weight_grad(x, d) (bilinear in x and d): ∂x = conv_transpose(d, g), ∂d = conv(x, g).
//!
//! WGAN-GP builds D's input gradient out of these operations as forward operations (the
//! transposed convolution is the input gradient of the convolution) and differentiates that
//! once, so every operation needs a correct backward and no backward is itself differentiated.

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, TensorMetadata};

use super::{ConvKernels, SavedConv, zero_bias};

/// Stride and padding of the operation.
type Steps = (usize, usize);

#[derive(Debug)]
struct ConvBackward;

impl<B: Backend + ConvKernels> Backward<B, 3> for ConvBackward {
    /// x, the weight, what the forward pass saved for the weight gradient (when the weight is
    /// tracked), stride and padding.
    type State = (NodeId, NodeId, Option<B::FloatTensorPrimitive>, Steps);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_id, w_id, saved, (stride, padding)) = ops.state;
        let x: B::FloatTensorPrimitive = ck.retrieve_node_output(x_id);
        let w: B::FloatTensorPrimitive = ck.retrieve_node_output(w_id);
        let k = w.shape()[2];
        if let Some(node) = node_b {
            grads.register::<B>(node.id, B::channel_sums(grad.clone()));
        }
        if let Some(node) = node_x {
            let [_, c, h, width] = x.shape().dims();
            let zero = zero_bias::<B>(&grad, c);
            let gx = B::strided_conv_transpose(grad.clone(), w, zero, stride, padding, h, width);
            grads.register::<B>(node.id, gx);
        }
        if let Some(node) = node_w {
            let gw = match saved {
                Some(saved) => B::strided_conv_weight_grad_saved(saved, grad, stride, padding, k),
                None => B::strided_conv_weight_grad(x, grad, stride, padding, k),
            };
            grads.register::<B>(node.id, gw);
        }
    }
}

#[derive(Debug)]
struct ConvTransposeBackward;

impl<B: Backend + ConvKernels> Backward<B, 3> for ConvTransposeBackward {
    type State = (NodeId, NodeId, Steps);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_d, node_w, node_b] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (d_id, w_id, (stride, padding)) = ops.state;
        let d: B::FloatTensorPrimitive = ck.retrieve_node_output(d_id);
        let w: B::FloatTensorPrimitive = ck.retrieve_node_output(w_id);
        if let Some(node) = node_b {
            grads.register::<B>(node.id, B::channel_sums(grad.clone()));
        }
        if let Some(node) = node_d {
            let zero = zero_bias::<B>(&grad, w.shape()[0]);
            let gd = B::strided_conv(grad.clone(), w.clone(), zero, stride, padding);
            grads.register::<B>(node.id, gd);
        }
        if let Some(node) = node_w {
            let k = w.shape()[2];
            let gw = B::strided_conv_weight_grad(grad, d, stride, padding, k);
            grads.register::<B>(node.id, gw);
        }
    }
}

#[derive(Debug)]
struct WeightGradBackward;

impl<B: Backend + ConvKernels> Backward<B, 2> for WeightGradBackward {
    type State = (NodeId, NodeId, Steps);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_x, node_d] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_id, d_id, (stride, padding)) = ops.state;
        let x: B::FloatTensorPrimitive = ck.retrieve_node_output(x_id);
        let d: B::FloatTensorPrimitive = ck.retrieve_node_output(d_id);
        if let Some(node) = node_x {
            let [_, c, h, width] = x.shape().dims();
            let zero = zero_bias::<B>(&grad, c);
            let gx =
                B::strided_conv_transpose(d.clone(), grad.clone(), zero, stride, padding, h, width);
            grads.register::<B>(node.id, gx);
        }
        if let Some(node) = node_d {
            let zero = zero_bias::<B>(&grad, d.shape()[1]);
            grads.register::<B>(node.id, B::strided_conv(x, grad, zero, stride, padding));
        }
    }
}

impl<B: Backend + ConvKernels, C: CheckpointStrategy> ConvKernels for Autodiff<B, C> {
    fn strided_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> FloatTensor<Self> {
        let weight_tracked = weight.is_tracked();
        match ConvBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let (x_id, w_id) = (prep.checkpoint(&x), prep.checkpoint(&weight));
                let (x, w, b) = (
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                );
                if weight_tracked {
                    let r = B::strided_conv_saving(x, w, b, stride, padding);
                    prep.finish((x_id, w_id, Some(r.saved), (stride, padding)), r.output)
                } else {
                    let y = B::strided_conv(x, w, b, stride, padding);
                    prep.finish((x_id, w_id, None, (stride, padding)), y)
                }
            }
            OpsKind::UnTracked(prep) => prep.finish(B::strided_conv(
                x.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
                stride,
                padding,
            )),
        }
    }

    fn strided_conv_saving(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> SavedConv<Self> {
        // The saved tensor is private to the backward pass; through autodiff it is the input.
        SavedConv {
            output: Self::strided_conv(x.clone(), weight, bias, stride, padding),
            saved: x,
        }
    }

    fn strided_conv_transpose(
        grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        height: usize,
        width: usize,
    ) -> FloatTensor<Self> {
        let run = |d, w, b| B::strided_conv_transpose(d, w, b, stride, padding, height, width);
        match ConvTransposeBackward
            .prepare::<C>([grad.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (
                    prep.checkpoint(&grad),
                    prep.checkpoint(&weight),
                    (stride, padding),
                );
                let y = run(
                    grad.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                );
                prep.finish(state, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(run(
                grad.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
            )),
        }
    }

    fn strided_conv_weight_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        kernel: usize,
    ) -> FloatTensor<Self> {
        let run = |x, d| B::strided_conv_weight_grad(x, d, stride, padding, kernel);
        match WeightGradBackward
            .prepare::<C>([x.node(), grad.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (
                    prep.checkpoint(&x),
                    prep.checkpoint(&grad),
                    (stride, padding),
                );
                prep.finish(state, run(x.into_primitive(), grad.into_primitive()))
            }
            OpsKind::UnTracked(prep) => prep.finish(run(x.into_primitive(), grad.into_primitive())),
        }
    }

    fn strided_conv_weight_grad_saved(
        saved: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        kernel: usize,
    ) -> FloatTensor<Self> {
        Self::strided_conv_weight_grad(saved, grad, stride, padding, kernel)
    }

    /// Runs on the inner backend; the result is a constant (only backward passes use it).
    fn channel_sums(grad: FloatTensor<Self>) -> FloatTensor<Self> {
        FloatTensor::<Self>::new(B::channel_sums(grad.into_primitive()))
    }
}
