//! The multi-head chapter's state, as it lives in the URL query: `text`
//! (the sentence), `off` (heads switched off, as `layer.head` 1-based and
//! comma-separated, e.g. `1.1,2.3`) and `layer` (whose heads are shown side
//! by side, 1-based), `seed` (of the heads race, 1-999), `src`
//! (`trained` or `random` weights in the layer view) and `rh`/`rw` (heads
//! and per-head width of the random layer). Bad values are dropped or clamped, with notes.

use crate::chapters::self_attention::state::{DEFAULT_TEXT, LAYERS};
use crate::chapters::self_attention::HEADS;
use crate::query::{build, Notes, Query};

#[derive(Clone, Debug, PartialEq)]
pub struct MhState {
    pub text: String,
    /// Heads switched off, `(layer, head)` 0-based, sorted, no repeats.
    pub off: Vec<(usize, usize)>,
    /// 0-based layer shown side by side.
    pub layer: usize,
    /// Seed of the several-heads-or-one race.
    pub seed: u64,
    /// Section 4 shows random weights instead of the trained model.
    pub random: bool,
    /// Heads and per-head width of the random layer.
    pub random_heads: usize,
    pub random_width: usize,
}

pub const RANDOM_HEADS_MAX: i64 = 8;
pub const RANDOM_WIDTH_MAX: i64 = 16;

pub const SEED_MAX: i64 = 999;

impl Default for MhState {
    fn default() -> Self {
        MhState {
            text: DEFAULT_TEXT.to_string(),
            off: Vec::new(),
            layer: 0,
            seed: 1,
            random: false,
            random_heads: 4,
            random_width: 8,
        }
    }
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

impl MhState {
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let d = MhState::default();
        let mut n = Notes::default();
        let text = n.text(q, "text", &d.text);
        let mut off = Vec::new();
        let mut bad = Vec::new();
        for item in q
            .get("off")
            .map_or("", String::as_str)
            .split(',')
            .filter(|s| !s.trim().is_empty())
        {
            match parse_head(item) {
                Some(h) => off.push(h),
                None => bad.push(item.chars().take(12).collect::<String>()),
            }
        }
        if !bad.is_empty() {
            n.0.push(format!(
                "Ignored {} in the list of heads switched off: heads are written layer.head, layer 1–{LAYERS}, head 1–{HEADS}.",
                bad.iter().map(|b| format!("“{b}”")).collect::<Vec<_>>().join(", ")
            ));
        }
        off.sort_unstable();
        off.dedup();
        let layer = n.int(q, "layer", "layer", 1, LAYERS as i64, 1) as usize - 1;
        let seed = n.int(q, "seed", "seed", 1, SEED_MAX, d.seed as i64) as u64;
        let random = n.choice(q, "src", "weights", &["trained", "random"], "trained") == "random";
        let random_heads =
            n.int(q, "rh", "heads", 1, RANDOM_HEADS_MAX, d.random_heads as i64) as usize;
        let random_width = n.int(
            q,
            "rw",
            "head width",
            1,
            RANDOM_WIDTH_MAX,
            d.random_width as i64,
        ) as usize;
        (
            MhState {
                text,
                off,
                layer,
                seed,
                random,
                random_heads,
                random_width,
            },
            n.0,
        )
    }

    pub fn to_query(&self) -> String {
        let off = self
            .off
            .iter()
            .map(|(l, h)| format!("{}.{}", l + 1, h + 1))
            .collect::<Vec<_>>()
            .join(",");
        build(&[
            ("text", self.text.clone()),
            ("off", off),
            ("layer", (self.layer + 1).to_string()),
            ("seed", self.seed.to_string()),
            (
                "src",
                if self.random { "random" } else { "trained" }.to_string(),
            ),
            ("rh", self.random_heads.to_string()),
            ("rw", self.random_width.to_string()),
        ])
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
            self.off.push((layer, head));
            self.off.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn round_trip_and_defaults() {
        let (d, notes) = MhState::from_query(&parse(""));
        assert_eq!(d, MhState::default());
        assert!(notes.is_empty());
        let s = MhState {
            text: "the keys to the cabinet are here".into(),
            off: vec![(0, 0), (1, 3)],
            layer: 1,
            seed: 42,
            random: true,
            random_heads: 8,
            random_width: 2,
        };
        assert_eq!(MhState::from_query(&parse(&s.to_query())), (s, vec![]));
    }

    #[test]
    fn bad_heads_are_dropped_with_a_note() {
        let (s, notes) = MhState::from_query(&parse(
            "off=2.1,9.9,x,1.1,2.1,1.0,%3Cb%3E&layer=7&seed=0&src=x&rh=99&rw=-3",
        ));
        assert_eq!(s.off, vec![(0, 0), (1, 0)]);
        assert_eq!((s.layer, s.seed), (1, 1));
        assert_eq!((s.random, s.random_heads, s.random_width), (false, 8, 1));
        assert_eq!(notes.len(), 6, "{notes:?}");
        assert!(notes[0].contains("“9.9”") && notes[0].contains("“<b>”"));
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
