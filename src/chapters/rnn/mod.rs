//! Chapter 9: Why attention replaced RNNs.
//!
//! Sections, each in its own file: (1) how far the gradient reaches in a
//! vanilla RNN, a GRU and one self-attention layer ([`reach`], view model
//! in [`model`]); (2) sequential steps against parallel depth, counted
//! ([`schedule`]) and timed in the page ([`timing`], the job, and
//! [`parallel`]); (3) the long-range task trained in the page ([`race`],
//! the job, and [`race_view`]); (4) the transformer paper and its
//! descendants ([`paper`]); then the self-check (`questions.txt`).
//!
//! Data flow: URL -> `Memo<RnnState>` ([`state`]) -> memos of engine
//! output (`attention_core::train::rnn`) -> widgets that only paint. The
//! page holds an empty slot for the race ([`race::RaceLink`]): section 3
//! (which drives it) or section 1's "Train them now" makes the runner, and
//! section 1 then measures its models "after training".

pub mod model;
pub mod paper;
pub mod parallel;
pub mod race;
pub mod race_view;
pub mod reach;
pub mod schedule;
pub mod state;
pub mod timing;

use crate::chapters::ChapterHead;
use crate::loader::{split_view, Deferred, LazySection, PageFuture};
use crate::router::UrlState;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::LazySelfCheck;
use leptos::prelude::*;
use paper::PaperSection;
use parallel::ParallelSection;
use race_view::RaceSection;
use reach::ReachSection;

/// URL slug of this chapter.
pub const SLUG: &str = "rnn";

split_view!(fn parallel_part(url: UrlState<state::RnnState>) in rnn_parallel
    => view! { <ParallelSection url=url /> }.into_any());
split_view!(fn race_part(url: UrlState<state::RnnState>, race: Deferred<race::RaceLink>) in rnn_race
    => view! { <RaceSection url=url race=race::race_link(url.state, race).runner /> }.into_any());
split_view!(fn paper_part() in rnn_paper
    => view! { <PaperSection /> }.into_any());
// Training code (the models' backward passes, Adam, the race's loop) is
// needed only once the race starts: section 1's "Train them now" starts it
// through this split point (section 3's buttons load with section 3).
crate::loader::split_fn!(fn start_race(url: UrlState<state::RnnState>, race: Deferred<race::RaceLink>) in rnn_race_start, preload preload_race_start
    -> () => race::race_link(url.state, race).runner.start());

/// The chapter's page.
#[component]
pub fn RnnChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, state::RnnState::from_query, state::RnnState::to_query);
    // The race, made by section 3 or section 1's "Train them now".
    let race = Deferred::new();
    view! {
        <article class="chapter rnn">
            <ChapterHead slug=SLUG>
                "Before attention, sequence models read one token at a time and carried everything they knew in a single state. "
                "Here you measure the two reasons that changed: how far back a training signal reaches, and how much of the work has to wait for the step before it. "
                "Three small models are trained in your browser on a task that needs a token from far back."
            </ChapterHead>
            <Notes notes=url.notes />
            <ReachSection url=url race=race />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=parallel::PARALLEL_TITLE load=move || Box::pin(parallel_part(url)) as PageFuture />
            <LazySection title=race_view::RACE_TITLE load=move || Box::pin(race_part(url, race)) as PageFuture />
            <LazySection title=paper::PAPER_TITLE load=|| Box::pin(paper_part()) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}
