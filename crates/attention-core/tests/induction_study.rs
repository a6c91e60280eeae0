//! How soon an induction head appears when the tiny GPT trains on the lab's
//! copying sample (printed, not asserted: a study run by hand):
//! `cargo test --release -p attention-core --test induction_study -- --ignored --nocapture`.

use attention_core::gpt::heads::{induction_sequence, score_heads};
use attention_core::gpt::train::{loss_from, TinyConfig, Trainer};

#[test]
#[ignore]
fn induction_heads_appear_on_the_copying_sample() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../src/chapters/lab/train/samples/copying.txt"
    );
    let path = std::env::var("STUDY_TEXT").unwrap_or(path.to_string());
    let text = std::fs::read_to_string(path).unwrap();
    let mut t = Trainer::new(&text, TinyConfig::default(), 1).unwrap();
    if let Ok(lr) = std::env::var("STUDY_LR") {
        t.adam = attention_core::train::Adam::new(lr.parse().unwrap());
    }
    let steps: usize = std::env::var("STUDY_STEPS").map_or(1500, |s| s.parse().unwrap());
    let v = t.vocab.len();
    let low = t
        .vocab
        .chars()
        .iter()
        .position(|c| c.is_alphabetic())
        .unwrap();
    let block = (t.model.config.context / 2).min(v - low);
    let start = std::time::Instant::now();
    for step in 0..=steps {
        let loss = t.step().unwrap();
        if step % 50 == 0 {
            let mut best = 0.0_f64;
            let mut copy = 0.0;
            for s in 0..4 {
                let ids = induction_sequence(s, block, low, v, None).unwrap();
                let sc = score_heads(&t.model.attentions(&ids).unwrap(), &ids).unwrap();
                for l in &sc {
                    for h in l {
                        best = best.max(h.induction.unwrap_or(0.0));
                    }
                }
                copy += loss_from(&t.model.to_gpt2(), &ids, block + 1, None).unwrap() / 4.0;
            }
            println!(
                "step {step}: loss {loss:.3} best induction {best:.3} copying loss {copy:.3} ({:.1} s)",
                start.elapsed().as_secs_f64()
            );
        }
    }
}
