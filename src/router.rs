//! A small client-side router over the History API.
//!
//! The current location (path and parsed query) is one signal; [`Router::navigate`]
//! pushes or replaces a history entry and updates it; the browser's back and
//! forward buttons (`popstate`) update it too. [`Link`] renders a real `<a>`
//! (so open-in-new-tab and copying links work) and turns plain clicks into
//! in-app navigation. The router knows nothing of chapters: what a path
//! shows is the registry's business (`chapters::resolve`). (Hand-written rather than `leptos_router` to keep the bundle
//! inside its size budget; it does only what the app needs.)

use crate::query::{parse, Query};
use crate::widgets::Bound;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// Where the app is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// Path, always starting with `/`.
    pub path: String,
    /// Raw query without the leading `?`.
    pub search: String,
}

impl Location {
    /// Splits `"/qkv?dk=4#x"` into path and query (the fragment is dropped).
    pub fn from_url(url: &str) -> Self {
        let url = url.split('#').next().unwrap_or("");
        let (path, search) = url.split_once('?').unwrap_or((url, ""));
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        Location {
            path,
            search: search.to_string(),
        }
    }
}

/// Longest delay between a state change and its URL reaching the address bar.
pub const URL_WRITE_MS: u64 = 200;

thread_local! {
    /// The latest replacement URL not yet written, and whether a write is scheduled.
    static PENDING_URL: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    static WRITE_SCHEDULED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn write_replace(url: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(url));
    }
}

/// Writes a pending replacement now (before a push, so history stays in order).
fn flush_pending_url() {
    if let Some(url) = PENDING_URL.with(|p| p.borrow_mut().take()) {
        write_replace(&url);
    }
}

/// Writes at once when no write happened in the last [`URL_WRITE_MS`];
/// otherwise keeps only the latest URL and writes it when the window ends.
fn schedule_replace(url: String) {
    if WRITE_SCHEDULED.with(|s| s.replace(true)) {
        PENDING_URL.with(|p| *p.borrow_mut() = Some(url));
        return;
    }
    write_replace(&url);
    set_timeout(
        || {
            WRITE_SCHEDULED.with(|s| s.set(false));
            flush_pending_url();
        },
        std::time::Duration::from_millis(URL_WRITE_MS),
    );
}

/// Shared handle to the app's location (copyable).
#[derive(Clone, Copy)]
pub struct Router {
    location: RwSignal<Location>,
}

fn browser_location() -> Location {
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return Location::from_url("/");
    };
    let path = loc.pathname().unwrap_or_else(|_| "/".into());
    let search = loc.search().unwrap_or_default();
    Location {
        path,
        search: search.trim_start_matches('?').to_string(),
    }
}

impl Router {
    /// Creates the router for this page and provides it as context.
    pub fn provide() -> Router {
        let router = Router {
            location: RwSignal::new(browser_location()),
        };
        let handle = window_event_listener(leptos::ev::popstate, move |_| {
            PENDING_URL.with(|p| p.borrow_mut().take());
            router.location.set(browser_location());
        });
        // Lives as long as the page.
        std::mem::forget(handle);
        provide_context(router);
        router
    }

    /// The router provided by the app.
    pub fn get() -> Router {
        use_context::<Router>().unwrap_or_else(Router::provide)
    }

    /// Current location (tracked).
    pub fn location(&self) -> Location {
        self.location.get()
    }

    /// Current path (tracked).
    pub fn path(&self) -> String {
        self.location.with(|l| l.path.clone())
    }

    /// The current path and query, untracked; `None` once the page is gone
    /// (for event handlers and channels).
    pub fn peek(&self) -> Option<(String, Query)> {
        self.location
            .try_with_untracked(|l| (l.path.clone(), parse(&l.search)))
    }

    /// Current query, parsed (tracked).
    pub fn query(&self) -> Query {
        self.location.with(|l| parse(&l.search))
    }

    /// Goes to `url` (`/path?query`). `replace` rewrites the current history
    /// entry (used for every state change inside a chapter, so Back leaves
    /// the chapter instead of undoing slider moves one by one).
    ///
    /// The page updates at once. The address bar gets the first replacement at
    /// once, then at most one per [`URL_WRITE_MS`] (the latest always lands):
    /// dragging a slider
    /// fires 60 events a second, and browsers throttle, then ignore, history
    /// writes that come faster than a few per second.
    pub fn navigate(&self, url: &str, replace: bool) {
        let next = Location::from_url(url);
        if self.location.with_untracked(|l| *l == next) {
            return;
        }
        let full = if next.search.is_empty() {
            next.path.clone()
        } else {
            format!("{}?{}", next.path, next.search)
        };
        if replace {
            schedule_replace(full);
        } else {
            flush_pending_url();
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&full));
            }
        }
        let new_page = self.location.with_untracked(|l| l.path != next.path);
        self.location.set(next);
        if new_page {
            if let Some(w) = web_sys::window() {
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
    }
}

/// An in-app link: a real `<a href>`, marked `aria-current="page"` when it is
/// the current page; plain left clicks navigate without reloading.
#[component]
pub fn Link(
    #[prop(into)] href: String,
    children: Children,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let router = Router::get();
    let target = href.clone();
    let target_path = Location::from_url(&href).path;
    let current = move || (router.path() == target_path).then_some("page");
    view! {
        <a
            href=href
            class=class
            aria-current=current
            on:click=move |ev: web_sys::MouseEvent| {
                if ev.button() == 0 && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key()) {
                    ev.prevent_default();
                    router.navigate(&target, false);
                }
            }
        >
            {children()}
        </a>
    }
}

/// A chapter's state, kept in the URL query of `/{slug}`.
pub struct UrlState<S: Send + Sync + 'static> {
    /// The parsed, clamped state.
    pub state: Memo<S>,
    /// Notes about values in the link that had to be fixed.
    pub notes: Signal<Vec<String>>,
    /// Writes a new state to the URL (which is what updates `state`).
    pub commit: Callback<S>,
}

impl<S: Send + Sync + 'static> Clone for UrlState<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Send + Sync + 'static> Copy for UrlState<S> {}

impl<S: Clone + PartialEq + Send + Sync + 'static> UrlState<S> {
    /// Binds a chapter's state to the URL: `parse` reads (and clamps) the query,
    /// `to_query` writes it back. Every control calls [`UrlState::edit`].
    pub fn new(
        slug: &'static str,
        parse: fn(&Query) -> (S, Vec<String>),
        to_query: fn(&S) -> String,
    ) -> Self {
        Self::build(slug, parse, to_query, None)
    }

    /// [`UrlState::new`] for one of several sections' states on one page:
    /// `mine` says which query keys this state writes, and an edit keeps
    /// every other key as it is (the other sections' settings).
    pub fn sharing(
        slug: &'static str,
        parse: fn(&Query) -> (S, Vec<String>),
        to_query: fn(&S) -> String,
        mine: fn(&str) -> bool,
    ) -> Self {
        Self::build(slug, parse, to_query, Some(mine))
    }

    fn build(
        slug: &'static str,
        parse: fn(&Query) -> (S, Vec<String>),
        to_query: fn(&S) -> String,
        mine: Option<fn(&str) -> bool>,
    ) -> Self {
        let router = Router::get();
        let parsed = Memo::new(move |_| parse(&router.query()));
        let state = Memo::new(move |_| parsed.with(|p| p.0.clone()));
        let notes = Signal::derive(move || parsed.with(|p| p.1.clone()));
        // App-level parameters (the presented slide) survive every edit,
        // and so do other sections' keys when the state shares the page.
        let commit = Callback::new(move |s: S| {
            let current = router.query();
            let mut parts = vec![to_query(&s)];
            if let Some(mine) = mine {
                parts.push(others(&current, mine));
            }
            parts.extend(crate::presenter::carried(&current));
            let query = parts
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("&");
            router.navigate(&format!("/{slug}?{query}"), true)
        });
        UrlState {
            state,
            notes,
            commit,
        }
    }

    /// One field of the state as a control's [`Bound`] value: `get` picks
    /// it, `set` writes a new value into a copy that goes to the URL.
    pub fn bind<T: Clone + Send + Sync + 'static>(
        self,
        get: fn(&S) -> &T,
        set: fn(&mut S, T),
    ) -> Bound<T> {
        let state = self.state;
        Bound::new(
            move || state.with(|s| get(s).clone()),
            move |v| self.edit(|s| set(s, v)),
        )
    }

    /// Applies `f` to the current state and writes the result.
    pub fn edit(&self, f: impl FnOnce(&mut S)) {
        let mut s = self.state.get_untracked();
        f(&mut s);
        self.commit.run(s);
    }
}

/// The pairs of `q` that neither `mine` nor the app (the presenter's keys)
/// writes, as a query string.
fn others(q: &Query, mine: fn(&str) -> bool) -> String {
    let kept: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| !mine(k) && !crate::presenter::is_app_key(k))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    crate::query::build(&kept)
}

/// A control bound to one field of a chapter's URL state:
/// `bind=field!(url.d_k)` shows `d_k` and writes the learner's value back.
macro_rules! field {
    ($url:ident . $f:ident) => {
        $url.bind(|s| &s.$f, |s, v| s.$f = v)
    };
}
pub(crate) use field;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_state_keeps_the_other_sections_keys_only() {
        let q: Query = [
            ("tlayers", "3"),
            ("layer", "2"),
            ("present", "1"),
            ("text", "a b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let train = |k: &str| k.starts_with("tl");
        assert_eq!(others(&q, train), "layer=2&text=a%20b");
        let open = |k: &str| k == "layer" || k == "text";
        assert_eq!(others(&q, open), "tlayers=3");
    }

    #[test]
    fn splits_urls() {
        assert_eq!(
            Location::from_url("/qkv?dk=4&t=1#top"),
            Location {
                path: "/qkv".into(),
                search: "dk=4&t=1".into()
            }
        );
        assert_eq!(Location::from_url("qkv").path, "/qkv");
        assert_eq!(Location::from_url("").path, "/");
        assert_eq!(Location::from_url("/?a").search, "a");
    }
}
