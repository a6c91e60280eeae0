//! Token editor: type a sentence, or edit, add and remove single tokens.
//!
//! The sentence text is the single source of truth (it lives in the URL);
//! chips are derived from it with [`crate::text::tokenize`], and every edit
//! produces a new text through `on_text`. Tokens are shown as text nodes, so
//! HTML typed as a token is displayed, never interpreted.

use super::notes::Notes;
use super::unique_id;
use crate::text::{join, tokenize, MAX_TOKENS};
use leptos::prelude::*;

/// Text after replacing token `i` with `new` (which may be several words, or
/// empty to delete it).
pub fn replace_token(text: &str, i: usize, new: &str) -> String {
    let mut tokens = tokenize(text).tokens;
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
    let mut tokens = tokenize(text).tokens;
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

#[component]
pub fn TokenEditor(
    #[prop(into)] text: Signal<String>,
    on_text: Callback<String>,
    #[prop(default = "Sentence")] label: &'static str,
) -> impl IntoView {
    let id = unique_id("sentence");
    let tokenized = Memo::new(move |_| text.with(|t| tokenize(t)));
    let notes = Signal::derive(move || {
        let mut n = tokenized.with(|t| t.notes.clone());
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
    view! {
        <div class="token-editor">
            {sentence_field(id, label, text, on_text)}
            <p class="token-count">
                {move || {
                    let n = tokenized.with(|t| t.tokens.len());
                    format!("{n} token{} (limit {MAX_TOKENS})", if n == 1 { "" } else { "s" })
                }}
            </p>
            <ul class="chips" aria-label="Tokens">
                {move || {
                    tokenized
                        .get()
                        .tokens
                        .into_iter()
                        .enumerate()
                        .map(|(i, tok)| {
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
}
