//! Chapter 3: Query, key, value.
//!
//! The learner types a sentence, picks d_model, d_k, heads, seed, scaling,
//! temperature and mask, and steps through X -> Q, K, V -> Q K^T -> scaled ->
//! softmax -> output. Selecting a query token outlines its row everywhere and
//! breaks its output down into each value row's contribution.
//!
//! Data flow: URL query -> `Memo<(QkvState, notes)>` -> `Memo<QkvModel>` (the
//! engine's trace) -> per-matrix `Memo<HeatmapData>` -> heatmap widgets, whose
//! effects only paint. Every control writes the URL; nothing else holds state.

pub mod model;
pub mod state;

use crate::chapters::{ChapterHead, UrlState};
use crate::charts::heatmap::{signed, weights as weight_map};
use crate::charts::heatmap::{ColorScale, HeatmapData};
use crate::widgets::formula::Formula;
use crate::widgets::heatmap::Heatmap;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::{Question, SelfCheck};
use crate::widgets::slider::{Slider, Toggle};
use crate::widgets::token_editor::TokenEditor;
use leptos::prelude::*;
use model::{breakdown, dim_labels, QkvModel};
use state::{QkvState, Step, D_K_MAX, D_MODEL_MAX, HEADS_MAX, T_MAX, T_MIN};

/// URL slug of this chapter.
pub const SLUG: &str = "qkv";

const FORMULA: &str = r#"<math display="block"><mrow><mtext>Attention</mtext><mo stretchy="false">(</mo><mi>Q</mi><mo>,</mo><mi>K</mi><mo>,</mo><mi>V</mi><mo stretchy="false">)</mo><mo>=</mo><mtext>softmax</mtext><mrow><mo>(</mo><mfrac><mrow><mi>Q</mi><msup><mi>K</mi><mo>⊤</mo></msup></mrow><mrow><msqrt><msub><mi>d</mi><mi>k</mi></msub></msqrt><mo>·</mo><mi>τ</mi></mrow></mfrac><mo>)</mo></mrow><mi>V</mi></mrow></math>"#;

const QUESTIONS: &[Question] = &[
    Question {
        prompt: "Go to step 5 and open the Numbers table of the weights. What does every row add up to?",
        options: &["0", "1", "The number of tokens", "It depends on d_k"],
        answer: 1,
        explain: "Softmax turns each query's row of scores into a probability distribution, so each row sums to 1 whatever the settings.",
    },
    Question {
        prompt: "Turn scaling off and push d_k to 64. Select a query: what happens to its largest weight?",
        options: &[
            "It moves towards 1: one key takes almost everything",
            "It moves towards 1/n: the weights even out",
            "Nothing changes",
        ],
        answer: 0,
        explain: "Unscaled dot products grow with d_k (their variance is about d_k), and large scores make softmax nearly one-hot. Dividing by √d_k undoes that.",
    },
    Question {
        prompt: "Set the temperature τ to its maximum. The weights in each row become…",
        options: &["Nearly one-hot", "Nearly equal, about 1/n each", "Negative"],
        answer: 1,
        explain: "Dividing the scores by a large τ squeezes them together, and softmax of almost equal scores is almost uniform.",
    },
    Question {
        prompt: "Switch on the causal mask. Which tokens can the first token attend to?",
        options: &["All of them", "Only itself", "None"],
        answer: 1,
        explain: "With a causal mask position i only sees positions up to i, so the first token can only look at itself: its weight there is exactly 1.",
    },
];

/// The chapter's page.
pub fn page() -> AnyView {
    view! { <QkvChapter /> }.into_any()
}

fn empty_heatmap() -> HeatmapData {
    HeatmapData {
        rows: 0,
        cols: 0,
        values: Vec::new(),
        row_labels: Vec::new(),
        col_labels: Vec::new(),
        scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
    }
}

fn fmt_shape(r: usize, c: usize) -> String {
    format!("{r} × {c}")
}

#[component]
fn QkvChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, QkvState::from_query, QkvState::to_query);
    let (state, url_notes, commit) = (url.state, url.notes, url.commit);
    // Embeddings and weights change only with their own inputs; a temperature
    // or scaling change reuses them and reruns attention alone.
    let embed_key = Memo::new(move |_| state.with(|s| (s.text.clone(), s.d_model, s.seed)));
    let weight_key = Memo::new(move |_| state.with(|s| (s.d_model, s.heads, s.d_k, s.seed)));
    let embedded =
        Memo::new(move |_| embed_key.with(|(text, dm, seed)| model::embed(text, *dm, *seed)));
    let weights = Memo::new(move |_| {
        weight_key.with(|&(dm, h, dk, seed)| model::projection_weights(dm, h, dk, seed))
    });
    let model = Memo::new(move |_| {
        embedded.with(|e| {
            weights.with(|w| match (e, w) {
                (Ok(e), Ok(w)) => state.with(|s| model::run(s, e, w)),
                (Err(msg), _) | (_, Err(msg)) => Err(msg.clone()),
            })
        })
    });

    let edit = move |f: Box<dyn FnOnce(&mut QkvState)>| url.edit(f);

    let head = Memo::new(move |_| state.with(|s| s.head));
    let selected = Memo::new(move |_| state.with(|s| s.query));
    let ok = move || model.with(|m| m.is_ok());
    // Token and head lists change rarely: memos keep their buttons from being
    // rebuilt on every slider move.
    let token_list = Memo::new(move |_| {
        model.with(|m| m.as_ref().map(|m| m.tokens.clone()).unwrap_or_default())
    });
    let head_count = Memo::new(move |_| state.with(|s| s.heads));

    // One memo per matrix: each repaints only when its numbers change.
    let from_model = move |f: fn(&QkvModel, usize) -> Option<HeatmapData>| {
        Memo::new(move |_| {
            let h = head.get();
            model.with(|m| {
                m.as_ref()
                    .ok()
                    .and_then(|m| f(m, h))
                    .unwrap_or_else(empty_heatmap)
            })
        })
    };
    let x_data = from_model(|m, _| {
        Some(signed(
            &m.trace.x,
            m.tokens.clone(),
            dim_labels(m.trace.x.ncols()),
        ))
    });
    let q_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| signed(&t.q, m.tokens.clone(), dim_labels(t.q.ncols())))
    });
    let k_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| signed(&t.k, m.tokens.clone(), dim_labels(t.k.ncols())))
    });
    let v_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| signed(&t.v, m.tokens.clone(), dim_labels(t.v.ncols())))
    });
    let s_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| signed(&t.scores, m.tokens.clone(), m.tokens.clone()))
    });
    let l_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| signed(&t.logits, m.tokens.clone(), m.tokens.clone()))
    });
    let w_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| weight_map(&t.weights, &m.tokens))
    });
    let o_data = from_model(|m, h| {
        m.trace
            .heads
            .get(h)
            .map(|t| signed(&t.output, m.tokens.clone(), dim_labels(t.output.ncols())))
    });
    let c_data = from_model(|m, _| {
        Some(signed(
            &m.trace.concat,
            m.tokens.clone(),
            dim_labels(m.trace.concat.ncols()),
        ))
    });
    let y_data = from_model(|m, _| {
        Some(signed(
            &m.trace.output,
            m.tokens.clone(),
            dim_labels(m.trace.output.ncols()),
        ))
    });
    let row_sums = Signal::derive(move || {
        let h = head.get();
        model.with(|m| {
            m.as_ref().ok().and_then(|m| m.trace.heads.get(h)).map(|t| {
                (
                    "row sum".to_string(),
                    t.weights.row_iter().map(|r| r.sum()).collect::<Vec<f64>>(),
                )
            })
        })
    });

    let shape_of = move |d: Memo<HeatmapData>, what: &'static str| {
        Signal::derive(move || d.with(|d| format!("{} · {what}", fmt_shape(d.rows, d.cols))))
    };
    let select_row = Callback::new(move |r: usize| {
        edit(Box::new(move |s| {
            s.query = if s.query == Some(r) { None } else { Some(r) }
        }))
    });
    let sel_signal = Signal::derive(move || selected.get());
    let shows = move |step: Step| move || state.with(|s| s.step.shows(step));

    let scale_text = Signal::derive(move || {
        model.with(|m| match m {
            Ok(m) => {
                let st = state.get();
                let c = m.trace.scale_factor;
                let scaled = if st.scale {
                    format!("multiplied by 1/√{} = {:.4}", st.d_k, c)
                } else {
                    "not scaled (scaling is off)".to_string()
                };
                format!(
                    "{} · scores {scaled}, then divided by τ = {}{}",
                    fmt_shape(m.tokens.len(), m.tokens.len()),
                    st.temperature,
                    if st.causal {
                        "; keys after the query are masked (−∞)"
                    } else {
                        ""
                    }
                )
            }
            Err(_) => String::new(),
        })
    });
    let variance_text = move || {
        let h = head.get();
        model.with(|m| {
            m.as_ref().ok().and_then(|m| m.trace.heads.get(h)).map(|t| {
                let raw: Vec<f64> = t.scores.iter().copied().collect();
                let fin: Vec<f64> = t.logits.iter().copied().filter(|v| v.is_finite()).collect();
                format!(
                    "Spread of the numbers: variance of raw scores {:.3}; of the logits after scaling and τ {:.3}.",
                    attention_core::variance(&raw),
                    attention_core::variance(&fin)
                )
            })
        })
    };

    view! {
        <article class="chapter qkv">
            <ChapterHead slug=SLUG>
                    "Every token asks a question (its query), advertises what it holds (its key) and carries something to hand over (its value). "
                    "All three are learned linear maps of the same token vector. Type below and watch each step recompute."
            </ChapterHead>

            <section class="controls" aria-label="Controls">
                <TokenEditor
                    text=Signal::derive(move || state.with(|s| s.text.clone()))
                    on_text=Callback::new(move |t: String| commit.run(state.get_untracked().with_text(&t)))
                />
                <div class="control-grid">
                    <Slider
                        label="d_model (width of each token vector)"
                        test_id="d-model"
                        value=Signal::derive(move || state.with(|s| s.d_model as f64))
                        on_change=Callback::new(move |v: f64| edit(Box::new(move |s| s.d_model = v as usize)))
                        min=1.0
                        max=D_MODEL_MAX as f64
                    />
                    <Slider
                        label="d_k (width of each query and key)"
                        test_id="d-k"
                        value=Signal::derive(move || state.with(|s| s.d_k as f64))
                        on_change=Callback::new(move |v: f64| edit(Box::new(move |s| s.d_k = v as usize)))
                        min=1.0
                        max=D_K_MAX as f64
                    />
                    <Slider
                        label="Heads"
                        test_id="heads"
                        value=Signal::derive(move || state.with(|s| s.heads as f64))
                        on_change=Callback::new(move |v: f64| commit.run(state.get_untracked().with_heads(v as usize)))
                        min=1.0
                        max=HEADS_MAX as f64
                    />
                    <Slider
                        label="Temperature τ"
                        test_id="temperature"
                        log=true
                        value=Signal::derive(move || state.with(|s| s.temperature))
                        on_change=Callback::new(move |v: f64| edit(Box::new(move |s| s.temperature = v)))
                        min=T_MIN
                        max=T_MAX
                    />
                    <div class="control seed">
                        <label for="seed-input">"Seed"</label>
                        <input
                            id="seed-input"
                            type="number"
                            min="0"
                            max=state::SEED_MAX
                            data-testid="seed"
                            prop:value=move || state.with(|s| s.seed.to_string())
                            on:change=move |ev| {
                                let raw = event_target_value(&ev);
                                let seed = raw.trim().parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| v.round().clamp(0.0, state::SEED_MAX as f64) as u64);
                                let seed = seed.unwrap_or_else(|| state.get_untracked().seed);
                                edit(Box::new(move |s| s.seed = seed));
                                // Show what is used (clamped, or the old seed for garbage).
                                event_target::<web_sys::HtmlInputElement>(&ev).set_value(&seed.to_string());
                            }
                        />
                        <button on:click=move |_| edit(Box::new(|s| s.seed = (s.seed + 1) % (state::SEED_MAX as u64 + 1)))>
                            "New random weights"
                        </button>
                    </div>
                    <Toggle
                        label="Divide scores by √d_k"
                        test_id="scale"
                        checked=Signal::derive(move || state.with(|s| s.scale))
                        on_change=Callback::new(move |on: bool| edit(Box::new(move |s| s.scale = on)))
                    />
                    <Toggle
                        label="Causal mask (no peeking ahead)"
                        test_id="causal"
                        checked=Signal::derive(move || state.with(|s| s.causal))
                        on_change=Callback::new(move |on: bool| edit(Box::new(move |s| s.causal = on)))
                    />
                </div>
                <Notes notes=url_notes />
            </section>

            <section class="formula-box" aria-label="Formula">
                <Formula mathml=FORMULA alt="Attention(Q, K, V) = softmax(Q Kᵀ / (√d_k · τ)) V, one row per position." />
            </section>

            <nav class="stepper" aria-label="Steps">
                <button
                    class="step-nav"
                    on:click=move |_| edit(Box::new(|s| s.step = s.step.prev()))
                    disabled=move || state.with(|s| s.step == Step::Embed)
                >
                    "← Back"
                </button>
                {Step::ORDER
                    .iter()
                    .map(|&st| {
                        view! {
                            <button
                                class="step"
                                data-step=st.key()
                                aria-pressed=move || (state.with(|s| s.step) == st).to_string()
                                on:click=move |_| edit(Box::new(move |s| s.step = st))
                            >
                                {st.label()}
                            </button>
                        }
                    })
                    .collect_view()}
                <button
                    class="step-nav"
                    on:click=move |_| edit(Box::new(|s| s.step = s.step.next()))
                    disabled=move || state.with(|s| matches!(s.step, Step::Output | Step::All))
                >
                    "Next →"
                </button>
            </nav>

            <Show
                when=ok
                fallback=move || {
                    view! {
                        <p class="error" role="alert">
                            {move || model.with(|m| m.as_ref().err().cloned().unwrap_or_default())}
                        </p>
                    }
                }
            >
                <div class="pick-query">
                    <span class="label">"Select a query token: "</span>
                    {move || {
                        token_list
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(i, t)| {
                                view! {
                                    <button
                                        class="token-pick"
                                        aria-pressed=move || (selected.get() == Some(i)).to_string()
                                        on:click=move |_| select_row.run(i)
                                    >
                                        {t}
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                </div>
                <Show when=move || { head_count.get() > 1 }>
                    <div class="pick-head" role="group" aria-label="Head shown">
                        <span class="label">"Head shown: "</span>
                        {move || {
                            (0..head_count.get())
                                .map(|h| {
                                    view! {
                                        <button
                                            class="head-pick"
                                            aria-pressed=move || (head.get() == h).to_string()
                                            on:click=move |_| edit(Box::new(move |s| s.head = h))
                                        >
                                            {format!("Head {}", h + 1)}
                                        </button>
                                    }
                                })
                                .collect_view()
                        }}
                    </div>
                </Show>

                <div class="steps">
                    <Show when=shows(Step::Embed)>
                        <section class="step-view" aria-label="Step 1">
                            <h2>"1 · Tokens become vectors: X"</h2>
                            <p>"Each token gets a vector of d_model numbers. Here the vectors are fixed random ones chosen by the word and the seed, so the same word always looks the same. Rows are positions."</p>
                            <Heatmap title="X" test_id="hm-x" subtitle=shape_of(x_data, "n × d_model") data=x_data highlight_row=sel_signal on_select_row=select_row />
                        </section>
                    </Show>
                    <Show when=shows(Step::Project)>
                        <section class="step-view" aria-label="Step 2">
                            <h2>"2 · Three projections: Q, K, V"</h2>
                            <p>"The same X is multiplied by three different weight matrices W_Q, W_K, W_V (each d_model × d_k). Each head has its own three."</p>
                            <div class="row-of-maps">
                                <Heatmap title="Q = X W_Q" test_id="hm-q" subtitle=shape_of(q_data, "what each token looks for") data=q_data highlight_row=sel_signal on_select_row=select_row />
                                <Heatmap title="K = X W_K" test_id="hm-k" subtitle=shape_of(k_data, "what each token offers") data=k_data highlight_row=sel_signal on_select_row=select_row />
                                <Heatmap title="V = X W_V" test_id="hm-v" subtitle=shape_of(v_data, "what each token hands over") data=v_data highlight_row=sel_signal on_select_row=select_row />
                            </div>
                        </section>
                    </Show>
                    <Show when=shows(Step::Scores)>
                        <section class="step-view" aria-label="Step 3">
                            <h2>"3 · Every query meets every key: Q Kᵀ"</h2>
                            <p>"Entry (i, j) is the dot product of query i with key j: large when they point the same way. Rows are queries, columns are keys."</p>
                            <Heatmap title="Scores Q Kᵀ" test_id="hm-scores" subtitle=shape_of(s_data, "n × n") data=s_data highlight_row=sel_signal on_select_row=select_row />
                        </section>
                    </Show>
                    <Show when=shows(Step::Scale)>
                        <section class="step-view" aria-label="Step 4">
                            <h2>"4 · Scale (and mask)"</h2>
                            <p>"The scores are divided by √d_k so their spread does not grow with the width, then by the temperature τ. Masked entries become −∞, which softmax turns into exactly 0."</p>
                            <p class="measure" data-testid="variance">{variance_text}</p>
                            <Heatmap title="Logits" test_id="hm-logits" subtitle=scale_text data=l_data highlight_row=sel_signal on_select_row=select_row />
                        </section>
                    </Show>
                    <Show when=shows(Step::Softmax)>
                        <section class="step-view" aria-label="Step 5">
                            <h2>"5 · Softmax: scores become weights"</h2>
                            <p>"Each row is exponentiated and normalised, so it is positive and sums to 1: how much of each value this query will take."</p>
                            <Heatmap title="Attention weights" test_id="hm-weights" subtitle=shape_of(w_data, "each row sums to 1") data=w_data highlight_row=sel_signal on_select_row=select_row extra_column=row_sums />
                        </section>
                    </Show>
                    <Show when=shows(Step::Output)>
                        <section class="step-view" aria-label="Step 6">
                            <h2>"6 · Weighted sum of values, then W_O"</h2>
                            <p>"Row i of the head's output is the weighted average of the value rows, using row i of the weights. The heads' outputs sit side by side (concat) and W_O mixes them back to d_model."</p>
                            <div class="row-of-maps">
                                <Heatmap title="Head output = weights · V" test_id="hm-out" subtitle=shape_of(o_data, "n × d_k") data=o_data highlight_row=sel_signal on_select_row=select_row />
                                <Heatmap title="Concat of all heads" test_id="hm-concat" subtitle=shape_of(c_data, "n × (heads · d_k)") data=c_data highlight_row=sel_signal on_select_row=select_row />
                                <Heatmap title="Output = concat · W_O" test_id="hm-y" subtitle=shape_of(y_data, "n × d_model") data=y_data highlight_row=sel_signal on_select_row=select_row />
                            </div>
                        </section>
                    </Show>
                </div>

                <QueryFocus model=model head=head selected=selected />
            </Show>

            <SelfCheck questions=QUESTIONS />
        </article>
    }
}

/// The selected query's scores, weights and per-key contributions.
#[component]
fn QueryFocus(
    model: Memo<Result<QkvModel, String>>,
    head: Memo<usize>,
    selected: Memo<Option<usize>>,
) -> impl IntoView {
    let info = Memo::new(move |_| {
        let (h, q) = (head.get(), selected.get()?);
        model.with(|m| {
            let m = m.as_ref().ok()?;
            let b = breakdown(&m.trace, h, q)?;
            let st = m
                .stats
                .get(q)
                .map(|s| (s.entropy_bits, s.max_weight, s.jacobian_norm));
            Some((m.tokens.clone(), q, b, st))
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
    view! {
        <section class="query-focus" aria-live="polite" data-testid="query-focus">
            <h2>"One query, up close"</h2>
            {move || match info.get() {
                None => view! { <p class="hint">"Select a query token (or click a row in any matrix) to see how its output is built."</p> }.into_any(),
                Some((tokens, q, b, st)) => {
                    let n = tokens.len();
                    let rows = (0..n)
                        .map(|j| {
                            let w = b.weights.get(j).copied().unwrap_or(0.0);
                            let pct = format!("width: {:.1}%", (w * 100.0).clamp(0.0, 100.0));
                            view! {
                                <tr>
                                    <th scope="row">{tokens.get(j).cloned().unwrap_or_default()}</th>
                                    <td>{format!("{:.4}", b.scores.get(j).copied().unwrap_or(f64::NAN))}</td>
                                    <td>{crate::widgets::heatmap::table_value(b.logits.get(j).copied().unwrap_or(f64::NAN))}</td>
                                    <td class="weight-cell">
                                        <span class="bar" style=pct></span>
                                        <span class="num">{format!("{w:.4}")}</span>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view();
                    view! {
                        <p>
                            "Query " <strong>{format!("“{}”", tokens.get(q).cloned().unwrap_or_default())}</strong>
                            {format!(" (position {}).", q + 1)}
                            {st.map(|(e, mx, jn)| format!(
                                " Entropy {e:.3} bits (uniform would be {:.3}), largest weight {mx:.3}, softmax Jacobian norm {jn:.3}.",
                                (n as f64).log2()
                            ))}
                        </p>
                        <div class="table-scroll">
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
            }}
            <Show when=move || info.with(|i| i.is_some())>
                <Heatmap
                    title="Contributions: weight × value row"
                    test_id="hm-contrib"
                    subtitle=Signal::derive(move || contrib.with(|d| format!("{} · the rows add up to this query's output row", fmt_shape(d.rows, d.cols))))
                    data=contrib
                />
            </Show>
        </section>
    }
}
