//! The buttons of a run in the page (training, measuring): start / pause /
//! continue, "Done" (disabled) once everything is finished, reset, and a
//! new seed.

use super::Bound;
use crate::query::IntParam;
use crate::training::{Job, Runner};
use leptos::prelude::*;

/// The start button's text: "Pause" while running, "Done" once finished,
/// "Continue" after a pause, else `start` (e.g. "Train both").
pub fn run_label(running: bool, done: bool, started: bool, start: &'static str) -> &'static str {
    if running {
        "Pause"
    } else if done {
        "Done"
    } else if started {
        "Continue"
    } else {
        start
    }
}

/// Start/pause, reset and new-seed buttons of a [`Runner`]; their
/// `data-testid`s are `{prefix}-toggle`, `{prefix}-reset` and
/// `{prefix}-seed`. The start button says "Continue" once the run has done
/// some work, and "Done" (disabled) once it has finished.
#[component]
pub fn RunButtons<C, J>(
    prefix: &'static str,
    /// The start button's text before the first run.
    start: &'static str,
    runner: Runner<C, J>,
    /// What "Reset" does besides resetting the runner.
    #[prop(optional, into)]
    on_reset: Option<Callback<()>>,
    /// The run's seed (shown on its button) and its parameter, whose
    /// `next` the button moves to.
    seed: Bound<u64>,
    seed_param: IntParam,
) -> impl IntoView
where
    C: Clone + PartialEq + Send + Sync + 'static,
    J: Job,
{
    let done = move || runner.finished();
    let label = move || run_label(runner.running(), done(), runner.progressed(), start);
    let reset = move |_| {
        runner.reset();
        if let Some(f) = on_reset {
            f.run(());
        }
    };
    view! {
        <div class="control">
            <button class="primary" data-testid=format!("{prefix}-toggle") disabled=done on:click=move |_| runner.toggle()>
                {label}
            </button>
            <button data-testid=format!("{prefix}-reset") on:click=reset>
                "Reset"
            </button>
            <button data-testid=format!("{prefix}-seed") on:click=move |_| seed.set.run(seed_param.next(seed.value.get_untracked()))>
                {move || format!("New seed (now {})", seed.value.get())}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_button_says_what_a_click_does() {
        assert_eq!(run_label(false, false, false, "Train both"), "Train both");
        assert_eq!(run_label(true, false, true, "Train both"), "Pause");
        assert_eq!(run_label(false, false, true, "Train both"), "Continue");
        assert_eq!(run_label(false, true, true, "Train both"), "Done");
        assert_eq!(run_label(true, true, true, "Train both"), "Pause");
    }
}
