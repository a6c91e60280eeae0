//! The inspector of a loaded GPT-2-shaped model: what the lab shows of any
//! model, a checkpoint opened from disk (section 2) or the tiny model
//! trained in the page (section 1, through `TinyGpt::to_gpt2`).
//!
//! # API
//!
//! * [`Loaded`]: a [`Gpt2`] and its [`Vocab`] (GPT-2's byte-level [`Bpe`]
//!   or a character vocabulary, [`CharVocab`]), checked against each other
//!   by [`Loaded::new`].
//! * [`InspectState`] is what the learner chose (text, layer, head, query
//!   position, heads off, seed of the head measurement); [`Edit`] is one
//!   change to it, applied by [`InspectState::apply`]. The caller keeps the
//!   state (the checkpoint section keeps it in the URL, `state.rs`).
//! * [`Inspector`] is the component: `model` (the model, once there),
//!   `state` and `on_edit`, plus `prefix`, which prefixes its element ids
//!   and test ids so two inspectors can share a page. It shows the token
//!   chips (the query picker), the layer and head pickers, the attention as
//!   a matrix (the heatmap widget, with its numbers table) and as lines
//!   from the query to the keys it weighs most, the loss of the text and
//!   the top-[`TOP_K`] next tokens at the query with and without the heads
//!   switched off, and a table of every head's scores and label with a
//!   switch per head (a page of 32 at a time for a model of more heads,
//!   GPT-2 small's 144: the page of the head on the map).
//! * The view-model functions behind it are plain and tested natively:
//!   [`tokenize`] (capped at [`MAX_TOKENS`]), [`clamp`], [`head_mask`],
//!   [`run`] (a whole pass; [`ForwardJob`] is the same a part at a time), [`attention_map`], [`line_view`], [`predictions`],
//!   [`measure_heads`] (induction and the other scores of `gpt::heads` on
//!   [`INDUCTION_SEQUENCES`] repeated random blocks from an explicit seed).
//!
//! Data flow: model + text -> `Memo` of tokens -> the forward pass with
//! every head on and, once it is done, the one with the learner's heads off
//! ([`ForwardJob`]s: the shared runner takes a large model's pass a few
//! million multiply-adds at a time; a small model's is done at once) -> memos of the map, the
//! lines, the predictions; model + seed -> the head scores ([`HeadMeasure`],
//! the shared runner too).

use crate::charts::heatmap::{weights, HeatmapData};
use crate::charts::lines::{draw_line_diagram, line_diagram_size, LineDiagram};
use crate::training::{Job, Runner};
use crate::widgets::chart::{draw_from, Chart, Drawing};
use crate::widgets::heatmap::{empty_heatmap, Axes, Heatmap};
use crate::widgets::notes::Notes;
use crate::widgets::pager::{follow_selection, page_of, Pager};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::gpt::bpe::Bpe;
use attention_core::gpt::heads::{induction_sequence, mean_over_probes, score_heads, HeadScores};
use attention_core::gpt::model::{next_token_loss, top_k, ForwardRun, Gpt2, GptConfig, GptOutput};
use attention_core::gpt::train::CharVocab;
use leptos::prelude::*;
use std::sync::Arc;

/// Most tokens the inspector runs (the attention of every head is kept:
/// 12 x 12 heads of 256 x 256 is 75 MB).
pub const MAX_TOKENS: usize = 256;
/// Next-token predictions shown.
pub const TOP_K: usize = 5;
/// Keys drawn in the line view (the query's heaviest).
pub const LINE_KEYS: usize = 12;
/// Distinct random tokens in each block the heads are measured on (fewer
/// when the model's context or vocabulary is shorter).
pub const INDUCTION_BLOCK: usize = 24;
/// Repeated random sequences the head scores are averaged over: half with
/// blocks of [`INDUCTION_BLOCK`] tokens, half with blocks three quarters as
/// long (the induction score is the lower of the two lengths' means, as in
/// the lab's section 1: a head that always looks a fixed distance back
/// matches one length only).
pub const INDUCTION_SEQUENCES: usize = 4;

/// A model's tokenizer: GPT-2's byte-level BPE or a character vocabulary.
#[derive(Debug)]
pub enum Vocab {
    Bpe(Bpe),
    Chars(CharVocab),
}

impl Vocab {
    /// Number of token ids.
    pub fn size(&self) -> usize {
        match self {
            Vocab::Bpe(b) => b.vocab_size(),
            Vocab::Chars(c) => c.len(),
        }
    }

    /// Token ids of `text`, and a note when characters were skipped.
    pub fn encode(&self, text: &str) -> Result<(Vec<usize>, Option<String>), String> {
        match self {
            Vocab::Bpe(b) => b
                .encode(text)
                .map(|ids| (ids, None))
                .map_err(|e| format!("The tokenizer could not read this text: {e}")),
            Vocab::Chars(c) => {
                let (ids, skipped) = c.encode_lossy(text);
                let note = (skipped > 0).then(|| {
                    format!("{skipped} characters the model never saw in training were left out.")
                });
                Ok((ids, note))
            }
        }
    }

    /// How token `id` is shown: its text, a space as `␣`, a new line as `↵`.
    pub fn label(&self, id: usize) -> String {
        let text = match self {
            Vocab::Bpe(b) => b
                .token_bytes(id)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_else(|_| format!("#{id}")),
            Vocab::Chars(c) => c.decode(&[id]).unwrap_or_else(|_| format!("#{id}")),
        };
        let shown: String = text
            .chars()
            .map(|c| match c {
                ' ' => '␣',
                '\n' => '↵',
                '\t' => '⇥',
                c if c.is_control() => '·',
                c => c,
            })
            .collect();
        if shown.is_empty() {
            format!("#{id}")
        } else {
            shown
        }
    }
}

/// A model and its tokenizer, ready to inspect.
#[derive(Debug)]
pub struct Loaded {
    pub model: Arc<Gpt2>,
    pub vocab: Arc<Vocab>,
    /// What the page calls it ("model.safetensors, 2 layers × 4 heads").
    pub name: String,
}

impl Loaded {
    /// Checks that every token id of `vocab` has a row in the model.
    pub fn new(model: Arc<Gpt2>, vocab: Arc<Vocab>, name: String) -> Result<Loaded, String> {
        let (have, need) = (model.config.vocab_size, vocab.size());
        if need > have {
            return Err(format!(
                "The tokenizer has {need} tokens but the model only {have} (vocab_size in config.json): they do not belong together."
            ));
        }
        Ok(Loaded { model, vocab, name })
    }
}

/// Shares a value; equal only to itself (a memo of a model or a forward
/// pass never compares megabytes of numbers).
#[derive(Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What the learner chose.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct InspectState {
    pub text: String,
    /// 0-based layer and head shown.
    pub layer: usize,
    pub head: usize,
    /// 0-based query position; `None` is the last token.
    pub pos: Option<usize>,
    /// Heads switched off, `(layer, head)` 0-based, sorted, no repeats.
    pub off: Vec<(usize, usize)>,
    /// Seed of the repeated random sequences of [`measure_heads`].
    pub seed: u64,
}

/// One change the inspector asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// New text (the query goes back to the last token).
    Text(String),
    Layer(usize),
    Head(usize),
    Pos(usize),
    /// Switches one head off or on again.
    Toggle(usize, usize),
    /// Every head on.
    AllOn,
    Seed(u64),
}

impl InspectState {
    pub fn apply(&mut self, edit: Edit) {
        match edit {
            Edit::Text(t) => {
                self.text = t;
                self.pos = None;
            }
            Edit::Layer(l) => self.layer = l,
            Edit::Head(h) => self.head = h,
            Edit::Pos(p) => self.pos = Some(p),
            Edit::Toggle(l, h) => {
                if let Some(i) = self.off.iter().position(|&x| x == (l, h)) {
                    self.off.remove(i);
                } else {
                    crate::query::insert_sorted(&mut self.off, (l, h));
                }
            }
            Edit::AllOn => self.off.clear(),
            Edit::Seed(s) => self.seed = s,
        }
    }
}

/// The text as the model reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    pub ids: Vec<usize>,
    /// How each token is shown.
    pub labels: Vec<String>,
    /// Why the text was cut or characters dropped, if it was.
    pub note: Option<String>,
}

/// The tokens of `text`, at most [`MAX_TOKENS`] and the model's context
/// (the rest is cut, with a note); an error when nothing is left.
pub fn tokenize(m: &Loaded, text: &str) -> Result<Tokens, String> {
    let (mut ids, mut note) = m.vocab.encode(text)?;
    if ids.is_empty() {
        return Err("This text gives no tokens: type something for the model to read.".to_string());
    }
    let cap = MAX_TOKENS.min(m.model.config.n_positions);
    if ids.len() > cap {
        let why = if cap == MAX_TOKENS {
            format!("the lab runs at most {MAX_TOKENS}")
        } else {
            format!("this model reads at most {cap} (n_positions)")
        };
        note = Some(format!(
            "Your text is {} tokens and {why}: only the first {cap} are shown.",
            ids.len()
        ));
        ids.truncate(cap);
    }
    let labels = ids.iter().map(|&id| m.vocab.label(id)).collect();
    Ok(Tokens { ids, labels, note })
}

/// The layer, head and query position shown, within the model and the
/// text, with a note for each that had to move.
#[derive(Clone, Debug, PartialEq)]
pub struct Clamped {
    pub layer: usize,
    pub head: usize,
    pub pos: usize,
    pub notes: Vec<String>,
}

pub fn clamp(s: &InspectState, c: &GptConfig, n: usize) -> Clamped {
    let mut notes = Vec::new();
    let mut fit = |v: usize, count: usize, what: &str| {
        if v < count {
            v
        } else {
            notes.push(format!(
                "This model has {count} {what}s: showing {what} {count} instead of {}.",
                v + 1
            ));
            count.saturating_sub(1)
        }
    };
    let layer = fit(s.layer, c.n_layer, "layer");
    let head = fit(s.head, c.n_head, "head");
    let last = n.saturating_sub(1);
    let pos = match s.pos {
        Some(p) if p > last => {
            notes.push(format!(
                "The text has {n} tokens: the query is the last one instead of position {}.",
                p + 1
            ));
            last
        }
        Some(p) => p,
        None => last,
    };
    Clamped {
        layer,
        head,
        pos,
        notes,
    }
}

/// The heads of `off` that the model has.
pub fn heads_off(c: &GptConfig, off: &[(usize, usize)]) -> Vec<(usize, usize)> {
    off.iter()
        .copied()
        .filter(|&(l, h)| l < c.n_layer && h < c.n_head)
        .collect()
}

/// The head mask (`n_layer x n_head`, 0 for a head off) of `off`, or
/// `None` when no head of the model is off.
pub fn head_mask(c: &GptConfig, off: &[(usize, usize)]) -> Option<Vec<Vec<f32>>> {
    let off = heads_off(c, off);
    if off.is_empty() {
        return None;
    }
    let mut mask = vec![vec![1.0f32; c.n_head]; c.n_layer];
    for (l, h) in off {
        if let Some(x) = mask.get_mut(l).and_then(|r| r.get_mut(h)) {
            *x = 0.0;
        }
    }
    Some(mask)
}

/// A forward pass and the loss of the text under it.
#[derive(Debug, PartialEq)]
pub struct Run {
    pub out: GptOutput,
    /// Mean next-token loss (nats); `None` for a single token.
    pub loss: Option<f64>,
}

/// Runs the model on `ids` with the heads of `off` switched off.
pub fn run(m: &Loaded, ids: &[usize], off: &[(usize, usize)]) -> Result<Run, String> {
    let mask = head_mask(&m.model.config, off);
    let out = m.model.forward(ids, mask.as_deref()).map_err(cannot_run)?;
    Ok(finished_run(out, ids))
}

/// A finished pass of `ids` with its loss (none for a single token).
fn finished_run(out: GptOutput, ids: &[usize]) -> Run {
    let loss = (ids.len() >= 2)
        .then(|| next_token_loss(&out, ids).ok())
        .flatten();
    Run { out, loss }
}

/// What the learner reads when the model cannot run on the text.
fn cannot_run(e: impl std::fmt::Display) -> String {
    format!("The model could not run on this text: {e}")
}

/// Multiply-adds of a forward pass of `n` tokens, roughly: the blocks'
/// weights (attention `4 E²`, MLP `2 E F`) and their `n x n` products, and
/// the output head (`E V`), all per token.
pub fn forward_cost(c: &GptConfig, n: usize) -> f64 {
    let (e, f, v) = (c.n_embd as f64, c.n_inner as f64, c.vocab_size as f64);
    let n = n as f64;
    let block = n * (4.0 * e * e + 2.0 * e * f) + 2.0 * n * n * e;
    c.n_layer as f64 * block + n * e * v
}

/// A pass this cheap ([`forward_cost`], multiply-adds: a few milliseconds)
/// is run whole when its job is built, so a small model's view never shows
/// a "running" state for a frame.
pub const RUN_AT_ONCE: f64 = 4.0e6;

/// One forward pass of the inspector's text, a part at a time (a few rows
/// of one step of a block, or of the output head: [`Gpt2::forward_part`]),
/// as a [`Job`] run by the page's [`Runner`], so a large model (GPT-2 small
/// at 256 tokens is seconds of work) never freezes the page for the whole
/// pass. The inspector runs two: every head on, and, once that one is done,
/// the learner's heads off.
pub struct ForwardJob {
    model: Shared<Loaded>,
    tokens: Shared<Tokens>,
    run: Option<ForwardRun>,
    done: Option<Result<Shared<Run>, String>>,
    parts: usize,
    total: usize,
}

/// What the page shows of a [`ForwardJob`]: the run once done, and the
/// parts done of the whole.
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardView {
    pub run: Option<Result<Shared<Run>, String>>,
    pub parts: usize,
    pub total: usize,
}

impl ForwardJob {
    /// The pass of `tokens` with the heads of `off` switched off; a pass
    /// cheaper than [`RUN_AT_ONCE`] is done here.
    pub fn new(
        model: Shared<Loaded>,
        tokens: Shared<Tokens>,
        off: &[(usize, usize)],
    ) -> ForwardJob {
        ForwardJob::run_at_once_below(model, tokens, off, RUN_AT_ONCE)
    }

    /// [`ForwardJob::new`] with the cost below which the pass is done at
    /// once (0: never).
    fn run_at_once_below(
        model: Shared<Loaded>,
        tokens: Shared<Tokens>,
        off: &[(usize, usize)],
        at_once: f64,
    ) -> ForwardJob {
        let mask = head_mask(&model.model.config, off);
        let (run, done, total) = match model
            .model
            .begin_forward(&tokens.ids, mask.as_deref(), true)
        {
            Ok(r) => {
                let total = r.parts();
                (Some(r), None, total)
            }
            Err(e) => (None, Some(Err(cannot_run(e))), 0),
        };
        let mut job = ForwardJob {
            model,
            tokens,
            run,
            done,
            parts: 0,
            total,
        };
        if forward_cost(&job.model.model.config, job.tokens.ids.len()) < at_once {
            while job.done.is_none() {
                job.step();
            }
        }
        job
    }

    /// One part of the pass.
    fn step(&mut self) {
        let Some(mut run) = self.run.take() else {
            return;
        };
        self.parts += 1;
        match self.model.model.forward_part(&mut run) {
            Ok(false) => self.run = Some(run),
            Ok(true) => {
                let r = finished_run(run.into_output(), &self.tokens.ids);
                self.done = Some(Ok(Shared(Arc::new(r))));
            }
            Err(e) => self.done = Some(Err(cannot_run(e))),
        }
    }
}

impl Job for ForwardJob {
    type View = ForwardView;

    fn work(&mut self) -> Result<bool, String> {
        self.step();
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.done.is_some()
    }

    fn units(&self) -> usize {
        self.parts
    }

    fn view(&self) -> ForwardView {
        ForwardView {
            run: self.done.clone(),
            parts: self.parts,
            total: self.total,
        }
    }
}

/// "Running the model on your text (every head on): part 3 of 14…"
pub fn running_text(what: &str, done: usize, total: usize) -> String {
    format!(
        "Running the model on your text ({what}): part {} of {total}…",
        (done + 1).min(total)
    )
}

/// One head's attention as a heatmap (rows are queries).
pub fn attention_map(r: &Run, layer: usize, head: usize, labels: &[String]) -> Option<HeatmapData> {
    let m = r.out.attentions.get(layer)?.get(head)?;
    Some(weights(m, labels))
}

/// `label` numbered by position, so repeated tokens are told apart.
fn numbered(labels: &[String], i: usize) -> String {
    format!("{} {}", i + 1, labels.get(i).map_or("", String::as_str))
}

/// The query's line view: the query on the left, its [`LINE_KEYS`]
/// heaviest keys (in text order) on the right, one line per key.
pub fn line_view(
    r: &Run,
    layer: usize,
    head: usize,
    pos: usize,
    labels: &[String],
) -> Option<LineDiagram> {
    let m = r.out.attentions.get(layer)?.get(head)?;
    let row: Vec<f64> = (0..=pos)
        .map(|j| m.get((pos, j)).copied().unwrap_or(0.0))
        .collect();
    let mut keys: Vec<usize> = (0..row.len()).collect();
    keys.sort_by(|&a, &b| {
        let (wa, wb) = (
            row.get(a).copied().unwrap_or(0.0),
            row.get(b).copied().unwrap_or(0.0),
        );
        wb.total_cmp(&wa).then(a.cmp(&b))
    });
    keys.truncate(LINE_KEYS);
    keys.sort_unstable();
    Some(LineDiagram {
        title: format!(
            "Layer {} · head {} · query {}",
            layer + 1,
            head + 1,
            numbered(labels, pos)
        ),
        left: vec![numbered(labels, pos)],
        right: keys.iter().map(|&j| numbered(labels, j)).collect(),
        weights: vec![keys
            .iter()
            .map(|&j| row.get(j).copied().unwrap_or(0.0))
            .collect()],
        selected: Some(0),
        flagged: vec![false; keys.len()],
        color: crate::charts::plots::SCALED,
    })
}

/// One predicted next token.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicted {
    pub token: String,
    pub prob: f64,
}

/// The [`TOP_K`] most likely tokens after position `pos`.
pub fn predictions(m: &Loaded, r: &Run, pos: usize) -> Result<Vec<Predicted>, String> {
    let top = top_k(&r.out, pos, TOP_K).map_err(|e| e.to_string())?;
    Ok(top
        .into_iter()
        .map(|p| Predicted {
            token: m.vocab.label(p.token),
            prob: p.prob,
        })
        .collect())
}

/// A probability as a percentage with two decimals.
pub fn pct(p: f64) -> String {
    format!("{:.2}%", p * 100.0)
}

/// The predictions with every head on and, when heads are off, with them
/// off, side by side.
pub fn prediction_table(on: &[Predicted], off: Option<&[Predicted]>) -> TableData {
    let mut header = vec!["rank", "all heads on", "probability"];
    if off.is_some() {
        header.extend(["with heads off", "probability"]);
    }
    let rows = on.iter().enumerate().map(|(i, p)| {
        let mut row = vec![(i + 1).to_string(), p.token.clone(), pct(p.prob)];
        if let Some(q) = off.and_then(|o| o.get(i)) {
            row.extend([q.token.clone(), pct(q.prob)]);
        }
        row
    });
    TableData::plain(&header, rows)
}

/// "Loss of the text: 2.600 nats per token with every head on; with 1 head
/// off: 2.734 (+0.134)."
pub fn loss_text(on: Option<f64>, off: Option<(usize, Option<f64>)>) -> String {
    let Some(on) = on else {
        return "The loss needs two tokens or more: it scores each token's prediction of the next."
            .to_string();
    };
    let mut s = format!("Loss of the text: {on:.4} nats per token with every head on");
    if let Some((n, Some(l))) = off {
        let heads = if n == 1 { "head" } else { "heads" };
        s.push_str(&format!("; with {n} {heads} off: {l:.4} ({:+.4})", l - on));
    }
    s.push('.');
    s
}

/// Measuring every head: [`INDUCTION_SEQUENCES`] random blocks repeated
/// twice (seeds `seed`, `seed + 1`, …; the long block length and the short
/// one in turn), a block of the model per unit of work (a [`Job`], run by
/// the page's [`crate::training::Runner`]); the scores are combined by
/// `heads::mean_over_probes`.
pub struct HeadMeasure {
    model: Shared<Loaded>,
    seed: u64,
    /// Distinct tokens in each block: the long length and the short one.
    block: usize,
    short: usize,
    done: usize,
    /// `(block length, [layer][head])` of each sequence measured.
    runs: Vec<(usize, Vec<Vec<HeadScores>>)>,
    /// The sequence being measured and its forward pass so far (one part
    /// per unit of work, the output head skipped).
    current: Option<(Vec<usize>, ForwardRun)>,
    /// Units done (parts of passes run).
    parts: usize,
}

/// What the page shows of the measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadsView {
    /// Sequences measured so far.
    pub done: usize,
    /// The two block lengths, long and short.
    pub block: usize,
    pub short: usize,
    /// The mean scores (`layer x head`) once every sequence is measured.
    pub scores: Option<Vec<Vec<HeadScores>>>,
}

impl HeadMeasure {
    pub fn new(model: Shared<Loaded>, seed: u64) -> Result<HeadMeasure, String> {
        let c = &model.model.config;
        let block = INDUCTION_BLOCK
            .min(c.n_positions / 2)
            .min(model.vocab.size());
        if block < 2 {
            return Err(format!(
                "This model's context ({} tokens) or vocabulary is too small to measure induction on a repeated sequence.",
                c.n_positions
            ));
        }
        Ok(HeadMeasure {
            model,
            seed,
            block,
            short: (block * 3 / 4).max(2),
            done: 0,
            runs: Vec::new(),
            current: None,
            parts: 0,
        })
    }

    /// The scores over every sequence, once done.
    fn mean(&self) -> Option<Vec<Vec<HeadScores>>> {
        if self.done < INDUCTION_SEQUENCES {
            return None;
        }
        mean_over_probes(&self.runs).ok()
    }

    /// The block length of sequence `k`.
    fn length_of(&self, k: usize) -> usize {
        if k.is_multiple_of(2) {
            self.block
        } else {
            self.short
        }
    }
}

impl Job for HeadMeasure {
    type View = HeadsView;

    fn work(&mut self) -> Result<bool, String> {
        if self.done >= INDUCTION_SEQUENCES {
            return Ok(true);
        }
        let m = &self.model;
        let (ids, mut run) = match self.current.take() {
            Some(c) => c,
            None => {
                let ids = induction_sequence(
                    self.seed.wrapping_add(self.done as u64),
                    self.length_of(self.done),
                    0,
                    m.vocab.size(),
                    None,
                )
                .map_err(|e| format!("No repeated random sequence fits this model: {e}"))?;
                let run = m
                    .model
                    .begin_forward(&ids, None, false)
                    .map_err(|e| e.to_string())?;
                (ids, run)
            }
        };
        self.parts += 1;
        if !m.model.forward_part(&mut run).map_err(|e| e.to_string())? {
            self.current = Some((ids, run));
            return Ok(false);
        }
        let out = run.into_output();
        let scores = score_heads(&out.attentions, &ids).map_err(|e| e.to_string())?;
        self.runs.push((self.length_of(self.done), scores));
        self.done += 1;
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.done >= INDUCTION_SEQUENCES
    }

    fn units(&self) -> usize {
        self.parts
    }

    fn revision(&self) -> usize {
        self.done
    }

    fn view(&self) -> HeadsView {
        HeadsView {
            done: self.done,
            block: self.block,
            short: self.short,
            scores: self.mean(),
        }
    }
}

/// The scores of every head (`layer x head`) measured at once (what the
/// page's job gives, for tests and tools), and the block length.
pub fn measure_heads(
    m: Shared<Loaded>,
    seed: u64,
) -> Result<(Vec<Vec<HeadScores>>, usize), String> {
    let mut job = HeadMeasure::new(m, seed)?;
    while !job.work()? {}
    let v = job.view();
    Ok((v.scores.unwrap_or_default(), v.block))
}

/// The text of a score.
fn score(v: f64) -> String {
    format!("{v:.3}")
}

/// The cells of one head's row: scores and label.
pub fn head_cells(s: &HeadScores) -> Vec<String> {
    vec![
        score(s.previous_token),
        s.induction.map_or("—".into(), score),
        score(s.first_token),
        format!("{:.2}", s.relative_distance),
        s.label.name().to_string(),
    ]
}

/// Column headings of the head table.
pub const HEAD_COLUMNS: [&str; 5] = [
    "previous token",
    "induction",
    "first token",
    "relative distance",
    "label",
];

// ---------------------------------------------------------------------
// The component.

type ModelSig = Signal<Option<Shared<Loaded>>>;
type TokensMemo = Memo<Option<Result<Shared<Tokens>, String>>>;
type RunMemo = Memo<Option<Result<Shared<Run>, String>>>;
/// The pass with heads off: model, tokens, the heads, whether the pass
/// with every head on is done (it runs first).
type AblatedConfig = (
    Option<Shared<Loaded>>,
    Option<Shared<Tokens>>,
    Vec<(usize, usize)>,
    bool,
);
/// Every head's scores and the block length of the random sequences.
type HeadsMemo = Memo<Result<Option<HeadsView>, String>>;

/// Width of the line view, CSS pixels.
const LINES_WIDTH: f64 = 420.0;

/// The inspector (see the module docs).
#[component]
pub fn Inspector(
    #[prop(into)] model: ModelSig,
    #[prop(into)] state: Signal<InspectState>,
    on_edit: Callback<Edit>,
    /// Prefix of the element ids and test ids.
    prefix: &'static str,
) -> impl IntoView {
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let tokens: TokensMemo = Memo::new(move |_| {
        let m = model.get()?;
        Some(text.with(|t| tokenize(&m, t)).map(|t| Shared(Arc::new(t))))
    });
    let ids = Memo::new(move |_| tokens.get().and_then(Result::ok));
    let off = Memo::new(move |_| {
        let m = model.get();
        state.with(|s| m.map_or_else(Vec::new, |m| heads_off(&m.model.config, &s.off)))
    });
    // Both passes go through the shared runner, a part at a time (a small
    // model's whole pass is done at once): every head on, then, once that
    // one is done, the learner's heads off.
    let base_run = Runner::auto(
        move || (model.get(), ids.get()),
        |(m, t): &(Option<Shared<Loaded>>, Option<Shared<Tokens>>)| match (m, t) {
            (Some(m), Some(t)) => Ok(ForwardJob::new(m.clone(), t.clone(), &[])),
            _ => Err(String::new()),
        },
    );
    let base: RunMemo = Memo::new(move |_| base_run.with(|v| v.run.clone()).flatten());
    let base_done = Memo::new(move |_| base.with(Option::is_some));
    let ablated_run = Runner::auto(
        move || (model.get(), ids.get(), off.get(), base_done.get()),
        |(m, t, o, ready): &AblatedConfig| match (m, t) {
            (Some(m), Some(t)) if *ready && !o.is_empty() => {
                Ok(ForwardJob::new(m.clone(), t.clone(), o))
            }
            _ => Err(String::new()),
        },
    );
    let ablated: RunMemo = Memo::new(move |_| ablated_run.with(|v| v.run.clone()).flatten());
    // The run the maps show: the learner's model, heads off included
    // (nothing while that pass is under way, never the other one).
    let shown = Memo::new(move |_| {
        if off.with(Vec::is_empty) {
            base.get()
        } else {
            ablated.get()
        }
    });
    let running = move || {
        let progress =
            |r: &ForwardView| (r.run.is_none() && r.total > 0).then_some((r.parts, r.total));
        let n_off = off.with(Vec::len);
        base_run
            .with(progress)
            .flatten()
            .map(|p| ("every head on".to_string(), p))
            .or_else(|| {
                (n_off > 0)
                    .then(|| ablated_run.with(progress).flatten())
                    .flatten()
                    .map(|p| {
                        (
                            format!("{n_off} {} off", if n_off == 1 { "head" } else { "heads" }),
                            p,
                        )
                    })
            })
            .map(|(what, (done, total))| running_text(&what, done, total))
    };
    let view_at = Memo::new(move |_| {
        let m = model.get()?;
        let n = tokens.with(|t| {
            t.as_ref()
                .and_then(|t| t.as_ref().ok())
                .map_or(0, |t| t.ids.len())
        });
        Some(state.with(|s| clamp(s, &m.model.config, n)))
    });
    let labels = Memo::new(move |_| {
        tokens.with(|t| {
            t.as_ref()
                .and_then(|t| t.as_ref().ok())
                .map_or_else(Vec::new, |t| t.labels.clone())
        })
    });
    let heat = Memo::new(move |_| {
        let (Some(Ok(r)), Some(v)) = (shown.get(), view_at.get()) else {
            return empty_heatmap();
        };
        labels
            .with(|l| attention_map(&r, v.layer, v.head, l))
            .unwrap_or_else(empty_heatmap)
    });
    let lines = Memo::new(move |_| {
        let (Some(Ok(r)), Some(v)) = (shown.get(), view_at.get()) else {
            return None;
        };
        labels.with(|l| line_view(&r, v.layer, v.head, v.pos, l))
    });
    let seed = Memo::new(move |_| state.with(|s| s.seed));
    // Measured by the shared runner, a block of a sequence at a time, once a model is
    // there (an empty error while there is none).
    let measure = Runner::auto(
        move || (model.get(), seed.get()),
        |(m, seed): &(Option<Shared<Loaded>>, u64)| match m {
            Some(m) => HeadMeasure::new(m.clone(), *seed),
            None => Err(String::new()),
        },
    );
    let heads: HeadsMemo = Memo::new(move |_| match measure.error().filter(|e| !e.is_empty()) {
        Some(e) => Err(e),
        None => Ok(measure.with(Clone::clone)),
    });

    let pos = Memo::new(move |_| view_at.get().map(|v| v.pos));
    let error = move || {
        tokens.with(|t| match t {
            Some(Err(e)) => Some(e.clone()),
            _ => base.with(|b| match b {
                Some(Err(e)) => Some(e.clone()),
                _ => ablated.with(|a| match a {
                    Some(Err(e)) => Some(e.clone()),
                    _ => None,
                }),
            }),
        })
    };
    let notes = move || {
        let mut n: Vec<String> = tokens
            .with(|t| {
                t.as_ref()
                    .and_then(|t| t.as_ref().ok())
                    .and_then(|t| t.note.clone())
            })
            .into_iter()
            .collect();
        n.extend(view_at.get().map(|v| v.notes).unwrap_or_default());
        n
    };
    let text_id = format!("{prefix}-text");
    view! {
        <div class="inspector" data-testid=format!("{prefix}-inspector")>
            <label for=text_id.clone()>"Text the model reads (it runs when you leave the box)"</label>
            <textarea
                id=text_id
                class="lab-text"
                rows="3"
                data-testid=format!("{prefix}-text")
                prop:value=move || text.get()
                on:change=move |ev| on_edit.run(Edit::Text(event_target_value(&ev)))
            ></textarea>
            <div role="status" data-testid=format!("{prefix}-error")>
                {move || error().map(|e| view! { <p class="notes">{e}</p> })}
            </div>
            <Notes notes=Signal::derive(notes) />
            <p class="measure" role="status" data-testid=format!("{prefix}-running")>{running}</p>
            <TokenChips labels=labels pos=pos on_edit=on_edit prefix=prefix />
            <HeadPicker model=model view_at=view_at on_edit=on_edit prefix=prefix />
            <div class="row-of-maps">
                <Heatmap
                    title="Attention weights"
                    subtitle=Signal::derive(move || {
                        view_at
                            .get()
                            .map(|v| format!("layer {} · head {} · each row (query) sums to 1 over the keys up to it", v.layer + 1, v.head + 1))
                            .unwrap_or_default()
                    })
                    data=heat
                    highlight_row=pos
                    on_select_row=Callback::new(move |r| on_edit.run(Edit::Pos(r)))
                    axes=Axes::QUERY_KEY
                    test_id=format!("{prefix}-map")
                />
                <LineView lines=lines prefix=prefix />
            </div>
            <Predictions model=model base=base ablated=ablated pos=pos off=off prefix=prefix />
            <HeadTable heads=heads seed=seed off=off view_at=view_at on_edit=on_edit prefix=prefix />
        </div>
    }
}

/// The tokens as buttons: the chosen one is the query.
#[component]
fn TokenChips(
    labels: Memo<Vec<String>>,
    pos: Memo<Option<usize>>,
    on_edit: Callback<Edit>,
    prefix: &'static str,
) -> impl IntoView {
    let count = Memo::new(move |_| labels.with(Vec::len));
    let (start, turn) = follow_selection(pos);
    view! {
        <div class="control">
            <span class="label" id=format!("{prefix}-chips-label")>"Query token (press one)"</span>
            <Pager count=count start=start on_start=turn what="Tokens" />
            <div class="token-chips" role="group" aria-labelledby=format!("{prefix}-chips-label") data-testid=format!("{prefix}-chips")>
                {move || {
                    let n = count.get();
                    let (first, shown) = if n > crate::widgets::heatmap_zoom::LARGE {
                        page_of(start.get(), n)
                    } else {
                        (0, n)
                    };
                    labels.with(|l| {
                        l.iter()
                            .enumerate()
                            .skip(first)
                            .take(shown)
                            .map(|(i, t)| {
                                view! {
                                    <button
                                        class="chip"
                                        aria-pressed=move || (pos.get() == Some(i)).to_string()
                                        title=format!("position {}", i + 1)
                                        on:click=move |_| on_edit.run(Edit::Pos(i))
                                    >
                                        {t.clone()}
                                    </button>
                                }
                            })
                            .collect_view()
                    })
                }}
            </div>
        </div>
    }
}

/// Layer and head of the map and the lines, as two lists.
#[component]
fn HeadPicker(
    model: ModelSig,
    view_at: Memo<Option<Clamped>>,
    on_edit: Callback<Edit>,
    prefix: &'static str,
) -> impl IntoView {
    let shape = Memo::new(move |_| {
        model
            .with(|m| {
                m.as_ref()
                    .map(|m| (m.model.config.n_layer, m.model.config.n_head))
            })
            .unwrap_or((0, 0))
    });
    let pick = move |what: &'static str, count: usize, current: usize, edit: fn(usize) -> Edit| {
        let id = format!("{prefix}-{}", what.to_ascii_lowercase());
        view! {
            <label for=id.clone()>{what}</label>
            <select
                id=id.clone()
                data-testid=id
                on:change=move |ev| {
                    // The options are numbered from 1, as shown.
                    if let Some(v) = event_target_value(&ev).parse::<usize>().ok().and_then(|v| v.checked_sub(1)) {
                        on_edit.run(edit(v));
                    }
                }
            >
                {(0..count)
                    .map(|i| view! { <option value=(i + 1).to_string() selected=i == current>{(i + 1).to_string()}</option> })
                    .collect_view()}
            </select>
        }
    };
    move || {
        let (layers, heads) = shape.get();
        let v = view_at.get();
        let (l, h) = v.map_or((0, 0), |v| (v.layer, v.head));
        view! {
            <div class="control-row head-picker">
                {pick("Layer", layers, l, Edit::Layer)}
                {pick("Head", heads, h, Edit::Head)}
            </div>
        }
    }
}

/// The query's lines to its heaviest keys, and their weights as a table.
#[component]
fn LineView(lines: Memo<Option<LineDiagram>>, prefix: &'static str) -> impl IntoView {
    let (w, h) = line_diagram_size(LINE_KEYS, LINES_WIDTH, crate::charts::heatmap::BASE_FONT_PX);
    let draw = Drawing::from(draw_from(
        lines,
        |area, d: &Option<LineDiagram>, s, th| match d {
            Some(d) => draw_line_diagram(area, d, th, s),
            None => Ok(()),
        },
    ))
    .with_numbers_of(lines, |d: &Option<LineDiagram>| {
        d.as_ref().map(crate::charts::export::ChartNumbers::numbers)
    });
    let label = move || {
        lines.with(|d| {
            d.as_ref().map_or(String::new(), |d| {
                format!(
                    "{}: lines to the {} keys it weighs most",
                    d.title,
                    d.right.len()
                )
            })
        })
    };
    let table = move || {
        lines.with(|d| {
            let rows = d.as_ref().map_or_else(Vec::new, |d| {
                let ws = d.weights.first().cloned().unwrap_or_default();
                d.right
                    .iter()
                    .zip(ws)
                    .map(|(k, w)| vec![k.clone(), format!("{w:.4}")])
                    .collect()
            });
            view! { <NumbersTable data=TableData::plain(&["key", "weight"], rows) test_id=format!("{prefix}-lines-table") /> }
        })
    };
    view! {
        <Chart size=(w, h) label=label draw=draw test_id=format!("{prefix}-lines")>
            {table}
        </Chart>
    }
}

/// The loss of the text and the next-token predictions at the query, with
/// every head on and with the learner's heads off.
#[component]
fn Predictions(
    model: ModelSig,
    base: RunMemo,
    ablated: RunMemo,
    pos: Memo<Option<usize>>,
    off: Memo<Vec<(usize, usize)>>,
    prefix: &'static str,
) -> impl IntoView {
    let loss = move || {
        let on = base.with(|b| {
            b.as_ref()
                .and_then(|b| b.as_ref().ok())
                .and_then(|r| r.loss)
        });
        let off_loss = ablated.with(|a| {
            a.as_ref()
                .and_then(|a| a.as_ref().ok())
                .map(|r| (off.with(Vec::len), r.loss))
        });
        base.with(Option::is_some).then(|| loss_text(on, off_loss))
    };
    let table = move || {
        let m = model.get()?;
        let p = pos.get()?;
        let run_preds = |r: RunMemo| {
            r.with(|r| {
                r.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|r| predictions(&m, r, p))
            })
        };
        let on = match run_preds(base)? {
            Ok(on) => on,
            Err(e) => return Some(view! { <p class="notes">{e}</p> }.into_any()),
        };
        let off = run_preds(ablated).and_then(Result::ok);
        let data = prediction_table(&on, off.as_deref());
        Some(
            view! { <NumbersTable data=data test_id=format!("{prefix}-predictions") /> }.into_any(),
        )
    };
    let labels_note = move || {
        pos.get().map(|p| {
            format!(
                "The {TOP_K} most likely next tokens after position {}:",
                p + 1
            )
        })
    };
    view! {
        <p class="measure live" data-testid=format!("{prefix}-loss") aria-live="polite">{loss}</p>
        <p>{labels_note}</p>
        {table}
    }
}

/// Every head's scores and label, with a switch per head.
#[component]
fn HeadTable(
    heads: HeadsMemo,
    seed: Memo<u64>,
    off: Memo<Vec<(usize, usize)>>,
    view_at: Memo<Option<Clamped>>,
    on_edit: Callback<Edit>,
    prefix: &'static str,
) -> impl IntoView {
    let n_off = Memo::new(move |_| off.with(Vec::len));
    // A model of many heads (GPT-2 small: 144) is shown a page at a time,
    // the page of the head on the map unless the learner turned it.
    let per_layer = Memo::new(move |_| {
        heads.with(|h| match h {
            Ok(Some(HeadsView {
                scores: Some(s), ..
            })) => s.first().map_or(0, Vec::len),
            _ => 0,
        })
    });
    let count = Memo::new(move |_| {
        heads.with(|h| match h {
            Ok(Some(HeadsView {
                scores: Some(s), ..
            })) => s.iter().map(Vec::len).sum(),
            _ => 0,
        })
    });
    let picked = Memo::new(move |_| view_at.get().map(|v| v.layer * per_layer.get() + v.head));
    let (start, turn) = follow_selection(picked);
    let about = move || {
        heads.with(|h| match h {
            Ok(Some(v)) if v.scores.is_some() => format!(
                "Scores measured with every head on, on {INDUCTION_SEQUENCES} sequences of random tokens shown twice, half in blocks of {} tokens and half of {} (seeds {} and on). An induction head, on the second copy, looks at the token that followed the same token in the first (Olsson et al., 2022); its score here is the lower of the two block lengths' means, since a head that always looks back a fixed distance is right for one length only. A head of layer 1 is never labelled induction: it needs an earlier layer to tell it which token came before.",
                v.block,
                v.short,
                seed.get()
            ),
            Ok(Some(v)) => format!(
                "Measuring every head on repeated random sequences… {} of {INDUCTION_SEQUENCES} done.",
                v.done
            ),
            Ok(None) => String::new(),
            Err(e) => format!("The heads could not be measured: {e}"),
        })
    };
    view! {
        <h3>"Every head, measured"</h3>
        <p data-testid=format!("{prefix}-heads-about")>{about}</p>
        <div class="control-row">
            <button data-testid=format!("{prefix}-all-on") on:click=move |_| on_edit.run(Edit::AllOn) disabled=move || n_off.get() == 0>
                "Switch every head on"
            </button>
        </div>
        <Pager count=count start=start on_start=turn what="Heads" />
        {move || {
            let (first, shown) = page_of(start.get(), count.get());
            heads.with(|h| {
                let Ok(Some(HeadsView { scores: Some(scores), .. })) = h else {
                    return None;
                };
                let rows = scores
                    .iter()
                    .enumerate()
                    .flat_map(|(l, row)| row.iter().enumerate().map(move |(hd, s)| (l, hd, *s)))
                    .skip(first)
                    .take(shown)
                    .map(|(l, hd, s)| {
                        let on = move || !off.with(|o| o.contains(&(l, hd)));
                        view! {
                            <tr data-testid=format!("{prefix}-head-{}-{}", l + 1, hd + 1)>
                                <th scope="row">{format!("L{} H{}", l + 1, hd + 1)}</th>
                                {head_cells(&s).into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                                <td>
                                    <button
                                        class="head-switch"
                                        aria-pressed=move || on().to_string()
                                        aria-label=move || format!("{} (layer {} head {})", if on() { "on" } else { "off" }, l + 1, hd + 1)
                                        on:click=move |_| on_edit.run(Edit::Toggle(l, hd))
                                    >
                                        {move || if on() { "on" } else { "off" }}
                                    </button>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view();
                Some(view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Every head's scores">
                        <table data-testid=format!("{prefix}-heads")>
                            <thead>
                                <tr>
                                    <th scope="col">"head"</th>
                                    {HEAD_COLUMNS.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                                    <th scope="col">"switch"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                })
            })
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attention_core::gpt::heads::label;
    use serde_json::Value;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/gpt2/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn trained() -> Loaded {
        let config = String::from_utf8(fixture("trained/config.json")).unwrap();
        let model =
            Gpt2::from_files(&config, &fixture("trained/model.safetensors"), 1 << 30).unwrap();
        let bpe = Bpe::from_tokenizer_json(&String::from_utf8(fixture("tokenizer.json")).unwrap())
            .unwrap();
        Loaded::new(Arc::new(model), Arc::new(Vocab::Bpe(bpe)), "trained".into()).unwrap()
    }

    fn reference() -> Value {
        serde_json::from_slice(&fixture("trained.json")).unwrap()
    }

    #[test]
    fn tokens_loss_and_ablation_match_transformers() {
        let m = trained();
        let r = reference();
        let t = &r["texts"][0];
        let tokens = tokenize(&m, t["text"].as_str().unwrap()).unwrap();
        let want: Vec<usize> = t["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(tokens.ids, want);
        assert_eq!(tokens.labels.len(), want.len());
        assert!(
            tokens.labels.iter().any(|l| l.starts_with('␣')),
            "{:?}",
            tokens.labels
        );
        let base = run(&m, &tokens.ids, &[]).unwrap();
        let loss = base.loss.unwrap();
        assert!((loss - t["loss"].as_f64().unwrap()).abs() < 1e-4, "{loss}");
        let (l, h) = (
            t["ablated"]["layer"].as_u64().unwrap() as usize,
            t["ablated"]["head"].as_u64().unwrap() as usize,
        );
        let ab = run(&m, &tokens.ids, &[(l, h)]).unwrap();
        let ab_loss = ab.loss.unwrap();
        assert!(
            (ab_loss - t["ablated"]["loss"].as_f64().unwrap()).abs() < 1e-4,
            "{ab_loss}"
        );
        let text = loss_text(Some(loss), Some((1, Some(ab_loss))));
        assert!(
            text.contains("with 1 head off") && text.contains(&format!("{ab_loss:.4}")),
            "{text}"
        );
        // The map is the reference attention; the ablated head is zero.
        let map = attention_map(&base, 0, 0, &tokens.labels).unwrap();
        let w = t["attentions"][0][0][5][0].as_f64().unwrap();
        assert!((map.get(5, 0).unwrap() - w).abs() < 1e-5);
        let gone = attention_map(&ab, l, h, &tokens.labels).unwrap();
        assert!(gone.values.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_page_job_runs_the_same_pass_a_block_at_a_time() {
        let m = Shared(Arc::new(trained()));
        let tokens = Shared(Arc::new(
            tokenize(
                &m,
                "Alice was beginning to get very tired of sitting by her sister",
            )
            .unwrap(),
        ));
        let c = m.model.config.clone();
        let n = tokens.ids.len();
        for off in [vec![], vec![(1, 2), (0, 0)]] {
            let whole = run(&m, &tokens.ids, &off).unwrap();
            // Forced to go a part at a time: nothing shown until the last.
            let mut job = ForwardJob::run_at_once_below(m.clone(), tokens.clone(), &off, 0.0);
            let total = job.view().total;
            assert!(total > c.n_layer, "the output head is at least one part");
            for part in 1..total {
                assert!(!job.work().unwrap());
                let v = job.view();
                assert_eq!((v.run.is_none(), v.parts), (true, part));
                assert!(running_text("every head on", v.parts, v.total)
                    .contains(&format!("part {} of {total}", part + 1)));
            }
            assert!(job.work().unwrap());
            assert!(job.finished());
            assert_eq!(job.units(), total);
            let Some(Ok(r)) = job.view().run else {
                panic!("no run")
            };
            assert_eq!(*r, whole, "bit-identical to the whole pass");
            // Cheap enough: done when built.
            let at_once = ForwardJob::new(m.clone(), tokens.clone(), &off);
            assert!(forward_cost(&c, n) < RUN_AT_ONCE, "{}", forward_cost(&c, n));
            assert!(at_once.finished());
            assert_eq!(
                at_once.view().run.map(|r| r.map(|r| r.loss)),
                Some(Ok(whole.loss))
            );
        }
        // GPT-2 small at 256 tokens is far past it (about 3e10).
        let small = GptConfig {
            n_layer: 12,
            n_head: 12,
            n_embd: 768,
            n_positions: 1024,
            vocab_size: 50257,
            n_inner: 3072,
            layer_norm_epsilon: 1e-5,
            scale_attn_weights: true,
        };
        let big = forward_cost(&small, 256);
        assert!((2.5e10..3.5e10).contains(&big), "{big}");
        // A text the model cannot run gives an error view, never a panic.
        let bad = Shared(Arc::new(Tokens {
            ids: vec![c.vocab_size + 5],
            labels: vec!["?".into()],
            note: None,
        }));
        let job = ForwardJob::new(m, bad, &[]);
        assert!(job.finished());
        assert!(matches!(job.view().run, Some(Err(e)) if e.contains("could not run")));
    }

    #[test]
    fn predictions_and_lines_of_a_query() {
        let m = trained();
        let tokens = tokenize(&m, "Alice was beginning to get very tired of sitting").unwrap();
        let r = run(&m, &tokens.ids, &[]).unwrap();
        let p = predictions(&m, &r, 3).unwrap();
        assert_eq!(p.len(), TOP_K);
        assert!(p.windows(2).all(|w| w[0].prob >= w[1].prob));
        assert!(p.iter().map(|x| x.prob).sum::<f64>() <= 1.0 + 1e-9);
        let t = prediction_table(&p, Some(&p));
        assert_eq!((t.header.len(), t.rows.len()), (5, TOP_K));
        assert!(t.rows[0].1[2].ends_with('%'));
        let d = line_view(&r, 1, 2, 20, &tokens.labels).unwrap();
        assert_eq!(d.left.len(), 1);
        assert_eq!(d.right.len(), LINE_KEYS);
        assert!(d.left[0].starts_with("21 "));
        // The heaviest keys, in text order, and what they leave out is lighter.
        let row: Vec<f64> = (0..=20).map(|j| r.out.attentions[1][2][(20, j)]).collect();
        let kept: f64 = d.weights[0].iter().sum();
        let min_kept = d.weights[0].iter().copied().fold(f64::INFINITY, f64::min);
        assert!(kept <= 1.0 + 1e-9);
        let left_out: Vec<f64> = row.iter().copied().filter(|w| *w < min_kept).collect();
        assert_eq!(left_out.len(), 21 - LINE_KEYS);
        let positions: Vec<usize> = d
            .right
            .iter()
            .map(|k| k.split(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn text_is_capped_and_empty_text_is_an_error() {
        let m = trained();
        // The fixture model reads 64 positions.
        let long = "a b ".repeat(100);
        let t = tokenize(&m, &long).unwrap();
        assert_eq!(t.ids.len(), 64);
        assert!(
            t.note
                .as_deref()
                .is_some_and(|n| n.contains("at most 64 (n_positions)")),
            "{:?}",
            t.note
        );
        assert!(tokenize(&m, "").unwrap_err().contains("no tokens"));
        let single = tokenize(&m, "a").unwrap();
        let r = run(&m, &single.ids, &[]).unwrap();
        assert_eq!(r.loss, None);
        assert!(loss_text(r.loss, None).contains("two tokens"));
    }

    #[test]
    fn the_view_is_clamped_to_the_model_and_the_text() {
        let c = trained().model.config.clone();
        let s = InspectState {
            layer: 47,
            head: 9,
            pos: Some(99),
            ..Default::default()
        };
        let v = clamp(&s, &c, 10);
        assert_eq!((v.layer, v.head, v.pos), (1, 3, 9));
        assert_eq!(v.notes.len(), 3, "{:?}", v.notes);
        assert!(v.notes[0].contains("2 layers"));
        let v = clamp(&InspectState::default(), &c, 10);
        assert_eq!(
            (v.pos, v.notes.len()),
            (9, 0),
            "no position is the last token"
        );
        assert_eq!(
            head_mask(&c, &[(5, 5)]),
            None,
            "heads the model lacks are ignored"
        );
        let mask = head_mask(&c, &[(1, 2), (0, 0)]).unwrap();
        assert_eq!(mask[1], vec![1.0, 1.0, 0.0, 1.0]);
        assert_eq!(mask[0][0], 0.0);
    }

    #[test]
    fn heads_are_measured_on_seeded_repeated_sequences() {
        let m = Shared(Arc::new(trained()));
        let (scores, block) = measure_heads(m.clone(), 1).unwrap();
        assert_eq!(block, INDUCTION_BLOCK);
        assert_eq!(HeadMeasure::new(m.clone(), 1).unwrap().view().short, 18);
        assert_eq!((scores.len(), scores[0].len()), (2, 4));
        for (l, s) in scores
            .iter()
            .enumerate()
            .flat_map(|(l, layer)| layer.iter().map(move |s| (l, s)))
        {
            assert!(s.induction.is_some());
            assert!((0.0..=1.0).contains(&s.previous_token));
            assert_eq!(
                s.label,
                label(
                    l,
                    s.previous_token,
                    s.induction,
                    s.first_token,
                    s.relative_distance
                )
            );
            assert_eq!(head_cells(s).len(), HEAD_COLUMNS.len());
        }
        assert_eq!(
            measure_heads(m.clone(), 1).unwrap().0,
            scores,
            "same seed, same scores"
        );
        assert_ne!(measure_heads(m.clone(), 2).unwrap().0, scores);
        // The job runs one part of a pass per unit (no output head), a
        // sequence after another; for a model this small each step of a
        // block is one part: the QKV rows, each head, the projection, the
        // MLP.
        let c = m.model.config.clone();
        let mut job = HeadMeasure::new(m, 1).unwrap();
        let per_sequence = c.n_layer * (3 + c.n_head);
        for unit in 1..per_sequence * INDUCTION_SEQUENCES {
            assert!(!job.work().unwrap());
            assert_eq!(job.view().done, unit / per_sequence);
            assert_eq!(job.view().scores, None);
        }
        assert!(job.work().unwrap());
        assert_eq!(job.units(), per_sequence * INDUCTION_SEQUENCES);
        assert_eq!(job.view().scores.unwrap(), scores);
    }

    #[test]
    fn a_char_vocabulary_works_too() {
        let vocab = CharVocab::from_text("abc ").unwrap();
        let v = Vocab::Chars(vocab);
        let (ids, note) = v.encode("ab zc").unwrap();
        assert_eq!(ids.len(), 4);
        assert!(note.unwrap().contains("1 characters"));
        assert_eq!(v.label(0), "␣");
        assert_eq!(v.label(99), "#99");
    }
}
