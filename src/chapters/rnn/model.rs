//! View model of section 1 (how far the gradient reaches): the engine's
//! [`gradient_reach`] for a vanilla RNN, a GRU and one self-attention layer
//! at initialisation, or [`SeqClassifier::reach`] for the three models of
//! section 3's race, arranged as a semi-log chart with the fitted decay
//! rate per step written on it, and as tables. Also the number formats the
//! chapter uses. Pure, tested natively.

use super::race::style;
use super::state::Act;
use crate::charts::plots::Series;
use crate::charts::semilog::SemiLogChart;
use crate::widgets::table::TableData;
use attention_core::train::rnn::{
    gradient_reach, probe, Activation, BodyKind, GruCell, Reach, RecallFirst, RecurrentInit,
    RnnCell, SeqClassifier,
};
use attention_core::train::{MhaConfig, MultiHeadAttention};
use attention_core::Rng;

/// Input and state width of every layer measured at initialisation (the
/// race's models are as wide).
pub const WIDTH: usize = 32;
/// The self-attention layer's one head.
pub const HEAD: usize = 16;
/// The GRU's initial update-gate bias (the race's too).
pub const UPDATE_BIAS: f64 = -1.0;

/// One model's measured reach.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub kind: BodyKind,
    pub name: String,
    /// `norms[k]`: the gradient norm at distance k back from the last position.
    pub norms: Vec<f64>,
    /// The fitted factor per step back (the engine's `DecayFit::rate`).
    pub rate: f64,
    pub r_squared: f64,
}

impl Curve {
    fn new(kind: BodyKind, name: String, reach: Reach) -> Self {
        Curve {
            kind,
            name,
            rate: reach.fit.rate,
            r_squared: reach.fit.r_squared,
            norms: reach.norms,
        }
    }
}

/// The RNN's name with its nonlinearity.
pub fn rnn_name(act: Act) -> String {
    match act {
        Act::Tanh => "RNN (tanh)".into(),
        Act::Linear => "RNN (linear)".into(),
    }
}

/// The three layers freshly initialised from `seed` (recurrent matrices
/// random orthogonal times `rho`), measured on one seeded random input of
/// length `n` with a unit-norm loss direction at the last position.
pub fn reach_at_init(n: usize, rho: f64, act: Act, seed: u64) -> Result<Vec<Curve>, String> {
    let err = |e: attention_core::AttnError| e.to_string();
    let mut rng = Rng::new(seed);
    let init = RecurrentInit::orthogonal(rho);
    let activation = match act {
        Act::Tanh => Activation::Tanh,
        Act::Linear => Activation::Linear,
    };
    let rnn = RnnCell::new(WIDTH, WIDTH, activation, init, &mut rng).map_err(err)?;
    let gru = GruCell::new(WIDTH, WIDTH, init, UPDATE_BIAS, &mut rng).map_err(err)?;
    let attn = MultiHeadAttention::new(MhaConfig::self_attention(WIDTH, 1, HEAD), &mut rng)
        .map_err(err)?;
    let (x, g) = probe(n, WIDTH, WIDTH, seed.wrapping_add(1));
    Ok(vec![
        Curve::new(
            BodyKind::Rnn,
            rnn_name(act),
            gradient_reach(&rnn, &x, &g).map_err(err)?,
        ),
        Curve::new(
            BodyKind::Gru,
            "GRU".into(),
            gradient_reach(&gru, &x, &g).map_err(err)?,
        ),
        Curve::new(
            BodyKind::Attention,
            "self-attention".into(),
            gradient_reach(&attn, &x, &g).map_err(err)?,
        ),
    ])
}

/// Section 1's curves and a sentence saying what was measured, or why
/// nothing could be.
pub type Measured = Result<(Vec<Curve>, String), String>;

/// The race's models measured with their own loss on one held-out
/// sequence of the task with `n - 2` distractors (length n).
pub fn reach_trained(
    models: &[(BodyKind, SeqClassifier)],
    task: &RecallFirst,
    n: usize,
    seed: u64,
) -> Result<Vec<Curve>, String> {
    let err = |e: attention_core::AttnError| e.to_string();
    let set = task.held_out(n.saturating_sub(2), 1, seed).map_err(err)?;
    let (Some(tokens), Some(&target)) = (set.tokens.first(), set.targets.first()) else {
        return Err("the task gave no held-out sequence".into());
    };
    models
        .iter()
        .map(|(kind, m)| {
            let name = match kind {
                BodyKind::Attention => "self-attention".to_string(),
                k => k.name().to_string(),
            };
            Ok(Curve::new(
                *kind,
                name,
                m.reach(tokens, target).map_err(err)?,
            ))
        })
        .collect()
}

/// A number with `digits` decimals, trailing zeros cut: `0.683`, `1`.
pub fn trimmed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The rate as written on the chart and in the table: `× 0.683 per step`.
pub fn rate_text(rate: f64) -> String {
    if rate.is_finite() {
        format!("× {} per step", trimmed(rate, 3))
    } else {
        "no rate (the gradient is 0 or not finite)".into()
    }
}

/// A gradient norm for a table: `0`, four significant digits between
/// 0.01 and 1000 (`1.358`, `0.04210`), else `3.200e-5`.
pub fn norm_text(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (0.01..1000.0).contains(&v.abs()) {
        let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 5) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// The chart: every curve against the distance, on a log axis, with each
/// fitted rate written inside the plot.
pub fn reach_chart(curves: &[Curve], title: &str) -> SemiLogChart {
    let positive = || {
        curves
            .iter()
            .flat_map(|c| c.norms.iter().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let hi = positive().fold(f64::MIN_POSITIVE, f64::max);
    let lo = positive().fold(hi, f64::min).max(1e-300);
    let x_max = curves.iter().map(|c| c.norms.len()).max().unwrap_or(2);
    SemiLogChart {
        title: title.into(),
        x_label: "distance back from the last position".into(),
        y_label: "gradient norm (log scale)".into(),
        x_max: x_max.saturating_sub(1).max(1) as f64,
        // Room above the highest curve for the written rates (about a
        // fifth of the plot's height on the log axis).
        y_range: (lo / 2.0, hi * 2.0 * (2.0 * hi / lo * 2.0).powf(0.3)),
        series: curves
            .iter()
            .map(|c| {
                let (color, square) = style(c.kind);
                let points = c
                    .norms
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (k as f64, *v))
                    .collect();
                Series::new(c.name.clone(), points, color, square)
            })
            .collect(),
        notes: curves
            .iter()
            .map(|c| format!("{}: {}", c.name, rate_text(c.rate)))
            .collect(),
    }
}

/// What the measurement says, in sentences: each rate, how much of the
/// gradient is left 100 steps back at that rate, and whether the GRU keeps
/// its gradient longer than the RNN here (it need not, at initialisation).
pub fn reading(curves: &[Curve]) -> String {
    let get = |k: BodyKind| curves.iter().find(|c| c.kind == k);
    let left = |rate: f64| rate.powi(100);
    let mut out: Vec<String> = curves
        .iter()
        .map(|c| {
            format!(
                "{}: × {} per step, which leaves {} of the gradient 100 steps back.",
                c.name,
                trimmed(c.rate, 3),
                norm_text(left(c.rate))
            )
        })
        .collect();
    if let (Some(r), Some(g)) = (get(BodyKind::Rnn), get(BodyKind::Gru)) {
        out.push(if g.rate > r.rate {
            format!(
                "Here the GRU keeps its gradient longer than the {}.",
                r.name
            )
        } else {
            format!(
                "Here the GRU's gradient fades as fast as the {}'s or faster: its gates do not start out set to keep the state; training is what sets them (compare “after training”).",
                r.name
            )
        });
    }
    out.join(" ")
}

/// The distances a table shows: 0, 1, 2, 4, … and the last one.
pub fn table_distances(n: usize) -> Vec<usize> {
    let last = n.saturating_sub(1);
    let mut ds: Vec<usize> = std::iter::once(0)
        .chain(std::iter::successors(Some(1usize), |d| d.checked_mul(2)))
        .take_while(|&d| d < last)
        .collect();
    ds.push(last);
    ds.dedup();
    ds
}

/// The norms at [`table_distances`], one column per model.
pub fn norms_table(curves: &[Curve]) -> TableData {
    let n = curves.iter().map(|c| c.norms.len()).max().unwrap_or(0);
    let mut header = vec!["distance".to_string()];
    header.extend(curves.iter().map(|c| c.name.clone()));
    let mut t = TableData {
        header,
        rows: Vec::new(),
    };
    t.rows = table_distances(n)
        .into_iter()
        .map(|d| {
            let mut row = vec![d.to_string()];
            row.extend(
                curves
                    .iter()
                    .map(|c| c.norms.get(d).map_or(String::new(), |v| norm_text(*v))),
            );
            (None, row)
        })
        .collect();
    t
}

/// Rates, fit quality and how much of the gradient is left at the far end.
pub fn rates_table(curves: &[Curve]) -> TableData {
    TableData::plain(
        &[
            "model",
            "decay rate per step",
            "R² of the fit",
            "farthest / nearest norm",
        ],
        curves.iter().map(|c| {
            let ratio = match (c.norms.first(), c.norms.last()) {
                (Some(a), Some(b)) if *a > 0.0 => norm_text(b / a),
                _ => "—".into(),
            };
            vec![
                c.name.clone(),
                trimmed(c.rate, 3),
                trimmed(c.r_squared, 3),
                ratio,
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use attention_core::train::rnn::{decay_fit, RaceConfig, RecallRace};

    fn rate(curves: &[Curve], kind: BodyKind) -> f64 {
        curves
            .iter()
            .find(|c| c.kind == kind)
            .map_or(f64::NAN, |c| c.rate)
    }

    #[test]
    fn the_written_rate_is_the_engine_fit() {
        let curves = reach_at_init(64, 0.5, Act::Linear, 1).expect("measures");
        assert_eq!(curves.len(), 3);
        for c in &curves {
            assert_eq!(c.norms.len(), 64);
            let fit = decay_fit(&c.norms).expect("fits");
            assert_eq!(c.rate, fit.rate);
        }
        // The linear RNN falls by the radius per step (within a few %).
        let r = rate(&curves, BodyKind::Rnn);
        assert!((r - 0.5).abs() < 0.03, "{r}");
        // Attention does not decay.
        let a = rate(&curves, BodyKind::Attention);
        assert!((a - 1.0).abs() < 0.05, "{a}");
        let chart = reach_chart(&curves, "t");
        assert_eq!(chart.notes[0], format!("RNN (linear): {}", rate_text(r)));
        assert_eq!(chart.series.len(), 3);
        assert_eq!(chart.x_max, 63.0);
        assert!(chart.y_range.0 > 0.0 && chart.y_range.0 < chart.y_range.1);
        // Headroom for the notes: the top is above every norm by a sixth
        // of the axis in log terms.
        let top = curves
            .iter()
            .flat_map(|c| c.norms.iter().copied())
            .fold(0.0, f64::max);
        let (lo, hi) = (chart.y_range.0.ln(), chart.y_range.1.ln());
        assert!((hi - top.ln()) / (hi - lo) > 0.15);
        let t = rates_table(&curves);
        assert_eq!(t.rows[0].1[1], trimmed(r, 3));
    }

    #[test]
    fn tanh_shrinks_even_above_one_and_the_linear_rnn_grows() {
        let tanh = reach_at_init(64, 1.1, Act::Tanh, 1).expect("measures");
        let linear = reach_at_init(64, 1.1, Act::Linear, 1).expect("measures");
        assert!(rate(&tanh, BodyKind::Rnn) < 1.0);
        assert!(rate(&linear, BodyKind::Rnn) > 1.05);
        assert!(rate(&tanh, BodyKind::Gru) > rate(&tanh, BodyKind::Rnn));
    }

    #[test]
    fn trained_models_are_measured_on_a_held_out_sequence() {
        let race = RecallRace::new(RaceConfig::default()).expect("builds");
        let models: Vec<(BodyKind, SeqClassifier)> = race
            .runs
            .iter()
            .map(|r| (r.kind, r.model.clone()))
            .collect();
        let curves = reach_trained(&models, &race.task, 40, 1).expect("measures");
        assert_eq!(curves.len(), 3);
        assert!(curves
            .iter()
            .all(|c| c.norms.len() == 40 && c.rate.is_finite()));
        assert_eq!(curves[2].name, "self-attention");
    }

    #[test]
    fn the_reading_follows_the_measurement() {
        let mk = |kind, name: &str, rate| Curve {
            kind,
            name: name.into(),
            norms: vec![1.0, rate],
            rate,
            r_squared: 1.0,
        };
        let slow = [
            mk(BodyKind::Rnn, "RNN (tanh)", 0.5),
            mk(BodyKind::Gru, "GRU", 0.9),
        ];
        let text = reading(&slow);
        assert!(
            text.contains("RNN (tanh): × 0.5 per step, which leaves 7.889e-31"),
            "{text}"
        );
        assert!(text.contains("keeps its gradient longer"), "{text}");
        let fast = [
            mk(BodyKind::Rnn, "RNN (tanh)", 0.85),
            mk(BodyKind::Gru, "GRU", 0.84),
        ];
        assert!(reading(&fast).contains("fades as fast"));
    }

    #[test]
    fn tables_and_formats() {
        assert_eq!(table_distances(128), vec![0, 1, 2, 4, 8, 16, 32, 64, 127]);
        assert_eq!(table_distances(2), vec![0, 1]);
        assert_eq!(trimmed(0.6830, 3), "0.683");
        assert_eq!(trimmed(1.0, 3), "1");
        assert_eq!(rate_text(0.5), "× 0.5 per step");
        assert_eq!(norm_text(0.0), "0");
        assert_eq!(norm_text(3.2e-5), "3.200e-5");
        assert_eq!(norm_text(1.3579), "1.358");
        assert_eq!(norm_text(0.0421), "0.04210");
        assert_eq!(norm_text(812.34), "812.3");
        assert_eq!(norm_text(2.5e7), "2.500e7");
        let curves = reach_at_init(8, 0.9, Act::Tanh, 2).expect("measures");
        let t = norms_table(&curves);
        assert_eq!(t.header.len(), 4);
        assert_eq!(t.rows.len(), 5);
        assert_eq!(t.rows[0].1[1], norm_text(curves[0].norms[0]));
        assert!(reach_at_init(8, f64::NAN, Act::Tanh, 2).is_err());
    }
}
