//! The backward pass of [`EpilogueKernels`] under burn's autodiff: the forward operation
//! records one step whose backward is the inner backend's `scale_offset_bias_act_backward`.

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend};

use super::{EpilogueGrads, EpilogueKernels};
use crate::engine::nn::kernels::norm::Nonlinearity;

#[derive(Debug)]
struct EpilogueBackward;

impl<B: Backend + EpilogueKernels> Backward<B, 4> for EpilogueBackward {
    /// y, scale, offset, bias, the non-linearity and the gain.
    type State = ([NodeId; 4], Nonlinearity, f64);

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let ([y, scale, offset, bias], act, gain) = ops.state;
        let g = B::scale_offset_bias_act_backward(
            ck.retrieve_node_output(y),
            ck.retrieve_node_output(scale),
            ck.retrieve_node_output(offset),
            ck.retrieve_node_output(bias),
            act,
            gain,
            grad,
        );
        let [node_y, node_scale, node_offset, node_bias] = ops.parents;
        for (node, value) in [
            (node_y, g.y),
            (node_scale, g.scale),
            (node_offset, g.offset),
            (node_bias, g.bias),
        ] {
            if let Some(node) = node {
                grads.register::<B>(node.id, value);
            }
        }
    }
}

impl<B: Backend + EpilogueKernels, C: CheckpointStrategy> EpilogueKernels for Autodiff<B, C> {
    fn scale_offset_bias_act(
        y: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        offset: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        act: Nonlinearity,
        gain: f64,
    ) -> FloatTensor<Self> {
        let prep = EpilogueBackward
            .prepare::<C>([y.node(), scale.node(), offset.node(), bias.node()])
            .compute_bound()
            .stateful();
        let run = |y: FloatTensor<Self>,
                   scale: FloatTensor<Self>,
                   offset: FloatTensor<Self>,
                   bias: FloatTensor<Self>| {
            let (y, s, o, b) = (
                y.into_primitive(),
                scale.into_primitive(),
                offset.into_primitive(),
                bias.into_primitive(),
            );
            B::scale_offset_bias_act(y, s, o, b, act, gain)
        };
        match prep {
            OpsKind::Tracked(mut prep) => {
                let ids = [
                    prep.checkpoint(&y),
                    prep.checkpoint(&scale),
                    prep.checkpoint(&offset),
                    prep.checkpoint(&bias),
                ];
                prep.finish((ids, act, gain), run(y, scale, offset, bias))
            }
            OpsKind::UnTracked(prep) => prep.finish(run(y, scale, offset, bias)),
        }
    }

    /// Runs on the inner backend; the results are constants (see the trait).
    fn scale_offset_bias_act_backward(
        y: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        offset: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        act: Nonlinearity,
        gain: f64,
        grad: FloatTensor<Self>,
    ) -> EpilogueGrads<Self> {
        let g = B::scale_offset_bias_act_backward(
            y.into_primitive(),
            scale.into_primitive(),
            offset.into_primitive(),
            bias.into_primitive(),
            act,
            gain,
            grad.into_primitive(),
        );
        EpilogueGrads {
            y: FloatTensor::<Self>::new(g.y),
            scale: FloatTensor::<Self>::new(g.scale),
            offset: FloatTensor::<Self>::new(g.offset),
            bias: FloatTensor::<Self>::new(g.bias),
        }
    }
}
