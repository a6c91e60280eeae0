//! View-model of the alignment chapter: the cross-attention matrix chosen
//! (layer, head, soft or hard) for the learner's sentence, as a map and as
//! lines between two rows of words; the true alignment as a map; the
//! sentence's alignment error rate; and the charts of the model trained in
//! the page. The shared pieces (reading the sentence, translating) are in
//! [`crate::widgets::translation`].

use super::learn::Snapshot;
use super::state::{AlignState, Head};
use crate::charts::heatmap::{weights as weights_map, HeatmapData};
use crate::charts::lines::RowDiagram;
use crate::charts::plots::{CurveChart, Series, SCALED};
use crate::widgets::heatmap::empty_heatmap;
use crate::widgets::translation::{Input, Translation};
use attention_core::train::seq2seq::hard_alignment;
use attention_core::train::translate::{alignment_error_rate, Pair};
use attention_core::Mat;

/// End mark, the last row of every map.
pub const END: &str = "</s>";

/// Which cross-attention is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    /// 0-based decoder layer.
    pub layer: usize,
    pub head: Head,
    pub hard: bool,
}

impl Selection {
    pub fn of(s: &AlignState) -> Self {
        Selection {
            layer: s.layer,
            head: s.head,
            hard: s.hard,
        }
    }

    /// "soft" or "hard".
    pub fn kind(self) -> &'static str {
        if self.hard {
            "hard"
        } else {
            "soft"
        }
    }

    /// The chosen layer and head of `t` (soft).
    fn weights(self, t: &Translation) -> Option<&Mat> {
        let (mean, heads) = t.cross.get(self.layer)?;
        match self.head.index() {
            None => Some(mean),
            Some(h) => heads.get(h),
        }
    }
}

/// `m` with each row's largest entry set to 1 and the rest to 0.
pub fn harden(m: &Mat) -> Mat {
    let mut out = Mat::zeros(m.nrows(), m.ncols());
    for (t, s) in hard_alignment(m, m.nrows()) {
        if let Some(x) = out.get_mut((t, s)) {
            *x = 1.0;
        }
    }
    out
}

/// The rows of `m` as vectors.
fn rows(m: &Mat) -> Vec<Vec<f64>> {
    m.row_iter().map(|r| r.iter().copied().collect()).collect()
}

/// A map with target-word rows and source-word columns.
pub fn align_map(m: &Mat, row_labels: &[String], cols: &[String]) -> HeatmapData {
    let mut d = weights_map(m, cols);
    d.row_labels = row_labels.to_vec();
    d
}

/// `words` and the end mark.
fn with_end(words: &[String]) -> Vec<String> {
    let mut rows = words.to_vec();
    rows.push(END.into());
    rows
}

/// The matrix shown and its row labels (the produced words and the end
/// mark).
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub matrix: Mat,
    pub words: Vec<String>,
}

impl Shown {
    pub fn of(t: &Translation, sel: Selection) -> Option<Self> {
        let m = sel.weights(t)?;
        Some(Shown {
            matrix: if sel.hard { harden(m) } else { m.clone() },
            words: t.words.clone(),
        })
    }

    /// The map: produced words and the end mark x source words.
    pub fn map(&self, input: &Input) -> HeatmapData {
        align_map(&self.matrix, &with_end(&self.words), &input.words)
    }

    /// The lines from each produced word to the source words.
    pub fn diagram(&self, input: &Input, sel: Selection) -> RowDiagram {
        RowDiagram {
            title: format!(
                "Layer {}, {}: {} alignment",
                sel.layer + 1,
                sel.head
                    .index()
                    .map_or("heads averaged".to_string(), |h| format!("head {}", h + 1)),
                sel.kind()
            ),
            top: input.words.clone(),
            bottom: self.words.clone(),
            weights: rows(&self.matrix),
            truth: input
                .reference
                .as_ref()
                .map(|p| p.alignment.clone())
                .unwrap_or_default(),
            color: SCALED,
        }
    }
}

/// The grammar's alignment of the learner's sentence as a 0/1 map.
pub fn truth_map(input: &Input) -> HeatmapData {
    match &input.reference {
        Ok(p) => {
            let mut m = Mat::zeros(p.target.len(), p.source.len());
            for &(t, s) in &p.alignment {
                if let Some(x) = m.get_mut((t, s)) {
                    *x = 1.0;
                }
            }
            align_map(&m, &p.target, &p.source)
        }
        Err(_) => empty_heatmap(),
    }
}

/// The alignment error rate of the chosen layer and head on the learner's
/// sentence, as a line.
pub fn sentence_aer(t: &Translation, input: &Input, sel: Selection) -> String {
    let Ok(p) = &input.reference else {
        return "Your sentence does not follow the grammar, so there is no true alignment to compare with.".into();
    };
    let Some(m) = sel.weights(t) else {
        return String::new();
    };
    let n = t.words.len().min(p.target.len());
    let aer = alignment_error_rate(&hard_alignment(m, n), &p.alignment);
    format!(
        "Alignment error rate for your sentence (this layer and head, hard alignment of the first {n} words against the true links): {aer:.3}{}",
        if t.words == p.target {
            "."
        } else {
            ". The translation differs from the reference, so the rows may not line up."
        }
    )
}

/// A snapshot's attention on the watched sentence.
pub fn snapshot_map(s: &Snapshot, pair: &Pair) -> HeatmapData {
    align_map(&s.attention, &with_end(&pair.target), &pair.source)
}

/// The watched sentence's alignment error rate against the training step.
pub fn aer_chart(snapshots: &[Snapshot], steps: usize) -> CurveChart {
    CurveChart {
        title: "Alignment error rate of the watched sentence".into(),
        x_label: "training step".into(),
        y_label: "AER".into(),
        y_range: (0.0, 1.0),
        series: vec![Series::primary(
            "hard alignment vs truth",
            snapshots.iter().map(|x| (x.step as f64, x.aer)).collect(),
        )],
        x_max: steps as f64,
    }
}

/// The line under the scrubber.
pub fn snapshot_text(s: &Snapshot) -> String {
    format!(
        "Step {} · AER {:.3}{}",
        s.step,
        s.aer,
        if s.loss.is_finite() {
            format!(" · training loss {:.3}", s.loss)
        } else {
            " · untrained".into()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_translators;
    use crate::widgets::translation::{read_input, translate};
    use attention_core::train::translate::Vocab;

    #[test]
    fn harden_keeps_each_rows_largest_weight() {
        let m = Mat::from_row_slice(2, 3, &[0.2, 0.5, 0.3, 0.6, 0.1, 0.3]);
        let h = harden(&m);
        assert_eq!(
            h,
            Mat::from_row_slice(2, 3, &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0])
        );
        assert_eq!(rows(&h), vec![vec![0.0, 1.0, 0.0], vec![1.0, 0.0, 0.0]]);
    }

    #[test]
    fn the_shown_matrix_follows_layer_head_and_hardness() {
        let t = shipped_translators();
        let v = Vocab::default();
        let input = read_input("le chat noir mange la pomme", &v);
        let tr = translate(&t.attention, &v, &input).unwrap();
        let sel = Selection::of(&AlignState::default());
        let soft = Shown::of(&tr, sel).unwrap();
        let map = soft.map(&input);
        assert_eq!((map.rows, map.cols), (7, 6));
        assert_eq!(map.row_labels.last().map(String::as_str), Some(END));
        let d = soft.diagram(&input, sel);
        assert_eq!(d.title, "Layer 2, heads averaged: soft alignment");
        assert_eq!((d.top.len(), d.bottom.len(), d.weights.len()), (6, 6, 7));
        let hard = Selection {
            hard: true,
            head: Head::Second,
            layer: 0,
        };
        let h = Shown::of(&tr, hard).unwrap();
        assert!(h.matrix.iter().all(|x| *x == 0.0 || *x == 1.0));
        assert_eq!(
            h.diagram(&input, hard).title,
            "Layer 1, head 2: hard alignment"
        );
        assert!(Shown::of(&tr, Selection { layer: 5, ..sel }).is_none());
        assert!(
            sentence_aer(&tr, &input, sel).starts_with("Alignment error rate for your sentence")
        );
        let truth = truth_map(&input);
        assert_eq!((truth.rows, truth.cols), (6, 6));
        let off = read_input("le <b>chat</b> dort", &v);
        assert_eq!(truth_map(&off).rows, 0);
        let tr_off = translate(&t.attention, &v, &off).unwrap();
        assert!(sentence_aer(&tr_off, &off, sel).contains("does not follow the grammar"));
    }

    #[test]
    fn snapshot_lines_and_charts() {
        let pair = crate::chapters::alignment::learn::watched("le chat dort").0;
        let s = Snapshot {
            step: 0,
            attention: Mat::from_element(pair.target.len() + 1, pair.source.len(), 0.25),
            aer: 0.5,
            loss: f64::NAN,
        };
        assert_eq!(snapshot_text(&s), "Step 0 · AER 0.500 · untrained");
        let trained = Snapshot {
            loss: 1.25,
            step: 10,
            ..s.clone()
        };
        assert_eq!(
            snapshot_text(&trained),
            "Step 10 · AER 0.500 · training loss 1.250"
        );
        let map = snapshot_map(&s, &pair);
        assert_eq!(
            (map.rows, map.cols),
            (pair.target.len() + 1, pair.source.len())
        );
        let c = aer_chart(&[s, trained], 400);
        assert_eq!((c.x_max, c.series[0].points.len()), (400.0, 2));
    }
}
