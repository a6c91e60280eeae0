//! Training steps and measurements done in small parts (so a page can
//! spread them over animation frames) leave exactly what the whole step
//! leaves: the same parameters, to the bit, and the same statistics. Each
//! part-wise piece is checked against the whole step, or against a whole
//! step written out here from the public layers.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::coref::{accuracy, CorefTrainer, CorefTraining, Corpus, Measuring};
use attention_core::train::position_task::{Experiment, ExperimentConfig, PositionCounts};
use attention_core::train::seq2seq::{
    teacher_forcing, Memory, Seq2Seq, Seq2SeqConfig, Seq2SeqStep, Translation, BOS, EOS,
};
use attention_core::train::translate::{Corpus as Pairs, Vocab};
use attention_core::train::translator::{score, Scoring, Trainer, TranslatorTraining};
use attention_core::train::*;
use attention_core::Rng;

#[test]
fn a_classifier_step_in_parts_is_the_whole_step() {
    let task = TwoLookup::new(10, 6).unwrap();
    for heads in [4, 1] {
        let mut whole = EncoderClassifier::new(task.model_config(32, heads, 2, 5)).unwrap();
        let mut parts = whole.clone();
        let (mut opt_w, mut opt_p) = (Adam::new(3e-3), Adam::new(3e-3));
        let mut rng = Rng::new(9);
        for _ in 0..3 {
            let batch: Vec<Question> = (0..16).map(|_| task.sample(&mut rng)).collect();
            let expected = whole.train_step(&batch, &mut opt_w).unwrap();
            let mut step = ClassifierStep::train(batch, task.n_classes()).unwrap();
            let mut calls = 0;
            let got = loop {
                calls += 1;
                if let Some(s) = step.part(&mut parts, &mut opt_p).unwrap() {
                    break s;
                }
                // Nothing changes before the update, the last part.
                assert!(calls < step.parts());
            };
            assert_eq!((calls, got), (step.parts(), expected));
            assert_eq!(step.parts(), 2 * 16 + 1);
            assert!(parts == whole, "{heads} heads: the parameters differ");
            // A finished step does nothing more.
            assert_eq!(step.part(&mut parts, &mut opt_p).unwrap(), Some(expected));
            assert!(parts == whole);
        }
        let held = task.questions(50, 1);
        let mut eval = ClassifierStep::evaluate(held.clone(), task.n_classes()).unwrap();
        let mut sgd = Sgd::new(1.0, 0.0);
        let stats = (0..eval.parts())
            .map(|_| eval.part(&mut parts, &mut sgd).unwrap())
            .last()
            .flatten();
        assert_eq!(stats, Some(whole.evaluate(&held).unwrap()));
        assert!(parts == whole, "measuring changes nothing");
    }
    assert!(ClassifierStep::train(Vec::new(), 3).is_err());
}

#[test]
fn the_coref_trainer_in_parts_trains_as_whole_steps_do() {
    let corpus = Corpus::new();
    let settings = CorefTraining::new(&corpus);
    let mut whole = CorefTrainer::new(corpus.clone(), settings.clone()).unwrap();
    let mut parts = CorefTrainer::new(corpus.clone(), settings).unwrap();
    for step in 1..=3 {
        let expected = whole.step().unwrap();
        let got = loop {
            if let Some(s) = parts.part().unwrap() {
                break s;
            }
            assert_eq!(parts.steps(), step - 1);
        };
        assert_eq!((got, parts.steps()), (expected, step));
        assert!(parts.model == whole.model);
    }
    // The measurement a sentence at a time, against a plain count.
    let held = corpus.held_out(40, 7);
    let mut m = Measuring::default();
    let mut last = None;
    for _ in &held {
        last = m.part(&whole.model, &held).unwrap();
    }
    let right = held
        .iter()
        .filter(|s| {
            let a = whole.model.answer(&s.tokens, s.query).unwrap();
            a.best == s.target
        })
        .count();
    let acc = last.unwrap();
    assert_eq!(acc.all, right as f64 / held.len() as f64);
    assert_eq!(Some(acc), Some(accuracy(&whole.model, &held).unwrap()));
    assert!(Measuring::default().part(&whole.model, &[]).is_err());
}

fn small(memory: Memory) -> Seq2Seq {
    let vocab = Vocab::default();
    Seq2Seq::new(Seq2SeqConfig {
        memory,
        src_vocab: vocab.source.len(),
        tgt_vocab: vocab.target.len(),
        d_model: 16,
        n_heads: 2,
        d_hidden: 24,
        enc_layers: 1,
        dec_layers: 2,
        seed: 4,
    })
    .unwrap()
}

#[test]
fn a_translator_step_in_parts_is_the_step_written_out() {
    let vocab = Vocab::default();
    let corpus = Pairs::new(3, 12);
    let mut rng = Rng::new(2);
    for memory in [Memory::Attention, Memory::Bottleneck { context: 4 }] {
        // The reference: zero the gradients, forward and backward each pair
        // (its loss weighted by its share of the batch's tokens), one step.
        let mut whole = small(memory);
        let mut parts = whole.clone();
        let (mut opt_w, mut opt_p) = (Adam::new(3e-3), Adam::new(3e-3));
        for _ in 0..3 {
            let batch: Vec<_> = (0..6)
                .map(|_| vocab.encode(&corpus.sample(&mut rng)))
                .collect();
            whole.zero_grad();
            let total: usize = batch.iter().map(|(_, t)| t.len() + 1).sum();
            let (mut loss, mut right) = (0.0, 0);
            for (src, tgt) in &batch {
                let (dec_in, dec_out) = teacher_forcing(tgt);
                let (logits, cache) = whole.forward(src, &dec_in).unwrap();
                let ce = softmax_cross_entropy(&logits, &dec_out).unwrap();
                let k = dec_out.len() as f64;
                loss += ce.loss * k;
                right += ce.correct;
                whole
                    .backward(&cache, &(ce.d_logits * (k / total as f64)))
                    .unwrap();
            }
            opt_w.step(whole.params_mut()).unwrap();
            let mut step = Seq2SeqStep::new(batch.clone()).unwrap();
            assert_eq!(step.parts(), 7);
            let mut calls = 0;
            let stats = loop {
                calls += 1;
                if let Some(s) = step.part(&mut parts, &mut opt_p).unwrap() {
                    break s;
                }
            };
            assert_eq!(calls, 7);
            assert_eq!(stats.loss, loss / total as f64);
            assert_eq!(stats.accuracy, right as f64 / total as f64);
            assert!(parts == whole, "{memory:?}: the parameters differ");
            // train_step is the same parts.
            let mut again = parts.clone();
            let mut undo = whole.clone();
            let mut o = Sgd::new(0.1, 0.0);
            let s1 = again.train_step(&batch, &mut o).unwrap();
            let mut step = Seq2SeqStep::new(batch).unwrap();
            let mut o = Sgd::new(0.1, 0.0);
            let s2 = loop {
                if let Some(s) = step.part(&mut undo, &mut o).unwrap() {
                    break s;
                }
            };
            assert_eq!(s1, s2);
            assert!(again == undo);
        }
    }
    assert!(Seq2SeqStep::new(Vec::new()).is_err());
}

#[test]
fn the_translator_trainer_in_parts_trains_as_whole_steps_do() {
    let t = TranslatorTraining {
        batch: 4,
        d_model: 16,
        d_hidden: 24,
        max_len: 8,
        ..TranslatorTraining::small(Memory::Attention, 8, 3)
    };
    let (mut whole, _) = Trainer::new(t, 2).unwrap();
    let (mut parts, _) = Trainer::new(t, 2).unwrap();
    for step in 1..=3 {
        let expected = whole.train_step().unwrap();
        let got = loop {
            if let Some(s) = parts.train_part().unwrap() {
                break s;
            }
            assert_eq!(parts.step, step - 1);
        };
        assert_eq!((got, parts.step), (expected, step));
        assert!(parts.model == whole.model);
    }
}

#[test]
fn a_translation_a_word_at_a_time_is_the_full_recomputation() {
    let vocab = Vocab::default();
    let corpus = Pairs::new(3, 10);
    let mut rng = Rng::new(5);
    // A little training so that the output is not one repeated word.
    let mut model = small(Memory::Attention);
    let mut opt = Adam::new(1e-2);
    for _ in 0..30 {
        let batch: Vec<_> = (0..8)
            .map(|_| vocab.encode(&corpus.sample(&mut rng)))
            .collect();
        model.train_step(&batch, &mut opt).unwrap();
    }
    for memory_model in [model, small(Memory::Bottleneck { context: 4 })] {
        for _ in 0..5 {
            let pair = corpus.sample(&mut rng);
            let (src, tgt) = vocab.encode(&pair);
            let max_len = tgt.len() + 10; // as score uses
                                          // The reference: every word recomputes the whole forward pass.
            let mut out = Vec::new();
            let reference = loop {
                let mut dec_in = vec![BOS];
                dec_in.extend(&out);
                let (logits, cache) = memory_model.forward(&src, &dec_in).unwrap();
                let last: Vec<f64> = logits.row(logits.nrows() - 1).iter().copied().collect();
                let next = argmax(&last);
                if next == EOS || out.len() >= max_len {
                    break (out, cache);
                }
                out.push(next);
            };
            let mut t = Translation::new(&src, max_len);
            let mut calls = 0;
            let got = loop {
                calls += 1;
                if let Some(done) = t.part(&memory_model).unwrap() {
                    break done;
                }
            };
            // The encoding, then one decoder run per word and one for EOS.
            assert_eq!(calls, reference.0.len() + 2);
            assert!(got == reference, "the translation or its cache differs");
            assert_eq!(memory_model.translate(&src, max_len).unwrap(), reference);
            // Scoring a word at a time gives score's result.
            let mut s = Scoring::new(&vocab, &pair);
            let scored = loop {
                if let Some(done) = s.part(&memory_model, &vocab).unwrap() {
                    break done;
                }
            };
            assert_eq!(scored, score(&memory_model, &vocab, &pair).unwrap());
            assert_eq!(scored.output, vocab.decode_target(&reference.0));
        }
    }
}

#[test]
fn the_position_experiment_in_parts_is_the_experiment_in_steps() {
    let cfg = ExperimentConfig {
        steps: 3,
        batch: 4,
        ..ExperimentConfig::default()
    };
    let mut whole = Experiment::new(cfg).unwrap();
    let mut parts = Experiment::new(cfg).unwrap();
    for step in 1..=3 {
        whole.step().unwrap();
        let mut calls = 0;
        while parts.step < step {
            parts.part().unwrap();
            calls += 1;
        }
        // Five models, each two parts per sequence and the update.
        assert_eq!(calls, 5 * (2 * cfg.batch + 1));
        for (p, w) in parts.runs.iter().zip(&whole.runs) {
            assert!(p.model == w.model, "{:?}: the parameters differ", p.scheme);
            assert_eq!(p.losses, w.losses);
        }
    }
    assert!(parts.finished());
    parts.part().unwrap();
    assert_eq!(parts.step, 3);
    // Counting a sequence at a time measures what accuracy measures.
    for len in [16, 40] {
        let set = whole.test_set(len, 6);
        for run in &whole.runs {
            let mut counts = PositionCounts::default();
            for s in &set {
                counts.add(&run.model, s).unwrap();
            }
            assert_eq!(counts.accuracy(), run.model.accuracy(&set).unwrap());
            assert_eq!(counts.by_position().len(), len);
        }
    }
}
