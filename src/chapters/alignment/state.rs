//! The alignment chapter's state in the URL query: `text`, `layer` (1-2),
//! `head` (`mean`, 1 or 2), `hard` (1/0), and for training from scratch
//! `steps` (50-2000) and `seed`.

use crate::query::{build, Notes, Query};

pub const DEFAULT_TEXT: &str =
    "la fille petite qui regarde le chat noir ne mange pas la pomme de terre";
pub const LAYERS: i64 = 2;
pub const HEADS: usize = 2;
pub const STEPS_MIN: i64 = 50;
pub const STEPS_MAX: i64 = 2000;
pub const SEED_MAX: i64 = 999_999;

#[derive(Clone, Debug, PartialEq)]
pub struct AlignState {
    pub text: String,
    /// 0-based decoder layer.
    pub layer: usize,
    /// `None`: the mean of the heads; else a 0-based head.
    pub head: Option<usize>,
    pub hard: bool,
    pub steps: usize,
    pub seed: u64,
}

impl Default for AlignState {
    fn default() -> Self {
        AlignState {
            text: DEFAULT_TEXT.into(),
            layer: 1,
            head: None,
            hard: false,
            steps: 400,
            seed: 1,
        }
    }
}

impl AlignState {
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let d = AlignState::default();
        let mut n = Notes::default();
        let text = n.text(q, "text", &d.text);
        let layer = n.int(q, "layer", "layer", 1, LAYERS, 2) as usize - 1;
        let head = match n.choice(q, "head", "head", &["mean", "1", "2"], "mean") {
            "1" => Some(0),
            "2" => Some(1),
            _ => None,
        };
        let hard = n.flag(q, "hard", "hard alignment", false);
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
            AlignState {
                text,
                layer,
                head,
                hard,
                steps,
                seed,
            },
            n.0,
        )
    }

    pub fn to_query(&self) -> String {
        build(&[
            ("text", self.text.clone()),
            ("layer", (self.layer + 1).to_string()),
            (
                "head",
                self.head.map_or("mean".into(), |h| (h + 1).to_string()),
            ),
            ("hard", if self.hard { "1" } else { "0" }.into()),
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
        let (d, notes) = AlignState::from_query(&parse(""));
        assert_eq!((d, notes.len()), (AlignState::default(), 0));
        let s = AlignState {
            text: "le chat <i>dort</i>".into(),
            layer: 0,
            head: Some(1),
            hard: true,
            steps: 50,
            seed: 7,
        };
        assert_eq!(AlignState::from_query(&parse(&s.to_query())), (s, vec![]));
        let (s, notes) = AlignState::from_query(&parse("layer=9&head=3&hard=x&steps=1e9&seed=-1"));
        assert_eq!(
            (s.layer, s.head, s.hard, s.steps, s.seed),
            (1, None, false, 2000, 0)
        );
        assert_eq!(notes.len(), 5, "{notes:?}");
    }
}
