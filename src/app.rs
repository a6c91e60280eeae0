//! The app shell: router, header, navigation, landing page, themes.
//!
//! Pages come from [`crate::chapters::CHAPTERS`] through [`crate::router`]: `/`
//! is the landing page and `/{slug}` renders that chapter; anything else is a
//! friendly "not found".
//! Theme (light/dark) and large type for projectors are page preferences kept
//! in localStorage and applied as classes on `<html>`.

use crate::chapters::{chapter_of, resolve, Page, CHAPTERS};
use crate::charts::ChartTheme;
use crate::lessons::page::{lesson_page, AddToLesson};
use crate::loader::{prefetch, prefetch_when_idle, ChapterPage, Lazy, PageFuture};
use crate::presenter::{go_to, present_zoom, use_presenter, PresenterBar, PRESENT_BASE_PX};
use crate::router::{Link, Router};
use leptos::prelude::*;

const THEME_KEY: &str = "attention-lab-theme";
const LARGE_KEY: &str = "attention-lab-large";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn stored(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// The window's inner size in CSS pixels.
fn inner_size() -> (f64, f64) {
    let Some(w) = web_sys::window() else {
        return (0.0, 0.0);
    };
    let px = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| {
        v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
    };
    (px(w.inner_width()), px(w.inner_height()))
}

/// The whole app.
/// The skip link moves focus to `<main>` itself: the page's `<base>` would
/// turn a plain `#main` into a link to the landing page.
fn skip_to_main(ev: web_sys::MouseEvent) {
    use wasm_bindgen::JsCast;
    ev.prevent_default();
    let main = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("main"))
        .and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(m) = main {
        let _ = m.focus();
        m.scroll_into_view();
    }
}

#[component]
pub fn App() -> impl IntoView {
    let dark = RwSignal::new(stored(THEME_KEY).map_or_else(prefers_dark, |v| v == "dark"));
    let large = RwSignal::new(stored(LARGE_KEY).is_some_and(|v| v == "1"));
    let router = Router::provide();
    let presenter = use_presenter(router);
    let embedded = matches!(
        presenter.mode.get_untracked(),
        crate::presenter::Mode::Embed(..)
    );
    let updates = crate::offline::use_offline(embedded);
    // Presenting is always in large type, larger still on a big screen.
    let big = Memo::new(move |_| large.get() || presenter.presenting());
    let dpr = crate::canvas::use_device_pixel_ratio();
    let window_size = RwSignal::new(inner_size());
    let resize = window_event_listener(leptos::ev::resize, move |_| window_size.set(inner_size()));
    on_cleanup(move || resize.remove());
    let zoom = Memo::new(move |_| {
        let _ = dpr.get();
        if presenter.presenting() {
            let (w, h) = window_size.get();
            present_zoom(w, h)
        } else {
            1.0
        }
    });
    let chart_theme = Memo::new(move |_| ChartTheme::new(dark.get(), big.get()).zoomed(zoom.get()));
    provide_context(chart_theme);
    let page = Memo::new(move |_| resolve(&router.path()));
    let chapter_title = Signal::derive(move || {
        chapter_of(page.get()).map_or(String::new(), |c| c.numbered_title())
    });
    let present = move |_| go_to(router, Some(0));
    // Once a page is up, fetch the chapter a learner most likely opens next
    // (the first from the landing page, else the following one).
    Effect::new(move |_| {
        let next = match page.get() {
            Page::Landing => CHAPTERS.first(),
            p => chapter_of(p).and_then(|c| CHAPTERS.iter().find(|n| n.number == c.number + 1)),
        };
        if let Some(next) = next {
            prefetch_when_idle(next, 2000);
        }
    });

    // Apply and remember the preferences (side effects only).
    Effect::new(move |_| {
        let (d, l) = (dark.get(), big.get());
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let classes = root.class_list();
            let _ = classes.toggle_with_force("dark", d);
            let _ = classes.toggle_with_force("large", l);
        }
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            let base = format!("{:.1}px", PRESENT_BASE_PX * zoom.get());
            let _ = root.style().set_property("--present-base", &base);
        }
        if let Some(s) = storage() {
            let _ = s.set_item(THEME_KEY, if d { "dark" } else { "light" });
            let _ = s.set_item(LARGE_KEY, if large.get() { "1" } else { "0" });
        }
    });

    view! {
        <a class="skip" href="#main" on:click=skip_to_main>"Skip to content"</a>
            <header class="site-head">
                <Link href="/" class="brand">"Attention Lab"</Link>
                <div class="prefs" role="group" aria-label="Display">
                    <button class="pref" aria-pressed=move || dark.get().to_string() on:click=move |_| dark.update(|d| *d = !*d)>
                        "Dark theme"
                    </button>
                    <button class="pref" aria-pressed=move || large.get().to_string() on:click=move |_| large.update(|l| *l = !*l)>
                        "Large type"
                    </button>
                    <Show when=move || chapter_of(page.get()).is_some()>
                        <button
                            class="pref"
                            data-testid="present"
                            title="Present this chapter one section per screen (P)"
                            on:click=present
                            on:pointerenter=|_| crate::presenter::prefetch_bar()
                            on:focus=|_| crate::presenter::prefetch_bar()
                        >
                            "Present"
                        </button>
                    </Show>
                    <Link href="/lesson" class="pref lesson-link">"Lesson"</Link>
                </div>
                <nav class="chapters-nav" aria-label="Chapters">
                    <ul>
                        {CHAPTERS
                            .iter()
                            .map(|c| {
                                view! {
                                    // Pointing at (or tabbing to) a chapter starts fetching its code.
                                    <li on:pointerenter=move |_| prefetch(c) on:focusin=move |_| prefetch(c)>
                                        <Link href=format!("/{}", c.slug)>{c.nav_label()}</Link>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
            </header>
            <main id="main" tabindex="-1">
                {move || match page.get() {
                    Page::Landing => view! { <Landing /> }.into_any(),
                    Page::Lesson => view! {
                        <Lazy
                            load=|| Box::pin(lesson_page()) as PageFuture
                            name="The lesson page".to_string()
                            loading="Loading the lesson page…".to_string()
                        />
                    }
                    .into_any(),
                    p => match chapter_of(p) {
                        Some(c) => view! { <ChapterPage chapter=c /> }.into_any(),
                        None => view! { <NotFound /> }.into_any(),
                    },
                }}
            </main>
            // Always in reach, whichever section is on screen.
            <Show when=move || chapter_of(page.get()).is_some()>
                <div class="lesson-fab">
                    <AddToLesson presenter=presenter />
                </div>
            </Show>
            <PresenterBar presenter=presenter title=chapter_title />
            <crate::offline::UpdateBanner updates=updates />
            <footer class="site-foot">
                <p>"Every number on these pages is computed live in your browser by the Attention Lab engine."</p>
            </footer>
    }
}

#[component]
fn Landing() -> impl IntoView {
    view! {
        <article class="landing">
            <h1>"Learn attention by changing it"</h1>
            <p class="lead">
                "Attention Lab is a hands-on course on the attention mechanism behind transformers. "
                "Edit the tokens, move the sliders, flip the switches: every matrix, weight and chart below is recomputed in your browser as you go, "
                "and every view can be shared as a link."
            </p>
            <h2>"Chapters"</h2>
            <ol class="chapter-list">
                {CHAPTERS
                    .iter()
                    .filter(|c| c.numbered)
                    .map(|c| {
                        view! {
                            <li value=c.number.to_string()>
                                <Link href=format!("/{}", c.slug)>{c.title}</Link>
                                <p>{c.summary}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <h2>"After the chapters"</h2>
            <ul class="chapter-list">
                {CHAPTERS
                    .iter()
                    .filter(|c| !c.numbered)
                    .map(|c| {
                        view! {
                            <li>
                                <Link href=format!("/{}", c.slug)>{c.title}</Link>
                                <p>{c.summary}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <h2>"For teachers"</h2>
            <p>
                "Press P on any chapter to present it one section per screen, with the controls still live; open the speaker view for your notes and the next slide on a second screen. "
                "Collect the views you want to show into a "
                <Link href="/lesson">"lesson"</Link>
                ", share it as one link, or start from a ready one."
            </p>
        </article>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <article class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no chapter at this address. Pick one from the list:"</p>
            <ul>
                {CHAPTERS
                    .iter()
                    .map(|c| view! { <li><Link href=format!("/{}", c.slug)>{c.title}</Link></li> })
                    .collect_view()}
            </ul>
        </article>
    }
}
