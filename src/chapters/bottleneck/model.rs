//! View-model of the bottleneck chapter: the learner's sentence translated
//! by both shipped translators (attention, and the bottleneck of the chosen
//! width), the bottleneck's context vector as a one-row map, and the small
//! duel's accuracy chart. The shared pieces (reading the sentence,
//! translating, held-out tallies) are in [`crate::widgets::translation`].

use super::retrain::{Progress, MAX_LEN};
use crate::charts::heatmap::{signed, HeatmapData};
use crate::charts::plots::CurveChart;
use crate::models::TranslatorsRef;
use crate::widgets::heatmap::empty_heatmap;
use crate::widgets::translation::model::{length_chart, COLORS};
use crate::widgets::translation::{translate, Input, Translation};
use attention_core::train::translate::Vocab;
use attention_core::Mat;

/// Both translations of the learner's sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Both {
    pub attention: Result<Translation, String>,
    /// Through the bottleneck of the chosen width.
    pub bottleneck: Result<Translation, String>,
}

/// One of the two translators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Attention,
    Bottleneck,
}

impl Side {
    /// The `data-testid` of its translation.
    pub fn test_id(self) -> &'static str {
        match self {
            Side::Attention => "out-attention",
            Side::Bottleneck => "out-bottleneck",
        }
    }
}

impl Both {
    /// The translation of one side.
    pub fn side(&self, side: Side) -> &Result<Translation, String> {
        match side {
            Side::Attention => &self.attention,
            Side::Bottleneck => &self.bottleneck,
        }
    }
}

/// Translates `input` with the attention model and the bottleneck of
/// width `context`.
pub fn translate_both(
    models: &TranslatorsRef,
    context: usize,
    vocab: &Vocab,
    input: &Input,
) -> Both {
    Both {
        attention: translate(&models.0.attention, vocab, input),
        bottleneck: models
            .bottleneck(context)
            .ok_or_else(|| "no bottleneck model".to_string())
            .and_then(|b| translate(b, vocab, input)),
    }
}

/// The bottleneck's context vector as a `1 x width` map (empty while
/// there is none).
pub fn context_map(both: Option<&Both>) -> HeatmapData {
    both.and_then(|b| b.bottleneck.as_ref().ok())
        .and_then(|t| t.context.as_ref())
        .map_or_else(empty_heatmap, |c| {
            let m = Mat::from_row_slice(1, c.len(), c);
            signed(
                &m,
                vec!["context".into()],
                (1..=c.len()).map(|i| i.to_string()).collect(),
            )
        })
}

/// Held-out accuracy of the duel's two small models by length.
pub fn duel_length_chart(p: &Progress, context: usize) -> CurveChart {
    let mut by_length = length_chart(
        &p.tallies,
        &[
            "attention".to_string(),
            format!("bottleneck, {context} numbers"),
        ],
        &COLORS,
        false,
    );
    by_length.x_max = MAX_LEN as f64 + 2.0;
    by_length
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_translators;
    use crate::widgets::translation::read_input;
    use std::sync::Arc;

    #[test]
    fn both_translators_run_and_the_context_vector_has_the_chosen_width() {
        let t = TranslatorsRef(Arc::new(shipped_translators()));
        let v = Vocab::default();
        let input = read_input("le chat dort", &v);
        for c in crate::models::CONTEXTS {
            let both = translate_both(&t, c, &v, &input);
            assert!(both.side(Side::Attention).is_ok() && both.side(Side::Bottleneck).is_ok());
            let map = context_map(Some(&both));
            assert_eq!((map.rows, map.cols), (1, c));
            assert_eq!(map.col_labels.last(), Some(&c.to_string()));
        }
        let empty = read_input("", &v);
        let both = translate_both(&t, 8, &v, &empty);
        assert!(both.attention.is_err());
        assert_eq!(context_map(Some(&both)).rows, 0);
        assert_eq!(context_map(None).cols, 0);
    }

    #[test]
    fn the_duel_chart_ends_past_the_longest_training_sentence() {
        let chart = duel_length_chart(&Progress::default(), 8);
        assert_eq!(chart.x_max, 22.0);
        assert_eq!(chart.series.len(), 0, "no tallies yet");
    }
}
