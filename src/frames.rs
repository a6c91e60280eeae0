//! Work spread over animation frames (training in the browser): a slice of
//! at most a few milliseconds per frame, so the page stays responsive.

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
