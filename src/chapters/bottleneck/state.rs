//! The bottleneck chapter's state in the URL query: `text` (the French-like
//! sentence), `c` (the bottleneck's context width, 8 or 32), and for
//! training the small models in the page `steps` (50-1500) and `seed`.

use crate::models::CONTEXTS;
use crate::query::{build, Notes, Query};

pub const DEFAULT_TEXT: &str =
    "le chien petit qui suit la femme mange le gâteau blanc et la souris noire ne dort pas";

#[derive(Clone, Debug, PartialEq)]
pub struct BottleneckState {
    pub text: String,
    pub context: usize,
    pub steps: usize,
    pub seed: u64,
}

pub const STEPS_MIN: i64 = 50;
pub const STEPS_MAX: i64 = 1500;
pub const SEED_MAX: i64 = 999_999;

impl Default for BottleneckState {
    fn default() -> Self {
        BottleneckState {
            text: DEFAULT_TEXT.into(),
            context: 32,
            steps: 400,
            seed: 1,
        }
    }
}

impl BottleneckState {
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let d = BottleneckState::default();
        let mut n = Notes::default();
        let text = n.text(q, "text", &d.text);
        let context = match q.get("c") {
            None => d.context,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(c) if CONTEXTS.contains(&c) => c,
                _ => {
                    n.0.push(format!(
                        "Context width “{}” is not one of 8, 32; using {}.",
                        raw.chars().take(24).collect::<String>(),
                        d.context
                    ));
                    d.context
                }
            },
        };
        let steps = n.int(
            q,
            "steps",
            "training steps",
            STEPS_MIN,
            STEPS_MAX,
            d.steps as i64,
        ) as usize;
        let seed = n.int(q, "seed", "seed", 0, SEED_MAX, 1) as u64;
        (
            BottleneckState {
                text,
                context,
                steps,
                seed,
            },
            n.0,
        )
    }

    pub fn to_query(&self) -> String {
        build(&[
            ("text", self.text.clone()),
            ("c", self.context.to_string()),
            ("steps", self.steps.to_string()),
            ("seed", self.seed.to_string()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

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
    }
}
