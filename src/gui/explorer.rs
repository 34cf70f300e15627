//! The latent explorer: a slider for each of the first latent dimensions (the rest fixed and
//! re-rollable), a class picker for conditional models, and an interpolation strip between two
//! stored vectors (linear or spherical). Every change asks the trainer for a render; the
//! trainer answers between steps, newest request first, so it works while training runs.

use eframe::egui;

use super::action::Action;
use crate::engine::config::{LatentPrior, ModelConfig};
use crate::engine::latent::LatentSampler;
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::{RenderRequest, Samples};

/// Sliders shown at most (the rest of the vector stays as rolled).
const SLIDERS: usize = 8;
/// Frames in the interpolation strip.
const STRIP: usize = 8;
/// Request ids: the single sample and the strip are told apart by parity.
const SINGLE: u64 = 0;
const STRIP_ID: u64 = 1;

/// What the explorer holds between frames.
pub struct Explorer {
    pub open: bool,
    pub z: Vec<f32>,
    /// What `z` is drawn from (the model's prior): sets the rolls and the sliders' range.
    pub sampler: LatentSampler,
    pub class: u32,
    pub a: Option<Vec<f32>>,
    pub b: Option<Vec<f32>>,
    pub spherical: bool,
    rng: Rng,
    next_id: u64,
    /// The newest answers: (request id, samples).
    pub single: Option<Samples>,
    pub strip: Option<Samples>,
    /// Random walk: on, legs per second, and the leg being walked (from, to, progress).
    pub walking: bool,
    pub walk_speed: f32,
    walk_leg: Option<(Vec<f32>, Vec<f32>, f32)>,
    last_tick: Option<std::time::Instant>,
}

impl Default for Explorer {
    fn default() -> Self {
        Self {
            open: false,
            z: Vec::new(),
            sampler: LatentSampler::with(LatentPrior::Gaussian, 0, 1),
            class: 0,
            a: None,
            b: None,
            spherical: true,
            rng: Rng::seeded(7),
            next_id: 2,
            single: None,
            strip: None,
            walking: false,
            walk_speed: 0.3,
            walk_leg: None,
            last_tick: None,
        }
    }
}

/// Points between `a` and `b`: straight, or along the great circle (slerp), which keeps the
/// norm a Gaussian latent typically has.
pub fn interpolate(a: &[f32], b: &[f32], t: f32, spherical: bool) -> Vec<f32> {
    let lerp = |t: f32| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x + t * (y - x))
            .collect::<Vec<f32>>()
    };
    if !spherical {
        return lerp(t);
    }
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    let dot = a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b));
    let omega = dot.clamp(-1.0, 1.0).acos();
    if omega.abs() < 1e-4 {
        return lerp(t);
    }
    let (sa, sb) = (
        ((1.0 - t) * omega).sin() / omega.sin(),
        (t * omega).sin() / omega.sin(),
    );
    a.iter().zip(b).map(|(x, y)| sa * x + sb * y).collect()
}

impl Explorer {
    /// A fresh explorer, open or closed.
    pub fn opened(open: bool) -> Self {
        Self {
            open,
            ..Self::default()
        }
    }

    fn id(&mut self, kind: u64) -> u64 {
        self.next_id += 2;
        self.next_id + kind
    }

    /// A fresh latent vector from the model's prior.
    fn roll(&mut self) -> Vec<f32> {
        self.sampler.draw(&mut self.rng, 1, None)
    }

    /// Keeps the vector's length and prior equal to the model's (checked every frame, so the
    /// sampler is rebuilt only when they differ).
    pub fn fit(&mut self, model: &ModelConfig) {
        if !self.sampler.is_for(model) || self.z.len() != model.latent_dim {
            self.sampler = LatentSampler::new(model);
            self.z = self.roll();
            self.a = None;
            self.b = None;
        }
    }

    /// Advances the random walk by `dt` seconds: along great circles from one random latent
    /// vector to the next, so G's output morphs smoothly. Returns whether `z` moved.
    pub fn walk(&mut self, dt: f32) -> bool {
        if !self.walking || self.z.is_empty() {
            return false;
        }
        let n = self.z.len();
        let (from, to, t) = match self.walk_leg.take() {
            Some(leg) if leg.0.len() == n => leg,
            _ => (self.z.clone(), self.roll(), 0.0),
        };
        let mut t = t + dt * self.walk_speed;
        let (from, to) = if t >= 1.0 {
            t -= t.floor();
            (to, self.roll())
        } else {
            (from, to)
        };
        self.z = interpolate(&from, &to, t, true);
        self.walk_leg = Some((from, to, t));
        true
    }

    /// Takes a render answer if it is one of ours.
    pub fn receive(&mut self, id: u64, samples: Samples) {
        if id % 2 == SINGLE {
            self.single = Some(samples);
        } else {
            self.strip = Some(samples);
        }
    }

    /// Render requests for the current state (the single vector, and the strip when A and B
    /// are set).
    pub fn requests(&mut self) -> Vec<RenderRequest> {
        let classes = vec![self.class; 1];
        let mut out = vec![RenderRequest {
            id: self.id(SINGLE),
            latents: self.z.clone(),
            classes,
        }];
        if let (Some(a), Some(b)) = (&self.a, &self.b) {
            let latents: Vec<f32> = (0..STRIP)
                .flat_map(|i| interpolate(a, b, i as f32 / (STRIP - 1) as f32, self.spherical))
                .collect();
            let id = self.id(STRIP_ID);
            out.push(RenderRequest {
                id,
                latents,
                classes: vec![self.class; STRIP],
            });
        }
        out
    }
}

/// The explorer window's controls; pushes `Render` when anything changed.
pub fn explorer_ui(
    ctx: &egui::Context,
    ex: &mut Explorer,
    classes: &[String],
    textures: (Option<&egui::TextureHandle>, Option<&egui::TextureHandle>),
    actions: &mut Vec<Action>,
) {
    let mut open = ex.open;
    let mut changed = false;
    egui::Window::new("Latent explorer").open(&mut open).default_width(360.0).show(ctx, |ui| {
        ui.label("Move a latent coordinate and watch G's output follow (rendered between training steps).");
        let shown = ex.z.len().min(SLIDERS);
        let bound = ex.sampler.slider_bound();
        for i in 0..shown {
            changed |= ui.add(egui::Slider::new(&mut ex.z[i], -bound..=bound).text(format!("z{i}"))).changed();
        }
        ui.horizontal(|ui| {
            ui.checkbox(&mut ex.walking, "random walk")
                .on_hover_text("Wander through latent space along smooth great-circle paths and watch G's output morph");
            ui.add(egui::Slider::new(&mut ex.walk_speed, 0.05..=2.0).logarithmic(true).text("speed"));
        });
        let now = std::time::Instant::now();
        if ex.walking {
            let dt = ex.last_tick.map_or(0.0, |t| (now - t).as_secs_f32().min(0.2));
            changed |= ex.walk(dt);
            ctx.request_repaint_after(std::time::Duration::from_millis(33));
            ex.last_tick = Some(now);
        } else {
            ex.last_tick = None;
        }
        ui.horizontal(|ui| {
            if ui.button("Re-roll all").clicked() {
                ex.z = ex.roll();
                changed = true;
            }
            if ex.z.len() > SLIDERS && ui.button("Re-roll the rest").on_hover_text("New values for the coordinates without a slider").clicked() {
                let fresh = ex.roll();
                ex.z[SLIDERS..].copy_from_slice(&fresh[SLIDERS..]);
                changed = true;
            }
        });
        if !classes.is_empty() {
            egui::ComboBox::from_label("class").selected_text(classes.get(ex.class as usize).cloned().unwrap_or_default()).show_ui(ui, |ui| {
                for (k, name) in classes.iter().enumerate() {
                    changed |= ui.selectable_value(&mut ex.class, k as u32, name).changed();
                }
            });
        }
        if let Some(t) = textures.0 {
            ui.add(egui::Image::new(t).fit_to_exact_size(egui::vec2(140.0, 140.0)));
        } else if let Some(s) = &ex.single {
            ui.label(format!("G(z) = ({:.3}, {:.3})", s.values.first().unwrap_or(&0.0), s.values.get(1).unwrap_or(&0.0)));
        }
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Set A").on_hover_text("Store this vector as one end of the interpolation").clicked() {
                ex.a = Some(ex.z.clone());
                changed = true;
            }
            if ui.button("Set B").on_hover_text("Store this vector as the other end").clicked() {
                ex.b = Some(ex.z.clone());
                changed = true;
            }
            changed |= ui.checkbox(&mut ex.spherical, "spherical").on_hover_text("Slerp keeps the latent's typical norm; a straight line passes through low-norm, atypical vectors").changed();
        });
        if let Some(t) = textures.1 {
            ui.add(egui::Image::new(t).fit_to_exact_size(egui::vec2(340.0, 340.0 / STRIP as f32 + 2.0)));
        } else if ex.a.is_none() || ex.b.is_none() {
            ui.label("Set A and B to see the path between them.");
        }
    });
    ex.open = open;
    if changed {
        actions.push(Action::RenderLatents);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_ends_and_norms() {
        let a = [1.0, 0.0];
        let b = [0.0, 1.0];
        for spherical in [false, true] {
            assert_eq!(interpolate(&a, &b, 0.0, spherical), vec![1.0, 0.0]);
            let end = interpolate(&a, &b, 1.0, spherical);
            assert!((end[0] - 0.0).abs() < 1e-6 && (end[1] - 1.0).abs() < 1e-6);
        }
        let mid = |s| {
            let m = interpolate(&a, &b, 0.5, s);
            (m[0] * m[0] + m[1] * m[1]).sqrt()
        };
        assert!((mid(true) - 1.0).abs() < 1e-6, "slerp keeps the norm");
        assert!(
            (mid(false) - 0.5f32.sqrt()).abs() < 1e-6,
            "lerp shortens it"
        );
    }

    #[test]
    fn the_random_walk_moves_smoothly_and_keeps_going() {
        let mut ex = Explorer::default();
        ex.fit(&model(16, LatentPrior::Gaussian));
        assert!(!ex.walk(0.1), "off by default");
        ex.walking = true;
        ex.walk_speed = 1.0;
        let mut prev = ex.z.clone();
        for _ in 0..50 {
            assert!(ex.walk(0.05));
            let step: f32 =
                ex.z.iter()
                    .zip(&prev)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f32>()
                    .sqrt();
            assert!(step < 1.5, "a small move per tick, got {step}");
            prev = ex.z.clone();
        }
        let norm = ex.z.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(
            norm > 1.5 && norm < 7.0,
            "stays a typical latent: norm {norm}"
        );
    }

    #[test]
    fn the_vector_follows_the_model_prior() {
        let mut ex = Explorer::default();
        ex.fit(&model(64, LatentPrior::Gaussian));
        assert!(
            ex.z.iter().any(|v| v.abs() > 1.0),
            "a normal draw leaves ±1"
        );
        ex.fit(&model(64, LatentPrior::Uniform));
        assert!(
            ex.z.iter().all(|v| v.abs() <= 1.0),
            "re-rolled inside the cube"
        );
        assert_eq!(ex.sampler.slider_bound(), 1.0);
        let mut mixture = model(64, LatentPrior::Mixture);
        mixture.latent_components = 3;
        ex.fit(&mixture);
        assert_eq!(ex.sampler.components(), 3);
        assert_eq!(ex.sampler.slider_bound(), 3.0);
        let before = ex.z.clone();
        ex.fit(&mixture);
        assert_eq!(ex.z, before, "the same model keeps the vector");
        mixture.latent_components = 4;
        ex.fit(&mixture);
        assert_ne!(ex.z, before, "another mixture re-rolls it");
    }

    fn model(latent_dim: usize, latent_prior: LatentPrior) -> ModelConfig {
        ModelConfig {
            latent_dim,
            latent_prior,
            ..ModelConfig::default()
        }
    }

    #[test]
    fn answers_are_routed_by_id() {
        let mut ex = Explorer::default();
        ex.fit(&model(4, LatentPrior::Uniform));
        ex.a = Some(vec![0.0; 4]);
        ex.b = Some(vec![1.0; 4]);
        let reqs = ex.requests();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[1].latents.len(), 4 * STRIP);
        let s = |v: f32| Samples {
            values: vec![v; 2],
            len: 2,
            channels: 0,
            side: 0,
            classes: vec![],
        };
        ex.receive(reqs[0].id, s(1.0));
        ex.receive(reqs[1].id, s(2.0));
        assert_eq!(ex.single.as_ref().map(|x| x.values[0]), Some(1.0));
        assert_eq!(ex.strip.as_ref().map(|x| x.values[0]), Some(2.0));
    }
}
