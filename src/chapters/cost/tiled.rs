//! Section 5 of the cost chapter: tiled attention with an online softmax
//! (the FlashAttention idea). Its output against dense attention, the
//! memory each one holds (counted by the engine), and one query stepped
//! through key block by key block (`attention_core::efficient::tiled_trace`).

use super::model::{diff, grouped_usize};
use super::sparse::inputs;
use super::state::{CostState, TILE_B, TILE_N, TILE_Q, TILE_STEP};
use super::Facts;
use crate::router::{field, UrlState};
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::Bound;
use attention_core::efficient::{
    dense_attention, difference, tiled_attention, tiled_trace, MemoryCount, TiledTrace,
};
use leptos::prelude::*;

/// Everything section 5 shows.
#[derive(Clone, Debug, PartialEq)]
pub struct TiledView {
    pub n: usize,
    pub block: usize,
    pub tiles: usize,
    /// max |tiled − dense| over the whole output.
    pub max_diff: f64,
    pub memory: MemoryCount,
    pub trace: TiledTrace,
    /// The dense output row of the traced query (to compare with).
    pub dense_row: Vec<f64>,
}

/// Section 5 for the state.
pub fn tiled_view(s: &CostState) -> Result<TiledView, String> {
    let (n, b) = (s.tile_n, s.tile_b);
    let (q, k, v) = inputs(n, s.seed);
    let e = |e: attention_core::AttnError| e.to_string();
    let t = tiled_attention(&q, &k, &v, false, true, b).map_err(e)?;
    let d = dense_attention(&q, &k, &v, false, true).map_err(e)?;
    let diff = difference(&t.output, &d.output).map_err(e)?;
    let query = s.tile_q.clamp(1, n) - 1;
    let trace = tiled_trace(&q, &k, &v, false, true, b, query).map_err(e)?;
    Ok(TiledView {
        n,
        block: t.block,
        tiles: t.tiles,
        max_diff: diff.max_abs,
        memory: t.memory,
        dense_row: d.output.row(query).iter().copied().collect(),
        trace,
    })
}

/// A vector's first few entries: `(0.12, −0.5, …)`.
fn head(v: &[f64]) -> String {
    let shown: Vec<String> = v.iter().take(3).map(|x| format!("{x:.4}")).collect();
    let more = if v.len() > 3 { ", …" } else { "" };
    format!("({}{more})", shown.join(", ")).replace('-', "−")
}

/// What happened at step `k` (0-based) of the trace, in words.
pub fn step_text(t: &TiledTrace, k: usize) -> String {
    let Some(s) = t.steps.get(k) else {
        return String::new();
    };
    let before = if s.max_before.is_finite() {
        format!("{:.4}", s.max_before)
    } else {
        "nothing yet".into()
    };
    format!(
        "Block {} of {}: keys {}–{}. Their largest score is {:.4}; the running max goes from {} to {:.4}, so the old sum and partial output are multiplied by exp(old max − new max) = {:.4}. \
         The running sum is now {:.4}, and the output over the keys seen so far is {}.",
        k + 1,
        t.steps.len(),
        s.key_start,
        s.key_end.saturating_sub(1),
        s.block_max,
        before,
        s.running_max,
        s.rescale,
        s.running_sum,
        head(&s.normalised_output)
    )
}

/// The heading of this section.
pub(super) const TILED_TITLE: &str = "5 · Tiled attention: the same result without the matrix";

/// Section 5.
#[component]
pub fn TiledSection(url: UrlState<CostState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(tiled_view));
    let step = Memo::new(move |_| state.with(|s| s.tile_step));
    let blocks = Memo::new(move |_| state.with(CostState::tile_blocks));
    let go = move |d: i64| {
        url.edit(|s| {
            let next = (s.tile_step as i64 + d).clamp(1, s.tile_blocks().max(1) as i64);
            s.tile_step = usize::try_from(next).unwrap_or(1);
        })
    };
    view! {
        <Section id="tiled-title" title=TILED_TITLE>
            <p>
                "Tiled attention (the idea behind FlashAttention) gives exactly the output of dense attention but never holds the n × n matrix. "
                "The keys arrive in blocks of B. For each query it keeps only a running max m, a running sum l of exp(score − m) and a partial output; "
                "when a block brings a larger score, what was summed so far is rescaled by exp(old m − new m), and the last block leaves the exact softmax-weighted sum."
            </p>
            <div class="control-grid">
                <ParamSlider label="Length n" param=TILE_N test_id="tile-n" bind=field!(url.tile_n) />
                <ParamSlider label="Block size B" param=TILE_B test_id="tile-b" bind=field!(url.tile_b) />
                <ParamSlider label="Query traced (1 to n)" param=TILE_Q test_id="tile-q" bind=Bound::new(move || state.with(|s| s.tile_q), move |v: usize| url.edit(|s| s.tile_q = v.min(s.tile_n))) />
            </div>
            {move || view_m.with(|v| match v {
                Ok(v) => facts(v).into_any(),
                Err(e) => view! { <p class="error">{e.clone()}</p> }.into_any(),
            })}
            <h3>"One query, block by block"</h3>
            <div class="control-grid">
                <ParamSlider label="Key block shown" param=TILE_STEP test_id="tile-step" bind=Bound::new(move || step.get(), move |v: usize| url.edit(|s| s.tile_step = v.clamp(1, s.tile_blocks().max(1)))) />
                <div class="control">
                    <button data-testid="tile-prev" disabled={move || step.get() <= 1} on:click=move |_| go(-1)>"◀ Previous block"</button>
                    " "
                    <button data-testid="tile-next" disabled={move || step.get() >= blocks.get()} on:click=move |_| go(1)>"Next block ▶"</button>
                </div>
            </div>
            <p class="measure" data-testid="tile-step-text" aria-live="polite">
                {move || view_m.with(|v| v.as_ref().map(|v| step_text(&v.trace, step.get().saturating_sub(1))).unwrap_or_default())}
            </p>
            {move || view_m.with(|v| v.as_ref().ok().map(|v| trace_table(v, step.get())))}
        </Section>
    }
}

fn facts(v: &TiledView) -> impl IntoView {
    let m = &v.memory;
    Facts {
        caption: format!(
            "n = {}, B = {}: {} score tiles of at most {} × {}",
            v.n,
            v.block,
            grouped_usize(v.tiles),
            v.block,
            v.block
        ),
        header: vec!["".into(), "tiled".into(), "dense".into()],
        rows: vec![
            (
                "largest |tiled − dense| in the output".into(),
                vec![diff(v.max_diff), "—".into()],
            ),
            (
                "scores held at once".into(),
                vec![grouped_usize(m.score_tile), grouped_usize(m.dense_scores)],
            ),
            (
                "working memory (numbers)".into(),
                vec![grouped_usize(m.working_peak), grouped_usize(m.dense_scores)],
            ),
            (
                "with the output rows".into(),
                vec![grouped_usize(m.total_peak), grouped_usize(m.dense_total)],
            ),
        ],
        test_id: "tiled-facts",
        current: None,
    }
    .view()
}

fn trace_table(v: &TiledView, step: usize) -> impl IntoView {
    let t = &v.trace;
    let rows = t
        .steps
        .iter()
        .enumerate()
        .map(|(k, s)| {
            (
                format!(
                    "{} ({}–{})",
                    k + 1,
                    s.key_start,
                    s.key_end.saturating_sub(1)
                ),
                vec![
                    format!("{:.4}", s.block_max),
                    format!("{:.4}", s.running_max),
                    format!("{:.4}", s.rescale),
                    format!("{:.4}", s.running_sum),
                    head(&s.normalised_output),
                ],
            )
        })
        .collect();
    view! {
        {Facts {
            caption: format!("Query {} (the block shown is highlighted)", t.query_index + 1),
            header: vec!["key block".into(), "block max".into(), "running max".into(), "rescale".into(), "running sum".into(), "output so far".into()],
            rows,
            test_id: "tile-trace",
            current: step.checked_sub(1),
        }
        .view()}
        <p class="measure">
            {format!("Dense attention's output row for this query: {}; after the last block tiled attention gives {}.", head(&v.dense_row), head(&t.output))}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiled_equals_dense_and_holds_far_less() {
        let s = CostState {
            tile_n: 64,
            tile_b: 16,
            tile_q: 64,
            ..CostState::default()
        };
        let v = tiled_view(&s).unwrap();
        assert!(v.max_diff < 1e-9, "{}", v.max_diff);
        assert_eq!(v.tiles, 16);
        assert_eq!(v.memory.score_tile, 256);
        assert_eq!(v.memory.dense_scores, 64 * 64);
        assert!(v.memory.working_peak < v.memory.dense_scores / 4);
        assert_eq!(v.trace.steps.len(), 4);
        assert_eq!(v.trace.query_index, 63);
        let last = v.trace.steps.last().unwrap();
        for (a, b) in last.normalised_output.iter().zip(&v.dense_row) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!(step_text(&v.trace, 0).starts_with("Block 1 of 4: keys 0–15"));
        assert!(step_text(&v.trace, 0).contains("nothing yet"));
        assert_eq!(step_text(&v.trace, 9), "");
    }
}
