//! The chapter registry: one list that drives the routes, the navigation and
//! the landing page. A chapter is added here only once it works.

pub mod alignment;
pub mod bottleneck;
pub mod cost;
pub mod lab;
pub mod multi_head;
pub mod pages;
pub mod position;
pub mod qkv;
pub mod rnn;
pub mod scaling;
pub mod self_attention;

use leptos::prelude::*;

/// One chapter of the course, or the lab after them.
pub struct Chapter {
    /// Place in the course order (the lab comes tenth).
    pub number: u8,
    /// Whether the learner sees the number ("Chapter 3"); the lab is not
    /// numbered (see [`Chapter::kicker`]).
    pub numbered: bool,
    /// URL path segment: the chapter lives at `/{slug}`.
    pub slug: &'static str,
    pub title: &'static str,
    /// Short title for the header navigation.
    pub nav: &'static str,
    /// One line for the landing page.
    pub summary: &'static str,
    /// Loads the chapter's code and builds its page ([`pages`]: a split
    /// point in the release build).
    pub page: fn() -> crate::loader::PageFuture,
    /// Fetches the chapter's code without building the page (prefetching).
    pub preload: fn() -> crate::loader::PreloadFuture,
}

/// Every chapter that works, in course order.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        number: 1,
        slug: bottleneck::SLUG,
        title: "The bottleneck",
        nav: "Bottleneck",
        summary: "Two translators we trained: one squeezes the sentence into a single vector, one may look back at every word. Watch the first fall apart on long sentences.",
        numbered: true,
        page: || Box::pin(pages::bottleneck()),
        preload: || Box::pin(pages::preload_bottleneck()),
    },
    Chapter {
        number: 2,
        slug: alignment::SLUG,
        title: "Attention as alignment",
        nav: "Alignment",
        summary: "See where a translator looks while it writes each word, compare it with the true word alignment, and watch that alignment emerge as a model trains in your browser.",
        numbered: true,
        page: || Box::pin(pages::alignment()),
        preload: || Box::pin(pages::preload_alignment()),
    },
    Chapter {
        number: 3,
        slug: qkv::SLUG,
        title: "Query, key, value",
        nav: "Query, key, value",
        summary: "Type a sentence and follow it through Q, K, V, the scores, the scaling, the softmax and the weighted sum.",
        numbered: true,
        page: || Box::pin(pages::qkv()),
        preload: || Box::pin(pages::preload_qkv()),
    },
    Chapter {
        number: 4,
        slug: scaling::SLUG,
        title: "Why divide by √d_k",
        nav: "Why √d_k",
        summary: "Slide d_k up to 2048 and watch raw scores spread, the softmax saturate and its gradient vanish, and the scaling put it right.",
        numbered: true,
        page: || Box::pin(pages::scaling()),
        preload: || Box::pin(pages::preload_scaling()),
    },
    Chapter {
        number: 5,
        slug: self_attention::SLUG,
        title: "Self-attention",
        nav: "Self-attention",
        summary: "Ask a model we trained who “it” is, swap “tired” for “wide”, and watch every head of every layer change where it looks.",
        numbered: true,
        page: || Box::pin(pages::self_attention()),
        preload: || Box::pin(pages::preload_self_attention()),
    },
    Chapter {
        number: 6,
        slug: cost::SLUG,
        title: "The cost of the n × n matrix",
        nav: "Cost of n × n",
        summary: "Count the scores of a real model as n grows, time attention on your own machine, and see how sparse, linear, tiled and ring attention get around the square.",
        numbered: true,
        page: || Box::pin(pages::cost()),
        preload: || Box::pin(pages::preload_cost()),
    },
    Chapter {
        number: 7,
        slug: multi_head::SLUG,
        title: "Multi-head attention and head pruning",
        nav: "Multi-head",
        summary: "Take a trained model apart head by head: switch heads off, measure what each was worth, and prune it.",
        numbered: true,
        page: || Box::pin(pages::multi_head()),
        preload: || Box::pin(pages::preload_multi_head()),
    },
    Chapter {
        number: 8,
        slug: position::SLUG,
        title: "Position: order, sinusoids, RoPE and ALiBi",
        nav: "Position",
        summary: "Shuffle a sentence with position off and on, turn RoPE's arrows, bend attention with ALiBi, and train five models to see which one reaches past its training length.",
        numbered: true,
        page: || Box::pin(pages::position()),
        preload: || Box::pin(pages::preload_position()),
    },
    Chapter {
        number: 9,
        slug: rnn::SLUG,
        title: "Why attention replaced RNNs",
        nav: "Attention vs RNNs",
        summary: "Measure how far a gradient reaches back through an RNN, a GRU and attention, count what must run in sequence, and train all three on a task that needs a token from far back.",
        numbered: true,
        page: || Box::pin(pages::rnn()),
        preload: || Box::pin(pages::preload_rnn()),
    },
    Chapter {
        number: 10,
        numbered: false,
        slug: lab::SLUG,
        title: "Lab: real transformers, taken apart",
        nav: "Lab",
        summary: "Train a tiny GPT on text you paste, or open a GPT-2 checkpoint from your disk, and watch every head of every layer: what it attends to, what it is by measurement, and what the model loses when you switch it off.",
        page: || Box::pin(pages::lab()),
        preload: || Box::pin(pages::preload_lab()),
    },
];

impl Chapter {
    /// Its label above the title: "Chapter 3", or "Lab".
    pub fn kicker(&self) -> String {
        if self.numbered {
            format!("Chapter {}", self.number)
        } else {
            self.nav.to_string()
        }
    }

    /// What its page says while its code arrives: "Loading chapter 3:
    /// Query, key, value…", or "Loading the lab…" (no `to_lowercase`: the
    /// Unicode case tables would join the landing page's shell).
    pub fn loading_label(&self) -> String {
        if self.numbered {
            format!("Loading chapter {}: {}…", self.number, self.title)
        } else {
            format!("Loading {}…", self.title)
        }
    }

    /// Its entry in the navigation: "3. Query, key, value", or "Lab".
    pub fn nav_label(&self) -> String {
        if self.numbered {
            format!("{}. {}", self.number, self.nav)
        } else {
            self.nav.to_string()
        }
    }

    /// Its title with its number: "3 · Query, key, value", or the lab's
    /// title alone.
    pub fn numbered_title(&self) -> String {
        if self.numbered {
            format!("{} · {}", self.number, self.title)
        } else {
            self.title.to_string()
        }
    }
}

/// The speaker notes of the chapter at `slug`, one `## heading` block per
/// slide (`presenter::speaker::parse_notes`). A function rather than a
/// field of [`Chapter`], so the notes ship with the speaker view's code
/// (a split point), not with the shell.
pub fn notes(slug: &str) -> Option<&'static str> {
    Some(match slug {
        bottleneck::SLUG => include_str!("bottleneck/notes.txt"),
        alignment::SLUG => include_str!("alignment/notes.txt"),
        qkv::SLUG => include_str!("qkv/notes.txt"),
        scaling::SLUG => include_str!("scaling/notes.txt"),
        self_attention::SLUG => include_str!("self_attention/notes.txt"),
        cost::SLUG => include_str!("cost/notes.txt"),
        multi_head::SLUG => include_str!("multi_head/notes.txt"),
        position::SLUG => include_str!("position/notes.txt"),
        rnn::SLUG => include_str!("rnn/notes.txt"),
        lab::SLUG => include_str!("lab/notes.txt"),
        _ => return None,
    })
}

/// A chapter page's heading: its number and title from [`CHAPTERS`], and
/// the lead paragraph (`children`).
#[component]
pub fn ChapterHead(slug: &'static str, children: Children) -> impl IntoView {
    let (kicker, title) = find(slug).map_or((String::new(), ""), |c| (c.kicker(), c.title));
    view! {
        <header class="chapter-head" data-slide>
            <p class="kicker">{kicker}</p>
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
    /// The teacher's lesson (`/lesson`).
    Lesson,
    NotFound,
}

/// The lesson page's path segment (no chapter may use it).
pub const LESSON_SLUG: &str = "lesson";

/// The page for `path`: `/` is the landing page, `/lesson` the lesson page,
/// `/{slug}` (optionally with a trailing slash) a registered chapter,
/// anything else not found.
pub fn resolve(path: &str) -> Page {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Page::Landing;
    }
    if trimmed == LESSON_SLUG {
        return Page::Lesson;
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
        assert_eq!(resolve("/lesson/"), Page::Lesson);
        assert!(
            find(LESSON_SLUG).is_none(),
            "no chapter takes the lesson's path"
        );
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
    fn the_lab_comes_after_the_nine_chapters_without_a_number() {
        let (lab, chapters) = CHAPTERS.split_last().unwrap();
        assert_eq!(lab.slug, lab::SLUG);
        assert!(!lab.numbered);
        assert_eq!(
            (lab.kicker(), lab.nav_label()),
            ("Lab".into(), "Lab".into())
        );
        assert!(!lab.numbered_title().contains("10"));
        assert_eq!(chapters.len(), 9);
        for (i, c) in chapters.iter().enumerate() {
            assert!(c.numbered);
            assert_eq!(usize::from(c.number), i + 1, "{}", c.slug);
        }
        assert_eq!(
            find("qkv").map(Chapter::nav_label).as_deref(),
            Some("3. Query, key, value")
        );
        assert_eq!(
            find("qkv").map(Chapter::loading_label).as_deref(),
            Some("Loading chapter 3: Query, key, value…")
        );
        assert_eq!(lab.loading_label(), format!("Loading {}…", lab.title));
        assert_eq!(resolve("/lab"), Page::Chapter("lab"));
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
            ("rnn", include_str!("rnn/questions.txt")),
        ] {
            let qs = crate::widgets::self_check::parse_questions(text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(qs.len() >= 3, "{name}: {}", qs.len());
        }
    }
}
