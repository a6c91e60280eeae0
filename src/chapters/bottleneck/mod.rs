//! Chapter 1: The bottleneck.
//!
//! The learner types a French-like sentence and two translators we trained
//! (same encoder-decoder, one reading the source through attention, one
//! through a single context vector) translate it side by side; the context
//! vector itself is shown; and both are measured on held-out sentences by
//! length, live, a sentence per step over animation frames.
//!
//! Data flow: URL -> `Memo<BottleneckState>` + the loaded translators ->
//! memos of translations -> views; the held-out measurement is imperative
//! (a [`model::Measurer`] stepped by `drive`) and published in a signal.

pub mod model;
pub mod state;

use crate::chapters::{ChapterHead, UrlState};
use crate::charts::heatmap::signed;
use crate::charts::plots::draw_curves;
use crate::frames::{drive, now_ms};
use crate::models::{load_status, translators, Load, TranslatorsRef, CONTEXTS};
use crate::widgets::chart::Chart;
use crate::widgets::heatmap::Heatmap;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::{Question, SelfCheck};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::train::translate::Vocab;
use attention_core::train::translator::BUCKETS;
use leptos::prelude::*;
use model::{read_input, translate, Input, Measurer, Tally, Translation, EXAMPLES};
use state::BottleneckState;
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "bottleneck";

/// Series colours: attention (blue), bottleneck 32 (orange), 8 (purple).
pub const COLORS: [crate::charts::colormap::Rgb; 3] =
    [(0x00, 0x72, 0xb2), (0xe6, 0x9f, 0x00), (0xcc, 0x79, 0xa7)];

const QUESTIONS: &[Question] = &[
    Question {
        prompt: "Pick the “very long” example. Which translator keeps more of the sentence?",
        options: &["The one with attention", "The bottleneck", "They do equally well"],
        answer: 0,
        explain: "The bottleneck must squeeze every word into the same few numbers before it writes anything; attention looks back at every source word while it writes each target word.",
    },
    Question {
        prompt: "In the chart, what happens to the bottleneck's accuracy as sentences get longer?",
        options: &["It stays flat", "It falls", "It rises"],
        answer: 1,
        explain: "The context vector has the same size for 3 words and for 40. The longer the sentence, the more has to fit, and the more gets lost.",
    },
    Question {
        prompt: "Does giving the bottleneck 32 numbers instead of 8 fix the problem?",
        options: &["Yes, completely", "It helps, but long sentences still suffer", "It makes it worse"],
        answer: 1,
        explain: "Read it off the chart: a wider vector holds more, but any fixed size runs out as the sentence grows. Attention's memory grows with the sentence instead.",
    },
];

/// The chapter's page.
pub fn page() -> AnyView {
    view! { <BottleneckChapter /> }.into_any()
}

/// The shipped translators as a memo (identity-compared).
pub fn use_translators() -> (Memo<Option<TranslatorsRef>>, Signal<Option<String>>) {
    let load = translators();
    let load2 = load.clone();
    let ready = Memo::new(move |_| match load.get() {
        Load::Ready(t) => Some(TranslatorsRef(t)),
        _ => None,
    });
    let status = Signal::derive(move || load2.with(load_status));
    (ready, status)
}

/// A sentence input with example buttons; `on_text` gets every edit.
#[component]
pub fn SentenceInput(
    #[prop(into)] text: Signal<String>,
    on_text: Callback<String>,
) -> impl IntoView {
    let id = crate::widgets::unique_id("source");
    view! {
        <div class="token-editor">
            <label for=id.clone()>"French-like sentence"</label>
            <input
                id=id
                class="sentence"
                type="text"
                data-testid="sentence"
                spellcheck="false"
                autocomplete="off"
                prop:value=move || text.get()
                on:input=move |ev| on_text.run(event_target_value(&ev))
            />
            <div class="button-row" role="group" aria-label="Example sentences">
                <span class="label">"Examples:"</span>
                {EXAMPLES
                    .iter()
                    .map(|&(name, s)| view! {
                        <button data-testid=format!("example-{}", name.replace(' ', "-")) on:click=move |_| on_text.run(s.to_string())>{name}</button>
                    })
                    .collect_view()}
            </div>
            <details class="numbers">
                <summary>"Words the translators know"</summary>
                <p class="word-bank">{Vocab::default().source[1..].join(" · ")}</p>
                <p class="hint">"Nouns take le/la or un/une and come before their adjectives (la voiture rouge); verbs: mange, voit, aime, suit, regarde + an object, or dort, court, chante; negate with ne … pas; join clauses with et; add a relative clause with qui."</p>
            </details>
        </div>
    }
}

/// The learner's sentence against the grammar, as a line.
pub fn reference_line(input: &Input) -> String {
    match &input.reference {
        Ok(p) => format!("The grammar's own translation: “{}”.", p.target.join(" ")),
        Err(e) => format!(
            "This sentence does not follow the corpus grammar ({e}) The translators still try; there is no reference to score them against."
        ),
    }
}

/// A translation as words marked right or wrong against the reference.
pub fn words_view(t: &Translation, input: &Input, test_id: &'static str) -> impl IntoView {
    let reference = input.reference.as_ref().ok().map(|p| p.target.clone());
    let words = t
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let ok = reference.as_ref().map(|r| r.get(i) == Some(w));
            let (class, label) = match ok {
                Some(true) => ("word ok", format!("{w} (matches the reference)")),
                Some(false) => ("word bad", format!("{w} (differs from the reference)")),
                None => ("word", w.clone()),
            };
            view! { <span class=class aria-label=label>{w.clone()}</span> }
        })
        .collect_view();
    let score = match (t.right, &reference) {
        (Some(r), Some(refw)) => format!(
            "{r} of {} words in place ({:.0}%)",
            refw.len().max(t.words.len()),
            100.0 * r as f64 / refw.len().max(t.words.len()).max(1) as f64
        ),
        _ => String::new(),
    };
    view! {
        <p class="translation" data-testid=test_id>{words}</p>
        <p class="measure" data-testid=format!("{test_id}-score")>{score}</p>
    }
}

#[component]
fn BottleneckChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, BottleneckState::from_query, BottleneckState::to_query);
    let state = url.state;
    let vocab = Arc::new(Vocab::default());
    let (models, status) = use_translators();
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let context = Memo::new(move |_| state.with(|s| s.context));
    let v1 = vocab.clone();
    let input = Memo::new(move |_| text.with(|t| read_input(t, &v1)));
    let v2 = vocab.clone();
    let both = Memo::new(move |_| {
        let c = context.get();
        models.with(|m| {
            m.as_ref().map(|m| {
                input.with(|i| {
                    let a = translate(&m.0.attention, &v2, i);
                    let b = m
                        .bottleneck(c)
                        .ok_or_else(|| "no bottleneck model".to_string())
                        .and_then(|b| translate(b, &v2, i));
                    (a, b)
                })
            })
        })
    });
    let notes = Signal::derive(move || {
        let mut n = url.notes.get();
        n.extend(input.with(|i| i.notes.clone()));
        n
    });
    let context_map = Signal::derive(move || {
        both.with(|b| match b {
            Some((_, Ok(t))) => t.context.as_ref().map(|c| {
                let m = attention_core::Mat::from_row_slice(1, c.len(), c);
                signed(
                    &m,
                    vec!["context".into()],
                    (1..=c.len()).map(|i| i.to_string()).collect(),
                )
            }),
            _ => None,
        })
        .unwrap_or_else(crate::chapters::self_attention::empty_heatmap)
    });
    let card = move |attention: bool| {
        move || {
            both.with(|b| match b {
                None => view! { <p class="hint">{move || status.get().unwrap_or_default()}</p> }
                    .into_any(),
                Some((a, bn)) => {
                    let r = if attention { a } else { bn };
                    match r {
                        Ok(t) => input
                            .with(|i| {
                                words_view(
                                    t,
                                    i,
                                    if attention {
                                        "out-attention"
                                    } else {
                                        "out-bottleneck"
                                    },
                                )
                            })
                            .into_any(),
                        Err(e) => view! { <p class="error">{e.clone()}</p> }.into_any(),
                    }
                }
            })
        }
    };
    view! {
        <article class="chapter bottleneck">
            <ChapterHead slug=SLUG>
                "Before attention, a translator read the whole source sentence into one vector of fixed size, then wrote the translation from that vector alone. "
                "Short sentences fit; long ones do not. Here two translators we trained differ in exactly that: one reads the source through a single context vector, the other may look back at every source word. "
                "Type a sentence, or pick a long example, and compare."
            </ChapterHead>
            <section aria-labelledby="try-title">
                <h2 id="try-title">"1 · Translate"</h2>
                <SentenceInput
                    text=Signal::derive(move || text.get())
                    on_text=Callback::new(move |t: String| url.edit(|s| s.text = crate::text::cap_text(&t).0))
                />
                <Notes notes=notes />
                <p class="measure" data-testid="reference">{move || input.with(reference_line)}</p>
                <div class="control" role="group" aria-label="Width of the bottleneck's context vector">
                    <span class="label">"Context vector width"</span>
                    {CONTEXTS
                        .iter()
                        .map(|&c| view! {
                            <button data-testid=format!("context-{c}") aria-pressed=move || (context.get() == c).to_string() on:click=move |_| url.edit(|s| s.context = c)>
                                {format!("{c} numbers")}
                            </button>
                        })
                        .collect_view()}
                </div>
                <div class="side-by-side">
                    <div class="card">
                        <h3>"With attention"</h3>
                        <p class="hint">"The decoder looks at every source word while it writes."</p>
                        {card(true)}
                    </div>
                    <div class="card">
                        <h3>{move || format!("Through a bottleneck of {} numbers", context.get())}</h3>
                        <p class="hint">"The decoder sees one context vector: the mean of the encoder's word vectors, squeezed to this width."</p>
                        {card(false)}
                    </div>
                </div>
            </section>
            <section aria-labelledby="ctx-title">
                <h2 id="ctx-title">"2 · Everything the bottleneck decoder gets"</h2>
                <p>{move || format!("These {} numbers are all the bottleneck translator knows about your sentence, whether it has 3 words or 40.", context.get())}</p>
                <Heatmap title="Context vector" subtitle=Signal::derive(move || format!("1 × {}", context.get())) data=context_map test_id="context-vector" />
            </section>
            <LengthSection models=models vocab=vocab.clone() aer=false />
            <SelfCheck questions=QUESTIONS />
        </article>
    }
}

/// Sentences translated per animation frame budget.
const FRAME_BUDGET_MS: f64 = 12.0;

/// Names of the measured models, in [`Measurer`] order (attention only
/// when measuring alignment).
pub fn model_names(aer: bool) -> Vec<String> {
    let mut v = vec!["attention".to_string()];
    if !aer {
        v.extend(
            CONTEXTS
                .iter()
                .rev()
                .map(|c| format!("bottleneck, {c} numbers")),
        );
    }
    v
}

/// Held-out token accuracy by length of every model (`aer` false), or the
/// attention model's alignment error rate by length (`aer` true), measured
/// live once the models are loaded.
#[component]
pub fn LengthSection(
    models: Memo<Option<TranslatorsRef>>,
    vocab: Arc<Vocab>,
    aer: bool,
) -> impl IntoView {
    let tallies = RwSignal::new(Vec::<Tally>::new());
    let counts = RwSignal::new((0usize, 0usize));
    let running = RwSignal::new(false);
    let elapsed = RwSignal::new(None::<f64>);
    // Starts once the models are loaded (and again if they change).
    Effect::new(move |_| {
        let Some(m) = models.get() else { return };
        let mut measurer = Measurer::new(model_names(aer).len());
        tallies.set(measurer.tallies.clone());
        counts.set(measurer.counts());
        running.set(true);
        let vocab = vocab.clone();
        let t0 = now_ms();
        drive(running, FRAME_BUDGET_MS, move |deadline| {
            let mut list: Vec<&attention_core::train::seq2seq::Seq2Seq> = vec![&m.0.attention];
            if !aer {
                list.extend(m.0.bottleneck.iter().rev().map(|(_, b)| b));
            }
            let mut done = false;
            while now_ms() < deadline && !done {
                done = measurer.work(&list, &vocab).unwrap_or(true);
            }
            tallies.try_set(measurer.tallies.clone());
            counts.try_set(measurer.counts());
            if done {
                elapsed.try_set(Some((now_ms() - t0) / 1000.0));
            }
            Some(done)
        });
    });
    let chart = Memo::new(move |_| {
        tallies.with(|t| model::length_chart(t, &model_names(aer), &COLORS, aer))
    });
    let draw: Arc<crate::widgets::chart::DrawFn> = Arc::new(move |area, s, th| {
        chart.with(|c| draw_curves(area, c, th, s).map_err(|e| e.to_string()))
    });
    let progress = move || {
        let (d, n) = counts.get();
        let overall = tallies.with(|t| t.first().map(|t| t.overall()));
        let tail = match overall {
            Some((Some(acc), Some(e))) if aer => format!(
                " Over all of them: AER {e:.3}, token accuracy {:.1}%.",
                acc * 100.0
            ),
            _ => String::new(),
        };
        match elapsed.get() {
            Some(t) => format!(
                "Measured on all {n} held-out sentences ({} per length group) in {t:.1} s.{tail}",
                n / BUCKETS.len().max(1)
            ),
            None if n == 0 => "Waiting for the trained translators…".into(),
            None => format!("Measuring: {d} of {n} held-out sentences translated…{tail}"),
        }
    };
    let table = move || {
        tallies.with(|t| {
            let mut header = vec!["source length".to_string()];
            header.extend(model_names(aer).into_iter().map(|n| if aer { format!("{n}: AER") } else { n }));
            if aer {
                header.push("attention: token accuracy".into());
            }
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows = (0..BUCKETS.len()).map(|b| {
                let mut r = vec![model::bucket_label(b)];
                if aer {
                    r.extend(t.iter().map(|x| x.aer(b).map_or("—".into(), |v| format!("{v:.3}"))));
                }
                r.extend(t.iter().map(|x| x.accuracy(b).map_or("—".into(), |v| format!("{:.1}%", v * 100.0))));
                r
            });
            view! { <NumbersTable data=TableData::plain(&h, rows) test_id=if aer { "aer-table" } else { "length-table" } /> }
        })
    };
    let (title, text) = if aer {
        (
            "2 · Agreement with the true alignment, held out",
            "The attention translator translates sentences it never saw; for each word it writes, we take the source word its last layer attends to most (heads averaged) and compare with the true links. Alignment error rate: 0 when every link is right, 1 when none is.",
        )
    } else {
        (
            "3 · Accuracy against sentence length",
            "Every model translates the same held-out sentences, which none of them saw in training, grouped by length. The measure is token accuracy: the share of words that match the reference at the same place, where a missing or extra word counts as wrong.",
        )
    };
    view! {
        <section aria-labelledby=if aer { "aer-title" } else { "len-title" }>
            <h2 id=if aer { "aer-title" } else { "len-title" }>{title}</h2>
            <p>{text}</p>
            <p class="measure" data-testid=if aer { "aer-status" } else { "length-status" } aria-live="polite">{progress}</p>
            <Chart width=620.0 height=340.0 test_id=if aer { "aer-chart" } else { "length-chart" } label=Signal::derive(move || if aer { "Held-out alignment error rate against source length".to_string() } else { "Held-out token accuracy against source length for attention and two bottleneck widths".to_string() }) draw=draw>
                {table}
            </Chart>
        </section>
    }
}
