//! Masked, numerically stable softmax.
//!
//! `f64::NEG_INFINITY` marks a masked entry: it gets a weight of exactly 0.
//! The row maximum over unmasked entries is subtracted before `exp`, so
//! logits like `1e4` or `-1e4` still give finite weights.
//!
//! The exponential is [`exp`], the algorithm of musl's (and so of the Rust
//! standard library's in the browser) `exp` written without branches for
//! the range softmax uses, so it is inlined into the loops: a 512-token,
//! 8-head trace calls it two million times, and the library call was a
//! third of a temperature change's time in the browser. Within an ulp of
//! `f64::exp` (tested), and the same on every platform. In wasm the loops
//! run two entries at a time with SIMD (`lanes`), bit for bit the same.

use crate::{AttnError, Mat};

// musl's exp (FreeBSD's e_exp.c): x = k ln2 + r, |r| <= ln2 / 2, with
// ln2 split in two so that k * LN2_HI is exact, and a degree-5 rational
// approximation of e^r.
// (The bit patterns of musl's constants, exactly.)
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INV_LN2: f64 = std::f64::consts::LOG2_E;
const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);

/// `e^x`, within an ulp of `f64::exp`: computed inline for `-708 <= x <=
/// 709` (where `2^k` is a normal number and nothing overflows), by
/// `f64::exp` elsewhere (NaN, infinities, underflow to subnormals or 0,
/// overflow).
#[inline]
pub fn exp(x: f64) -> f64 {
    if !(-708.0..=709.0).contains(&x) {
        return x.exp();
    }
    exp_in_range(x)
}

/// 1.5 * 2^52: adding it to a number under 2^51 in size rounds that number
/// to a whole one (ties to even, the default rounding) and leaves the whole
/// number in the low bits of the sum.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// [`exp`] for `-708 <= x <= 709` only, with no branch and no conversion
/// to an integer register, so a loop of it compiles to SIMD (two lanes in
/// wasm). `k = round(x / ln 2)` comes from adding [`ROUND`], and `2^k` from
/// the low bits of that sum shifted into the exponent: bit for bit the same
/// as rounding with `round_ties_even` and converting `k` (tested).
#[inline(always)]
fn exp_in_range(x: f64) -> f64 {
    let t = x * INV_LN2 + ROUND;
    let k = t - ROUND;
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    // The low 12 bits of t's bits are k's (two's complement); k + 1023 is
    // in [2, 2046], the biased exponent of 2^k: shifted into place, the
    // higher bits fall off the top.
    y * f64::from_bits(t.to_bits().wrapping_add(1023) << 52)
}

/// Softmax of one row (length `n >= 1`). `NEG_INFINITY` entries are masked and
/// get exactly 0. Err if the row is empty, fully masked, or contains NaN or
/// `+inf`.
pub fn softmax(row: &[f64]) -> Result<Vec<f64>, AttnError> {
    softmax_named(row, || "row".to_string())
}

/// `field` names the row in errors; it is only called when there is one
/// (building it for every row of every head was a measurable cost).
fn softmax_named(row: &[f64], field: impl Fn() -> String) -> Result<Vec<f64>, AttnError> {
    if row.is_empty() {
        return Err(AttnError::shape(field(), "at least 1 entry", "0 entries"));
    }
    if let Some((j, v)) = row
        .iter()
        .enumerate()
        .find(|(_, v)| v.is_nan() || **v == f64::INFINITY)
    {
        return Err(AttnError::value(
            format!("{}[{j}]", field()),
            format!("logit is {v}; only finite values or -inf (masked) are allowed"),
        ));
    }
    let max = row
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Err(AttnError::value(
            field(),
            "every entry is masked; softmax is undefined",
        ));
    }
    let exps: Vec<f64> = row
        .iter()
        .map(|&v| if v.is_finite() { exp(v - max) } else { 0.0 })
        .collect();
    // The max entry contributes exp(0) = 1, so sum >= 1.
    let sum: f64 = exps.iter().sum();
    Ok(exps.into_iter().map(|e| e / sum).collect())
}

/// Row-wise softmax of an `n x m` logits matrix (see [`softmax`]); returns an
/// `n x m` matrix whose rows sum to 1. Err names the first bad row.
///
/// The matrix is stored column by column, so the rows are softened together
/// in sweeps over the columns (contiguous memory), with one running maximum
/// and one running sum per row: the same operations in the same order as
/// [`softmax`] on each row, hence the same results to the bit.
pub fn softmax_rows(logits: &Mat) -> Result<Mat, AttnError> {
    let (n, m) = logits.shape();
    if n == 0 {
        return Ok(Mat::zeros(0, m));
    }
    let data = logits.as_slice();
    // Row maxima. Masked entries (-inf) leave a maximum unchanged; NaN and
    // +inf are errors, reported by the row-by-row path below.
    let mut max = vec![f64::NEG_INFINITY; n];
    let mut valid = m > 0;
    for col in data.chunks_exact(n) {
        for (mx, &v) in max.iter_mut().zip(col) {
            valid &= v < f64::INFINITY;
            // Not `f64::max`, a library call in wasm; NaN is refused below.
            if v > *mx {
                *mx = v;
            }
        }
    }
    if !valid || max.contains(&f64::NEG_INFINITY) {
        return softmax_rows_by_row(logits);
    }
    Ok(softmax_rows_with_max(logits, &max))
}

/// The fast path of [`softmax_rows`] on an `n x m` matrix (`n >= 1`) whose
/// entries are finite or `-inf` (masked), given `max`, the `n` row maxima
/// over the finite entries, all finite: `exp(v - max)` per entry (exactly 0
/// for masked ones), summed per row in column order, then divided by the
/// row's sum. Returns `n x m`.
pub(crate) fn softmax_rows_with_max(logits: &Mat, max: &[f64]) -> Mat {
    let (n, m) = logits.shape();
    let mut out = vec![0.0; n * m];
    let mut sum = vec![0.0; n];
    // One branch-free pass: masked entries (-inf) and ones more than 708
    // below their row's maximum get 0 there. The second kind is counted;
    // its true exp is a subnormal number, so if there is any, the exact
    // pass below runs instead.
    let mut deep = 0usize;
    for (col, out_col) in logits
        .as_slice()
        .chunks_exact(n.max(1))
        .zip(out.chunks_exact_mut(n.max(1)))
    {
        deep += lanes::soften_column(col, max, &mut sum, out_col);
    }
    if deep > 0 {
        sum.fill(0.0);
        for (col, out_col) in logits
            .as_slice()
            .chunks_exact(n.max(1))
            .zip(out.chunks_exact_mut(n.max(1)))
        {
            for (((&v, &mx), s), o) in col.iter().zip(max).zip(sum.iter_mut()).zip(out_col) {
                let e = if v.is_finite() { exp(v - mx) } else { 0.0 };
                *s += e;
                *o = e;
            }
        }
    }
    for col in out.chunks_exact_mut(n.max(1)) {
        lanes::divide(col, &sum);
    }
    Mat::from_vec(n, m, out)
}

/// The fast pass's loops, entry by entry ([`scalar`](lanes::scalar)) and, in
/// wasm with SIMD, two entries at a time with the same operations in the
/// same order, so the same bits. (The release build's link-time
/// optimisation runs at the app's size setting, which does not vectorise
/// loops by itself: these are written with the wasm SIMD operations.)
pub(crate) mod lanes {
    /// One column (a slice of `n` rows) of the fast pass: `out[i] =
    /// exp(col[i] - max[i])` if that is at least -708 below, else 0;
    /// `sum[i] += out[i]`. Returns how many finite entries were below.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    pub fn soften_column(col: &[f64], max: &[f64], sum: &mut [f64], out: &mut [f64]) -> usize {
        scalar::soften_column(col, max, sum, out)
    }

    /// `col[i] /= sum[i]`.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    pub fn divide(col: &mut [f64], sum: &[f64]) {
        scalar::divide(col, sum)
    }

    /// `out[i] = col[i] * inv_t` when `inv_t` is given (the exact inverse
    /// of a power of two), else `col[i] / t`. Returns whether every
    /// `out[i]` is finite.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    pub fn scale_column(col: &[f64], t: f64, inv_t: Option<f64>, out: &mut [f64]) -> bool {
        scalar::scale_column(col, t, inv_t, out)
    }

    /// `max[i] = col[i]` where `col[i] > max[i]` (as `f64::max` with NaN
    /// skipped, without its library call in wasm).
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    pub fn raise_max(col: &[f64], max: &mut [f64]) {
        scalar::raise_max(col, max)
    }

    /// `y[i] += a * x[i]` (a multiply, then an add: no fused step).
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    pub fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
        scalar::axpy(y, a, x)
    }

    pub mod scalar {
        use super::super::exp_in_range;

        pub fn scale_column(col: &[f64], t: f64, inv_t: Option<f64>, out: &mut [f64]) -> bool {
            match inv_t {
                Some(inv_t) => out.iter_mut().zip(col).for_each(|(o, &v)| *o = v * inv_t),
                None => out.iter_mut().zip(col).for_each(|(o, &v)| *o = v / t),
            }
            out.iter().fold(true, |ok, v| ok & v.is_finite())
        }

        pub fn raise_max(col: &[f64], max: &mut [f64]) {
            for (mx, &l) in max.iter_mut().zip(col) {
                if l > *mx {
                    *mx = l;
                }
            }
        }

        pub fn soften_column(col: &[f64], max: &[f64], sum: &mut [f64], out: &mut [f64]) -> usize {
            let mut deep = 0;
            for (((&v, &mx), s), o) in col.iter().zip(max).zip(sum.iter_mut()).zip(out) {
                let x = v - mx;
                let inside = x >= -708.0;
                let e = exp_in_range(if inside { x } else { -708.0 });
                let e = if inside { e } else { 0.0 };
                deep += usize::from(!inside & (x > f64::NEG_INFINITY));
                *s += e;
                *o = e;
            }
            deep
        }

        pub fn divide(col: &mut [f64], sum: &[f64]) {
            for (w, s) in col.iter_mut().zip(sum) {
                *w /= s;
            }
        }

        pub fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
            for (y, &x) in y.iter_mut().zip(x) {
                *y += a * x;
            }
        }
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    pub use simd::{axpy, divide, raise_max, scale_column, soften_column};

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod simd {
        use super::super::{INV_LN2, LN2_HI, LN2_LO, P1, P2, P3, P4, P5, ROUND};
        use core::arch::wasm32::*;

        /// [`exp_in_range`](super::super::exp_in_range) on both lanes.
        #[inline(always)]
        fn exp_in_range(x: v128) -> v128 {
            let splat = f64x2_splat;
            let t = f64x2_add(f64x2_mul(x, splat(INV_LN2)), splat(ROUND));
            let k = f64x2_sub(t, splat(ROUND));
            let hi = f64x2_sub(x, f64x2_mul(k, splat(LN2_HI)));
            let lo = f64x2_mul(k, splat(LN2_LO));
            let r = f64x2_sub(hi, lo);
            let rr = f64x2_mul(r, r);
            let poly = f64x2_add(splat(P4), f64x2_mul(rr, splat(P5)));
            let poly = f64x2_add(splat(P3), f64x2_mul(rr, poly));
            let poly = f64x2_add(splat(P2), f64x2_mul(rr, poly));
            let poly = f64x2_add(splat(P1), f64x2_mul(rr, poly));
            let c = f64x2_sub(r, f64x2_mul(rr, poly));
            let q = f64x2_div(f64x2_mul(r, c), f64x2_sub(splat(2.0), c));
            let y = f64x2_add(splat(1.0), f64x2_add(f64x2_sub(q, lo), hi));
            let scale = i64x2_shl(i64x2_add(t, i64x2_splat(1023)), 52);
            f64x2_mul(y, scale)
        }

        /// (The four slices have the same length: the pairs, then the
        /// last entry if it is odd, by the scalar loop.)
        pub fn soften_column(col: &[f64], max: &[f64], sum: &mut [f64], out: &mut [f64]) -> usize {
            let (mut cs, mut ms) = (col.chunks_exact(2), max.chunks_exact(2));
            let (mut ss, mut os) = (sum.chunks_exact_mut(2), out.chunks_exact_mut(2));
            let mut deep = 0;
            for (((c, m), s), o) in (&mut cs).zip(&mut ms).zip(&mut ss).zip(&mut os) {
                if let ([c0, c1], [m0, m1], [s0, s1], [o0, o1]) = (c, m, s, o) {
                    let x = f64x2_sub(f64x2(*c0, *c1), f64x2(*m0, *m1));
                    let floor = f64x2_splat(-708.0);
                    let inside = f64x2_ge(x, floor);
                    let e = v128_and(exp_in_range(v128_bitselect(x, floor, inside)), inside);
                    let below = v128_andnot(f64x2_gt(x, f64x2_splat(f64::NEG_INFINITY)), inside);
                    deep += i64x2_bitmask(below).count_ones() as usize;
                    let total = f64x2_add(f64x2(*s0, *s1), e);
                    (*s0, *s1) = (
                        f64x2_extract_lane::<0>(total),
                        f64x2_extract_lane::<1>(total),
                    );
                    (*o0, *o1) = (f64x2_extract_lane::<0>(e), f64x2_extract_lane::<1>(e));
                }
            }
            deep + super::scalar::soften_column(
                cs.remainder(),
                ms.remainder(),
                ss.into_remainder(),
                os.into_remainder(),
            )
        }

        pub fn scale_column(col: &[f64], t: f64, inv_t: Option<f64>, out: &mut [f64]) -> bool {
            let (mut cs, mut os) = (col.chunks_exact(2), out.chunks_exact_mut(2));
            let zero = f64x2_splat(0.0);
            // x - x is 0 exactly when x is finite.
            let mut finite = f64x2_eq(zero, zero);
            for (c, o) in (&mut cs).zip(&mut os) {
                if let ([c0, c1], [o0, o1]) = (c, o) {
                    let v = f64x2(*c0, *c1);
                    let l = match inv_t {
                        Some(inv_t) => f64x2_mul(v, f64x2_splat(inv_t)),
                        None => f64x2_div(v, f64x2_splat(t)),
                    };
                    finite = v128_and(finite, f64x2_eq(f64x2_sub(l, l), zero));
                    (*o0, *o1) = (f64x2_extract_lane::<0>(l), f64x2_extract_lane::<1>(l));
                }
            }
            let rest = super::scalar::scale_column(cs.remainder(), t, inv_t, os.into_remainder());
            i64x2_all_true(finite) & rest
        }

        pub fn raise_max(col: &[f64], max: &mut [f64]) {
            let (mut cs, mut ms) = (col.chunks_exact(2), max.chunks_exact_mut(2));
            for (c, m) in (&mut cs).zip(&mut ms) {
                if let ([c0, c1], [m0, m1]) = (c, m) {
                    let (l, mx) = (f64x2(*c0, *c1), f64x2(*m0, *m1));
                    let up = v128_bitselect(l, mx, f64x2_gt(l, mx));
                    (*m0, *m1) = (f64x2_extract_lane::<0>(up), f64x2_extract_lane::<1>(up));
                }
            }
            super::scalar::raise_max(cs.remainder(), ms.into_remainder());
        }

        pub fn divide(col: &mut [f64], sum: &[f64]) {
            let (mut ws, mut ss) = (col.chunks_exact_mut(2), sum.chunks_exact(2));
            for (w, s) in (&mut ws).zip(&mut ss) {
                if let ([w0, w1], [s0, s1]) = (w, s) {
                    let q = f64x2_div(f64x2(*w0, *w1), f64x2(*s0, *s1));
                    (*w0, *w1) = (f64x2_extract_lane::<0>(q), f64x2_extract_lane::<1>(q));
                }
            }
            super::scalar::divide(ws.into_remainder(), ss.remainder());
        }

        pub fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
            let (mut ys, mut xs) = (y.chunks_exact_mut(2), x.chunks_exact(2));
            let a2 = f64x2_splat(a);
            for (y, x) in (&mut ys).zip(&mut xs) {
                if let ([y0, y1], [x0, x1]) = (y, x) {
                    let r = f64x2_add(f64x2(*y0, *y1), f64x2_mul(a2, f64x2(*x0, *x1)));
                    (*y0, *y1) = (f64x2_extract_lane::<0>(r), f64x2_extract_lane::<1>(r));
                }
            }
            super::scalar::axpy(ys.into_remainder(), a, xs.remainder());
        }
    }
}

/// `w v` for an `n_q x n_kv` matrix `w` and an `n_kv x d` matrix `v`
/// (`n_q x d`), column by column of `w`: output column `c` gets
/// `v[j, c] * w[.., j]` added for `j = 0, 1, ...` in order (each entry a
/// multiply, then an add), the same bits in the scalar and the SIMD loops.
/// For the thin products of attention (`d` is `d_v`, a few columns), about
/// four times faster in wasm than the general product, which packs both
/// operands for its kernel. Err-free: `v` must have `n_kv` rows (the
/// callers check).
pub(crate) fn thin_product(w: &Mat, v: &Mat) -> Mat {
    let (n_q, n_kv) = w.shape();
    let d = v.ncols();
    debug_assert_eq!(v.nrows(), n_kv);
    let mut out = vec![0.0; n_q * d];
    if n_q == 0 {
        return Mat::from_vec(0, d, out);
    }
    for (j, w_col) in w.as_slice().chunks_exact(n_q).enumerate() {
        for (c, out_col) in out.chunks_exact_mut(n_q).enumerate() {
            lanes::axpy(out_col, v[(j, c)], w_col);
        }
    }
    Mat::from_vec(n_q, d, out)
}

/// [`softmax_rows`] one row at a time: the reference path, and the one that
/// finds and names the first bad row.
fn softmax_rows_by_row(logits: &Mat) -> Result<Mat, AttnError> {
    let mut out = Mat::zeros(logits.nrows(), logits.ncols());
    for (i, (row, mut out_row)) in logits.row_iter().zip(out.row_iter_mut()).enumerate() {
        let row: Vec<f64> = row.iter().copied().collect();
        let w = softmax_named(&row, || format!("logits[{i}]"))?;
        for (dst, v) in out_row.iter_mut().zip(w) {
            *dst = v;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    const NEG: f64 = f64::NEG_INFINITY;

    /// How many representable doubles lie between `a` and `b` (same sign).
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn the_thin_product_sums_key_by_key_and_matches_the_general_one() {
        let mut rng = crate::Rng::new(11);
        for (n_q, n_kv, d) in [
            (1, 1, 1),
            (3, 5, 2),
            (7, 7, 8),
            (64, 33, 3),
            (0, 4, 2),
            (5, 0, 3),
        ] {
            let w = Mat::from_fn(n_q, n_kv, |_, _| rng.uniform());
            let v = Mat::from_fn(n_kv, d, |_, _| rng.normal());
            let got = thin_product(&w, &v);
            assert_eq!(got.shape(), (n_q, d));
            for i in 0..n_q {
                for c in 0..d {
                    // The order the doc promises, entry by entry.
                    let mut want = 0.0;
                    for j in 0..n_kv {
                        want += v[(j, c)] * w[(i, j)];
                    }
                    assert_eq!(
                        got[(i, c)].to_bits(),
                        want.to_bits(),
                        "({i}, {c}) of {n_q} x {n_kv} x {d}"
                    );
                }
            }
            let general = &w * &v;
            assert!((&got - &general).amax() <= 1e-12 * (1.0 + general.amax()));
        }
    }

    #[test]
    fn exp_is_within_an_ulp_of_the_standard_library() {
        assert_eq!(INV_LN2.to_bits(), 0x3ff7_1547_652b_82fe, "musl's 1/ln 2");
        let mut rng = crate::Rng::new(3);
        let mut worst = 0;
        // A sweep of the whole inline range and its edges, then random
        // points, most of them where softmax works (-40..0).
        let sweep = (0..=200_000).map(|i| -745.0 + 1455.0 * f64::from(i) / 200_000.0);
        let random = (0..200_000).map(|i| {
            let u = rng.uniform();
            if i % 4 == 0 {
                -745.0 + 1455.0 * u
            } else {
                -40.0 * u
            }
        });
        let tiny = [
            0.0,
            -0.0,
            1e-300,
            -1e-20,
            2f64.powi(-29),
            -0.5 * std::f64::consts::LN_2,
        ];
        for x in sweep.chain(random).chain(tiny) {
            let (got, want) = (exp(x), x.exp());
            let d = ulps(got, want);
            assert!(d <= 1, "exp({x:e}) = {got:e}, std {want:e}, {d} ulps");
            worst = worst.max(d);
        }
        assert!(worst <= 1);
        assert_eq!(exp(0.0), 1.0);
        assert!(ulps(exp(1.0), std::f64::consts::E) <= 1);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert!(exp(-708.5) > 0.0 && exp(-708.5) < f64::MIN_POSITIVE);
    }

    #[test]
    fn exp_in_range_rounds_and_scales_as_the_integer_path() {
        // The same steps with round_ties_even and an integer conversion.
        let by_integer = |x: f64| {
            let k = (x * INV_LN2).round_ties_even();
            let hi = x - k * LN2_HI;
            let lo = k * LN2_LO;
            let r = hi - lo;
            let rr = r * r;
            let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
            let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
            y * f64::from_bits(((k as i64 + 1023) as u64) << 52)
        };
        let mut rng = crate::Rng::new(5);
        let sweep = (0..=400_000).map(|i| -708.0 + 1417.0 * f64::from(i) / 400_000.0);
        // Halfway cases of x / ln 2 (ties), where the two roundings could part.
        let ties = (-1021..=1022).map(|k| (f64::from(k) + 0.5) * std::f64::consts::LN_2);
        let random = (0..100_000).map(|_| -708.0 + 1417.0 * rng.uniform());
        for x in sweep
            .chain(ties)
            .chain(random)
            .chain([-708.0, 709.0, 0.0, -0.0])
        {
            if (-708.0..=709.0).contains(&x) {
                assert_eq!(
                    exp_in_range(x).to_bits(),
                    by_integer(x).to_bits(),
                    "x = {x:e}"
                );
            }
        }
    }

    #[test]
    fn entries_far_below_the_maximum_take_the_exact_path() {
        // Rows whose entries lie 708..745 below the maximum have subnormal
        // weights: the fast pass gives them 0 and hands over to the exact
        // pass, which must agree with row-by-row to the bit.
        let m = Mat::from_row_slice(
            3,
            4,
            &[
                0.0, -720.0, -800.0, NEG, //
                1.0, 2.0, 3.0, 4.0, //
                -5.0, 735.0, 0.0, 700.0,
            ],
        );
        let w = softmax_rows(&m).unwrap();
        assert_eq!(w, softmax_rows_by_row(&m).unwrap());
        assert!(
            w[(0, 1)] > 0.0 && w[(0, 1)] < f64::MIN_POSITIVE,
            "{}",
            w[(0, 1)]
        );
        assert_eq!(w[(0, 2)], 0.0);
        assert_eq!(w[(0, 3)], 0.0);
        assert!(w[(2, 0)] > 0.0 && w[(2, 0)] < f64::MIN_POSITIVE);
    }

    #[test]
    fn hand_worked_two_entries() {
        // softmax(0, ln 3) = (1, 3) / 4 = (0.25, 0.75)
        let w = softmax(&[0.0, 3f64.ln()]).unwrap();
        assert!((w[0] - 0.25).abs() < 1e-15 && (w[1] - 0.75).abs() < 1e-15);
        // Equal logits -> uniform.
        assert_eq!(softmax(&[2.0, 2.0]).unwrap(), vec![0.5, 0.5]);
    }

    #[test]
    fn masked_entries_are_exactly_zero() {
        // Causal row 0 of a 2x2: (1, -inf) -> (1, 0)
        let m = Mat::from_row_slice(2, 2, &[1.0, NEG, 0.0, 0.0]);
        let w = softmax_rows(&m).unwrap();
        assert_eq!(w[(0, 0)], 1.0);
        assert_eq!(w[(0, 1)], 0.0);
        assert_eq!((w[(1, 0)], w[(1, 1)]), (0.5, 0.5));
    }

    #[test]
    fn huge_logits_stay_finite() {
        let w = softmax(&[1e4, -1e4, 0.0]).unwrap();
        assert_eq!(w, vec![1.0, 0.0, 0.0]);
        let w = softmax(&[1e308, -1e308]).unwrap();
        assert!(w.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn rows_at_once_match_row_by_row_to_the_bit() {
        // 5 x 7 with masked entries; every row keeps at least one.
        let mut rng = crate::Rng::new(3);
        let mut m = rng.normal_matrix(5, 7, 4.0);
        for (i, j) in [(0, 1), (0, 6), (2, 0), (2, 3), (4, 5)] {
            m[(i, j)] = NEG;
        }
        let fast = softmax_rows(&m).unwrap();
        assert_eq!(fast, softmax_rows_by_row(&m).unwrap());
        for (i, row) in m.row_iter().enumerate() {
            let row: Vec<f64> = row.iter().copied().collect();
            let want = softmax(&row).unwrap();
            let got: Vec<f64> = fast.row(i).iter().copied().collect();
            assert_eq!(got, want);
        }
        assert_eq!(softmax_rows(&Mat::zeros(0, 3)).unwrap().shape(), (0, 3));
    }

    #[test]
    fn errors() {
        assert!(matches!(softmax(&[]), Err(AttnError::Shape { .. })));
        assert!(matches!(softmax(&[NEG, NEG]), Err(AttnError::Value { .. })));
        assert!(matches!(
            softmax(&[f64::NAN, 1.0]),
            Err(AttnError::Value { .. })
        ));
        assert!(matches!(
            softmax(&[f64::INFINITY]),
            Err(AttnError::Value { .. })
        ));
        let e = softmax_rows(&Mat::from_row_slice(2, 1, &[0.0, NEG])).unwrap_err();
        assert_eq!(e.field(), "logits[1]");
        // The first bad row is named, whatever comes after it.
        let m = Mat::from_row_slice(3, 2, &[0.0, 1.0, f64::NAN, NEG, NEG, NEG]);
        assert_eq!(softmax_rows(&m).unwrap_err().field(), "logits[1][0]");
        let m = Mat::from_row_slice(2, 2, &[NEG, NEG, f64::INFINITY, 0.0]);
        assert_eq!(softmax_rows(&m).unwrap_err().field(), "logits[0]");
        assert_eq!(
            softmax_rows(&Mat::zeros(2, 0)).unwrap_err().field(),
            "logits[0]"
        );
    }
}
