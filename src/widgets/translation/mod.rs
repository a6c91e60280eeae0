//! What the two translation chapters (the bottleneck, attention as
//! alignment) share: the shipped translators as a memo, the sentence input
//! with its examples, the translation shown word by word against the
//! grammar's reference, the view-models of [`model`] (the learner's
//! sentence, a translation, held-out tallies by length) and the live
//! held-out measurement by length of [`length`].

pub mod length;
pub mod model;

use crate::models::{load_status, translators, Load, TranslatorsRef};
use attention_core::train::translate::Vocab;
pub use length::LengthSection;
use leptos::prelude::*;
pub use model::{read_input, translate, Input, LengthMeasure, Translation, COLORS, EXAMPLES};

/// The shipped translators as a memo (identity-compared), and a line for
/// the learner while they load (or if they failed).
pub fn use_translators() -> (Memo<Option<TranslatorsRef>>, Signal<Option<String>>) {
    let load = translators();
    let load2 = load.clone();
    let ready = Memo::new(move |_| match load.get() {
        Load::Ready(t) => Some(TranslatorsRef(t)),
        _ => None,
    });
    let status = Signal::derive(move || load2.with(load_status));
    (ready, status)
}

/// A sentence input with example buttons; `on_text` gets every edit.
#[component]
pub fn SentenceInput(
    #[prop(into)] text: Signal<String>,
    on_text: Callback<String>,
) -> impl IntoView {
    let id = crate::widgets::unique_id("source");
    let known: Vec<&str> = Vocab::default().source.into_iter().skip(1).collect();
    view! {
        <div class="token-editor">
            {crate::widgets::token_editor::sentence_field(id, "French-like sentence", text, on_text)}
            <div class="button-row" role="group" aria-label="Example sentences">
                <span class="label">"Examples:"</span>
                {EXAMPLES
                    .iter()
                    .map(|&(name, s)| {
                        view! {
                            <button data-testid=format!("example-{}", name.replace(' ', "-")) on:click=move |_| on_text.run(s.to_string())>
                                {name}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <details class="numbers">
                <summary>"Words the translators know"</summary>
                <p class="word-bank">{known.join(" · ")}</p>
                <p class="hint">
                    "Nouns take le/la or un/une and come before their adjectives (la voiture rouge); verbs: mange, voit, aime, suit, regarde + an object, or dort, court, chante; negate with ne … pas; join clauses with et; add a relative clause with qui."
                </p>
            </details>
        </div>
    }
}

/// The learner's sentence against the grammar, as a line.
pub fn reference_line(input: &Input) -> String {
    match &input.reference {
        Ok(p) => format!("The grammar's own translation: “{}”.", p.target.join(" ")),
        Err(e) => format!(
            "This sentence does not follow the corpus grammar ({e}) The translators still try; there is no reference to score them against."
        ),
    }
}

/// A translation as words marked right or wrong against the reference.
pub fn words_view(t: &Translation, input: &Input, test_id: &'static str) -> impl IntoView {
    let reference = input.reference.as_ref().ok().map(|p| p.target.clone());
    let words = t
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let ok = reference.as_ref().map(|r| r.get(i) == Some(w));
            let (class, label) = match ok {
                Some(true) => ("word ok", format!("{w} (matches the reference)")),
                Some(false) => ("word bad", format!("{w} (differs from the reference)")),
                None => ("word", w.clone()),
            };
            view! { <span class=class aria-label=label>{w.clone()}</span> }
        })
        .collect_view();
    let score = match (t.right, &reference) {
        (Some(r), Some(refw)) => format!(
            "{r} of {} words in place ({:.0}%)",
            refw.len().max(t.words.len()),
            100.0 * r as f64 / refw.len().max(t.words.len()).max(1) as f64
        ),
        _ => String::new(),
    };
    view! {
        <p class="translation" data-testid=test_id>{words}</p>
        <p class="measure" data-testid=format!("{test_id}-score")>{score}</p>
    }
}

/// What a card shows of one model's translation: the words (see
/// [`words_view`]), why there is none, or the loading `status` while the
/// models are not there yet.
pub fn translation_view(
    t: Option<&Result<Translation, String>>,
    input: &Input,
    status: Signal<Option<String>>,
    test_id: &'static str,
) -> AnyView {
    match t {
        None => view! { <p class="hint">{move || status.get().unwrap_or_default()}</p> }.into_any(),
        Some(Ok(t)) => words_view(t, input, test_id).into_any(),
        Some(Err(e)) => view! { <p class="error">{e.clone()}</p> }.into_any(),
    }
}
