//! The bottleneck chapter's state in the URL query: `text` (the French-like
//! sentence), `c` (the bottleneck's context width, 8 or 32), and for
//! training the small models in the page `steps` (50-1500) and `seed`.

use crate::models::CONTEXTS;
use crate::query::{url_state, IntParam, SetParam, TextParam};

pub const DEFAULT_TEXT: &str =
    "le chien petit qui suit la femme mange le gâteau blanc et la souris noire ne dort pas";

pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
pub const CONTEXT: SetParam = SetParam::new("c", "Context width", &CONTEXTS, 32);
pub const STEPS: IntParam = IntParam::new("steps", "training steps", 50, 1500, 400);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 1);

url_state! {
    pub struct BottleneckState {
        pub text: String = TEXT,
        pub context: usize = CONTEXT,
        pub steps: usize = STEPS,
        pub seed: u64 = SEED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};
    use crate::widgets::translation::read_input;
    use attention_core::train::translate::Vocab;

    #[test]
    fn round_trip_and_garbage() {
        check_round_trip(
            BottleneckState::from_query,
            BottleneckState::to_query,
            BottleneckState {
                text: "la <b>fille</b> dort 猫".into(),
                context: 8,
                steps: 50,
                seed: 9,
            },
        );
        let (s, notes) =
            BottleneckState::from_query(&parse("c=7&text=le+chat+dort&steps=9&seed=x"));
        assert_eq!(
            (s.context, s.text.as_str(), s.steps, s.seed),
            (32, "le chat dort", 50, 1)
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes[0].starts_with("Context width")
                && notes[0].contains("not one of 8, 32; using 32"),
            "{notes:?}"
        );
    }

    #[test]
    fn the_default_sentence_follows_the_grammar() {
        let i = read_input(DEFAULT_TEXT, &Vocab::default());
        assert!(i.reference.is_ok(), "{:?}", i.reference);
        assert!(i.unknown.iter().all(|u| !u));
    }
}
