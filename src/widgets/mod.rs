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
pub mod formula;
pub mod heatmap;
pub mod notes;
pub mod run_buttons;
pub mod section;
pub mod seeded;
pub mod self_check;
pub mod slider;
pub mod table;
pub mod token_editor;
pub mod translation;

use std::sync::atomic::{AtomicUsize, Ordering};

/// A page-unique id for pairing labels with controls.
pub fn unique_id(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
