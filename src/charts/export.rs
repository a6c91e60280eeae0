//! What a chart's export menu writes, as plain text: file names, the SVG's
//! `<title>` and `<desc>`, and the CSV of the numbers a chart shows
//! ([`ChartNumbers`]: the chart types built from [`Series`], histograms,
//! heatmaps, matrix images and line diagrams).
//!
//! The drawing itself is not here: the same chart functions paint the SVG
//! (through plotters' SVG backend, see [`crate::canvas::render_svg`]).

use super::cost::LogLogChart;
use super::heatmap::HeatmapData;
use super::lines::{LineDiagram, RowDiagram};
use super::plots::{CurveChart, Histogram, Series, SweepChart};
use super::position::{MatrixImage, PairPanel, SmallMatrix};
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

/// A matrix with a label per row and per column: `values[r][c]`.
pub fn labelled_matrix(rows: &[String], cols: &[String], values: &[Vec<f64>]) -> Numbers {
    let mut header = vec![String::new()];
    header.extend(cols.iter().cloned());
    let rows = values
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut row = vec![rows.get(i).cloned().unwrap_or_default()];
            row.extend(w.iter().map(|&v| number(v)));
            row
        })
        .collect();
    Numbers { header, rows }
}

/// One value per label (a bar chart): `label_head` and `value_head` head
/// the two columns.
pub fn labelled_values(
    label_head: &str,
    value_head: &str,
    labels: &[String],
    values: &[f64],
) -> Numbers {
    Numbers {
        header: vec![label_head.into(), value_head.into()],
        rows: labels
            .iter()
            .zip(values)
            .map(|(l, &v)| vec![l.clone(), number(v)])
            .collect(),
    }
}

impl ChartNumbers for LineDiagram {
    /// How much each word on the left attends to each word on the right.
    fn numbers(&self) -> Numbers {
        labelled_matrix(&self.left, &self.right, &self.weights)
    }
}

impl ChartNumbers for RowDiagram {
    /// How much each word below attends to each word above.
    fn numbers(&self) -> Numbers {
        labelled_matrix(&self.bottom, &self.top, &self.weights)
    }
}

/// Small multiples of square matrices, one row per entry: the matrix's
/// title, its row, its column and the value (masked entries are `-inf`).
pub fn small_matrices_numbers(mats: &[SmallMatrix]) -> Numbers {
    let rows = mats
        .iter()
        .flat_map(|m| {
            m.values.iter().enumerate().map(move |(i, &v)| {
                vec![
                    m.title.clone(),
                    (i / m.n.max(1)).to_string(),
                    (i % m.n.max(1)).to_string(),
                    number(v),
                ]
            })
        })
        .collect();
    Numbers {
        header: vec![
            "matrix".into(),
            "row".into(),
            "column".into(),
            "value".into(),
        ],
        rows,
    }
}

/// Arrow pairs (RoPE's rotated query and key pairs), one row per panel.
pub fn pair_panels_numbers(panels: &[PairPanel]) -> Numbers {
    Numbers {
        header: ["pair", "q x", "q y", "k x", "k y"]
            .map(String::from)
            .to_vec(),
        rows: panels
            .iter()
            .map(|p| {
                vec![
                    p.title.clone(),
                    number(p.q.0),
                    number(p.q.1),
                    number(p.k.0),
                    number(p.k.1),
                ]
            })
            .collect(),
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
    for c in text.chars().map(|c| c.to_ascii_lowercase()) {
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

/// CRC-32 (ISO 3309, as PNG chunks use) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// `png` with UTF-8 text chunks (`iTXt`, e.g. `Title` and `Description`)
/// after its header, so the file itself says what it shows and where from.
pub fn png_with_text(png: &[u8], texts: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    let bad = || "This is not a PNG image.".to_string();
    if png.get(..8) != Some(&PNG_SIGNATURE[..]) || png.get(12..16) != Some(&b"IHDR"[..]) {
        return Err(bad());
    }
    let ihdr_len = png
        .get(8..12)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(bad)? as usize;
    // Signature, then length, type, data and CRC of the header.
    let after_header = 8 + 4 + 4 + ihdr_len + 4;
    let (head, rest) = (
        png.get(..after_header).ok_or_else(bad)?,
        png.get(after_header..).ok_or_else(bad)?,
    );
    let mut out = head.to_vec();
    for (keyword, text) in texts {
        // Keyword, null, no compression (flag, method), empty language tag
        // and translated keyword, then the text.
        let mut body = b"iTXt".to_vec();
        body.extend(keyword.bytes().filter(|b| (32..=126).contains(b)).take(79));
        body.extend([0, 0, 0, 0, 0]);
        body.extend(text.as_bytes());
        let len = u32::try_from(body.len() - 4).map_err(|_| bad())?;
        out.extend(len.to_be_bytes());
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    out.extend(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::heatmap::ColorScale;

    #[test]
    fn a_png_carries_its_title_and_link_in_text_chunks() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the standard check value");
        // A minimal PNG: signature, a 1x1 header, an end chunk.
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut body = kind.to_vec();
            body.extend(data);
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend(&body);
            c.extend(crc32(&body).to_be_bytes());
            c
        };
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
        png.extend(chunk(b"IEND", &[]));
        let link = "http://x.org/qkv?text=le%20chat";
        let out = png_with_text(&png, &[("Title", "Weights √"), ("Description", link)])
            .unwrap_or_default();
        // Walk the chunks: every CRC holds, the texts follow the header.
        let mut at = 8;
        let mut kinds = Vec::new();
        while at < out.len() {
            let len = u32::from_be_bytes([out[at], out[at + 1], out[at + 2], out[at + 3]]) as usize;
            let body = &out[at + 4..at + 8 + len];
            let crc = u32::from_be_bytes([
                out[at + 8 + len],
                out[at + 9 + len],
                out[at + 10 + len],
                out[at + 11 + len],
            ]);
            assert_eq!(crc, crc32(body));
            kinds.push(String::from_utf8_lossy(&body[..4]).to_string());
            at += 12 + len;
        }
        assert_eq!(kinds, ["IHDR", "iTXt", "iTXt", "IEND"]);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("Title\0\0\0\0\0Weights √"), "{text}");
        assert!(text.contains(link));
        assert!(png_with_text(b"GIF89a", &[]).is_err());
        assert!(png_with_text(&png[..20], &[]).is_err());
    }

    #[test]
    fn bars_diagrams_grids_and_pairs_give_their_numbers() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let bars = labelled_values("key", "weight", &l(&["k1", "k2"]), &[0.25, 0.75]);
        assert_eq!(bars.header, l(&["key", "weight"]));
        assert_eq!(bars.rows, vec![l(&["k1", "0.25"]), l(&["k2", "0.75"])]);
        let row = RowDiagram {
            title: "t".into(),
            top: l(&["le", "chat"]),
            bottom: l(&["the", "cat"]),
            weights: vec![vec![0.9, 0.1], vec![0.2, 0.8]],
            truth: vec![],
            color: (0, 0, 0),
        };
        let n = row.numbers();
        assert_eq!(n.header, l(&["", "le", "chat"]));
        assert_eq!(n.rows[1], l(&["cat", "0.2", "0.8"]));
        let grid = small_matrices_numbers(&[SmallMatrix {
            title: "head 1".into(),
            n: 2,
            values: vec![0.0, f64::NEG_INFINITY, -0.5, 0.0],
        }]);
        assert_eq!(grid.rows.len(), 4);
        assert_eq!(grid.rows[1], l(&["head 1", "0", "1", "-inf"]));
        assert_eq!(grid.rows[2], l(&["head 1", "1", "0", "-0.5"]));
        let pairs = pair_panels_numbers(&[PairPanel {
            title: "pair 1".into(),
            q: (1.0, -2.0),
            k: (0.5, 3.0),
            caption: String::new(),
        }]);
        assert_eq!(pairs.rows, vec![l(&["pair 1", "1", "-2", "0.5", "3"])]);
    }

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
