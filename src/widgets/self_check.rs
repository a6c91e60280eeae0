//! The short self-check that ends every chapter: multiple-choice questions the
//! learner answers by trying things in the widget above, with feedback.

use crate::widgets::section::Section;
use leptos::prelude::*;

/// One question.
#[derive(Clone, Copy, Debug)]
pub struct Question {
    pub prompt: &'static str,
    pub options: &'static [&'static str],
    /// Index of the right option.
    pub answer: usize,
    /// Why, shown after any answer.
    pub explain: &'static str,
}

/// Feedback text for choosing `choice` on `q`.
pub fn feedback(q: &Question, choice: usize) -> (bool, String) {
    let right = choice == q.answer;
    let head = if right { "Right." } else { "Not quite." };
    (right, format!("{head} {}", q.explain))
}

#[component]
pub fn SelfCheck(questions: &'static [Question]) -> impl IntoView {
    view! {
        <Section id="self-check-title" title="Check yourself" class="self-check">
            <p class="hint">"Use the controls above to find each answer, then pick it."</p>
            {questions
                .iter()
                .enumerate()
                .map(|(qi, q)| {
                    let chosen = RwSignal::new(None::<usize>);
                    let name = format!("check-{qi}");
                    view! {
                        <fieldset class="question" data-testid=format!("question-{qi}")>
                            <legend>{format!("{}. {}", qi + 1, q.prompt)}</legend>
                            {q
                                .options
                                .iter()
                                .enumerate()
                                .map(|(oi, opt)| {
                                    let name = name.clone();
                                    view! {
                                        <label class="option">
                                            <input
                                                type="radio"
                                                name=name
                                                prop:checked=move || chosen.get() == Some(oi)
                                                on:change=move |_| chosen.set(Some(oi))
                                            />
                                            {*opt}
                                        </label>
                                    }
                                })
                                .collect_view()}
                            <p class="feedback" aria-live="polite">
                                {move || {
                                    chosen
                                        .get()
                                        .map(|c| {
                                            let (ok, text) = feedback(q, c);
                                            view! {
                                                <span class=if ok { "right" } else { "wrong" }>{text}</span>
                                            }
                                        })
                                }}
                            </p>
                        </fieldset>
                    }
                })
                .collect_view()}
        </Section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_says_right_or_not() {
        let q = Question {
            prompt: "p",
            options: &["a", "b"],
            answer: 1,
            explain: "because",
        };
        assert_eq!(feedback(&q, 1), (true, "Right. because".into()));
        assert!(!feedback(&q, 0).0);
    }
}
