//! Each chapter's page behind a split point, so its code loads when the
//! chapter is opened instead of with the shell.
//!
//! With the cargo feature `split` (the release build: `trunk build --release
//! --features split`), every page function below is a `wasm_split` split
//! point: the build's post-build hook (`scripts/post_build.sh`) cuts the wasm
//! into the shell and one chunk per chapter (plus chunks for code that
//! several chapters share), and calling the function first fetches its
//! chunks. A chunk that fails to load (offline, a deploy replaced the files)
//! comes back as [`crate::loader::LoadError`], which the app shows with a
//! retry ([`crate::loader::Lazy`]). The functions come from
//! [`crate::loader::split_view`].
//!
//! Without the feature (debug builds, native tests, the browser widget
//! tests) the same functions are plain `async` functions around the page,
//! and nothing needs the splitter.

use crate::loader::split_view;
use leptos::prelude::*;

/// `pages! { page_fn, preload_fn, chunk, Component; … }`: one split point per chapter.
macro_rules! pages {
    ($($page:ident, $preload:ident, $chunk:ident, $($component:ident)::+;)*) => {
        $(split_view!(pub fn $page() in $chunk, preload $preload
            => view! { <$($component)::+ /> }.into_any());)*
    };
}

pages! {
    bottleneck, preload_bottleneck, chapter_bottleneck, super::bottleneck::BottleneckChapter;
    alignment, preload_alignment, chapter_alignment, super::alignment::AlignmentChapter;
    qkv, preload_qkv, chapter_qkv, super::qkv::QkvChapter;
    scaling, preload_scaling, chapter_scaling, super::scaling::ScalingChapter;
    self_attention, preload_self_attention, chapter_self_attention, super::self_attention::SelfAttentionChapter;
    cost, preload_cost, chapter_cost, super::cost::CostChapter;
    multi_head, preload_multi_head, chapter_multi_head, super::multi_head::MultiHeadChapter;
    position, preload_position, chapter_position, super::position::PositionChapter;
    rnn, preload_rnn, chapter_rnn, super::rnn::RnnChapter;
    lab, preload_lab, chapter_lab, super::lab::LabPage;
}
