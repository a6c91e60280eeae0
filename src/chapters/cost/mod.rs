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
use crate::router::UrlState;
use crate::widgets::notes::Notes;
use crate::widgets::self_check::SelfCheck;
use count::CountSection;
use kv::KvSection;
use leptos::prelude::*;
use linear::LinearSection;
use ring::RingSection;
use sparse_view::SparseSection;
use tiled::TiledSection;
use time_it::{timing_runner, TimeSection};

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
            <TimeSection url=url runner=runner />
            <SparseSection url=url />
            <LinearSection url=url runner=runner />
            <TiledSection url=url />
            <RingSection url=url />
            <KvSection url=url />
            <SelfCheck text=include_str!("questions.txt") />
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
