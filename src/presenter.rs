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
//! The decisions are plain functions ([`action_for`], [`target`],
//! [`embed_code`]), tested natively; [`use_presenter`] wires them to the
//! keyboard and paints the slides (an effect that only sets classes).

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
/// `0`: an embedded section without its controls.
pub const CONTROLS: FlagParam = FlagParam::new("controls", "controls", true);

/// The 0-based slide of `param` in a query, `None` when absent. A value
/// that is not a number starts at the first slide; one past the end is
/// clamped when shown ([`shown_slide`]).
fn slide_param(q: &Query, param: IntParam) -> Option<usize> {
    let raw = q.get(param.key)?;
    let v = raw
        .trim()
        .parse::<f64>()
        .ok()
        .map_or(0, |v| param.clamp_usize(v));
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
    /// Section `n` alone, with or without its controls.
    Embed(usize, bool),
}

impl Mode {
    /// The mode of a query (embedding wins over presenting).
    pub fn of(q: &Query) -> Mode {
        match (embed_of(q), slide_of(q)) {
            (Some(e), _) => Mode::Embed(e, CONTROLS.read(&mut Notes::default(), q)),
            (None, Some(s)) => Mode::Present(s),
            (None, None) => Mode::Page,
        }
    }

    fn slide(self) -> Option<usize> {
        match self {
            Mode::Page => None,
            Mode::Present(s) | Mode::Embed(s, _) => Some(s),
        }
    }
}

/// The `<iframe>` that embeds slide `slide` (0-based) of the page at
/// `origin` + `path` with its state `q` (without presenter mode), with or
/// without its controls; `title` names it for screen readers.
pub fn embed_code(
    origin: &str,
    path: &str,
    q: &Query,
    slide: usize,
    controls: bool,
    title: &str,
) -> String {
    let mut pairs: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| ![PRESENT.key, EMBED.key, CONTROLS.key].contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    pairs.push(EMBED.pair(slide + 1));
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

/// The slide actually shown out of `count`.
pub fn shown_slide(slide: usize, count: usize) -> usize {
    slide.min(count.saturating_sub(1))
}

/// The app-level part of a query that chapter edits must keep
/// (`present`, `embed`, `controls`), if any.
pub fn carried(q: &Query) -> Option<String> {
    let kept: Vec<(&str, String)> = [PRESENT.key, EMBED.key, CONTROLS.key]
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

/// Presenter mode's state for the shell.
#[derive(Clone, Copy)]
pub struct Presenter {
    /// The 0-based slide asked for, `None` when not presenting.
    pub slide: Memo<Option<usize>>,
    pub mode: Memo<Mode>,
    /// Slides on the page (counted when they are painted).
    pub count: RwSignal<usize>,
    pub blank: RwSignal<bool>,
}

impl Presenter {
    pub fn presenting(&self) -> bool {
        self.slide.get().is_some()
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

/// Shows the slide of `mode` (all of the page for [`Mode::Page`]); for an
/// embed, everything around the slide is hidden too. Returns how many
/// slides there are.
fn paint_slides(mode: Mode) -> usize {
    use wasm_bindgen::JsCast;
    let all = slides();
    let shown = mode.slide().map(|s| shown_slide(s, all.len()));
    for (i, el) in all.iter().enumerate() {
        let _ = el
            .class_list()
            .toggle_with_force("slide-current", shown == Some(i));
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return all.len();
    };
    if let Ok(old) = doc.query_selector_all(".embed-hidden") {
        for el in (0..old.length())
            .filter_map(|i| old.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        {
            let _ = el.class_list().remove_1("embed-hidden");
        }
    }
    if let (Mode::Embed(..), Some(current)) = (mode, shown.and_then(|i| all.get(i))) {
        // Hide the siblings of the slide and of each of its ancestors up
        // to <main>, but for the chapter's shared controls.
        let mut el = current.clone();
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
        let _ = classes.toggle_with_force("presenting", matches!(mode, Mode::Present(_)));
        let _ = classes.toggle_with_force("embedded", matches!(mode, Mode::Embed(..)));
        let _ = classes.toggle_with_force("no-controls", matches!(mode, Mode::Embed(_, false)));
    }
    all.len()
}

/// Wires presenter mode: the keys, and the slides painted whenever the
/// slide or the page changes (and once more on the next frames, when a
/// chapter's later parts have rendered).
pub fn use_presenter(router: Router) -> Presenter {
    let mode = Memo::new(move |_| Mode::of(&router.query()));
    let slide = Memo::new(move |_| match mode.get() {
        Mode::Present(s) => Some(s),
        _ => None,
    });
    let count = RwSignal::new(0);
    let blank = RwSignal::new(false);
    let p = Presenter {
        slide,
        mode,
        count,
        blank,
    };
    // While presenting, the slides are painted a few times a second:
    // sections render late (models loading, `Show`s) and a chapter change
    // brings new ones.
    let active = RwSignal::new(false);
    // The effect only paints (classes on the slides), counts what it
    // painted, and starts or stops the repaint loop.
    Effect::new(move |_| {
        let (m, s, _path) = (mode.get(), slide.get(), router.path());
        count.set(paint_slides(m));
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
                let n = paint_slides(mode.try_get_untracked()?);
                if count.try_get_untracked()? != n {
                    count.try_set(n);
                }
                Some(())
            });
        }
    });
    let go = move |slide: Option<usize>| go_to(router, slide);
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
        let path = router.path();
        let slug = path.trim_matches('/');
        match action {
            Action::Enter => go(Some(0)),
            Action::Exit => go(None),
            Action::Blank => blank.update(|b| *b = !*b),
            paging => {
                blank.set(false);
                let n = paint_slides(Mode::Present(now.unwrap_or(0)));
                match target(paging, slug, now.unwrap_or(0), n) {
                    Some(Target::Slide(s)) => go(Some(s)),
                    Some(Target::NextChapter(next)) => {
                        router.navigate(&format!("/{next}?present=1"), false);
                    }
                    Some(Target::PrevChapter(prev)) => {
                        router.navigate(&format!("/{prev}?present={}", PRESENT.max), false);
                    }
                    Some(Target::Stay) | None => {}
                }
            }
        }
    });
    on_cleanup(move || handle.remove());
    p
}

/// The bar at the bottom of a presented chapter: where we are, and buttons
/// for a mouse or a touch screen.
#[component]
pub fn PresenterBar(presenter: Presenter, title: Signal<String>) -> impl IntoView {
    let router = Router::get();
    let go = move |slide: Option<usize>| go_to(router, slide);
    let position = move || {
        let n = presenter.count.get();
        presenter
            .slide
            .get()
            .map(|s| format!("{} · slide {} of {n}", title.get(), shown_slide(s, n) + 1))
            .unwrap_or_default()
    };
    let step = move |d: isize| {
        let n = presenter.count.get_untracked();
        let s = shown_slide(presenter.slide.get_untracked().unwrap_or(0), n);
        go(Some(s.saturating_add_signed(d).min(n.saturating_sub(1))));
    };
    let embed_open = RwSignal::new(false);
    let with_controls = RwSignal::new(true);
    let copied = RwSignal::new("Copy");
    let code = move || {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let n = presenter.count.get();
        let s = shown_slide(presenter.slide.get().unwrap_or(0), n);
        embed_code(
            &origin,
            &router.path(),
            &router.query(),
            s,
            with_controls.get(),
            &title.get(),
        )
    };
    let copy = move |_| {
        if let Some(c) = web_sys::window().map(|w| w.navigator().clipboard()) {
            let _ = c.write_text(&code());
            copied.set("Copied");
        }
    };
    view! {
        <Show when=move || presenter.presenting()>
            <div class="present-bar" role="navigation" aria-label="Presentation">
                <button data-testid="present-prev" on:click=move |_| step(-1)>"◀ Back"</button>
                <span class="present-where" data-testid="present-where" aria-live="polite">{position}</span>
                <button data-testid="present-next" on:click=move |_| step(1)>"Next ▶"</button>
                <button data-testid="present-embed" aria-expanded=move || embed_open.get().to_string() on:click=move |_| embed_open.update(|o| *o = !*o)>
                    "Embed…"
                </button>
                <button data-testid="present-exit" on:click=move |_| go(None)>"Leave (Esc)"</button>
            </div>
            <Show when=move || embed_open.get()>
                <div class="embed-panel" role="dialog" aria-label="Embed this section">
                    <p>"Paste this into a course page, a blog or a slide deck: it shows this section alone, live, with its current settings."</p>
                    <label class="control toggle">
                        <input type="checkbox" data-testid="embed-no-controls" prop:checked=move || !with_controls.get() on:change=move |ev| with_controls.set(!event_target_checked(&ev)) />
                        "Hide the controls (a read-only figure)"
                    </label>
                    <textarea data-testid="embed-code" readonly rows="4" aria-label="Embed code" prop:value=code></textarea>
                    <button data-testid="embed-copy" on:click=copy>{move || copied.get()}</button>
                </div>
            </Show>
            <Show when=move || presenter.blank.get()>
                <div class="blank-screen" data-testid="blank" on:click=move |_| presenter.blank.set(false)></div>
            </Show>
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
            Mode::Embed(2, true),
            "embedding wins"
        );
        assert_eq!(
            Mode::of(&parse("embed=3&controls=0")),
            Mode::Embed(2, false)
        );
        assert_eq!(
            Mode::of(&parse("embed=x&controls=maybe")),
            Mode::Embed(0, true)
        );
        assert_eq!(
            carried(&parse("embed=3&controls=0&dk=4")).as_deref(),
            Some("embed=3&controls=0")
        );
        let q = parse("dk=512&present=4&scale=0");
        assert_eq!(
            embed_code("http://localhost:8080", "/scaling", &q, 3, false, "4 · Why \"√d_k\" & co"),
            "<iframe src=\"http://localhost:8080/scaling?dk=512&amp;scale=0&amp;embed=4&amp;controls=0\" title=\"4 · Why &quot;√d_k&quot; &amp; co\" width=\"100%\" height=\"640\" style=\"border:0\" loading=\"lazy\"></iframe>"
        );
        let with = embed_code(
            "https://x.org",
            "/qkv",
            &parse("text=%3Cb%3E"),
            0,
            true,
            "t",
        );
        assert!(with.contains("/qkv?text=%3Cb%3E&amp;embed=1\""), "{with}");
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
