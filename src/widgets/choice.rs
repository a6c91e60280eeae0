//! A labelled group of buttons for choosing one number (keyboard-operable:
//! each is a real button; the chosen one has `aria-pressed="true"`).

use leptos::prelude::*;

#[component]
pub fn ChoiceGroup(
    label: &'static str,
    /// Buttons get `data-testid="{test_prefix}-{value}"`.
    test_prefix: &'static str,
    options: &'static [usize],
    #[prop(into)] current: Signal<usize>,
    on_pick: Callback<usize>,
) -> impl IntoView {
    view! {
        <div class="control" role="group" aria-label=label>
            <span class="label">{label}</span>
            {options
                .iter()
                .map(|&v| view! {
                    <button
                        data-testid=format!("{test_prefix}-{v}")
                        aria-pressed=move || (current.get() == v).to_string()
                        on:click=move |_| on_pick.run(v)
                    >
                        {v.to_string()}
                    </button>
                })
                .collect_view()}
        </div>
    }
}
