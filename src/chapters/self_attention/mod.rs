//! Chapter 5: Self-attention, on a model we trained.
//!
//! The learner edits a sentence; the shipped encoder (`public/models/
//! coref.bin`, made by `train-coref`) reads it. The page shows its answer to
//! each question in the sentence (who "it" is, "is" or "are"), where the
//! selected word looks in every layer and head (line diagrams and matrices),
//! a self- vs cross-attention picture, and lets the learner retrain the
//! model from scratch in the browser (`retrain`).
//!
//! Data flow: URL -> `Memo<SelfAttnState>`; the model (the retraining run's
//! live model while it has started, else the shipped one) + state ->
//! `Memo<Analysis>` ([`crate::widgets::coref::analyse`]) -> charts that only
//! paint.

pub mod model;
pub mod retrain;
pub mod state;

use crate::chapters::ChapterHead;
use crate::charts::export::ChartNumbers;
use crate::charts::lines::{draw_line_diagram, line_diagram_size};
use crate::loader::{split_view, LazySection, PageFuture};
use crate::models::{coref_model, load_status, Load};
use crate::router::UrlState;
use crate::widgets::chart::{draw_from, Chart, Drawing};
use crate::widgets::coref::{
    analyse, answers_view, Analysis, LayerPicker, DEFAULT_TEXT, HEADS, LAYERS,
};
use crate::widgets::heatmap::{empty_heatmap, Heatmap};
use crate::widgets::notes::Notes;
use crate::widgets::section::Section;
use crate::widgets::self_check::LazySelfCheck;
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::token_editor::TokenEditor;
use attention_core::train::coref::Corpus;
use leptos::prelude::*;
use model::swap_adjective;
use state::SelfAttnState;

/// URL slug of this chapter.
pub const SLUG: &str = "self-attention";

/// CSS width of one head's line diagram.
const LINES_WIDTH: f64 = 250.0;
/// The agreement example's sentence.
const AGREEMENT_TEXT: &str = "The keys to the cabinet are on the shelf";

/// The model's reading of the sentence; `Err("")` while the model loads.
type AnalysisMemo = Memo<Result<Analysis, String>>;

/// The heading of section 5.
const CROSS_TITLE: &str = "5 · Self-attention and cross-attention";

split_view!(fn heads_part(analysis: AnalysisMemo) in self_attention_heads
    => view! { <HeadsSection analysis=analysis /> }.into_any());
split_view!(fn matrix_part(url: UrlState<SelfAttnState>, analysis: AnalysisMemo, select: Callback<usize>) in self_attention_matrix
    => view! { <MatrixSection url=url analysis=analysis select=select /> }.into_any());
split_view!(fn cross_part() in self_attention_cross
    => view! {
        <Section id="cross-title" title=CROSS_TITLE>
            <CrossVsSelf />
        </Section>
    }.into_any());
split_view!(fn retrain_part(runner: retrain::RetrainRunner) in self_attention_retrain
    => view! { <retrain::RetrainSection runner=runner /> }.into_any());

/// The chapter's page.
#[component]
pub fn SelfAttentionChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, SelfAttnState::from_query, SelfAttnState::to_query);
    let state = url.state;
    let corpus = Corpus::new();
    let shipped = coref_model();
    // While a retraining run has started, its model replaces the shipped one.
    let runner = retrain::runner(corpus.clone());
    let retrained = Memo::new(move |_| runner.live().map(|v| v.model));
    let active = Memo::new(move |_| {
        retrained.get().or_else(|| match shipped.get() {
            Load::Ready(m) => Some(m),
            _ => None,
        })
    });
    let analysis = Memo::new(move |_| {
        let model = active.get();
        state.with(|s| match model {
            Some(m) => analyse(&m, &corpus, &s.text, s.word),
            None => Err(String::new()),
        })
    });
    let select = Callback::new(move |i: usize| url.edit(|s| s.word = Some(i)));

    view! {
        <article class="chapter self-attention">
            <ChapterHead slug=SLUG>
                "In self-attention every word of a sentence looks at every word of the same sentence, itself included, and takes a weighted mix of what it finds. "
                "Below is a small transformer we trained to say who “it” is and whether a verb should be “is” or “are”. "
                "Change one word and watch where it looks."
            </ChapterHead>
            <SentenceSection url=url analysis=analysis select=select />
            <Section id="answer-title" title="2 · What the model answers">
                {move || analysis.with(|a| a.as_ref().ok().map(answers_view))}
            </Section>
            // The first screen is sections 1 and 2; the later ones load
            // with their own code (src/loader.rs).
            <LazySection title=HEADS_TITLE load=move || Box::pin(heads_part(analysis)) as PageFuture />
            <LazySection
                title=MATRIX_TITLE
                load=move || Box::pin(matrix_part(url, analysis, select)) as PageFuture
            />
            <LazySection title=CROSS_TITLE load=|| Box::pin(cross_part()) as PageFuture />
            <LazySection title=retrain::RETRAIN_TITLE load=move || Box::pin(retrain_part(runner)) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

/// Section 1: the sentence, example buttons, the model's status and the
/// words as the model reads them.
#[component]
fn SentenceSection(
    url: UrlState<SelfAttnState>,
    analysis: AnalysisMemo,
    select: Callback<usize>,
) -> impl IntoView {
    let state = url.state;
    let shipped = coref_model();
    let load_text = move || shipped.with(load_status);
    let set_text = Callback::new(move |t: String| {
        let next = state.with_untracked(|s| s.with_text(t));
        url.commit.run(next);
    });
    view! {
        <Section id="sentence-title" title="1 · Your sentence" class="controls">
            <TokenEditor text=move || state.with(|s| s.text.clone()) on_text=set_text />
            <div class="control-row">
                <button
                    data-testid="swap"
                    on:click=move |_| {
                        if let Some(t) = state.with_untracked(|s| swap_adjective(&s.text)) {
                            set_text.run(t);
                        }
                    }
                    disabled=move || state.with(|s| swap_adjective(&s.text).is_none())
                >
                    "Swap the adjective (tired ↔ wide, scared ↔ busy, …)"
                </button>
                <button data-testid="example-coref" on:click=move |_| set_text.run(DEFAULT_TEXT.to_string())>
                    "Example: the tired animal"
                </button>
                <button data-testid="example-agreement" on:click=move |_| set_text.run(AGREEMENT_TEXT.to_string())>
                    "Example: the keys to the cabinet"
                </button>
            </div>
            <Notes notes=url.notes />
            {move || {
                load_text()
                    .map(|t| view! { <p class="status" role="status" data-testid="model-status">{t}</p> })
            }}
            {move || {
                analysis
                    .with(|a| match a {
                        Err(e) if !e.is_empty() => {
                            Some(view! { <p class="notes" role="status">{e.clone()}</p> }.into_any())
                        }
                        Err(_) => None,
                        Ok(a) => Some(view! { <WordPicker analysis=a.clone() on_select=select /> }.into_any()),
                    })
            }}
        </Section>
    }
}

/// The words as the model reads them, as buttons that select a word.
#[component]
fn WordPicker(analysis: Analysis, on_select: Callback<usize>) -> impl IntoView {
    let chips = analysis
        .words
        .iter()
        .zip(&analysis.known)
        .enumerate()
        .map(|(i, (w, &known))| {
            let label = if known {
                w.clone()
            } else {
                format!("{w} (unknown)")
            };
            let title = if known {
                "In the model's vocabulary"
            } else {
                "Not in the model's vocabulary: read as [unk]"
            };
            view! {
                <li>
                    <button
                        class="word"
                        class:unknown=!known
                        aria-pressed=(analysis.selected == i).to_string()
                        title=title
                        on:click=move |_| on_select.run(i)
                    >
                        {label}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="word-picker">
            <span class="label" id="picker-label">"What the model reads (pick a word to follow):"</span>
            <ul class="chips" aria-labelledby="picker-label" data-testid="words">
                {chips}
            </ul>
            <Notes notes=analysis.notes.clone() />
        </div>
    }
}

/// The heading of this section.
const HEADS_TITLE: &str = "3 · Where the selected word looks, head by head";

/// Section 3: every head's line diagram.
#[component]
fn HeadsSection(analysis: AnalysisMemo) -> impl IntoView {
    let ok = Memo::new(move |_| analysis.with(Result::is_ok));
    view! {
        <Section id="heads-title" title=HEADS_TITLE>
            <p>
                "Each panel is one attention head. Lines run from the selected word (left) to every word (right); thicker, darker lines carry more weight. "
                "Click a word above, or a row in a matrix below, to follow another word."
            </p>
            {move || ok.get().then(|| view! { <HeadGrid analysis=analysis /> })}
        </Section>
    }
}

/// Every head's line diagram, layer by layer.
#[component]
fn HeadGrid(analysis: AnalysisMemo) -> impl IntoView {
    // Sized at the base font: the Chart scales the canvas with the type size.
    let max_rows = Corpus::new().max_len();
    let (w, h) = line_diagram_size(max_rows, LINES_WIDTH, crate::charts::heatmap::BASE_FONT_PX);
    (0..LAYERS)
        .map(|l| {
            view! {
                <div class="row-of-maps head-grid">
                    {(0..HEADS)
                        .map(|hd| {
                            let draw = Drawing::from(draw_from(analysis, move |area, a: &Result<Analysis, String>, s, th| {
                                match a.as_ref().ok().and_then(|a| a.lines(l, hd)) {
                                    Some(d) => draw_line_diagram(area, &d, th, s),
                                    None => Ok(()),
                                }
                            }))
                            .with_numbers_of(analysis, move |a: &Result<Analysis, String>| {
                                a.as_ref().ok()?.lines(l, hd).map(|d| d.numbers())
                            });
                            let label = move || {
                                analysis
                                    .with(|a| {
                                        a.as_ref()
                                            .ok()
                                            .map_or(String::new(), |a| {
                                                let w = a.words.get(a.selected).cloned().unwrap_or_default();
                                                format!("Layer {} head {}: attention from “{w}” to each word", l + 1, hd + 1)
                                            })
                                    })
                            };
                            view! {
                                <Chart size=(w, h) label=label draw=draw test_id=format!("lines-{}-{}", l + 1, hd + 1)>
                                    <RowTable analysis=analysis layer=l head=hd />
                                </Chart>
                            }
                        })
                        .collect_view()}
                </div>
            }
        })
        .collect_view()
}

/// The selected word's weights in one head, as a table.
#[component]
fn RowTable(analysis: AnalysisMemo, layer: usize, head: usize) -> impl IntoView {
    move || {
        analysis.with(|a| {
            a.as_ref().ok().map(|a| {
                let rows = a.words.iter().enumerate().filter_map(|(j, w)| {
                    let v = a.weight(layer, head, j)?;
                    Some(vec![w.clone(), format!("{v:.4}")])
                });
                view! { <NumbersTable data=TableData::plain(&["word", "weight"], rows) /> }
            })
        })
    }
}

/// The heading of this section.
const MATRIX_TITLE: &str = "4 · The full matrices";

/// Section 4: one layer's heads as matrices, with the layer picker.
#[component]
fn MatrixSection(
    url: UrlState<SelfAttnState>,
    analysis: AnalysisMemo,
    select: Callback<usize>,
) -> impl IntoView {
    let state = url.state;
    let ok = Memo::new(move |_| analysis.with(Result::is_ok));
    let layer = Memo::new(move |_| state.with(|s| s.layer));
    view! {
        <Section id="matrix-title" title=MATRIX_TITLE>
            <p>"Row i is word i attending: each row is a softmax over the whole sentence, so it sums to 1. The outlined row is the selected word."</p>
            <LayerPicker current=layer on_pick=Callback::new(move |l| url.edit(|s| s.layer = l)) test_prefix="layer" />
            {move || {
                ok.get().then(|| view! { <LayerMatrices analysis=analysis layer=layer on_select=select /> })
            }}
        </Section>
    }
}

/// The four heads of one layer as heatmaps.
#[component]
fn LayerMatrices(
    analysis: AnalysisMemo,
    layer: Memo<usize>,
    on_select: Callback<usize>,
) -> impl IntoView {
    view! {
        <div class="row-of-maps">
            {(0..HEADS)
                .map(|hd| {
                    let data = move || {
                        let l = layer.get();
                        analysis
                            .with(|a| a.as_ref().ok().and_then(|a| a.heatmap(l, hd)))
                            .unwrap_or_else(empty_heatmap)
                    };
                    let subtitle = move || {
                        let n = analysis.with(|a| a.as_ref().map_or(0, |a| a.words.len()));
                        format!("layer {} · {n} × {n} · rows sum to 1", layer.get() + 1)
                    };
                    let highlight = move || analysis.with(|a| a.as_ref().ok().map(|a| a.selected));
                    view! {
                        <Heatmap
                            title=format!("Head {}", hd + 1)
                            subtitle=subtitle
                            data=data
                            highlight_row=highlight
                            on_select_row=on_select
                            test_id=format!("matrix-{}", hd + 1)
                        />
                    }
                })
                .collect_view()}
        </div>
    }
}

/// One picture: self-attention reads its own sentence, cross-attention
/// another one. A schematic (no weights: those are what the panels above
/// and chapter 2 measure).
#[component]
fn CrossVsSelf() -> impl IntoView {
    const SELF_WORDS: [&str; 5] = ["the", "animal", "was", "it", "tired"];
    const TARGET: [&str; 3] = ["the", "black", "cat"];
    const SOURCE: [&str; 3] = ["le", "chat", "noir"];
    let xs = |n: usize, x0: f64, dx: f64| (0..n).map(move |i| x0 + dx * i as f64);
    let row = |words: &[&'static str], x0: f64, dx: f64, y: f64, class: &'static str| {
        words
            .iter()
            .zip(xs(words.len(), x0, dx))
            .map(|(w, x)| view! { <text x=x y=y class=class text-anchor="middle">{*w}</text> })
            .collect_view()
    };
    let fan = |from: f64, to: Vec<f64>, y1: f64, y2: f64| {
        to.into_iter()
            .map(|x| view! { <line x1=from y1=y1 x2=x y2=y2 class="fan" /> })
            .collect_view()
    };
    view! {
        <figure class="cross-vs-self">
            <svg viewBox="0 0 760 190" role="img" aria-labelledby="cvs-caption">
                <text x="190" y="18" text-anchor="middle" class="head">"Self-attention: one sequence"</text>
                {row(&SELF_WORDS, 50.0, 70.0, 50.0, "q")}
                {fan(260.0, xs(5, 50.0, 70.0).collect(), 58.0, 132.0)}
                {row(&SELF_WORDS, 50.0, 70.0, 150.0, "kv")}
                <text x="190" y="180" text-anchor="middle" class="note">"queries, keys and values: the same words"</text>
                <text x="570" y="18" text-anchor="middle" class="head">"Cross-attention: two sequences"</text>
                {row(&TARGET, 490.0, 80.0, 50.0, "q")}
                {fan(570.0, xs(3, 490.0, 80.0).collect(), 58.0, 132.0)}
                {row(&SOURCE, 490.0, 80.0, 150.0, "kv")}
                <text x="570" y="180" text-anchor="middle" class="note">"queries from the output, keys and values from the input"</text>
            </svg>
            <figcaption id="cvs-caption">
                "Left: in self-attention “it” sends its query to the words of its own sentence. "
                "Right: in cross-attention a word being written (“black”) sends its query to the words of another sentence, as a translator's decoder reads its encoder. "
                "The mechanism is the same softmax of query·key scores; only where the keys and values come from differs. "
                "The lines show who can be attended to, not learned weights."
            </figcaption>
        </figure>
    }
}
