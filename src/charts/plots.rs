//! Small statistical charts: a histogram, a bar chart of one attention row,
//! and line charts against d_k on a log axis. Generic over the plotters
//! backend like every chart here; sizes are CSS pixels times `scale`.

use super::colormap::Rgb;
use super::{begin, rgb, ChartTheme};
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Okabe-Ito blue: the "scaled" series everywhere (colour-blind safe).
pub const SCALED: Rgb = (0x00, 0x72, 0xb2);
/// Okabe-Ito orange: the "unscaled" series everywhere.
pub const UNSCALED: Rgb = (0xe6, 0x9f, 0x00);

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

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
) -> DrawResult<DB> {
    let (font, text) = begin(area, theme, scale)?;
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (lo, hi) = if h.hi > h.lo && h.lo.is_finite() && h.hi.is_finite() {
        (h.lo, h.hi)
    } else {
        (-1.0, 1.0)
    };
    let mut chart = ChartBuilder::on(area)
        .margin((8.0 * scale) as u32)
        .caption(
            &h.title,
            ("sans-serif", font * 1.05).into_font().color(&text),
        )
        .x_label_area_size((font * 2.6) as u32)
        .y_label_area_size((font * 3.6) as u32)
        .build_cartesian_2d(lo..hi, 0.0..max * 1.08)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(h.x_label.as_str())
        .y_desc("count")
        .x_labels(5)
        .y_labels(4)
        .label_style(("sans-serif", font * 0.9).into_font().color(&text))
        .axis_desc_style(("sans-serif", font * 0.9).into_font().color(&text))
        .axis_style(text)
        .draw()?;
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
) -> DrawResult<DB> {
    let (font, text) = begin(area, theme, scale)?;
    let n = weights.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .margin((8.0 * scale) as u32)
        .x_label_area_size((font * 2.4) as u32)
        .y_label_area_size((font * 3.2) as u32)
        .build_cartesian_2d(0.0..n as f64, 0.0..1.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_labels(5)
        .x_labels(0)
        .y_desc("weight")
        .label_style(("sans-serif", font * 0.9).into_font().color(&text))
        .axis_desc_style(("sans-serif", font * 0.9).into_font().color(&text))
        .axis_style(text)
        .light_line_style(rgb(theme.text).mix(0.15))
        .draw()?;
    let fill = rgb(theme.ink(color)).filled();
    chart.draw_series(weights.iter().enumerate().map(|(i, &w)| {
        let w = if w.is_finite() {
            w.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Rectangle::new([(i as f64 + 0.12, 0.0), (i as f64 + 0.88, w)], fill)
    }))?;
    let style = ("sans-serif", font * 0.85)
        .into_font()
        .color(&text)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let plot = chart.plotting_area();
    for (i, l) in labels.iter().enumerate().take(n) {
        let (x, y) = plot.map_coordinate(&(i as f64 + 0.5, 0.0));
        area.draw_text(
            l,
            &style,
            (
                x - area.get_base_pixel().0,
                y - area.get_base_pixel().1 + (4.0 * scale) as i32,
            ),
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

/// Title at the top left and a legend naming each series with its colour and
/// marker shape at the top right; charts leave `3 * font` free at the top.
fn title_and_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[Series],
    theme: &ChartTheme,
    scale: f64,
) -> DrawResult<DB> {
    let font = theme.font_px * scale;
    let text = rgb(theme.text);
    let title_style = ("sans-serif", font * 1.05)
        .into_font()
        .color(&text)
        .pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(
        title,
        &title_style,
        ((8.0 * scale) as i32, (4.0 * scale) as i32),
    )?;
    let (w, _) = area.dim_in_pixel();
    let mut x = w as i32 - (10.0 * scale) as i32;
    for s in series.iter().rev() {
        let marker = if s.square { "■" } else { "●" };
        let label = format!("{marker} {}", s.name);
        let style = ("sans-serif", font * 0.95)
            .into_font()
            .color(&rgb(theme.ink(s.color)))
            .pos(Pos::new(HPos::Right, VPos::Top));
        area.draw_text(&label, &style, (x, (font * 1.6) as i32))?;
        x -= (font * 0.62 * (label.chars().count() as f64 + 2.0)) as i32;
    }
    Ok(())
}

/// The axis styling every line chart shares: descriptions, tick counts,
/// themed labels and faint grid lines.
fn themed_mesh<X, Y, XT, YT, DB>(
    mesh: &mut MeshStyle<'_, '_, X, Y, DB>,
    x_desc: &str,
    y_desc: &str,
    theme: &ChartTheme,
    scale: f64,
) where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    DB: DrawingBackend,
{
    let font = theme.font_px * scale;
    let text = rgb(theme.text);
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(6)
        .y_labels(5)
        .label_style(("sans-serif", font * 0.95).into_font().color(&text))
        .axis_desc_style(("sans-serif", font * 0.9).into_font().color(&text))
        .axis_style(text)
        .light_line_style(rgb(theme.text).mix(0.12))
        .bold_line_style(rgb(theme.text).mix(0.2));
}

/// Draws each series as a line, with markers (circles or squares) when it has
/// at most `max_markers` points; values are clamped into `y_range`.
fn draw_lines<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    theme: &ChartTheme,
    series: &[Series],
    (y_lo, y_hi): (f64, f64),
    max_markers: usize,
    scale: f64,
) -> DrawResult<DB> {
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
) -> DrawResult<DB> {
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
) -> DrawResult<DB> {
    let (font, _) = begin(area, theme, scale)?;
    title_and_legend(area, &c.title, &c.series, theme, scale)?;
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
    let mut chart = ChartBuilder::on(area)
        .margin((8.0 * scale) as u32)
        .margin_top((font * 3.0) as u32)
        .x_label_area_size((font * 2.6) as u32)
        .y_label_area_size((font * 3.6) as u32)
        .build_cartesian_2d(x_min..x_max, y_lo..y_hi)?;
    let mut mesh = chart.configure_mesh();
    themed_mesh(&mut mesh, &c.x_label, &c.y_label, theme, scale);
    mesh.draw()?;
    draw_lines(&mut chart, theme, &c.series, (y_lo, y_hi), 40, scale)?;
    Ok(())
}

/// Draws `c` filling `area`.
pub fn draw_sweep<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &SweepChart,
    theme: &ChartTheme,
    scale: f64,
) -> DrawResult<DB> {
    let (font, text) = begin(area, theme, scale)?;
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
    let (y_lo, y_hi) = if c.y_range.1 > c.y_range.0 {
        c.y_range
    } else {
        (0.0, 1.0)
    };
    title_and_legend(area, &c.title, &c.series, theme, scale)?;
    let mut chart = ChartBuilder::on(area)
        .margin((8.0 * scale) as u32)
        .margin_top((font * 3.0) as u32)
        .x_label_area_size((font * 2.6) as u32)
        .y_label_area_size((font * 3.6) as u32)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), y_lo..y_hi)?;
    let mut mesh = chart.configure_mesh();
    themed_mesh(&mut mesh, "d_k (log scale)", &c.y_label, theme, scale);
    mesh.draw()?;
    let stroke = (2.0 * scale).max(1.0) as u32;
    if let Some((label, y)) = &c.reference {
        let style = ShapeStyle::from(rgb(theme.text).mix(0.5)).stroke_width(stroke.max(1) / 2 + 1);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x_lo, *y), (x_hi, *y)],
            style,
        )))?;
        let (px, py) = chart.plotting_area().map_coordinate(&(x_lo, *y));
        let base = area.get_base_pixel();
        area.draw_text(
            label,
            &("sans-serif", font * 0.85)
                .into_font()
                .color(&text)
                .pos(Pos::new(HPos::Left, VPos::Bottom)),
            (
                px - base.0 + (4.0 * scale) as i32,
                py - base.1 - (2.0 * scale) as i32,
            ),
        )?;
    }
    if c.current.is_finite() && c.current >= x_lo && c.current <= x_hi {
        let style = ShapeStyle::from(rgb(theme.accent)).stroke_width(stroke);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(c.current, y_lo), (c.current, y_hi)],
            style,
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
        assert!(s.contains("-20") || s.contains("-30"), "negative ticks");
        let plain = svg(500, 300, |a| draw_curves(a, &c, &th, 1.0).expect("draws"));
        assert!(!plain.contains(">-20") && !plain.contains(">-30"));
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
