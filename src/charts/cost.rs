//! Charts of the cost chapter: quantities against the sequence length `n`
//! on log-log axes (counts, bytes and FLOPs; measured times), with marked
//! lengths (128K, 200K, the learner's n), labelled levels (16 GB, 80 GB)
//! and lines of text written inside the plot (fitted slopes). Generic over
//! the plotters backend like every chart here; sizes are CSS pixels times
//! `scale`.

use super::plots::{draw_lines, title_and_legend, Series};
use super::style::{self, Axis, LINE_HEIGHT_EM, TICK_EM};
use super::{begin, rgb, ChartResult, ChartTheme};
use plotters::coord::combinators::LogCoord;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Okabe-Ito colours (colour-blind safe), one per quantity or variant.
pub const BLUE: super::colormap::Rgb = (0x00, 0x72, 0xb2);
pub const ORANGE: super::colormap::Rgb = (0xe6, 0x9f, 0x00);
pub const GREEN: super::colormap::Rgb = (0x00, 0x9e, 0x73);
pub const VERMILLION: super::colormap::Rgb = (0xd5, 0x5e, 0x00);
pub const PURPLE: super::colormap::Rgb = (0xcc, 0x79, 0xa7);
pub const SKY: super::colormap::Rgb = (0x56, 0xb4, 0xe9);

/// Lines against `n` on log-log axes.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLogChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Both ends positive; swapped or bad ranges fall back to `1..10`.
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub series: Vec<Series>,
    /// Dashed vertical lines with a label at the top: `(x, label)`.
    pub marks: Vec<(f64, String)>,
    /// Dashed horizontal lines labelled at the right: `(y, label)`.
    pub levels: Vec<(f64, String)>,
    /// Lines of text written at the top left inside the plot.
    pub notes: Vec<String>,
    /// A solid line in the accent colour (the learner's n), if any.
    pub current: Option<f64>,
}

/// A usable log range: both ends positive and finite, `lo < hi`.
fn log_range((lo, hi): (f64, f64)) -> (f64, f64) {
    if lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo {
        (lo, hi)
    } else {
        (1.0, 10.0)
    }
}

/// Dashes along a dashed line.
const DASHES: usize = 40;

/// `count` dashes `(from, to)` evenly spread in log space over `lo..hi`
/// (both positive), so they look even on a log axis.
fn dashes((lo, hi): (f64, f64), count: usize) -> impl Iterator<Item = (f64, f64)> {
    let (a, b) = (lo.ln(), hi.ln());
    let step = (b - a) / (2 * count) as f64;
    (0..count).map(move |i| {
        let s = a + step * (2 * i) as f64;
        (s.exp(), (s + step).exp())
    })
}

/// Draws `c` filling `area`.
pub fn draw_loglog<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &LogLogChart,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, _) = begin(area, theme, scale)?;
    let p = style::palette(theme);
    let (x_lo, x_hi) = log_range(c.x_range);
    let (y_lo, y_hi) = log_range(c.y_range);
    let top = title_and_legend(area, &c.title, &c.series, theme, scale)?;
    let mut chart = style::plot(
        area,
        (
            LogCoord::from((x_lo..x_hi).log_scale()),
            &Axis::new(&c.x_label, 6),
        ),
        (
            LogCoord::from((y_lo..y_hi).log_scale()),
            &Axis::new(&c.y_label, 6),
        ),
        top,
        theme,
        scale,
    )?;
    let stroke = (2.0 * scale).max(1.0) as u32;
    let thin = ShapeStyle::from(rgb(p.axis)).stroke_width((scale.round() as u32).max(1));
    let small = font * TICK_EM;
    let label = style::font(small).color(&rgb(p.tick_text));
    let base = area.get_base_pixel();
    let (area_w, _) = area.dim_in_pixel();
    let inside = |x: f64| x >= x_lo && x <= x_hi;
    let plot_top = chart.plotting_area().map_coordinate(&(x_lo, y_hi)).1 - base.1;
    for (y, text) in c.levels.iter().filter(|(y, _)| *y >= y_lo && *y <= y_hi) {
        chart.draw_series(
            dashes((x_lo, x_hi), DASHES)
                .map(|(a, b)| PathElement::new(vec![(a, *y), (b, *y)], thin)),
        )?;
        let (px, py) = chart.plotting_area().map_coordinate(&(x_hi, *y));
        area.draw_text(
            text,
            &label.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
            (
                px - base.0 - (4.0 * scale) as i32,
                py - base.1 - (2.0 * scale) as i32,
            ),
        )?;
    }
    let marks: Vec<&(f64, String)> = c.marks.iter().filter(|(x, _)| inside(*x)).collect();
    for (i, (x, text)) in marks.iter().enumerate() {
        chart.draw_series(
            dashes((y_lo, y_hi), DASHES)
                .map(|(a, b)| PathElement::new(vec![(*x, a), (*x, b)], thin)),
        )?;
        // Each label on its own row, so neighbouring marks never overlap.
        let (px, _) = chart.plotting_area().map_coordinate(&(*x, y_lo));
        let px = px - base.0;
        let row = plot_top + (small * LINE_HEIGHT_EM * (c.notes.len() + i) as f64) as i32;
        let width = style::text_width(text, small);
        let pad = (4.0 * scale) as i32;
        let (anchor, at) = if f64::from(px + pad) + width <= f64::from(area_w) - 2.0 * scale {
            (HPos::Left, px + pad)
        } else {
            (HPos::Right, px - pad)
        };
        area.draw_text(
            text,
            &label.clone().pos(Pos::new(anchor, VPos::Top)),
            (at, row + (2.0 * scale) as i32),
        )?;
    }
    if let Some(x) = c.current.filter(|x| inside(*x)) {
        let line = ShapeStyle::from(rgb(theme.accent)).stroke_width(stroke);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, y_lo), (x, y_hi)],
            line,
        )))?;
    }
    draw_lines(&mut chart, theme, &c.series, (y_lo, y_hi), 40, scale)?;
    let (left, _) = chart.plotting_area().map_coordinate(&(x_lo, y_lo));
    draw_notes(area, &c.notes, (left - base.0, plot_top), theme, scale)
}

/// Lines of text written at the top left inside a plot whose top-left
/// corner is `(left, top)` (pixels within `area`).
pub(crate) fn draw_notes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    notes: &[String],
    (left, top): (i32, i32),
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let font = theme.font_px * scale;
    let small = font * TICK_EM;
    let note_style = style::font(font * 0.95)
        .color(&rgb(style::palette(theme).text))
        .pos(Pos::new(HPos::Left, VPos::Top));
    for (i, note) in notes.iter().enumerate() {
        let y = top + (2.0 * scale) as i32 + (small * LINE_HEIGHT_EM * i as f64) as i32;
        area.draw_text(note, &note_style, (left + (6.0 * scale) as i32, y))?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use plotters::backend::SVGBackend;

    pub(crate) fn sample() -> LogLogChart {
        let pts = |f: fn(f64) -> f64| {
            (1..=20)
                .map(|i| {
                    let n = 2f64.powi(i);
                    (n, f(n))
                })
                .collect()
        };
        LogLogChart {
            title: "Scores of one layer".into(),
            x_label: "n (log scale)".into(),
            y_label: "count (log scale)".into(),
            x_range: (2.0, 1e6),
            y_range: (1.0, 1e15),
            series: vec![
                Series {
                    name: "scores".into(),
                    points: pts(|n| n * n),
                    color: BLUE,
                    square: false,
                },
                Series {
                    name: "linear".into(),
                    points: pts(|n| 100.0 * n),
                    color: ORANGE,
                    square: true,
                },
            ],
            marks: vec![(128_000.0, "128K".into()), (200_000.0, "200K".into())],
            levels: vec![(16e9, "16 GB".into())],
            notes: vec!["slope 1.97".into()],
            current: Some(1000.0),
        }
    }

    #[test]
    fn draws_series_marks_levels_and_notes() {
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (640, 380)).into_drawing_area();
            draw_loglog(&root, &sample(), &ChartTheme::new(false, false), 1.0).expect("draws");
            root.present().expect("present");
        }
        for want in [
            "128K",
            "200K",
            "16 GB",
            "slope 1.97",
            "● scores",
            "■ linear",
        ] {
            assert!(s.contains(want), "{want}");
        }
        // Markers for both series (20 points each: at most 40 markers).
        assert_eq!(s.matches("<circle").count(), 20);
        // Garbage ranges and empty charts still draw.
        let bad = LogLogChart {
            x_range: (0.0, -1.0),
            y_range: (f64::NAN, 1.0),
            series: vec![],
            current: Some(f64::NAN),
            ..sample()
        };
        let mut s = String::new();
        let root = SVGBackend::with_string(&mut s, (300, 200)).into_drawing_area();
        draw_loglog(&root, &bad, &ChartTheme::new(true, true), 2.0).expect("draws");
    }
}
