//! Chapter 7: Multi-head attention and head pruning, on the trained
//! self-attention model (`public/models/coref.bin`).
//!
//! The learner switches heads off and sees, live, the held-out accuracy and
//! the model's answer for their sentence; a head study
//! (`attention_core::train::head_study`, run a slice per animation frame)
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

use crate::chapters::self_attention::model::analyse;
use crate::chapters::self_attention::state::LAYERS;
use crate::chapters::self_attention::{answers_view, LayerPicker, HEADS};
use crate::chapters::{ChapterHead, UrlState};
use crate::charts::plots::draw_curves;
use crate::frames::drive;
use crate::models::{coref_model, load_status, Load};
use crate::widgets::chart::{Chart, DrawFn};
use crate::widgets::choice::ChoiceGroup;
use crate::widgets::heatmap::Heatmap;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::{Question, SelfCheck};
use crate::widgets::table::NumbersTable;
use crate::widgets::token_editor::TokenEditor;
use attention_core::train::coref::{accuracy, Corpus, KindAccuracy};
use attention_core::train::head_study::{HeadReport, HeadStudy};
use attention_core::train::EncoderClassifier;
use leptos::prelude::*;
use model::{head_name, layer_parts, masked, pruning_chart, pruning_table, ranking};
use state::MhState;
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "multi-head";

/// Held-out sentences behind every accuracy on the page (the first ones of
/// the stream `train-coref` reports on).
pub const HELD_OUT: usize = 300;
const HELD_OUT_SEED: u64 = 7;
const FRAME_BUDGET_MS: f64 = 12.0;

const QUESTIONS: &[Question] = &[
    Question {
        prompt: "Switch off the head at the top of the ranking. What happens to the held-out accuracy?",
        options: &["Nothing", "It falls by several points or more", "It rises"],
        answer: 1,
        explain: "The ranking is measured: the top head is the one whose removal cost the most accuracy on the held-out sentences.",
    },
    Question {
        prompt: "Now switch on every head again and switch off only the two heads at the bottom of the ranking. What happens?",
        options: &["The model breaks", "Accuracy barely moves", "Accuracy rises to 100%"],
        answer: 1,
        explain: "Several heads are redundant: others can do their job, so removing them costs little. This is what Michel, Levy and Neubig found in much larger models.",
    },
    Question {
        prompt: "In a layer with 4 heads of width 8 on a 32-wide model, what is the shape of the concatenation for an 11-word sentence?",
        options: &["11 × 8", "11 × 32", "32 × 32"],
        answer: 1,
        explain: "Each head outputs 11 × 8; side by side that is 11 × 32, which W_O (32 × 32) maps back to the model width.",
    },
];

/// The chapter's page.
pub fn page() -> AnyView {
    view! { <MultiHeadChapter /> }.into_any()
}

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

#[component]
fn MultiHeadChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, MhState::from_query, MhState::to_query);
    let state = url.state;
    let corpus = Corpus::new();
    let held = Arc::new(corpus.held_out(HELD_OUT, HELD_OUT_SEED));
    let shipped = coref_model();
    let shipped_for_model = shipped.clone();
    let model = Memo::new(move |_| match shipped_for_model.get() {
        Load::Ready(m) => Some(m),
        _ => None,
    });
    let off = Memo::new(move |_| state.with(|s| s.off.clone()));
    let current = Memo::new(move |_| {
        let m = model.get()?;
        Some(Arc::new(off.with(|o| masked(&m, o))))
    });
    let held_live = held.clone();
    let live = Memo::new(move |_| {
        current
            .get()
            .map(|m| accuracy(&m, &held_live).map_err(|e| e.to_string()))
    });
    let corpus_a = corpus.clone();
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let analysis = Memo::new(move |_| {
        let m = current.get()?;
        Some(text.with(|t| analyse(&m, &corpus_a, t, None)))
    });

    // The head study runs once the model is there, a slice per frame.
    let report = RwSignal::new(None::<HeadReport>);
    let progress = RwSignal::new(0.0_f64);
    let study_error = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let held_study = held.clone();
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let Some(m) = model.get() else {
            return false;
        };
        let mut study = match HeadStudy::new(&m, (*held_study).clone()) {
            Ok(s) => s,
            Err(e) => {
                study_error.set(Some(e.to_string()));
                return true;
            }
        };
        running.set(true);
        drive(running, FRAME_BUDGET_MS, move |deadline| {
            while crate::frames::now_ms() < deadline && !study.finished() {
                if let Err(e) = study.step() {
                    study_error.try_set(Some(e.to_string()));
                    return Some(true);
                }
            }
            progress.try_update(|p| *p = study.progress())?;
            if study.finished() {
                report.try_set(study.report());
            }
            Some(study.finished())
        });
        true
    });

    let set_text = Callback::new(move |t: String| url.edit(|s| s.text = t));
    // A memo, so the race restarts only when its seed changes.
    let race_seed = Memo::new(move |_| state.with(|s| s.seed));
    let toggle = Callback::new(move |(l, h): (usize, usize)| url.edit(|s| s.toggle(l, h)));
    let load_text = move || shipped.with(load_status);
    let n_off = move || off.with(Vec::len);
    let chart_draw: Arc<DrawFn> = Arc::new(move |area, s, th| {
        report.with(|r| match r {
            Some(r) => draw_curves(area, &pruning_chart(r), th, s).map_err(|e| e.to_string()),
            None => Ok(()),
        })
    });

    view! {
        <article class="chapter multi-head">
            <ChapterHead slug=SLUG>
                "A layer runs several attention heads side by side, each with its own queries, keys and values, so each can look for something different. "
                "Their outputs are put next to each other and mixed by one more matrix, W_O. "
                "Here you take a trained model apart: switch heads off and measure what each one was worth."
            </ChapterHead>

            <section class="controls" aria-labelledby="switch-title">
                <h2 id="switch-title">"1 · Switch heads off"</h2>
                <TokenEditor text=Signal::derive(move || text.get()) on_text=set_text />
                <Notes notes=url.notes />
                {move || load_text().map(|t| view! { <p class="status" role="status">{t}</p> })}
                <p class="measure live" data-testid="live-accuracy" aria-live="polite">
                    {move || live.with(|l| match l {
                        Some(Ok(a)) => format!(
                            "With {} of {} heads on: held-out accuracy {} on {HELD_OUT} sentences.",
                            LAYERS * HEADS - n_off(),
                            LAYERS * HEADS,
                            describe(a)
                        ),
                        Some(Err(e)) => e.clone(),
                        None => String::new(),
                    })}
                </p>
                {move || analysis.with(|a| match a {
                    Some(Ok(a)) => Some(answers_view(a)),
                    Some(Err(e)) => Some(view! { <p class="notes">{e.clone()}</p> }.into_any()),
                    None => None,
                })}
                <div class="control-row">
                    <button data-testid="all-on" on:click=move |_| url.edit(|s| s.off.clear()) disabled=move || n_off() == 0>
                        "Switch every head on"
                    </button>
                </div>
                <div class="head-cards" data-testid="head-cards">
                    {(0..LAYERS)
                        .flat_map(|l| (0..HEADS).map(move |h| (l, h)))
                        .map(|(l, h)| view! { <HeadCard layer=l head=h state=state report=report toggle=toggle /> })
                        .collect_view()}
                </div>
                <p class="status" data-testid="study-status">
                    {move || match (study_error.get(), report.with(Option::is_some)) {
                        (Some(e), _) => format!("The head study stopped: {e}"),
                        (None, true) => format!("Each head was measured on the same {HELD_OUT} held-out sentences with every other head on."),
                        (None, false) => format!("Measuring every head on {HELD_OUT} held-out sentences… {:.0}%", progress.get() * 100.0),
                    }}
                </p>
            </section>

            <section aria-labelledby="rank-title">
                <h2 id="rank-title">"2 · Which heads matter"</h2>
                <p>
                    "Two ways to score a head. The direct one: switch it off alone and measure the accuracy lost. "
                    "The cheap one (Michel, Levy and Neubig, 2019): put a gate g on the head's output and average |∂loss/∂g| over sentences, one backward pass instead of one evaluation per head. "
                    "The labels come from the heads' measured attention over the held-out sentences."
                </p>
                {move || report.with(|r| r.as_ref().map(|r| {
                    let t = ranking(r);
                    view! { <div class="table-scroll wide" data-testid="ranking"><NumbersTable data=t /></div> }
                }))}
                <p class="measure" data-testid="rank-summary">
                    {move || report.with(|r| r.as_ref().map(rank_summary))}
                </p>
            </section>

            <section aria-labelledby="prune-title">
                <h2 id="prune-title">"3 · Pruning, head by head"</h2>
                <p>"Switch heads off one after another, least important first, and measure after each. Two orders: by the accuracy drop of each head alone, and by the gradient score."</p>
                {move || report.with(Option::is_some).then(|| {
                    let draw = chart_draw.clone();
                    view! {
                        <Chart width=620.0 height=320.0 test_id="pruning" label=Signal::derive(|| "Held-out accuracy against the number of heads pruned".to_string()) draw=draw>
                            {move || report.with(|r| r.as_ref().map(|r| view! { <NumbersTable data=pruning_table(r) /> }))}
                        </Chart>
                    }
                })}
            </section>

            <LayerApart state=state url=url current=current corpus=corpus />

            <race::RaceSection
                seed=race_seed
                on_seed=Callback::new(move |v| url.edit(|s| s.seed = v))
            />

            <SelfCheck questions=QUESTIONS />
        </article>
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
    report: RwSignal<Option<HeadReport>>,
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
            <p class="head-label">{move || info().map_or("measuring…".to_string(), |i| i.pattern.label())}</p>
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
                aria-label=format!("Layer {} head {}", layer + 1, head + 1)
                on:click=move |_| toggle.run((layer, head))
            >
                {move || if on.get() { "On" } else { "Off" }}
            </button>
        </div>
    }
}

/// Section 4: one layer's heads, their concatenation and W_O.
#[component]
fn LayerApart(
    state: Memo<MhState>,
    url: UrlState<MhState>,
    current: Memo<Option<Arc<EncoderClassifier>>>,
    corpus: Corpus,
) -> impl IntoView {
    let layer = Memo::new(move |_| state.with(|s| s.layer));
    let random = Memo::new(move |_| state.with(|s| (s.random, s.random_heads, s.random_width)));
    let parts = Memo::new(move |_| {
        let (rand, heads, width) = random.get();
        if rand {
            return Some(state.with(|s| model::layer_parts_random(&s.text, heads, width)));
        }
        let m = current.get()?;
        let l = layer.get();
        Some(state.with(|s| layer_parts(&m, &corpus, &s.text, l)))
    });
    let n_heads = Memo::new(move |_| {
        parts.with(|p| match p {
            Some(Ok(p)) => p.weights.len(),
            _ => 0,
        })
    });
    let ok = Memo::new(move |_| parts.with(|p| matches!(p, Some(Ok(_)))));
    let with_parts = move |f: fn(&model::LayerParts) -> crate::charts::heatmap::HeatmapData| {
        Signal::derive(move || {
            parts.with(|p| match p {
                Some(Ok(p)) => f(p),
                _ => crate::chapters::self_attention::empty_heatmap(),
            })
        })
    };
    let shape = move |f: fn(&model::LayerParts) -> (usize, usize)| {
        Signal::derive(move || {
            parts.with(|p| match p {
                Some(Ok(p)) => {
                    let (r, c) = f(p);
                    format!("{r} × {c}")
                }
                _ => String::new(),
            })
        })
    };
    view! {
        <section aria-labelledby="apart-title">
            <h2 id="apart-title">"4 · Inside one layer"</h2>
            <p>
                "Each head turns the sentence into its own n × n weights and its own n × 8 output (its weights times its values). "
                "The outputs sit side by side in the concatenation, n × 32, and W_O, 32 × 32, mixes them into the n × 32 the layer adds to its input. "
                "A head that is switched off contributes a block of zeros."
            </p>
            <div class="control-row">
                <div class="control" role="group" aria-label="Weights">
                    <button data-testid="apart-trained" aria-pressed=move || (!random.get().0).to_string() on:click=move |_| url.edit(|s| s.random = false)>
                        "Trained model"
                    </button>
                    <button data-testid="apart-random" aria-pressed=move || random.get().0.to_string() on:click=move |_| url.edit(|s| s.random = true)>
                        "Random weights"
                    </button>
                </div>
                {move || if random.get().0 {
                    view! {
                        <ChoiceGroup label="Heads" test_prefix="rh" options=&[1, 2, 4, 8] current=Signal::derive(move || random.get().1) on_pick=Callback::new(move |v| url.edit(|s| s.random_heads = v)) />
                        <ChoiceGroup label="Width per head" test_prefix="rw" options=&[2, 4, 8, 16] current=Signal::derive(move || random.get().2) on_pick=Callback::new(move |v| url.edit(|s| s.random_width = v)) />
                    }.into_any()
                } else {
                    view! { <LayerPicker current=layer on_pick=Callback::new(move |l| url.edit(|s| s.layer = l)) test_prefix="apart-layer" /> }.into_any()
                }}
            </div>
            <p class="hint">{move || {
                let (rand, h, w) = random.get();
                if rand {
                    format!("Random weights: {h} head{} of width {w} on seeded random word vectors of width {}; the concatenation is n × {}, W_O is {} × {}.", if h == 1 { "" } else { "s" }, model::RANDOM_D_MODEL, h * w, h * w, model::RANDOM_D_MODEL)
                } else {
                    "The trained model: 4 heads of width 8 in each of its 2 layers.".to_string()
                }
            }}</p>
            {move || ok.get().then(|| view! {
                <div class="row-of-maps">
                    {move || (0..n_heads.get())
                        .map(|h| {
                            let data = Signal::derive(move || parts.with(|p| match p {
                                Some(Ok(p)) => p.weight_map(h).unwrap_or_else(crate::chapters::self_attention::empty_heatmap),
                                _ => crate::chapters::self_attention::empty_heatmap(),
                            }));
                            let sub = Signal::derive(move || parts.with(|p| match p {
                                Some(Ok(p)) => format!(
                                    "weights {n} × {n}{}",
                                    if p.on.get(h).copied().unwrap_or(true) { "" } else { " · switched off" },
                                    n = p.words.len()
                                ),
                                _ => String::new(),
                            }));
                            view! { <Heatmap title=format!("Head {}", h + 1) subtitle=sub data=data test_id=format!("apart-weights-{}", h + 1) /> }
                        })
                        .collect_view()}
                </div>
                <div class="row-of-maps">
                    <Heatmap title="Concatenation of the head outputs" subtitle=shape(|p| p.concat.shape()) data=with_parts(|p| p.concat_map()) test_id="apart-concat" />
                    <Heatmap title="W_O" subtitle=shape(|p| p.w_o.shape()) data=with_parts(|p| p.w_o_map()) test_id="apart-wo" />
                    <Heatmap title="Concatenation × W_O + b" subtitle=shape(|p| p.out.shape()) data=with_parts(|p| p.out_map()) test_id="apart-out" />
                </div>
            })}
        </section>
    }
}
