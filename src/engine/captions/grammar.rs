//! What a captioned scene says: one digit with its size, stroke and place ("a small thick 3
//! at the top left"), or two digits and how they stand to each other ("a 7 to the right of a
//! 2"). A scene is drawn from its description, and its caption is written from it, so the two
//! always agree. Some combinations are held out of training on purpose (alignDRAW's idea):
//! whether the model draws "a 5 at the bottom right" having never seen one there is the test
//! of whether it composes what it learned.

use crate::engine::rng::Rng;

/// The canvas is a 3 × 3 grid of places.
pub const GRID: usize = 3;

/// A place on the canvas: row (0 top) and column (0 left).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub row: usize,
    pub col: usize,
}

impl Place {
    /// All nine, row by row.
    pub fn all() -> impl Iterator<Item = Place> {
        (0..GRID * GRID).map(|i| Place {
            row: i / GRID,
            col: i % GRID,
        })
    }

    /// Its index row by row (0..9).
    pub fn index(self) -> usize {
        self.row * GRID + self.col
    }

    /// The words for it, after "at the" ("top left", "bottom", "centre"…).
    pub fn words(self) -> &'static str {
        [
            ["top left", "top", "top right"],
            ["left", "centre", "right"],
            ["bottom left", "bottom", "bottom right"],
        ][self.row][self.col]
    }

    /// The phrase a caption uses: "at the top left", "in the centre".
    pub fn phrase(self) -> String {
        if self.row == 1 && self.col == 1 {
            "in the centre".to_string()
        } else {
            format!("at the {}", self.words())
        }
    }
}

/// A digit's size on the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    Small,
    Large,
}

/// A digit's stroke (none: the caption does not say, any stroke is right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stroke {
    Thin,
    Thick,
}

/// How the first digit of a relation stands to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    LeftOf,
    RightOf,
    Above,
    Below,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::LeftOf,
        Relation::RightOf,
        Relation::Above,
        Relation::Below,
    ];

    pub fn phrase(self) -> &'static str {
        match self {
            Relation::LeftOf => "to the left of",
            Relation::RightOf => "to the right of",
            Relation::Above => "above",
            Relation::Below => "below",
        }
    }

    /// Whether `a` stands so to `b` (same row for left/right, same column for above/below).
    pub fn holds(self, a: Place, b: Place) -> bool {
        match self {
            Relation::LeftOf => a.row == b.row && a.col < b.col,
            Relation::RightOf => a.row == b.row && a.col > b.col,
            Relation::Above => a.col == b.col && a.row < b.row,
            Relation::Below => a.col == b.col && a.row > b.row,
        }
    }
}

/// One digit as a scene places it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placed {
    pub digit: usize,
    pub place: Place,
    pub size: Size,
    pub stroke: Option<Stroke>,
}

impl Placed {
    /// A small digit with no stroke word at (`row`, `col`): how relations place their digits.
    pub fn small(digit: usize, row: usize, col: usize) -> Self {
        Self {
            digit,
            place: Place { row, col },
            size: Size::Small,
            stroke: None,
        }
    }
}

/// What a scene shows, and so what its caption says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SceneSpec {
    /// "a small thick 3 at the top left"
    Single(Placed),
    /// "a 7 to the right of a 2": two small digits in one row or column.
    Pair {
        first: Placed,
        relation: Relation,
        second: Placed,
    },
}

/// "an 8", "a 3".
fn article(digit: usize) -> &'static str {
    if digit == 8 { "an" } else { "a" }
}

impl SceneSpec {
    /// The caption, written from the description.
    pub fn caption(&self) -> String {
        match self {
            SceneSpec::Single(p) => {
                let size = match p.size {
                    Size::Small => "small",
                    Size::Large => "large",
                };
                let stroke = match p.stroke {
                    Some(Stroke::Thin) => "thin ",
                    Some(Stroke::Thick) => "thick ",
                    None => "",
                };
                format!("a {size} {stroke}{} {}", p.digit, p.place.phrase())
            }
            SceneSpec::Pair {
                first,
                relation,
                second,
            } => format!(
                "{} {} {} {} {}",
                article(first.digit),
                first.digit,
                relation.phrase(),
                article(second.digit),
                second.digit
            ),
        }
    }

    /// The digits the scene draws.
    pub fn digits(&self) -> Vec<Placed> {
        match self {
            SceneSpec::Single(p) => vec![*p],
            SceneSpec::Pair { first, second, .. } => vec![*first, *second],
        }
    }

    /// Whether this combination is kept out of training (see [`held_out_single`] and
    /// [`held_out_pair`]).
    pub fn held_out(&self) -> bool {
        match self {
            SceneSpec::Single(p) => held_out_single(p.digit, p.place),
            SceneSpec::Pair {
                first,
                relation,
                second,
            } => held_out_pair(first.digit, *relation, second.digit),
        }
    }
}

/// Whether `caption` (a description read as a sentence) is true of the scene `scene` draws:
/// a one-digit caption when the scene has that digit at that place and size (and stroke, if
/// the caption names one); a relation when two of the scene's digits stand so. A caption
/// that says less than the scene's own (no stroke) is still true of it: the matching-aware
/// critic must never be shown such a pair as "wrong".
pub fn true_of(caption: &SceneSpec, scene: &SceneSpec) -> bool {
    let digits = scene.digits();
    match caption {
        SceneSpec::Single(c) => digits.iter().any(|p| {
            p.digit == c.digit
                && p.place == c.place
                && p.size == c.size
                && (c.stroke.is_none() || c.stroke == p.stroke)
        }),
        SceneSpec::Pair {
            first,
            relation,
            second,
        } => digits.iter().any(|x| {
            digits.iter().any(|y| {
                x != y
                    && x.digit == first.digit
                    && y.digit == second.digit
                    && relation.holds(x.place, y.place)
            })
        }),
    }
}

/// For each scene of a batch, a caption that is false of it (GAN-INT-CLS's mismatched text):
/// with probability `near`, a near miss of its own caption (see [`near_miss`]); otherwise
/// another scene's of the batch where one is false, else a fresh random one.
pub fn wrong_captions(batch: &[SceneSpec], rng: &mut Rng, mix: Mix, near: f64) -> Vec<SceneSpec> {
    let n = batch.len();
    (0..n)
        .map(|i| {
            if near > 0.0
                && rng.uniform() < near
                && let Some(c) = near_miss(&batch[i], rng)
            {
                return c;
            }
            let start = rng.below(n.max(1));
            (0..n)
                .map(|k| &batch[(start + k) % n])
                .find(|c| !true_of(c, &batch[i]))
                .copied()
                .unwrap_or_else(|| {
                    loop {
                        let c = random_spec(rng, Split::Train, mix);
                        if !true_of(&c, &batch[i]) {
                            break c;
                        }
                    }
                })
        })
        .collect()
}

/// A caption that differs from `spec`'s in what only reading tells apart: another digit at
/// the same place and size, or for a relation the two digits the other way round ("a 2 left
/// of a 7" for "a 7 left of a 2") or one digit changed. A caption of another scene mostly
/// differs in its place, which a critic can check without reading a digit; these make it
/// read. Never a held-out combination (the split stays clean), never true of the scene.
pub fn near_miss(spec: &SceneSpec, rng: &mut Rng) -> Option<SceneSpec> {
    let other = |digit: usize, rng: &mut Rng| (digit + 1 + rng.below(9)) % 10;
    let candidate = match *spec {
        SceneSpec::Single(p) => {
            let digit = other(p.digit, rng);
            (!held_out_single(digit, p.place))
                .then_some(SceneSpec::Single(Placed { digit, ..p }))?
        }
        SceneSpec::Pair {
            first,
            relation,
            second,
        } => {
            let (a, b) = match rng.below(3) {
                0 => (second.digit, first.digit),
                1 => (other(first.digit, rng), second.digit),
                _ => (first.digit, other(second.digit, rng)),
            };
            if held_out_pair(a, relation, b) {
                return None;
            }
            SceneSpec::Pair {
                first: Placed { digit: a, ..first },
                relation,
                second: Placed { digit: b, ..second },
            }
        }
    };
    (!true_of(&candidate, spec)).then_some(candidate)
}

/// Each digit is held out at one place (digit d at place d mod 9, so 0 and 9 both miss the
/// top left): 10 of the 90 digit-place combinations. Every digit is still seen at eight
/// places and every place with at least eight digits.
pub fn held_out_single(digit: usize, place: Place) -> bool {
    place.index() == digit % (GRID * GRID)
}

/// One ordered pair of digits in ten for each relation: (a + 3b + relation) mod 10 = 0.
/// The reversed pair is usually seen ("a 2 left of a 7" held out, "a 7 left of a 2" not),
/// which is what tells word order apart from a bag of words.
pub fn held_out_pair(a: usize, relation: Relation, b: usize) -> bool {
    let r = Relation::ALL
        .iter()
        .position(|&x| x == relation)
        .unwrap_or(0);
    (a + 3 * b + r).is_multiple_of(10)
}

/// Which scenes to draw: the training split, or only the held-out combinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    HeldOut,
}

/// What share of scenes show two digits, and whether captions name strokes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mix {
    pub pairs: f64,
    pub strokes: bool,
}

/// A random scene of `split`, drawn until its combination belongs there.
pub fn random_spec(rng: &mut Rng, split: Split, mix: Mix) -> SceneSpec {
    loop {
        let spec = if rng.uniform() < mix.pairs {
            random_pair(rng)
        } else {
            random_single(rng, mix.strokes)
        };
        if spec.held_out() == (split == Split::HeldOut) {
            return spec;
        }
    }
}

fn random_single(rng: &mut Rng, strokes: bool) -> SceneSpec {
    let place = Place {
        row: rng.below(GRID),
        col: rng.below(GRID),
    };
    let size = if rng.uniform() < 0.5 {
        Size::Small
    } else {
        Size::Large
    };
    let stroke = match (strokes, rng.below(3)) {
        (false, _) | (true, 0) => None,
        (true, 1) => Some(Stroke::Thin),
        _ => Some(Stroke::Thick),
    };
    SceneSpec::Single(Placed {
        digit: rng.below(10),
        place,
        size,
        stroke,
    })
}

fn random_pair(rng: &mut Rng) -> SceneSpec {
    let relation = Relation::ALL[rng.below(4)];
    let a = rng.below(10);
    // Two different digits: a relation between equal digits says nothing about order.
    let b = (a + 1 + rng.below(9)) % 10;
    // Places that make the relation true: a line (row or column) and two positions on it.
    let line = rng.below(GRID);
    let (i, j) = {
        let x = rng.below(GRID);
        let y = (x + 1 + rng.below(GRID - 1)) % GRID;
        (x.min(y), x.max(y))
    };
    let (pa, pb) = match relation {
        Relation::LeftOf => ((line, i), (line, j)),
        Relation::RightOf => ((line, j), (line, i)),
        Relation::Above => ((i, line), (j, line)),
        Relation::Below => ((j, line), (i, line)),
    };
    let placed = |digit, (row, col)| Placed::small(digit, row, col);
    SceneSpec::Pair {
        first: placed(a, pa),
        relation,
        second: placed(b, pb),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIX: Mix = Mix {
        pairs: 0.4,
        strokes: true,
    };

    #[test]
    fn captions_say_what_the_description_holds() {
        let p = |digit, row, col| Placed {
            digit,
            place: Place { row, col },
            size: Size::Small,
            stroke: Some(Stroke::Thick),
        };
        assert_eq!(
            SceneSpec::Single(p(3, 0, 0)).caption(),
            "a small thick 3 at the top left"
        );
        let centre = Placed {
            size: Size::Large,
            stroke: None,
            ..p(7, 1, 1)
        };
        assert_eq!(
            SceneSpec::Single(centre).caption(),
            "a large 7 in the centre"
        );
        let pair = SceneSpec::Pair {
            first: p(7, 2, 2),
            relation: Relation::RightOf,
            second: p(2, 2, 0),
        };
        assert_eq!(pair.caption(), "a 7 to the right of a 2");
        let eight = SceneSpec::Pair {
            first: p(8, 0, 1),
            relation: Relation::Above,
            second: p(2, 2, 1),
        };
        assert_eq!(eight.caption(), "an 8 above a 2");
    }

    #[test]
    fn random_pairs_stand_as_their_relation_says_and_differ() {
        let mut rng = Rng::seeded(4);
        for _ in 0..2000 {
            if let SceneSpec::Pair {
                first,
                relation,
                second,
            } = random_spec(&mut rng, Split::Train, MIX)
            {
                assert!(relation.holds(first.place, second.place), "{relation:?}");
                assert_ne!(first.digit, second.digit);
                assert_ne!(first.place, second.place);
            }
        }
    }

    #[test]
    fn the_held_out_split_is_disjoint_from_training_and_not_empty() {
        let mut rng = Rng::seeded(9);
        let train: Vec<SceneSpec> = (0..4000)
            .map(|_| random_spec(&mut rng, Split::Train, MIX))
            .collect();
        let held: Vec<SceneSpec> = (0..1000)
            .map(|_| random_spec(&mut rng, Split::HeldOut, MIX))
            .collect();
        assert!(train.iter().all(|s| !s.held_out()));
        assert!(held.iter().all(|s| s.held_out()));
        let captions = |v: &[SceneSpec]| {
            v.iter()
                .map(|s| s.caption())
                .collect::<std::collections::HashSet<_>>()
        };
        let (tc, hc) = (captions(&train), captions(&held));
        assert!(tc.is_disjoint(&hc), "a held-out caption was trained on");
        // Both kinds of held-out scene come up, and every digit is seen in training.
        assert!(held.iter().any(|s| matches!(s, SceneSpec::Single(_))));
        assert!(held.iter().any(|s| matches!(s, SceneSpec::Pair { .. })));
        for d in 0..10 {
            let seen_at = train
                .iter()
                .filter_map(|s| match s {
                    SceneSpec::Single(p) if p.digit == d => Some(p.place),
                    _ => None,
                })
                .collect::<std::collections::HashSet<_>>();
            assert_eq!(seen_at.len(), 8, "digit {d} is trained at eight places");
        }
    }

    #[test]
    fn a_caption_is_true_of_its_scene_and_of_no_scene_it_contradicts() {
        let p = |digit, row, col, stroke| Placed {
            digit,
            place: Place { row, col },
            size: Size::Small,
            stroke,
        };
        let thin3 = SceneSpec::Single(p(3, 0, 0, Some(Stroke::Thin)));
        let any3 = SceneSpec::Single(p(3, 0, 0, None));
        let thick3 = SceneSpec::Single(p(3, 0, 0, Some(Stroke::Thick)));
        assert!(true_of(&thin3, &thin3));
        assert!(true_of(&any3, &thin3), "saying less is still true");
        assert!(!true_of(&thick3, &thin3));
        assert!(!true_of(&SceneSpec::Single(p(3, 0, 1, None)), &thin3));
        let left = SceneSpec::Pair {
            first: p(2, 1, 0, None),
            relation: Relation::LeftOf,
            second: p(7, 1, 2, None),
        };
        let right = SceneSpec::Pair {
            first: p(7, 2, 2, None),
            relation: Relation::RightOf,
            second: p(2, 2, 1, None),
        };
        let swapped = SceneSpec::Pair {
            first: p(7, 1, 0, None),
            relation: Relation::LeftOf,
            second: p(2, 1, 2, None),
        };
        assert!(
            true_of(&right, &left),
            "the same relation, said the other way"
        );
        assert!(!true_of(&swapped, &left), "word order matters");
        assert!(!true_of(&left, &thin3) && !true_of(&thin3, &left));
        assert!(true_of(&SceneSpec::Single(p(2, 1, 0, None)), &left));
    }

    #[test]
    fn wrong_captions_are_false_of_their_scene() {
        let mut rng = Rng::seeded(3);
        let batch: Vec<SceneSpec> = (0..64)
            .map(|_| random_spec(&mut rng, Split::Train, MIX))
            .collect();
        let wrong = wrong_captions(&batch, &mut rng, MIX, 0.0);
        assert_eq!(wrong.len(), batch.len());
        for (w, s) in wrong.iter().zip(&batch) {
            assert!(!true_of(w, s), "{} for {}", w.caption(), s.caption());
        }
        // A batch of one scene repeated still gets false captions (drawn afresh).
        let same = vec![batch[0]; 4];
        let wrong = wrong_captions(&same, &mut rng, MIX, 0.0);
        assert!(wrong.iter().all(|w| !true_of(w, &same[0])));
    }

    #[test]
    fn near_misses_differ_only_in_what_reading_tells_and_stay_in_the_split() {
        let mut rng = Rng::seeded(4);
        let batch: Vec<SceneSpec> = (0..400)
            .map(|_| random_spec(&mut rng, Split::Train, MIX))
            .collect();
        let (mut reversed, mut misses) = (0, 0);
        for s in &batch {
            let Some(m) = near_miss(s, &mut rng) else {
                continue;
            };
            misses += 1;
            assert!(
                !true_of(&m, s) && !m.held_out(),
                "{} for {}",
                m.caption(),
                s.caption()
            );
            // The same places, sizes and strokes: only digits differ.
            let (a, b) = (s.digits(), m.digits());
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!((x.place, x.size, x.stroke), (y.place, y.size, y.stroke));
            }
            if a.len() == 2 && (a[0].digit, a[1].digit) == (b[1].digit, b[0].digit) {
                reversed += 1;
            }
        }
        assert!(misses > 300, "{misses} of 400 have a near miss");
        assert!(reversed > 20, "{reversed} relations reversed");
        // All near misses at near = 1, none at 0 (then the batch's other captions).
        let wrong = wrong_captions(&batch[..50], &mut rng, MIX, 1.0);
        let near = wrong
            .iter()
            .zip(&batch)
            .filter(|(w, s)| {
                w.digits()
                    .iter()
                    .zip(s.digits())
                    .all(|(x, y)| x.place == y.place)
            })
            .count();
        assert!(near >= 40, "{near} of 50 at the same places");
    }

    #[test]
    fn word_order_matters_for_some_held_out_pairs() {
        // A held-out pair whose reverse is trained: the bag of words of the two captions is
        // the same, the meaning is not.
        let reversed_seen = (0..10).any(|a| {
            (0..10).any(|b| {
                a != b
                    && held_out_pair(a, Relation::LeftOf, b)
                    && !held_out_pair(b, Relation::LeftOf, a)
            })
        });
        assert!(reversed_seen);
        let held = (0..10)
            .flat_map(|a| (0..10).map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && held_out_pair(a, Relation::Above, b))
            .count();
        assert!((6..=12).contains(&held), "about one pair in ten: {held}");
    }
}
