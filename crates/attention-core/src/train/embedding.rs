//! Token embeddings (id -> row of a table) and learned absolute positions.
//!
//! Shapes: the token table is `vocab x d_model`; ids `[t_0, ..., t_{n-1}]`
//! give an `n x d_model` matrix whose row `i` is `table[t_i]`. The position
//! table is `max_len x d_model`; a sequence of length `n <= max_len` gets its
//! first `n` rows.

use super::{check_shape, nonzero, Module, Param};
use crate::{AttnError, Mat, Rng};

/// A learned lookup table, `vocab x d_model`.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    /// The table, `vocab x d_model`; row `t` is the vector of token `t`.
    pub table: Param,
}

/// What [`Embedding::backward`] needs: the token ids (length n).
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingCache {
    /// The ids of the forward pass.
    pub ids: Vec<usize>,
}

impl Embedding {
    /// Seeded table of `N(0, std^2)` entries, `vocab x d_model`. Err if a size
    /// is 0 or `std` is not finite and >= 0.
    pub fn new(vocab: usize, d_model: usize, std: f64, rng: &mut Rng) -> Result<Self, AttnError> {
        nonzero("vocab", vocab)?;
        nonzero("d_model", d_model)?;
        check_std(std)?;
        Ok(Embedding {
            table: Param::new(rng.normal_matrix(vocab, d_model, std)),
        })
    }

    /// Vocabulary size.
    pub fn vocab(&self) -> usize {
        self.table.value.nrows()
    }

    /// Vector width `d_model`.
    pub fn d_model(&self) -> usize {
        self.table.value.ncols()
    }

    /// `ids` (length n >= 1, each `< vocab`) -> `n x d_model`.
    /// Err on an empty sequence or an id out of the vocabulary.
    pub fn forward(&self, ids: &[usize]) -> Result<(Mat, EmbeddingCache), AttnError> {
        if ids.is_empty() {
            return Err(AttnError::shape("ids", "at least 1 token", "0 tokens"));
        }
        let vocab = self.vocab();
        if let Some((i, &t)) = ids.iter().enumerate().find(|(_, &t)| t >= vocab) {
            return Err(AttnError::value(
                format!("ids[{i}]"),
                format!("token id {t} is out of the vocabulary (size {vocab})"),
            ));
        }
        let mut out = Mat::zeros(ids.len(), self.d_model());
        for (i, &t) in ids.iter().enumerate() {
            out.row_mut(i).copy_from(&self.table.value.row(t));
        }
        Ok((out, EmbeddingCache { ids: ids.to_vec() }))
    }

    /// `d_out` (`n x d_model`): adds row `i` of `d_out` to row `ids[i]` of
    /// `table.grad`. Ids are not differentiable, so nothing is returned.
    pub fn backward(&mut self, cache: &EmbeddingCache, d_out: &Mat) -> Result<(), AttnError> {
        check_shape("embedding.d_out", d_out, cache.ids.len(), self.d_model())?;
        for (i, &t) in cache.ids.iter().enumerate() {
            let mut g = self.table.grad.row_mut(t);
            g += d_out.row(i);
        }
        Ok(())
    }
}

impl Module for Embedding {
    fn params(&self) -> Vec<&Param> {
        vec![&self.table]
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.table]
    }
}

/// Learned absolute positions: a `max_len x d_model` table whose first `n`
/// rows are added to (or returned for) a sequence of length `n`.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionalEmbedding {
    /// The table, `max_len x d_model`; row `p` is the vector of position `p`.
    pub table: Param,
}

/// What [`PositionalEmbedding::backward`] needs: the sequence length n.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionalCache {
    /// Length of the sequence of the forward pass.
    pub n: usize,
}

impl PositionalEmbedding {
    /// Seeded table of `N(0, std^2)` entries, `max_len x d_model`. Err if a
    /// size is 0 or `std` is not finite and >= 0.
    pub fn new(max_len: usize, d_model: usize, std: f64, rng: &mut Rng) -> Result<Self, AttnError> {
        nonzero("max_len", max_len)?;
        nonzero("d_model", d_model)?;
        check_std(std)?;
        Ok(PositionalEmbedding {
            table: Param::new(rng.normal_matrix(max_len, d_model, std)),
        })
    }

    /// The longest sequence the table covers.
    pub fn max_len(&self) -> usize {
        self.table.value.nrows()
    }

    /// `x` (`n x d_model`, 1 <= n <= max_len) -> `x + table[0..n]`
    /// (`n x d_model`). Err on an empty, too long or too narrow input.
    pub fn forward(&self, x: &Mat) -> Result<(Mat, PositionalCache), AttnError> {
        let (n, d) = (x.nrows(), self.table.value.ncols());
        if n == 0 || n > self.max_len() || x.ncols() != d {
            return Err(AttnError::shape(
                "positional.x",
                format!("n x {d} with 1 <= n <= {} (max_len)", self.max_len()),
                crate::error::dims(x),
            ));
        }
        let out = x + self.table.value.rows(0, n);
        Ok((out, PositionalCache { n }))
    }

    /// `d_out` (`n x d_model`) -> `d_x = d_out` (`n x d_model`); adds `d_out`
    /// to the first `n` rows of `table.grad`.
    pub fn backward(&mut self, cache: &PositionalCache, d_out: &Mat) -> Result<Mat, AttnError> {
        check_shape("positional.d_out", d_out, cache.n, self.table.value.ncols())?;
        let mut g = self.table.grad.rows_mut(0, cache.n);
        g += d_out;
        Ok(d_out.clone())
    }
}

impl Module for PositionalEmbedding {
    fn params(&self) -> Vec<&Param> {
        vec![&self.table]
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.table]
    }
}

fn check_std(std: f64) -> Result<(), AttnError> {
    if !std.is_finite() || std < 0.0 {
        return Err(AttnError::value(
            "std",
            format!("must be finite and >= 0, got {std}"),
        ));
    }
    Ok(())
}
