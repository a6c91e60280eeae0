//! View-models of the translation chapters (the bottleneck and alignment):
//! the learner's sentence read against the vocabulary and the grammar, the
//! shipped translators run on it, and held-out measurements made a word of
//! one sentence by one model at a time (so a page can spread them over
//! animation frames).

use crate::charts::colormap::Rgb;
use crate::charts::plots::{CurveChart, Series};
use crate::models::CONTEXTS;
use crate::text::tokenize;
use attention_core::case::lowercase;
use attention_core::train::seq2seq::{mean_cross_attention, Seq2Seq, Seq2SeqCache};
use attention_core::train::translate::{reference, Pair, Vocab};
use attention_core::train::translator::{held_out, Scoring, BUCKETS, HELD_OUT_PER_BUCKET};
use attention_core::Mat;

/// Longest sentence the translators read (they were trained up to 40).
pub const MAX_WORDS: usize = 40;

/// Series colours: attention (blue), bottleneck 32 (orange), 8 (purple).
pub const COLORS: [Rgb; 3] = [(0x00, 0x72, 0xb2), (0xe6, 0x9f, 0x00), (0xcc, 0x79, 0xa7)];

/// The learner's sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// Lower-cased words (at most [`MAX_WORDS`]).
    pub words: Vec<String>,
    /// Words outside the vocabulary (read as [unk]).
    pub unknown: Vec<bool>,
    /// The grammar's translation and true alignment, or why the sentence
    /// does not follow the grammar.
    pub reference: Result<Pair, String>,
    /// Notes for the learner (cut sentence, unknown words).
    pub notes: Vec<String>,
}

pub fn read_input(text: &str, vocab: &Vocab) -> Input {
    let t = tokenize(text);
    let mut notes = t.notes;
    let mut words: Vec<String> = t.tokens.iter().map(|w| lowercase(w)).collect();
    if words.len() > MAX_WORDS {
        notes.push(format!(
            "The translators read at most {MAX_WORDS} words; the rest is left out."
        ));
        words.truncate(MAX_WORDS);
    }
    let ids = vocab.encode_source(&words);
    let unknown: Vec<bool> = ids.iter().map(|&i| i == 0).collect();
    let unk: Vec<&str> = words
        .iter()
        .zip(&unknown)
        .filter(|(_, u)| **u)
        .map(|(w, _)| w.as_str())
        .collect();
    if !unk.is_empty() {
        notes.push(format!(
            "Not in the translators' vocabulary (read as [unk]): {}.",
            unk.join(", ")
        ));
    }
    let reference = if words.is_empty() {
        Err("Type a sentence to translate.".to_string())
    } else {
        reference(&words)
    };
    Input {
        words,
        unknown,
        reference,
        notes,
    }
}

/// One model's translation of the learner's sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation {
    pub words: Vec<String>,
    /// Per layer: cross-attention averaged over heads, then per head;
    /// `produced + 1` rows (the last row produced the end mark) x source.
    pub cross: Vec<(Mat, Vec<Mat>)>,
    /// The bottleneck's context vector, if the model has one.
    pub context: Option<Vec<f64>>,
    /// Words matching the reference at the same place, if there is one.
    pub right: Option<usize>,
}

pub fn translate(model: &Seq2Seq, vocab: &Vocab, input: &Input) -> Result<Translation, String> {
    if input.words.is_empty() {
        return Err("Type a sentence to translate.".into());
    }
    let src = vocab.encode_source(&input.words);
    let limit = 2 * src.len() + 10;
    let (out, cache) = model.translate(&src, limit).map_err(|e| e.to_string())?;
    let words = vocab.decode_target(&out);
    let right = input
        .reference
        .as_ref()
        .ok()
        .map(|p| p.target.iter().zip(&words).filter(|(a, b)| a == b).count());
    Ok(Translation {
        cross: cross_maps(&cache)?,
        context: cache.context.as_ref().map(|c| c.iter().copied().collect()),
        words,
        right,
    })
}

fn cross_maps(cache: &Seq2SeqCache) -> Result<Vec<(Mat, Vec<Mat>)>, String> {
    cache
        .decoder
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let mean = mean_cross_attention(cache, l).map_err(|e| e.to_string())?;
            Ok((mean, layer.cross_attn.weights.clone()))
        })
        .collect()
}

/// Held-out results of one model in one length group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BucketTally {
    /// Target words in place.
    pub right: usize,
    /// Target words in all.
    pub positions: usize,
    /// Sum of the sentences' alignment error rates.
    pub aer_sum: f64,
    pub sentences: usize,
}

/// Held-out results of one model, per length group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub buckets: Vec<BucketTally>,
}

impl Tally {
    fn measured(&self, b: usize) -> Option<&BucketTally> {
        self.buckets.get(b).filter(|t| t.sentences > 0)
    }
    /// Token accuracy of bucket `b`, once it has sentences.
    pub fn accuracy(&self, b: usize) -> Option<f64> {
        self.measured(b)
            .map(|t| t.right as f64 / t.positions.max(1) as f64)
    }
    /// Mean AER of bucket `b`.
    pub fn aer(&self, b: usize) -> Option<f64> {
        self.measured(b).map(|t| t.aer_sum / t.sentences as f64)
    }
    /// Over every measured sentence: (token accuracy, mean AER).
    pub fn overall(&self) -> (Option<f64>, Option<f64>) {
        let (r, p, a, n) = self.buckets.iter().fold((0, 0, 0.0, 0), |s, t| {
            (
                s.0 + t.right,
                s.1 + t.positions,
                s.2 + t.aer_sum,
                s.3 + t.sentences,
            )
        });
        if n == 0 {
            (None, None)
        } else {
            (Some(r as f64 / p.max(1) as f64), Some(a / n as f64))
        }
    }
}

/// Measures models on the held-out sets one sentence at a time: bucket by
/// bucket, every model on the same sentence before moving on, so partial
/// results compare like with like. A call of [`Measurer::work`] does one
/// part of one model's translation ([`Scoring`]).
#[derive(Clone, Debug)]
pub struct Measurer {
    sets: Vec<Vec<Pair>>,
    /// (bucket, sentence) of the next sentence.
    next: (usize, usize),
    pub tallies: Vec<Tally>,
    /// The model translating the current sentence, and how far it is.
    scoring: Option<(usize, Scoring)>,
}

impl Measurer {
    /// For `models` models, on the shipped models' held-out sets.
    pub fn new(models: usize) -> Self {
        let (_, sets) = held_out(HELD_OUT_PER_BUCKET);
        Measurer::with_sets(models, sets)
    }

    /// For `models` models on the given sets (one per bucket, in
    /// [`BUCKETS`] order; fewer sets measure fewer buckets).
    pub fn with_sets(models: usize, sets: Vec<Vec<Pair>>) -> Self {
        Measurer {
            tallies: vec![
                Tally {
                    buckets: vec![BucketTally::default(); sets.len()]
                };
                models
            ],
            sets,
            next: (0, 0),
            scoring: None,
        }
    }

    pub fn done(&self) -> bool {
        self.next.0 >= self.sets.len()
    }

    /// Sentences measured so far (per model) and in all.
    pub fn counts(&self) -> (usize, usize) {
        let done: usize = self
            .sets
            .iter()
            .take(self.next.0)
            .map(Vec::len)
            .sum::<usize>()
            + self.next.1;
        (done, self.sets.iter().map(Vec::len).sum())
    }

    /// One part of the translation of the next held-out sentence by one
    /// model of `models` (the same list, in creation order, at every call);
    /// the sentence counts once every model has translated it. Returns
    /// whether everything is measured.
    pub fn work(&mut self, models: &[&Seq2Seq], vocab: &Vocab) -> Result<bool, String> {
        let (b, i) = self.next;
        let Some(set) = self.sets.get(b) else {
            return Ok(true);
        };
        if let Some(pair) = set.get(i) {
            let (k, scoring) = self
                .scoring
                .get_or_insert_with(|| (0, Scoring::new(vocab, pair)));
            let (Some(model), Some(tally)) = (models.get(*k), self.tallies.get_mut(*k)) else {
                return Err(format!("There is no model {k} to measure."));
            };
            let Some(s) = scoring.part(model, vocab).map_err(|e| e.to_string())? else {
                return Ok(false);
            };
            if let Some(e) = tally.buckets.get_mut(b) {
                e.right += s.right;
                e.positions += s.positions;
                e.aer_sum += s.aer;
                e.sentences += 1;
            }
            let k = *k + 1;
            self.scoring =
                (k < models.len().min(self.tallies.len())).then(|| (k, Scoring::new(vocab, pair)));
            if self.scoring.is_some() {
                return Ok(false);
            }
        }
        self.next = if i + 1 < set.len() {
            (b, i + 1)
        } else {
            (b + 1, 0)
        };
        Ok(self.done())
    }
}

/// Middle of a bucket, for the x axis.
pub fn bucket_mid(b: usize) -> f64 {
    BUCKETS
        .get(b)
        .map_or(0.0, |&(lo, hi)| (lo + hi) as f64 / 2.0)
}

/// "3–6 words".
pub fn bucket_label(b: usize) -> String {
    BUCKETS
        .get(b)
        .map_or(String::new(), |&(lo, hi)| format!("{lo}–{hi} words"))
}

/// What a held-out measurement by length shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthMeasure {
    /// Token accuracy of every shipped model (attention, then each
    /// bottleneck width, widest first).
    Accuracy,
    /// The attention model's alignment error rate (and accuracy).
    Alignment,
}

impl LengthMeasure {
    /// Names of the measured models, in [`Measurer`] order.
    pub fn model_names(self) -> Vec<String> {
        let mut v = vec!["attention".to_string()];
        if self == LengthMeasure::Accuracy {
            v.extend(
                CONTEXTS
                    .iter()
                    .rev()
                    .map(|c| format!("bottleneck, {c} numbers")),
            );
        }
        v
    }
}

/// Held-out token accuracy (or AER) against source length, a line per model.
pub fn length_chart(tallies: &[Tally], names: &[String], colors: &[Rgb], aer: bool) -> CurveChart {
    CurveChart {
        title: if aer {
            "Alignment error rate by source length (held out)".into()
        } else {
            "Token accuracy by source length (held out)".into()
        },
        x_label: "source sentence length (words, middle of each group)".into(),
        y_label: if aer {
            "AER (0 = perfect)"
        } else {
            "token accuracy"
        }
        .into(),
        y_range: (0.0, 1.0),
        series: tallies
            .iter()
            .zip(names)
            .zip(colors)
            .enumerate()
            .map(|(i, ((t, n), c))| {
                Series::new(
                    n.clone(),
                    (0..BUCKETS.len())
                        .filter_map(|b| {
                            let v = if aer { t.aer(b) } else { t.accuracy(b) };
                            v.map(|v| (bucket_mid(b), v))
                        })
                        .collect(),
                    *c,
                    i % 2 == 1,
                )
            })
            .collect(),
        x_max: 40.0,
    }
}

/// Example sentences (short to long) for the learner to start from.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("short", "le chat noir mange la pomme"),
    ("negation", "la fille ne regarde pas le livre vieux"),
    ("potato", "le garçon aime la pomme de terre rouge"),
    (
        "long",
        "le chien petit qui suit la femme mange le gâteau blanc et la souris noire ne dort pas",
    ),
    (
        "very long",
        "un homme vieux qui regarde la maison rouge aime le chat noir petit et la fille ne mange pas la pomme de terre et un oiseau rapide chante",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_translators;

    #[test]
    fn input_flags_unknown_words_and_checks_the_grammar() {
        let v = Vocab::default();
        let i = read_input("Le chat NOIR dort", &v);
        assert_eq!(i.words, vec!["le", "chat", "noir", "dort"]);
        assert!(i.unknown.iter().all(|u| !u));
        assert_eq!(
            i.reference.as_ref().map(|p| p.target.join(" ")),
            Ok("the black cat is sleeping".to_string())
        );
        let bad = read_input("le <b>chat</b> dort", &v);
        assert_eq!(bad.unknown, vec![false, true, false]);
        assert!(bad.notes.iter().any(|n| n.contains("<b>chat</b>")));
        assert!(bad.reference.is_err());
        let long = read_input(&"le chat dort et ".repeat(20), &v);
        assert_eq!(long.words.len(), MAX_WORDS);
        assert!(long.notes.iter().any(|n| n.contains("at most 40")));
        assert!(read_input("   ", &v).reference.is_err());
    }

    #[test]
    fn shipped_translators_translate_and_attention_beats_the_bottleneck_on_long_sentences() {
        let t = shipped_translators();
        let v = Vocab::default();
        let short = read_input(EXAMPLES[0].1, &v);
        let a = translate(&t.attention, &v, &short).unwrap();
        assert_eq!(a.words.join(" "), "the black cat eats the apple");
        assert_eq!(a.right, Some(6));
        assert!(a.context.is_none());
        assert_eq!(a.cross.len(), 2);
        let (mean, heads) = &a.cross[1];
        assert_eq!(
            (mean.nrows(), mean.ncols()),
            (7, 6),
            "6 words + end mark, 6 source words"
        );
        assert_eq!(heads.len(), 2);
        let b = translate(&t.bottleneck[1].1, &v, &short).unwrap();
        assert_eq!(b.context.as_ref().map(Vec::len), Some(32));
        assert_eq!(b.cross[0].0.ncols(), 1, "one memory row");
        // A long sentence: attention keeps (nearly) all of it, the bottleneck loses it.
        let long = read_input(EXAMPLES[3].1, &v);
        let a = translate(&t.attention, &v, &long).unwrap();
        let b = translate(&t.bottleneck[1].1, &v, &long).unwrap();
        assert!(
            a.right > b.right,
            "{:?} {:?} vs {:?} {:?} ref {:?}",
            a.right,
            a.words,
            b.right,
            b.words,
            long.reference
        );
        assert!(translate(&t.attention, &v, &read_input("", &v)).is_err());
    }

    #[test]
    fn measurer_walks_every_bucket_and_tallies_both_models() {
        let t = shipped_translators();
        let v = Vocab::default();
        let mut m = Measurer::new(2);
        assert_eq!(m.counts(), (0, 7 * HELD_OUT_PER_BUCKET));
        // The first bucket only (3-6 words): both models, same sentences,
        // a word (or the encoding) of one model's translation per call.
        let models = [&t.attention, &t.bottleneck[1].1];
        let mut calls = 0;
        while m.counts().0 < HELD_OUT_PER_BUCKET {
            m.work(&models, &v).unwrap();
            calls += 1;
        }
        assert_eq!(m.counts().0, HELD_OUT_PER_BUCKET);
        // As whole sentences scored at once (`score`, one call each).
        let (_, sets) = held_out(HELD_OUT_PER_BUCKET);
        let mut parts = 0;
        for (model, tally) in models.iter().zip(&m.tallies) {
            let (mut right, mut positions) = (0, 0);
            for p in &sets[0] {
                let s = attention_core::train::translator::score(model, &v, p).unwrap();
                (right, positions) = (right + s.right, positions + s.positions);
                // The encoding, then one decoder run per word and the end.
                parts += 1 + s.output.len() + 1;
            }
            let b = &tally.buckets[0];
            assert_eq!((b.right, b.positions), (right, positions));
        }
        assert_eq!(calls, parts);
        assert!(m.tallies[0].accuracy(0).is_some() && m.tallies[0].accuracy(1).is_none());
        assert_eq!(
            m.tallies[0].buckets[0].sentences,
            m.tallies[1].buckets[0].sentences
        );
        let chart = length_chart(
            &m.tallies,
            &["a".into(), "b".into()],
            &[(0, 0, 0), (1, 1, 1)],
            false,
        );
        assert_eq!(chart.series[0].points.len(), 1);
        assert_eq!(chart.series[0].points[0].0, 4.5);
        assert!(m.tallies[0].overall().0.is_some());
        assert_eq!(bucket_label(6), "31–40 words");
    }

    #[test]
    fn a_measurer_on_no_sets_is_done_at_once() {
        let t = shipped_translators();
        let mut m = Measurer::with_sets(1, Vec::new());
        assert!(m.done());
        assert_eq!(m.counts(), (0, 0));
        assert!(m.work(&[&t.attention], &Vocab::default()).unwrap());
        assert_eq!(m.tallies[0].overall(), (None, None));
    }

    #[test]
    fn model_names_follow_the_measurer_order() {
        assert_eq!(
            LengthMeasure::Accuracy.model_names(),
            vec![
                "attention",
                "bottleneck, 32 numbers",
                "bottleneck, 8 numbers"
            ]
        );
        assert_eq!(LengthMeasure::Alignment.model_names(), vec!["attention"]);
    }

    #[test]
    fn examples_follow_the_grammar() {
        let v = Vocab::default();
        for (name, e) in EXAMPLES {
            let i = read_input(e, &v);
            assert!(i.reference.is_ok(), "{name}: {:?}", i.reference);
            assert!(i.unknown.iter().all(|u| !u), "{name}");
        }
    }
}
