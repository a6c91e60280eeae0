//! The bottleneck chapter's state in the URL query: `text` (the French-like
//! sentence), `c` (the bottleneck's context width, 8 or 32), and for
//! training the small models in the page `steps` (50-1500) and `seed`.

use crate::models::CONTEXTS;
use crate::query::{build, IntParam, Notes, Query, SetParam, TextParam};

pub const DEFAULT_TEXT: &str =
    "le chien petit qui suit la femme mange le gâteau blanc et la souris noire ne dort pas";

pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
pub const CONTEXT: SetParam = SetParam::new("c", "Context width", &CONTEXTS, 32);
pub const STEPS: IntParam = IntParam::new("steps", "training steps", 50, 1500, 400);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 1);

#[derive(Clone, Debug, PartialEq)]
pub struct BottleneckState {
    pub text: String,
    pub context: usize,
    pub steps: usize,
    pub seed: u64,
}

impl Default for BottleneckState {
    fn default() -> Self {
        BottleneckState {
            text: TEXT.default.into(),
            context: CONTEXT.default,
            steps: STEPS.default_usize(),
            seed: SEED.default_u64(),
        }
    }
}

impl BottleneckState {
    /// Reads the state; bad values are replaced and explained in the notes.
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let mut n = Notes::default();
        let s = BottleneckState {
            text: TEXT.read(&mut n, q),
            context: CONTEXT.read(&mut n, q),
            steps: STEPS.read_usize(&mut n, q),
            seed: SEED.read_u64(&mut n, q),
        };
        (s, n.0)
    }

    /// The query string that restores this state.
    pub fn to_query(&self) -> String {
        build(&[
            TEXT.pair(&self.text),
            CONTEXT.pair(self.context),
            STEPS.pair(self.steps),
            SEED.pair(self.seed),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;
    use crate::widgets::translation::read_input;
    use attention_core::train::translate::Vocab;

    #[test]
    fn round_trip_and_garbage() {
        let (d, notes) = BottleneckState::from_query(&parse(""));
        assert_eq!((d, notes.len()), (BottleneckState::default(), 0));
        let s = BottleneckState {
            text: "la <b>fille</b> dort 猫".into(),
            context: 8,
            steps: 50,
            seed: 9,
        };
        assert_eq!(
            BottleneckState::from_query(&parse(&s.to_query())),
            (s, vec![])
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
