//! Charts of the position chapter, generic over the plotters backend: a
//! positional encoding as an image (positions down, dimensions across), RoPE's
//! query/key pairs as rotating 2-D arrows, and one small bias matrix per
//! ALiBi head. Sizes are CSS pixels times `scale`.

use super::colormap::Rgb;
use super::heatmap::{draw_cells, CellBlit, ColorScale};
use super::{begin, rgb, style, ChartResult, ChartTheme};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Anchor of panel titles and captions.
const TOP_CENTRE: Pos = Pos {
    h_pos: HPos::Center,
    v_pos: VPos::Top,
};

/// Colour of the query arrow (blue) and the key arrow (orange): Okabe–Ito,
/// told apart without colour by their labels.
pub const QUERY: Rgb = (0x00, 0x72, 0xb2);
pub const KEY: Rgb = (0xd5, 0x5e, 0x00);

/// A matrix drawn as an image, one cell per entry, on a fixed colour scale.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixImage {
    pub title: String,
    pub rows: usize,
    pub cols: usize,
    /// Row-major, `rows * cols` entries.
    pub values: Vec<f64>,
    pub scale: ColorScale,
    /// Axis names: down the side and along the bottom.
    pub row_label: String,
    pub col_label: String,
}

/// Tick positions for an axis of `n` cells: about five, always 0 and n - 1.
pub fn ticks(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mut t: Vec<usize> = (0..5).map(|i| i * (n - 1) / 4).collect();
    t.dedup();
    t
}

/// Draws `m` filling `area`: the title on top, the image with ticked axes,
/// and a colour legend under it.
pub fn draw_matrix_image<DB: CellBlit>(
    area: &DrawingArea<DB, Shift>,
    m: &MatrixImage,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, text) = begin(area, theme, scale)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    let label = style::font(font).color(&text);
    area.draw_text(&m.title, &label, (0, (font * 0.3) as i32))?;
    let values = match m.values.get(..m.rows * m.cols) {
        Some(v) if !v.is_empty() => v,
        _ => return Ok(()),
    };
    let left = font * 4.2;
    let top = font * 2.0;
    let bottom = font * 5.2;
    let gw = (w - left - font).max(1.0);
    let gh = (h - top - bottom).max(1.0);
    let cells = m.scale.rgba(values.len(), values.iter().copied());
    draw_cells(
        area,
        (left as i32, top as i32),
        (gw as u32, gh as u32),
        (m.cols as u32, m.rows as u32),
        &cells,
    )?;
    let right = label.clone().pos(Pos::new(HPos::Right, VPos::Center));
    for r in ticks(m.rows) {
        let y = top + (r as f64 + 0.5) * gh / m.rows as f64;
        area.draw_text(
            &r.to_string(),
            &right,
            ((left - font * 0.4) as i32, y as i32),
        )?;
    }
    let below = label.clone().pos(Pos::new(HPos::Center, VPos::Top));
    for c in ticks(m.cols) {
        let x = left + (c as f64 + 0.5) * gw / m.cols as f64;
        area.draw_text(
            &c.to_string(),
            &below,
            (x as i32, (top + gh + font * 0.3) as i32),
        )?;
    }
    area.draw_text(
        &format!("{} →", m.col_label),
        &below,
        ((left + gw / 2.0) as i32, (top + gh + font * 1.5) as i32),
    )?;
    let side = label
        .clone()
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(
        &format!("{} →", m.row_label),
        &side,
        ((font * 0.2) as i32, (top + gh / 2.0) as i32),
    )?;
    // Legend: a 1 x 64 strip with its two ends written beside it.
    let (lo, hi) = m.scale.range();
    let strip = m.scale.legend_rgba(64);
    let ly = top + gh + font * 3.1;
    let lw = (gw * 0.5).max(font * 6.0);
    let lx = left + font * 3.5;
    draw_cells(
        area,
        (lx as i32, ly as i32),
        (lw as u32, (font * 0.9) as u32),
        (64, 1),
        &strip,
    )?;
    let mid = label.clone().pos(Pos::new(HPos::Right, VPos::Top));
    area.draw_text(
        &style::tick_label(lo),
        &mid,
        ((lx - font * 0.4) as i32, ly as i32),
    )?;
    let after = label.pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(
        &style::tick_label(hi),
        &after,
        ((lx + lw + font * 0.4) as i32, ly as i32),
    )?;
    Ok(())
}

/// One panel of the RoPE chart: a column pair of the query and of the key
/// after rotation.
#[derive(Clone, Debug, PartialEq)]
pub struct PairPanel {
    pub title: String,
    pub q: (f64, f64),
    pub k: (f64, f64),
    /// Second line, e.g. "q·k = 0.42".
    pub caption: String,
}

/// Panels per row of [`draw_rope_pairs`].
pub const PANELS_PER_ROW: usize = 4;

/// CSS size of the RoPE chart for `n` panels at `width`.
pub fn rope_pairs_size(n: usize, width: f64) -> (f64, f64) {
    let rows = n.div_ceil(PANELS_PER_ROW).max(1);
    (width, rows as f64 * width / PANELS_PER_ROW as f64 * 1.18)
}

/// Each pair as a circle with the query (blue, "q") and key (orange, "k")
/// drawn as arrows from the centre. All panels share one length scale, so a
/// pair with little weight in the score looks short.
pub fn draw_rope_pairs<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panels: &[PairPanel],
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, text) = begin(area, theme, scale)?;
    let (w, _) = area.dim_in_pixel();
    let pw = f64::from(w) / PANELS_PER_ROW as f64;
    let ph = pw * 1.18;
    let longest = panels
        .iter()
        .flat_map(|p| [p.q.0.hypot(p.q.1), p.k.0.hypot(p.k.1)])
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let grid = rgb(style::palette(theme).axis);
    for (i, p) in panels.iter().enumerate() {
        let x0 = (i % PANELS_PER_ROW) as f64 * pw;
        let y0 = (i / PANELS_PER_ROW) as f64 * ph;
        let r = pw * 0.36;
        let (cx, cy) = (x0 + pw / 2.0, y0 + font * 1.6 + pw * 0.42);
        let fit = |t: &str| style::fit(t, font, pw - 4.0 * scale);
        let (title, size) = fit(&p.title);
        area.draw_text(
            &title,
            &style::font(size).color(&text).pos(TOP_CENTRE),
            (cx as i32, (y0 + font * 0.2) as i32),
        )?;
        area.draw(&Circle::new(
            (cx as i32, cy as i32),
            r as i32,
            grid.stroke_width(1),
        ))?;
        area.draw(&PathElement::new(
            vec![((cx - r) as i32, cy as i32), ((cx + r) as i32, cy as i32)],
            grid.stroke_width(1),
        ))?;
        area.draw(&PathElement::new(
            vec![(cx as i32, (cy - r) as i32), (cx as i32, (cy + r) as i32)],
            grid.stroke_width(1),
        ))?;
        for (v, color, name) in [(p.k, KEY, "k"), (p.q, QUERY, "q")] {
            let (dx, dy) = (v.0 / longest * r, -v.1 / longest * r);
            arrow(area, (cx, cy), (cx + dx, cy + dy), theme.ink(color), scale)?;
            let len = dx.hypot(dy).max(1e-9);
            let (lx, ly) = (
                cx + dx + dx / len * font * 0.8,
                cy + dy + dy / len * font * 0.8,
            );
            let s = style::font(font * 1.1)
                .style(FontStyle::Bold)
                .color(&rgb(theme.ink(color)))
                .pos(Pos::new(HPos::Center, VPos::Center));
            area.draw_text(name, &s, (lx as i32, ly as i32))?;
        }
        let (caption, size) = fit(&p.caption);
        area.draw_text(
            &caption,
            &style::font(size).color(&text).pos(TOP_CENTRE),
            (cx as i32, (cy + r + font * 0.9) as i32),
        )?;
    }
    Ok(())
}

/// A line from `a` to `b` with a head at `b`.
fn arrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (f64, f64),
    b: (f64, f64),
    color: Rgb,
    scale: f64,
) -> ChartResult {
    let style = rgb(color).stroke_width((2.5 * scale).max(1.0) as u32);
    let p = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
    area.draw(&PathElement::new(vec![p(a.0, a.1), p(b.0, b.1)], style))?;
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx.hypot(dy);
    if len < 1.0 {
        return Ok(());
    }
    let (ux, uy) = (dx / len, dy / len);
    let head = (8.0 * scale).min(len * 0.5);
    let left = (b.0 - head * (ux + uy * 0.5), b.1 - head * (uy - ux * 0.5));
    let right = (b.0 - head * (ux - uy * 0.5), b.1 - head * (uy + ux * 0.5));
    area.draw(&Polygon::new(
        vec![p(b.0, b.1), p(left.0, left.1), p(right.0, right.1)],
        rgb(color).filled(),
    ))?;
    Ok(())
}

/// One head's matrix in [`draw_matrix_grid`].
#[derive(Clone, Debug, PartialEq)]
pub struct SmallMatrix {
    pub title: String,
    pub n: usize,
    /// Row-major `n * n`; non-finite entries (masked) are grey.
    pub values: Vec<f64>,
}

/// Square small multiples per row of [`draw_matrix_grid`].
pub const GRID_PER_ROW: usize = 4;

/// CSS size of [`draw_matrix_grid`] for `count` matrices at `width`.
pub fn matrix_grid_size(count: usize, width: f64, font_px: f64) -> (f64, f64) {
    let rows = count.div_ceil(GRID_PER_ROW).max(1);
    let side = width / GRID_PER_ROW as f64;
    (width, rows as f64 * (side + font_px * 0.6) + font_px * 2.4)
}

/// Small square matrices side by side, one colour scale for all, with a
/// line explaining the colours (`legend`) at the bottom.
pub fn draw_matrix_grid<DB: CellBlit>(
    area: &DrawingArea<DB, Shift>,
    mats: &[SmallMatrix],
    color: ColorScale,
    legend: &str,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, text) = begin(area, theme, scale)?;
    let (w, h) = area.dim_in_pixel();
    let side = f64::from(w) / GRID_PER_ROW as f64;
    let label = style::font(font).color(&text);
    for (i, m) in mats.iter().enumerate() {
        let x0 = (i % GRID_PER_ROW) as f64 * side;
        let y0 = (i / GRID_PER_ROW) as f64 * (side + font * 0.6);
        let (title, size) = style::fit(&m.title, font, side - 4.0 * scale);
        area.draw_text(
            &title,
            &style::font(size).color(&text).pos(TOP_CENTRE),
            ((x0 + side / 2.0) as i32, (y0 + font * 0.2) as i32),
        )?;
        let Some(values) = m.values.get(..m.n * m.n).filter(|v| !v.is_empty()) else {
            continue;
        };
        let cells = color.rgba(values.len(), values.iter().copied());
        let inner = side - font * 2.4;
        draw_cells(
            area,
            ((x0 + font * 1.2) as i32, (y0 + font * 1.6) as i32),
            (inner.max(1.0) as u32, inner.max(1.0) as u32),
            (m.n as u32, m.n as u32),
            &cells,
        )?;
    }
    area.draw_text(
        legend,
        &label,
        ((font * 0.2) as i32, (f64::from(h) - font * 1.6) as i32),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::backend::SVGBackend;

    fn hex(c: Rgb) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    fn svg(w: u32, h: u32, f: impl FnOnce(&DrawingArea<SVGBackend, Shift>)) -> String {
        let mut out = String::new();
        {
            let area = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
            f(&area);
            area.present().unwrap();
        }
        out
    }

    #[test]
    fn ticks_cover_both_ends() {
        assert_eq!(ticks(512), vec![0, 127, 255, 383, 511]);
        assert_eq!(ticks(3), vec![0, 1, 2]);
        assert_eq!(ticks(1), vec![0]);
        assert!(ticks(0).is_empty());
    }

    #[test]
    fn matrix_image_draws_axes_and_legend() {
        let m = MatrixImage {
            title: "Sinusoidal encoding".into(),
            rows: 40,
            cols: 8,
            values: (0..320).map(|i| ((i as f64) * 0.1).sin()).collect(),
            scale: ColorScale::Diverging { abs_max: 1.0 },
            row_label: "position p".into(),
            col_label: "dimension j".into(),
        };
        let th = ChartTheme::new(false, false);
        let s = svg(400, 300, |a| draw_matrix_image(a, &m, &th, 1.0).unwrap());
        assert!(s.contains("Sinusoidal encoding"));
        assert!(s.contains("39") && s.contains("position p") && s.contains("dimension j"));
        // The cells: the colours of -1 and +1 (the encoding's extremes) appear.
        let scale = ColorScale::Diverging { abs_max: 1.0 };
        assert!(s.contains(&hex(scale.color(1.0))) && s.contains(&hex(scale.color(-1.0))));
        // Too few values: only the title.
        let short = MatrixImage {
            values: vec![0.0; 3],
            ..m
        };
        let s = svg(400, 300, |a| {
            draw_matrix_image(a, &short, &th, 1.0).unwrap()
        });
        assert!(!s.contains(&hex(scale.color(1.0))));
    }

    #[test]
    fn rope_pairs_draw_an_arrow_per_vector() {
        let panels = vec![
            PairPanel {
                title: "pair 1".into(),
                q: (1.0, 0.0),
                k: (0.0, -2.0),
                caption: "q·k = 0".into(),
            },
            PairPanel {
                title: "pair 2".into(),
                q: (f64::NAN, 0.0),
                k: (0.5, 0.5),
                caption: "x".into(),
            },
        ];
        let th = ChartTheme::new(true, true);
        let (w, h) = rope_pairs_size(panels.len(), 600.0);
        let s = svg(w as u32, h as u32, |a| {
            draw_rope_pairs(a, &panels, &th, 1.0).unwrap()
        });
        assert!(s.contains("pair 1") && s.contains("pair 2") && s.contains("q·k = 0"));
        assert_eq!(s.matches("<polygon").count(), 4, "four arrow heads");
    }

    #[test]
    fn matrix_grid_draws_each_head() {
        let mats: Vec<SmallMatrix> = (0..5)
            .map(|h| SmallMatrix {
                title: format!("head {}", h + 1),
                n: 3,
                values: vec![
                    0.0,
                    f64::NEG_INFINITY,
                    -1.0,
                    0.0,
                    -2.0,
                    -1.0,
                    0.0,
                    -0.5,
                    0.0,
                ],
            })
            .collect();
        let th = ChartTheme::new(false, false);
        let (w, h) = matrix_grid_size(5, 480.0, 13.0);
        let s = svg(w as u32, h as u32, |a| {
            draw_matrix_grid(
                a,
                &mats,
                ColorScale::Diverging { abs_max: 2.0 },
                "bias key",
                &th,
                1.0,
            )
            .unwrap()
        });
        assert!(s.contains("head 1") && s.contains("head 5") && s.contains("bias key"));
        let scale = ColorScale::Diverging { abs_max: 2.0 };
        assert!(
            s.contains(&hex(scale.color(-2.0))),
            "the most negative bias"
        );
        assert!(
            s.contains(&hex(crate::charts::colormap::MASKED)),
            "masked cells"
        );
    }
}
