//! The training run of section 1 as a [`crate::training::Job`]: the engine's
//! tiny GPT (`attention_core::gpt::train`) trained a window at a time (one
//! unit of work is one window's forward and backward pass, or the Adam
//! update, or one probe sequence measured), so no frame waits for a whole
//! step.
//!
//! Every [`MEASURE_EVERY`] steps (and at step 0) every head is measured on
//! [`PROBES`] seeded repeated blocks of the text's letters at each of two
//! lengths (`induction_probes`: at most half the letters, so a block is
//! never the whole alphabet, and `3 / 4` of that): previous-token,
//! induction, first-token and distance scores
//! (`attention_core::gpt::heads`), averaged over the probes, except the
//! induction score, the smaller of the two lengths' means (a head at a
//! fixed offset is right for one length only), and a label from the heads
//! module's thresholds (never induction in the first layer: an induction
//! head composes with an earlier layer). An induction head "appears" at the
//! first measurement where a head after the first layer has an induction
//! score of [`INDUCTION_MIN`] or more (0.4: on a block of `L` distinct
//! letters said twice, 40 % of a query's attention on the one key right
//! after the earlier copy of itself, where uniform attention would put
//! about `1 / (1.5 L)`).
//!
//! A measurement also keeps a snapshot of the model (shared, not copied
//! again), which the sampler ([`SampleJob`]), the ablation and the
//! download read.

use attention_core::gpt::heads::{mean_over_probes, score_heads, HeadScores, INDUCTION_MIN};
use attention_core::gpt::train::{
    induction_probes, loss_from, CharVocab, Sampler, StepParts, TinyConfig, TinyGpt, Trainer,
};
use attention_core::train::Adam;
use std::sync::Arc;

/// Steps between two measurements of the heads.
pub const MEASURE_EVERY: usize = 25;
/// Repeated blocks of each of the two lengths a measurement averages over.
pub const PROBES: usize = 4;
/// Seed of the first probe (the others follow it).
const PROBE_SEED: u64 = 0x1ab_0001;
/// Characters each sample continues its prompt by.
pub const SAMPLE_CHARS: usize = 160;
/// Characters of the text's start that prompt a sample.
pub const PROMPT_CHARS: usize = 24;

/// What a run is trained with; a change starts a new run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The text, normalised ([`super::samples::normalise`]).
    pub text: Arc<str>,
    pub model: TinyConfig,
    pub lr: f64,
    /// Training stops here.
    pub steps: usize,
    pub seed: u64,
}

/// The model as it was at one measurement. Equal only to itself (two runs
/// are never confused, and a comparison costs nothing).
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub step: usize,
    pub model: Arc<TinyGpt>,
    pub vocab: Arc<CharVocab>,
    /// The probe sequences the heads were measured on, with their block
    /// lengths.
    pub probes: Arc<Vec<(usize, Vec<usize>)>>,
    /// The start of the text, the samples' prompt.
    pub prompt: Arc<str>,
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.model, &other.model)
    }
}

/// One measurement of every head.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub step: usize,
    /// `[layer][head]`, averaged over the probes.
    pub heads: Vec<Vec<HeadScores>>,
    /// The largest induction score of a head after the first layer (the
    /// heads that can be labelled induction).
    pub best_induction: f64,
}

/// What the page shows of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainView {
    pub step: usize,
    pub max_steps: usize,
    /// `(step, loss)` of every step: the batch's mean loss before the update.
    pub losses: Vec<(usize, f64)>,
    pub measures: Vec<Measure>,
    /// The first measured step with an induction head.
    pub first_induction: Option<usize>,
    /// The model at the last measurement.
    pub snapshot: Snapshot,
    /// Characters predicted per step (windows x window length).
    pub tokens_per_step: usize,
    pub parameters: usize,
}

/// A measurement under way: the probes scored so far.
struct Measuring {
    step: usize,
    /// `(block length, [layer][head])` of each probe scored.
    scores: Vec<(usize, Vec<Vec<HeadScores>>)>,
}

/// The run: trainer, the step and measurement under way, what was measured.
pub struct TrainJob {
    cfg: TrainConfig,
    trainer: Trainer,
    parts: Option<StepParts>,
    measuring: Option<Measuring>,
    losses: Vec<(usize, f64)>,
    measures: Vec<Measure>,
    first_induction: Option<usize>,
    snapshot: Snapshot,
    /// Characters trained on so far (the rate counts these).
    tokens: usize,
}

/// The probe sequences for a vocabulary and context: [`PROBES`] repeated
/// blocks at each of the engine's two lengths (`probe_blocks`: at most half
/// the text's letters, and `3 / 4` of that), each `(block length, ids)`.
pub fn probes(vocab: &CharVocab, context: usize) -> Result<Vec<(usize, Vec<usize>)>, String> {
    induction_probes(vocab, context, PROBES, PROBE_SEED).map_err(|e| e.to_string())
}

impl TrainJob {
    /// A fresh model; Err (a sentence for the page) when the text or the
    /// settings cannot be trained.
    pub fn new(cfg: TrainConfig) -> Result<TrainJob, String> {
        let mut trainer = Trainer::new(&cfg.text, cfg.model, cfg.seed)
            .map_err(|e| format!("This text cannot be trained on: {e}."))?;
        trainer.adam = Adam::new(cfg.lr);
        let probes = probes(&trainer.vocab, cfg.model.context)?;
        let prompt: String = cfg.text.chars().take(PROMPT_CHARS).collect();
        let snapshot = Snapshot {
            step: 0,
            model: Arc::new(trainer.model.clone()),
            vocab: Arc::new(trainer.vocab.clone()),
            probes: Arc::new(probes),
            prompt: prompt.into(),
        };
        Ok(TrainJob {
            cfg,
            trainer,
            parts: None,
            measuring: Some(Measuring {
                step: 0,
                scores: Vec::new(),
            }),
            losses: Vec::new(),
            measures: Vec::new(),
            first_induction: None,
            snapshot,
            tokens: 0,
        })
    }

    pub fn step(&self) -> usize {
        usize::try_from(self.trainer.steps()).unwrap_or(usize::MAX)
    }

    /// One probe measured; the measurement is complete after the last.
    fn measure_part(&mut self) -> Result<(), String> {
        let Some(m) = self.measuring.as_mut() else {
            return Ok(());
        };
        let probes = Arc::clone(&self.snapshot.probes);
        if let Some((block, ids)) = probes.get(m.scores.len()) {
            let att = self
                .trainer
                .model
                .attentions(ids)
                .map_err(|e| e.to_string())?;
            m.scores
                .push((*block, score_heads(&att, ids).map_err(|e| e.to_string())?));
        }
        if m.scores.len() >= probes.len() {
            let heads = mean_over_probes(&m.scores).map_err(|e| e.to_string())?;
            let best_induction = heads
                .iter()
                .skip(1)
                .flatten()
                .filter_map(|s| s.induction)
                .fold(0.0, f64::max);
            let step = m.step;
            if best_induction >= INDUCTION_MIN && self.first_induction.is_none() {
                self.first_induction = Some(step);
            }
            self.measures.push(Measure {
                step,
                heads,
                best_induction,
            });
            self.snapshot = Snapshot {
                step,
                model: Arc::new(self.trainer.model.clone()),
                ..self.snapshot.clone()
            };
            self.measuring = None;
        }
        Ok(())
    }

    /// One window of the current step (a new step if none is under way),
    /// or its update.
    fn train_part(&mut self) -> Result<(), String> {
        let mut parts = match self.parts.take() {
            Some(p) => p,
            None => self.trainer.begin_step().map_err(|e| e.to_string())?,
        };
        let done = self
            .trainer
            .step_part(&mut parts)
            .map_err(|e| e.to_string())?;
        match done {
            None => {
                self.tokens += self.trainer.window_len();
                self.parts = Some(parts);
            }
            Some(loss) => {
                if !loss.is_finite() {
                    return Err(format!(
                        "The loss became {loss} at step {}: the learning rate {} is too high for this model. Lower it and train again.",
                        self.step(),
                        self.cfg.lr
                    ));
                }
                let step = self.step();
                self.losses.push((step, loss));
                if step.is_multiple_of(MEASURE_EVERY) || step >= self.cfg.steps {
                    self.measuring = Some(Measuring {
                        step,
                        scores: Vec::new(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl crate::training::Job for TrainJob {
    type View = TrainView;

    fn work(&mut self) -> Result<bool, String> {
        if self.measuring.is_some() {
            self.measure_part()?;
        } else if self.step() < self.cfg.steps || self.parts.is_some() {
            self.train_part()?;
        }
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.measuring.is_none() && self.parts.is_none() && self.step() >= self.cfg.steps
    }

    /// Characters trained on: the rate is tokens per second.
    fn units(&self) -> usize {
        self.tokens
    }

    fn view(&self) -> TrainView {
        TrainView {
            step: self.step(),
            max_steps: self.cfg.steps,
            losses: self.losses.clone(),
            measures: self.measures.clone(),
            first_induction: self.first_induction,
            snapshot: self.snapshot.clone(),
            tokens_per_step: self.trainer.batch * self.trainer.window_len(),
            parameters: attention_core::train::Module::num_params(&self.trainer.model),
        }
    }

    /// New losses or a new measurement.
    fn revision(&self) -> usize {
        self.losses.len() * 2 + self.measures.len()
    }
}

/// What a sample is drawn from: a snapshot, the temperature and a seed.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleConfig {
    pub snapshot: Snapshot,
    pub temperature: f64,
    pub seed: u64,
}

/// A sample of [`SAMPLE_CHARS`] characters, one per unit.
pub struct SampleJob {
    snapshot: Snapshot,
    sampler: Sampler,
    prompt_len: usize,
}

/// What the page shows of a sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampleView {
    pub step: usize,
    pub prompt: String,
    pub text: String,
    pub done: bool,
}

impl SampleJob {
    pub fn new(c: &SampleConfig) -> Result<SampleJob, String> {
        let (mut ids, _) = c.snapshot.vocab.encode_lossy(&c.snapshot.prompt);
        if ids.is_empty() {
            ids.push(0);
        }
        let prompt_len = ids.len();
        let sampler = Sampler::new(ids, c.temperature, c.seed).map_err(|e| e.to_string())?;
        Ok(SampleJob {
            snapshot: c.snapshot.clone(),
            sampler,
            prompt_len,
        })
    }

    fn generated(&self) -> usize {
        self.sampler.ids.len().saturating_sub(self.prompt_len)
    }
}

impl crate::training::Job for SampleJob {
    type View = SampleView;

    fn work(&mut self) -> Result<bool, String> {
        if !self.finished() {
            self.sampler
                .next(&self.snapshot.model)
                .map_err(|e| e.to_string())?;
        }
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.generated() >= SAMPLE_CHARS
    }

    fn units(&self) -> usize {
        self.generated()
    }

    fn view(&self) -> SampleView {
        let decode = |ids: &[usize]| self.snapshot.vocab.decode(ids).unwrap_or_default();
        let (prompt, text) = self
            .sampler
            .ids
            .split_at(self.prompt_len.min(self.sampler.ids.len()));
        SampleView {
            step: self.snapshot.step,
            prompt: decode(prompt),
            text: decode(text),
            done: self.finished(),
        }
    }
}

/// Which heads an ablation switches off: `choice` 0 means every head
/// labelled induction at the snapshot's measurement, `k` head `k - 1`
/// counted layer by layer. Returns `(layer, head)` pairs.
pub fn heads_off(
    choice: usize,
    measure: Option<&Measure>,
    cfg: &TinyConfig,
) -> Vec<(usize, usize)> {
    let nh = cfg.n_head.max(1);
    if choice == 0 {
        return measure.map_or_else(Vec::new, |m| {
            m.heads
                .iter()
                .enumerate()
                .flat_map(|(l, hs)| {
                    hs.iter().enumerate().filter_map(move |(h, s)| {
                        (s.label == attention_core::gpt::heads::HeadLabel::Induction)
                            .then_some((l, h))
                    })
                })
                .collect()
        });
    }
    let k = choice - 1;
    if k < cfg.n_layer * nh {
        vec![(k / nh, k % nh)]
    } else {
        Vec::new()
    }
}

/// The in-context copying loss with and without some heads.
#[derive(Clone, Debug, PartialEq)]
pub struct Ablation {
    pub off: Vec<(usize, usize)>,
    /// Mean over the probes of the loss on the second copy (its first
    /// character left out), all heads on.
    pub intact: f64,
    /// The same with the heads in `off` switched off; `None` when `off` is
    /// empty.
    pub ablated: Option<f64>,
}

/// Measures [`Ablation`] on the snapshot's probes (the export's forward
/// pass with a head mask; the same logits as the training model's).
pub fn ablation(snapshot: &Snapshot, off: Vec<(usize, usize)>) -> Result<Ablation, String> {
    let g = snapshot.model.to_gpt2();
    let c = snapshot.model.config;
    let mut mask = vec![vec![1.0_f32; c.n_head]; c.n_layer];
    for &(l, h) in &off {
        if let Some(m) = mask.get_mut(l).and_then(|r| r.get_mut(h)) {
            *m = 0.0;
        }
    }
    let n = snapshot.probes.len().max(1) as f64;
    let mut intact = 0.0;
    let mut ablated = 0.0;
    for (block, ids) in snapshot.probes.iter() {
        let from = block + 1;
        intact += loss_from(&g, ids, from, None).map_err(|e| e.to_string())? / n;
        if !off.is_empty() {
            ablated += loss_from(&g, ids, from, Some(&mask)).map_err(|e| e.to_string())? / n;
        }
    }
    Ok(Ablation {
        ablated: (!off.is_empty()).then_some(ablated),
        off,
        intact,
    })
}

/// The three files "Download model" writes, by name.
pub fn export_files(snapshot: &Snapshot) -> Result<[(&'static str, Vec<u8>); 3], String> {
    let g = snapshot.model.to_gpt2();
    let weights = g.to_safetensors().map_err(|e| e.to_string())?;
    Ok([
        ("model.safetensors", weights),
        ("config.json", g.config.to_json().into_bytes()),
        ("chars.json", snapshot.vocab.to_json().into_bytes()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Job;
    use attention_core::gpt::model::Gpt2;

    fn cfg(text: &str, steps: usize) -> TrainConfig {
        TrainConfig {
            text: text.into(),
            model: TinyConfig {
                n_layer: 2,
                n_head: 2,
                d_model: 16,
                context: 16,
            },
            lr: 0.01,
            steps,
            seed: 3,
        }
    }

    fn run(job: &mut TrainJob) -> usize {
        let mut calls = 0;
        while !job.work().expect("work") {
            calls += 1;
            assert!(calls < 100_000);
        }
        calls + 1
    }

    #[test]
    fn a_run_trains_in_parts_measures_and_stops() {
        let text = crate::chapters::lab::train::samples::Sample::Rhymes
            .text()
            .unwrap_or("");
        let mut job = TrainJob::new(cfg(text, 50)).expect("job");
        assert!(!job.finished());
        let calls = run(&mut job);
        let v = job.view();
        // 50 steps of 8 windows and an update; 3 measurements of 2 x 4 probes.
        assert_eq!(calls, 50 * 9 + 3 * 2 * PROBES);
        assert_eq!(v.step, 50);
        assert_eq!(v.losses.len(), 50);
        assert_eq!(
            v.measures.iter().map(|m| m.step).collect::<Vec<_>>(),
            vec![0, 25, 50]
        );
        assert_eq!(v.snapshot.step, 50);
        assert_eq!(job.units(), 50 * v.tokens_per_step);
        assert_eq!(v.tokens_per_step, 8 * 16);
        let first = v.losses[..5].iter().map(|l| l.1).sum::<f64>() / 5.0;
        let last = v.losses[45..].iter().map(|l| l.1).sum::<f64>() / 5.0;
        assert!(last < first - 0.5, "loss {first} -> {last}");
        // Every head of every layer has scores and a label.
        let m = v.measures.last().expect("measure");
        assert_eq!(m.heads.len(), 2);
        assert!(m.heads.iter().all(|l| l.len() == 2));
        assert!(m
            .heads
            .iter()
            .flatten()
            .all(|s| (0.0..=1.0).contains(&s.previous_token) && s.induction.is_some()));
        // The same run again is the same run.
        let mut again = TrainJob::new(cfg(text, 50)).expect("again");
        run(&mut again);
        assert_eq!(again.view().losses, v.losses);
        assert_eq!(again.view().measures, v.measures);
    }

    #[test]
    fn probes_are_half_the_letters_at_two_lengths() {
        // 26 letters and context 16: blocks of min(8, 13) = 8 and 6.
        let text = "the quick brown fox jumps over the lazy dog";
        let job = TrainJob::new(cfg(text, 10)).expect("job");
        let lens: Vec<usize> = job.snapshot.probes.iter().map(|(b, _)| *b).collect();
        assert_eq!(lens, [8, 8, 8, 8, 6, 6, 6, 6]);
        // Distinct letters said twice, within the context.
        for (b, p) in job.snapshot.probes.iter() {
            assert_eq!(p.len(), 2 * b);
            assert_eq!(p[..*b], p[*b..]);
        }
        // The measurement is the engine's honest mean over the probes.
        let runs: Vec<(usize, Vec<Vec<HeadScores>>)> = job
            .snapshot
            .probes
            .iter()
            .map(|(b, ids)| {
                let att = job.trainer.model.attentions(ids).expect("att");
                (*b, score_heads(&att, ids).expect("scores"))
            })
            .collect();
        let mut job = job;
        while job.measuring.is_some() {
            job.work().expect("work");
        }
        assert_eq!(
            job.measures[0].heads,
            mean_over_probes(&runs).expect("mean")
        );
    }

    #[test]
    fn bad_texts_and_rates_say_what_went_wrong() {
        assert!(TrainJob::new(cfg("a", 10))
            .err()
            .unwrap_or_default()
            .starts_with("This text cannot be trained on"));
        let mut hot = TrainJob::new(TrainConfig {
            lr: 1e9,
            ..cfg("abcabcabd abd", 30)
        })
        .expect("job");
        let mut err = None;
        for _ in 0..1000 {
            match hot.work() {
                Err(e) => {
                    err = Some(e);
                    break;
                }
                Ok(true) => break,
                Ok(false) => {}
            }
        }
        // A huge rate either blows up with a message or survives; never a panic.
        if let Some(e) = err {
            assert!(e.contains("learning rate"), "{e}");
        }
    }

    #[test]
    fn samples_come_a_character_at_a_time_from_the_snapshot() {
        let text = crate::chapters::lab::train::samples::Sample::Genesis
            .text()
            .unwrap_or("");
        let job = TrainJob::new(cfg(text, 10)).expect("job");
        let c = SampleConfig {
            snapshot: job.view().snapshot,
            temperature: 0.8,
            seed: 2,
        };
        let mut s = SampleJob::new(&c).expect("sample");
        let mut calls = 0;
        while !s.work().expect("work") {
            calls += 1;
        }
        assert_eq!(calls + 1, SAMPLE_CHARS);
        let v = s.view();
        assert!(v.done);
        assert_eq!(v.prompt, "In the beginning God cre");
        assert_eq!(v.text.chars().count(), SAMPLE_CHARS);
        let mut s2 = SampleJob::new(&c).expect("again");
        while !s2.work().expect("work") {}
        assert_eq!(s2.view(), v);
    }

    #[test]
    fn ablation_picks_heads_and_changes_the_copying_loss() {
        let text = crate::chapters::lab::train::samples::Sample::Copying
            .text()
            .unwrap_or("");
        let mut job = TrainJob::new(cfg(text, 25)).expect("job");
        run(&mut job);
        let v = job.view();
        let c = job.cfg.model;
        let m = v.measures.last();
        assert_eq!(heads_off(1, m, &c), vec![(0, 0)]);
        assert_eq!(heads_off(4, m, &c), vec![(1, 1)]);
        assert!(heads_off(5, m, &c).is_empty());
        let induction: usize = m.map_or(0, |m| {
            m.heads
                .iter()
                .flatten()
                .filter(|s| s.label == attention_core::gpt::heads::HeadLabel::Induction)
                .count()
        });
        assert_eq!(heads_off(0, m, &c).len(), induction);
        let none = ablation(&v.snapshot, vec![]).expect("none");
        assert!(none.ablated.is_none() && none.intact.is_finite());
        let a = ablation(&v.snapshot, vec![(1, 0)]).expect("one");
        assert_eq!(a.intact, none.intact);
        assert_ne!(a.ablated, Some(a.intact));
    }

    #[test]
    fn the_download_loads_back_with_its_vocabulary() {
        let text = crate::chapters::lab::train::samples::Sample::Sonnets
            .text()
            .unwrap_or("");
        let mut job = TrainJob::new(cfg(text, 5)).expect("job");
        run(&mut job);
        let snap = job.view().snapshot;
        let [(w_name, w), (c_name, c), (v_name, v)] = export_files(&snap).expect("files");
        assert_eq!(
            (w_name, c_name, v_name),
            ("model.safetensors", "config.json", "chars.json")
        );
        let config = String::from_utf8(c).expect("utf8");
        let loaded = Gpt2::from_files(&config, &w, 1 << 26).expect("loads");
        let vocab = CharVocab::from_json(&String::from_utf8(v).expect("utf8")).expect("vocab");
        assert_eq!(vocab, *snap.vocab);
        let ids = vocab.encode("Shall I compare").expect("ids");
        let ours = snap.model.forward(&ids).expect("ours");
        let theirs = loaded.forward(&ids, None).expect("theirs");
        let last = ids.len() - 1;
        for (j, l) in theirs.logits_row(last).expect("row").iter().enumerate() {
            assert!((f64::from(*l) - ours.logits[(last, j)]).abs() < 1e-4);
        }
    }
}
