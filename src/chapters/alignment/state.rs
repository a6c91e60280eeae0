//! The alignment chapter's state in the URL query: `text`, `layer` (1-2),
//! `head` (`mean`, 1 or 2), `hard` (1/0), and for training from scratch
//! `steps` (50-2000) and `seed`.

use crate::query::{choice, url_state, ChoiceParam, FlagParam, IntParam, OneBased, TextParam};

pub const DEFAULT_TEXT: &str =
    "la fille petite qui regarde le chat noir ne mange pas la pomme de terre";

pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
/// The decoder layer, 1-based in the URL and on the buttons.
pub const LAYER: IntParam = IntParam::new("layer", "layer", 1, 2, 2);
pub const HEAD: ChoiceParam<Head> = ChoiceParam::new("head", "head", Head::Mean);
pub const HARD: FlagParam = FlagParam::new("hard", "hard alignment", false);
pub const STEPS: IntParam = IntParam::new("steps", "training steps", 50, 2000, 400);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 1);

choice! {
    /// Which cross-attention is shown: the mean of the heads, or one head
    /// (with its name on the buttons).
    pub enum Head {
        Mean = "mean", "average",
        First = "1", "1",
        Second = "2", "2",
    }
}

impl Head {
    /// The 0-based head, `None` for the mean.
    pub fn index(self) -> Option<usize> {
        match self {
            Head::Mean => None,
            Head::First => Some(0),
            Head::Second => Some(1),
        }
    }
}

url_state! {
    pub struct AlignState {
        pub text: String = TEXT,
        /// 0-based decoder layer.
        pub layer: usize = OneBased(LAYER),
        pub head: Head = HEAD,
        pub hard: bool = HARD,
        pub steps: usize = STEPS,
        pub seed: u64 = SEED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse, Choice};
    use crate::widgets::translation::read_input;
    use attention_core::train::translate::Vocab;

    #[test]
    fn round_trip_and_garbage() {
        check_round_trip(
            AlignState::from_query,
            AlignState::to_query,
            AlignState {
                text: "le chat <i>dort</i>".into(),
                layer: 0,
                head: Head::Second,
                hard: true,
                steps: 50,
                seed: 7,
            },
        );
        let (s, notes) = AlignState::from_query(&parse("layer=9&head=3&hard=x&steps=1e9&seed=-1"));
        assert_eq!(
            (s.layer, s.head, s.hard, s.steps, s.seed),
            (1, Head::Mean, false, 2000, 0)
        );
        assert_eq!(notes.len(), 5, "{notes:?}");
    }

    #[test]
    fn the_default_is_layer_2_heads_averaged_and_every_head_round_trips() {
        let d = AlignState::default();
        assert_eq!((d.layer, d.head, d.hard), (1, Head::Mean, false));
        for &head in Head::ALL {
            let s = AlignState {
                head,
                ..AlignState::default()
            };
            assert_eq!(AlignState::from_query(&parse(&s.to_query())).0.head, head);
        }
        assert_eq!(
            Head::ALL.iter().map(|h| h.index()).collect::<Vec<_>>(),
            vec![None, Some(0), Some(1)]
        );
        assert_eq!(Head::Mean.label(), "average");
    }

    #[test]
    fn the_default_sentence_follows_the_grammar() {
        let i = read_input(DEFAULT_TEXT, &Vocab::default());
        assert!(i.reference.is_ok(), "{:?}", i.reference);
        assert!(i.unknown.iter().all(|u| !u));
    }
}
