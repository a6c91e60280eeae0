//! The multi-head chapter's state, as it lives in the URL query: `text`
//! (the sentence), `off` (heads switched off, as `layer.head` 1-based and
//! comma-separated, e.g. `1.1,2.3`) and `layer` (whose heads are shown side
//! by side, 1-based), `seed` (of the heads race, 1-999), `src`
//! (`trained` or `random` weights in the layer view) and `rh`/`rw` (heads
//! and per-head width of the random layer). Bad values are dropped or clamped, with notes.

use crate::query::{
    choice, url_state, ChoiceParam, IntParam, Notes, OneBased, Param, Query, TextParam,
};
use crate::widgets::coref::{DEFAULT_TEXT, HEADS, LAYERS};

choice! {
    /// Where the layer view's weights come from.
    pub enum Source {
        Trained = "trained", "Trained model",
        Random = "random", "Random weights",
    }
}

pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
/// Heads switched off, `layer.head` 1-based, comma-separated.
pub const OFF: OffParam = OffParam { key: "off" };
/// The layer shown side by side, 1-based.
pub const LAYER: IntParam = IntParam::new("layer", "layer", 1, LAYERS as i64, 1);
/// Seed of the heads race ("try the next" wraps from 999 to 1).
pub const SEED: IntParam = IntParam::new("seed", "seed", 1, 999, 1);
pub const SOURCE: ChoiceParam<Source> = ChoiceParam::new("src", "weights", Source::Trained);
/// Heads of the random layer.
pub const RANDOM_HEADS: IntParam = IntParam::new("rh", "heads", 1, 8, 4);
/// Per-head width of the random layer.
pub const RANDOM_WIDTH: IntParam = IntParam::new("rw", "head width", 1, 16, 8);

url_state! {
    pub struct MhState {
        pub text: String = TEXT,
        /// Heads switched off, `(layer, head)` 0-based, sorted, no repeats.
        pub off: Vec<(usize, usize)> = OFF,
        /// 0-based layer shown side by side.
        pub layer: usize = OneBased(LAYER),
        /// Seed of the several-heads-or-one race.
        pub seed: u64 = SEED,
        /// Section 4 shows the trained model or random weights.
        pub source: Source = SOURCE,
        /// Heads and per-head width of the random layer.
        pub random_heads: usize = RANDOM_HEADS,
        pub random_width: usize = RANDOM_WIDTH,
    }
}

/// The heads switched off, as `layer.head` (1-based) items: unknown ones
/// are dropped with one note naming them.
pub struct OffParam {
    pub key: &'static str,
}

/// Parses `l.h` (1-based) into a 0-based head of the shipped model.
fn parse_head(item: &str) -> Option<(usize, usize)> {
    let (l, h) = item.trim().split_once('.')?;
    let (l, h) = (
        l.trim().parse::<usize>().ok()?,
        h.trim().parse::<usize>().ok()?,
    );
    ((1..=LAYERS).contains(&l) && (1..=HEADS).contains(&h)).then(|| (l - 1, h - 1))
}

impl Param<Vec<(usize, usize)>> for OffParam {
    fn read_value(&self, n: &mut Notes, q: &Query) -> Vec<(usize, usize)> {
        let mut off = Vec::new();
        let mut bad = Vec::new();
        let items = q.get(self.key).map_or("", String::as_str).split(',');
        for item in items.filter(|s| !s.trim().is_empty()) {
            match parse_head(item) {
                Some(h) => crate::query::insert_sorted(&mut off, h),
                None => bad.push(format!("“{}”", item.chars().take(12).collect::<String>())),
            }
        }
        if !bad.is_empty() {
            n.0.push(format!(
                "Ignored {} in the list of heads switched off: heads are written layer.head, layer 1–{LAYERS}, head 1–{HEADS}.",
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

impl MhState {
    /// Whether the layer view shows random weights.
    pub fn random(&self) -> bool {
        self.source == Source::Random
    }

    /// Whether head `(layer, head)` is on.
    pub fn is_on(&self, layer: usize, head: usize) -> bool {
        !self.off.contains(&(layer, head))
    }

    /// Switches one head on or off.
    pub fn toggle(&mut self, layer: usize, head: usize) {
        if let Some(i) = self.off.iter().position(|&x| x == (layer, head)) {
            self.off.remove(i);
        } else {
            crate::query::insert_sorted(&mut self.off, (layer, head));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    #[test]
    fn round_trip_and_defaults() {
        check_round_trip(
            MhState::from_query,
            MhState::to_query,
            MhState {
                text: "the keys to the cabinet are here".into(),
                off: vec![(0, 0), (1, 3)],
                layer: 1,
                seed: 42,
                source: Source::Random,
                random_heads: 8,
                random_width: 2,
            },
        );
    }

    #[test]
    fn bad_heads_are_dropped_with_a_note() {
        let (s, notes) = MhState::from_query(&parse(
            "off=2.1,9.9,x,1.1,2.1,1.0,%3Cb%3E&layer=7&seed=0&src=x&rh=99&rw=-3",
        ));
        assert_eq!(s.off, vec![(0, 0), (1, 0)]);
        assert_eq!((s.layer, s.seed), (1, 1));
        assert_eq!((s.random(), s.random_heads, s.random_width), (false, 8, 1));
        assert_eq!(notes.len(), 6, "{notes:?}");
        assert!(notes[0].contains("“9.9”") && notes[0].contains("“<b>”"));
        assert_eq!(notes[2], "seed = 0 is below the minimum 1; using 1.");
        assert!(notes[3].starts_with("weights = “x” is not one of trained, random"));
    }

    #[test]
    fn the_race_seed_wraps_from_999_to_1() {
        assert_eq!(SEED.next(1), 2);
        assert_eq!(SEED.next(998), 999);
        assert_eq!(SEED.next(999), 1);
    }

    #[test]
    fn toggling() {
        let mut s = MhState::default();
        s.toggle(1, 2);
        s.toggle(0, 3);
        assert_eq!(s.off, vec![(0, 3), (1, 2)]);
        assert!(!s.is_on(1, 2) && s.is_on(1, 1));
        s.toggle(1, 2);
        assert_eq!(s.off, vec![(0, 3)]);
    }
}
