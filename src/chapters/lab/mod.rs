//! The lab (`/lab`), after the nine chapters. TEMPORARY SCAFFOLD from the
//! lab-train branch, so section 1 can run and be tested; the lead replaces
//! this file with the lab page of the lab-open branch at merge.
//!
//! Sections: (1) train a tiny GPT on your text ([`train`]).

pub mod train;

use leptos::prelude::*;

/// URL slug of the lab.
pub const SLUG: &str = "lab";

/// The lab's page.
#[component]
pub fn LabPage() -> impl IntoView {
    view! {
        <article class="chapter lab">
            <header class="chapter-head" data-slide>
                <p class="kicker">"Lab"</p>
                <h1>"Lab"</h1>
                <p class="lead">"Train a real, tiny language model in your browser and take its heads apart."</p>
            </header>
            <train::TrainSection />
        </article>
    }
}
