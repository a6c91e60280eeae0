//! Canvas heatmap widget: a matrix with token labels, sharp at any
//! device-pixel ratio, with the exact value of the cell under the pointer (or
//! the keyboard focus: Tab to the chart, then arrow keys) read out as text, and
//! every number available in a table for screen readers and copying, and
//! an export menu (SVG, PNG, the matrix as CSV; [`super::export`]).
//!
//! Data flow: `data` and the highlight are signals; an `Effect` only paints,
//! through [`crate::canvas::paint`]; a layout `Memo` serves pointer hit-testing.

use super::chart::DrawFn;
use super::export::{Export, ExportMenu};
use super::unique_id;
use crate::canvas::{paint, use_painter};
use crate::charts::export::ChartNumbers;
use crate::charts::heatmap::{draw_heatmap, HeatmapData, HeatmapLayout, Highlight};
use crate::charts::ChartTheme;
use crate::widgets::table::{NumbersTable, TableData};
use leptos::html;
use leptos::prelude::*;
use std::sync::Arc;

/// Width, in CSS pixels, a grid aims for before cells hit their size limits.
pub const TARGET_GRID_PX: f64 = 440.0;

/// Text read out for one cell.
/// A heatmap with nothing to show (while a model loads, or when the input
/// has nothing to draw); the widget then paints an empty canvas.
pub fn empty_heatmap() -> HeatmapData {
    HeatmapData {
        rows: 0,
        cols: 0,
        values: Vec::new(),
        row_labels: Vec::new(),
        col_labels: Vec::new(),
        scale: crate::charts::heatmap::ColorScale::Sequential { min: 0.0, max: 1.0 },
    }
}

pub fn describe_cell(d: &HeatmapData, r: usize, c: usize) -> String {
    let label = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_else(|| i.to_string());
    let value = match d.get(r, c) {
        Some(v) if v == f64::NEG_INFINITY => {
            "masked (−∞: this key is hidden from this query)".to_string()
        }
        Some(v) => format!("{v:.6}"),
        None => "—".to_string(),
    };
    format!(
        "row {} “{}”, column {} “{}”: {value}",
        r + 1,
        label(&d.row_labels, r),
        c + 1,
        label(&d.col_labels, c)
    )
}

/// Moves a keyboard focus cell; `None` for keys the chart does not use.
pub fn move_focus(
    key: &str,
    cur: (usize, usize),
    rows: usize,
    cols: usize,
) -> Option<(usize, usize)> {
    if rows == 0 || cols == 0 {
        return None;
    }
    let (r, c) = (cur.0.min(rows - 1), cur.1.min(cols - 1));
    Some(match key {
        "ArrowUp" => (r.saturating_sub(1), c),
        "ArrowDown" => ((r + 1).min(rows - 1), c),
        "ArrowLeft" => (r, c.saturating_sub(1)),
        "ArrowRight" => (r, (c + 1).min(cols - 1)),
        "Home" => (r, 0),
        "End" => (r, cols - 1),
        "PageUp" => (0, c),
        "PageDown" => (rows - 1, c),
        _ => return None,
    })
}

/// Numbers shown in the table (6 decimals; masked cells say so).
pub fn table_value(v: f64) -> String {
    if v == f64::NEG_INFINITY {
        "masked".into()
    } else {
        format!("{v:.6}")
    }
}

/// Paints the heatmap whenever its data, highlight, focus, theme or pixel
/// ratio changes (and it is on or near the screen); returns the paint error.
///
/// The effect reads its inputs directly and computes the layout itself
/// rather than reading a layout memo: an effect that reads both a memo and
/// that memo's own source can miss an update in reactive_graph 0.2 (the
/// source is refreshed while the memo is checked, then reports "unchanged"
/// when the effect asks it).
fn use_heatmap_paint(
    canvas_ref: NodeRef<html::Canvas>,
    data: Signal<HeatmapData>,
    highlight_row: Signal<Option<usize>>,
    focus: RwSignal<Option<(usize, usize)>>,
) -> RwSignal<Option<String>> {
    use_painter(canvas_ref, move |canvas, th, dpr| {
        let hl = Highlight {
            row: highlight_row.get(),
            focus: focus.get(),
        };
        data.with(|d| {
            let l = HeatmapLayout::new(d, TARGET_GRID_PX, th.font_px);
            paint(canvas, l.width, l.height, dpr, |area, s| {
                draw_heatmap(area, d, &l, hl, th, s)
            })
        })
    })
}

/// The closed "Numbers" block under a heatmap; the table is built only
/// while it is open.
fn heatmap_numbers(
    data: Signal<HeatmapData>,
    extra_column: Signal<Option<(String, Vec<f64>)>>,
) -> impl IntoView {
    let details_ref = NodeRef::<html::Details>::new();
    let open = RwSignal::new(false);
    view! {
        <details class="numbers" node_ref=details_ref on:toggle=move |_| open.set(details_ref.get_untracked().is_some_and(|d| d.open()))>
            <summary>"Numbers"</summary>
            {move || {
                open.get()
                    .then(|| {
                        let extra = extra_column.get();
                        let table = data.with(|d| heatmap_table(d, extra));
                        view! { <NumbersTable data=table /> }
                    })
            }}
        </details>
    }
}

/// The export of a heatmap: the matrix as shown (with the selected row
/// outlined, without the pointer's cell) and its numbers.
fn heatmap_export(data: Signal<HeatmapData>, highlight_row: Signal<Option<usize>>) -> Export {
    let draw: Arc<DrawFn> = Arc::new(move |area, s, th| {
        let hl = Highlight {
            row: highlight_row.get_untracked(),
            focus: None,
        };
        data.try_with_untracked(|d| {
            let l = HeatmapLayout::new(d, TARGET_GRID_PX, th.font_px);
            draw_heatmap(area, d, &l, hl, th, s)
        })
        .unwrap_or(Ok(()))
    });
    Export {
        size: Arc::new(move |th| {
            data.try_with_untracked(|d| {
                let l = HeatmapLayout::new(d, TARGET_GRID_PX, th.font_px);
                (l.width, l.height)
            })
            .unwrap_or((1.0, 1.0))
        }),
        draw,
        numbers: Some(Arc::new(move || {
            data.try_with_untracked(|d| (d.rows > 0).then(|| d.numbers()))
                .flatten()
        })),
    }
}

#[component]
pub fn Heatmap(
    /// Heading, e.g. "Attention weights".
    #[prop(into)]
    title: String,
    /// Shape and formula note, e.g. "11 × 11 · softmax of each row".
    #[prop(into)]
    subtitle: Signal<String>,
    #[prop(into)] data: Signal<HeatmapData>,
    /// Row to outline (the selected query).
    #[prop(optional, into)]
    highlight_row: Signal<Option<usize>>,
    /// Called with the row clicked or chosen with Enter.
    #[prop(optional)]
    on_select_row: Option<Callback<usize>>,
    /// Per-row extra column in the table, e.g. ("row sum", values).
    #[prop(optional, into)]
    extra_column: Signal<Option<(String, Vec<f64>)>>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let focus = RwSignal::new(None::<(usize, usize)>);
    let touched = StoredValue::new(false);
    let theme = use_context::<Memo<ChartTheme>>();
    let layout = Memo::new(move |_| {
        let font = theme
            .map_or(ChartTheme::new(false, false), |t| t.get())
            .font_px;
        data.with(|d| HeatmapLayout::new(d, TARGET_GRID_PX, font))
    });
    let paint_error = use_heatmap_paint(canvas_ref, data, highlight_row, focus);

    let cell_from_mouse = move |ev: &web_sys::MouseEvent| {
        layout
            .get_untracked()
            .cell_at(f64::from(ev.offset_x()), f64::from(ev.offset_y()))
    };
    let readout = move || {
        focus
            .get()
            .map(|(r, c)| data.with(|d| describe_cell(d, r, c)))
            .unwrap_or_else(|| {
                "Point at a cell (or tap it), or Tab here and use the arrow keys, to read its exact value."
                    .into()
            })
    };
    let export_name = match test_id.strip_prefix("hm-").unwrap_or(&test_id) {
        "" => title.clone(),
        id => id.to_string(),
    };
    let export_title = {
        let title = title.clone();
        Signal::derive(move || format!("{title}, {}", subtitle.get()))
    };
    let caption_id = unique_id("heatmap");
    let title_for_label = title.clone();
    let aria = move || {
        format!(
            "{} heatmap, {}. Values are listed in the Numbers table below.",
            title_for_label,
            subtitle.get()
        )
    };

    view! {
        <figure class="heatmap" data-testid=test_id>
            <figcaption id=caption_id.clone()>
                <span class="title">{title.clone()}</span>
                " "
                <span class="shape">{move || subtitle.get()}</span>
            </figcaption>
            <div class="canvas-scroll">
                <canvas
                    node_ref=canvas_ref
                    tabindex="0"
                    role="img"
                    aria-label=aria
                    aria-describedby=caption_id
                    on:mousemove=move |ev| {
                        let cell = cell_from_mouse(&ev);
                        if focus.get_untracked() != cell {
                            focus.set(cell);
                        }
                    }
                    // A finger's readout stays after the tap (touch screens
                    // send a mouseleave when a later event moves the mouse).
                    on:pointerdown=move |ev: web_sys::PointerEvent| touched.set_value(ev.pointer_type() == "touch")
                    on:mouseleave=move |_| {
                        if !touched.get_value() {
                            focus.set(None);
                        }
                    }
                    on:click=move |ev| {
                        // A tap (no hover on a touch screen) reads out its cell too.
                        let cell = cell_from_mouse(&ev);
                        if cell.is_some() && focus.get_untracked() != cell {
                            focus.set(cell);
                        }
                        if let (Some((r, _)), Some(cb)) = (cell, on_select_row) {
                            cb.run(r);
                        }
                    }
                    on:focus=move |_| {
                        if focus.get_untracked().is_none() {
                            focus.set(Some((highlight_row.get_untracked().unwrap_or(0), 0)));
                        }
                    }
                    on:blur=move |_| focus.set(None)
                    on:keydown=move |ev| {
                        let key = ev.key();
                        let (rows, cols) = data.with_untracked(|d| (d.rows, d.cols));
                        let cur = focus.get_untracked().unwrap_or((0, 0));
                        if key == "Enter" || key == " " {
                            if let Some(cb) = on_select_row {
                                ev.prevent_default();
                                cb.run(cur.0.min(rows.saturating_sub(1)));
                            }
                        } else if let Some(next) = move_focus(&key, cur, rows, cols) {
                            ev.prevent_default();
                            focus.set(Some(next));
                        }
                    }
                ></canvas>
            </div>
            <p class="readout" aria-live="polite">{readout}</p>
            <ExportMenu name=export_name title=export_title what=heatmap_export(data, highlight_row) />
            {move || paint_error.get().map(|e| view! { <p class="error">"This chart could not be drawn: " {e}</p> })}
            {heatmap_numbers(data, extra_column)}
        </figure>
    }
}

/// The numbers of a heatmap as a table: a row per matrix row, headed by its
/// label, a column per matrix column, plus an optional extra column.
pub fn heatmap_table(d: &HeatmapData, extra: Option<(String, Vec<f64>)>) -> TableData {
    let mut header = vec![String::new()];
    header.extend(d.col_labels.iter().cloned());
    if let Some((name, _)) = &extra {
        header.push(name.clone());
    }
    let rows = (0..d.rows)
        .map(|r| {
            let mut cells: Vec<String> = (0..d.cols)
                .map(|c| table_value(d.get(r, c).unwrap_or(f64::NAN)))
                .collect();
            if let Some(v) = extra.as_ref().and_then(|(_, v)| v.get(r)) {
                cells.push(format!("{v:.6}"));
            }
            (
                Some(d.row_labels.get(r).cloned().unwrap_or_default()),
                cells,
            )
        })
        .collect();
    TableData { header, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::heatmap::ColorScale;

    fn d() -> HeatmapData {
        HeatmapData {
            rows: 2,
            cols: 2,
            values: vec![0.25, f64::NEG_INFINITY, 1.0, 0.0],
            row_labels: vec!["<b>".into(), "b".into()],
            col_labels: vec!["x".into(), "y".into()],
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        }
    }

    #[test]
    fn describes_cells_and_masks() {
        assert_eq!(
            describe_cell(&d(), 0, 0),
            "row 1 “<b>”, column 1 “x”: 0.250000"
        );
        assert!(describe_cell(&d(), 0, 1).contains("masked"));
        assert!(describe_cell(&d(), 5, 5).ends_with("—"));
    }

    #[test]
    fn table_has_labels_values_and_the_extra_column() {
        let t = heatmap_table(&d(), Some(("row sum".into(), vec![0.25, 1.0])));
        assert_eq!(t.header, ["", "x", "y", "row sum"]);
        assert_eq!(t.rows[0].0.as_deref(), Some("<b>"));
        assert_eq!(t.rows[0].1, ["0.250000", "masked", "0.250000"]);
        assert_eq!(t.rows[1].1, ["1.000000", "0.000000", "1.000000"]);
        assert_eq!(heatmap_table(&d(), None).rows[1].1.len(), 2);
    }

    #[test]
    fn a_heatmap_exports_as_svg_with_its_tokens_as_text() {
        use crate::widgets::export::svg_file;
        let m = HeatmapData {
            rows: 3,
            cols: 3,
            values: vec![0.5, 0.25, 0.25, 0.1, 0.8, 0.1, 0.0, 0.0, 1.0],
            row_labels: vec!["the".into(), "cat".into(), "<sat>".into()],
            col_labels: vec!["the".into(), "cat".into(), "<sat>".into()],
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        };
        let what = heatmap_export(Signal::stored(m), Signal::stored(Some(1)));
        let href = "http://h/qkv?text=the+cat&dk=4";
        let svg =
            svg_file(&what, &ChartTheme::new(true, false), "Weights, 3 × 3", href).expect("svg");
        assert!(svg.contains("<svg"));
        assert!(svg.contains("<title>Weights, 3 × 3</title>"));
        assert!(svg.contains(&format!(
            "<desc>Weights, 3 × 3. From Attention Lab, this view: {}</desc>",
            href.replace('&', "&amp;")
        )));
        let texts: Vec<String> = crate::charts::figure_tests::texts(&svg)
            .into_iter()
            .map(|t| t.content)
            .collect();
        for token in ["the", "cat", "<sat>"] {
            let n = texts.iter().filter(|t| *t == token).count();
            assert_eq!(n, 2, "{token} labels a row and a column: {texts:?}");
        }
        assert!(texts.iter().any(|t| t == "0.80"), "cell values as text");
        // Vector cells, one <rect> each, not a bitmap.
        assert!(svg.matches("<rect").count() >= 9);
        assert!(!svg.contains("<image"));
    }

    #[test]
    fn a_heatmap_exports_its_matrix_as_csv() {
        use crate::widgets::export::csv_file;
        let what = heatmap_export(Signal::stored(d()), Signal::stored(None));
        let out = csv_file(&what, "Scores", "http://h/qkv").expect("csv");
        assert_eq!(
            out,
            "# Scores. From Attention Lab, this view: http://h/qkv\n,x,y\n<b>,0.25,-inf\nb,1,0\n"
        );
        let empty = heatmap_export(Signal::stored(empty_heatmap()), Signal::stored(None));
        assert!(csv_file(&empty, "Scores", "http://h/qkv").is_err());
    }

    #[test]
    fn keyboard_moves_stay_inside() {
        assert_eq!(move_focus("ArrowUp", (0, 0), 3, 3), Some((0, 0)));
        assert_eq!(move_focus("ArrowDown", (2, 1), 3, 3), Some((2, 1)));
        assert_eq!(move_focus("ArrowRight", (1, 1), 3, 3), Some((1, 2)));
        assert_eq!(move_focus("End", (1, 0), 3, 4), Some((1, 3)));
        assert_eq!(move_focus("PageDown", (0, 2), 5, 3), Some((4, 2)));
        assert_eq!(move_focus("x", (0, 0), 3, 3), None);
        assert_eq!(move_focus("ArrowUp", (9, 9), 3, 3), Some((1, 2)));
        assert_eq!(move_focus("ArrowUp", (0, 0), 0, 3), None);
    }
}
