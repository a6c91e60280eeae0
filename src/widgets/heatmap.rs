//! Canvas heatmap widget: a matrix with token labels, sharp at any
//! device-pixel ratio, with the exact value of the cell under the pointer (or
//! the keyboard focus: Tab to the chart, then arrow keys) read out as text, and
//! every number available in a table for screen readers and copying, and
//! an export menu (SVG, PNG, the matrix as CSV; [`super::export`]).
//!
//! A big matrix (more than [`LARGE`](super::heatmap_zoom::LARGE) rows or columns, up to 512 x 512) is
//! drawn whole with small cells and offers a zoom ([`super::heatmap_zoom`]):
//! a window of 64, 16 or 8 cells each way, labelled at its edges, that
//! follows the keyboard focus and pans with buttons; `+` and `-` zoom from
//! the keyboard. Its numbers table is paged, 32 rows and columns at a time.
//!
//! Data flow: `data` and the highlight are signals; an `Effect` only paints,
//! through [`crate::canvas::paint`]; a layout `Memo` serves pointer hit-testing.

use super::chart::DrawFn;
use super::export::{Export, ExportMenu};
use super::heatmap_zoom::{
    is_large, neighbour_page, table_page, window_data, zoom_options, Window,
};
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

/// What the rows and the columns of a matrix are, for the readout: "row" and
/// "column", or "query" and "key" for an attention matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axes {
    pub row: &'static str,
    pub col: &'static str,
    /// The plurals, for "queries 1–16, keys 1–16".
    pub rows: &'static str,
    pub cols: &'static str,
}

impl Default for Axes {
    fn default() -> Self {
        Axes {
            row: "row",
            col: "column",
            rows: "rows",
            cols: "columns",
        }
    }
}

impl Axes {
    /// Rows are queries, columns keys.
    pub const QUERY_KEY: Axes = Axes {
        row: "query",
        col: "key",
        rows: "queries",
        cols: "keys",
    };
}

/// Text read out for one cell: its row and column (position and label)
/// and its exact value.
pub fn describe_cell(d: &HeatmapData, r: usize, c: usize, axes: Axes) -> String {
    let label = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_else(|| i.to_string());
    let value = match d.get(r, c) {
        Some(v) if v == f64::NEG_INFINITY => {
            "masked (−∞: this key is hidden from this query)".to_string()
        }
        Some(v) => format!("{v:.6}"),
        None => "—".to_string(),
    };
    format!(
        "{} {} “{}”, {} {} “{}”: {value}",
        axes.row,
        r + 1,
        label(&d.row_labels, r),
        axes.col,
        c + 1,
        label(&d.col_labels, c)
    )
}

/// The zoom after `+` (in) or `-` (out) from `side` (0 is the whole
/// matrix), among `options` (largest first); `None` when there is no step.
pub fn zoom_key(key: &str, side: usize, options: &[usize]) -> Option<usize> {
    let at = if side == 0 {
        None
    } else {
        options.iter().position(|&z| z == side)
    };
    match (key, at) {
        ("+" | "=", None) => options.first().copied(),
        ("+" | "=", Some(i)) => options.get(i + 1).copied(),
        ("-" | "_", Some(0)) => Some(0),
        ("-" | "_", Some(i)) => options.get(i - 1).copied(),
        _ => None,
    }
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
    zoom: Zoom,
) -> RwSignal<Option<String>> {
    use_painter(canvas_ref, move |canvas, th, dpr| {
        let (row, cell) = (highlight_row.get(), focus.get());
        let (side, origin) = (zoom.side.get(), zoom.origin.get());
        data.with(|d| {
            let w = shown_window(side, origin, d.rows, d.cols);
            let part;
            let shown = if w == Window::whole(d.rows, d.cols) {
                d
            } else {
                part = window_data(d, w);
                &part
            };
            let hl = Highlight {
                row: row
                    .and_then(|r| r.checked_sub(w.row0))
                    .filter(|&r| r < w.rows),
                focus: cell.and_then(|c| w.to_window(c)),
            };
            let l = HeatmapLayout::new(shown, TARGET_GRID_PX, th.font_px);
            paint(canvas, l.width, l.height, dpr, |area, s| {
                draw_heatmap(area, shown, &l, hl, th, s)
            })
        })
    })
}

/// The zoom of one heatmap: the side of the window (0 for the whole
/// matrix) and its top-left cell. The widget's own view state, like the
/// pointer's cell: not in the URL.
#[derive(Clone, Copy)]
struct Zoom {
    side: RwSignal<usize>,
    origin: RwSignal<(usize, usize)>,
}

/// The window shown of `d` at zoom `side` from `origin`: the whole of a
/// matrix that is not large.
fn shown_window(side: usize, origin: (usize, usize), rows: usize, cols: usize) -> Window {
    if is_large(rows, cols) {
        Window::at(side, origin, rows, cols)
    } else {
        Window::whole(rows, cols)
    }
}

/// The closed "Numbers" block under a heatmap; the table is built only
/// while it is open. A big matrix's table is paged ([`table_page`]).
fn heatmap_numbers(
    data: Signal<HeatmapData>,
    shape: Signal<(usize, usize)>,
    extra_column: Signal<Option<(String, Vec<f64>)>>,
    axes: Axes,
) -> impl IntoView {
    let details_ref = NodeRef::<html::Details>::new();
    let open = RwSignal::new(false);
    // First row and column of the page shown.
    let page = RwSignal::new((0_usize, 0_usize));
    let paged = move || shape.with(|&(r, c)| is_large(r, c));
    let window = move || {
        let ((r0, c0), (rows, cols)) = (page.get(), shape.get());
        let ((row0, rows), (col0, cols)) = (table_page(r0, rows), table_page(c0, cols));
        Window {
            row0,
            col0,
            rows,
            cols,
        }
    };
    let turn = move |rows: bool, forward: bool| {
        let ((r0, c0), (n_rows, n_cols)) = (page.get_untracked(), shape.get_untracked());
        let next = if rows {
            neighbour_page(r0, n_rows, forward).map(|r| (r, c0))
        } else {
            neighbour_page(c0, n_cols, forward).map(|c| (r0, c))
        };
        next.map(|p| page.set(p))
    };
    let can = move |rows: bool, forward: bool| {
        let ((r0, c0), (n_rows, n_cols)) = (page.get(), shape.get());
        if rows {
            neighbour_page(r0, n_rows, forward).is_some()
        } else {
            neighbour_page(c0, n_cols, forward).is_some()
        }
    };
    let pager = move || {
        paged().then(|| {
            let (rows, cols) = shape.get();
            view! {
                <div class="table-pager" role="group" aria-label="Pages of the table">
                    <p class="page-shown" aria-live="polite">
                        {move || format!("Showing {} of {rows} × {cols}.", window().describe(axes.rows, axes.cols))}
                    </p>
                    <button on:click=move |_| { turn(true, false); } disabled=move || !can(true, false)>
                        {format!("↑ Previous {}", axes.rows)}
                    </button>
                    <button on:click=move |_| { turn(true, true); } disabled=move || !can(true, true)>
                        {format!("↓ Next {}", axes.rows)}
                    </button>
                    <button on:click=move |_| { turn(false, false); } disabled=move || !can(false, false)>
                        {format!("← Previous {}", axes.cols)}
                    </button>
                    <button on:click=move |_| { turn(false, true); } disabled=move || !can(false, true)>
                        {format!("→ Next {}", axes.cols)}
                    </button>
                </div>
            }
        })
    };
    view! {
        <details class="numbers" node_ref=details_ref on:toggle=move |_| open.set(details_ref.get_untracked().is_some_and(|d| d.open()))>
            <summary>"Numbers"</summary>
            {move || {
                open.get()
                    .then(|| {
                        let w = window();
                        let extra = extra_column.get();
                        let table = data.with(|d| heatmap_table(d, extra, w));
                        view! {
                            {pager}
                            <NumbersTable data=table />
                        }
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
    /// What rows and columns are, for the readout (default: row, column).
    #[prop(optional)]
    axes: Axes,
    /// The matrix's (rows, columns), when the page knows it without building
    /// `data` (so a chart off screen builds no data); default: read from `data`.
    #[prop(optional, into)]
    shape: Option<Signal<(usize, usize)>>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let shape = shape.unwrap_or_else(|| Memo::new(move |_| data.with(|d| (d.rows, d.cols))).into());
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let focus = RwSignal::new(None::<(usize, usize)>);
    // The last cell pointed at or focused: where a zoom is centred.
    let last_cell = StoredValue::new(None::<(usize, usize)>);
    let touched = StoredValue::new(false);
    let zoom = Zoom {
        side: RwSignal::new(0),
        origin: RwSignal::new((0, 0)),
    };
    let theme = use_context::<Memo<ChartTheme>>();
    // The window shown (from the shape alone) and its geometry, for
    // hit-testing (the painter computes its own: see `use_heatmap_paint`).
    let window = Memo::new(move |_| {
        let (rows, cols) = shape.get();
        shown_window(zoom.side.get(), zoom.origin.get(), rows, cols)
    });
    let layout = Memo::new(move |_| {
        let font = theme
            .map_or(ChartTheme::new(false, false), |t| t.get())
            .font_px;
        let (side, origin) = (zoom.side.get(), zoom.origin.get());
        data.with(|d| {
            let w = shown_window(side, origin, d.rows, d.cols);
            let l = if w == Window::whole(d.rows, d.cols) {
                HeatmapLayout::new(d, TARGET_GRID_PX, font)
            } else {
                HeatmapLayout::new(&window_data(d, w), TARGET_GRID_PX, font)
            };
            (w, l)
        })
    });
    let paint_error = use_heatmap_paint(canvas_ref, data, highlight_row, focus, zoom);
    let set_focus = move |cell: Option<(usize, usize)>| {
        if focus.get_untracked() != cell {
            focus.set(cell);
        }
        if cell.is_some() {
            last_cell.set_value(cell);
        }
    };

    let cell_from_mouse = move |ev: &web_sys::MouseEvent| {
        let (w, l) = layout.get_untracked();
        l.cell_at(f64::from(ev.offset_x()), f64::from(ev.offset_y()))
            .map(|c| w.to_matrix(c))
    };
    // Moves the zoomed window (if any) so that `cell` is shown.
    let reveal = move |cell: (usize, usize)| {
        let w = window.get_untracked();
        if zoom.side.get_untracked() > 0 && !w.contains(cell) {
            let (rows, cols) = shape.get_untracked();
            let moved = w.follow(cell, rows, cols);
            zoom.origin.set((moved.row0, moved.col0));
        }
    };
    let set_zoom = move |side: usize| {
        let (rows, cols) = shape.get_untracked();
        let anchor = last_cell
            .get_value()
            .or_else(|| highlight_row.get_untracked().map(|r| (r, 0)))
            .unwrap_or((0, 0));
        let w = Window::centred(side, anchor, rows, cols);
        zoom.origin.set((w.row0, w.col0));
        zoom.side.set(side);
    };
    let readout = move || {
        focus
            .get()
            .map(|(r, c)| data.with(|d| describe_cell(d, r, c, axes)))
            .unwrap_or_else(|| {
                "Point at a cell (or tap it), or Tab here and use the arrow keys, to read its exact value."
                    .into()
            })
    };
    let zoom_bar = move || {
        let (rows, cols) = shape.get();
        let options = zoom_options(rows, cols);
        (!options.is_empty()).then(|| {
            let button = move |side: usize, text: String| {
                view! {
                    <button
                        class="zoom"
                        data-zoom=side
                        aria-pressed=move || (zoom.side.get() == side).to_string()
                        on:click=move |_| set_zoom(side)
                    >
                        {text}
                    </button>
                }
            };
            let pan = move |by: (i64, i64), text: &'static str, label: String| {
                view! {
                    <button
                        class="pan"
                        aria-label=label
                        disabled=move || {
                            let w = window.get();
                            let (rows, cols) = shape.get();
                            w.pan(by, rows, cols) == w
                        }
                        on:click=move |_| {
                            let w = window.get_untracked();
                            let moved = w.pan(by, rows, cols);
                            zoom.origin.set((moved.row0, moved.col0));
                        }
                    >
                        {text}
                    </button>
                }
            };
            view! {
                <div class="zoom-bar" role="group" aria-label="Zoom">
                    <span class="label">"Zoom: "</span>
                    {button(0, "Whole matrix".into())}
                    {options.iter().map(|&z| button(z, format!("{z} × {z}"))).collect_view()}
                    <Show when=move || { zoom.side.get() > 0 }>
                        <span class="pans">
                            {pan((-1, 0), "↑", format!("Show earlier {}", axes.rows))}
                            {pan((1, 0), "↓", format!("Show later {}", axes.rows))}
                            {pan((0, -1), "←", format!("Show earlier {}", axes.cols))}
                            {pan((0, 1), "→", format!("Show later {}", axes.cols))}
                        </span>
                    </Show>
                    <span class="zoom-shown" data-testid="zoom-shown">
                        {move || format!("{} of {rows} × {cols}", window.get().describe(axes.rows, axes.cols))}
                    </span>
                </div>
            }
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
        let zoom_help = if shape.with(|&(r, c)| is_large(r, c)) {
            " Plus and minus zoom in and out."
        } else {
            ""
        };
        format!(
            "{} heatmap, {}. Values are listed in the Numbers table below.{zoom_help}",
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
            {zoom_bar}
            <div class="canvas-scroll">
                <canvas
                    node_ref=canvas_ref
                    tabindex="0"
                    role="img"
                    aria-label=aria
                    aria-describedby=caption_id
                    on:mousemove=move |ev| set_focus(cell_from_mouse(&ev))
                    // A finger's readout stays after the tap (touch screens
                    // send a mouseleave when a later event moves the mouse).
                    on:pointerdown=move |ev: web_sys::PointerEvent| touched.set_value(ev.pointer_type() == "touch")
                    on:mouseleave=move |_| {
                        if !touched.get_value() {
                            // With the keyboard on the chart, its cell stays read out.
                            let keyboard = canvas_ref.get_untracked().is_some_and(|c| {
                                document().active_element().is_some_and(|a| AsRef::<web_sys::Element>::as_ref(&c) == &a)
                            });
                            focus.set(if keyboard { last_cell.get_value() } else { None });
                        }
                    }
                    on:click=move |ev| {
                        // A tap (no hover on a touch screen) reads out its cell too.
                        let cell = cell_from_mouse(&ev);
                        if cell.is_some() {
                            set_focus(cell);
                        }
                        if let (Some((r, _)), Some(cb)) = (cell, on_select_row) {
                            cb.run(r);
                        }
                    }
                    on:focus=move |_| {
                        if focus.get_untracked().is_none() {
                            // Start where the view is: the selected row, inside the window shown.
                            let w = window.get_untracked();
                            let row = highlight_row.get_untracked().filter(|&r| w.contains((r, w.col0)));
                            set_focus(Some((row.unwrap_or(w.row0), w.col0)));
                        }
                    }
                    on:blur=move |_| focus.set(None)
                    on:keydown=move |ev| {
                        let key = ev.key();
                        let (rows, cols) = data.with_untracked(|d| (d.rows, d.cols));
                        let cur = focus.get_untracked().or(last_cell.get_value()).unwrap_or((0, 0));
                        if key == "Enter" || key == " " {
                            if let Some(cb) = on_select_row {
                                ev.prevent_default();
                                cb.run(cur.0.min(rows.saturating_sub(1)));
                            }
                        } else if let Some(next) = move_focus(&key, cur, rows, cols) {
                            ev.prevent_default();
                            reveal(next);
                            set_focus(Some(next));
                        } else if let Some(side) = zoom_key(&key, zoom.side.get_untracked(), &zoom_options(rows, cols)) {
                            ev.prevent_default();
                            last_cell.set_value(Some(cur));
                            set_zoom(side);
                        }
                    }
                ></canvas>
            </div>
            <p class="readout" aria-live="polite">{readout}</p>
            <ExportMenu name=export_name title=export_title what=heatmap_export(data, highlight_row) />
            {move || paint_error.get().map(|e| view! { <p class="error">"This chart could not be drawn: " {e}</p> })}
            {heatmap_numbers(data, shape, extra_column, axes)}
        </figure>
    }
}

/// The numbers of a heatmap inside `w` as a table: a row per matrix row,
/// headed by its label, a column per matrix column, plus an optional extra
/// column.
pub fn heatmap_table(d: &HeatmapData, extra: Option<(String, Vec<f64>)>, w: Window) -> TableData {
    let cols = w.col0..(w.col0 + w.cols).min(d.cols);
    let mut header = vec![String::new()];
    header.extend(d.col_labels.iter().skip(w.col0).take(cols.len()).cloned());
    if let Some((name, _)) = &extra {
        header.push(name.clone());
    }
    let rows = (w.row0..(w.row0 + w.rows).min(d.rows))
        .map(|r| {
            let mut cells: Vec<String> = cols
                .clone()
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
        let rc = Axes::default();
        assert_eq!(
            describe_cell(&d(), 0, 0, rc),
            "row 1 “<b>”, column 1 “x”: 0.250000"
        );
        assert!(describe_cell(&d(), 0, 1, rc).contains("masked"));
        assert!(describe_cell(&d(), 5, 5, rc).ends_with("—"));
        assert_eq!(
            describe_cell(&d(), 1, 0, Axes::QUERY_KEY),
            "query 2 “b”, key 1 “x”: 1.000000"
        );
    }

    #[test]
    fn table_has_labels_values_and_the_extra_column() {
        let all = Window::whole(2, 2);
        let t = heatmap_table(&d(), Some(("row sum".into(), vec![0.25, 1.0])), all);
        assert_eq!(t.header, ["", "x", "y", "row sum"]);
        assert_eq!(t.rows[0].0.as_deref(), Some("<b>"));
        assert_eq!(t.rows[0].1, ["0.250000", "masked", "0.250000"]);
        assert_eq!(t.rows[1].1, ["1.000000", "0.000000", "1.000000"]);
        assert_eq!(heatmap_table(&d(), None, all).rows[1].1.len(), 2);
        // One page: the second row and column only, with that row's sum.
        let page = Window {
            row0: 1,
            col0: 1,
            rows: 1,
            cols: 1,
        };
        let t = heatmap_table(&d(), Some(("row sum".into(), vec![0.25, 1.0])), page);
        assert_eq!(t.header, ["", "y", "row sum"]);
        assert_eq!(
            t.rows,
            [(
                Some("b".to_string()),
                vec!["0.000000".to_string(), "1.000000".to_string()]
            )]
        );
        // A window past the end is cut, not a panic.
        let past = Window {
            row0: 1,
            col0: 0,
            rows: 9,
            cols: 9,
        };
        assert_eq!(heatmap_table(&d(), None, past).rows.len(), 1);
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
    fn a_512_table_page_has_32_rows_of_32_numbers() {
        let n = 512;
        let big = HeatmapData {
            rows: n,
            cols: n,
            values: (0..n * n).map(|i| (i % 7) as f64 / 7.0).collect(),
            row_labels: (0..n).map(|i| format!("t{i}")).collect(),
            col_labels: (0..n).map(|i| format!("t{i}")).collect(),
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        };
        let (row0, rows) = table_page(500, n);
        let (col0, cols) = table_page(0, n);
        let t = heatmap_table(
            &big,
            None,
            Window {
                row0,
                col0,
                rows,
                cols,
            },
        );
        assert_eq!(t.rows.len(), 32);
        assert!(t.rows.iter().all(|(_, cells)| cells.len() == 32));
        assert_eq!(t.rows[0].0.as_deref(), Some("t480"));
        assert_eq!(t.header[32], "t31");
    }

    #[test]
    fn plus_and_minus_step_through_the_zooms() {
        let z = [64, 16, 8];
        assert_eq!(zoom_key("+", 0, &z), Some(64));
        assert_eq!(zoom_key("=", 64, &z), Some(16));
        assert_eq!(zoom_key("+", 8, &z), None, "already closest");
        assert_eq!(zoom_key("-", 8, &z), Some(16));
        assert_eq!(zoom_key("-", 64, &z), Some(0), "back to the whole matrix");
        assert_eq!(zoom_key("-", 0, &z), None);
        assert_eq!(zoom_key("+", 0, &[]), None, "a small matrix has no zoom");
        assert_eq!(zoom_key("x", 16, &z), None);
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
