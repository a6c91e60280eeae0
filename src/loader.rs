//! Views whose code loads on demand: every chapter's page and its later
//! sections, the lesson page and the speaker view, each a split point made
//! by [`split_view`] (and, for code that is not a view, [`split_fn`]).
//!
//! In the release build each of them is a separate chunk
//! ([`crate::chapters::pages`] for the chapters). [`Lazy`] (and
//! [`ChapterPage`], a chapter's `Lazy`) asks for the view; if the
//! chunk is already there (a chapter seen before, or any build without the
//! splitter) the page appears at once, otherwise a short "loading" line
//! stands in until it arrives. A chunk that cannot be loaded (offline before
//! the app was cached, or a new deploy replaced the files) gives a message
//! with *Try again* and *Reload the page*, never a dead page.
//!
//! [`prefetch_when_idle`] fetches a chapter's chunk once the browser has
//! nothing else to do, and [`prefetch`] does it at once (a pointer over a
//! chapter link), so the next page usually opens without waiting.

use crate::chapters::Chapter;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A split view's code failed to load (its chunk could not be fetched or
/// instantiated). Loading again starts a fresh attempt.
pub use leptos::wasm_split::SplitLoaderError as LoadError;

/// A view behind a split point, once its code is loaded.
pub type PageFuture = Pin<Box<dyn Future<Output = Result<AnyView, LoadError>>>>;

/// Fetches a split view's code without building it (prefetching).
pub type PreloadFuture = Pin<Box<dyn Future<Output = Result<(), LoadError>>>>;

/// `split_view!(pub fn page(args) in chunk, preload preload_fn => view)`
/// defines `page`, an async function giving `view` (an `AnyView`), and
/// `preload_fn`, which fetches its code.
///
/// With the cargo feature `split` (release builds) `page` is a `wasm_split`
/// split point: `view`'s code, and everything only it needs, goes into
/// `chunk`, fetched on the first call (`scripts/post_build.sh` cuts the
/// chunks). Without the feature it is a plain `async` function, ready on
/// the first poll. The split macro declares the chunk's import and export
/// (`extern "C"`, `no_mangle`): the one place the crate allows unsafe code
/// (a house-rules test checks it).
macro_rules! split_view {
    ($vis:vis fn $page:ident($($arg:ident: $ty:ty),*) in $chunk:ident, preload $preload:ident => $body:expr) => {
        $crate::loader::split_fn!($vis fn $page($($arg: $ty),*) in $chunk, preload $preload -> ::leptos::prelude::AnyView => $body);
    };
    // A split point nothing prefetches (a later section of a page).
    ($vis:vis fn $page:ident($($arg:ident: $ty:ty),*) in $chunk:ident => $body:expr) => {
        $crate::loader::split_fn!($vis fn $page($($arg: $ty),*) in $chunk -> ::leptos::prelude::AnyView => $body);
    };
}
pub(crate) use split_view;

/// `split_fn!(pub fn f(args) in chunk -> T => body)`: like [`split_view`]
/// for any result: `f` is an async function giving `Ok(body)`, or the
/// [`LoadError`] if its code could not be loaded. For code a page needs
/// only sometimes (reading a lesson link, writing an exported figure).
/// `split_fn!(fn f(args) in chunk, preload p -> T => body)` also defines
/// `p`, which only fetches the code.
macro_rules! split_fn {
    // With `preload preload_fn`: also a function that only fetches the code
    // (called when a use is near, so the call itself rarely waits).
    ($vis:vis fn $name:ident($($arg:ident: $ty:ty),*) in $chunk:ident, preload $preload:ident -> $ret:ty => $body:expr) => {
        #[cfg(feature = "split")]
        #[allow(unsafe_code)]
        #[::leptos::wasm_split::wasm_split(
            $chunk,
            wasm_split_path = ::leptos::wasm_split,
            preload(#[doc(hidden)] #[allow(unsafe_code)] $preload),
            fallible
        )]
        $vis fn $name($($arg: $ty),*) -> Result<$ret, $crate::loader::LoadError> {
            Ok($body)
        }

        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::loader::LoadError> {
            Ok($body)
        }

        #[cfg(not(feature = "split"))]
        #[doc(hidden)]
        $vis async fn $preload() -> Result<(), $crate::loader::LoadError> {
            Ok(())
        }
    };
    ($vis:vis fn $name:ident($($arg:ident: $ty:ty),*) in $chunk:ident -> $ret:ty => $body:expr) => {
        #[cfg(feature = "split")]
        #[allow(unsafe_code)]
        #[::leptos::wasm_split::wasm_split(
            $chunk,
            wasm_split_path = ::leptos::wasm_split,
            fallible
        )]
        $vis fn $name($($arg: $ty),*) -> Result<$ret, $crate::loader::LoadError> {
            Ok($body)
        }

        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::loader::LoadError> {
            Ok($body)
        }
    };
}
pub(crate) use split_fn;

/// Polls a future once, without an executor: `Some` if it is already done.
/// A pending future may be polled again later by a real executor (it then
/// registers that executor's waker).
pub fn poll_now<F: Future + Unpin>(future: &mut F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(future).poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Where a lazily loaded view is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Loading,
    Failed,
    Ready,
}

/// A chapter's page, loaded on demand (see the module docs).
#[component]
pub fn ChapterPage(chapter: &'static Chapter) -> impl IntoView {
    view! {
        <Lazy
            load=chapter.page
            name=chapter.kicker()
            loading=chapter.loading_label()
        />
    }
}

/// A later section of a page behind its own split point (a `split_view!`
/// in the chapter's module): the page's first screen does not wait for it. Until
/// its code is there, a slide with the section's `title` stands in, so
/// presenter mode counts and names the page's slides the same either way;
/// the code is fetched as the page mounts.
#[component]
pub fn LazySection<F>(title: &'static str, load: F) -> impl IntoView
where
    F: Fn() -> PageFuture + 'static,
{
    view! {
        <Lazy
            load=load
            name="This section".to_string()
            loading="Loading this section…".to_string()
            section=title
        />
    }
}

/// The window event sent when a lazily loaded view has been put in the
/// page (presenter mode repaints its slides then).
pub const READY_EVENT: &str = "attn-lazy-ready";

fn announce_ready() {
    if let (Some(w), Ok(e)) = (web_sys::window(), web_sys::Event::new(READY_EVENT)) {
        let _ = w.dispatch_event(&e);
    }
}

/// A view behind a split point: shown at once when its code is there,
/// else after `loading` while it loads; if it cannot be loaded, `name`
/// "could not be loaded", with *Try again* and *Reload the page*. With a
/// `section` title, both stand in a slide headed by it ([`LazySection`]).
#[component]
pub fn Lazy<F>(
    load: F,
    name: String,
    loading: String,
    #[prop(optional)] section: Option<&'static str>,
) -> impl IntoView
where
    F: Fn() -> PageFuture + 'static,
{
    lazy_view(std::rc::Rc::new(load), name, loading, section)
}

/// [`Lazy`]'s body, not generic: one copy of it serves every split view
/// (a generic one was a copy per `load` closure, about 1 KB each in every
/// first screen).
fn lazy_view(
    load: std::rc::Rc<dyn Fn() -> PageFuture>,
    name: String,
    loading: String,
    section: Option<&'static str>,
) -> AnyView {
    let status = RwSignal::new(Status::Loading);
    let page = StoredValue::new_local(None::<AnyView>);
    let finish = move |result: Result<AnyView, LoadError>| match result {
        Ok(view) => {
            page.set_value(Some(view));
            status.try_set(Status::Ready);
            // Once it is in the page, whoever arranges the page's slides
            // (presenter mode) hears of it.
            set_timeout(announce_ready, std::time::Duration::ZERO);
        }
        Err(e) => {
            leptos::logging::warn!("loading a split view: {e}");
            status.try_set(Status::Failed);
        }
    };
    let start = StoredValue::new_local(load);
    // Under this component's owner, also when a click retries.
    let owner = StoredValue::new_local(Owner::current());
    let run = move || {
        let Some(load) = start.try_get_value() else {
            return;
        };
        let go = move || {
            let mut future = load();
            match poll_now(&mut future) {
                Some(result) => finish(result),
                None => leptos::task::spawn_local_scoped_with_cancellation(async move {
                    finish(future.await);
                }),
            }
        };
        match owner.try_get_value().flatten() {
            Some(o) => o.with(go),
            None => go(),
        }
    };
    run();
    let retry = move |_| {
        status.set(Status::Loading);
        run();
    };
    let reload = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    let failed_title = format!("{name} could not be loaded");
    // A section's stand-in is a slide with the section's heading.
    let in_section = move |inner: AnyView| match section {
        Some(title) => view! {
            <section class="lazy-section" aria-label=title data-slide>
                <h2>{title}</h2>
                {inner}
            </section>
        }
        .into_any(),
        None => inner,
    };
    view! {
        {move || match status.get() {
            Status::Ready => page
                .try_update_value(Option::take)
                .flatten()
                .unwrap_or_else(|| ().into_any()),
            Status::Loading => in_section(view! {
                <p class="lazy-loading" role="status">{loading.clone()}</p>
            }
            .into_any()),
            Status::Failed => in_section(view! {
                <div class="load-failed" role="alert" data-testid="load-failed">
                    {match section {
                        None => view! { <h1>{failed_title.clone()}</h1> }.into_any(),
                        Some(_) => view! { <h3>{failed_title.clone()}</h3> }.into_any(),
                    }}
                    <p>
                        "Its code did not arrive. Either the network is down (and this part of the app was not saved for offline use yet), "
                        "or the site was updated since this page opened and the old files are gone."
                    </p>
                    <p class="load-actions">
                        <button class="primary" on:click=retry>"Try again"</button>
                        <button on:click=reload>"Reload the page"</button>
                    </p>
                </div>
            }
            .into_any()),
        }}
    }
    .into_any()
}

/// Fetches `chapter`'s code now (a failure is ignored: opening the chapter
/// tries again and reports it).
pub fn prefetch(chapter: &'static Chapter) {
    fetch_ahead("a chapter", (chapter.preload)());
}

/// Runs a split point's `preload` future (fetching code before it is
/// needed): at once if the code is already there, else in the background.
/// A failure is only logged (naming `what`): using the code later tries
/// again and tells the learner.
pub fn fetch_ahead<F>(what: &'static str, future: F)
where
    F: Future<Output = Result<(), LoadError>> + 'static,
{
    let mut future = Box::pin(future);
    let report = move |result: Result<(), LoadError>| {
        if let Err(e) = result {
            leptos::logging::warn!("loading the code of {what} ahead: {e}");
        }
    };
    match poll_now(&mut future) {
        Some(result) => report(result),
        None => leptos::task::spawn_local(async move { report(future.await) }),
    }
}

/// Fetches `chapter`'s code once the browser is idle (after `delay_ms`
/// where it cannot say when it is idle).
pub fn prefetch_when_idle(chapter: &'static Chapter, delay_ms: u64) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let callback = Closure::once_into_js(move || prefetch(chapter));
    let idle = callback
        .dyn_ref::<js_sys::Function>()
        .map(|f| window.request_idle_callback(f));
    if !matches!(idle, Some(Ok(_))) {
        set_timeout(
            move || prefetch(chapter),
            std::time::Duration::from_millis(delay_ms),
        );
    }
}

/// A value parts of a page share (a training runner, say), made by the
/// first of its later sections to ask. The page makes only the empty
/// slot, so it names neither the value's constructor nor what that pulls
/// in (a job, its models): that code goes with the sections' chunks, not
/// with the first screen. The value belongs to the page that made the slot
/// (its signals live as long as the page, not as the section that asked),
/// and [`Deferred::get`] is tracked, so the first screen can follow it once
/// it is there.
pub struct Deferred<T: 'static> {
    owner: StoredValue<Option<Owner>, LocalStorage>,
    value: RwSignal<Option<T>, LocalStorage>,
}

impl<T: 'static> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: 'static> Copy for Deferred<T> {}

impl<T: Copy + 'static> Deferred<T> {
    /// An empty slot, owned by the current reactive owner (the page).
    pub fn new() -> Self {
        Deferred {
            owner: StoredValue::new_local(Owner::current()),
            value: RwSignal::new_local(None),
        }
    }

    /// The value if a section has made it (tracked).
    pub fn get(&self) -> Option<T> {
        self.value.try_get().flatten()
    }

    /// The value, made by `make` (under the page's owner) on the first call.
    pub fn get_or_init(&self, make: impl FnOnce() -> T) -> T {
        if let Some(v) = self.value.try_get_untracked().flatten() {
            return v;
        }
        let v = match self.owner.try_get_value().flatten() {
            Some(owner) => owner.with(make),
            None => make(),
        };
        self.value.try_set(Some(v));
        v
    }
}

impl<T: Copy + 'static> Default for Deferred<T> {
    fn default() -> Self {
        Deferred::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_now_finishes_ready_futures_and_keeps_pending_ones() {
        let mut ready = Box::pin(async { 7 });
        assert_eq!(poll_now(&mut ready), Some(7));
        let mut pending = Box::pin(std::future::pending::<u8>());
        assert_eq!(poll_now(&mut pending), None);
    }

    #[test]
    fn every_chapter_page_is_ready_at_once_without_the_splitter() {
        for c in crate::chapters::CHAPTERS {
            assert!(
                poll_now(&mut (c.preload)()).is_some_and(|r| r.is_ok()),
                "{}",
                c.slug
            );
        }
    }

    #[test]
    fn deferred_is_made_once_and_belongs_to_the_page() {
        let page = Owner::new();
        let (slot, made) = page.with(|| (Deferred::<RwSignal<u32>>::new(), RwSignal::new(0)));
        let make = || {
            made.update(|n| *n += 1);
            RwSignal::new(7)
        };
        // The first section to ask makes it, under its own owner...
        let section = page.with(Owner::new);
        let a = section.with(|| slot.get_or_init(make));
        // ...the second gets the same value, not a new one.
        let b = page.with(Owner::new).with(|| slot.get_or_init(make));
        assert_eq!(made.get_untracked(), 1);
        assert_eq!(slot.get().map(|s| s.get_untracked()), Some(7));
        b.set(8);
        assert_eq!(a.get_untracked(), 8);
        // The value outlives the section that asked for it (it is the page's).
        section.cleanup();
        assert_eq!(a.try_get_untracked(), Some(8));
        page.cleanup();
        assert_eq!(a.try_get_untracked(), None);
    }

    #[test]
    fn a_memo_follows_a_deferred_value_once_it_is_made() {
        let page = Owner::new();
        page.with(|| {
            let slot = Deferred::<u32>::new();
            let seen = Memo::new(move |_| slot.get());
            assert_eq!(seen.get_untracked(), None);
            slot.get_or_init(|| 3);
            assert_eq!(seen.get_untracked(), Some(3));
        });
    }
}
