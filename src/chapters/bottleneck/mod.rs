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
pub mod retrain;
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
            <RetrainSection url=url />
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

/// Section 4: train small versions of both translators in the page.
#[component]
fn RetrainSection(url: UrlState<BottleneckState>) -> impl IntoView {
    let state = url.state;
    let cfg = Memo::new(move |_| state.with(|s| (s.context, s.steps, s.seed)));
    let duel = StoredValue::new_local(None::<retrain::Duel>);
    let progress = RwSignal::new(retrain::Progress::default());
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let rate = RwSignal::new(None::<f64>);
    let reset = move |(c, steps, seed): (usize, usize, u64)| {
        running.set(false);
        rate.set(None);
        match retrain::Duel::new(c, steps, seed) {
            Ok(d) => {
                progress.set(d.progress());
                duel.set_value(Some(d));
                error.set(None);
            }
            Err(e) => {
                duel.set_value(None);
                error.set(Some(e));
            }
        }
    };
    Effect::new(move |_| reset(cfg.get()));
    let toggle = move |_| {
        let start = !running.get_untracked();
        running.set(start);
        if !start {
            return;
        }
        let mut last_push = 0.0;
        drive(running, FRAME_BUDGET_MS, move |deadline| {
            let t0 = now_ms();
            let (mut snapshot, mut done, mut failed, mut steps) = (None, false, None, 0usize);
            duel.try_update_value(|d| {
                let Some(d) = d.as_mut() else {
                    done = true;
                    return;
                };
                let before = d.step();
                while now_ms() < deadline && !done {
                    match d.work() {
                        Ok(x) => done = x,
                        Err(e) => {
                            failed = Some(e);
                            done = true;
                        }
                    }
                }
                steps = d.step() - before;
                if done || now_ms() - last_push > 200.0 {
                    last_push = now_ms();
                    snapshot = Some(d.progress());
                }
            })?;
            let dt = now_ms() - t0;
            if steps > 0 && dt > 0.0 {
                let r = steps as f64 / dt * 1000.0;
                rate.try_update(|x| *x = Some(x.map_or(r, |o| o * 0.8 + r * 0.2)))?;
            }
            if let Some(p) = snapshot {
                progress.try_set(p);
            }
            if let Some(e) = failed {
                error.try_set(Some(e));
            }
            Some(done)
        });
    };
    let charts = Memo::new(move |_| {
        let c = cfg.get().0;
        progress.with(|p| {
            let mut by_length = model::length_chart(
                &p.tallies,
                &["attention".to_string(), format!("bottleneck, {c} numbers")],
                &COLORS,
                false,
            );
            by_length.x_max = retrain::MAX_LEN as f64 + 2.0;
            (retrain::loss_chart(p, c), by_length)
        })
    });
    let loss_draw: Arc<crate::widgets::chart::DrawFn> = Arc::new(move |a, s, th| {
        charts.with(|c| draw_curves(a, &c.0, th, s).map_err(|e| e.to_string()))
    });
    let acc_draw: Arc<crate::widgets::chart::DrawFn> = Arc::new(move |a, s, th| {
        charts.with(|c| draw_curves(a, &c.1, th, s).map_err(|e| e.to_string()))
    });
    let status = move || {
        if let Some(e) = error.get() {
            return e;
        }
        progress.with(|p| {
            if p.done {
                let acc = |i: usize| p.tallies.get(i).and_then(|t| t.overall().0).unwrap_or(0.0) * 100.0;
                format!(
                    "Done. On {} held-out sentences of 3 to {} words: attention {:.1}% of words in place, bottleneck {:.1}%.",
                    p.measured.1,
                    retrain::MAX_LEN,
                    acc(0),
                    acc(1)
                )
            } else if p.step >= p.steps {
                format!("Trained. Translating held-out sentences: {} of {}.", p.measured.0, p.measured.1)
            } else {
                format!("Step {} of {}", p.step, p.steps)
            }
        })
    };
    let table = move || {
        progress.with(|p| {
            let rows = (0..retrain::BUCKETS_MEASURED).map(|b| {
                let mut r = vec![model::bucket_label(b)];
                r.extend(p.tallies.iter().map(|t| t.accuracy(b).map_or("—".into(), |v| format!("{:.1}%", v * 100.0))));
                r
            });
            view! { <NumbersTable data=TableData::plain(&["source length", "attention", "bottleneck"], rows) test_id="retrain-table" /> }
        })
    };
    let loss_table = move || {
        progress.with(|p| {
            let rows = p.losses[0].iter().zip(&p.losses[1]).map(|(a, b)| vec![format!("{}", a.0), format!("{:.4}", a.1), format!("{:.4}", b.1)]);
            view! { <NumbersTable data=TableData::plain(&["step", "attention", "bottleneck"], rows) /> }
        })
    };
    let button = move || {
        if running.get() {
            "Pause"
        } else if progress.with(|p| p.done) {
            "Done"
        } else if progress.with(|p| p.step > 0) {
            "Continue"
        } else {
            "Train both"
        }
    };
    view! {
        <section aria-labelledby="retrain-title" class="training">
            <h2 id="retrain-title">"4 · Train both yourself"</h2>
            <p>
                {format!("Two small translators (one encoder and one decoder layer, sentences of 3 to {} words) start from the same weights and see the same batches; one reads the source with attention, the other through the context vector of the width chosen above. After training, both translate the same {} held-out sentences per length group.", retrain::MAX_LEN, retrain::PER_BUCKET)}
            </p>
            <div class="control-grid">
                <crate::widgets::slider::Slider label="Training steps" test_id="retrain-steps" step=50.0 value=Signal::derive(move || cfg.get().1 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.steps = (v.round() as usize).clamp(state::STEPS_MIN as usize, state::STEPS_MAX as usize))) min=state::STEPS_MIN as f64 max=state::STEPS_MAX as f64 />
                <div class="control">
                    <button class="primary" data-testid="retrain-toggle" disabled=move || progress.with(|p| p.done) on:click=toggle>{button}</button>
                    <button data-testid="retrain-reset" on:click=move |_| reset(cfg.get_untracked())>"Reset"</button>
                    <button data-testid="retrain-seed" on:click=move |_| url.edit(|s| s.seed = (s.seed + 1) % (state::SEED_MAX as u64 + 1))>{move || format!("New seed (now {})", cfg.get().2)}</button>
                </div>
            </div>
            <p class="measure" aria-live="polite">
                <span data-testid="retrain-status">{status}</span>
                " · "
                <span>{move || rate.get().map_or("—".to_string(), |r| format!("{r:.0} steps/s (both models)"))}</span>
            </p>
            <div class="row-of-maps">
                <Chart width=520.0 height=300.0 test_id="retrain-loss" label=Signal::derive(|| "Training loss of the two small translators".to_string()) draw=loss_draw>
                    {loss_table}
                </Chart>
                <Chart width=520.0 height=300.0 test_id="retrain-accuracy" label=Signal::derive(|| "Held-out token accuracy of the two small translators by length".to_string()) draw=acc_draw>
                    {table}
                </Chart>
            </div>
        </section>
    }
}
