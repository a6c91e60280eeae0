//! Chapter 3: Query, key, value.
//!
//! The learner types a sentence (or pastes a paragraph: up to 512 tokens;
//! the query picker and the per-key table then show a page at a time and
//! the big matrices zoom), picks d_model, d_k, heads, seed, scaling,
//! temperature and mask, and steps through X -> Q, K, V -> Q K^T -> scaled ->
//! softmax -> output. Selecting a query token outlines its row everywhere and
//! breaks its output down into each value row's contribution. The first
//! screen is the controls and step 1; steps 2-6 and the close-up of the
//! selected query load with their own code, fetched while step 1 is on
//! screen (src/loader.rs).
//!
//! Data flow: URL query -> `Memo<(QkvState, notes)>` -> memos of the inputs
//! (the seeded token vectors and weights; step 1's X is the input itself)
//! -> `Memo<QkvScores>` (the engine's first half, up to the scores) ->
//! `Memo<QkvModel>` (the second half, from the temperature and the mask on)
//! -> per-matrix `Memo<HeatmapData>` (Q, K, V and the scores read the first
//! half only, so a temperature change rebuilds none of them) -> heatmap
//! widgets, whose effects only paint. The engine's two memos are made by
//! the first of steps 2-6 and the close-up to load ([`Ctx::halves`]), so
//! the first screen carries none of the attention code. Every control
//! writes the URL; nothing else holds state.

pub mod model;
pub mod state;

use crate::chapters::ChapterHead;
use crate::charts::heatmap::{signed, HeatmapData};
use crate::loader::{fetch_ahead, split_view, Deferred, Lazy, PageFuture};
use crate::query::Choice;
use crate::router::{field, UrlState};
use crate::widgets::choice::OptionGroup;
use crate::widgets::formula::Formula;
use crate::widgets::heatmap::{empty_heatmap, table_value, Axes, Heatmap};
use crate::widgets::notes::Notes;
use crate::widgets::pager::{follow_selection, page_of, Pager};
use crate::widgets::seeded::{embed_max, projection_weights, Embedded};
use crate::widgets::self_check::LazySelfCheck;
use crate::widgets::slider::{FloatSlider, ParamSlider, SeedField, Toggle};
use crate::widgets::token_editor::TokenEditor;
use crate::widgets::Bound;
use attention_core::MultiHeadWeights;
use leptos::prelude::*;
use model::{breakdown, dim_labels, Matrix, QkvModel, QkvScores, QueryBreakdown};
use state::{Masking, QkvState, Step, D_K, D_MODEL, HEADS, MAX_QKV_TOKENS, SEED, TEMPERATURE};
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "qkv";

const FORMULA: &str = r#"<math display="block"><mrow><mtext>Attention</mtext><mo stretchy="false">(</mo><mi>Q</mi><mo>,</mo><mi>K</mi><mo>,</mo><mi>V</mi><mo stretchy="false">)</mo><mo>=</mo><mtext>softmax</mtext><mrow><mo>(</mo><mfrac><mrow><mi>Q</mi><msup><mi>K</mi><mo>⊤</mo></msup></mrow><mrow><msqrt><msub><mi>d</mi><mi>k</mi></msub></msqrt><mo>·</mo><mi>τ</mi></mrow></mfrac><mo>)</mo></mrow><mi>V</mi></mrow></math>"#;

fn fmt_shape(r: usize, c: usize) -> String {
    format!("{r} × {c}")
}

/// The engine's trace for the current state, or why there is none.
type ModelMemo = Memo<Result<QkvModel, String>>;

/// The engine's first half for the current state, or why there is none.
type FirstMemo = Memo<Result<Arc<QkvScores>, String>>;

/// The seeded token vectors for the current state, or why there are none.
type EmbedMemo = Memo<Result<Embedded, String>>;

/// The seeded weights for the current state, or why there are none.
type WeightsMemo = Memo<Result<MultiHeadWeights, String>>;

/// What every matrix view reads: the state, the inputs, the model, the head
/// shown, the selected query and how to select one.
#[derive(Clone, Copy)]
struct Ctx {
    state: Memo<QkvState>,
    embedded: EmbedMemo,
    weights: WeightsMemo,
    /// The engine's two halves ([`Ctx::halves`]), made by the first later
    /// part to need them: step 1 shows X, which is the input itself, so
    /// the first screen carries no attention code.
    halves: Deferred<(FirstMemo, ModelMemo)>,
    head: Memo<usize>,
    selected: Memo<Option<usize>>,
    /// Selects a query row (the selected one again deselects).
    select_row: Callback<usize>,
}

impl Ctx {
    /// The engine's first half and the model ([`model_memo`]), made on the
    /// first call (by steps 2-6 or the close-up, never by the first screen).
    fn halves(self) -> (FirstMemo, ModelMemo) {
        self.halves
            .get_or_init(|| model_memo(self.state, self.embedded, self.weights))
    }

    /// The engine's first half.
    fn first(self) -> FirstMemo {
        self.halves().0
    }

    /// The model (both halves).
    fn model(self) -> ModelMemo {
        self.halves().1
    }
}

/// The token vectors and the weights: embeddings change only with the
/// text, d_model and the seed, the weights only with their own sizes and
/// the seed.
fn input_memos(state: Memo<QkvState>) -> (EmbedMemo, WeightsMemo) {
    let embed_key = Memo::new(move |_| state.with(|s| (s.text.clone(), s.d_model, s.seed)));
    let weight_key = Memo::new(move |_| state.with(|s| (s.d_model, s.heads, s.d_k, s.seed)));
    let embedded = Memo::new(move |_| {
        embed_key.with(|(text, dm, seed)| embed_max(text, *dm, *seed, MAX_QKV_TOKENS))
    });
    let weights = Memo::new(move |_| {
        weight_key.with(|&(dm, h, dk, seed)| projection_weights(dm, h, dk, seed))
    });
    (embedded, weights)
}

/// The model, recomputed in parts: the engine's first half (Q, K, V,
/// scores) changes only with the inputs ([`input_memos`]), the scaling and
/// the heads needed, so a temperature or mask change reruns the second
/// half alone (softmax onward); selecting a query, a head or a step reruns
/// nothing, and steps 1-5 need only the head shown (`model::heads_needed`),
/// so only that head is computed.
fn model_memo(
    state: Memo<QkvState>,
    embedded: EmbedMemo,
    weights: WeightsMemo,
) -> (FirstMemo, ModelMemo) {
    // Only the shown head, but for the output steps (which need every head).
    let first_key = Memo::new(move |_| state.with(|s| (s.scale, model::heads_needed(s))));
    let soft_key = Memo::new(move |_| state.with(|s| (s.temperature, model::mask(s))));
    // A new trace always counts as changed: comparing two traces of 512
    // tokens and 8 heads (6 million numbers) would cost more than it saves;
    // each matrix's own memo stops an update whose numbers did not change.
    let first = Memo::new_with_compare(
        move |_| {
            embedded.with(|e| {
                weights.with(|w| match (e, w) {
                    (Ok(e), Ok(w)) => first_key
                        .with(|&(scale, only)| model::scores(e, w, scale, only).map(Arc::new)),
                    (Err(msg), _) | (_, Err(msg)) => Err(msg.clone()),
                })
            })
        },
        |_, _| true,
    );
    let model = Memo::new_with_compare(
        move |_| {
            first.with(|f| match f {
                Ok(f) => soft_key.with(|&(t, mask)| model::soften(Arc::clone(f), t, mask)),
                Err(msg) => Err(msg.clone()),
            })
        },
        |_, _| true,
    );
    (first, model)
}

/// The chapter's page.
#[component]
pub fn QkvChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, QkvState::from_query, QkvState::to_query);
    let state = url.state;
    let (embedded, weights) = input_memos(state);
    let ctx = Ctx {
        state,
        embedded,
        weights,
        halves: Deferred::new(),
        head: Memo::new(move |_| state.with(|s| s.head)),
        selected: Memo::new(move |_| state.with(|s| s.query)),
        select_row: Callback::new(move |r: usize| {
            url.edit(|s| s.query = if s.query == Some(r) { None } else { Some(r) })
        }),
    };
    // Why there is nothing to show (no token, say); an engine error past
    // the inputs is shown by the steps that need the engine.
    let input_error = move || {
        embedded
            .with(|e| e.as_ref().err().cloned())
            .or_else(|| weights.with(|w| w.as_ref().err().cloned()))
    };
    let ok = move || input_error().is_none();
    let error = move || input_error().unwrap_or_default();
    view! {
        <article class="chapter qkv">
            <ChapterHead slug=SLUG>
                "Every token asks a question (its query), advertises what it holds (its key) and carries something to hand over (its value). "
                "All three are learned linear maps of the same token vector. Type below and watch each step recompute."
            </ChapterHead>
            <Controls url=url />
            <section class="formula-box" aria-label="Formula">
                <Formula mathml=FORMULA alt="Attention(Q, K, V) = softmax(Q Kᵀ / (√d_k · τ)) V, one row per position." />
            </section>
            <Stepper url=url />
            <Show when=ok fallback=move || view! { <p class="error" role="alert">{error}</p> }>
                <QueryPicker ctx=ctx />
                <HeadPicker url=url />
                <Steps ctx=ctx />
                <QueryFocus ctx=ctx />
            </Show>
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

/// The sentence and every setting.
#[component]
fn Controls(url: UrlState<QkvState>) -> impl IntoView {
    let state = url.state;
    view! {
        <section class="controls" aria-label="Controls">
            <TokenEditor
                max_tokens=MAX_QKV_TOKENS
                text=move || state.with(|s| s.text.clone())
                on_text=Callback::new(move |t: String| url.commit.run(state.with_untracked(|s| s.with_text(&t))))
            />
            <div class="control-grid">
                <ParamSlider
                    label="d_model (width of each token vector)"
                    param=D_MODEL
                    test_id="d-model"
                    bind=field!(url.d_model)
                />
                <ParamSlider label="d_k (width of each query and key)" param=D_K test_id="d-k" bind=field!(url.d_k) />
                <ParamSlider
                    label="Heads"
                    param=HEADS
                    test_id="heads"
                    bind=Bound::new(
                        move || state.with(|s| s.heads),
                        move |v| url.commit.run(state.with_untracked(|s| s.with_heads(v))),
                    )
                />
                <FloatSlider label="Temperature τ" param=TEMPERATURE test_id="temperature" log=true bind=field!(url.temperature) />
                <SeedField param=SEED bind=field!(url.seed) button="New random weights" />
                <Toggle label="Divide scores by √d_k" test_id="scale" bind=field!(url.scale) />
                <Toggle
                    label="Causal mask (no peeking ahead)"
                    test_id="causal"
                    bind=Bound::new(move || state.with(QkvState::causal), move |on| url.edit(|s| s.mask = Masking::of(on)))
                />
            </div>
            <Notes notes=url.notes />
        </section>
    }
}

/// Back, one button per step, next.
#[component]
fn Stepper(url: UrlState<QkvState>) -> impl IntoView {
    let state = url.state;
    let step = Memo::new(move |_| state.with(|s| s.step));
    view! {
        <nav class="stepper" aria-label="Steps">
            <button class="step-nav" on:click=move |_| url.edit(|s| s.step = s.step.prev()) disabled=move || step.get() == Step::Embed>
                "← Back"
            </button>
            {Step::ALL
                .iter()
                .map(|&st| {
                    view! {
                        <button
                            class="step"
                            data-step=st.key()
                            aria-pressed=move || (step.get() == st).to_string()
                            on:click=move |_| url.edit(|s| s.step = st)
                        >
                            {st.label()}
                        </button>
                    }
                })
                .collect_view()}
            <button class="step-nav" on:click=move |_| url.edit(|s| s.step = s.step.next()) disabled=move || matches!(step.get(), Step::Output | Step::All)>
                "Next →"
            </button>
        </nav>
    }
}

/// One button per token: selects it as the query.
#[component]
fn QueryPicker(ctx: Ctx) -> impl IntoView {
    // The token list changes rarely: a memo keeps its buttons from being
    // rebuilt on every slider move.
    let tokens = Memo::new(move |_| {
        ctx.embedded
            .with(|e| e.as_ref().map(|e| e.tokens.clone()).unwrap_or_default())
    });
    let count = Memo::new(move |_| tokens.with(Vec::len));
    // Past 64 tokens, a page of buttons: the selected query's (a row picked
    // in a heatmap shows its button) until the learner turns the page.
    let (start, turn) = follow_selection(ctx.selected);
    view! {
        <div class="pick-query">
            <span class="label">"Select a query token: "</span>
            <Pager
                count=count
                start=start
                on_start=turn
                what="Tokens"
            />
            {move || {
                let (first, shown) = page_of(start.get(), count.get());
                tokens
                    .with(|t| t.iter().skip(first).take(shown).cloned().collect::<Vec<_>>())
                    .into_iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let i = first + k;
                        view! {
                            <button
                                class="token-pick"
                                aria-pressed=move || (ctx.selected.get() == Some(i)).to_string()
                                on:click=move |_| ctx.select_row.run(i)
                            >
                                {t}
                            </button>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}

/// One button per head, when there are several.
#[component]
fn HeadPicker(url: UrlState<QkvState>) -> impl IntoView {
    let state = url.state;
    let heads = Memo::new(move |_| state.with(|s| s.heads));
    move || {
        (heads.get() > 1).then(|| {
            view! {
                <OptionGroup
                    label="Head shown"
                    test_prefix="head"
                    options=(0..heads.get()).collect()
                    key=|h| (h + 1).to_string()
                    text=|h| format!("Head {}", h + 1)
                    bind=field!(url.head)
                />
            }
        })
    }
}

/// Reads matrix `which` from the memo that holds it: the engine's first
/// half for a matrix before the softmax (so a temperature or mask change
/// does not rerun the read), else the model.
fn read_matrix<T>(
    ctx: Ctx,
    which: Matrix,
    first: impl Fn(&QkvScores) -> Option<T>,
    model: impl Fn(&QkvModel) -> Option<T>,
) -> Option<T> {
    if which.before_softmax() {
        ctx.first().with(|m| m.as_ref().ok().and_then(|f| first(f)))
    } else {
        ctx.model().with(|m| m.as_ref().ok().and_then(model))
    }
}

/// One matrix of the model as a heatmap; repaints only when its numbers
/// change.
fn matrix_data(ctx: Ctx, which: Matrix) -> Memo<HeatmapData> {
    Memo::new(move |_| {
        let h = ctx.head.get();
        read_matrix(ctx, which, |f| f.heatmap(which, h), |m| m.heatmap(which, h))
            .unwrap_or_else(empty_heatmap)
    })
}

/// The shape of one matrix, read from the model without building its
/// heatmap data (a chart off screen builds none).
fn matrix_shape(ctx: Ctx, which: Matrix) -> Memo<(usize, usize)> {
    Memo::new(move |_| {
        let h = ctx.head.get();
        read_matrix(ctx, which, |f| f.shape(which, h), |m| m.shape(which, h)).unwrap_or((0, 0))
    })
}

/// Rows are queries and columns keys in the n x n matrices.
fn axes_of(which: Matrix) -> Axes {
    if matches!(which, Matrix::Scores | Matrix::Logits | Matrix::Weights) {
        Axes::QUERY_KEY
    } else {
        Axes::default()
    }
}

/// Step 1's X: the token vectors themselves, read from the input (the
/// engine's X is the same matrix), so the first screen needs no engine.
#[component]
fn InputMap(ctx: Ctx) -> impl IntoView {
    let data = Memo::new(move |_| {
        ctx.embedded.with(|e| match e {
            Ok(e) => signed(&e.x, e.tokens.clone(), dim_labels(e.x.ncols())),
            Err(_) => empty_heatmap(),
        })
    });
    let shape = Memo::new(move |_| {
        ctx.embedded
            .with(|e| e.as_ref().map_or((0, 0), |e| e.x.shape()))
    });
    shaped_map(
        ctx,
        data,
        shape,
        ("X", "hm-x", "n × d_model"),
        Axes::default(),
    )
}

/// A matrix whose subtitle is its shape and what it holds.
#[component]
fn MatrixMap(
    ctx: Ctx,
    which: Matrix,
    title: &'static str,
    test_id: &'static str,
    what: &'static str,
) -> impl IntoView {
    let (data, shape) = (matrix_data(ctx, which), matrix_shape(ctx, which));
    shaped_map(ctx, data, shape, (title, test_id, what), axes_of(which))
}

/// The heatmap of one matrix under its title and test id, its subtitle
/// its shape and what it holds.
fn shaped_map(
    ctx: Ctx,
    data: Memo<HeatmapData>,
    shape: Memo<(usize, usize)>,
    (title, test_id, what): (&'static str, &'static str, &'static str),
    axes: Axes,
) -> impl IntoView {
    view! {
        <Heatmap
            title=title
            test_id=test_id
            subtitle=move || shape.with(|&(r, c)| format!("{} · {what}", fmt_shape(r, c)))
            data=data
            shape=shape
            highlight_row=ctx.selected
            on_select_row=ctx.select_row
            axes=axes
        />
    }
}

/// One step of the computation, shown when the stepper is on it (or on
/// "all steps").
#[component]
fn StepSection(
    state: Memo<QkvState>,
    step: Step,
    title: &'static str,
    intro: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let label = format!("Step {}", step.key());
    view! {
        <Show when=move || state.with(|s| s.step.shows(step))>
            <section class="step-view" aria-label=label.clone() data-slide>
                <h2>{title}</h2>
                <p>{intro}</p>
                {children()}
            </section>
        </Show>
    }
}

split_view!(fn later_steps(ctx: Ctx) in qkv_steps, preload preload_later_steps
    => view! { <LaterSteps ctx=ctx /> }.into_any());
split_view!(fn focus_part(ctx: Ctx) in qkv_focus, preload preload_focus
    => view! { <FocusDetails model=ctx.model() head=ctx.head selected=ctx.selected /> }.into_any());

/// Fetches the code of steps 2-6 and of the close-up while the learner
/// looks at step 1, so the next step opens at once.
fn prefetch_later_parts() {
    fetch_ahead("steps 2-6", preload_later_steps());
    fetch_ahead("the close-up", preload_focus());
}

/// The six steps, X to the output. The first screen holds step 1; steps
/// 2-6 load with their own code (`qkv_steps`), fetched while step 1 is on
/// screen.
#[component]
fn Steps(ctx: Ctx) -> impl IntoView {
    let state = ctx.state;
    let later = move || state.with(|s| s.step != Step::Embed);
    prefetch_later_parts();
    view! {
        <div class="steps">
            <StepSection
                state=state
                step=Step::Embed
                title="1 · Tokens become vectors: X"
                intro="Each token gets a vector of d_model numbers. Here the vectors are fixed random ones chosen by the word and the seed, so the same word always looks the same. Rows are positions."
            >
                <InputMap ctx=ctx />
            </StepSection>
            <Show when=later>
                <Lazy
                    load=move || Box::pin(later_steps(ctx)) as PageFuture
                    name="These steps".to_string()
                    loading="Loading these steps…".to_string()
                />
            </Show>
        </div>
    }
}

/// Steps 2 to 6, each shown when the stepper is on it (or on "all steps").
#[component]
fn LaterSteps(ctx: Ctx) -> impl IntoView {
    let state = ctx.state;
    let model = ctx.model();
    let engine_error = move || model.with(|m| m.as_ref().err().cloned());
    view! {
            {move || engine_error().map(|e| view! { <p class="error" role="alert" data-testid="engine-error">{e}</p> })}
            <StepSection
                state=state
                step=Step::Project
                title="2 · Three projections: Q, K, V"
                intro="The same X is multiplied by three different weight matrices W_Q, W_K, W_V (each d_model × d_k). Each head has its own three."
            >
                <div class="row-of-maps">
                    <MatrixMap ctx=ctx which=Matrix::Q title="Q = X W_Q" test_id="hm-q" what="what each token looks for" />
                    <MatrixMap ctx=ctx which=Matrix::K title="K = X W_K" test_id="hm-k" what="what each token offers" />
                    <MatrixMap ctx=ctx which=Matrix::V title="V = X W_V" test_id="hm-v" what="what each token hands over" />
                </div>
            </StepSection>
            <StepSection
                state=state
                step=Step::Scores
                title="3 · Every query meets every key: Q Kᵀ"
                intro="Entry (i, j) is the dot product of query i with key j: large when they point the same way. Rows are queries, columns are keys."
            >
                <MatrixMap ctx=ctx which=Matrix::Scores title="Scores Q Kᵀ" test_id="hm-scores" what="n × n" />
            </StepSection>
            <StepSection
                state=state
                step=Step::Scale
                title="4 · Scale (and mask)"
                intro="The scores are divided by √d_k so their spread does not grow with the width, then by the temperature τ. Masked entries become −∞, which softmax turns into exactly 0."
            >
                <LogitsMap ctx=ctx />
            </StepSection>
            <StepSection
                state=state
                step=Step::Softmax
                title="5 · Softmax: scores become weights"
                intro="Each row is exponentiated and normalised, so it is positive and sums to 1: how much of each value this query will take."
            >
                <WeightsMap ctx=ctx />
            </StepSection>
            <StepSection
                state=state
                step=Step::Output
                title="6 · Weighted sum of values, then W_O"
                intro="Row i of the head's output is the weighted average of the value rows, using row i of the weights. The heads' outputs sit side by side (concat) and W_O mixes them back to d_model."
            >
                <div class="row-of-maps">
                    <MatrixMap ctx=ctx which=Matrix::HeadOutput title="Head output = weights · V" test_id="hm-out" what="n × d_k" />
                    <MatrixMap ctx=ctx which=Matrix::Concat title="Concat of all heads" test_id="hm-concat" what="n × (heads · d_k)" />
                    <MatrixMap ctx=ctx which=Matrix::Output title="Output = concat · W_O" test_id="hm-y" what="n × d_model" />
                </div>
            </StepSection>
    }
}

/// Step 4: the logits, with the variance of the numbers and what was done
/// to the scores.
#[component]
fn LogitsMap(ctx: Ctx) -> impl IntoView {
    let (state, model, head) = (ctx.state, ctx.model(), ctx.head);
    let data = matrix_data(ctx, Matrix::Logits);
    let scale_text = move || {
        model.with(|m| match m {
            Ok(m) => state.with(|st| {
                let scaled = if st.scale {
                    format!(
                        "multiplied by 1/√{} = {:.4}",
                        st.d_k, m.first.scored.scale_factor
                    )
                } else {
                    "not scaled (scaling is off)".to_string()
                };
                format!(
                    "{} · scores {scaled}, then divided by τ = {}{}",
                    fmt_shape(m.tokens().len(), m.tokens().len()),
                    st.temperature,
                    if st.causal() {
                        "; keys after the query are masked (−∞)"
                    } else {
                        ""
                    }
                )
            }),
            Err(_) => String::new(),
        })
    };
    // The raw scores' spread does not change with the temperature or mask.
    let raw_variance = Memo::new(move |_| {
        let h = head.get();
        ctx.first().with(|f| f.as_ref().ok()?.score_variance(h))
    });
    let variance_text = move || {
        let h = head.get();
        let raw = raw_variance.get()?;
        model.with(|m| {
            let logits = m.as_ref().ok()?.logit_variance(h)?;
            Some(format!(
                "Spread of the numbers: variance of raw scores {raw:.3}; of the logits after scaling and τ {logits:.3}."
            ))
        })
    };
    view! {
        <p class="measure" data-testid="variance">{variance_text}</p>
        <Heatmap
            title="Logits"
            test_id="hm-logits"
            subtitle=scale_text
            data=data
            shape=matrix_shape(ctx, Matrix::Logits)
            highlight_row=ctx.selected
            on_select_row=ctx.select_row
            axes=Axes::QUERY_KEY
        />
    }
}

/// Step 5: the weights, with each row's sum.
#[component]
fn WeightsMap(ctx: Ctx) -> impl IntoView {
    let (model, head) = (ctx.model(), ctx.head);
    let data = matrix_data(ctx, Matrix::Weights);
    let shape = matrix_shape(ctx, Matrix::Weights);
    let row_sums = move || {
        let h = head.get();
        model.with(|m| {
            let sums = m.as_ref().ok()?.row_sums(h)?;
            Some(("row sum".to_string(), sums))
        })
    };
    view! {
        <Heatmap
            title="Attention weights"
            test_id="hm-weights"
            subtitle=move || shape.with(|&(r, c)| format!("{} · each row sums to 1", fmt_shape(r, c)))
            data=data
            shape=shape
            highlight_row=ctx.selected
            on_select_row=ctx.select_row
            extra_column=row_sums
            axes=Axes::QUERY_KEY
        />
    }
}

/// What the close-up shows of the selected query: the tokens, the query,
/// its breakdown and (entropy, largest weight, Jacobian norm).
type Focus = (Vec<String>, usize, QueryBreakdown, Option<(f64, f64, f64)>);

/// What the close-up says while no query is selected.
const FOCUS_HINT: &str =
    "Select a query token (or click a row in any matrix) to see how its output is built.";

/// The close-up of the selected query: a hint until one is selected, then
/// [`FocusDetails`], which loads with its own code (`qkv_focus`, fetched
/// while step 1 is on screen).
#[component]
fn QueryFocus(ctx: Ctx) -> impl IntoView {
    let selected = ctx.selected;
    view! {
        <section class="query-focus" aria-live="polite" data-testid="query-focus">
            <h2>"One query, up close"</h2>
            <Show
                when=move || selected.with(Option::is_some)
                fallback=|| view! { <p class="hint">{FOCUS_HINT}</p> }
            >
                <Lazy
                    load=move || Box::pin(focus_part(ctx)) as PageFuture
                    name="The close-up".to_string()
                    loading="Loading the close-up…".to_string()
                />
            </Show>
        </section>
    }
}

/// The selected query's scores, weights and per-key contributions.
#[component]
fn FocusDetails(
    model: ModelMemo,
    head: Memo<usize>,
    selected: Memo<Option<usize>>,
) -> impl IntoView {
    let info = Memo::new(move |_| {
        let (h, q) = (head.get(), selected.get()?);
        model.with(|m| {
            let m = m.as_ref().ok()?;
            let b = breakdown(m, h, q)?;
            let st = m
                .row_stats(h, q)
                .map(|s| (s.entropy_bits, s.max_weight, s.jacobian_norm));
            Some((m.tokens().to_vec(), q, b, st))
        })
    });
    let contrib = Memo::new(move |_| {
        info.with(|i| match i {
            Some((tokens, _, b, _)) => signed(
                &b.contributions,
                tokens.clone(),
                dim_labels(b.contributions.ncols()),
            ),
            None => empty_heatmap(),
        })
    });
    // The keys' table is paged past 64 tokens: the page the learner turned
    // to for this query, else the one holding the query itself.
    let n_keys = Memo::new(move |_| info.with(|i| i.as_ref().map_or(0, |f| f.0.len())));
    let (key_start, turn) = follow_selection(selected);
    let pager = move || {
        view! {
            <Pager
                count=n_keys
                start=key_start
                on_start=turn
                what="Keys"
            />
        }
        .into_any()
    };
    view! {
        {move || match info.get() {
            None => view! { <p class="hint">{FOCUS_HINT}</p> }.into_any(),
            Some(focus) => {
                let keys = page_of(key_start.get(), n_keys.get());
                focus_details(focus, keys, pager())
            }
        }}
        <Show when=move || info.with(Option::is_some)>
            <Heatmap
                title="Contributions: weight × value row"
                test_id="hm-contrib"
                subtitle=move || {
                    contrib
                        .with(|d| {
                            format!(
                                "{} · the rows add up to this query's output row",
                                fmt_shape(d.rows, d.cols),
                            )
                        })
                }
                data=contrib
            />
        </Show>
    }
}

/// The selected query's figures and its per-key table (the keys `first..
/// first + count`, under `pager`).
fn focus_details(
    (tokens, q, b, st): Focus,
    (first, count): (usize, usize),
    pager: AnyView,
) -> AnyView {
    let n = tokens.len();
    let rows = tokens
        .iter()
        .enumerate()
        .skip(first)
        .take(count)
        .map(|(j, token)| {
            let w = b.weights.get(j).copied().unwrap_or(0.0);
            let bar = format!("width: {:.1}%", (w * 100.0).clamp(0.0, 100.0));
            view! {
                <tr>
                    <th scope="row">{token.clone()}</th>
                    <td>{format!("{:.4}", b.scores.get(j).copied().unwrap_or(f64::NAN))}</td>
                    <td>{table_value(b.logits.get(j).copied().unwrap_or(f64::NAN))}</td>
                    <td class="weight-cell">
                        <span class="bar" style=bar></span>
                        <span class="num">{format!("{w:.4}")}</span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let stats = st.map(|(e, mx, jn)| {
        format!(
            " Entropy {e:.3} bits (uniform would be {:.3}), largest weight {mx:.3}, softmax Jacobian norm {jn:.3}.",
            (n as f64).log2()
        )
    });
    view! {
        <p>
            "Query "
            <strong>{format!("“{}”", tokens.get(q).cloned().unwrap_or_default())}</strong>
            {format!(" (position {}).", q + 1)}
            {stats}
        </p>
        {pager}
        <div class="table-scroll" tabindex="0" role="region" aria-label="Score breakdown">
            <table class="breakdown" data-testid="breakdown">
                <thead>
                    <tr>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Score q·k"</th>
                        <th scope="col">"Logit"</th>
                        <th scope="col">"Weight"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
