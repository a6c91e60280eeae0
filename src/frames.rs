//! Work spread over animation frames: a slice of at most a few
//! milliseconds per frame, so the page stays responsive. [`drive`] is the
//! primitive under [`crate::training::Runner`] (training, measuring);
//! [`every`] paces an animation (a step every so many milliseconds).

use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// `performance.now()` in milliseconds (0 if unavailable).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Calls `work(deadline)` once per animation frame while `running` is true,
/// with `deadline = now + budget_ms`. `work` returns `Some(true)` when it has
/// finished (then `running` is set to false), `Some(false)` to continue, and
/// `None` when its state is gone (the learner left the page), which ends the
/// loop. Every signal access is a `try_`, so a disposed signal cannot panic.
pub fn drive<F>(running: RwSignal<bool>, budget_ms: f64, work: F)
where
    F: FnMut(f64) -> Option<bool> + 'static,
{
    fn tick<F: FnMut(f64) -> Option<bool> + 'static>(
        running: RwSignal<bool>,
        budget_ms: f64,
        work: Rc<RefCell<F>>,
    ) {
        if !running.try_get_untracked().unwrap_or(false) {
            return;
        }
        let done = (work.borrow_mut())(now_ms() + budget_ms);
        match done {
            None => {}
            Some(true) => {
                running.try_set(false);
            }
            Some(false) => request_animation_frame(move || tick(running, budget_ms, work)),
        }
    }
    let work = Rc::new(RefCell::new(work));
    request_animation_frame(move || tick(running, budget_ms, work));
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
