//! How soon an induction head appears when the tiny GPT trains on the lab's
//! copying sample (printed, not asserted: a study run by hand):
//! `cargo test --release -p attention-core --test induction_study -- --ignored --nocapture`.
//!
//! Env: STUDY_TEXT (a file), STUDY_SEEDS (comma list), STUDY_LR, STUDY_BATCH,
//! STUDY_STEPS, STUDY_EVERY, STUDY_LAYERS, STUDY_HEADS, STUDY_DMODEL,
//! STUDY_CONTEXT. Heads are measured on the page's probes (4 seeded
//! `repeated_block`s of `min(context / 2, letters)` letters, as
//! `src/chapters/lab/train/job.rs` `probes`); every measurement prints the
//! best head's induction score, the copying loss, and the copying loss with
//! that head switched off; the end prints, per head, the mean weight of the
//! second copy's rows by offset `i - j` (a head at offset `L - 1` on every
//! row is positional, not content-matching).
//!
//! What it has shown (issue 17; default model, lr 3e-3, batch 8, one seed,
//! 600 to 4000 steps): random-letter texts train into shortcuts before any
//! induction head forms: the in-context letter counts, the word offset
//! after a separator, the missing letter of a full-alphabet permutation
//! (which copies the page's probe, itself a permutation when the text has
//! at most `context / 2` letters, to a loss of 0.1 with no head above
//! 0.03), or fixed-offset layer-1 heads at the training periods (context 32:
//! "induction" 0.5 from step 800 on a head at offset 15 = `L - 1`).

use attention_core::gpt::heads::score_heads;
use attention_core::gpt::train::{loss_from, repeated_block, TinyConfig, Trainer};

fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(d)
}

#[test]
#[ignore]
fn induction_heads_appear_on_the_copying_sample() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../src/chapters/lab/train/samples/copying.txt"
    );
    let path = std::env::var("STUDY_TEXT").unwrap_or(path.to_string());
    let text = std::fs::read_to_string(path).unwrap();
    let d = TinyConfig::default();
    let config = TinyConfig {
        n_layer: env("STUDY_LAYERS", d.n_layer),
        n_head: env("STUDY_HEADS", d.n_head),
        d_model: env("STUDY_DMODEL", d.d_model),
        context: env("STUDY_CONTEXT", d.context),
    };
    let seeds: Vec<u64> = std::env::var("STUDY_SEEDS")
        .unwrap_or("1".into())
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let steps: usize = env("STUDY_STEPS", 1500);
    let every: usize = env("STUDY_EVERY", 50);
    for seed in seeds {
        let mut t = Trainer::new(&text, config, seed).unwrap();
        t.adam = attention_core::train::Adam::new(env("STUDY_LR", t.adam.lr));
        t.batch = env("STUDY_BATCH", t.batch);
        // The page's probes (src/chapters/lab/train/job.rs `probes`).
        let letters = t.vocab.chars().iter().filter(|c| c.is_alphabetic()).count();
        let block = (config.context / 2).min(letters);
        let probes: Vec<Vec<usize>> = (0..4)
            .map(|i| repeated_block(&t.vocab, block, 0x1ab_0001 + i).unwrap())
            .collect();
        println!(
            "seed {seed}: V {} block {block} lr {} batch {} {config:?}",
            t.vocab.len(),
            t.adam.lr,
            t.batch
        );
        let start = std::time::Instant::now();
        let mut first = None;
        for step in 0..=steps {
            if step % every == 0 {
                let mut best = 0.0_f64;
                let mut at = (0, 0);
                let mut copy = 0.0;
                let mut sums = vec![vec![0.0; config.n_head]; config.n_layer];
                for ids in &probes {
                    let sc = score_heads(&t.model.attentions(ids).unwrap(), ids).unwrap();
                    for (l, layer) in sc.iter().enumerate() {
                        for (h, s) in layer.iter().enumerate() {
                            sums[l][h] += s.induction.unwrap_or(0.0) / 4.0;
                        }
                    }
                    copy += loss_from(&t.model.to_gpt2(), ids, block + 1, None).unwrap() / 4.0;
                }
                for (l, layer) in sums.iter().enumerate() {
                    for (h, &s) in layer.iter().enumerate() {
                        if s > best {
                            best = s;
                            at = (l, h);
                        }
                    }
                }
                if best >= 0.4 && first.is_none() {
                    first = Some(step);
                }
                let mut ablated = f64::NAN;
                if best >= 0.4 {
                    let mut mask = vec![vec![1.0_f32; config.n_head]; config.n_layer];
                    mask[at.0][at.1] = 0.0;
                    ablated = probes
                        .iter()
                        .map(|ids| {
                            loss_from(&t.model.to_gpt2(), ids, block + 1, Some(&mask)).unwrap()
                        })
                        .sum::<f64>()
                        / 4.0;
                }
                let tokens = step * t.batch * t.window_len();
                println!(
                    "seed {seed} step {step} tokens {tokens}: best induction {best:.3} (L{}H{}) copying loss {copy:.3} ablated {ablated:.3} ({:.1} s)",
                    at.0 + 1,
                    at.1 + 1,
                    start.elapsed().as_secs_f64()
                );
            }
            if step < steps {
                let loss = t.step().unwrap();
                if step % every == 0 {
                    println!("  train loss {loss:.3}");
                }
            }
        }
        println!("seed {seed}: first induction head at step {first:?}");
        // Where each head looks from the second copy: mean weight by offset i - j.
        let ids = &probes[0];
        let att = t.model.attentions(ids).unwrap();
        for (l, layer) in att.iter().enumerate() {
            for (h, w) in layer.iter().enumerate() {
                let mut by = vec![0.0; ids.len()];
                for i in block..ids.len() {
                    for j in 0..=i {
                        by[i - j] += w[(i, j)] / block as f64;
                    }
                }
                let mut top: Vec<(usize, f64)> = by.iter().copied().enumerate().collect();
                top.sort_by(|a, b| b.1.total_cmp(&a.1));
                println!("  L{}H{} offsets {:?}", l + 1, h + 1, &top[..4]);
            }
        }
    }
}
