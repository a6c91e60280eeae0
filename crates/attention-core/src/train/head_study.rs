//! What each head of the self-attention model does, and what it is worth:
//! measured over held-out [`coref`](super::coref) sentences.
//!
//! * **Patterns**: for every head, the mean attention weight from "it" to
//!   the referent, the other noun and the adjective; from the verb slot to
//!   the subject and the attractor; and, over all positions, to the previous
//!   word, to itself and to the first word. The head's label is computed
//!   from these numbers ([`HeadPattern::label`]), not written by hand.
//! * **Ablation**: held-out accuracy with each head switched off alone.
//! * **Importance** (Michel, Levy & Neubig 2019): mean `|dL/dg_h|` over the
//!   sentences, from [`EncoderClassifier::head_importance`]'s gradient.
//! * **Pruning curves**: accuracy with the k least important heads off, for
//!   k = 0..=all, in gradient-importance order and in ablation order.
//!
//! [`HeadStudy`] does this one sentence at a time ([`HeadStudy::step`]), so a
//! browser can spread it over animation frames.

use super::coref::{Kind, KindAccuracy, Sentence, Tally};
use super::{argmax, EncoderClassifier};
use crate::AttnError;

/// `(layer, head)`, both 0-based.
pub type HeadId = (usize, usize);

/// Mean attention weights of one head (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeadPattern {
    pub it_to_referent: f64,
    pub it_to_other_noun: f64,
    pub it_to_adjective: f64,
    pub verb_to_subject: f64,
    pub verb_to_attractor: f64,
    pub previous_word: f64,
    pub itself: f64,
    pub first_word: f64,
}

/// Weights from this size up count towards a head's label.
pub const LABEL_MIN: f64 = 0.35;

impl HeadPattern {
    /// Every measured pattern with a short description, strongest first.
    pub fn ranked(&self) -> Vec<(&'static str, f64)> {
        let mut v = vec![
            ("“it” → its referent", self.it_to_referent),
            ("“it” → the other noun", self.it_to_other_noun),
            ("“it” → the adjective", self.it_to_adjective),
            ("verb slot → the subject", self.verb_to_subject),
            ("verb slot → the attractor", self.verb_to_attractor),
            ("each word → the previous word", self.previous_word),
            ("each word → itself", self.itself),
            ("each word → the first word", self.first_word),
        ];
        crate::order::sort_small_by(&mut v, |a, b| b.1.total_cmp(&a.1));
        v
    }

    /// The head's label: its (at most two) patterns with a mean weight of at
    /// least [`LABEL_MIN`], or "spread out" with its strongest pattern.
    pub fn label(&self) -> String {
        let ranked = self.ranked();
        let strong: Vec<String> = ranked
            .iter()
            .filter(|(_, w)| *w >= LABEL_MIN)
            .take(2)
            .map(|(d, w)| format!("{d} ({w:.2})"))
            .collect();
        match ranked.first() {
            Some((d, w)) if strong.is_empty() => format!("spread out (strongest: {d}, {w:.2})"),
            _ => strong.join("; "),
        }
    }
}

/// Everything measured about one head.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadInfo {
    pub layer: usize,
    pub head: usize,
    pub pattern: HeadPattern,
    /// Held-out accuracy with only this head switched off.
    pub without: KindAccuracy,
    /// Baseline accuracy minus `without.all`.
    pub drop: f64,
    /// Mean `|dL/dg|` (Michel et al.).
    pub importance: f64,
}

/// The finished study.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadReport {
    /// Sentences measured.
    pub sentences: usize,
    /// Accuracy with every head on.
    pub baseline: KindAccuracy,
    /// One entry per head, layer by layer.
    pub heads: Vec<HeadInfo>,
    /// `(layer, head)` from least to most important by gradient importance.
    pub order_gradient: Vec<(usize, usize)>,
    /// The same by accuracy drop.
    pub order_drop: Vec<(usize, usize)>,
    /// Accuracy with the first k heads of `order_gradient` off, k = 0..=H.
    pub curve_gradient: Vec<f64>,
    /// The same for `order_drop`.
    pub curve_drop: Vec<f64>,
}

/// One configuration being measured.
#[derive(Clone, Debug, PartialEq)]
enum Task {
    Baseline,
    Ablate(usize, usize),
    CurveGradient(usize),
    CurveDrop(usize),
}

/// The study in progress; see the module docs.
pub struct HeadStudy {
    model: EncoderClassifier,
    probe: EncoderClassifier,
    sentences: Vec<Sentence>,
    tasks: Vec<Task>,
    task: usize,
    cursor: usize,
    tally: Tally,
    baseline: Option<KindAccuracy>,
    patterns: Vec<Vec<HeadPattern>>,
    counts: [f64; 3],
    importance: Vec<Vec<f64>>,
    without: Vec<Vec<Option<KindAccuracy>>>,
    orders: Option<(Vec<HeadId>, Vec<HeadId>)>,
    curves: (Vec<f64>, Vec<f64>),
}

impl HeadStudy {
    /// A study of `model` (its head gates are reset to all on) over
    /// `sentences`. Err on an empty list.
    pub fn new(model: &EncoderClassifier, sentences: Vec<Sentence>) -> Result<Self, AttnError> {
        if sentences.is_empty() {
            return Err(AttnError::value("sentences", "need at least one"));
        }
        let mut model = model.clone();
        let shape: Vec<usize> = model.layers.iter().map(|l| l.attn.cfg.n_heads).collect();
        for (l, &h_n) in shape.iter().enumerate() {
            for h in 0..h_n {
                model.set_head(l, h, true)?;
            }
        }
        let mut tasks = vec![Task::Baseline];
        for (l, &h_n) in shape.iter().enumerate() {
            tasks.extend((0..h_n).map(|h| Task::Ablate(l, h)));
        }
        Ok(HeadStudy {
            probe: model.clone(),
            patterns: shape
                .iter()
                .map(|&n| vec![HeadPattern::default(); n])
                .collect(),
            importance: shape.iter().map(|&n| vec![0.0; n]).collect(),
            without: shape.iter().map(|&n| vec![None; n]).collect(),
            model,
            sentences,
            tasks,
            task: 0,
            cursor: 0,
            tally: Tally::default(),
            baseline: None,
            counts: [0.0; 3],
            orders: None,
            curves: (Vec::new(), Vec::new()),
        })
    }

    /// True once every configuration has been measured.
    pub fn finished(&self) -> bool {
        self.task >= self.tasks.len()
    }

    /// Fraction of the work done, in `[0, 1]` (an estimate until the
    /// pruning curves are scheduled).
    pub fn progress(&self) -> f64 {
        let heads: usize = self.importance.iter().map(Vec::len).sum();
        let total = (1 + 3 * heads) as f64;
        ((self.task as f64 + self.cursor as f64 / self.sentences.len() as f64) / total).min(1.0)
    }

    /// Measures one sentence of the current configuration. Err if the model
    /// cannot read a sentence.
    pub fn step(&mut self) -> Result<(), AttnError> {
        let Some(task) = self.tasks.get(self.task).cloned() else {
            return Ok(());
        };
        let Some(s) = self.sentences.get(self.cursor) else {
            return Err(AttnError::value(
                "study",
                format!(
                    "no sentence {} (there are {})",
                    self.cursor,
                    self.sentences.len()
                ),
            ));
        };
        if task == Task::Baseline {
            let (logits, cache) = self.probe.forward(&s.tokens, s.query)?;
            let right = argmax(logits.as_slice()) == s.target;
            self.tally.add(s.kind, right);
            // One pattern per head of the model, as the cache has.
            for (row, c) in self.patterns.iter_mut().zip(&cache.layers) {
                for (p, a) in row.iter_mut().zip(&c.attn.weights) {
                    accumulate(p, a, s);
                }
            }
            let [n_coref, n_agr, n_all] = &mut self.counts;
            match s.kind {
                Kind::Coref => *n_coref += 1.0,
                Kind::Agreement => *n_agr += 1.0,
            }
            *n_all += 1.0;
            let q = s.question();
            let imp = self.probe.head_importance(std::slice::from_ref(&q))?;
            for (acc, row) in self.importance.iter_mut().zip(imp) {
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += v;
                }
            }
        } else {
            let (logits, _) = self.probe.forward(&s.tokens, s.query)?;
            self.tally
                .add(s.kind, argmax(logits.as_slice()) == s.target);
        }
        self.cursor += 1;
        if self.cursor == self.sentences.len() {
            self.finish_task(&task)?;
        }
        Ok(())
    }

    /// Runs every remaining step.
    pub fn run(&mut self) -> Result<HeadReport, AttnError> {
        while !self.finished() {
            self.step()?;
        }
        self.report()
            .ok_or_else(|| AttnError::value("study", "finished without a report"))
    }

    fn finish_task(&mut self, task: &Task) -> Result<(), AttnError> {
        let acc = self.tally.accuracy();
        match *task {
            Task::Baseline => {
                self.baseline = Some(acc);
                let [n_coref, n_agr, n_all] = self.counts;
                for row in &mut self.patterns {
                    for p in row.iter_mut() {
                        let d = |v: &mut f64, n: f64| *v /= n.max(1.0);
                        d(&mut p.it_to_referent, n_coref);
                        d(&mut p.it_to_other_noun, n_coref);
                        d(&mut p.it_to_adjective, n_coref);
                        d(&mut p.verb_to_subject, n_agr);
                        d(&mut p.verb_to_attractor, n_agr);
                        d(&mut p.previous_word, n_all);
                        d(&mut p.itself, n_all);
                        d(&mut p.first_word, n_all);
                    }
                }
                let n = self.sentences.len() as f64;
                for row in &mut self.importance {
                    for v in row.iter_mut() {
                        *v /= n;
                    }
                }
            }
            Task::Ablate(l, h) => {
                let slot = self
                    .without
                    .get_mut(l)
                    .and_then(|row| row.get_mut(h))
                    .ok_or_else(|| {
                        AttnError::value("study", format!("no head {h} in layer {l}"))
                    })?;
                *slot = Some(acc);
                if self.without.iter().flatten().all(Option::is_some) {
                    self.schedule_curves();
                }
            }
            Task::CurveGradient(_) => self.curves.0.push(acc.all),
            Task::CurveDrop(_) => self.curves.1.push(acc.all),
        }
        self.task += 1;
        self.cursor = 0;
        self.tally = Tally::default();
        self.prepare()
    }

    /// Both pruning orders (least important first) and their curve tasks.
    fn schedule_curves(&mut self) {
        let base = self.baseline.map_or(0.0, |b| b.all);
        let mut heads: Vec<(usize, usize, f64, f64)> = Vec::new();
        for (l, (row, without)) in self.importance.iter().zip(&self.without).enumerate() {
            for (h, (&imp, w)) in row.iter().zip(without).enumerate() {
                let drop = base - w.map_or(0.0, |a| a.all);
                heads.push((l, h, imp, drop));
            }
        }
        let mut by_grad = heads.clone();
        crate::order::sort_small_by(&mut by_grad, |a, b| a.2.total_cmp(&b.2));
        let mut by_drop = heads;
        crate::order::sort_small_by(&mut by_drop, |a, b| {
            a.3.total_cmp(&b.3).then(a.2.total_cmp(&b.2))
        });
        let n = by_grad.len();
        self.orders = Some((
            by_grad.iter().map(|h| (h.0, h.1)).collect(),
            by_drop.iter().map(|h| (h.0, h.1)).collect(),
        ));
        // k = 0 is the baseline, measured already.
        self.curves = (vec![base], vec![base]);
        self.tasks.extend((1..=n).map(Task::CurveGradient));
        self.tasks.extend((1..=n).map(Task::CurveDrop));
    }

    /// Sets the probe's gates for the next task.
    fn prepare(&mut self) -> Result<(), AttnError> {
        self.probe = self.model.clone();
        let Some(task) = self.tasks.get(self.task) else {
            return Ok(());
        };
        let off: Vec<(usize, usize)> = match (task, &self.orders) {
            (Task::Baseline, _) => Vec::new(),
            (Task::Ablate(l, h), _) => vec![(*l, *h)],
            (Task::CurveGradient(k), Some((g, _))) => g.iter().take(*k).copied().collect(),
            (Task::CurveDrop(k), Some((_, d))) => d.iter().take(*k).copied().collect(),
            _ => Vec::new(),
        };
        for (l, h) in off {
            self.probe.set_head(l, h, false)?;
        }
        Ok(())
    }

    /// The results, once [`HeadStudy::finished`].
    pub fn report(&self) -> Option<HeadReport> {
        if !self.finished() {
            return None;
        }
        let baseline = self.baseline?;
        let (order_gradient, order_drop) = self.orders.clone()?;
        let mut heads = Vec::new();
        for (l, row) in self.patterns.iter().enumerate() {
            for (h, p) in row.iter().enumerate() {
                let without = (*self.without.get(l)?.get(h)?)?;
                heads.push(HeadInfo {
                    layer: l,
                    head: h,
                    pattern: *p,
                    without,
                    drop: baseline.all - without.all,
                    importance: *self.importance.get(l)?.get(h)?,
                });
            }
        }
        Some(HeadReport {
            sentences: self.sentences.len(),
            baseline,
            heads,
            order_gradient,
            order_drop,
            curve_gradient: self.curves.0.clone(),
            curve_drop: self.curves.1.clone(),
        })
    }
}

/// Adds one sentence's weights of one head (`n x n`) to its pattern sums.
fn accumulate(p: &mut HeadPattern, a: &crate::Mat, s: &Sentence) {
    let n = a.nrows();
    let q = s.query;
    match s.kind {
        Kind::Coref => {
            p.it_to_referent += a[(q, s.referent)];
            p.it_to_other_noun += a[(q, s.distractor)];
            p.it_to_adjective += a[(q, s.cue)];
        }
        Kind::Agreement => {
            p.verb_to_subject += a[(q, s.referent)];
            p.verb_to_attractor += a[(q, s.distractor)];
        }
    }
    let mean = |f: &dyn Fn(usize) -> f64, from: usize| {
        (from..n).map(f).sum::<f64>() / (n - from).max(1) as f64
    };
    p.previous_word += mean(&|i| a[(i, i - 1)], 1);
    p.itself += mean(&|i| a[(i, i)], 0);
    p.first_word += mean(&|i| a[(i, 0)], 0);
}
