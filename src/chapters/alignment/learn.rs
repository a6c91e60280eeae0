//! "Watch it learn": a small attention translator trained from scratch in
//! the browser (1 + 1 layers, d_model 32, sentences of 3 to 12 words), with
//! a snapshot of its cross-attention on one sentence every few steps.
//!
//! The watched sentence is read teacher-forced on its reference translation,
//! so every snapshot has the same rows (the reference words and the end
//! mark) and can be compared with the true alignment.

use attention_core::train::seq2seq::{
    hard_alignment, mean_cross_attention, teacher_forcing, Memory,
};
use attention_core::train::translate::{alignment_error_rate, Pair};
use attention_core::train::translator::{Trainer, TranslatorTraining};
use attention_core::Mat;

/// A snapshot is taken every this many steps (and at step 0).
pub const EVERY: usize = 10;

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
    TranslatorTraining {
        memory: Memory::Attention,
        d_model: 32,
        n_heads: 2,
        d_hidden: 64,
        layers: 1,
        batch: 16,
        lr: 3e-3,
        min_len: 3,
        max_len: 12,
        seed,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use attention_core::train::translate::reference;

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
}
