//! Seeded stand-ins for learned parameters, shared by the chapters that show
//! attention on random (untrained) weights: a sentence's token vectors
//! ([`embed`]: tokenized, one fixed random vector per word and seed) and
//! multi-head projection weights ([`projection_weights`]: W_Q, W_K, W_V per
//! head and W_O). The Q/K/V chapter builds its whole trace from them; the
//! multi-head chapter's random layer uses the same two.
//!
//! Pure (no DOM), so it is tested natively.

use crate::text::{tokenize_max, MAX_TOKENS};
use attention_core::{embed_tokens, Mat, MultiHeadWeights};

/// Seed offset between embeddings and projection weights, so they differ.
const WEIGHT_SEED_SALT: u64 = 0x005e_ed0f_a77e;

/// The token rows: tokens, tokenizer notes and X (n x d_model). Depends only
/// on the text, d_model and the seed, so a chapter can memoise it apart
/// from the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedded {
    pub tokens: Vec<String>,
    pub notes: Vec<String>,
    /// n x d_model.
    pub x: Mat,
}

/// Tokenizes and embeds `text` with `d_model` dimensions and `seed`. Err (a
/// message for the learner) when there is no token.
pub fn embed(text: &str, d_model: usize, seed: u64) -> Result<Embedded, String> {
    embed_max(text, d_model, seed, MAX_TOKENS)
}

/// [`embed`] keeping up to `max_tokens` tokens.
pub fn embed_max(
    text: &str,
    d_model: usize,
    seed: u64,
    max_tokens: usize,
) -> Result<Embedded, String> {
    let tk = tokenize_max(text, max_tokens);
    if tk.tokens.is_empty() {
        return Err("Type at least one word to see attention at work.".into());
    }
    let x = embed_tokens(&tk.tokens, d_model, seed).map_err(|e| e.to_string())?;
    Ok(Embedded {
        tokens: tk.tokens,
        notes: tk.notes,
        x,
    })
}

/// Seeded projection weights: `heads` heads of width `d_k` (d_v = d_k) over
/// `d_model`, and W_O back to `d_model`.
pub fn projection_weights(
    d_model: usize,
    heads: usize,
    d_k: usize,
    seed: u64,
) -> Result<MultiHeadWeights, String> {
    MultiHeadWeights::random(d_model, heads, d_k, d_k, d_model, seed ^ WEIGHT_SEED_SALT)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_is_one_row_per_token_and_fixed_by_the_seed() {
        let a = embed("the cat sat", 8, 7).unwrap();
        assert_eq!(a.tokens, ["the", "cat", "sat"]);
        assert_eq!(a.x.shape(), (3, 8));
        assert_eq!(a, embed("the cat sat", 8, 7).unwrap());
        assert_ne!(a.x, embed("the cat sat", 8, 8).unwrap().x);
        assert!(embed("   ", 8, 7)
            .unwrap_err()
            .contains("at least one word"));
    }

    #[test]
    fn weights_have_the_asked_shapes_and_follow_the_seed() {
        let w = projection_weights(8, 2, 4, 7).unwrap();
        assert_eq!(w.heads.len(), 2);
        assert_eq!(w.heads[1].w_q.shape(), (8, 4));
        assert_eq!(w.heads[1].w_v.shape(), (8, 4));
        assert_eq!(w.w_o.as_ref().map(|m| m.shape()), Some((8, 8)));
        assert_eq!(w, projection_weights(8, 2, 4, 7).unwrap());
        assert_ne!(w, projection_weights(8, 2, 4, 8).unwrap());
        assert!(projection_weights(8, 0, 4, 7).is_err());
    }
}
