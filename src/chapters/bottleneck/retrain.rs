//! "Train both yourself": a small attention translator and a small
//! bottleneck translator (1 + 1 layers, d_model 32, sentences of 3 to 20
//! words) trained side by side in the page on the same batches, then
//! measured by length on held-out sentences the shipped models' tests also
//! use (the first four length groups, 10 sentences each).

use super::model::{Measurer, Tally};
use crate::charts::plots::{CurveChart, Series};
use attention_core::train::seq2seq::Memory;
use attention_core::train::translator::{held_out, Trainer, TranslatorTraining};

/// Longest training sentence of the small models.
pub const MAX_LEN: usize = 20;
/// Held-out sentences per length group.
pub const PER_BUCKET: usize = 10;
/// Length groups measured (3-6, 7-10, 11-15, 16-20 words).
pub const BUCKETS_MEASURED: usize = 4;

fn settings(memory: Memory, seed: u64) -> TranslatorTraining {
    TranslatorTraining {
        memory,
        d_model: 32,
        n_heads: 2,
        d_hidden: 64,
        layers: 1,
        batch: 16,
        lr: 3e-3,
        min_len: 3,
        max_len: MAX_LEN,
        seed,
    }
}

/// What the page shows of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub step: usize,
    pub steps: usize,
    /// Per model: (step, loss averaged over the last 10 steps).
    pub losses: [Vec<(f64, f64)>; 2],
    pub tallies: Vec<Tally>,
    pub measured: (usize, usize),
    pub done: bool,
}

pub struct Duel {
    trainers: [Trainer; 2],
    steps: usize,
    measurer: Measurer,
    losses: [Vec<(f64, f64)>; 2],
    recent: [f64; 2],
}

impl Duel {
    /// Attention and a bottleneck of width `context`, same seed (so the
    /// shared parts start equal) and the same batches.
    pub fn new(context: usize, steps: usize, seed: u64) -> Result<Self, String> {
        let make = |m| Trainer::new(settings(m, seed), PER_BUCKET).map_err(|e| e.to_string());
        let (a, _) = make(Memory::Attention)?;
        let (b, _) = make(Memory::Bottleneck { context })?;
        let (_, mut sets) = held_out(PER_BUCKET);
        sets.truncate(BUCKETS_MEASURED);
        Ok(Duel {
            trainers: [a, b],
            steps,
            measurer: Measurer::with_sets(2, sets),
            losses: [Vec::new(), Vec::new()],
            recent: [0.0; 2],
        })
    }

    pub fn step(&self) -> usize {
        self.trainers[0].step
    }

    pub fn done(&self) -> bool {
        self.step() >= self.steps && self.measurer.done()
    }

    /// One step of both models, or (after training) one held-out sentence
    /// translated by both. Returns whether everything is done.
    pub fn work(&mut self) -> Result<bool, String> {
        if self.step() < self.steps {
            for (i, t) in self.trainers.iter_mut().enumerate() {
                // Both trainers draw the same batches: same seed, same corpus.
                let s = t.train_step().map_err(|e| e.to_string())?;
                self.recent[i] += s.loss;
            }
            let step = self.step();
            if step.is_multiple_of(10) || step == self.steps {
                let n = if step.is_multiple_of(10) {
                    10.0
                } else {
                    (step % 10) as f64
                };
                for i in 0..2 {
                    self.losses[i].push((step as f64, self.recent[i] / n));
                    self.recent[i] = 0.0;
                }
            }
            return Ok(false);
        }
        let [a, b] = &self.trainers;
        self.measurer.work(&[&a.model, &b.model], &a.vocab)
    }

    pub fn progress(&self) -> Progress {
        Progress {
            step: self.step(),
            steps: self.steps,
            losses: self.losses.clone(),
            tallies: self.measurer.tallies.clone(),
            measured: self.measurer.counts(),
            done: self.done(),
        }
    }
}

/// Training loss of both small models.
pub fn loss_chart(p: &Progress, context: usize) -> CurveChart {
    let hi = p
        .losses
        .iter()
        .flatten()
        .map(|x| x.1)
        .fold(0.0_f64, f64::max);
    CurveChart {
        title: "Training loss of the two small models".into(),
        x_label: "step".into(),
        y_label: "cross-entropy".into(),
        y_range: (0.0, hi.max(0.1) * 1.05),
        series: vec![
            Series {
                name: "attention".into(),
                points: p.losses[0].clone(),
                color: super::COLORS[0],
                square: false,
            },
            Series {
                name: format!("bottleneck, {context} numbers"),
                points: p.losses[1].clone(),
                color: super::COLORS[1],
                square: true,
            },
        ],
        x_max: p.steps as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_duel_trains_both_then_measures_four_groups() {
        let mut d = Duel::new(8, 12, 1).unwrap();
        let mut units = 0;
        while !d.work().unwrap() {
            units += 1;
            assert!(units < 200);
        }
        // 12 steps, then 4 groups x 10 sentences (the last returns true).
        assert_eq!(units + 1, 12 + BUCKETS_MEASURED * PER_BUCKET);
        let p = d.progress();
        assert!(p.done && p.step == 12);
        assert_eq!(
            p.losses[0].iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![10.0, 12.0]
        );
        assert_eq!(p.tallies.len(), 2);
        assert!((0..4).all(|b| p.tallies[1].accuracy(b).is_some()));
        assert!(p.tallies[0].accuracy(4).is_none());
        assert_eq!(p.measured, (40, 40));
        assert_eq!(loss_chart(&p, 8).series[1].name, "bottleneck, 8 numbers");
        assert!(Duel::new(0, 5, 1).is_err());
    }
}
