//! Section 5 of the position chapter: ALiBi. Every head's bias matrix, its
//! slope and how far it looks with and without the bias; for one chosen
//! head, the bias and the weights without and with it.

use super::model::{self, AlibiModel};
use super::state::{PosState, ALIBI_HEADS};
use crate::charts::export::small_matrices_numbers;
use crate::charts::heatmap::{signed, weights, HeatmapData};
use crate::charts::position::{draw_matrix_grid, matrix_grid_size, SmallMatrix};
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from_result, Chart, Drawing};
use crate::widgets::heatmap::{empty_heatmap, Heatmap};
use crate::widgets::section::Section;
use crate::widgets::slider::{ParamSlider, Toggle};
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::Bound;
use leptos::prelude::*;

/// The three maps of the chosen head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AlibiMap {
    /// The bias ALiBi adds (masked entries when causal).
    Bias,
    /// The attention weights without ALiBi.
    Without,
    /// The attention weights with ALiBi.
    With,
}

impl AlibiMap {
    const ALL: [AlibiMap; 3] = [AlibiMap::Bias, AlibiMap::Without, AlibiMap::With];

    fn title(self) -> &'static str {
        match self {
            AlibiMap::Bias => "ALiBi bias",
            AlibiMap::Without => "Weights without ALiBi",
            AlibiMap::With => "Weights with ALiBi",
        }
    }

    /// The formula in the subtitle.
    fn formula(self) -> &'static str {
        match self {
            AlibiMap::Bias => "−m·|i − j|",
            AlibiMap::Without => "softmax(q·k/√d_k)",
            AlibiMap::With => "softmax(q·k/√d_k − m·|i − j|)",
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            AlibiMap::Bias => "alibi-bias",
            AlibiMap::Without => "alibi-without",
            AlibiMap::With => "alibi-with",
        }
    }

    /// The map of head `h`, empty when there is no such head.
    fn heatmap(self, a: &AlibiModel, h: usize) -> Option<HeatmapData> {
        let t = &a.tokens;
        match self {
            AlibiMap::Bias => a.biases.get(h).map(|b| {
                let mut d = signed(b, t.clone(), t.clone());
                d.scale = model::bias_scale(a);
                d
            }),
            AlibiMap::Without => a.without.heads.get(h).map(|x| weights(&x.weights, t)),
            AlibiMap::With => a.with.heads.get(h).map(|x| weights(&x.weights, t)),
        }
    }
}

/// The heading of this section.
pub(super) const ALIBI_TITLE: &str = "5 · ALiBi: a penalty for distance";

/// Section 5: ALiBi.
#[component]
pub fn AlibiSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let alibi = Memo::new(move |_| state.with(model::alibi));
    let head = Memo::new(move |_| state.with(|s| s.alibi_head));
    let n_heads = Memo::new(move |_| state.with(|s| s.alibi_heads));
    let grid = Memo::new(move |_| {
        alibi.with(|r| {
            r.as_ref()
                .map(|a| (model::bias_grid(a), model::bias_scale(a)))
                .map_err(Clone::clone)
        })
    });
    let grid_draw = Drawing::from(draw_from_result(
        grid,
        |a, (g, scale): &(Vec<_>, _), s, th| {
            let lo = -scale.range().1;
            let legend =
                format!("Colour: 0 (white) to {lo:.2} (dark blue); grey = masked (a later token)");
            draw_matrix_grid(a, g, *scale, &legend, th, s)
        },
    ))
    .with_numbers_of(grid, |r: &Result<(Vec<SmallMatrix>, _), String>| {
        r.as_ref().ok().map(|(g, _)| small_matrices_numbers(g))
    });
    let head_buttons = move || {
        (0..n_heads.get())
            .map(|h| {
                view! {
                    <button
                        data-testid=format!("alibi-head-{}", h + 1)
                        aria-pressed=move || (head.get() == h).to_string()
                        on:click=move |_| url.edit(|s| s.alibi_head = h)
                    >
                        {(h + 1).to_string()}
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <Section id="alibi-title" title=ALIBI_TITLE>
            <p>
                "ALiBi adds nothing to the tokens. It subtracts slope × distance from every score, so far-away keys lose weight. "
                "Each head gets its own slope from a geometric series (1/2, 1/4, 1/8, … for 8 heads): steep heads look nearby, gentle heads can still see far. "
                "Language models use the causal form, where a token only sees earlier ones; without the mask the same penalty works in both directions."
            </p>
            <AlibiControls url=url />
            {move || {
                let (w, h) = matrix_grid_size(n_heads.get(), 640.0, 13.0);
                view! {
                    <Chart
                        size=(w, h)
                        test_id="alibi-grid"
                        label=move || format!("Bias matrices of the {} ALiBi heads", n_heads.get())
                        draw=grid_draw.clone()
                    >
                        {move || alibi.with(|r| r.as_ref().ok().map(slopes_table))}
                    </Chart>
                }
            }}
            <div class="control" role="group" aria-label="Head shown below">
                <span class="label">"Head shown below"</span>
                {head_buttons}
            </div>
            <p class="measure" data-testid="alibi-effect" aria-live="polite">
                {move || alibi.with(|r| effect_text(r, head.get()))}
            </p>
            <div class="row-of-maps">
                {AlibiMap::ALL
                    .into_iter()
                    .map(|m| {
                        view! {
                            <Heatmap
                                title=m.title()
                                subtitle=move || {
                                    alibi.with(|r| {
                                        r.as_ref().map_or(String::new(), |a| {
                                            format!("{n} × {n} · {}", m.formula(), n = a.tokens.len())
                                        })
                                    })
                                }
                                data=move || {
                                    let h = head.get();
                                    alibi.with(|r| r.as_ref().ok().and_then(|a| m.heatmap(a, h)).unwrap_or_else(empty_heatmap))
                                }
                                test_id=m.test_id()
                            />
                        }
                    })
                    .collect_view()}
            </div>
        </Section>
    }
}

/// The sentence, the number of heads and the causal switch.
#[component]
fn AlibiControls(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    view! {
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
            <ParamSlider
                label="Heads"
                param=ALIBI_HEADS
                test_id="alibi-heads"
                bind=Bound::new(move || state.with(|s| s.alibi_heads), move |v| url.edit(|s| s.set_alibi_heads(v)))
            />
            <Toggle label="Causal (each token sees only earlier ones)" test_id="alibi-causal" bind=field!(url.causal) />
        </div>
    }
}

/// How far the chosen head looks without and with ALiBi, in words.
fn effect_text(r: &Result<AlibiModel, String>, h: usize) -> String {
    match r {
        Ok(a) => {
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
    }
}

/// Each head's slope and how far it looks, on average.
fn slopes_table(a: &AlibiModel) -> impl IntoView {
    let rows = a
        .slopes
        .iter()
        .zip(&a.distance)
        .enumerate()
        .map(|(h, (m, d))| {
            vec![
                (h + 1).to_string(),
                model::slope_label(*m),
                format!("{:.3}", d.0),
                format!("{:.3}", d.1),
            ]
        });
    view! {
        <NumbersTable data=TableData::plain(&["head", "slope m", "mean distance looked, without ALiBi", "with ALiBi"], rows) test_id="alibi-slopes" />
    }
}
