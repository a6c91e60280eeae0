//! A formula written in MathML, which browsers render natively (no JavaScript
//! math library). The markup is a compile-time constant of ours, never user text.

use leptos::prelude::*;

/// Renders `mathml` (a `<math>` element) with a plain-text `alt` kept for
/// screen readers (visually hidden).
#[component]
pub fn Formula(mathml: &'static str, alt: &'static str) -> impl IntoView {
    view! {
        <div class="formula">
            <div class="formula-math" inner_html=mathml></div>
            <p class="sr-only">{alt}</p>
        </div>
    }
}
