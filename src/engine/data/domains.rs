//! Two unpaired image domains for image-to-image translation (CycleGAN): A and B are drawn
//! from disjoint images and never paired. The embedded pairs are the procedural digits in two
//! styles that keep the label (thin ↔ thick strokes, upright ↔ slanted), so that a translation
//! can be checked by the dataset's classifier: G_AB(a 3) must still be a 3.

use super::digits::{DigitStyle, digit_set, draw_digit_styled};
use super::images::ImageSet;
use crate::engine::rng::Rng;

/// The embedded domain pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddedPair {
    /// Fine pen strokes ↔ marker strokes.
    ThinThick,
    /// Upright ↔ italic.
    UprightSlanted,
}

impl EmbeddedPair {
    pub const ALL: [EmbeddedPair; 2] = [EmbeddedPair::ThinThick, EmbeddedPair::UprightSlanted];

    /// The two styles and what each domain is called.
    pub fn styles(self) -> [(&'static str, DigitStyle); 2] {
        match self {
            EmbeddedPair::ThinThick => [("thin", DigitStyle::THIN), ("thick", DigitStyle::THICK)],
            EmbeddedPair::UprightSlanted => [
                ("upright", DigitStyle::UPRIGHT),
                ("slanted", DigitStyle::SLANTED),
            ],
        }
    }
}

/// Two image sets to translate between. Both have labels when their source has them (the
/// label-preservation metric needs them); they may differ in size.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainPair {
    pub names: [String; 2],
    pub a: ImageSet,
    pub b: ImageSet,
}

/// Why two domains cannot be translated between.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("domain {0} has no images")]
    Empty(String),
    #[error(
        "the domains' images differ in size ({a_name}: {a} px, {b_name}: {b} px); resize both to one side"
    )]
    Sides {
        a_name: String,
        b_name: String,
        a: usize,
        b: usize,
    },
    #[error("domain {name}'s images are {height}×{width}; translation needs square images")]
    NotSquare {
        name: String,
        height: usize,
        width: usize,
    },
}

impl DomainPair {
    /// Checks that both domains hold square images of one side (their channel counts may
    /// differ: G_AB maps A's channels to B's).
    pub fn new(names: [String; 2], a: ImageSet, b: ImageSet) -> Result<Self, DomainError> {
        for (name, set) in names.iter().zip([&a, &b]) {
            if set.is_empty() {
                return Err(DomainError::Empty(name.clone()));
            }
            if set.height != set.width {
                return Err(DomainError::NotSquare {
                    name: name.clone(),
                    height: set.height,
                    width: set.width,
                });
            }
        }
        if a.height != b.height {
            return Err(DomainError::Sides {
                a_name: names[0].clone(),
                b_name: names[1].clone(),
                a: a.height,
                b: b.height,
            });
        }
        Ok(Self { names, a, b })
    }

    /// The image side both domains share.
    pub fn side(&self) -> usize {
        self.a.height
    }
}

/// Seeds of the two domains' drawings: different streams, so no drawing of A is one of B.
const SEEDS: [u64; 2] = [0xD0A1_0001, 0xD0B2_0002];

/// An embedded pair with `per_domain` digits in each domain, classes in turn. The two domains
/// come from different random streams (disjoint drawings, never paired by index).
pub fn embedded_pair(pair: EmbeddedPair, per_domain: usize) -> DomainPair {
    let [a, b] = pair.styles().map(|(_, style)| style);
    let sets = [(a, SEEDS[0]), (b, SEEDS[1])].map(|(style, seed)| {
        let mut rng = Rng::seeded(seed ^ pair as u64);
        let mut pixels = Vec::with_capacity(per_domain * 28 * 28);
        let mut labels = Vec::with_capacity(per_domain);
        for i in 0..per_domain {
            let digit = i % 10;
            pixels.extend(draw_digit_styled(digit, &mut rng, &style));
            labels.push(digit as u16);
        }
        digit_set(pixels, labels)
    });
    let [sa, sb] = sets;
    let names = pair.styles().map(|(name, _)| name.to_string());
    DomainPair {
        names,
        a: sa,
        b: sb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean inked pixels per image (> half intensity).
    fn ink(set: &ImageSet) -> f64 {
        let inked = set.pixels.iter().filter(|&&p| p > 128).count();
        inked as f64 / set.len() as f64
    }

    /// Mean horizontal offset of ink between the top and the bottom third (positive: the
    /// top leans right).
    fn lean(set: &ImageSet) -> f64 {
        let mut total = 0.0;
        for i in 0..set.len() {
            let img = set.image(i);
            let centre = |rows: std::ops::Range<usize>| {
                let (mut sum, mut n) = (0.0, 0.0);
                for y in rows {
                    for x in 0..28 {
                        let v = img[y * 28 + x] as f64;
                        sum += v * x as f64;
                        n += v;
                    }
                }
                sum / n.max(1.0)
            };
            total += centre(0..10) - centre(18..28);
        }
        total / set.len() as f64
    }

    #[test]
    fn the_embedded_pairs_differ_in_their_style_and_keep_their_labels() {
        let p = embedded_pair(EmbeddedPair::ThinThick, 200);
        assert_eq!(p.names, ["thin", "thick"]);
        assert_eq!((p.a.len(), p.b.len(), p.side()), (200, 200, 28));
        assert_eq!(p.a.labels.as_ref().expect("labels")[13], 3);
        let (thin, thick) = (ink(&p.a), ink(&p.b));
        assert!(thick > 1.8 * thin, "thin {thin:.0} px, thick {thick:.0} px");
        let q = embedded_pair(EmbeddedPair::UprightSlanted, 200);
        let (upright, slanted) = (lean(&q.a), lean(&q.b));
        // Shear moves the top by about half the digit's height relative to the bottom.
        assert!(upright.abs() < 1.5, "upright leans {upright:.2} px");
        assert!(slanted > 4.0, "slanted leans {slanted:.2} px");
    }

    #[test]
    fn the_two_domains_never_share_a_drawing() {
        let p = embedded_pair(EmbeddedPair::UprightSlanted, 100);
        for i in 0..100 {
            assert_ne!(p.a.image(i), p.b.image(i), "image {i}");
        }
        // Deterministic: the same pair twice.
        assert_eq!(p, embedded_pair(EmbeddedPair::UprightSlanted, 100));
    }

    #[test]
    fn domains_that_cannot_be_translated_are_refused_by_name() {
        let p = embedded_pair(EmbeddedPair::ThinThick, 10);
        let names = || ["mnist".to_string(), "digits".to_string()];
        let empty = ImageSet {
            pixels: Vec::new(),
            labels: None,
            ..p.b.clone()
        };
        assert_eq!(
            DomainPair::new(names(), p.a.clone(), empty),
            Err(DomainError::Empty("digits".into()))
        );
        let big = ImageSet {
            pixels: vec![0; 3 * 32 * 32],
            labels: None,
            class_names: Vec::new(),
            channels: 3,
            height: 32,
            width: 32,
        };
        let err = DomainPair::new(names(), p.a.clone(), big).expect_err("sides differ");
        assert!(
            err.to_string().contains("mnist: 28 px, digits: 32 px"),
            "{err}"
        );
        // Channel counts may differ (grey ↔ colour).
        let colour = ImageSet {
            pixels: vec![0; 3 * 28 * 28],
            labels: None,
            class_names: Vec::new(),
            channels: 3,
            height: 28,
            width: 28,
        };
        assert!(DomainPair::new(names(), p.a, colour).is_ok());
    }
}
