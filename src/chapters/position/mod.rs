//! Chapter 8: Position.
//!
//! Six sections, each live and each in its own file: (1) reorder a sentence
//! with position off and on and compare output rows ([`permutation`]); (2)
//! the sinusoidal encoding as an image, its wavelengths and the dot product
//! against the offset ([`sinusoidal`]); (3) a learned table that stops at
//! the trained length, and what the trained model does past it
//! ([`learned`]); (4) RoPE's rotating query/key pairs and the
//! shift-invariant score ([`rope`]); (5) ALiBi's per-head biases and their
//! effect on the weights ([`alibi`]); (6) the extrapolation experiment: five
//! models trained in the browser ([`experiment`], [`experiment_view`]).
//! Sections 3 and 6 show the same five models: their one runner is made by
//! whichever of the two loads first ([`experiment_runner`]; the first
//! screen holds only the empty slot, so the models' code loads with those
//! sections).
//!
//! Data flow: URL -> `Memo<PosState>` -> memos of engine output
//! ([`model`], [`experiment`]) -> widgets that only paint.

pub mod alibi;
pub mod experiment;
pub mod experiment_view;
pub mod learned;
pub mod model;
pub mod permutation;
pub mod rope;
pub mod sinusoidal;
pub mod state;

use crate::chapters::ChapterHead;
use crate::loader::{split_view, Deferred, LazySection, PageFuture};
use crate::router::UrlState;
use crate::training::Runner;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::LazySelfCheck;
use alibi::AlibiSection;
use experiment::{ExpConfig, ExpRunner, Session};
use experiment_view::ExperimentSection;
use learned::LearnedSection;
use leptos::prelude::*;
use permutation::PermutationSection;
use rope::RopeSection;
use sinusoidal::SinusoidalSection;
use state::PosState;

/// URL slug of this chapter.
pub const SLUG: &str = "position";

/// A score or a difference in the numbers tables.
fn fmt(v: f64) -> String {
    format!("{v:.6}")
}

split_view!(fn sin_part(url: UrlState<PosState>) in position_sin
    => view! { <SinusoidalSection url=url /> }.into_any());
split_view!(fn learned_part(url: UrlState<PosState>, runner: Deferred<ExpRunner>) in position_learned
    => view! { <LearnedSection runner=experiment_runner(url, runner) /> }.into_any());
split_view!(fn rope_part(url: UrlState<PosState>) in position_rope
    => view! { <RopeSection url=url /> }.into_any());
split_view!(fn alibi_part(url: UrlState<PosState>) in position_alibi
    => view! { <AlibiSection url=url /> }.into_any());
split_view!(fn exp_part(url: UrlState<PosState>, runner: Deferred<ExpRunner>) in position_experiment
    => view! { <ExperimentSection url=url runner=experiment_runner(url, runner) /> }.into_any());

/// The five models' runner, made by the first of sections 3 and 6 to ask:
/// a new k, step count or seed is a new experiment.
fn experiment_runner(url: UrlState<PosState>, slot: Deferred<ExpRunner>) -> ExpRunner {
    let state = url.state;
    slot.get_or_init(|| {
        Runner::new(
            move || {
                state.with(|s| ExpConfig {
                    k: s.k,
                    steps: s.steps,
                    seed: s.exp_seed,
                })
            },
            Session::new,
        )
    })
}

/// The chapter's page.
#[component]
pub fn PositionChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, PosState::from_query, PosState::to_query);
    // The five models of sections 3 and 6, made when one of them loads.
    let runner = Deferred::new();
    view! {
        <article class="chapter position">
            <ChapterHead slug=SLUG>
                "Attention compares every token with every other token, and nothing in that comparison says where a token stands. "
                "Shuffle a sentence and see it for yourself, then meet the five ways models are told about order: none, sinusoids, a learned table, rotations (RoPE) and distance penalties (ALiBi). "
                "The last section trains one small model per scheme, here in your browser, and tests them on sequences longer than any they saw."
            </ChapterHead>
            <Notes notes=url.notes />
            <PermutationSection url=url />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=sinusoidal::SIN_TITLE load=move || Box::pin(sin_part(url)) as PageFuture />
            <LazySection title=learned::LEARNED_TITLE load=move || Box::pin(learned_part(url, runner)) as PageFuture />
            <LazySection title=rope::ROPE_TITLE load=move || Box::pin(rope_part(url)) as PageFuture />
            <LazySection title=alibi::ALIBI_TITLE load=move || Box::pin(alibi_part(url)) as PageFuture />
            <LazySection title=experiment_view::EXP_TITLE load=move || Box::pin(exp_part(url, runner)) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}
