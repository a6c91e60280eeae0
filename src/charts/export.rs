//! What a chart's export menu writes, as plain text: file names, the SVG's
//! `<title>` and `<desc>`, and the CSV of the numbers a chart shows
//! ([`ChartNumbers`]: the chart types built from [`Series`], histograms,
//! heatmaps, matrix images and line diagrams).
//!
//! The drawing itself is not here: the same chart functions paint the SVG
//! (through plotters' SVG backend, see [`crate::canvas::render_svg`]).

use super::cost::LogLogChart;
use super::heatmap::HeatmapData;
use super::lines::LineDiagram;
use super::plots::{CurveChart, Histogram, Series, SweepChart};
use super::position::MatrixImage;
use super::semilog::SemiLogChart;

/// Numbers in rows under column headings, ready for [`csv`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Numbers {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The numbers a chart shows, one row per point.
pub trait ChartNumbers {
    fn numbers(&self) -> Numbers;
}

/// A number as CSV writes it: the shortest text that reads back to the
/// same `f64`; infinities as `inf` / `-inf`.
pub fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v}")
    }
}

/// Every point of `series`: its name, x and y (`x_label`, `y_label` head the
/// columns).
pub fn series_numbers(series: &[Series], x_label: &str, y_label: &str) -> Numbers {
    Numbers {
        header: vec!["series".into(), x_label.into(), y_label.into()],
        rows: series
            .iter()
            .flat_map(|s| {
                s.points
                    .iter()
                    .map(|&(x, y)| vec![s.name.clone(), number(x), number(y)])
            })
            .collect(),
    }
}

impl ChartNumbers for CurveChart {
    fn numbers(&self) -> Numbers {
        series_numbers(&self.series, &self.x_label, &self.y_label)
    }
}

impl ChartNumbers for SweepChart {
    fn numbers(&self) -> Numbers {
        series_numbers(&self.series, "d_k", &self.y_label)
    }
}

impl ChartNumbers for LogLogChart {
    fn numbers(&self) -> Numbers {
        series_numbers(&self.series, &self.x_label, &self.y_label)
    }
}

impl ChartNumbers for SemiLogChart {
    fn numbers(&self) -> Numbers {
        series_numbers(&self.series, &self.x_label, &self.y_label)
    }
}

impl ChartNumbers for Histogram {
    /// One row per bin: its two ends and its count.
    fn numbers(&self) -> Numbers {
        let n = self.counts.len().max(1) as f64;
        let edge = |i: usize| self.lo + (self.hi - self.lo) * i as f64 / n;
        Numbers {
            header: vec!["bin from".into(), "bin to".into(), "count".into()],
            rows: self
                .counts
                .iter()
                .enumerate()
                .map(|(i, c)| vec![number(edge(i)), number(edge(i + 1)), c.to_string()])
                .collect(),
        }
    }
}

impl ChartNumbers for HeatmapData {
    /// A row per matrix row, headed by its label; a column per matrix column.
    fn numbers(&self) -> Numbers {
        let mut header = vec![String::new()];
        header.extend(self.col_labels.iter().cloned());
        let rows = (0..self.rows)
            .map(|r| {
                let mut row = vec![self.row_labels.get(r).cloned().unwrap_or_default()];
                row.extend((0..self.cols).map(|c| number(self.get(r, c).unwrap_or(f64::NAN))));
                row
            })
            .collect();
        Numbers { header, rows }
    }
}

impl ChartNumbers for MatrixImage {
    /// A row per matrix row, numbered from 0 as on its axes.
    fn numbers(&self) -> Numbers {
        let mut header = vec![format!("{} \\ {}", self.row_label, self.col_label)];
        header.extend((0..self.cols).map(|c| c.to_string()));
        let rows = (0..self.rows)
            .map(|r| {
                let mut row = vec![r.to_string()];
                row.extend((0..self.cols).map(|c| {
                    number(
                        self.values
                            .get(r * self.cols + c)
                            .copied()
                            .unwrap_or(f64::NAN),
                    )
                }));
                row
            })
            .collect();
        Numbers { header, rows }
    }
}

impl ChartNumbers for LineDiagram {
    /// How much each word on the left attends to each word on the right.
    fn numbers(&self) -> Numbers {
        let mut header = vec![String::new()];
        header.extend(self.right.iter().cloned());
        let rows = self
            .weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut row = vec![self.left.get(i).cloned().unwrap_or_default()];
                row.extend(w.iter().map(|&v| number(v)));
                row
            })
            .collect();
        Numbers { header, rows }
    }
}

/// One CSV field: quoted when it holds a comma, quote, line break or
/// leading `#` (which would read as a comment), quotes doubled.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with('#') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `numbers` as CSV: a first comment line `# {about}` (what it shows and
/// the link to the view), the header, then the rows.
pub fn csv(about: &str, numbers: &Numbers) -> String {
    let line = |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    let mut out = format!("# {}\n", about.replace(['\n', '\r'], " "));
    out.push_str(&line(&numbers.header));
    out.push('\n');
    for row in &numbers.rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

/// `s` with the five XML special characters escaped.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `svg` (a document from plotters' SVG backend) with a `<title>` and a
/// `<desc>` as the first children of its root element.
pub fn titled_svg(svg: &str, title: &str, desc: &str) -> String {
    let meta = format!(
        "\n<title>{}</title>\n<desc>{}</desc>",
        xml_escape(title),
        xml_escape(desc)
    );
    let root_end = svg
        .find("<svg")
        .and_then(|start| svg.get(start..)?.find('>').map(|end| start + end + 1));
    match root_end {
        Some(at) => {
            let (head, tail) = svg.split_at(at);
            format!("{head}{meta}{tail}")
        }
        None => svg.to_string(),
    }
}

/// Lower-case ASCII letters and digits of `text`, every other run of
/// characters one `-`, at most 60 characters: safe in any file name.
pub fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_matches('-')
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// A file name from the chapter and the figure's name: `qkv-weights.svg`
/// (parts that slug to nothing are left out; `chart` if all do).
pub fn file_name(chapter: &str, figure: &str, extension: &str) -> String {
    let parts: Vec<String> = [chapter, figure]
        .iter()
        .map(|p| slug(p))
        .filter(|p| !p.is_empty())
        .collect();
    let stem = if parts.is_empty() {
        "chart".to_string()
    } else {
        parts.join("-")
    };
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::heatmap::ColorScale;

    fn matrix() -> HeatmapData {
        HeatmapData {
            rows: 2,
            cols: 3,
            values: vec![0.25, f64::NEG_INFINITY, 1.5, -2.0, 0.125, 1e-7],
            row_labels: vec!["the".into(), "a,b".into()],
            col_labels: vec!["x".into(), "\"y\"".into(), "#z".into()],
            scale: ColorScale::Diverging { abs_max: 2.0 },
        }
    }

    #[test]
    fn a_matrix_becomes_csv_rows_with_its_numbers() {
        let out = csv("Scores of /qkv — http://h/qkv?dk=4", &matrix().numbers());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "# Scores of /qkv — http://h/qkv?dk=4",
                ",x,\"\"\"y\"\"\",\"#z\"",
                "the,0.25,-inf,1.5",
                "\"a,b\",-2,0.125,0.0000001",
            ]
        );
        // Every number reads back to the matrix's own value.
        let d = matrix();
        for (r, line) in lines.iter().skip(2).enumerate() {
            let cells: Vec<&str> = line.rsplitn(4, ',').collect();
            for (c, cell) in cells.iter().rev().skip(1).enumerate() {
                let v: f64 = cell.parse().expect("a number");
                assert_eq!(Some(v), d.get(r, c), "row {r} column {c}");
            }
        }
    }

    #[test]
    fn series_list_every_point() {
        let c = CurveChart {
            title: "Loss".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            y_range: (0.0, 1.0),
            series: vec![
                Series::primary("scaled", vec![(1.0, 0.5), (2.0, 0.25)]),
                Series::secondary("unscaled", vec![(1.0, 0.75)]),
            ],
            x_max: 2.0,
        };
        assert_eq!(
            csv("l", &c.numbers()),
            "# l\nseries,step,loss\nscaled,1,0.5\nscaled,2,0.25\nunscaled,1,0.75\n"
        );
    }

    #[test]
    fn histogram_rows_are_bins() {
        let h = Histogram {
            title: String::new(),
            counts: vec![3, 0, 7, 1],
            lo: -2.0,
            hi: 2.0,
            color: (0, 0, 0),
            x_label: "q·k".into(),
        };
        let n = h.numbers();
        assert_eq!(n.rows.len(), 4);
        assert_eq!(n.rows[2], ["0", "1", "7"]);
        let h = Histogram {
            counts: vec![0; 40],
            lo: -32.0,
            hi: 32.0,
            ..h
        };
        // Edges computed from the ends, not by adding widths up.
        assert_eq!(h.numbers().rows[2][..2], ["-28.8", "-27.2"]);
    }

    #[test]
    fn images_and_line_diagrams_list_their_matrices() {
        let m = MatrixImage {
            title: "PE".into(),
            rows: 2,
            cols: 2,
            values: vec![0.5, -1.0, 0.0, 2.0],
            scale: ColorScale::Diverging { abs_max: 2.0 },
            row_label: "position".into(),
            col_label: "dimension".into(),
        };
        assert_eq!(
            csv("pe", &m.numbers()),
            "# pe\nposition \\ dimension,0,1\n0,0.5,-1\n1,0,2\n"
        );
        let d = LineDiagram {
            title: "Layer 1".into(),
            left: vec!["it".into(), "was".into()],
            right: vec!["the".into(), "cat".into()],
            weights: vec![vec![0.25, 0.75], vec![1.0, 0.0]],
            selected: None,
            flagged: vec![false, false],
            color: (0, 0, 0),
        };
        assert_eq!(
            csv("l", &d.numbers()),
            "# l\n,the,cat\nit,0.25,0.75\nwas,1,0\n"
        );
    }

    #[test]
    fn the_svg_gets_a_title_and_a_description_first() {
        let svg = "<?xml?>\n<svg width=\"2\" height=\"2\" xmlns=\"x\">\n<rect/></svg>";
        let out = titled_svg(svg, "A <b> & c", "http://h/qkv?a=1&b=2");
        assert_eq!(
            out,
            "<?xml?>\n<svg width=\"2\" height=\"2\" xmlns=\"x\">\n<title>A &lt;b&gt; &amp; c</title>\n<desc>http://h/qkv?a=1&amp;b=2</desc>\n<rect/></svg>"
        );
        assert_eq!(titled_svg("no root", "t", "d"), "no root");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("qkv", "weights", "svg"), "qkv-weights.svg");
        assert_eq!(
            file_name("/scaling", "Entropy against d_k!", "png"),
            "scaling-entropy-against-d-k.png"
        );
        assert_eq!(file_name("", "../../etc/passwd", "csv"), "etc-passwd.csv");
        assert_eq!(file_name("√", "√", "csv"), "chart.csv");
        assert_eq!(slug(&"ab ".repeat(40)).len(), 59);
    }
}
