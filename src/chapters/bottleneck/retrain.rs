//! "Train both yourself": a small attention translator and a small
//! bottleneck translator (1 + 1 layers, d_model 32, sentences of 3 to 20
//! words) trained side by side in the page on the same batches, then
//! measured by length on held-out sentences the shipped models' tests also
//! use (the first four length groups, 10 sentences each).
//!
//! [`Duel`] is plain data and logic, a [`crate::training::Job`] the page
//! runs over animation frames, a small part of a step or of a translation
//! at a time; tested natively.

use crate::charts::plots::{CurveChart, Series};
use crate::widgets::translation::model::{Measurer, Tally, COLORS};
use attention_core::train::seq2seq::Memory;
use attention_core::train::translator::{held_out, Trainer, TranslatorTraining};

/// Longest training sentence of the small models.
pub const MAX_LEN: usize = 20;
/// Held-out sentences per length group.
pub const PER_BUCKET: usize = 10;
/// Length groups measured (3-6, 7-10, 11-15, 16-20 words).
pub const BUCKETS_MEASURED: usize = 4;
/// A loss point is the mean over this many steps.
const LOSS_EVERY: usize = 10;

fn settings(memory: Memory, seed: u64) -> TranslatorTraining {
    TranslatorTraining::small(memory, MAX_LEN, seed)
}

/// What a duel is trained with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DuelConfig {
    /// Width of the bottleneck's context vector.
    pub context: usize,
    pub steps: usize,
    pub seed: u64,
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

/// The two small translators, `[attention, bottleneck]`.
pub struct Duel {
    trainers: [Trainer; 2],
    steps: usize,
    measurer: Measurer,
    losses: [Vec<(f64, f64)>; 2],
    recent: [f64; 2],
    /// The trainer whose step is under way.
    turn: usize,
}

impl Duel {
    /// Attention and a bottleneck of width `context`, same seed (so the
    /// shared parts start equal) and the same batches.
    pub fn new(c: DuelConfig) -> Result<Self, String> {
        let make = |m| Trainer::new(settings(m, c.seed), PER_BUCKET).map_err(|e| e.to_string());
        let (a, _) = make(Memory::Attention)?;
        let (b, _) = make(Memory::Bottleneck { context: c.context })?;
        let (_, mut sets) = held_out(PER_BUCKET);
        sets.truncate(BUCKETS_MEASURED);
        Ok(Duel {
            trainers: [a, b],
            steps: c.steps,
            measurer: Measurer::with_sets(2, sets),
            losses: [Vec::new(), Vec::new()],
            recent: [0.0; 2],
            turn: 0,
        })
    }

    pub fn step(&self) -> usize {
        // The last trainer finishes a step last.
        let [_, b] = &self.trainers;
        b.step
    }

    pub fn done(&self) -> bool {
        self.step() >= self.steps && self.measurer.done()
    }

    /// One part of a step of one model ([`Trainer::train_part`]: one
    /// pair's forward and backward pass, or the update; the attention
    /// model's step first, then the bottleneck's), or (after training) one
    /// part of a held-out sentence's translation ([`Measurer::work`]).
    /// Returns whether everything is done.
    pub fn work(&mut self) -> Result<bool, String> {
        if self.step() < self.steps {
            let (t, recent) = match (
                self.trainers.get_mut(self.turn),
                self.recent.get_mut(self.turn),
            ) {
                (Some(t), Some(r)) => (t, r),
                _ => return Err(format!("There is no model {}.", self.turn)),
            };
            // Both trainers draw the same batches: same seed, same corpus.
            let Some(s) = t.train_part().map_err(|e| e.to_string())? else {
                return Ok(false);
            };
            *recent += s.loss;
            self.turn += 1;
            if self.turn < self.trainers.len() {
                return Ok(false);
            }
            self.turn = 0;
            let step = self.step();
            if step.is_multiple_of(LOSS_EVERY) || step == self.steps {
                let n = match step % LOSS_EVERY {
                    0 => LOSS_EVERY,
                    part => part,
                } as f64;
                for (losses, recent) in self.losses.iter_mut().zip(&mut self.recent) {
                    losses.push((step as f64, *recent / n));
                    *recent = 0.0;
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

impl crate::training::Job for Duel {
    type View = Progress;

    fn work(&mut self) -> Result<bool, String> {
        Duel::work(self)
    }

    fn finished(&self) -> bool {
        self.done()
    }

    /// Training steps (of both models): the rate is steps per second.
    fn units(&self) -> usize {
        self.step()
    }

    fn view(&self) -> Progress {
        self.progress()
    }

    /// Steps, then held-out sentences measured.
    fn revision(&self) -> usize {
        self.step() + self.measurer.counts().0
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
    let [attention, bottleneck] = &p.losses;
    let [blue, orange, _] = COLORS;
    CurveChart {
        title: "Training loss of the two small models".into(),
        x_label: "step".into(),
        y_label: "cross-entropy".into(),
        y_range: (0.0, hi.max(0.1) * 1.05),
        series: vec![
            Series::new("attention", attention.clone(), blue, false),
            Series::new(
                format!("bottleneck, {context} numbers"),
                bottleneck.clone(),
                orange,
                true,
            ),
        ],
        x_max: p.steps as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Job;

    fn cfg(context: usize, steps: usize) -> DuelConfig {
        DuelConfig {
            context,
            steps,
            seed: 1,
        }
    }

    #[test]
    fn a_short_duel_trains_both_then_measures_four_groups() {
        let mut d = Duel::new(cfg(8, 12)).unwrap();
        let mut units = 0;
        while !d.work().unwrap() {
            units += 1;
            assert!(units < 100_000);
        }
        // 12 steps of 2 models in parts (a pair each, and the update), then
        // 4 groups x 10 sentences, a word of one model's translation at a
        // time.
        let batch = settings(Memory::Attention, 1).batch;
        assert!(units > 12 * 2 * (batch + 1) + BUCKETS_MEASURED * PER_BUCKET * 2 * 3);
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
        assert!(Duel::new(cfg(0, 5)).is_err());
    }

    #[test]
    fn the_duel_job_counts_steps_and_revises_its_view_while_measuring() {
        let mut d = Duel::new(cfg(8, 3)).unwrap();
        let fresh = Job::view(&d);
        assert_eq!((fresh.step, fresh.steps, fresh.done), (0, 3, false));
        assert_eq!((d.units(), d.revision()), (0, 0));
        while d.units() < 3 {
            assert!(!Job::work(&mut d).unwrap());
        }
        assert_eq!((d.units(), d.revision()), (3, 3));
        // Measuring: no more steps, but the view still changes.
        while d.revision() == 3 {
            assert!(!Job::work(&mut d).unwrap());
        }
        assert_eq!((d.units(), d.revision()), (3, 4));
        let p = Job::view(&d);
        assert_eq!((p.step, p.measured.0), (3, 1));
        assert_eq!(
            p.losses[1].iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![3.0]
        );
        while !Job::work(&mut d).unwrap() {}
        assert!(Job::finished(&d) && Job::view(&d).done);
        assert_eq!(d.revision(), 3 + BUCKETS_MEASURED * PER_BUCKET);
    }

    #[test]
    fn a_duel_in_parts_trains_the_models_whole_steps_train() {
        let mut d = Duel::new(cfg(8, 4)).unwrap();
        let make = |m| Trainer::new(settings(m, 1), PER_BUCKET).unwrap().0;
        let mut whole = [
            make(Memory::Attention),
            make(Memory::Bottleneck { context: 8 }),
        ];
        for _ in 0..4 {
            for t in &mut whole {
                t.train_step().unwrap();
            }
        }
        while d.step() < 4 {
            d.work().unwrap();
        }
        let [a, b] = &whole;
        assert!(d.trainers[0].model == a.model && d.trainers[1].model == b.model);
    }
}
