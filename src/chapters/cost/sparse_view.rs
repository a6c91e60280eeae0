//! Section 3's page: pick a sparse pattern, see its mask, how far
//! information travels after L layers, how far its output is from full
//! attention, and every pattern's measured time (an automatic run).

use super::model::{diff, grouped};
use super::sparse::{
    pattern_rows, reach_text, sparse_view, PatternConfig, PatternTiming, SparseView,
};
use super::state::{
    CostState, PatternKind, BLOCK, GLOBALS, PER_ROW, REACH_LAYERS, SEED, SPARSE_N, STRIDE, WINDOW,
};
use super::Facts;
use crate::charts::export::ChartNumbers;
use crate::charts::plots::draw_curves;
use crate::charts::position::draw_matrix_image;
use crate::query::Choice;
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{draw_from_result, Chart, Drawing};
use crate::widgets::choice::ChoiceButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::Bound;
use leptos::prelude::*;

/// The heading of this section.
pub(super) const SPARSE_TITLE: &str = "3 · Sparse patterns: score fewer pairs";

/// Section 3: sparse patterns.
#[component]
pub fn SparseSection(url: UrlState<CostState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(sparse_view));
    let times = Runner::auto(
        move || state.with(PatternConfig::of),
        |c: &PatternConfig| PatternTiming::new(c.clone(), crate::frames::now_ms),
    );
    let kind = Memo::new(move |_| state.with(|s| s.pattern));
    let shows = move |ks: &'static [PatternKind]| move || ks.contains(&kind.get());
    let mask_draw = Drawing::from(draw_from_result(view_m, |a, v: &SparseView, s, th| {
        draw_matrix_image(a, &v.image, th, s)
    }))
    .with_numbers_of(view_m, |r: &Result<SparseView, String>| {
        r.as_ref().ok().map(|v| v.image.numbers())
    });
    let reach_draw = Drawing::from(draw_from_result(view_m, |a, v: &SparseView, s, th| {
        draw_curves(a, &v.reach_chart, th, s)
    }))
    .with_numbers_of(view_m, |r: &Result<SparseView, String>| {
        r.as_ref().ok().map(|v| v.reach_chart.numbers())
    });
    let slider = move |label: &'static str,
                       param,
                       test_id: &'static str,
                       get: fn(&CostState) -> usize,
                       set: fn(&mut CostState, usize)| {
        view! {
            <ParamSlider
                label=label
                param=param
                test_id=test_id
                bind=Bound::new(move || state.with(get), move |v: usize| url.edit(|s| set(s, v)))
            />
        }
    };
    view! {
        <Section id="sparse-title" title=SPARSE_TITLE>
            <p>
                "The simplest way around n² is not to score every pair. A sparse pattern lists, for each query, the few keys it may look at; "
                "only those scores are computed, and the softmax runs over them alone. "
                "What is lost: a position can no longer reach every other one in a single layer, and the output is no longer the full attention's."
            </p>
            <div class="control-grid">
                <ChoiceButtons label="Pattern" test_prefix="pat" bind=field!(url.pattern) />
                {slider("Length n of the mask", SPARSE_N, "sn", |s| s.sparse_n, |s, v| s.sparse_n = v)}
                {slider("Layers L composed", REACH_LAYERS, "reach-layers", |s| s.reach_layers, |s, v| s.reach_layers = v)}
                <Show when=shows(&[PatternKind::Window, PatternKind::Dilated, PatternKind::LocalGlobal])>
                    {slider("Window width w", WINDOW, "w", |s| s.window, |s, v| s.window = v)}
                </Show>
                <Show when=shows(&[PatternKind::Dilated])>
                    {slider("Stride (every stride-th key too)", STRIDE, "stride", |s| s.stride, |s, v| s.stride = v)}
                </Show>
                <Show when=shows(&[PatternKind::LocalGlobal])>
                    {slider("Global tokens at the start", GLOBALS, "globals", |s| s.globals, |s, v| s.globals = v)}
                </Show>
                <Show when=shows(&[PatternKind::RandomBlocks])>
                    {slider("Block size", BLOCK, "block", |s| s.block, |s, v| s.block = v)}
                    {slider("Random blocks per row of blocks", PER_ROW, "per-row", |s| s.per_row, |s, v| s.per_row = v)}
                    <div class="control">
                        <button data-testid="sparse-seed" on:click=move |_| url.edit(|s| s.seed = SEED.next(s.seed))>
                            {move || format!("Draw other blocks (seed {})", state.with(|s| s.seed))}
                        </button>
                    </div>
                </Show>
            </div>
            {move || view_m.with(|v| match v {
                Ok(v) => facts(v).into_any(),
                Err(e) => view! { <p class="error">{e.clone()}</p> }.into_any(),
            })}
            <div class="row-of-maps">
                <Chart
                    size=(520.0, 560.0)
                    test_id="mask"
                    label=move || format!("The mask of the {} pattern as an image", kind.get().label())
                    draw=mask_draw
                >
                    {move || view_m.with(|v| v.as_ref().ok().map(mask_rows))}
                </Chart>
                <Chart
                    size=(520.0, 320.0)
                    test_id="reach"
                    label="Share of position pairs connected after each number of layers"
                    draw=reach_draw
                >
                    {move || view_m.with(|v| v.as_ref().ok().map(reach_rows))}
                </Chart>
            </div>
            <p data-testid="reach-text">{move || view_m.with(|v| v.as_ref().map(reach_text).unwrap_or_default())}</p>
            <p class="measure progress" data-testid="pattern-status" aria-live="polite">
                {move || times.error().unwrap_or_else(|| times.with(|t| {
                    if t.done.len() < t.total {
                        format!("Timing every pattern at n = {}: {} of {} done…", grouped(t.n as u128), t.done.len(), t.total)
                    } else {
                        format!("Every pattern timed at n = {} (median of {} calls, same input):", grouped(t.n as u128), super::sparse::PATTERN_REPS)
                    }
                }).unwrap_or_default())}
            </p>
            {move || times.with(|t| Facts {
                caption: "Every pattern with these settings".into(),
                header: vec!["pattern".into(), "exactly".into(), "scores computed".into(), "of full".into(), "ms".into()],
                rows: pattern_rows(t),
                test_id: "pattern-table",
                current: t.done.iter().position(|p| p.kind == kind.get()),
            }.view())}
        </Section>
    }
}

/// Counts and the difference from full attention.
fn facts(v: &SparseView) -> impl IntoView {
    let nn = (v.n as u128) * (v.n as u128);
    Facts {
        caption: format!("{} at n = {}", v.pattern.label(), grouped(v.n as u128)),
        header: vec!["".into(), "value".into()],
        rows: vec![
            (
                "scores computed".into(),
                vec![format!("{} of {}", grouped(v.nonzero), grouped(nn))],
            ),
            (
                "fraction of full attention".into(),
                vec![format!("{:.4}", v.fraction)],
            ),
            (
                "largest |output − full attention's|".into(),
                vec![diff(v.max_diff)],
            ),
            (
                "mean over queries of their largest difference".into(),
                vec![diff(v.mean_row_diff)],
            ),
        ],
        test_id: "sparse-facts",
        current: None,
    }
    .view()
}

/// The mask's rows as key ranges.
fn mask_rows(v: &SparseView) -> impl IntoView {
    let mut t = TableData::new(&["query", "keys allowed", "count"]);
    t.rows = (0..v.n)
        .map(|i| {
            let row = v
                .image
                .values
                .get(i * v.n..(i + 1) * v.n)
                .unwrap_or_default();
            let keys: Vec<usize> = row
                .iter()
                .enumerate()
                .filter(|(_, x)| **x > 0.5)
                .map(|(j, _)| j)
                .collect();
            (
                Some(i.to_string()),
                vec![ranges(&keys), keys.len().to_string()],
            )
        })
        .collect();
    view! { <NumbersTable data=t test_id="mask-numbers" /> }
}

/// `0–4, 9, 12–15` from sorted indices.
pub fn ranges(keys: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut it = keys.iter().copied().peekable();
    while let Some(a) = it.next() {
        let mut b = a;
        while it.peek() == Some(&(b + 1)) {
            b += 1;
            it.next();
        }
        out.push(if a == b {
            a.to_string()
        } else {
            format!("{a}–{b}")
        });
    }
    out.join(", ")
}

fn reach_rows(v: &SparseView) -> impl IntoView {
    let mut t = TableData::new(&["layers", "connected pairs", "share", "first ↔ last"]);
    t.rows = v
        .reach
        .per_layer
        .iter()
        .map(|l| {
            (
                None,
                vec![
                    l.layers.to_string(),
                    grouped(l.connected_pairs),
                    format!("{:.4}", l.fraction),
                    if l.ends_connected { "yes" } else { "no" }.to_string(),
                ],
            )
        })
        .collect();
    view! { <NumbersTable data=t test_id="reach-numbers" /> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_lists_read_as_ranges() {
        assert_eq!(super::ranges(&[0, 1, 2, 3, 4, 9, 12, 13]), "0–4, 9, 12–13");
        assert_eq!(super::ranges(&[]), "");
    }
}
