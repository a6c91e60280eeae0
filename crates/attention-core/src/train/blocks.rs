//! Residual connections and the two transformer layers built from the basic
//! layers (post-layer-norm, as in the original Transformer).
//!
//! * [`EncoderLayer`]: `h = LN1(x + SelfAttn(x))`, `y = LN2(h + MLP(h))`;
//! * [`DecoderLayer`]: `h1 = LN1(x + SelfAttn_causal(x))`,
//!   `h2 = LN2(h1 + CrossAttn(h1, enc))`, `y = LN3(h2 + MLP(h2))`.
//!
//! Shapes: `x` and `y` are `n x d_model`, `enc` (the encoder output) is
//! `m x d_model`. The backward of a residual `y = x + f(x)` is
//! `d_x = d_y + f'(x)^T d_y`.

use super::{
    AttentionCache, LayerNorm, LayerNormCache, MhaConfig, Mlp, MlpCache, Module,
    MultiHeadAttention, Param,
};
use crate::{AttnError, Mask, Mat, Rng};

/// `a + b` for two `n x d` matrices (a residual connection); its backward
/// passes the gradient unchanged to both. Err if the shapes differ.
pub fn residual_add(a: &Mat, b: &Mat) -> Result<Mat, AttnError> {
    if a.shape() != b.shape() {
        return Err(AttnError::shape(
            "residual",
            format!("{} x {} (both branches)", a.nrows(), a.ncols()),
            format!("{} x {}", b.nrows(), b.ncols()),
        ));
    }
    Ok(a + b)
}

/// One encoder layer: self-attention + residual + layer norm, then MLP +
/// residual + layer norm. Input and output are `n x d_model`.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderLayer {
    /// Self-attention, `d_model -> d_model`.
    pub attn: MultiHeadAttention,
    /// Norm after the attention residual.
    pub ln1: LayerNorm,
    /// Feed-forward, `d_model -> d_hidden -> d_model`.
    pub mlp: Mlp,
    /// Norm after the MLP residual.
    pub ln2: LayerNorm,
}

/// What [`EncoderLayer::backward`] needs; `attn` holds the head weights.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderCache {
    /// The attention cache (see [`AttentionCache::head_weights`]).
    pub attn: AttentionCache,
    ln1: LayerNormCache,
    mlp: MlpCache,
    ln2: LayerNormCache,
}

impl EncoderLayer {
    /// A layer on `d_model`-wide rows with `n_heads` heads of width
    /// `d_model / n_heads` (Err unless it divides exactly), MLP width
    /// `d_hidden`, scaling on or off, attention mask `mask`.
    pub fn new(
        d_model: usize,
        n_heads: usize,
        d_hidden: usize,
        scale: bool,
        mask: Mask,
        rng: &mut Rng,
    ) -> Result<Self, AttnError> {
        let d_head = head_width(d_model, n_heads)?;
        let mut cfg = MhaConfig::self_attention(d_model, n_heads, d_head);
        cfg.scale = scale;
        cfg.mask = mask;
        Ok(EncoderLayer {
            attn: MultiHeadAttention::new(cfg, rng)?,
            ln1: LayerNorm::new(d_model)?,
            mlp: Mlp::new(d_model, d_hidden, d_model, rng)?,
            ln2: LayerNorm::new(d_model)?,
        })
    }

    /// `x` (`n x d_model`) -> `y` (`n x d_model`).
    pub fn forward(&self, x: &Mat) -> Result<(Mat, EncoderCache), AttnError> {
        let (a, attn) = self.attn.forward_self(x)?;
        let (h, ln1) = self.ln1.forward(&residual_add(x, &a)?)?;
        let (f, mlp) = self.mlp.forward(&h)?;
        let (y, ln2) = self.ln2.forward(&residual_add(&h, &f)?)?;
        Ok((
            y,
            EncoderCache {
                attn,
                ln1,
                mlp,
                ln2,
            },
        ))
    }

    /// `d_y` (`n x d_model`) -> `d_x` (`n x d_model`); adds all grads.
    pub fn backward(&mut self, cache: &EncoderCache, d_y: &Mat) -> Result<Mat, AttnError> {
        let d_r2 = self.ln2.backward(&cache.ln2, d_y)?;
        let d_h = &d_r2 + self.mlp.backward(&cache.mlp, &d_r2)?;
        let d_r1 = self.ln1.backward(&cache.ln1, &d_h)?;
        Ok(&d_r1 + self.attn.backward_self(&cache.attn, &d_r1)?)
    }
}

impl Module for EncoderLayer {
    fn params(&self) -> Vec<&Param> {
        let mut v = self.attn.params();
        v.extend(self.ln1.params());
        v.extend(self.mlp.params());
        v.extend(self.ln2.params());
        v
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut v = self.attn.params_mut();
        v.extend(self.ln1.params_mut());
        v.extend(self.mlp.params_mut());
        v.extend(self.ln2.params_mut());
        v
    }
}

/// One decoder layer: causal self-attention, cross-attention to the encoder
/// output, MLP; each with residual + layer norm. `x` and `y` are
/// `n x d_model`, `enc` is `m x d_model`.
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderLayer {
    /// Causal self-attention, `d_model -> d_model`.
    pub self_attn: MultiHeadAttention,
    /// Norm after the self-attention residual.
    pub ln1: LayerNorm,
    /// Cross-attention: queries from the decoder, keys/values from `enc`.
    pub cross_attn: MultiHeadAttention,
    /// Norm after the cross-attention residual.
    pub ln2: LayerNorm,
    /// Feed-forward, `d_model -> d_hidden -> d_model`.
    pub mlp: Mlp,
    /// Norm after the MLP residual.
    pub ln3: LayerNorm,
}

/// What [`DecoderLayer::backward`] needs; `self_attn` and `cross_attn` hold
/// the head weights (`n x n` and `n x m`).
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderCache {
    /// Cache of the causal self-attention.
    pub self_attn: AttentionCache,
    /// Cache of the cross-attention.
    pub cross_attn: AttentionCache,
    ln1: LayerNormCache,
    ln2: LayerNormCache,
    mlp: MlpCache,
    ln3: LayerNormCache,
}

/// Input gradients of [`DecoderLayer::backward`].
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderGrads {
    /// With respect to the decoder input `x`, `n x d_model`.
    pub d_x: Mat,
    /// With respect to the encoder output `enc`, `m x d_model`.
    pub d_enc: Mat,
}

impl DecoderLayer {
    /// A layer on `d_model`-wide rows with `n_heads` heads of width
    /// `d_model / n_heads` (Err unless it divides exactly) in both attentions,
    /// MLP width `d_hidden`, scaling on or off.
    pub fn new(
        d_model: usize,
        n_heads: usize,
        d_hidden: usize,
        scale: bool,
        rng: &mut Rng,
    ) -> Result<Self, AttnError> {
        let d_head = head_width(d_model, n_heads)?;
        let mut cfg = MhaConfig::self_attention(d_model, n_heads, d_head);
        cfg.scale = scale;
        let cross_cfg = cfg.clone();
        cfg.mask = Mask::Causal;
        Ok(DecoderLayer {
            self_attn: MultiHeadAttention::new(cfg, rng)?,
            ln1: LayerNorm::new(d_model)?,
            cross_attn: MultiHeadAttention::new(cross_cfg, rng)?,
            ln2: LayerNorm::new(d_model)?,
            mlp: Mlp::new(d_model, d_hidden, d_model, rng)?,
            ln3: LayerNorm::new(d_model)?,
        })
    }

    /// `x` (`n x d_model`), `enc` (`m x d_model`) -> `y` (`n x d_model`).
    pub fn forward(&self, x: &Mat, enc: &Mat) -> Result<(Mat, DecoderCache), AttnError> {
        let (a, self_attn) = self.self_attn.forward_self(x)?;
        let (h1, ln1) = self.ln1.forward(&residual_add(x, &a)?)?;
        let (c, cross_attn) = self.cross_attn.forward_cross(&h1, enc)?;
        let (h2, ln2) = self.ln2.forward(&residual_add(&h1, &c)?)?;
        let (f, mlp) = self.mlp.forward(&h2)?;
        let (y, ln3) = self.ln3.forward(&residual_add(&h2, &f)?)?;
        Ok((
            y,
            DecoderCache {
                self_attn,
                cross_attn,
                ln1,
                ln2,
                mlp,
                ln3,
            },
        ))
    }

    /// `d_y` (`n x d_model`) -> gradients for `x` and `enc`; adds all grads.
    pub fn backward(&mut self, cache: &DecoderCache, d_y: &Mat) -> Result<DecoderGrads, AttnError> {
        let d_r3 = self.ln3.backward(&cache.ln3, d_y)?;
        let d_h2 = &d_r3 + self.mlp.backward(&cache.mlp, &d_r3)?;
        let d_r2 = self.ln2.backward(&cache.ln2, &d_h2)?;
        let cross = self.cross_attn.backward(&cache.cross_attn, &d_r2)?;
        let d_h1 = &d_r2 + cross.d_x_q;
        let d_r1 = self.ln1.backward(&cache.ln1, &d_h1)?;
        let d_x = &d_r1 + self.self_attn.backward_self(&cache.self_attn, &d_r1)?;
        Ok(DecoderGrads {
            d_x,
            d_enc: cross.d_x_kv,
        })
    }
}

impl Module for DecoderLayer {
    fn params(&self) -> Vec<&Param> {
        let mut v = self.self_attn.params();
        v.extend(self.ln1.params());
        v.extend(self.cross_attn.params());
        v.extend(self.ln2.params());
        v.extend(self.mlp.params());
        v.extend(self.ln3.params());
        v
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut v = self.self_attn.params_mut();
        v.extend(self.ln1.params_mut());
        v.extend(self.cross_attn.params_mut());
        v.extend(self.ln2.params_mut());
        v.extend(self.mlp.params_mut());
        v.extend(self.ln3.params_mut());
        v
    }
}

fn head_width(d_model: usize, n_heads: usize) -> Result<usize, AttnError> {
    super::nonzero("d_model", d_model)?;
    super::nonzero("n_heads", n_heads)?;
    if !d_model.is_multiple_of(n_heads) {
        return Err(AttnError::value(
            "n_heads",
            format!("must divide d_model = {d_model}, got {n_heads}"),
        ));
    }
    Ok(d_model / n_heads)
}
