//! The timing run of section 2: the engine's own attention functions timed
//! in the page for n = 32, 64, … up to the chosen maximum, each point
//! repeated and summarised by its median, as a [`crate::training::Job`].
//!
//! One unit of work is either one whole call (repeated until at least
//! [`MIN_BATCH_MS`] have passed, for calls too short to time alone) or, for
//! dense and tiled attention at n > [`BATCH_MAX_N`], one slice of a call
//! ([`DenseRun::step`] / [`TiledRun::step`]), so that no frame waits for a
//! whole n = 4096 product. A repeat that runs past the cap is abandoned and
//! its variant stops there, with a note.
//!
//! The clock is a parameter (`performance.now()` in the page, a monotonic
//! clock in native tests).

use super::model::trimmed;
use crate::charts::cost::{LogLogChart, BLUE, GREEN, ORANGE, VERMILLION};
use crate::charts::plots::Series;
pub use crate::widgets::measure::{fit_slope, mean_call_ms, median};
use attention_core::efficient::{linear_attention, DenseRun, TiledRun};
use attention_core::sparse::{sparse_attention, Pattern};
use attention_core::{Mat, Rng};

/// Width of the timed head's queries, keys and values.
pub const D: usize = 32;
/// The smallest timed length.
pub const MIN_N: usize = 32;
/// Block size of the tiled variant.
pub const TILE: usize = 64;
/// Width of the sliding window.
pub const WINDOW: usize = 65;
/// Up to this n, dense and tiled calls are timed whole (in one unit).
pub const BATCH_MAX_N: usize = 512;
/// A call shorter than this is repeated within its unit and averaged.
pub const MIN_BATCH_MS: f64 = 3.0;

/// What is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Dense,
    Tiled,
    Linear,
    Window,
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::Dense,
        Variant::Tiled,
        Variant::Linear,
        Variant::Window,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Variant::Dense => "dense",
            Variant::Tiled => "tiled (B = 64)",
            Variant::Linear => "linear",
            Variant::Window => "window (w = 65)",
        }
    }
    /// A short word for test ids.
    pub fn key(self) -> &'static str {
        match self {
            Variant::Dense => "dense",
            Variant::Tiled => "tiled",
            Variant::Linear => "linear",
            Variant::Window => "window",
        }
    }
    fn style(self) -> (crate::charts::colormap::Rgb, bool) {
        match self {
            Variant::Dense => (VERMILLION, false),
            Variant::Tiled => (BLUE, true),
            Variant::Linear => (GREEN, false),
            Variant::Window => (ORANGE, true),
        }
    }
}

/// What a run measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimingConfig {
    pub max_n: usize,
    pub reps: usize,
    pub cap_ms: f64,
    pub seed: u64,
}

/// The lengths timed: 32, 64, … up to `max_n`.
pub fn lengths(max_n: usize) -> Vec<usize> {
    std::iter::successors(Some(MIN_N), |n| n.checked_mul(2))
        .take_while(|n| *n <= max_n.max(MIN_N))
        .collect()
}

/// One measured point: every repeat and their median.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub variant: Variant,
    pub n: usize,
    pub times_ms: Vec<f64>,
    pub median_ms: f64,
}

/// A variant that stopped at the cap.
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    pub variant: Variant,
    pub n: usize,
    /// Time spent on the abandoned repeat.
    pub spent_ms: f64,
}

/// What the page shows of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct TimingView {
    pub config: TimingConfig,
    pub points: Vec<Point>,
    pub stops: Vec<Stop>,
    /// Repeats finished (or skipped) and their total.
    pub done_reps: usize,
    pub total_reps: usize,
    /// What is being timed now.
    pub now: Option<(Variant, usize)>,
    pub finished: bool,
}

/// A call in progress, timed a slice at a time.
enum Active {
    Dense(Box<DenseRun>),
    Tiled(Box<TiledRun>),
}

/// The timing run.
pub struct Timing {
    cfg: TimingConfig,
    clock: fn() -> f64,
    lengths: Vec<usize>,
    /// Next task: (length index, variant index, repeat).
    at: (usize, usize, usize),
    inputs: Option<(usize, Mat, Mat, Mat)>,
    active: Option<(Active, f64)>,
    times: Vec<f64>,
    points: Vec<Point>,
    stops: Vec<Stop>,
    done_reps: usize,
    units: usize,
}

impl Timing {
    pub fn new(cfg: TimingConfig, clock: fn() -> f64) -> Result<Self, String> {
        if cfg.reps == 0 || cfg.cap_ms.is_nan() || cfg.cap_ms <= 0.0 {
            return Err("A timing run needs at least one repeat and a positive cap.".into());
        }
        Ok(Timing {
            lengths: lengths(cfg.max_n),
            cfg,
            clock,
            at: (0, 0, 0),
            inputs: None,
            active: None,
            times: Vec::new(),
            points: Vec::new(),
            stops: Vec::new(),
            done_reps: 0,
            units: 0,
        })
    }

    fn total_reps(&self) -> usize {
        self.lengths.len() * Variant::ALL.len() * self.cfg.reps
    }

    fn task(&self) -> Option<(Variant, usize)> {
        let (li, vi, _) = self.at;
        Some((*Variant::ALL.get(vi)?, *self.lengths.get(li)?))
    }

    fn stopped(&self, v: Variant) -> bool {
        self.stops.iter().any(|s| s.variant == v)
    }

    /// Moves past the current repeat; a finished set of repeats becomes a
    /// point.
    fn advance(&mut self, time: Option<f64>) {
        let Some((variant, n)) = self.task() else {
            return;
        };
        self.done_reps += 1;
        if let Some(t) = time {
            self.times.push(t);
        }
        let (li, vi, rep) = self.at;
        if rep + 1 < self.cfg.reps && time.is_some() {
            self.at = (li, vi, rep + 1);
            return;
        }
        let times = std::mem::take(&mut self.times);
        // A stopped repeat discards the point: it has no full set.
        if time.is_some() && !times.is_empty() {
            self.points.push(Point {
                variant,
                n,
                median_ms: median(&times),
                times_ms: times,
            });
        }
        // Skipped repeats of a stopped variant still count as done.
        if time.is_none() {
            self.done_reps += self.cfg.reps.saturating_sub(rep + 1);
        }
        self.at = if vi + 1 < Variant::ALL.len() {
            (li, vi + 1, 0)
        } else {
            (li + 1, 0, 0)
        };
    }

    /// The inputs for length `n` (made once per length, seeded).
    fn inputs(&mut self, n: usize) -> (Mat, Mat, Mat) {
        match &self.inputs {
            Some((m, q, k, v)) if *m == n => (q.clone(), k.clone(), v.clone()),
            _ => {
                let mut r = Rng::new(self.cfg.seed ^ ((n as u64) << 20));
                let (q, k, v) = (
                    r.normal_matrix(n, D, 1.0),
                    r.normal_matrix(n, D, 1.0),
                    r.normal_matrix(n, D, 1.0),
                );
                self.inputs = Some((n, q.clone(), k.clone(), v.clone()));
                (q, k, v)
            }
        }
    }

    /// Times whole calls of `variant` at `n`, repeated until
    /// [`MIN_BATCH_MS`] have passed; the mean time of one call.
    fn batch(&mut self, variant: Variant, n: usize) -> Result<f64, String> {
        let (q, k, v) = self.inputs(n);
        let window = Pattern::Window { w: WINDOW };
        let scale = 1.0 / (D as f64).sqrt();
        let call = || -> Result<(), String> {
            match variant {
                Variant::Dense => DenseRun::new(&q, &k, &v, false, true)
                    .and_then(DenseRun::run)
                    .map(|_| ()),
                Variant::Tiled => TiledRun::new(&q, &k, &v, false, true, TILE)
                    .and_then(TiledRun::run)
                    .map(|_| ()),
                Variant::Linear => linear_attention(&q, &k, &v, false).map(|_| ()),
                Variant::Window => sparse_attention(&q, &k, &v, &window, scale).map(|_| ()),
            }
            .map_err(|e| e.to_string())
        };
        mean_call_ms(self.clock, MIN_BATCH_MS, call)
    }

    /// Rows of dense attention per slice at length `n`.
    fn dense_rows(n: usize) -> usize {
        ((1 << 18) / n.max(1)).max(1)
    }

    /// One unit of work; `Ok(true)` when everything is done.
    pub fn step(&mut self) -> Result<bool, String> {
        self.units += 1;
        let Some((variant, n)) = self.task() else {
            return Ok(true);
        };
        if self.active.is_none() && self.stopped(variant) {
            self.advance(None);
            return Ok(self.finished());
        }
        let sliced = matches!(variant, Variant::Dense | Variant::Tiled) && n > BATCH_MAX_N;
        if !sliced {
            let t = self.batch(variant, n)?;
            self.check_cap(variant, n, t);
            return Ok(self.finished());
        }
        let t0 = (self.clock)();
        let (mut active, spent) = match self.active.take() {
            Some(a) => a,
            None => {
                let (q, k, v) = self.inputs(n);
                let a = match variant {
                    Variant::Tiled => Active::Tiled(Box::new(
                        TiledRun::new(&q, &k, &v, false, true, TILE).map_err(|e| e.to_string())?,
                    )),
                    _ => Active::Dense(Box::new(
                        DenseRun::new(&q, &k, &v, false, true).map_err(|e| e.to_string())?,
                    )),
                };
                (a, 0.0)
            }
        };
        let done = match &mut active {
            Active::Dense(r) => r.step(Self::dense_rows(n)),
            Active::Tiled(r) => r.step(),
        }
        .map_err(|e| e.to_string())?;
        let spent = spent + ((self.clock)() - t0);
        if done {
            self.check_cap(variant, n, spent);
        } else if spent > self.cfg.cap_ms {
            self.stops.push(Stop {
                variant,
                n,
                spent_ms: spent,
            });
            self.advance(None);
        } else {
            self.active = Some((active, spent));
        }
        Ok(self.finished())
    }

    /// Records a finished repeat; past the cap, its variant stops here.
    fn check_cap(&mut self, variant: Variant, n: usize, t: f64) {
        if t > self.cfg.cap_ms {
            self.stops.push(Stop {
                variant,
                n,
                spent_ms: t,
            });
            self.advance(None);
        } else {
            self.advance(Some(t));
        }
    }

    pub fn finished(&self) -> bool {
        self.task().is_none()
    }

    pub fn view(&self) -> TimingView {
        TimingView {
            config: self.cfg,
            points: self.points.clone(),
            stops: self.stops.clone(),
            done_reps: self.done_reps,
            total_reps: self.total_reps(),
            now: self.task(),
            finished: self.finished(),
        }
    }
}

impl crate::training::Job for Timing {
    type View = TimingView;

    fn work(&mut self) -> Result<bool, String> {
        self.step()
    }

    fn finished(&self) -> bool {
        Timing::finished(self)
    }

    fn units(&self) -> usize {
        self.units
    }

    fn view(&self) -> TimingView {
        Timing::view(self)
    }

    /// The page changes when a repeat finishes.
    fn revision(&self) -> usize {
        self.done_reps + self.stops.len()
    }

    fn publish_ms(&self) -> f64 {
        150.0
    }
}

/// One variant's measured curve and its slope.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub variant: Variant,
    /// (n, median ms).
    pub points: Vec<(f64, f64)>,
    /// Fitted over the points with n of at least `fit_from`.
    pub slope: Option<f64>,
    pub fit_from: usize,
}

/// Points the slope is fitted over: n of at least an eighth of the
/// largest timed n (the largest four lengths), where fixed costs matter
/// least.
pub fn fit_from(max_n: usize) -> usize {
    (max_n / 8).max(MIN_N)
}

/// Each variant's curve.
pub fn curves(v: &TimingView) -> Vec<Curve> {
    let from = fit_from(v.config.max_n);
    Variant::ALL
        .iter()
        .map(|&variant| {
            let points: Vec<(f64, f64)> = v
                .points
                .iter()
                .filter(|p| p.variant == variant)
                .map(|p| (p.n as f64, p.median_ms))
                .collect();
            let fit: Vec<(f64, f64)> = points
                .iter()
                .copied()
                .filter(|p| p.0 >= from as f64)
                .collect();
            Curve {
                variant,
                slope: fit_slope(&fit),
                points,
                fit_from: from,
            }
        })
        .collect()
}

/// The chart of every curve, slopes written on it.
pub fn timing_chart(v: &TimingView) -> LogLogChart {
    let cs = curves(v);
    let times = cs.iter().flat_map(|c| c.points.iter().map(|p| p.1));
    let (lo, hi) = times.fold((f64::INFINITY, 0.0_f64), |(a, b), t| (a.min(t), b.max(t)));
    let (lo, hi) = if lo.is_finite() && hi > 0.0 {
        (lo / 2.0, hi * 2.0)
    } else {
        (0.01, 1000.0)
    };
    LogLogChart {
        title: format!(
            "Time of one head (d = {D}) against n, median of {}",
            v.config.reps
        ),
        x_label: "sequence length n (log scale)".into(),
        y_label: "milliseconds (log scale)".into(),
        x_range: (
            MIN_N as f64 / 1.2,
            v.config.max_n.max(MIN_N * 2) as f64 * 1.2,
        ),
        y_range: (lo.max(1e-4), hi.max(lo * 10.0)),
        series: cs
            .iter()
            .map(|c| {
                let (color, square) = c.variant.style();
                Series {
                    name: c.variant.label().into(),
                    points: c.points.clone(),
                    color,
                    square,
                }
            })
            .collect(),
        marks: Vec::new(),
        levels: Vec::new(),
        notes: cs
            .iter()
            .filter_map(|c| {
                c.slope
                    .map(|s| format!("{}: slope {}", c.variant.label(), trimmed(s, 2)))
            })
            .collect(),
        current: None,
    }
}

/// Time of `variant` at `n` in the view, if measured.
pub fn time_at(v: &TimingView, variant: Variant, n: usize) -> Option<f64> {
    v.points
        .iter()
        .find(|p| p.variant == variant && p.n == n)
        .map(|p| p.median_ms)
}

#[cfg(test)]
pub use crate::widgets::measure::test_clock;

#[cfg(test)]
mod tests {
    use super::test_clock as clock;
    use super::*;

    #[test]
    fn medians_and_slopes_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        let sq: Vec<(f64, f64)> = [32.0, 64.0, 128.0]
            .iter()
            .map(|n| (*n, n * n * 1e-3))
            .collect();
        assert!((fit_slope(&sq).unwrap() - 2.0).abs() < 1e-12);
        assert!(fit_slope(&sq[..1]).is_none());
        assert_eq!(lengths(256), vec![32, 64, 128, 256]);
        assert_eq!(lengths(4096).len(), 8);
        assert_eq!(fit_from(4096), 512);
    }

    #[test]
    fn a_run_measures_every_variant_and_fits_every_slope() {
        let cfg = TimingConfig {
            max_n: 1024,
            reps: 1,
            cap_ms: 60_000.0,
            seed: 1,
        };
        let mut t = Timing::new(cfg, clock).unwrap();
        let mut units = 0;
        while !t.step().unwrap() {
            units += 1;
            assert!(units < 100_000);
        }
        let v = t.view();
        assert!(v.finished && v.stops.is_empty());
        assert_eq!(v.points.len(), 6 * 4);
        assert_eq!(v.done_reps, v.total_reps);
        // n = 1024 was sliced: more units than points.
        assert!(units > v.points.len());
        // Every curve has a fitted slope; which is steeper is a measurement
        // (checked in the browser, reported, never a native test that could
        // flake on a busy machine).
        let cs = curves(&v);
        assert_eq!(cs.len(), 4);
        assert!(cs.iter().all(|c| c.slope.is_some_and(f64::is_finite)));
        let c = timing_chart(&v);
        assert_eq!(c.series.len(), 4);
        assert_eq!(c.notes.len(), 4);
        assert!(c.notes[0].starts_with("dense: slope "));
        assert!(time_at(&v, Variant::Linear, 1024).is_some());
    }

    #[test]
    fn the_cap_stops_a_variant_politely() {
        let cfg = TimingConfig {
            max_n: 2048,
            reps: 2,
            cap_ms: 0.5,
            seed: 1,
        };
        let mut t = Timing::new(cfg, clock).unwrap();
        while !t.step().unwrap() {}
        let v = t.view();
        assert!(v.stops.iter().any(|s| s.variant == Variant::Dense));
        for s in &v.stops {
            // Nothing of a stopped variant is measured past its stop.
            assert!(v.points.iter().all(|p| p.variant != s.variant || p.n < s.n));
            assert!(s.spent_ms > 0.5);
        }
        assert_eq!(v.done_reps, v.total_reps);
        assert!(Timing::new(TimingConfig { reps: 0, ..cfg }, clock).is_err());
    }
}
