//! Number helpers every measuring section shares: counts written with
//! thousands separators, milliseconds to three digits, timing a call, the
//! median of repeated timings and the slope of a log-log fit.

/// `v` with a comma between groups of three digits: `1,000,000`.
pub fn grouped(v: u128) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// [`grouped`] for a count that fits `usize`.
pub fn grouped_usize(v: usize) -> String {
    grouped(v as u128)
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    match (
        s.len() % 2,
        s.get(m),
        m.checked_sub(1).and_then(|i| s.get(i)),
    ) {
        (1, Some(x), _) => *x,
        (0, Some(a), Some(b)) => (a + b) / 2.0,
        _ => f64::NAN,
    }
}

/// Least-squares slope of `log t` against `log n`.
pub fn fit_slope(points: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(n, t)| *n > 0.0 && *t > 0.0 && t.is_finite())
        .map(|(n, t)| (n.ln(), t.ln()))
        .collect();
    if logs.len() < 2 {
        return None;
    }
    let k = logs.len() as f64;
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / k, b + y / k));
    let (sxy, sxx) = logs.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Milliseconds for a table: three significant digits.
pub fn ms(t: f64) -> String {
    if t >= 100.0 {
        format!("{t:.0}")
    } else if t >= 10.0 {
        format!("{t:.1}")
    } else if t >= 1.0 {
        format!("{t:.2}")
    } else {
        format!("{t:.3}")
    }
}

/// The mean time of one call of `call`, timed with `clock` (milliseconds):
/// the call is repeated until `min_ms` have passed (or 1000 calls), so
/// calls too short for the clock's resolution are still measured.
pub fn mean_call_ms(
    clock: fn() -> f64,
    min_ms: f64,
    mut call: impl FnMut() -> Result<(), String>,
) -> Result<f64, String> {
    let t0 = clock();
    let mut calls = 0u32;
    loop {
        call()?;
        calls += 1;
        let spent = clock() - t0;
        if spent >= min_ms || calls >= 1000 {
            return Ok(spent / f64::from(calls));
        }
    }
}

/// A monotonic clock in milliseconds for native tests of the timing jobs.
#[cfg(test)]
pub fn test_clock() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}
