//! The self-attention chapter's view model: what the trained model does with
//! the learner's sentence, as plain data (tested natively).

use crate::charts::heatmap::{weights as weight_map, HeatmapData};
use crate::charts::lines::LineDiagram;
use crate::charts::plots::SCALED;
use attention_core::train::coref::{Corpus, Kind};
use attention_core::train::EncoderClassifier;
use attention_core::Mat;

/// The model's answer at one question position.
#[derive(Clone, Debug, PartialEq)]
pub struct Asked {
    pub pos: usize,
    pub kind: Kind,
    /// The three most likely answers and their probabilities.
    pub top: Vec<(String, f64)>,
}

impl Asked {
    /// The best answer and its probability.
    pub fn best(&self) -> (&str, f64) {
        self.top
            .first()
            .map_or(("?", f64::NAN), |(w, p)| (w.as_str(), *p))
    }
}

/// Everything the page shows about one sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// The words as the model reads them (lower case, punctuation trimmed).
    pub words: Vec<String>,
    /// Per word: in the model's vocabulary?
    pub known: Vec<bool>,
    /// Plain-language notes (unknown words, a cut sentence, no question).
    pub notes: Vec<String>,
    /// The selected word.
    pub selected: usize,
    /// One answer per question ("it", or a verb slot is/are) in the sentence.
    pub answers: Vec<Asked>,
    /// `maps[layer][head]`: that head's `n x n` attention weights.
    pub maps: Vec<Vec<Mat>>,
}

/// Runs the model on `text`. Err (a message for the learner) if there is no
/// word to read or the model fails.
pub fn analyse(
    model: &EncoderClassifier,
    corpus: &Corpus,
    text: &str,
    selected: Option<usize>,
) -> Result<Analysis, String> {
    let mut e = corpus.encode(text);
    if e.words.is_empty() {
        return Err("Type a sentence: the model needs at least one word to read.".into());
    }
    let mut notes = Vec::new();
    let max = model.cfg.max_len;
    if e.words.len() > max {
        notes.push(format!(
            "The model was trained on sentences of up to {max} words, so it reads only the first {max} of your {}.",
            e.words.len()
        ));
        e.words.truncate(max);
        e.tokens.truncate(max);
        e.known.truncate(max);
        e.questions.retain(|&(p, _)| p < max);
    }
    let unknown: Vec<String> = e
        .words
        .iter()
        .zip(&e.known)
        .filter(|(_, k)| !**k)
        .map(|(w, _)| format!("“{w}”"))
        .collect();
    if !unknown.is_empty() {
        notes.push(format!(
            "Not in the model's vocabulary, so it reads them as [unk]: {}.",
            unknown.join(", ")
        ));
    }
    if e.questions.is_empty() {
        notes.push(
            "There is no question here: include “it” (who is it?) or “is”/“are” (which verb fits?)."
                .into(),
        );
    }
    let selected = selected
        .filter(|&s| s < e.words.len())
        .or_else(|| e.questions.first().map(|q| q.0))
        .unwrap_or(0);
    let mut answers = Vec::with_capacity(e.questions.len());
    for &(pos, kind) in &e.questions {
        let a = model
            .answer(&e.tokens, pos)
            .map_err(|err| format!("The model could not read this sentence: {err}"))?;
        let mut ranked: Vec<(usize, f64)> = a.probs.iter().copied().enumerate().collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1));
        answers.push(Asked {
            pos,
            kind,
            top: ranked
                .into_iter()
                .take(3)
                .map(|(id, p)| (corpus.word(id).to_string(), p))
                .collect(),
        });
    }
    let maps = model
        .answer(&e.tokens, selected)
        .map_err(|err| format!("The model could not read this sentence: {err}"))?
        .maps;
    Ok(Analysis {
        words: e.words,
        known: e.known,
        notes,
        selected,
        answers,
        maps,
    })
}

impl Analysis {
    /// Layer `layer`, head `head` as lines from the selected word.
    pub fn lines(&self, layer: usize, head: usize) -> Option<LineDiagram> {
        let m = self.maps.get(layer)?.get(head)?;
        Some(LineDiagram {
            title: format!("Layer {} · head {}", layer + 1, head + 1),
            left: self.words.clone(),
            right: self.words.clone(),
            weights: (0..m.nrows())
                .map(|i| m.row(i).iter().copied().collect())
                .collect(),
            selected: Some(self.selected),
            flagged: self.known.iter().map(|k| !k).collect(),
            color: SCALED,
        })
    }

    /// Layer `layer`, head `head` as a heatmap (rows attend to columns).
    pub fn heatmap(&self, layer: usize, head: usize) -> Option<HeatmapData> {
        let m = self.maps.get(layer)?.get(head)?;
        Some(weight_map(m, &self.words))
    }

    /// The word the selected word attends to most in `layer`, averaging the
    /// layer's heads, and that average weight.
    pub fn most_attended(&self, layer: usize) -> Option<(String, f64)> {
        let heads = self.maps.get(layer)?;
        let n = self.words.len();
        let mean: Vec<f64> = (0..n)
            .map(|j| {
                heads.iter().map(|m| m[(self.selected, j)]).sum::<f64>() / heads.len().max(1) as f64
            })
            .collect();
        let j = attention_core::train::argmax(&mean);
        Some((self.words.get(j)?.clone(), mean[j]))
    }
}

/// The sentence with the adjective after "too"/"so"/"very"/"really"
/// swapped between the animal and place lists at the same index (tired <->
/// wide, scared <-> busy, ...), if there is one.
pub fn swap_adjective(text: &str) -> Option<String> {
    use attention_core::train::coref::{ANIMAL_ADJECTIVES, PLACE_ADJECTIVES};
    let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    for w in words.iter_mut().rev() {
        let bare = w
            .trim_end_matches(|c: char| c.is_ascii_punctuation())
            .to_lowercase();
        let tail = &w[w.trim_end_matches(|c: char| c.is_ascii_punctuation()).len()..].to_string();
        let swapped = if let Some(i) = ANIMAL_ADJECTIVES.iter().position(|a| *a == bare) {
            PLACE_ADJECTIVES[i]
        } else if let Some(i) = PLACE_ADJECTIVES.iter().position(|a| *a == bare) {
            ANIMAL_ADJECTIVES[i]
        } else {
            continue;
        };
        *w = format!("{swapped}{tail}");
        return Some(words.join(" "));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use attention_core::train::coref::CorefTraining;

    use crate::models::shipped_coref as shipped;

    #[test]
    fn tired_and_wide_flip_the_answer_and_the_attention() {
        let (m, c) = (shipped(), Corpus::new());
        let text = super::super::state::DEFAULT_TEXT;
        let a = analyse(&m, &c, text, None).unwrap();
        assert_eq!(a.selected, 7, "“it” is selected by default");
        assert_eq!(a.answers.len(), 1);
        assert_eq!(a.answers[0].best().0, "animal");
        assert!(a.answers[0].best().1 > 0.9);
        assert_eq!(a.most_attended(1).unwrap().0, "animal");
        let wide = swap_adjective(text).unwrap();
        assert!(wide.ends_with("too wide"));
        let b = analyse(&m, &c, &wide, None).unwrap();
        assert_eq!(b.answers[0].best().0, "street");
        assert_eq!(b.most_attended(1).unwrap().0, "street");
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        // Every map is n x n with rows summing to 1.
        for layer in &a.maps {
            for h in layer {
                assert_eq!(h.shape(), (11, 11));
                for i in 0..11 {
                    assert!((h.row(i).sum() - 1.0).abs() < 1e-9);
                }
            }
        }
        let lines = a.lines(1, 0).unwrap();
        assert_eq!((lines.selected, lines.weights.len()), (Some(7), 11));
        assert_eq!(a.heatmap(0, 3).unwrap().rows, 11);
        assert!(a.lines(2, 0).is_none() && a.heatmap(0, 4).is_none());
    }

    #[test]
    fn odd_input_gets_notes_not_failures() {
        let (m, c) = (shipped(), Corpus::new());
        assert!(analyse(&m, &c, "   ", None).is_err());
        let a = analyse(
            &m,
            &c,
            "the <b>dog</b> didn't cross the 🙂 because it was too tired",
            Some(99),
        )
        .unwrap();
        assert_eq!(a.notes.len(), 1, "{:?}", a.notes);
        assert!(a.notes[0].contains("<b>dog</b>") && a.notes[0].contains("🙂"));
        assert_eq!(
            a.selected, 7,
            "an out-of-range selection falls back to “it”"
        );
        let long =
            "the dog didn't cross the road because it was too tired and then some more words";
        let a = analyse(&m, &c, long, None).unwrap();
        assert_eq!(a.words.len(), m.cfg.max_len);
        assert!(a.notes.iter().any(|n| n.contains("reads only the first")));
        let a = analyse(&m, &c, "dog road", None).unwrap();
        assert!(a.answers.is_empty() && a.notes.iter().any(|n| n.contains("no question")));
        assert_eq!(a.selected, 0);
    }

    #[test]
    fn agreement_sentences_are_answered_at_the_verb() {
        let (m, c) = (shipped(), Corpus::new());
        let a = analyse(&m, &c, "The keys to the cabinet are on the shelf.", None).unwrap();
        assert_eq!((a.answers[0].pos, a.answers[0].best().0), (5, "are"));
        let a = analyse(&m, &c, "The key to the cabinets is on the shelf.", None).unwrap();
        assert_eq!(a.answers[0].best().0, "is");
    }

    #[test]
    fn swapping_adjectives() {
        assert_eq!(
            swap_adjective("it was too icy.").as_deref(),
            Some("it was too sleepy.")
        );
        assert_eq!(swap_adjective("no adjective"), None);
        assert_eq!(
            CorefTraining::new(&Corpus::new()).model.n_layers,
            super::super::state::LAYERS
        );
    }
}
