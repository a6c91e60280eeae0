//! Lessons: a teacher's list of views (a chapter, its state and the slide
//! to show), played in presenter mode one view per screen.
//!
//! A lesson travels three ways, all read by the same checks:
//! * as one link, `/lesson?lesson=CODE`: the lesson's text ([`to_text`])
//!   in base64url, or deflated first when that is shorter ([`encode`]);
//! * as a JSON file ([`to_json`], [`from_json`]);
//! * in the browser's local storage (the lesson last edited).
//!
//! A damaged or hand-edited lesson loads what it can: every view that
//! does not name a chapter, has a bad slide or is past the limits is
//! dropped with a note saying which and why ([`Loaded::notes`]).
//!
//! The three ready lessons are text files in this folder, in the same
//! format as the link ([`READY`]). The lesson page is [`page`].

pub mod page;

use crate::chapters::{chapter_of, resolve};
use crate::presenter::is_app_key;
use crate::query::{build, parse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// At most this many views in a lesson.
pub const MAX_VIEWS: usize = 40;
/// Titles are cut to this many characters.
pub const MAX_TITLE: usize = 100;
/// A view's query is at most this long (a long sentence fits).
const MAX_QUERY: usize = 3000;
/// A link's lesson inflates to at most this many bytes.
const MAX_TEXT: usize = 200_000;
/// What the JSON file says it is.
pub const FORMAT: &str = "attention-lab-lesson";

/// One view of a lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub title: String,
    /// A chapter's path, e.g. `/scaling`.
    pub path: String,
    /// The chapter's state, e.g. `dk=512&scale=0` (no app parameters).
    pub query: String,
    /// The slide shown, 1-based.
    pub slide: usize,
}

impl View {
    /// The view as it is played: its chapter and state, presenting its
    /// slide (1-based `present`), with the lesson's parameters `extra`.
    pub fn url(&self, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let state = parse(&self.query);
        pairs.extend(state.iter().map(|(k, v)| (k.as_str(), v.clone())));
        pairs.push(("present", self.slide.to_string()));
        pairs.extend(extra.iter().cloned());
        format!("{}?{}", self.path, build(&pairs))
    }

    /// The view's chapter page, not presented.
    pub fn page_url(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// A lesson: a title and its views, in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Lesson {
    pub title: String,
    pub views: Vec<View>,
}

/// A lesson read from a link, a file or storage, with a note for each
/// thing that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Loaded {
    pub lesson: Lesson,
    pub notes: Vec<String>,
}

/// A title on one line, trimmed and cut to [`MAX_TITLE`] characters.
fn clean_title(raw: &str) -> (String, bool) {
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let t = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = t.chars().count() > MAX_TITLE;
    (t.chars().take(MAX_TITLE).collect(), cut)
}

/// Checks one view read from anywhere: `n` is its number for the notes.
/// The path must be a chapter; app parameters in the query are dropped;
/// the slide is 1 to 999.
fn check_view(n: usize, title: &str, url: &str, slide: Option<i64>) -> Result<View, String> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let Some(chapter) = chapter_of(resolve(path)) else {
        let shown: String = path.chars().take(40).collect();
        return Err(format!(
            "View {n} (“{shown}”) is not a chapter of this course; it was left out."
        ));
    };
    let Some(slide) = slide.filter(|s| (1..=999).contains(s)) else {
        return Err(format!(
            "View {n} has no slide number from 1 to 999; it was left out."
        ));
    };
    if query.len() > MAX_QUERY {
        return Err(format!(
            "View {n}'s settings are longer than {MAX_QUERY} characters; it was left out."
        ));
    }
    let q = parse(query);
    let kept: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| !is_app_key(k))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let (title, _) = clean_title(title);
    Ok(View {
        title: if title.is_empty() {
            chapter.title.to_string()
        } else {
            title
        },
        path: format!("/{}", chapter.slug),
        query: build(&kept),
        slide: slide as usize,
    })
}

/// Keeps the views that pass [`check_view`] (at most [`MAX_VIEWS`]).
fn collect_views(
    items: impl Iterator<Item = Result<View, String>>,
    notes: &mut Vec<String>,
) -> Vec<View> {
    let mut views = Vec::new();
    let mut over = 0;
    for item in items {
        match item {
            Ok(v) if views.len() < MAX_VIEWS => views.push(v),
            Ok(_) => over += 1,
            Err(note) => notes.push(note),
        }
    }
    if over > 0 {
        notes.push(format!(
            "A lesson holds at most {MAX_VIEWS} views; the last {over} were left out."
        ));
    }
    views
}

fn lesson_title(raw: &str, notes: &mut Vec<String>) -> String {
    let (title, cut) = clean_title(raw);
    if cut {
        notes.push(format!(
            "The lesson's title was cut to {MAX_TITLE} characters."
        ));
    }
    if title.is_empty() {
        "Untitled lesson".to_string()
    } else {
        title
    }
}

/// The lesson as text: its title on the first line, then one line a view,
/// `slide path?query title`.
pub fn to_text(lesson: &Lesson) -> String {
    let mut out = clean_title(&lesson.title).0;
    for v in &lesson.views {
        out.push('\n');
        out.push_str(&format!(
            "{} {} {}",
            v.slide,
            v.page_url(),
            clean_title(&v.title).0
        ));
    }
    out
}

/// Reads [`to_text`]'s format, keeping what it can.
pub fn from_text(text: &str) -> Loaded {
    let mut notes = Vec::new();
    let mut lines = text.lines();
    let title = lesson_title(lines.next().unwrap_or_default(), &mut notes);
    let items = lines
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let mut parts = line.trim().splitn(3, ' ');
            let slide = parts.next().and_then(|s| s.parse::<i64>().ok());
            let url = parts.next().unwrap_or_default();
            let title = parts.next().unwrap_or_default();
            check_view(i + 1, title, url, slide)
        });
    let views = collect_views(items, &mut notes);
    Loaded {
        lesson: Lesson { title, views },
        notes,
    }
}

/// The lesson as a link code: `t` + its text in base64url, or `z` + the
/// text deflated, whichever is shorter.
pub fn encode(lesson: &Lesson) -> String {
    let text = to_text(lesson);
    let plain = format!("t{}", URL_SAFE_NO_PAD.encode(text.as_bytes()));
    let packed = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
    let zipped = format!("z{}", URL_SAFE_NO_PAD.encode(packed));
    if zipped.len() < plain.len() {
        zipped
    } else {
        plain
    }
}

/// Reads a link code, keeping what it can; a code that cannot be read at
/// all gives an empty lesson and a note.
pub fn decode(code: &str) -> Loaded {
    let damaged = |why: &str| {
        Loaded {
        lesson: Lesson {
            title: "Untitled lesson".into(),
            views: Vec::new(),
        },
        notes: vec![format!(
            "This lesson link could not be read ({why}), so no views were loaded. Ask for the link again, or load the lesson's file."
        )],
    }
    };
    let code = code.trim();
    let (kind, body) = match code.chars().next() {
        Some(k @ ('t' | 'z')) => (k, code.get(1..).unwrap_or_default()),
        _ => return damaged("it does not start the way a lesson link does"),
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')) else {
        return damaged("some of its characters are not part of a lesson link");
    };
    let bytes = if kind == 'z' {
        match miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_TEXT) {
            Ok(b) => b,
            Err(_) => return damaged("it is cut short or changed"),
        }
    } else {
        bytes
    };
    if bytes.len() > MAX_TEXT {
        return damaged("it is too long");
    }
    let mut loaded = from_text(&String::from_utf8_lossy(&bytes));
    if std::str::from_utf8(&bytes).is_err() {
        loaded.notes.insert(
            0,
            "Some characters of this lesson link were damaged.".into(),
        );
    }
    loaded
}

/// The lesson as a JSON file.
pub fn to_json(lesson: &Lesson) -> String {
    let views: Vec<serde_json::Value> = lesson
        .views
        .iter()
        .map(|v| {
            serde_json::json!({
                "title": v.title,
                "path": v.path,
                "query": v.query,
                "slide": v.slide,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "format": FORMAT,
        "version": 1,
        "title": lesson.title,
        "views": views,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Reads a lesson file, keeping what it can; a file that is not a lesson
/// gives `None` and says why.
pub fn from_json(text: &str) -> Result<Loaded, String> {
    use serde_json::Value;
    if text.len() > MAX_TEXT * 4 {
        return Err("This file is too big to be a lesson.".into());
    }
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("This file is not a lesson: it is not valid JSON ({e})."))?;
    if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(format!(
            "This file is not an Attention Lab lesson (it has no \"format\": \"{FORMAT}\")."
        ));
    }
    let mut notes = Vec::new();
    if doc.get("version").and_then(Value::as_i64) != Some(1) {
        notes.push(
            "This lesson file is from another version; what could be read was loaded.".into(),
        );
    }
    let title = lesson_title(
        doc.get("title").and_then(Value::as_str).unwrap_or_default(),
        &mut notes,
    );
    let empty = Vec::new();
    let list = doc.get("views").and_then(Value::as_array).unwrap_or(&empty);
    let items = list.iter().enumerate().map(|(i, v)| {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
        let url = if s("query").is_empty() {
            s("path").to_string()
        } else {
            format!("{}?{}", s("path"), s("query"))
        };
        check_view(
            i + 1,
            s("title"),
            &url,
            v.get("slide").and_then(Value::as_i64),
        )
    });
    let views = collect_views(items, &mut notes);
    Ok(Loaded {
        lesson: Lesson { title, views },
        notes,
    })
}

/// A lesson that ships with the app.
pub struct Ready {
    /// Its id in links (`/lesson?ready=scaling`).
    pub id: &'static str,
    pub text: &'static str,
}

/// The ready lessons, written for teachers to play as they are or copy.
pub const READY: &[Ready] = &[
    Ready {
        id: "scaling",
        text: include_str!("scaling.txt"),
    },
    Ready {
        id: "bottleneck",
        text: include_str!("bottleneck.txt"),
    },
    Ready {
        id: "position",
        text: include_str!("position.txt"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn view(title: &str, path: &str, query: &str, slide: usize) -> View {
        View {
            title: title.into(),
            path: path.into(),
            query: query.into(),
            slide,
        }
    }

    fn sample() -> Lesson {
        Lesson {
            title: "Why we scale".into(),
            views: vec![
                view("Raw scores spread", "/scaling", "dk=512&scale=0", 2),
                view(
                    "A sentence <b>&amp;</b> “quotes”",
                    "/qkv",
                    "step=4&text=the%20cat%20sat",
                    2,
                ),
                view("The end", "/rnn", "", 1),
            ],
        }
    }

    #[test]
    fn a_lesson_round_trips_through_its_link_text_and_file() {
        let lesson = sample();
        let code = encode(&lesson);
        assert!(
            code.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{code}"
        );
        assert_eq!(
            decode(&code),
            Loaded {
                lesson: lesson.clone(),
                notes: vec![]
            }
        );
        assert_eq!(from_text(&to_text(&lesson)).lesson, lesson);
        let file = to_json(&lesson);
        assert!(
            file.contains("\"format\": \"attention-lab-lesson\""),
            "{file}"
        );
        assert_eq!(
            from_json(&file),
            Ok(Loaded {
                lesson,
                notes: vec![]
            })
        );
    }

    #[test]
    fn long_lessons_are_deflated_and_short_ones_are_not() {
        let short = Lesson {
            title: "A".into(),
            views: vec![view("x", "/qkv", "", 1)],
        };
        assert!(encode(&short).starts_with('t'), "{}", encode(&short));
        let long = Lesson {
            title: "Twenty views".into(),
            views: (0..20)
                .map(|i| {
                    view(
                        &format!("Step {i} of the scaling argument"),
                        "/scaling",
                        &format!("dk={}&scale=0&steps=200", 1 << (i % 10)),
                        2,
                    )
                })
                .collect(),
        };
        let code = encode(&long);
        assert!(code.starts_with('z'), "deflated");
        let plain = URL_SAFE_NO_PAD.encode(to_text(&long)).len();
        assert!(code.len() * 2 < plain, "{} vs {plain}", code.len());
        assert_eq!(decode(&code).lesson, long);
    }

    #[test]
    fn a_damaged_link_loads_nothing_and_says_so() {
        let good = encode(&sample());
        for bad in [
            "".to_string(),
            "x123".into(),
            "t%%%".into(),
            "z".to_string() + &URL_SAFE_NO_PAD.encode(b"not deflate at all"),
            good.get(..good.len() / 2)
                .map(|h| format!("z{}", h.get(1..).unwrap_or_default()))
                .unwrap_or_default(),
        ] {
            let l = decode(&bad);
            assert!(l.lesson.views.is_empty(), "{bad}");
            assert_eq!(l.notes.len(), 1, "{bad}");
            assert!(
                l.notes[0].starts_with("This lesson link could not be read"),
                "{:?}",
                l.notes
            );
        }
        // A bomb is refused, not inflated.
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'a'; MAX_TEXT * 5], 9);
        let l = decode(&format!("z{}", URL_SAFE_NO_PAD.encode(bomb)));
        assert!(l.lesson.views.is_empty() && l.notes.len() == 1);
    }

    #[test]
    fn a_hand_edited_lesson_keeps_its_good_views_and_names_the_rest() {
        let text = "My <i>lesson</i>\n2 /scaling?dk=64 Good one\nx /scaling Bad slide\n3 /nope?a=1 Not a chapter\n0 /qkv Zero\n4 /qkv?present=9&speaker=1&lesson=zz&step=all&embed=2 Keeps its state only\n\n1 /rnn";
        let l = from_text(text);
        assert_eq!(
            l.lesson.title, "My <i>lesson</i>",
            "titles are text, shown as text"
        );
        assert_eq!(
            l.lesson.views,
            vec![
                view("Good one", "/scaling", "dk=64", 2),
                view("Keeps its state only", "/qkv", "step=all", 4),
                view("Why attention replaced RNNs", "/rnn", "", 1),
            ]
        );
        assert_eq!(l.notes.len(), 3, "{:?}", l.notes);
        assert!(
            l.notes[0].starts_with("View 2 has no slide"),
            "{:?}",
            l.notes
        );
        assert!(
            l.notes[1].starts_with("View 3 (“/nope”) is not a chapter"),
            "{:?}",
            l.notes
        );
        assert!(
            l.notes[2].starts_with("View 4 has no slide"),
            "{:?}",
            l.notes
        );
        // Too many views, too long a title.
        let many = format!(
            "{}\n{}",
            "T".repeat(300),
            "1 /qkv v\n".repeat(MAX_VIEWS + 3)
        );
        let l = from_text(&many);
        assert_eq!(l.lesson.views.len(), MAX_VIEWS);
        assert_eq!(l.lesson.title.chars().count(), MAX_TITLE);
        assert_eq!(l.notes.len(), 2, "{:?}", l.notes);
        assert_eq!(from_text("").lesson.title, "Untitled lesson");
    }

    #[test]
    fn files_that_are_not_lessons_are_refused_with_a_reason() {
        assert!(from_json("{").unwrap_err().contains("not valid JSON"));
        assert!(from_json("[1,2]")
            .unwrap_err()
            .contains("not an Attention Lab lesson"));
        assert!(from_json("{\"format\":\"other\"}").is_err());
        let odd = r#"{"format":"attention-lab-lesson","version":7,"title":42,
            "views":[{"title":"ok","path":"/qkv","query":"dk=4","slide":2},
                     {"title":"bad","path":"/qkv","slide":"two"},
                     "not an object",
                     {"path":"/position","slide":1e3}]}"#;
        let l = from_json(odd).unwrap_or_default();
        assert_eq!(l.lesson.title, "Untitled lesson");
        assert_eq!(l.lesson.views, vec![view("ok", "/qkv", "dk=4", 2)]);
        assert_eq!(l.notes.len(), 4, "{:?}", l.notes);
    }

    #[test]
    fn ready_lessons_read_cleanly_and_point_at_chapters() {
        assert_eq!(READY.len(), 3);
        for r in READY {
            let l = from_text(r.text);
            assert!(l.notes.is_empty(), "{}: {:?}", r.id, l.notes);
            assert!((4..=6).contains(&l.lesson.views.len()), "{}", r.id);
            assert_eq!(
                l.lesson.views.len(),
                r.text.trim().lines().count() - 1,
                "{}",
                r.id
            );
            assert!(l.lesson.title.len() > 5);
        }
        let scaling = from_text(READY[0].text);
        assert_eq!(
            scaling.lesson.views.len(),
            5,
            "“Why we scale by √d_k” has five views"
        );
    }

    #[test]
    fn a_played_view_presents_its_slide_with_the_lesson_parameters() {
        let v = view("t", "/scaling", "dk=512&scale=0", 3);
        assert_eq!(
            v.url(&[("lesson", "tABC".into()), ("lv", "2".into())]),
            "/scaling?dk=512&scale=0&present=3&lesson=tABC&lv=2"
        );
        assert_eq!(v.page_url(), "/scaling?dk=512&scale=0");
        assert_eq!(view("t", "/rnn", "", 1).page_url(), "/rnn");
    }
}
