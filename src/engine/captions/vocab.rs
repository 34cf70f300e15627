//! The words the caption encoder knows, and reading a typed sentence into them: lower case,
//! split at spaces, hyphens and punctuation, a few synonyms taken ("center", "big", "seven"),
//! and every word it does not know named, never a panic.

/// The grammar's words, in token order (token 0 is padding, so a word's token is its index
/// here plus one).
pub const WORDS: [&str; 27] = [
    "a", "small", "large", "thin", "thick", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "at",
    "the", "in", "top", "bottom", "left", "right", "centre", "to", "of", "above", "below",
];

/// Words read as another one.
const SYNONYMS: [(&str, &str); 17] = [
    ("an", "a"),
    ("center", "centre"),
    ("middle", "centre"),
    ("big", "large"),
    ("tiny", "small"),
    ("bold", "thick"),
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("under", "below"),
];

/// The number of tokens, padding included.
pub const TOKENS: usize = WORDS.len() + 1;

/// The word of a token (None for padding or out of range).
pub fn word_of(token: usize) -> Option<&'static str> {
    token.checked_sub(1).and_then(|i| WORDS.get(i).copied())
}

fn token_of(word: &str) -> Option<usize> {
    let word = SYNONYMS
        .iter()
        .find(|(from, _)| *from == word)
        .map_or(word, |(_, to)| to);
    WORDS.iter().position(|w| *w == word).map(|i| i + 1)
}

/// A typed sentence as the encoder reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The tokens of the words understood, in order.
    pub tokens: Vec<usize>,
    /// Those words as read (after synonyms), for showing what was understood.
    pub understood: Vec<&'static str>,
    /// The words not known, as typed (lower case).
    pub unknown: Vec<String>,
}

/// Why a sentence cannot be drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaptionError {
    #[error("the caption is empty: type one, e.g. \"a small 3 at the top left\"")]
    Empty,
    #[error("no word of the caption is known ({}); {}", quoted(.unknown), vocabulary_hint())]
    NothingKnown { unknown: Vec<String> },
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The vocabulary, for messages: "the words known are: a, small, …".
pub fn vocabulary_hint() -> String {
    format!("the words known are: {}", WORDS.join(" "))
}

/// Reads `text`: the known words' tokens in order, and the unknown words named. Refuses only
/// a sentence with no known word at all.
pub fn parse(text: &str) -> Result<Parsed, CaptionError> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err(CaptionError::Empty);
    }
    let mut parsed = Parsed {
        tokens: Vec::new(),
        understood: Vec::new(),
        unknown: Vec::new(),
    };
    for w in words {
        match token_of(w) {
            Some(t) => {
                parsed.tokens.push(t);
                parsed.understood.extend(word_of(t));
            }
            None => parsed.unknown.push(w.to_string()),
        }
    }
    if parsed.tokens.is_empty() {
        return Err(CaptionError::NothingKnown {
            unknown: parsed.unknown,
        });
    }
    Ok(parsed)
}

impl Parsed {
    /// What the window says under the caption box: the words read, and those skipped.
    pub fn summary(&self) -> String {
        let read = self.understood.join(" ");
        if self.unknown.is_empty() {
            format!("read: {read}")
        } else {
            format!(
                "read: {read} — not known, skipped: {} ({})",
                quoted(&self.unknown),
                vocabulary_hint()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_its_own_token_and_back() {
        let mut seen = std::collections::HashSet::new();
        for t in 1..TOKENS {
            let w = word_of(t).expect("a word");
            assert_eq!(token_of(w), Some(t));
            assert!(seen.insert(w));
        }
        assert_eq!(word_of(0), None);
        assert_eq!(word_of(TOKENS), None);
    }

    #[test]
    fn every_caption_of_the_grammar_is_read_whole() {
        use super::super::grammar::{Mix, Split, random_spec};
        let mut rng = crate::engine::rng::Rng::seeded(1);
        let mix = Mix {
            pairs: 0.5,
            strokes: true,
        };
        for _ in 0..500 {
            let caption = random_spec(&mut rng, Split::Train, mix).caption();
            let p = parse(&caption).expect("parsed");
            assert!(p.unknown.is_empty(), "{caption}");
            // "an" is read as "a".
            assert_eq!(p.understood.join(" "), caption.replace("an ", "a "));
        }
    }

    #[test]
    fn typing_is_forgiving_and_unknown_words_are_named() {
        let p = parse("A Seven, top-left; in the CENTER!").expect("parsed");
        assert_eq!(
            p.understood,
            vec!["a", "7", "top", "left", "in", "the", "centre"]
        );
        let p = parse("a purple 3 near the top").expect("parsed");
        assert_eq!(p.unknown, vec!["purple", "near"]);
        assert!(p.summary().contains("\"purple\", \"near\""));
        assert!(p.summary().contains("the words known are: a small large"));
        assert_eq!(parse("  ,.; "), Err(CaptionError::Empty));
        let e = parse("hello world").expect_err("nothing known");
        assert!(e.to_string().contains("\"hello\", \"world\""), "{e}");
        assert!(e.to_string().contains("below"), "{e}");
    }
}
