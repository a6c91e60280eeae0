//! Section 3 of the cost chapter: sparse attention patterns. The view
//! model (the mask as an image, its nonzero count, reach after L layers by
//! composing the mask, the difference from full attention on the same
//! input; all from `attention_core::sparse`) and the [`PatternTiming`] job
//! that times every pattern at the chosen length.

use super::model::{grouped, grouped_usize, trimmed};
use super::state::{CostState, PatternKind};
use super::time_it::ms;
use super::timing::{mean_call_ms, median};
use crate::charts::heatmap::ColorScale;
use crate::charts::plots::{CurveChart, Series, SCALED};
use crate::charts::position::MatrixImage;
use crate::query::Choice;
use attention_core::sparse::{
    mask, nonzero_count, reach, sparse_attention, vs_full, Pattern, Reach,
};
use attention_core::{Mat, Rng};

/// Width of the queries, keys and values of the comparison.
pub const D: usize = 16;
/// Repeats per pattern in the timing.
pub const PATTERN_REPS: usize = 3;
/// A call shorter than this is repeated within its unit and averaged.
const MIN_BATCH_MS: f64 = 2.0;

/// The engine's pattern for `kind` with the state's settings at length `n`
/// (global tokens capped at `n`).
pub fn pattern(s: &CostState, kind: PatternKind, n: usize) -> Pattern {
    match kind {
        PatternKind::Full => Pattern::Full,
        PatternKind::Causal => Pattern::Causal,
        PatternKind::Window => Pattern::Window { w: s.window },
        PatternKind::Dilated => Pattern::Dilated {
            w: s.window,
            stride: s.stride,
        },
        PatternKind::LocalGlobal => Pattern::LocalGlobal {
            w: s.window,
            globals: s.globals.min(n),
        },
        PatternKind::RandomBlocks => Pattern::RandomBlocks {
            block: s.block,
            per_row: s.per_row,
            seed: s.seed,
        },
    }
}

/// Seeded random queries, keys and values, `n x D` each.
pub fn inputs(n: usize, seed: u64) -> (Mat, Mat, Mat) {
    let mut r = Rng::new(seed ^ 0x5A_0000);
    (
        r.normal_matrix(n, D, 1.0),
        r.normal_matrix(n, D, 1.0),
        r.normal_matrix(n, D, 1.0),
    )
}

/// Everything section 3 shows for the chosen pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseView {
    pub kind: PatternKind,
    pub pattern: Pattern,
    pub n: usize,
    pub nonzero: u128,
    pub fraction: f64,
    pub image: MatrixImage,
    pub reach: Reach,
    pub reach_chart: CurveChart,
    /// Largest and mean (over queries) max abs difference from full
    /// attention.
    pub max_diff: f64,
    pub mean_row_diff: f64,
    /// For window-like patterns: about how many layers connect the ends.
    pub layers_estimate: Option<usize>,
}

/// Section 3 for the state.
pub fn sparse_view(s: &CostState) -> Result<SparseView, String> {
    let n = s.sparse_n;
    let kind = s.pattern;
    let p = pattern(s, kind, n);
    let e = |e: attention_core::AttnError| e.to_string();
    let m = mask(&p, n).map_err(e)?;
    let nonzero = nonzero_count(&p, n).map_err(e)?;
    let mut values = Vec::with_capacity(n * n);
    for i in 0..n {
        values.extend((0..n).map(|j| if m.allows(i, j) { 1.0 } else { 0.0 }));
    }
    let r = reach(&p, n, s.reach_layers).map_err(e)?;
    let (q, k, v) = inputs(n, s.seed);
    let diff = vs_full(&q, &k, &v, &p, 1.0 / (D as f64).sqrt()).map_err(e)?;
    let mean_row_diff =
        diff.row_max_abs_diff.iter().sum::<f64>() / diff.row_max_abs_diff.len().max(1) as f64;
    let half = s.window / 2;
    let layers_estimate =
        matches!(kind, PatternKind::Window).then(|| (n.saturating_sub(1)).div_ceil(half.max(1)));
    let reach_chart = CurveChart {
        title: format!("Pairs connected after L layers, {}", p.label()),
        x_label: "layers L".into(),
        y_label: "share of all n² pairs".into(),
        y_range: (0.0, 1.05),
        series: vec![Series {
            name: "connected pairs".into(),
            points: r
                .per_layer
                .iter()
                .map(|l| (l.layers as f64, l.fraction))
                .collect(),
            color: SCALED,
            square: false,
        }],
        x_max: r.per_layer.len().max(2) as f64,
    };
    Ok(SparseView {
        kind,
        image: MatrixImage {
            title: format!("{}: who may look at whom", kind.label()),
            rows: n,
            cols: n,
            values,
            scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
            row_label: "query i".into(),
            col_label: "key j (bright: allowed)".into(),
        },
        pattern: p,
        n,
        nonzero,
        fraction: nonzero as f64 / (n as f64 * n as f64),
        reach: r,
        reach_chart,
        max_diff: diff.max_abs_diff,
        mean_row_diff,
        layers_estimate,
    })
}

/// A sentence on how far information travels.
pub fn reach_text(v: &SparseView) -> String {
    let r = &v.reach;
    let layers = r.per_layer.len();
    let ends = match r.ends_connected_at {
        Some(l) => format!(
            "The first and the last position are connected after {l} layer{}.",
            if l == 1 { "" } else { "s" }
        ),
        None => format!(
            "After {layers} layers the first and the last position are still not connected."
        ),
    };
    let all = match (r.all_pairs_at, v.pattern.is_causal()) {
        (_, true) => " With a causal mask no position ever sees a later one, so at most half the pairs can be connected.".to_string(),
        (Some(l), _) => format!(" Every pair is connected after {l} layers."),
        (None, _) => format!(
            " After {layers} layers {}% of all pairs are connected.",
            trimmed(r.per_layer.last().map_or(0.0, |l| l.fraction) * 100.0, 1)
        ),
    };
    let estimate = v.layers_estimate.map_or(String::new(), |l| {
        format!(
            " A window reaches w / 2 positions further per layer, so about (n − 1) / (w / 2) = {} layers are needed.",
            grouped_usize(l)
        )
    });
    format!("{ends}{all}{estimate}")
}

/// One pattern's measured time.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternTime {
    pub kind: PatternKind,
    pub label: String,
    pub nonzero: u128,
    pub fraction: f64,
    pub median_ms: f64,
}

/// The timing of every pattern at one length (the job's view).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PatternTimes {
    pub n: usize,
    pub done: Vec<PatternTime>,
    pub total: usize,
}

/// What the pattern timing is built from.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternConfig {
    pub n: usize,
    pub patterns: Vec<(PatternKind, Pattern)>,
    pub seed: u64,
}

impl PatternConfig {
    pub fn of(s: &CostState) -> Self {
        let n = s.sparse_n;
        PatternConfig {
            n,
            patterns: PatternKind::ALL
                .iter()
                .map(|k| (*k, pattern(s, *k, n)))
                .collect(),
            seed: s.seed,
        }
    }
}

/// Times `sparse_attention` with every pattern at one length: a unit is
/// one repeat of one pattern.
pub struct PatternTiming {
    cfg: PatternConfig,
    clock: fn() -> f64,
    q: Mat,
    k: Mat,
    v: Mat,
    next: usize,
    times: Vec<f64>,
    view: PatternTimes,
    units: usize,
}

impl PatternTiming {
    pub fn new(cfg: PatternConfig, clock: fn() -> f64) -> Result<Self, String> {
        for (_, p) in &cfg.patterns {
            p.validate(cfg.n).map_err(|e| e.to_string())?;
        }
        let (q, k, v) = inputs(cfg.n, cfg.seed);
        Ok(PatternTiming {
            view: PatternTimes {
                n: cfg.n,
                done: Vec::new(),
                total: cfg.patterns.len(),
            },
            cfg,
            clock,
            q,
            k,
            v,
            next: 0,
            times: Vec::new(),
            units: 0,
        })
    }
}

impl crate::training::Job for PatternTiming {
    type View = PatternTimes;

    fn work(&mut self) -> Result<bool, String> {
        let Some((kind, p)) = self.cfg.patterns.get(self.next).cloned() else {
            return Ok(true);
        };
        self.units += 1;
        let scale = 1.0 / (D as f64).sqrt();
        let (q, k, v) = (&self.q, &self.k, &self.v);
        let mut scores = 0;
        let t = mean_call_ms(self.clock, MIN_BATCH_MS, || {
            let r = sparse_attention(q, k, v, &p, scale).map_err(|e| e.to_string())?;
            scores = r.scores_computed;
            Ok(())
        })?;
        self.times.push(t);
        if self.times.len() >= PATTERN_REPS {
            let n = self.cfg.n as f64;
            self.view.done.push(PatternTime {
                kind,
                label: p.label(),
                nonzero: scores,
                fraction: scores as f64 / (n * n),
                median_ms: median(&std::mem::take(&mut self.times)),
            });
            self.next += 1;
        }
        Ok(self.next >= self.cfg.patterns.len())
    }

    fn finished(&self) -> bool {
        self.next >= self.cfg.patterns.len()
    }

    fn units(&self) -> usize {
        self.units
    }

    fn view(&self) -> PatternTimes {
        self.view.clone()
    }

    fn revision(&self) -> usize {
        self.view.done.len()
    }
}

/// The pattern table: one row per pattern.
pub fn pattern_rows(t: &PatternTimes) -> Vec<(String, Vec<String>)> {
    t.done
        .iter()
        .map(|p| {
            (
                p.kind.label().to_string(),
                vec![
                    p.label.clone(),
                    grouped(p.nonzero),
                    format!("{}%", trimmed(p.fraction * 100.0, 2)),
                    ms(p.median_ms),
                ],
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::Job;

    fn state(kind: PatternKind) -> CostState {
        CostState {
            pattern: kind,
            sparse_n: 64,
            window: 9,
            reach_layers: 20,
            ..CostState::default()
        }
    }

    #[test]
    fn a_window_counts_by_hand_and_needs_about_n_over_half_w_layers() {
        let v = sparse_view(&state(PatternKind::Window)).unwrap();
        // r = 4: n (2r + 1) - r (r + 1) = 64 * 9 - 20.
        assert_eq!(v.nonzero, 556);
        assert_eq!(v.image.values.iter().filter(|x| **x == 1.0).count(), 556);
        assert_eq!(v.layers_estimate, Some(16));
        assert_eq!(v.reach.ends_connected_at, Some(16));
        assert!(v.max_diff > 0.0 && v.mean_row_diff <= v.max_diff);
        assert!(reach_text(&v).contains("after 16 layers"));
        assert_eq!(v.reach_chart.series[0].points.len(), 20);
    }

    #[test]
    fn full_attention_differs_from_itself_by_nothing() {
        let v = sparse_view(&state(PatternKind::Full)).unwrap();
        assert_eq!(v.nonzero, 64 * 64);
        assert_eq!(v.fraction, 1.0);
        assert_eq!(v.max_diff, 0.0);
        assert_eq!(v.reach.all_pairs_at, Some(1));
        let c = sparse_view(&state(PatternKind::Causal)).unwrap();
        assert_eq!(c.nonzero, 64 * 65 / 2);
        assert!(reach_text(&c).contains("causal"));
        // Global tokens beyond n are capped, not an error.
        let g = CostState {
            globals: 64,
            sparse_n: 16,
            ..state(PatternKind::LocalGlobal)
        };
        assert_eq!(sparse_view(&g).unwrap().fraction, 1.0);
    }

    #[test]
    fn the_timing_job_times_every_pattern() {
        let cfg = PatternConfig::of(&state(PatternKind::Window));
        let mut j = PatternTiming::new(cfg, crate::chapters::cost::timing::test_clock).unwrap();
        while !j.work().unwrap() {}
        let t = j.view();
        assert_eq!(t.done.len(), 6);
        assert!(t.done.iter().all(|p| p.median_ms > 0.0));
        assert_eq!(t.done[0].nonzero, 64 * 64);
        assert_eq!(pattern_rows(&t).len(), 6);
        assert_eq!(j.units(), 6 * PATTERN_REPS);
    }
}
