//! The speaker view: a second window, opened from presenter mode, that
//! shows the teacher the slide on the projector, the next one, and short
//! notes for each (what to point at, what to ask the class).
//!
//! The speaker window is the same page with `speaker=1` in its URL. Both
//! windows stay on the same view through a `BroadcastChannel`: whichever
//! window changes its URL (a slide, a control, a chapter) posts it, and
//! the other one goes there; blanking the projector is posted too. All of
//! a view's state is in its URL, so a control moved in either window shows
//! in both. The messages, the URLs compared and the notes looked up are
//! plain functions ([`Message`], [`shared_url`], [`note_for`]), tested
//! natively.
//!
//! Notes live in each chapter's `notes.txt` (one `## heading` block per
//! slide, matched to the slide by the start of its heading).

use super::{target, Action, Presenter, Target};
use crate::chapters::{chapter_of, find, notes, resolve};
use crate::query::{build, FlagParam, Query};
use crate::router::Router;
use leptos::prelude::*;

/// `1`: this window is the speaker view.
pub const SPEAKER: FlagParam = FlagParam::new("speaker", "speaker view", false);

/// The channel both windows talk on.
pub const CHANNEL: &str = "attention-lab-present";

/// The notes of one slide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The start of the slide's heading.
    pub heading: String,
    pub text: String,
}

/// Reads a chapter's `notes.txt`: blocks that start with `## heading`, the
/// lines after it (joined with spaces) its note.
pub fn parse_notes(text: &str) -> Result<Vec<Note>, String> {
    let mut notes: Vec<Note> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix("## ") {
            if heading.trim().is_empty() {
                return Err(format!("line {}: a heading is empty", i + 1));
            }
            notes.push(Note {
                heading: heading.trim().to_string(),
                text: String::new(),
            });
        } else if !line.is_empty() {
            let Some(note) = notes.last_mut() else {
                return Err(format!("line {}: text before the first heading", i + 1));
            };
            if !note.text.is_empty() {
                note.text.push(' ');
            }
            note.text.push_str(line);
        }
    }
    if let Some(empty) = notes.iter().find(|n| n.text.is_empty()) {
        return Err(format!("“{}” has no note", empty.heading));
    }
    Ok(notes)
}

/// The note of the slide headed `heading`: the longest note heading it
/// starts with.
pub fn note_for<'a>(notes: &'a [Note], heading: &str) -> Option<&'a Note> {
    let heading = heading.trim();
    notes
        .iter()
        .filter(|n| heading.starts_with(n.heading.as_str()))
        .max_by_key(|n| n.heading.len())
}

/// The view both windows share: the path and query without `speaker`.
pub fn shared_url(path: &str, q: &Query) -> String {
    let pairs: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| k.as_str() != SPEAKER.key)
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", build(&pairs))
    }
}

/// This window's URL for a shared view (the speaker keeps its flag).
pub fn local_url(shared: &str, speaker: bool) -> String {
    if !speaker {
        return shared.to_string();
    }
    let (sep, pair) = (
        if shared.contains('?') { '&' } else { '?' },
        SPEAKER.pair(true),
    );
    format!("{shared}{sep}{}", build(&[pair]))
}

/// What one window tells the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Show this view (a [`shared_url`]).
    Go(String),
    /// Blank the projector, or show it again.
    Blank(bool),
}

impl Message {
    pub fn encode(&self) -> String {
        match self {
            Message::Go(url) => format!("go {url}"),
            Message::Blank(b) => format!("blank {}", u8::from(*b)),
        }
    }

    /// A message from the channel; anything else (another version of the
    /// app, a stray page) is `None`. Only same-site paths are accepted.
    pub fn decode(raw: &str) -> Option<Message> {
        let (kind, rest) = raw.split_once(' ')?;
        match (kind, rest) {
            ("go", url) if url.starts_with('/') && !url.starts_with("//") && url.len() < 20_000 => {
                Some(Message::Go(url.to_string()))
            }
            ("blank", "1") => Some(Message::Blank(true)),
            ("blank", "0") => Some(Message::Blank(false)),
            _ => None,
        }
    }
}

/// `m:ss` (or `h:mm:ss`) of a duration in milliseconds.
pub fn clock(ms: f64) -> String {
    let s = (ms.max(0.0) / 1000.0).floor() as u64;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The speaker's panel: where the talk is, the clock, the notes of this
/// slide and of the next (the next slide itself is previewed under the
/// current one).
#[component]
pub fn SpeakerPanel(presenter: Presenter) -> impl IntoView {
    let router = Router::get();
    let slug = Memo::new(move |_| chapter_of(resolve(&router.path())).map(|c| c.slug));
    let notes_of = |slug: Option<&'static str>| {
        slug.and_then(find)
            .and_then(|c| notes(c.slug))
            .and_then(|n| parse_notes(n).ok())
            .unwrap_or_default()
    };
    let notes = Memo::new(move |_| notes_of(slug.get()));
    let started = RwSignal::new(presenter.now.get_untracked());
    let heading = move |i: usize| presenter.headings.with(|h| h.get(i).cloned());
    let note = move |notes: &[Note], h: &str| {
        note_for(notes, h).map_or_else(
            || "No notes for this slide.".to_string(),
            |n| n.text.clone(),
        )
    };
    let now = Memo::new(move |_| {
        let h = presenter.shown().and_then(heading).unwrap_or_default();
        let text = notes.with(|n| note(n, &h));
        (h, text)
    });
    // The lesson's next view, or the next slide, or the first slide of
    // the next chapter.
    let next = Memo::new(move |_| {
        if let Some(l) = presenter.playing.get() {
            return match l.lesson.views.get(l.view + 1) {
                Some(v) => {
                    let chapter = chapter_of(resolve(&v.path)).map_or("", |c| c.title);
                    (
                        format!("View {}: {}", l.view + 2, v.title),
                        format!("{chapter}, slide {}.", v.slide),
                    )
                }
                None => ("The end of the lesson".to_string(), String::new()),
            };
        }
        let (s, n) = (presenter.shown().unwrap_or(0), presenter.count());
        if let Some(h) = heading(s + 1) {
            let text = notes.with(|ns| note(ns, &h));
            return (h, text);
        }
        match slug.get().and_then(|c| target(Action::Next, c, s, n)) {
            Some(Target::NextChapter(c)) => {
                let title =
                    find(c).map_or(String::new(), |c| format!("{} · {}", c.kicker(), c.title));
                let first = notes_of(Some(c));
                let text = first.first().map_or(String::new(), |n| n.text.clone());
                (format!("Next chapter: {title}"), text)
            }
            _ => ("The end of the course".to_string(), String::new()),
        }
    });
    let place = move || {
        if let Some(l) = presenter.playing.get() {
            return format!(
                "{} · view {} of {}",
                l.lesson.title,
                l.view + 1,
                l.lesson.views.len()
            );
        }
        let (s, n) = (presenter.shown().unwrap_or(0), presenter.count());
        let chapter = slug
            .get()
            .and_then(find)
            .map_or(String::new(), |c| c.numbered_title());
        format!("{chapter} · slide {} of {n}", s + 1)
    };
    view! {
        <aside class="speaker-panel" aria-label="Speaker notes" data-testid="speaker-panel">
            <p class="speaker-top">
                <span data-testid="speaker-where">{place}</span>
                <span class="speaker-clock" data-testid="speaker-clock" aria-label="Time since the talk started">
                    {move || clock(presenter.now.get() - started.get())}
                </span>
                <button on:click=move |_| started.set(presenter.now.get_untracked())>"Restart clock"</button>
            </p>
            <Show when=move || presenter.blank.get()>
                <p class="speaker-blank" role="status" data-testid="speaker-blank">
                    "The projector is blank. Press B to show it again."
                </p>
            </Show>
            <h2>"Now"</h2>
            <p class="speaker-heading" data-testid="speaker-now">{move || now.with(|n| n.0.clone())}</p>
            <p class="speaker-note" data-testid="speaker-note">{move || now.with(|n| n.1.clone())}</p>
            <h2>"Next"</h2>
            <p class="speaker-heading" data-testid="speaker-next">{move || next.with(|n| n.0.clone())}</p>
            <p class="speaker-note">{move || next.with(|n| n.1.clone())}</p>
        </aside>
    }
}

crate::loader::split_view!(pub fn speaker_panel(presenter: Presenter) in speaker_view, preload preload_speaker_panel
    => view! { <SpeakerPanel presenter=presenter /> }.into_any());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn notes_are_read_by_heading_and_found_by_its_start() {
        let notes = parse_notes(
            "## Query, key, value\nOpen with a question.\n  Then wait.\n\n## 1 · Tokens\nPoint at X.\n## 10 · Ten\nLater.\n",
        )
        .unwrap_or_default();
        assert_eq!(notes.len(), 3);
        assert_eq!(notes[0].text, "Open with a question. Then wait.");
        assert_eq!(
            note_for(&notes, " 1 · Tokens become vectors: X").map(|n| n.text.as_str()),
            Some("Point at X.")
        );
        assert_eq!(
            note_for(&notes, "10 · Ten more").map(|n| n.heading.as_str()),
            Some("10 · Ten")
        );
        assert_eq!(note_for(&notes, "2 · Other"), None);
        assert!(parse_notes("stray\n## A\nx").is_err());
        assert!(parse_notes("## A\n## B\nx").is_err(), "A has no note");
        assert!(parse_notes("##  \nx").is_err());
        assert_eq!(parse_notes(""), Ok(Vec::new()));
    }

    #[test]
    fn every_chapter_has_a_note_for_each_of_its_slides() {
        for c in crate::chapters::CHAPTERS {
            let text = notes(c.slug).unwrap_or_else(|| panic!("{}: no notes", c.slug));
            let notes = parse_notes(text).unwrap_or_else(|e| panic!("{}: {e}", c.slug));
            assert!(notes.len() >= 3, "{}: {} notes", c.slug, notes.len());
            assert_eq!(
                notes[0].heading, c.title,
                "{}: the first note is the opening",
                c.slug
            );
            for n in &notes {
                assert!(n.text.len() <= 700, "{}: “{}” is long", c.slug, n.heading);
            }
        }
    }

    #[test]
    fn both_windows_share_the_url_without_the_speaker_flag() {
        let q = parse("dk=512&present=3&speaker=1");
        let shared = shared_url("/scaling", &q);
        assert_eq!(shared, "/scaling?dk=512&present=3");
        assert_eq!(
            local_url(&shared, true),
            "/scaling?dk=512&present=3&speaker=1"
        );
        assert_eq!(local_url(&shared, false), shared);
        assert_eq!(shared_url("/qkv", &parse("speaker=1")), "/qkv");
        assert_eq!(local_url("/qkv", true), "/qkv?speaker=1");
    }

    #[test]
    fn messages_round_trip_and_strangers_are_ignored() {
        for m in [
            Message::Go("/qkv?present=2&text=%3Cb%3E".into()),
            Message::Blank(true),
            Message::Blank(false),
        ] {
            assert_eq!(Message::decode(&m.encode()), Some(m));
        }
        for bad in [
            "",
            "go",
            "go https://evil.example/",
            "go //evil.example/x",
            "blank yes",
            "hello /qkv",
        ] {
            assert_eq!(Message::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_clock_reads_minutes_and_seconds() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(-5.0), "0:00");
        assert_eq!(clock(61_999.0), "1:01");
        assert_eq!(clock(3_725_000.0), "1:02:05");
    }
}
