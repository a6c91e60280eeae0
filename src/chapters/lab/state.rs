//! The lab's checkpoint section state, as it lives in the URL query: `text`
//! (what the model reads), `layer` and `head` (1-based, the head shown),
//! `pos` (1-based query position; 0 or absent = the last token), `off`
//! (heads switched off, `layer.head` 1-based, comma-separated) and `seed`
//! (of the repeated random sequences the heads are measured on). The
//! checkpoint's files are never in the URL: they stay in the tab.
//!
//! The ranges here are the largest any GPT-2-family model has (48 layers,
//! 25 heads) and the lab's token cap; the inspector clamps them to the
//! loaded model, with a note ([`super::inspect::clamp`]).

use super::inspect::{Edit, InspectState, MAX_TOKENS};
use crate::query::{url_state, IntParam, Notes, OneBased, Param, Query, TextParam};

/// The text a checkpoint reads by default (Lewis Carroll, public domain).
pub const DEFAULT_TEXT: &str = "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do.";

/// Most layers and heads a link may name (GPT-2 XL has 48 x 25).
pub const MAX_LAYERS: usize = 48;
pub const MAX_HEADS: usize = 25;

pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
pub const LAYER: IntParam = IntParam::new("layer", "layer", 1, MAX_LAYERS as i64, 1);
pub const HEAD: IntParam = IntParam::new("head", "head", 1, MAX_HEADS as i64, 1);
/// Query position, 1-based; 0 is the last token.
pub const POS: IntParam = IntParam::new("pos", "position", 0, MAX_TOKENS as i64, 0);
/// Heads switched off.
pub const OFF: OffParam = OffParam { key: "off" };
/// Seed of the repeated random sequences behind the head scores.
pub const SEED: IntParam = IntParam::new("seed", "seed", 1, 999, 1);

/// Whether `key` is one of this section's URL keys (the lab's two sections
/// share the page's query: `UrlState::sharing`).
pub fn owns(key: &str) -> bool {
    [TEXT.key, LAYER.key, HEAD.key, POS.key, OFF.key, SEED.key].contains(&key)
}

url_state! {
    pub struct LabState {
        pub text: String = TEXT,
        /// 0-based layer shown.
        pub layer: usize = OneBased(LAYER),
        /// 0-based head shown.
        pub head: usize = OneBased(HEAD),
        /// 1-based query position, 0 = the last token.
        pub pos: usize = POS,
        /// Heads switched off, `(layer, head)` 0-based, sorted, no repeats.
        pub off: Vec<(usize, usize)> = OFF,
        pub seed: u64 = SEED,
    }
}

/// The heads switched off, as `layer.head` (1-based) items: malformed or
/// out-of-range ones are dropped with one note naming them.
pub struct OffParam {
    pub key: &'static str,
}

/// `l.h` (1-based, within the largest model) as a 0-based head.
fn parse_head(item: &str) -> Option<(usize, usize)> {
    let (l, h) = item.trim().split_once('.')?;
    let (l, h) = (
        l.trim().parse::<usize>().ok()?,
        h.trim().parse::<usize>().ok()?,
    );
    ((1..=MAX_LAYERS).contains(&l) && (1..=MAX_HEADS).contains(&h)).then(|| (l - 1, h - 1))
}

/// Most heads a link may switch off (GPT-2 XL's 1200).
const MAX_OFF: usize = MAX_LAYERS * MAX_HEADS;

impl Param<Vec<(usize, usize)>> for OffParam {
    fn read_value(&self, n: &mut Notes, q: &Query) -> Vec<(usize, usize)> {
        let mut off = Vec::new();
        let mut bad = Vec::new();
        let items = q.get(self.key).map_or("", String::as_str).split(',');
        for item in items.filter(|s| !s.trim().is_empty()).take(MAX_OFF + 8) {
            match parse_head(item) {
                Some(h) => crate::query::insert_sorted(&mut off, h),
                None if bad.len() < 4 => {
                    bad.push(format!("“{}”", item.chars().take(12).collect::<String>()))
                }
                None => {}
            }
        }
        if !bad.is_empty() {
            n.0.push(format!(
                "Ignored {} in the list of heads switched off: heads are written layer.head, counting from 1.",
                bad.join(", ")
            ));
        }
        off
    }
    fn default_value(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn write(&self, off: &Vec<(usize, usize)>) -> (&'static str, String) {
        let items: Vec<String> = off
            .iter()
            .map(|(l, h)| format!("{}.{}", l + 1, h + 1))
            .collect();
        (self.key, items.join(","))
    }
}

impl LabState {
    /// What the inspector shows.
    pub fn inspect(&self) -> InspectState {
        InspectState {
            text: self.text.clone(),
            layer: self.layer,
            head: self.head,
            pos: self.pos.checked_sub(1),
            off: self.off.clone(),
            seed: self.seed,
        }
    }

    /// Applies one of the inspector's edits (the text is capped to the
    /// parameter's length).
    pub fn apply(&mut self, edit: Edit) {
        let mut s = self.inspect();
        s.apply(edit);
        self.text = TEXT.cap(&s.text);
        self.layer = s.layer.min(MAX_LAYERS - 1);
        self.head = s.head.min(MAX_HEADS - 1);
        self.pos = s.pos.map_or(0, |p| (p + 1).min(MAX_TOKENS));
        self.off = s.off;
        self.seed = s.seed.clamp(1, 999);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    #[test]
    fn round_trip_and_defaults() {
        check_round_trip(
            LabState::from_query,
            LabState::to_query,
            LabState {
                text: "the cat sat. the cat sat.".into(),
                layer: 1,
                head: 3,
                pos: 7,
                off: vec![(0, 0), (1, 3)],
                seed: 42,
            },
        );
        let d = LabState::default();
        assert_eq!((d.layer, d.head, d.pos, d.seed), (0, 0, 0, 1));
        assert_eq!(d.inspect().pos, None, "0 is the last token");
    }

    #[test]
    fn garbage_is_dropped_or_clamped_with_notes() {
        let (s, notes) = LabState::from_query(&parse(
            "layer=99&head=-2&pos=9999&off=2.1,x,49.1,1.1,2.1,1.0,%3Cb%3E&seed=abc&text=%00",
        ));
        assert_eq!(s.off, vec![(0, 0), (1, 0)]);
        assert_eq!((s.layer, s.head, s.pos), (MAX_LAYERS - 1, 0, MAX_TOKENS));
        assert_eq!(s.seed, 1);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("“49.1”") && n.contains("“<b>”")),
            "{notes:?}"
        );
        assert!(notes.len() >= 5, "{notes:?}");
    }

    #[test]
    fn edits_go_through_the_inspector() {
        let mut s = LabState::default();
        s.apply(Edit::Toggle(1, 2));
        s.apply(Edit::Toggle(0, 3));
        assert_eq!(s.off, vec![(0, 3), (1, 2)]);
        s.apply(Edit::Toggle(1, 2));
        assert_eq!(s.off, vec![(0, 3)]);
        s.apply(Edit::Pos(4));
        assert_eq!(s.pos, 5, "stored 1-based");
        assert_eq!(s.inspect().pos, Some(4));
        s.apply(Edit::Head(2));
        s.apply(Edit::Layer(1));
        assert_eq!((s.layer, s.head), (1, 2));
        s.apply(Edit::Text("x".repeat(5000)));
        assert_eq!(s.text.chars().count(), TEXT.max_chars);
        s.apply(Edit::AllOn);
        assert!(s.off.is_empty());
    }
}
