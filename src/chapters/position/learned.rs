//! Section 3 of the position chapter: the learned position table of the
//! experiment's learned model as it is used up to length 4 L (rows past L
//! repeat the last one), and the accuracy of the trained models at each
//! position. The models are those of section 6: the same runner.

use super::experiment::{self, ExpRunner, Progress, L};
use super::experiment_view::{progress_of, TrainButton};
use crate::charts::export::ChartNumbers;
use crate::charts::position::draw_matrix_image;
use crate::widgets::chart::{curves, draw_from, Chart, Drawing};
use crate::widgets::section::Section;
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::train::position_task::Scheme;
use leptos::prelude::*;

/// The schemes of the by-position chart.
const BY_POSITION: [Scheme; 3] = [Scheme::Learned, Scheme::Sinusoidal, Scheme::Rope];

/// The heading of this section.
pub(super) const LEARNED_TITLE: &str = "3 · A learned table of positions";

/// Section 3: a learned table of positions.
#[component]
pub fn LearnedSection(runner: ExpRunner) -> impl IntoView {
    let progress = progress_of(runner);
    let table = Memo::new(move |_| progress.with(experiment::learned_image));
    let by_position =
        Memo::new(move |_| progress.with(|p| experiment::by_position_chart(p, &BY_POSITION)));
    let table_draw = Drawing::from(draw_from(table, |a, m, s, th| {
        draw_matrix_image(a, m, th, s)
    }))
    .with_numbers_of(table, |m| Some(m.numbers()));
    let by_position_draw = curves(by_position);
    view! {
        <Section id="learned-title" title=LEARNED_TITLE>
            <p>
                "BERT and GPT-2 learn one vector per position, like a word embedding for “slot 5”. "
                {format!("The table has exactly as many rows as the longest training sequence, here L = {L}. ")}
                "Past that there is no row: this model reuses the last one, so positions 16, 17, 18 … all look like position 15. "
                "The picture below is the table of the learned model from section 6, as it is used up to length 64; train the models there and watch it change."
            </p>
            <div class="row-of-maps">
                <Chart
                    size=(520.0, 520.0)
                    test_id="learned-table"
                    label="Learned position vectors by position, repeated past the trained length"
                    draw=table_draw
                >
                    {move || progress.with(learned_numbers)}
                </Chart>
                <Chart
                    size=(560.0, 320.0)
                    test_id="by-position"
                    label="Accuracy at each position of length-64 sequences for the learned, sinusoidal and RoPE models"
                    draw=by_position_draw
                >
                    {move || progress.with(by_position_table)}
                </Chart>
            </div>
            <p class="hint">
                "The right-hand chart fills in once the models of section 6 are trained (about half a minute); the grey line marks L. "
                <TrainButton runner=runner progress=progress test_id="exp-toggle-learned" />
                " "
                <span aria-live="polite">{move || progress.with(experiment::summary)}</span>
            </p>
        </Section>
    }
}

/// The learned table as used, one row per position.
fn learned_numbers(p: &Progress) -> impl IntoView {
    let d = p.d_model;
    let mut header = vec!["position".to_string()];
    header.extend((0..d).map(|j| format!("d{j}")));
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = p
        .learned_rows
        .chunks_exact(d.max(1))
        .enumerate()
        .map(|(r, row)| {
            let mut v = vec![r.to_string()];
            v.extend(row.iter().map(|x| format!("{x:.4}")));
            v
        });
    view! { <NumbersTable data=TableData::plain(&h, rows) test_id="learned-values" /> }
}

/// Accuracy at each position of length-4 L sequences, per scheme of the chart.
fn by_position_table(p: &Progress) -> impl IntoView {
    let cols: Vec<Option<&Vec<Option<f64>>>> = Scheme::ALL
        .iter()
        .zip(&p.by_position)
        .filter(|(s, _)| BY_POSITION.contains(s))
        .map(|(_, b)| b.as_ref())
        .collect();
    let rows = (0..4 * L).map(|i| {
        let mut r = vec![i.to_string()];
        r.extend(cols.iter().map(|c| {
            c.and_then(|v| v.get(i).copied().flatten())
                .map_or("—".into(), |v| format!("{:.3}", v))
        }));
        r
    });
    view! { <NumbersTable data=TableData::plain(&["position", "learned", "sinusoidal", "RoPE"], rows) /> }
}
