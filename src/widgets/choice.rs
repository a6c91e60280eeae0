//! Labelled groups of buttons for choosing one value (keyboard-operable:
//! each is a real button; the chosen one has `aria-pressed="true"`):
//! [`OptionGroup`] for any fixed set of options, [`ChoiceGroup`] for
//! numbers, [`ChoiceButtons`] for a URL parameter's [`Choice`].

use super::Bound;
use crate::query::Choice;
use leptos::prelude::*;

/// One button per option; `key` gives its `data-testid` suffix
/// (`"{test_prefix}-{key}"`), `text` its caption.
#[component]
pub fn OptionGroup<T>(
    /// The caption shown before the buttons.
    label: &'static str,
    /// What screen readers call the group (the caption when absent).
    #[prop(optional)]
    group_label: Option<&'static str>,
    test_prefix: &'static str,
    options: Vec<T>,
    key: fn(T) -> String,
    text: fn(T) -> String,
    bind: Bound<T>,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let Bound {
        value: current,
        set: on_pick,
    } = bind;
    view! {
        <div class="control" role="group" aria-label=group_label.unwrap_or(label)>
            {(!label.is_empty()).then(|| view! { <span class="label">{label}</span> })}
            {options
                .into_iter()
                .map(|v| view! {
                    <button data-testid=format!("{test_prefix}-{}", key(v)) aria-pressed=move || (current.get() == v).to_string() on:click=move |_| on_pick.run(v)>
                        {text(v)}
                    </button>
                })
                .collect_view()}
        </div>
    }
}

/// [`OptionGroup`] for numbers shown as themselves.
#[component]
pub fn ChoiceGroup(
    label: &'static str,
    /// What screen readers call the group (the caption when absent).
    #[prop(optional)]
    group_label: Option<&'static str>,
    /// Buttons get `data-testid="{test_prefix}-{value}"`.
    test_prefix: &'static str,
    options: &'static [usize],
    bind: Bound<usize>,
) -> impl IntoView {
    let show = |v: usize| v.to_string();
    let group_label = group_label.unwrap_or(label);
    view! { <OptionGroup label group_label test_prefix options=options.to_vec() key=show text=show bind /> }
}

/// [`OptionGroup`] for a [`Choice`]: every option, by its URL key (test id)
/// and its label (caption).
#[component]
pub fn ChoiceButtons<T: Choice>(
    /// The visible caption ("" for none; then give `group_label`).
    label: &'static str,
    #[prop(optional)] group_label: Option<&'static str>,
    test_prefix: &'static str,
    bind: Bound<T>,
) -> impl IntoView {
    let key = |v: T| v.key().to_string();
    let text = |v: T| v.label().to_string();
    view! { <OptionGroup label group_label=group_label.unwrap_or(label) test_prefix options=T::ALL.to_vec() key text bind /> }
}
