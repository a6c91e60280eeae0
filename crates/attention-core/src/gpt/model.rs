//! GPT-2 as Hugging Face `transformers` defines it (`GPT2LMHeadModel`): the
//! configuration from `config.json`, the weights from `model.safetensors` by
//! their Hugging Face names, and the forward pass.
//!
//! Shapes (`E` = `n_embd`, `H` = `n_head`, `d = E / H`, `F` = the MLP width,
//! `V` = `vocab_size`, `n` = tokens; rows are positions):
//!
//! * `wte` `V x E`, `wpe` `n_positions x E`;
//! * per block: `ln_1`, `ln_2` (`E`), `attn.c_attn` `E x 3E` (Conv1D layout:
//!   `y = x W + b`, columns `[q | k | v]`, head `h` uses columns
//!   `h d .. (h+1) d` of each), `attn.c_proj` `E x E`, `mlp.c_fc` `E x F`,
//!   `mlp.c_proj` `F x E`;
//! * `ln_f` (`E`); the output head is `wte` transposed unless the file has
//!   its own `lm_head.weight` (`V x E`).
//!
//! The forward pass (pre-norm blocks, causal attention, `gelu_new`) returns
//! logits `n x V`, every head's attention weights `n x n`, and optionally
//! runs with a head mask (`transformers`' old `head_mask`: a head's attention
//! probabilities multiplied by its mask value, 0 ablates it). It runs whole
//! ([`Gpt2::forward`]) or a part at a time ([`Gpt2::begin_forward`],
//! [`Gpt2::forward_part`]: a few rows of one step of a block, or a block of
//! output rows against a slice of the vocabulary), the same numbers to the
//! bit, so a page never holds a frame for a whole pass.
//!
//! Weights are stored as `f32` (GPT-2 small, 124M parameters, is ~500 MB)
//! and the forward pass computes in `f32`, like the reference; the loss and
//! the softmax of the predictions are taken in `f64`.
//!
//! Memory: [`Gpt2::from_files`] holds the file and the converted weights at
//! once (~1 GB for GPT-2 small; drop the bytes after loading). The returned
//! attentions are `n_layer x n_head` `f64` matrices of `n x n`: 19 MB for
//! GPT-2 small at 128 tokens, 1.2 GB at its full 1024, so a page should
//! cap the text it runs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::safetensors::{write_f32, SafeTensors};
use crate::{AttnError, Mat};

/// GPT-2's `<|endoftext|>` token id.
pub const GPT2_END_OF_TEXT: usize = 50256;

/// The fields of `config.json` the forward pass uses.
#[derive(Debug, Clone, PartialEq)]
pub struct GptConfig {
    /// Number of blocks.
    pub n_layer: usize,
    /// Heads per block.
    pub n_head: usize,
    /// Model width `E` (a multiple of `n_head`).
    pub n_embd: usize,
    /// Longest sequence (rows of `wpe`).
    pub n_positions: usize,
    /// Vocabulary size `V`.
    pub vocab_size: usize,
    /// MLP width `F` (`n_inner`, default `4 E`).
    pub n_inner: usize,
    /// Layer-norm epsilon.
    pub layer_norm_epsilon: f32,
    /// Divide attention scores by `sqrt(d)` (`scale_attn_weights`).
    pub scale_attn_weights: bool,
}

fn cfg_err(field: &str, message: impl Into<String>) -> AttnError {
    AttnError::value(format!("config.{field}"), message)
}

fn cfg_usize(obj: &serde_json::Map<String, Value>, field: &str) -> Result<usize, AttnError> {
    let v = obj
        .get(field)
        .ok_or_else(|| cfg_err(field, "missing (is this a GPT-2 config.json?)"))?;
    v.as_u64()
        .and_then(|u| usize::try_from(u).ok())
        .filter(|&u| u > 0)
        .ok_or_else(|| cfg_err(field, format!("must be a positive integer, got {v}")))
}

impl GptConfig {
    /// Parses a Hugging Face `config.json`. Only GPT-2 (`model_type` `gpt2`,
    /// architecture `GPT2LMHeadModel` or `GPT2Model`, activation `gelu_new`)
    /// is accepted; anything else is rejected naming what differs.
    pub fn from_json(text: &str) -> Result<GptConfig, AttnError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| AttnError::value("config.json", format!("not JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| AttnError::value("config.json", "must be a JSON object"))?;
        match obj.get("model_type").and_then(Value::as_str) {
            Some("gpt2") | None => {}
            Some(other) => {
                return Err(cfg_err(
                    "model_type",
                    format!("{other} is not supported: only GPT-2-family checkpoints (model_type gpt2) load here"),
                ))
            }
        }
        if let Some(archs) = obj.get("architectures").and_then(Value::as_array) {
            let ok = archs
                .iter()
                .filter_map(Value::as_str)
                .any(|a| a == "GPT2LMHeadModel" || a == "GPT2Model");
            if !ok {
                return Err(cfg_err(
                    "architectures",
                    format!(
                        "{} is not supported: expected GPT2LMHeadModel",
                        Value::Array(archs.clone())
                    ),
                ));
            }
        }
        if let Some(act) = obj.get("activation_function").and_then(Value::as_str) {
            if act != "gelu_new" && act != "gelu_pytorch_tanh" {
                return Err(cfg_err(
                    "activation_function",
                    format!("{act} is not supported (only gelu_new)"),
                ));
            }
        }
        if obj
            .get("scale_attn_by_inverse_layer_idx")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Err(cfg_err(
                "scale_attn_by_inverse_layer_idx",
                "true is not supported",
            ));
        }
        let n_embd = cfg_usize(obj, "n_embd")?;
        let n_inner = match obj.get("n_inner") {
            None | Some(Value::Null) => n_embd
                .checked_mul(4)
                .ok_or_else(|| cfg_err("n_embd", "too large"))?,
            Some(_) => cfg_usize(obj, "n_inner")?,
        };
        let eps = match obj.get("layer_norm_epsilon") {
            None => 1e-5,
            Some(v) => v
                .as_f64()
                .filter(|e| e.is_finite() && *e > 0.0)
                .ok_or_else(|| {
                    cfg_err(
                        "layer_norm_epsilon",
                        format!("must be a positive number, got {v}"),
                    )
                })?,
        };
        let config = GptConfig {
            n_layer: cfg_usize(obj, "n_layer")?,
            n_head: cfg_usize(obj, "n_head")?,
            n_embd,
            n_positions: cfg_usize(obj, "n_positions")?,
            vocab_size: cfg_usize(obj, "vocab_size")?,
            n_inner,
            layer_norm_epsilon: eps as f32,
            scale_attn_weights: obj
                .get("scale_attn_weights")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), AttnError> {
        if !self.n_embd.is_multiple_of(self.n_head) {
            return Err(cfg_err(
                "n_embd",
                format!(
                    "{} is not a multiple of n_head {}",
                    self.n_embd, self.n_head
                ),
            ));
        }
        for (name, v) in [
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
            ("n_embd", self.n_embd),
            ("n_positions", self.n_positions),
            ("vocab_size", self.vocab_size),
            ("n_inner", self.n_inner),
        ] {
            if v == 0 || v > 1 << 24 {
                return Err(cfg_err(name, format!("{v} is out of range")));
            }
        }
        Ok(())
    }

    /// Width of one head, `E / H`.
    pub fn d_head(&self) -> usize {
        self.n_embd.checked_div(self.n_head).unwrap_or(0)
    }

    /// The `config.json` text `transformers` reads back. GPT-2's
    /// `<|endoftext|>` (id 50256) is the start and end token only when the
    /// vocabulary has it; a smaller one (the lab's characters) says it has
    /// none, rather than naming an id past its end.
    pub fn to_json(&self) -> String {
        let special = (self.vocab_size > GPT2_END_OF_TEXT).then_some(GPT2_END_OF_TEXT);
        serde_json::json!({
            "bos_token_id": special,
            "eos_token_id": special,
            "model_type": "gpt2",
            "architectures": ["GPT2LMHeadModel"],
            "activation_function": "gelu_new",
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_embd": self.n_embd,
            "n_positions": self.n_positions,
            "n_ctx": self.n_positions,
            "vocab_size": self.vocab_size,
            "n_inner": self.n_inner,
            "layer_norm_epsilon": f64::from(self.layer_norm_epsilon),
            "scale_attn_weights": self.scale_attn_weights,
            "tie_word_embeddings": true,
        })
        .to_string()
    }
}

/// Rows of `x` [`Linear`] takes against each row of `W` at once.
const LINEAR_ROWS: usize = 8;

/// `y = x W + b` with `W` `n_in x n_out`, row-major (Conv1D layout).
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// Input width.
    pub n_in: usize,
    /// Output width.
    pub n_out: usize,
    /// `n_in x n_out`, row-major.
    pub w: Vec<f32>,
    /// `n_out`.
    pub b: Vec<f32>,
}

impl Linear {
    /// `x` is `n x n_in` row-major; returns `n x n_out` row-major.
    fn apply(&self, x: &[f32]) -> Vec<f32> {
        if self.n_in == 0 || self.n_out == 0 {
            return Vec::new();
        }
        let (n_in, n_out) = (self.n_in, self.n_out);
        let rows = x.len() / n_in;
        let mut out = Vec::with_capacity(rows * n_out);
        for _ in 0..rows {
            out.extend_from_slice(&self.b);
        }
        // A few rows at a time against each row of `W`: the weights are
        // read once per block of rows rather than once per row (GPT-2
        // small's are 340 MB; a row of `W` stays in cache for the block).
        // Each output adds the same terms in the same order as row by row.
        for (xs, ys) in x
            .chunks(LINEAR_ROWS * n_in)
            .zip(out.chunks_mut(LINEAR_ROWS * n_out))
        {
            for (k, wk) in self.w.chunks_exact(n_out).enumerate() {
                for (xr, y) in xs.chunks_exact(n_in).zip(ys.chunks_exact_mut(n_out)) {
                    let xk = xr.get(k).copied().unwrap_or(0.0);
                    for (yj, &wj) in y.iter_mut().zip(wk) {
                        *yj += xk * wj;
                    }
                }
            }
        }
        out
    }
}

/// Layer norm over the last axis: gain `g` and bias `b`, both `E`.
#[derive(Debug, Clone, PartialEq)]
pub struct Norm {
    /// Gain (`weight`).
    pub g: Vec<f32>,
    /// Bias.
    pub b: Vec<f32>,
}

impl Norm {
    fn apply(&self, x: &[f32], eps: f32) -> Vec<f32> {
        let e = self.g.len().max(1);
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(e) {
            let mean = row.iter().sum::<f32>() / e as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / e as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, g), b) in row.iter().zip(&self.g).zip(&self.b) {
                out.push((v - mean) * inv * g + b);
            }
        }
        out
    }
}

/// One transformer block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Norm before attention.
    pub ln_1: Norm,
    /// `E x 3E`: queries, keys, values.
    pub c_attn: Linear,
    /// `E x E`: the output projection of the merged heads.
    pub attn_proj: Linear,
    /// Norm before the MLP.
    pub ln_2: Norm,
    /// `E x F`.
    pub c_fc: Linear,
    /// `F x E`.
    pub mlp_proj: Linear,
}

/// A GPT-2 model with `f32` weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Gpt2 {
    /// Its configuration.
    pub config: GptConfig,
    /// Token embeddings `V x E`, row-major.
    pub wte: Vec<f32>,
    /// Position embeddings `n_positions x E`, row-major.
    pub wpe: Vec<f32>,
    /// The blocks, first to last.
    pub blocks: Vec<Block>,
    /// Final norm.
    pub ln_f: Norm,
    /// Output head `V x E` when not tied to `wte`.
    pub lm_head: Option<Vec<f32>>,
}

/// What the forward pass returns.
#[derive(Debug, Clone, PartialEq)]
pub struct GptOutput {
    /// Vocabulary size `V` (the width of a logits row).
    pub vocab: usize,
    /// Logits `n x V`, row-major: row `i` predicts token `i + 1`.
    pub logits: Vec<f32>,
    /// `attentions[layer][head]`: `n x n`, row `i` = query position `i`
    /// (zero above the diagonal), after the head mask.
    pub attentions: Vec<Vec<Mat>>,
}

impl GptOutput {
    /// Number of positions `n`.
    pub fn len(&self) -> usize {
        self.logits.len() / self.vocab.max(1)
    }

    /// True for an empty sequence.
    pub fn is_empty(&self) -> bool {
        self.logits.is_empty()
    }

    /// Logits of position `i` (`V`).
    pub fn logits_row(&self, i: usize) -> Result<&[f32], AttnError> {
        self.logits
            .get(i * self.vocab..(i + 1) * self.vocab)
            .ok_or_else(|| {
                AttnError::value(
                    "position",
                    format!("{i} is past the {} positions", self.len()),
                )
            })
    }
}

/// One next-token prediction: token id and probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Token id.
    pub token: usize,
    /// Softmax probability.
    pub prob: f64,
}

/// `gelu_new`: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
fn gelu_new(x: f32) -> f32 {
    let c = (2.0f32 / std::f32::consts::PI).sqrt();
    0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())
}

/// A named tensor: Hugging Face name, shape, row-major values.
pub type Named<'a> = (String, Vec<usize>, &'a [f32]);

fn push_linear<'a>(out: &mut Vec<Named<'a>>, name: &str, l: &'a Linear) {
    out.push((format!("{name}.weight"), vec![l.n_in, l.n_out], &l.w));
    out.push((format!("{name}.bias"), vec![l.n_out], &l.b));
}

/// Finds `name` with or without the `transformer.` prefix.
fn find(st: &SafeTensors<'_>, name: &str) -> Option<String> {
    let prefixed = format!("transformer.{name}");
    if st.info(&prefixed).is_some() {
        Some(prefixed)
    } else if st.info(name).is_some() {
        Some(name.to_string())
    } else {
        None
    }
}

fn load(st: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>, AttnError> {
    let key = find(st, name).ok_or_else(|| {
        AttnError::value(
            name,
            format!(
                "tensor missing from model.safetensors (looked for {name} and transformer.{name})"
            ),
        )
    })?;
    let info = st
        .info(&key)
        .ok_or_else(|| AttnError::value(&key, "tensor missing"))?;
    if info.shape != shape {
        return Err(AttnError::shape(
            key,
            format!("{shape:?}"),
            format!("{:?}", info.shape),
        ));
    }
    Ok(st.tensor(&key)?.data)
}

fn load_linear(
    st: &SafeTensors<'_>,
    name: &str,
    n_in: usize,
    n_out: usize,
) -> Result<Linear, AttnError> {
    Ok(Linear {
        n_in,
        n_out,
        w: load(st, &format!("{name}.weight"), &[n_in, n_out])?,
        b: load(st, &format!("{name}.bias"), &[n_out])?,
    })
}

fn load_norm(st: &SafeTensors<'_>, name: &str, e: usize) -> Result<Norm, AttnError> {
    Ok(Norm {
        g: load(st, &format!("{name}.weight"), &[e])?,
        b: load(st, &format!("{name}.bias"), &[e])?,
    })
}

impl Gpt2 {
    /// Loads the weights of `config` from a parsed `model.safetensors`
    /// (names with or without the `transformer.` prefix). A missing tensor
    /// or a shape that disagrees with the configuration is an error naming
    /// the tensor.
    pub fn load(config: GptConfig, st: &SafeTensors<'_>) -> Result<Gpt2, AttnError> {
        config.check()?;
        let e = config.n_embd;
        let f = config.n_inner;
        let v = config.vocab_size;
        let mut blocks = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            let p = format!("h.{i}");
            blocks.push(Block {
                ln_1: load_norm(st, &format!("{p}.ln_1"), e)?,
                c_attn: load_linear(st, &format!("{p}.attn.c_attn"), e, 3 * e)?,
                attn_proj: load_linear(st, &format!("{p}.attn.c_proj"), e, e)?,
                ln_2: load_norm(st, &format!("{p}.ln_2"), e)?,
                c_fc: load_linear(st, &format!("{p}.mlp.c_fc"), e, f)?,
                mlp_proj: load_linear(st, &format!("{p}.mlp.c_proj"), f, e)?,
            });
        }
        let wte = load(st, "wte.weight", &[v, e])?;
        let lm_head = match st.info("lm_head.weight") {
            None => None,
            Some(_) => {
                let head = load(st, "lm_head.weight", &[v, e])?;
                (head != wte).then_some(head)
            }
        };
        Ok(Gpt2 {
            wpe: load(st, "wpe.weight", &[config.n_positions, e])?,
            ln_f: load_norm(st, "ln_f", e)?,
            wte,
            blocks,
            lm_head,
            config,
        })
    }

    /// Parses `config.json` and `model.safetensors` (at most `max_bytes`)
    /// and loads the model.
    pub fn from_files(
        config_json: &str,
        safetensors: &[u8],
        max_bytes: usize,
    ) -> Result<Gpt2, AttnError> {
        let config = GptConfig::from_json(config_json)?;
        let st = SafeTensors::parse(safetensors, max_bytes)?;
        Gpt2::load(config, &st)
    }

    /// Every weight by its Hugging Face name (with the `transformer.`
    /// prefix) and shape, in file order.
    pub fn named_tensors(&self) -> Vec<Named<'_>> {
        let c = &self.config;
        let e = c.n_embd;
        let mut out: Vec<Named<'_>> = vec![
            (
                "transformer.wte.weight".into(),
                vec![c.vocab_size, e],
                &self.wte,
            ),
            (
                "transformer.wpe.weight".into(),
                vec![c.n_positions, e],
                &self.wpe,
            ),
        ];
        for (i, b) in self.blocks.iter().enumerate() {
            let p = format!("transformer.h.{i}");
            out.push((format!("{p}.ln_1.weight"), vec![e], &b.ln_1.g));
            out.push((format!("{p}.ln_1.bias"), vec![e], &b.ln_1.b));
            push_linear(&mut out, &format!("{p}.attn.c_attn"), &b.c_attn);
            push_linear(&mut out, &format!("{p}.attn.c_proj"), &b.attn_proj);
            out.push((format!("{p}.ln_2.weight"), vec![e], &b.ln_2.g));
            out.push((format!("{p}.ln_2.bias"), vec![e], &b.ln_2.b));
            push_linear(&mut out, &format!("{p}.mlp.c_fc"), &b.c_fc);
            push_linear(&mut out, &format!("{p}.mlp.c_proj"), &b.mlp_proj);
        }
        out.push(("transformer.ln_f.weight".into(), vec![e], &self.ln_f.g));
        out.push(("transformer.ln_f.bias".into(), vec![e], &self.ln_f.b));
        if let Some(head) = &self.lm_head {
            out.push(("lm_head.weight".into(), vec![c.vocab_size, e], head));
        }
        out
    }

    /// Exports the weights as an F32 `model.safetensors` (Hugging Face
    /// names; load it with `GPT2LMHeadModel.from_pretrained` next to
    /// [`GptConfig::to_json`]).
    pub fn to_safetensors(&self) -> Result<Vec<u8>, AttnError> {
        let named = self.named_tensors();
        let refs: Vec<(&str, &[usize], &[f32])> = named
            .iter()
            .map(|(n, s, d)| (n.as_str(), s.as_slice(), *d))
            .collect();
        let meta = BTreeMap::from([("format".to_string(), "pt".to_string())]);
        write_f32(&refs, &meta)
    }

    /// Number of parameters (tied output head counted once).
    pub fn parameter_count(&self) -> usize {
        self.named_tensors().iter().map(|(_, _, d)| d.len()).sum()
    }

    /// Runs the model on `ids` (`1 ..= n_positions` tokens, each `< V`).
    /// `head_mask`, if given, is `n_layer x n_head` multipliers of each
    /// head's attention probabilities (1 keeps the head, 0 ablates it).
    /// The same as [`Gpt2::begin_forward`] then [`Gpt2::forward_part`]
    /// until done.
    pub fn forward(
        &self,
        ids: &[usize],
        head_mask: Option<&[Vec<f32>]>,
    ) -> Result<GptOutput, AttnError> {
        let mut run = self.begin_forward(ids, head_mask, true)?;
        while !self.forward_part(&mut run)? {}
        Ok(run.into_output())
    }

    /// Checks `ids` and the mask (as [`Gpt2::forward`]) and embeds the
    /// tokens: the start of a forward pass taken a part at a time by
    /// [`Gpt2::forward_part`] (a page runs one part per unit of work, so a
    /// large model never holds a frame for the whole pass). `logits: false`
    /// skips the output head (what measuring the heads needs: for GPT-2
    /// small at 49 tokens the head is about a fifth of the work).
    pub fn begin_forward(
        &self,
        ids: &[usize],
        head_mask: Option<&[Vec<f32>]>,
        logits: bool,
    ) -> Result<ForwardRun, AttnError> {
        self.begin_forward_sized(ids, head_mask, logits, PART_MADDS)
    }

    /// [`Gpt2::begin_forward`] with parts of about `part_madds`
    /// multiply-adds.
    fn begin_forward_sized(
        &self,
        ids: &[usize],
        head_mask: Option<&[Vec<f32>]>,
        logits: bool,
        part_madds: f64,
    ) -> Result<ForwardRun, AttnError> {
        self.config.check()?;
        let c = &self.config;
        let (e, v, nh) = (c.n_embd, c.vocab_size, c.n_head);
        let n = ids.len();
        if n == 0 || n > c.n_positions {
            return Err(AttnError::value(
                "ids",
                format!("{n} tokens: expected 1 to {} (n_positions)", c.n_positions),
            ));
        }
        if let Some(mask) = head_mask {
            let ok = mask.len() == c.n_layer && mask.iter().all(|r| r.len() == nh);
            if !ok {
                return Err(AttnError::shape(
                    "head_mask",
                    format!("{} x {} (n_layer x n_head)", c.n_layer, nh),
                    format!(
                        "{} rows of {:?}",
                        mask.len(),
                        mask.iter().map(Vec::len).collect::<Vec<_>>()
                    ),
                ));
            }
            if let Some(bad) = mask.iter().flatten().find(|m| !m.is_finite()) {
                return Err(AttnError::value(
                    "head_mask",
                    format!("non-finite value {bad}"),
                ));
            }
        }
        let mut h = Vec::with_capacity(n * e);
        for (pos, &id) in ids.iter().enumerate() {
            let tok = self
                .wte
                .get(id * e..(id + 1) * e)
                .filter(|_| id < v)
                .ok_or_else(|| {
                    AttnError::value(
                        format!("ids[{pos}]"),
                        format!("token {id} is not below vocab_size {v}"),
                    )
                })?;
            let p = self
                .wpe
                .get(pos * e..(pos + 1) * e)
                .ok_or_else(|| AttnError::value("wpe", "too few rows"))?;
            h.extend(tok.iter().zip(p).map(|(a, b)| a + b));
        }
        let plan = Plan::new(c, n, logits, part_madds);
        Ok(ForwardRun {
            n,
            mask: head_mask.map(<[Vec<f32>]>::to_vec),
            h,
            layer: 0,
            stage: first_stage(c.n_layer, logits),
            row: 0,
            head: 0,
            token: 0,
            qkv: Vec::new(),
            merged: Vec::new(),
            heads: Vec::new(),
            attentions: Vec::with_capacity(c.n_layer),
            final_norm: Vec::new(),
            logits: Vec::new(),
            plan,
            vocab: v,
            width: e,
            n_layer: c.n_layer,
            parts_done: 0,
        })
    }

    /// Does the next part of `run` (begun by [`Gpt2::begin_forward`] on this
    /// model): in each block, a few rows of the QKV projection, of one
    /// head's attention, of the output projection or of the MLP; then a
    /// block of output rows against a slice of the vocabulary. Each part is
    /// about [`PART_MADDS`] multiply-adds (at least one row). `Ok(true)`
    /// once the pass is complete ([`ForwardRun::into_output`]); `Err` if
    /// `run` was begun on a model of another shape.
    pub fn forward_part(&self, run: &mut ForwardRun) -> Result<bool, AttnError> {
        let c = &self.config;
        let (e, v) = (c.n_embd, c.vocab_size);
        let n = run.n;
        if run.h.len() != n * e
            || run.vocab != v
            || run.width != e
            || run.n_layer != self.blocks.len()
        {
            return Err(AttnError::shape(
                "forward run",
                format!("{n} x {e} for this model"),
                format!("{} values", run.h.len()),
            ));
        }
        if run.stage == Stage::Done {
            return Ok(true);
        }
        run.parts_done += 1;
        let eps = c.layer_norm_epsilon;
        let plan = run.plan;
        let block = self.blocks.get(run.layer);
        let (r0, stage) = (run.row, run.stage);
        match (stage, block) {
            (Stage::Qkv, Some(block)) => {
                let r1 = (r0 + plan.qkv).min(n);
                if r0 == 0 {
                    run.qkv.clear();
                }
                let a = block.ln_1.apply(rows(&run.h, e, r0, r1), eps);
                run.qkv.extend(block.c_attn.apply(&a));
                run.row = r1;
                if r1 == n {
                    run.stage = Stage::Attend;
                    run.row = 0;
                    run.head = 0;
                    run.merged = vec![0.0; n * e];
                    run.heads = Vec::with_capacity(c.n_head);
                }
            }
            (Stage::Attend, Some(_)) => {
                let r1 = (r0 + plan.attend).min(n);
                if r0 == 0 {
                    run.heads.push(Mat::zeros(n, n));
                }
                let head = run.head;
                let m = run
                    .mask
                    .as_ref()
                    .and_then(|mk| mk.get(run.layer))
                    .and_then(|r| r.get(head))
                    .copied()
                    .unwrap_or(1.0);
                if let Some(weights) = run.heads.last_mut() {
                    self.attend(&run.qkv, &mut run.merged, weights, head, m, r0..r1);
                }
                run.row = r1;
                if r1 == n {
                    run.row = 0;
                    run.head += 1;
                    if run.head == c.n_head {
                        run.stage = Stage::Proj;
                    }
                }
            }
            (Stage::Proj, Some(block)) => {
                let r1 = (r0 + plan.proj).min(n);
                let attn = block.attn_proj.apply(rows(&run.merged, e, r0, r1));
                add_rows(&mut run.h, e, r0, &attn);
                run.row = r1;
                if r1 == n {
                    run.stage = Stage::Mlp;
                    run.row = 0;
                    run.merged = Vec::new();
                }
            }
            (Stage::Mlp, Some(block)) => {
                let r1 = (r0 + plan.mlp).min(n);
                let m = block.ln_2.apply(rows(&run.h, e, r0, r1), eps);
                let mut fc = block.c_fc.apply(&m);
                for x in fc.iter_mut() {
                    *x = gelu_new(*x);
                }
                let mlp = block.mlp_proj.apply(&fc);
                add_rows(&mut run.h, e, r0, &mlp);
                run.row = r1;
                if r1 == n {
                    run.attentions.push(std::mem::take(&mut run.heads));
                    run.layer += 1;
                    run.row = 0;
                    run.stage = if run.layer < run.n_layer {
                        Stage::Qkv
                    } else if plan.logits {
                        Stage::Logits
                    } else {
                        Stage::Done
                    };
                }
            }
            (Stage::Logits, _) => {
                if run.final_norm.is_empty() {
                    run.final_norm = self.ln_f.apply(&run.h, eps);
                    run.logits = vec![0.0; n * v];
                }
                let r1 = (r0 + plan.logit_rows).min(n);
                let (t0, t1) = (run.token, (run.token + plan.logit_tokens).min(v));
                let head = self.lm_head.as_deref().unwrap_or(&self.wte);
                // The block's rows against each embedding of the slice in
                // turn (each embedding is read once per block of rows);
                // each logit is the same sum as row by row.
                let hf = rows(&run.final_norm, e, r0, r1);
                for t in t0..t1 {
                    let w = head.get(t * e..(t + 1) * e).unwrap_or(&[]);
                    for (r, row) in hf.chunks_exact(e).enumerate() {
                        if let Some(l) = run.logits.get_mut((r0 + r) * v + t) {
                            *l = row.iter().zip(w).map(|(a, b)| a * b).sum::<f32>();
                        }
                    }
                }
                run.token = t1;
                if t1 == v {
                    run.token = 0;
                    run.row = r1;
                    if r1 == n {
                        run.stage = Stage::Done;
                        run.final_norm = Vec::new();
                    }
                }
            }
            (Stage::Done, _) => {}
            (_, None) => {
                return Err(AttnError::shape(
                    "forward run",
                    format!("{} blocks", self.blocks.len()),
                    format!("block {}", run.layer),
                ))
            }
        }
        Ok(run.stage == Stage::Done)
    }

    /// Query rows `rows` of head `head` (mask value `m`) of a block, from
    /// the block's `qkv` (`n x 3E`): their attention weights into `weights`
    /// (`n x n`, causal) and their weighted sums of values into the head's
    /// columns of `merged` (`n x E`).
    fn attend(
        &self,
        qkv: &[f32],
        merged: &mut [f32],
        weights: &mut Mat,
        head: usize,
        m: f32,
        rows: std::ops::Range<usize>,
    ) {
        let c = &self.config;
        let (e, dh) = (c.n_embd, c.d_head());
        let scale = if c.scale_attn_weights {
            1.0 / (dh as f32).sqrt()
        } else {
            1.0
        };
        let col = |row: usize, part: usize| -> &[f32] {
            let start = row * 3 * e + part * e + head * dh;
            qkv.get(start..start + dh).unwrap_or(&[])
        };
        let mut p = vec![0.0f32; rows.end];
        for i in rows {
            let q = col(i, 0);
            for (j, pj) in p.iter_mut().enumerate().take(i + 1) {
                *pj = q.iter().zip(col(j, 1)).map(|(a, b)| a * b).sum::<f32>() * scale;
            }
            let max = p
                .iter()
                .take(i + 1)
                .fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let mut sum = 0.0f32;
            for pj in p.iter_mut().take(i + 1) {
                *pj = (*pj - max).exp();
                sum += *pj;
            }
            let out = merged
                .get_mut(i * e + head * dh..i * e + (head + 1) * dh)
                .unwrap_or(&mut []);
            for (j, pj) in p.iter().enumerate().take(i + 1) {
                let w = pj / sum * m;
                if let Some(x) = weights.get_mut((i, j)) {
                    *x = f64::from(w);
                }
                for (o, vv) in out.iter_mut().zip(col(j, 2)) {
                    *o += w * vv;
                }
            }
        }
    }
}

/// Rows `r0 .. r1` of a row-major matrix `width` wide.
fn rows(x: &[f32], width: usize, r0: usize, r1: usize) -> &[f32] {
    x.get(r0 * width..r1 * width).unwrap_or(&[])
}

/// Adds `y` (whole rows) to `h` from row `r0` on.
fn add_rows(h: &mut [f32], width: usize, r0: usize, y: &[f32]) {
    let rest = h.get_mut(r0 * width..).unwrap_or(&mut []);
    for (x, y) in rest.iter_mut().zip(y) {
        *x += y;
    }
}

/// Multiply-adds in one part of a pass taken a part at a time
/// ([`Gpt2::forward_part`]): a few milliseconds in a browser, so a page
/// that runs parts within a frame's budget stays smooth.
pub const PART_MADDS: f64 = 4.0e6;

/// Output rows taken together against the embeddings.
const LOGIT_ROWS: usize = 8;

/// What the next part of a pass does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Norm and QKV projection of some rows of the current block.
    Qkv,
    /// Some query rows of one head's attention.
    Attend,
    /// The output projection of some merged rows, added to the stream.
    Proj,
    /// Norm, MLP and residual of some rows.
    Mlp,
    /// A block of output rows against a slice of the vocabulary.
    Logits,
    Done,
}

fn first_stage(n_layer: usize, logits: bool) -> Stage {
    match (n_layer, logits) {
        (0, true) => Stage::Logits,
        (0, false) => Stage::Done,
        _ => Stage::Qkv,
    }
}

/// How many rows (and, for the output head, vocabulary entries) each
/// part of a pass of `n` tokens takes, from the cost of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Plan {
    qkv: usize,
    attend: usize,
    proj: usize,
    mlp: usize,
    logits: bool,
    logit_rows: usize,
    logit_tokens: usize,
    n_head: usize,
}

impl Plan {
    fn new(c: &GptConfig, n: usize, logits: bool, part_madds: f64) -> Plan {
        let (e, f, v) = (c.n_embd as f64, c.n_inner as f64, c.vocab_size);
        let d = c.d_head() as f64;
        let rows_for = |cost: f64| ((part_madds / cost.max(1.0)) as usize).clamp(1, n.max(1));
        let logit_rows = LOGIT_ROWS.clamp(1, n.max(1));
        Plan {
            qkv: rows_for(3.0 * e * e),
            // A query row costs up to `2 n d` (scores, then values).
            attend: rows_for(2.0 * n as f64 * d),
            proj: rows_for(e * e),
            mlp: rows_for(2.0 * e * f),
            logits,
            logit_rows,
            logit_tokens: ((part_madds / (logit_rows as f64 * e).max(1.0)) as usize)
                .clamp(1, v.max(1)),
            n_head: c.n_head,
        }
    }

    /// Parts of one block.
    fn block_parts(&self, n: usize) -> usize {
        n.div_ceil(self.qkv)
            + self.n_head * n.div_ceil(self.attend)
            + n.div_ceil(self.proj)
            + n.div_ceil(self.mlp)
    }

    /// Parts of the output head.
    fn logit_parts(&self, n: usize, v: usize) -> usize {
        if self.logits {
            n.div_ceil(self.logit_rows) * v.div_ceil(self.logit_tokens)
        } else {
            0
        }
    }
}

/// A forward pass in progress ([`Gpt2::begin_forward`]): the residual
/// stream after the parts run so far, the finished blocks' attentions,
/// the current block's work so far and the output rows computed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardRun {
    n: usize,
    mask: Option<Vec<Vec<f32>>>,
    /// Residual stream `n x E`, row-major.
    h: Vec<f32>,
    /// The current block.
    layer: usize,
    stage: Stage,
    /// Rows of the stage done (of the head, for `Attend`; whole blocks of
    /// rows, for `Logits`).
    row: usize,
    /// The head being attended.
    head: usize,
    /// Vocabulary entries done of the current block of output rows.
    token: usize,
    /// The current block's queries, keys and values so far, `rows x 3E`.
    qkv: Vec<f32>,
    /// The current block's heads' outputs, `n x E`.
    merged: Vec<f32>,
    /// The current block's attention so far (`n x n` per head begun).
    heads: Vec<Mat>,
    attentions: Vec<Vec<Mat>>,
    /// `ln_f` of the stream once the output rows have begun.
    final_norm: Vec<f32>,
    /// Output rows `n x V` (zero until computed), once begun.
    logits: Vec<f32>,
    plan: Plan,
    vocab: usize,
    width: usize,
    n_layer: usize,
    parts_done: usize,
}

impl ForwardRun {
    /// Parts the whole pass takes.
    pub fn parts(&self) -> usize {
        self.n_layer * self.plan.block_parts(self.n) + self.plan.logit_parts(self.n, self.vocab)
    }

    /// Parts done so far.
    pub fn parts_done(&self) -> usize {
        self.parts_done
    }

    /// The finished blocks' attentions so far (`layer x head`, each
    /// `n x n`).
    pub fn attentions(&self) -> &[Vec<Mat>] {
        &self.attentions
    }

    /// What [`Gpt2::forward`] returns (logits empty when begun without
    /// them).
    pub fn into_output(self) -> GptOutput {
        GptOutput {
            vocab: self.vocab,
            logits: self.logits,
            attentions: self.attentions,
        }
    }
}

/// Softmax probabilities of one logits row, in `f64`.
pub fn probabilities(logits: &[f32]) -> Vec<f64> {
    let max = logits
        .iter()
        .fold(f64::NEG_INFINITY, |a, &b| a.max(f64::from(b)));
    let exps: Vec<f64> = logits.iter().map(|&l| (f64::from(l) - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|x| x / sum).collect()
}

/// Mean next-token cross-entropy (nats) of `ids` under `out` (the forward
/// pass of the same `ids`): `-1/(n-1) sum_i log p(ids[i+1] | ids[..=i])`,
/// as `transformers` computes it with `labels = input_ids`.
pub fn next_token_loss(out: &GptOutput, ids: &[usize]) -> Result<f64, AttnError> {
    if ids.len() < 2 || ids.len() != out.len() {
        return Err(AttnError::value(
            "ids",
            format!(
                "{} tokens for {} positions: the loss needs 2 or more",
                ids.len(),
                out.len()
            ),
        ));
    }
    let mut total = 0.0;
    for (i, &next) in ids.iter().enumerate().skip(1) {
        let row = out.logits_row(i - 1)?;
        let max = row
            .iter()
            .fold(f64::NEG_INFINITY, |a, &b| a.max(f64::from(b)));
        let lse = max
            + row
                .iter()
                .map(|&l| (f64::from(l) - max).exp())
                .sum::<f64>()
                .ln();
        let target = row.get(next).ok_or_else(|| {
            AttnError::value(
                format!("ids[{i}]"),
                format!("token {next} is not below {}", out.vocab),
            )
        })?;
        total += lse - f64::from(*target);
    }
    Ok(total / (ids.len() - 1) as f64)
}

/// The `k` most likely next tokens after position `i`, most likely first
/// (ties by lower id).
pub fn top_k(out: &GptOutput, i: usize, k: usize) -> Result<Vec<Prediction>, AttnError> {
    let probs = probabilities(out.logits_row(i)?);
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (
            probs.get(a).copied().unwrap_or(0.0),
            probs.get(b).copied().unwrap_or(0.0),
        );
        pb.total_cmp(&pa).then(a.cmp(&b))
    });
    Ok(order
        .into_iter()
        .take(k)
        .map(|token| Prediction {
            token,
            prob: probs.get(token).copied().unwrap_or(0.0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpt::fixture;

    fn model(name: &str) -> Gpt2 {
        let config = String::from_utf8(fixture(&format!("{name}/config.json"))).unwrap();
        Gpt2::from_files(
            &config,
            &fixture(&format!("{name}/model.safetensors")),
            1 << 30,
        )
        .unwrap()
    }

    fn reference(name: &str) -> Value {
        serde_json::from_slice(&fixture(&format!("{name}.json"))).unwrap()
    }

    fn ids_of(v: &Value) -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    }

    fn floats(v: &Value) -> Vec<f64> {
        match v {
            Value::Array(a) => a.iter().flat_map(floats).collect(),
            x => vec![x.as_f64().unwrap()],
        }
    }

    /// Max |ours - reference| over the logits, attentions and losses of
    /// every fixture text.
    fn max_errors(m: &Gpt2, r: &Value) -> (f64, f64, f64) {
        let (mut logit, mut attn, mut loss) = (0.0f64, 0.0f64, 0.0f64);
        for t in r["texts"].as_array().unwrap() {
            let ids = ids_of(&t["ids"]);
            let out = m.forward(&ids, None).unwrap();
            let want = floats(&t["logits"]);
            assert_eq!(want.len(), out.logits.len());
            for (a, b) in out.logits.iter().zip(&want) {
                logit = logit.max((f64::from(*a) - b).abs());
            }
            let want = floats(&t["attentions"]);
            let ours: Vec<f64> = out
                .attentions
                .iter()
                .flatten()
                .flat_map(|w| {
                    (0..w.nrows()).flat_map(move |i| (0..w.ncols()).map(move |j| w[(i, j)]))
                })
                .collect();
            assert_eq!(want.len(), ours.len());
            for (a, b) in ours.iter().zip(&want) {
                attn = attn.max((a - b).abs());
            }
            let l = next_token_loss(&out, &ids).unwrap();
            loss = loss.max((l - t["loss"].as_f64().unwrap()).abs());
            if let Some(abl) = t.get("ablated") {
                let (layer, head) = (
                    abl["layer"].as_u64().unwrap() as usize,
                    abl["head"].as_u64().unwrap() as usize,
                );
                let mut mask = vec![vec![1.0f32; m.config.n_head]; m.config.n_layer];
                mask[layer][head] = 0.0;
                let out_a = m.forward(&ids, Some(&mask)).unwrap();
                for (a, b) in out_a.logits.iter().zip(&floats(&abl["logits"])) {
                    logit = logit.max((f64::from(*a) - b).abs());
                }
                let la = next_token_loss(&out_a, &ids).unwrap();
                loss = loss.max((la - abl["loss"].as_f64().unwrap()).abs());
                // The ablation changed something the fixture can see.
                assert!((la - l).abs() > 1e-5, "ablation had no effect: {la} vs {l}");
                assert!(out_a.attentions[layer][head].iter().all(|&w| w == 0.0));
            }
        }
        (logit, attn, loss)
    }

    #[test]
    fn forward_matches_transformers_on_both_fixture_models() {
        for name in ["random", "trained"] {
            let m = model(name);
            assert!(m.lm_head.is_none(), "tied head expected");
            let (logit, attn, loss) = max_errors(&m, &reference(name));
            eprintln!("{name}: max |logit err| {logit:.2e}, |attention err| {attn:.2e}, |loss err| {loss:.2e}");
            assert!(logit < 1e-4, "{name}: logits off by {logit}");
            assert!(attn < 1e-4, "{name}: attention off by {attn}");
            assert!(loss < 1e-4, "{name}: loss off by {loss}");
        }
    }

    /// Runs `run` to the end, checking the part count as it goes.
    fn run_parts(m: &Gpt2, mut run: ForwardRun) -> GptOutput {
        let parts = run.parts();
        let mut calls = 0;
        loop {
            assert_eq!(run.parts_done(), calls);
            calls += 1;
            assert!(calls <= parts, "more parts than the {parts} planned");
            if m.forward_part(&mut run).unwrap() {
                break;
            }
        }
        assert_eq!((calls, run.parts_done()), (parts, parts));
        // A finished run stays finished.
        assert!(m.forward_part(&mut run).unwrap());
        run.into_output()
    }

    #[test]
    fn a_forward_pass_in_parts_is_the_whole_pass_to_the_bit() {
        let m = model("trained");
        let ids = ids_of(&reference("trained")["texts"][0]["ids"]);
        let n = ids.len();
        let mut mask = vec![vec![1.0f32; m.config.n_head]; m.config.n_layer];
        mask[0][1] = 0.0;
        mask[1][0] = 0.5;
        for mask in [None, Some(mask.as_slice())] {
            // Each step over every row at once (how the pass was written
            // before it was cut into parts; the fixture test checks it
            // against transformers).
            let whole = run_parts(&m, m.begin_forward_sized(&ids, mask, true, 1e12).unwrap());
            assert_eq!(m.forward(&ids, mask).unwrap(), whole);
            // Parts of every size, from a row (and one vocabulary entry) at
            // a time to a whole step at once.
            for madds in [1.0, 5e3, 1e5, 1e12] {
                let run = m.begin_forward_sized(&ids, mask, true, madds).unwrap();
                let p = run.plan;
                if madds == 1.0 {
                    assert_eq!(
                        (p.qkv, p.attend, p.proj, p.mlp, p.logit_tokens),
                        (1, 1, 1, 1, 1)
                    );
                    let per_block = n * (3 + m.config.n_head);
                    let out_parts = n.div_ceil(LOGIT_ROWS) * m.config.vocab_size;
                    assert_eq!(run.parts(), m.config.n_layer * per_block + out_parts);
                }
                if madds == 1e12 {
                    assert_eq!(
                        run.parts(),
                        m.config.n_layer * (3 + m.config.n_head) + n.div_ceil(LOGIT_ROWS)
                    );
                }
                assert_eq!(run_parts(&m, run), whole, "parts of {madds} multiply-adds");
                // Without the output head: the same attentions, no logits.
                let run = m.begin_forward_sized(&ids, mask, false, madds).unwrap();
                let out = run_parts(&m, run);
                assert!(out.logits.is_empty());
                assert_eq!(out.attentions, whole.attentions);
            }
        }
        // The blocks' attentions appear as each block ends.
        let mut run = m.begin_forward_sized(&ids, None, false, 1.0).unwrap();
        let mut seen = vec![0];
        while !m.forward_part(&mut run).unwrap() {
            if seen.last() != Some(&run.attentions().len()) {
                seen.push(run.attentions().len());
            }
        }
        assert_eq!(seen, (0..m.config.n_layer).collect::<Vec<_>>());
        assert_eq!(run.attentions().len(), m.config.n_layer);
        // A run that does not fit the model is refused, not run.
        let mut run = m.begin_forward(&ids, None, true).unwrap();
        run.vocab += 1;
        assert!(m.forward_part(&mut run).is_err());
        let mut short = m.clone();
        short.blocks.pop();
        let mut run = m.begin_forward(&ids, None, true).unwrap();
        assert!(short.forward_part(&mut run).is_err());
    }

    #[test]
    fn a_part_of_gpt2_small_is_a_few_million_multiply_adds() {
        let c = GptConfig {
            vocab_size: 50257,
            n_positions: 1024,
            n_embd: 768,
            n_layer: 12,
            n_head: 12,
            n_inner: 3072,
            layer_norm_epsilon: 1e-5,
            scale_attn_weights: true,
        };
        let p = Plan::new(&c, 256, true, PART_MADDS);
        // A row of the QKV projection is 1.8 million multiply-adds, of the
        // MLP 4.7 million: two rows and one a part.
        assert_eq!((p.qkv, p.proj, p.mlp), (2, 6, 1));
        // A query row of one head at 256 tokens: at most 33 thousand.
        assert_eq!(p.attend, 122);
        // Eight output rows against 651 embeddings (4.0 million).
        assert_eq!((p.logit_rows, p.logit_tokens), (8, 651));
        let cost = |rows: usize, per_row: f64| rows as f64 * per_row;
        for (rows, per_row) in [
            (p.qkv, 3.0 * 768.0 * 768.0),
            (p.proj, 768.0 * 768.0),
            (p.logit_tokens, 8.0 * 768.0),
        ] {
            assert!(cost(rows, per_row) <= PART_MADDS, "{rows} x {per_row}");
        }
        assert_eq!(
            p.block_parts(256) * 12 + p.logit_parts(256, 50257),
            12 * (128 + 12 * 3 + 43 + 256) + 32 * 78
        );
    }

    #[test]
    fn export_loads_back_and_names_without_prefix_load_too() {
        let m = model("trained");
        let bytes = m.to_safetensors().unwrap();
        let back = Gpt2::from_files(&m.config.to_json(), &bytes, 1 << 30).unwrap();
        assert_eq!(back, m);
        // The fixture's 320 tokens have no <|endoftext|>; GPT-2's 50257 do.
        let json: serde_json::Value = serde_json::from_str(&m.config.to_json()).unwrap();
        assert!(json["bos_token_id"].is_null() && json["eos_token_id"].is_null());
        let full = GptConfig {
            vocab_size: 50257,
            ..m.config.clone()
        };
        let json: serde_json::Value = serde_json::from_str(&full.to_json()).unwrap();
        assert_eq!(
            (json["bos_token_id"].as_u64(), json["eos_token_id"].as_u64()),
            (Some(50256), Some(50256))
        );
        // Strip the `transformer.` prefix and add an untied lm_head.
        let named = m.named_tensors();
        let head: Vec<f32> = m.wte.iter().map(|x| x * 2.0).collect();
        let mut refs: Vec<(&str, &[usize], &[f32])> = named
            .iter()
            .map(|(n, s, d)| {
                (
                    n.strip_prefix("transformer.").unwrap_or(n),
                    s.as_slice(),
                    *d,
                )
            })
            .collect();
        let head_shape = [m.config.vocab_size, m.config.n_embd];
        refs.push(("lm_head.weight", &head_shape, &head));
        let bytes = write_f32(&refs, &BTreeMap::new()).unwrap();
        let st = SafeTensors::parse(&bytes, 1 << 30).unwrap();
        let untied = Gpt2::load(m.config.clone(), &st).unwrap();
        assert_eq!(untied.lm_head.as_deref(), Some(head.as_slice()));
        let ids = [5, 6, 7];
        let a = m.forward(&ids, None).unwrap();
        let b = untied.forward(&ids, None).unwrap();
        assert_eq!(a.attentions, b.attentions);
        // Doubling the output head doubles the logits.
        for (x, y) in a.logits.iter().zip(&b.logits) {
            assert!((2.0 * x - y).abs() < 1e-4);
        }
    }

    #[test]
    fn rejects_other_architectures_missing_tensors_and_bad_shapes() {
        let cfg = String::from_utf8(fixture("random/config.json")).unwrap();
        let bert = cfg.replace("\"gpt2\"", "\"bert\"");
        assert!(GptConfig::from_json(&bert)
            .unwrap_err()
            .to_string()
            .contains("bert is not supported"));
        let arch = cfg.replace("GPT2LMHeadModel", "LlamaForCausalLM");
        assert!(GptConfig::from_json(&arch)
            .unwrap_err()
            .to_string()
            .contains("LlamaForCausalLM"));
        let act = cfg.replace("gelu_new", "relu");
        assert!(GptConfig::from_json(&act)
            .unwrap_err()
            .to_string()
            .contains("relu"));
        let heads = cfg.replace("\"n_head\": 4", "\"n_head\": 5");
        assert!(GptConfig::from_json(&heads)
            .unwrap_err()
            .to_string()
            .contains("multiple of n_head"));
        assert!(GptConfig::from_json("{}")
            .unwrap_err()
            .to_string()
            .contains("config.n_embd: missing"));
        assert!(GptConfig::from_json("nope").is_err());

        let m = model("random");
        let named = m.named_tensors();
        let without: Vec<(&str, &[usize], &[f32])> = named
            .iter()
            .filter(|(n, _, _)| n != "transformer.h.1.mlp.c_fc.bias")
            .map(|(n, s, d)| (n.as_str(), s.as_slice(), *d))
            .collect();
        let bytes = write_f32(&without, &BTreeMap::new()).unwrap();
        let e = Gpt2::from_files(&cfg, &bytes, 1 << 30)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("h.1.mlp.c_fc.bias: tensor missing"), "{e}");
        let bigger = cfg.replace("\"n_positions\": 64", "\"n_positions\": 65");
        let e = Gpt2::from_files(&bigger, &fixture("random/model.safetensors"), 1 << 30)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("transformer.wpe.weight: expected [65, 32], got [64, 32]"),
            "{e}"
        );
        let e = Gpt2::from_files(&cfg, &fixture("random/model.safetensors"), 1000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("over the limit"), "{e}");
    }

    #[test]
    fn forward_rejects_bad_ids_and_masks_and_reports_predictions() {
        let m = model("trained");
        assert!(m.forward(&[], None).is_err());
        assert!(m
            .forward(&vec![1; 65], None)
            .unwrap_err()
            .to_string()
            .contains("1 to 64"));
        assert!(m
            .forward(&[1, 320], None)
            .unwrap_err()
            .to_string()
            .contains("ids[1]"));
        let bad = vec![vec![1.0f32; 3]; 2];
        assert!(m
            .forward(&[1, 2], Some(&bad))
            .unwrap_err()
            .to_string()
            .contains("head_mask"));
        let out = m.forward(&[1, 2, 3], None).unwrap();
        assert!(next_token_loss(&out, &[1]).is_err());
        let top = top_k(&out, 2, 5).unwrap();
        assert_eq!(top.len(), 5);
        assert!(top.windows(2).all(|w| w[0].prob >= w[1].prob));
        let probs = probabilities(out.logits_row(2).unwrap());
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let best = probs.iter().cloned().fold(0.0, f64::max);
        assert_eq!(top[0].prob, best);
        assert!(out.logits_row(3).is_err());
        // Causal: a later token never changes earlier rows.
        let longer = m.forward(&[1, 2, 3, 4], None).unwrap();
        assert_eq!(&longer.logits[..3 * 320], &out.logits[..]);
        assert_eq!(
            m.parameter_count(),
            320 * 32 + 64 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 2 * 32
        );
    }

    proptest::proptest! {
        #[test]
        fn any_config_text_never_panics(junk in proptest::prelude::any::<String>(), n in 0u64..5, e in 0u64..9) {
            let _ = GptConfig::from_json(&junk);
            let cfg = format!(r#"{{"n_layer":{n},"n_head":{n},"n_embd":{e},"n_positions":4,"vocab_size":3}}"#);
            if let Ok(c) = GptConfig::from_json(&cfg) {
                proptest::prop_assert!(c.n_embd % c.n_head == 0);
            }
        }
    }
}
