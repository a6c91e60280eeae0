//! Heads measured as the lab's page measures them (shared by the induction
//! study and the recipe test, `#[path]`-included): every probe of
//! `induction_probes` scored, then `mean_over_probes` (the honest score).

use attention_core::gpt::heads::{mean_over_probes, score_heads, HeadScores};
use attention_core::gpt::train::TinyGpt;

/// The honest `[layer][head]` scores of `model` on `probes` (`(block, ids)`).
pub fn measure(model: &TinyGpt, probes: &[(usize, Vec<usize>)]) -> Vec<Vec<HeadScores>> {
    let runs: Vec<_> = probes
        .iter()
        .map(|(b, ids)| {
            (
                *b,
                score_heads(&model.attentions(ids).unwrap(), ids).unwrap(),
            )
        })
        .collect();
    mean_over_probes(&runs).unwrap()
}
