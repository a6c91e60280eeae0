//! Chapter 1: The bottleneck.
//!
//! The learner types a French-like sentence and two translators we trained
//! (same encoder-decoder, one reading the source through attention, one
//! through a single context vector) translate it side by side; the context
//! vector itself is shown; both are measured on held-out sentences by
//! length, live; and two small versions of them can be trained in the page.
//!
//! Data flow: URL -> `Memo<BottleneckState>` + the loaded translators ->
//! memos of translations -> views. The held-out measurement
//! ([`crate::widgets::translation::LengthSection`]) and the duel
//! ([`retrain::Duel`]) are jobs run by [`crate::training::Runner`]s.

pub mod model;
pub mod retrain;
pub mod state;

use crate::chapters::ChapterHead;
use crate::loader::{split_view, LazySection, PageFuture};
use crate::models::{TranslatorsRef, CONTEXTS};
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{curves, Chart};
use crate::widgets::choice::OptionGroup;
use crate::widgets::heatmap::Heatmap;
use crate::widgets::notes::Notes;
use crate::widgets::run_buttons::RunButtons;
use crate::widgets::section::Section;
use crate::widgets::self_check::LazySelfCheck;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::translation::model::bucket_label;
use crate::widgets::translation::{
    read_input, reference_line, translation_view, use_translators, Input, LengthMeasure,
    LengthSection, SentenceInput,
};
use attention_core::train::translate::Vocab;
use leptos::prelude::*;
use model::{context_map, duel_length_chart, translate_both, Both, Side};
use retrain::{loss_chart, Duel, DuelConfig, Progress};
use state::{BottleneckState, SEED, STEPS};
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "bottleneck";

const LENGTH_TITLE: &str = "3 · Accuracy against sentence length";
const LENGTH_INTRO: &str = "Every model translates the same held-out sentences, which none of them saw in training, grouped by length. The measure is token accuracy: the share of words that match the reference at the same place, where a missing or extra word counts as wrong.";

split_view!(fn length_part(models: Memo<Option<TranslatorsRef>>, vocab: Arc<Vocab>) in bottleneck_length
    => view! { <LengthSection models=models vocab=vocab measure=LengthMeasure::Accuracy title=LENGTH_TITLE intro=LENGTH_INTRO /> }.into_any());
split_view!(fn context_part(context: Memo<usize>, both: Memo<Option<Both>>) in bottleneck_context
    => view! { <ContextSection context=context both=both /> }.into_any());
split_view!(fn retrain_part(url: UrlState<BottleneckState>) in bottleneck_retrain
    => view! { <RetrainSection url=url /> }.into_any());

/// The chapter's page.
#[component]
pub fn BottleneckChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, BottleneckState::from_query, BottleneckState::to_query);
    let state = url.state;
    let vocab = Arc::new(Vocab::default());
    let (models, status) = use_translators();
    let context = Memo::new(move |_| state.with(|s| s.context));
    let v1 = vocab.clone();
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let input = Memo::new(move |_| text.with(|t| read_input(t, &v1)));
    let v2 = vocab.clone();
    let both = Memo::new(move |_| {
        let c = context.get();
        models.with(|m| {
            m.as_ref()
                .map(|m| input.with(|i| translate_both(m, c, &v2, i)))
        })
    });
    view! {
        <article class="chapter bottleneck">
            <ChapterHead slug=SLUG>
                "Before attention, a translator read the whole source sentence into one vector of fixed size, then wrote the translation from that vector alone. "
                "Short sentences fit; long ones do not. Here two translators we trained differ in exactly that: one reads the source through a single context vector, the other may look back at every source word. "
                "Type a sentence, or pick a long example, and compare."
            </ChapterHead>
            <TranslateSection url=url text=text input=input both=both status=status />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=CONTEXT_TITLE load=move || Box::pin(context_part(context, both)) as PageFuture />
            <LazySection title=LENGTH_TITLE load=move || Box::pin(length_part(models, vocab.clone())) as PageFuture />
            <LazySection title=RETRAIN_TITLE load=move || Box::pin(retrain_part(url)) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

/// Section 1: the sentence, the context width, both translations.
#[component]
fn TranslateSection(
    url: UrlState<BottleneckState>,
    text: Memo<String>,
    input: Memo<Input>,
    both: Memo<Option<Both>>,
    status: Signal<Option<String>>,
) -> impl IntoView {
    let state = url.state;
    let context = Memo::new(move |_| state.with(|s| s.context));
    let notes = Signal::derive(move || {
        let mut n = url.notes.get();
        n.extend(input.with(|i| i.notes.clone()));
        n
    });
    let card = move |side: Side| {
        move || {
            both.with(|b| {
                input.with(|i| {
                    translation_view(b.as_ref().map(|b| b.side(side)), i, status, side.test_id())
                })
            })
        }
    };
    view! {
        <Section id="try-title" title="1 · Translate">
            <SentenceInput text=text on_text=Callback::new(move |t: String| url.edit(|s| s.text = crate::text::cap_text(&t).0)) />
            <Notes notes=notes />
            <p class="measure" data-testid="reference">{move || input.with(reference_line)}</p>
            <ContextButtons url=url />
            <div class="side-by-side">
                <div class="card">
                    <h3>"With attention"</h3>
                    <p class="hint">"The decoder looks at every source word while it writes."</p>
                    {card(Side::Attention)}
                </div>
                <div class="card">
                    <h3>{move || format!("Through a bottleneck of {} numbers", context.get())}</h3>
                    <p class="hint">
                        "The decoder sees one context vector: the mean of the encoder's word vectors, squeezed to this width."
                    </p>
                    {card(Side::Bottleneck)}
                </div>
            </div>
        </Section>
    }
}

/// One button per width of the bottleneck's context vector.
#[component]
fn ContextButtons(url: UrlState<BottleneckState>) -> impl IntoView {
    view! {
        <OptionGroup
            label="Context vector width"
            group_label="Width of the bottleneck's context vector"
            test_prefix="context"
            options=CONTEXTS.to_vec()
            key=|c| c.to_string()
            text=|c| format!("{c} numbers")
            bind=field!(url.context)
        />
    }
}

/// The heading of this section.
const CONTEXT_TITLE: &str = "2 · Everything the bottleneck decoder gets";

/// Section 2: the context vector, all the bottleneck decoder gets.
#[component]
fn ContextSection(context: Memo<usize>, both: Memo<Option<Both>>) -> impl IntoView {
    let context_map = Signal::derive(move || both.with(|b| context_map(b.as_ref())));
    view! {
        <Section id="ctx-title" title=CONTEXT_TITLE>
            <p>
                {move || {
                    format!(
                        "These {} numbers are all the bottleneck translator knows about your sentence, whether it has 3 words or 40.",
                        context.get(),
                    )
                }}
            </p>
            <Heatmap title="Context vector" subtitle=move || format!("1 × {}", context.get()) data=context_map test_id="context-vector" />
        </Section>
    }
}

/// The status line of the duel.
fn duel_status(p: &Progress) -> String {
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
        format!(
            "Trained. Translating held-out sentences: {} of {}.",
            p.measured.0, p.measured.1
        )
    } else {
        format!("Step {} of {}", p.step, p.steps)
    }
}

/// The heading of this section.
const RETRAIN_TITLE: &str = "4 · Train both yourself";

/// Section 4: train small versions of both translators in the page.
#[component]
fn RetrainSection(url: UrlState<BottleneckState>) -> impl IntoView {
    let state = url.state;
    let runner = Runner::new(
        move || {
            state.with(|s| DuelConfig {
                context: s.context,
                steps: s.steps,
                seed: s.seed,
            })
        },
        |c: &DuelConfig| Duel::new(*c),
    );
    let progress = Memo::new(move |_| runner.view().unwrap_or_default());
    let status = move || runner.error().unwrap_or_else(|| progress.with(duel_status));
    view! {
        <Section id="retrain-title" title=RETRAIN_TITLE class="training">
            <p>
                {format!(
                    "Two small translators (one encoder and one decoder layer, sentences of 3 to {} words) start from the same weights and see the same batches; one reads the source with attention, the other through the context vector of the width chosen above. After training, both translate the same {} held-out sentences per length group.",
                    retrain::MAX_LEN,
                    retrain::PER_BUCKET,
                )}
            </p>
            <RetrainControls url=url runner=runner />
            <p class="measure" aria-live="polite">
                <span data-testid="retrain-status">{status}</span>
                " · "
                <span>
                    {move || runner.rate().map_or("—".to_string(), |r| format!("{r:.0} steps/s (both models)"))}
                </span>
            </p>
            <RetrainCharts url=url progress=progress />
        </Section>
    }
}

/// Steps, start / pause, reset and a new seed for the duel.
#[component]
fn RetrainControls(
    url: UrlState<BottleneckState>,
    runner: Runner<DuelConfig, Duel>,
) -> impl IntoView {
    view! {
        <div class="control-grid">
            <ParamSlider label="Training steps" param=STEPS test_id="retrain-steps" step=50.0 bind=field!(url.steps) />
            <RunButtons
                prefix="retrain"
                start="Train both"
                runner=runner
                seed=field!(url.seed)
                seed_param=SEED
            />
        </div>
    }
}

/// The duel's training loss and held-out accuracy by length.
#[component]
fn RetrainCharts(url: UrlState<BottleneckState>, progress: Memo<Progress>) -> impl IntoView {
    let state = url.state;
    let context = Memo::new(move |_| state.with(|s| s.context));
    let loss = Memo::new(move |_| progress.with(|p| loss_chart(p, context.get())));
    let by_length = Memo::new(move |_| progress.with(|p| duel_length_chart(p, context.get())));
    view! {
        <div class="row-of-maps">
            <Chart
                size=(520.0, 300.0)
                test_id="retrain-loss"
                label="Training loss of the two small translators"
                draw=curves(loss)
            >
                <LossTable progress=progress />
            </Chart>
            <Chart
                size=(520.0, 300.0)
                test_id="retrain-accuracy"
                label="Held-out token accuracy of the two small translators by length"
                draw=curves(by_length)
            >
                <DuelTable progress=progress />
            </Chart>
        </div>
    }
}

/// The duel's held-out accuracy per length group.
#[component]
fn DuelTable(progress: Memo<Progress>) -> impl IntoView {
    move || {
        progress.with(|p| {
            let rows = (0..retrain::BUCKETS_MEASURED).map(|b| {
                let mut r = vec![bucket_label(b)];
                r.extend(p.tallies.iter().map(|t| {
                    t.accuracy(b)
                        .map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
                }));
                r
            });
            view! {
                <NumbersTable data=TableData::plain(&["source length", "attention", "bottleneck"], rows) test_id="retrain-table" />
            }
        })
    }
}

/// The duel's loss points.
#[component]
fn LossTable(progress: Memo<Progress>) -> impl IntoView {
    move || {
        progress.with(|p| {
            let [attention, bottleneck] = &p.losses;
            let rows = attention.iter().zip(bottleneck).map(|(a, b)| {
                vec![format!("{}", a.0), format!("{:.4}", a.1), format!("{:.4}", b.1)]
            });
            view! { <NumbersTable data=TableData::plain(&["step", "attention", "bottleneck"], rows) /> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_duel_status_reads_each_phase() {
        let mut p = Progress {
            steps: 50,
            step: 20,
            measured: (0, 40),
            ..Progress::default()
        };
        assert_eq!(duel_status(&p), "Step 20 of 50");
        p.step = 50;
        p.measured.0 = 7;
        assert_eq!(
            duel_status(&p),
            "Trained. Translating held-out sentences: 7 of 40."
        );
        p.done = true;
        assert!(duel_status(&p)
            .starts_with("Done. On 40 held-out sentences of 3 to 20 words: attention 0.0%"));
    }
}
