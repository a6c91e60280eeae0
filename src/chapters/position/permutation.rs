//! Section 1 of the position chapter: one attention layer reads the sentence
//! as typed and in a new order (chips to swap, reverse, shuffle); with
//! position off the output rows only move, with it on they change.

use super::model::{self, PermView, SAME};
use super::state::{self, PosScheme, PosState};
use crate::frames::now_ms;
use crate::router::{field, UrlState};
use crate::widgets::choice::ChoiceButtons;
use crate::widgets::heatmap::{empty_heatmap, Heatmap};
use crate::widgets::section::Section;
use crate::widgets::table::fmt_diff;
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::token_editor::TokenEditor;
use leptos::prelude::*;

type PermMemo = Memo<Result<PermView, String>>;

/// Which of the two outputs a map shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    /// The sentence as typed.
    Original,
    /// The sentence in the new order.
    Reordered,
}

impl Order {
    fn output(self, v: &PermView) -> &attention_core::Mat {
        match self {
            Order::Original => &v.result.original.output,
            Order::Reordered => &v.result.reordered.output,
        }
    }

    fn tokens(self, v: &PermView) -> &[String] {
        match self {
            Order::Original => &v.tokens,
            Order::Reordered => &v.reordered,
        }
    }

    /// The output heatmap, on the colour scale shared by both maps.
    fn heatmap(self, m: PermMemo) -> crate::charts::heatmap::HeatmapData {
        m.with(|r| match r {
            Ok(v) => model::output_heatmap(
                self.output(v),
                self.tokens(v),
                model::shared_abs_max(&v.result),
            ),
            Err(_) => empty_heatmap(),
        })
    }

    /// The subtitle: the output's shape.
    fn shape(self, m: PermMemo) -> String {
        m.with(|r| match r {
            Ok(v) => {
                let o = self.output(v);
                format!("{} × {} · one row per token", o.nrows(), o.ncols())
            }
            Err(_) => String::new(),
        })
    }
}

/// Section 1: reorder the tokens with position off and on.
#[component]
pub fn PermutationSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(model::permutation));
    let picked = RwSignal::new(None::<usize>);
    let scheme = Memo::new(move |_| state.with(|s| s.scheme));
    let verdict = move || view_m.with(|r| verdict(r, scheme.get()));
    view! {
        <Section id="perm-title" title="1 · Shuffle the sentence">
            <p>
                "One attention layer (2 heads, d_model 16, fixed random weights) reads the sentence twice: as typed, and in a new order. "
                "Each output row belongs to one token. Switch position off and on and compare."
            </p>
            <TokenEditor
                text=move || state.with(|s| s.text.clone())
                on_text=Callback::new(move |t: String| {
                    picked.set(None);
                    url.commit.run(state.get_untracked().with_text(&t));
                })
            />
            <OrderControl url=url view_m=view_m picked=picked />
            <ChoiceButtons label="Position information" test_prefix="pos" bind=field!(url.scheme) />
            <p class="measure" data-testid="perm-verdict" aria-live="polite">{verdict}</p>
            <div class="row-of-maps">
                {[
                    (Order::Original, "Output, original order", "perm-original"),
                    (Order::Reordered, "Output, new order", "perm-reordered"),
                ]
                    .into_iter()
                    .map(|(order, title, test_id)| {
                        view! {
                            <Heatmap title=title subtitle=move || order.shape(view_m) data=move || order.heatmap(view_m) test_id=test_id />
                        }
                    })
                    .collect_view()}
            </div>
            <details class="numbers" open=true>
                <summary>"Which row went where"</summary>
                {move || view_m.with(|r| r.as_ref().ok().map(mapping_table))}
            </details>
        </Section>
    }
}

/// The sentence after the verdict: did the reordering only move the rows?
fn verdict(r: &Result<PermView, String>, scheme: PosScheme) -> String {
    match r {
        Ok(v) => {
            let d = v.result.max_diff;
            let what = if d <= SAME && scheme == PosScheme::Alibi && model::keeps_distances(&v.perm)
            {
                "the reordered outputs are the original rows, moved. ALiBi only sees the distance between two tokens, and this new order keeps every distance (a reversal does): press Shuffle or swap two words."
            } else if d <= SAME {
                "the reordered outputs are the original rows, moved: nothing else changed."
            } else {
                "the outputs changed, not only their order: the model can tell where each token is."
            };
            format!(
                "Largest difference between a reordered output row and the original row it came from: {} ({}). So {what}",
                fmt_diff(d),
                if scheme == PosScheme::None {
                    "position off"
                } else {
                    "position on"
                }
            )
        }
        Err(e) => e.clone(),
    }
}

/// The new order as chips (press two to swap them), and the buttons that
/// reverse, shuffle or restore it.
#[component]
fn OrderControl(
    url: UrlState<PosState>,
    view_m: PermMemo,
    picked: RwSignal<Option<usize>>,
) -> impl IntoView {
    let chip = move |i: usize, tok: &String, from: Option<&usize>| {
        let label = format!(
            "Place {} of the new order: “{tok}”, token {} of the sentence. Press to pick, then press another to swap.",
            i + 1,
            from.map_or(0, |p| p + 1)
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
    };
    let chips = move || {
        view_m.with(|r| {
            r.as_ref().ok().map(|v| {
                v.reordered
                    .iter()
                    .enumerate()
                    .map(|(i, tok)| chip(i, tok, v.perm.get(i)))
                    .collect_view()
            })
        })
    };
    view! {
        <div class="control">
            <span class="label" id="order-label">"New order (press two words to swap them)"</span>
            <ul class="chips" aria-labelledby="order-label" data-testid="order">{chips}</ul>
            <div class="button-row">
                <button data-testid="order-reverse" on:click=move |_| url.edit(|s| s.perm = state::reversed(s.perm.len()))>
                    "Reverse"
                </button>
                <button data-testid="order-shuffle" on:click=move |_| url.edit(|s| s.shuffle(now_ms() as u64))>
                    "Shuffle"
                </button>
                <button data-testid="order-identity" on:click=move |_| url.edit(|s| s.perm = (0..s.perm.len()).collect())>
                    "Original order"
                </button>
            </div>
        </div>
    }
}

/// Where each row of the new order came from, and how far it moved.
fn mapping_table(v: &PermView) -> impl IntoView {
    let rows = v
        .perm
        .iter()
        .zip(&v.reordered)
        .zip(&v.result.row_diff)
        .enumerate()
        .map(|(i, ((&p, tok), diff))| {
            vec![
                (i + 1).to_string(),
                tok.clone(),
                (p + 1).to_string(),
                fmt_diff(*diff),
            ]
        })
        .collect::<Vec<_>>();
    view! {
        <NumbersTable data=TableData::plain(&["new row", "token", "original row", "largest |difference|"], rows) test_id="perm-mapping" />
    }
}
