//! View model of the cost chapter's first section: the engine's counts
//! (`attention_core::cost`) for one model shape and one length, arranged
//! for the page, and the log-log chart of those counts against n. Also the
//! number formats every section uses. Pure, tested natively.

use super::state::CostState;
use crate::charts::cost::{LogLogChart, BLUE, GREEN, ORANGE, VERMILLION};
use crate::charts::plots::Series;
use attention_core::cost::{
    crossover_n, max_n_fitting, Costs, Crossover, LayerFlops, ModelShape, BF16_BYTES, FP32_BYTES,
    GB,
};

pub use crate::widgets::measure::{grouped, grouped_usize};

/// Superscript digits of an exponent: `15` -> `¹⁵`.
fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            '-' => '⁻',
            other => other,
        })
        .collect()
}

/// A large count in powers of ten: `1.02 × 10¹⁵`; plain below 10,000.
pub fn power_of_ten(v: f64) -> String {
    if !v.is_finite() || v < 10_000.0 {
        return format!("{v:.0}");
    }
    let e = v.log10().floor() as i32;
    let m = v / 10f64.powi(e);
    // Rounding may give 10.0.
    let (m, e) = if (m * 100.0).round() >= 1000.0 {
        (1.0, e + 1)
    } else {
        (m, e)
    };
    format!("{m:.2} × 10{}", superscript(e))
}

/// A count written out in full, with its power of ten when it is large:
/// `10,000,000,000 (1.00 × 10¹⁰)`.
pub fn count(v: u128) -> String {
    if v < 10_000_000 {
        grouped(v)
    } else {
        format!("{} ({})", grouped(v), power_of_ten(v as f64))
    }
}

/// Bytes in decimal units (as memory is sold): `4.19 MB`, `80 GB`.
pub fn bytes(v: u128) -> String {
    const UNITS: [(&str, f64); 6] = [
        ("EB", 1e18),
        ("PB", 1e15),
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("KB", 1e3),
    ];
    let x = v as f64;
    match UNITS.iter().find(|(_, u)| x >= *u) {
        Some((name, u)) => {
            let q = x / u;
            if q >= 100.0 {
                format!("{q:.0} {name}")
            } else {
                format!("{} {name}", trimmed(q, 3))
            }
        }
        None => format!("{v} B"),
    }
}

/// A number with `digits` decimals, trailing zeros cut: `1.97`, `2`.
pub fn trimmed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A difference between two results: `0 exactly`, `4.4e-16`, or three
/// decimals from 0.001 up.
pub fn diff(d: f64) -> String {
    if d == 0.0 {
        "0 exactly".into()
    } else if d.abs() >= 1e-3 {
        format!("{d:.3}")
    } else {
        format!("{d:.1e}")
    }
}

/// Memory budgets the page checks: 16 GB and 80 GB cards.
pub const BUDGETS_GB: [u64; 2] = [16, 80];

/// Context lengths marked on the chart.
pub const CONTEXT_MARKS: [(f64, &str); 2] = [(128_000.0, "128K"), (200_000.0, "200K")];

/// Where one layer's score matrices stop fitting a budget.
#[derive(Clone, Debug, PartialEq)]
pub struct FitRow {
    pub budget_gb: u64,
    pub precision: &'static str,
    /// The largest n whose one-layer score matrices fit.
    pub max_n: u128,
    /// Whether they fit at the current n.
    pub fits_now: bool,
}

/// One row of the FLOPs table.
#[derive(Clone, Debug, PartialEq)]
pub struct FlopRow {
    pub part: &'static str,
    pub flops: u128,
    /// Share of the layer's total.
    pub share: f64,
    /// Whether it grows with n² (attention) or with n.
    pub quadratic: bool,
}

/// Everything section 1 shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CountView {
    pub shape: ModelShape,
    pub d_k: u64,
    pub costs: Costs,
    pub crossover: Crossover,
    pub flops: Vec<FlopRow>,
    pub fits: Vec<FitRow>,
    pub chart: LogLogChart,
}

fn flop_rows(f: &LayerFlops) -> Vec<FlopRow> {
    let total = f.total.max(1) as f64;
    let row = |part, flops: u128, quadratic| FlopRow {
        part,
        flops,
        share: flops as f64 / total,
        quadratic,
    };
    vec![
        row("QKᵀ (scores)", f.qk, true),
        row("weights · V", f.av, true),
        row("Q, K, V, O projections", f.projections, false),
        row("MLP", f.mlp, false),
    ]
}

/// Lengths the chart samples: 8 per factor of ten from 2, and 1,000,000.
pub fn chart_lengths() -> Vec<u64> {
    let mut out: Vec<u64> = (0..=46)
        .map(|i| (2.0 * 10f64.powf(f64::from(i) / 8.0)).round() as u64)
        .filter(|n| *n < 1_000_000)
        .collect();
    out.dedup();
    out.push(1_000_000);
    out
}

/// The chart of one layer's scores, their bf16 bytes and both FLOP parts
/// against n, with 128K, 200K and the crossover marked, 16 and 80 GB drawn
/// and the learner's n.
pub fn count_chart(shape: &ModelShape, n: u64, crossover: u64) -> Result<LogLogChart, String> {
    let mut scores = Vec::new();
    let mut mem = Vec::new();
    let mut attn = Vec::new();
    let mut rest = Vec::new();
    for m in chart_lengths() {
        let c = Costs::at(shape, m).map_err(|e| e.to_string())?;
        let x = m as f64;
        scores.push((x, c.scores_per_layer as f64));
        mem.push((x, c.layer_bytes_bf16 as f64));
        attn.push((x, c.layer_flops.attention as f64));
        rest.push((x, c.layer_flops.rest as f64));
    }
    let y_hi = attn
        .iter()
        .chain(&rest)
        .chain(&mem)
        .map(|p| p.1)
        .fold(1.0, f64::max)
        * 3.0;
    let series = |name: &str, points, color, square| Series {
        name: name.into(),
        points,
        color,
        square,
    };
    let mut marks: Vec<(f64, String)> = CONTEXT_MARKS
        .iter()
        .map(|(x, l)| (*x, format!("{l} context")))
        .collect();
    marks.push((
        crossover as f64,
        format!("attention FLOPs overtake at {}", grouped(crossover as u128)),
    ));
    Ok(LogLogChart {
        title: format!("One layer of {} against n", shape.label),
        x_label: "sequence length n (log scale)".into(),
        y_label: "count, bytes or FLOPs (log)".into(),
        x_range: (2.0, 1e6),
        y_range: (1.0, y_hi),
        series: vec![
            series("scores", scores, BLUE, false),
            series("bytes (bf16)", mem, ORANGE, true),
            series("attention FLOPs", attn, VERMILLION, false),
            series("projections + MLP FLOPs", rest, GREEN, true),
        ],
        marks,
        levels: BUDGETS_GB
            .iter()
            .map(|g| (*g as f64 * GB as f64, format!("{g} GB")))
            .collect(),
        notes: Vec::new(),
        current: Some(n as f64),
    })
}

/// Section 1 for the state's shape and n.
pub fn count_view(s: &CostState) -> Result<CountView, String> {
    let shape = s.shape()?;
    let n = s.n as u64;
    let e = |e: attention_core::AttnError| e.to_string();
    let costs = Costs::at(&shape, n).map_err(e)?;
    let crossover = crossover_n(&shape).map_err(e)?;
    let mut fits = Vec::new();
    for g in BUDGETS_GB {
        for (precision, b) in [("fp32", FP32_BYTES), ("bf16", BF16_BYTES)] {
            let max_n = max_n_fitting(&shape, g as u128 * GB, b).map_err(e)?;
            fits.push(FitRow {
                budget_gb: g,
                precision,
                max_n,
                fits_now: (n as u128) <= max_n,
            });
        }
    }
    Ok(CountView {
        d_k: shape.d_k().map_err(e)?,
        flops: flop_rows(&costs.layer_flops),
        chart: count_chart(&shape, n, crossover.n)?,
        shape,
        costs,
        crossover,
        fits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chapters::cost::state::Preset;

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(10_000_000_000), "10,000,000,000");
        assert_eq!(power_of_ten(1e10), "1.00 × 10¹⁰");
        assert_eq!(power_of_ten(9.999e15), "1.00 × 10¹⁶");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(10_000_000_000), "10,000,000,000 (1.00 × 10¹⁰)");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4_000_000), "4 MB");
        assert_eq!(bytes(4_194_304), "4.194 MB");
        assert_eq!(bytes(80_000_000_000), "80 GB");
        assert_eq!(bytes(480_000_000_000), "480 GB");
        assert_eq!(bytes(1_500_000_000_000_000), "1.5 PB");
        assert_eq!(trimmed(2.0, 2), "2");
        assert_eq!(
            (diff(0.0), diff(1.39), diff(4.4e-16)),
            ("0 exactly".into(), "1.390".into(), "4.4e-16".into())
        );
        assert_eq!(trimmed(1.9712, 2), "1.97");
    }

    fn at(n: usize, model: Preset) -> CountView {
        let mut s = CostState {
            n,
            ..CostState::default()
        };
        s.pick(model);
        count_view(&s).expect("counts")
    }

    #[test]
    fn scores_per_head_are_n_squared_and_the_model_multiplies_heads_and_layers() {
        let v = at(1000, Preset::Gpt2);
        assert_eq!(v.costs.scores_per_head, 1_000_000);
        // 12 heads x 12 layers.
        assert_eq!(v.costs.scores_model, 144_000_000);
        assert_eq!(
            at(100_000, Preset::Gpt2).costs.scores_per_head,
            10_000_000_000
        );
        // Bytes by hand: 12 heads x 10^6 scores x 4 bytes = 48 MB per layer.
        assert_eq!(v.costs.layer_bytes_fp32, 48_000_000);
        assert_eq!(v.costs.layer_bytes_bf16, 24_000_000);
        assert_eq!(v.d_k, 64);
    }

    #[test]
    fn flops_and_the_crossover_match_a_hand_calculation() {
        let v = at(1000, Preset::Gpt2);
        let (n, d) = (1000u128, 768u128);
        // QK^T: 2 n^2 d; projections 8 n d^2; MLP 4 n d (4d).
        assert_eq!(v.flops[0].flops, 2 * n * n * d);
        assert_eq!(v.flops[1].flops, 2 * n * n * d);
        assert_eq!(v.flops[2].flops, 8 * n * d * d);
        assert_eq!(v.flops[3].flops, 16 * n * d * d);
        let share: f64 = v.flops.iter().map(|r| r.share).sum();
        assert!((share - 1.0).abs() < 1e-12);
        // n > 2 d + d_ff = 6 d: 4609 for GPT-2 small.
        assert_eq!(v.crossover.n, 6 * 768 + 1);
        assert_eq!(at(1000, Preset::Base).crossover.n, 6 * 512 + 1);
    }

    #[test]
    fn memory_fits_by_hand() {
        let v = at(200_000, Preset::Big);
        // 32 heads x n^2 x 2 bytes <= 80e9  <=>  n <= sqrt(1.25e9) = 35355.
        let bf16_80 = v
            .fits
            .iter()
            .find(|f| f.budget_gb == 80 && f.precision == "bf16")
            .expect("row");
        assert_eq!(bf16_80.max_n, 35_355);
        assert!(!bf16_80.fits_now);
        assert_eq!(v.fits.len(), 4);
        assert!(at(1000, Preset::Big).fits.iter().all(|f| f.fits_now));
    }

    #[test]
    fn the_chart_spans_the_slider_and_marks_long_contexts() {
        let v = at(4096, Preset::Gpt2);
        let c = &v.chart;
        assert_eq!(c.series.len(), 4);
        let xs = chart_lengths();
        assert_eq!(xs.first().copied(), Some(2));
        assert_eq!(xs.last().copied(), Some(1_000_000));
        for s in &c.series {
            assert_eq!(s.points.len(), xs.len());
        }
        // Scores grow as n^2 between the ends: 12 heads x 10^12 at 10^6.
        assert_eq!(c.series[0].points.last().map(|p| p.1), Some(12e12));
        assert!(c.marks.iter().any(|m| m.1.starts_with("128K")));
        assert!(c.marks.iter().any(|m| m.1.contains("4,609")));
        assert_eq!(c.current, Some(4096.0));
        assert!(c.y_range.1 > c.series[2].points.last().map_or(0.0, |p| p.1));
        let bad = CostState {
            model: Preset::Custom,
            d_model: 10,
            heads: 3,
            ..CostState::default()
        };
        assert!(
            count_view(&bad).is_err(),
            "an unchecked bad shape is an error, not a panic"
        );
    }
}
