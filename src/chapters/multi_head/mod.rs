//! Chapter 7: Multi-head attention and head pruning, on the trained
//! self-attention model (`public/models/coref.bin`).
//!
//! The learner switches heads off and sees, live, the held-out accuracy and
//! the model's answer for their sentence; a head study (`study`, run by a
//! [`crate::training::Runner`] that starts once the model is loaded)
//! labels every head from its measured attention, ranks the heads by
//! accuracy drop and by gradient importance (Michel et al. 2019) and draws
//! the accuracy as heads are pruned. One layer is also taken apart: each
//! head's weights and output, the concatenation and W_O, with shapes. And
//! a race: 4 heads of width 8 against 1 head of width 32 on a task that
//! needs two lookups at once, trained live (`race`).
//!
//! Data flow: URL -> `Memo<MhState>`; model + heads off -> `Memo` of the
//! masked model -> memos of accuracy, answers and layer parts -> widgets.

pub mod model;
pub mod race;
pub mod state;
pub mod study;

use crate::chapters::ChapterHead;
use crate::charts::export::ChartNumbers;
use crate::charts::heatmap::HeatmapData;
use crate::charts::plots::draw_curves;
use crate::loader::{split_view, LazySection, PageFuture};
use crate::models::{coref_model, load_status, Load};
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from, Chart, Drawing};
use crate::widgets::choice::{ChoiceButtons, ChoiceGroup};
use crate::widgets::coref::{analyse, answers_view, LayerPicker, HEADS, LAYERS};
use crate::widgets::heatmap::{empty_heatmap, Heatmap};
use crate::widgets::notes::Notes;
use crate::widgets::section::Section;
use crate::widgets::self_check::LazySelfCheck;
use crate::widgets::table::NumbersTable;
use crate::widgets::token_editor::TokenEditor;
use attention_core::train::coref::{accuracy, Corpus, KindAccuracy, Sentence};
use attention_core::train::head_study::HeadReport;
use attention_core::train::EncoderClassifier;
use leptos::prelude::*;
use model::{head_name, layer_parts, masked, pruning_chart, pruning_table, ranking, LayerParts};
use state::MhState;
use std::sync::Arc;
use study::{Loaded, StudyRunner};

/// URL slug of this chapter.
pub const SLUG: &str = "multi-head";

/// Held-out sentences behind every accuracy on the page (the first ones of
/// the stream `train-coref` reports on).
pub const HELD_OUT: usize = 300;
const HELD_OUT_SEED: u64 = 7;
/// Head counts and widths offered for the random layer.
const RANDOM_HEAD_CHOICES: &[usize] = &[1, 2, 4, 8];
const RANDOM_WIDTH_CHOICES: &[usize] = &[2, 4, 8, 16];

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn describe(a: &KindAccuracy) -> String {
    format!(
        "{} (coreference {}, agreement {})",
        pct(a.all),
        a.coref.map_or("—".into(), pct),
        a.agreement.map_or("—".into(), pct)
    )
}

/// The shipped model with the learner's heads switched off, once loaded.
type ModelMemo = Memo<Option<Arc<EncoderClassifier>>>;
/// The head study's report, once done.
type ReportMemo = Memo<Option<HeadReport>>;

/// How far the head study is, or why it stopped.
fn study_status(study: StudyRunner, report: ReportMemo) -> String {
    // An empty error is the study waiting for the model (whose status the
    // page shows).
    match (
        study.error().filter(|e| !e.is_empty()),
        report.with(Option::is_some),
    ) {
        (Some(e), _) => format!("The head study stopped: {e}"),
        (None, true) => format!(
            "Each head was measured on the same {HELD_OUT} held-out sentences with every other head on."
        ),
        (None, false) => format!(
            "Measuring every head on {HELD_OUT} held-out sentences… {}%",
            study.with(|v| v.percent).unwrap_or(0)
        ),
    }
}

/// The chapter's page.
#[component]
pub fn MultiHeadChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, MhState::from_query, MhState::to_query);
    let state = url.state;
    let corpus = Corpus::new();
    let held = Arc::new(corpus.held_out(HELD_OUT, HELD_OUT_SEED));
    let shipped = coref_model();
    let model = Memo::new(move |_| match shipped.get() {
        Load::Ready(m) => Some(m),
        _ => None,
    });
    // The masked model changes only with the heads switched off.
    let off = Memo::new(move |_| state.with(|s| s.off.clone()));
    let current = Memo::new(move |_| {
        let m = model.get()?;
        Some(Arc::new(off.with(|o| masked(&m, o))))
    });
    // The head study starts by itself once the model is there.
    let study = study::runner(move || model.get().map(Loaded), held.clone());
    let report = Memo::new(move |_| study.with(|v| v.report.clone()).flatten());
    // A memo, so the race restarts only when its seed changes.
    let race_seed = Memo::new(move |_| state.with(|s| s.seed));

    view! {
        <article class="chapter multi-head">
            <ChapterHead slug=SLUG>
                "A layer runs several attention heads side by side, each with its own queries, keys and values, so each can look for something different. "
                "Their outputs are put next to each other and mixed by one more matrix, W_O. "
                "Here you take a trained model apart: switch heads off and measure what each one was worth."
            </ChapterHead>
            <SwitchSection url=url current=current corpus=corpus.clone() held=held report=report study=study />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=RANK_TITLE load=move || Box::pin(rank_part(report)) as PageFuture />
            <LazySection title=PRUNE_TITLE load=move || Box::pin(prune_part(report)) as PageFuture />
            <LazySection
                title=APART_TITLE
                load=move || Box::pin(apart_part(url, current, corpus.clone())) as PageFuture
            />
            <LazySection
                title=race::TITLE
                load=move || Box::pin(race_part(race_seed, Callback::new(move |v| url.edit(|s| s.seed = v)))) as PageFuture
            />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

const RANK_TITLE: &str = "2 · Which heads matter";
const PRUNE_TITLE: &str = "3 · Pruning, head by head";
const APART_TITLE: &str = "4 · Inside one layer";

split_view!(fn rank_part(report: ReportMemo) in multi_head_rank
    => view! { <RankSection report=report /> }.into_any());
split_view!(fn prune_part(report: ReportMemo) in multi_head_prune
    => view! { <PruneSection report=report /> }.into_any());
split_view!(fn apart_part(url: UrlState<MhState>, current: ModelMemo, corpus: Corpus) in multi_head_apart
    => view! { <LayerApart url=url current=current corpus=corpus /> }.into_any());
split_view!(fn race_part(seed: Memo<u64>, on_seed: Callback<u64>) in multi_head_race
    => view! { <race::RaceSection seed=seed on_seed=on_seed /> }.into_any());

/// Section 1: the sentence, the live accuracy and answer, and one switch per
/// head.
#[component]
fn SwitchSection(
    url: UrlState<MhState>,
    current: ModelMemo,
    corpus: Corpus,
    held: Arc<Vec<Sentence>>,
    report: ReportMemo,
    study: StudyRunner,
) -> impl IntoView {
    let state = url.state;
    let shipped = coref_model();
    let load_text = move || shipped.with(load_status);
    let n_off = Memo::new(move |_| state.with(|s| s.off.len()));
    // (An empty error is the study waiting for the model.)
    let stopped = Signal::derive(move || study.error().is_some_and(|e| !e.is_empty()));
    let live = Memo::new(move |_| {
        current
            .get()
            .map(|m| accuracy(&m, &held).map_err(|e| e.to_string()))
    });
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let analysis = Memo::new(move |_| {
        let m = current.get()?;
        Some(text.with(|t| analyse(&m, &corpus, t, None)))
    });
    let toggle = Callback::new(move |(l, h): (usize, usize)| url.edit(|s| s.toggle(l, h)));
    let live_text = move || {
        live.with(|l| match l {
            Some(Ok(a)) => format!(
                "With {} of {} heads on: held-out accuracy {} on {HELD_OUT} sentences.",
                (LAYERS * HEADS).saturating_sub(n_off.get()),
                LAYERS * HEADS,
                describe(a)
            ),
            Some(Err(e)) => e.clone(),
            None => String::new(),
        })
    };
    view! {
        <Section id="switch-title" title="1 · Switch heads off" class="controls">
            <TokenEditor text=text on_text=Callback::new(move |t: String| url.edit(|s| s.text = t)) />
            <Notes notes=url.notes />
            {move || load_text().map(|t| view! { <p class="status" role="status">{t}</p> })}
            <p class="measure live" data-testid="live-accuracy" aria-live="polite">
                {live_text}
            </p>
            {move || {
                analysis
                    .with(|a| match a {
                        Some(Ok(a)) => Some(answers_view(a)),
                        Some(Err(e)) => Some(view! { <p class="notes">{e.clone()}</p> }.into_any()),
                        None => None,
                    })
            }}
            <div class="control-row">
                <button data-testid="all-on" on:click=move |_| url.edit(|s| s.off.clear()) disabled=move || n_off.get() == 0>
                    "Switch every head on"
                </button>
            </div>
            <div class="head-cards" data-testid="head-cards">
                {(0..LAYERS)
                    .flat_map(|l| (0..HEADS).map(move |h| (l, h)))
                    .map(|(l, h)| view! { <HeadCard layer=l head=h state=state report=report stopped=stopped toggle=toggle /> })
                    .collect_view()}
            </div>
            <p class="status" data-testid="study-status">
                {move || study_status(study, report)}
                {move || study.refused().then(|| view! {
                    " "
                    <button data-testid="study-retry" on:click=move |_| study::start(study)>"Try again"</button>
                })}
            </p>
        </Section>
    }
}

/// Section 2: the ranking of the heads, by both scores.
#[component]
fn RankSection(report: ReportMemo) -> impl IntoView {
    view! {
        <Section id="rank-title" title=RANK_TITLE>
            <p>
                "Two ways to score a head. The direct one: switch it off alone and measure the accuracy lost. "
                "The cheap one (Michel, Levy and Neubig, 2019): put a gate g on the head's output and average |∂loss/∂g| over sentences, one backward pass instead of one evaluation per head. "
                "The labels come from the heads' measured attention over the held-out sentences."
            </p>
            {move || {
                report
                    .with(|r| {
                        r.as_ref()
                            .map(|r| {
                                view! {
                                    <div data-testid="ranking">
                                        <NumbersTable data=ranking(r) />
                                    </div>
                                }
                            })
                    })
            }}
            <p class="measure" data-testid="rank-summary">
                {move || report.with(|r| r.as_ref().map(rank_summary))}
            </p>
        </Section>
    }
}

/// Section 3: accuracy as heads are pruned, in both orders.
#[component]
fn PruneSection(report: ReportMemo) -> impl IntoView {
    let chart = Memo::new(move |_| report.with(|r| r.as_ref().map(pruning_chart)));
    let draw = Drawing::from(draw_from(chart, |area, c, s, th| match c {
        Some(c) => draw_curves(area, c, th, s),
        None => Ok(()),
    }))
    .with_numbers_of(chart, |c: &Option<_>| c.as_ref().map(ChartNumbers::numbers));
    view! {
        <Section id="prune-title" title=PRUNE_TITLE>
            <p>"Switch heads off one after another, least important first, and measure after each. Two orders: by the accuracy drop of each head alone, and by the gradient score."</p>
            {move || {
                report
                    .with(Option::is_some)
                    .then(|| {
                        view! {
                            <Chart size=(620.0, 320.0) test_id="pruning" label="Held-out accuracy against the number of heads pruned" draw=draw.clone()>
                                {move || {
                                    report
                                        .with(|r| r.as_ref().map(|r| view! { <NumbersTable data=pruning_table(r) /> }))
                                }}
                            </Chart>
                        }
                    })
            }}
        </Section>
    }
}

/// One sentence comparing the two rankings, from the numbers.
fn rank_summary(r: &HeadReport) -> String {
    let top_drop = r
        .heads
        .iter()
        .max_by(|a, b| a.drop.total_cmp(&b.drop))
        .map(|i| (head_name(i.layer, i.head), i.drop));
    let top_grad = r.order_gradient.last().map(|&(l, h)| head_name(l, h));
    let harmless = r.heads.iter().filter(|i| i.drop.abs() < 0.005).count();
    match (top_drop, top_grad) {
        (Some((d, v)), Some(g)) => format!(
            "Most important by accuracy drop: {d} (−{:.1} points). Most important by gradient: {g}{}. {harmless} of {} heads cost less than half a point each when removed alone.",
            v * 100.0,
            if d == g { ", the same head" } else { ": the two scores disagree here" },
            r.heads.len()
        ),
        _ => String::new(),
    }
}

/// One head: its measured label, its cost, and its switch.
#[component]
fn HeadCard(
    layer: usize,
    head: usize,
    state: Memo<MhState>,
    report: ReportMemo,
    /// The head study stopped (its code did not load, say): nothing is
    /// being measured.
    stopped: Signal<bool>,
    toggle: Callback<(usize, usize)>,
) -> impl IntoView {
    let on = Memo::new(move |_| state.with(|s| s.is_on(layer, head)));
    let info = move || {
        report.with(|r| {
            r.as_ref().and_then(|r| {
                r.heads
                    .iter()
                    .find(|i| i.layer == layer && i.head == head)
                    .cloned()
            })
        })
    };
    view! {
        <div class="head-card" class:off=move || !on.get() data-testid=format!("head-{}-{}", layer + 1, head + 1)>
            <h3>{format!("Layer {} · head {}", layer + 1, head + 1)}</h3>
            <p class="head-label">{move || info().map_or_else(
                || if stopped.get() { "not measured" } else { "measuring…" }.to_string(),
                |i| i.pattern.label(),
            )}</p>
            <p class="head-nums measure">
                {move || info().map(|i| format!(
                    "alone off: {} ({}) · gradient {:.1e}",
                    pct(i.without.all),
                    model::signed_points(-i.drop),
                    i.importance
                ))}
            </p>
            <button
                class="head-switch"
                aria-pressed=move || on.get().to_string()
                on:click=move |_| toggle.run((layer, head))
            >
                // The name starts with the visible word (WCAG 2.5.3).
                {move || if on.get() { "On" } else { "Off" }}
                <span class="sr-only">{format!(": layer {} head {}", layer + 1, head + 1)}</span>
            </button>
        </div>
    }
}

/// The layer view's parts: `None` while the model loads.
type PartsMemo = Memo<Option<Result<LayerParts, String>>>;

/// One of the parts as a heatmap (empty while there is none).
fn part_map(
    parts: PartsMemo,
    f: fn(&LayerParts) -> HeatmapData,
) -> impl Fn() -> HeatmapData + Copy + Send + Sync + 'static {
    move || {
        parts.with(|p| match p {
            Some(Ok(p)) => f(p),
            _ => empty_heatmap(),
        })
    }
}

/// One of the parts' shapes, "11 × 32".
fn part_shape(
    parts: PartsMemo,
    f: fn(&LayerParts) -> (usize, usize),
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || {
        parts.with(|p| match p {
            Some(Ok(p)) => {
                let (r, c) = f(p);
                format!("{r} × {c}")
            }
            _ => String::new(),
        })
    }
}

/// What the layer view shows, in one sentence.
fn apart_hint(random: bool, heads: usize, width: usize) -> String {
    if random {
        format!(
            "Random weights: {heads} head{} of width {width} on seeded random word vectors of width {}; the concatenation is n × {}, W_O is {} × {}.",
            if heads == 1 { "" } else { "s" },
            model::RANDOM_D_MODEL,
            heads * width,
            heads * width,
            model::RANDOM_D_MODEL
        )
    } else {
        "The trained model: 4 heads of width 8 in each of its 2 layers.".to_string()
    }
}

/// Section 4: one layer's heads, their concatenation and W_O.
#[component]
fn LayerApart(url: UrlState<MhState>, current: ModelMemo, corpus: Corpus) -> impl IntoView {
    let state = url.state;
    let layer = Memo::new(move |_| state.with(|s| s.layer));
    let random = Memo::new(move |_| state.with(|s| (s.random(), s.random_heads, s.random_width)));
    let parts = Memo::new(move |_| {
        let (rand, heads, width) = random.get();
        if rand {
            return Some(state.with(|s| model::layer_parts_random(&s.text, heads, width)));
        }
        let m = current.get()?;
        let l = layer.get();
        Some(state.with(|s| layer_parts(&m, &corpus, &s.text, l)))
    });
    let ok = Memo::new(move |_| parts.with(|p| matches!(p, Some(Ok(_)))));
    view! {
        <Section id="apart-title" title=APART_TITLE>
            <p>
                "Each head turns the sentence into its own n × n weights and its own n × 8 output (its weights times its values). "
                "The outputs sit side by side in the concatenation, n × 32, and W_O, 32 × 32, mixes them into the n × 32 the layer adds to its input. "
                "A head that is switched off contributes a block of zeros."
            </p>
            <ApartControls url=url layer=layer random=random />
            <p class="hint">
                {move || {
                    let (rand, h, w) = random.get();
                    apart_hint(rand, h, w)
                }}
            </p>
            {move || ok.get().then(|| view! { <ApartMaps parts=parts /> })}
        </Section>
    }
}

/// Trained or random weights, and the layer or the random layer's sizes.
#[component]
fn ApartControls(
    url: UrlState<MhState>,
    layer: Memo<usize>,
    random: Memo<(bool, usize, usize)>,
) -> impl IntoView {
    let is_random = Memo::new(move |_| random.get().0);
    view! {
        <div class="control-row">
            <ChoiceButtons label="" group_label="Weights" test_prefix="apart" bind=field!(url.source) />
            {move || {
                if is_random.get() {
                    view! {
                        <ChoiceGroup
                            label="Heads"
                            test_prefix="rh"
                            options=RANDOM_HEAD_CHOICES
                            bind=field!(url.random_heads)
                        />
                        <ChoiceGroup
                            label="Width per head"
                            test_prefix="rw"
                            options=RANDOM_WIDTH_CHOICES
                            bind=field!(url.random_width)
                        />
                    }
                        .into_any()
                } else {
                    view! {
                        <LayerPicker current=layer on_pick=Callback::new(move |l| url.edit(|s| s.layer = l)) test_prefix="apart-layer" />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

/// Every head's weights, then the concatenation, W_O and the layer's output.
#[component]
fn ApartMaps(parts: PartsMemo) -> impl IntoView {
    let n_heads = Memo::new(move |_| {
        parts.with(|p| match p {
            Some(Ok(p)) => p.weights.len(),
            _ => 0,
        })
    });
    let head_map = move |h: usize| {
        let data = move || {
            parts.with(|p| match p {
                Some(Ok(p)) => p.weight_map(h).unwrap_or_else(empty_heatmap),
                _ => empty_heatmap(),
            })
        };
        let sub = move || {
            parts.with(|p| match p {
                Some(Ok(p)) => format!(
                    "weights {n} × {n}{}",
                    if p.on.get(h).copied().unwrap_or(true) {
                        ""
                    } else {
                        " · switched off"
                    },
                    n = p.words.len()
                ),
                _ => String::new(),
            })
        };
        view! {
            <Heatmap title=format!("Head {}", h + 1) subtitle=sub data=data test_id=format!("apart-weights-{}", h + 1) />
        }
    };
    view! {
        <div class="row-of-maps">
            {move || (0..n_heads.get()).map(head_map).collect_view()}
        </div>
        <div class="row-of-maps">
            <Heatmap
                title="Concatenation of the head outputs"
                subtitle=part_shape(parts, |p| p.concat.shape())
                data=part_map(parts, LayerParts::concat_map)
                test_id="apart-concat"
            />
            <Heatmap title="W_O" subtitle=part_shape(parts, |p| p.w_o.shape()) data=part_map(parts, LayerParts::w_o_map) test_id="apart-wo" />
            <Heatmap
                title="Concatenation × W_O + b"
                subtitle=part_shape(parts, |p| p.out.shape())
                data=part_map(parts, LayerParts::out_map)
                test_id="apart-out"
            />
        </div>
    }
}
