//! Section 6 of the cost chapter: ring attention on P simulated devices
//! (`attention_core::efficient::ring_attention`): who holds which key/value
//! block at each step, the memory of each device, and the result against
//! dense attention.

use super::model::{diff, grouped_usize};
use super::sparse::inputs;
use super::state::{CostState, RING_N, RING_P, RING_STEP};
use super::Facts;
use crate::router::UrlState;
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::Bound;
use attention_core::efficient::{dense_attention, difference, ring_attention, RingAttention};
use leptos::prelude::*;

/// Everything section 6 shows.
#[derive(Clone, Debug, PartialEq)]
pub struct RingView {
    pub n: usize,
    pub ring: RingAttention,
    pub max_diff: f64,
}

/// Section 6 for the state.
pub fn ring_view(s: &CostState) -> Result<RingView, String> {
    let n = s.ring_n;
    let (q, k, v) = inputs(n, s.seed);
    let e = |e: attention_core::AttnError| e.to_string();
    let ring = ring_attention(&q, &k, &v, false, true, s.ring_p.clamp(1, n)).map_err(e)?;
    let dense = dense_attention(&q, &k, &v, false, true).map_err(e)?;
    let max_diff = difference(&ring.output, &dense.output).map_err(e)?.max_abs;
    Ok(RingView { n, ring, max_diff })
}

/// `12–17` for a half-open range.
fn span((a, b): (usize, usize)) -> String {
    format!("{a}–{}", b.saturating_sub(1))
}

/// The schedule: one row per step, one column per device.
pub fn schedule_rows(r: &RingAttention) -> Vec<(String, Vec<String>)> {
    r.schedule
        .iter()
        .map(|st| {
            (
                format!("step {}", st.step + 1),
                st.devices
                    .iter()
                    .map(|d| format!("K/V block {} ({})", d.kv_block + 1, span(d.kv_range)))
                    .collect(),
            )
        })
        .collect()
}

/// What happens at step `t` (0-based), in words.
pub fn step_text(r: &RingAttention, t: usize) -> String {
    let p = r.blocks.len();
    if t >= p {
        return String::new();
    }
    let next = if t + 1 < p {
        "Then every device passes the block it holds to its right-hand neighbour (the last one to the first)."
    } else {
        "This was the last step: every device has seen every key/value block once and divides its partial output by its running sum."
    };
    format!(
        "Step {} of {p}: device d holds key/value block d − {t} (counting round the ring), scores its own queries against it and updates their running max, sum and partial output with the online softmax. {next}",
        t + 1
    )
}

/// The heading of this section.
pub(super) const RING_TITLE: &str = "6 · Ring attention: split the sequence over devices";

/// Section 6.
#[component]
pub fn RingSection(url: UrlState<CostState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(ring_view));
    let step = Memo::new(move |_| state.with(|s| s.ring_step));
    view! {
        <Section id="ring-title" title=RING_TITLE>
            <p>
                "When even the keys and values of one sequence are too many for one accelerator, ring attention cuts the sequence into P blocks. "
                "Device d keeps query block d for the whole run and starts with key/value block d; at each step it attends to the block it holds "
                "(the online softmax of section 5) and passes that block round the ring. After P steps every query has seen every key, and no device ever held more than two blocks and its partial results."
            </p>
            <div class="control-grid">
                <ParamSlider label="Length n" param=RING_N test_id="ring-n" bind=Bound::new(move || state.with(|s| s.ring_n), move |v: usize| url.edit(|s| { s.ring_n = v; s.ring_p = s.ring_p.min(v); s.ring_step = s.ring_step.min(s.ring_p); })) />
                <ParamSlider label="Devices P" param=RING_P test_id="ring-p" bind=Bound::new(move || state.with(|s| s.ring_p), move |v: usize| url.edit(|s| { s.ring_p = v.min(s.ring_n); s.ring_step = s.ring_step.min(s.ring_p); })) />
                <ParamSlider label="Step shown" param=RING_STEP test_id="ring-step" bind=Bound::new(move || step.get(), move |v: usize| url.edit(|s| s.ring_step = v.clamp(1, s.ring_p))) />
            </div>
            {move || view_m.with(|v| match v {
                Ok(v) => details(v, step.get()).into_any(),
                Err(e) => view! { <p class="error">{e.clone()}</p> }.into_any(),
            })}
        </Section>
    }
}

fn details(v: &RingView, step: usize) -> impl IntoView {
    let r = &v.ring;
    let mut header = vec!["".to_string()];
    header.extend(
        r.blocks
            .iter()
            .enumerate()
            .map(|(d, b)| format!("device {} (queries {})", d + 1, span(*b))),
    );
    let schedule = Facts {
        caption: "Who holds which key/value block (the step shown is highlighted)".into(),
        header,
        rows: schedule_rows(r),
        test_id: "ring-schedule",
        current: step.checked_sub(1),
    };
    let peak = r.devices.iter().map(|d| d.peak_numbers).max().unwrap_or(0);
    let memory = Facts {
        caption: format!("n = {}, P = {}", v.n, r.blocks.len()),
        header: vec!["".into(), "value".into()],
        rows: vec![
            (
                "largest |ring − dense| in the output".into(),
                vec![diff(v.max_diff)],
            ),
            (
                "numbers held by the busiest device".into(),
                vec![grouped_usize(peak)],
            ),
            (
                "one device running dense attention alone".into(),
                vec![grouped_usize(r.dense_numbers)],
            ),
        ],
        test_id: "ring-facts",
        current: None,
    };
    view! {
        {memory.view()}
        <p class="measure" data-testid="ring-step-text" aria-live="polite">{step_text(r, step.saturating_sub(1))}</p>
        {schedule.view()}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_equals_dense_and_rotates_the_blocks() {
        let s = CostState {
            ring_n: 24,
            ring_p: 4,
            ..CostState::default()
        };
        let v = ring_view(&s).unwrap();
        assert!(v.max_diff < 1e-12, "{}", v.max_diff);
        let rows = schedule_rows(&v.ring);
        assert_eq!(rows.len(), 4);
        // Step 1: device d holds block d; step 2: device 1 holds block 4.
        assert_eq!(rows[0].1[0], "K/V block 1 (0–5)");
        assert_eq!(rows[1].1[0], "K/V block 4 (18–23)");
        assert_eq!(rows[1].1[1], "K/V block 1 (0–5)");
        let peak = v.ring.devices.iter().map(|d| d.peak_numbers).max().unwrap();
        assert!(peak < v.ring.dense_numbers);
        assert!(step_text(&v.ring, 3).contains("last step"));
        assert_eq!(step_text(&v.ring, 4), "");
    }
}
