//! The one table component behind every "Numbers" block: the numbers a
//! canvas shows, as text for screen readers, copying and checking.

use leptos::prelude::*;

/// Column headings and rows; a row may start with a heading cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableData {
    pub header: Vec<String>,
    /// (row heading, cells).
    pub rows: Vec<(Option<String>, Vec<String>)>,
}

impl TableData {
    /// A table with the given column headings.
    pub fn new(header: &[&str]) -> Self {
        TableData {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A table of rows without row headings.
    pub fn plain(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Self {
        let mut t = TableData::new(header);
        t.rows = rows.into_iter().map(|r| (None, r)).collect();
        t
    }
}

/// Renders `data` in a scrollable box. Text only: never HTML.
#[component]
pub fn NumbersTable(data: TableData, #[prop(optional, into)] test_id: String) -> impl IntoView {
    let head = data
        .header
        .into_iter()
        .map(|h| view! { <th scope="col">{h}</th> })
        .collect_view();
    let rows = data
        .rows
        .into_iter()
        .map(|(label, cells)| {
            view! {
                <tr>
                    {label.map(|l| view! { <th scope="row">{l}</th> })}
                    {cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                </tr>
            }
        })
        .collect_view();
    view! {
        // Focusable so that a keyboard can scroll a wide table.
        <div class="table-scroll" tabindex="0" role="region" aria-label="Numbers">
            <table data-testid=test_id>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// A live table of `items` (e.g. a training history), one row per item
/// made by `row`, under `header`.
pub fn items_table<T: Send + Sync + 'static>(
    items: impl With<Value = Vec<T>> + Send + Sync + 'static,
    header: &'static [&'static str],
    row: fn(&T) -> Vec<String>,
    test_id: &'static str,
) -> impl IntoView {
    move || {
        let rows = items.with(|v| v.iter().map(row).collect::<Vec<_>>());
        view! { <NumbersTable data=TableData::plain(header, rows) test_id=test_id /> }
    }
}
/// A difference that should be zero, as a table cell: "0 exactly", or in
/// scientific notation (`3.20e-13`).
pub fn fmt_diff(d: f64) -> String {
    if d == 0.0 {
        "0 exactly".into()
    } else {
        format!("{d:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_zero_exactly_or_scientific() {
        assert_eq!(fmt_diff(0.0), "0 exactly");
        assert_eq!(fmt_diff(-0.0), "0 exactly");
        assert_eq!(fmt_diff(3.2e-13), "3.20e-13");
        assert_eq!(fmt_diff(f64::NAN), "NaN");
    }
}
