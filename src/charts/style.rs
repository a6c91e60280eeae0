//! The one chart style, so every figure reads like a textbook figure: the
//! page's font, tick labels without trailing zeros ("0", "0.5", "300", "1k"),
//! margins wide enough that no label is cut, a light grid under the data and
//! axes in a mid tone.
//!
//! Charts with axes call [`plot`], which sizes the margins from the tick labels
//! it will print ([`Frame`]) and draws the axes ([`draw_axes`]); every chart
//! takes its type from [`font`] and its greys from [`palette`].

use super::colormap::Rgb;
use super::{rgb, ChartError, ChartTheme};
use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{BoldPoints, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, FontDesc, FontFamily, FontStyle, ShapeStyle};
use plotters_backend::DrawingBackend;

/// The page's font stack (the `body` font-family in `styles/main.css`). The
/// canvas backend hands it to `ctx.font`, the SVG backend to `font-family`.
pub const FONT_FAMILY: &str =
    "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Noto Sans\", sans-serif";

/// Estimated advance of one character, in ems. UI sans fonts average about
/// 0.5 em for digits and lower case; 0.6 leaves room for capitals and signs.
pub const CHAR_WIDTH_EM: f64 = 0.6;
/// Height of one line of text, in ems.
pub const LINE_HEIGHT_EM: f64 = 1.2;

/// Type sizes relative to the theme's label size.
pub const TITLE_EM: f64 = 1.05;
/// Axis titles ("training step") and legend entries.
pub const AXIS_TITLE_EM: f64 = 0.92;
/// Tick labels ("0", "0.5", "1k").
pub const TICK_EM: f64 = 0.85;

/// The page's font at `size` device pixels.
pub fn font<'a>(size: f64) -> FontDesc<'a> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Normal)
}

/// The page's font at `size` device pixels, bold.
pub fn bold<'a>(size: f64) -> FontDesc<'a> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Bold)
}

/// Estimated width of `text` at `size` pixels (no font metrics are available
/// before drawing; see [`CHAR_WIDTH_EM`]).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_WIDTH_EM
}

/// `text` at `size` shrunk (down to 80%) and then cut with an ellipsis so
/// that it is at most `max_width` pixels wide.
pub fn fit(text: &str, size: f64, max_width: f64) -> (String, f64) {
    let width = text_width(text, size);
    if width <= max_width || max_width <= 0.0 {
        return (text.to_string(), size);
    }
    let shrunk = size * (max_width / width);
    if shrunk >= size * 0.8 {
        return (text.to_string(), shrunk);
    }
    let size = size * 0.8;
    let keep = (max_width / (size * CHAR_WIDTH_EM)).floor() as usize;
    let mut cut: String = text.chars().take(keep.saturating_sub(1)).collect();
    cut.push('…');
    (cut, size)
}

/// A tick label: at most four significant digits, no trailing zeros, `k` and
/// `M` for thousands and millions, powers of ten for tiny or huge values and
/// a real minus sign: `0`, `0.5`, `2.5`, `300`, `1k`, `1.5k`, `1M`, `0.001`,
/// `1e-4`, `−0.25`.
pub fn tick_label(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "−∞" }.into();
    }
    let a = round_significant(v.abs(), 4);
    if a == 0.0 {
        return "0".into();
    }
    let body = if !(1e-3..1e9).contains(&a) {
        scientific(a)
    } else if a >= 1e6 {
        format!("{}M", plain(a / 1e6))
    } else if a >= 1e3 {
        format!("{}k", plain(a / 1e3))
    } else {
        plain(a)
    };
    if v < 0.0 {
        format!("−{body}")
    } else {
        body
    }
}

/// `a` (positive) rounded to `digits` significant digits.
fn round_significant(a: f64, digits: i32) -> f64 {
    if a == 0.0 || !a.is_finite() {
        return a;
    }
    let step = 10f64.powi(a.log10().floor() as i32 - digits + 1);
    (a / step).round() * step
}

/// `a` in `[0.001, 1000)` with four significant digits, trailing zeros cut.
fn plain(a: f64) -> String {
    let int_digits = a.log10().floor() as i32 + 1;
    let decimals = (4 - int_digits).clamp(0, 6) as usize;
    trim_zeros(format!("{a:.decimals$}"))
}

/// `a` (positive) as `m e x` with up to three significant digits: `1e-4`, `2.5e9`.
fn scientific(a: f64) -> String {
    let mut exp = a.log10().floor() as i32;
    let mut m = round_significant(a / 10f64.powi(exp), 3);
    if m >= 10.0 {
        m /= 10.0;
        exp += 1;
    }
    format!("{}e{exp}", trim_zeros(format!("{m:.2}")))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Tick labels of one axis: values that are zero up to the rounding of the
/// tick computation (e.g. `1e-17` on a `-1..1` axis) print as `0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TickFormat {
    zero: f64,
}

impl TickFormat {
    /// The format for an axis over `lo..hi`.
    pub fn for_range(lo: f64, hi: f64) -> Self {
        let span = (hi - lo).abs();
        // A range that does not contain 0 (every log axis) has no zero tick.
        let has_zero = lo <= 0.0 && hi >= 0.0 || lo >= 0.0 && hi <= 0.0;
        TickFormat {
            zero: if span.is_finite() && has_zero {
                span * 1e-9
            } else {
                0.0
            },
        }
    }

    /// The label of the tick at `v`.
    pub fn label(&self, v: f64) -> String {
        if v.abs() <= self.zero {
            "0".into()
        } else {
            tick_label(v)
        }
    }
}

/// The labels plotters will print on an axis over `range` asked for about
/// `ticks` ticks (the same key points as `MeshStyle::x_labels(ticks)`).
pub fn tick_labels<R: Ranged<ValueType = f64>>(range: &R, ticks: usize) -> Vec<String> {
    if ticks == 0 {
        return Vec::new();
    }
    let r = range.range();
    let format = TickFormat::for_range(r.start, r.end);
    range
        .key_points(BoldPoints(ticks))
        .into_iter()
        .map(|v| format.label(v))
        .collect()
}

/// `from` moved a fraction `t` of the way to `to`.
pub fn blend(from: Rgb, to: Rgb, t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    (mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
}

/// The greys of a chart, as opaque colours mixed from the theme's text and
/// background (so they read the same on the light and the dark page).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palette {
    pub background: Rgb,
    /// Titles and axis titles.
    pub text: Rgb,
    /// Tick labels and notes, a little softer than titles.
    pub tick_text: Rgb,
    /// Axis lines and tick marks: a mid tone.
    pub axis: Rgb,
    /// Grid lines: barely there, well under the data.
    pub grid: Rgb,
}

/// The greys for `theme`.
pub fn palette(theme: &ChartTheme) -> Palette {
    let (bg, fg) = (theme.background, theme.text);
    Palette {
        background: bg,
        text: fg,
        tick_text: blend(bg, fg, 0.8),
        axis: blend(bg, fg, 0.45),
        grid: blend(bg, fg, 0.09),
    }
}

/// One axis of a plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis<'a> {
    /// The axis title; empty for none.
    pub title: &'a str,
    /// About how many ticks to label; 0 for none.
    pub ticks: usize,
    /// Grid lines across the plot at the ticks.
    pub grid: bool,
    /// The values on this axis are powers of ten: the tick at v reads
    /// `10^v` (`1e-30`, `0.001`, `1`, `1M`). For log axes too wide for
    /// plotters' `LogCoord`, which drops its key points below about 1e-14.
    pub powers_of_ten: bool,
}

impl<'a> Axis<'a> {
    /// An axis titled `title` with about `ticks` labelled ticks and grid lines.
    pub fn new(title: &'a str, ticks: usize) -> Self {
        Axis {
            title,
            ticks,
            grid: true,
            powers_of_ten: false,
        }
    }

    /// The same axis with values read as powers of ten (see
    /// [`Axis::powers_of_ten`]).
    pub fn in_powers_of_ten(self) -> Self {
        Axis {
            powers_of_ten: true,
            ..self
        }
    }

    /// The labels this axis prints over `range`.
    pub fn labels<R: Ranged<ValueType = f64>>(&self, range: &R) -> Vec<String> {
        if self.powers_of_ten && self.ticks > 0 {
            range
                .key_points(BoldPoints(self.ticks))
                .into_iter()
                .map(|v| tick_label(10f64.powf(v)))
                .collect()
        } else {
            tick_labels(range, self.ticks)
        }
    }

    /// The same axis without grid lines.
    pub fn without_grid(self) -> Self {
        Axis {
            grid: false,
            ..self
        }
    }
}

/// Length of the tick marks in device pixels; plotters puts the labels twice
/// this far from the axis.
pub fn tick_length(scale: f64) -> f64 {
    (4.0 * scale).round().max(1.0)
}

/// Margins and label areas around a plot, in device pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub left: u32,
    /// Height of the area under the plot (tick labels and the x title).
    pub x_label_area: u32,
    /// Width of the area left of the plot (tick labels and the y title).
    pub y_label_area: u32,
}

impl Frame {
    /// A frame in which the tick labels `x_labels` and `y_labels` and both
    /// axis titles fit: the right margin holds half the last x label (which
    /// sits centred on the right end of the axis), the left area the widest
    /// y label, the title beside it and half the first x label. `top` device
    /// pixels stay free above the plot (for a title and legend).
    pub fn new(
        x: &Axis<'_>,
        x_labels: &[String],
        y: &Axis<'_>,
        y_labels: &[String],
        top: f64,
        theme: &ChartTheme,
        scale: f64,
    ) -> Self {
        let font = theme.font_px * scale;
        let (tick, title) = (font * TICK_EM, font * AXIS_TITLE_EM);
        let label_dist = 2.0 * tick_length(scale);
        let pad = 4.0 * scale;
        let width = |l: &String| text_width(l, tick);
        let widest_y = y_labels.iter().map(width).fold(0.0, f64::max);
        let first_x = x_labels.first().map_or(0.0, width);
        let last_x = x_labels.last().map_or(0.0, width);

        let mut x_area = 0.0;
        if !x_labels.is_empty() {
            x_area += label_dist + tick * LINE_HEIGHT_EM;
        }
        if !x.title.is_empty() {
            x_area += font * 0.3 + title * LINE_HEIGHT_EM;
        }
        if x_area > 0.0 {
            x_area += pad / 2.0;
        }
        let mut y_area = 0.0;
        if !y_labels.is_empty() {
            y_area += label_dist + widest_y;
        }
        if !y.title.is_empty() {
            y_area += font * 0.5 + title * LINE_HEIGHT_EM;
        }
        let y_area = (y_area + pad).max(first_x / 2.0 + pad);
        let right = (last_x / 2.0 + pad).max(10.0 * scale);
        // The top y label is centred on the top of the axis.
        let top = top.max(tick * 0.6 + pad);
        Frame {
            top: top.ceil() as u32,
            right: right.ceil() as u32,
            bottom: (6.0 * scale).ceil() as u32,
            left: (6.0 * scale).ceil() as u32,
            x_label_area: x_area.ceil() as u32,
            y_label_area: y_area.ceil() as u32,
        }
    }

    /// A chart builder on `area` with these margins and label areas.
    pub fn builder<'a, 'b, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> ChartBuilder<'a, 'b, DB> {
        let mut b = ChartBuilder::on(area);
        b.margin_top(self.top)
            .margin_right(self.right)
            .margin_bottom(self.bottom)
            .margin_left(self.left)
            .x_label_area_size(self.x_label_area)
            .y_label_area_size(self.y_label_area);
        b
    }
}

/// Draws the axes, tick labels, axis titles and grid of `chart` in the house
/// style: tick labels by [`TickFormat`], no minor grid, major grid lines in
/// [`Palette::grid`] (only on axes that ask for it), axis lines and tick marks
/// in [`Palette::axis`].
pub fn draw_axes<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x: &Axis<'_>,
    y: &Axis<'_>,
    theme: &ChartTheme,
    scale: f64,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let p = palette(theme);
    let font_px = theme.font_px * scale;
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let (fx, fy) = (
        TickFormat::for_range(xr.start, xr.end),
        TickFormat::for_range(yr.start, yr.end),
    );
    let (px, py) = (x.powers_of_ten, y.powers_of_ten);
    let format_x = move |v: &f64| {
        if px {
            tick_label(10f64.powf(*v))
        } else {
            fx.label(*v)
        }
    };
    let format_y = move |v: &f64| {
        if py {
            tick_label(10f64.powf(*v))
        } else {
            fy.label(*v)
        }
    };
    let hairline = scale.round().max(1.0) as u32;
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x.ticks)
        .y_labels(y.ticks)
        .max_light_lines(0)
        .x_label_formatter(&format_x)
        .y_label_formatter(&format_y)
        .label_style(font(font_px * TICK_EM).color(&rgb(p.tick_text)))
        .axis_desc_style(font(font_px * AXIS_TITLE_EM).color(&rgb(p.text)))
        .axis_style(ShapeStyle::from(rgb(p.axis)).stroke_width(hairline))
        .bold_line_style(ShapeStyle::from(rgb(p.grid)).stroke_width(hairline))
        .set_all_tick_mark_size(tick_length(scale) as i32);
    if !x.title.is_empty() {
        mesh.x_desc(x.title);
    }
    if !y.title.is_empty() {
        mesh.y_desc(y.title);
    }
    if !x.grid {
        mesh.disable_x_mesh();
    }
    if !y.grid {
        mesh.disable_y_mesh();
    }
    mesh.draw()?;
    Ok(())
}

/// A plot on `area` over `x_range` by `y_range` with its axes drawn: the frame
/// is sized from the tick labels the axes will print, leaving `top` device
/// pixels free above. Returns the chart to draw the data on.
pub fn plot<'a, DB, X, Y>(
    area: &'a DrawingArea<DB, Shift>,
    (x_range, x): (X, &Axis<'_>),
    (y_range, y): (Y, &Axis<'_>),
    top: f64,
    theme: &ChartTheme,
    scale: f64,
) -> Result<ChartContext<'a, DB, Cartesian2d<X, Y>>, ChartError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let frame = Frame::new(
        x,
        &x.labels(&x_range),
        y,
        &y.labels(&y_range),
        top,
        theme,
        scale,
    );
    let mut chart = frame.builder(area).build_cartesian_2d(x_range, y_range)?;
    draw_axes(&mut chart, x, y, theme, scale)?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::colormap::luminance;

    #[test]
    fn tick_labels_read_like_a_textbook() {
        for (v, want) in [
            (0.0, "0"),
            (-0.0, "0"),
            (0.5, "0.5"),
            (1.0, "1"),
            (2.5, "2.5"),
            (0.25, "0.25"),
            (0.30000000000000004, "0.3"),
            (0.1 + 0.2 - 0.3 + 0.7, "0.7"),
            (100.0, "100"),
            (300.0, "300"),
            (999.0, "999"),
            (1000.0, "1k"),
            (1500.0, "1.5k"),
            (2250.0, "2.25k"),
            (10_000.0, "10k"),
            (123_456.0, "123.5k"),
            (999_999.0, "1M"),
            (1e6, "1M"),
            (2.5e6, "2.5M"),
            (3e9, "3e9"),
            (0.001, "0.001"),
            (0.0125, "0.0125"),
            (1e-4, "1e-4"),
            (2.5e-5, "2.5e-5"),
            (-5.0, "−5"),
            (-0.25, "−0.25"),
            (-1500.0, "−1.5k"),
            (-1e-4, "−1e-4"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "∞"),
            (f64::NEG_INFINITY, "−∞"),
        ] {
            assert_eq!(tick_label(v), want, "{v}");
        }
    }

    #[test]
    fn tick_labels_never_end_in_point_zero() {
        for i in -200..=200 {
            for step in [
                0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 250.0,
            ] {
                let s = tick_label(f64::from(i) * step);
                assert!(!s.ends_with(".0") && !s.contains(".0k") && !s.contains(".0M"));
                assert!(!s.ends_with('.'), "{s}");
            }
        }
    }

    #[test]
    fn rounding_noise_around_zero_prints_zero() {
        let f = TickFormat::for_range(-1.0, 1.0);
        assert_eq!(f.label(2.7e-17), "0");
        assert_eq!(f.label(-0.2), "−0.2");
        let tiny = TickFormat::for_range(0.0, 1e-4);
        assert_eq!(tiny.label(2e-5), "2e-5");
        // A log axis over 1..1e15 keeps its small ticks.
        let log = TickFormat::for_range(1.0, 1e15);
        assert_eq!(
            (log.label(1.0), log.label(1000.0)),
            ("1".into(), "1k".into())
        );
    }

    #[test]
    fn powers_of_ten_axes_label_every_decade() {
        use plotters::coord::types::RangedCoordf64;
        let r: RangedCoordf64 = (-31.0..6.0).into();
        let labels = Axis::new("", 6).in_powers_of_ten().labels(&r);
        assert_eq!(labels, ["1e-30", "1e-20", "1e-10", "1"]);
        assert_eq!(Axis::new("", 6).labels(&r), tick_labels(&r, 6));
    }

    #[test]
    fn tick_labels_are_plotters_key_points() {
        use plotters::coord::types::RangedCoordf64;
        let r: RangedCoordf64 = (0.0..1000.0).into();
        assert_eq!(tick_labels(&r, 6), ["0", "200", "400", "600", "800", "1k"]);
        let r: RangedCoordf64 = (-1.0..1.0).into();
        let labels = tick_labels(&r, 5);
        assert!(labels.contains(&"0".to_string()), "{labels:?}");
        assert!(labels.contains(&"−0.5".to_string()), "{labels:?}");
        assert!(tick_labels(&r, 0).is_empty());
    }

    #[test]
    fn the_font_is_the_pages_font() {
        let css = include_str!("../../styles/main.css");
        assert!(
            css.contains(&format!("font-family: {FONT_FAMILY};")),
            "styles/main.css's body font-family changed: update FONT_FAMILY"
        );
        assert_eq!(font(12.0).get_family().as_str(), FONT_FAMILY);
    }

    #[test]
    fn grid_is_fainter_than_axes_and_axes_than_text() {
        for dark in [false, true] {
            let th = ChartTheme::new(dark, false);
            let p = palette(&th);
            let contrast = |c: Rgb| {
                let (a, b) = (luminance(c), luminance(p.background));
                (a.max(b) + 0.05) / (a.min(b) + 0.05)
            };
            assert!(contrast(p.grid) < 1.35, "grid {:?}", p.grid);
            assert!(contrast(p.axis) > contrast(p.grid) * 1.8);
            assert!(contrast(p.text) > contrast(p.axis) * 1.5);
            assert!(contrast(p.tick_text) > 4.5, "tick labels stay readable");
        }
    }

    #[test]
    fn fit_shrinks_then_cuts() {
        assert_eq!(fit("short", 10.0, 100.0), ("short".to_string(), 10.0));
        let (s, size) = fit("abcdefghij", 10.0, 54.0);
        assert_eq!(s, "abcdefghij");
        assert!(size < 10.0 && text_width(&s, size) <= 54.0 + 1e-9);
        let (s, size) = fit(&"x".repeat(100), 10.0, 60.0);
        assert!(s.ends_with('…'));
        assert!(text_width(&s, size) <= 60.0 + 1e-9);
    }

    #[test]
    fn frame_holds_the_last_x_label_and_the_widest_y_label() {
        let th = ChartTheme::new(false, false);
        let labels = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let x = Axis::new("step", 6);
        let y = Axis::new("loss", 5);
        let narrow = Frame::new(
            &x,
            &labels(&["0", "1"]),
            &y,
            &labels(&["0", "1"]),
            0.0,
            &th,
            1.0,
        );
        let wide = Frame::new(
            &x,
            &labels(&["0", "2.5k", "10000000"]),
            &y,
            &labels(&["−0.0125", "1"]),
            0.0,
            &th,
            2.0,
        );
        let tick = th.font_px * 2.0 * TICK_EM;
        assert!(f64::from(wide.right) >= text_width("10000000", tick) / 2.0);
        assert!(f64::from(wide.y_label_area) >= text_width("−0.0125", tick) + 16.0);
        assert!(wide.y_label_area > narrow.y_label_area * 2);
        assert!(f64::from(narrow.top) >= th.font_px * TICK_EM / 2.0);
    }
}
