//! The short self-check that ends every chapter: multiple-choice questions the
//! learner answers by trying things in the widget above, with feedback.

use crate::widgets::section::Section;
use leptos::prelude::*;

/// One question.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub prompt: String,
    pub options: Vec<String>,
    /// Index of the right option.
    pub answer: usize,
    /// Why, shown after any answer.
    pub explain: String,
}

/// Feedback text for choosing `choice` on `q`.
pub fn feedback(q: &Question, choice: usize) -> (bool, String) {
    let right = choice == q.answer;
    let head = if right { "Right." } else { "Not quite." };
    (right, format!("{head} {}", q.explain))
}

/// Reads a chapter's questions from its `questions.txt`: a question per
/// block, blocks apart by a blank line; `? ` the question, `- ` a wrong
/// option, `* ` the right one (exactly one, of at least two), `= ` the
/// explanation; `#` starts a comment line.
pub fn parse_questions(text: &str) -> Result<Vec<Question>, String> {
    let mut out = Vec::new();
    for (i, block) in text.split("\n\n").enumerate() {
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let mut q = Question {
            prompt: String::new(),
            options: Vec::new(),
            answer: usize::MAX,
            explain: String::new(),
        };
        for line in lines {
            let (mark, rest) =
                line.split_at(line.char_indices().nth(1).map_or(line.len(), |(i, _)| i));
            let rest = rest.trim().to_string();
            match mark {
                "?" if q.prompt.is_empty() => q.prompt = rest,
                "-" => q.options.push(rest),
                "*" if q.answer == usize::MAX => {
                    q.answer = q.options.len();
                    q.options.push(rest);
                }
                "=" if q.explain.is_empty() => q.explain = rest,
                _ => return Err(format!("question {}: cannot read “{line}”", i + 1)),
            }
        }
        if q.prompt.is_empty()
            || q.explain.is_empty()
            || q.options.len() < 2
            || q.answer >= q.options.len()
        {
            return Err(format!(
                "question {} needs a prompt, an explanation and at least two options, one of them right",
                i + 1
            ));
        }
        out.push(q);
    }
    Ok(out)
}

/// The section's heading.
pub const TITLE: &str = "Check yourself";

crate::loader::split_view!(fn self_check_part(text: &'static str) in self_check
    => view! { <SelfCheck text=text /> }.into_any());

/// [`SelfCheck`] with its code loaded on demand: the questions come last on
/// every page, so the first screen does not wait for them.
#[component]
pub fn LazySelfCheck(
    /// The chapter's questions, in the format of [`parse_questions`].
    text: &'static str,
) -> impl IntoView {
    view! {
        <crate::loader::LazySection
            title=TITLE
            load=move || Box::pin(self_check_part(text)) as crate::loader::PageFuture
        />
    }
}

#[component]
pub fn SelfCheck(
    /// The chapter's questions, in the format of [`parse_questions`].
    text: &'static str,
) -> impl IntoView {
    let (questions, error) = match parse_questions(text) {
        Ok(q) => (q, None),
        Err(e) => (
            Vec::new(),
            Some(format!(
                "The questions of this chapter could not be read: {e}"
            )),
        ),
    };
    view! {
        <Section id="self-check-title" title=TITLE class="self-check">
            <p class="hint">"Use the controls above to find each answer, then pick it."</p>
            {error.map(|e| view! { <p class="error">{e}</p> })}
            {questions
                .into_iter()
                .enumerate()
                .map(|(qi, q)| {
                    let chosen = RwSignal::new(None::<usize>);
                    let name = format!("check-{qi}");
                    view! {
                        <fieldset class="question" data-testid=format!("question-{qi}")>
                            <legend>{format!("{}. {}", qi + 1, q.prompt)}</legend>
                            {q
                                .options
                                .clone()
                                .into_iter()
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
                                            {opt}
                                        </label>
                                    }
                                })
                                .collect_view()}
                            <p class="feedback" aria-live="polite">
                                {move || {
                                    chosen
                                        .get()
                                        .map(|c| {
                                            let (ok, text) = feedback(&q, c);
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
            prompt: "p".into(),
            options: vec!["a".into(), "b".into()],
            answer: 1,
            explain: "because".into(),
        };
        assert_eq!(feedback(&q, 1), (true, "Right. because".into()));
        assert!(!feedback(&q, 0).0);
    }

    #[test]
    fn questions_are_read_from_text() {
        let text = "# a comment\n? Which?\n- no\n* yes <b>\n- never\n= Because.\n\n\n? Two?\n* a\n- b\n= So.\n";
        let qs = parse_questions(text).expect("parses");
        assert_eq!(qs.len(), 2);
        assert_eq!(
            qs[0],
            Question {
                prompt: "Which?".into(),
                options: vec!["no".into(), "yes <b>".into(), "never".into()],
                answer: 1,
                explain: "Because.".into(),
            }
        );
        assert_eq!((qs[1].answer, qs[1].options.len()), (0, 2));
    }

    #[test]
    fn malformed_questions_are_refused_with_a_reason() {
        for bad in [
            "? Q\n- a\n- b\n= no right answer",
            "? Q\n* a\n* b\n= two right answers",
            "? Q\n* a\n= one option",
            "? Q\n* a\n- b",
            "- a\n* b\n= no prompt",
            "? Q\n* a\n- b\n= E\nstray line",
        ] {
            let e = parse_questions(bad).expect_err(bad);
            assert!(e.starts_with("question 1"), "{e}");
        }
        assert_eq!(parse_questions(""), Ok(vec![]));
    }
}
