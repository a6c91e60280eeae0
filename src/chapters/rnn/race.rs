//! The race of section 3 as a [`crate::training::Job`]: the engine's
//! [`RecallRace`] (a vanilla RNN, a GRU and one self-attention layer of
//! similar size trained on the same batches of "recall the first token
//! after d distractors") a step at a time, with the held-out accuracy at
//! every measured distance taken at the start, every [`EVAL_EVERY`] steps
//! and at the end. One unit of work is one training step of all three
//! models, or the measurement of one distance, so no frame waits for a
//! whole evaluation. Plain data and logic, tested natively.

use super::model::{reach_trained, Measured};
use super::reach::NOT_TRAINED;
use crate::charts::cost::{BLUE, GREEN, VERMILLION};
use crate::charts::plots::{CurveChart, Series};
use crate::widgets::table::TableData;
use attention_core::train::rnn::{
    BodyKind, DistanceAccuracy, RaceConfig, RecallFirst, RecallRace, SeqClassifier,
};
use leptos::prelude::With;
use std::collections::VecDeque;

/// Held-out sequences per distance and measurement.
pub const EVAL_COUNT: usize = 200;
/// A measurement every this many steps.
pub const EVAL_EVERY: usize = 50;
/// The chance line's colour.
const CHANCE_GREY: crate::charts::colormap::Rgb = (0x88, 0x88, 0x88);
/// Training losses are averaged over this many last steps.
const LOSS_WINDOW: usize = 25;

/// What the learner chooses (the rest is the engine's default race).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaceSettings {
    pub steps: usize,
    pub d_max: usize,
    pub seed: u64,
}

impl RaceSettings {
    /// The engine's settings: its defaults with the learner's choices.
    pub fn config(&self) -> RaceConfig {
        RaceConfig {
            steps: self.steps,
            max_distance: self.d_max,
            seed: self.seed,
            ..RaceConfig::default()
        }
    }
}

/// The colour and marker of each model, in [`BodyKind::ALL`] order: also
/// used by section 1.
pub fn style(kind: BodyKind) -> (crate::charts::colormap::Rgb, bool) {
    match kind {
        BodyKind::Rnn => (VERMILLION, false),
        BodyKind::Gru => (BLUE, true),
        BodyKind::Attention => (GREEN, false),
    }
}

/// A snapshot of the race for the page.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceView {
    pub settings: RaceSettings,
    pub step: usize,
    /// The last complete measurement: the step it was taken at and the
    /// accuracy of every model at every measured distance.
    pub accuracy: Option<(usize, Vec<DistanceAccuracy>)>,
    /// Mean training loss of each model over the last steps.
    pub loss: Vec<f64>,
    /// Parameters of each model's body.
    pub body_params: Vec<usize>,
    /// The models as they are now (section 1 measures their reach).
    pub models: Vec<(BodyKind, SeqClassifier)>,
    pub task: RecallFirst,
    pub finished: bool,
}

/// The race and its measurements.
pub struct Race {
    settings: RaceSettings,
    race: RecallRace,
    distances: Vec<usize>,
    /// Distances still to measure for the current measurement.
    pending: VecDeque<usize>,
    partial: Vec<DistanceAccuracy>,
    accuracy: Option<(usize, Vec<DistanceAccuracy>)>,
    evaluations: usize,
}

impl Race {
    pub fn new(settings: RaceSettings) -> Result<Self, String> {
        let race = RecallRace::new(settings.config()).map_err(|e| e.to_string())?;
        let distances = race.test_distances();
        Ok(Race {
            settings,
            pending: distances.iter().copied().collect(),
            distances,
            race,
            partial: Vec::new(),
            accuracy: None,
            evaluations: 0,
        })
    }

    fn measure_one(&mut self, d: usize) -> Result<(), String> {
        let mut row = self
            .race
            .accuracy_by_distance(&[d], EVAL_COUNT)
            .map_err(|e| e.to_string())?;
        self.partial.append(&mut row);
        self.evaluations += 1;
        if self.pending.is_empty() {
            self.accuracy = Some((self.race.step, std::mem::take(&mut self.partial)));
        }
        Ok(())
    }
}

impl crate::training::Job for Race {
    type View = RaceView;

    fn work(&mut self) -> Result<bool, String> {
        if let Some(d) = self.pending.pop_front() {
            self.measure_one(d)?;
        } else if !self.race.finished() {
            self.race.step().map_err(|e| e.to_string())?;
            if self.race.step.is_multiple_of(EVAL_EVERY) || self.race.finished() {
                self.pending = self.distances.iter().copied().collect();
            }
        }
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.race.finished() && self.pending.is_empty()
    }

    fn units(&self) -> usize {
        self.race.step
    }

    fn revision(&self) -> usize {
        self.race.step + self.evaluations
    }

    fn view(&self) -> RaceView {
        let loss = self
            .race
            .runs
            .iter()
            .map(|r| {
                let last: Vec<f64> = r.losses.iter().rev().take(LOSS_WINDOW).copied().collect();
                if last.is_empty() {
                    f64::NAN
                } else {
                    last.iter().sum::<f64>() / last.len() as f64
                }
            })
            .collect();
        RaceView {
            settings: self.settings,
            step: self.race.step,
            accuracy: self.accuracy.clone(),
            loss,
            body_params: self
                .race
                .runs
                .iter()
                .map(|r| r.model.body_params())
                .collect(),
            models: self
                .race
                .runs
                .iter()
                .map(|r| (r.kind, r.model.clone()))
                .collect(),
            task: self.race.task,
            finished: self.finished(),
        }
    }
}

/// Accuracy in percent, one decimal.
pub fn percent(a: f64) -> String {
    if a.is_finite() {
        format!("{:.1}%", 100.0 * a)
    } else {
        "—".into()
    }
}

/// Chance: one symbol in `symbols`.
pub fn chance(v: &RaceView) -> f64 {
    1.0 / v.task.symbols.max(1) as f64
}

/// The measurement at the longest distance, in a sentence.
pub fn race_reading(v: &RaceView) -> Option<String> {
    let (step, rows) = v.accuracy.as_ref()?;
    let last = rows.last()?;
    let each: Vec<String> = BodyKind::ALL
        .iter()
        .zip(&last.accuracy)
        .map(|(k, a)| format!("{} {}", k.name(), percent(*a)))
        .collect();
    let when = if *step == 0 {
        "before training".to_string()
    } else {
        format!("after {step} steps")
    };
    Some(format!(
        "At d = {}, the longest distance, {when}: {}; chance is {}.",
        last.d,
        each.join(", "),
        percent(chance(v))
    ))
}

/// Accuracy (percent) against the distance, one line per model and chance.
pub fn accuracy_chart(v: &RaceView) -> CurveChart {
    let rows = v
        .accuracy
        .as_ref()
        .map_or(&[] as &[DistanceAccuracy], |(_, rows)| rows);
    let mut series: Vec<Series> = BodyKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let (color, square) = style(kind);
            let points = rows
                .iter()
                .filter_map(|r| Some((r.d as f64, 100.0 * *r.accuracy.get(i)?)))
                .collect();
            Series::new(kind.name(), points, color, square)
        })
        .collect();
    let c = 100.0 * chance(v);
    // Chance in grey: apart from the three models in hue and lightness.
    series.push(Series::new(
        format!("chance ({c:.1}%)"),
        vec![(0.0, c), (v.settings.d_max as f64, c)],
        CHANCE_GREY,
        true,
    ));
    let title = match &v.accuracy {
        Some((0, _)) => "Held-out accuracy before training".to_string(),
        Some((step, _)) => format!("Held-out accuracy after {step} steps"),
        None => "Held-out accuracy (measuring…)".to_string(),
    };
    CurveChart {
        title,
        x_label: "distance d (distractors between the symbol and ?)".into(),
        y_label: "accuracy (%)".into(),
        y_range: (0.0, 100.0),
        series,
        x_max: v.settings.d_max as f64,
    }
}

/// The accuracy table: one row per distance, one column per model.
pub fn accuracy_table(v: &RaceView) -> TableData {
    let mut header = vec!["d"];
    header.extend(BodyKind::ALL.iter().map(|k| k.name()));
    let rows = v
        .accuracy
        .as_ref()
        .map_or(&[] as &[DistanceAccuracy], |(_, rows)| rows);
    TableData::plain(
        &header,
        rows.iter().map(|r| {
            let mut cells = vec![r.d.to_string()];
            cells.extend(r.accuracy.iter().map(|a| percent(*a)));
            cells
        }),
    )
}

/// The runner of the race (sections 1 and 3 share it).
pub type RaceRunner = crate::training::Runner<RaceSettings, Race>;

/// The race's runner for the state's settings.
pub fn race_runner(state: leptos::prelude::Memo<super::state::RnnState>) -> RaceRunner {
    crate::training::Runner::new(
        move || {
            state.with(|s| RaceSettings {
                steps: s.steps,
                d_max: s.d_max,
                seed: s.race_seed,
            })
        },
        |c: &RaceSettings| Race::new(*c),
    )
}

/// What section 1 reads of the race: its runner and the measurement of its
/// models as trained so far. Made by the first part that needs the race
/// (section 3, or section 1's "Train them now"), so section 1's own code
/// carries neither the training nor this measurement.
#[derive(Clone, Copy)]
pub struct RaceLink {
    pub runner: RaceRunner,
    /// [`measure_trained`].
    pub measure_trained: fn(RaceRunner, usize, u64) -> Measured,
}

/// The page's race, made on the first call (see [`RaceLink`]).
pub fn race_link(
    state: leptos::prelude::Memo<super::state::RnnState>,
    slot: crate::loader::Deferred<RaceLink>,
) -> RaceLink {
    slot.get_or_init(|| RaceLink {
        runner: race_runner(state),
        measure_trained,
    })
}

/// The race's models as trained so far, measured at length `n` on a
/// held-out sequence drawn with `seed`, and a sentence saying what was
/// measured; `Err(NOT_TRAINED)` before the first step (or the run's error).
pub fn measure_trained(race: RaceRunner, n: usize, seed: u64) -> Measured {
    race.with(|v| {
        if v.step == 0 {
            return Err(NOT_TRAINED.to_string());
        }
        reach_trained(&v.models, &v.task, n, seed).map(|c| {
            let what = format!(
                "The race's models after {} training steps (they were trained with d up to {}), each with its own loss on one held-out sequence of length {n}. The spectral radius and nonlinearity above do not apply: these models are what training made of them.",
                v.step, v.settings.d_max
            );
            (c, what)
        })
    })
    .unwrap_or_else(|| Err(race.error().unwrap_or_else(|| NOT_TRAINED.into())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Job;

    #[test]
    fn a_short_race_runs_to_the_end_and_is_measured() {
        let settings = RaceSettings {
            steps: 60,
            d_max: 8,
            seed: 1,
        };
        let mut job = Race::new(settings).expect("builds");
        let v0 = job.view();
        assert_eq!((v0.step, v0.finished), (0, false));
        assert!(v0.accuracy.is_none());
        assert_eq!(v0.body_params, vec![2080, 6240, 2128]);
        let mut units = 0;
        while !job.work().expect("works") {
            units += 1;
            assert!(units < 10_000);
        }
        let v = job.view();
        assert!(v.finished && job.finished());
        assert_eq!(v.step, 60);
        let (at, rows) = v.accuracy.clone().expect("measured");
        assert_eq!(at, 60);
        assert_eq!(
            rows.iter().map(|r| r.d).collect::<Vec<_>>(),
            vec![1, 2, 4, 8]
        );
        // The table and the chart show exactly the engine's measurement.
        let t = accuracy_table(&v);
        assert_eq!(t.rows.len(), 4);
        assert_eq!(t.rows[0].1[1], percent(rows[0].accuracy[0]));
        let c = accuracy_chart(&v);
        assert_eq!(c.series.len(), 4);
        assert_eq!(c.series[2].points.len(), 4);
        assert_eq!(c.series[2].points[3], (8.0, 100.0 * rows[3].accuracy[2]));
        assert!(c.title.contains("after 60 steps"));
        assert!(v.loss.iter().all(|l| l.is_finite() && *l > 0.0));
        let text = race_reading(&v).expect("a sentence");
        assert!(
            text.starts_with("At d = 8, the longest distance, after 60 steps: RNN (tanh) "),
            "{text}"
        );
        assert!(text.contains(&percent(rows[3].accuracy[1])) && text.ends_with("chance is 12.5%."));
        // More work does nothing once finished.
        assert!(job.work().expect("works"));
        assert_eq!(job.units(), 60);
    }

    #[test]
    fn the_race_link_is_made_once_and_says_untrained_before_a_step() {
        use leptos::prelude::{Get, Memo, Owner};
        let page = Owner::new();
        page.with(|| {
            let state = Memo::new(|_| crate::chapters::rnn::state::RnnState::default());
            let slot = crate::loader::Deferred::new();
            assert!(slot.get().is_none());
            let a = race_link(state, slot);
            // The second call gets the same runner (the same signals), not
            // a new one.
            let b = race_link(state, slot);
            a.runner.refuse("marked".into());
            assert_eq!(b.runner.error().as_deref(), Some("marked"));
            assert!(b.runner.refused());
            assert!(slot.get().is_some());
            // A fresh race for the page's settings, not started: nothing
            // trained to measure yet.
            let v = a.runner.view().expect("builds");
            let fresh = race_link(
                Memo::new(|_| crate::chapters::rnn::state::RnnState::default()),
                crate::loader::Deferred::new(),
            );
            assert_eq!(
                (fresh.measure_trained)(fresh.runner, 40, 1).map(|_| ()),
                Err(NOT_TRAINED.to_string())
            );
            assert_eq!((v.step, v.settings.steps), (0, state.get().steps));
        });
    }

    #[test]
    fn bad_settings_are_an_error_not_a_panic() {
        assert!(Race::new(RaceSettings {
            steps: 0,
            d_max: 8,
            seed: 1
        })
        .is_err());
        assert_eq!(percent(f64::NAN), "—");
        assert_eq!(percent(0.125), "12.5%");
    }
}
