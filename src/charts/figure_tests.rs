//! Whole charts rendered to SVG and read back: every label inside the
//! canvas, tick labels without trailing zeros, the page's font everywhere and
//! a grid fainter than the data, on the light and the dark theme, at normal
//! and large type, at 1x and 2x.
//!
//! Set `CHART_SVG_DIR` to also write the rendered charts there (to look at).

use super::heatmap::{self, ColorScale, HeatmapData, HeatmapLayout, Highlight};
use super::lines::{self, LineDiagram, RowDiagram};
use super::plots::{self, CurveChart, Histogram, Series, SweepChart, SCALED, UNSCALED};
use super::position::{self, MatrixImage, PairPanel, SmallMatrix};
use super::style::{self, CHAR_WIDTH_EM, FONT_FAMILY};
use super::{colormap, ChartResult, ChartTheme};
use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The SVG backend writes `font-size` as the requested size / 1.24, while the
/// canvas uses the requested size: estimates use the (larger) canvas size.
const SVG_FONT_SHRINK: f64 = 1.24;

/// One `<text>` element of an SVG.
#[derive(Debug)]
pub(crate) struct Text {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    dy: String,
    rotated: bool,
    family: String,
    pub(crate) content: String,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag.get(start..)?.find('"')?;
    tag.get(start..start + len).map(unescape)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

pub(crate) fn texts(svg: &str) -> Vec<Text> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        rest = &rest[i..];
        let close = rest.find('>').unwrap();
        let tag = &rest[..close];
        let end = rest.find("</text>").unwrap();
        let num = |n: &str| attr(tag, n).unwrap().parse::<f64>().unwrap();
        out.push(Text {
            x: num("x"),
            y: num("y"),
            size: num("font-size") * SVG_FONT_SHRINK,
            anchor: attr(tag, "text-anchor").unwrap(),
            dy: attr(tag, "dy").unwrap(),
            rotated: attr(tag, "transform").is_some_and(|t| t.starts_with("rotate(270")),
            family: attr(tag, "font-family").unwrap_or_default(),
            content: unescape(rest[close + 1..end].trim()),
        });
        rest = &rest[end..];
    }
    out
}

impl Text {
    /// Estimated box `(x0, x1, y0, y1)` on the canvas.
    fn extent(&self) -> (f64, f64, f64, f64) {
        let w = self.content.chars().count() as f64 * self.size * CHAR_WIDTH_EM;
        let along = |at: f64| match self.anchor.as_str() {
            "start" => (at, at + w),
            "middle" => (at - w / 2.0, at + w / 2.0),
            _ => (at - w, at),
        };
        let across = |at: f64| match self.dy.as_str() {
            "0.76em" => (at, at + self.size),
            "0.5ex" => (at - self.size / 2.0, at + self.size / 2.0),
            _ => (at - self.size, at),
        };
        if self.rotated {
            // Rotated 270 degrees: the text runs upwards, its top faces left.
            let (a, b) = along(-self.y);
            let (x0, x1) = across(self.x);
            (x0, x1, -b, -a)
        } else {
            let (x0, x1) = along(self.x);
            let (y0, y1) = across(self.y);
            (x0, x1, y0, y1)
        }
    }
}

fn svg(
    name: &str,
    (w, h): (u32, u32),
    f: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> ChartResult,
) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        f(&root).unwrap();
        root.present().unwrap();
    }
    if let Some(dir) = std::env::var_os("CHART_SVG_DIR") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.svg")), &out).unwrap();
    }
    out
}

/// Every text of `svg` (a `w x h` canvas) lies inside the canvas.
fn assert_labels_inside(name: &str, svg: &str, (w, h): (u32, u32)) {
    let ts = texts(svg);
    assert!(!ts.is_empty(), "{name}: no text");
    for t in &ts {
        let (x0, x1, y0, y1) = t.extent();
        assert!(
            x0 >= -1.0 && x1 <= f64::from(w) + 1.0,
            "{name}: {:?} spans x {x0:.0}..{x1:.0} of a {w} px canvas",
            t.content
        );
        assert!(
            y0 >= -1.0 && y1 <= f64::from(h) + 1.0,
            "{name}: {:?} spans y {y0:.0}..{y1:.0} of a {h} px canvas",
            t.content
        );
        assert_eq!(t.family, FONT_FAMILY, "{name}: {:?} font", t.content);
    }
}

/// No text reads like "300.0", "0.50" or "1.0k".
fn assert_no_trailing_zeros(name: &str, svg: &str) {
    for t in texts(svg) {
        for word in t.content.split([' ', '(', ')', ',']) {
            let number = word.trim_end_matches(['k', 'M']);
            if number.contains('.')
                && number
                    .chars()
                    .all(|c| c.is_ascii_digit() || ".−-".contains(c))
            {
                assert!(!number.ends_with('0'), "{name}: label {:?}", t.content);
            }
        }
    }
}

/// Themes and scales every chart is checked at: (dark, large, scale).
const CASES: [(bool, bool, f64); 4] = [
    (false, false, 1.0),
    (true, false, 1.0),
    (false, true, 1.0),
    (true, false, 2.0),
];

/// Device size of a chart of CSS size `(w, h)`, grown with large type as the
/// chart widget does.
fn device(th: &ChartTheme, (w, h): (f64, f64), scale: f64) -> (u32, u32) {
    let k = th.font_px / heatmap::BASE_FONT_PX;
    ((w * k * scale) as u32, (h * k * scale) as u32)
}

fn series(name: &str, color: colormap::Rgb, square: bool, pts: Vec<(f64, f64)>) -> Series {
    Series {
        name: name.into(),
        points: pts,
        color,
        square,
    }
}

fn training(x_max: f64) -> CurveChart {
    let steps = 60;
    let pts = |f: fn(f64) -> f64| {
        (0..=steps)
            .map(|i| {
                let x = x_max * f64::from(i) / f64::from(steps);
                (x, f(x / x_max))
            })
            .collect()
    };
    CurveChart {
        title: "Training loss".into(),
        x_label: "training step".into(),
        y_label: "loss".into(),
        y_range: (0.0, 2.5),
        series: vec![
            series(
                "scaled",
                SCALED,
                false,
                pts(|t| 2.3 * (-4.0 * t).exp() + 0.1),
            ),
            series(
                "unscaled",
                UNSCALED,
                true,
                pts(|t| 2.3 * (-1.5 * t).exp() + 0.2),
            ),
        ],
        x_max,
    }
}

#[test]
fn training_charts_keep_the_last_step_label_inside() {
    for x_max in [100.0, 1000.0, 1500.0, 3000.0, 10_000.0, 25_000.0] {
        for (dark, large, scale) in CASES {
            let th = ChartTheme::new(dark, large);
            let size = device(&th, (560.0, 300.0), scale);
            let name = format!("curves-{x_max}-{dark}-{large}-{scale}");
            let s = svg(&name, size, |a| {
                plots::draw_curves(a, &training(x_max), &th, scale)
            });
            assert_labels_inside(&name, &s, size);
            assert_no_trailing_zeros(&name, &s);
            let labels: Vec<String> = texts(&s).into_iter().map(|t| t.content).collect();
            let last = style::tick_label(x_max);
            assert!(labels.contains(&last), "{name}: no {last} in {labels:?}");
            assert!(
                !labels.iter().any(|l| l.ends_with(".0") || l.ends_with('.')),
                "{name}: {labels:?}"
            );
        }
    }
    let s = svg("curves-1000", (560, 300), |a| {
        plots::draw_curves(a, &training(1000.0), &ChartTheme::new(false, false), 1.0)
    });
    let labels: Vec<String> = texts(&s).into_iter().map(|t| t.content).collect();
    for want in ["0", "200", "800", "1k", "1", "2"] {
        assert!(labels.contains(&want.to_string()), "{want} in {labels:?}");
    }
}

#[test]
fn offset_charts_with_negative_ticks_fit() {
    let c = CurveChart {
        title: "RoPE score against the offset".into(),
        x_label: "offset m − n (query position minus key position)".into(),
        y_label: "q·k after rotation".into(),
        y_range: (-1.0, 1.0),
        series: vec![
            series(
                "score",
                SCALED,
                false,
                (-32..=32)
                    .map(|i| (f64::from(i), (f64::from(i) / 5.0).cos()))
                    .collect(),
            ),
            series("your offset", UNSCALED, true, vec![(5.0, 0.5)]),
        ],
        x_max: 32.0,
    };
    for (dark, large, scale) in CASES {
        let th = ChartTheme::new(dark, large);
        let size = device(&th, (520.0, 320.0), scale);
        let name = format!("offset-{dark}-{large}-{scale}");
        let s = svg(&name, size, |a| {
            plots::draw_curves_from(a, &c, -32.0, &th, scale)
        });
        assert_labels_inside(&name, &s, size);
        assert_no_trailing_zeros(&name, &s);
        assert!(s.contains("\n−1\n") && s.contains("\n−0.5\n"), "{name}");
    }
}

#[test]
fn a_long_legend_wraps_instead_of_running_off_the_left() {
    let names = [
        "learned",
        "sinusoidal",
        "RoPE",
        "ALiBi",
        "no position at all",
    ];
    let c = CurveChart {
        title: "Accuracy at each position of length-64 sequences".into(),
        x_label: "position".into(),
        y_label: "accuracy".into(),
        y_range: (0.0, 1.0),
        series: names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let pts = (0..64)
                    .map(|p| (f64::from(p), 0.5 + 0.01 * i as f64))
                    .collect();
                series(n, SCALED, i % 2 == 1, pts)
            })
            .collect(),
        x_max: 63.0,
    };
    for (dark, large, scale) in CASES {
        let th = ChartTheme::new(dark, large);
        let size = device(&th, (380.0, 320.0), scale);
        let name = format!("legend-{dark}-{large}-{scale}");
        let s = svg(&name, size, |a| plots::draw_curves(a, &c, &th, scale));
        assert_labels_inside(&name, &s, size);
    }
}

#[test]
fn histograms_bars_and_sweeps_fit() {
    let hist = Histogram {
        title: "Raw dot products q·k at d_k = 512".into(),
        counts: (0..40_i32)
            .map(|i| 40 - (i - 20).unsigned_abs() as usize)
            .collect(),
        lo: -60.0,
        hi: 60.0,
        color: UNSCALED,
        x_label: "q·k".into(),
    };
    let keys: Vec<String> = (1..=8).map(|i| format!("key {i}")).collect();
    let weights = [0.02, 0.05, 0.6, 0.1, 0.03, 0.1, 0.05, 0.05];
    let pts = |f: fn(f64) -> f64| (0..=10).map(|i| (2f64.powi(i), f(2f64.powi(i)))).collect();
    let sweep = SweepChart {
        title: "Entropy of the attention row".into(),
        y_label: "bits".into(),
        y_range: (0.0, 4.0),
        series: vec![
            series("scaled", SCALED, false, pts(|_| 3.5)),
            series("unscaled", UNSCALED, true, pts(|d| 4.0 / d.sqrt())),
        ],
        current: 64.0,
        reference: Some(("uniform: 4 bits".into(), 4.0)),
    };
    for (dark, large, scale) in CASES {
        let th = ChartTheme::new(dark, large);
        let tag = format!("{dark}-{large}-{scale}");

        let size = device(&th, (460.0, 260.0), scale);
        let s = svg(&format!("hist-{tag}"), size, |a| {
            plots::draw_histogram(a, &hist, &th, scale)
        });
        assert_labels_inside(&format!("hist-{tag}"), &s, size);
        assert_no_trailing_zeros(&format!("hist-{tag}"), &s);
        assert!(
            texts(&s).iter().any(|t| t.content.starts_with('−')),
            "hist-{tag}: negative ticks"
        );

        let size = device(&th, (620.0, 240.0), scale);
        let s = svg(&format!("bars-{tag}"), size, |a| {
            plots::draw_weight_bars(a, &keys, &weights, SCALED, &th, scale)
        });
        assert_labels_inside(&format!("bars-{tag}"), &s, size);
        assert_no_trailing_zeros(&format!("bars-{tag}"), &s);
        assert!(s.contains("\n0.5\n") || s.contains("\n0.4\n"), "bars-{tag}");

        let size = device(&th, (560.0, 320.0), scale);
        let s = svg(&format!("sweep-{tag}"), size, |a| {
            plots::draw_sweep(a, &sweep, &th, scale)
        });
        assert_labels_inside(&format!("sweep-{tag}"), &s, size);
        assert_no_trailing_zeros(&format!("sweep-{tag}"), &s);
        assert!(s.contains("\n1k\n") && s.contains("\n10\n"), "sweep-{tag}");
    }
}

#[test]
fn charts_without_axes_keep_their_text_inside_too() {
    let th = ChartTheme::new(false, false);
    let data = HeatmapData {
        rows: 3,
        cols: 3,
        values: vec![0.5, 0.25, 0.25, 0.1, 0.8, 0.1, 0.0, 0.0, 1.0],
        row_labels: vec!["the".into(), "cat".into(), "sat".into()],
        col_labels: vec!["the".into(), "cat".into(), "sat".into()],
        scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
    };
    let layout = HeatmapLayout::new(&data, 160.0, th.font_px);
    let size = (layout.width as u32, layout.height as u32);
    let s = svg("heatmap", size, |a| {
        heatmap::draw_heatmap(a, &data, &layout, Highlight::default(), &th, 1.0)
    });
    assert_labels_inside("heatmap", &s, size);
    // The legend's ends are tick labels too.
    assert!(s.contains("\n0\n") && s.contains("\n1\n"), "legend ends");

    let words: Vec<String> = ["the", "cat", "sat"].map(String::from).to_vec();
    let d = LineDiagram {
        title: "Layer 1 · head 1".into(),
        left: words.clone(),
        right: words.clone(),
        weights: vec![vec![0.2, 0.7, 0.1]; 3],
        selected: Some(1),
        flagged: vec![false; 3],
        color: SCALED,
    };
    let (w, h) = lines::line_diagram_size(3, 260.0, th.font_px);
    let size = (w as u32, h as u32);
    let s = svg("lines", size, |a| lines::draw_line_diagram(a, &d, &th, 1.0));
    assert_labels_inside("lines", &s, size);

    let r = RowDiagram {
        title: "alignment".into(),
        top: words.clone(),
        bottom: words,
        weights: vec![vec![0.8, 0.1, 0.1]; 3],
        truth: vec![(0, 0)],
        color: SCALED,
    };
    let size = (600, lines::row_diagram_height(th.font_px) as u32);
    let s = svg("rows", size, |a| lines::draw_row_diagram(a, &r, &th, 1.0));
    assert_labels_inside("rows", &s, size);

    let m = MatrixImage {
        title: "PE, 40 positions × 8 dimensions".into(),
        rows: 40,
        cols: 8,
        values: (0..320).map(|i| (f64::from(i) * 0.1).sin()).collect(),
        scale: ColorScale::Diverging { abs_max: 1.0 },
        row_label: "position p".into(),
        col_label: "dimension j".into(),
    };
    let s = svg("matrix", (560, 560), |a| {
        position::draw_matrix_image(a, &m, &th, 1.0)
    });
    assert_labels_inside("matrix", &s, (560, 560));
    assert!(s.contains("\n−1\n") && s.contains("\n1\n"), "legend ends");

    let panels = vec![
        PairPanel {
            title: "pair 1 · ω = 1".into(),
            q: (1.0, 0.0),
            k: (0.0, 1.0),
            caption: "q·k = 0".into(),
        };
        4
    ];
    let (w, h) = position::rope_pairs_size(4, 600.0);
    let size = (w as u32, h as u32);
    let s = svg("rope", size, |a| {
        position::draw_rope_pairs(a, &panels, &th, 1.0)
    });
    assert_labels_inside("rope", &s, size);

    let mats = vec![
        SmallMatrix {
            title: "head 1 · m = 0.5".into(),
            n: 2,
            values: vec![0.0, f64::NEG_INFINITY, -0.5, 0.0],
        };
        4
    ];
    let (w, h) = position::matrix_grid_size(4, 480.0, th.font_px);
    let size = (w as u32, h as u32);
    let s = svg("alibi", size, |a| {
        position::draw_matrix_grid(
            a,
            &mats,
            ColorScale::Diverging { abs_max: 1.0 },
            "bias: 0 white, negative blue",
            &th,
            1.0,
        )
    });
    assert_labels_inside("alibi", &s, size);
}

fn contrast(a: colormap::Rgb, b: colormap::Rgb) -> f64 {
    let (la, lb) = (colormap::luminance(a), colormap::luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn hex(c: colormap::Rgb) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[test]
fn the_grid_is_light_and_under_the_data() {
    for dark in [false, true] {
        let th = ChartTheme::new(dark, false);
        let p = style::palette(&th);
        let s = svg(&format!("grid-{dark}"), (560, 300), |a| {
            plots::draw_curves(a, &training(1000.0), &th, 1.0)
        });
        let grid = format!("stroke=\"{}\"", hex(p.grid));
        let grid_lines = s.lines().filter(|l| l.contains(&grid)).count();
        assert!(grid_lines >= 6, "major grid lines are drawn ({grid_lines})");
        assert!(
            s.contains(&format!("stroke=\"{}\"", hex(p.axis))),
            "axis lines"
        );
        // Only major lines: no minor grid between the ticks.
        assert!(grid_lines <= 14, "{grid_lines} grid lines");
        // Every stroke is the grid, the axis, or a data series (or the
        // background); the data stand out far more than the grid.
        for c in [SCALED, UNSCALED] {
            let ink = th.ink(c);
            assert!(s.contains(&hex(ink)), "series colour {}", hex(ink));
            assert!(contrast(ink, p.background) > 1.6 * contrast(p.grid, p.background));
            let lum_step = |c| (colormap::luminance(c) - colormap::luminance(p.background)).abs();
            assert!(lum_step(ink) > 2.5 * lum_step(p.grid));
        }
        assert!(contrast(p.grid, p.background) < contrast(p.axis, p.background));
        assert!(!s.contains("opacity=\"0.1\""), "no translucent minor grid");
    }
}

#[test]
fn log_log_cost_charts_fit() {
    use super::cost::{draw_loglog, tests::sample};
    // Marks near the right edge flip their label to the left of the line.
    let mut c = sample();
    c.marks.push((900_000.0, "your n = 900,000".into()));
    for (dark, large, scale) in CASES {
        let th = ChartTheme::new(dark, large);
        for (w, h) in [(640.0, 380.0), (340.0, 300.0)] {
            let size = device(&th, (w, h), scale);
            let name = format!("loglog-{w}-{dark}-{large}-{scale}");
            let s = svg(&name, size, |a| draw_loglog(a, &c, &th, scale));
            assert_labels_inside(&name, &s, size);
            assert_no_trailing_zeros(&name, &s);
            assert!(s.contains("\n1M\n"), "{name}: x ticks up to 1M");
            assert!(!s.contains("\n0\n"), "{name}: no zero tick on a log axis");
        }
    }
}

#[test]
fn semi_log_reach_charts_fit() {
    use super::semilog::{draw_semilog, tests::sample};
    let c = sample();
    for (dark, large, scale) in CASES {
        let th = ChartTheme::new(dark, large);
        for (w, h) in [(640.0, 380.0), (340.0, 300.0)] {
            let size = device(&th, (w, h), scale);
            let name = format!("semilog-{w}-{dark}-{large}-{scale}");
            let s = svg(&name, size, |a| draw_semilog(a, &c, &th, scale));
            assert_labels_inside(&name, &s, size);
            assert_no_trailing_zeros(&name, &s);
            assert!(
                s.contains("RNN: × 0.81 per step"),
                "{name}: the rate is written"
            );
        }
    }
}
