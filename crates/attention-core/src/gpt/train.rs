//! A tiny GPT trained on text the learner pastes: a character-level,
//! decoder-only transformer with the GPT-2 architecture, in `f64` with
//! hand-written backpropagation.
//!
//! Architecture (exactly [`super::model`]'s forward pass, so an export loads
//! back through [`Gpt2::load`]): token embedding `wte` plus learned position
//! embedding `wpe`; pre-LayerNorm blocks (`x += attn(ln_1(x))`,
//! `x += mlp(ln_2(x))`, layer-norm eps `1e-5`, every linear map with a bias);
//! causal multi-head attention scaled by `1/sqrt(d)`; MLP of width `4 E` with
//! `gelu_new` (the tanh approximation); final `ln_f`; logits
//! `ln_f(x) wte^T` (output tied to the token embedding).
//!
//! Shapes (`E` = `d_model`, `H` heads, `d = E / H`, `F = 4 E`, `V` = the
//! vocabulary, `T` = context, `n <= T` tokens; rows are positions): `wte`
//! `V x E`, `wpe` `T x E`, `c_attn` `E x 3E` (columns `[q | k | v]`, head
//! `h` uses columns `h d .. (h+1) d` of each), `attn.c_proj` `E x E`,
//! `c_fc` `E x F`, `mlp.c_proj` `F x E`, biases and norm gains `1 x width`.
//!
//! Init (GPT-2): every weight matrix and both embeddings `normal(0, 0.02)`,
//! biases 0, norm gains 1; all from an explicit seed.
//!
//! Vocabulary: [`CharVocab`] holds the distinct characters (Unicode scalar
//! values) of the training text, sorted, id = rank. A character the text does
//! not contain has no id: [`CharVocab::encode`] rejects it naming the
//! character and its position, [`CharVocab::encode_lossy`] (used for sampling
//! prompts) skips it and counts the skipped ones.
//!
//! Export ([`TinyGpt::to_gpt2`]): the same tensors and names
//! [`Gpt2::named_tensors`] writes, `vocab_size = V`, `n_positions = T`. The
//! loader takes token ids; id `i` is character `i` of
//! [`CharVocab::chars`] (write it next to the model with
//! [`CharVocab::to_json`]: a JSON array of one-character strings, in id
//! order).
//!
//! Head labels: [`TinyGpt::attentions`] has the `[layer][head]` layout
//! [`super::heads::score_heads`] takes. Head ablation: run the export,
//! `to_gpt2().forward(ids, Some(mask))`, which gives the same logits.

use super::model::{Block, Gpt2, GptConfig, Linear, Norm};
use crate::rng::Rng;
use crate::train::{Adam, Module, Optimizer, Param};
use crate::{AttnError, Mat};

/// Layer-norm epsilon, GPT-2's.
pub const LN_EPS: f64 = 1e-5;
/// Standard deviation of the GPT-2 init.
pub const INIT_STD: f64 = 0.02;
/// Most characters a vocabulary may hold.
pub const MAX_VOCAB: usize = 4096;

/// The size of a tiny GPT. Limits are checked by [`TinyConfig::check`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TinyConfig {
    /// Blocks, `1..=8` (default 2).
    pub n_layer: usize,
    /// Heads per block, `1..=16` (default 4).
    pub n_head: usize,
    /// Model width `E`, `1..=512`, a multiple of `n_head` (default 64).
    pub d_model: usize,
    /// Context `T` (longest window, rows of `wpe`), `2..=512` (default 64).
    pub context: usize,
}

impl Default for TinyConfig {
    fn default() -> Self {
        TinyConfig {
            n_layer: 2,
            n_head: 4,
            d_model: 64,
            context: 64,
        }
    }
}

fn limit(field: &str, v: usize, lo: usize, hi: usize) -> Result<(), AttnError> {
    if v < lo || v > hi {
        return Err(AttnError::value(
            format!("config.{field}"),
            format!("{v} is out of range: expected {lo} to {hi}"),
        ));
    }
    Ok(())
}

impl TinyConfig {
    /// Err naming the field if a size is outside its limits.
    pub fn check(&self) -> Result<(), AttnError> {
        limit("n_layer", self.n_layer, 1, 8)?;
        limit("n_head", self.n_head, 1, 16)?;
        limit("d_model", self.d_model, 1, 512)?;
        limit("context", self.context, 2, 512)?;
        if !self.d_model.is_multiple_of(self.n_head) {
            return Err(AttnError::value(
                "config.d_model",
                format!(
                    "{} is not a multiple of n_head {}",
                    self.d_model, self.n_head
                ),
            ));
        }
        Ok(())
    }

    /// Width of one head, `E / H`.
    pub fn d_head(&self) -> usize {
        self.d_model.checked_div(self.n_head).unwrap_or(0)
    }
}

/// The characters of a text, sorted; id = position in [`CharVocab::chars`].
#[derive(Debug, Clone, PartialEq)]
pub struct CharVocab {
    chars: Vec<char>,
}

impl CharVocab {
    /// The distinct characters of `text` (at least 1, at most [`MAX_VOCAB`]).
    pub fn from_text(text: &str) -> Result<CharVocab, AttnError> {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.is_empty() {
            return Err(AttnError::value("text", "is empty"));
        }
        if chars.len() > MAX_VOCAB {
            return Err(AttnError::value(
                "text",
                format!(
                    "has {} distinct characters: at most {MAX_VOCAB}",
                    chars.len()
                ),
            ));
        }
        Ok(CharVocab { chars })
    }

    /// The characters in id order.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// Vocabulary size `V`.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Never true for a built vocabulary.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The id of `c`, if the vocabulary has it.
    pub fn id(&self, c: char) -> Option<usize> {
        self.chars.binary_search(&c).ok()
    }

    /// Ids of every character of `text`; Err naming the first character the
    /// vocabulary does not have.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, AttnError> {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                self.id(c).ok_or_else(|| {
                    AttnError::value(
                        format!("text[{i}]"),
                        format!("character {c:?} is not in the training text's vocabulary"),
                    )
                })
            })
            .collect()
    }

    /// Ids of the characters of `text` the vocabulary has, and how many
    /// were skipped.
    pub fn encode_lossy(&self, text: &str) -> (Vec<usize>, usize) {
        let mut skipped = 0;
        let ids = text
            .chars()
            .filter_map(|c| {
                let id = self.id(c);
                skipped += usize::from(id.is_none());
                id
            })
            .collect();
        (ids, skipped)
    }

    /// The text of `ids`; Err for an id `>= V`.
    pub fn decode(&self, ids: &[usize]) -> Result<String, AttnError> {
        ids.iter()
            .enumerate()
            .map(|(i, &id)| {
                self.chars.get(id).copied().ok_or_else(|| {
                    AttnError::value(
                        format!("ids[{i}]"),
                        format!("{id} is not below {}", self.len()),
                    )
                })
            })
            .collect()
    }

    /// Reads [`CharVocab::to_json`]'s format back: a JSON array of
    /// one-character strings, distinct, in increasing order (id = index).
    /// Err naming the entry that is not.
    pub fn from_json(text: &str) -> Result<CharVocab, AttnError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| AttnError::value("chars.json", format!("is not JSON: {e}")))?;
        let list = value.as_array().ok_or_else(|| {
            AttnError::value("chars.json", "is not a JSON array of one-character strings")
        })?;
        let mut chars = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let mut it = v.as_str().unwrap_or("").chars();
            let (Some(c), None) = (it.next(), it.next()) else {
                return Err(AttnError::value(
                    format!("chars.json[{i}]"),
                    "is not a string of exactly one character",
                ));
            };
            if chars.last().is_some_and(|&p: &char| p >= c) {
                return Err(AttnError::value(
                    format!("chars.json[{i}]"),
                    format!("{c:?} is not after the character before it (the list must be sorted, without repeats)"),
                ));
            }
            chars.push(c);
        }
        if chars.is_empty() || chars.len() > MAX_VOCAB {
            return Err(AttnError::value(
                "chars.json",
                format!("has {} characters: expected 1 to {MAX_VOCAB}", chars.len()),
            ));
        }
        Ok(CharVocab { chars })
    }

    /// The id-to-character table as a JSON array of one-character strings.
    pub fn to_json(&self) -> String {
        let list: Vec<String> = self.chars.iter().map(|c| c.to_string()).collect();
        serde_json::Value::from(list).to_string()
    }
}

/// One block's parameters (Conv1D layout: `y = x W + b`).
#[derive(Debug, Clone, PartialEq)]
pub struct TinyBlock {
    /// `ln_1` gain and bias, `1 x E`.
    pub ln_1_g: Param,
    /// `1 x E`.
    pub ln_1_b: Param,
    /// `E x 3E`.
    pub c_attn_w: Param,
    /// `1 x 3E`.
    pub c_attn_b: Param,
    /// `E x E`.
    pub attn_proj_w: Param,
    /// `1 x E`.
    pub attn_proj_b: Param,
    /// `ln_2` gain, `1 x E`.
    pub ln_2_g: Param,
    /// `1 x E`.
    pub ln_2_b: Param,
    /// `E x F`.
    pub c_fc_w: Param,
    /// `1 x F`.
    pub c_fc_b: Param,
    /// `F x E`.
    pub mlp_proj_w: Param,
    /// `1 x E`.
    pub mlp_proj_b: Param,
}

impl TinyBlock {
    fn params(&self) -> [&Param; 12] {
        [
            &self.ln_1_g,
            &self.ln_1_b,
            &self.c_attn_w,
            &self.c_attn_b,
            &self.attn_proj_w,
            &self.attn_proj_b,
            &self.ln_2_g,
            &self.ln_2_b,
            &self.c_fc_w,
            &self.c_fc_b,
            &self.mlp_proj_w,
            &self.mlp_proj_b,
        ]
    }

    fn params_mut(&mut self) -> [&mut Param; 12] {
        [
            &mut self.ln_1_g,
            &mut self.ln_1_b,
            &mut self.c_attn_w,
            &mut self.c_attn_b,
            &mut self.attn_proj_w,
            &mut self.attn_proj_b,
            &mut self.ln_2_g,
            &mut self.ln_2_b,
            &mut self.c_fc_w,
            &mut self.c_fc_b,
            &mut self.mlp_proj_w,
            &mut self.mlp_proj_b,
        ]
    }
}

/// The model: GPT-2 with `f64` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TinyGpt {
    /// Its size.
    pub config: TinyConfig,
    /// Vocabulary size `V`.
    pub vocab: usize,
    /// `V x E` (also the output head, tied).
    pub wte: Param,
    /// `T x E`.
    pub wpe: Param,
    /// The blocks, first to last.
    pub blocks: Vec<TinyBlock>,
    /// `ln_f` gain, `1 x E`.
    pub ln_f_g: Param,
    /// `1 x E`.
    pub ln_f_b: Param,
}

impl Module for TinyGpt {
    fn params(&self) -> Vec<&Param> {
        let mut out = vec![&self.wte, &self.wpe];
        for b in &self.blocks {
            out.extend(b.params());
        }
        out.push(&self.ln_f_g);
        out.push(&self.ln_f_b);
        out
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut out = vec![&mut self.wte, &mut self.wpe];
        for b in &mut self.blocks {
            out.extend(b.params_mut());
        }
        out.push(&mut self.ln_f_g);
        out.push(&mut self.ln_f_b);
        out
    }
}

fn ones(n: usize) -> Param {
    Param::new(Mat::from_element(1, n, 1.0))
}

fn zeros(n: usize) -> Param {
    Param::new(Mat::zeros(1, n))
}

/// Per-layer intermediates of one sequence (rows are positions).
#[derive(Debug, Clone)]
struct LayerCache {
    ln1: NormCache,
    /// `n x 3E`.
    qkv: Mat,
    /// Per head, `n x n` softmax weights (zero above the diagonal).
    probs: Vec<Mat>,
    /// Heads merged, `n x E`.
    merged: Mat,
    ln2: NormCache,
    /// `c_fc` output before GELU, `n x F`.
    pre: Mat,
    /// After GELU, `n x F`.
    act: Mat,
}

#[derive(Debug, Clone)]
struct NormCache {
    /// Normalized input `n x E`.
    xhat: Mat,
    /// `1 / sqrt(var + eps)` per row.
    inv: Vec<f64>,
    /// The output `n x E`.
    out: Mat,
}

/// Everything a forward pass computed for one sequence.
#[derive(Debug, Clone)]
pub struct TinyForward {
    /// Logits `n x V`: row `i` predicts token `i + 1`.
    pub logits: Mat,
    /// `attentions[layer][head]`: `n x n`, row = query position.
    pub attentions: Vec<Vec<Mat>>,
    layers: Vec<LayerCache>,
    lnf: NormCache,
}

fn layer_norm(x: &Mat, g: &Mat, b: &Mat) -> NormCache {
    let e = x.ncols().max(1) as f64;
    let mut xhat = x.clone();
    let mut inv = Vec::with_capacity(x.nrows());
    for mut row in xhat.row_iter_mut() {
        let mean = row.sum() / e;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / e;
        let s = 1.0 / (var + LN_EPS).sqrt();
        row.apply(|v| *v = (*v - mean) * s);
        inv.push(s);
    }
    let mut out = xhat.clone();
    for mut row in out.row_iter_mut() {
        for ((v, gi), bi) in row.iter_mut().zip(g.iter()).zip(b.iter()) {
            *v = *v * gi + bi;
        }
    }
    NormCache { xhat, inv, out }
}

/// Backward of [`layer_norm`]: adds into the gain and bias gradients and
/// returns `d x`.
fn layer_norm_back(c: &NormCache, dy: &Mat, g: &mut Param, b: &mut Param) -> Mat {
    let e = dy.ncols().max(1) as f64;
    let mut dx = Mat::zeros(dy.nrows(), dy.ncols());
    for (((dyr, xr), mut dxr), s) in dy
        .row_iter()
        .zip(c.xhat.row_iter())
        .zip(dx.row_iter_mut())
        .zip(&c.inv)
    {
        let mut sum = 0.0;
        let mut sum_x = 0.0;
        for (((d, xh), gv), (gg, gb)) in dyr
            .iter()
            .zip(xr.iter())
            .zip(g.value.iter())
            .zip(g.grad.iter_mut().zip(b.grad.iter_mut()))
        {
            *gg += d * xh;
            *gb += d;
            let dxh = d * gv;
            sum += dxh;
            sum_x += dxh * xh;
        }
        for (((o, d), xh), gv) in dxr
            .iter_mut()
            .zip(dyr.iter())
            .zip(xr.iter())
            .zip(g.value.iter())
        {
            *o = s / e * (e * d * gv - sum - xh * sum_x);
        }
    }
    dx
}

/// `x W + b` (`x` `n x k`, `W` `k x m`, `b` `1 x m`).
fn affine(x: &Mat, w: &Param, b: &Param) -> Mat {
    let mut y = x * &w.value;
    for mut row in y.row_iter_mut() {
        for (v, bi) in row.iter_mut().zip(b.value.iter()) {
            *v += bi;
        }
    }
    y
}

/// Backward of [`affine`]: adds into `W` and `b` gradients, returns `d x`.
fn affine_back(x: &Mat, dy: &Mat, w: &mut Param, b: &mut Param) -> Mat {
    w.grad.gemm_tr(1.0, x, dy, 1.0);
    for (gb, s) in b.grad.iter_mut().zip(dy.row_sum().iter()) {
        *gb += s;
    }
    dy * w.value.transpose()
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)

fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + (GELU_C * (x + 0.044715 * x * x * x)).tanh())
}

fn gelu_grad(x: f64) -> f64 {
    let t = (GELU_C * (x + 0.044715 * x * x * x)).tanh();
    0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * 0.044715 * x * x)
}

impl TinyGpt {
    /// A model of `config` for a vocabulary of `vocab` tokens, GPT-2 init
    /// from `seed`.
    pub fn new(config: TinyConfig, vocab: usize, seed: u64) -> Result<TinyGpt, AttnError> {
        config.check()?;
        limit("vocab", vocab, 1, MAX_VOCAB)?;
        let (e, t) = (config.d_model, config.context);
        let f = 4 * e;
        let mut rng = Rng::new(seed);
        let mut w = |r: usize, c: usize| Param::new(rng.normal_matrix(r, c, INIT_STD));
        let wte = w(vocab, e);
        let wpe = w(t, e);
        let mut blocks = Vec::with_capacity(config.n_layer);
        for _ in 0..config.n_layer {
            blocks.push(TinyBlock {
                ln_1_g: ones(e),
                ln_1_b: zeros(e),
                c_attn_w: w(e, 3 * e),
                c_attn_b: zeros(3 * e),
                attn_proj_w: w(e, e),
                attn_proj_b: zeros(e),
                ln_2_g: ones(e),
                ln_2_b: zeros(e),
                c_fc_w: w(e, f),
                c_fc_b: zeros(f),
                mlp_proj_w: w(f, e),
                mlp_proj_b: zeros(e),
            });
        }
        Ok(TinyGpt {
            config,
            vocab,
            wte,
            wpe,
            blocks,
            ln_f_g: ones(e),
            ln_f_b: zeros(e),
        })
    }

    fn check_ids(&self, ids: &[usize]) -> Result<(), AttnError> {
        let n = ids.len();
        if n == 0 || n > self.config.context {
            return Err(AttnError::value(
                "ids",
                format!(
                    "{n} tokens: expected 1 to {} (context)",
                    self.config.context
                ),
            ));
        }
        if let Some((i, id)) = ids.iter().enumerate().find(|(_, &id)| id >= self.vocab) {
            return Err(AttnError::value(
                format!("ids[{i}]"),
                format!("token {id} is not below the vocabulary size {}", self.vocab),
            ));
        }
        Ok(())
    }

    /// The forward pass of `ids` (`1 ..= T` tokens, each `< V`): logits
    /// `n x V`, every head's attention `n x n`, and the intermediates the
    /// backward pass needs.
    pub fn forward(&self, ids: &[usize]) -> Result<TinyForward, AttnError> {
        self.check_ids(ids)?;
        let (n, e) = (ids.len(), self.config.d_model);
        let (nh, dh) = (self.config.n_head, self.config.d_head());
        let scale = 1.0 / (dh as f64).sqrt();
        let mut h = Mat::zeros(n, e);
        for ((mut row, &id), pos) in h.row_iter_mut().zip(ids).zip(0..) {
            row.copy_from(&(self.wte.value.row(id) + self.wpe.value.row(pos)));
        }
        let mut layers = Vec::with_capacity(self.blocks.len());
        let mut attentions = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            let ln1 = layer_norm(&h, &b.ln_1_g.value, &b.ln_1_b.value);
            let qkv = affine(&ln1.out, &b.c_attn_w, &b.c_attn_b);
            let mut merged = Mat::zeros(n, e);
            let mut probs = Vec::with_capacity(nh);
            for head in 0..nh {
                let q = qkv.columns(head * dh, dh);
                let k = qkv.columns(e + head * dh, dh);
                let v = qkv.columns(2 * e + head * dh, dh);
                let mut p = q * k.transpose() * scale;
                for (i, mut row) in p.row_iter_mut().enumerate() {
                    let max = row
                        .iter()
                        .take(i + 1)
                        .fold(f64::NEG_INFINITY, |a, &x| a.max(x));
                    let mut sum = 0.0;
                    for (j, x) in row.iter_mut().enumerate() {
                        *x = if j <= i { (*x - max).exp() } else { 0.0 };
                        sum += *x;
                    }
                    row /= sum;
                }
                merged.columns_mut(head * dh, dh).copy_from(&(&p * v));
                probs.push(p);
            }
            attentions.push(probs.clone());
            h += affine(&merged, &b.attn_proj_w, &b.attn_proj_b);
            let ln2 = layer_norm(&h, &b.ln_2_g.value, &b.ln_2_b.value);
            let pre = affine(&ln2.out, &b.c_fc_w, &b.c_fc_b);
            let act = pre.map(gelu);
            h += affine(&act, &b.mlp_proj_w, &b.mlp_proj_b);
            layers.push(LayerCache {
                ln1,
                qkv,
                probs,
                merged,
                ln2,
                pre,
                act,
            });
        }
        let lnf = layer_norm(&h, &self.ln_f_g.value, &self.ln_f_b.value);
        let logits = &lnf.out * self.wte.value.transpose();
        Ok(TinyForward {
            logits,
            attentions,
            layers,
            lnf,
        })
    }

    /// Mean next-token cross-entropy (nats) of a window: inputs
    /// `window[..n-1]`, targets `window[1..]` (`2 ..= T + 1` tokens).
    pub fn loss(&self, window: &[usize]) -> Result<f64, AttnError> {
        let (inputs, targets) = split_window(window)?;
        let fw = self.forward(inputs)?;
        Ok(cross_entropy(&fw.logits, targets)?.0)
    }

    /// Mean loss over `windows` (each as in [`TinyGpt::loss`]).
    pub fn batch_loss(&self, windows: &[Vec<usize>]) -> Result<f64, AttnError> {
        let mut total = 0.0;
        let mut count = 0usize;
        for w in windows {
            let (inputs, targets) = split_window(w)?;
            let fw = self.forward(inputs)?;
            total += cross_entropy(&fw.logits, targets)?.0 * targets.len() as f64;
            count += targets.len();
        }
        if count == 0 {
            return Err(AttnError::value("windows", "is empty"));
        }
        Ok(total / count as f64)
    }

    /// Adds into every parameter's gradient the gradient of the mean loss
    /// over `windows` (the same value [`TinyGpt::batch_loss`] returns, which
    /// this returns too). Gradients are not zeroed first.
    pub fn accumulate_grads(&mut self, windows: &[Vec<usize>]) -> Result<f64, AttnError> {
        let count: usize = windows.iter().map(|w| w.len().saturating_sub(1)).sum();
        if count == 0 {
            return Err(AttnError::value("windows", "has no targets"));
        }
        let mut total = 0.0;
        for w in windows {
            total += self.window_grads(w, count)?;
        }
        Ok(total)
    }

    /// Adds into the gradients one window's share of a batch whose windows
    /// predict `count` targets in all; returns the window's share of the
    /// batch's mean loss.
    fn window_grads(&mut self, window: &[usize], count: usize) -> Result<f64, AttnError> {
        let (inputs, targets) = split_window(window)?;
        let fw = self.forward(inputs)?;
        let (loss, mut dlogits) = cross_entropy(&fw.logits, targets)?;
        let share = targets.len() as f64 / count.max(1) as f64;
        dlogits *= share;
        self.backward(inputs, &fw, &dlogits);
        Ok(loss * share)
    }

    /// Backward pass of one sequence given `d logits` (`n x V`).
    fn backward(&mut self, ids: &[usize], fw: &TinyForward, dlogits: &Mat) {
        let (e, dh) = (self.config.d_model, self.config.d_head());
        let scale = 1.0 / (dh as f64).sqrt();
        // logits = hf wte^T.
        self.wte.grad.gemm_tr(1.0, dlogits, &fw.lnf.out, 1.0);
        let dhf = dlogits * &self.wte.value;
        let mut dh_res = layer_norm_back(&fw.lnf, &dhf, &mut self.ln_f_g, &mut self.ln_f_b);
        for (b, c) in self.blocks.iter_mut().zip(&fw.layers).rev() {
            // MLP branch.
            let dact = affine_back(&c.act, &dh_res, &mut b.mlp_proj_w, &mut b.mlp_proj_b);
            let dpre = dact.zip_map(&c.pre, |d, x| d * gelu_grad(x));
            let dln2 = affine_back(&c.ln2.out, &dpre, &mut b.c_fc_w, &mut b.c_fc_b);
            dh_res += layer_norm_back(&c.ln2, &dln2, &mut b.ln_2_g, &mut b.ln_2_b);
            // Attention branch.
            let dmerged = affine_back(&c.merged, &dh_res, &mut b.attn_proj_w, &mut b.attn_proj_b);
            let mut dqkv = Mat::zeros(c.qkv.nrows(), c.qkv.ncols());
            for (head, p) in c.probs.iter().enumerate() {
                let q = c.qkv.columns(head * dh, dh);
                let k = c.qkv.columns(e + head * dh, dh);
                let v = c.qkv.columns(2 * e + head * dh, dh);
                let dout = dmerged.columns(head * dh, dh);
                let dp = dout * v.transpose();
                let dv = p.transpose() * dout;
                let mut ds = p.component_mul(&dp);
                for (mut row, prow) in ds.row_iter_mut().zip(p.row_iter()) {
                    let dot = row.sum();
                    for (x, pv) in row.iter_mut().zip(prow.iter()) {
                        *x -= pv * dot;
                    }
                }
                ds *= scale;
                dqkv.columns_mut(head * dh, dh).copy_from(&(&ds * k));
                dqkv.columns_mut(e + head * dh, dh)
                    .copy_from(&(ds.transpose() * q));
                dqkv.columns_mut(2 * e + head * dh, dh).copy_from(&dv);
            }
            let dln1 = affine_back(&c.ln1.out, &dqkv, &mut b.c_attn_w, &mut b.c_attn_b);
            dh_res += layer_norm_back(&c.ln1, &dln1, &mut b.ln_1_g, &mut b.ln_1_b);
        }
        for ((row, &id), pos) in dh_res.row_iter().zip(ids).zip(0..) {
            let mut t = self.wte.grad.row_mut(id);
            t += row;
            let mut p = self.wpe.grad.row_mut(pos);
            p += row;
        }
    }

    /// Every head's attention on `ids`: `[layer][head]`, `n x n`, row =
    /// query position (for [`super::heads`]).
    pub fn attentions(&self, ids: &[usize]) -> Result<Vec<Vec<Mat>>, AttnError> {
        Ok(self.forward(ids)?.attentions)
    }

    /// The same model as a [`Gpt2`] (`f32`, tied head, GPT-2 names and
    /// Conv1D layout), for [`Gpt2::to_safetensors`] and
    /// [`GptConfig::to_json`].
    pub fn to_gpt2(&self) -> Gpt2 {
        let c = &self.config;
        let e = c.d_model;
        let config = GptConfig {
            n_layer: c.n_layer,
            n_head: c.n_head,
            n_embd: e,
            n_positions: c.context,
            vocab_size: self.vocab,
            n_inner: 4 * e,
            layer_norm_epsilon: LN_EPS as f32,
            scale_attn_weights: true,
        };
        let lin = |w: &Param, b: &Param| Linear {
            n_in: w.value.nrows(),
            n_out: w.value.ncols(),
            w: row_major(&w.value),
            b: row_major(&b.value),
        };
        let norm = |g: &Param, b: &Param| Norm {
            g: row_major(&g.value),
            b: row_major(&b.value),
        };
        Gpt2 {
            config,
            wte: row_major(&self.wte.value),
            wpe: row_major(&self.wpe.value),
            blocks: self
                .blocks
                .iter()
                .map(|b| Block {
                    ln_1: norm(&b.ln_1_g, &b.ln_1_b),
                    c_attn: lin(&b.c_attn_w, &b.c_attn_b),
                    attn_proj: lin(&b.attn_proj_w, &b.attn_proj_b),
                    ln_2: norm(&b.ln_2_g, &b.ln_2_b),
                    c_fc: lin(&b.c_fc_w, &b.c_fc_b),
                    mlp_proj: lin(&b.mlp_proj_w, &b.mlp_proj_b),
                })
                .collect(),
            ln_f: norm(&self.ln_f_g, &self.ln_f_b),
            lm_head: None,
        }
    }
}

/// Row-major `f32` values of `m`.
fn row_major(m: &Mat) -> Vec<f32> {
    m.transpose().iter().map(|&v| v as f32).collect()
}

fn split_window(window: &[usize]) -> Result<(&[usize], &[usize]), AttnError> {
    match (window.split_last(), window.split_first()) {
        (Some((_, inputs)), Some((_, targets))) if !inputs.is_empty() => Ok((inputs, targets)),
        _ => Err(AttnError::value(
            "window",
            format!("{} tokens: needs 2 or more", window.len()),
        )),
    }
}

/// Mean cross-entropy of `logits` (`n x V`) against `targets` (`n`) and its
/// gradient `n x V` (`(softmax - onehot) / n`).
fn cross_entropy(logits: &Mat, targets: &[usize]) -> Result<(f64, Mat), AttnError> {
    if logits.nrows() != targets.len() {
        return Err(AttnError::shape(
            "targets",
            format!("{}", logits.nrows()),
            format!("{}", targets.len()),
        ));
    }
    let n = targets.len().max(1) as f64;
    let mut grad = logits.clone();
    let mut total = 0.0;
    for (i, (mut row, &t)) in grad.row_iter_mut().zip(targets).enumerate() {
        let max = row.max();
        row.apply(|x| *x = (*x - max).exp());
        let sum = row.sum();
        row /= sum;
        let p = row.get(t).copied().ok_or_else(|| {
            AttnError::value(
                format!("targets[{i}]"),
                format!("token {t} is not below {}", logits.ncols()),
            )
        })?;
        total -= p.max(f64::MIN_POSITIVE).ln();
        if let Some(x) = row.get_mut(t) {
            *x -= 1.0;
        }
        row /= n;
    }
    Ok((total / n, grad))
}

/// Sampling a character at a time (so a page can spread it over frames):
/// `softmax(logits / temperature)` with a seeded generator, temperature 0
/// taking the most likely character; only the last `T` ids are seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampler {
    /// The prompt and every id sampled so far.
    pub ids: Vec<usize>,
    temperature: f64,
    rng: Rng,
}

impl Sampler {
    /// Starts after `prompt` (at least one id); Err for a temperature
    /// outside `0..=10`.
    pub fn new(prompt: Vec<usize>, temperature: f64, seed: u64) -> Result<Sampler, AttnError> {
        if !(temperature.is_finite() && (0.0..=10.0).contains(&temperature)) {
            return Err(AttnError::value(
                "temperature",
                format!("{temperature} is out of range: expected 0 to 10"),
            ));
        }
        if prompt.is_empty() {
            return Err(AttnError::value("prompt", "is empty: needs one id or more"));
        }
        Ok(Sampler {
            ids: prompt,
            temperature,
            rng: Rng::new(seed),
        })
    }

    /// Samples the next id from `model`, appends it and returns it.
    pub fn next(&mut self, model: &TinyGpt) -> Result<usize, AttnError> {
        let t = model.config.context;
        let ctx = self
            .ids
            .get(self.ids.len().saturating_sub(t)..)
            .unwrap_or(&[]);
        let fw = model.forward(ctx)?;
        let last = fw.logits.row(fw.logits.nrows().saturating_sub(1));
        let next = if self.temperature == 0.0 {
            last.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv {
                        (i, v)
                    } else {
                        (bi, bv)
                    }
                })
                .0
        } else {
            let max = last.max();
            let w: Vec<f64> = last
                .iter()
                .map(|&l| ((l - max) / self.temperature).exp())
                .collect();
            let mut u = self.rng.uniform() * w.iter().sum::<f64>();
            let mut pick = w.len().saturating_sub(1);
            for (i, wi) in w.iter().enumerate() {
                if u < *wi {
                    pick = i;
                    break;
                }
                u -= wi;
            }
            pick
        };
        self.ids.push(next);
        Ok(next)
    }
}

/// A block of `block` distinct ids drawn (seeded) from the vocabulary's
/// letters (`char::is_alphabetic`; every character when the text has fewer
/// letters than `block`), then the same block again: `2 block` ids, the
/// sequence on which [`super::heads`] measures induction and
/// [`loss_from`]`(.., block + 1, ..)` the copying loss. Err when the
/// vocabulary has fewer than `block` characters or `block < 2`.
pub fn repeated_block(vocab: &CharVocab, block: usize, seed: u64) -> Result<Vec<usize>, AttnError> {
    let letters: Vec<usize> = (0..vocab.len())
        .filter(|&i| vocab.chars().get(i).is_some_and(|c| c.is_alphabetic()))
        .collect();
    let mut pool = if letters.len() >= block {
        letters
    } else {
        (0..vocab.len()).collect()
    };
    if block < 2 || pool.len() < block {
        return Err(AttnError::value(
            "block",
            format!(
                "{block} distinct characters: the text has {}, and 2 or more are needed",
                vocab.len()
            ),
        ));
    }
    let mut rng = Rng::new(seed);
    for i in 0..block {
        let j = i + rng.below(pool.len() - i);
        pool.swap(i, j);
    }
    let first = pool.get(..block).unwrap_or(&[]);
    Ok(first.iter().chain(first).copied().collect())
}

/// The two block lengths `(long, short)` of the honest induction probes
/// ([`induction_probes`]) for a vocabulary and a context `T`: `long =
/// min(T / 2, max(pool / 2, 3))`, where the pool is the vocabulary's letters
/// (every character when it has fewer than 6), and `short = 3 long / 4`.
/// At most half the letters, so a block is never a full permutation of the
/// alphabet (then "the letter not seen yet" would predict the second copy
/// without any induction); two lengths, so a head at a fixed offset passes
/// at most one ([`super::heads`] module docs). Err when the pool has fewer
/// than 3 characters or `T < 6`.
pub fn probe_blocks(vocab: &CharVocab, context: usize) -> Result<(usize, usize), AttnError> {
    let letters = vocab.chars().iter().filter(|c| c.is_alphabetic()).count();
    let pool = if letters >= 6 { letters } else { vocab.len() };
    let long = (context / 2).min((pool / 2).max(3)).min(pool);
    if long < 3 {
        return Err(AttnError::value(
            "block",
            format!(
                "a repeated block of 3 or more distinct characters in a context of {context}: the text has {pool}"
            ),
        ));
    }
    Ok((long, long * 3 / 4))
}

/// The probes of the honest induction score: `per_length` seeded
/// [`repeated_block`]s at each of the two [`probe_blocks`] lengths (long
/// first), seeds `seed, seed + 1, ...`; each entry is `(block length, ids)`,
/// as [`super::heads::mean_over_probes`] takes with the scores.
pub fn induction_probes(
    vocab: &CharVocab,
    context: usize,
    per_length: usize,
    seed: u64,
) -> Result<Vec<(usize, Vec<usize>)>, AttnError> {
    let (long, short) = probe_blocks(vocab, context)?;
    [long, short]
        .into_iter()
        .flat_map(|b| std::iter::repeat_n(b, per_length))
        .zip(seed..)
        .map(|(b, s)| repeated_block(vocab, b, s).map(|ids| (b, ids)))
        .collect()
}

/// A training step under way, a window at a time ([`Trainer::begin_step`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StepParts {
    windows: Vec<Vec<usize>>,
    /// Targets of the whole batch.
    count: usize,
    /// Index of the next window; `windows.len()` is the update.
    next: usize,
    /// The batch's mean loss summed so far.
    loss: f64,
}

impl StepParts {
    /// Parts in all: one per window and the update.
    pub fn len(&self) -> usize {
        self.windows.len() + 1
    }

    /// Never true.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Parts done so far.
    pub fn done(&self) -> usize {
        self.next
    }
}

/// Mean next-token cross-entropy (nats) of the targets `ids[from..]` of
/// `model` run on `ids` (`2 ..= n_positions` tokens) with an optional head
/// mask (`n_layer x n_head`, 1 keeps a head, 0 ablates it; see
/// [`Gpt2::forward`]): `-1/(n - from) sum_{i >= from} log p(ids[i] |
/// ids[..i])`. On a block repeated twice (`L` tokens, then the same `L`),
/// `from = L + 1` is the in-context copying loss: every target of the second
/// copy but its first, which only an earlier occurrence predicts.
pub fn loss_from(
    model: &Gpt2,
    ids: &[usize],
    from: usize,
    head_mask: Option<&[Vec<f32>]>,
) -> Result<f64, AttnError> {
    if from == 0 || from >= ids.len() {
        return Err(AttnError::value(
            "from",
            format!(
                "{from}: expected 1 to {} (tokens - 1)",
                ids.len().saturating_sub(1)
            ),
        ));
    }
    let out = model.forward(ids, head_mask)?;
    let mut total = 0.0;
    for (i, &next) in ids.iter().enumerate().skip(from) {
        let row: Vec<f64> = out
            .logits_row(i - 1)?
            .iter()
            .map(|&l| f64::from(l))
            .collect();
        let max = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let lse = max + row.iter().map(|&l| (l - max).exp()).sum::<f64>().ln();
        let target = row.get(next).ok_or_else(|| {
            AttnError::value(
                format!("ids[{i}]"),
                format!("token {next} is not below {}", out.vocab),
            )
        })?;
        total += lse - target;
    }
    Ok(total / (ids.len() - from) as f64)
}

/// Training state: the model, its vocabulary and encoded text, Adam and the
/// batch sampler's seeded generator.
#[derive(Debug, Clone)]
pub struct Trainer {
    /// The model being trained.
    pub model: TinyGpt,
    /// The characters of the text.
    pub vocab: CharVocab,
    /// The text as ids.
    pub tokens: Vec<usize>,
    /// The optimizer (learning rate may be changed between steps).
    pub adam: Adam,
    /// Windows per step, `1..=64`.
    pub batch: usize,
    /// Steps of linear learning-rate warmup: update `s` (0-based) uses
    /// `adam.lr * min(1, (s + 1) / warmup)`; 0 is none (the default).
    pub warmup: u64,
    rng: Rng,
    steps: u64,
}

/// Default Adam learning rate.
pub const DEFAULT_LR: f64 = 3e-3;
/// Default windows per step.
pub const DEFAULT_BATCH: usize = 8;

impl Trainer {
    /// Builds the vocabulary from `text` (at least 2 characters), a model of
    /// `config` initialized from `seed`, and a batch sampler seeded from
    /// `seed` too.
    pub fn new(text: &str, config: TinyConfig, seed: u64) -> Result<Trainer, AttnError> {
        let vocab = CharVocab::from_text(text)?;
        let tokens = vocab.encode(text)?;
        if tokens.len() < 2 {
            return Err(AttnError::value(
                "text",
                "needs at least 2 characters to train on",
            ));
        }
        let model = TinyGpt::new(config, vocab.len(), seed)?;
        Ok(Trainer {
            model,
            vocab,
            tokens,
            adam: Adam::new(DEFAULT_LR),
            batch: DEFAULT_BATCH,
            warmup: 0,
            rng: Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15),
            steps: 0,
        })
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The learning rate of the next update: `adam.lr`, scaled by the
    /// warmup ([`Trainer::warmup`]) while it lasts.
    pub fn current_lr(&self) -> f64 {
        if self.steps >= self.warmup {
            self.adam.lr
        } else {
            self.adam.lr * (self.steps + 1) as f64 / self.warmup as f64
        }
    }

    /// The Adam update at [`Trainer::current_lr`] (`adam.lr` is left as set).
    fn update(&mut self) -> Result<(), AttnError> {
        let base = self.adam.lr;
        self.adam.lr = self.current_lr();
        let done = self.adam.step(self.model.params_mut());
        self.adam.lr = base;
        done?;
        self.steps += 1;
        Ok(())
    }

    /// Tokens each window predicts: `min(T, text length - 1)`.
    pub fn window_len(&self) -> usize {
        self.model
            .config
            .context
            .min(self.tokens.len().saturating_sub(1))
    }

    /// `batch` windows of `window_len() + 1` consecutive ids, starts
    /// uniform over the text, from the trainer's generator.
    pub fn sample_batch(&mut self, batch: usize) -> Result<Vec<Vec<usize>>, AttnError> {
        limit("batch", batch, 1, 64)?;
        let len = self.window_len() + 1;
        let starts = self.tokens.len() + 1 - len;
        (0..batch)
            .map(|_| {
                let s = self.rng.below(starts);
                self.tokens
                    .get(s..s + len)
                    .map(<[usize]>::to_vec)
                    .ok_or_else(|| AttnError::value("text", "window out of range"))
            })
            .collect()
    }

    /// One training step: samples a batch, computes the mean loss and its
    /// gradient, applies Adam. Returns the loss before the update.
    pub fn step(&mut self) -> Result<f64, AttnError> {
        let windows = self.sample_batch(self.batch)?;
        self.model.zero_grad();
        let loss = self.model.accumulate_grads(&windows)?;
        self.update()?;
        Ok(loss)
    }

    /// Starts a training step to be taken a window at a time
    /// ([`Trainer::step_part`]): samples the batch and zeroes the
    /// gradients, exactly as [`Trainer::step`] begins.
    pub fn begin_step(&mut self) -> Result<StepParts, AttnError> {
        let windows = self.sample_batch(self.batch)?;
        let count = windows.iter().map(|w| w.len().saturating_sub(1)).sum();
        self.model.zero_grad();
        Ok(StepParts {
            windows,
            count,
            next: 0,
            loss: 0.0,
        })
    }

    /// The next part of `parts`: one window's forward and backward pass;
    /// after the last window, the Adam update, and `Some(loss)` (the batch's
    /// mean loss before the update, the number [`Trainer::step`] returns).
    /// The model ends bit for bit where [`Trainer::step`] would.
    pub fn step_part(&mut self, parts: &mut StepParts) -> Result<Option<f64>, AttnError> {
        if let Some(w) = parts.windows.get(parts.next) {
            parts.loss += self.model.window_grads(w, parts.count)?;
            parts.next += 1;
            return Ok(None);
        }
        if parts.next > parts.windows.len() {
            return Err(AttnError::value(
                "step",
                "this step has already been applied",
            ));
        }
        parts.next += 1;
        self.update()?;
        Ok(Some(parts.loss))
    }

    /// Continues `prompt` by `count` characters (`<= 10_000`), sampling
    /// from `softmax(logits / temperature)` with `seed` (temperature 0 takes
    /// the most likely character). Characters of the prompt not in the
    /// vocabulary are skipped; an empty prompt starts from the text's first
    /// character. Only the last `T` characters are seen. Returns the new
    /// characters.
    pub fn sample(
        &self,
        prompt: &str,
        count: usize,
        temperature: f64,
        seed: u64,
    ) -> Result<String, AttnError> {
        limit("count", count, 0, 10_000)?;
        let (mut ids, _) = self.vocab.encode_lossy(prompt);
        if ids.is_empty() {
            ids.extend(self.tokens.first());
        }
        let mut sampler = Sampler::new(ids, temperature, seed)?;
        let out = (0..count)
            .map(|_| sampler.next(&self.model))
            .collect::<Result<Vec<usize>, AttnError>>()?;
        self.vocab.decode(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpt::model::next_token_loss;
    use crate::train::gradcheck::{numeric_param_grads, rel_error};

    fn tiny() -> TinyConfig {
        TinyConfig {
            n_layer: 2,
            n_head: 2,
            d_model: 4,
            context: 5,
        }
    }

    #[test]
    fn config_limits_name_the_field() {
        assert!(TinyConfig::default().check().is_ok());
        let cases = [
            (
                TinyConfig {
                    n_layer: 0,
                    ..TinyConfig::default()
                },
                "config.n_layer",
            ),
            (
                TinyConfig {
                    n_head: 17,
                    ..TinyConfig::default()
                },
                "config.n_head",
            ),
            (
                TinyConfig {
                    d_model: 66,
                    ..TinyConfig::default()
                },
                "config.d_model",
            ),
            (
                TinyConfig {
                    d_model: 1024,
                    ..TinyConfig::default()
                },
                "config.d_model",
            ),
            (
                TinyConfig {
                    context: 1,
                    ..TinyConfig::default()
                },
                "config.context",
            ),
        ];
        for (c, field) in cases {
            assert_eq!(c.check().unwrap_err().field(), field);
            assert!(TinyGpt::new(c, 10, 1).is_err());
        }
        assert_eq!(
            TinyGpt::new(TinyConfig::default(), 0, 1)
                .unwrap_err()
                .field(),
            "config.vocab"
        );
    }

    #[test]
    fn vocab_round_trips_and_rejects_unseen() {
        let v = CharVocab::from_text("banana é").unwrap();
        assert_eq!(v.chars(), &[' ', 'a', 'b', 'n', 'é']);
        let ids = v.encode("nab é").unwrap();
        assert_eq!(ids, vec![3, 1, 2, 0, 4]);
        assert_eq!(v.decode(&ids).unwrap(), "nab é");
        assert_eq!(v.encode("bxa").unwrap_err().field(), "text[1]");
        assert_eq!(v.encode_lossy("bxxa"), (vec![2, 1], 2));
        assert!(v.decode(&[5]).is_err());
        assert!(CharVocab::from_text("").is_err());
        assert_eq!(v.to_json(), r#"[" ","a","b","n","é"]"#);
    }

    #[test]
    fn init_is_seeded_with_gpt2_statistics() {
        let a = TinyGpt::new(TinyConfig::default(), 50, 7).unwrap();
        assert_eq!(a, TinyGpt::new(TinyConfig::default(), 50, 7).unwrap());
        assert_ne!(a, TinyGpt::new(TinyConfig::default(), 50, 8).unwrap());
        let w = &a.blocks[0].c_fc_w.value;
        assert_eq!(w.shape(), (64, 256));
        let mean = w.mean();
        let std = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
        assert!(mean.abs() < 0.002, "{mean}");
        assert!((std - 0.02).abs() < 0.001, "{std}");
        assert!(a.blocks[1].ln_2_g.value.iter().all(|&g| g == 1.0));
        assert!(a.blocks[1].c_attn_b.value.iter().all(|&b| b == 0.0));
        // 2 * (12 E^2 + 13 E) + V E + T E + 2 E with E = 64.
        assert_eq!(
            a.num_params(),
            2 * (12 * 64 * 64 + 13 * 64) + 50 * 64 + 64 * 64 + 128
        );
    }

    #[test]
    fn batches_are_seeded_windows_of_the_text() {
        let text = "abcdefghij".repeat(20);
        let c = TinyConfig {
            context: 8,
            ..tiny()
        };
        let mut a = Trainer::new(&text, c, 3).unwrap();
        let mut b = Trainer::new(&text, c, 3).unwrap();
        let wa = a.sample_batch(5).unwrap();
        assert_eq!(wa, b.sample_batch(5).unwrap());
        for w in &wa {
            assert_eq!(w.len(), 9);
            for pair in w.windows(2) {
                assert_eq!((pair[0] + 1) % 10, pair[1]);
            }
        }
        assert_ne!(wa, a.sample_batch(5).unwrap());
        assert_eq!(a.sample_batch(0).unwrap_err().field(), "config.batch");
        // A text shorter than the context gives windows of the whole text.
        let mut s = Trainer::new("abc", c, 1).unwrap();
        assert_eq!(s.sample_batch(2).unwrap(), vec![vec![0, 1, 2]; 2]);
        assert!(Trainer::new("a", c, 1).is_err());
    }

    #[test]
    fn forward_rejects_bad_ids() {
        let m = TinyGpt::new(tiny(), 6, 1).unwrap();
        assert!(m.forward(&[]).is_err());
        assert!(m.forward(&[0; 6]).is_err());
        assert_eq!(m.forward(&[0, 6]).unwrap_err().field(), "ids[1]");
        assert!(m.loss(&[1]).is_err());
        let fw = m.forward(&[0, 1, 2]).unwrap();
        assert_eq!(fw.logits.shape(), (3, 6));
        let a = &fw.attentions[1][1];
        for i in 0..3 {
            assert!((a.row(i).sum() - 1.0).abs() < 1e-12);
            for j in i + 1..3 {
                assert_eq!(a[(i, j)], 0.0);
            }
        }
    }

    /// Perturbs the init so gains, biases and every path carry gradient.
    fn scrambled(seed: u64) -> TinyGpt {
        let mut m = TinyGpt::new(tiny(), 6, seed).unwrap();
        let mut rng = Rng::new(seed + 100);
        for p in m.params_mut() {
            for v in p.value.iter_mut() {
                *v += 0.5 * rng.normal();
            }
        }
        m
    }

    #[test]
    fn gradients_match_finite_differences_for_every_parameter() {
        let mut m = scrambled(5);
        let windows = vec![vec![0, 3, 5, 1, 3, 2], vec![4, 4, 1, 0]];
        m.zero_grad();
        let loss = m.accumulate_grads(&windows).unwrap();
        assert!((loss - m.batch_loss(&windows).unwrap()).abs() < 1e-12);
        let numeric = numeric_param_grads(&mut m, 1e-5, |mm| mm.batch_loss(&windows)).unwrap();
        let mut worst: f64 = 0.0;
        for (p, n) in m.params().iter().zip(&numeric) {
            let e = rel_error(&p.grad, n, 1e-4);
            assert!(
                e < 1e-6,
                "relative error {e} for a {:?} parameter",
                p.shape()
            );
            assert!(
                p.grad.iter().any(|g| g.abs() > 1e-6),
                "zero gradient {:?}",
                p.shape()
            );
            worst = worst.max(e);
        }
        println!("gradient check: worst relative error {worst:.2e}");
    }

    #[test]
    fn gelu_is_gelu_new_and_its_derivative() {
        for x in [-3.0, -0.7, 0.0, 0.4, 2.5] {
            let num = (gelu(x + 1e-6) - gelu(x - 1e-6)) / 2e-6;
            assert!((gelu_grad(x) - num).abs() < 1e-8);
        }
        // Reference values of 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
        assert!((gelu(1.0) - 0.841_191_990_607_477_6).abs() < 1e-12);
        assert!((gelu(-2.0) - (-0.045_402_305_912_243_1)).abs() < 1e-12);
    }

    const REPEAT: &str = "the cat sat on the mat. ";

    #[test]
    fn training_is_deterministic_and_loss_falls() {
        let text = REPEAT.repeat(20);
        let c = TinyConfig {
            n_layer: 2,
            n_head: 4,
            d_model: 32,
            context: 32,
        };
        let mut a = Trainer::new(&text, c, 11).unwrap();
        let mut b = Trainer::new(&text, c, 11).unwrap();
        let first = a.step().unwrap();
        assert_eq!(first, b.step().unwrap());
        assert_eq!(a.model, b.model);
        // Uniform over the vocabulary at init.
        let v = a.vocab.len() as f64;
        assert!((first - v.ln()).abs() < 0.3, "{first} vs ln V {}", v.ln());
        let mut last = Vec::new();
        for _ in 0..300 {
            last.push(a.step().unwrap());
        }
        let end = last[last.len() - 20..].iter().sum::<f64>() / 20.0;
        println!("loss {first:.3} -> {end:.3} after 301 steps");
        assert!(end < 0.5, "loss only fell from {first} to {end}");
        assert!(end < first / 4.0);
        // The text is learnt: greedy continuation copies it.
        let s = a.sample("the cat sat on the", 6, 0.0, 1).unwrap();
        assert_eq!(s, " mat. ");
        let s1 = a.sample("the", 20, 1.0, 9).unwrap();
        assert_eq!(s1, a.sample("the", 20, 1.0, 9).unwrap());
        assert_eq!(s1.chars().count(), 20);
    }

    #[test]
    fn sampling_checks_its_inputs() {
        let t = Trainer::new("hello world", tiny(), 2).unwrap();
        assert_eq!(
            t.sample("he", 3, -1.0, 1).unwrap_err().field(),
            "temperature"
        );
        assert_eq!(
            t.sample("he", 3, f64::NAN, 1).unwrap_err().field(),
            "temperature"
        );
        // Unseen characters are skipped; an empty prompt still works.
        assert_eq!(t.sample("zz", 12, 0.8, 1).unwrap().chars().count(), 12);
        assert_eq!(t.sample("", 0, 0.8, 1).unwrap(), "");
        let s = t.sample("hel", 30, 1.0, 4).unwrap();
        assert!(s.chars().all(|c| t.vocab.id(c).is_some()));
    }

    #[test]
    fn export_loads_through_the_gpt2_loader_with_the_same_logits() {
        let text = REPEAT.repeat(4);
        let c = TinyConfig {
            n_layer: 2,
            n_head: 4,
            d_model: 16,
            context: 24,
        };
        let mut t = Trainer::new(&text, c, 21).unwrap();
        for _ in 0..5 {
            t.step().unwrap();
        }
        let g = t.model.to_gpt2();
        let bytes = g.to_safetensors().unwrap();
        let loaded = Gpt2::from_files(&g.config.to_json(), &bytes, 1 << 24).unwrap();
        assert_eq!(loaded, g);
        let ids = t.vocab.encode("the mat sat on the cat.").unwrap();
        let ours = t.model.forward(&ids).unwrap();
        let theirs = loaded.forward(&ids, None).unwrap();
        assert_eq!(theirs.vocab, t.vocab.len());
        let mut worst: f64 = 0.0;
        for i in 0..ids.len() {
            for (j, &l) in theirs.logits_row(i).unwrap().iter().enumerate() {
                worst = worst.max((f64::from(l) - ours.logits[(i, j)]).abs());
            }
        }
        assert!(worst < 1e-4, "logits differ by {worst}");
        for (la, lb) in ours.attentions.iter().zip(&theirs.attentions) {
            for (a, b) in la.iter().zip(lb) {
                assert!((a - b).amax() < 1e-5);
            }
        }
        let l_ours = t.model.loss(&ids).unwrap();
        let l_theirs = next_token_loss(&theirs, &ids).unwrap();
        assert!((l_ours - l_theirs).abs() < 1e-4);
    }

    #[test]
    fn heads_are_scored_on_our_attentions_as_on_the_loaded_export() {
        use crate::gpt::heads::{induction_sequence, score_heads};
        let c = TinyConfig {
            n_layer: 2,
            n_head: 2,
            d_model: 8,
            context: 24,
        };
        let m = TinyGpt::new(c, 12, 4).unwrap();
        let ids = induction_sequence(3, 10, 2, 12, Some(0)).unwrap();
        let ours = score_heads(&m.attentions(&ids).unwrap(), &ids).unwrap();
        let loaded = m.to_gpt2();
        let theirs = score_heads(&loaded.forward(&ids, None).unwrap().attentions, &ids).unwrap();
        assert_eq!(ours.len(), 2);
        for (lo, lt) in ours.iter().zip(&theirs) {
            assert_eq!(lo.len(), 2);
            for (a, b) in lo.iter().zip(lt) {
                assert!((a.previous_token - b.previous_token).abs() < 1e-5);
                assert!((a.first_token - b.first_token).abs() < 1e-5);
                assert_eq!(a.label, b.label);
            }
        }
    }

    #[test]
    fn a_step_in_parts_is_the_whole_step_bit_for_bit() {
        let text = REPEAT.repeat(6);
        let c = TinyConfig {
            context: 16,
            ..tiny()
        };
        let mut whole = Trainer::new(&text, c, 8).unwrap();
        let mut parts = Trainer::new(&text, c, 8).unwrap();
        // With a warmup that ends within the steps, both paths scale alike.
        whole.warmup = 2;
        parts.warmup = 2;
        for _ in 0..3 {
            let expected = whole.step().unwrap();
            let mut p = parts.begin_step().unwrap();
            assert_eq!(p.len(), parts.batch + 1);
            let mut got = None;
            let mut calls = 0;
            while got.is_none() {
                got = parts.step_part(&mut p).unwrap();
                calls += 1;
            }
            assert_eq!(calls, p.len());
            assert_eq!(p.done(), p.len());
            assert_eq!(got, Some(expected));
            assert_eq!(parts.model, whole.model);
            assert_eq!(parts.steps(), whole.steps());
            assert_eq!(parts.step_part(&mut p).unwrap_err().field(), "step");
        }
    }

    #[test]
    fn warmup_ramps_the_learning_rate_linearly_then_holds() {
        let text = REPEAT.repeat(6);
        let c = TinyConfig {
            context: 16,
            ..tiny()
        };
        let mut t = Trainer::new(&text, c, 8).unwrap();
        t.adam.lr = 0.01;
        t.warmup = 4;
        let mut lrs = Vec::new();
        for _ in 0..6 {
            lrs.push(t.current_lr());
            t.step().unwrap();
            assert_eq!(t.adam.lr, 0.01);
        }
        for (got, want) in lrs.iter().zip([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01]) {
            assert!((got - want).abs() < 1e-15, "{lrs:?}");
        }
        // No warmup: the first update is at the full rate, and a warmup of
        // one step is the same run.
        let mut none = Trainer::new(&text, c, 8).unwrap();
        let mut one = Trainer::new(&text, c, 8).unwrap();
        one.warmup = 1;
        assert_eq!(none.current_lr(), DEFAULT_LR);
        none.step().unwrap();
        one.step().unwrap();
        assert_eq!(none.model, one.model);
    }

    #[test]
    fn loss_from_is_the_loss_of_the_later_targets() {
        let c = TinyConfig {
            context: 24,
            ..tiny()
        };
        let m = scrambled(3);
        let m = TinyGpt {
            config: c,
            wpe: Param::new(Rng::new(4).normal_matrix(24, 4, 0.5)),
            ..m
        };
        let g = m.to_gpt2();
        let ids = induction_sequence_for_test();
        let n = ids.len();
        // From 1 it is the whole sequence's loss, as the f64 model computes it.
        let all = loss_from(&g, &ids, 1, None).unwrap();
        assert!((all - m.loss(&ids).unwrap()).abs() < 1e-4);
        // The causal model gives the prefix's targets the same logits, so the
        // later targets' loss is the whole minus the prefix.
        let from = 7;
        let later = loss_from(&g, &ids, from, None).unwrap();
        let prefix = loss_from(&g, &ids[..from], 1, None).unwrap();
        let expected = (all * (n - 1) as f64 - prefix * (from - 1) as f64) / (n - from) as f64;
        assert!((later - expected).abs() < 1e-5, "{later} vs {expected}");
        // A mask of ones is no mask; a zero changes the loss.
        let ones = vec![vec![1.0; 2]; 2];
        assert_eq!(loss_from(&g, &ids, from, Some(&ones)).unwrap(), later);
        let off = vec![vec![1.0, 0.0], vec![1.0, 1.0]];
        assert_ne!(loss_from(&g, &ids, from, Some(&off)).unwrap(), later);
        for bad in [0, n] {
            assert_eq!(loss_from(&g, &ids, bad, None).unwrap_err().field(), "from");
        }
        assert!(loss_from(&g, &[0, 9], 1, None).is_err());
    }

    #[test]
    fn vocab_json_round_trips_and_bad_lists_are_named() {
        let v = CharVocab::from_text("Zebra \"é\"\n🦓").unwrap();
        assert_eq!(CharVocab::from_json(&v.to_json()).unwrap(), v);
        let cases = [
            ("{}", "chars.json"),
            ("nope", "chars.json"),
            ("[]", "chars.json"),
            (r#"["a","bc"]"#, "chars.json[1]"),
            (r#"["a",3]"#, "chars.json[1]"),
            (r#"["b","a"]"#, "chars.json[1]"),
            (r#"["a","a"]"#, "chars.json[1]"),
            (r#"[""]"#, "chars.json[0]"),
        ];
        for (text, field) in cases {
            assert_eq!(
                CharVocab::from_json(text).unwrap_err().field(),
                field,
                "{text}"
            );
        }
    }

    #[test]
    fn repeated_blocks_are_distinct_letters_twice() {
        let v = CharVocab::from_text("Hello, world! 123").unwrap();
        let ids = repeated_block(&v, 5, 3).unwrap();
        assert_eq!(ids.len(), 10);
        assert_eq!(ids[..5], ids[5..]);
        let mut first = ids[..5].to_vec();
        first.sort_unstable();
        first.dedup();
        assert_eq!(first.len(), 5);
        assert!(ids.iter().all(|&i| v.chars()[i].is_alphabetic()));
        assert_eq!(ids, repeated_block(&v, 5, 3).unwrap());
        assert_ne!(ids, repeated_block(&v, 5, 4).unwrap());
        // More than the letters: every character is drawn from.
        let all = repeated_block(&v, 12, 1).unwrap();
        assert!(all.iter().any(|&i| !v.chars()[i].is_alphabetic()));
        assert_eq!(repeated_block(&v, 14, 1).unwrap_err().field(), "block");
        assert_eq!(repeated_block(&v, 1, 1).unwrap_err().field(), "block");
    }

    #[test]
    fn probe_blocks_use_at_most_half_the_letters_at_two_lengths() {
        let lower = CharVocab::from_text("abcdefghijklmnopqrstuvwxyz .").unwrap();
        assert_eq!(probe_blocks(&lower, 64).unwrap(), (13, 9));
        assert_eq!(probe_blocks(&lower, 16).unwrap(), (8, 6));
        let both: String = ('a'..='z').chain('A'..='Z').collect();
        let both = CharVocab::from_text(&both).unwrap();
        assert_eq!(probe_blocks(&both, 32).unwrap(), (16, 12));
        // Few letters: every character is the pool, at least 3 a block.
        let few = CharVocab::from_text("ab12").unwrap();
        assert_eq!(probe_blocks(&few, 32).unwrap(), (3, 2));
        assert!(probe_blocks(&CharVocab::from_text("ab").unwrap(), 32).is_err());
        let p = induction_probes(&lower, 64, 2, 5).unwrap();
        let lens: Vec<usize> = p.iter().map(|(b, _)| *b).collect();
        assert_eq!(lens, [13, 13, 9, 9]);
        assert!(p.iter().all(|(b, ids)| ids.len() == 2 * b));
        assert_ne!(p[0].1, p[1].1);
    }

    /// The page's probe and score agree: on `repeated_block` (`L` letters,
    /// then the same `L`, no prefix) the induction targets are the second
    /// copy, `i = L .. 2L`, each paired with `i - L + 1` (the letter after
    /// the earlier occurrence of `ids[i]`); a head attending only there
    /// scores 1 and is labelled induction, a previous-token head scores 0;
    /// and `loss_from(.., L + 1, ..)` is the mean over exactly the targets
    /// `ids[L + 1 ..]` (each predicted from its own row of the logits).
    #[test]
    fn the_repeated_block_probe_measures_induction_and_copying() {
        use crate::gpt::heads::{head_scores, induction_targets, HeadLabel};
        let v = CharVocab::from_text("abcdefghijklmnopqrstuvwxyz .").unwrap();
        let l = 12;
        let ids = repeated_block(&v, l, 7).unwrap();
        let targets = induction_targets(&ids);
        let expected: Vec<(usize, usize)> = (l..2 * l).map(|i| (i, i - l + 1)).collect();
        assert_eq!(targets, expected);
        let n = 2 * l;
        let mut induction = Mat::zeros(n, n);
        let mut previous = Mat::zeros(n, n);
        for i in 0..n {
            let t = if i >= l { i - l + 1 } else { i };
            induction[(i, t)] = 1.0;
            previous[(i, i.saturating_sub(1))] = 1.0;
        }
        let s = head_scores(&induction, &ids, 1).unwrap();
        assert_eq!((s.induction, s.label), (Some(1.0), HeadLabel::Induction));
        assert_eq!(
            head_scores(&previous, &ids, 1).unwrap().induction,
            Some(0.0)
        );
        // loss_from(L + 1): per-target losses of the export, averaged over
        // the L - 1 targets ids[L + 1 ..].
        let m = TinyGpt::new(
            TinyConfig {
                context: n,
                ..tiny()
            },
            v.len(),
            3,
        )
        .unwrap();
        let g = m.to_gpt2();
        let fw = m.forward(&ids).unwrap();
        let mut sum = 0.0;
        for i in l + 1..n {
            let row = fw.logits.row(i - 1);
            let max = row.max();
            let lse = max + row.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
            sum += lse - row[ids[i]];
        }
        let copy = loss_from(&g, &ids, l + 1, None).unwrap();
        assert!((copy - sum / (l - 1) as f64).abs() < 1e-4, "{copy}");
    }

    #[test]
    fn sampling_is_greedy_at_zero_and_seeded() {
        let m = scrambled(2);
        // Greedy: the largest logit of the last position each time.
        let mut g = Sampler::new(vec![1, 2], 0.0, 1).unwrap();
        for _ in 0..6 {
            let fw = m.forward(&g.ids[g.ids.len().saturating_sub(5)..]).unwrap();
            let last = fw.logits.row(fw.logits.nrows() - 1);
            let best = (0..6).max_by(|&a, &b| last[a].total_cmp(&last[b])).unwrap();
            assert_eq!(g.next(&m).unwrap(), best);
        }
        assert_eq!(g.ids.len(), 8);
        // Seeded: the same seed gives the same characters, another seed others.
        let run = |seed| {
            let mut s = Sampler::new(vec![0], 1.5, seed).unwrap();
            (0..20).map(|_| s.next(&m).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
        assert!(run(5).iter().all(|&i| i < 6));
        assert_eq!(Sampler::new(vec![], 1.0, 1).unwrap_err().field(), "prompt");
        assert_eq!(
            Sampler::new(vec![0], 11.0, 1).unwrap_err().field(),
            "temperature"
        );
    }

    fn induction_sequence_for_test() -> Vec<usize> {
        crate::gpt::heads::induction_sequence(5, 6, 0, 6, None).unwrap()
    }

    /// Native training speed for the default config (printed, not asserted):
    /// `cargo test --release -p attention-core tokens_per_second -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn tokens_per_second() {
        let text = REPEAT.repeat(200);
        let mut t = Trainer::new(&text, TinyConfig::default(), 1).unwrap();
        t.step().unwrap();
        let steps = 30;
        let start = std::time::Instant::now();
        for _ in 0..steps {
            t.step().unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let tokens = steps * t.batch * t.window_len();
        println!(
            "default config: {tokens} tokens in {secs:.2} s = {:.0} tokens/s",
            tokens as f64 / secs
        );
    }
}
