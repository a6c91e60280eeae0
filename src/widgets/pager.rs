//! A list too long to show at once (512 tokens), a page at a time: "Tokens
//! 33–64 of 512" with Previous and Next buttons. Lists of at most
//! [`LARGE`] items are shown whole and get no pager, so the page never holds
//! hundreds of focusable controls for one list.

use super::heatmap_zoom::{neighbour_page, table_page, LARGE};
use leptos::prelude::*;

/// The items `(first, count)` of the page starting at or before `start`.
pub fn page_of(start: usize, n: usize) -> (usize, usize) {
    table_page(start, n)
}

/// "Tokens 33–64 of 512" (1-based).
pub fn page_text(what: &str, start: usize, n: usize) -> String {
    let (first, count) = page_of(start, n);
    if count == 0 {
        return format!("No {}", what.to_ascii_lowercase());
    }
    format!("{what} {}–{} of {n}", first + 1, first + count)
}

/// The first item of the page a list of choices shows, and how to turn it:
/// the page the learner turned to while `selected` was what it is now, else
/// the selected item's own page (so an item picked elsewhere, e.g. a row of
/// a heatmap, is shown). Derived, without an effect.
pub fn follow_selection(selected: Memo<Option<usize>>) -> (Memo<usize>, Callback<usize>) {
    let turned = RwSignal::new((None::<usize>, 0_usize));
    let start = Memo::new(move |_| {
        let (when, start) = turned.get();
        match selected.get() {
            now if now == when => start,
            Some(item) => item,
            None => 0,
        }
    });
    let turn = Callback::new(move |s| turned.set((selected.get_untracked(), s)));
    (start, turn)
}

/// Previous / next buttons and what the page shows, when `count` is above
/// [`LARGE`]; `start` is the first item of the page.
#[component]
pub fn Pager(
    #[prop(into)] count: Signal<usize>,
    #[prop(into)] start: Signal<usize>,
    on_start: Callback<usize>,
    /// Capitalised plural, e.g. "Tokens".
    what: &'static str,
) -> impl IntoView {
    let go = move |forward: bool| {
        if let Some(s) = neighbour_page(start.get_untracked(), count.get_untracked(), forward) {
            on_start.run(s);
        }
    };
    let can = move |forward: bool| neighbour_page(start.get(), count.get(), forward).is_some();
    move || {
        (count.get() > LARGE).then(|| {
            view! {
                <div class="pager" role="group" aria-label=format!("Pages of {}", what.to_ascii_lowercase())>
                    <button on:click=move |_| go(false) disabled=move || !can(false)>"← Previous"</button>
                    <span class="page-shown" aria-live="polite">{move || page_text(what, start.get(), count.get())}</span>
                    <button on:click=move |_| go(true) disabled=move || !can(true)>"Next →"</button>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_their_items() {
        assert_eq!(page_text("Tokens", 0, 512), "Tokens 1–32 of 512");
        assert_eq!(page_text("Tokens", 500, 512), "Tokens 481–512 of 512");
        assert_eq!(page_text("Tokens", 70, 11), "Tokens 1–11 of 11");
        assert_eq!(page_text("Tokens", 0, 0), "No tokens");
        assert_eq!(page_of(33, 100), (32, 32));
    }
}
