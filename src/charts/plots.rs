//! Small statistical charts: a histogram, a bar chart of one attention row,
//! and line charts against d_k on a log axis. Generic over the plotters
//! backend like every chart here; sizes are CSS pixels times `scale`.

use super::colormap::Rgb;
use super::style::{self, Axis, AXIS_TITLE_EM, LINE_HEIGHT_EM, TICK_EM, TITLE_EM};
use super::{begin, rgb, ChartResult, ChartTheme};
use plotters::coord::combinators::LogCoord;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Okabe-Ito blue: the "scaled" series everywhere (colour-blind safe).
pub const SCALED: Rgb = (0x00, 0x72, 0xb2);
/// Okabe-Ito orange: the "unscaled" series everywhere.
pub const UNSCALED: Rgb = (0xe6, 0x9f, 0x00);

/// A histogram: `counts` of equal bins spanning `[lo, hi]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub title: String,
    pub counts: Vec<usize>,
    pub lo: f64,
    pub hi: f64,
    pub color: Rgb,
    pub x_label: String,
}

/// Draws `h` filling `area`.
pub fn draw_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &Histogram,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    begin(area, theme, scale)?;
    let top = title_and_legend(area, &h.title, &[], theme, scale)?;
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (lo, hi) = if h.hi > h.lo && h.lo.is_finite() && h.hi.is_finite() {
        (h.lo, h.hi)
    } else {
        (-1.0, 1.0)
    };
    let mut chart = style::plot(
        area,
        (
            RangedCoordf64::from(lo..hi),
            &Axis::new(&h.x_label, 5).without_grid(),
        ),
        (
            RangedCoordf64::from(0.0..max * 1.08),
            &Axis::new("count", 4),
        ),
        top,
        theme,
        scale,
    )?;
    let n = h.counts.len().max(1);
    let w = (hi - lo) / n as f64;
    let fill = rgb(theme.ink(h.color)).filled();
    chart.draw_series(h.counts.iter().enumerate().map(|(i, &c)| {
        let x0 = lo + w * i as f64;
        Rectangle::new([(x0, 0.0), (x0 + w, c as f64)], fill)
    }))?;
    Ok(())
}

/// One attention row as bars, labelled below, on a fixed 0..1 axis.
pub fn draw_weight_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    weights: &[f64],
    color: Rgb,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, _) = begin(area, theme, scale)?;
    let p = style::palette(theme);
    let n = weights.len().max(1);
    let label_px = font * TICK_EM;
    let x_axis = Axis::new("", 0).without_grid();
    let y_axis = Axis::new("weight", 6);
    let y_range = RangedCoordf64::from(0.0..1.0);
    let mut frame = style::Frame::new(
        &x_axis,
        &[],
        &y_axis,
        &style::tick_labels(&y_range, y_axis.ticks),
        0.0,
        theme,
        scale,
    );
    // The bar labels sit under the bars, centred: room below for one line
    // and on the right for whatever the last label overhangs its bar.
    frame.x_label_area = (4.0 * scale + label_px * LINE_HEIGHT_EM + 4.0 * scale).ceil() as u32;
    let (w, _) = area.dim_in_pixel();
    let plot_w = f64::from(w) - f64::from(frame.left + frame.y_label_area + frame.right);
    let last = labels
        .get(n.min(labels.len()).saturating_sub(1))
        .map_or(0.0, |l| style::text_width(l, label_px));
    let overhang = last / 2.0 - plot_w / n as f64 / 2.0 + 4.0 * scale;
    frame.right = frame.right.max(overhang.ceil().max(0.0) as u32);
    let mut chart = frame
        .builder(area)
        .build_cartesian_2d(RangedCoordf64::from(0.0..n as f64), y_range)?;
    style::draw_axes(&mut chart, &x_axis, &y_axis, theme, scale)?;
    let fill = rgb(theme.ink(color)).filled();
    chart.draw_series(weights.iter().enumerate().map(|(i, &w)| {
        let w = if w.is_finite() {
            w.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Rectangle::new([(i as f64 + 0.12, 0.0), (i as f64 + 0.88, w)], fill)
    }))?;
    let label_style = style::font(label_px)
        .color(&rgb(p.tick_text))
        .pos(Pos::new(HPos::Center, VPos::Top));
    let plot = chart.plotting_area();
    let base = area.get_base_pixel();
    for (i, l) in labels.iter().enumerate().take(n) {
        let (x, y) = plot.map_coordinate(&(i as f64 + 0.5, 0.0));
        area.draw_text(
            l,
            &label_style,
            (x - base.0, y - base.1 + (4.0 * scale) as i32),
        )?;
    }
    Ok(())
}

/// One series of a chart against d_k.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// (d_k, value) points, d_k > 0.
    pub points: Vec<(f64, f64)>,
    pub color: Rgb,
    /// Square markers (else circles), so the series differ without colour.
    pub square: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, color: Rgb, square: bool) -> Self {
        Series {
            name: name.into(),
            points,
            color,
            square,
        }
    }

    /// A chart's first series: the first colour, round markers.
    pub fn primary(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series::new(name, points, SCALED, false)
    }

    /// A chart's second series: the contrasting colour and square markers,
    /// so the two differ without colour too.
    pub fn secondary(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series::new(name, points, UNSCALED, true)
    }
}

/// Lines against d_k on a log axis, a dashed-looking marker line at `current`
/// and an optional reference line (e.g. the uniform maximum of the entropy).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepChart {
    pub title: String,
    pub y_label: String,
    pub y_range: (f64, f64),
    pub series: Vec<Series>,
    pub current: f64,
    pub reference: Option<(String, f64)>,
}

/// Title at the top left and, under it, a legend naming each series with
/// its colour and marker shape, right-aligned and wrapped onto as many rows
/// as it needs. Returns the height used, in device pixels.
pub(crate) fn title_and_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[Series],
    theme: &ChartTheme,
    scale: f64,
) -> Result<f64, super::ChartError> {
    let font = theme.font_px * scale;
    let p = style::palette(theme);
    let (w, _) = area.dim_in_pixel();
    let w = f64::from(w);
    let pad = 8.0 * scale;
    let mut y = 4.0 * scale;
    if !title.is_empty() {
        let (title, size) = style::fit(title, font * TITLE_EM, w - 2.0 * pad);
        let title_style = style::font(size)
            .color(&rgb(p.text))
            .pos(Pos::new(HPos::Left, VPos::Top));
        area.draw_text(&title, &title_style, (pad as i32, y as i32))?;
        y += size * LINE_HEIGHT_EM;
    }
    let size = font * AXIS_TITLE_EM;
    let gap = size * 1.2;
    let entries: Vec<(String, f64, Rgb)> = series
        .iter()
        .map(|s| {
            let marker = if s.square { "■" } else { "●" };
            let label = format!("{marker} {}", s.name);
            let width = style::text_width(&label, size);
            (label, width, theme.ink(s.color))
        })
        .collect();
    // Rows of entries, each as wide as the chart allows.
    let mut rows: Vec<Vec<&(String, f64, Rgb)>> = Vec::new();
    let mut used = f64::INFINITY;
    for e in &entries {
        match rows.last_mut() {
            Some(row) if used + gap + e.1 <= w - 2.0 * pad => {
                row.push(e);
                used += gap + e.1;
            }
            _ => {
                rows.push(vec![e]);
                used = e.1;
            }
        }
    }
    for row in &rows {
        y += 1.0 * scale;
        let mut x = w - pad;
        for (label, width, color) in row.iter().rev() {
            let style = style::font(size)
                .color(&rgb(*color))
                .pos(Pos::new(HPos::Right, VPos::Top));
            area.draw_text(label, &style, (x as i32, y as i32))?;
            x -= width + gap;
        }
        y += size * LINE_HEIGHT_EM;
    }
    Ok(y + 6.0 * scale)
}

/// Draws each series as a line, with markers (circles or squares) when it has
/// at most `max_markers` points; values are clamped into `y_range`.
pub(crate) fn draw_lines<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    theme: &ChartTheme,
    series: &[Series],
    (y_lo, y_hi): (f64, f64),
    max_markers: usize,
    scale: f64,
) -> ChartResult
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let stroke = (2.0 * scale).max(1.0) as u32;
    let r = (3.2 * scale) as i32;
    for s in series {
        let col = rgb(theme.ink(s.color));
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|(x, y)| (x, y.clamp(y_lo, y_hi)))
            .collect();
        chart.draw_series(std::iter::once(PathElement::new(
            pts.clone(),
            ShapeStyle::from(col).stroke_width(stroke),
        )))?;
        if pts.len() > max_markers {
            continue;
        }
        if s.square {
            chart.draw_series(pts.iter().map(|&p| {
                EmptyElement::at(p)
                    + Rectangle::new([(-r, -r), (r, r)], ShapeStyle::from(col).filled())
            }))?;
        } else {
            chart.draw_series(
                pts.iter()
                    .map(|&p| Circle::new(p, r, ShapeStyle::from(col).filled())),
            )?;
        }
    }
    Ok(())
}

/// Curves on a linear x axis from 0 (training steps, heads pruned, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct CurveChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub y_range: (f64, f64),
    pub series: Vec<Series>,
    /// Right end of the x axis (at least the last step).
    pub x_max: f64,
}

/// Draws `c` filling `area`; markers only while there are few points.
pub fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &CurveChart,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    draw_curves_from(area, c, 0.0, theme, scale)
}

/// [`draw_curves`] with the x axis starting at `x_min` (e.g. a negative
/// offset) instead of 0.
pub fn draw_curves_from<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &CurveChart,
    x_min: f64,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    begin(area, theme, scale)?;
    let top = title_and_legend(area, &c.title, &c.series, theme, scale)?;
    let x_min = if x_min.is_finite() { x_min } else { 0.0 };
    let x_max = if c.x_max.is_finite() && c.x_max > x_min {
        c.x_max
    } else {
        x_min + 1.0
    };
    let (y_lo, y_hi) =
        if c.y_range.1 > c.y_range.0 && c.y_range.0.is_finite() && c.y_range.1.is_finite() {
            c.y_range
        } else {
            (0.0, 1.0)
        };
    let mut chart = style::plot(
        area,
        (
            RangedCoordf64::from(x_min..x_max),
            &Axis::new(&c.x_label, 6),
        ),
        (RangedCoordf64::from(y_lo..y_hi), &Axis::new(&c.y_label, 5)),
        top,
        theme,
        scale,
    )?;
    draw_lines(&mut chart, theme, &c.series, (y_lo, y_hi), 40, scale)?;
    Ok(())
}

/// Draws `c` filling `area`.
pub fn draw_sweep<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &SweepChart,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, _) = begin(area, theme, scale)?;
    let p = style::palette(theme);
    let (x_lo, x_hi) = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite() && *x > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let (x_lo, x_hi) = if x_lo.is_finite() && x_hi > x_lo {
        (x_lo, x_hi)
    } else {
        (1.0, 2.0)
    };
    let (y_lo, y_hi) =
        if c.y_range.1 > c.y_range.0 && c.y_range.0.is_finite() && c.y_range.1.is_finite() {
            c.y_range
        } else {
            (0.0, 1.0)
        };
    let top = title_and_legend(area, &c.title, &c.series, theme, scale)?;
    let mut chart = style::plot(
        area,
        (
            LogCoord::from((x_lo..x_hi).log_scale()),
            &Axis::new("d_k (log scale)", 6),
        ),
        (RangedCoordf64::from(y_lo..y_hi), &Axis::new(&c.y_label, 5)),
        top,
        theme,
        scale,
    )?;
    let stroke = (2.0 * scale).max(1.0) as u32;
    if let Some((label, y)) = &c.reference {
        let line = ShapeStyle::from(rgb(p.axis)).stroke_width(stroke / 2 + 1);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x_lo, *y), (x_hi, *y)],
            line,
        )))?;
        let (px, py) = chart.plotting_area().map_coordinate(&(x_lo, *y));
        let base = area.get_base_pixel();
        area.draw_text(
            label,
            &style::font(font * TICK_EM)
                .color(&rgb(p.tick_text))
                .pos(Pos::new(HPos::Left, VPos::Bottom)),
            (
                px - base.0 + (4.0 * scale) as i32,
                py - base.1 - (2.0 * scale) as i32,
            ),
        )?;
    }
    if c.current.is_finite() && c.current >= x_lo && c.current <= x_hi {
        let line = ShapeStyle::from(rgb(theme.accent)).stroke_width(stroke);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(c.current, y_lo), (c.current, y_hi)],
            line,
        )))?;
    }
    draw_lines(
        &mut chart,
        theme,
        &c.series,
        (y_lo, y_hi),
        usize::MAX,
        scale,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::backend::SVGBackend;

    fn svg(w: u32, h: u32, f: impl FnOnce(&DrawingArea<SVGBackend, Shift>)) -> String {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
            f(&root);
            root.present().expect("present");
        }
        out
    }

    fn hex(c: Rgb) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    #[test]
    fn histogram_draws_one_bar_per_nonempty_bin() {
        let h = Histogram {
            title: "raw".into(),
            counts: vec![1, 0, 5, 2],
            lo: -4.0,
            hi: 4.0,
            color: UNSCALED,
            x_label: "q·k".into(),
        };
        let s = svg(400, 250, |a| {
            draw_histogram(a, &h, &ChartTheme::new(false, false), 1.0).expect("draws")
        });
        assert_eq!(
            s.matches(&format!("fill=\"{}\"", hex(UNSCALED))).count(),
            4,
            "zero-height bars still emit a rect"
        );
        assert!(s.contains(">\nraw\n"));
        // Garbage range does not panic.
        let bad = Histogram { lo: f64::NAN, ..h };
        svg(400, 250, |a| {
            draw_histogram(a, &bad, &ChartTheme::new(true, false), 2.0).expect("draws")
        });
    }

    #[test]
    fn weight_bars_are_clamped_and_labelled() {
        let labels: Vec<String> = (1..=4).map(|i| format!("k{i}")).collect();
        let s = svg(400, 200, |a| {
            draw_weight_bars(
                a,
                &labels,
                &[0.1, 0.7, f64::NAN, 1.5],
                SCALED,
                &ChartTheme::new(false, false),
                1.0,
            )
            .expect("draws")
        });
        assert_eq!(s.matches(&format!("fill=\"{}\"", hex(SCALED))).count(), 4);
        for l in &labels {
            assert!(s.contains(&format!(">\n{l}\n")), "{l}");
        }
    }

    #[test]
    fn curves_draw_lines_and_drop_markers_when_dense() {
        let mk = |n: usize| CurveChart {
            title: "loss".into(),
            x_label: "training step".into(),
            y_label: "loss".into(),
            y_range: (0.0, 3.0),
            series: vec![Series {
                name: "scaled".into(),
                points: (0..n)
                    .map(|i| (i as f64 * 10.0, 2.0 / (1.0 + i as f64)))
                    .collect(),
                color: SCALED,
                square: false,
            }],
            x_max: n as f64 * 10.0,
        };
        let few = svg(500, 300, |a| {
            draw_curves(a, &mk(10), &ChartTheme::new(false, false), 1.0).expect("draws")
        });
        assert_eq!(few.matches("<circle").count(), 10);
        assert!(few.contains("● scaled") && few.contains("training step"));
        let many = svg(500, 300, |a| {
            draw_curves(a, &mk(100), &ChartTheme::new(false, false), 1.0).expect("draws")
        });
        assert_eq!(many.matches("<circle").count(), 0);
        let empty = CurveChart {
            series: vec![],
            x_max: 0.0,
            y_range: (f64::NAN, 1.0),
            ..mk(1)
        };
        svg(500, 300, |a| {
            draw_curves(a, &empty, &ChartTheme::new(true, false), 2.0).expect("draws")
        });
    }

    #[test]
    fn curves_can_start_at_a_negative_x() {
        let c = CurveChart {
            title: "score".into(),
            x_label: "offset".into(),
            y_label: "q·k".into(),
            y_range: (-1.0, 1.0),
            series: vec![Series {
                name: "score".into(),
                points: (-32..=32)
                    .map(|i| (f64::from(i), (f64::from(i) / 5.0).cos()))
                    .collect(),
                color: SCALED,
                square: false,
            }],
            x_max: 32.0,
        };
        let th = ChartTheme::new(false, false);
        let s = svg(500, 300, |a| {
            draw_curves_from(a, &c, -32.0, &th, 1.0).expect("draws")
        });
        // Tick labels carry a real minus sign (U+2212), not a hyphen.
        assert!(
            s.contains("\n−20\n") || s.contains("\n−30\n"),
            "negative ticks"
        );
        let plain = svg(500, 300, |a| draw_curves(a, &c, &th, 1.0).expect("draws"));
        assert!(!plain.contains("\n−20\n") && !plain.contains("\n−30\n"));
        // A bad x_min falls back to 0.
        svg(500, 300, |a| {
            draw_curves_from(a, &c, f64::NAN, &th, 1.0).expect("draws")
        });
    }

    #[test]
    fn sweep_draws_both_series_the_marker_and_the_legend() {
        let pts = |f: fn(f64) -> f64| {
            (0..=10)
                .map(|i| (2f64.powi(i), f(2f64.powi(i))))
                .collect::<Vec<_>>()
        };
        let c = SweepChart {
            title: "entropy".into(),
            y_label: "bits".into(),
            y_range: (0.0, 4.0),
            series: vec![
                Series {
                    name: "scaled".into(),
                    points: pts(|_| 3.5),
                    color: SCALED,
                    square: false,
                },
                Series {
                    name: "unscaled".into(),
                    points: pts(|d| 4.0 / d.sqrt()),
                    color: UNSCALED,
                    square: true,
                },
            ],
            current: 64.0,
            reference: Some(("uniform: 4 bits".into(), 4.0)),
        };
        let s = svg(500, 300, |a| {
            draw_sweep(a, &c, &ChartTheme::new(false, false), 1.0).expect("draws")
        });
        assert!(s.contains("● scaled") && s.contains("■ unscaled"));
        assert!(s.contains("uniform: 4 bits"));
        assert_eq!(s.matches("<circle").count(), 11);
        assert!(s.contains(&hex(ChartTheme::new(false, false).accent)));
        // Empty series and an off-range marker are fine.
        let empty = SweepChart {
            series: vec![],
            current: f64::NAN,
            reference: None,
            ..c
        };
        svg(500, 300, |a| {
            draw_sweep(a, &empty, &ChartTheme::new(false, true), 1.5).expect("draws")
        });
    }
}
