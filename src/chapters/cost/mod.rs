//! Chapter 6: The cost of the n x n matrix.
//!
//! Sections, each in its own file: (1) count the scores, bytes and FLOPs
//! of a real model against n ([`count`]); (2) time the engine's attention
//! in the page ([`time_it`], the [`timing`] job); (3) sparse patterns
//! ([`sparse`], [`sparse_view`]); (4) linear attention ([`linear`]); (5)
//! tiled attention with an online softmax, stepped through ([`tiled`]);
//! (6) ring attention's schedule ([`ring`]); (7) the KV cache ([`kv`]);
//! then the self-check (`questions.txt`).
//!
//! Data flow: URL -> `Memo<CostState>` ([`state::read`] clamps and
//! explains bad values) -> memos of engine output ([`model`]) -> widgets
//! that only paint.

pub mod count;
pub mod kv;
pub mod linear;
pub mod model;
pub mod ring;
pub mod sparse;
pub mod sparse_view;
pub mod state;
pub mod tiled;
pub mod time_it;
pub mod timing;

use crate::chapters::ChapterHead;
use crate::loader::{split_view, LazySection, PageFuture};
use crate::router::UrlState;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::LazySelfCheck;
use count::CountSection;
use kv::KvSection;
use leptos::prelude::*;
use linear::LinearSection;
use ring::RingSection;
use sparse_view::SparseSection;
use state::CostState;
use tiled::TiledSection;
use time_it::{timing_runner, TimeSection, TimingRunner};

split_view!(fn time_part(url: UrlState<CostState>, runner: TimingRunner) in cost_time
    => view! { <TimeSection url=url runner=runner /> }.into_any());
split_view!(fn sparse_part(url: UrlState<CostState>) in cost_sparse
    => view! { <SparseSection url=url /> }.into_any());
split_view!(fn linear_part(url: UrlState<CostState>, runner: TimingRunner) in cost_linear
    => view! { <LinearSection url=url runner=runner /> }.into_any());
split_view!(fn tiled_part(url: UrlState<CostState>) in cost_tiled
    => view! { <TiledSection url=url /> }.into_any());
split_view!(fn ring_part(url: UrlState<CostState>) in cost_ring
    => view! { <RingSection url=url /> }.into_any());
split_view!(fn kv_part(url: UrlState<CostState>) in cost_kv
    => view! { <KvSection url=url /> }.into_any());

/// URL slug of this chapter.
pub const SLUG: &str = "cost";

/// The chapter's page.
#[component]
pub fn CostChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, state::read, state::write);
    // One timing run: section 2 drives it, the later sections read its
    // curves.
    let runner = timing_runner(url);
    view! {
        <article class="chapter cost">
            <ChapterHead slug=SLUG>
                "Attention scores every position against every other one, so its work and its memory grow with the square of the length. "
                "Here you count that cost for real models, time it on your own machine, and meet four ways around it: "
                "sparse patterns, linear attention, tiled attention with an online softmax, and ring attention."
            </ChapterHead>
            <Notes notes=url.notes />
            <CountSection url=url />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=time_it::TIME_TITLE load=move || Box::pin(time_part(url, runner)) as PageFuture />
            <LazySection title=sparse_view::SPARSE_TITLE load=move || Box::pin(sparse_part(url)) as PageFuture />
            <LazySection title=linear::LINEAR_TITLE load=move || Box::pin(linear_part(url, runner)) as PageFuture />
            <LazySection title=tiled::TILED_TITLE load=move || Box::pin(tiled_part(url)) as PageFuture />
            <LazySection title=ring::RING_TITLE load=move || Box::pin(ring_part(url)) as PageFuture />
            <LazySection title=kv::KV_TITLE load=move || Box::pin(kv_part(url)) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

/// A small table of facts (text, larger than a numbers table): a caption,
/// column headings and rows that start with a heading cell.
pub struct Facts {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
    pub test_id: &'static str,
    /// The row to highlight, if any.
    pub current: Option<usize>,
}

impl Facts {
    pub fn view(self) -> impl IntoView {
        let current = self.current;
        let region = self.caption.clone();
        view! {
            <div class="table-scroll" tabindex="0" role="region" aria-label=region>
                <table class="facts" data-testid=self.test_id>
                    <caption>{self.caption}</caption>
                    <thead>
                        <tr>{self.header.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>
                        {self
                            .rows
                            .into_iter()
                            .enumerate()
                            .map(|(i, (label, cells))| {
                                view! {
                                    <tr class=(current == Some(i)).then_some("current")>
                                        <th scope="row">{label}</th>
                                        {cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
    }
}
