//! Counting the cost of the `n x n` score matrix (chapter 6).
//!
//! Pure arithmetic: every count is an exact `u128` computed with checked
//! operations (an overflow is an [`AttnError`], never a wrap or a panic), so
//! `n = 10^6`, `10^7` and far beyond are fine; `f64` is only used for shares
//! and fractions. Inputs are `u64` so that counts are the same on native and
//! `wasm32` (where `usize` has 32 bits).
//!
//! Conventions (stated once, used everywhere):
//!
//! * **FLOPs**: one multiply-add counts as **2 FLOPs**. A product of an
//!   `a x b` by a `b x c` matrix is `a*b*c` multiply-adds, i.e. `2*a*b*c`
//!   FLOPs. Softmax, scaling, masking, layer norms, biases and the MLP's
//!   activation are not counted (they are `O(n^2)` or `O(n d)` element-wise
//!   operations, small next to the products).
//! * Per layer, with `d = d_model`, `d_k = d / heads`, `d_ff` the MLP width:
//!   `QK^T` is `heads * 2 n^2 d_k = 2 n^2 d`; `weights x V` the same;
//!   the `Q`, `K`, `V`, `O` projections `4 * 2 n d^2`; the MLP
//!   (`d -> d_ff -> d`) `2 * 2 n d d_ff`.
//! * **Bytes**: `GB = 10^9` bytes (as memory cards are sold: "16 GB",
//!   "80 GB"); [`GIB`] `= 2^30` is offered too. fp32 is 4 bytes per number,
//!   bf16 2.

use crate::attention::mask_future;
use crate::{softmax, softmax_rows, AttnError, HeadWeights, Mat, MultiHeadWeights};

/// One gigabyte, `10^9` bytes (the unit of "16 GB" and "80 GB" cards).
pub const GB: u128 = 1_000_000_000;
/// One gibibyte, `2^30` bytes.
pub const GIB: u128 = 1 << 30;
/// Bytes per number in fp32.
pub const FP32_BYTES: u64 = 4;
/// Bytes per number in bf16.
pub const BF16_BYTES: u64 = 2;

/// The sizes of a transformer that matter for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelShape {
    /// Short identifier, e.g. `gpt2-small` (`custom` for [`ModelShape::new`]).
    pub name: &'static str,
    /// Human label, e.g. `GPT-2 small`.
    pub label: &'static str,
    /// Model width `d`.
    pub d_model: u64,
    /// Number of heads `H` (must divide `d_model`; `d_k = d_model / H`).
    pub heads: u64,
    /// Number of layers.
    pub layers: u64,
    /// MLP hidden width (`4 * d_model` by default).
    pub d_ff: u64,
}

impl ModelShape {
    /// The original Transformer base (Vaswani et al. 2017): `d_model` 512,
    /// 8 heads, 6 layers (encoder), `d_ff` 2048.
    pub const TRANSFORMER_BASE: ModelShape = ModelShape {
        name: "transformer-base",
        label: "Transformer base",
        d_model: 512,
        heads: 8,
        layers: 6,
        d_ff: 2048,
    };
    /// GPT-2 small: `d_model` 768, 12 heads, 12 layers, `d_ff` 3072.
    pub const GPT2_SMALL: ModelShape = ModelShape {
        name: "gpt2-small",
        label: "GPT-2 small",
        d_model: 768,
        heads: 12,
        layers: 12,
        d_ff: 3072,
    };
    /// A 7-8B-class model: `d_model` 4096, 32 heads, 32 layers. `d_ff` is
    /// the plain `4 * d_model = 16384`; LLaMA-7B's gated MLP (three
    /// `4096 x 11008` matrices) costs `6 n d 11008 = 66048 n d` FLOPs against
    /// this preset's `4 n d 16384 = 65536 n d`, within 1%.
    pub const LLAMA_7B_CLASS: ModelShape = ModelShape {
        name: "llama-7b-class",
        label: "7B-class (LLaMA-like)",
        d_model: 4096,
        heads: 32,
        layers: 32,
        d_ff: 16384,
    };

    /// The three presets, smallest first.
    pub const PRESETS: [ModelShape; 3] = [
        ModelShape::TRANSFORMER_BASE,
        ModelShape::GPT2_SMALL,
        ModelShape::LLAMA_7B_CLASS,
    ];

    /// A custom shape named `custom` with `d_ff = 4 * d_model`, validated
    /// (see [`ModelShape::validate`]).
    pub fn new(d_model: u64, heads: u64, layers: u64) -> Result<Self, AttnError> {
        let d_ff = d_model
            .checked_mul(4)
            .ok_or_else(|| AttnError::value("d_model", format!("{d_model} is too large")))?;
        let s = ModelShape {
            name: "custom",
            label: "Custom",
            d_model,
            heads,
            layers,
            d_ff,
        };
        s.validate()?;
        Ok(s)
    }

    /// The same shape with another MLP width, validated.
    pub fn with_d_ff(self, d_ff: u64) -> Result<Self, AttnError> {
        let s = ModelShape { d_ff, ..self };
        s.validate()?;
        Ok(s)
    }

    /// The preset whose `name` is given; Err for an unknown name.
    pub fn preset(name: &str) -> Result<Self, AttnError> {
        ModelShape::PRESETS
            .iter()
            .find(|p| p.name == name)
            .copied()
            .ok_or_else(|| {
                AttnError::value(
                    "preset",
                    format!(
                        "unknown preset \u{201c}{name}\u{201d} (known: transformer-base, gpt2-small, llama-7b-class)"
                    ),
                )
            })
    }

    /// Err unless every size is at least 1 and `heads` divides `d_model`.
    pub fn validate(&self) -> Result<(), AttnError> {
        for (field, v) in [
            ("d_model", self.d_model),
            ("heads", self.heads),
            ("layers", self.layers),
            ("d_ff", self.d_ff),
        ] {
            if v == 0 {
                return Err(AttnError::value(field, "must be at least 1, got 0"));
            }
        }
        if !self.d_model.is_multiple_of(self.heads) {
            return Err(AttnError::value(
                "heads",
                format!(
                    "must divide d_model: {} heads do not divide d_model {}",
                    self.heads, self.d_model
                ),
            ));
        }
        Ok(())
    }

    /// Per-head width `d_k = d_model / heads` (after validation).
    pub fn d_k(&self) -> Result<u64, AttnError> {
        self.validate()?;
        Ok(self.d_model / self.heads)
    }
}

/// Checked product of `u128` factors; Err naming `field` on overflow.
fn mul(field: &str, factors: &[u128]) -> Result<u128, AttnError> {
    factors.iter().try_fold(1u128, |acc, &f| {
        acc.checked_mul(f)
            .ok_or_else(|| AttnError::value(field, "the count overflows u128 (n is far too large)"))
    })
}

/// Checked sum of `u128` terms; Err naming `field` on overflow.
fn add(field: &str, terms: &[u128]) -> Result<u128, AttnError> {
    terms.iter().try_fold(0u128, |acc, &t| {
        acc.checked_add(t)
            .ok_or_else(|| AttnError::value(field, "the count overflows u128 (n is far too large)"))
    })
}

fn ensure_n(n: u64) -> Result<(), AttnError> {
    if n == 0 {
        return Err(AttnError::value("n", "must be at least 1, got 0"));
    }
    Ok(())
}

/// FLOPs of one layer at sequence length `n` (multiply-add = 2 FLOPs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerFlops {
    /// `QK^T` over all heads: `heads * 2 n^2 d_k = 2 n^2 d_model`.
    pub qk: u128,
    /// `weights x V` over all heads: `2 n^2 d_model`.
    pub av: u128,
    /// `qk + av`: the part that grows with `n^2`.
    pub attention: u128,
    /// The `Q`, `K`, `V`, `O` projections: `4 * 2 n d_model^2`.
    pub projections: u128,
    /// The MLP: `2 * 2 n d_model d_ff`.
    pub mlp: u128,
    /// `projections + mlp`: the part linear in `n`.
    pub rest: u128,
    /// `attention + rest`.
    pub total: u128,
    /// `attention / total`, in `[0, 1]`.
    pub attention_share: f64,
}

impl LayerFlops {
    /// The FLOPs of one layer of `shape` at length `n >= 1`.
    pub fn at(shape: &ModelShape, n: u64) -> Result<Self, AttnError> {
        shape.validate()?;
        ensure_n(n)?;
        let (n, d, ff) = (n as u128, shape.d_model as u128, shape.d_ff as u128);
        let qk = mul("flops.qk", &[2, n, n, d])?;
        let av = qk;
        let attention = add("flops.attention", &[qk, av])?;
        let projections = mul("flops.projections", &[8, n, d, d])?;
        let mlp = mul("flops.mlp", &[4, n, d, ff])?;
        let rest = add("flops.rest", &[projections, mlp])?;
        let total = add("flops.total", &[attention, rest])?;
        Ok(LayerFlops {
            qk,
            av,
            attention,
            projections,
            mlp,
            rest,
            total,
            attention_share: attention as f64 / total as f64,
        })
    }
}

/// Everything the cost page shows for one shape and one length `n`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Costs {
    /// The shape counted.
    pub shape: ModelShape,
    /// Sequence length.
    pub n: u64,
    /// Scores of one head: `n^2`.
    pub scores_per_head: u128,
    /// Scores of one layer: `heads * n^2`.
    pub scores_per_layer: u128,
    /// Scores of the whole model: `layers * heads * n^2`.
    pub scores_model: u128,
    /// Bytes of one layer's score matrices in fp32 (4 per score).
    pub layer_bytes_fp32: u128,
    /// Bytes of one layer's score matrices in bf16 (2 per score).
    pub layer_bytes_bf16: u128,
    /// Bytes of all layers' score matrices in fp32.
    pub model_bytes_fp32: u128,
    /// Bytes of all layers' score matrices in bf16.
    pub model_bytes_bf16: u128,
    /// FLOPs of one layer.
    pub layer_flops: LayerFlops,
    /// `layers * layer_flops.total`.
    pub model_flops: u128,
}

impl Costs {
    /// Counts everything for `shape` at length `n >= 1`; Err on a bad shape,
    /// `n = 0`, or a count beyond `u128`.
    pub fn at(shape: &ModelShape, n: u64) -> Result<Self, AttnError> {
        let layer_flops = LayerFlops::at(shape, n)?;
        let nn = n as u128;
        let (h, l) = (shape.heads as u128, shape.layers as u128);
        let scores_per_head = mul("scores_per_head", &[nn, nn])?;
        let scores_per_layer = mul("scores_per_layer", &[h, scores_per_head])?;
        let scores_model = mul("scores_model", &[l, scores_per_layer])?;
        Ok(Costs {
            shape: *shape,
            n,
            scores_per_head,
            scores_per_layer,
            scores_model,
            layer_bytes_fp32: mul("layer_bytes_fp32", &[4, scores_per_layer])?,
            layer_bytes_bf16: mul("layer_bytes_bf16", &[2, scores_per_layer])?,
            model_bytes_fp32: mul("model_bytes_fp32", &[4, scores_model])?,
            model_bytes_bf16: mul("model_bytes_bf16", &[2, scores_model])?,
            layer_flops,
            model_flops: mul("model_flops", &[l, layer_flops.total])?,
        })
    }
}

/// Where attention's `n^2` FLOPs overtake the rest of the layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossover {
    /// The smallest `n` with `qk + av > projections + mlp`; closed form
    /// `4 n^2 d > 8 n d^2 + 4 n d d_ff  <=>  n > 2 d + d_ff`, so
    /// `n = 2 d_model + d_ff + 1`.
    pub n: u64,
    /// The layer's FLOPs at `n - 1` (attention `<=` rest; equal there).
    pub before: LayerFlops,
    /// The layer's FLOPs at `n` (attention `>` rest).
    pub at: LayerFlops,
}

/// The smallest `n` at which attention's score FLOPs (`QK^T` plus
/// `weights x V`) exceed the projections plus the MLP, with the counts just
/// before and at it. The closed form is checked against the count functions;
/// Err on a bad shape (or if the two ever disagree).
pub fn crossover_n(shape: &ModelShape) -> Result<Crossover, AttnError> {
    shape.validate()?;
    let n = shape
        .d_model
        .checked_mul(2)
        .and_then(|v| v.checked_add(shape.d_ff))
        .and_then(|v| v.checked_add(1))
        .ok_or_else(|| AttnError::value("d_model", "too large to count"))?;
    let before = LayerFlops::at(shape, n - 1)?;
    let at = LayerFlops::at(shape, n)?;
    if before.attention > before.rest || at.attention <= at.rest {
        return Err(AttnError::value(
            "crossover",
            "closed form disagrees with the counts (a bug)",
        ));
    }
    Ok(Crossover { n, before, at })
}

/// The largest `n` whose one-layer score matrices (`heads * n^2` numbers of
/// `bytes_per_score` bytes each) fit in `bytes_budget` bytes, i.e.
/// `floor(sqrt(budget / (heads * bytes_per_score)))`; `0` if not even
/// `n = 1` fits. Use [`GB`] (`10^9`) or [`GIB`] (`2^30`) for the budget.
/// Err on a bad shape or `bytes_per_score = 0`.
pub fn max_n_fitting(
    shape: &ModelShape,
    bytes_budget: u128,
    bytes_per_score: u64,
) -> Result<u128, AttnError> {
    shape.validate()?;
    if bytes_per_score == 0 {
        return Err(AttnError::value("bytes_per_score", "must be at least 1"));
    }
    // heads * n^2 * b <= B  <=>  n^2 <= floor(B / (heads * b)).
    let per = mul(
        "bytes_per_score",
        &[shape.heads as u128, bytes_per_score as u128],
    )?;
    Ok((bytes_budget / per).isqrt())
}

/// Work of one decoding step at `t` (0-based; the context is `t + 1`
/// tokens), attention part of every layer (Q/K/V/O projections, scores,
/// weights x V; no MLP), with and without a KV cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KvStepCost {
    /// The step (0-based).
    pub t: u64,
    /// Context length `t + 1`.
    pub context: u64,
    /// Multiply-adds of one layer with the cache: project the new token
    /// (`4 d^2`), one query row against `t+1` keys (`(t+1) d`) and the
    /// weighted sum of `t+1` values (`(t+1) d`): `4 d^2 + 2 (t+1) d`.
    pub layer_macs_with_cache: u128,
    /// Multiply-adds of one layer without the cache: all projections of
    /// the `t+1` tokens (`4 d^2 (t+1)`) and the full `(t+1) x (t+1)` scores
    /// and weighted sums (`2 (t+1)^2 d`).
    pub layer_macs_without_cache: u128,
    /// `layers * layer_macs_with_cache`.
    pub model_macs_with_cache: u128,
    /// `layers * layer_macs_without_cache`.
    pub model_macs_without_cache: u128,
    /// `2 * model_macs_with_cache`.
    pub model_flops_with_cache: u128,
    /// `2 * model_macs_without_cache`.
    pub model_flops_without_cache: u128,
}

/// The attention work of decoding step `t` (see [`KvStepCost`]); Err on a
/// bad shape or overflow.
pub fn kv_step_cost(shape: &ModelShape, t: u64) -> Result<KvStepCost, AttnError> {
    shape.validate()?;
    let context = t
        .checked_add(1)
        .ok_or_else(|| AttnError::value("t", "too large"))?;
    let (c, d, l) = (context as u128, shape.d_model as u128, shape.layers as u128);
    let with = add(
        "kv.with_cache",
        &[
            mul("kv.with_cache", &[4, d, d])?,
            mul("kv.with_cache", &[2, c, d])?,
        ],
    )?;
    let without = add(
        "kv.without_cache",
        &[
            mul("kv.without_cache", &[4, d, d, c])?,
            mul("kv.without_cache", &[2, c, c, d])?,
        ],
    )?;
    let model_with = mul("kv.with_cache", &[l, with])?;
    let model_without = mul("kv.without_cache", &[l, without])?;
    Ok(KvStepCost {
        t,
        context,
        layer_macs_with_cache: with,
        layer_macs_without_cache: without,
        model_macs_with_cache: model_with,
        model_macs_without_cache: model_without,
        model_flops_with_cache: mul("kv.with_cache", &[2, model_with])?,
        model_flops_without_cache: mul("kv.without_cache", &[2, model_without])?,
    })
}

/// Total attention multiply-adds of one layer for generating `n` tokens
/// (steps `t = 0..n`), in closed form: `(with_cache, without_cache)` =
/// `(4 d^2 n + d n (n+1), 2 d^2 n (n+1) + d n (n+1) (2n+1) / 3)`.
pub fn kv_generation_macs(shape: &ModelShape, n: u64) -> Result<(u128, u128), AttnError> {
    shape.validate()?;
    ensure_n(n)?;
    let (n, d) = (n as u128, shape.d_model as u128);
    let with = add(
        "kv.with_cache",
        &[
            mul("kv.with_cache", &[4, d, d, n])?,
            mul("kv.with_cache", &[d, n, n + 1])?,
        ],
    )?;
    // sum (t+1)^2 = n (n+1) (2n+1) / 6, times 2d.
    let squares = mul("kv.without_cache", &[n, n + 1, 2 * n + 1])? / 6;
    let without = add(
        "kv.without_cache",
        &[
            mul("kv.without_cache", &[2, d, d, n, n + 1])?,
            mul("kv.without_cache", &[2, d, squares])?,
        ],
    )?;
    Ok((with, without))
}

/// Bytes of a KV cache holding `n` tokens: keys and values of every layer,
/// `2 * n * layers * d_model * bytes_per_number`. Err if any input is 0 or
/// on overflow.
pub fn kv_cache_bytes(
    n: u64,
    layers: u64,
    d_model: u64,
    bytes_per_number: u64,
) -> Result<u128, AttnError> {
    for (field, v) in [
        ("n", n),
        ("layers", layers),
        ("d_model", d_model),
        ("bytes_per_number", bytes_per_number),
    ] {
        if v == 0 {
            return Err(AttnError::value(field, "must be at least 1, got 0"));
        }
    }
    mul(
        "kv_cache_bytes",
        &[
            2,
            n as u128,
            layers as u128,
            d_model as u128,
            bytes_per_number as u128,
        ],
    )
}

/// Checks the input of [`kv_decode`] / [`kv_generate`]; returns `(d_k, d_v)`.
fn check_decode(x: &Mat, head: &HeadWeights) -> Result<(usize, usize), AttnError> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(AttnError::shape(
            "x",
            "n x d_model with n >= 1 and d_model >= 1",
            crate::error::dims(x),
        ));
    }
    crate::error::ensure_finite("x", x)?;
    MultiHeadWeights {
        heads: vec![head.clone()],
        w_o: None,
    }
    .validate(x.ncols())
}

fn macs(a: &Mat, b: &Mat) -> u128 {
    (a.nrows() * a.ncols() * b.ncols()) as u128
}

/// Cached decoding: the keys (`t x d_k`) and values (`t x d_v`) of the
/// tokens so far.
struct KvCache {
    k: Mat,
    v: Mat,
}

impl KvCache {
    fn new(d_k: usize, d_v: usize) -> Self {
        KvCache {
            k: Mat::zeros(0, d_k),
            v: Mat::zeros(0, d_v),
        }
    }

    /// Token `t` (row `t` of `x`, the cache holding `0..t`): projects it,
    /// appends its key and value, scores its query against the cache.
    /// Returns its output (`1 x d_v`) and the multiply-adds done.
    fn step(&mut self, x: &Mat, t: usize, head: &HeadWeights) -> Result<(Mat, u128), AttnError> {
        let x_t = x.rows(t, 1).into_owned();
        let q_t = &x_t * &head.w_q;
        let k_t = &x_t * &head.w_k;
        let v_t = &x_t * &head.w_v;
        let mut m = macs(&x_t, &head.w_q) + macs(&x_t, &head.w_k) + macs(&x_t, &head.w_v);
        let rows = self.k.nrows();
        self.k = std::mem::replace(&mut self.k, Mat::zeros(0, 0)).insert_row(rows, 0.0);
        self.k.row_mut(rows).copy_from(&k_t);
        self.v = std::mem::replace(&mut self.v, Mat::zeros(0, 0)).insert_row(rows, 0.0);
        self.v.row_mut(rows).copy_from(&v_t);
        let scores = &q_t * self.k.transpose(); // 1 x (t+1)
        m += (q_t.ncols() * self.k.nrows()) as u128;
        let c = 1.0 / (q_t.ncols() as f64).sqrt();
        let logits: Vec<f64> = scores.iter().map(|s| s * c).collect();
        let w = Mat::from_row_slice(1, self.k.nrows(), &softmax(&logits)?);
        m += macs(&w, &self.v);
        Ok((&w * &self.v, m))
    }
}

/// Token `t` without a cache: `Q`, `K`, `V` of all `t+1` tokens and the
/// full `(t+1) x (t+1)` causal scores again; returns the last output row
/// (`1 x d_v`) and the multiply-adds done.
fn recompute_step(x: &Mat, t: usize, head: &HeadWeights) -> Result<(Mat, u128), AttnError> {
    let xs = x.rows(0, t + 1).into_owned();
    let q = &xs * &head.w_q;
    let k = &xs * &head.w_k;
    let v = &xs * &head.w_v;
    let mut m = macs(&xs, &head.w_q) + macs(&xs, &head.w_k) + macs(&xs, &head.w_v);
    let kt = k.transpose();
    let c = 1.0 / (q.ncols() as f64).sqrt();
    let mut logits = (&q * &kt) * c;
    m += macs(&q, &kt);
    mask_future(&mut logits);
    let weights = softmax_rows(&logits)?;
    m += macs(&weights, &v);
    let out = &weights * &v;
    Ok((out.rows(t, 1).into_owned(), m))
}

/// Generates the outputs of all `n` tokens of `x` (`n x d_model`) one at a
/// time, as [`kv_decode`] does, but along one path only: with the KV cache
/// (`cached`) or recomputing everything at every step. Returns `n x d_v`
/// (row `t` is token `t`'s output) and the multiply-adds done; the chapter
/// times the two paths. Err as [`kv_decode`].
pub fn kv_generate(x: &Mat, head: &HeadWeights, cached: bool) -> Result<(Mat, u128), AttnError> {
    let (d_k, d_v) = check_decode(x, head)?;
    let n = x.nrows();
    let mut out = Mat::zeros(n, d_v);
    let mut cache = KvCache::new(d_k, d_v);
    let mut total = 0u128;
    for t in 0..n {
        let (row, m) = if cached {
            cache.step(x, t, head)?
        } else {
            recompute_step(x, t, head)?
        };
        out.row_mut(t).copy_from(&row);
        total += m;
    }
    crate::error::ensure_finite("kv_generate", &out)?;
    Ok((out, total))
}

/// One step of [`kv_decode`].
#[derive(Clone, Debug, PartialEq)]
pub struct KvDecodeStep {
    /// The step `t` (0-based): token `t` is new, the context is `0..=t`.
    pub t: usize,
    /// Output of position `t` computed with the cache, `1 x d_v`.
    pub with_cache: Mat,
    /// Output of position `t` from recomputing everything, `1 x d_v` (the
    /// last row of causal attention over `x[0..=t]`).
    pub without_cache: Mat,
    /// Max abs difference of the two.
    pub max_abs_diff: f64,
    /// Multiply-adds done with the cache, counted from the products
    /// performed: `d_model (2 d_k + d_v) + (t+1) (d_k + d_v)`.
    pub macs_with_cache: u128,
    /// Multiply-adds done without the cache:
    /// `(t+1) d_model (2 d_k + d_v) + (t+1)^2 (d_k + d_v)`.
    pub macs_without_cache: u128,
    /// Numbers held by the cache after this step: `(t+1) (d_k + d_v)`.
    pub cache_numbers: usize,
}

/// The whole decoding run of [`kv_decode`].
#[derive(Clone, Debug, PartialEq)]
pub struct KvDecode {
    /// One entry per position `t = 0..n`.
    pub steps: Vec<KvDecodeStep>,
    /// The keys in the cache at the end, `n x d_k`.
    pub k_cache: Mat,
    /// The values in the cache at the end, `n x d_v`.
    pub v_cache: Mat,
    /// Max over steps of `max_abs_diff`.
    pub max_abs_diff: f64,
    /// Sum over steps of `macs_with_cache`.
    pub total_macs_with_cache: u128,
    /// Sum over steps of `macs_without_cache`.
    pub total_macs_without_cache: u128,
}

/// Generates step by step over the rows of `x` (`n x d_model`, the tokens
/// in order; row `t` is the token arriving at step `t`) with one head's
/// weights (`w_q`, `w_k`: `d_model x d_k`, `w_v`: `d_model x d_v`), causal,
/// scaled by `1/sqrt(d_k)`. At each step it computes the new position's
/// output twice: with a KV cache (project only the new token, one query row
/// against the cached keys) and without (recompute `Q`, `K`, `V` of all
/// `t+1` tokens and the full `(t+1) x (t+1)` masked scores), and counts the
/// multiply-adds of the products each one performs. Err on empty or
/// non-finite `x`, bad weight shapes, or a non-finite result.
pub fn kv_decode(x: &Mat, head: &HeadWeights) -> Result<KvDecode, AttnError> {
    let (d_k, d_v) = check_decode(x, head)?;
    let n = x.nrows();
    let mut cache = KvCache::new(d_k, d_v);
    let mut steps = Vec::with_capacity(n);
    for t in 0..n {
        let (with_cache, m_with) = cache.step(x, t, head)?;
        let (without_cache, m_without) = recompute_step(x, t, head)?;
        crate::error::ensure_finite(&format!("steps[{t}].with_cache"), &with_cache)?;
        crate::error::ensure_finite(&format!("steps[{t}].without_cache"), &without_cache)?;
        let max_abs_diff = (&with_cache - &without_cache).amax();
        steps.push(KvDecodeStep {
            t,
            with_cache,
            without_cache,
            max_abs_diff,
            macs_with_cache: m_with,
            macs_without_cache: m_without,
            cache_numbers: (t + 1) * (d_k + d_v),
        });
    }
    Ok(KvDecode {
        max_abs_diff: steps.iter().map(|s| s.max_abs_diff).fold(0.0, f64::max),
        total_macs_with_cache: steps.iter().map(|s| s.macs_with_cache).sum(),
        total_macs_without_cache: steps.iter().map(|s| s.macs_without_cache).sum(),
        steps,
        k_cache: cache.k,
        v_cache: cache.v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_d_k() {
        for p in ModelShape::PRESETS {
            assert!(p.validate().is_ok());
            assert_eq!(p.d_ff, 4 * p.d_model);
            assert_eq!(ModelShape::preset(p.name).unwrap(), p);
        }
        assert_eq!(ModelShape::GPT2_SMALL.d_k().unwrap(), 64);
        assert_eq!(ModelShape::LLAMA_7B_CLASS.d_k().unwrap(), 128);
        assert!(ModelShape::preset("gpt5").is_err());
    }

    #[test]
    fn causal_masked_scores_via_mask_future() {
        // The without-cache path relies on mask_future: check one 2x2.
        let mut m = Mat::zeros(2, 2);
        mask_future(&mut m);
        assert_eq!(m[(0, 1)], f64::NEG_INFINITY);
        assert_eq!(m[(1, 0)], 0.0);
    }
}
