//! Lines on a linear x axis and a logarithmic y axis, with lines of text
//! written inside the plot: the gradient norm against the distance back
//! (chapter 9), where a geometric decay is a straight line and its rate
//! per step is written beside it. Generic over the plotters backend; sizes
//! are CSS pixels times `scale`.

use super::cost::draw_notes;
use super::plots::{draw_lines, title_and_legend, Series};
use super::style::{self, Axis};
use super::{begin, ChartResult, ChartTheme};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Lines against a linear x from 0 on a log y axis.
#[derive(Clone, Debug, PartialEq)]
pub struct SemiLogChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Right end of the x axis (the axis starts at 0).
    pub x_max: f64,
    /// Both ends positive; bad ranges fall back to `1e-3..1`. Values
    /// below the range are drawn at its floor.
    pub y_range: (f64, f64),
    pub series: Vec<Series>,
    /// Lines of text written at the top left inside the plot.
    pub notes: Vec<String>,
}

/// Draws `c` filling `area`.
pub fn draw_semilog<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &SemiLogChart,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    begin(area, theme, scale)?;
    let x_max = if c.x_max.is_finite() && c.x_max > 0.0 {
        c.x_max
    } else {
        1.0
    };
    let (lo, hi) = c.y_range;
    let (y_lo, y_hi) = if lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo {
        (lo, hi)
    } else {
        (1e-3, 1.0)
    };
    let top = title_and_legend(area, &c.title, &c.series, theme, scale)?;
    // The y axis holds log10 of the values, labelled as powers of ten
    // (plotters' own log axis loses its ticks over ranges this wide).
    let (l_lo, l_hi) = (y_lo.log10(), y_hi.log10());
    let mut chart = style::plot(
        area,
        (RangedCoordf64::from(0.0..x_max), &Axis::new(&c.x_label, 6)),
        (
            RangedCoordf64::from(l_lo..l_hi),
            &Axis::new(&c.y_label, 6).in_powers_of_ten(),
        ),
        top,
        theme,
        scale,
    )?;
    // Zero or negative values have no place on a log axis.
    let series: Vec<Series> = c
        .series
        .iter()
        .map(|s| Series {
            points: s
                .points
                .iter()
                .filter(|p| p.1 > 0.0)
                .map(|&(x, y)| (x, y.log10()))
                .collect(),
            ..s.clone()
        })
        .collect();
    draw_lines(&mut chart, theme, &series, (l_lo, l_hi), 40, scale)?;
    let base = area.get_base_pixel();
    let (left, top) = chart.plotting_area().map_coordinate(&(0.0, l_hi));
    draw_notes(area, &c.notes, (left - base.0, top - base.1), theme, scale)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::charts::cost::{BLUE, ORANGE};
    use plotters::backend::SVGBackend;

    pub(crate) fn sample() -> SemiLogChart {
        let geo = |r: f64| (0..100).map(|k| (k as f64, r.powi(k))).collect::<Vec<_>>();
        SemiLogChart {
            title: "Gradient norm against distance".into(),
            x_label: "distance back".into(),
            y_label: "gradient norm (log scale)".into(),
            x_max: 99.0,
            y_range: (1e-40, 2.0),
            series: vec![
                Series::new("RNN", geo(0.8), BLUE, false),
                Series::new("GRU", geo(0.99), ORANGE, true),
            ],
            notes: vec!["RNN: × 0.81 per step".into()],
        }
    }

    #[test]
    fn draws_lines_legend_and_notes() {
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (640, 380)).into_drawing_area();
            draw_semilog(&root, &sample(), &ChartTheme::new(false, false), 1.0).expect("draws");
            root.present().expect("present");
        }
        // Ticks as powers of ten all the way down (plotters' log axis
        // would stop near 1e-14).
        for want in [
            "RNN: × 0.81 per step",
            "● RNN",
            "■ GRU",
            "1e-30",
            "1e-20",
            "1e-10",
            "distance back",
        ] {
            assert!(s.contains(want), "{want}");
        }
        // Zeros and garbage ranges still draw.
        let mut bad = sample();
        bad.y_range = (0.0, f64::NAN);
        bad.x_max = -1.0;
        if let Some(s0) = bad.series.first_mut() {
            s0.points.push((5.0, 0.0));
        }
        let mut s = String::new();
        let root = SVGBackend::with_string(&mut s, (300, 200)).into_drawing_area();
        draw_semilog(&root, &bad, &ChartTheme::new(true, true), 2.0).expect("draws");
    }
}
