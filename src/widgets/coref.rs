//! The trained coreference model (`public/models/coref.bin`, made by
//! `train-coref`) as the chapters that use it see it: its shape
//! ([`LAYERS`], [`HEADS`]) and default sentence, what it does with a
//! sentence ([`analyse`]: its answer to every question and every head's
//! attention, as plain data tested natively), the answers as a list
//! ([`answers_view`]) and the layer buttons ([`LayerPicker`]).
//!
//! Shared by the self-attention chapter (which reads the model) and the
//! multi-head chapter (which switches its heads off).

use crate::charts::heatmap::{weights as weight_map, HeatmapData};
use crate::charts::lines::LineDiagram;
use crate::charts::plots::SCALED;
use attention_core::train::coref::{Corpus, Kind};
use attention_core::train::EncoderClassifier;
use attention_core::Mat;
use leptos::prelude::*;

/// The sentence both chapters start from.
pub const DEFAULT_TEXT: &str = "The animal didn't cross the street because it was too tired";
/// Layers of the shipped model.
pub const LAYERS: usize = 2;
/// Heads per layer of the shipped model.
pub const HEADS: usize = 4;

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
            weights: m
                .row_iter()
                .map(|row| row.iter().copied().collect())
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

    /// The selected word's weight on word `j` in one head's map.
    pub fn weight(&self, layer: usize, head: usize, j: usize) -> Option<f64> {
        let m = self.maps.get(layer)?.get(head)?;
        m.get((self.selected, j)).copied()
    }

    /// The word the selected word attends to most in `layer`, averaging the
    /// layer's heads, and that average weight.
    pub fn most_attended(&self, layer: usize) -> Option<(String, f64)> {
        let heads = self.maps.get(layer)?;
        let mean: Vec<f64> = (0..self.words.len())
            .map(|j| {
                heads
                    .iter()
                    .map(|m| m.get((self.selected, j)).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / heads.len().max(1) as f64
            })
            .collect();
        let j = attention_core::train::argmax(&mean);
        Some((self.words.get(j)?.clone(), *mean.get(j)?))
    }
}

/// A probability as a percentage: one decimal near certainty ("99.7%"),
/// else none ("62%").
pub fn percent(p: f64) -> String {
    if p >= 0.999 {
        format!("{:.1}%", p * 100.0)
    } else {
        format!("{:.0}%", p * 100.0)
    }
}

/// The question asked at one position, in words.
fn question_text(a: &Analysis, q: &Asked) -> String {
    match q.kind {
        Kind::Coref => format!(
            "Who is “{}” (word {})?",
            a.words.get(q.pos).map_or("it", |w| w.as_str()),
            q.pos + 1
        ),
        Kind::Agreement => format!(
            "Which verb fits at word {} (hidden from the model)?",
            q.pos + 1
        ),
    }
}

/// The model's answer to every question in the sentence, and where the
/// selected word looks most in each layer.
pub fn answers_view(a: &Analysis) -> AnyView {
    let selected_word = a.words.get(a.selected).cloned().unwrap_or_default();
    let attended = (0..LAYERS)
        .filter_map(|l| {
            a.most_attended(l)
                .map(|(w, v)| format!("layer {}: “{w}” ({v:.2})", l + 1))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <ul class="answers" data-testid="answers">
            {a
                .answers
                .iter()
                .map(|q| {
                    let (best, p) = q.best();
                    let others = q
                        .top
                        .iter()
                        .skip(1)
                        .map(|(w, p)| format!("{w} {}", percent(*p)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <li data-testid="answer">
                            <span class="asked">{question_text(a, q)}</span>
                            " "
                            <strong class="best">{best.to_string()}</strong>
                            <span class="confidence">{format!(" with {} confidence", percent(p))}</span>
                            <span class="others">{format!(" (next: {others})")}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p class="measure" data-testid="most-attended">
            {format!(
                "“{selected_word}” attends most to, averaged over each layer's {HEADS} heads: {attended}.",
            )}
        </p>
    }
    .into_any()
}

/// One button per layer of the shipped model; the current one is pressed.
#[component]
pub fn LayerPicker(
    #[prop(into)] current: Signal<usize>,
    on_pick: Callback<usize>,
    test_prefix: &'static str,
) -> impl IntoView {
    view! {
        <div class="control" role="group" aria-label="Layer">
            {(0..LAYERS)
                .map(|l| {
                    view! {
                        <button
                            data-testid=format!("{test_prefix}-{}", l + 1)
                            aria-pressed=move || (current.get() == l).to_string()
                            on:click=move |_| on_pick.run(l)
                        >
                            {format!("Layer {}", l + 1)}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_coref as shipped;
    use attention_core::train::coref::CorefTraining;

    #[test]
    fn the_default_sentence_is_answered_and_every_map_is_a_softmax() {
        let (m, c) = (shipped(), Corpus::new());
        let a = analyse(&m, &c, DEFAULT_TEXT, None).unwrap();
        assert_eq!(a.selected, 7, "“it” is selected by default");
        assert_eq!(a.answers.len(), 1);
        assert_eq!(a.answers[0].best().0, "animal");
        assert!(a.answers[0].best().1 > 0.9);
        assert_eq!(a.most_attended(1).unwrap().0, "animal");
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        // Every map is n x n with rows summing to 1.
        assert_eq!(a.maps.len(), LAYERS);
        for layer in &a.maps {
            assert_eq!(layer.len(), HEADS);
            for h in layer {
                assert_eq!(h.shape(), (11, 11));
                for i in 0..11 {
                    assert!((h.row(i).sum() - 1.0).abs() < 1e-9);
                }
            }
        }
        let lines = a.lines(1, 0).unwrap();
        assert_eq!((lines.selected, lines.weights.len()), (Some(7), 11));
        assert_eq!(lines.weights[7][1], a.maps[1][0][(7, 1)]);
        assert_eq!(a.weight(1, 0, 1), Some(a.maps[1][0][(7, 1)]));
        assert_eq!(a.heatmap(0, 3).unwrap().rows, 11);
        assert!(a.lines(2, 0).is_none() && a.heatmap(0, 4).is_none());
        assert!(a.weight(0, 0, 11).is_none() && a.most_attended(2).is_none());
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
        assert_eq!(
            question_text(&a, &a.answers[0]),
            "Which verb fits at word 6 (hidden from the model)?"
        );
        let a = analyse(&m, &c, "The key to the cabinets is on the shelf.", None).unwrap();
        assert_eq!(a.answers[0].best().0, "is");
    }

    #[test]
    fn the_constants_match_the_shipped_training_settings() {
        let cfg = CorefTraining::new(&Corpus::new()).model;
        assert_eq!((cfg.n_layers, cfg.n_heads), (LAYERS, HEADS));
        let m = shipped();
        assert_eq!(m.layers.len(), LAYERS);
        assert!(m.layers.iter().all(|l| l.attn.cfg.n_heads == HEADS));
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.9996), "100.0%");
        assert_eq!(percent(0.9991), "99.9%");
        assert_eq!(percent(0.623), "62%");
    }
}
