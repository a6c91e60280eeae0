//! The translator of the bottleneck and alignment chapters: a transformer
//! encoder-decoder whose decoder reads the source either through attention
//! over every encoder state, or through one fixed-size context vector (the
//! bottleneck). Everything else is the same.
//!
//! Shapes (rows are positions): source ids `m` give `x_src` and the encoder
//! output `enc` of `m x d_model`. The memory the decoder reads is `enc`
//! ([`Memory::Attention`]) or one row `expand(squeeze(mean(enc)))`, `1 x
//! d_model`, through a `context`-wide vector ([`Memory::Bottleneck`]). The
//! decoder input is `[BOS, t_1 .. t_n]` (`(n + 1) x d_model`) and its logits,
//! `(n + 1) x tgt_vocab`, predict `[t_1 .. t_n, EOS]`. Sinusoidal positions
//! are added on both sides. Cross-attention maps are `(n + 1) x m` per head.
//!
//! For a page that spreads work over animation frames, [`Seq2SeqStep`] is
//! a training step a pair at a time (then the update) and [`Translation`]
//! greedy decoding a word at a time (the encoder runs once per sentence);
//! [`Seq2Seq::train_step`] and [`Seq2Seq::translate`] are exactly these
//! parts run to the end.

use super::{
    check_shape, softmax_cross_entropy, DecoderCache, DecoderLayer, Embedding, EmbeddingCache,
    EncoderCache, EncoderLayer, Linear, LinearCache, Module, Optimizer, Param, StepStats,
};
use crate::{sinusoidal, AttnError, Mask, Mat, Rng};

/// How the decoder sees the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// Cross-attention over every encoder state.
    Attention,
    /// One context vector of this width, made from the mean of the encoder
    /// states.
    Bottleneck { context: usize },
}

/// Sizes of a [`Seq2Seq`].
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqConfig {
    pub memory: Memory,
    /// Source ids are `0..src_vocab`.
    pub src_vocab: usize,
    /// Target ids are `0..tgt_vocab`, including [`BOS`] and [`EOS`].
    pub tgt_vocab: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_hidden: usize,
    pub enc_layers: usize,
    pub dec_layers: usize,
    pub seed: u64,
}

/// Target id that starts decoding.
pub const BOS: usize = 0;
/// Target id that ends a translation.
pub const EOS: usize = 1;

/// The model.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2Seq {
    pub cfg: Seq2SeqConfig,
    pub src_embed: Embedding,
    pub tgt_embed: Embedding,
    pub encoder: Vec<EncoderLayer>,
    /// Bottleneck only: `d_model -> context` and `context -> d_model`.
    pub squeeze: Option<(Linear, Linear)>,
    pub decoder: Vec<DecoderLayer>,
    pub readout: Linear,
}

/// What [`Seq2Seq::encode`] computed: the memory and the encoder's caches.
#[derive(Clone, Debug, PartialEq)]
struct Encoded {
    memory: Mat,
    src_embed: EmbeddingCache,
    encoder: Vec<EncoderCache>,
    m: usize,
    context: Option<Mat>,
    squeeze: Option<(LinearCache, LinearCache)>,
}

/// What [`Seq2Seq::decode`] computed.
#[derive(Clone, Debug, PartialEq)]
struct Decoded {
    tgt_embed: EmbeddingCache,
    decoder: Vec<DecoderCache>,
    readout: LinearCache,
}

impl Encoded {
    /// The whole forward pass's cache.
    fn into_cache(self, d: Decoded) -> Seq2SeqCache {
        Seq2SeqCache {
            src_embed: self.src_embed,
            tgt_embed: d.tgt_embed,
            encoder: self.encoder,
            m: self.m,
            context: self.context,
            squeeze: self.squeeze,
            decoder: d.decoder,
            readout: d.readout,
        }
    }
}

/// Everything the forward pass computed (and backward needs).
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqCache {
    src_embed: EmbeddingCache,
    tgt_embed: EmbeddingCache,
    pub encoder: Vec<EncoderCache>,
    /// Source positions (rows of `enc`).
    pub m: usize,
    /// The bottleneck's context vector, `1 x context`, when there is one.
    pub context: Option<Mat>,
    squeeze: Option<(LinearCache, LinearCache)>,
    /// Per decoder layer; `cross_attn.weights` are the `(n + 1) x m` maps
    /// (`(n + 1) x 1` for the bottleneck).
    pub decoder: Vec<DecoderCache>,
    readout: LinearCache,
}

impl Seq2Seq {
    /// Err on zero sizes, a head count that does not divide `d_model`, a
    /// target vocabulary without room for BOS and EOS, or a zero context.
    pub fn new(cfg: Seq2SeqConfig) -> Result<Self, AttnError> {
        for (n, v) in [
            ("src_vocab", cfg.src_vocab),
            ("enc_layers", cfg.enc_layers),
            ("dec_layers", cfg.dec_layers),
        ] {
            super::nonzero(n, v)?;
        }
        if cfg.tgt_vocab < 3 {
            return Err(AttnError::value(
                "tgt_vocab",
                format!("needs BOS, EOS and a word (>= 3), got {}", cfg.tgt_vocab),
            ));
        }
        let mut rng = Rng::new(cfg.seed);
        let std = 0.5f64.sqrt();
        let src_embed = Embedding::new(cfg.src_vocab, cfg.d_model, std, &mut rng)?;
        let tgt_embed = Embedding::new(cfg.tgt_vocab, cfg.d_model, std, &mut rng)?;
        let encoder = (0..cfg.enc_layers)
            .map(|_| {
                EncoderLayer::new(
                    cfg.d_model,
                    cfg.n_heads,
                    cfg.d_hidden,
                    true,
                    Mask::None,
                    &mut rng,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let decoder = (0..cfg.dec_layers)
            .map(|_| DecoderLayer::new(cfg.d_model, cfg.n_heads, cfg.d_hidden, true, &mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        let readout = Linear::new(cfg.d_model, cfg.tgt_vocab, &mut rng)?;
        let squeeze = match cfg.memory {
            Memory::Attention => None,
            Memory::Bottleneck { context } => {
                super::nonzero("context", context)?;
                Some((
                    Linear::new(cfg.d_model, context, &mut rng)?,
                    Linear::new(context, cfg.d_model, &mut rng)?,
                ))
            }
        };
        Ok(Seq2Seq {
            cfg,
            src_embed,
            tgt_embed,
            encoder,
            squeeze,
            decoder,
            readout,
        })
    }

    /// Teacher-forced forward pass: `src` ids (`m >= 1`) and the decoder
    /// input ids `dec_in` (`[BOS, t_1 .. t_n]`). Returns logits
    /// (`(n + 1) x tgt_vocab`) and the cache.
    pub fn forward(
        &self,
        src: &[usize],
        dec_in: &[usize],
    ) -> Result<(Mat, Seq2SeqCache), AttnError> {
        let enc = self.encode(src)?;
        let (logits, dec) = self.decode(&enc, dec_in)?;
        Ok((logits, enc.into_cache(dec)))
    }

    /// The encoder side of [`Seq2Seq::forward`]: the memory the decoder
    /// reads (`m x d_model`, or `1 x d_model` for the bottleneck).
    fn encode(&self, src: &[usize]) -> Result<Encoded, AttnError> {
        let (mut x, src_embed) = self.src_embed.forward(src)?;
        let m = x.nrows();
        x += sinusoidal(m, self.cfg.d_model);
        let mut encoder = Vec::with_capacity(self.encoder.len());
        for layer in &self.encoder {
            let (y, c) = layer.forward(&x)?;
            x = y;
            encoder.push(c);
        }
        let (memory, context, squeeze) = match &self.squeeze {
            None => (x, None, None),
            Some((down, up)) => {
                let mean = Mat::from_fn(1, x.ncols(), |_, j| x.column(j).mean());
                let (ctx, c1) = down.forward(&mean)?;
                let (mem, c2) = up.forward(&ctx)?;
                (mem, Some(ctx), Some((c1, c2)))
            }
        };
        Ok(Encoded {
            memory,
            src_embed,
            encoder,
            m,
            context,
            squeeze,
        })
    }

    /// The decoder side of [`Seq2Seq::forward`] on an encoded source.
    fn decode(&self, enc: &Encoded, dec_in: &[usize]) -> Result<(Mat, Decoded), AttnError> {
        let (mut h, tgt_embed) = self.tgt_embed.forward(dec_in)?;
        h += sinusoidal(h.nrows(), self.cfg.d_model);
        let mut decoder = Vec::with_capacity(self.decoder.len());
        for layer in &self.decoder {
            let (y, c) = layer.forward(&h, &enc.memory)?;
            h = y;
            decoder.push(c);
        }
        let (logits, readout) = self.readout.forward(&h)?;
        Ok((
            logits,
            Decoded {
                tgt_embed,
                decoder,
                readout,
            },
        ))
    }

    /// Backward from `d_logits` (`(n + 1) x tgt_vocab`); adds all gradients.
    pub fn backward(&mut self, cache: &Seq2SeqCache, d_logits: &Mat) -> Result<(), AttnError> {
        let mut d_h = self.readout.backward(&cache.readout, d_logits)?;
        let mut d_memory: Option<Mat> = None;
        for (layer, c) in self.decoder.iter_mut().zip(&cache.decoder).rev() {
            let g = layer.backward(c, &d_h)?;
            d_h = g.d_x;
            d_memory = Some(match d_memory {
                Some(d) => d + g.d_enc,
                None => g.d_enc,
            });
        }
        self.tgt_embed.backward(&cache.tgt_embed, &d_h)?;
        let d_memory = d_memory.unwrap_or_else(|| Mat::zeros(1, self.cfg.d_model));
        let mut d_x = match (&mut self.squeeze, &cache.squeeze) {
            (Some((down, up)), Some((c1, c2))) => {
                let d_ctx = up.backward(c2, &d_memory)?;
                let d_mean = down.backward(c1, &d_ctx)?;
                check_shape("seq2seq.d_mean", &d_mean, 1, self.cfg.d_model)?;
                // The mean spreads its gradient equally over the m rows.
                let row = d_mean / cache.m as f64;
                let mut d_x = Mat::zeros(cache.m, self.cfg.d_model);
                for mut r in d_x.row_iter_mut() {
                    r.copy_from(&row);
                }
                d_x
            }
            _ => d_memory,
        };
        for (layer, c) in self.encoder.iter_mut().zip(&cache.encoder).rev() {
            d_x = layer.backward(c, &d_x)?;
        }
        self.src_embed.backward(&cache.src_embed, &d_x)
    }

    /// One optimizer step on a batch of `(source ids, target ids)` pairs
    /// (targets without BOS/EOS); the loss is the mean cross-entropy per
    /// predicted token (every target word and the final EOS).
    /// [`Seq2SeqStep`] does the same in parts.
    pub fn train_step(
        &mut self,
        batch: &[(Vec<usize>, Vec<usize>)],
        opt: &mut dyn Optimizer,
    ) -> Result<StepStats, AttnError> {
        let mut step = Seq2SeqStep::new(batch.to_vec())?;
        loop {
            if let Some(stats) = step.part(self, opt)? {
                return Ok(stats);
            }
        }
    }

    /// Forward and backward of one pair of a batch of `total` predicted
    /// tokens (gradients added); returns its summed loss and the count
    /// right.
    fn pair_pass(
        &mut self,
        (src, tgt): &(Vec<usize>, Vec<usize>),
        total: usize,
    ) -> Result<(f64, usize), AttnError> {
        let (dec_in, dec_out) = teacher_forcing(tgt);
        let (logits, cache) = self.forward(src, &dec_in)?;
        let ce = softmax_cross_entropy(&logits, &dec_out)?;
        let k = dec_out.len() as f64;
        // ce.d_logits is for the mean over this pair's rows.
        self.backward(&cache, &(ce.d_logits * (k / total as f64)))?;
        Ok((ce.loss * k, ce.correct))
    }

    /// Greedy decoding of `src`, at most `max_len` words (EOS ends it).
    /// Returns the target ids (without BOS/EOS) and the cache of the final
    /// forward pass, whose cross-attention rows belong to the produced words
    /// (row `i` is the attention while producing word `i`).
    /// [`Translation`] does the same a word at a time.
    pub fn translate(
        &self,
        src: &[usize],
        max_len: usize,
    ) -> Result<(Vec<usize>, Seq2SeqCache), AttnError> {
        let mut t = Translation::new(src, max_len);
        loop {
            if let Some(done) = t.part(self)? {
                return Ok(done);
            }
        }
    }
}

/// [`Seq2Seq::train_step`] in parts, so a page can spread a step over
/// animation frames: one pair's forward and backward pass per part (the
/// gradients add up), then the optimizer step as a part of its own. The
/// whole step is exactly these parts, in this order.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqStep {
    batch: Vec<(Vec<usize>, Vec<usize>)>,
    /// Predicted tokens of the batch.
    total: usize,
    /// Pairs done.
    next: usize,
    loss: f64,
    right: usize,
    /// Set once the update is done.
    done: Option<StepStats>,
}

impl Seq2SeqStep {
    /// A step on `batch` (see [`Seq2Seq::train_step`]). Err on an empty
    /// batch.
    pub fn new(batch: Vec<(Vec<usize>, Vec<usize>)>) -> Result<Self, AttnError> {
        if batch.is_empty() {
            return Err(AttnError::value("batch", "must hold at least one pair"));
        }
        Ok(Seq2SeqStep {
            total: batch.iter().map(|(_, t)| t.len() + 1).sum(),
            batch,
            next: 0,
            loss: 0.0,
            right: 0,
            done: None,
        })
    }

    /// Parts in all: one per pair, and the update.
    pub fn parts(&self) -> usize {
        self.batch.len() + 1
    }

    /// Does the next part on `model` (the model must not change between
    /// parts except through them). Returns the step's loss and accuracy
    /// (before the update) once the update is done; later calls return
    /// them again and do nothing.
    pub fn part(
        &mut self,
        model: &mut Seq2Seq,
        opt: &mut dyn Optimizer,
    ) -> Result<Option<StepStats>, AttnError> {
        if self.done.is_some() {
            return Ok(self.done);
        }
        if self.next == 0 {
            model.zero_grad();
        }
        match self.batch.get(self.next) {
            Some(pair) => {
                let (loss, right) = model.pair_pass(pair, self.total)?;
                self.loss += loss;
                self.right += right;
                self.next += 1;
            }
            None => {
                opt.step(model.params_mut())?;
                let total = self.total as f64;
                self.done = Some(StepStats {
                    loss: self.loss / total,
                    accuracy: self.right as f64 / total,
                });
            }
        }
        Ok(self.done)
    }
}

/// [`Seq2Seq::translate`] a word at a time: the first part encodes the
/// source, each further part runs the decoder once and picks the next word.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation {
    src: Vec<usize>,
    max_len: usize,
    encoded: Option<Encoded>,
    out: Vec<usize>,
}

impl Translation {
    /// A greedy translation of `src`, at most `max_len` words.
    pub fn new(src: &[usize], max_len: usize) -> Self {
        Translation {
            src: src.to_vec(),
            max_len,
            encoded: None,
            out: Vec::new(),
        }
    }

    /// Does the next part with `model` (the same model at every call).
    /// Returns what [`Seq2Seq::translate`] returns once EOS (or `max_len`
    /// words) ends the translation.
    pub fn part(
        &mut self,
        model: &Seq2Seq,
    ) -> Result<Option<(Vec<usize>, Seq2SeqCache)>, AttnError> {
        let Some(enc) = &self.encoded else {
            self.encoded = Some(model.encode(&self.src)?);
            return Ok(None);
        };
        let mut dec_in = vec![BOS];
        dec_in.extend(&self.out);
        let (logits, dec) = model.decode(enc, &dec_in)?;
        let last: Vec<f64> = logits.row(logits.nrows() - 1).iter().copied().collect();
        let next = super::classifier::argmax(&last);
        if next == EOS || self.out.len() >= self.max_len {
            let cache = enc.clone().into_cache(dec);
            return Ok(Some((std::mem::take(&mut self.out), cache)));
        }
        self.out.push(next);
        Ok(None)
    }
}

/// `[BOS, t..]` and `[t.., EOS]` for target ids `t`.
pub fn teacher_forcing(tgt: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut dec_in = vec![BOS];
    dec_in.extend(tgt);
    let mut dec_out = tgt.to_vec();
    dec_out.push(EOS);
    (dec_in, dec_out)
}

/// The cross-attention of decoder layer `layer` averaged over its heads,
/// `rows x m` (rows: decoder positions). Err if the layer does not exist.
pub fn mean_cross_attention(cache: &Seq2SeqCache, layer: usize) -> Result<Mat, AttnError> {
    let c = cache
        .decoder
        .get(layer)
        .ok_or_else(|| AttnError::value("layer", format!("{layer} is out of range")))?;
    let w = &c.cross_attn.weights;
    let first = w
        .first()
        .ok_or_else(|| AttnError::value("heads", "the layer has no heads"))?;
    let mut sum = Mat::zeros(first.nrows(), first.ncols());
    for h in w {
        sum += h;
    }
    Ok(sum / w.len() as f64)
}

/// Hard alignment: for each of the first `n` rows of `attn` (target words),
/// the column (source word) with the largest weight, as `(target, source)`.
pub fn hard_alignment(attn: &Mat, n: usize) -> Vec<(usize, usize)> {
    (0..n.min(attn.nrows()))
        .map(|t| {
            let row: Vec<f64> = attn.row(t).iter().copied().collect();
            (t, super::classifier::argmax(&row))
        })
        .collect()
}

impl Module for Seq2Seq {
    fn params(&self) -> Vec<&Param> {
        let mut v = self.src_embed.params();
        v.extend(self.tgt_embed.params());
        v.extend(self.encoder.iter().flat_map(|l| l.params()));
        if let Some((a, b)) = &self.squeeze {
            v.extend(a.params());
            v.extend(b.params());
        }
        v.extend(self.decoder.iter().flat_map(|l| l.params()));
        v.extend(self.readout.params());
        v
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut v = self.src_embed.params_mut();
        v.extend(self.tgt_embed.params_mut());
        v.extend(self.encoder.iter_mut().flat_map(|l| l.params_mut()));
        if let Some((a, b)) = &mut self.squeeze {
            v.extend(a.params_mut());
            v.extend(b.params_mut());
        }
        v.extend(self.decoder.iter_mut().flat_map(|l| l.params_mut()));
        v.extend(self.readout.params_mut());
        v
    }
}

const MAGIC: &[u8; 4] = b"ATS2";
const VERSION: u32 = 1;
/// Bytes before the weights: magic, 10 `u32` fields, the seed.
const HEADER: usize = 4 + 4 * 10 + 8;

impl Seq2Seq {
    /// Rounds every parameter to the nearest `f32` (what the file stores).
    pub fn round_to_f32(&mut self) {
        for p in self.params_mut() {
            p.value.apply(|v| *v = *v as f32 as f64);
        }
    }

    /// The model file: `ATS2`, version, memory (0 attention, else the
    /// context width), the vocabularies and sizes (`u32` each), the seed
    /// (`u64`), then every parameter as `f32`, all little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let c = &self.cfg;
        let mut out = Vec::with_capacity(HEADER + 4 * self.num_params());
        out.extend_from_slice(MAGIC);
        let memory = match c.memory {
            Memory::Attention => 0,
            Memory::Bottleneck { context } => context,
        };
        for v in [
            VERSION as usize,
            memory,
            c.src_vocab,
            c.tgt_vocab,
            c.d_model,
            c.n_heads,
            c.d_hidden,
            c.enc_layers,
            c.dec_layers,
            0,
        ] {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
        out.extend_from_slice(&c.seed.to_le_bytes());
        super::param::write_f32_params(self, &mut out);
        out
    }

    /// Reads [`Seq2Seq::to_bytes`]. Err (field `file`) on a wrong magic or
    /// version, implausible sizes, a wrong length or a non-finite weight.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttnError> {
        let bad = |m: String| AttnError::value("file", m);
        if bytes.len() < HEADER || !bytes.starts_with(MAGIC) {
            return Err(bad("not an Attention Lab translator file".into()));
        }
        // Header field i is the u32 at byte 4 + 4 i; the tenth is unused.
        let mut fields = [0usize; 9];
        for (i, f) in fields.iter_mut().enumerate() {
            *f = super::param::u32_at(bytes, 4 + 4 * i)? as usize;
        }
        let [version, memory, src_vocab, tgt_vocab, d_model, n_heads, d_hidden, enc_layers, dec_layers] =
            fields;
        if version != VERSION as usize {
            return Err(bad(format!("version {version} (this app reads {VERSION})")));
        }
        if let Some((i, v)) = fields.iter().enumerate().skip(1).find(|(_, &v)| v > 4096) {
            return Err(bad(format!("size field {i} is {v}, at most 4096")));
        }
        if enc_layers > 8 || dec_layers > 8 {
            return Err(bad("more than 8 layers".into()));
        }
        let seed = super::param::bytes_at::<8>(bytes, HEADER - 8)?;
        let mut model = Seq2Seq::new(Seq2SeqConfig {
            memory: match memory {
                0 => Memory::Attention,
                c => Memory::Bottleneck { context: c },
            },
            src_vocab,
            tgt_vocab,
            d_model,
            n_heads,
            d_hidden,
            enc_layers,
            dec_layers,
            seed: u64::from_le_bytes(seed),
        })?;
        super::param::read_f32_params(&mut model, bytes, HEADER)?;
        Ok(model)
    }
}
