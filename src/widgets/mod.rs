//! Reusable widgets every chapter builds on: token editor, labelled slider
//! and toggle, a group of number buttons, canvas heatmap with hover/keyboard readout, a canvas chart for
//! any plot, the numbers table behind every canvas, MathML formula, notes,
//! and the end-of-chapter self-check.
//!
//! Widgets take signals in and report changes through callbacks; they never own
//! chapter state (that lives in the URL).

pub mod chart;
pub mod choice;
pub mod coref;
pub mod export;
pub mod formula;
pub mod heatmap;
pub mod heatmap_zoom;
pub mod measure;
pub mod notes;
pub mod pager;
pub mod run_buttons;
pub mod section;
pub mod seeded;
pub mod self_check;
pub mod slider;
pub mod table;
pub mod token_editor;
pub mod translation;

use leptos::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a control shows and what it calls when the learner changes it
/// (for a chapter's URL state: `field!(url.d_k)`, see `router::field`).
pub struct Bound<T: Send + Sync + 'static> {
    pub value: Signal<T>,
    pub set: Callback<T>,
}

impl<T: Send + Sync + 'static> Clone for Bound<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Bound<T> {}

impl<T: Clone + Send + Sync + 'static> Bound<T> {
    pub fn new(
        value: impl Fn() -> T + Send + Sync + 'static,
        set: impl Fn(T) + Send + Sync + 'static,
    ) -> Self {
        Bound {
            value: Signal::derive(value),
            set: Callback::new(set),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> From<RwSignal<T>> for Bound<T> {
    fn from(s: RwSignal<T>) -> Self {
        Bound::new(move || s.get(), move |v| s.set(v))
    }
}

/// A page-unique id for pairing labels with controls.
pub fn unique_id(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
