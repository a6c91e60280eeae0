//! The encoder-decoder translator: gradients of both memories by finite
//! differences, decoding, alignment helpers, and a training run on a fixed
//! seed that must reach a stated accuracy.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::gradcheck::{numeric_param_grads, rel_error};
use attention_core::train::seq2seq::*;
use attention_core::train::translate::{alignment_error_rate, Corpus, Vocab};
use attention_core::train::{Adam, Module, Sgd};
use attention_core::{Mat, Rng};

fn tiny(memory: Memory) -> Seq2Seq {
    Seq2Seq::new(Seq2SeqConfig {
        memory,
        src_vocab: 5,
        tgt_vocab: 6,
        d_model: 4,
        n_heads: 2,
        d_hidden: 6,
        enc_layers: 2,
        dec_layers: 2,
        seed: 3,
    })
    .unwrap()
}

#[test]
fn both_memories_backpropagate_correctly() {
    let batch = vec![
        (vec![1, 2, 3], vec![4, 2]),
        (vec![4, 0, 1, 2, 3], vec![3, 5, 5, 2]),
    ];
    for memory in [Memory::Attention, Memory::Bottleneck { context: 3 }] {
        let mut m = tiny(memory);
        m.train_step(&batch, &mut Sgd::new(0.0, 0.0)).unwrap();
        let analytic: Vec<Mat> = m.params().iter().map(|p| p.grad.clone()).collect();
        let loss = |m: &Seq2Seq| -> Result<f64, attention_core::AttnError> {
            let mut probe = m.clone();
            Ok(probe.train_step(&batch, &mut Sgd::new(0.0, 0.0))?.loss)
        };
        let numeric = numeric_param_grads(&mut m, 1e-5, loss).unwrap();
        assert_eq!(analytic.len(), numeric.len());
        for (i, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
            let e = rel_error(a, n, 1e-3);
            assert!(e < 1e-6, "{memory:?}: param {i} rel error {e:e}");
        }
    }
    // The bottleneck adds exactly its two linear maps.
    let extra =
        tiny(Memory::Bottleneck { context: 3 }).num_params() - tiny(Memory::Attention).num_params();
    assert_eq!(extra, (4 * 3 + 3) + (3 * 4 + 4));
}

#[test]
fn shapes_of_the_cross_attention_and_the_context() {
    let m = tiny(Memory::Attention);
    let (logits, cache) = m.forward(&[1, 2, 3, 4], &[BOS, 3, 4]).unwrap();
    assert_eq!((logits.nrows(), logits.ncols()), (3, 6));
    let a = mean_cross_attention(&cache, 1).unwrap();
    assert_eq!((a.nrows(), a.ncols()), (3, 4));
    for r in 0..3 {
        assert!((a.row(r).sum() - 1.0).abs() < 1e-12);
    }
    assert!(mean_cross_attention(&cache, 2).is_err());
    assert!(cache.context.is_none());
    let b = tiny(Memory::Bottleneck { context: 3 });
    let (_, cache) = b.forward(&[1, 2, 3, 4], &[BOS, 3]).unwrap();
    assert_eq!(
        cache.context.as_ref().map(|c| (c.nrows(), c.ncols())),
        Some((1, 3))
    );
    assert_eq!(
        mean_cross_attention(&cache, 0).unwrap().ncols(),
        1,
        "one memory row"
    );
    // Hard alignment picks each row's largest weight.
    let att = Mat::from_row_slice(2, 3, &[0.1, 0.7, 0.2, 0.5, 0.2, 0.3]);
    assert_eq!(hard_alignment(&att, 2), vec![(0, 1), (1, 0)]);
    assert_eq!(hard_alignment(&att, 9).len(), 2);
    // Bad inputs are errors, not panics.
    assert!(m.forward(&[], &[BOS]).is_err());
    assert!(m.forward(&[7], &[BOS]).is_err());
    assert!(Seq2Seq::new(Seq2SeqConfig {
        tgt_vocab: 2,
        ..m.cfg.clone()
    })
    .is_err());
    assert!(Seq2Seq::new(Seq2SeqConfig {
        memory: Memory::Bottleneck { context: 0 },
        ..m.cfg.clone()
    })
    .is_err());
    // Decoding stops at max_len even if EOS never comes.
    let (out, _) = m.translate(&[1, 2], 3).unwrap();
    assert!(out.len() <= 3);
}

/// Trains a small attention translator on short sentences (3 to 8 source
/// words) and measures greedy-decoding token accuracy and AER on held-out
/// sentences.
#[test]
fn attention_translator_learns_short_sentences_on_a_fixed_seed() {
    let vocab = Vocab::default();
    let mut corpus = Corpus::new(3, 8);
    let test = corpus.hold_out(&[(3, 8)], 60, 11).remove(0);
    let mut m = Seq2Seq::new(Seq2SeqConfig {
        memory: Memory::Attention,
        src_vocab: vocab.source.len(),
        tgt_vocab: vocab.target.len(),
        d_model: 32,
        n_heads: 2,
        d_hidden: 64,
        enc_layers: 1,
        dec_layers: 1,
        seed: 1,
    })
    .unwrap();
    let mut opt = Adam::new(3e-3);
    let mut rng = Rng::new(5);
    for _ in 0..500 {
        let batch: Vec<_> = (0..16)
            .map(|_| vocab.encode(&corpus.sample(&mut rng)))
            .collect();
        m.train_step(&batch, &mut opt).unwrap();
    }
    let (mut right, mut total, mut aer) = (0usize, 0usize, 0.0);
    for p in &test {
        let (src, tgt) = vocab.encode(p);
        let (out, cache) = m.translate(&src, tgt.len() + 5).unwrap();
        total += tgt.len().max(out.len());
        right += tgt.iter().zip(&out).filter(|(a, b)| a == b).count();
        let att = mean_cross_attention(&cache, 0).unwrap();
        aer += alignment_error_rate(
            &hard_alignment(&att, out.len().min(tgt.len())),
            &p.alignment,
        );
    }
    let acc = right as f64 / total as f64;
    let aer = aer / test.len() as f64;
    eprintln!("held-out token accuracy {acc:.3}, mean AER {aer:.3}");
    assert!(acc > 0.9, "token accuracy {acc}");
}

mod files {
    use attention_core::train::seq2seq::{Memory, Seq2Seq};
    use attention_core::train::translate::Vocab;
    use attention_core::train::translator::{held_out, measure, Trainer, TranslatorTraining};

    fn shipped(name: &str) -> Vec<u8> {
        let path = format!("{}/../../public/models/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    const FILES: [(&str, Memory); 3] = [
        ("translate-attention.bin", Memory::Attention),
        (
            "translate-bottleneck-8.bin",
            Memory::Bottleneck { context: 8 },
        ),
        (
            "translate-bottleneck-32.bin",
            Memory::Bottleneck { context: 32 },
        ),
    ];

    #[test]
    fn training_is_deterministic_and_files_round_trip() {
        let run = || {
            let (mut t, _) = Trainer::new(
                TranslatorTraining::shipped(Memory::Bottleneck { context: 8 }),
                5,
            )
            .unwrap();
            for _ in 0..3 {
                t.train_step().unwrap();
            }
            t.model.round_to_f32();
            t.model
        };
        let (a, b) = (run(), run());
        let bytes = a.to_bytes();
        assert!(bytes == b.to_bytes(), "same seed, same bytes");
        let back = Seq2Seq::from_bytes(&bytes).unwrap();
        assert!(
            back.to_bytes() == bytes && back.cfg == a.cfg,
            "the file round-trips"
        );
        // Garbage, truncation, a NaN weight and absurd sizes are errors.
        assert!(Seq2Seq::from_bytes(b"nonsense").is_err());
        assert!(Seq2Seq::from_bytes(&bytes[..bytes.len() - 4]).is_err());
        let mut nan = bytes.clone();
        let at = nan.len() - 4;
        nan[at..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Seq2Seq::from_bytes(&nan)
            .unwrap_err()
            .to_string()
            .contains("non-finite"));
        let mut huge = bytes.clone();
        huge[4 + 4 * 4..8 + 4 * 4].copy_from_slice(&100_000u32.to_le_bytes());
        assert!(Seq2Seq::from_bytes(&huge).is_err());
    }

    /// The shipped files have the command's settings and measure as the
    /// chapters say: attention translates sentences of every length well,
    /// the bottleneck falls apart as they grow.
    #[test]
    fn shipped_translators_have_the_stated_settings_and_quality() {
        let vocab = Vocab::default();
        let (_, sets) = held_out(10);
        let mut results = Vec::new();
        for (name, memory) in FILES {
            let m = Seq2Seq::from_bytes(&shipped(name)).unwrap();
            let t = TranslatorTraining::shipped(memory);
            assert_eq!(
                (
                    m.cfg.memory,
                    m.cfg.d_model,
                    m.cfg.n_heads,
                    m.cfg.d_hidden,
                    m.cfg.enc_layers,
                    m.cfg.seed
                ),
                (memory, t.d_model, t.n_heads, t.d_hidden, t.layers, t.seed)
            );
            let by_bucket: Vec<f64> = sets
                .iter()
                .map(|s| measure(&m, &vocab, s).unwrap().accuracy)
                .collect();
            eprintln!("{name}: token accuracy by length bucket {by_bucket:.3?}");
            results.push(by_bucket);
        }
        let (att, b8, b32) = (&results[0], &results[1], &results[2]);
        assert!(
            att[..4].iter().all(|&a| a > 0.9),
            "attention, 3-20 words: {att:?}"
        );
        assert!(
            att[5] > b32[5] + 0.3 && att[5] > b8[5] + 0.3,
            "26-30 words: {att:?} {b32:?} {b8:?}"
        );
        assert!(
            b32[0] > b32[5] + 0.2 && b8[0] > b8[5] + 0.2,
            "the bottleneck falls with length"
        );
    }

    /// Retrains all three shipped models (about 10 minutes) and compares the
    /// bytes: `cargo test --release -p attention-core --test seq2seq -- --ignored`.
    #[test]
    #[ignore = "about 10 minutes; run by hand after changing the training code"]
    fn retraining_reproduces_the_shipped_files() {
        std::thread::scope(|s| {
            for (name, memory) in FILES {
                s.spawn(move || {
                    let (mut t, _) = Trainer::new(TranslatorTraining::shipped(memory), 30).unwrap();
                    for _ in 0..3000 {
                        t.train_step().unwrap();
                    }
                    t.model.round_to_f32();
                    assert!(t.model.to_bytes() == shipped(name), "{name} differs");
                });
            }
        });
    }
}
