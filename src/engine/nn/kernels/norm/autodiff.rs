//! Backward passes of [`NormKernels`] under burn's autodiff: each forward operation records
//! one step whose backward is the matching `*_backward` kernel of the inner backend.

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend};

use super::{BatchNormGrads, BatchNormed, InstanceNormed, Nonlinearity, NormKernels};

#[derive(Debug)]
struct BatchNormActBackward;

impl<B: Backend + NormKernels> Backward<B, 3> for BatchNormActBackward {
    /// x, γ, β, the batch mean and variance, ε and the non-linearity.
    type State = (
        NodeId,
        NodeId,
        NodeId,
        B::FloatTensorPrimitive,
        B::FloatTensorPrimitive,
        f64,
        Nonlinearity,
    );

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_id, gamma_id, beta_id, mean, variance, epsilon, act) = ops.state;
        let x: B::FloatTensorPrimitive = ck.retrieve_node_output(x_id);
        let gamma: B::FloatTensorPrimitive = ck.retrieve_node_output(gamma_id);
        let beta: B::FloatTensorPrimitive = ck.retrieve_node_output(beta_id);
        let g = B::batch_norm_act_backward(x, gamma, beta, mean, variance, epsilon, act, grad);
        if let Some(node) = node_x {
            grads.register::<B>(node.id, g.x);
        }
        if let Some(node) = node_gamma {
            grads.register::<B>(node.id, g.gamma);
        }
        if let Some(node) = node_beta {
            grads.register::<B>(node.id, g.beta);
        }
    }
}

#[derive(Debug)]
struct InstanceNormActBackward;

impl<B: Backend + NormKernels> Backward<B, 1> for InstanceNormActBackward {
    /// x, the planes' means and variances, ε and the non-linearity.
    type State = (
        NodeId,
        B::FloatTensorPrimitive,
        B::FloatTensorPrimitive,
        f64,
        Nonlinearity,
    );

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_id, mean, variance, epsilon, act) = ops.state;
        if let Some(node) = node_x {
            let x: B::FloatTensorPrimitive = ck.retrieve_node_output(x_id);
            let dx = B::instance_norm_act_backward(x, mean, variance, epsilon, act, grad);
            grads.register::<B>(node.id, dx);
        }
    }
}

#[derive(Debug)]
struct ActivateBackward;

impl<B: Backend + NormKernels> Backward<B, 1> for ActivateBackward {
    type State = (NodeId, Nonlinearity);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, ck: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_id, act) = ops.state;
        if let Some(node) = node_x {
            let x: B::FloatTensorPrimitive = ck.retrieve_node_output(x_id);
            grads.register::<B>(node.id, B::activate_backward(x, grad, act));
        }
    }
}

impl<B: Backend + NormKernels, C: CheckpointStrategy> NormKernels for Autodiff<B, C> {
    fn batch_norm_act(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
    ) -> BatchNormed<Self> {
        let prep = BatchNormActBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let run = |x: FloatTensor<Self>, gamma: FloatTensor<Self>, beta: FloatTensor<Self>| {
            let (x, g, b) = (
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
            );
            B::batch_norm_act(x, g, b, epsilon, act)
        };
        let untracked = |t| FloatTensor::<Self>::new(t);
        match prep {
            OpsKind::Tracked(mut prep) => {
                let ids = (
                    prep.checkpoint(&x),
                    prep.checkpoint(&gamma),
                    prep.checkpoint(&beta),
                );
                let r = run(x, gamma, beta);
                let (mean, variance) = (r.mean.clone(), r.variance.clone());
                let state = (ids.0, ids.1, ids.2, mean, variance, epsilon, act);
                BatchNormed {
                    output: prep.finish(state, r.output),
                    mean: untracked(r.mean),
                    variance: untracked(r.variance),
                }
            }
            OpsKind::UnTracked(prep) => {
                let r = run(x, gamma, beta);
                BatchNormed {
                    output: prep.finish(r.output),
                    mean: untracked(r.mean),
                    variance: untracked(r.variance),
                }
            }
        }
    }

    fn instance_norm_act(
        x: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
    ) -> InstanceNormed<Self> {
        let prep = InstanceNormActBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let untracked = |t| FloatTensor::<Self>::new(t);
        match prep {
            OpsKind::Tracked(mut prep) => {
                let id = prep.checkpoint(&x);
                let r = B::instance_norm_act(x.into_primitive(), epsilon, act);
                let state = (id, r.mean.clone(), r.variance.clone(), epsilon, act);
                InstanceNormed {
                    output: prep.finish(state, r.output),
                    mean: untracked(r.mean),
                    variance: untracked(r.variance),
                }
            }
            OpsKind::UnTracked(prep) => {
                let r = B::instance_norm_act(x.into_primitive(), epsilon, act);
                InstanceNormed {
                    output: prep.finish(r.output),
                    mean: untracked(r.mean),
                    variance: untracked(r.variance),
                }
            }
        }
    }

    /// Runs on the inner backend; the result is a constant (see the trait).
    fn instance_norm_act_backward(
        x: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        variance: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        FloatTensor::<Self>::new(B::instance_norm_act_backward(
            x.into_primitive(),
            mean.into_primitive(),
            variance.into_primitive(),
            epsilon,
            act,
            grad.into_primitive(),
        ))
    }

    /// Runs on the inner backend; the results are constants (see the trait).
    fn batch_norm_act_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        variance: FloatTensor<Self>,
        epsilon: f64,
        act: Nonlinearity,
        grad: FloatTensor<Self>,
    ) -> BatchNormGrads<Self> {
        let g = B::batch_norm_act_backward(
            x.into_primitive(),
            gamma.into_primitive(),
            beta.into_primitive(),
            mean.into_primitive(),
            variance.into_primitive(),
            epsilon,
            act,
            grad.into_primitive(),
        );
        BatchNormGrads {
            x: FloatTensor::<Self>::new(g.x),
            gamma: FloatTensor::<Self>::new(g.gamma),
            beta: FloatTensor::<Self>::new(g.beta),
        }
    }

    fn activate(x: FloatTensor<Self>, act: Nonlinearity) -> FloatTensor<Self> {
        match ActivateBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), act);
                prep.finish(state, B::activate(x.into_primitive(), act))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::activate(x.into_primitive(), act)),
        }
    }

    /// Runs on the inner backend; the result is a constant (see the trait).
    fn activate_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        act: Nonlinearity,
    ) -> FloatTensor<Self> {
        let g = B::activate_backward(x.into_primitive(), grad.into_primitive(), act);
        FloatTensor::<Self>::new(g)
    }
}
