//! The buttons of a run in the page (training, measuring): start / pause /
//! continue, "Done" (disabled) once everything is finished, reset, and a
//! new seed.

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

/// Start/pause, reset and new-seed buttons; their `data-testid`s are
/// `{prefix}-toggle`, `{prefix}-reset` and `{prefix}-seed`.
#[component]
pub fn RunButtons(
    prefix: &'static str,
    /// The start button's text before the first run.
    start: &'static str,
    #[prop(into)] running: Signal<bool>,
    /// Whether the run has started (then the button says "Continue").
    #[prop(into)]
    started: Signal<bool>,
    /// Whether everything is finished (the button is disabled).
    #[prop(into)]
    done: Signal<bool>,
    #[prop(into)] on_toggle: Callback<()>,
    #[prop(into)] on_reset: Callback<()>,
    #[prop(into)] seed: Signal<u64>,
    #[prop(into)] on_new_seed: Callback<()>,
) -> impl IntoView {
    let label = move || run_label(running.get(), done.get(), started.get(), start);
    view! {
        <div class="control">
            <button class="primary" data-testid=format!("{prefix}-toggle") disabled=done on:click=move |_| on_toggle.run(())>
                {label}
            </button>
            <button data-testid=format!("{prefix}-reset") on:click=move |_| on_reset.run(())>
                "Reset"
            </button>
            <button data-testid=format!("{prefix}-seed") on:click=move |_| on_new_seed.run(())>
                {move || format!("New seed (now {})", seed.get())}
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
