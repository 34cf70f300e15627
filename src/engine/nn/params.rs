//! Whole-module parameter operations: EMA of weights, weight clipping, gradient norms and
//! finiteness checks. They walk any module, so every model family gets them for free.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId, Parameter};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// Flattened copies of every float parameter (and running statistic), keyed by id.
struct Collect {
    values: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().detach().without_autodiff();
        let n = t.shape().num_elements();
        self.values.insert(param.id, t.reshape([n]));
    }
}

/// Every float parameter value of `module`, flattened one parameter after another (in the
/// module's visiting order): for tests and inspection.
pub fn parameter_values<M: Module>(module: &M) -> Vec<f32> {
    struct All(Vec<f32>);
    impl ModuleVisitor for All {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val().detach();
            let n = t.shape().num_elements();
            let values = t
                .reshape([n])
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            self.0.extend(values);
        }
    }
    let mut all = All(Vec::new());
    module.visit(&mut all);
    all.0
}

struct Lerp {
    source: HashMap<ParamId, Tensor<1>>,
    decay: f32,
}

impl ModuleMapper for Lerp {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(src) = self.source.remove(&param.id) else {
            return param;
        };
        let decay = self.decay;
        param.map(|ema| {
            let dims = ema.dims();
            let src: Tensor<D> = src.to_device(&ema.device()).reshape(dims);
            ema.mul_scalar(decay).add(src.mul_scalar(1.0 - decay))
        })
    }
}

/// The decay an EMA uses at `step`: `decay`, capped early on by (1 + step) / (10 + step)
/// (TensorFlow's `ExponentialMovingAverage` with `num_updates`). Without the cap a 0.999
/// average still holds mostly the untrained G hundreds of steps in, and its samples are grey
/// mush while G's own already look like data; the cap lets the average span grow with the run
/// (≈ 55 steps at step 500, the full 1,000 from step ≈ 9,000 on).
pub fn ema_decay_at(decay: f32, step: u64) -> f32 {
    let n = step as f64;
    (decay as f64).min((1.0 + n) / (10.0 + n)) as f32
}

/// Moves `ema` towards `model` (same architecture, ids shared because `ema` began as a copy):
/// ema ← decay·ema + (1 − decay)·model, running statistics included.
pub fn ema_update<M: Module>(ema: M, model: &M, decay: f32) -> M {
    let mut collect = Collect {
        values: HashMap::new(),
    };
    model.visit(&mut collect);
    ema.map(&mut Lerp {
        source: collect.values,
        decay,
    })
}

/// (1 − `alpha`)·`a` + `alpha`·`b`, parameter by parameter in visiting order (ESRGAN's network
/// interpolation): `a` and `b` must have the same architecture; ids need not match (two
/// networks restored from a checkpoint have their own). Returns a copy of `a`'s structure
/// holding the mix, its parameters untracked (for inference).
pub fn mix_weights<M: Module>(a: &M, b: &M, alpha: f32) -> M {
    struct Ordered(Vec<Tensor<1>>);
    impl ModuleVisitor for Ordered {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val().detach();
            let n = t.shape().num_elements();
            self.0.push(t.reshape([n]));
        }
    }
    struct Mix {
        others: std::vec::IntoIter<Tensor<1>>,
        alpha: f32,
    }
    impl ModuleMapper for Mix {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(other) = self.others.next() else {
                return param;
            };
            let alpha = self.alpha;
            param.map(|mine| {
                let mine = mine.detach();
                let dims = mine.dims();
                let other: Tensor<D> = other.to_device(&mine.device()).reshape(dims);
                mine.mul_scalar(1.0 - alpha).add(other.mul_scalar(alpha))
            })
        }
    }
    let mut ordered = Ordered(Vec::new());
    b.visit(&mut ordered);
    a.clone().map(&mut Mix {
        others: ordered.0.into_iter(),
        alpha,
    })
}

struct Clip {
    bound: f32,
}

impl ModuleMapper for Clip {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let bound = self.bound;
        // The clamped weight must stay a tracked leaf: a detached one would make the critic's
        // next backward pass fail ("requires a tracked autodiff tensor").
        param.map(|t| {
            let tracked = t.is_require_grad();
            Parameter::set_require_grad(t.clamp(-bound, bound).detach(), tracked)
        })
    }
}

/// Clamps every weight to [-bound, bound] (the original WGAN's Lipschitz constraint).
pub fn clip_weights<M: Module>(module: M, bound: f32) -> M {
    module.map(&mut Clip { bound })
}

struct GradNorm<'a> {
    grads: &'a GradientsParams,
    sum: Option<Tensor<1>>,
}

impl ModuleVisitor for GradNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.square().sum();
            self.sum = Some(match self.sum.take() {
                Some(acc) => acc.add(s),
                None => s,
            });
        }
    }
}

/// The global L2 norm of `module`'s gradients as a one-element tensor (read with the other
/// step statistics, so a step syncs with the device once).
pub fn grad_norm<M: Module>(module: &M, grads: &GradientsParams) -> Option<Tensor<1>> {
    let mut v = GradNorm { grads, sum: None };
    module.visit(&mut v);
    v.sum.map(Tensor::sqrt)
}

struct NonFinite {
    flags: Vec<Tensor<1>>,
    paths: Vec<String>,
    path: Vec<String>,
}

impl ModuleVisitor for NonFinite {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().detach();
        // 1 when any value is NaN or ±Inf.
        let bad = t.is_finite().bool_not().any().float();
        self.flags.push(bad);
        self.paths.push(self.path.join("."));
    }
}

/// The first parameter of `module` holding a NaN or an infinity, by path, if any.
pub fn first_non_finite<M: Module>(module: &M) -> Option<String> {
    let mut v = NonFinite {
        flags: Vec::new(),
        paths: Vec::new(),
        path: Vec::new(),
    };
    module.visit(&mut v);
    if v.flags.is_empty() {
        return None;
    }
    let data = Tensor::cat(v.flags, 0).into_data();
    let flags = data.try_to_vec::<f32>().unwrap_or_default();
    flags
        .iter()
        .position(|&f| f > 0.5)
        .map(|i| v.paths[i].clone())
}

#[cfg(test)]
mod tests {
    use super::ema_decay_at;

    #[test]
    fn the_ema_decay_warms_up_to_the_chosen_one() {
        assert!((ema_decay_at(0.999, 0) - 0.1).abs() < 1e-6);
        assert!((ema_decay_at(0.999, 500) - 501.0 / 510.0).abs() < 1e-6);
        assert_eq!(ema_decay_at(0.999, 9_000), 0.999);
        assert_eq!(
            ema_decay_at(0.9, 100),
            0.9,
            "a short average is never lengthened"
        );
        let rising: Vec<f32> = [0, 10, 100, 1000].map(|s| ema_decay_at(0.999, s)).to_vec();
        assert!(rising.windows(2).all(|w| w[0] < w[1]), "{rising:?}");
    }
}
