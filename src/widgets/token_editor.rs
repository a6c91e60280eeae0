//! Token editor: type a sentence, or edit, add and remove single tokens.
//!
//! The sentence text is the single source of truth (it lives in the URL);
//! chips are derived from it with [`crate::text::tokenize_max`], and every edit
//! produces a new text through `on_text`. Tokens are shown as text nodes, so
//! HTML typed as a token is displayed, never interpreted.
//!
//! With a limit above 64 tokens (the Q/K/V chapter takes 512) the sentence
//! box is a text area a paragraph can be pasted into; an edit past the limit
//! is cut after the last token it may keep, and a message says so. More than
//! 64 chips are shown 32 at a time ([`super::pager::Pager`]).

use super::notes::Notes;
use super::pager::{page_of, Pager};
use super::unique_id;
use crate::text::{cut_after_tokens, join, tokenize_max, MAX_TOKENS};
use leptos::prelude::*;

/// Text after replacing token `i` with `new` (which may be several words, or
/// empty to delete it).
pub fn replace_token(text: &str, i: usize, new: &str) -> String {
    let mut tokens = tokenize_max(text, usize::MAX).tokens;
    if i < tokens.len() {
        let parts: Vec<String> = new.split_whitespace().map(str::to_string).collect();
        tokens.splice(i..=i, parts);
    }
    join(&tokens)
}

/// Text after removing token `i`.
pub fn remove_token(text: &str, i: usize) -> String {
    replace_token(text, i, "")
}

/// Text after appending `word` (ignored when blank).
pub fn add_token(text: &str, word: &str) -> String {
    let mut tokens = tokenize_max(text, usize::MAX).tokens;
    tokens.extend(word.split_whitespace().map(str::to_string));
    join(&tokens)
}

/// The labelled sentence box (`data-testid="sentence"`): every edit goes to
/// `on_text`; shared by [`TokenEditor`] and the translation chapters' input.
pub fn sentence_field(
    id: String,
    label: impl IntoView + 'static,
    text: Signal<String>,
    on_text: Callback<String>,
) -> impl IntoView {
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            class="sentence"
            type="text"
            data-testid="sentence"
            spellcheck="false"
            autocomplete="off"
            prop:value=move || text.get()
            on:input=move |ev| on_text.run(event_target_value(&ev))
        />
    }
}

/// What the editor does with an edit: the text to keep (cut after the
/// `max`-th token) and, when it was cut, the message to show.
pub fn limit_edit(text: &str, max: usize) -> (String, Option<String>) {
    match cut_after_tokens(text, max) {
        None => (text.to_string(), None),
        Some((kept, total)) => {
            let last = tokenize_max(&kept, max).tokens.pop().unwrap_or_default();
            (
                kept,
                Some(format!(
                    "Your text had {total} tokens and this page takes at most {max}: it was cut after token {max} (“{last}”)."
                )),
            )
        }
    }
}

/// The labelled text area (`data-testid="sentence"`) for a paragraph.
fn paragraph_field(
    id: String,
    label: &'static str,
    text: Signal<String>,
    on_text: Callback<String>,
) -> impl IntoView {
    view! {
        <label for=id.clone()>{label}</label>
        <textarea
            id=id
            class="sentence paragraph"
            data-testid="sentence"
            rows="3"
            spellcheck="false"
            autocomplete="off"
            prop:value=move || text.get()
            on:input=move |ev| {
                let typed = event_target_value(&ev);
                on_text.run(typed.clone());
                // A cut text may equal the stored one: set the box itself.
                let kept = text.get_untracked();
                if kept != typed {
                    let area: web_sys::HtmlTextAreaElement = event_target(&ev);
                    area.set_value(&kept);
                }
            }
        ></textarea>
    }
}

#[component]
pub fn TokenEditor(
    #[prop(into)] text: Signal<String>,
    on_text: Callback<String>,
    #[prop(default = "Sentence")] label: &'static str,
    /// Most tokens kept; an edit with more is cut after the last one, with a
    /// message.
    #[prop(default = MAX_TOKENS)]
    max_tokens: usize,
) -> impl IntoView {
    let id = unique_id("sentence");
    let text = Memo::new(move |_| text.get());
    let tokenized = Memo::new(move |_| text.with(|t| tokenize_max(t, max_tokens)));
    let cut_note = RwSignal::new(None::<String>);
    let on_text = Callback::new(move |t: String| {
        let (kept, note) = limit_edit(&t, max_tokens);
        // The message stays while the text is at the limit (a paste may
        // arrive in parts, the last one only a line break); it goes when
        // the learner removes a token.
        let at_limit = tokenize_max(&kept, max_tokens).tokens.len() >= max_tokens;
        let note = note.or_else(|| cut_note.get_untracked().filter(|_| at_limit));
        if cut_note.get_untracked() != note {
            cut_note.set(note);
        }
        on_text.run(kept)
    });
    let notes = Signal::derive(move || {
        let mut n: Vec<String> = cut_note.get().into_iter().collect();
        n.extend(tokenized.with(|t| t.notes.clone()));
        if tokenized.with(|t| t.tokens.is_empty()) {
            n.push("There are no tokens yet: type a sentence above.".into());
        }
        n
    });
    let new_word = RwSignal::new(String::new());
    let add = move || {
        let w = new_word.get_untracked();
        if !w.trim().is_empty() {
            on_text.run(add_token(&text.get_untracked(), &w));
            new_word.set(String::new());
        }
    };
    let chip_start = RwSignal::new(0_usize);
    let count = Memo::new(move |_| tokenized.with(|t| t.tokens.len()));
    let field = if max_tokens > MAX_TOKENS {
        paragraph_field(id, label, text.into(), on_text).into_any()
    } else {
        sentence_field(id, label, text.into(), on_text).into_any()
    };
    view! {
        <div class="token-editor">
            {field}
            <p class="token-count">
                {move || {
                    let n = tokenized.with(|t| t.tokens.len());
                    format!("{n} token{} (limit {max_tokens})", if n == 1 { "" } else { "s" })
                }}
            </p>
            <Pager count=count start=chip_start on_start=Callback::new(move |s| chip_start.set(s)) what="Tokens" />
            <ul class="chips" aria-label="Tokens">
                {move || {
                    let (first, shown) = page_of(chip_start.get(), count.get());
                    tokenized
                        .with(|t| t.tokens.iter().skip(first).take(shown).cloned().collect::<Vec<_>>())
                        .into_iter()
                        .enumerate()
                        .map(|(k, tok)| {
                            let i = first + k;
                            let t2 = tok.clone();
                            let label_edit = format!("Token {} of the sentence", i + 1);
                            let label_rm = format!("Remove token {} ({})", i + 1, tok);
                            view! {
                                <li class="chip">
                                    <input
                                        class="chip-text"
                                        aria-label=label_edit
                                        size=t2.chars().count().clamp(1, 16)
                                        prop:value=t2
                                        on:change=move |ev| {
                                            on_text.run(replace_token(&text.get_untracked(), i, &event_target_value(&ev)))
                                        }
                                    />
                                    <button
                                        class="chip-remove"
                                        aria-label=label_rm
                                        title="Remove"
                                        on:click=move |_| on_text.run(remove_token(&text.get_untracked(), i))
                                    >
                                        "×"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
                <li class="chip chip-add">
                    <input
                        class="chip-text"
                        aria-label="New token"
                        placeholder="add a token"
                        size="10"
                        prop:value=move || new_word.get()
                        on:input=move |ev| new_word.set(event_target_value(&ev))
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                add();
                            }
                        }
                    />
                    <button class="chip-plus" aria-label="Add token" on:click=move |_| add()>
                        "+"
                    </button>
                </li>
            </ul>
            <Notes notes=notes />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_remove_add() {
        assert_eq!(replace_token("a b c", 1, "x"), "a x c");
        assert_eq!(replace_token("a b c", 1, "x y"), "a x y c");
        assert_eq!(replace_token("a b c", 1, "  "), "a c");
        assert_eq!(replace_token("a b c", 9, "x"), "a b c");
        assert_eq!(remove_token("a b c", 0), "b c");
        assert_eq!(remove_token("", 0), "");
        assert_eq!(add_token("a b", "<i>c</i>"), "a b <i>c</i>");
        assert_eq!(add_token("a b", "   "), "a b");
    }

    #[test]
    fn an_edit_past_the_limit_is_cut_with_a_message() {
        assert_eq!(limit_edit("a b c", 3), ("a b c".into(), None));
        let (kept, note) = limit_edit("a b <i>c</i>  d e", 3);
        assert_eq!(kept, "a b <i>c</i>  ", "a word typed next is a new token");
        assert_eq!(
            note.as_deref(),
            Some("Your text had 5 tokens and this page takes at most 3: it was cut after token 3 (“<i>c</i>”).")
        );
        assert_eq!(limit_edit("", 3), (String::new(), None));
    }
}
