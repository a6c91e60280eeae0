//! Chapter 2: Attention as alignment.
//!
//! The attention translator's cross-attention on the learner's sentence, as
//! a matrix (target rows x source columns) and as lines between two rows of
//! words, soft or hard (argmax), per layer and head; its agreement with the
//! true alignment, for the sentence and on held-out sentences (AER); and a
//! small translator trained from scratch in the page, whose attention on one
//! sentence can be scrubbed through its training steps.
//!
//! Data flow: URL -> `Memo<AlignState>` + the loaded translators -> memos of
//! the translation and its maps -> widgets that only paint.

pub mod learn;
pub mod state;

use crate::chapters::bottleneck::model::{read_input, translate};
use crate::chapters::bottleneck::{
    reference_line, use_translators, words_view, LengthSection, SentenceInput,
};
use crate::chapters::{ChapterHead, UrlState};
use crate::charts::heatmap::{weights as weights_map, HeatmapData};
use crate::charts::lines::{draw_row_diagram, row_diagram_height, RowDiagram};
use crate::charts::plots::{draw_curves, CurveChart, Series, SCALED};
use crate::frames::{drive, now_ms};
use crate::widgets::chart::{Chart, DrawFn};
use crate::widgets::heatmap::Heatmap;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::{Question, SelfCheck};
use crate::widgets::slider::{Slider, Toggle};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::train::seq2seq::hard_alignment;
use attention_core::train::translate::{alignment_error_rate, reference, Vocab};
use attention_core::Mat;
use leptos::prelude::*;
use state::AlignState;
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "alignment";

const QUESTIONS: &[Question] = &[
    Question {
        prompt: "In “le chat noir” → “the black cat”, where does the row of “black” put its weight (layer 2, heads averaged)?",
        options: &["On “le”", "On “noir”", "On “chat”"],
        answer: 1,
        explain: "The model learned that the adjective comes after the noun in the source and before it in the target, so while writing “black” it looks two words further on than the diagonal would suggest: a swap.",
    },
    Question {
        prompt: "Where does “potato” look, and why is that still right?",
        options: &["At one of “pomme de terre”", "At “le”", "Nowhere in particular"],
        answer: 0,
        explain: "Three source words make one target word, so the true alignment links “potato” to all three; a hard alignment picks one of them, which counts as correct.",
    },
    Question {
        prompt: "Train from scratch and move the scrubber back to step 0. What does the attention look like before training?",
        options: &["Already a clean diagonal", "Spread out almost evenly (noise)", "All on the first word"],
        answer: 1,
        explain: "With random weights every source word scores about the same, so the weights are nearly uniform; the diagonal-with-swaps pattern appears only as the model learns to translate.",
    },
];

/// The chapter's page.
pub fn page() -> AnyView {
    view! { <AlignmentChapter /> }.into_any()
}

/// `m` with each row's largest entry set to 1 and the rest to 0.
pub fn harden(m: &Mat) -> Mat {
    let mut out = Mat::zeros(m.nrows(), m.ncols());
    for (t, s) in hard_alignment(m, m.nrows()) {
        out[(t, s)] = 1.0;
    }
    out
}

/// The rows of `m` as vectors.
fn rows(m: &Mat) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|r| m.row(r).iter().copied().collect())
        .collect()
}

/// A map with target-word rows and source-word columns.
fn align_map(m: &Mat, rows_l: &[String], cols: &[String]) -> HeatmapData {
    let mut d = weights_map(m, cols);
    d.row_labels = rows_l.to_vec();
    d
}

#[component]
fn AlignmentChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, AlignState::from_query, AlignState::to_query);
    let state = url.state;
    let vocab = Arc::new(Vocab::default());
    let (models, status) = use_translators();
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let view_sel = Memo::new(move |_| state.with(|s| (s.layer, s.head, s.hard)));
    let v1 = vocab.clone();
    let input = Memo::new(move |_| text.with(|t| read_input(t, &v1)));
    let v2 = vocab.clone();
    let translation = Memo::new(move |_| {
        models.with(|m| {
            m.as_ref()
                .map(|m| input.with(|i| translate(&m.0.attention, &v2, i)))
        })
    });
    // The matrix shown: rows are the produced words and the end mark.
    let shown = Memo::new(move |_| {
        let (layer, head, hard) = view_sel.get();
        translation.with(|t| match t {
            Some(Ok(t)) => {
                let (mean, heads) = t.cross.get(layer)?;
                let m = match head {
                    None => mean.clone(),
                    Some(h) => heads.get(h)?.clone(),
                };
                let m = if hard { harden(&m) } else { m };
                let mut row_labels = t.words.clone();
                row_labels.push("</s>".into());
                Some((m, row_labels))
            }
            _ => None,
        })
    });
    let notes = Signal::derive(move || {
        let mut n = url.notes.get();
        n.extend(input.with(|i| i.notes.clone()));
        n
    });
    let heat = Signal::derive(move || {
        shown.with(|s| match s {
            Some((m, r)) => input.with(|i| align_map(m, r, &i.words)),
            None => crate::chapters::self_attention::empty_heatmap(),
        })
    });
    let truth_map = Signal::derive(move || {
        input.with(|i| match &i.reference {
            Ok(p) => {
                let mut m = Mat::zeros(p.target.len(), p.source.len());
                for &(t, s) in &p.alignment {
                    m[(t, s)] = 1.0;
                }
                align_map(&m, &p.target, &p.source)
            }
            Err(_) => crate::chapters::self_attention::empty_heatmap(),
        })
    });
    let diagram = Memo::new(move |_| {
        let (layer, head, hard) = view_sel.get();
        shown.with(|s| {
            let (m, r) = s
                .as_ref()
                .ok_or_else(|| status.get().unwrap_or_else(|| "No translation yet.".into()))?;
            Ok::<_, String>(input.with(|i| {
                RowDiagram {
                    title: format!(
                        "Layer {}, {}: {} alignment",
                        layer + 1,
                        head.map_or("heads averaged".to_string(), |h| format!("head {}", h + 1)),
                        if hard { "hard" } else { "soft" }
                    ),
                    top: i.words.clone(),
                    bottom: r[..r.len().saturating_sub(1)].to_vec(),
                    weights: rows(m),
                    truth: i
                        .reference
                        .as_ref()
                        .map(|p| p.alignment.clone())
                        .unwrap_or_default(),
                    color: SCALED,
                }
            }))
        })
    });
    let diagram_draw: Arc<DrawFn> = Arc::new(move |area, s, th| {
        diagram.with(|d| match d {
            Ok(d) => draw_row_diagram(area, d, th, s).map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        })
    });
    let sentence_aer = move || {
        let (layer, head, _) = view_sel.get();
        translation.with(|t| match t {
            Some(Ok(t)) => input.with(|i| match &i.reference {
                Ok(p) => {
                    let Some((mean, heads)) = t.cross.get(layer) else { return String::new() };
                    let m = match head {
                        None => Some(mean),
                        Some(h) => heads.get(h),
                    };
                    let Some(m) = m else { return String::new() };
                    let n = t.words.len().min(p.target.len());
                    let aer = alignment_error_rate(&hard_alignment(m, n), &p.alignment);
                    format!(
                        "Alignment error rate for your sentence (this layer and head, hard alignment of the first {n} words against the true links): {aer:.3}{}",
                        if t.words == p.target { "." } else { ". The translation differs from the reference, so the rows may not line up." }
                    )
                }
                Err(_) => "Your sentence does not follow the grammar, so there is no true alignment to compare with.".into(),
            }),
            _ => String::new(),
        })
    };
    let map_numbers_note = move || {
        view_sel.with(|&(_, _, hard)| {
            if hard {
                "Hard: each row keeps only its largest weight (1), the rest are 0."
            } else {
                "Soft: each row is the attention weights (they sum to 1)."
            }
        })
    };
    view! {
        <article class="chapter alignment">
            <ChapterHead slug=SLUG>
                "With attention, the decoder chooses where to look in the source for every word it writes. "
                "Nobody tells it which source word matches which target word; it learns that from translating. "
                "Its weights turn out to be a soft word alignment: mostly along the diagonal, with swaps where the word order differs."
            </ChapterHead>
            <section aria-labelledby="look-title">
                <h2 id="look-title">"1 · Where it looks while it writes"</h2>
                <SentenceInput
                    text=Signal::derive(move || text.get())
                    on_text=Callback::new(move |t: String| url.edit(|s| s.text = crate::text::cap_text(&t).0))
                />
                <Notes notes=notes />
                <p class="measure" data-testid="reference">{move || input.with(reference_line)}</p>
                <div class="card">
                    <h3>"The attention translator writes"</h3>
                    {move || translation.with(|t| match t {
                        None => view! { <p class="hint">{move || status.get().unwrap_or_default()}</p> }.into_any(),
                        Some(Ok(t)) => input.with(|i| words_view(t, i, "out-attention")).into_any(),
                        Some(Err(e)) => view! { <p class="error">{e.clone()}</p> }.into_any(),
                    })}
                </div>
                <div class="control-grid">
                    <div class="control" role="group" aria-label="Decoder layer">
                        <span class="label">"Decoder layer"</span>
                        {(0..state::LAYERS as usize).map(|l| view! {
                            <button data-testid=format!("layer-{}", l + 1) aria-pressed=move || (view_sel.get().0 == l).to_string() on:click=move |_| url.edit(|s| s.layer = l)>{(l + 1).to_string()}</button>
                        }).collect_view()}
                    </div>
                    <div class="control" role="group" aria-label="Head">
                        <span class="label">"Head"</span>
                        <button data-testid="head-mean" aria-pressed=move || (view_sel.get().1.is_none()).to_string() on:click=move |_| url.edit(|s| s.head = None)>"average"</button>
                        {(0..state::HEADS).map(|h| view! {
                            <button data-testid=format!("head-{}", h + 1) aria-pressed=move || (view_sel.get().1 == Some(h)).to_string() on:click=move |_| url.edit(|s| s.head = Some(h))>{(h + 1).to_string()}</button>
                        }).collect_view()}
                    </div>
                    <Toggle label="Hard alignment (keep only each row's largest weight)" test_id="hard" checked=Signal::derive(move || view_sel.get().2) on_change=Callback::new(move |on: bool| url.edit(|s| s.hard = on)) />
                </div>
                <p class="measure" data-testid="sentence-aer" aria-live="polite">{sentence_aer}</p>
                <Chart width=900.0 height=row_diagram_height(13.0) test_id="row-diagram" label=Signal::derive(|| "Lines from each target word to the source words it attends to; grey guides are the true alignment".to_string()) draw=diagram_draw>
                    <p>{map_numbers_note}" The same numbers are in the matrix's Numbers table below."</p>
                </Chart>
                <div class="row-of-maps">
                    <Heatmap title="Cross-attention" subtitle=Signal::derive(move || heat.with(|h| format!("{} × {} · target words × source words · {}", h.rows, h.cols, if view_sel.get().2 { "hard" } else { "soft" }))) data=heat test_id="cross-attention" />
                    <Heatmap title="True alignment" subtitle=Signal::derive(move || truth_map.with(|h| format!("{} × {} · from the grammar", h.rows, h.cols))) data=truth_map test_id="true-alignment" />
                </div>
            </section>
            <LengthSection models=models vocab=vocab.clone() aer=true />
            <LearnSection url=url />
            <SelfCheck questions=QUESTIONS />
        </article>
    }
}

/// Training steps per frame budget.
const FRAME_BUDGET_MS: f64 = 12.0;

/// Section 3: train from scratch, scrub through the snapshots.
#[component]
fn LearnSection(url: UrlState<AlignState>) -> impl IntoView {
    let state = url.state;
    // The watched sentence: the learner's if it follows the grammar (and
    // has at most 12 words), else the chapter's default.
    let watched = Memo::new(move |_| {
        state.with(|s| {
            let words: Vec<String> = crate::text::tokenize(&s.text).tokens;
            match reference(&words) {
                Ok(p) if p.source.len() <= 12 => (p, None),
                _ => (
                    reference(&["le", "chat", "noir", "ne", "mange", "pas", "la", "pomme", "de", "terre"])
                        .unwrap_or_else(|_| attention_core::train::translate::Pair { source: vec![], target: vec![], alignment: vec![] }),
                    Some("Your sentence is longer than 12 words or does not follow the grammar, so the model in training is watched on “le chat noir ne mange pas la pomme de terre”.".to_string()),
                ),
            }
        })
    });
    let cfg = Memo::new(move |_| state.with(|s| (s.steps, s.seed)));
    let learner = StoredValue::new_local(None::<learn::Learner>);
    let snapshots = RwSignal::new(Vec::<learn::Snapshot>::new());
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let scrub = RwSignal::new(0usize);
    let follow = RwSignal::new(true);
    let reset = move |(steps, seed): (usize, u64), pair: attention_core::train::translate::Pair| {
        running.set(false);
        match learn::Learner::new(pair, steps, seed) {
            Ok(l) => {
                snapshots.set(l.snapshots.clone());
                learner.set_value(Some(l));
                error.set(None);
            }
            Err(e) => {
                learner.set_value(None);
                snapshots.set(Vec::new());
                error.set(Some(e));
            }
        }
        scrub.set(0);
        follow.set(true);
    };
    Effect::new(move |_| {
        let c = cfg.get();
        let p = watched.with(|w| w.0.clone());
        reset(c, p);
    });
    let toggle = move |_| {
        let start = !running.get_untracked();
        running.set(start);
        if !start {
            return;
        }
        drive(running, FRAME_BUDGET_MS, move |deadline| {
            let mut snaps = None;
            let mut done = false;
            let mut failed = None;
            learner.try_update_value(|l| {
                let Some(l) = l.as_mut() else {
                    done = true;
                    return;
                };
                let before = l.snapshots.len();
                while now_ms() < deadline && !done {
                    match l.work() {
                        Ok(d) => done = d,
                        Err(e) => {
                            failed = Some(e);
                            done = true;
                        }
                    }
                }
                if l.snapshots.len() != before {
                    snaps = Some(l.snapshots.clone());
                }
            })?;
            if let Some(s) = snaps {
                let last = s.len().saturating_sub(1);
                snapshots.try_set(s);
                if follow.try_get_untracked()? {
                    scrub.try_set(last);
                }
            }
            if let Some(e) = failed {
                error.try_set(Some(e));
            }
            Some(done)
        });
    };
    let current = Memo::new(move |_| {
        let i = scrub.get();
        snapshots.with(|s| s.get(i.min(s.len().saturating_sub(1))).cloned())
    });
    let heat = Signal::derive(move || {
        current.with(|c| match c {
            Some(c) => watched.with(|(p, _)| {
                let mut rows_l = p.target.clone();
                rows_l.push("</s>".into());
                align_map(&c.attention, &rows_l, &p.source)
            }),
            None => crate::chapters::self_attention::empty_heatmap(),
        })
    });
    let aer_chart = Memo::new(move |_| {
        snapshots.with(|s| {
            Ok::<_, String>(CurveChart {
                title: "Alignment error rate of the watched sentence".into(),
                x_label: "training step".into(),
                y_label: "AER".into(),
                y_range: (0.0, 1.0),
                series: vec![Series {
                    name: "hard alignment vs truth".into(),
                    points: s.iter().map(|x| (x.step as f64, x.aer)).collect(),
                    color: SCALED,
                    square: false,
                }],
                x_max: cfg.get().0 as f64,
            })
        })
    });
    let aer_draw: Arc<DrawFn> = Arc::new(move |area, s, th| {
        aer_chart.with(|c| match c {
            Ok(c) => draw_curves(area, c, th, s).map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        })
    });
    let n_snaps = Memo::new(move |_| snapshots.with(Vec::len));
    let scrub_text = move || {
        current.with(|c| match c {
            Some(c) => format!(
                "Step {} · AER {:.3}{}",
                c.step,
                c.aer,
                if c.loss.is_finite() {
                    format!(" · training loss {:.3}", c.loss)
                } else {
                    " · untrained".into()
                }
            ),
            None => String::new(),
        })
    };
    let aer_table = move || {
        snapshots.with(|s| {
            let rows = s.iter().map(|x| vec![x.step.to_string(), format!("{:.3}", x.aer), if x.loss.is_finite() { format!("{:.4}", x.loss) } else { "—".into() }]);
            view! { <NumbersTable data=TableData::plain(&["step", "AER", "mean training loss"], rows) /> }
        })
    };
    let done = move || snapshots.with(|s| s.last().map(|x| x.step)) == Some(cfg.get().0);
    view! {
        <section aria-labelledby="learn-title" class="training">
            <h2 id="learn-title">"3 · Watch it learn"</h2>
            <p>
                "A smaller attention translator (one encoder and one decoder layer, sentences of 3 to 12 words) trains from scratch right here. "
                {format!("Every {} steps we record where it looks while it writes the reference translation of one sentence. Drag the scrubber to move through training.", learn::EVERY)}
            </p>
            {move || watched.with(|w| w.1.clone()).map(|n| view! { <p class="notes">{n}</p> })}
            <div class="control-grid">
                <Slider label="Training steps" test_id="learn-steps" step=50.0 value=Signal::derive(move || cfg.get().0 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.steps = (v.round() as usize).clamp(state::STEPS_MIN as usize, state::STEPS_MAX as usize))) min=state::STEPS_MIN as f64 max=state::STEPS_MAX as f64 />
                <div class="control">
                    <button class="primary" data-testid="learn-toggle" disabled=done on:click=toggle>
                        {move || if running.get() { "Pause" } else if done() { "Done" } else if n_snaps.get() > 1 { "Continue" } else { "Train from scratch" }}
                    </button>
                    <button data-testid="learn-reset" on:click=move |_| reset(cfg.get_untracked(), watched.with_untracked(|w| w.0.clone()))>"Reset"</button>
                    <button data-testid="learn-seed" on:click=move |_| url.edit(|s| s.seed = (s.seed + 1) % (state::SEED_MAX as u64 + 1))>{move || format!("New seed (now {})", cfg.get().1)}</button>
                </div>
            </div>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            {move || {
                let max = (cfg.get().0 / learn::EVERY) as f64;
                view! {
                    <Slider
                        label="Scrubber: training step shown"
                        test_id="scrubber"
                        value=Signal::derive(move || scrub.get() as f64)
                        on_change=Callback::new(move |v: f64| {
                            let last = n_snaps.get_untracked().saturating_sub(1);
                            let i = (v.round().max(0.0) as usize).min(last);
                            follow.set(i == last);
                            scrub.set(i);
                        })
                        min=0.0
                        max=max
                        hint=Signal::derive(move || format!("(snapshot; {} recorded)", n_snaps.get()))
                    />
                }
            }}
            <p class="measure" data-testid="scrub-status" aria-live="polite">{scrub_text}</p>
            <div class="row-of-maps">
                <Heatmap title="Cross-attention while writing the reference" subtitle=Signal::derive(move || heat.with(|h| format!("{} × {} · at the scrubbed step", h.rows, h.cols))) data=heat test_id="learn-attention" />
                <Chart width=520.0 height=300.0 test_id="learn-aer" label=Signal::derive(|| "Alignment error rate of the watched sentence against training step".to_string()) draw=aer_draw>
                    {aer_table}
                </Chart>
            </div>
        </section>
    }
}
