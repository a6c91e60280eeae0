//! A list of plain-language notes ("d_k = 999 is above the maximum ...").

use leptos::prelude::*;

/// Shows `notes` as a polite status list; nothing when empty.
#[component]
pub fn Notes(#[prop(into)] notes: Signal<Vec<String>>) -> impl IntoView {
    view! {
        <Show when=move || notes.with(|n| !n.is_empty())>
            <ul class="notes" role="status" aria-live="polite">
                {move || notes.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        </Show>
    }
}
