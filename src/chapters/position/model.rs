//! View-models of the position chapter: engine calls turned into what the
//! page shows. Pure functions of the state (native tests below).

use super::state::{PosScheme, PosState};
use crate::charts::heatmap::{signed, ColorScale, HeatmapData};
use crate::charts::plots::{CurveChart, Series};
use crate::charts::position::{MatrixImage, PairPanel, SmallMatrix};
use crate::text::tokenize;
use attention_core::permutation::{reorder, Reordering};
use attention_core::position::{
    alibi_bias, alibi_slopes, attended_distance, frequencies, learned_table, rope_view, sinusoidal,
    sinusoidal_offset_dots, wavelengths, RopeView,
};
use attention_core::{
    embed_tokens, AttentionConfig, Mask, Mat, MultiHeadWeights, Position, Rng, Trace,
};

/// Width of the toy model of the permutation and ALiBi sections.
pub const D_MODEL: usize = 16;
/// Heads and head width of the permutation model.
pub const PERM_HEADS: usize = 2;
pub const D_K: usize = 8;
/// Rows of the learned table of the permutation model.
pub const LEARNED_ROWS: usize = 64;
/// Differences at or below this are rounding, not a change.
pub const SAME: f64 = 1e-9;

/// The permutation experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct PermView {
    pub tokens: Vec<String>,
    /// The tokens in the new order.
    pub reordered: Vec<String>,
    pub perm: Vec<usize>,
    pub result: Reordering,
}

fn position_of(s: PosScheme) -> Position {
    match s {
        PosScheme::None => Position::None,
        PosScheme::Sinusoidal => Position::Sinusoidal,
        PosScheme::Learned => Position::Learned(learned_table(LEARNED_ROWS, D_MODEL, 1)),
        PosScheme::Rope => Position::Rope,
        PosScheme::Alibi => Position::Alibi,
    }
}

/// Attention (2 heads, d_model 16, seeded weights) on the sentence and on its
/// reordering, compared row by row.
pub fn permutation(s: &PosState) -> Result<PermView, String> {
    let tokens = tokenize(&s.text).tokens;
    if tokens.is_empty() {
        return Err("Type at least one token to reorder.".into());
    }
    let x = embed_tokens(&tokens, D_MODEL, 1).map_err(|e| e.to_string())?;
    let w = MultiHeadWeights::random(D_MODEL, PERM_HEADS, D_K, D_K, D_MODEL, 2)
        .map_err(|e| e.to_string())?;
    let cfg = AttentionConfig {
        position: position_of(s.scheme),
        ..AttentionConfig::default()
    };
    let result = reorder(&x, &s.perm, &w, &cfg).map_err(|e| e.to_string())?;
    let reordered = s
        .perm
        .iter()
        .map(|&p| tokens.get(p).cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or("The new order does not fit the sentence.")?;
    Ok(PermView {
        tokens,
        reordered,
        perm: s.perm.clone(),
        result,
    })
}

/// Whether the new order keeps every distance between two tokens (the
/// identity and the reversal do): then ALiBi without a mask cannot see it.
pub fn keeps_distances(perm: &[usize]) -> bool {
    perm.iter().enumerate().all(|(i, a)| {
        perm.iter()
            .enumerate()
            .all(|(j, b)| a.abs_diff(*b) == i.abs_diff(j))
    })
}

/// Output-matrix heatmap: rows labelled by token, columns by dimension.
pub fn output_heatmap(out: &Mat, tokens: &[String], abs_max: f64) -> HeatmapData {
    let cols = (1..=out.ncols()).map(|j| format!("d{j}")).collect();
    let mut h = signed(out, tokens.to_vec(), cols);
    h.scale = ColorScale::Diverging { abs_max };
    h
}

/// Largest magnitude in both outputs (one colour scale for the pair).
pub fn shared_abs_max(r: &Reordering) -> f64 {
    r.original
        .output
        .iter()
        .chain(r.reordered.output.iter())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(1e-12)
}

/// The sinusoidal encoding as an image.
pub fn sinusoid_image(n: usize, d: usize) -> MatrixImage {
    let m = sinusoidal(n, d);
    MatrixImage {
        title: format!("PE, {n} positions × {d} dimensions"),
        rows: n,
        cols: d,
        values: crate::charts::heatmap::row_major(&m),
        scale: ColorScale::Diverging { abs_max: 1.0 },
        row_label: "position p".into(),
        col_label: "dimension j".into(),
    }
}

/// One line per column pair: index, angular frequency, wavelength.
pub fn wavelength_rows(d: usize) -> Vec<Vec<String>> {
    frequencies(d)
        .into_iter()
        .zip(wavelengths(d))
        .enumerate()
        .map(|(i, (w, l))| {
            vec![
                format!("{}, {}", 2 * i, (2 * i + 1).min(d - 1)),
                format!("{w:.6}"),
                format!("{l:.2}"),
            ]
        })
        .collect()
}

/// `PE(anchor) · PE(anchor + Δ)` for Δ = 0..n-1, and the same curve from
/// anchor 0 (they coincide: the dot product sees only the offset).
pub fn offset_chart(anchor: usize, n: usize, d: usize) -> Result<(CurveChart, Vec<f64>), String> {
    let max = n.saturating_sub(1).max(1);
    let here = sinusoidal_offset_dots(anchor, max, d).map_err(|e| e.to_string())?;
    let zero = sinusoidal_offset_dots(0, max, d).map_err(|e| e.to_string())?;
    let pts = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter().enumerate().map(|(i, y)| (i as f64, *y)).collect()
    };
    let lo = here
        .iter()
        .chain(&zero)
        .copied()
        .fold(f64::INFINITY, f64::min);
    Ok((
        CurveChart {
            title: "Dot product against the offset".into(),
            x_label: "offset Δ (positions)".into(),
            y_label: "PE(p)·PE(p+Δ)".into(),
            y_range: (lo.min(0.0) - 0.5, d as f64 / 2.0 + 0.5),
            series: vec![
                Series::primary(format!("from p = {anchor}"), pts(&here)),
                Series::secondary("from p = 0", pts(&zero)),
            ],
            x_max: max as f64,
        },
        here,
    ))
}

/// The RoPE section: one query and one key, at (m, n) and shifted.
#[derive(Clone, Debug, PartialEq)]
pub struct RopeModel {
    pub q: Vec<f64>,
    pub k: Vec<f64>,
    /// At positions (m, n).
    pub at: RopeView,
    /// At positions (m + shift, n + shift).
    pub shifted: RopeView,
    /// (offset m - n, score) for offsets -32..=32 (key at 32, query at
    /// 32 + offset).
    pub offsets: Vec<(i64, f64)>,
}

/// Seeded unit-variance query and key of width `d`.
pub fn rope_vectors(d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed.wrapping_mul(7919).wrapping_add(3));
    let q = (0..d).map(|_| rng.normal()).collect();
    let k = (0..d).map(|_| rng.normal()).collect();
    (q, k)
}

/// Offsets shown in the RoPE chart: -32..=32.
pub const ROPE_OFFSETS: i64 = 32;

pub fn rope(s: &PosState) -> Result<RopeModel, String> {
    let (q, k) = rope_vectors(s.rope_d, s.rope_seed);
    let at = rope_view(&q, &k, s.rope_m, s.rope_n).map_err(|e| e.to_string())?;
    let shifted =
        rope_view(&q, &k, s.rope_m + s.shift, s.rope_n + s.shift).map_err(|e| e.to_string())?;
    // Offset m - n from -32 to 32, the key at a fixed base 32 so n >= 0.
    let offsets = (-ROPE_OFFSETS..=ROPE_OFFSETS)
        .map(|off| {
            let n = ROPE_OFFSETS as usize;
            let m = (n as i64 + off) as usize;
            rope_view(&q, &k, m, n).map(|v| (off, v.score))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok(RopeModel {
        q,
        k,
        at,
        shifted,
        offsets,
    })
}

/// Panels of the RoPE chart for `v`.
pub fn rope_panels(v: &RopeView) -> Vec<PairPanel> {
    v.pairs
        .iter()
        .enumerate()
        .map(|(i, p)| PairPanel {
            title: format!("pair {} · ω = {}", i + 1, short(p.omega)),
            q: p.q_rot,
            k: p.k_rot,
            caption: format!(
                "angle {:.0}° · share {:+.3}",
                angle_between(p.q_rot, p.k_rot),
                p.contribution
            ),
        })
        .collect()
}

/// The angle from `a` to `b` in degrees, in (-180, 180].
pub fn angle_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    let d = (b.1.atan2(b.0) - a.1.atan2(a.0)).to_degrees();
    let d = d.rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

fn short(v: f64) -> String {
    if v >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.1e}")
    }
}

/// The RoPE score against the offset m - n (x from -32 to 32, draw with
/// `draw_curves_from(.., -32.0, ..)`), with the current offset marked.
pub fn rope_chart(m: &RopeModel, offset: i64) -> CurveChart {
    let pts: Vec<(f64, f64)> = m.offsets.iter().map(|&(o, s)| (o as f64, s)).collect();
    let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.1), a.1.max(p.1))
    });
    let pad = ((hi - lo) * 0.1).max(0.1);
    let mut series = vec![Series::primary("score", pts)];
    if offset.abs() <= ROPE_OFFSETS {
        let x = offset as f64;
        series.push(Series::secondary(
            "your offset",
            vec![(x, lo - pad), (x, hi + pad)],
        ));
    }
    CurveChart {
        title: "RoPE score against the offset".into(),
        x_label: "offset m − n (query position minus key position)".into(),
        y_label: "q·k after rotation".into(),
        y_range: (lo - pad, hi + pad),
        series,
        x_max: ROPE_OFFSETS as f64,
    }
}

/// The ALiBi section.
#[derive(Clone, Debug, PartialEq)]
pub struct AlibiModel {
    pub tokens: Vec<String>,
    pub slopes: Vec<f64>,
    /// Per head: the bias actually added (masked entries -inf when causal).
    pub biases: Vec<Mat>,
    pub without: Trace,
    pub with: Trace,
    /// Per head: mean attended distance (over rows) without and with ALiBi.
    pub distance: Vec<(f64, f64)>,
}

pub fn alibi(s: &PosState) -> Result<AlibiModel, String> {
    let tokens = tokenize(&s.alibi_text).tokens;
    if tokens.is_empty() {
        return Err("Type at least one token for the ALiBi sentence.".into());
    }
    let n = tokens.len();
    let x = embed_tokens(&tokens, D_MODEL, 1).map_err(|e| e.to_string())?;
    let w = MultiHeadWeights::random(D_MODEL, s.alibi_heads, D_K, D_K, D_MODEL, 4)
        .map_err(|e| e.to_string())?;
    let mask = if s.causal { Mask::Causal } else { Mask::None };
    let run = |position| {
        attention_core::attention_trace(
            &x,
            &w,
            &AttentionConfig {
                mask,
                position,
                ..AttentionConfig::default()
            },
        )
        .map_err(|e| e.to_string())
    };
    let without = run(Position::None)?;
    let with = run(Position::Alibi)?;
    let slopes = alibi_slopes(s.alibi_heads);
    let biases = slopes
        .iter()
        .map(|&m| {
            let mut b = alibi_bias(n, m);
            if s.causal {
                for i in 0..n {
                    for j in i + 1..n {
                        if let Some(v) = b.get_mut((i, j)) {
                            *v = f64::NEG_INFINITY;
                        }
                    }
                }
            }
            b
        })
        .collect();
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let distance = without
        .heads
        .iter()
        .zip(&with.heads)
        .map(|(a, b)| {
            (
                mean(attended_distance(&a.weights)),
                mean(attended_distance(&b.weights)),
            )
        })
        .collect();
    Ok(AlibiModel {
        tokens,
        slopes,
        biases,
        without,
        with,
        distance,
    })
}

/// The slope as a power of two, e.g. "1/2⁴ = 0.0625".
pub fn slope_label(m: f64) -> String {
    let e = -m.log2();
    if (e - e.round()).abs() < 1e-9 {
        format!("2^-{} = {}", e.round(), trim(m))
    } else {
        trim(m)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Small multiples of every head's bias.
pub fn bias_grid(m: &AlibiModel) -> Vec<SmallMatrix> {
    m.biases
        .iter()
        .zip(&m.slopes)
        .enumerate()
        .map(|(h, (b, s))| SmallMatrix {
            title: format!("head {} · m = {}", h + 1, trim(*s)),
            n: b.nrows(),
            values: crate::charts::heatmap::row_major(b),
        })
        .collect()
}

/// The colour scale of the bias grid: 0 down to the most negative bias.
pub fn bias_scale(m: &AlibiModel) -> ColorScale {
    let lo = m
        .biases
        .iter()
        .flat_map(|b| b.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::min);
    ColorScale::Diverging {
        abs_max: (-lo).max(1e-9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PosState {
        PosState::default()
    }

    #[test]
    fn permutation_off_keeps_rows_on_changes_them() {
        let mut s = state();
        let v = permutation(&s).unwrap();
        assert_eq!(v.reordered, vec!["man", "bites", "dog"]);
        assert!(v.result.max_diff < SAME);
        for scheme in [PosScheme::Sinusoidal, PosScheme::Learned, PosScheme::Rope] {
            s.scheme = scheme;
            let v = permutation(&s).unwrap();
            assert!(v.result.max_diff > 1e-3, "{scheme:?}");
        }
        // ALiBi sees only distances |i - j|, which a reversal keeps: it
        // cannot tell "man bites dog" from "dog bites man" ...
        s.scheme = PosScheme::Alibi;
        assert!(permutation(&s).unwrap().result.max_diff < SAME);
        assert!(keeps_distances(&s.perm));
        // ... but any order that changes a distance, it can.
        s.perm = vec![1, 0, 2];
        assert!(!keeps_distances(&s.perm));
        assert!(permutation(&s).unwrap().result.max_diff > 1e-3);
        s.text = "   ".into();
        s.perm = vec![];
        assert!(permutation(&s).is_err());
    }

    #[test]
    fn sinusoid_views_match_the_formula() {
        let img = sinusoid_image(512, 512);
        assert_eq!(img.values.len(), 512 * 512);
        // Entry (p = 3, j = 1): cos(3).
        assert!((img.values[3 * 512 + 1] - 3f64.cos()).abs() < 1e-12);
        let rows = wavelength_rows(6);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], "0, 1");
        assert_eq!(rows[0][2], "6.28");
        let (chart, dots) = offset_chart(40, 64, 16).unwrap();
        assert_eq!(dots.len(), 64);
        assert!((dots[0] - 8.0).abs() < 1e-9);
        for (a, b) in chart.series[0].points.iter().zip(&chart.series[1].points) {
            assert!((a.1 - b.1).abs() < 1e-9, "same curve from any anchor");
        }
        assert!(offset_chart(0, 1, 0).is_err());
    }

    #[test]
    fn rope_model_shift_keeps_the_score() {
        let mut s = state();
        s.shift = 250;
        let r = rope(&s).unwrap();
        assert!((r.at.score - r.shifted.score).abs() < 1e-9);
        assert_eq!(r.offsets.len(), 65);
        let at_offset = r.offsets.iter().find(|o| o.0 == 4).unwrap().1;
        assert!((at_offset - r.at.score).abs() < 1e-9, "m - n = 7 - 3 = 4");
        assert_eq!(rope_panels(&r.at).len(), 4);
        // The angle between q and k in each pair survives the shift.
        for (a, b) in rope_panels(&r.at).iter().zip(rope_panels(&r.shifted)) {
            assert_eq!(a.caption, b.caption);
        }
        assert!((angle_between((1.0, 0.0), (0.0, 1.0)) - 90.0).abs() < 1e-12);
        assert!((angle_between((0.0, 1.0), (1.0, 0.0)) + 90.0).abs() < 1e-12);
        assert!((angle_between((-1.0, 0.1), (-1.0, -0.1)).abs() - 11.42).abs() < 0.01);
        let chart = rope_chart(&r, 4);
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[1].points[0].0, 4.0);
        assert_eq!(rope_chart(&r, 40).series.len(), 1, "off the chart");
    }

    #[test]
    fn alibi_biases_slopes_and_locality() {
        let mut s = state();
        let a = alibi(&s).unwrap();
        assert_eq!(a.slopes.len(), 8);
        assert_eq!(a.slopes[0], 0.5);
        assert_eq!(slope_label(0.5), "2^-1 = 0.5");
        let b = &a.biases[0];
        assert_eq!(b[(3, 1)], -1.0);
        assert_eq!(b[(1, 3)], f64::NEG_INFINITY, "causal: the future is masked");
        // The steepest head looks closer with ALiBi than without.
        assert!(a.distance[0].1 < a.distance[0].0, "{:?}", a.distance[0]);
        s.causal = false;
        let a = alibi(&s).unwrap();
        assert_eq!(a.biases[0][(1, 3)], -1.0);
        let grid = bias_grid(&a);
        assert_eq!(grid.len(), 8);
        assert!(grid[0].title.contains("0.5"));
        s.alibi_text = String::new();
        assert!(alibi(&s).is_err());
    }
}
