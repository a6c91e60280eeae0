//! Presenter mode: a chapter shown one section per screen for a projector.
//!
//! The slide shown is the URL parameter `present` (1-based; absent means
//! not presenting), so a reload or a bookmark resumes there and every
//! chapter edit keeps it ([`carried`], used by `router::UrlState`). A
//! slide is any element marked `data-slide` (the chapter head, every
//! numbered section, the self-check); what is not a slide (a chapter's
//! shared controls) stays on every screen, live.
//!
//! Keys (what clicker remotes send): Right / PageDown / Space next,
//! Left / PageUp / Shift+Space back, Home / End, `B` blanks the screen,
//! `Esc` leaves, `P` enters. Past the last slide the next chapter starts;
//! before the first, the previous chapter's last slide.
//!
//! Embedding: `?embed=N` shows section N alone (no header, navigation or
//! other sections) for an iframe in a course page or a slide deck;
//! `&controls=0` hides its controls for a read-only figure. The presenter
//! bar offers the `<iframe>` code of the slide shown ([`embed_code`]).
//!
//! The speaker view ([`speaker`]) is a second window on the same view,
//! with the next slide and the teacher's notes, kept in step with the
//! projector.
//!
//! The decisions are plain functions ([`action_for`], [`target`],
//! [`embed_code`]), tested natively; [`use_presenter`] wires them to the
//! keyboard and paints the slides (an effect that only sets classes).
//! The bar ([`PresenterBar`]) loads its code when presenting starts.

pub mod speaker;

use crate::chapters::{Chapter, CHAPTERS};
use crate::query::{build, FlagParam, IntParam, Notes, Query};
use crate::router::Router;
use leptos::prelude::*;

/// How often the slides are repainted while presenting.
const REPAINT_MS: f64 = 300.0;

/// The slide shown, 1-based.
pub const PRESENT: IntParam = IntParam::new("present", "slide", 1, 999, 1);
/// The one section shown in an iframe, 1-based.
pub const EMBED: IntParam = IntParam::new("embed", "embedded section", 1, 999, 1);
/// One figure (chart or matrix) of the embedded section alone, 1-based.
pub const FIGURE: IntParam = IntParam::new("figure", "embedded figure", 1, 99, 1);
/// `0`: an embedded section without its controls.
pub const CONTROLS: FlagParam = FlagParam::new("controls", "controls", true);

/// The lesson played (its link code, [`crate::lessons::encode`]).
pub const LESSON: &str = "lesson";
/// The view of the lesson played, 1-based.
pub const LESSON_VIEW: IntParam = IntParam::new("lv", "lesson view", 1, 999, 1);

/// The app-level parameters every chapter edit keeps.
const APP_KEYS: [&str; 7] = [
    PRESENT.key,
    EMBED.key,
    FIGURE.key,
    CONTROLS.key,
    speaker::SPEAKER.key,
    LESSON,
    LESSON_VIEW.key,
];

/// Whether `key` is one of the app's parameters, not a chapter's.
pub fn is_app_key(key: &str) -> bool {
    APP_KEYS.contains(&key)
}

/// A lesson being played in presenter mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Playing {
    /// The lesson's link code.
    pub code: String,
    pub lesson: crate::lessons::Lesson,
    /// The view shown, 0-based.
    pub view: usize,
}

impl Playing {
    /// The lesson played in a query, if any (only while presenting; a
    /// lesson without views plays nothing), given its link code read
    /// ([`crate::lessons::decode`], whose code loads on demand:
    /// [`use_presenter`]).
    pub fn of(q: &Query, code: &str, lesson: crate::lessons::Lesson) -> Option<Playing> {
        if lesson_code(q)? != code {
            return None;
        }
        let last = lesson.views.len().checked_sub(1)?;
        let view = slide_param(q, LESSON_VIEW).unwrap_or(0).min(last);
        Some(Playing {
            code: code.to_string(),
            lesson,
            view,
        })
    }

    /// The URL of view `i` (0-based), keeping the speaker flag of `q`.
    pub fn url_of(&self, i: usize, q: &Query) -> Option<String> {
        let v = self.lesson.views.get(i)?;
        let mut extra = vec![(LESSON, self.code.clone()), LESSON_VIEW.pair(i + 1)];
        if let Some(s) = q.get(speaker::SPEAKER.key) {
            extra.push((speaker::SPEAKER.key, s.clone()));
        }
        Some(v.url(&extra))
    }

    /// The lesson's own page.
    pub fn page_url(&self) -> String {
        format!("/lesson?{}", build(&[(LESSON, self.code.clone())]))
    }
}

/// The link code of the lesson a query plays, if any (only while presenting).
pub fn lesson_code(q: &Query) -> Option<&String> {
    slide_of(q)?;
    q.get(LESSON)
}

/// The view a paging action leads to in a lesson of `len` views, from
/// view `view` (`None`: nowhere, or not a paging action).
pub fn lesson_target(action: Action, view: usize, len: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    match action {
        Action::Next => (view < last).then_some(view + 1),
        Action::Prev => view.checked_sub(1),
        Action::First => Some(0),
        Action::Last => Some(last),
        Action::Enter | Action::Exit | Action::Blank => None,
    }
}

/// The 0-based slide of `param` in a query, `None` when absent. A value
/// that is not a number starts at the first slide; one past the end is
/// clamped when shown ([`shown_slide`]).
fn slide_param(q: &Query, param: IntParam) -> Option<usize> {
    let raw = q.get(param.key)?;
    let v = param
        .clamp_text(raw)
        .map_or(0, |v| usize::try_from(v).unwrap_or(0));
    Some(v.saturating_sub(1))
}

/// The 0-based slide presented, `None` when not presenting.
pub fn slide_of(q: &Query) -> Option<usize> {
    slide_param(q, PRESENT)
}

/// The 0-based section embedded, `None` when not embedded.
pub fn embed_of(q: &Query) -> Option<usize> {
    slide_param(q, EMBED)
}

/// How the page is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Page,
    /// Presenting slide `n` (0-based).
    Present(usize),
    /// Section `n` alone, with or without its controls; or only its
    /// figure `f` (0-based).
    Embed(usize, bool, Option<usize>),
}

impl Mode {
    /// The mode of a query (embedding wins over presenting).
    pub fn of(q: &Query) -> Mode {
        match (embed_of(q), slide_of(q)) {
            (Some(e), _) => Mode::Embed(
                e,
                CONTROLS.read(&mut Notes::default(), q),
                slide_param(q, FIGURE),
            ),
            (None, Some(s)) => Mode::Present(s),
            (None, None) => Mode::Page,
        }
    }

    fn slide(self) -> Option<usize> {
        match self {
            Mode::Page => None,
            Mode::Present(s) | Mode::Embed(s, _, _) => Some(s),
        }
    }
}

/// What an `<iframe>` shows: a slide (0-based), or one of its figures
/// (0-based), with or without the controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Embedded {
    pub slide: usize,
    pub figure: Option<usize>,
    pub controls: bool,
}

/// The `<iframe>` that embeds `what` of the page at `origin` + `path` with
/// its state `q` (without presenter mode); `title` names it for screen
/// readers.
pub fn embed_code(origin: &str, path: &str, q: &Query, what: Embedded, title: &str) -> String {
    let Embedded {
        slide,
        figure,
        controls,
    } = what;
    let mut pairs: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| !APP_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    pairs.push(EMBED.pair(slide + 1));
    if let Some(f) = figure {
        pairs.push(FIGURE.pair(f + 1));
    }
    if !controls {
        pairs.push(CONTROLS.pair(false));
    }
    let attr = |t: &str| {
        t.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    format!(
        "<iframe src=\"{}{}?{}\" title=\"{}\" width=\"100%\" height=\"640\" style=\"border:0\" loading=\"lazy\"></iframe>",
        attr(origin),
        attr(path),
        attr(&build(&pairs)),
        attr(title)
    )
}

/// The large type's base size (CSS px) that presenting starts from.
pub const PRESENT_BASE_PX: f64 = 22.0;

/// How much larger than large type a presented slide is on a window of
/// `w` x `h` CSS pixels, so that it fills a projector: type about 1/64 of
/// the width and at most 1/38 of the height (16:9 and 4:3 alike), never
/// smaller than large type, at most 1.6 times it.
pub fn present_zoom(w: f64, h: f64) -> f64 {
    let base = (w / 64.0).min(h / 38.0);
    if w.is_finite() && h.is_finite() && base > 0.0 {
        (base / PRESENT_BASE_PX).clamp(1.0, 1.6)
    } else {
        1.0
    }
}

/// The slide actually shown out of `count`.
pub fn shown_slide(slide: usize, count: usize) -> usize {
    slide.min(count.saturating_sub(1))
}

/// The app-level part of a query that chapter edits must keep
/// (`present`, `embed`, `controls`, `speaker`), if any.
pub fn carried(q: &Query) -> Option<String> {
    let kept: Vec<(&str, String)> = APP_KEYS
        .iter()
        .filter_map(|k| q.get(*k).map(|v| (*k, v.clone())))
        .collect();
    (!kept.is_empty()).then(|| build(&kept))
}

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Enter,
    Exit,
    Next,
    Prev,
    First,
    Last,
    Blank,
}

/// Where a key went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The page (or anything that is not a control).
    Page,
    /// A button: Space is its own, the arrows are not.
    Button,
    /// A text field, a slider or a menu: every key but `Esc` and the page
    /// keys is its own.
    Field,
}

/// The action of `key` (a `KeyboardEvent.key`) with the focus `focus`, or
/// `None` (the key is the control's, or nobody's).
pub fn action_for(key: &str, shift: bool, presenting: bool, focus: Focus) -> Option<Action> {
    if !presenting {
        return (focus != Focus::Field && (key == "p" || key == "P")).then_some(Action::Enter);
    }
    match key {
        "Escape" => Some(Action::Exit),
        "PageDown" => Some(Action::Next),
        "PageUp" => Some(Action::Prev),
        _ if focus == Focus::Field => None,
        " " | "Spacebar" if focus == Focus::Button => None,
        "ArrowRight" => Some(Action::Next),
        "ArrowLeft" => Some(Action::Prev),
        " " | "Spacebar" => Some(if shift { Action::Prev } else { Action::Next }),
        "Home" => Some(Action::First),
        "End" => Some(Action::Last),
        "b" | "B" => Some(Action::Blank),
        _ => None,
    }
}

/// Where a paging action leads from slide `slide` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Slide(usize),
    /// The first slide of the chapter after this one.
    NextChapter(&'static str),
    /// The last slide of the chapter before this one.
    PrevChapter(&'static str),
    /// Nowhere (the first slide of the first chapter, the last of the last).
    Stay,
}

/// The target of a paging action in chapter `slug` (`None` for an action
/// that does not page).
pub fn target(action: Action, slug: &str, slide: usize, count: usize) -> Option<Target> {
    let last = count.saturating_sub(1);
    let slide = shown_slide(slide, count);
    let at = CHAPTERS.iter().position(|c| c.slug == slug);
    let neighbour = |d: isize| -> Option<&'static Chapter> {
        at.and_then(|i| i.checked_add_signed(d))
            .and_then(|i| CHAPTERS.get(i))
    };
    Some(match action {
        Action::Next if slide < last => Target::Slide(slide + 1),
        Action::Next => neighbour(1).map_or(Target::Stay, |c| Target::NextChapter(c.slug)),
        Action::Prev if slide > 0 => Target::Slide(slide - 1),
        Action::Prev => neighbour(-1).map_or(Target::Stay, |c| Target::PrevChapter(c.slug)),
        Action::First => Target::Slide(0),
        Action::Last => Target::Slide(last),
        Action::Enter | Action::Exit | Action::Blank => return None,
    })
}

/// The current path and query with `present` set to `slide` (0-based), or
/// removed for `None`.
pub fn url_with(path: &str, q: &Query, slide: Option<usize>) -> String {
    let mut pairs: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| k.as_str() != PRESENT.key)
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(s) = slide {
        pairs.push((PRESENT.key, (s + 1).to_string()));
    }
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", build(&pairs))
    }
}

/// Shows slide `slide` (0-based) of the current page, or leaves presenter
/// mode (`None`), keeping the chapter's state.
pub fn go_to(router: Router, slide: Option<usize>) {
    let url = url_with(&router.path(), &router.query(), slide);
    router.navigate(&url, true);
}

/// Slide `present` (1-based) of chapter `slug`, keeping the speaker flag
/// of `q`.
pub fn chapter_url(slug: &str, present: usize, q: &Query) -> String {
    let mut pairs = vec![PRESENT.pair(present)];
    if let Some(v) = q.get(speaker::SPEAKER.key) {
        pairs.push((speaker::SPEAKER.key, v.clone()));
    }
    format!("/{slug}?{}", build(&pairs))
}

/// Presenter mode's state for the shell.
#[derive(Clone, Copy)]
pub struct Presenter {
    /// The 0-based slide asked for, `None` when not presenting.
    pub slide: Memo<Option<usize>>,
    pub mode: Memo<Mode>,
    /// This window is the speaker view.
    pub speaker: Memo<bool>,
    /// The lesson played, if any.
    pub playing: Memo<Option<Playing>>,
    /// The headings of the page's slides (read when they are painted).
    pub headings: RwSignal<Vec<String>>,
    /// The projector is blanked.
    pub blank: RwSignal<bool>,
    /// The time now (ms), ticking while presenting, for the speaker's clock.
    pub now: RwSignal<f64>,
    channel: StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>,
}

impl Presenter {
    pub fn presenting(&self) -> bool {
        self.slide.get().is_some()
    }

    /// Slides on the page.
    pub fn count(&self) -> usize {
        self.headings.with(Vec::len)
    }

    /// The slide shown (0-based), clamped to the page's slides.
    pub fn shown(&self) -> Option<usize> {
        let n = self.count();
        self.slide.get().map(|s| shown_slide(s, n))
    }

    /// Blanks the projector (or shows it again), in both windows.
    pub fn set_blank(&self, on: bool) {
        self.blank.set(on);
        self.post(&speaker::Message::Blank(on));
    }

    fn post(&self, m: &speaker::Message) {
        self.channel.with_value(|c| {
            if let Some(c) = c {
                let _ = c.post_message(&wasm_bindgen::JsValue::from_str(&m.encode()));
            }
        });
    }
}

/// Where a key event went.
fn focus_of(ev: &web_sys::KeyboardEvent) -> Focus {
    use wasm_bindgen::JsCast;
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return Focus::Page;
    };
    let within = |sel: &str| el.closest(sel).ok().flatten().is_some();
    if within("input, textarea, select, [contenteditable], [role=slider]") {
        Focus::Field
    } else if within("button, summary, a") {
        Focus::Button
    } else {
        Focus::Page
    }
}

/// The page's slides, in document order.
fn slides() -> Vec<web_sys::Element> {
    use wasm_bindgen::JsCast;
    let Some(list) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all("main [data-slide]").ok())
    else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .collect()
}

/// The slide at the top of the window (0-based) and its heading: the last
/// one whose top is above a quarter of the window's height.
pub fn slide_in_view() -> Option<(usize, String)> {
    let h = web_sys::window()?.inner_height().ok()?.as_f64()?;
    let all = slides();
    let i = all
        .iter()
        .rposition(|el| el.get_bounding_client_rect().top() <= h / 4.0)
        .unwrap_or(0);
    Some((i, heading_of(all.get(i)?)))
}

/// The figures (charts and matrices) of a slide, in document order.
fn figures_of(slide: &web_sys::Element) -> Vec<web_sys::Element> {
    use wasm_bindgen::JsCast;
    let Ok(list) = slide.query_selector_all("figure.chart, figure.heatmap") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .collect()
}

/// What each figure of slide `slide` (0-based) shows: its canvas's label.
fn figure_labels(slide: usize) -> Vec<String> {
    slides()
        .get(slide)
        .map(|s| {
            figures_of(s)
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let label = f
                        .query_selector("canvas")
                        .ok()
                        .flatten()
                        .and_then(|c| c.get_attribute("aria-label"))
                        .unwrap_or_default();
                    let short: String = label.chars().take(70).collect();
                    format!("Figure {}: {short}", i + 1)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A slide's heading (its first `h1`/`h2`, else its label).
fn heading_of(el: &web_sys::Element) -> String {
    el.query_selector("h1, h2")
        .ok()
        .flatten()
        .and_then(|h| h.text_content())
        .or_else(|| el.get_attribute("aria-label"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Shows the slide of `mode` (all of the page for [`Mode::Page`]); for an
/// embed, everything around the slide is hidden too; in the speaker view
/// the next slide is shown as a preview. Returns the slides' headings.
fn paint_slides(mode: Mode, speaker: bool) -> Vec<String> {
    use wasm_bindgen::JsCast;
    let all = slides();
    let shown = mode.slide().map(|s| shown_slide(s, all.len()));
    let next = shown
        .map(|s| s + 1)
        .filter(|_| speaker && matches!(mode, Mode::Present(_)));
    for (i, el) in all.iter().enumerate() {
        let classes = el.class_list();
        let _ = classes.toggle_with_force("slide-current", shown == Some(i));
        let is_next = next == Some(i);
        let _ = classes.toggle_with_force("slide-next", is_next);
        // The preview is a picture of the next slide, not a second set of
        // controls.
        let _ = if is_next {
            el.set_attribute("inert", "")
        } else {
            el.remove_attribute("inert")
        };
    }
    let headings = all.iter().map(heading_of).collect();
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return headings;
    };
    if let Ok(old) = doc.query_selector_all(".embed-hidden") {
        for el in (0..old.length())
            .filter_map(|i| old.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        {
            let _ = el.class_list().remove_1("embed-hidden");
        }
    }
    if let (Mode::Embed(_, _, figure), Some(slide)) = (mode, shown.and_then(|i| all.get(i))) {
        // Hide the siblings of the slide (or of its one figure) and of
        // each of their ancestors up to <main>, but for the chapter's
        // shared controls.
        let current = figure
            .and_then(|f| figures_of(slide).into_iter().nth(f))
            .unwrap_or_else(|| slide.clone());
        let mut el = current;
        while let Some(parent) = el.parent_element() {
            let children = parent.children();
            for c in (0..children.length()).filter_map(|i| children.item(i)) {
                // A chapter's shared controls stay (unless `controls=0`).
                if c != el && !c.class_list().contains("controls") {
                    let _ = c.class_list().add_1("embed-hidden");
                }
            }
            if parent.tag_name().eq_ignore_ascii_case("main") {
                break;
            }
            el = parent;
        }
    }
    if let Some(root) = doc.document_element() {
        let classes = root.class_list();
        let presenting = matches!(mode, Mode::Present(_));
        let _ = classes.toggle_with_force("presenting", presenting);
        let _ = classes.toggle_with_force("speaker", presenting && speaker);
        let _ = classes.toggle_with_force("embedded", matches!(mode, Mode::Embed(..)));
        let _ = classes.toggle_with_force("no-controls", matches!(mode, Mode::Embed(_, false, _)));
    }
    headings
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Opens the channel to the other window: a view it posts is shown here
/// (while presenting), and so is its blanking. Returns the channel and
/// the last view that came from it (so it is not posted back).
fn listen(
    router: Router,
    blank: RwSignal<bool>,
    incoming: StoredValue<Option<String>, LocalStorage>,
) -> Option<web_sys::BroadcastChannel> {
    use wasm_bindgen::{closure::Closure, JsCast};
    let channel = web_sys::BroadcastChannel::new(speaker::CHANNEL).ok()?;
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(m) = ev
                .data()
                .as_string()
                .and_then(|d| speaker::Message::decode(&d))
            else {
                return;
            };
            let Some((path, q)) = router.peek() else {
                return;
            };
            let is_speaker = speaker::SPEAKER.read(&mut Notes::default(), &q);
            // Only a window that presents follows the other one.
            if slide_of(&q).is_none() && !is_speaker {
                return;
            }
            match m {
                speaker::Message::Blank(on) => {
                    blank.try_set(on);
                }
                speaker::Message::Go(url) => {
                    if speaker::shared_url(&path, &q) != url {
                        incoming.try_set_value(Some(url.clone()));
                        router.navigate(&speaker::local_url(&url, is_speaker), true);
                    }
                }
            }
        });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The channel lives as long as the page.
    on_message.forget();
    Some(channel)
}

/// Does what `action` asks: enter or leave presenter mode, blank, or page
/// (through the lesson played, else through the slides and chapters).
pub fn turn(router: Router, p: Presenter, action: Action) {
    let Some((path, q)) = router.peek() else {
        return;
    };
    let now = slide_of(&q);
    let playing = p.playing.get_untracked();
    match action {
        Action::Enter => go_to(router, Some(0)),
        // Leaving a lesson goes back to the lesson's page.
        Action::Exit => match playing {
            Some(l) => router.navigate(&l.page_url(), false),
            None => go_to(router, None),
        },
        Action::Blank => p.set_blank(!p.blank.get_untracked()),
        paging => {
            if p.blank.get_untracked() {
                p.set_blank(false);
            }
            if let Some(l) = playing {
                if let Some(url) = lesson_target(paging, l.view, l.lesson.views.len())
                    .and_then(|i| l.url_of(i, &q))
                {
                    router.navigate(&url, false);
                }
                return;
            }
            let n = paint_slides(Mode::Present(now.unwrap_or(0)), false).len();
            match target(paging, path.trim_matches('/'), now.unwrap_or(0), n) {
                Some(Target::Slide(s)) => go_to(router, Some(s)),
                Some(Target::NextChapter(next)) => {
                    router.navigate(&chapter_url(next, 1, &q), false);
                }
                Some(Target::PrevChapter(prev)) => {
                    router.navigate(&chapter_url(prev, PRESENT.max as usize, &q), false);
                }
                Some(Target::Stay) | None => {}
            }
        }
    }
}

/// Wires presenter mode: the keys, and the slides painted whenever the
/// slide or the page changes (and once more on the next frames, when a
/// chapter's later parts have rendered); the speaker view's channel.
pub fn use_presenter(router: Router) -> Presenter {
    let mode = Memo::new(move |_| Mode::of(&router.query()));
    let slide = Memo::new(move |_| match mode.get() {
        Mode::Present(s) => Some(s),
        _ => None,
    });
    let is_speaker =
        Memo::new(move |_| speaker::SPEAKER.read(&mut Notes::default(), &router.query()));
    // The lesson played: its link is read by code loaded on demand (the
    // lesson codec is not in the shell), so `playing` follows once it is.
    let code = Memo::new(move |_| lesson_code(&router.query()).cloned());
    let read = LocalResource::new(move || {
        let code = code.get();
        async move {
            let code = code?;
            let lesson = crate::lessons::page::read_link(code.clone()).await.ok()?;
            Some((code, lesson))
        }
    });
    let playing = Memo::new(move |_| {
        let (code, lesson) = read.get().flatten()?;
        Playing::of(&router.query(), &code, lesson)
    });
    // The speaker sees the next slide, unless a lesson decides what is next.
    let preview = Memo::new(move |_| is_speaker.get() && playing.with(Option::is_none));
    let headings = RwSignal::new(Vec::<String>::new());
    let blank = RwSignal::new(false);
    let incoming = StoredValue::new_local(None::<String>);
    let p = Presenter {
        slide,
        mode,
        speaker: is_speaker,
        playing,
        headings,
        blank,
        now: RwSignal::new(now_ms()),
        channel: StoredValue::new_local(listen(router, blank, incoming)),
    };
    // While presenting, the slides are painted a few times a second:
    // sections render late (models loading, `Show`s) and a chapter change
    // brings new ones.
    let active = RwSignal::new(false);
    let repaint = move |m: Mode, speaker: bool| {
        let h = paint_slides(m, speaker);
        if headings.with_untracked(|old| *old != h) {
            headings.set(h);
        }
    };
    // The effect only paints (classes on the slides), reads the headings
    // it painted, and starts or stops the repaint loop.
    Effect::new(move |_| {
        let (m, s, sp, _path) = (mode.get(), slide.get(), preview.get(), router.path());
        repaint(m, sp);
        if s.is_some() {
            // A new slide starts at its top.
            if let Some(w) = web_sys::window() {
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
        if m == Mode::Page {
            blank.set(false);
            active.set(false);
        } else if !active.get_untracked() {
            active.set(true);
            crate::frames::every(active, REPAINT_MS, move || {
                repaint(mode.try_get_untracked()?, preview.try_get_untracked()?);
                p.now.try_set(now_ms());
                Some(())
            });
        }
    });
    // A section whose code arrived late is a new slide: paint at once, not
    // on the next round.
    let on_ready = window_event_listener_untyped(crate::loader::READY_EVENT, move |_| {
        if let (Some(m), Some(sp)) = (mode.try_get_untracked(), preview.try_get_untracked()) {
            if m != Mode::Page {
                repaint(m, sp);
            }
        }
    });
    on_cleanup(move || on_ready.remove());
    // A view changed here goes to the other window, unless it came from
    // there; so does leaving presenter mode.
    Effect::new(move |was_presenting: Option<bool>| {
        let url = speaker::shared_url(&router.path(), &router.query());
        let presenting = slide.get().is_some();
        let echo = incoming.with_value(|i| i.as_deref() == Some(url.as_str()));
        if echo {
            incoming.set_value(None);
        } else if presenting || was_presenting == Some(true) {
            p.post(&speaker::Message::Go(url));
        }
        presenting
    });
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let Some(now) = slide.try_get_untracked() else {
            return;
        };
        if matches!(mode.get_untracked(), Mode::Embed(..)) {
            return;
        }
        let Some(action) = action_for(&ev.key(), ev.shift_key(), now.is_some(), focus_of(&ev))
        else {
            return;
        };
        ev.prevent_default();
        turn(router, p, action);
    });
    on_cleanup(move || handle.remove());
    p
}

/// Opens the speaker view of the current view in a second window; `false`
/// when the browser blocked it.
fn open_speaker_window(router: Router) -> bool {
    let url = speaker::local_url(&speaker::shared_url(&router.path(), &router.query()), true);
    web_sys::window()
        .and_then(|w| {
            w.open_with_url_and_target_and_features(
                &url,
                "attention-lab-speaker",
                "popup,width=1280,height=800",
            )
            .ok()
            .flatten()
        })
        .is_some()
}

/// The bar at the bottom of a presented chapter: where we are, and buttons
/// for a mouse or a touch screen. Its code (the bar, the embed panel, the
/// speaker window) is behind a split point: fetched when presenting starts
/// or the Present button is pointed at ([`prefetch_bar`]), not with the
/// shell every page loads. The keys work without it.
#[component]
pub fn PresenterBar(presenter: Presenter, title: Signal<String>) -> impl IntoView {
    view! {
        <Show when=move || presenter.presenting()>
            // While its code loads (or if it cannot), the message stands
            // where the bar will be.
            <div class="present-bar-slot">
                <crate::loader::Lazy
                    load=move || Box::pin(bar(presenter, title)) as crate::loader::PageFuture
                    name="The presenter's controls".to_string()
                    loading="Loading the presenter's controls…".to_string()
                />
            </div>
        </Show>
    }
}

crate::loader::split_view!(fn bar(presenter: Presenter, title: Signal<String>) in presenter_bar, preload preload_bar
    => view! { <Bar presenter=presenter title=title /> }.into_any());

/// Fetches the presenter bar's code (when presenting is near).
pub fn prefetch_bar() {
    crate::loader::fetch_ahead("the presenter bar", preload_bar());
}

/// [`PresenterBar`]'s content, shown while presenting.
#[component]
fn Bar(presenter: Presenter, title: Signal<String>) -> impl IntoView {
    let router = Router::get();
    let position = move || {
        if let Some(l) = presenter.playing.get() {
            let n = l.lesson.views.len();
            let title = l
                .lesson
                .views
                .get(l.view)
                .map_or("", |v| v.title.as_str())
                .to_string();
            return (
                l.lesson.title.clone(),
                format!("\u{a0}· view {} of {n}: {title}", l.view + 1),
            );
        }
        let n = presenter.count();
        presenter
            .shown()
            .map(|s| (title.get(), format!("\u{a0}· slide {} of {n}", s + 1)))
            .unwrap_or_default()
    };
    let step = move |action: Action| turn(router, presenter, action);
    let embed_open = RwSignal::new(false);
    let with_controls = RwSignal::new(true);
    let copied = RwSignal::new("Copy");
    let blocked = RwSignal::new(false);
    // The slide's figures, read from the page when the panel opens (and
    // again when the slide or its parts change).
    let figures = Memo::new(move |_| {
        if !embed_open.get() {
            return Vec::new();
        }
        presenter.headings.track();
        presenter.shown().map(figure_labels).unwrap_or_default()
    });
    let picked = RwSignal::new(None::<usize>);
    let figure = move || picked.get().filter(|f| *f < figures.with(Vec::len));
    let code = move || {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let what = Embedded {
            slide: presenter.shown().unwrap_or(0),
            figure: figure(),
            controls: with_controls.get(),
        };
        embed_code(&origin, &router.path(), &router.query(), what, &title.get())
    };
    let copy = move |_| {
        if let Some(c) = web_sys::window().map(|w| w.navigator().clipboard()) {
            let _ = c.write_text(&code());
            copied.set("Copied");
        }
    };
    let speaker = move || presenter.speaker.get();
    view! {
            <div class="present-bar" role="navigation" aria-label="Presentation">
                <button data-testid="present-prev" on:click=move |_| step(Action::Prev)>"◀ Back"</button>
                <span class="present-where" data-testid="present-where" aria-live="polite">
                    // The name gives way on a narrow screen; where we are does not.
                    <span class="where-name">{move || position().0}</span>
                    <span class="where-place">{move || position().1}</span>
                </span>
                <button data-testid="present-next" on:click=move |_| step(Action::Next)>"Next ▶"</button>
                <Show
                    when=speaker
                    fallback=move || {
                        view! {
                            <button data-testid="present-speaker" title="Open a second window with the next slide and your notes" on:click=move |_| blocked.set(!open_speaker_window(router))>
                                "Speaker view"
                            </button>
                        }
                    }
                >
                    <button data-testid="present-blank" aria-pressed=move || presenter.blank.get().to_string() on:click=move |_| presenter.set_blank(!presenter.blank.get_untracked())>
                        "Blank (B)"
                    </button>
                </Show>
                <Show when=move || presenter.playing.with(Option::is_none)>
                    <crate::lessons::page::AddToLesson presenter=presenter />
                </Show>
                <button data-testid="present-embed" aria-expanded=move || embed_open.get().to_string() on:click=move |_| embed_open.update(|o| *o = !*o)>
                    "Embed…"
                </button>
                <button data-testid="present-exit" on:click=move |_| step(Action::Exit) title="Leave presenter mode (Esc)">"Leave"</button>
            </div>
            <Show when=move || blocked.get()>
                <p class="present-blocked" role="alert">
                    "The browser blocked the second window. Allow pop-ups for this site, then press Speaker view again."
                </p>
            </Show>
            <Show when=move || embed_open.get()>
                <div class="embed-panel" role="dialog" aria-label="Embed this section">
                    <p>"Paste this into a course page, a blog or a slide deck: it shows this section (or one of its figures) alone, live, with its current settings."</p>
                    <label class="control">
                        <span>"What to embed"</span>
                        <select data-testid="embed-what" on:change=move |ev| picked.set(event_target_value(&ev).parse::<usize>().ok())>
                            <option value="" selected=move || figure().is_none()>"The whole section"</option>
                            {move || {
                                figures
                                    .get()
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, label)| view! { <option value=i.to_string() selected=move || figure() == Some(i)>{label}</option> })
                                    .collect_view()
                            }}
                        </select>
                    </label>
                    <label class="control toggle">
                        <input type="checkbox" data-testid="embed-no-controls" prop:checked=move || !with_controls.get() on:change=move |ev| with_controls.set(!event_target_checked(&ev)) />
                        "Hide the controls (a read-only figure)"
                    </label>
                    <textarea data-testid="embed-code" readonly rows="4" aria-label="Embed code" prop:value=code></textarea>
                    <button data-testid="embed-copy" on:click=copy>{move || copied.get()}</button>
                </div>
            </Show>
            // The speaker's own screen is never blanked; its panel says so.
            <Show when=move || presenter.blank.get() && !speaker()>
                <div class="blank-screen" data-testid="blank" on:click=move |_| presenter.set_blank(false)></div>
            </Show>
            <Show when=speaker>
                <crate::loader::Lazy
                    load=move || Box::pin(speaker::speaker_panel(presenter)) as crate::loader::PageFuture
                    name="The speaker view".to_string()
                    loading="Loading the speaker view…".to_string()
                />
            </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn the_slide_comes_from_the_link() {
        assert_eq!(slide_of(&parse("dk=4")), None);
        assert_eq!(slide_of(&parse("present=3&dk=4")), Some(2));
        assert_eq!(slide_of(&parse("present=")), Some(0));
        assert_eq!(
            slide_of(&parse("present=%3Cb%3E")),
            Some(0),
            "garbage starts at slide 1"
        );
        assert_eq!(slide_of(&parse("present=0")), Some(0));
        assert_eq!(slide_of(&parse("present=1e9")), Some(998));
        assert_eq!(
            (shown_slide(998, 7), shown_slide(2, 7), shown_slide(0, 0)),
            (6, 2, 0)
        );
        assert_eq!(
            carried(&parse("present=3&dk=4")).as_deref(),
            Some("present=3")
        );
        assert_eq!(carried(&parse("dk=4")), None);
    }

    #[test]
    fn keys_map_to_actions_and_controls_keep_theirs() {
        use Action::*;
        use Focus::*;
        assert_eq!(action_for("p", false, false, Page), Some(Enter));
        assert_eq!(action_for("P", false, false, Button), Some(Enter));
        assert_eq!(
            action_for("p", false, false, Field),
            None,
            "typing a p in a field"
        );
        assert_eq!(
            action_for("ArrowRight", false, false, Page),
            None,
            "not presenting"
        );
        for (key, shift, want) in [
            ("ArrowRight", false, Next),
            ("PageDown", false, Next),
            (" ", false, Next),
            ("ArrowLeft", false, Prev),
            ("PageUp", false, Prev),
            (" ", true, Prev),
            ("Home", false, First),
            ("End", false, Last),
            ("b", false, Blank),
            ("Escape", false, Exit),
        ] {
            assert_eq!(action_for(key, shift, true, Page), Some(want), "{key:?}");
        }
        // On a slider the arrows move the slider; Space presses a button,
        // but a focused button leaves the arrows to the presentation.
        assert_eq!(action_for("ArrowRight", false, true, Field), None);
        assert_eq!(action_for("ArrowRight", false, true, Button), Some(Next));
        assert_eq!(action_for(" ", false, true, Button), None);
        assert_eq!(action_for(" ", false, true, Field), None);
        assert_eq!(
            action_for("PageDown", false, true, Field),
            Some(Next),
            "clickers"
        );
        assert_eq!(action_for("Escape", false, true, Field), Some(Exit));
        assert_eq!(action_for("x", false, true, Page), None);
    }

    #[test]
    fn a_slide_fills_big_screens_and_keeps_large_type_on_small_ones() {
        assert_eq!(
            present_zoom(1024.0, 768.0),
            1.0,
            "4:3 projector: large type"
        );
        assert_eq!(present_zoom(1280.0, 720.0), 1.0);
        let hd = present_zoom(1920.0, 1080.0);
        assert!(
            (hd - 1080.0 / 38.0 / 22.0).abs() < 1e-12,
            "{hd}: the height decides"
        );
        let four_three = present_zoom(1600.0, 1200.0);
        assert!(
            (four_three - 1600.0 / 64.0 / 22.0).abs() < 1e-12,
            "{four_three}: the width decides"
        );
        assert_eq!(present_zoom(3840.0, 2160.0), 1.6);
        assert_eq!(present_zoom(f64::NAN, 900.0), 1.0);
        assert_eq!(present_zoom(0.0, 0.0), 1.0);
    }

    #[test]
    fn paging_runs_through_the_chapters_in_order() {
        let first = CHAPTERS.first().map(|c| c.slug).unwrap_or_default();
        let second = CHAPTERS.get(1).map(|c| c.slug).unwrap_or_default();
        let last = CHAPTERS.last().map(|c| c.slug).unwrap_or_default();
        assert_eq!(target(Action::Next, first, 0, 5), Some(Target::Slide(1)));
        assert_eq!(
            target(Action::Next, first, 4, 5),
            Some(Target::NextChapter(second))
        );
        assert_eq!(
            target(Action::Next, first, 998, 5),
            Some(Target::NextChapter(second)),
            "clamped"
        );
        assert_eq!(
            target(Action::Prev, second, 0, 5),
            Some(Target::PrevChapter(first))
        );
        assert_eq!(target(Action::Prev, first, 0, 5), Some(Target::Stay));
        assert_eq!(target(Action::Next, last, 2, 3), Some(Target::Stay));
        assert_eq!(target(Action::Last, first, 0, 5), Some(Target::Slide(4)));
        assert_eq!(target(Action::First, first, 3, 5), Some(Target::Slide(0)));
        assert_eq!(target(Action::Blank, first, 3, 5), None);
        assert_eq!(target(Action::Next, "nope", 0, 0), Some(Target::Stay));
    }

    #[test]
    fn an_embed_shows_one_section_and_its_code_carries_the_state() {
        assert_eq!(Mode::of(&parse("dk=4")), Mode::Page);
        assert_eq!(Mode::of(&parse("present=2")), Mode::Present(1));
        assert_eq!(
            Mode::of(&parse("embed=3&present=2")),
            Mode::Embed(2, true, None),
            "embedding wins"
        );
        assert_eq!(
            Mode::of(&parse("embed=3&controls=0")),
            Mode::Embed(2, false, None)
        );
        assert_eq!(
            Mode::of(&parse("embed=x&controls=maybe&figure=%3Cb%3E")),
            Mode::Embed(0, true, Some(0))
        );
        assert_eq!(
            Mode::of(&parse("embed=2&figure=3")),
            Mode::Embed(1, true, Some(2))
        );
        assert_eq!(
            Mode::of(&parse("figure=3")),
            Mode::Page,
            "a figure alone is no embed"
        );
        assert_eq!(
            carried(&parse("embed=3&controls=0&dk=4")).as_deref(),
            Some("embed=3&controls=0")
        );
        let q = parse("dk=512&present=4&scale=0");
        assert_eq!(
            embed_code(
                "http://localhost:8080",
                "/scaling",
                &q,
                Embedded {
                    slide: 3,
                    figure: None,
                    controls: false
                },
                "4 · Why \"√d_k\" & co"
            ),
            "<iframe src=\"http://localhost:8080/scaling?dk=512&amp;scale=0&amp;embed=4&amp;controls=0\" title=\"4 · Why &quot;√d_k&quot; &amp; co\" width=\"100%\" height=\"640\" style=\"border:0\" loading=\"lazy\"></iframe>"
        );
        let one = |figure| Embedded {
            slide: 0,
            figure,
            controls: true,
        };
        let with = embed_code(
            "https://x.org",
            "/qkv",
            &parse("text=%3Cb%3E&figure=9"),
            one(None),
            "t",
        );
        assert!(with.contains("/qkv?text=%3Cb%3E&amp;embed=1\""), "{with}");
        let chart = embed_code("https://x.org", "/qkv", &parse(""), one(Some(1)), "t");
        assert!(chart.contains("/qkv?embed=1&amp;figure=2\""), "{chart}");
    }

    #[test]
    fn urls_keep_the_chapter_state_and_set_or_drop_the_slide() {
        let q = parse("dk=512&present=2&scale=0");
        assert_eq!(
            url_with("/scaling", &q, Some(4)),
            "/scaling?dk=512&scale=0&present=5"
        );
        assert_eq!(url_with("/scaling", &q, None), "/scaling?dk=512&scale=0");
        assert_eq!(url_with("/qkv", &parse(""), None), "/qkv");
    }
}
