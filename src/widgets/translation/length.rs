//! The held-out measurement by source length both translation chapters
//! show: every shipped model's token accuracy (the bottleneck chapter), or
//! the attention model's alignment error rate (the alignment chapter),
//! measured live in the page once the models are loaded.
//!
//! [`Measurement`] is the [`Job`] (a unit is one part of one model's
//! translation of a held-out sentence: the encoding, or one word; see
//! [`Measurer::work`]), tested natively; [`LengthSection`] runs it on
//! a [`Runner::auto`] and shows a chart, its numbers and the progress.

use super::model::{bucket_label, length_chart, LengthMeasure, Measurer, Tally, COLORS};
use crate::models::{Translators, TranslatorsRef};
use crate::training::{Job, Runner};
use crate::widgets::chart::{curves, Chart};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::train::seq2seq::Seq2Seq;
use attention_core::train::translate::{Pair, Vocab};
use attention_core::train::translator::BUCKETS;
use leptos::prelude::*;
use std::sync::Arc;

/// Shown until the shipped translators are loaded.
pub const WAITING: &str = "Waiting for the trained translators…";

/// The measured models of `t`, in [`LengthMeasure::model_names`] order.
fn measured(t: &Translators, measure: LengthMeasure) -> Vec<&Seq2Seq> {
    let mut list = vec![&t.attention];
    if measure == LengthMeasure::Accuracy {
        list.extend(t.bottleneck.iter().rev().map(|(_, b)| b));
    }
    list
}

/// The shipped translators measured on held-out sentences, one sentence
/// (by every measured model) per unit.
pub struct Measurement {
    models: TranslatorsRef,
    vocab: Arc<Vocab>,
    measure: LengthMeasure,
    measurer: Measurer,
}

/// What the page shows of a [`Measurement`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LengthView {
    /// Per measured model.
    pub tallies: Vec<Tally>,
    /// Sentences measured and in all.
    pub counts: (usize, usize),
    pub done: bool,
}

impl Measurement {
    /// On the shipped models' held-out sets.
    pub fn new(models: TranslatorsRef, vocab: Arc<Vocab>, measure: LengthMeasure) -> Self {
        let measurer = Measurer::new(measure.model_names().len());
        Measurement {
            models,
            vocab,
            measure,
            measurer,
        }
    }

    /// On the given sets (one per length group, shortest first).
    pub fn with_sets(
        models: TranslatorsRef,
        vocab: Arc<Vocab>,
        measure: LengthMeasure,
        sets: Vec<Vec<Pair>>,
    ) -> Self {
        let measurer = Measurer::with_sets(measure.model_names().len(), sets);
        Measurement {
            models,
            vocab,
            measure,
            measurer,
        }
    }
}

impl Job for Measurement {
    type View = LengthView;

    fn work(&mut self) -> Result<bool, String> {
        let models = measured(&self.models.0, self.measure);
        self.measurer.work(&models, &self.vocab)
    }

    fn finished(&self) -> bool {
        self.measurer.done()
    }

    fn units(&self) -> usize {
        self.measurer.counts().0
    }

    fn view(&self) -> LengthView {
        LengthView {
            tallies: self.measurer.tallies.clone(),
            counts: self.measurer.counts(),
            done: self.measurer.done(),
        }
    }
}

impl LengthMeasure {
    fn aer(self) -> bool {
        self == LengthMeasure::Alignment
    }

    /// The id of the section's title and the `data-testid`s of its
    /// status line, chart and table.
    fn ids(self) -> SectionIds {
        match self {
            LengthMeasure::Accuracy => SectionIds {
                title: "len-title",
                status: "length-status",
                chart: "length-chart",
                table: "length-table",
            },
            LengthMeasure::Alignment => SectionIds {
                title: "aer-title",
                status: "aer-status",
                chart: "aer-chart",
                table: "aer-table",
            },
        }
    }

    fn chart_label(self) -> &'static str {
        match self {
            LengthMeasure::Accuracy => {
                "Held-out token accuracy against source length for attention and two bottleneck widths"
            }
            LengthMeasure::Alignment => "Held-out alignment error rate against source length",
        }
    }
}

/// Element ids of a [`LengthSection`].
#[derive(Clone, Copy)]
struct SectionIds {
    title: &'static str,
    status: &'static str,
    chart: &'static str,
    table: &'static str,
}

/// The progress line under the section's text.
fn progress_text(v: &LengthView, measure: LengthMeasure, seconds: f64) -> String {
    let (d, n) = v.counts;
    let overall = v.tallies.first().map(Tally::overall);
    let tail = match overall {
        Some((Some(acc), Some(e))) if measure.aer() => format!(
            " Over all of them: AER {e:.3}, token accuracy {:.1}%.",
            acc * 100.0
        ),
        _ => String::new(),
    };
    if v.done {
        format!(
            "Measured on all {n} held-out sentences ({} per length group) in {seconds:.1} s.{tail}",
            n / BUCKETS.len().max(1)
        )
    } else {
        format!("Measuring: {d} of {n} held-out sentences translated…{tail}")
    }
}

/// Held-out token accuracy by length of every model
/// ([`LengthMeasure::Accuracy`]), or the attention model's alignment error
/// rate by length ([`LengthMeasure::Alignment`]), measured live once the
/// models are loaded. `title` and `intro` are the chapter's words.
#[component]
pub fn LengthSection(
    models: Memo<Option<TranslatorsRef>>,
    vocab: Arc<Vocab>,
    measure: LengthMeasure,
    title: &'static str,
    intro: &'static str,
) -> impl IntoView {
    // Starts once the models are loaded (and again if they change).
    let runner = Runner::auto(
        move || models.get(),
        move |m: &Option<TranslatorsRef>| {
            m.clone()
                .map(|m| Measurement::new(m, vocab.clone(), measure))
                .ok_or_else(|| WAITING.to_string())
        },
    );
    let tallies = Memo::new(move |_| runner.with(|v| v.tallies.clone()).unwrap_or_default());
    let chart = Memo::new(move |_| {
        tallies.with(|t| length_chart(t, &measure.model_names(), &COLORS, measure.aer()))
    });
    let progress = move || {
        runner.error().unwrap_or_else(|| {
            runner
                .with(|v| progress_text(v, measure, runner.busy_seconds()))
                .unwrap_or_default()
        })
    };
    let ids = measure.ids();
    view! {
        <section aria-labelledby=ids.title data-slide>
            <h2 id=ids.title>{title}</h2>
            <p>{intro}</p>
            <p class="measure" data-testid=ids.status aria-live="polite">
                {progress}
            </p>
            <Chart size=(620.0, 340.0) test_id=ids.chart label=measure.chart_label() draw=curves(chart)>
                <LengthTable tallies=tallies measure=measure />
            </Chart>
        </section>
    }
}

/// The numbers behind the length chart: a row per length group.
#[component]
fn LengthTable(tallies: Memo<Vec<Tally>>, measure: LengthMeasure) -> impl IntoView {
    let aer = measure.aer();
    move || {
        tallies.with(|t| {
            let mut header = vec!["source length".to_string()];
            header.extend(measure.model_names().into_iter().map(|n| {
                if aer {
                    format!("{n}: AER")
                } else {
                    n
                }
            }));
            if aer {
                header.push("attention: token accuracy".into());
            }
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows = (0..BUCKETS.len()).map(|b| {
                let mut r = vec![bucket_label(b)];
                if aer {
                    r.extend(
                        t.iter()
                            .map(|x| x.aer(b).map_or("—".into(), |v| format!("{v:.3}"))),
                    );
                }
                r.extend(t.iter().map(|x| {
                    x.accuracy(b)
                        .map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
                }));
                r
            });
            view! { <NumbersTable data=TableData::plain(&h, rows) test_id=measure.ids().table /> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_translators;
    use attention_core::train::translator::held_out;

    #[test]
    fn a_measurement_job_runs_every_model_on_every_sentence_then_stops() {
        let t = TranslatorsRef(Arc::new(shipped_translators()));
        let (_, mut sets) = held_out(2);
        sets.truncate(2);
        let mut job =
            Measurement::with_sets(t, Arc::new(Vocab::default()), LengthMeasure::Accuracy, sets);
        let fresh = job.view();
        assert_eq!(
            (fresh.counts, fresh.done, fresh.tallies.len()),
            ((0, 4), false, 3)
        );
        assert_eq!(job.revision(), 0);
        // A call is one part of one model's translation (the encoding, or
        // a word): 3 models x 4 sentences x at least 2 parts.
        let mut calls = 0;
        while !job.work().unwrap() {
            calls += 1;
            assert!(calls < 1000);
        }
        assert!(calls + 1 >= 3 * 4 * 2, "{calls}");
        assert_eq!((job.units(), job.revision()), (4, 4));
        assert!(job.finished());
        let v = job.view();
        assert!(v.done && v.counts == (4, 4));
        assert!(v
            .tallies
            .iter()
            .all(|x| x.accuracy(1).is_some() && x.accuracy(2).is_none()));
        let text = progress_text(&v, LengthMeasure::Accuracy, 1.5);
        assert!(
            text.starts_with("Measured on all 4 held-out sentences")
                && text.ends_with(" in 1.5 s."),
            "{text}"
        );
    }

    #[test]
    fn the_alignment_measurement_reads_the_attention_model_only() {
        let t = TranslatorsRef(Arc::new(shipped_translators()));
        let (_, mut sets) = held_out(1);
        sets.truncate(1);
        let mut job = Measurement::with_sets(
            t,
            Arc::new(Vocab::default()),
            LengthMeasure::Alignment,
            sets,
        );
        while !job.work().unwrap() {}
        let v = job.view();
        assert_eq!(v.tallies.len(), 1);
        let text = progress_text(&v, LengthMeasure::Alignment, 0.0);
        assert!(text.contains("Over all of them: AER"), "{text}");
        assert_eq!(LengthMeasure::Alignment.ids().title, "aer-title");
        assert_eq!(LengthMeasure::Accuracy.ids().title, "len-title");
        assert_eq!(LengthMeasure::Accuracy.ids().status, "length-status");
    }
}
