//! The extrapolation experiment as the page runs it: five models trained in
//! the browser, one small unit of work at a time (a part of one model's
//! training step, [`Experiment::part`], or one held-out sequence of an
//! evaluation), and what the charts need of it.
//!
//! [`Session`] is a [`crate::training::Job`]; one [`ExpRunner`] runs it for
//! sections 3 and 6 of the page (see `experiment_view`). Tested natively.
//!
//! After training, each model is tested on [`TEST_SEQS`] held-out sequences
//! at each length L, 1.5 L, ... 4 L, then position by position at 4 L.

use crate::charts::colormap::Rgb;
use crate::charts::heatmap::ColorScale;
use crate::charts::plots::{CurveChart, Series};
use crate::charts::position::MatrixImage;
use crate::training::Job;
use attention_core::train::position_task::{
    Experiment, ExperimentConfig, Labelled, PositionCounts, Scheme,
};

/// Held-out sequences per length.
pub const TEST_SEQS: usize = 32;
/// The trained length L.
pub const L: usize = 16;
/// Loss points kept per model (the curve is sampled evenly).
const LOSS_EVERY: usize = 5;

/// Okabe–Ito colours, one per scheme (in [`Scheme::ALL`] order).
pub fn color(s: Scheme) -> Rgb {
    match s {
        Scheme::None => (0x55, 0x55, 0x55),
        Scheme::Learned => (0xe6, 0x9f, 0x00),
        Scheme::Sinusoidal => (0x56, 0xb4, 0xe9),
        Scheme::Rope => (0x00, 0x9e, 0x73),
        Scheme::Alibi => (0xcc, 0x79, 0xa7),
    }
}

/// What the page shows of a run.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Progress {
    pub step: usize,
    pub steps: usize,
    pub lengths: Vec<usize>,
    /// Per scheme: (step, training loss) samples.
    pub losses: Vec<Vec<(f64, f64)>>,
    /// Per scheme, per length: held-out accuracy once measured.
    pub accuracy: Vec<Vec<Option<f64>>>,
    /// Per scheme: accuracy at each position of 4 L sequences, once measured.
    pub by_position: Vec<Option<Vec<Option<f64>>>>,
    /// The learned model's position vectors for positions 0..4L as used
    /// (rows past L repeat row L - 1), row-major `4L x d_model`.
    pub learned_rows: Vec<f64>,
    pub d_model: usize,
    /// Evaluation finished too.
    pub done: bool,
}

/// What a run is built from: the task's k, the training steps and the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpConfig {
    pub k: usize,
    pub steps: usize,
    pub seed: u64,
}

/// The one runner of the five models: sections 3 and 6 both show it.
pub type ExpRunner = crate::training::Runner<ExpConfig, Session>;

/// The view is refreshed at most this often while running (the snapshot of
/// five models is not free).
pub const PUBLISH_MS: f64 = 250.0;

/// A run of the experiment: a [`Job`] whose unit is a part of a training
/// step of one model, or one held-out sequence of an evaluation once they
/// are trained.
pub struct Session {
    exp: Experiment,
    accuracy: Vec<Vec<Option<f64>>>,
    by_position: Vec<Option<Vec<Option<f64>>>>,
    /// Next evaluation: (run, length index), with index == lengths.len()
    /// meaning the by-position test.
    next_eval: (usize, usize),
    /// Evaluations done so far.
    evals: usize,
    /// The evaluation under way: its sequences, how many are counted, and
    /// the counts so far.
    eval_set: Vec<Labelled>,
    eval_seq: usize,
    counts: PositionCounts,
}

impl Session {
    pub fn new(cfg: &ExpConfig) -> Result<Self, String> {
        let exp = Experiment::new(ExperimentConfig {
            k: cfg.k,
            max_len: L,
            steps: cfg.steps,
            batch: 16,
            seed: cfg.seed,
        })
        .map_err(|e| e.to_string())?;
        let (runs, lengths) = (exp.runs.len(), exp.lengths().len());
        Ok(Session {
            exp,
            accuracy: vec![vec![None; lengths]; runs],
            by_position: vec![None; runs],
            next_eval: (0, 0),
            evals: 0,
            eval_set: Vec::new(),
            eval_seq: 0,
            counts: PositionCounts::default(),
        })
    }

    /// Whether training and every evaluation are done.
    pub fn done(&self) -> bool {
        self.next_eval.0 >= self.exp.runs.len()
    }

    /// The next part of the evaluations: one held-out sequence of one
    /// length (or of the by-position test) answered by one model.
    fn evaluate(&mut self) -> Result<(), String> {
        let lengths = self.exp.lengths();
        let (r, li) = self.next_eval;
        let model = &self
            .exp
            .runs
            .get(r)
            .ok_or_else(|| format!("There is no model {r} to measure."))?
            .model;
        let length = lengths.get(li).copied();
        if self.eval_seq == 0 {
            self.eval_set = self.exp.test_set(length.unwrap_or(4 * L), TEST_SEQS);
            self.counts = PositionCounts::default();
        }
        let seq = self
            .eval_set
            .get(self.eval_seq)
            .ok_or_else(|| format!("There is no test sequence {}.", self.eval_seq))?;
        self.counts.add(model, seq).map_err(|e| e.to_string())?;
        self.eval_seq += 1;
        if self.eval_seq < self.eval_set.len() {
            return Ok(());
        }
        self.eval_seq = 0;
        match length {
            Some(_) => {
                if let Some(slot) = self.accuracy.get_mut(r).and_then(|a| a.get_mut(li)) {
                    *slot = Some(self.counts.accuracy());
                }
                self.next_eval = (r, li + 1);
            }
            None => {
                if let Some(slot) = self.by_position.get_mut(r) {
                    *slot = Some(self.counts.by_position());
                }
                self.next_eval = (r + 1, 0);
            }
        }
        self.evals += 1;
        Ok(())
    }

    pub fn progress(&self) -> Progress {
        let learned = self
            .exp
            .runs
            .iter()
            .find(|r| r.scheme == Scheme::Learned)
            .map(|r| &r.model);
        let (learned_rows, d_model) = learned.map_or((Vec::new(), 0), |m| {
            let t = &m.pos.table.value;
            let rows = (0..4 * L)
                .flat_map(|p| {
                    let r = p.min(t.nrows().saturating_sub(1));
                    (0..t.ncols()).filter_map(move |c| t.get((r, c)).copied())
                })
                .collect();
            (rows, t.ncols())
        });
        Progress {
            step: self.exp.step,
            steps: self.exp.cfg.steps,
            lengths: self.exp.lengths(),
            losses: self
                .exp
                .runs
                .iter()
                .map(|r| {
                    r.losses
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| (i + 1) % LOSS_EVERY == 0 || i + 1 == r.losses.len())
                        .map(|(i, l)| ((i + 1) as f64, *l))
                        .collect()
                })
                .collect(),
            accuracy: self.accuracy.clone(),
            by_position: self.by_position.clone(),
            learned_rows,
            d_model,
            done: self.done(),
        }
    }
}

impl Job for Session {
    type View = Progress;

    fn work(&mut self) -> Result<bool, String> {
        if !self.exp.finished() {
            self.exp.part().map_err(|e| e.to_string())?;
            return Ok(false);
        }
        if !self.done() {
            self.evaluate()?;
        }
        Ok(self.done())
    }

    fn finished(&self) -> bool {
        self.done()
    }

    /// Training steps: the rate is steps per second of all five models.
    fn units(&self) -> usize {
        self.exp.step
    }

    fn view(&self) -> Progress {
        self.progress()
    }

    /// A step or an evaluation changes what the page shows.
    fn revision(&self) -> usize {
        self.exp.step + self.evals
    }

    fn publish_ms(&self) -> f64 {
        PUBLISH_MS
    }
}

fn series(s: Scheme, points: Vec<(f64, f64)>) -> Series {
    Series::new(
        s.name(),
        points,
        color(s),
        matches!(s, Scheme::Learned | Scheme::Rope),
    )
}

/// Held-out accuracy against test length, one line per scheme.
pub fn accuracy_chart(p: &Progress) -> CurveChart {
    CurveChart {
        title: format!("Accuracy by length (trained on lengths ≤ {L})"),
        x_label: "sequence length".into(),
        y_label: "held-out accuracy".into(),
        y_range: (0.0, 1.0),
        series: Scheme::ALL
            .iter()
            .zip(&p.accuracy)
            .map(|(&s, acc)| {
                let pts = p
                    .lengths
                    .iter()
                    .zip(acc)
                    .filter_map(|(&n, a)| a.map(|a| (n as f64, a)))
                    .collect();
                series(s, pts)
            })
            .collect(),
        x_max: (4 * L) as f64,
    }
}

/// Training loss of each model.
pub fn loss_chart(p: &Progress) -> CurveChart {
    let hi = p
        .losses
        .iter()
        .flatten()
        .map(|x| x.1)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    CurveChart {
        title: "Training loss".into(),
        x_label: "step".into(),
        y_label: "cross-entropy".into(),
        y_range: (0.0, hi.max(0.1) * 1.05),
        series: Scheme::ALL
            .iter()
            .zip(&p.losses)
            .map(|(&s, l)| series(s, l.clone()))
            .collect(),
        x_max: p.steps as f64,
    }
}

/// Accuracy at each position of 4 L sequences for the given schemes.
pub fn by_position_chart(p: &Progress, schemes: &[Scheme]) -> CurveChart {
    let mut out = Vec::new();
    for (&s, bp) in Scheme::ALL.iter().zip(&p.by_position) {
        if !schemes.contains(&s) {
            continue;
        }
        let pts = bp
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, a)| a.map(|a| (i as f64, a)))
            .collect();
        out.push(series(s, pts));
    }
    let edge = L as f64 - 0.5;
    out.push(Series::new(
        format!("L = {L}"),
        vec![(edge, 0.0), (edge, 1.0)],
        (0x99, 0x99, 0x99),
        false,
    ));
    CurveChart {
        title: format!("Accuracy at each position of length-{} sequences", 4 * L),
        x_label: "position".into(),
        y_label: "accuracy".into(),
        y_range: (0.0, 1.0),
        series: out,
        x_max: (4 * L - 1) as f64,
    }
}

/// The learned model's position vectors as used, positions 0..4L.
pub fn learned_image(p: &Progress) -> MatrixImage {
    let rows = p.learned_rows.len().checked_div(p.d_model).unwrap_or(0);
    let abs_max = p
        .learned_rows
        .iter()
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(1e-9);
    let when = if p.step == 0 {
        "untrained".to_string()
    } else {
        format!("after {} steps", p.step)
    };
    MatrixImage {
        title: format!(
            "Learned position vectors, {when}; rows from {L} on repeat row {}",
            L - 1
        ),
        rows,
        cols: p.d_model,
        values: p.learned_rows.clone(),
        scale: ColorScale::Diverging { abs_max },
        row_label: "position".into(),
        col_label: "dimension".into(),
    }
}

/// One line for the page.
pub fn summary(p: &Progress) -> String {
    if p.step < p.steps {
        return format!("Training: step {} of {}.", p.step, p.steps);
    }
    if !p.done {
        let measured = p.accuracy.iter().flatten().filter(|a| a.is_some()).count();
        return format!(
            "Trained. Measuring held-out accuracy: {measured} of {} lengths × models.",
            p.lengths.len() * p.accuracy.len()
        );
    }
    let best_at_4l = Scheme::ALL
        .iter()
        .zip(&p.accuracy)
        .filter_map(|(s, a)| a.last().copied().flatten().map(|v| (s, v)))
        .fold(None::<(&Scheme, f64)>, |b, x| match b {
            Some(b) if b.1 >= x.1 => Some(b),
            _ => Some(x),
        });
    match best_at_4l {
        Some((s, v)) => format!(
            "Done. Best at length {}: {} with {:.1}% correct.",
            4 * L,
            s.name(),
            v * 100.0
        ),
        None => "Done.".into(),
    }
}

/// What this run measured, in words: each scheme's accuracy at L and at
/// 4 L, best first at 4 L. Empty until every model is measured.
pub fn reading(p: &Progress) -> String {
    if !p.done {
        return String::new();
    }
    let mut rows: Vec<(Scheme, f64, f64)> = Scheme::ALL
        .iter()
        .zip(&p.accuracy)
        .filter_map(|(&s, a)| Some((s, a.first().copied()??, a.last().copied()??)))
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2));
    let parts: Vec<String> = rows
        .iter()
        .map(|(s, at_l, at_4l)| {
            format!("{} {:.1}% → {:.1}%", s.name(), at_l * 100.0, at_4l * 100.0)
        })
        .collect();
    format!(
        "This run, accuracy at length {L} → length {}: {}.",
        4 * L,
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(k: usize, steps: usize) -> ExpConfig {
        ExpConfig { k, steps, seed: 1 }
    }

    #[test]
    fn as_a_job_every_step_and_evaluation_is_a_new_view() {
        let mut s = Session::new(&cfg(2, 2)).unwrap();
        assert_eq!((s.units(), s.revision()), (0, 0));
        assert_eq!(s.publish_ms(), PUBLISH_MS);
        let mut revisions = vec![s.revision()];
        while !s.work().unwrap() {
            revisions.push(s.revision());
            assert!(!s.finished());
        }
        revisions.push(s.revision());
        assert!(s.finished());
        // Every step and every evaluation shows something new (the rate
        // counts training steps only); a unit is a part of one of them:
        // 2 steps x 5 models x (2 x 16 sequences + 1), then 5 models x 8
        // evaluations x 32 sequences.
        assert!(revisions.windows(2).all(|w| w[0] <= w[1]), "{revisions:?}");
        let mut changes: Vec<usize> = revisions.clone();
        changes.dedup();
        assert_eq!(changes, (0..=2 + 5 * 8).collect::<Vec<_>>());
        assert_eq!(
            revisions.len(),
            2 * 5 * (2 * 16 + 1) + 5 * 8 * TEST_SEQS + 1
        );
        assert_eq!(s.units(), 2);
        assert_eq!(s.revision(), 2 + 5 * 8);
        let v = s.view();
        assert_eq!(v, s.progress());
        assert!(v.done && v.step == 2 && v.steps == 2);
        // A finished job does no more work.
        assert!(s.work().unwrap());
        assert_eq!(s.revision(), 2 + 5 * 8);
    }

    #[test]
    fn a_short_run_trains_then_measures_everything() {
        let mut s = Session::new(&cfg(2, 3)).unwrap();
        let mut units = 0;
        while !s.work().unwrap() {
            units += 1;
            assert!(units < 10_000);
        }
        // 3 steps of 5 models in parts, then 5 models x (7 lengths + 1
        // by-position test) a sequence at a time.
        assert_eq!(units + 1, 3 * 5 * (2 * 16 + 1) + 5 * 8 * TEST_SEQS);
        let p = s.progress();
        assert!(p.done && p.step == 3);
        assert_eq!(p.lengths, vec![16, 24, 32, 40, 48, 56, 64]);
        assert!(p
            .accuracy
            .iter()
            .flatten()
            .all(|a| a.is_some_and(|v| (0.0..=1.0).contains(&v))));
        let bp = p.by_position[1].as_ref().unwrap();
        assert_eq!(bp.len(), 64);
        assert!(bp[0].is_none() && bp[2].is_some(), "k = 2");
        assert_eq!(p.losses[0].len(), 1, "one sample: the last step");
        // The learned table as used: 64 rows, rows past L repeat row L - 1.
        assert_eq!((p.learned_rows.len(), p.d_model), (64 * 32, 32));
        assert_eq!(
            p.learned_rows[15 * 32..16 * 32],
            p.learned_rows[63 * 32..64 * 32]
        );
        assert_ne!(
            p.learned_rows[14 * 32..15 * 32],
            p.learned_rows[15 * 32..16 * 32]
        );
        let img = learned_image(&p);
        assert_eq!((img.rows, img.cols), (64, 32));
        assert_eq!(accuracy_chart(&p).series.len(), 5);
        assert_eq!(accuracy_chart(&p).series[3].points.len(), 7);
        assert_eq!(
            by_position_chart(&p, &[Scheme::Learned, Scheme::Rope])
                .series
                .len(),
            3
        );
        assert!(summary(&p).starts_with("Done. Best at length 64"));
        let r = reading(&p);
        assert!(
            r.starts_with("This run, accuracy at length 16 → length 64: "),
            "{r}"
        );
        for s in Scheme::ALL {
            assert!(r.contains(s.name()), "{r}");
        }
        assert!(Session::new(&cfg(0, 3)).is_err());
    }

    #[test]
    fn progress_before_training_has_no_measurements() {
        let s = Session::new(&cfg(3, 600)).unwrap();
        let p = s.progress();
        assert!(!p.done && p.step == 0);
        assert!(p.accuracy.iter().flatten().all(Option::is_none));
        assert!(accuracy_chart(&p)
            .series
            .iter()
            .all(|s| s.points.is_empty()));
        assert_eq!(summary(&p), "Training: step 0 of 600.");
        assert_eq!(reading(&p), "");
        assert!(learned_image(&p).title.contains("untrained"));
    }

    #[test]
    fn evaluations_a_sequence_at_a_time_give_the_models_accuracy() {
        let mut s = Session::new(&cfg(3, 2)).unwrap();
        while !s.done() {
            s.work().unwrap();
        }
        let lengths = s.exp.lengths();
        for (r, run) in s.exp.runs.iter().enumerate() {
            for (li, &len) in lengths.iter().enumerate() {
                let set = s.exp.test_set(len, TEST_SEQS);
                assert_eq!(s.accuracy[r][li], Some(run.model.accuracy(&set).unwrap()));
            }
            let set = s.exp.test_set(4 * L, TEST_SEQS);
            assert_eq!(
                s.by_position[r],
                Some(run.model.accuracy_by_position(&set).unwrap())
            );
        }
    }
}
