//! The lab (`/lab`, after the nine chapters, not numbered): real
//! decoder-only models taken apart in the page.
//!
//! * Section 1, "Train a tiny GPT on your text" ([`train`]): a
//!   character-level GPT trained in the page, its heads measured and
//!   switched off, the model downloaded; its own URL keys (`t…`).
//! * Section 2, "Open a GPT-2 checkpoint" (`open.rs`): the learner's
//!   `config.json` + `model.safetensors` + tokenizer, read in the tab
//!   (`checkpoint.rs`), then inspected.
//! * `inspect.rs`: the inspector both sections use (tokens, attention as a
//!   matrix and as lines, predictions, head scores and labels, ablation);
//!   its API is in its module docs.
//! * `state.rs`: section 2's URL parameters (text, layer, head, query
//!   position, heads off, seed); the files are never in the URL.
//!
//! The two sections share the page's query: each `UrlState::sharing`
//! writes its own keys and keeps the other's. Each section is a split
//! point of its own, so the page's first screen is the head alone.

pub mod checkpoint;
pub mod inspect;
pub mod open;
pub mod state;
pub mod train;

use crate::chapters::ChapterHead;
use crate::loader::{split_view, LazySection, PageFuture};
use crate::router::UrlState;
use leptos::prelude::*;
use state::LabState;

/// URL slug of the lab.
pub const SLUG: &str = "lab";

/// The lab's page.
#[component]
pub fn LabPage() -> impl IntoView {
    let url = UrlState::sharing(SLUG, LabState::from_query, LabState::to_query, state::owns);
    view! {
        <article class="chapter lab">
            <ChapterHead slug=SLUG>
                "The chapters used small models made for one lesson each. Here the models are real decoder-only transformers, GPT-2's design: "
                "train a tiny one on your own text, or open a GPT-2 checkpoint from your disk, and look at what every head of every layer attends to, "
                "what the model predicts next, and what happens when you switch heads off."
            </ChapterHead>
            <LazySection title=train::TRAIN_TITLE load=move || Box::pin(train_part()) as PageFuture />
            <LazySection title=open::TITLE load=move || Box::pin(open_part(url)) as PageFuture />
        </article>
    }
}

split_view!(fn train_part() in lab_train
    => view! { <train::TrainSection /> }.into_any());

split_view!(fn open_part(url: UrlState<LabState>) in lab_open
    => view! { <open::OpenSection url=url /> }.into_any());
