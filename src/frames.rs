//! Work spread over animation frames: a slice of at most a few
//! milliseconds per frame, so the page stays responsive. [`drive`] is the
//! primitive under [`crate::training::Runner`] (training, measuring): the
//! budget counts from the frame's start and shrinks while frames are slow;
//! [`every`] paces an animation (a step every so many milliseconds).

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// `performance.now()` in milliseconds (0 if unavailable).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The longest frame (start to start, milliseconds) that still counts as
/// smooth: past it, [`drive`] gives the next frames less work.
pub const SMOOTH_FRAME_MS: f64 = 20.0;

/// The least work [`drive`] gives a frame, however slow frames are.
pub const MIN_BUDGET_MS: f64 = 2.0;

/// Calls `work(deadline)` once per animation frame while `running` is true.
/// `work` returns `Some(true)` when it has finished (then `running` is set
/// to false), `Some(false)` to continue, and `None` when its state is gone
/// (the learner left the page), which ends the loop. Every signal access is
/// a `try_`, so a disposed signal cannot panic.
///
/// The deadline counts from the frame's start (the animation frame's
/// timestamp, the same for every callback of that frame), so two loops
/// running at once share one frame's budget instead of each taking a full
/// one. The budget adapts: a frame that took longer than
/// [`SMOOTH_FRAME_MS`] from start to start (the work, and what the page
/// repainted after it) cuts the next budget by a fifth, down to
/// [`MIN_BUDGET_MS`]; each smooth frame gives a millisecond back, up to
/// `budget_ms`.
pub fn drive<F>(running: RwSignal<bool>, budget_ms: f64, work: F)
where
    F: FnMut(f64) -> Option<bool> + 'static,
{
    // The loop itself is not generic: one copy of it serves every job.
    on_next_frame(move |t| {
        tick(
            Loop {
                running,
                max_budget: budget_ms,
                budget: budget_ms,
                last_start: None,
                work: Box::new(work),
            },
            t,
        )
    });
}

/// One [`drive`] loop's state.
struct Loop {
    running: RwSignal<bool>,
    max_budget: f64,
    budget: f64,
    last_start: Option<f64>,
    work: Box<dyn FnMut(f64) -> Option<bool>>,
}

fn tick(mut l: Loop, stamp: f64) {
    if !l.running.try_get_untracked().unwrap_or(false) {
        return;
    }
    let now = now_ms();
    // The frame's start; `now` if the browser gave no usable timestamp.
    let start = if stamp > 0.0 && stamp <= now {
        stamp
    } else {
        now
    };
    if let Some(last) = l.last_start {
        l.budget = if start - last > SMOOTH_FRAME_MS {
            (l.budget * 0.8).max(MIN_BUDGET_MS.min(l.max_budget))
        } else {
            (l.budget + 1.0).min(l.max_budget)
        };
    }
    l.last_start = Some(start);
    match (l.work)(start + l.budget) {
        None => {}
        Some(true) => {
            l.running.try_set(false);
        }
        Some(false) => on_next_frame(move |t| tick(l, t)),
    }
}

/// Calls `f` with the frame's timestamp (`performance.now()` milliseconds)
/// on the next animation frame.
fn on_next_frame(f: impl FnOnce(f64) + 'static) {
    let callback = Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.request_animation_frame(callback.unchecked_ref());
    }
}

/// Calls `step` about every `period_ms` on animation frames (the first call
/// at once) while `running` is true; `step` returns `None` when its state is
/// gone (the learner left the page), which ends the loop.
pub fn every<F>(running: RwSignal<bool>, period_ms: f64, mut step: F)
where
    F: FnMut() -> Option<()> + 'static,
{
    let mut last = f64::NEG_INFINITY;
    drive(running, 0.0, move |_| {
        let now = now_ms();
        if now - last >= period_ms {
            last = now;
            step()?;
        }
        Some(false)
    });
}

/// Whether the learner asked the system for less motion
/// (`prefers-reduced-motion: reduce`): animations then move a step per
/// press instead of running by themselves.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}
