//! View model of section 2 (sequential steps against parallel depth): the
//! engine's [`recurrent_work`] and [`attention_work`] for the chapter's
//! layers (width 32; the GRU has 3 weight blocks; attention one head of
//! 16) as n grows to 100,000: multiply-adds, dependent stages, and rounds
//! on P workers. Charts and tables; pure, tested natively.

use super::model::{HEAD, WIDTH};
use super::race::style;
use crate::charts::cost::LogLogChart;
use crate::charts::plots::Series;
use crate::widgets::measure::grouped;
use crate::widgets::table::TableData;
use attention_core::train::rnn::schedule::{attention_work, recurrent_work, LayerWork};
use attention_core::train::rnn::BodyKind;

/// The largest n of the charts.
pub const MAX_N: u64 = 100_000;

/// One layer's counts at one n.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub kind: BodyKind,
    pub macs: u128,
    pub depth: u128,
    pub rounds: u128,
}

/// The work of one layer of `kind` on n positions.
pub fn work(kind: BodyKind, n: u64) -> Result<LayerWork, String> {
    let (w, h) = (WIDTH as u64, HEAD as u64);
    match kind {
        BodyKind::Rnn => recurrent_work(n, w, w, 1),
        BodyKind::Gru => recurrent_work(n, w, w, 3),
        BodyKind::Attention => attention_work(n, w, 1, h),
    }
    .map_err(|e| e.to_string())
}

/// The counts of every layer at `n` on `workers` workers.
pub fn counts(n: u64, workers: u64) -> Result<Vec<Counts>, String> {
    BodyKind::ALL
        .iter()
        .map(|&kind| {
            let w = work(kind, n)?;
            Ok(Counts {
                kind,
                macs: w.macs().map_err(|e| e.to_string())?,
                depth: w.depth(),
                rounds: w.rounds(workers).map_err(|e| e.to_string())?,
            })
        })
        .collect()
}

/// The lengths the charts show: 2, 4, 8, … and 100,000.
pub fn chart_lengths() -> Vec<u64> {
    let mut ns: Vec<u64> = std::iter::successors(Some(2u64), |n| n.checked_mul(2))
        .take_while(|&n| n < MAX_N)
        .collect();
    ns.push(MAX_N);
    ns
}

/// The layer names used on this section's charts.
pub fn name(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Rnn => "RNN",
        BodyKind::Gru => "GRU",
        BodyKind::Attention => "self-attention",
    }
}

fn series(
    label: &str,
    kind: BodyKind,
    f: impl Fn(&LayerWork) -> Option<u128>,
) -> Result<Series, String> {
    let (color, square) = style(kind);
    let points = chart_lengths()
        .into_iter()
        .map(|n| Ok((n as f64, f(&work(kind, n)?).map_or(f64::NAN, |v| v as f64))))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Series::new(
        format!("{} {label}", name(kind)),
        points,
        color,
        square,
    ))
}

/// Dependent steps (the depth of the chain) and rounds on P workers
/// against n: the RNN (the GRU's chain is as long) and self-attention.
pub fn steps_chart(n: u64, workers: u64) -> Result<LogLogChart, String> {
    let kinds = [BodyKind::Rnn, BodyKind::Attention];
    let mut s = Vec::new();
    for k in kinds {
        s.push(series("steps", k, |w| Some(w.depth()))?);
    }
    for k in kinds {
        let mut r = series("rounds", k, |w| w.rounds(workers).ok())?;
        r.square = !r.square;
        r.color = match k {
            BodyKind::Attention => crate::charts::cost::ORANGE,
            _ => crate::charts::cost::PURPLE,
        };
        s.push(r);
    }
    let title = format!(
        "Steps and rounds, P = {} workers",
        grouped(u128::from(workers))
    );
    Ok(against_n(
        &title,
        "steps or rounds (log scale)",
        1.0,
        s,
        &[
            "RNN: n + 1 dependent steps",
            "self-attention: 4, whatever n",
        ],
        n,
    ))
}

/// A log-log chart of `series` against n up to [`MAX_N`], its y axis from
/// `y_lo` to a little above the largest value, `notes` written on it and
/// the learner's `n` marked.
fn against_n(
    title: &str,
    y_label: &str,
    y_lo: f64,
    series: Vec<Series>,
    notes: &[&str],
    n: u64,
) -> LogLogChart {
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(10.0, f64::max);
    LogLogChart {
        title: title.into(),
        x_label: "sequence length n (log scale)".into(),
        y_label: y_label.into(),
        x_range: (2.0, MAX_N as f64),
        y_range: (y_lo, top * 3.0),
        series,
        marks: Vec::new(),
        levels: Vec::new(),
        notes: notes.iter().map(|s| s.to_string()).collect(),
        current: Some(n as f64),
    }
}

/// Multiply-adds of one layer against n.
pub fn macs_chart(n: u64) -> Result<LogLogChart, String> {
    let s = BodyKind::ALL
        .iter()
        .map(|&k| series("multiply-adds", k, |w| w.macs().ok()))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(against_n(
        "Multiply-adds of one layer",
        "multiply-adds (log scale)",
        1000.0,
        s,
        &["recurrent: slope 1 (n)", "attention: slope 2 (n²)"],
        n,
    ))
}

/// The counts at the learner's n as a table.
pub fn counts_table(cs: &[Counts], workers: u64) -> TableData {
    let rounds = format!("rounds on P = {}", grouped(u128::from(workers)));
    TableData::plain(
        &["layer", "multiply-adds", "dependent steps", &rounds],
        cs.iter().map(|c| {
            vec![
                name(c.kind).to_string(),
                grouped(c.macs),
                grouped(c.depth),
                grouped(c.rounds),
            ]
        }),
    )
}

/// Whether attention needs fewer rounds than the RNN at n on `workers`.
pub fn attention_ahead(n: u64, workers: u64) -> bool {
    counts(n, workers).is_ok_and(|cs| match (cs.first(), cs.get(2)) {
        (Some(r), Some(a)) => a.rounds < r.rounds,
        _ => false,
    })
}

/// The lengths (up to [`MAX_N`]) where attention needs fewer rounds than
/// the RNN on `workers` workers, `(first, last)`: at the smallest n its 4
/// stages are more than the RNN's few steps; past `last` its n² work is
/// more than the workers can absorb. `None` if it is never ahead.
pub fn attention_ahead_range(workers: u64) -> Option<(u64, u64)> {
    // Attention has at least 4 rounds and the RNN at least n + 1, so if
    // attention is ever ahead it is by n = 64.
    let first = (2..=64).find(|&n| attention_ahead(n, workers))?;
    if attention_ahead(MAX_N, workers) {
        return Some((first, MAX_N));
    }
    // Attention's rounds grow as n², the RNN's as n: one crossing.
    let (mut lo, mut hi) = (first, MAX_N);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if attention_ahead(mid, workers) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((first, lo))
}

/// The numbers of every chart point, as text.
pub fn chart_numbers(workers: u64) -> TableData {
    let rounds = format!("rounds (P = {workers})");
    let header = [
        "n",
        "RNN multiply-adds",
        "GRU multiply-adds",
        "attention multiply-adds",
        "RNN steps",
        "attention steps",
        &format!("RNN {rounds}"),
        &format!("attention {rounds}"),
    ];
    let rows = chart_lengths().into_iter().map(|n| {
        let get = |k| {
            counts(n, workers)
                .ok()
                .and_then(|cs| cs.into_iter().find(|c| c.kind == k))
        };
        let (r, g, a) = (
            get(BodyKind::Rnn),
            get(BodyKind::Gru),
            get(BodyKind::Attention),
        );
        let f = |c: &Option<Counts>, pick: fn(&Counts) -> u128| {
            c.as_ref().map_or(String::new(), |c| grouped(pick(c)))
        };
        vec![
            grouped(u128::from(n)),
            f(&r, |c| c.macs),
            f(&g, |c| c.macs),
            f(&a, |c| c.macs),
            f(&r, |c| c.depth),
            f(&a, |c| c.depth),
            f(&r, |c| c.rounds),
            f(&a, |c| c.rounds),
        ]
    });
    let header: Vec<&str> = header.to_vec();
    TableData::plain(&header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_a_hand_calculation() {
        // n = 10, width 32, one head of 16, P = 1000.
        let cs = counts(10, 1000).expect("counts");
        let rnn = &cs[0];
        // Input products 10 x 32 x 32, then 10 steps of 32 x 32.
        assert_eq!(rnn.macs, 10 * 1024 + 10 * 1024);
        assert_eq!(rnn.depth, 11);
        // ceil(10240 / 1000) + 10 x ceil(1024 / 1000).
        assert_eq!(rnn.rounds, 11 + 10 * 2);
        let gru = &cs[1];
        assert_eq!(gru.macs, 3 * (10 * 1024 + 10 * 1024));
        let att = &cs[2];
        // Q, K, V: 3 x 10 x 32 x 16; scores and sum: 2 x 100 x 16; out: 10 x 16 x 32.
        assert_eq!(att.macs, 15_360 + 3_200 + 5_120);
        assert_eq!(att.depth, 4);
        assert_eq!(att.rounds, 16 + 2 + 2 + 6);
        // At n = 100,000 attention does far more work but in 4 stages.
        let big = counts(100_000, 1_000_000).expect("counts");
        assert_eq!(big[0].depth, 100_001);
        assert_eq!(big[2].depth, 4);
        assert!(big[2].macs > 1000 * big[0].macs);
        // P = 10^6 workers are too few for 3.2 x 10^11 score MACs: the
        // RNN's 100,001 rounds beat attention's ~320,000 ...
        assert!(big[2].rounds > big[0].rounds);
        // ... while 10^9 workers do attention in a few thousand rounds.
        let huge = counts(100_000, 1_000_000_000).expect("counts");
        assert!(huge[2].rounds < 5_000 && huge[0].rounds == 100_001);
        let (first, last) = attention_ahead_range(1_000_000).expect("a range");
        assert!(first <= 8 && !attention_ahead(first - 1, 1_000_000));
        assert!(attention_ahead(last, 1_000_000) && !attention_ahead(last + 1, 1_000_000));
        // Rounds ~ 32 n² / P against n: the crossing is near P / 32.
        assert!((30_000..32_000).contains(&last), "{last}");
        assert_eq!(attention_ahead_range(1), None);
        assert_eq!(
            attention_ahead_range(1_000_000_000).map(|r| r.1),
            Some(MAX_N)
        );
    }

    #[test]
    fn charts_and_tables() {
        let ns = chart_lengths();
        assert_eq!((ns[0], ns.last().copied()), (2, Some(100_000)));
        let c = steps_chart(1000, 64).expect("chart");
        assert_eq!(c.series.len(), 4);
        assert_eq!(c.series[0].points[0], (2.0, 3.0));
        assert_eq!(c.series[1].points[0], (2.0, 4.0));
        assert_eq!(c.series[2].name, "RNN rounds");
        assert!(c.title.contains("P = 64"));
        let m = macs_chart(1000).expect("chart");
        assert_eq!(m.series.len(), 3);
        let t = counts_table(&counts(1000, 64).expect("counts"), 64);
        assert_eq!(t.rows[0].1[2], "1,001");
        assert_eq!(t.rows[2].1[2], "4");
        // The matched layers: attention's projections alone cost what the
        // whole RNN does (2048 n), the scores add 32 n².
        for n in [2u64, 77, 5000] {
            let cs = counts(n, 1).expect("counts");
            assert_eq!(cs[0].macs, 2048 * u128::from(n));
            assert_eq!(cs[2].macs, 2048 * u128::from(n) + 32 * u128::from(n * n));
            assert_eq!(
                cs[2].rounds, cs[2].macs,
                "one worker does everything in turn"
            );
        }
        assert_eq!(chart_numbers(8).rows.len(), ns.len());
        assert!(counts(0, 1).is_err());
        assert!(counts(5, 0).is_err());
    }
}
