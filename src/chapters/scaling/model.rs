//! View model of the sqrt(d_k) chapter: engine experiments arranged for the
//! charts. Pure, tested natively; every number comes from
//! `attention_core::scaling`.

use super::state::{ScalingState, N_KEYS};
use crate::charts::plots::{Histogram, Series, SweepChart, SCALED, UNSCALED};
use attention_core::scaling::{
    sample_sweep, score_samples, single_query, summarize, SingleQuery, SweepPoint, SweepSamples,
};
use attention_core::variance;

/// The d_k values of the sweep charts: powers of two from 1 to 2048.
pub const SWEEP_D_KS: [usize; 12] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];
/// Random query rows averaged per d_k in the sweep.
pub const SWEEP_SAMPLES: usize = 48;
/// Side of the random Q and K whose n x n scores fill the histograms.
pub const HIST_N: usize = 64;
/// Bins per histogram.
pub const HIST_BINS: usize = 40;

/// Both histograms and the measured variances.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    pub raw: Histogram,
    pub scaled: Histogram,
    pub raw_variance: f64,
    pub scaled_variance: f64,
    pub samples: usize,
}

/// Raw and scaled scores of random unit-variance Q and K at `d_k`.
pub fn spread(d_k: usize, seed: u64) -> Result<Spread, String> {
    let raw = score_samples(d_k, HIST_N, seed).map_err(|e| e.to_string())?;
    let c = 1.0 / (d_k as f64).sqrt();
    let scaled: Vec<f64> = raw.iter().map(|x| x * c).collect();
    let (rv, sv) = (variance(&raw), variance(&scaled));
    let half_raw = 4.0 * (d_k as f64).sqrt();
    let hist = |values: &[f64], half: f64| {
        attention_core::scaling::histogram(values, HIST_BINS, -half, half)
    };
    Ok(Spread {
        raw: Histogram {
            title: format!("Raw q·k: variance {rv:.1} (theory {d_k})"),
            counts: hist(&raw, half_raw),
            lo: -half_raw,
            hi: half_raw,
            color: UNSCALED,
            x_label: "q·k".into(),
        },
        scaled: Histogram {
            title: format!("Scaled q·k/√d_k: variance {sv:.2} (theory 1)"),
            counts: hist(&scaled, 4.0),
            lo: -4.0,
            hi: 4.0,
            color: SCALED,
            x_label: "q·k / √d_k".into(),
        },
        raw_variance: rv,
        scaled_variance: sv,
        samples: raw.len(),
    })
}

/// One query over [`N_KEYS`] keys with the current settings.
pub fn one_query(s: &ScalingState) -> Result<SingleQuery, String> {
    single_query(s.d_k, N_KEYS, s.scale, s.temperature, s.seed).map_err(|e| e.to_string())
}

/// The seed-dependent draws behind the sweep charts.
pub fn sweep_samples(seed: u64) -> Result<SweepSamples, String> {
    sample_sweep(&SWEEP_D_KS, N_KEYS, SWEEP_SAMPLES, seed).map_err(|e| e.to_string())
}

/// Averages at a temperature.
pub fn sweep_points(samples: &SweepSamples, temperature: f64) -> Result<Vec<SweepPoint>, String> {
    summarize(samples, temperature).map_err(|e| e.to_string())
}

/// Which figure a sweep chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Entropy,
    MaxWeight,
    Jacobian,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Entropy, Metric::MaxWeight, Metric::Jacobian];
    pub fn title(self) -> &'static str {
        match self {
            Metric::Entropy => "Entropy of the weights",
            Metric::MaxWeight => "Largest weight",
            Metric::Jacobian => "Softmax Jacobian norm (gradient that can flow)",
        }
    }
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Entropy => "bits",
            Metric::MaxWeight => "weight",
            Metric::Jacobian => "‖J‖",
        }
    }
    fn get(self, r: &attention_core::scaling::RowSummary) -> f64 {
        match self {
            Metric::Entropy => r.entropy_bits,
            Metric::MaxWeight => r.max_weight,
            Metric::Jacobian => r.jacobian_norm,
        }
    }
    /// (scaled, unscaled) value of a point.
    pub fn values(self, p: &SweepPoint) -> (f64, f64) {
        (self.get(&p.scaled), self.get(&p.unscaled))
    }
}

/// The chart of `metric` against d_k, current d_k marked.
pub fn sweep_chart(points: &[SweepPoint], metric: Metric, current: usize) -> SweepChart {
    let max_entropy = (N_KEYS as f64).log2();
    let y_max = match metric {
        Metric::Entropy => max_entropy * 1.08,
        Metric::MaxWeight => 1.05,
        Metric::Jacobian => {
            points
                .iter()
                .map(|p| metric.values(p).0.max(metric.values(p).1))
                .fold(0.0_f64, f64::max)
                .max(0.1)
                * 1.1
        }
    };
    let series = |name: &str, color, square, pick: fn((f64, f64)) -> f64| Series {
        name: name.into(),
        points: points
            .iter()
            .map(|p| (p.d_k as f64, pick(metric.values(p))))
            .collect(),
        color,
        square,
    };
    SweepChart {
        title: metric.title().into(),
        y_label: metric.unit().into(),
        y_range: (0.0, y_max),
        series: vec![
            series("scaled", SCALED, false, |v| v.0),
            series("unscaled", UNSCALED, true, |v| v.1),
        ],
        current: current as f64,
        reference: match metric {
            Metric::Entropy => Some((format!("uniform: {max_entropy:.0} bits"), max_entropy)),
            Metric::MaxWeight => Some((format!("uniform: 1/{N_KEYS}"), 1.0 / N_KEYS as f64)),
            Metric::Jacobian => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_variances_follow_theory() {
        let s = spread(256, 4).expect("ok");
        assert!(
            (s.raw_variance / 256.0 - 1.0).abs() < 0.15,
            "{}",
            s.raw_variance
        );
        assert!((s.scaled_variance - 1.0).abs() < 0.15);
        assert_eq!(s.raw.counts.iter().sum::<usize>(), HIST_N * HIST_N);
        assert_eq!(s.scaled.counts.iter().sum::<usize>(), HIST_N * HIST_N);
        assert!(s.raw.title.contains("theory 256"));
    }

    #[test]
    fn toggling_scale_at_512_raises_entropy_and_lowers_the_peak() {
        let on = one_query(&ScalingState {
            d_k: 512,
            scale: true,
            ..ScalingState::default()
        })
        .expect("on");
        let off = one_query(&ScalingState {
            d_k: 512,
            scale: false,
            ..ScalingState::default()
        })
        .expect("off");
        assert!(on.summary.entropy_bits > off.summary.entropy_bits);
        assert!(on.summary.max_weight < off.summary.max_weight);
        assert!(on.summary.jacobian_norm > off.summary.jacobian_norm);
    }

    #[test]
    fn sweep_chart_has_both_series_at_every_d_k() {
        let pts = sweep_points(&sweep_samples(3).expect("samples"), 1.0).expect("points");
        assert_eq!(pts.len(), SWEEP_D_KS.len());
        for m in Metric::ALL {
            let c = sweep_chart(&pts, m, 64);
            assert_eq!(c.series.len(), 2);
            assert!(c.series.iter().all(|s| s.points.len() == 12));
            assert!(c.y_range.1 > 0.0);
        }
        // Unscaled entropy collapses with d_k; scaled stays high.
        let first = Metric::Entropy.values(&pts[0]);
        let last = Metric::Entropy.values(&pts[11]);
        assert!(last.1 < first.1 * 0.3, "{first:?} {last:?}");
        assert!(last.0 > 3.0);
    }
}
