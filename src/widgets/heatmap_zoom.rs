//! Reading a big matrix (up to 512 x 512): which part of it a heatmap shows.
//!
//! A matrix with more than [`LARGE`] rows or columns is drawn whole with
//! small cells (an overview) and can be zoomed to a [`Window`] of a few
//! cells each way, drawn with full labels at the edges of the canvas (so they
//! never scroll away). The window follows the keyboard focus and can be
//! panned; its numbers table is paged the same way ([`TABLE_PAGE`] rows and
//! columns at a time) so the page never holds 262,144 cells.
//!
//! Pure (no DOM), tested natively; the widget is [`super::heatmap`].

use crate::charts::heatmap::HeatmapData;
/// Matrices with more rows or columns than this are drawn with small cells,
/// get the zoom and a paged table.
pub use crate::charts::heatmap::LARGE;
/// Sides of the zoomed windows offered (cells each way), largest first;
/// the last one is big enough to print values inside the cells.
pub const ZOOMS: [usize; 3] = [64, 16, 8];
/// Rows and columns per page of a big matrix's numbers table.
pub const TABLE_PAGE: usize = 32;

/// A rectangle of cells: rows `row0..row0 + rows`, columns `col0..col0 + cols`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub row0: usize,
    pub col0: usize,
    pub rows: usize,
    pub cols: usize,
}

/// Whether a matrix of this shape is big enough to need zooming.
pub fn is_large(rows: usize, cols: usize) -> bool {
    rows.max(cols) > LARGE
}

/// The zoom sides worth offering for a matrix of this shape (smaller than
/// its larger side); none for a matrix that is not [`is_large`].
pub fn zoom_options(rows: usize, cols: usize) -> Vec<usize> {
    if !is_large(rows, cols) {
        return Vec::new();
    }
    ZOOMS
        .iter()
        .copied()
        .filter(|&z| z < rows.max(cols))
        .collect()
}

/// `start` moved as little as possible so that `len` items from it fit in
/// `0..n` and contain `at`.
fn follow_axis(start: usize, len: usize, n: usize, at: usize) -> usize {
    let len = len.min(n);
    let at = at.min(n.saturating_sub(1));
    let start = if at < start {
        at
    } else if at >= start + len {
        at + 1 - len
    } else {
        start
    };
    start.min(n - len)
}

impl Window {
    /// The whole matrix.
    pub fn whole(rows: usize, cols: usize) -> Self {
        Window {
            row0: 0,
            col0: 0,
            rows,
            cols,
        }
    }

    /// A window of at most `side` x `side` cells of a `rows x cols` matrix,
    /// starting at `origin` (moved back inside when the matrix shrank).
    /// `side == 0` means the whole matrix.
    pub fn at(side: usize, origin: (usize, usize), rows: usize, cols: usize) -> Self {
        if side == 0 || rows == 0 || cols == 0 {
            return Window::whole(rows, cols);
        }
        let (h, w) = (side.min(rows), side.min(cols));
        Window {
            row0: origin.0.min(rows - h),
            col0: origin.1.min(cols - w),
            rows: h,
            cols: w,
        }
    }

    /// A window of `side` cells each way centred (as far as the edges allow)
    /// on `cell`.
    pub fn centred(side: usize, cell: (usize, usize), rows: usize, cols: usize) -> Self {
        let half = side / 2;
        Window::at(
            side,
            (cell.0.saturating_sub(half), cell.1.saturating_sub(half)),
            rows,
            cols,
        )
    }

    /// The same window moved as little as possible to contain `cell`
    /// (inside a `rows x cols` matrix).
    pub fn follow(self, cell: (usize, usize), rows: usize, cols: usize) -> Self {
        if rows == 0 || cols == 0 {
            return self;
        }
        Window {
            row0: follow_axis(self.row0, self.rows, rows, cell.0),
            col0: follow_axis(self.col0, self.cols, cols, cell.1),
            rows: self.rows.min(rows),
            cols: self.cols.min(cols),
        }
    }

    /// The window moved by half its size `(down, right)` steps (negative
    /// moves up / left), kept inside the matrix.
    pub fn pan(self, (down, right): (i64, i64), rows: usize, cols: usize) -> Self {
        let shift = |start: usize, len: usize, n: usize, by: i64| {
            let step = (len / 2).max(1) as i64;
            let to = (start as i64 + by * step).max(0) as usize;
            to.min(n.saturating_sub(len))
        };
        Window {
            row0: shift(self.row0, self.rows, rows, down),
            col0: shift(self.col0, self.cols, cols, right),
            ..self
        }
    }

    /// Whether the window holds (row, col).
    pub fn contains(&self, (r, c): (usize, usize)) -> bool {
        (self.row0..self.row0 + self.rows).contains(&r)
            && (self.col0..self.col0 + self.cols).contains(&c)
    }

    /// A cell of the window (0-based inside it) as a cell of the matrix.
    pub fn to_matrix(&self, (r, c): (usize, usize)) -> (usize, usize) {
        (r + self.row0, c + self.col0)
    }

    /// A cell of the matrix inside the window, if it is shown.
    pub fn to_window(&self, (r, c): (usize, usize)) -> Option<(usize, usize)> {
        self.contains((r, c))
            .then(|| (r - self.row0, c - self.col0))
    }

    /// "rows 385–448, columns 1–64" (1-based, as the readout counts), for
    /// the plural words given.
    pub fn describe(&self, rows_word: &str, cols_word: &str) -> String {
        let span = |a: usize, n: usize| {
            if n <= 1 {
                format!("{}", a + 1)
            } else {
                format!("{}–{}", a + 1, a + n)
            }
        };
        format!(
            "{rows_word} {}, {cols_word} {}",
            span(self.row0, self.rows),
            span(self.col0, self.cols)
        )
    }
}

/// The part of `d` inside `w`, on the whole matrix's colour scale (so a
/// colour means the same value zoomed in or out).
pub fn window_data(d: &HeatmapData, w: Window) -> HeatmapData {
    let w = Window::at(w.rows.max(w.cols), (w.row0, w.col0), d.rows, d.cols);
    let w = Window {
        rows: w.rows.min(d.rows),
        cols: w.cols.min(d.cols),
        ..w
    };
    let mut values = Vec::with_capacity(w.rows * w.cols);
    for r in w.row0..w.row0 + w.rows {
        let start = r * d.cols + w.col0;
        values.extend(
            d.values
                .get(start..start + w.cols)
                .unwrap_or_default()
                .iter(),
        );
    }
    let labels =
        |v: &[String], a: usize, n: usize| v.iter().skip(a).take(n).cloned().collect::<Vec<_>>();
    HeatmapData {
        rows: w.rows,
        cols: w.cols,
        values,
        row_labels: labels(&d.row_labels, w.row0, w.rows),
        col_labels: labels(&d.col_labels, w.col0, w.cols),
        scale: d.scale,
    }
}

/// The page of a big matrix's table that starts at `start` along an axis of
/// `n`: `(first, count)`; the whole axis when it is not longer than [`LARGE`].
pub fn table_page(start: usize, n: usize) -> (usize, usize) {
    if n <= LARGE {
        return (0, n);
    }
    let first = start.min(n - 1) / TABLE_PAGE * TABLE_PAGE;
    (first, TABLE_PAGE.min(n - first))
}

/// The start of the page before / after the one starting at `start`, if any.
pub fn neighbour_page(start: usize, n: usize, forward: bool) -> Option<usize> {
    if n <= LARGE {
        return None;
    }
    let (first, _) = table_page(start, n);
    if forward {
        let next = first + TABLE_PAGE;
        (next < n).then_some(next)
    } else {
        first.checked_sub(TABLE_PAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::heatmap::ColorScale;

    fn matrix(rows: usize, cols: usize) -> HeatmapData {
        HeatmapData {
            rows,
            cols,
            values: (0..rows * cols).map(|i| i as f64).collect(),
            row_labels: (0..rows).map(|i| format!("r{i}")).collect(),
            col_labels: (0..cols).map(|i| format!("c{i}")).collect(),
            scale: ColorScale::Diverging { abs_max: 9.0 },
        }
    }

    #[test]
    fn only_big_matrices_are_zoomed() {
        assert!(zoom_options(64, 64).is_empty());
        assert!(zoom_options(11, 8).is_empty());
        assert_eq!(zoom_options(512, 512), [64, 16, 8]);
        assert_eq!(zoom_options(512, 8), [64, 16, 8], "X and Q are tall");
        assert_eq!(zoom_options(65, 65), [64, 16, 8]);
        assert!(is_large(65, 2) && !is_large(64, 64));
    }

    #[test]
    fn a_window_stays_inside_the_matrix() {
        let w = Window::centred(16, (510, 3), 512, 512);
        assert_eq!(
            w,
            Window {
                row0: 496,
                col0: 0,
                rows: 16,
                cols: 16
            }
        );
        assert!(w.contains((511, 0)) && w.contains((510, 3)));
        assert!(!w.contains((495, 0)) && !w.contains((500, 16)));
        // A tall, narrow matrix: the window is as wide as the matrix.
        let w = Window::centred(16, (100, 5), 512, 8);
        assert_eq!((w.row0, w.col0, w.rows, w.cols), (92, 0, 16, 8));
        // The matrix shrank under an old origin.
        assert_eq!(
            Window::at(16, (500, 500), 20, 20),
            Window {
                row0: 4,
                col0: 4,
                rows: 16,
                cols: 16
            }
        );
        assert_eq!(Window::at(0, (5, 5), 20, 30), Window::whole(20, 30));
        assert_eq!(Window::at(16, (5, 5), 0, 0), Window::whole(0, 0));
    }

    #[test]
    fn the_window_follows_the_focus_by_the_least_move() {
        let w = Window::at(16, (0, 0), 512, 512);
        assert_eq!(w.follow((15, 15), 512, 512), w, "inside: no move");
        let w = w.follow((16, 3), 512, 512);
        assert_eq!((w.row0, w.col0), (1, 0), "one step down scrolls one row");
        let w = w.follow((511, 511), 512, 512);
        assert_eq!((w.row0, w.col0), (496, 496));
        let w = w.follow((0, 500), 512, 512);
        assert_eq!((w.row0, w.col0), (0, 496));
        // Cells past the end are clamped to the last one.
        let w = w.follow((9999, 9999), 512, 512);
        assert_eq!((w.row0, w.col0), (496, 496));
    }

    #[test]
    fn panning_moves_half_a_window_and_stops_at_the_edges() {
        let w = Window::at(16, (0, 0), 512, 512);
        assert_eq!(w.pan((1, 0), 512, 512).row0, 8);
        assert_eq!(w.pan((-1, -1), 512, 512), w);
        assert_eq!(w.pan((100, 100), 512, 512).row0, 496);
        assert_eq!(w.pan((0, 1), 512, 512).col0, 8);
    }

    #[test]
    fn cells_map_between_the_window_and_the_matrix() {
        let w = Window::at(8, (500, 10), 512, 512);
        assert_eq!(w.to_matrix((3, 4)), (503, 14));
        assert_eq!(w.to_window((503, 14)), Some((3, 4)));
        assert_eq!(w.to_window((499, 14)), None);
        assert_eq!(w.describe("rows", "columns"), "rows 501–508, columns 11–18");
        assert_eq!(
            Window::whole(1, 3).describe("queries", "keys"),
            "queries 1, keys 1–3"
        );
    }

    #[test]
    fn window_data_slices_values_and_labels_on_the_same_scale() {
        let d = matrix(512, 512);
        let w = window_data(&d, Window::at(8, (510, 2), 512, 512));
        assert_eq!((w.rows, w.cols), (8, 8));
        assert_eq!(w.row_labels.first().map(String::as_str), Some("r504"));
        assert_eq!(w.col_labels.first().map(String::as_str), Some("c2"));
        assert_eq!(w.get(0, 0), d.get(504, 2));
        assert_eq!(w.get(7, 7), d.get(511, 9));
        assert_eq!(w.scale, d.scale);
        let whole = window_data(&d, Window::whole(512, 512));
        assert_eq!(whole, d);
        let tall = window_data(&matrix(512, 8), Window::at(16, (100, 0), 512, 8));
        assert_eq!((tall.rows, tall.cols, tall.values.len()), (16, 8, 128));
        assert_eq!(
            window_data(&matrix(0, 0), Window::at(8, (3, 3), 0, 0))
                .values
                .len(),
            0
        );
    }

    #[test]
    fn big_tables_are_paged_small_ones_are_whole() {
        assert_eq!(table_page(0, 64), (0, 64));
        assert_eq!(table_page(40, 64), (0, 64));
        assert_eq!(table_page(0, 512), (0, 32));
        assert_eq!(table_page(500, 512), (480, 32));
        assert_eq!(table_page(9999, 512), (480, 32));
        assert_eq!(table_page(64, 70), (64, 6), "the last page is short");
        assert_eq!(neighbour_page(0, 512, true), Some(32));
        assert_eq!(neighbour_page(0, 512, false), None);
        assert_eq!(neighbour_page(480, 512, true), None);
        assert_eq!(neighbour_page(481, 512, false), Some(448));
        assert_eq!(neighbour_page(0, 64, true), None);
    }
}
