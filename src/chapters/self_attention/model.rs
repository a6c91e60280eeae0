//! The self-attention chapter's own view-model piece: the "swap the
//! adjective" edit (tested natively). What the model does with a sentence
//! is [`crate::widgets::coref::analyse`], shared with the multi-head chapter.

use attention_core::train::coref::{ANIMAL_ADJECTIVES, PLACE_ADJECTIVES};

/// The adjective at the same index in the other list (tired <-> wide,
/// scared <-> busy, ...), if `word` is one.
fn partner(word: &str) -> Option<&'static str> {
    let across = |from: &[&'static str], to: &[&'static str]| {
        from.iter()
            .position(|a| *a == word)
            .and_then(|i| to.get(i).copied())
    };
    across(&ANIMAL_ADJECTIVES, &PLACE_ADJECTIVES)
        .or_else(|| across(&PLACE_ADJECTIVES, &ANIMAL_ADJECTIVES))
}

/// The sentence with the adjective after "too"/"so"/"very"/"really"
/// swapped between the animal and place lists at the same index (tired <->
/// wide, scared <-> busy, ...), if there is one.
pub fn swap_adjective(text: &str) -> Option<String> {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    for w in words.iter_mut().rev() {
        let stem = w.trim_end_matches(|c: char| c.is_ascii_punctuation());
        let Some(swapped) = partner(&attention_core::case::lowercase(stem)) else {
            continue;
        };
        let tail = w.get(stem.len()..).unwrap_or_default();
        *w = format!("{swapped}{tail}");
        return Some(words.join(" "));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_coref as shipped;
    use crate::widgets::coref::{analyse, DEFAULT_TEXT};
    use attention_core::train::coref::Corpus;

    #[test]
    fn tired_and_wide_flip_the_answer_and_the_attention() {
        let (m, c) = (shipped(), Corpus::new());
        let a = analyse(&m, &c, DEFAULT_TEXT, None).unwrap();
        assert_eq!(a.answers[0].best().0, "animal");
        assert_eq!(a.most_attended(1).unwrap().0, "animal");
        let wide = swap_adjective(DEFAULT_TEXT).unwrap();
        assert!(wide.ends_with("too wide"));
        let b = analyse(&m, &c, &wide, None).unwrap();
        assert_eq!(b.answers[0].best().0, "street");
        assert_eq!(b.most_attended(1).unwrap().0, "street");
    }

    #[test]
    fn swapping_adjectives() {
        assert_eq!(
            swap_adjective("it was too icy.").as_deref(),
            Some("it was too sleepy.")
        );
        assert_eq!(
            swap_adjective("It was too TIRED!!").as_deref(),
            Some("It was too wide!!")
        );
        assert_eq!(swap_adjective("no adjective"), None);
    }
}
