//! Section 4 of the position chapter: RoPE. One query and one key, their
//! pairs drawn as arrows after rotation, the score at (m, n) and with both
//! moved (the same), and the score against the offset m − n. "Move both"
//! grows the shift about 30 times a second (`frames::every`).

use super::fmt;
use super::model::{self, RopeModel};
use super::state::{PosState, ROPE_D, ROPE_M, ROPE_N, ROPE_SEED, SHIFT};
use crate::charts::export::pair_panels_numbers;
use crate::charts::plots::draw_curves_from;
use crate::charts::position::{draw_rope_pairs, rope_pairs_size, PairPanel, KEY, QUERY};
use crate::frames::{every, prefers_reduced_motion};
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from_result, plot_from_result, Chart, Drawing};
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::fmt_diff;
use crate::widgets::table::{NumbersTable, TableData};
use leptos::prelude::*;

/// The "move both" animation's pace: one step of the shift this often.
const ANIMATION_STEP_MS: f64 = 33.0;

/// Where the query and key sit, and what they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RopePos {
    m: usize,
    n: usize,
    shift: usize,
    d: usize,
    seed: u64,
}

impl RopePos {
    fn of(s: &PosState) -> Self {
        RopePos {
            m: s.rope_m,
            n: s.rope_n,
            shift: s.shift,
            d: s.rope_d,
            seed: s.rope_seed,
        }
    }

    /// m − n.
    fn offset(self) -> i64 {
        self.m as i64 - self.n as i64
    }
}

/// The heading of this section.
pub(super) const ROPE_TITLE: &str = "4 · RoPE: position as rotation";

/// Section 4: RoPE.
#[component]
pub fn RopeSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let rope_m = Memo::new(move |_| state.with(model::rope));
    let pos = Memo::new(move |_| state.with(RopePos::of));
    let panels = Memo::new(move |_| {
        rope_m.with(|r| {
            r.as_ref()
                .map(|m| model::rope_panels(&m.shifted))
                .map_err(Clone::clone)
        })
    });
    let chart = Memo::new(move |_| {
        let offset = pos.get().offset();
        rope_m.with(|r| {
            r.as_ref()
                .map(|r| model::rope_chart(r, offset))
                .map_err(Clone::clone)
        })
    });
    let pairs_draw = Drawing::from(draw_from_result(panels, |a, p: &Vec<_>, s, th| {
        draw_rope_pairs(a, p, th, s)
    }))
    .with_numbers_of(panels, |r: &Result<Vec<PairPanel>, String>| {
        r.as_ref().ok().map(|p| pair_panels_numbers(p))
    });
    let chart_draw = plot_from_result(chart, |a, c, s, th| {
        draw_curves_from(a, c, -(model::ROPE_OFFSETS as f64), th, s)
    });
    let n_pairs = Memo::new(move |_| pos.get().d / 2);
    view! {
        <Section id="rope-title" title=ROPE_TITLE>
            <p>
                "Rotary embeddings leave the tokens alone and turn the query and the key instead. "
                "Split each into pairs of numbers; treat each pair as an arrow and turn it by position × ω_i (the same frequencies as the sinusoids). "
                "A dot product only cares about the angle between two arrows, so the score depends on how far apart the query and key are, never on where they both sit."
            </p>
            <RopeControls url=url pos=pos />
            <p class="measure" data-testid="rope-score" aria-live="polite">
                {move || rope_m.with(|r| score_text(r, pos.get()))}
            </p>
            <p class="legend-line">
                // The colours are drawn as swatches; the words stay in the text colour.
                <span class="swatch" aria-hidden="true" style=format!("background: rgb{:?}", QUERY)></span>
                "q, the query · "
                <span class="swatch" aria-hidden="true" style=format!("background: rgb{:?}", KEY)></span>
                "k, the key"
                {move || {
                    let p = pos.get();
                    format!(" · drawn at query {} and key {}", p.m + p.shift, p.n + p.shift)
                }}
            </p>
            <div class="row-of-maps">
                {move || {
                    let (w, h) = rope_pairs_size(n_pairs.get(), 640.0);
                    view! {
                        <Chart
                            size=(w, h)
                            test_id="rope-pairs-chart"
                            label=move || format!("The {} pairs of the query and key as arrows after rotation", n_pairs.get())
                            draw=pairs_draw.clone()
                        >
                            {move || rope_m.with(|r| r.as_ref().ok().map(pairs_table))}
                        </Chart>
                    }
                }}
                <Chart size=(520.0, 320.0) test_id="rope-offset" label="RoPE score against the offset between query and key" draw=chart_draw>
                    {move || rope_m.with(|r| r.as_ref().ok().map(offsets_table))}
                </Chart>
            </div>
        </Section>
    }
}

/// The positions, the head width, "move both, continuously" (one step per
/// press when the learner's system asks for reduced motion) and a new
/// query and key.
#[component]
fn RopeControls(url: UrlState<PosState>, pos: Memo<RopePos>) -> impl IntoView {
    let animating = RwSignal::new(false);
    // With reduced motion asked for, the button moves one step per press.
    let reduced = prefers_reduced_motion();
    let animate = move |_| {
        if reduced {
            url.edit(|s| s.next_shift());
            return;
        }
        let start = !animating.get_untracked();
        animating.set(start);
        if !start {
            return;
        }
        let state = url.state;
        every(animating, ANIMATION_STEP_MS, move || {
            let mut s = state.try_get_untracked()?;
            s.next_shift();
            url.commit.run(s);
            Some(())
        });
    };
    view! {
        <div class="control-grid">
            <ParamSlider label="Query position m" param=ROPE_M test_id="rope-m" bind=field!(url.rope_m) />
            <ParamSlider label="Key position n" param=ROPE_N test_id="rope-n" bind=field!(url.rope_n) />
            <ParamSlider label="Move both by" param=SHIFT test_id="rope-shift" bind=field!(url.shift) />
            <ParamSlider label="Head width d" param=ROPE_D test_id="rope-d" bind=field!(url.rope_d) />
            <div class="control">
                <button data-testid="rope-animate" aria-pressed=move || animating.get().to_string() on:click=animate>
                    {move || match (reduced, animating.get()) {
                        (true, _) => "▶ Move both one step",
                        (false, true) => "⏸ Stop moving",
                        (false, false) => "▶ Move both, continuously",
                    }}
                </button>
                <button data-testid="rope-seed" on:click=move |_| url.edit(|s| s.rope_seed = ROPE_SEED.next(s.rope_seed))>
                    {move || format!("New q and k (seed {})", pos.get().seed)}
                </button>
            </div>
        </div>
    }
}

/// The score at (m, n) and with both moved, in words.
fn score_text(r: &Result<RopeModel, String>, p: RopePos) -> String {
    match r {
        Ok(r) => format!(
            "Score at query {}, key {}: {:.6}. Both moved by {} (query {}, key {}): {:.6}. Difference {}. Offset m − n = {}.",
            p.m,
            p.n,
            r.at.score,
            p.shift,
            p.m + p.shift,
            p.n + p.shift,
            r.shifted.score,
            fmt_diff((r.at.score - r.shifted.score).abs()),
            p.offset()
        ),
        Err(e) => e.clone(),
    }
}

/// Each pair after rotation and its share of the score.
fn pairs_table(r: &RopeModel) -> impl IntoView {
    let rows = r.shifted.pairs.iter().enumerate().map(|(i, p)| {
        vec![
            (i + 1).to_string(),
            format!("{:.6}", p.omega),
            format!("({:.3}, {:.3})", p.q_rot.0, p.q_rot.1),
            format!("({:.3}, {:.3})", p.k_rot.0, p.k_rot.1),
            format!("{:.6}", p.contribution),
        ]
    });
    view! {
        <NumbersTable data=TableData::plain(&["pair", "ω", "q rotated", "k rotated", "share of score"], rows) test_id="rope-pairs" />
    }
}

/// The score at each offset of the chart.
fn offsets_table(r: &RopeModel) -> impl IntoView {
    let rows = r.offsets.iter().map(|(o, s)| vec![o.to_string(), fmt(*s)]);
    view! { <NumbersTable data=TableData::plain(&["offset m − n", "score"], rows) /> }
}
