//! Deterministic toy word embeddings.
//!
//! A word is hashed (FNV-1a over its UTF-8 bytes, mixed with the seed) and the
//! hash seeds an [`Rng`] that draws `d_model` unit-variance normal entries.
//! Same word + same seed => same vector, for any Unicode string.

use crate::{AttnError, Mat, Rng};

/// FNV-1a 64-bit hash of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Deterministic embedding of `word`: a vector of length `d_model` with
/// independent `N(0, 1)` entries determined by `(word, seed)`.
/// Works for any Unicode string, including the empty string.
pub fn word_embedding(word: &str, d_model: usize, seed: u64) -> Vec<f64> {
    let mixed = fnv1a(word.as_bytes()) ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    let mut rng = Rng::new(mixed);
    (0..d_model).map(|_| rng.normal()).collect()
}

/// Embeds a token list: an `n x d_model` matrix (n = `tokens.len()`) whose row
/// `i` is `word_embedding(tokens[i], d_model, seed)`.
/// Err if `tokens` is empty or `d_model == 0`.
pub fn embed_tokens(
    tokens: &[impl AsRef<str>],
    d_model: usize,
    seed: u64,
) -> Result<Mat, AttnError> {
    if tokens.is_empty() {
        return Err(AttnError::shape("tokens", "at least 1 token", "0 tokens"));
    }
    if d_model == 0 {
        return Err(AttnError::value("d_model", "must be at least 1, got 0"));
    }
    let mut m = Mat::zeros(tokens.len(), d_model);
    for (mut row, t) in m.row_iter_mut().zip(tokens) {
        for (dst, v) in row
            .iter_mut()
            .zip(word_embedding(t.as_ref(), d_model, seed))
        {
            *dst = v;
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_word_same_vector_different_word_different_vector() {
        assert_eq!(word_embedding("dog", 8, 1), word_embedding("dog", 8, 1));
        assert_ne!(word_embedding("dog", 8, 1), word_embedding("cat", 8, 1));
        assert_ne!(word_embedding("dog", 8, 1), word_embedding("dog", 8, 2));
        assert_eq!(word_embedding("", 3, 0).len(), 3);
        assert!(word_embedding("猫🐈", 5, 9).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn embed_tokens_rows_and_errors() {
        let m = embed_tokens(&["a", "b", "a"], 4, 3).unwrap();
        assert_eq!((m.nrows(), m.ncols()), (3, 4));
        assert_eq!(m.row(0), m.row(2));
        let none: [&str; 0] = [];
        assert!(matches!(
            embed_tokens(&none, 4, 0),
            Err(AttnError::Shape { .. })
        ));
        assert!(matches!(
            embed_tokens(&["a"], 0, 0),
            Err(AttnError::Value { .. })
        ));
    }
}
