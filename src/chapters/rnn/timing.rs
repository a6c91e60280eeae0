//! The forward-time measurement of section 2 as a [`crate::training::Job`]:
//! the engine's vanilla RNN (tanh), GRU and one self-attention layer of the
//! chapter's width, run forward on seeded random inputs of n = 16, 32, …
//! up to the chosen maximum, each point repeated and summarised by its
//! median. One unit of work is one timed point-repeat: a call, repeated
//! until [`MIN_BATCH_MS`] have passed when it is too short to time alone.
//! A variant whose one call takes longer than [`CAP_MS`] stops there.
//!
//! The clock is a parameter (`performance.now()` in the page, a monotonic
//! clock in native tests).

use super::model::{HEAD, UPDATE_BIAS, WIDTH};
use super::race::style;
use super::schedule::name;
use crate::charts::cost::LogLogChart;
use crate::charts::plots::Series;
use crate::widgets::measure::{fit_slope, mean_call_ms, median};
use attention_core::train::rnn::{Activation, BodyKind, GruCell, RecurrentInit, RnnCell};
use attention_core::train::{MhaConfig, Module, MultiHeadAttention};
use attention_core::{Mat, Rng};

/// The smallest timed length.
pub const MIN_N: usize = 16;
/// A call shorter than this is repeated within its unit and averaged.
pub const MIN_BATCH_MS: f64 = 3.0;
/// A variant stops once one call takes longer than this.
pub const CAP_MS: f64 = 2000.0;

/// What a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingConfig {
    pub max_n: usize,
    pub reps: usize,
    pub seed: u64,
}

/// One median.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub kind: BodyKind,
    pub n: usize,
    pub median_ms: f64,
}

/// What the page shows of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct TimingView {
    pub config: TimingConfig,
    pub points: Vec<Point>,
    /// Parameters of each layer (matched sizes).
    pub params: Vec<(BodyKind, usize)>,
    pub done: usize,
    pub total: usize,
    /// Variants that stopped at the cap, with the n.
    pub stops: Vec<(BodyKind, usize)>,
    pub finished: bool,
}

/// The three layers.
struct Layers {
    rnn: RnnCell,
    gru: GruCell,
    attn: MultiHeadAttention,
}

/// The timing run.
pub struct Timing {
    cfg: TimingConfig,
    clock: fn() -> f64,
    layers: Layers,
    lengths: Vec<usize>,
    /// (length index, variant index, repeat).
    at: (usize, usize, usize),
    input: Option<(usize, Mat)>,
    times: Vec<f64>,
    points: Vec<Point>,
    stops: Vec<(BodyKind, usize)>,
    done: usize,
}

/// The timed lengths: 16, 32, … up to `max_n`.
pub fn lengths(max_n: usize) -> Vec<usize> {
    std::iter::successors(Some(MIN_N), |n| n.checked_mul(2))
        .take_while(|&n| n <= max_n)
        .collect()
}

impl Timing {
    pub fn new(cfg: TimingConfig, clock: fn() -> f64) -> Result<Self, String> {
        let err = |e: attention_core::AttnError| e.to_string();
        if cfg.reps == 0 {
            return Err("at least one repeat per point is needed".into());
        }
        let mut rng = Rng::new(cfg.seed);
        let init = RecurrentInit::orthogonal(1.0);
        let layers = Layers {
            rnn: RnnCell::new(WIDTH, WIDTH, Activation::Tanh, init, &mut rng).map_err(err)?,
            gru: GruCell::new(WIDTH, WIDTH, init, UPDATE_BIAS, &mut rng).map_err(err)?,
            attn: MultiHeadAttention::new(MhaConfig::self_attention(WIDTH, 1, HEAD), &mut rng)
                .map_err(err)?,
        };
        Ok(Timing {
            cfg,
            clock,
            layers,
            lengths: lengths(cfg.max_n),
            at: (0, 0, 0),
            input: None,
            times: Vec::new(),
            points: Vec::new(),
            stops: Vec::new(),
            done: 0,
        })
    }

    fn total(&self) -> usize {
        self.lengths.len() * BodyKind::ALL.len() * self.cfg.reps
    }

    fn input(&mut self, n: usize) -> Mat {
        match &self.input {
            Some((m, x)) if *m == n => x.clone(),
            _ => {
                let x = Rng::new(self.cfg.seed ^ ((n as u64) << 20)).normal_matrix(n, WIDTH, 1.0);
                self.input = Some((n, x.clone()));
                x
            }
        }
    }

    /// The mean time of one forward call of `kind` at `n`.
    fn time(&mut self, kind: BodyKind, n: usize) -> Result<f64, String> {
        let x = self.input(n);
        let l = &self.layers;
        let call = || -> Result<(), String> {
            match kind {
                BodyKind::Rnn => l.rnn.forward(&x).map(|_| ()),
                BodyKind::Gru => l.gru.forward(&x).map(|_| ()),
                BodyKind::Attention => l.attn.forward_self(&x).map(|_| ()),
            }
            .map_err(|e| e.to_string())
        };
        mean_call_ms(self.clock, MIN_BATCH_MS, call)
    }
}

impl crate::training::Job for Timing {
    type View = TimingView;

    fn work(&mut self) -> Result<bool, String> {
        let (li, vi, rep) = self.at;
        let (Some(&n), Some(&kind)) = (self.lengths.get(li), BodyKind::ALL.get(vi)) else {
            return Ok(true);
        };
        let next_variant = if vi + 1 < BodyKind::ALL.len() {
            (li, vi + 1, 0)
        } else {
            (li + 1, 0, 0)
        };
        if self.stops.iter().any(|(k, _)| *k == kind) {
            self.done += self.cfg.reps;
            self.at = next_variant;
            return Ok(self.finished());
        }
        let t = self.time(kind, n)?;
        self.done += 1;
        self.times.push(t);
        if t > CAP_MS {
            self.stops.push((kind, n));
        }
        if rep + 1 < self.cfg.reps && t <= CAP_MS {
            self.at = (li, vi, rep + 1);
        } else {
            self.done += self.cfg.reps.saturating_sub(rep + 1);
            let times = std::mem::take(&mut self.times);
            self.points.push(Point {
                kind,
                n,
                median_ms: median(&times),
            });
            self.at = next_variant;
        }
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.at.0 >= self.lengths.len()
    }

    fn units(&self) -> usize {
        self.done
    }

    fn view(&self) -> TimingView {
        let l = &self.layers;
        TimingView {
            config: self.cfg,
            points: self.points.clone(),
            params: vec![
                (BodyKind::Rnn, l.rnn.num_params()),
                (BodyKind::Gru, l.gru.num_params()),
                (BodyKind::Attention, l.attn.num_params()),
            ],
            done: self.done,
            total: self.total(),
            stops: self.stops.clone(),
            finished: self.finished(),
        }
    }

    fn publish_ms(&self) -> f64 {
        150.0
    }
}

/// The median of `kind` at `n`, if measured.
pub fn time_at(v: &TimingView, kind: BodyKind, n: usize) -> Option<f64> {
    v.points
        .iter()
        .find(|p| p.kind == kind && p.n == n)
        .map(|p| p.median_ms)
}

/// The slope of log time against log n over the largest lengths (n ≥ 128,
/// where fixed costs matter less), if two points are there.
pub fn slope(v: &TimingView, kind: BodyKind) -> Option<f64> {
    let pts: Vec<(f64, f64)> = v
        .points
        .iter()
        .filter(|p| p.kind == kind && p.n >= 128)
        .map(|p| (p.n as f64, p.median_ms))
        .collect();
    fit_slope(&pts)
}

/// Measured time against n on log-log axes, the slopes written on it.
pub fn timing_chart(v: &TimingView) -> LogLogChart {
    let series: Vec<Series> = BodyKind::ALL
        .iter()
        .map(|&k| {
            let (color, square) = style(k);
            let pts = v
                .points
                .iter()
                .filter(|p| p.kind == k)
                .map(|p| (p.n as f64, p.median_ms))
                .collect();
            Series::new(name(k), pts, color, square)
        })
        .collect();
    let ts = || v.points.iter().map(|p| p.median_ms).filter(|t| *t > 0.0);
    let hi = ts().fold(0.01, f64::max);
    let lo = ts().fold(hi, f64::min);
    let notes = BodyKind::ALL
        .iter()
        .filter_map(|&k| {
            slope(v, k).map(|s| format!("{}: slope {}", name(k), super::model::trimmed(s, 2)))
        })
        .collect();
    LogLogChart {
        title: "Forward time of one layer, measured in this page".into(),
        x_label: "sequence length n (log scale)".into(),
        y_label: "milliseconds (log scale)".into(),
        x_range: (MIN_N as f64 / 1.3, v.config.max_n as f64 * 1.3),
        y_range: (lo / 2.0, hi * 4.0),
        series,
        marks: Vec::new(),
        levels: Vec::new(),
        notes,
        current: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Job;
    use crate::widgets::measure::test_clock as clock;

    #[test]
    fn a_run_times_every_layer_at_every_length() {
        let cfg = TimingConfig {
            max_n: 256,
            reps: 3,
            seed: 1,
        };
        let mut job = Timing::new(cfg, clock).expect("builds");
        let v0 = job.view();
        assert_eq!((v0.done, v0.total), (0, 5 * 3 * 3));
        // The sizes are matched: 2080 and 2128 parameters, the GRU 6240.
        assert_eq!(
            v0.params.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![2080, 6240, 2128]
        );
        let mut units = 0;
        while !job.work().expect("works") {
            units += 1;
            assert!(units < 1000);
        }
        let v = job.view();
        assert!(v.finished);
        assert_eq!(v.done, v.total);
        assert_eq!(v.points.len(), 5 * 3);
        assert!(v.points.iter().all(|p| p.median_ms > 0.0));
        assert_eq!(lengths(256), vec![16, 32, 64, 128, 256]);
        assert!(time_at(&v, BodyKind::Attention, 256).is_some());
        // How much slower attention is than the RNN is a measurement (the
        // page and the benchmark report it), not something a test on a
        // busy machine may assert: only that every point was timed.
        assert!(time_at(&v, BodyKind::Rnn, 256).is_some_and(|ms| ms > 0.0));
        assert!(slope(&v, BodyKind::Attention).is_some_and(f64::is_finite));
        let c = timing_chart(&v);
        assert_eq!(c.series.len(), 3);
        assert_eq!(c.notes.len(), 3);
        assert!(Timing::new(TimingConfig { reps: 0, ..cfg }, clock).is_err());
    }
}
