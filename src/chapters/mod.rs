//! The chapter registry: one list that drives the routes, the navigation and
//! the landing page. A chapter is added here only once it works.

pub mod alignment;
pub mod bottleneck;
pub mod cost;
pub mod multi_head;
pub mod position;
pub mod qkv;
pub mod scaling;
pub mod self_attention;

use crate::query::Query;
use crate::router::Router;
use leptos::prelude::*;

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
        let router = Router::get();
        let parsed = Memo::new(move |_| parse(&router.query()));
        let state = Memo::new(move |_| parsed.with(|p| p.0.clone()));
        let notes = Signal::derive(move || parsed.with(|p| p.1.clone()));
        let commit =
            Callback::new(move |s: S| router.navigate(&format!("/{slug}?{}", to_query(&s)), true));
        UrlState {
            state,
            notes,
            commit,
        }
    }

    /// Applies `f` to the current state and writes the result.
    pub fn edit(&self, f: impl FnOnce(&mut S)) {
        let mut s = self.state.get_untracked();
        f(&mut s);
        self.commit.run(s);
    }
}

/// One chapter of the course.
pub struct Chapter {
    /// Number in the syllabus.
    pub number: u8,
    /// URL path segment: the chapter lives at `/{slug}`.
    pub slug: &'static str,
    pub title: &'static str,
    /// Short title for the header navigation.
    pub nav: &'static str,
    /// One line for the landing page.
    pub summary: &'static str,
    /// Builds the chapter's page.
    pub page: fn() -> AnyView,
}

/// Every chapter that works, in course order.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        number: 1,
        slug: bottleneck::SLUG,
        title: "The bottleneck",
        nav: "Bottleneck",
        summary: "Two translators we trained: one squeezes the sentence into a single vector, one may look back at every word. Watch the first fall apart on long sentences.",
        page: bottleneck::page,
    },
    Chapter {
        number: 2,
        slug: alignment::SLUG,
        title: "Attention as alignment",
        nav: "Alignment",
        summary: "See where a translator looks while it writes each word, compare it with the true word alignment, and watch that alignment emerge as a model trains in your browser.",
        page: alignment::page,
    },
    Chapter {
        number: 3,
        slug: qkv::SLUG,
        title: "Query, key, value",
        nav: "Query, key, value",
        summary: "Type a sentence and follow it through Q, K, V, the scores, the scaling, the softmax and the weighted sum.",
        page: qkv::page,
    },
    Chapter {
        number: 4,
        slug: scaling::SLUG,
        title: "Why divide by √d_k",
        nav: "Why √d_k",
        summary: "Slide d_k up to 2048 and watch raw scores spread, the softmax saturate and its gradient vanish, and the scaling put it right.",
        page: scaling::page,
    },
    Chapter {
        number: 5,
        slug: self_attention::SLUG,
        title: "Self-attention",
        nav: "Self-attention",
        summary: "Ask a model we trained who “it” is, swap “tired” for “wide”, and watch every head of every layer change where it looks.",
        page: self_attention::page,
    },
    Chapter {
        number: 6,
        slug: cost::SLUG,
        title: "The cost of the n × n matrix",
        nav: "Cost of n × n",
        summary: "Count the scores of a real model as n grows, time attention on your own machine, and see how sparse, linear, tiled and ring attention get around the square.",
        page: cost::page,
    },
    Chapter {
        number: 7,
        slug: multi_head::SLUG,
        title: "Multi-head attention and head pruning",
        nav: "Multi-head",
        summary: "Take a trained model apart head by head: switch heads off, measure what each was worth, and prune it.",
        page: multi_head::page,
    },
    Chapter {
        number: 8,
        slug: position::SLUG,
        title: "Position: order, sinusoids, RoPE and ALiBi",
        nav: "Position",
        summary: "Shuffle a sentence with position off and on, turn RoPE's arrows, bend attention with ALiBi, and train five models to see which one reaches past its training length.",
        page: position::page,
    },
];

/// A chapter page's heading: its number and title from [`CHAPTERS`], and
/// the lead paragraph (`children`).
#[component]
pub fn ChapterHead(slug: &'static str, children: Children) -> impl IntoView {
    let (number, title) = find(slug).map_or((0, ""), |c| (c.number, c.title));
    view! {
        <header class="chapter-head">
            <p class="kicker">{format!("Chapter {number}")}</p>
            <h1>{title}</h1>
            <p class="lead">{children()}</p>
        </header>
    }
}

/// What a path shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Landing,
    Chapter(&'static str),
    NotFound,
}

/// The page for `path`: `/` is the landing page, `/{slug}` (optionally with a
/// trailing slash) a registered chapter, anything else not found.
pub fn resolve(path: &str) -> Page {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Page::Landing;
    }
    match find(trimmed) {
        Some(c) => Page::Chapter(c.slug),
        None => Page::NotFound,
    }
}

/// The chapter for a page, if it is one.
pub fn chapter_of(page: Page) -> Option<&'static Chapter> {
    match page {
        Page::Chapter(slug) => find(slug),
        _ => None,
    }
}

/// The chapter at `slug`, if any.
pub fn find(slug: &str) -> Option<&'static Chapter> {
    CHAPTERS.iter().find(|c| c.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_pages_from_the_registry() {
        assert_eq!(resolve("/"), Page::Landing);
        assert_eq!(resolve(""), Page::Landing);
        assert_eq!(resolve("/qkv"), Page::Chapter("qkv"));
        assert_eq!(resolve("/qkv/"), Page::Chapter("qkv"));
        assert_eq!(resolve("/nope"), Page::NotFound);
        assert_eq!(resolve("/qkv/extra"), Page::NotFound);
        assert_eq!(resolve("/%3Cscript%3E"), Page::NotFound);
        assert!(chapter_of(resolve("/qkv")).is_some());
        assert!(chapter_of(Page::Landing).is_none());
    }

    #[test]
    fn slugs_are_unique_and_url_safe() {
        for (i, a) in CHAPTERS.iter().enumerate() {
            assert!(a.slug.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            for b in &CHAPTERS[i + 1..] {
                assert_ne!(a.slug, b.slug);
            }
        }
    }

    #[test]
    fn find_is_exact() {
        assert_eq!(find("qkv").map(|c| c.number), Some(3));
        assert!(find("QKV").is_none());
        assert!(find("").is_none());
        assert!(find("<script>").is_none());
    }

    #[test]
    fn every_chapter_ships_readable_questions() {
        for (name, text) in [
            ("bottleneck", include_str!("bottleneck/questions.txt")),
            ("alignment", include_str!("alignment/questions.txt")),
            ("qkv", include_str!("qkv/questions.txt")),
            ("scaling", include_str!("scaling/questions.txt")),
            (
                "self_attention",
                include_str!("self_attention/questions.txt"),
            ),
            ("multi_head", include_str!("multi_head/questions.txt")),
            ("position", include_str!("position/questions.txt")),
            ("cost", include_str!("cost/questions.txt")),
        ] {
            let qs = crate::widgets::self_check::parse_questions(text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(qs.len() >= 3, "{name}: {}", qs.len());
        }
    }

    /// Every `.rs` file of each chapter folder, as (folder, file, text).
    fn chapter_sources() -> Vec<(String, String, String)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src/chapters");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(root).expect("chapters folder") {
            let dir = dir.expect("entry").path();
            if !dir.is_dir() {
                continue;
            }
            let name = dir.file_name().expect("name").to_string_lossy().to_string();
            for f in std::fs::read_dir(&dir).expect("chapter folder") {
                let f = f.expect("entry").path();
                if f.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&f).expect("source");
                    out.push((name.clone(), f.display().to_string(), text));
                }
            }
        }
        out
    }

    #[test]
    fn chapters_never_import_chapters_and_leave_loops_to_the_runner() {
        let sources = chapter_sources();
        let folders: std::collections::BTreeSet<String> =
            sources.iter().map(|(d, _, _)| d.clone()).collect();
        assert!(folders.len() >= 7, "{folders:?}");
        for (dir, file, text) in &sources {
            for other in folders.iter().filter(|o| *o != dir) {
                assert!(
                    !text.contains(&format!("chapters::{other}")),
                    "{file} uses chapter {other}: move what they share into widgets, charts or the engine"
                );
            }
            assert!(
                !text.contains("super::super::"),
                "{file} reaches out of its chapter"
            );
            for banned in ["frames::drive", "Effect::new", "FRAME_BUDGET"] {
                assert!(
                    !text.contains(banned),
                    "{file} uses {banned}: long work goes through training::Runner, effects only paint (in widgets)"
                );
            }
        }
    }
}
