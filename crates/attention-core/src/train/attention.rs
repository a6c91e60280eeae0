//! Trainable multi-head dot-product attention, usable as self-attention
//! (queries, keys and values from one sequence) or cross-attention (queries
//! from one sequence, keys and values from another).
//!
//! Shapes (H heads, `n_q` query positions, `n_kv` key/value positions):
//! * `x_q` is `n_q x d_q_in`, `x_kv` is `n_kv x d_kv_in` (the same matrix for
//!   self-attention);
//! * `Q = x_q W_Q + b_Q` is `n_q x (H d_k)`, `K = x_kv W_K + b_K` is
//!   `n_kv x (H d_k)`, `V = x_kv W_V + b_V` is `n_kv x (H d_v)`; head `h` uses
//!   the column block `h` of each;
//! * per head: `S_h = c Q_h K_h^T` (`n_q x n_kv`, `c = 1/sqrt(d_k)` when
//!   scaling, else 1; with the causal mask entries `j > i` are `-inf`),
//!   `A_h = softmax_rows(S_h)`, `O_h = A_h V_h` (`n_q x d_v`);
//! * `concat = [g_0 O_0 | ... | g_{H-1} O_{H-1}]` (`n_q x H d_v`), output
//!   `= concat W_O + b_O` (`n_q x d_out`), where `g_h` is head h's gate
//!   (1 unless a lesson switches the head off with 0).
//!
//! With [`Relative::Rope`] each head's query and key rows are rotated by
//! their position (0-based in each sequence) before the scores; with
//! [`Relative::Alibi`] head h adds `-m_h |i - j|` to its scores.
//!
//! Backward, per head: `dg_h = sum(dC_h ⊙ O_h)` (`dC_h` the gradient of
//! head h's block of `concat`), `dO_h = g_h dC_h`, `dV_h = A_h^T dO_h`, `dA_h = dO_h V_h^T`,
//! `dS_h = A_h ⊙ (dA_h - rowsum(dA_h ⊙ A_h))`, `dQ_h = c dS_h K_h`,
//! `dK_h = c dS_h^T Q_h`.

use super::{check_shape, nonzero, Linear, LinearCache, Module, Param};
use crate::{softmax_rows, AttnError, Mask, Mat, Rng};

/// Position information inside the attention (on top of whatever the input
/// rows carry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relative {
    /// Scores are plain dot products.
    None,
    /// RoPE: each head's query and key rows are rotated by their position
    /// before the dot product (`d_k` must be even), so scores depend on
    /// the offset `i - j`.
    Rope,
    /// ALiBi: head h adds `-m_h |i - j|` to its scores, with the geometric
    /// slopes `m_h = 2^(-8 (h+1) / H)`.
    Alibi,
}

/// Sizes and options of a [`MultiHeadAttention`] layer.
#[derive(Clone, Debug, PartialEq)]
pub struct MhaConfig {
    /// Width of the query input `x_q`.
    pub d_q_in: usize,
    /// Width of the key/value input `x_kv` (equal to `d_q_in` for
    /// self-attention).
    pub d_kv_in: usize,
    /// Output width.
    pub d_out: usize,
    /// Number of heads H >= 1.
    pub n_heads: usize,
    /// Query/key width per head.
    pub d_k: usize,
    /// Value width per head.
    pub d_v: usize,
    /// Multiply scores by `1/sqrt(d_k)`.
    pub scale: bool,
    /// [`Mask::Causal`] hides key positions `j > i` from query `i`.
    pub mask: Mask,
    /// RoPE, ALiBi or neither.
    pub relative: Relative,
}

impl MhaConfig {
    /// Self-attention on `d_model`-wide rows with H heads of width
    /// `d_head = d_k = d_v`, output `d_model`, scaled, no mask.
    pub fn self_attention(d_model: usize, n_heads: usize, d_head: usize) -> Self {
        MhaConfig {
            d_q_in: d_model,
            d_kv_in: d_model,
            d_out: d_model,
            n_heads,
            d_k: d_head,
            d_v: d_head,
            scale: true,
            mask: Mask::None,
            relative: Relative::None,
        }
    }
}

/// Multi-head attention with its four projections (each a [`Linear`] with
/// bias): `w_q` (`d_q_in x H d_k`), `w_k` (`d_kv_in x H d_k`), `w_v`
/// (`d_kv_in x H d_v`), `w_o` (`H d_v x d_out`).
#[derive(Clone, Debug, PartialEq)]
pub struct MultiHeadAttention {
    /// Sizes and options; changing `scale` or `mask` takes effect at the next
    /// forward pass, changing a size does not (build a new layer).
    pub cfg: MhaConfig,
    /// Query projection, `d_q_in x (H d_k)`.
    pub w_q: Linear,
    /// Key projection, `d_kv_in x (H d_k)`.
    pub w_k: Linear,
    /// Value projection, `d_kv_in x (H d_v)`.
    pub w_v: Linear,
    /// Output projection, `(H d_v) x d_out`.
    pub w_o: Linear,
    /// Head gates, `1 x H` (all 1 after [`MultiHeadAttention::new`]): head
    /// h's output is multiplied by `gates.value[(0, h)]` before the concat,
    /// so 0 switches the head off. Not trained (not listed by
    /// [`Module::params`]); backward adds `dL/dg_h` into `gates.grad`, the
    /// head-importance score of Michel, Levy & Neubig (2019) is its mean
    /// absolute value over examples.
    pub gates: Param,
}

/// Everything the backward pass needs, plus the attention weights of every
/// head (lessons draw them).
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionCache {
    q_cache: LinearCache,
    k_cache: LinearCache,
    v_cache: LinearCache,
    o_cache: LinearCache,
    /// `Q`, `n_q x (H d_k)`.
    pub q: Mat,
    /// `K`, `n_kv x (H d_k)`.
    pub k: Mat,
    /// `V`, `n_kv x (H d_v)`.
    pub v: Mat,
    /// One `n_q x n_kv` matrix of attention weights per head; each row sums
    /// to 1, masked entries are exactly 0.
    pub weights: Vec<Mat>,
    /// Every head's output before its gate, `O_h = A_h V_h`, each
    /// `n_q x d_v`.
    pub outputs: Vec<Mat>,
    /// The factor c: `1/sqrt(d_k)` or 1.
    pub scale_factor: f64,
}

impl AttentionCache {
    /// The attention weights of every head, each `n_q x n_kv`.
    pub fn head_weights(&self) -> &[Mat] {
        &self.weights
    }
}

/// Input gradients of [`MultiHeadAttention::backward`].
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionGrads {
    /// Gradient with respect to `x_q`, `n_q x d_q_in`.
    pub d_x_q: Mat,
    /// Gradient with respect to `x_kv`, `n_kv x d_kv_in`.
    pub d_x_kv: Mat,
}

impl MultiHeadAttention {
    /// Seeded initialisation (see [`Linear::new`]: weights `N(0, 1/d_in)`,
    /// zero biases). Err if a size is 0.
    pub fn new(cfg: MhaConfig, rng: &mut Rng) -> Result<Self, AttnError> {
        for (name, v) in [
            ("d_q_in", cfg.d_q_in),
            ("d_kv_in", cfg.d_kv_in),
            ("d_out", cfg.d_out),
            ("n_heads", cfg.n_heads),
            ("d_k", cfg.d_k),
            ("d_v", cfg.d_v),
        ] {
            nonzero(name, v)?;
        }
        let (hk, hv) = (cfg.n_heads * cfg.d_k, cfg.n_heads * cfg.d_v);
        Ok(MultiHeadAttention {
            w_q: Linear::new(cfg.d_q_in, hk, rng)?,
            w_k: Linear::new(cfg.d_kv_in, hk, rng)?,
            w_v: Linear::new(cfg.d_kv_in, hv, rng)?,
            w_o: Linear::new(hv, cfg.d_out, rng)?,
            gates: Param::new(Mat::from_element(1, cfg.n_heads, 1.0)),
            cfg,
        })
    }

    /// Self-attention: `x` (`n x d_q_in`, requires `d_q_in == d_kv_in`) ->
    /// output `n x d_out`. Use [`MultiHeadAttention::backward_self`].
    pub fn forward_self(&self, x: &Mat) -> Result<(Mat, AttentionCache), AttnError> {
        self.forward_cross(x, x)
    }

    /// Cross-attention: queries from `x_q` (`n_q x d_q_in`), keys and values
    /// from `x_kv` (`n_kv x d_kv_in`) -> output `n_q x d_out`.
    /// Err on empty inputs, wrong widths, non-finite values (also if an
    /// unscaled score overflows).
    pub fn forward_cross(&self, x_q: &Mat, x_kv: &Mat) -> Result<(Mat, AttentionCache), AttnError> {
        let MhaConfig {
            n_heads: h_n,
            d_k,
            d_v,
            ..
        } = self.cfg;
        let (q, q_cache) = self.w_q.forward(x_q).map_err(|e| rename(e, "x_q"))?;
        let (k, k_cache) = self.w_k.forward(x_kv).map_err(|e| rename(e, "x_kv"))?;
        let (v, v_cache) = self.w_v.forward(x_kv).map_err(|e| rename(e, "x_kv"))?;
        let n_q = q.nrows();
        let c = if self.cfg.scale {
            1.0 / (d_k as f64).sqrt()
        } else {
            1.0
        };
        check_shape("attention.gates", &self.gates.value, 1, h_n)?;
        let slopes = crate::alibi_slopes(h_n);
        let mut weights = Vec::with_capacity(h_n);
        let mut outputs = Vec::with_capacity(h_n);
        let mut concat = Mat::zeros(n_q, h_n * d_v);
        // The gates are 1 x H (checked above): one per head, in order.
        for (h, (&slope, &gate)) in slopes.iter().zip(self.gates.value.iter()).enumerate() {
            let (qh, kh) = self.head_qk(&q, &k, h)?;
            let mut s = &qh * kh.transpose();
            s *= c;
            if self.cfg.relative == Relative::Alibi {
                for (j, mut col) in s.column_iter_mut().enumerate() {
                    for (i, v) in col.iter_mut().enumerate() {
                        *v -= slope * i.abs_diff(j) as f64;
                    }
                }
            }
            if self.cfg.mask == Mask::Causal {
                crate::attention::mask_future(&mut s);
            }
            let a =
                softmax_rows(&s).map_err(|e| rename(e, &format!("attention.head[{h}].scores")))?;
            let o = &a * v.columns(h * d_v, d_v);
            concat.columns_mut(h * d_v, d_v).copy_from(&(&o * gate));
            weights.push(a);
            outputs.push(o);
        }
        let (out, o_cache) = self.w_o.forward(&concat)?;
        Ok((
            out,
            AttentionCache {
                q_cache,
                k_cache,
                v_cache,
                o_cache,
                q,
                k,
                v,
                weights,
                outputs,
                scale_factor: c,
            },
        ))
    }

    /// `d_out` (`n_q x d_out`) -> gradients with respect to `x_q` and `x_kv`;
    /// adds the gradients of all four projections into their params.
    pub fn backward(
        &mut self,
        cache: &AttentionCache,
        d_out: &Mat,
    ) -> Result<AttentionGrads, AttnError> {
        let MhaConfig {
            n_heads: h_n,
            d_k,
            d_v,
            ..
        } = self.cfg;
        let (n_q, n_kv) = (cache.q.nrows(), cache.k.nrows());
        check_shape("attention.d_out", d_out, n_q, self.w_o.d_out())?;
        check_shape("attention.gates", &self.gates.value, 1, h_n)?;
        check_shape("attention.gates.grad", &self.gates.grad, 1, h_n)?;
        if cache.weights.len() != h_n {
            return Err(AttnError::shape(
                "attention.cache.weights",
                format!("{h_n} heads"),
                format!("{} heads", cache.weights.len()),
            ));
        }
        let d_concat = self.w_o.backward(&cache.o_cache, d_out)?;
        let c = cache.scale_factor;
        let mut d_q = Mat::zeros(n_q, h_n * d_k);
        let mut d_k_all = Mat::zeros(n_kv, h_n * d_k);
        let mut d_v_all = Mat::zeros(n_kv, h_n * d_v);
        // One weight matrix and one gate per head (both checked above).
        for (h, (a, &gate)) in cache
            .weights
            .iter()
            .zip(self.gates.value.iter())
            .enumerate()
        {
            let d_c = d_concat.columns(h * d_v, d_v);
            if let (Some(o), Some(g)) = (cache.outputs.get(h), self.gates.grad.get_mut((0, h))) {
                *g += d_c.component_mul(o).sum();
            }
            let d_o = d_c * gate;
            let vh = cache.v.columns(h * d_v, d_v);
            d_v_all
                .columns_mut(h * d_v, d_v)
                .copy_from(&(a.transpose() * &d_o));
            let d_a = &d_o * vh.transpose();
            let mut d_s = d_a.component_mul(a);
            for (mut ds_row, a_row) in d_s.row_iter_mut().zip(a.row_iter()) {
                let dot: f64 = ds_row.sum();
                for (v, &a_ij) in ds_row.iter_mut().zip(a_row.iter()) {
                    *v -= a_ij * dot;
                }
            }
            d_s *= c;
            let (qh, kh) = self.head_qk(&cache.q, &cache.k, h)?;
            let mut d_qh = &d_s * kh;
            let mut d_kh = d_s.transpose() * qh;
            if self.cfg.relative == Relative::Rope {
                d_qh = crate::position::rope_unrotate(&d_qh, 0)?;
                d_kh = crate::position::rope_unrotate(&d_kh, 0)?;
            }
            d_q.columns_mut(h * d_k, d_k).copy_from(&d_qh);
            d_k_all.columns_mut(h * d_k, d_k).copy_from(&d_kh);
        }
        let d_x_q = self.w_q.backward(&cache.q_cache, &d_q)?;
        let mut d_x_kv = self.w_k.backward(&cache.k_cache, &d_k_all)?;
        d_x_kv += self.w_v.backward(&cache.v_cache, &d_v_all)?;
        Ok(AttentionGrads { d_x_q, d_x_kv })
    }

    /// Backward of [`MultiHeadAttention::forward_self`]: `d_out`
    /// (`n x d_out`) -> `d_x = d_x_q + d_x_kv` (`n x d_q_in`).
    pub fn backward_self(&mut self, cache: &AttentionCache, d_out: &Mat) -> Result<Mat, AttnError> {
        let g = self.backward(cache, d_out)?;
        if g.d_x_q.shape() != g.d_x_kv.shape() {
            return Err(AttnError::shape(
                "attention.cache",
                "a self-attention cache (x_q and x_kv of one shape)",
                "a cross-attention cache",
            ));
        }
        Ok(g.d_x_q + g.d_x_kv)
    }
}

impl MultiHeadAttention {
    /// Head h's query and key rows as the scores use them (rotated by
    /// position under RoPE), `n_q x d_k` and `n_kv x d_k`.
    fn head_qk(&self, q: &Mat, k: &Mat, h: usize) -> Result<(Mat, Mat), AttnError> {
        let d_k = self.cfg.d_k;
        let qh = q.columns(h * d_k, d_k).into_owned();
        let kh = k.columns(h * d_k, d_k).into_owned();
        if self.cfg.relative == Relative::Rope {
            Ok((
                crate::position::rope_rotate(&qh, 0)?,
                crate::position::rope_rotate(&kh, 0)?,
            ))
        } else {
            Ok((qh, kh))
        }
    }
}

impl Module for MultiHeadAttention {
    fn params(&self) -> Vec<&Param> {
        let mut v = self.w_q.params();
        v.extend(self.w_k.params());
        v.extend(self.w_v.params());
        v.extend(self.w_o.params());
        v
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut v = self.w_q.params_mut();
        v.extend(self.w_k.params_mut());
        v.extend(self.w_v.params_mut());
        v.extend(self.w_o.params_mut());
        v
    }
}

/// Replaces the generic `linear.x` field name by the attention input's name.
fn rename(e: AttnError, field: &str) -> AttnError {
    match e {
        AttnError::Shape {
            field: f,
            expected,
            got,
        } => AttnError::Shape {
            field: f
                .replacen("linear.x", &format!("attention.{field}"), 1)
                .replacen("logits", field, 1),
            expected,
            got,
        },
        AttnError::Value { field: f, message } => AttnError::Value {
            field: f
                .replacen("linear.x", &format!("attention.{field}"), 1)
                .replacen("logits", field, 1),
            message,
        },
    }
}
