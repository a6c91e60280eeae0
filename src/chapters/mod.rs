//! The chapter registry: one list that drives the routes, the navigation and
//! the landing page. A chapter is added here only once it works.

pub mod qkv;

use leptos::prelude::AnyView;

/// One chapter of the course.
pub struct Chapter {
    /// Number in the syllabus.
    pub number: u8,
    /// URL path segment: the chapter lives at `/{slug}`.
    pub slug: &'static str,
    pub title: &'static str,
    /// One line for the landing page.
    pub summary: &'static str,
    /// Builds the chapter's page.
    pub page: fn() -> AnyView,
}

/// Every chapter that works, in course order.
pub const CHAPTERS: &[Chapter] = &[Chapter {
    number: 3,
    slug: qkv::SLUG,
    title: "Query, key, value",
    summary: "Type a sentence and follow it through Q, K, V, the scores, the scaling, the softmax and the weighted sum.",
    page: qkv::page,
}];

/// The chapter at `slug`, if any.
pub fn find(slug: &str) -> Option<&'static Chapter> {
    CHAPTERS.iter().find(|c| c.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
