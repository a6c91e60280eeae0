//! Attention as lines between two columns of words (as in BertViz's head
//! view): the attending words on the left, the attended words on the right,
//! one line per pair whose thickness and opacity grow with the weight.
//! Generic over the plotters backend; sizes are CSS pixels times `scale`.

use super::colormap::Rgb;
use super::heatmap::short_label;
use super::{begin, rgb, style, ChartResult, ChartTheme};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Lines thinner than this weight are not drawn (they would be invisible).
pub const MIN_DRAWN: f64 = 0.005;
/// Weights from this size up are written next to the word they reach.
pub const MIN_LABELLED: f64 = 0.05;

/// What one diagram shows.
#[derive(Clone, Debug, PartialEq)]
pub struct LineDiagram {
    pub title: String,
    /// Words on the left (the rows of `weights`: who attends).
    pub left: Vec<String>,
    /// Words on the right (the columns: who is attended to).
    pub right: Vec<String>,
    /// `weights[i][j]`: how much left word i attends to right word j.
    pub weights: Vec<Vec<f64>>,
    /// Draw only this row's lines (the selected word); `None` draws all.
    pub selected: Option<usize>,
    /// Right-hand words to mark (e.g. outside the model's vocabulary).
    pub flagged: Vec<bool>,
    pub color: Rgb,
}

/// CSS size of a diagram with `rows` words in the taller column.
pub fn line_diagram_size(rows: usize, width: f64, font_px: f64) -> (f64, f64) {
    let row_h = font_px * 1.7;
    (
        width,
        font_px * 2.6 + rows.max(1) as f64 * row_h + font_px * 0.6,
    )
}

/// One attention weight as a line from `from` to `to`, darker and thicker
/// the larger it is: opacity `alpha` at weight 0 rising to 1 at weight 1,
/// width 1 + `gain` · weight (times the device-pixel scale). Weights below
/// [`MIN_DRAWN`], or not finite, are not drawn.
fn weight_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ink: RGBColor,
    wt: f64,
    (alpha, gain): (f64, f64),
    scale: f64,
    from: (i32, i32),
    to: (i32, i32),
) -> ChartResult {
    if !wt.is_finite() || wt < MIN_DRAWN {
        return Ok(());
    }
    let wt = wt.min(1.0);
    let style = ShapeStyle {
        color: ink.mix(alpha + (1.0 - alpha) * wt),
        filled: false,
        stroke_width: ((1.0 + gain * wt) * scale).round().max(1.0) as u32,
    };
    area.draw(&PathElement::new(vec![from, to], style))?;
    Ok(())
}

/// Draws `d` filling `area`.
pub fn draw_line_diagram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &LineDiagram,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, text) = begin(area, theme, scale)?;
    let (w, _) = area.dim_in_pixel();
    let w = f64::from(w);
    let row_h = font * 1.7;
    let top = font * 2.6;
    area.draw_text(
        &d.title,
        &style::font(font)
            .style(FontStyle::Bold)
            .color(&text)
            .pos(Pos::new(HPos::Center, VPos::Top)),
        ((w / 2.0) as i32, (font * 0.4) as i32),
    )?;
    // Columns: labels take ~38% each side, lines run in between.
    let left_x = w * 0.36;
    let right_x = w * 0.64;
    let y = |i: usize| top + (i as f64 + 0.5) * row_h;
    let ink = rgb(theme.ink(d.color));
    for (i, row) in d.weights.iter().enumerate() {
        if d.selected.is_some_and(|s| s != i) {
            continue;
        }
        for (j, &wt) in row.iter().enumerate() {
            let from = ((left_x + 4.0 * scale) as i32, y(i) as i32);
            let to = ((right_x - 4.0 * scale) as i32, y(j) as i32);
            weight_line(area, ink, wt, (0.2, 9.0), scale, from, to)?;
        }
    }
    let selected_row = d.selected.and_then(|s| d.weights.get(s));
    for (i, word) in d.left.iter().enumerate() {
        let chosen = d.selected == Some(i);
        let font_style = if chosen {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        let color = if chosen {
            rgb(theme.accent).mix(1.0)
        } else {
            text.mix(if d.selected.is_some() { 0.6 } else { 1.0 })
        };
        area.draw_text(
            &short_label(word),
            &style::font(font)
                .style(font_style)
                .color(&color)
                .pos(Pos::new(HPos::Right, VPos::Center)),
            ((left_x - 2.0 * scale) as i32, y(i) as i32),
        )?;
    }
    for (j, word) in d.right.iter().enumerate() {
        let flagged = d.flagged.get(j).copied().unwrap_or(false);
        let label = if flagged {
            format!("{}?", short_label(word))
        } else {
            short_label(word)
        };
        let weight = selected_row.and_then(|r| r.get(j)).copied();
        let strong = weight.is_some_and(|v| v >= MIN_LABELLED);
        let word_style = style::font(font)
            .style(if strong {
                FontStyle::Bold
            } else {
                FontStyle::Normal
            })
            .color(&text)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(
            &label,
            &word_style,
            ((right_x + 2.0 * scale) as i32, y(j) as i32),
        )?;
        if let Some(v) = weight.filter(|v| *v >= MIN_LABELLED) {
            area.draw_text(
                &format!("{v:.2}"),
                &style::font(font * 0.8)
                    .color(&text.mix(0.75))
                    .pos(Pos::new(HPos::Right, VPos::Center)),
                ((w - 3.0 * scale) as i32, y(j) as i32),
            )?;
        }
    }
    Ok(())
}

/// Alignment as lines between two rows of words: the source on top, the
/// target below, one line per (target, source) pair whose thickness and
/// opacity grow with `weights[t][s]`; `truth` links, if given, are drawn as
/// thin dashed-looking grey guides under them.
#[derive(Clone, Debug, PartialEq)]
pub struct RowDiagram {
    pub title: String,
    pub top: Vec<String>,
    pub bottom: Vec<String>,
    /// `weights[t][s]`: bottom word t to top word s.
    pub weights: Vec<Vec<f64>>,
    pub truth: Vec<(usize, usize)>,
    pub color: Rgb,
}

/// CSS height of a [`RowDiagram`].
pub fn row_diagram_height(font_px: f64) -> f64 {
    font_px * 12.0
}

/// Draws `d` filling `area`; words are spaced evenly along each row, with
/// labels rotated when the row is crowded.
pub fn draw_row_diagram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RowDiagram,
    theme: &ChartTheme,
    scale: f64,
) -> ChartResult {
    let (font, text) = begin(area, theme, scale)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    area.draw_text(
        &d.title,
        &style::font(font)
            .style(FontStyle::Bold)
            .color(&text)
            .pos(Pos::new(HPos::Left, VPos::Top)),
        ((font * 0.3) as i32, (font * 0.3) as i32),
    )?;
    let x = |i: usize, n: usize| font + (i as f64 + 0.5) * (w - 2.0 * font) / n.max(1) as f64;
    let (top_y, bottom_y) = (h * 0.36, h * 0.72);
    let grey = rgb(theme.text).mix(0.3);
    for &(t, s) in &d.truth {
        if t < d.bottom.len() && s < d.top.len() {
            area.draw(&PathElement::new(
                vec![
                    (x(s, d.top.len()) as i32, top_y as i32),
                    (x(t, d.bottom.len()) as i32, bottom_y as i32),
                ],
                grey.stroke_width(1),
            ))?;
        }
    }
    let ink = rgb(theme.ink(d.color));
    for (t, row) in d.weights.iter().enumerate().take(d.bottom.len()) {
        for (s, &wt) in row.iter().enumerate().take(d.top.len()) {
            let from = (x(s, d.top.len()) as i32, (top_y + font * 0.3) as i32);
            let to = (x(t, d.bottom.len()) as i32, (bottom_y - font * 0.3) as i32);
            weight_line(area, ink, wt, (0.15, 6.0), scale, from, to)?;
        }
    }
    let crowded = |n: usize| (w - 2.0 * font) / (n.max(1) as f64) < font * 4.5;
    for (words, y, above) in [(&d.top, top_y, true), (&d.bottom, bottom_y, false)] {
        let rotate = crowded(words.len());
        for (i, word) in words.iter().enumerate() {
            let pos = match (rotate, above) {
                (false, true) => Pos::new(HPos::Center, VPos::Bottom),
                (false, false) => Pos::new(HPos::Center, VPos::Top),
                (true, true) => Pos::new(HPos::Left, VPos::Center),
                (true, false) => Pos::new(HPos::Right, VPos::Center),
            };
            let mut word_style = style::font(font).color(&text).pos(pos);
            if rotate {
                word_style = word_style.transform(FontTransform::Rotate270);
            }
            let dy = if above { -font * 0.4 } else { font * 0.4 };
            area.draw_text(
                &short_label(word),
                &word_style,
                (x(i, words.len()) as i32, (y + dy) as i32),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::backend::SVGBackend;

    fn svg(d: &LineDiagram) -> String {
        let mut out = String::new();
        {
            let b = SVGBackend::with_string(&mut out, (260, 260)).into_drawing_area();
            draw_line_diagram(&b, d, &ChartTheme::new(false, false), 1.0).expect("draws");
        }
        out.replace('\n', "")
    }

    fn diagram(selected: Option<usize>) -> LineDiagram {
        let words: Vec<String> = ["the", "<b>cat</b>", "it"].map(String::from).to_vec();
        LineDiagram {
            title: "Layer 2 · head 1".into(),
            left: words.clone(),
            right: words,
            weights: vec![
                vec![1.0, 0.0, 0.0],
                vec![0.5, 0.5, 0.0],
                vec![0.1, 0.898, 0.002],
            ],
            selected,
            flagged: vec![false, true, false],
            color: (0, 0x72, 0xb2),
        }
    }

    #[test]
    fn one_line_per_visible_weight_of_the_selected_row() {
        let s = svg(&diagram(Some(2)));
        // Row 2 has two weights above MIN_DRAWN; 0.002 is not drawn.
        assert_eq!(s.matches("<polyline").count(), 2, "{s}");
        // The heavier line is thicker.
        assert!(s.contains("stroke-width=\"9\""), "{s}");
        assert!(s.contains("stroke-width=\"2\""), "{s}");
        // Weights are written; HTML in a word is escaped text; flags show.
        assert!(s.contains(">0.90<") && s.contains(">0.10<"), "{s}");
        assert!(s.contains("&lt;b&gt;cat&lt;/b&gt;?") || s.contains("&lt;b&gt;cat&lt;/…?"));
        assert!(!s.contains("<b>"));
    }

    #[test]
    fn without_a_selection_every_row_is_drawn() {
        let s = svg(&diagram(None));
        assert_eq!(s.matches("<polyline").count(), 5, "{s}");
    }

    #[test]
    fn size_grows_with_rows() {
        let (_, h3) = line_diagram_size(3, 240.0, 13.0);
        let (_, h12) = line_diagram_size(12, 240.0, 13.0);
        assert!(h12 > h3 * 2.0);
    }

    #[test]
    fn row_diagram_draws_lines_for_weights_and_guides_for_truth() {
        let d = RowDiagram {
            title: "alignment".into(),
            top: vec!["le".into(), "chat".into(), "noir".into()],
            bottom: vec!["the".into(), "black".into(), "cat".into()],
            weights: vec![
                vec![0.9, 0.05, 0.05],
                vec![0.0, 0.1, 0.9],
                vec![0.0, 0.8, 0.2],
            ],
            truth: vec![(0, 0), (1, 2), (2, 1)],
            color: (0, 0x72, 0xb2),
        };
        let th = ChartTheme::new(false, false);
        let mut out = String::new();
        {
            let area = plotters::backend::SVGBackend::with_string(&mut out, (600, 160))
                .into_drawing_area();
            draw_row_diagram(&area, &d, &th, 1.0).unwrap();
            area.present().unwrap();
        }
        assert!(out.contains("noir") && out.contains("black") && out.contains("alignment"));
        // 3 guides + 8 weight lines (every weight >= MIN_DRAWN).
        assert_eq!(
            out.matches("<polyline").count() + out.matches("<line").count(),
            3 + 7
        );
    }
}
