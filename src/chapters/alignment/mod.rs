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
//! the translation and its maps ([`model`]) -> widgets that only paint. The
//! held-out measurement ([`crate::widgets::translation::LengthSection`]) and
//! the training from scratch ([`learn::Learner`]) are jobs run by
//! [`crate::training::Runner`]s. The first screen is section 1 without its
//! two matrices; they, and sections 2 and 3, load with their own code once
//! the page is up (src/loader.rs).

pub mod learn;
pub mod model;
pub mod state;

use crate::chapters::ChapterHead;
use crate::charts::lines::{draw_row_diagram, row_diagram_height};
use crate::loader::{split_view, Lazy, LazySection, PageFuture};
use crate::models::TranslatorsRef;
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{curves, plot_from_result, Chart};
use crate::widgets::choice::{ChoiceButtons, OptionGroup};
use crate::widgets::heatmap::{empty_heatmap, Heatmap};
use crate::widgets::notes::Notes;
use crate::widgets::run_buttons::RunButtons;
use crate::widgets::section::Section;
use crate::widgets::self_check::LazySelfCheck;
use crate::widgets::slider::{ParamSlider, Slider, Toggle};
use crate::widgets::table::items_table;
use crate::widgets::translation::{
    read_input, reference_line, translate, translation_view, use_translators, Input, LengthMeasure,
    LengthSection, SentenceInput, Translation,
};
use crate::widgets::Bound;
use attention_core::train::translate::Vocab;
use learn::{LearnConfig, Learner, Scrub, Snapshot};
use leptos::prelude::*;
use model::{Selection, Shown};
use state::{AlignState, LAYER, SEED, STEPS};
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "alignment";

const LENGTH_TITLE: &str = "2 · Agreement with the true alignment, held out";
const LENGTH_INTRO: &str = "The attention translator translates sentences it never saw; for each word it writes, we take the source word its last layer attends to most (heads averaged) and compare with the true links. Alignment error rate: 0 when every link is right, 1 when none is.";

split_view!(fn length_part(models: Memo<Option<TranslatorsRef>>, vocab: Arc<Vocab>) in alignment_length
    => view! { <LengthSection models=models vocab=vocab measure=LengthMeasure::Alignment title=LENGTH_TITLE intro=LENGTH_INTRO /> }.into_any());
split_view!(fn learn_part(url: UrlState<AlignState>) in alignment_learn
    => view! { <LearnSection url=url /> }.into_any());
split_view!(fn maps_part(input: Memo<Input>, shown: Memo<Option<Shown>>, sel: Memo<Selection>) in alignment_maps
    => view! { <AlignmentMaps input=input shown=shown sel=sel /> }.into_any());

/// The chapter's page.
#[component]
pub fn AlignmentChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, AlignState::from_query, AlignState::to_query);
    let state = url.state;
    let vocab = Arc::new(Vocab::default());
    let (models, status) = use_translators();
    let v1 = vocab.clone();
    let text = Memo::new(move |_| state.with(|s| s.text.clone()));
    let input = Memo::new(move |_| text.with(|t| read_input(t, &v1)));
    let v2 = vocab.clone();
    let translation = Memo::new(move |_| {
        models.with(|m| {
            m.as_ref()
                .map(|m| input.with(|i| translate(&m.0.attention, &v2, i)))
        })
    });
    view! {
        <article class="chapter alignment">
            <ChapterHead slug=SLUG>
                "With attention, the decoder chooses where to look in the source for every word it writes. "
                "Nobody tells it which source word matches which target word; it learns that from translating. "
                "Its weights turn out to be a soft word alignment: mostly along the diagonal, with swaps where the word order differs."
            </ChapterHead>
            <LookSection url=url text=text input=input translation=translation status=status />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=LENGTH_TITLE load=move || Box::pin(length_part(models, vocab.clone())) as PageFuture />
            <LazySection title=LEARN_TITLE load=move || Box::pin(learn_part(url)) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

/// Section 1: the sentence, its translation, and where the decoder looks.
#[component]
fn LookSection(
    url: UrlState<AlignState>,
    text: Memo<String>,
    input: Memo<Input>,
    translation: Memo<Option<Result<Translation, String>>>,
    status: Signal<Option<String>>,
) -> impl IntoView {
    let state = url.state;
    let sel = Memo::new(move |_| state.with(Selection::of));
    // The matrix shown: rows are the produced words and the end mark.
    let shown = Memo::new(move |_| {
        let sel = sel.get();
        translation.with(|t| match t {
            Some(Ok(t)) => Shown::of(t, sel),
            _ => None,
        })
    });
    let notes = Signal::derive(move || {
        let mut n = url.notes.get();
        n.extend(input.with(|i| i.notes.clone()));
        n
    });
    let sentence_aer = move || {
        let sel = sel.get();
        translation.with(|t| match t {
            Some(Ok(t)) => input.with(|i| model::sentence_aer(t, i, sel)),
            _ => String::new(),
        })
    };
    view! {
        <Section id="look-title" title="1 · Where it looks while it writes">
            <SentenceInput text=text on_text=Callback::new(move |t: String| url.edit(|s| s.text = crate::text::cap_text(&t).0)) />
            <Notes notes=notes />
            <p class="measure" data-testid="reference">{move || input.with(reference_line)}</p>
            <div class="card">
                <h3>"The attention translator writes"</h3>
                {move || translation.with(|t| input.with(|i| translation_view(t.as_ref(), i, status, "out-attention")))}
            </div>
            <SelectionControls url=url />
            <p class="measure" data-testid="sentence-aer" aria-live="polite">{sentence_aer}</p>
            <RowDiagramChart input=input shown=shown sel=sel status=status />
            // The two matrices, below the lines, load with their own code
            // while the learner reads the lines (src/loader.rs).
            <Lazy
                load=move || Box::pin(maps_part(input, shown, sel)) as PageFuture
                name="The matrices".to_string()
                loading="Loading the matrices…".to_string()
            />
        </Section>
    }
}

/// Decoder layer, head (or their average), soft or hard.
#[component]
fn SelectionControls(url: UrlState<AlignState>) -> impl IntoView {
    // 0-based in the state, 1-based in the URL and on the buttons.
    let layers: Vec<usize> = (0..usize::try_from(LAYER.max).unwrap_or(0)).collect();
    view! {
        <div class="control-grid">
            <OptionGroup
                label="Decoder layer"
                test_prefix="layer"
                options=layers
                key=|l| (l + 1).to_string()
                text=|l| (l + 1).to_string()
                bind=field!(url.layer)
            />
            <ChoiceButtons label="Head" test_prefix="head" bind=field!(url.head) />
            <Toggle label="Hard alignment (keep only each row's largest weight)" test_id="hard" bind=field!(url.hard) />
        </div>
    }
}

/// Lines from each written word to the source words it attends to.
#[component]
fn RowDiagramChart(
    input: Memo<Input>,
    shown: Memo<Option<Shown>>,
    sel: Memo<Selection>,
    status: Signal<Option<String>>,
) -> impl IntoView {
    let diagram = Memo::new(move |_| {
        let sel = sel.get();
        shown.with(|s| {
            let s = s
                .as_ref()
                .ok_or_else(|| status.get().unwrap_or_else(|| "No translation yet.".into()))?;
            Ok::<_, String>(input.with(|i| s.diagram(i, sel)))
        })
    });
    let numbers_note = move || {
        if sel.with(|s| s.hard) {
            "Hard: each row keeps only its largest weight (1), the rest are 0."
        } else {
            "Soft: each row is the attention weights (they sum to 1)."
        }
    };
    view! {
        <Chart
            size=(900.0, row_diagram_height(13.0))
            test_id="row-diagram"
            label="Lines from each target word to the source words it attends to; grey guides are the true alignment"
            draw=plot_from_result(diagram, |area, d, s, th| draw_row_diagram(area, d, th, s))
        >
            <p>{numbers_note}" The same numbers are in the matrix's Numbers table below."</p>
        </Chart>
    }
}

/// The cross-attention shown next to the grammar's true alignment.
#[component]
fn AlignmentMaps(
    input: Memo<Input>,
    shown: Memo<Option<Shown>>,
    sel: Memo<Selection>,
) -> impl IntoView {
    let heat = Signal::derive(move || {
        shown.with(|s| match s {
            Some(s) => input.with(|i| s.map(i)),
            None => empty_heatmap(),
        })
    });
    let truth = Signal::derive(move || input.with(model::truth_map));
    view! {
        <div class="row-of-maps">
            <Heatmap
                title="Cross-attention"
                subtitle=move || {
                    heat.with(|h| {
                        format!("{} × {} · target words × source words · {}", h.rows, h.cols, sel.get().kind())
                    })
                }
                data=heat
                test_id="cross-attention"
            />
            <Heatmap
                title="True alignment"
                subtitle=move || truth.with(|h| format!("{} × {} · from the grammar", h.rows, h.cols))
                data=truth
                test_id="true-alignment"
            />
        </div>
    }
}

/// The heading of this section.
const LEARN_TITLE: &str = "3 · Watch it learn";

/// Section 3: train from scratch, scrub through the snapshots.
#[component]
fn LearnSection(url: UrlState<AlignState>) -> impl IntoView {
    let state = url.state;
    // The watched sentence: the learner's if it follows the grammar (and
    // has at most 12 words), else the chapter's default.
    let watched = Memo::new(move |_| state.with(|s| learn::watched(&s.text)));
    let cfg = Memo::new(move |_| LearnConfig {
        pair: watched.with(|w| w.0.clone()),
        steps: state.with(|s| s.steps),
        seed: state.with(|s| s.seed),
    });
    let runner = Runner::new(move || cfg.get(), Learner::from_config);
    let snapshots = Memo::new(move |_| runner.view().unwrap_or_default());
    let scrub = RwSignal::new(Scrub::default());
    let n_snaps = Memo::new(move |_| snapshots.with(Vec::len));
    let shown = Memo::new(move |_| cfg.with(|c| scrub.with(|s| s.shown(c, n_snaps.get()))));
    let current = Memo::new(move |_| snapshots.with(|s| s.get(shown.get()).cloned()));
    view! {
        <Section id="learn-title" title=LEARN_TITLE class="training">
            <p>
                "A smaller attention translator (one encoder and one decoder layer, sentences of 3 to 12 words) trains from scratch right here. "
                {format!(
                    "Every {} steps we record where it looks while it writes the reference translation of one sentence. Drag the scrubber to move through training.",
                    learn::EVERY,
                )}
            </p>
            {move || watched.with(|w| w.1.clone()).map(|n| view! { <p class="notes">{n}</p> })}
            <LearnControls url=url runner=runner scrub=scrub />
            {move || runner.error().map(|e| view! { <p class="error">{e}</p> })}
            <Scrubber url=url cfg=cfg scrub=scrub shown=shown n_snaps=n_snaps />
            <p class="measure" data-testid="scrub-status" aria-live="polite">
                {move || current.with(|c| c.as_ref().map(model::snapshot_text).unwrap_or_default())}
            </p>
            <LearnViews url=url watched=watched snapshots=snapshots current=current />
        </Section>
    }
}

/// Steps, start / pause, reset and a new seed for the model in training.
#[component]
fn LearnControls(
    url: UrlState<AlignState>,
    runner: Runner<LearnConfig, Learner>,
    scrub: RwSignal<Scrub>,
) -> impl IntoView {
    view! {
        <div class="control-grid">
            <ParamSlider label="Training steps" param=STEPS test_id="learn-steps" step=50.0 bind=field!(url.steps) />
            <RunButtons
                prefix="learn"
                start="Train from scratch"
                runner=runner
                on_reset=move |()| scrub.set(Scrub::default())
                seed=field!(url.seed)
                seed_param=SEED
            />
        </div>
    }
}

/// The scrubber over the recorded snapshots (one position per snapshot
/// the configured training will record).
#[component]
fn Scrubber(
    url: UrlState<AlignState>,
    cfg: Memo<LearnConfig>,
    scrub: RwSignal<Scrub>,
    shown: Memo<usize>,
    n_snaps: Memo<usize>,
) -> impl IntoView {
    let state = url.state;
    let steps = Memo::new(move |_| state.with(|s| s.steps));
    move || {
        let max = (steps.get() / learn::EVERY) as f64;
        view! {
            <Slider
                label="Scrubber: training step shown"
                test_id="scrubber"
                bind=Bound::new(
                    move || shown.get() as f64,
                    move |v: f64| scrub.set(cfg.with_untracked(|c| Scrub::choose(c, v, n_snaps.get_untracked()))),
                )
                min=0.0
                max=max
                hint=move || format!("(snapshot; {} recorded)", n_snaps.get())
            />
        }
    }
}

/// The scrubbed snapshot's attention and the AER over training.
#[component]
fn LearnViews(
    url: UrlState<AlignState>,
    watched: Memo<(attention_core::train::translate::Pair, Option<String>)>,
    snapshots: Memo<Vec<Snapshot>>,
    current: Memo<Option<Snapshot>>,
) -> impl IntoView {
    let state = url.state;
    let heat = Signal::derive(move || {
        current.with(|c| match c {
            Some(c) => watched.with(|(p, _)| model::snapshot_map(c, p)),
            None => empty_heatmap(),
        })
    });
    let chart = Memo::new(move |_| {
        let steps = state.with(|s| s.steps);
        snapshots.with(|s| model::aer_chart(s, steps))
    });
    view! {
        <div class="row-of-maps">
            <Heatmap
                title="Cross-attention while writing the reference"
                subtitle=move || heat.with(|h| format!("{} × {} · at the scrubbed step", h.rows, h.cols))
                data=heat
                test_id="learn-attention"
            />
            <Chart
                size=(520.0, 300.0)
                test_id="learn-aer"
                label="Alignment error rate of the watched sentence against training step"
                draw=curves(chart)
            >
                {aer_table(snapshots)}
            </Chart>
        </div>
    }
}

/// The snapshots' step, AER and training loss.
fn aer_table(snapshots: Memo<Vec<Snapshot>>) -> impl IntoView {
    let header: &'static [&'static str] = &["step", "AER", "mean training loss"];
    items_table(
        snapshots,
        header,
        |x| {
            vec![
                x.step.to_string(),
                format!("{:.3}", x.aer),
                if x.loss.is_finite() {
                    format!("{:.4}", x.loss)
                } else {
                    "—".into()
                },
            ]
        },
        "",
    )
}
