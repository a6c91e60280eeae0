//! Matrix heatmap: one coloured cell per entry, token labels on rows and
//! columns, a colour legend, an outlined highlighted row and focused cell.
//!
//! [`HeatmapLayout`] is the pure geometry (CSS pixels) used both to draw and to
//! map a pointer position back to a cell; [`draw_heatmap`] paints it on any
//! plotters backend at a given device-pixel scale. The cells are sent to the
//! backend as one RGB bitmap (`blit_bitmap`), which the canvas bridge turns
//! into a single `putImageData`, so a 64 x 64 matrix costs one call, not 4096.

use super::colormap::{self, Rgb};
use super::{rgb, style, ChartResult, ChartTheme};
use attention_core::Mat;
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// How values map to colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColorScale {
    /// Viridis from `min` (dark) to `max` (bright); used for weights in [0, 1].
    Sequential { min: f64, max: f64 },
    /// RdBu around zero, saturating at `abs_max`; used for signed values.
    Diverging { abs_max: f64 },
}

impl ColorScale {
    /// A diverging scale fitted to the largest finite magnitude in `values`.
    pub fn diverging_for(values: &[f64]) -> Self {
        let abs_max = values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, |m, v| m.max(v.abs()));
        ColorScale::Diverging {
            abs_max: if abs_max > 0.0 { abs_max } else { 1.0 },
        }
    }

    /// Colour of one value. Non-finite values (masked logits) are grey.
    pub fn color(&self, v: f64) -> Rgb {
        if !v.is_finite() {
            return colormap::MASKED;
        }
        let (a, b) = self.steps();
        self.lut().step(v * a + b)
    }

    /// The colours of the first `n` of `values` (NaN, grey, past their
    /// end) as opaque RGBA, 4 bytes each: what [`ColorScale::color`] gives,
    /// with the colour table and the scale's steps looked up once and the
    /// bytes written in place (a 512 x 512 matrix is 262,144 of them on
    /// every paint).
    pub fn rgba(&self, n: usize, values: impl IntoIterator<Item = f64>) -> Vec<u8> {
        let lut = self.lut();
        let (a, b) = self.steps();
        let mut out = vec![255_u8; n * 4];
        let mut cells = out.chunks_exact_mut(4);
        // (Values first: when they run out, no cell has been taken.)
        for (v, px) in values.into_iter().zip(&mut cells) {
            let (r, g, b) = if v.is_finite() {
                lut.step(v * a + b)
            } else {
                colormap::MASKED
            };
            if let [pr, pg, pb, _] = px {
                (*pr, *pg, *pb) = (r, g, b);
            }
        }
        let (r, g, b) = colormap::MASKED;
        for px in cells {
            if let [pr, pg, pb, _] = px {
                (*pr, *pg, *pb) = (r, g, b);
            }
        }
        out
    }

    /// The colour table of this scale.
    fn lut(&self) -> &'static colormap::Lut {
        match self {
            ColorScale::Sequential { .. } => colormap::sequential_lut(),
            ColorScale::Diverging { .. } => colormap::diverging_lut(),
        }
    }

    /// `(a, b)`: a finite value `v` falls at `v * a + b` steps along the
    /// colour table (0 at one end, `LUT_SIZE - 1` at the other; outside,
    /// the table clamps). One multiply and one add a cell, no division.
    fn steps(&self) -> (f64, f64) {
        let last = (colormap::LUT_SIZE - 1) as f64;
        let (a, b) = match *self {
            ColorScale::Sequential { min, max } => {
                let span = max - min;
                if span > 0.0 {
                    let a = last / span;
                    (a, -min * a)
                } else {
                    (0.0, 0.5 * last)
                }
            }
            ColorScale::Diverging { abs_max } => (last / (2.0 * abs_max.max(1e-300)), 0.5 * last),
        };
        if a.is_finite() && b.is_finite() {
            (a, b)
        } else {
            (0.0, 0.5 * last)
        }
    }

    /// The two ends of the legend.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            ColorScale::Sequential { min, max } => (min, max),
            ColorScale::Diverging { abs_max } => (-abs_max, abs_max),
        }
    }

    /// A legend strip of `steps` colours from one end of the range to the
    /// other, as RGBA cells.
    pub fn legend_rgba(&self, steps: usize) -> Vec<u8> {
        let (lo, hi) = self.range();
        let last = steps.saturating_sub(1).max(1) as f64;
        self.rgba(
            steps,
            (0..steps).map(|i| lo + (hi - lo) * (i as f64 / last)),
        )
    }
}

/// A matrix ready to draw: values row-major, labels for each row and column.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapData {
    pub rows: usize,
    pub cols: usize,
    /// Row-major, `rows * cols` entries. Non-finite means masked.
    pub values: Vec<f64>,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub scale: ColorScale,
}

impl HeatmapData {
    /// Value at (row, col), if inside the matrix.
    pub fn get(&self, row: usize, col: usize) -> Option<f64> {
        if row < self.rows && col < self.cols {
            self.values.get(row * self.cols + col).copied()
        } else {
            None
        }
    }
}

/// Heatmap data for a matrix with signed values (diverging colours).
pub fn signed(m: &Mat, rows: Vec<String>, cols: Vec<String>) -> HeatmapData {
    let values = row_major(m);
    HeatmapData {
        rows: m.nrows(),
        cols: m.ncols(),
        scale: ColorScale::diverging_for(&values),
        values,
        row_labels: rows,
        col_labels: cols,
    }
}

/// Heatmap data for attention weights (sequential colours on a fixed 0..1 scale).
pub fn weights(m: &Mat, tokens: &[String]) -> HeatmapData {
    HeatmapData {
        rows: m.nrows(),
        cols: m.ncols(),
        values: row_major(m),
        row_labels: tokens.to_vec(),
        col_labels: tokens.to_vec(),
        scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
    }
}

/// The entries of `m`, row by row (a transpose of its column-major
/// storage), 16 columns at a time: each output row takes one entry from
/// each of 16 columns, whose cache lines then serve the next rows too. (One
/// column at a time scattered every write to a new cache line: a third of
/// a 512 x 512 repaint.)
pub fn row_major(m: &Mat) -> Vec<f64> {
    const BLOCK: usize = 16;
    let (rows, cols) = m.shape();
    let mut v = vec![0.0; rows * cols];
    if rows == 0 || cols == 0 {
        return v;
    }
    for (b, block) in m.as_slice().chunks(rows * BLOCK).enumerate() {
        let c0 = b * BLOCK;
        for (r, out_row) in v.chunks_exact_mut(cols).enumerate() {
            let Some(dst) = out_row.get_mut(c0..) else {
                break;
            };
            for (d, col) in dst.iter_mut().zip(block.chunks_exact(rows)) {
                if let Some(&x) = col.get(r) {
                    *d = x;
                }
            }
        }
    }
    v
}

/// Longest label shown before it is cut with an ellipsis.
pub const MAX_LABEL_CHARS: usize = 10;

/// A label cut to [`MAX_LABEL_CHARS`] characters (not bytes: any Unicode is safe).
pub fn short_label(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_LABEL_CHARS - 1).collect();
        out.push('…');
        out
    }
}

/// Where everything goes, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatmapLayout {
    pub rows: usize,
    pub cols: usize,
    /// Width of one cell.
    pub cell: f64,
    /// Height of one cell: the width, except in a large matrix's overview,
    /// whose rows and columns each fit the target (a 512 x 8 matrix gets
    /// wide, flat cells, not an 8 px strip).
    pub row_h: f64,
    /// Left edge of the grid (row labels sit left of it).
    pub left: f64,
    /// Top edge of the grid (column labels sit above it).
    pub top: f64,
    /// Whether column labels are drawn rotated (when they are wider than a cell).
    pub rotate_col_labels: bool,
    /// Top of the legend bar.
    pub legend_top: f64,
    /// Whole chart size.
    pub width: f64,
    pub height: f64,
    /// Font size used for labels.
    pub font_px: f64,
}

/// Cells are at least this big (so a 64 x 64 matrix stays clickable) ...
pub const MIN_CELL: f64 = 10.0;
/// ... unless the matrix has more rows or columns than this: then it is drawn
/// whole, its cells as small as one CSS pixel (an overview; the widget
/// zooms in for reading).
pub const LARGE: usize = 64;
/// ... and at most this big.
pub const MAX_CELL: f64 = 46.0;
/// Cells at least this big print their value inside.
pub const VALUE_CELL: f64 = 36.0;
/// The normal label size; the cell limits above are for this size and grow
/// in proportion with larger type.
pub const BASE_FONT_PX: f64 = 13.0;

impl HeatmapLayout {
    /// Geometry for a matrix of `data`'s shape, aiming for a grid about
    /// `target` CSS pixels across.
    pub fn new(data: &HeatmapData, target: f64, font_px: f64) -> Self {
        let longest = |labels: &[String]| {
            labels
                .iter()
                .map(|l| short_label(l).chars().count())
                .max()
                .unwrap_or(1)
                .max(1) as f64
        };
        let char_w = font_px * 0.62;
        let big = data.rows.max(data.cols).max(1) as f64;
        // Larger type (projector mode) scales the cells with it.
        let k = (font_px / BASE_FONT_PX).max(0.5);
        let large = big > LARGE as f64;
        let min_cell = if large { 1.0 } else { MIN_CELL * k };
        let fit = |n: f64| {
            (target * k / n)
                .floor()
                .clamp(min_cell, MAX_CELL * k)
                .floor()
        };
        let (cell, row_h) = if large {
            (fit(data.cols.max(1) as f64), fit(data.rows.max(1) as f64))
        } else {
            (fit(big), fit(big))
        };
        let row_label_w = longest(&data.row_labels) * char_w + 10.0;
        let col_label_w = longest(&data.col_labels) * char_w + 8.0;
        let rotate = col_label_w > cell;
        let top = if rotate {
            col_label_w + 4.0
        } else {
            font_px + 10.0
        };
        let left = row_label_w.max(24.0);
        let grid_w = cell * data.cols as f64;
        let grid_h = row_h * data.rows as f64;
        let legend_top = top + grid_h + 10.0;
        let height = legend_top + 12.0 + font_px + 8.0;
        let width = (left + grid_w + 8.0).max(left + 200.0);
        HeatmapLayout {
            rows: data.rows,
            cols: data.cols,
            cell,
            row_h,
            left,
            top,
            rotate_col_labels: rotate,
            legend_top,
            width: width.ceil(),
            height: height.ceil(),
            font_px,
        }
    }

    /// The cell under a point (CSS pixels relative to the chart), if any.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        if !(x.is_finite() && y.is_finite()) || x < self.left || y < self.top {
            return None;
        }
        let c = ((x - self.left) / self.cell).floor() as usize;
        let r = ((y - self.top) / self.row_h).floor() as usize;
        (r < self.rows && c < self.cols).then_some((r, c))
    }
}

/// What to emphasise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Highlight {
    /// Outline this row (the selected query).
    pub row: Option<usize>,
    /// Outline this cell (hover or keyboard focus).
    pub focus: Option<(usize, usize)>,
}

/// Backends that can paint a grid of equal cells from one RGBA value per
/// cell (opaque, as [`ColorScale::rgba`] makes them).
///
/// The default expands the grid to full resolution and calls `blit_bitmap`
/// (fine for SVG in tests); the canvas bridge overrides it with one small
/// image scaled up by the GPU, which keeps a 64 x 64 matrix under a millisecond.
pub trait CellBlit: DrawingBackend {
    /// Paints `cells` (`cols x rows`, RGBA, row-major) stretched over the
    /// device-pixel rectangle at `pos` of size `size`.
    fn blit_cells(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        (cols, rows): (u32, u32),
        cells: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (w, h) = (size.0 as usize, size.1 as usize);
        let (cols, rows) = (cols.max(1) as usize, rows.max(1) as usize);
        if cells.len() < cols * rows * 4 || w == 0 || h == 0 {
            return Ok(());
        }
        let mut buf = vec![0_u8; w * h * 3];
        for (y, line) in buf.chunks_exact_mut(w * 3).enumerate() {
            let r = (y * rows / h).min(rows - 1);
            for (x, px) in line.chunks_exact_mut(3).enumerate() {
                let src = (r * cols + (x * cols / w).min(cols - 1)) * 4;
                if let Some(rgb) = cells.get(src..src + 3) {
                    px.copy_from_slice(rgb);
                }
            }
        }
        self.blit_bitmap(pos, size, &buf)
    }
}

#[cfg(test)]
impl CellBlit for plotters::backend::SVGBackend<'_> {}

/// Paints `cells` (`cols x rows`, RGBA, row-major) stretched over the
/// device-pixel rectangle at `pos` of size `size`, in one backend call.
pub fn draw_cells<DB: CellBlit>(
    area: &DrawingArea<DB, Shift>,
    pos: BackendCoord,
    size: (u32, u32),
    grid: (u32, u32),
    cells: &[u8],
) -> ChartResult {
    area.draw(&CellBlock {
        pos,
        size,
        grid,
        data: cells,
    })?;
    Ok(())
}

/// A grid of cells sent to the backend in one `blit_cells` call.
struct CellBlock<'a> {
    pos: BackendCoord,
    size: (u32, u32),
    grid: (u32, u32),
    data: &'a [u8],
}

impl<'a> PointCollection<'a, BackendCoord> for &'a CellBlock<'a> {
    type Point = &'a BackendCoord;
    type IntoIter = std::iter::Once<&'a BackendCoord>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.pos)
    }
}

impl<DB: CellBlit> Drawable<DB> for CellBlock<'_> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _parent_dim: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        match pos.next() {
            Some(p) => backend.blit_cells(p, self.size, self.grid, self.data),
            None => Ok(()),
        }
    }
}

/// Short number for labels and cells: 3 significant decimals, compact for big values.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::NEG_INFINITY {
        "masked".into()
    } else if v.is_infinite() {
        "∞".into()
    } else if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-3) {
        format!("{v:.2e}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Label every `k`-th row or column so labels of `font_px` never overlap on
/// cells of `cell` CSS px.
pub fn label_stride(cell: f64, font_px: f64) -> usize {
    if cell <= 0.0 || !cell.is_finite() {
        return 1;
    }
    ((font_px * 1.15) / cell).ceil().max(1.0) as usize
}

/// At most five characters for a value printed inside a cell: two decimals
/// below 10, fewer above, powers of ten for huge magnitudes. The exact value
/// is in the readout and the numbers table.
pub fn format_cell(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        format_value(v)
    } else if a < 9.995 {
        let s = format!("{v:.2}");
        if s == "-0.00" {
            "0.00".into()
        } else {
            s
        }
    } else if a < 99.95 {
        format!("{v:.1}")
    } else if a < 9999.5 {
        format!("{v:.0}")
    } else {
        format!("{v:.0e}")
    }
}

/// Device-pixel spans `(start, end)` of `n` cells of `cell` CSS px starting
/// at `start`; adjacent spans share their edge.
fn spans(start: f64, cell: f64, n: usize, scale: f64) -> Vec<(i32, i32)> {
    let edge = |i: usize| ((start + cell * i as f64) * scale).round() as i32;
    (0..n).map(|i| (edge(i), edge(i + 1))).collect()
}

/// The middle of a span.
fn mid((a, b): (i32, i32)) -> i32 {
    (a + b) / 2
}

/// Paints `data` on `area` with geometry `layout`, at `scale` device pixels per
/// CSS pixel. The area should be `layout.width * scale` by `layout.height * scale`.
pub fn draw_heatmap<DB: CellBlit>(
    area: &DrawingArea<DB, Shift>,
    data: &HeatmapData,
    layout: &HeatmapLayout,
    highlight: Highlight,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    area.fill(&rgb(theme.background))?;
    let cols = spans(layout.left, layout.cell, data.cols, scale);
    let rows = spans(layout.top, layout.row_h, data.rows, scale);
    let (Some(&(x0, _)), Some(&(_, x_end)), Some(&(y0, _)), Some(&(_, y_end))) =
        (cols.first(), cols.last(), rows.first(), rows.last())
    else {
        // An empty matrix: nothing but the background.
        return Ok(());
    };
    let w = (x_end - x0).max(1) as usize;
    let h = (y_end - y0).max(1) as usize;

    // Cells: one RGBA value per cell (row-major, as the values are),
    // stretched by the backend.
    let cells = data
        .scale
        .rgba(data.rows * data.cols, data.values.iter().copied());
    area.draw(&CellBlock {
        pos: (x0, y0),
        size: (w as u32, h as u32),
        grid: (data.cols as u32, data.rows as u32),
        data: &cells,
    })?;

    let font = theme.font_px * scale;
    let p = style::palette(theme);
    let text = rgb(p.text);
    let label_style = style::font(font).color(&text);

    // Values inside big cells.
    if layout.cell.min(layout.row_h) >= VALUE_CELL * (theme.font_px / BASE_FONT_PX).max(0.5) {
        let small = style::font((theme.font_px - 1.0).max(10.0) * scale);
        for (r, &row) in rows.iter().enumerate() {
            for (c, &col) in cols.iter().enumerate() {
                let v = data.get(r, c).unwrap_or(f64::NAN);
                let fg = colormap::text_on(data.scale.color(v));
                let s = if v == f64::NEG_INFINITY {
                    "−∞".to_string()
                } else {
                    format_cell(v)
                };
                let style = small
                    .clone()
                    .color(&rgb(fg))
                    .pos(Pos::new(HPos::Center, VPos::Center));
                area.draw_text(&s, &style, (mid(col), mid(row)))?;
            }
        }
    }

    // Row labels, right-aligned against the grid.
    let row_style = label_style.clone().pos(Pos::new(HPos::Right, VPos::Center));
    // When cells are smaller than the type, label every k-th row/column so
    // labels never overlap (the readout and the table name every cell).
    let every_row = label_stride(layout.row_h, theme.font_px);
    for (label, &row) in data.row_labels.iter().zip(&rows).step_by(every_row) {
        area.draw_text(
            &short_label(label),
            &row_style,
            (x0 - (6.0 * scale) as i32, mid(row)),
        )?;
    }
    // Column labels, above the grid, rotated when they are wider than a cell.
    let col_style = if layout.rotate_col_labels {
        label_style
            .clone()
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Left, VPos::Center))
    } else {
        label_style
            .clone()
            .pos(Pos::new(HPos::Center, VPos::Bottom))
    };
    let every_col = label_stride(layout.cell, theme.font_px);
    for (label, &col) in data.col_labels.iter().zip(&cols).step_by(every_col) {
        area.draw_text(
            &short_label(label),
            &col_style,
            (mid(col), y0 - (5.0 * scale) as i32),
        )?;
    }

    // Highlighted row and focused cell.
    let stroke = (2.0 * scale).round().max(1.0) as u32;
    if let Some(&(top, bottom)) = highlight.row.and_then(|r| rows.get(r)) {
        let outer = ShapeStyle::from(&rgb(theme.accent)).stroke_width(stroke + 1);
        area.draw(&Rectangle::new(
            [(x0 - 1, top - 1), (x_end + 1, bottom + 1)],
            outer,
        ))?;
    }
    if let Some((&(top, bottom), &(left, right))) = highlight
        .focus
        .and_then(|(r, c)| rows.get(r).zip(cols.get(c)))
    {
        let inner = ShapeStyle::from(&WHITE).stroke_width(stroke);
        let outer = ShapeStyle::from(&BLACK).stroke_width(stroke);
        area.draw(&Rectangle::new(
            [(left - 1, top - 1), (right + 1, bottom + 1)],
            outer,
        ))?;
        area.draw(&Rectangle::new(
            [(left + 1, top + 1), (right - 1, bottom - 1)],
            inner,
        ))?;
    }

    // Legend: a gradient bar with its two ends labelled.
    let lw = ((200.0_f64).min(layout.width - layout.left - 8.0).max(60.0) * scale) as usize;
    let lh = ((10.0 * scale) as usize).max(1);
    let ly = (layout.legend_top * scale).round() as i32;
    const LEGEND_STEPS: usize = 64;
    let legend = data.scale.legend_rgba(LEGEND_STEPS);
    area.draw(&CellBlock {
        pos: (x0, ly),
        size: (lw as u32, lh as u32),
        grid: (LEGEND_STEPS as u32, 1),
        data: &legend,
    })?;
    let (lo, hi) = data.scale.range();
    let ty = ly + lh as i32 + (3.0 * scale) as i32;
    let legend_style = style::font(font * style::TICK_EM).color(&rgb(p.tick_text));
    area.draw_text(
        &style::tick_label(lo),
        &legend_style.pos(Pos::new(HPos::Left, VPos::Top)),
        (x0, ty),
    )?;
    area.draw_text(
        &style::tick_label(hi),
        &legend_style.pos(Pos::new(HPos::Right, VPos::Top)),
        (x0 + lw as i32, ty),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::backend::SVGBackend;

    fn sample() -> HeatmapData {
        HeatmapData {
            rows: 2,
            cols: 3,
            values: vec![0.1, 0.7, 0.2, 1.0, 0.0, f64::NEG_INFINITY],
            row_labels: vec!["le".into(), "<b>chat</b>".into()],
            col_labels: vec!["a".into(), "b".into(), "ünïcødé-lønger-than-ten".into()],
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        }
    }

    fn render(data: &HeatmapData, hl: Highlight, scale: f64) -> (String, HeatmapLayout) {
        let layout = HeatmapLayout::new(data, 120.0, 13.0);
        render_hl(data, &layout, hl, scale)
    }

    fn render_hl(
        data: &HeatmapData,
        layout: &HeatmapLayout,
        hl: Highlight,
        scale: f64,
    ) -> (String, HeatmapLayout) {
        let layout = *layout;
        let mut svg = String::new();
        {
            let w = (layout.width * scale) as u32;
            let h = (layout.height * scale) as u32;
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            draw_heatmap(
                &root,
                data,
                &layout,
                hl,
                &ChartTheme::new(false, false),
                scale,
            )
            .expect("draws");
            root.present().expect("presents");
        }
        (svg, layout)
    }

    fn hex(c: Rgb) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    #[test]
    fn row_major_reads_every_shape_row_by_row() {
        for (r, c) in [
            (3, 5),
            (5, 3),
            (1, 4),
            (4, 1),
            (0, 3),
            (3, 0),
            (37, 53),
            (16, 32),
            (20, 17),
        ] {
            let m = Mat::from_fn(r, c, |i, j| (i * 10 + j) as f64);
            let want: Vec<f64> = (0..r)
                .flat_map(|i| (0..c).map(move |j| (i * 10 + j) as f64))
                .collect();
            assert_eq!(row_major(&m), want, "{r} x {c}");
        }
    }

    #[test]
    fn rgba_cells_are_the_colours_of_the_values() {
        let values = [0.1, 0.7, f64::NEG_INFINITY, f64::NAN, -3.0, 2.0, 0.5];
        for scale in [
            ColorScale::Sequential { min: 0.0, max: 1.0 },
            ColorScale::Sequential { min: 1.0, max: 1.0 },
            ColorScale::diverging_for(&values),
        ] {
            // One more cell than values: the missing one is grey.
            let cells = scale.rgba(values.len() + 1, values.iter().copied());
            assert_eq!(cells.len(), values.len() * 4 + 4);
            for (px, &v) in cells.chunks_exact(4).zip(values.iter().chain([&f64::NAN])) {
                let c = scale.color(v);
                assert_eq!(px, [c.0, c.1, c.2, 255], "{v} on {scale:?}");
            }
            let legend = scale.legend_rgba(5);
            let (lo, hi) = scale.range();
            let first = scale.color(lo);
            let last = scale.color(hi);
            assert_eq!(legend.get(..4), Some(&[first.0, first.1, first.2, 255][..]));
            assert_eq!(legend.get(16..), Some(&[last.0, last.1, last.2, 255][..]));
        }
    }

    #[test]
    fn cells_are_coloured_by_value_and_masked_is_grey() {
        let data = sample();
        let (svg, _) = render(&data, Highlight::default(), 1.0);
        for c in [
            data.scale.color(0.7),
            colormap::sequential(1.0),
            colormap::sequential(0.0),
            colormap::MASKED,
        ] {
            assert!(svg.contains(&hex(c)), "missing colour {}", hex(c));
        }
    }

    #[test]
    fn labels_are_drawn_escaped_and_shortened() {
        let (svg, _) = render(&sample(), Highlight::default(), 1.0);
        assert!(svg.contains("&lt;b&gt;chat&lt;/b") || svg.contains("&lt;b&gt;chat"));
        assert!(!svg.contains("<b>chat"));
        assert!(svg.contains("ünïcødé-l…"));
    }

    #[test]
    fn big_cells_print_their_values() {
        let (svg, layout) = render(&sample(), Highlight::default(), 1.0);
        assert!(layout.cell >= VALUE_CELL);
        assert!(
            svg.contains(">0.70<") || svg.contains("0.70\n"),
            "value text missing"
        );
        assert!(!svg.contains("0.700"), "cells use the short format");
        assert!(svg.contains("−∞"));
    }

    #[test]
    fn hit_testing_matches_geometry_at_any_scale() {
        let data = sample();
        let layout = HeatmapLayout::new(&data, 120.0, 13.0);
        let mid = |r: usize, c: usize| {
            (
                layout.left + layout.cell * (c as f64 + 0.5),
                layout.top + layout.cell * (r as f64 + 0.5),
            )
        };
        for r in 0..2 {
            for c in 0..3 {
                let (x, y) = mid(r, c);
                assert_eq!(layout.cell_at(x, y), Some((r, c)));
            }
        }
        assert_eq!(layout.cell_at(layout.left - 1.0, layout.top + 1.0), None);
        assert_eq!(layout.cell_at(f64::NAN, 3.0), None);
        assert_eq!(
            layout.cell_at(layout.left + layout.cell * 3.0 + 1.0, layout.top + 1.0),
            None
        );
        // At 2x the device canvas is twice as big but hit-testing is in CSS px.
        let (svg2, l2) = render(&data, Highlight::default(), 2.0);
        assert_eq!(l2, layout);
        assert!(svg2.contains(&format!("width=\"{}\"", (layout.width * 2.0) as u32)));
    }

    #[test]
    fn large_matrices_keep_a_minimum_cell_and_skip_values() {
        let n = 64;
        let data = HeatmapData {
            rows: n,
            cols: n,
            values: (0..n * n).map(|i| i as f64 / (n * n) as f64).collect(),
            row_labels: (0..n).map(|i| format!("t{i}")).collect(),
            col_labels: (0..n).map(|i| format!("t{i}")).collect(),
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        };
        let layout = HeatmapLayout::new(&data, 480.0, 13.0);
        assert_eq!(layout.cell, MIN_CELL);
        assert!(layout.rotate_col_labels);
        assert_eq!(
            layout.cell_at(layout.left + 635.0, layout.top + 635.0),
            Some((63, 63))
        );
    }

    #[test]
    fn a_512_matrix_is_drawn_whole_one_pixel_a_cell_with_thinned_labels() {
        let n = 512;
        let data = HeatmapData {
            rows: n,
            cols: n,
            values: vec![0.5; n * n],
            row_labels: (0..n).map(|i| format!("w{i}")).collect(),
            col_labels: (0..n).map(|i| format!("w{i}")).collect(),
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        };
        let layout = HeatmapLayout::new(&data, 440.0, 13.0);
        assert_eq!(layout.cell, 1.0);
        assert!(
            layout.width < 700.0,
            "fits a desktop column: {}",
            layout.width
        );
        assert_eq!(
            layout.cell_at(layout.left + 511.5, layout.top + 0.5),
            Some((0, 511))
        );
        // Every 15th label at 1 px a cell and 13 px type.
        assert_eq!(label_stride(layout.cell, 13.0), 15);
        // A tall matrix (512 tokens x d_k 8): wide, flat cells.
        let mut tall = data.clone();
        tall.cols = 8;
        tall.col_labels.truncate(8);
        tall.values.truncate(512 * 8);
        let l = HeatmapLayout::new(&tall, 440.0, 13.0);
        assert_eq!((l.cell, l.row_h), (MAX_CELL, 1.0));
        assert_eq!(
            l.cell_at(l.left + 7.5 * MAX_CELL, l.top + 511.5),
            Some((511, 7))
        );
        assert_eq!(label_stride(l.row_h, 13.0), 15);
        assert_eq!(label_stride(l.cell, 13.0), 1);
        // 65 tokens are large too; 64 keep the minimum cell.
        let mut d65 = data.clone();
        d65.rows = 65;
        d65.cols = 65;
        assert_eq!(HeatmapLayout::new(&d65, 440.0, 13.0).cell, 6.0);
    }

    #[test]
    fn highlight_draws_outlines() {
        let data = sample();
        let (plain, _) = render(&data, Highlight::default(), 1.0);
        let (hl, _) = render(
            &data,
            Highlight {
                row: Some(1),
                focus: Some((0, 2)),
            },
            1.0,
        );
        assert!(hl.matches("<rect").count() > plain.matches("<rect").count());
        // Out-of-range highlights are ignored, not a panic.
        let (oob, _) = render(
            &data,
            Highlight {
                row: Some(9),
                focus: Some((7, 7)),
            },
            1.0,
        );
        assert_eq!(oob.matches("<rect").count(), plain.matches("<rect").count());
    }

    #[test]
    fn labels_thin_out_only_when_cells_are_smaller_than_the_type() {
        assert_eq!(label_stride(46.0, 13.0), 1);
        assert_eq!(label_stride(15.0, 13.0), 1);
        assert_eq!(label_stride(10.0, 13.0), 2);
        assert_eq!(label_stride(10.0, 18.0), 3);
        assert_eq!(label_stride(0.0, 13.0), 1);
    }

    #[test]
    fn sixty_four_rows_draw_every_other_label() {
        let n = 64;
        let data = HeatmapData {
            rows: n,
            cols: 2,
            values: vec![0.5; n * 2],
            row_labels: (0..n).map(|i| format!("tok{i}")).collect(),
            col_labels: vec!["a".into(), "b".into()],
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
        };
        let (svg, layout) = render(&data, Highlight::default(), 1.0);
        assert_eq!(
            layout.cell, 10.0,
            "120 px target / 64 rows hits the minimum cell"
        );
        assert!(svg.contains(">tok0<") || svg.contains("tok0\n") || svg.contains("tok0"));
        assert!(svg.contains("tok62"));
        assert!(!svg.contains("tok63"), "odd rows are skipped at this size");
    }

    #[test]
    fn diverging_scale_is_symmetric_and_ignores_masked() {
        let s = ColorScale::diverging_for(&[-2.0, 1.0, f64::NEG_INFINITY]);
        assert_eq!(s, ColorScale::Diverging { abs_max: 2.0 });
        assert_eq!(s.color(0.0), colormap::diverging_lut().at(0.5));
        assert_eq!(s.color(2.0), colormap::diverging(1.0));
        assert_eq!(s.color(-2.0), colormap::diverging(-1.0));
        assert_eq!(
            ColorScale::diverging_for(&[]),
            ColorScale::Diverging { abs_max: 1.0 }
        );
    }

    #[test]
    fn cell_values_fit_in_five_characters() {
        for (v, want) in [
            (0.12345, "0.12"),
            (-0.0004, "0.00"),
            (7.39e-4, "0.00"),
            (9.999, "10.0"),
            (-42.42, "-42.4"),
            (1234.4, "1234"),
            (123_456.0, "1e5"),
        ] {
            assert_eq!(format_cell(v), want);
            assert!(format_cell(v).chars().count() <= 5);
        }
    }

    #[test]
    fn large_type_scales_the_cells() {
        let d = sample();
        let normal = HeatmapLayout::new(&d, 120.0, 13.0);
        let large = HeatmapLayout::new(&d, 120.0, 18.0);
        assert!(large.cell > normal.cell * 1.3);
    }

    #[test]
    fn format_value_is_compact() {
        assert_eq!(format_value(0.12345), "0.123");
        assert_eq!(format_value(-1234.5), "-1234.5");
        assert_eq!(format_value(1e5), "1.00e5");
        assert_eq!(format_value(f64::NEG_INFINITY), "masked");
        assert_eq!(format_value(0.0), "0.000");
    }
}
