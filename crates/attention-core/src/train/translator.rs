//! Training and measuring the translator ([`super::seq2seq`]) on the toy
//! corpus ([`super::translate`]): a seeded trainer that takes one step at a
//! time (or a small part of a step at a time, [`Trainer::train_part`]),
//! held-out sets by source length, and the measures the chapters show
//! (one sentence at a time, or a word of it at a time: [`Scoring`]).
//!
//! Token accuracy is measured on greedy translations, position by position
//! against the reference: a missing or extra word counts as an error
//! (`matches / max(len(output), len(reference))`, summed over sentences).
//! AER compares the hard alignment (each produced word's most-attended source
//! word, heads of the last decoder layer averaged) with the true links.

use super::seq2seq::{
    hard_alignment, mean_cross_attention, Memory, Seq2Seq, Seq2SeqCache, Seq2SeqConfig,
    Seq2SeqStep, Translation,
};
use super::translate::{alignment_error_rate, Corpus, Pair, Vocab};
use super::{Adam, StepStats};
use crate::{AttnError, Rng};

/// Source-length buckets of the held-out sets.
pub const BUCKETS: &[(usize, usize)] = &[
    (3, 6),
    (7, 10),
    (11, 15),
    (16, 20),
    (21, 25),
    (26, 30),
    (31, 40),
];

/// Settings of one training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TranslatorTraining {
    pub memory: Memory,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_hidden: usize,
    pub layers: usize,
    pub batch: usize,
    pub lr: f64,
    /// Source lengths trained on.
    pub min_len: usize,
    pub max_len: usize,
    pub seed: u64,
}

impl TranslatorTraining {
    /// The shipped models' settings (d_model 32, 2 heads, 2 + 2 layers,
    /// batch 32, sentences of 3 to 40 words) with the given memory.
    pub fn shipped(memory: Memory) -> Self {
        TranslatorTraining {
            memory,
            d_model: 32,
            n_heads: 2,
            d_hidden: 64,
            layers: 2,
            batch: 32,
            lr: 3e-3,
            min_len: 3,
            max_len: 40,
            seed: 1,
        }
    }

    /// A model small enough to train in a browser tab in seconds: the
    /// shipped width with one encoder and one decoder layer, batch 16,
    /// sentences of 3 to `max_len` words.
    pub fn small(memory: Memory, max_len: usize, seed: u64) -> Self {
        TranslatorTraining {
            layers: 1,
            batch: 16,
            max_len,
            seed,
            ..TranslatorTraining::shipped(memory)
        }
    }
}

/// A model being trained.
pub struct Trainer {
    pub model: Seq2Seq,
    pub vocab: Vocab,
    pub corpus: Corpus,
    opt: Adam,
    rng: Rng,
    batch: usize,
    /// Steps taken.
    pub step: usize,
    /// The step [`Trainer::train_part`] is doing.
    pending: Option<Seq2SeqStep>,
}

/// Held-out sentences per bucket of the shipped models.
pub const HELD_OUT_PER_BUCKET: usize = 30;
/// Seed of the held-out sets.
pub const HELD_OUT_SEED: u64 = 11;

/// The held-out sets (one per [`BUCKETS`] entry, `count` pairs each) and a
/// corpus (lengths 3 to 40) that never samples them for training.
pub fn held_out(count: usize) -> (Corpus, Vec<Vec<Pair>>) {
    let mut corpus = Corpus::new(3, 40);
    let sets = corpus.hold_out(BUCKETS, count, HELD_OUT_SEED);
    (corpus, sets)
}

impl Trainer {
    /// A fresh model; `holdout` pairs per bucket ([`held_out`]) are kept
    /// out of training and returned.
    pub fn new(t: TranslatorTraining, holdout: usize) -> Result<(Self, Vec<Vec<Pair>>), AttnError> {
        let vocab = Vocab::default();
        let (mut corpus, sets) = held_out(holdout);
        corpus.min_len = t.min_len.clamp(3, 40);
        corpus.max_len = t.max_len.clamp(corpus.min_len, 40);
        let model = Seq2Seq::new(Seq2SeqConfig {
            memory: t.memory,
            src_vocab: vocab.source.len(),
            tgt_vocab: vocab.target.len(),
            d_model: t.d_model,
            n_heads: t.n_heads,
            d_hidden: t.d_hidden,
            enc_layers: t.layers,
            dec_layers: t.layers,
            seed: t.seed,
        })?;
        super::nonzero("batch", t.batch)?;
        Ok((
            Trainer {
                model,
                vocab,
                corpus,
                opt: Adam::new(t.lr),
                rng: Rng::new(t.seed.wrapping_add(100)),
                batch: t.batch,
                step: 0,
                pending: None,
            },
            sets,
        ))
    }

    /// One Adam step on a fresh batch.
    pub fn train_step(&mut self) -> Result<StepStats, AttnError> {
        let batch = self.batch();
        self.step += 1;
        self.model.train_step(&batch, &mut self.opt)
    }

    /// [`Trainer::train_step`] in parts ([`Seq2SeqStep`]: one pair's
    /// forward and backward pass, or the update; the batch is drawn at the
    /// first part). Returns the step's stats once its last part is done
    /// (`step` counts it then).
    pub fn train_part(&mut self) -> Result<Option<StepStats>, AttnError> {
        let mut step = match self.pending.take() {
            Some(s) => s,
            None => Seq2SeqStep::new(self.batch())?,
        };
        let stats = step.part(&mut self.model, &mut self.opt)?;
        match stats {
            Some(_) => self.step += 1,
            None => self.pending = Some(step),
        }
        Ok(stats)
    }

    fn batch(&mut self) -> Vec<(Vec<usize>, Vec<usize>)> {
        (0..self.batch)
            .map(|_| self.vocab.encode(&self.corpus.sample(&mut self.rng)))
            .collect()
    }
}

/// One sentence translated and scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub output: Vec<String>,
    pub right: usize,
    /// `max(len(output), len(reference))`.
    pub positions: usize,
    pub aer: f64,
}

/// Greedy translation of `p` by `model`, scored against its reference.
pub fn score(model: &Seq2Seq, vocab: &Vocab, p: &Pair) -> Result<Scored, AttnError> {
    let mut s = Scoring::new(vocab, p);
    loop {
        if let Some(done) = s.part(model, vocab)? {
            return Ok(done);
        }
    }
}

/// [`score`] a word at a time ([`Translation`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Scoring {
    pair: Pair,
    tgt: Vec<usize>,
    translation: Translation,
}

impl Scoring {
    /// Scoring `p` (encoded with `vocab`).
    pub fn new(vocab: &Vocab, p: &Pair) -> Self {
        let (src, tgt) = vocab.encode(p);
        Scoring {
            translation: Translation::new(&src, tgt.len() + 10),
            tgt,
            pair: p.clone(),
        }
    }

    /// The next part of the translation by `model` (the same model and
    /// vocabulary at every call); the score once it is complete.
    pub fn part(&mut self, model: &Seq2Seq, vocab: &Vocab) -> Result<Option<Scored>, AttnError> {
        match self.translation.part(model)? {
            Some((out, cache)) => {
                scored(model, vocab, &self.pair, &self.tgt, &out, &cache).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// The score of translation `out` (target ids `tgt` are the reference).
fn scored(
    model: &Seq2Seq,
    vocab: &Vocab,
    p: &Pair,
    tgt: &[usize],
    out: &[usize],
    cache: &Seq2SeqCache,
) -> Result<Scored, AttnError> {
    let right = tgt.iter().zip(out).filter(|(a, b)| a == b).count();
    let last = model.cfg.dec_layers - 1;
    let att = mean_cross_attention(cache, last)?;
    let aer = alignment_error_rate(
        &hard_alignment(&att, out.len().min(tgt.len())),
        &p.alignment,
    );
    Ok(Scored {
        output: vocab.decode_target(out),
        right,
        positions: tgt.len().max(out.len()).max(1),
        aer,
    })
}

/// Token accuracy and mean AER over `pairs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    pub accuracy: f64,
    /// Share of sentences translated exactly.
    pub exact: f64,
    pub aer: f64,
}

pub fn measure(model: &Seq2Seq, vocab: &Vocab, pairs: &[Pair]) -> Result<Measured, AttnError> {
    let (mut right, mut total, mut exact, mut aer) = (0, 0, 0, 0.0);
    for p in pairs {
        let s = score(model, vocab, p)?;
        right += s.right;
        total += s.positions;
        exact += usize::from(s.output == p.target);
        aer += s.aer;
    }
    let n = pairs.len().max(1) as f64;
    Ok(Measured {
        accuracy: right as f64 / total.max(1) as f64,
        exact: exact as f64 / n,
        aer: aer / n,
    })
}
