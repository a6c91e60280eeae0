//! The lab's copying recipe grows a real induction head (issue 17): the
//! shipped `copying.txt` (`scripts/make_copy_sample.py`: 8 to 16 distinct
//! random lowercase letters, each line said four times), 2 layers, 2 heads,
//! d_model 16, context 32, Adam 3e-3, batch 8 (the page's defaults), seed 1.
//! Measured as the page measures (`induction_probes`, 4 probes of 13 and of
//! 9 letters; `mean_over_probes`: the smaller length's score, never a
//! first-layer head): no induction head at step 0; by step 5,500 (1.4M
//! characters) a head after the first layer scores >= 0.4, and switching it
//! off raises the copying loss by more than 0.5 nats.
//!
//! About 35 s in release (seed 1: the head, L2H1, at step 4,750, score
//! 0.69, copying loss 1.12 -> 2.37 with it off), so ignored by default and
//! run by `scripts/test.sh`:
//! `cargo test --release -p attention-core --test induction_recipe -- --ignored`.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::gpt::heads::{HeadLabel, INDUCTION_MIN};
use attention_core::gpt::train::{induction_probes, loss_from, TinyConfig, Trainer};

#[path = "shared/probes.rs"]
mod shared;

/// The page's defaults for the copying sample (`src/chapters/lab/train/state.rs`).
const RECIPE: TinyConfig = TinyConfig {
    n_layer: 2,
    n_head: 2,
    d_model: 16,
    context: 32,
};

#[test]
#[ignore]
fn an_induction_head_appears_in_layer_2_and_copying_needs_it() {
    let text = include_str!("../../../src/chapters/lab/train/samples/copying.txt");
    let mut t = Trainer::new(text, RECIPE, 1).unwrap();
    assert_eq!((t.adam.lr, t.batch), (3e-3, 8));
    let probes = induction_probes(&t.vocab, RECIPE.context, 4, 0x1ab_0001).unwrap();
    assert_eq!((probes[0].0, probes[4].0), (13, 9));
    let mut found = None;
    for step in (0..=5500).step_by(250) {
        while t.steps() < step {
            t.step().unwrap();
        }
        let heads = shared::measure(&t.model, &probes);
        let best = heads
            .iter()
            .enumerate()
            .flat_map(|(l, hs)| hs.iter().enumerate().map(move |(h, s)| (l, h, *s)))
            .filter(|(_, _, s)| s.label == HeadLabel::Induction)
            .max_by(|a, b| a.2.induction.partial_cmp(&b.2.induction).unwrap());
        if step == 0 {
            assert!(
                best.is_none(),
                "an induction head before training: {best:?}"
            );
        }
        if let Some((l, h, s)) = best {
            assert!(l >= 1 && s.induction.unwrap() >= INDUCTION_MIN);
            found = Some((step, l, h, s.induction.unwrap()));
            break;
        }
    }
    let (step, l, h, score) = found.expect("no induction head by step 5500");
    let g = t.model.to_gpt2();
    let copying = |mask: Option<&[Vec<f32>]>| {
        probes
            .iter()
            .map(|(b, ids)| loss_from(&g, ids, b + 1, mask).unwrap())
            .sum::<f64>()
            / probes.len() as f64
    };
    let mut mask = vec![vec![1.0_f32; RECIPE.n_head]; RECIPE.n_layer];
    mask[l][h] = 0.0;
    let (intact, ablated) = (copying(None), copying(Some(&mask)));
    eprintln!(
        "induction head L{}H{} at step {step}: score {score:.3}, copying loss {intact:.3} -> {ablated:.3} with it off",
        l + 1,
        h + 1
    );
    assert!(ablated > intact + 0.5, "{intact} -> {ablated}");
}
