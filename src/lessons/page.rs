//! The lesson page (`/lesson`) and the header's "Add to lesson" button.
//!
//! The lesson shown is the link's (`?lesson=CODE`), else the one kept in
//! local storage (the lesson last edited here). Every edit writes both:
//! the link (replacing the history entry) and the storage.

use super::{
    decode, encode, from_json, from_text, to_json, Lesson, Loaded, View, MAX_VIEWS, READY,
};
use crate::chapters::{chapter_of, resolve};
use crate::presenter::{is_app_key, slide_in_view, Playing, Presenter, LESSON};
use crate::query::{build, Query};
use crate::router::{Link, Router};
use crate::widgets::notes::Notes;
use leptos::prelude::*;

/// Where the lesson last edited is kept.
const STORAGE_KEY: &str = "attention-lab-lesson";
/// A lesson file is at most this big.
const MAX_FILE_BYTES: f64 = 1_000_000.0;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The lesson kept in this browser (an empty one when there is none).
fn stored() -> Loaded {
    match storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
        Some(code) => decode(&code),
        None => Loaded {
            lesson: Lesson {
                title: "My lesson".into(),
                views: Vec::new(),
            },
            notes: Vec::new(),
        },
    }
}

fn store(code: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, code);
    }
}

crate::loader::split_fn!(pub fn read_link(code: String) in lesson_codec -> Lesson
    => decode(&code).lesson);

crate::loader::split_fn!(fn add_view(view: View) in lesson_codec_add -> String
    => add_to_stored(view));

/// Puts `view` at the end of the lesson kept in this browser; what to tell
/// the learner.
fn add_to_stored(view: View) -> String {
    let mut lesson = stored().lesson;
    if lesson.views.len() >= MAX_VIEWS {
        return format!(
            "Your lesson already has {MAX_VIEWS} views, the most it can hold. Remove one on the lesson page first."
        );
    }
    let title = view.title.clone();
    lesson.views.push(view);
    store(&encode(&lesson));
    let n = lesson.views.len();
    format!(
        "Added “{title}” to your lesson ({n} {}).",
        if n == 1 { "view" } else { "views" }
    )
}

/// The lesson page's own URL for a lesson code.
fn lesson_url(code: &str) -> String {
    format!("/lesson?{}", build(&[(LESSON, code.to_string())]))
}

/// The URL that plays `lesson` from view `i` (0-based).
fn play_url(lesson: &Lesson, i: usize) -> Option<String> {
    Playing {
        code: encode(lesson),
        lesson: lesson.clone(),
        view: i,
    }
    .url_of(i, &Query::new())
}

/// The chapter view on screen now, as a lesson view: its state, and the
/// slide presented or else the one at the top of the window.
fn current_view(router: Router, presenter: Presenter) -> Option<View> {
    let (path, q) = router.peek()?;
    let chapter = chapter_of(resolve(&path))?;
    let kept: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| !is_app_key(k))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let (slide, heading) = match presenter.shown() {
        Some(s) => (
            s,
            presenter
                .headings
                .with_untracked(|h| h.get(s).cloned())
                .unwrap_or_default(),
        ),
        None => slide_in_view().unwrap_or((0, String::new())),
    };
    let title = if slide == 0 || heading.is_empty() {
        chapter.title.to_string()
    } else {
        format!("{} · {heading}", chapter.nav)
    };
    Some(View {
        title: super::clean_title(&title).0,
        path: format!("/{}", chapter.slug),
        query: build(&kept),
        slide: slide + 1,
    })
}

/// "Add to lesson": puts the view on screen at the end of the lesson kept
/// in this browser, and says so.
#[component]
pub fn AddToLesson(presenter: Presenter) -> impl IntoView {
    let router = Router::get();
    let said = RwSignal::new(None::<String>);
    // A message is about the view it was said on.
    let said_on = RwSignal::new(String::new());
    let add = move |_| {
        let Some(view) = current_view(router, presenter) else {
            return;
        };
        let path = router.path();
        // The lesson codec loads on demand.
        leptos::task::spawn_local(async move {
            let message = add_view(view).await.unwrap_or_else(|_| {
                "The view could not be added: this part of the app did not load. Check the connection and try again.".to_string()
            });
            said.try_set(Some(message));
            said_on.try_set(path);
        });
    };
    let shown = move || said.get().filter(|_| said_on.get() == router.path());
    view! {
        <button class="pref" data-testid="add-to-lesson" title="Add the view on screen, with its settings, to your lesson" on:click=add>
            "Add to lesson"
        </button>
        <Show when=move || shown().is_some()>
            <p class="lesson-toast" role="status" data-testid="lesson-toast">
                {move || shown().unwrap_or_default()}
                " "
                <Link href="/lesson">"Open the lesson"</Link>
                " "
                <button class="toast-close" aria-label="Close this message" on:click=move |_| said.set(None)>"×"</button>
            </p>
        </Show>
    }
}

/// A file name from a lesson title: `why-we-scale.lesson.json`.
pub fn file_name(title: &str) -> String {
    let slug = crate::charts::export::slug(title);
    format!(
        "{}.lesson.json",
        if slug.is_empty() { "lesson" } else { &slug }
    )
}

/// The lesson page: the views, their order and titles, play, share, save
/// and load; and the ready lessons.
#[component]
pub fn LessonPage() -> impl IntoView {
    let router = Router::get();
    let loaded = Memo::new(move |_| match router.query().get(LESSON) {
        Some(code) => decode(code),
        None => stored(),
    });
    let lesson = Memo::new(move |_| loaded.with(|l| l.lesson.clone()));
    // Notes from the last file loaded (or refused).
    let file_notes = RwSignal::new(Vec::<String>::new());
    let notes = Signal::derive(move || {
        let mut n = loaded.with(|l| l.notes.clone());
        n.extend(file_notes.get());
        n
    });
    let save = move |l: Lesson| {
        let code = encode(&l);
        store(&code);
        router.navigate(&lesson_url(&code), true);
    };
    let edit = move |f: &dyn Fn(&mut Lesson)| {
        let mut l = lesson.get_untracked();
        f(&mut l);
        file_notes.set(Vec::new());
        save(l);
    };
    let code = Memo::new(move |_| lesson.with(encode));
    let link = move || {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{}", lesson_url(&code.get()))
    };
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Some(c) = web_sys::window().map(|w| w.navigator().clipboard()) {
            let _ = c.write_text(&link());
            copied.set(true);
        }
    };
    let play = move |i: usize| {
        if let Some(url) = lesson.with_untracked(|l| play_url(l, i)) {
            router.navigate(&url, false);
        }
    };
    let save_file = move |_| {
        let l = lesson.get_untracked();
        if let Err(e) = crate::widgets::export::download_text(
            &file_name(&l.title),
            "application/json",
            &to_json(&l),
        ) {
            file_notes.set(vec![e]);
        }
    };
    let load_file = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        if file.size() > MAX_FILE_BYTES {
            file_notes.set(vec![format!(
                "“{}” is too big to be a lesson (a lesson file is at most 1 MB).",
                file.name()
            )]);
            return;
        }
        let name = file.name();
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            let result = text
                .ok_or_else(|| format!("“{name}” could not be read."))
                .and_then(|t| from_json(&t));
            match result {
                Ok(l) => {
                    let mut n = vec![format!(
                        "Loaded “{}” ({} views) from {name}.",
                        l.lesson.title,
                        l.lesson.views.len()
                    )];
                    n.extend(l.notes);
                    let code = encode(&l.lesson);
                    store(&code);
                    router.navigate(&lesson_url(&code), true);
                    file_notes.try_set(n);
                }
                Err(e) => {
                    file_notes.try_set(vec![e]);
                }
            }
        });
    };
    let confirm_clear = RwSignal::new(false);
    let count = move || lesson.with(|l| l.views.len());
    view! {
        <article class="lesson-page">
            <header>
                <h1>"Your lesson"</h1>
                <p class="lead">
                "Collect the views you want to show, in the order you want to show them, and play them in presenter mode, one per screen. "
                "To add a view, open a chapter, set the controls the way you want the class to see them, scroll to the section, and press “Add to lesson” in the bottom corner (or in the presenter bar). "
                "The lesson is kept in this browser and in this page's link."
                </p>
            </header>
            <Notes notes=notes />
            <label class="control lesson-title">
                <span>"Title"</span>
                <input
                    type="text"
                    data-testid="lesson-title"
                    maxlength="100"
                    prop:value=move || lesson.with(|l| l.title.clone())
                    on:change=move |ev| {
                        let t = event_target_value(&ev);
                        edit(&|l| l.title = super::clean_title(&t).0);
                    }
                />
            </label>
            <Show
                when=move || { count() > 0 }
                fallback=|| view! { <p class="empty-lesson" data-testid="lesson-empty">"No views yet. Add some from the chapters, or start from a ready lesson below."</p> }
            >
                <ol class="lesson-views" data-testid="lesson-views">
                    {move || {
                        let views = lesson.get().views;
                        let n = views.len();
                        views
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| {
                                let chapter = chapter_of(resolve(&v.path))
                                    .map_or(String::new(), |c| format!("{} · {}", c.kicker(), c.title));
                                let page = v.page_url();
                                view! {
                                    <li class="lesson-view" data-testid="lesson-view">
                                        <input
                                            type="text"
                                            class="view-title"
                                            maxlength="100"
                                            aria-label=format!("Title of view {}", i + 1)
                                            prop:value=v.title.clone()
                                            on:change=move |ev| {
                                                let t = event_target_value(&ev);
                                                edit(&|l| {
                                                    if let Some(v) = l.views.get_mut(i) {
                                                        let (t, _) = super::clean_title(&t);
                                                        if !t.is_empty() {
                                                            v.title = t;
                                                        }
                                                    }
                                                });
                                            }
                                        />
                                        <span class="view-where">
                                            {format!("{chapter}, slide {}", v.slide)}
                                            " · "
                                            <Link href=page>"open"</Link>
                                        </span>
                                        <span class="view-buttons">
                                            <button aria-label=format!("Play from view {}", i + 1) on:click=move |_| play(i)>"▶"</button>
                                            <button aria-label=format!("Move view {} up", i + 1) disabled=i == 0 on:click=move |_| edit(&|l| l.views.swap(i, i - 1))>"↑"</button>
                                            <button aria-label=format!("Move view {} down", i + 1) disabled=i + 1 == n on:click=move |_| edit(&|l| l.views.swap(i, i + 1))>"↓"</button>
                                            <button aria-label=format!("Remove view {}", i + 1) on:click=move |_| edit(&|l| { l.views.remove(i); })>"Remove"</button>
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
            </Show>
            <div class="button-row lesson-actions">
                <button data-testid="lesson-play" disabled=move || count() == 0 on:click=move |_| play(0)>"▶ Play the lesson"</button>
                <button data-testid="lesson-save" on:click=save_file>"Save as a file"</button>
                <label class="file-button">
                    "Load a file… "
                    <input type="file" data-testid="lesson-load" accept=".json,application/json" on:change=load_file />
                </label>
                <Show
                    when=move || confirm_clear.get()
                    fallback=move || view! { <button data-testid="lesson-clear" disabled=move || count() == 0 on:click=move |_| confirm_clear.set(true)>"Clear"</button> }
                >
                    <button data-testid="lesson-clear-yes" on:click=move |_| {
                        confirm_clear.set(false);
                        edit(&|l| l.views.clear());
                    }>"Remove every view"</button>
                    <button on:click=move |_| confirm_clear.set(false)>"Keep them"</button>
                </Show>
            </div>
            <h2>"Share it"</h2>
            <p>"This link holds the whole lesson: anyone who opens it gets the same views, with the same settings."</p>
            <div class="share-row">
                <input type="text" readonly data-testid="lesson-link" aria-label="Link to this lesson" prop:value=link />
                <button on:click=copy>{move || if copied.get() { "Copied" } else { "Copy link" }}</button>
            </div>
            <h2>"Ready lessons"</h2>
            <p>"Play one as it is, or make it yours and change it."</p>
            <ul class="ready-lessons">
                {READY
                    .iter()
                    .map(|r| {
                        let ready = from_text(r.text).lesson;
                        let for_play = ready.clone();
                        let for_copy = ready.clone();
                        view! {
                            <li class="ready-lesson" data-testid=format!("ready-{}", r.id)>
                                <h3>{ready.title.clone()}</h3>
                                <ol>
                                    {ready.views.iter().map(|v| view! { <li>{v.title.clone()}</li> }).collect_view()}
                                </ol>
                                <div class="button-row">
                                    <button data-testid="ready-play" on:click=move |_| {
                                        if let Some(url) = play_url(&for_play, 0) {
                                            router.navigate(&url, false);
                                        }
                                    }>"▶ Play"</button>
                                    <button data-testid="ready-use" on:click=move |_| {
                                        file_notes.set(Vec::new());
                                        save(for_copy.clone());
                                    }>"Make it my lesson"</button>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </article>
    }
}

crate::loader::split_view!(pub fn lesson_page() in lesson_page, preload preload_lesson_page
    => view! { <LessonPage /> }.into_any());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_title() {
        assert_eq!(
            file_name("Why we scale by √d_k"),
            "why-we-scale-by-d-k.lesson.json"
        );
        assert_eq!(file_name("  <script>  "), "script.lesson.json");
        assert_eq!(file_name("√√"), "lesson.lesson.json");
        assert_eq!(file_name(""), "lesson.lesson.json");
    }

    #[test]
    fn playing_starts_at_the_first_view_with_the_lesson_in_the_link() {
        let l = from_text(READY[0].text).lesson;
        let url = play_url(&l, 0).unwrap_or_default();
        assert!(url.starts_with(&l.views[0].path), "{url}");
        let q = crate::query::parse(url.split_once('?').map_or("", |p| p.1));
        let code = crate::presenter::lesson_code(&q)
            .cloned()
            .unwrap_or_default();
        let p = Playing::of(&q, &code, decode(&code).lesson);
        assert_eq!(p.map(|p| (p.lesson, p.view)), Some((l.clone(), 0)));
        assert_eq!(play_url(&Lesson::default(), 0), None);
    }
}
