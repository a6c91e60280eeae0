//! Chapter 8: Position.
//!
//! Six sections, each live: (1) reorder a sentence with position off and on
//! and compare output rows; (2) the sinusoidal encoding as an image, its
//! wavelengths and the dot product against the offset; (3) a learned table
//! that stops at the trained length, and what the trained model does past it;
//! (4) RoPE's rotating query/key pairs and the shift-invariant score; (5)
//! ALiBi's per-head biases and their effect on the weights; (6) the
//! extrapolation experiment: five models trained in the browser.
//!
//! Data flow: URL -> `Memo<PosState>` -> memos of engine output
//! ([`model`], [`experiment`]) -> widgets that only paint.

pub mod experiment;
pub mod model;
pub mod state;

use crate::chapters::{ChapterHead, UrlState};
use crate::charts::plots::{draw_curves, draw_curves_from};
use crate::charts::position::{
    draw_matrix_grid, draw_matrix_image, draw_rope_pairs, matrix_grid_size, rope_pairs_size, KEY,
    QUERY,
};
use crate::frames::{drive, now_ms};
use crate::widgets::chart::{Chart, DrawFn};
use crate::widgets::heatmap::Heatmap;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::{Question, SelfCheck};
use crate::widgets::slider::{Slider, Toggle};
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::token_editor::TokenEditor;
use attention_core::train::position_task::Scheme;
use experiment::{Progress, Session, L};
use leptos::prelude::*;
use model::SAME;
use state::{PosScheme, PosState};
use std::sync::Arc;

/// URL slug of this chapter.
pub const SLUG: &str = "position";

const QUESTIONS: &[Question] = &[
    Question {
        prompt: "With position off, you reverse “dog bites man”. What happens to the output row of “dog”?",
        options: &[
            "It changes, because “dog” is now last",
            "It is the same numbers, only in a different row",
            "It becomes the row of “man”",
        ],
        answer: 1,
        explain: "Without position, attention sees a set of tokens: each token's output depends on which tokens are present, not where. Reordering the input only reorders the output rows.",
    },
    Question {
        prompt: "In RoPE, the query sits at position 7 and the key at 3. You move both 100 places later. The score…",
        options: &["Stays exactly the same", "Grows", "Shrinks towards zero"],
        answer: 0,
        explain: "Each pair is turned by its angle times the position. Moving both by the same amount turns both arrows by the same angle, so the angle between them, and the dot product, is unchanged.",
    },
    Question {
        prompt: "Which ALiBi head attends most locally?",
        options: &["The head with the largest slope", "The head with the smallest slope", "They all attend equally far"],
        answer: 0,
        explain: "The bias is −slope × distance. A large slope makes far keys very unlikely, so that head looks close by; a tiny slope barely changes the weights.",
    },
];

/// The chapter's page.
pub fn page() -> AnyView {
    view! { <PositionChapter /> }.into_any()
}

fn fmt(v: f64) -> String {
    format!("{v:.6}")
}

/// A chart closure reading one memo.
fn chart_of<T: Send + Sync + 'static>(
    memo: Memo<Result<T, String>>,
    f: impl Fn(
            &T,
            &plotters::prelude::DrawingArea<crate::canvas::FastCanvas, plotters::coord::Shift>,
            f64,
            &crate::charts::ChartTheme,
        ) -> Result<(), String>
        + Send
        + Sync
        + 'static,
) -> Arc<DrawFn> {
    Arc::new(move |area, s, th| {
        memo.with(|r| match r {
            Ok(v) => f(v, area, s, th),
            Err(e) => Err(e.clone()),
        })
    })
}

#[component]
fn PositionChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, PosState::from_query, PosState::to_query);
    let (learned, experiment) = learned_and_experiment(url);
    view! {
        <article class="chapter position">
            <ChapterHead slug=SLUG>
                "Attention compares every token with every other token, and nothing in that comparison says where a token stands. "
                "Shuffle a sentence and see it for yourself, then meet the five ways models are told about order: none, sinusoids, a learned table, rotations (RoPE) and distance penalties (ALiBi). "
                "The last section trains one small model per scheme, here in your browser, and tests them on sequences longer than any they saw."
            </ChapterHead>
            <Notes notes=url.notes />
            <PermutationSection url=url />
            <SinusoidalSection url=url />
            {learned}
            <RopeSection url=url />
            <AlibiSection url=url />
            {experiment}
            <SelfCheck questions=QUESTIONS />
        </article>
    }
}

/// Section 1: reorder the tokens with position off and on.
#[component]
fn PermutationSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(model::permutation));
    let picked = RwSignal::new(None::<usize>);
    let scheme = Memo::new(move |_| state.with(|s| s.scheme));
    let maps = move |reordered: bool| {
        Signal::derive(move || {
            view_m.with(|r| match r {
                Ok(v) => {
                    let m = model::shared_abs_max(&v.result);
                    if reordered {
                        model::output_heatmap(&v.result.reordered.output, &v.reordered, m)
                    } else {
                        model::output_heatmap(&v.result.original.output, &v.tokens, m)
                    }
                }
                Err(_) => crate::chapters::self_attention::empty_heatmap(),
            })
        })
    };
    let verdict = move || {
        view_m.with(|r| match r {
            Ok(v) => {
                let d = v.result.max_diff;
                let what = if d <= SAME && scheme.get() == PosScheme::Alibi && model::keeps_distances(&v.perm) {
                    "the reordered outputs are the original rows, moved. ALiBi only sees the distance between two tokens, and this new order keeps every distance (a reversal does): press Shuffle or swap two words."
                } else if d <= SAME {
                    "the reordered outputs are the original rows, moved: nothing else changed."
                } else {
                    "the outputs changed, not only their order: the model can tell where each token is."
                };
                format!(
                    "Largest difference between a reordered output row and the original row it came from: {} ({}). So {what}",
                    fmt_diff(d),
                    if scheme.get() == PosScheme::None { "position off" } else { "position on" }
                )
            }
            Err(e) => e.clone(),
        })
    };
    let order_chips = move || {
        view_m.with(|r| {
            r.as_ref()
                .ok()
                .map(|v| {
                    v.reordered
                        .iter()
                        .enumerate()
                        .map(|(i, tok)| {
                            let label = format!(
                                "Place {} of the new order: “{tok}”, token {} of the sentence. Press to pick, then press another to swap.",
                                i + 1,
                                v.perm[i] + 1
                            );
                            view! {
                                <li>
                                    <button
                                        class="chip order-chip"
                                        data-testid=format!("order-{}", i + 1)
                                        aria-pressed=move || (picked.get() == Some(i)).to_string()
                                        aria-label=label
                                        on:click=move |_| match picked.get_untracked() {
                                            Some(j) if j != i => {
                                                picked.set(None);
                                                url.edit(|s| s.swap(i, j));
                                            }
                                            Some(_) => picked.set(None),
                                            None => picked.set(Some(i)),
                                        }
                                    >
                                        {tok.clone()}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                })
        })
    };
    let mapping = move || {
        view_m.with(|r| {
            r.as_ref().ok().map(|v| {
                let rows = v
                    .perm
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| {
                        vec![
                            (i + 1).to_string(),
                            v.reordered[i].clone(),
                            (p + 1).to_string(),
                            fmt_diff(v.result.row_diff[i]),
                        ]
                    })
                    .collect::<Vec<_>>();
                view! {
                    <NumbersTable
                        data=TableData::plain(&["new row", "token", "original row", "largest |difference|"], rows)
                        test_id="perm-mapping"
                    />
                }
            })
        })
    };
    view! {
        <section aria-labelledby="perm-title">
            <h2 id="perm-title">"1 · Shuffle the sentence"</h2>
            <p>
                "One attention layer (2 heads, d_model 16, fixed random weights) reads the sentence twice: as typed, and in a new order. "
                "Each output row belongs to one token. Switch position off and on and compare."
            </p>
            <TokenEditor
                text=Signal::derive(move || state.with(|s| s.text.clone()))
                on_text=Callback::new(move |t: String| {
                    picked.set(None);
                    url.commit.run(state.get_untracked().with_text(&t));
                })
            />
            <div class="control">
                <span class="label" id="order-label">"New order (press two words to swap them)"</span>
                <ul class="chips" aria-labelledby="order-label" data-testid="order">{order_chips}</ul>
                <div class="button-row">
                    <button data-testid="order-reverse" on:click=move |_| url.edit(|s| s.perm = state::reversed(s.perm.len()))>"Reverse"</button>
                    <button data-testid="order-shuffle" on:click=move |_| url.edit(|s| s.shuffle(now_ms() as u64))>"Shuffle"</button>
                    <button data-testid="order-identity" on:click=move |_| url.edit(|s| s.perm = (0..s.perm.len()).collect())>"Original order"</button>
                </div>
            </div>
            <div class="control" role="group" aria-label="Position information">
                <span class="label">"Position information"</span>
                {PosScheme::ALL
                    .into_iter()
                    .map(|p| view! {
                        <button
                            data-testid=format!("pos-{}", p.key())
                            aria-pressed=move || (scheme.get() == p).to_string()
                            on:click=move |_| url.edit(|s| s.scheme = p)
                        >
                            {p.label()}
                        </button>
                    })
                    .collect_view()}
            </div>
            <p class="measure" data-testid="perm-verdict" aria-live="polite">{verdict}</p>
            <div class="row-of-maps">
                <Heatmap title="Output, original order" subtitle=Signal::derive(move || shape_of(view_m, false)) data=maps(false) test_id="perm-original" />
                <Heatmap title="Output, new order" subtitle=Signal::derive(move || shape_of(view_m, true)) data=maps(true) test_id="perm-reordered" />
            </div>
            <details class="numbers" open=true>
                <summary>"Which row went where"</summary>
                {mapping}
            </details>
        </section>
    }
}

fn shape_of(m: Memo<Result<model::PermView, String>>, reordered: bool) -> String {
    m.with(|r| match r {
        Ok(v) => {
            let o = if reordered {
                &v.result.reordered.output
            } else {
                &v.result.original.output
            };
            format!("{} × {} · one row per token", o.nrows(), o.ncols())
        }
        Err(_) => String::new(),
    })
}

fn fmt_diff(d: f64) -> String {
    if d == 0.0 {
        "0 exactly".into()
    } else {
        format!("{d:.2e}")
    }
}

/// Section 2: the sinusoidal encoding.
#[component]
fn SinusoidalSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let dims = Memo::new(move |_| state.with(|s| (s.sin_n, s.sin_d)));
    let anchor = Memo::new(move |_| state.with(|s| s.anchor));
    let image = Memo::new(move |_| {
        let (n, d) = dims.get();
        Ok::<_, String>(model::sinusoid_image(n, d))
    });
    let offsets = Memo::new(move |_| {
        let (n, d) = dims.get();
        model::offset_chart(anchor.get(), n, d)
    });
    let image_draw = chart_of(image, |m, area, s, th| {
        draw_matrix_image(area, m, th, s).map_err(|e| e.to_string())
    });
    let offset_draw = chart_of(offsets, |(c, _), area, s, th| {
        draw_curves(area, c, th, s).map_err(|e| e.to_string())
    });
    let waves = move || {
        let (_, d) = dims.get();
        view! { <NumbersTable data=TableData::plain(&["dimensions", "frequency ω (radians per position)", "wavelength (positions)"], model::wavelength_rows(d)) test_id="wavelengths" /> }
    };
    let image_numbers = move || {
        let (n, d) = dims.get();
        let (rows, cols) = (n.min(16), d.min(16));
        let m = attention_core::sinusoidal(rows, cols.max(d).min(d));
        let mut header = vec!["p".to_string()];
        header.extend((0..cols).map(|j| format!("j={j}")));
        let header_ref: Vec<&str> = header.iter().map(String::as_str).collect();
        let data = TableData::plain(
            &header_ref,
            (0..rows).map(|p| {
                let mut r = vec![p.to_string()];
                r.extend((0..cols).map(|j| format!("{:.4}", m[(p, j)])));
                r
            }),
        );
        view! {
            <p>{format!("The first {rows} positions and {cols} dimensions of {n} × {d}; the formula gives every other entry.")}</p>
            <NumbersTable data=data test_id="sin-values" />
        }
    };
    let offset_numbers = move || {
        offsets.with(|r| {
            r.as_ref().ok().map(|(_, dots)| {
                let rows = dots
                    .iter()
                    .enumerate()
                    .take(64)
                    .map(|(i, v)| vec![i.to_string(), format!("{v:.6}")]);
                view! { <NumbersTable data=TableData::plain(&["offset Δ", "PE(p)·PE(p+Δ)"], rows) test_id="offset-dots" /> }
            })
        })
    };
    view! {
        <section aria-labelledby="sin-title">
            <h2 id="sin-title">"2 · Sinusoidal encoding"</h2>
            <p>
                "The original Transformer adds a fixed vector to each token: column pair i holds sin and cos of p·ω_i, with ω_i = 10000^(−2i/d_model). "
                "The first pairs turn fast, the last ones barely move, so every position gets a different pattern, like the hands of a clock with many speeds."
            </p>
            <div class="control-grid">
                <Slider label="Positions" test_id="sin-n" value=Signal::derive(move || dims.get().0 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.sin_n = v.round().clamp(1.0, 512.0) as usize)) min=1.0 max=512.0 />
                <Slider label="d_model" test_id="sin-d" step=2.0 value=Signal::derive(move || dims.get().1 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.sin_d = (v.round() as usize).clamp(2, 512).div_ceil(2) * 2)) min=2.0 max=512.0 />
                <Slider label="Anchor position p" test_id="sin-p" value=Signal::derive(move || anchor.get() as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.anchor = v.round().clamp(0.0, 511.0) as usize)) min=0.0 max=511.0 />
            </div>
            <div class="row-of-maps">
                <Chart width=560.0 height=560.0 test_id="sin-image" label=Signal::derive(move || { let (n, d) = dims.get(); format!("Sinusoidal encoding, {n} positions by {d} dimensions, values from −1 to 1") }) draw=image_draw>
                    {image_numbers}
                </Chart>
                <Chart width=520.0 height=320.0 test_id="sin-offset" label=Signal::derive(move || format!("Dot product of the encodings of positions p = {} and p + Δ against Δ", anchor.get())) draw=offset_draw>
                    {offset_numbers}
                </Chart>
            </div>
            <p class="measure" data-testid="sin-offset-note">
                {move || offsets.with(|r| match r {
                    Ok((c, dots)) => {
                        let gap = c.series[0].points.iter().zip(&c.series[1].points).map(|(a, b)| (a.1 - b.1).abs()).fold(0.0, f64::max);
                        format!(
                            "PE(p)·PE(p+Δ) starts at {:.1} (= d_model/2) and falls as the offset grows. From p = {} and from p = 0 the curves differ by at most {}: the dot product depends only on the offset.",
                            dots.first().copied().unwrap_or(0.0),
                            anchor.get(),
                            fmt_diff(gap)
                        )
                    }
                    Err(e) => e.clone(),
                })}
            </p>
            <details class="numbers">
                <summary>"Wavelength of each dimension pair"</summary>
                {waves}
            </details>
        </section>
    }
}

/// Steps are taken until this much of each animation frame is used.
const FRAME_BUDGET_MS: f64 = 12.0;

/// Sections 3 (the learned table) and 6 (the experiment): both show the same
/// five models, trained here.
fn learned_and_experiment(url: UrlState<PosState>) -> (impl IntoView, impl IntoView) {
    let state = url.state;
    let cfg = Memo::new(move |_| state.with(|s| (s.k, s.steps, s.exp_seed)));
    let session = StoredValue::new_local(None::<Session>);
    let progress = RwSignal::new(Progress::default());
    let error = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let rate = RwSignal::new(None::<f64>);
    let reset = move |(k, steps, seed): (usize, usize, u64)| {
        running.set(false);
        rate.set(None);
        match Session::new(k, steps, seed) {
            Ok(s) => {
                progress.set(s.progress());
                error.set(None);
                session.set_value(Some(s));
            }
            Err(e) => {
                error.set(Some(e));
                session.set_value(None);
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
            let mut steps = 0usize;
            let mut snapshot = None;
            let mut done = false;
            let mut failed = None;
            session.try_update_value(|s| {
                let Some(s) = s.as_mut() else {
                    done = true;
                    return;
                };
                let before = s.step();
                while now_ms() < deadline {
                    match s.work() {
                        Ok(true) => {
                            done = true;
                            break;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            failed = Some(e);
                            done = true;
                            break;
                        }
                    }
                }
                steps = s.step() - before;
                // Repaint at most every 250 ms while training (charts are cheap,
                // the snapshot of five models is not free).
                if done || now_ms() - last_push > 250.0 {
                    last_push = now_ms();
                    snapshot = Some(s.progress());
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
        progress.with(|p| {
            Ok::<_, String>((
                experiment::accuracy_chart(p),
                experiment::loss_chart(p),
                experiment::by_position_chart(
                    p,
                    &[Scheme::Learned, Scheme::Sinusoidal, Scheme::Rope],
                ),
                experiment::learned_image(p),
            ))
        })
    });
    let acc_draw = chart_of(charts, |c, a, s, th| {
        draw_curves(a, &c.0, th, s).map_err(|e| e.to_string())
    });
    let loss_draw = chart_of(charts, |c, a, s, th| {
        draw_curves(a, &c.1, th, s).map_err(|e| e.to_string())
    });
    let bypos_draw = chart_of(charts, |c, a, s, th| {
        draw_curves(a, &c.2, th, s).map_err(|e| e.to_string())
    });
    let table_draw = chart_of(charts, |c, a, s, th| {
        draw_matrix_image(a, &c.3, th, s).map_err(|e| e.to_string())
    });
    let started = move || progress.with(|p| p.step > 0);
    let button_text = move || {
        if running.get() {
            "Pause"
        } else if progress.with(|p| p.done) {
            "Done"
        } else if started() {
            "Continue"
        } else {
            "Train the five models"
        }
    };
    let acc_table = move || {
        progress.with(|p| {
            let mut header = vec!["scheme".to_string()];
            header.extend(p.lengths.iter().map(|n| format!("length {n}")));
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows = Scheme::ALL.iter().zip(&p.accuracy).map(|(s, acc)| {
                let mut r = vec![s.name().to_string()];
                r.extend(
                    acc.iter()
                        .map(|a| a.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))),
                );
                r
            });
            view! { <NumbersTable data=TableData::plain(&h, rows) test_id="extrapolation-table" /> }
        })
    };
    let bypos_table = move || {
        progress.with(|p| {
            let pick = [Scheme::Learned, Scheme::Sinusoidal, Scheme::Rope];
            let cols: Vec<Option<&Vec<Option<f64>>>> = Scheme::ALL
                .iter()
                .zip(&p.by_position)
                .filter(|(s, _)| pick.contains(s))
                .map(|(_, b)| b.as_ref())
                .collect();
            let rows = (0..4 * L).map(|i| {
                let mut r = vec![i.to_string()];
                r.extend(cols.iter().map(|c| {
                    c.and_then(|v| v.get(i).copied().flatten())
                        .map_or("—".into(), |v| format!("{:.3}", v))
                }));
                r
            });
            view! { <NumbersTable data=TableData::plain(&["position", "learned", "sinusoidal", "RoPE"], rows) /> }
        })
    };
    let loss_table = move || {
        progress.with(|p| {
            let rows = Scheme::ALL.iter().zip(&p.losses).map(|(s, l)| {
                vec![
                    s.name().to_string(),
                    l.last().map_or("—".into(), |x| format!("{:.4}", x.1)),
                ]
            });
            view! { <NumbersTable data=TableData::plain(&["scheme", "latest training loss"], rows) /> }
        })
    };
    let learned_numbers = move || {
        progress.with(|p| {
            let d = p.d_model;
            let mut header = vec!["position".to_string()];
            header.extend((0..d).map(|j| format!("d{j}")));
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows = (0..p.learned_rows.len().checked_div(d).unwrap_or(0)).map(|r| {
                let mut v = vec![r.to_string()];
                v.extend(
                    p.learned_rows[r * d..(r + 1) * d]
                        .iter()
                        .map(|x| format!("{x:.4}")),
                );
                v
            });
            view! { <NumbersTable data=TableData::plain(&h, rows) test_id="learned-values" /> }
        })
    };
    let controls = view! {
        <div class="control-grid">
            <Slider label="Copy the token k steps back: k" test_id="exp-k" value=Signal::derive(move || cfg.get().0 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.k = v.round().clamp(1.0, state::K_MAX as f64) as usize)) min=1.0 max=state::K_MAX as f64 />
            <Slider label="Training steps per model" test_id="exp-steps" step=20.0 value=Signal::derive(move || cfg.get().1 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| s.steps = v.round().clamp(state::STEPS_MIN as f64, state::STEPS_MAX as f64) as usize)) min=state::STEPS_MIN as f64 max=state::STEPS_MAX as f64 />
            <div class="control">
                <button class="primary" data-testid="exp-toggle" disabled=move || progress.with(|p| p.done) on:click=toggle>{button_text}</button>
                <button data-testid="exp-reset" on:click=move |_| reset(cfg.get_untracked())>"Reset"</button>
                <button data-testid="exp-seed" on:click=move |_| url.edit(|s| s.exp_seed = (s.exp_seed + 1) % (state::SEED_MAX as u64 + 1))>
                    {move || format!("New seed (now {})", cfg.get().2)}
                </button>
            </div>
        </div>
    };
    let learned = view! {
        <section aria-labelledby="learned-title">
            <h2 id="learned-title">"3 · A learned table of positions"</h2>
            <p>
                "BERT and GPT-2 learn one vector per position, like a word embedding for “slot 5”. "
                {format!("The table has exactly as many rows as the longest training sequence, here L = {L}. ")}
                "Past that there is no row: this model reuses the last one, so positions 16, 17, 18 … all look like position 15. "
                "The picture below is the table of the learned model from section 6, as it is used up to length 64; train the models there and watch it change."
            </p>
            <div class="row-of-maps">
                <Chart width=520.0 height=520.0 test_id="learned-table" label=Signal::derive(|| "Learned position vectors by position, repeated past the trained length".to_string()) draw=table_draw>
                    {learned_numbers}
                </Chart>
                <Chart width=560.0 height=320.0 test_id="by-position" label=Signal::derive(|| "Accuracy at each position of length-64 sequences for the learned, sinusoidal and RoPE models".to_string()) draw=bypos_draw>
                    {bypos_table}
                </Chart>
            </div>
            <p class="hint">
                "The right-hand chart fills in once the models of section 6 are trained (about half a minute); the grey line marks L. "
                <button data-testid="exp-toggle-learned" disabled=move || progress.with(|p| p.done) on:click=toggle>{button_text}</button>
                " "
                <span aria-live="polite">{move || progress.with(experiment::summary)}</span>
            </p>
        </section>
    };
    let experiment = view! {
        <section aria-labelledby="exp-title" class="training">
            <h2 id="exp-title">"6 · Which scheme reaches further? An experiment"</h2>
            <p>
                {format!("Five copies of one small causal transformer (2 layers, 2 heads, d_model 32) differ only in how they get position. They learn one task: at every position, name the token k steps back. Training sequences are 4 to {L} tokens long; afterwards each model is tested on {} new sequences at every length from {L} to {}.", experiment::TEST_SEQS, 4 * L)}
                " All five see the same batches in the same order, and they train right here, in your browser."
            </p>
            {controls}
            <p class="measure" aria-live="polite">
                <span data-testid="exp-step">{move || progress.with(|p| format!("Step {} of {}", p.step, p.steps))}</span>
                " · "
                <span data-testid="exp-rate">{move || rate.get().map_or("—".to_string(), |r| format!("{r:.0} steps/s (all five models)"))}</span>
            </p>
            <p class="measure" data-testid="exp-summary">{move || error.get().unwrap_or_else(|| progress.with(experiment::summary))}</p>
            <div class="row-of-maps">
                <Chart width=560.0 height=320.0 test_id="exp-accuracy" label=Signal::derive(|| "Held-out accuracy against sequence length for the five schemes".to_string()) draw=acc_draw>
                    {acc_table}
                </Chart>
                <Chart width=560.0 height=320.0 test_id="exp-loss" label=Signal::derive(|| "Training loss of the five models".to_string()) draw=loss_draw>
                    {loss_table}
                </Chart>
            </div>
            <p class="hint">
                "What the chart shows is what happened on this run: change the seed or k and run again. "
                "Guessing gives 12.5% (8 possible tokens)."
            </p>
            <p class="measure" data-testid="exp-reading">{move || progress.with(experiment::reading)}</p>
            <p class="hint">
                "Why ALiBi can struggle here: its penalty only grows with distance, so on its own it can favour “recent”, but not “exactly k back”. "
                "Language models need the first far more often than the second."
            </p>
        </section>
    };
    (learned, experiment)
}

/// Section 4: RoPE.
#[component]
fn RopeSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let rope_m = Memo::new(move |_| state.with(model::rope));
    let pos =
        Memo::new(move |_| state.with(|s| (s.rope_m, s.rope_n, s.shift, s.rope_d, s.rope_seed)));
    let panels = Memo::new(move |_| {
        rope_m.with(|r| {
            r.as_ref()
                .map(|m| model::rope_panels(&m.shifted))
                .map_err(Clone::clone)
        })
    });
    let chart = Memo::new(move |_| {
        let (m, n, ..) = pos.get();
        rope_m.with(|r| {
            r.as_ref()
                .map(|r| model::rope_chart(r, m as i64 - n as i64))
                .map_err(Clone::clone)
        })
    });
    let pairs_draw = chart_of(panels, |p, a, s, th| {
        draw_rope_pairs(a, p, th, s).map_err(|e| e.to_string())
    });
    let chart_draw = chart_of(chart, |c, a, s, th| {
        draw_curves_from(a, c, -(model::ROPE_OFFSETS as f64), th, s).map_err(|e| e.to_string())
    });
    let n_pairs = Memo::new(move |_| pos.get().3 / 2);
    let score_text = move || {
        rope_m.with(|r| match r {
            Ok(r) => {
                let (m, n, s, ..) = pos.get();
                format!(
                    "Score at query {m}, key {n}: {:.6}. Both moved by {s} (query {}, key {}): {:.6}. Difference {}. Offset m − n = {}.",
                    r.at.score,
                    m + s,
                    n + s,
                    r.shifted.score,
                    fmt_diff((r.at.score - r.shifted.score).abs()),
                    m as i64 - n as i64
                )
            }
            Err(e) => e.clone(),
        })
    };
    let pairs_table = move || {
        rope_m.with(|r| {
            r.as_ref().ok().map(|r| {
                let rows = r.shifted.pairs.iter().enumerate().map(|(i, p)| {
                    vec![
                        (i + 1).to_string(),
                        format!("{:.6}", p.omega),
                        format!("({:.3}, {:.3})", p.q_rot.0, p.q_rot.1),
                        format!("({:.3}, {:.3})", p.k_rot.0, p.k_rot.1),
                        format!("{:.6}", p.contribution),
                    ]
                });
                view! { <NumbersTable data=TableData::plain(&["pair", "ω", "q rotated", "k rotated", "share of score"], rows) test_id="rope-pairs" /> }
            })
        })
    };
    let offsets_table = move || {
        rope_m.with(|r| {
            r.as_ref().ok().map(|r| {
                let rows = r.offsets.iter().map(|(o, s)| vec![o.to_string(), fmt(*s)]);
                view! { <NumbersTable data=TableData::plain(&["offset m − n", "score"], rows) /> }
            })
        })
    };
    // "Move both" animation: the shift grows by one about 30 times a second.
    let animating = RwSignal::new(false);
    let animate = move |_| {
        let start = !animating.get_untracked();
        animating.set(start);
        if !start {
            return;
        }
        let mut last = 0.0;
        drive(animating, 1.0, move |_| {
            let now = now_ms();
            if now - last >= 33.0 {
                last = now;
                let mut s = state.try_get_untracked()?;
                s.shift = (s.shift + 1) % (state::SHIFT_MAX as usize + 1);
                url.commit.run(s);
            }
            Some(false)
        });
    };
    let set = move |f: fn(&mut PosState, usize)| {
        Callback::new(move |v: f64| url.edit(|s| f(s, v.round().max(0.0) as usize)))
    };
    view! {
        <section aria-labelledby="rope-title">
            <h2 id="rope-title">"4 · RoPE: position as rotation"</h2>
            <p>
                "Rotary embeddings leave the tokens alone and turn the query and the key instead. "
                "Split each into pairs of numbers; treat each pair as an arrow and turn it by position × ω_i (the same frequencies as the sinusoids). "
                "A dot product only cares about the angle between two arrows, so the score depends on how far apart the query and key are, never on where they both sit."
            </p>
            <div class="control-grid">
                <Slider label="Query position m" test_id="rope-m" value=Signal::derive(move || pos.get().0 as f64) on_change=set(|s, v| s.rope_m = v.min(state::ROPE_POS_MAX as usize)) min=0.0 max=state::ROPE_POS_MAX as f64 />
                <Slider label="Key position n" test_id="rope-n" value=Signal::derive(move || pos.get().1 as f64) on_change=set(|s, v| s.rope_n = v.min(state::ROPE_POS_MAX as usize)) min=0.0 max=state::ROPE_POS_MAX as f64 />
                <Slider label="Move both by" test_id="rope-shift" value=Signal::derive(move || pos.get().2 as f64) on_change=set(|s, v| s.shift = v.min(state::SHIFT_MAX as usize)) min=0.0 max=state::SHIFT_MAX as f64 />
                <Slider label="Head width d" test_id="rope-d" step=2.0 value=Signal::derive(move || pos.get().3 as f64) on_change=set(|s, v| s.rope_d = v.clamp(2, state::ROPE_D_MAX as usize).div_ceil(2) * 2) min=2.0 max=state::ROPE_D_MAX as f64 />
                <div class="control">
                    <button data-testid="rope-animate" aria-pressed=move || animating.get().to_string() on:click=animate>
                        {move || if animating.get() { "⏸ Stop moving" } else { "▶ Move both, continuously" }}
                    </button>
                    <button data-testid="rope-seed" on:click=move |_| url.edit(|s| s.rope_seed = (s.rope_seed + 1) % (state::SEED_MAX as u64 + 1))>
                        {move || format!("New q and k (seed {})", pos.get().4)}
                    </button>
                </div>
            </div>
            <p class="measure" data-testid="rope-score" aria-live="polite">{score_text}</p>
            <p class="legend-line">
                <span style=format!("color: rgb{:?}", QUERY)>"■ q, the query"</span>
                " · "
                <span style=format!("color: rgb{:?}", KEY)>"■ k, the key"</span>
                {move || { let (m, n, s, ..) = pos.get(); format!(" · drawn at query {} and key {}", m + s, n + s) }}
            </p>
            <div class="row-of-maps">
                {move || {
                    let (w, h) = rope_pairs_size(n_pairs.get(), 640.0);
                    view! {
                        <Chart width=w height=h test_id="rope-pairs-chart" label=Signal::derive(move || format!("The {} pairs of the query and key as arrows after rotation", n_pairs.get())) draw=pairs_draw.clone()>
                            {pairs_table}
                        </Chart>
                    }
                }}
                <Chart width=520.0 height=320.0 test_id="rope-offset" label=Signal::derive(|| "RoPE score against the offset between query and key".to_string()) draw=chart_draw>
                    {offsets_table}
                </Chart>
            </div>
        </section>
    }
}

/// Section 5: ALiBi.
#[component]
fn AlibiSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let alibi = Memo::new(move |_| state.with(model::alibi));
    let sel = Memo::new(move |_| state.with(|s| (s.alibi_head, s.alibi_heads, s.causal)));
    let grid = Memo::new(move |_| {
        alibi.with(|r| {
            r.as_ref()
                .map(|a| (model::bias_grid(a), model::bias_scale(a)))
                .map_err(Clone::clone)
        })
    });
    let grid_draw = chart_of(grid, |(g, scale), a, s, th| {
        let lo = -scale.range().1;
        let legend =
            format!("Colour: 0 (white) to {lo:.2} (dark blue); grey = masked (a later token)");
        draw_matrix_grid(a, g, *scale, &legend, th, s).map_err(|e| e.to_string())
    });
    let heat = move |which: u8| {
        Signal::derive(move || {
            let h = sel.get().0;
            alibi.with(|r| match r {
                Ok(a) => {
                    let t = &a.tokens;
                    match which {
                        0 => {
                            let mut d = crate::charts::heatmap::signed(
                                &a.biases[h.min(a.biases.len() - 1)],
                                t.clone(),
                                t.clone(),
                            );
                            d.scale = model::bias_scale(a);
                            d
                        }
                        1 => crate::charts::heatmap::weights(
                            &a.without.heads[h.min(a.without.heads.len() - 1)].weights,
                            t,
                        ),
                        _ => crate::charts::heatmap::weights(
                            &a.with.heads[h.min(a.with.heads.len() - 1)].weights,
                            t,
                        ),
                    }
                }
                Err(_) => crate::chapters::self_attention::empty_heatmap(),
            })
        })
    };
    let slopes_table = move || {
        alibi.with(|r| {
            r.as_ref().ok().map(|a| {
                let rows = a.slopes.iter().zip(&a.distance).enumerate().map(|(h, (m, d))| {
                    vec![
                        (h + 1).to_string(),
                        model::slope_label(*m),
                        format!("{:.3}", d.0),
                        format!("{:.3}", d.1),
                    ]
                });
                view! { <NumbersTable data=TableData::plain(&["head", "slope m", "mean distance looked, without ALiBi", "with ALiBi"], rows) test_id="alibi-slopes" /> }
            })
        })
    };
    let n_heads = Memo::new(move |_| sel.get().1);
    let head_buttons = move || {
        (0..n_heads.get())
            .map(|h| view! {
                <button data-testid=format!("alibi-head-{}", h + 1) aria-pressed=move || (sel.get().0 == h).to_string() on:click=move |_| url.edit(|s| s.alibi_head = h)>
                    {(h + 1).to_string()}
                </button>
            })
            .collect_view()
    };
    let effect_text = move || {
        alibi.with(|r| match r {
            Ok(a) => {
                let h = sel.get().0.min(a.distance.len().saturating_sub(1));
                let (d0, d1) = a.distance.get(h).copied().unwrap_or((0.0, 0.0));
                format!(
                    "Head {} (slope {}): on average a token looks {:.2} positions away without ALiBi and {:.2} with it.",
                    h + 1,
                    model::slope_label(a.slopes.get(h).copied().unwrap_or(0.0)),
                    d0,
                    d1
                )
            }
            Err(e) => e.clone(),
        })
    };
    let sub = |s: &'static str| {
        Signal::derive(move || {
            alibi.with(|r| {
                r.as_ref().map_or(String::new(), |a| {
                    format!("{n} × {n} · {s}", n = a.tokens.len())
                })
            })
        })
    };
    view! {
        <section aria-labelledby="alibi-title">
            <h2 id="alibi-title">"5 · ALiBi: a penalty for distance"</h2>
            <p>
                "ALiBi adds nothing to the tokens. It subtracts slope × distance from every score, so far-away keys lose weight. "
                "Each head gets its own slope from a geometric series (1/2, 1/4, 1/8, … for 8 heads): steep heads look nearby, gentle heads can still see far. "
                "Language models use the causal form, where a token only sees earlier ones; without the mask the same penalty works in both directions."
            </p>
            <div class="control-grid">
                <label class="control">
                    <span class="label">"Sentence"</span>
                    <input
                        type="text"
                        class="sentence"
                        data-testid="alibi-sentence"
                        spellcheck="false"
                        prop:value=move || state.with(|s| s.alibi_text.clone())
                        on:input=move |ev| {
                            let t = crate::text::cap_text(&event_target_value(&ev)).0;
                            url.edit(|s| s.alibi_text = t);
                        }
                    />
                </label>
                <Slider label="Heads" test_id="alibi-heads" value=Signal::derive(move || sel.get().1 as f64) on_change=Callback::new(move |v: f64| url.edit(|s| { s.alibi_heads = v.round().clamp(1.0, state::HEADS_MAX as f64) as usize; s.alibi_head = s.alibi_head.min(s.alibi_heads - 1); })) min=1.0 max=state::HEADS_MAX as f64 />
                <Toggle label="Causal (each token sees only earlier ones)" test_id="alibi-causal" checked=Signal::derive(move || sel.get().2) on_change=Callback::new(move |on: bool| url.edit(|s| s.causal = on)) />
            </div>
            {move || {
                let (w, h) = matrix_grid_size(n_heads.get(), 640.0, 13.0);
                view! {
                    <Chart width=w height=h test_id="alibi-grid" label=Signal::derive(move || format!("Bias matrices of the {} ALiBi heads", n_heads.get())) draw=grid_draw.clone()>
                        {slopes_table}
                    </Chart>
                }
            }}
            <div class="control" role="group" aria-label="Head shown below">
                <span class="label">"Head shown below"</span>
                {head_buttons}
            </div>
            <p class="measure" data-testid="alibi-effect" aria-live="polite">{effect_text}</p>
            <div class="row-of-maps">
                <Heatmap title="ALiBi bias" subtitle=sub("−m·|i − j|") data=heat(0) test_id="alibi-bias" />
                <Heatmap title="Weights without ALiBi" subtitle=sub("softmax(q·k/√d_k)") data=heat(1) test_id="alibi-without" />
                <Heatmap title="Weights with ALiBi" subtitle=sub("softmax(q·k/√d_k − m·|i − j|)") data=heat(2) test_id="alibi-with" />
            </div>
        </section>
    }
}
