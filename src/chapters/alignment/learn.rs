//! "Watch it learn": a small attention translator trained from scratch in
//! the browser (1 + 1 layers, d_model 32, sentences of 3 to 12 words), with
//! a snapshot of its cross-attention on one sentence every few steps.
//!
//! The watched sentence is read teacher-forced on its reference translation,
//! so every snapshot has the same rows (the reference words and the end
//! mark) and can be compared with the true alignment.
//!
//! [`Learner`] is plain data and logic, a [`crate::training::Job`] the page
//! runs over animation frames; the scrubber's position ([`Scrub`]) follows
//! the latest snapshot until the learner moves it. Tested natively.

use attention_core::train::seq2seq::{
    hard_alignment, mean_cross_attention, teacher_forcing, Memory,
};
use attention_core::train::translate::{alignment_error_rate, reference, Pair};
use attention_core::train::translator::{Trainer, TranslatorTraining};
use attention_core::Mat;

/// A snapshot is taken every this many steps (and at step 0).
pub const EVERY: usize = 10;
/// The longest sentence the model in training is watched on.
pub const MAX_WATCHED: usize = 12;
/// Watched when the learner's sentence cannot be.
pub const FALLBACK: [&str; 10] = [
    "le", "chat", "noir", "ne", "mange", "pas", "la", "pomme", "de", "terre",
];

/// The watched sentence: the learner's if it follows the grammar (and has
/// at most [`MAX_WATCHED`] words), else [`FALLBACK`] and a note saying so.
pub fn watched(text: &str) -> (Pair, Option<String>) {
    let words: Vec<String> = crate::text::tokenize(text).tokens;
    match reference(&words) {
        Ok(p) if p.source.len() <= MAX_WATCHED => (p, None),
        _ => (
            reference(&FALLBACK).unwrap_or_else(|_| Pair {
                source: vec![],
                target: vec![],
                alignment: vec![],
            }),
            Some(format!(
                "Your sentence is longer than {MAX_WATCHED} words or does not follow the grammar, so the model in training is watched on “{}”.",
                FALLBACK.join(" ")
            )),
        ),
    }
}

/// What a learner is built from.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnConfig {
    /// The watched sentence (see [`watched`]).
    pub pair: Pair,
    pub steps: usize,
    pub seed: u64,
}

/// The scrubber: a snapshot the learner chose, for the configuration it
/// was chosen in; otherwise it follows the latest snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scrub {
    chosen: Option<(LearnConfig, usize)>,
}

impl Scrub {
    /// The snapshot shown out of `n`, for the current configuration.
    pub fn shown(&self, config: &LearnConfig, n: usize) -> usize {
        let last = n.saturating_sub(1);
        self.chosen
            .as_ref()
            .filter(|(c, _)| c == config)
            .map_or(last, |(_, i)| (*i).min(last))
    }

    /// The learner moved the scrubber to `v` out of `n` snapshots; at the
    /// last one it follows again.
    pub fn choose(config: &LearnConfig, v: f64, n: usize) -> Self {
        let last = n.saturating_sub(1);
        let i = if v.is_finite() {
            (v.round().max(0.0) as usize).min(last)
        } else {
            last
        };
        Scrub {
            chosen: (i != last).then(|| (config.clone(), i)),
        }
    }
}

/// The cross-attention on the watched sentence at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub step: usize,
    /// `(target words + 1) x source words`, heads of the decoder averaged.
    pub attention: Mat,
    /// Hard alignment against the true links.
    pub aer: f64,
    /// Mean training loss since the previous snapshot (NaN at step 0).
    pub loss: f64,
}

/// Settings of the model trained in the page.
pub fn settings(seed: u64) -> TranslatorTraining {
    TranslatorTraining::small(Memory::Attention, 12, seed)
}

pub struct Learner {
    trainer: Trainer,
    pub pair: Pair,
    src: Vec<usize>,
    dec_in: Vec<usize>,
    pub steps: usize,
    pub snapshots: Vec<Snapshot>,
    losses: Vec<f64>,
}

impl Learner {
    /// A fresh model watching the configured sentence.
    pub fn from_config(c: &LearnConfig) -> Result<Self, String> {
        Learner::new(c.pair.clone(), c.steps, c.seed)
    }

    /// A fresh model watching `pair` (which must follow the grammar).
    pub fn new(pair: Pair, steps: usize, seed: u64) -> Result<Self, String> {
        let (trainer, _) = Trainer::new(settings(seed), 5).map_err(|e| e.to_string())?;
        let (src, tgt) = trainer.vocab.encode(&pair);
        let (dec_in, _) = teacher_forcing(&tgt);
        let mut l = Learner {
            trainer,
            pair,
            src,
            dec_in,
            steps,
            snapshots: Vec::new(),
            losses: Vec::new(),
        };
        l.snapshot()?;
        Ok(l)
    }

    pub fn step(&self) -> usize {
        self.trainer.step
    }

    pub fn finished(&self) -> bool {
        self.trainer.step >= self.steps
    }

    fn snapshot(&mut self) -> Result<(), String> {
        let (_, cache) = self
            .trainer
            .model
            .forward(&self.src, &self.dec_in)
            .map_err(|e| e.to_string())?;
        let attention = mean_cross_attention(&cache, 0).map_err(|e| e.to_string())?;
        let aer = alignment_error_rate(
            &hard_alignment(&attention, self.pair.target.len()),
            &self.pair.alignment,
        );
        let loss = if self.losses.is_empty() {
            f64::NAN
        } else {
            self.losses.iter().sum::<f64>() / self.losses.len() as f64
        };
        self.losses.clear();
        self.snapshots.push(Snapshot {
            step: self.trainer.step,
            attention,
            aer,
            loss,
        });
        Ok(())
    }

    /// One training step (and a snapshot every [`EVERY`]). Returns whether
    /// training is finished.
    pub fn work(&mut self) -> Result<bool, String> {
        if self.finished() {
            return Ok(true);
        }
        let s = self.trainer.train_step().map_err(|e| e.to_string())?;
        self.losses.push(s.loss);
        if self.trainer.step.is_multiple_of(EVERY) || self.finished() {
            self.snapshot()?;
        }
        Ok(self.finished())
    }
}

impl crate::training::Job for Learner {
    /// Every snapshot so far.
    type View = Vec<Snapshot>;

    fn work(&mut self) -> Result<bool, String> {
        Learner::work(self)
    }

    fn finished(&self) -> bool {
        Learner::finished(self)
    }

    fn units(&self) -> usize {
        self.step()
    }

    fn view(&self) -> Vec<Snapshot> {
        self.snapshots.clone()
    }

    /// The page changes only when a snapshot is added.
    fn revision(&self) -> usize {
        self.snapshots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Job;

    #[test]
    fn snapshots_start_as_noise_and_alignment_improves() {
        let pair = reference(&["le", "chat", "noir", "mange", "la", "pomme", "rouge"]).unwrap();
        let mut l = Learner::new(pair, 200, 1).unwrap();
        assert_eq!(l.snapshots.len(), 1);
        assert_eq!(l.snapshots[0].step, 0);
        assert!(l.snapshots[0].loss.is_nan());
        let (r, c) = (
            l.snapshots[0].attention.nrows(),
            l.snapshots[0].attention.ncols(),
        );
        assert_eq!((r, c), (8, 7), "7 target words + end mark, 7 source words");
        while !l.work().unwrap() {}
        assert_eq!(l.snapshots.len(), 1 + 200 / EVERY);
        assert_eq!(l.snapshots.last().map(|s| s.step), Some(200));
        let first = l.snapshots[0].aer;
        let last = l.snapshots.last().map_or(1.0, |s| s.aer);
        eprintln!("AER at step 0: {first:.3}, at step 200: {last:.3}");
        assert!(last < first, "alignment gets better: {first} -> {last}");
        assert!(l.work().unwrap(), "finished stays finished");
    }

    fn config() -> LearnConfig {
        LearnConfig {
            pair: watched("le chat dort").0,
            steps: 25,
            seed: 1,
        }
    }

    #[test]
    fn the_learner_job_publishes_a_snapshot_every_ten_steps() {
        let mut l = Learner::from_config(&config()).unwrap();
        assert_eq!((l.units(), l.revision(), Job::view(&l).len()), (0, 1, 1));
        for _ in 0..EVERY {
            assert!(!Job::work(&mut l).unwrap());
        }
        assert_eq!((l.units(), l.revision()), (EVERY, 2));
        while !Job::work(&mut l).unwrap() {}
        assert!(Job::finished(&l));
        // Steps 0, 10, 20 and the last one, 25.
        let steps: Vec<usize> = Job::view(&l).iter().map(|s| s.step).collect();
        assert_eq!(steps, vec![0, 10, 20, 25]);
        assert_eq!(l.revision(), 4);
    }

    #[test]
    fn the_watched_sentence_falls_back_when_it_cannot_be_watched() {
        let (p, note) = watched("le chat noir mange la pomme");
        assert_eq!((p.source.len(), note), (6, None));
        for text in ["le <b>chat</b> dort", &"le chat dort et ".repeat(4), ""] {
            let (p, note) = watched(text);
            assert_eq!(p.source, FALLBACK.to_vec(), "{text}");
            assert!(note.is_some_and(|n| n.contains("longer than 12 words")));
        }
    }

    #[test]
    fn the_scrubber_follows_the_last_snapshot_until_moved() {
        let c = config();
        let follow = Scrub::default();
        assert_eq!(
            (
                follow.shown(&c, 0),
                follow.shown(&c, 1),
                follow.shown(&c, 7)
            ),
            (0, 0, 6)
        );
        // Moved back: it stays there as snapshots arrive.
        let back = Scrub::choose(&c, 2.0, 4);
        assert_eq!((back.shown(&c, 4), back.shown(&c, 9)), (2, 2));
        // Moved to the last snapshot (or past it): it follows again.
        assert_eq!(Scrub::choose(&c, 3.0, 4), Scrub::default());
        assert_eq!(Scrub::choose(&c, 99.0, 4).shown(&c, 9), 8);
        assert_eq!(Scrub::choose(&c, -3.0, 4).shown(&c, 4), 0);
        // A new configuration: the choice no longer applies.
        let other = LearnConfig {
            seed: 2,
            ..c.clone()
        };
        assert_eq!(back.shown(&other, 5), 4);
    }
}
