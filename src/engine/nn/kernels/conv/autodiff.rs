//! Backward passes of the [`ConvKernels`] operations under burn's autodiff. Each operation's
//! gradients are the other two operations, run on the inner backend:
//!
//! - y = conv(x, w): ∂x = conv_transpose(g, w), ∂w = weight_grad(x, g);
//! - z = conv_transpose(d, w) (the adjoint of conv(·, w)): ∂d = conv(g, w), ∂w = weight_grad(g, d);
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

use super::ConvKernels;

/// Stride and padding of the operation.
type Steps = (usize, usize);

#[derive(Debug)]
struct ConvBackward;

impl<B: Backend + ConvKernels> Backward<B, 2> for ConvBackward {
    type State = (NodeId, NodeId, Steps);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_id, w_id, (stride, padding)) = ops.state;
        let x: B::FloatTensorPrimitive = ck.retrieve_node_output(x_id);
        let w: B::FloatTensorPrimitive = ck.retrieve_node_output(w_id);
        if let Some(node) = node_x {
            let [_, _, h, width] = x.shape().dims();
            let gx = B::strided_conv_input_grad(grad.clone(), w.clone(), stride, padding, h, width);
            grads.register::<B>(node.id, gx);
        }
        if let Some(node) = node_w {
            let k = w.shape()[2];
            let gw = B::strided_conv_weight_grad(x, grad, stride, padding, k);
            grads.register::<B>(node.id, gw);
        }
    }
}

#[derive(Debug)]
struct ConvTransposeBackward;

impl<B: Backend + ConvKernels> Backward<B, 2> for ConvTransposeBackward {
    type State = (NodeId, NodeId, Steps);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_d, node_w] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (d_id, w_id, (stride, padding)) = ops.state;
        let d: B::FloatTensorPrimitive = ck.retrieve_node_output(d_id);
        let w: B::FloatTensorPrimitive = ck.retrieve_node_output(w_id);
        if let Some(node) = node_d {
            let gd = B::strided_conv(grad.clone(), w.clone(), stride, padding);
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
            let [_, _, h, width] = x.shape().dims();
            let gx = B::strided_conv_input_grad(d.clone(), grad.clone(), stride, padding, h, width);
            grads.register::<B>(node.id, gx);
        }
        if let Some(node) = node_d {
            grads.register::<B>(node.id, B::strided_conv(x, grad, stride, padding));
        }
    }
}

impl<B: Backend + ConvKernels, C: CheckpointStrategy> ConvKernels for Autodiff<B, C> {
    fn strided_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        padding: usize,
    ) -> FloatTensor<Self> {
        let run = |x, w| B::strided_conv(x, w, stride, padding);
        match ConvBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (
                    prep.checkpoint(&x),
                    prep.checkpoint(&weight),
                    (stride, padding),
                );
                prep.finish(state, run(x.into_primitive(), weight.into_primitive()))
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(run(x.into_primitive(), weight.into_primitive()))
            }
        }
    }

    fn strided_conv_input_grad(
        grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        height: usize,
        width: usize,
    ) -> FloatTensor<Self> {
        let run = |d, w| B::strided_conv_input_grad(d, w, stride, padding, height, width);
        match ConvTransposeBackward
            .prepare::<C>([grad.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (
                    prep.checkpoint(&grad),
                    prep.checkpoint(&weight),
                    (stride, padding),
                );
                prep.finish(state, run(grad.into_primitive(), weight.into_primitive()))
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(run(grad.into_primitive(), weight.into_primitive()))
            }
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
}
