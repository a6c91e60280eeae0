//! A numbered section of a chapter: a `<section>` labelled by its own
//! heading, so screen readers list it by title.

use leptos::prelude::*;

#[component]
pub fn Section(
    /// The heading's id (the section is `aria-labelledby` it).
    id: &'static str,
    /// The heading, e.g. "1 · Shuffle the sentence".
    #[prop(into)]
    title: Signal<String>,
    /// Extra class names of the section (e.g. "training").
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section aria-labelledby=id class=(!class.is_empty()).then_some(class) data-slide>
            <h2 id=id>{move || title.get()}</h2>
            {children()}
        </section>
    }
}
