//! A seeded toy parallel corpus, French-like source to English-like target,
//! in which the true word alignment of every pair is known by construction.
//!
//! The grammar (source → target):
//! * noun phrase: `le chat noir petit` → `the black small cat`: adjectives
//!   follow the noun in the source and precede it in the target (the order of
//!   the adjectives is kept), and agree in gender in the source
//!   (`la voiture noire`);
//! * `pomme de terre` → `potato` (three words to one);
//! * verbs: `mange` → `eats`; `dort` → `is sleeping` (one to two);
//! * negation: `ne mange pas` → `does not eat` (`not` comes from both `ne`
//!   and `pas`; `does` and `eat` from `mange`);
//! * relative clauses `qui` → `that`, clauses joined by `et` → `and`.
//!
//! An alignment is a list of `(target index, source index)` links: every
//! target word has at least one.

use crate::Rng;
use std::collections::HashSet;

/// A noun: source form, gender (true = feminine), target form, animate.
struct Noun(&'static str, bool, &'static str, bool);

const NOUNS: &[Noun] = &[
    Noun("chat", false, "cat", true),
    Noun("chien", false, "dog", true),
    Noun("oiseau", false, "bird", true),
    Noun("garçon", false, "boy", true),
    Noun("homme", false, "man", true),
    Noun("livre", false, "book", false),
    Noun("gâteau", false, "cake", false),
    Noun("fille", true, "girl", true),
    Noun("femme", true, "woman", true),
    Noun("souris", true, "mouse", true),
    Noun("maison", true, "house", false),
    Noun("voiture", true, "car", false),
    Noun("fleur", true, "flower", false),
    Noun("pomme", true, "apple", false),
    // Three source words, one target word.
    Noun("pomme de terre", true, "potato", false),
];

/// Adjective: masculine, feminine, target.
const ADJECTIVES: &[(&str, &str, &str)] = &[
    ("noir", "noire", "black"),
    ("blanc", "blanche", "white"),
    ("petit", "petite", "small"),
    ("grand", "grande", "big"),
    ("rouge", "rouge", "red"),
    ("vieux", "vieille", "old"),
    ("rapide", "rapide", "fast"),
    ("joli", "jolie", "pretty"),
];

/// Transitive verb: source, target (3rd person), target base form.
const TRANSITIVE: &[(&str, &str, &str)] = &[
    ("mange", "eats", "eat"),
    ("voit", "sees", "see"),
    ("aime", "likes", "like"),
    ("suit", "follows", "follow"),
    ("regarde", "watches", "watch"),
];

/// Intransitive verb: source, target participle ("is sleeping").
const INTRANSITIVE: &[(&str, &str)] = &[
    ("dort", "sleeping"),
    ("court", "running"),
    ("chante", "singing"),
];

/// One sentence pair with its alignment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pair {
    pub source: Vec<String>,
    pub target: Vec<String>,
    /// `(target index, source index)` links, sorted.
    pub alignment: Vec<(usize, usize)>,
}

/// Builds a pair word by word.
#[derive(Default)]
struct Builder {
    source: Vec<String>,
    target: Vec<String>,
    links: Vec<(usize, usize)>,
}

impl Builder {
    fn src(&mut self, w: &str) -> usize {
        self.source.push(w.to_string());
        self.source.len() - 1
    }
    /// A target word aligned to the given source positions.
    fn tgt(&mut self, w: &str, from: &[usize]) {
        let t = self.target.len();
        self.target.push(w.to_string());
        self.links.extend(from.iter().map(|&s| (t, s)));
    }
}

/// The sizes a sentence is built from.
#[derive(Clone, Copy, Debug)]
struct Shape {
    clauses: usize,
    max_adjectives: usize,
    relative_chance: f64,
    negation_chance: f64,
}

fn noun_phrase(b: &mut Builder, rng: &mut Rng, animate: bool, shape: Shape, depth: usize) {
    let pool: Vec<&Noun> = NOUNS.iter().filter(|n| !animate || n.3).collect();
    let Some(&noun) = rng.pick(&pool) else {
        return;
    };
    let definite = rng.uniform() < 0.7;
    let det = match (definite, noun.1) {
        (true, false) => "le",
        (true, true) => "la",
        (false, false) => "un",
        (false, true) => "une",
    };
    let s_det = b.src(det);
    let s_noun: Vec<usize> = noun.0.split(' ').map(|w| b.src(w)).collect();
    let n_adj = rng.below(shape.max_adjectives + 1);
    let mut adjs: Vec<(usize, &str)> = Vec::new();
    let mut used = Vec::new();
    for _ in 0..n_adj {
        let a = loop {
            let a = rng.below(ADJECTIVES.len());
            if !used.contains(&a) {
                break a;
            }
        };
        used.push(a);
        let Some(&(m, f, t)) = ADJECTIVES.get(a) else {
            continue;
        };
        let s = b.src(if noun.1 { f } else { m });
        adjs.push((s, t));
    }
    b.tgt(if definite { "the" } else { "a" }, &[s_det]);
    for (s, t) in &adjs {
        b.tgt(t, &[*s]);
    }
    b.tgt(noun.2, &s_noun);
    if depth == 0 && rng.uniform() < shape.relative_chance {
        let s_qui = b.src("qui");
        b.tgt("that", &[s_qui]);
        verb_phrase(b, rng, shape, depth + 1);
    }
}

fn verb_phrase(b: &mut Builder, rng: &mut Rng, shape: Shape, depth: usize) {
    let negated = rng.uniform() < shape.negation_chance;
    if rng.uniform() < 0.7 {
        let Some(&(src, third, base)) = rng.pick(TRANSITIVE) else {
            return;
        };
        if negated {
            let s_ne = b.src("ne");
            let s_v = b.src(src);
            let s_pas = b.src("pas");
            b.tgt("does", &[s_v]);
            b.tgt("not", &[s_ne, s_pas]);
            b.tgt(base, &[s_v]);
        } else {
            let s_v = b.src(src);
            b.tgt(third, &[s_v]);
        }
        noun_phrase(b, rng, false, shape, depth);
    } else {
        let Some(&(src, part)) = rng.pick(INTRANSITIVE) else {
            return;
        };
        if negated {
            let s_ne = b.src("ne");
            let s_v = b.src(src);
            let s_pas = b.src("pas");
            b.tgt("is", &[s_v]);
            b.tgt("not", &[s_ne, s_pas]);
            b.tgt(part, &[s_v]);
        } else {
            let s_v = b.src(src);
            b.tgt("is", &[s_v]);
            b.tgt(part, &[s_v]);
        }
    }
}

/// Every source word the grammar can produce, sorted.
pub fn source_words() -> Vec<&'static str> {
    let mut v: Vec<&str> = vec![
        "le", "la", "un", "une", "qui", "et", "ne", "pas", "de", "terre",
    ];
    v.extend(NOUNS.iter().filter(|n| !n.0.contains(' ')).map(|n| n.0));
    v.extend(ADJECTIVES.iter().flat_map(|a| [a.0, a.1]));
    v.extend(TRANSITIVE.iter().map(|t| t.0));
    v.extend(INTRANSITIVE.iter().map(|t| t.0));
    crate::order::sort_small(&mut v);
    v.dedup();
    v
}

/// Every target word the grammar can produce, sorted.
pub fn target_words() -> Vec<&'static str> {
    let mut v: Vec<&str> = vec!["the", "a", "that", "and", "does", "not", "is"];
    v.extend(NOUNS.iter().map(|n| n.2));
    v.extend(ADJECTIVES.iter().map(|a| a.2));
    v.extend(TRANSITIVE.iter().flat_map(|t| [t.1, t.2]));
    v.extend(INTRANSITIVE.iter().map(|t| t.1));
    crate::order::sort_small(&mut v);
    v.dedup();
    v
}

/// Word ids of both languages. Source id 0 is [`UNK`]; target ids 0 and 1
/// are the decoder's begin and end marks ([`super::seq2seq::BOS`],
/// [`super::seq2seq::EOS`]), 2 is [`UNK`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    pub source: Vec<&'static str>,
    pub target: Vec<&'static str>,
}

/// Shown for a word outside the vocabulary.
pub const UNK: &str = "[unk]";

impl Default for Vocab {
    fn default() -> Self {
        let mut source = vec![UNK];
        source.extend(source_words());
        let mut target = vec!["<s>", "</s>", UNK];
        target.extend(target_words());
        Vocab { source, target }
    }
}

impl Vocab {
    /// Source ids; unknown words (after lower-casing) become 0.
    pub fn encode_source(&self, words: &[impl AsRef<str>]) -> Vec<usize> {
        words
            .iter()
            .map(|w| {
                let w = crate::case::lowercase(w.as_ref());
                self.source.iter().position(|s| *s == w).unwrap_or(0)
            })
            .collect()
    }

    /// Target ids; unknown words become 2.
    pub fn encode_target(&self, words: &[impl AsRef<str>]) -> Vec<usize> {
        words
            .iter()
            .map(|w| {
                self.target
                    .iter()
                    .position(|s| *s == w.as_ref())
                    .unwrap_or(2)
            })
            .collect()
    }

    /// Target words of `ids` (out-of-range ids read as [`UNK`]).
    pub fn decode_target(&self, ids: &[usize]) -> Vec<String> {
        ids.iter()
            .map(|&i| self.target.get(i).copied().unwrap_or(UNK).to_string())
            .collect()
    }

    /// `(source ids, target ids)` of a pair, as the model trains on it.
    pub fn encode(&self, p: &Pair) -> (Vec<usize>, Vec<usize>) {
        (self.encode_source(&p.source), self.encode_target(&p.target))
    }
}

/// Samples sentence pairs whose source has `min_len..=max_len` words.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub min_len: usize,
    pub max_len: usize,
    /// Source sentences that sampling for training must never return.
    held_out: HashSet<Vec<String>>,
}

impl Corpus {
    /// Source lengths from `min_len` (at least 3) to `max_len`.
    pub fn new(min_len: usize, max_len: usize) -> Self {
        let min_len = min_len.max(3);
        Corpus {
            min_len,
            max_len: max_len.max(min_len),
            held_out: HashSet::new(),
        }
    }

    /// One pair with a source length in `lo..=hi` (clamped to the corpus
    /// range), drawn by sampling a sentence shape that suits the length and
    /// rejecting misses.
    pub fn sample_len(&self, rng: &mut Rng, lo: usize, hi: usize) -> Pair {
        let lo = lo.clamp(self.min_len, self.max_len);
        let hi = hi.clamp(lo, self.max_len);
        loop {
            // Longer targets need more clauses and adjectives.
            let want = lo + rng.below(hi - lo + 1);
            let clauses = 1 + rng.below((want / 9).clamp(1, 4));
            let shape = Shape {
                clauses,
                max_adjectives: if want > 6 { 2 } else { 1 },
                relative_chance: if want > 8 { 0.5 } else { 0.15 },
                negation_chance: 0.3,
            };
            let mut b = Builder::default();
            for c in 0..shape.clauses {
                if c > 0 {
                    let s_et = b.src("et");
                    b.tgt("and", &[s_et]);
                }
                noun_phrase(&mut b, rng, true, shape, 0);
                verb_phrase(&mut b, rng, shape, 0);
            }
            let n = b.source.len();
            if n < lo || n > hi || self.held_out.contains(&b.source) {
                continue;
            }
            crate::order::sort_small(&mut b.links);
            return Pair {
                source: b.source,
                target: b.target,
                alignment: b.links,
            };
        }
    }

    /// A pair of any length in the corpus range.
    pub fn sample(&self, rng: &mut Rng) -> Pair {
        self.sample_len(rng, self.min_len, self.max_len)
    }

    /// `count` seeded pairs per source length bucket `(lo, hi)`, which
    /// sampling then never returns for training.
    pub fn hold_out(
        &mut self,
        buckets: &[(usize, usize)],
        count: usize,
        seed: u64,
    ) -> Vec<Vec<Pair>> {
        let mut rng = Rng::new(seed ^ 0x0DE1_D0E5);
        let sets: Vec<Vec<Pair>> = buckets
            .iter()
            .map(|&(lo, hi)| {
                (0..count)
                    .map(|_| self.sample_len(&mut rng, lo, hi))
                    .collect()
            })
            .collect();
        for p in sets.iter().flatten() {
            self.held_out.insert(p.source.clone());
        }
        sets
    }

    /// Whether training sampling excludes this source sentence.
    pub fn is_held_out(&self, source: &[String]) -> bool {
        self.held_out.contains(source)
    }
}

/// The reference translation of a source sentence that follows the grammar,
/// with its true alignment, found by parsing it left to right. Err (a
/// sentence for the learner) naming the first word that does not fit.
pub fn reference(source: &[impl AsRef<str>]) -> Result<Pair, String> {
    let words: Vec<String> = source
        .iter()
        .map(|w| crate::case::lowercase(w.as_ref()))
        .collect();
    let mut p = Parse {
        src: &words,
        i: 0,
        b: Builder::default(),
    };
    loop {
        p.noun_phrase()?;
        p.verb_phrase()?;
        match p.peek(0) {
            None => break,
            Some("et") => {
                let s = p.i;
                p.b.tgt("and", &[s]);
                p.i += 1;
            }
            Some(w) => {
                return Err(format!(
                    "“{w}” (word {}) cannot follow a complete clause; join clauses with “et”.",
                    p.i + 1
                ))
            }
        }
    }
    let mut b = p.b;
    crate::order::sort_small(&mut b.links);
    Ok(Pair {
        source: words,
        target: b.target,
        alignment: b.links,
    })
}

struct Parse<'a> {
    src: &'a [String],
    i: usize,
    b: Builder,
}

impl Parse<'_> {
    fn peek(&self, k: usize) -> Option<&str> {
        self.src.get(self.i + k).map(String::as_str)
    }

    fn want(&self, what: &str) -> String {
        match self.peek(0) {
            Some(w) => format!("Expected {what} at word {} but found “{w}”.", self.i + 1),
            None => format!("The sentence ends where {what} should come."),
        }
    }

    fn noun_phrase(&mut self) -> Result<(), String> {
        let det = match self.peek(0) {
            Some("le" | "la") => "the",
            Some("un" | "une") => "a",
            _ => return Err(self.want("a determiner (le, la, un, une)")),
        };
        let s_det = self.i;
        self.i += 1;
        let noun = if self.peek(0) == Some("pomme")
            && self.peek(1) == Some("de")
            && self.peek(2) == Some("terre")
        {
            NOUNS.iter().find(|n| n.0 == "pomme de terre")
        } else {
            self.peek(0).and_then(|w| NOUNS.iter().find(|n| n.0 == w))
        };
        let noun = noun.ok_or_else(|| self.want("a noun"))?;
        let width = noun.0.split(' ').count();
        let s_noun: Vec<usize> = (self.i..self.i + width).collect();
        self.i += width;
        let mut adjs = Vec::new();
        while let Some(a) = self
            .peek(0)
            .and_then(|w| ADJECTIVES.iter().find(|a| a.0 == w || a.1 == w))
        {
            adjs.push((self.i, a.2));
            self.i += 1;
        }
        self.b.tgt(det, &[s_det]);
        for (s, t) in adjs {
            self.b.tgt(t, &[s]);
        }
        self.b.tgt(noun.2, &s_noun);
        if self.peek(0) == Some("qui") {
            let s = self.i;
            self.b.tgt("that", &[s]);
            self.i += 1;
            self.verb_phrase()?;
        }
        Ok(())
    }

    fn verb_phrase(&mut self) -> Result<(), String> {
        let neg = self.peek(0) == Some("ne");
        let s_ne = self.i;
        if neg {
            self.i += 1;
        }
        let s_v = self.i;
        let verb = self.peek(0).map(str::to_string);
        let transitive = verb
            .as_deref()
            .and_then(|v| TRANSITIVE.iter().find(|t| t.0 == v));
        let intransitive = verb
            .as_deref()
            .and_then(|v| INTRANSITIVE.iter().find(|t| t.0 == v));
        if transitive.is_none() && intransitive.is_none() {
            return Err(self.want("a verb"));
        }
        self.i += 1;
        let s_pas = self.i;
        if neg {
            if self.peek(0) != Some("pas") {
                return Err(self.want("“pas” (after “ne” and the verb)"));
            }
            self.i += 1;
        }
        if let Some(&(_, third, base)) = transitive {
            if neg {
                self.b.tgt("does", &[s_v]);
                self.b.tgt("not", &[s_ne, s_pas]);
                self.b.tgt(base, &[s_v]);
            } else {
                self.b.tgt(third, &[s_v]);
            }
            self.noun_phrase()
        } else if let Some(&(_, part)) = intransitive {
            self.b.tgt("is", &[s_v]);
            if neg {
                self.b.tgt("not", &[s_ne, s_pas]);
            }
            self.b.tgt(part, &[s_v]);
            Ok(())
        } else {
            Err(self.want("a verb"))
        }
    }
}

/// Alignment error rate of `predicted` links against the true `reference`
/// links (both `(target, source)`), with every true link counted as sure:
/// `1 - 2 |A ∩ S| / (|A| + |S|)`. 0 is perfect; 1 when nothing matches or
/// both are empty.
pub fn alignment_error_rate(predicted: &[(usize, usize)], reference: &[(usize, usize)]) -> f64 {
    let total = predicted.len() + reference.len();
    if total == 0 {
        return 1.0;
    }
    let s: HashSet<&(usize, usize)> = reference.iter().collect();
    let hits = predicted
        .iter()
        .collect::<HashSet<_>>()
        .intersection(&s)
        .count();
    1.0 - 2.0 * hits as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_cover_every_sampled_word() {
        let (src, tgt) = (source_words(), target_words());
        let c = Corpus::new(3, 40);
        let mut rng = Rng::new(1);
        for _ in 0..500 {
            let p = c.sample(&mut rng);
            assert!(
                p.source.iter().all(|w| src.contains(&w.as_str())),
                "{:?}",
                p.source
            );
            assert!(
                p.target.iter().all(|w| tgt.contains(&w.as_str())),
                "{:?}",
                p.target
            );
        }
    }

    #[test]
    fn vocab_round_trips_and_marks_unknown_words() {
        let v = Vocab::default();
        assert_eq!(v.encode_source(&["Le", "chat", "zorglub"])[2], 0);
        assert_ne!(v.encode_source(&["Le"])[0], 0, "case-insensitive");
        let ids = v.encode_target(&["the", "black", "cat"]);
        assert!(ids.iter().all(|&i| i > 2));
        assert_eq!(v.decode_target(&ids), vec!["the", "black", "cat"]);
        assert_eq!(v.decode_target(&[9999]), vec![UNK]);
    }

    #[test]
    fn reference_matches_the_generator_and_explains_bad_sentences() {
        let c = Corpus::new(3, 40);
        let mut rng = Rng::new(2);
        for _ in 0..500 {
            let p = c.sample(&mut rng);
            assert_eq!(reference(&p.source).as_ref(), Ok(&p), "{:?}", p.source);
        }
        let p = reference(&["Le", "chat", "noir", "mange", "la", "pomme", "de", "terre"]).unwrap();
        assert_eq!(p.target.join(" "), "the black cat eats the potato");
        assert!(reference(&["le", "chat"])
            .unwrap_err()
            .contains("ends where a verb"));
        assert!(reference(&["le", "zorglub", "dort"])
            .unwrap_err()
            .contains("“zorglub”"));
        assert!(reference(&["le", "chat", "dort", "bien"])
            .unwrap_err()
            .contains("“bien”"));
        assert!(reference(&Vec::<String>::new()).is_err());
    }

    #[test]
    fn aer_counts_matches() {
        let r = [(0, 0), (1, 2), (2, 1)];
        assert_eq!(alignment_error_rate(&r, &r), 0.0);
        assert_eq!(alignment_error_rate(&[(0, 1)], &r), 1.0);
        assert!(
            (alignment_error_rate(&[(0, 0), (1, 1), (2, 1)], &r) - (1.0 - 4.0 / 6.0)).abs() < 1e-12
        );
        assert_eq!(alignment_error_rate(&[], &[]), 1.0);
    }
}
