//! Colour maps for charts, chosen to stay readable for colour-blind viewers
//! and on washed-out projectors.
//!
//! * [`sequential`]: viridis (perceptually uniform, colour-blind safe), used for
//!   attention weights in `[0, 1]`.
//! * [`diverging`]: ColorBrewer RdBu (reversed: blue negative, red positive),
//!   listed by ColorBrewer as colour-blind safe, used for signed values.

/// An sRGB colour.
pub type Rgb = (u8, u8, u8);

const VIRIDIS: [Rgb; 9] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x28, 0x78),
    (0x3e, 0x49, 0x89),
    (0x31, 0x68, 0x8e),
    (0x26, 0x82, 0x8e),
    (0x1f, 0x9e, 0x89),
    (0x35, 0xb7, 0x79),
    (0x6e, 0xce, 0x58),
    (0xfd, 0xe7, 0x25),
];

const RDBU_REVERSED: [Rgb; 11] = [
    (0x05, 0x30, 0x61),
    (0x21, 0x66, 0xac),
    (0x43, 0x93, 0xc3),
    (0x92, 0xc5, 0xde),
    (0xd1, 0xe5, 0xf0),
    (0xf7, 0xf7, 0xf7),
    (0xfd, 0xdb, 0xc7),
    (0xf4, 0xa5, 0x82),
    (0xd6, 0x60, 0x4d),
    (0xb2, 0x18, 0x2b),
    (0x67, 0x00, 0x1f),
];

/// Colour for masked cells (no value: the softmax never sees them).
pub const MASKED: Rgb = (0x9a, 0x9a, 0x9a);

fn interpolate(stops: &[Rgb], t: f64) -> Rgb {
    let t = if t.is_nan() { 0.5 } else { t.clamp(0.0, 1.0) };
    let last = stops.len().saturating_sub(1);
    let pos = t * last as f64;
    let i = (pos.floor() as usize).min(last.saturating_sub(1));
    let f = pos - i as f64;
    let (Some(&a), Some(&b)) = (stops.get(i), stops.get(i + 1)) else {
        // Fewer than two stops: the one colour there is, or black.
        return stops.first().copied().unwrap_or((0, 0, 0));
    };
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Viridis at `t` in `[0, 1]` (clamped; NaN maps to the middle).
pub fn sequential(t: f64) -> Rgb {
    interpolate(&VIRIDIS, t)
}

/// RdBu (reversed) at `t` in `[-1, 1]`: -1 deep blue, 0 near white, 1 deep red.
pub fn diverging(t: f64) -> Rgb {
    interpolate(&RDBU_REVERSED, (t + 1.0) / 2.0)
}

/// Entries in the lookup tables used when painting many cells.
pub const LUT_SIZE: usize = 1024;

/// A colour map sampled at [`LUT_SIZE`] evenly spaced points of `[0, 1]`,
/// for painting thousands of cells per frame. Adjacent entries differ by at
/// most one step in each channel, below what the eye can tell apart.
pub struct Lut(Vec<Rgb>);

impl Lut {
    fn build(f: impl Fn(f64) -> Rgb) -> Self {
        Lut((0..LUT_SIZE)
            .map(|i| f(i as f64 / (LUT_SIZE - 1) as f64))
            .collect())
    }

    /// Colour at `t` in `[0, 1]` (clamped; NaN maps to the middle).
    pub fn at(&self, t: f64) -> Rgb {
        let t = if t.is_nan() { 0.5 } else { t };
        self.step(t * (LUT_SIZE - 1) as f64)
    }

    /// The entry nearest `x` steps along the table (`x` in table steps, 0
    /// to `LUT_SIZE - 1`; clamped, a tie goes up; NaN is the first entry).
    /// Comparisons and a saturating cast only: no library call in wasm.
    pub fn step(&self, x: f64) -> Rgb {
        // `round` (half away from zero) without its library call in wasm:
        // 0 < x < LUT_SIZE - 1 in the middle arm, so a tie goes up, `x -
        // whole` is exact and the sum stays in the table.
        let last = LUT_SIZE - 1;
        let i = if x >= last as f64 {
            last
        } else if x > 0.0 {
            let whole = x as usize;
            whole + usize::from(x - whole as f64 >= 0.5)
        } else {
            0
        };
        self.0.get(i).copied().unwrap_or((0, 0, 0))
    }
}

/// Viridis as a lookup table over `[0, 1]`.
pub fn sequential_lut() -> &'static Lut {
    static L: std::sync::OnceLock<Lut> = std::sync::OnceLock::new();
    L.get_or_init(|| Lut::build(sequential))
}

/// RdBu (reversed) as a lookup table over `[0, 1]` (0 is -1, 1 is +1).
pub fn diverging_lut() -> &'static Lut {
    static L: std::sync::OnceLock<Lut> = std::sync::OnceLock::new();
    L.get_or_init(|| Lut::build(|t| diverging(t * 2.0 - 1.0)))
}

/// Relative luminance (WCAG) of a colour, in `[0, 1]`.
pub fn luminance(c: Rgb) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.039_28 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

/// Black or white, whichever reads better on `background`.
pub fn text_on(background: Rgb) -> Rgb {
    // Contrast of black is (L + 0.05) / 0.05, of white 1.05 / (L + 0.05).
    let l = luminance(background);
    if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) {
        (0, 0, 0)
    } else {
        (255, 255, 255)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_step_is_the_nearest_entry_clamped() {
        let lut = sequential_lut();
        let last = (LUT_SIZE - 1) as f64;
        let mut rng = attention_core::Rng::new(5);
        for k in 0..20_000 {
            let x = if k < 2100 {
                k as f64 / 2.0 - 10.0
            } else {
                -20.0 + (last + 40.0) * rng.uniform()
            };
            let want = x.clamp(0.0, last);
            // Ties go up.
            let want = if want - want.floor() == 0.5 {
                want.ceil()
            } else {
                want.round()
            };
            assert_eq!(lut.step(x), lut.0[want as usize], "x = {x}");
            assert_eq!(lut.step(x), lut.at(want / last), "x = {x}");
        }
        assert_eq!(lut.step(f64::NAN), lut.0[0]);
        assert_eq!(lut.step(f64::INFINITY), lut.0[LUT_SIZE - 1]);
        assert_eq!(lut.step(f64::NEG_INFINITY), lut.0[0]);
    }

    use super::*;

    #[test]
    fn ends_and_middle_match_the_tables() {
        assert_eq!(sequential(0.0), VIRIDIS[0]);
        assert_eq!(sequential(1.0), VIRIDIS[8]);
        assert_eq!(sequential(0.5), VIRIDIS[4]);
        assert_eq!(diverging(-1.0), RDBU_REVERSED[0]);
        assert_eq!(diverging(0.0), RDBU_REVERSED[5]);
        assert_eq!(diverging(1.0), RDBU_REVERSED[10]);
    }

    #[test]
    fn out_of_range_and_nan_are_clamped() {
        assert_eq!(sequential(-3.0), VIRIDIS[0]);
        assert_eq!(sequential(7.0), VIRIDIS[8]);
        assert_eq!(sequential(f64::NAN), VIRIDIS[4]);
        assert_eq!(diverging(f64::INFINITY), RDBU_REVERSED[10]);
    }

    #[test]
    fn viridis_gets_lighter_monotonically() {
        let mut last = -1.0;
        for i in 0..=100 {
            let l = luminance(sequential(f64::from(i) / 100.0));
            assert!(l >= last - 1e-9, "luminance fell at {i}");
            last = l;
        }
    }

    #[test]
    fn lookup_tables_match_the_maps_within_one_step() {
        for i in 0..=500 {
            let t = f64::from(i) / 500.0;
            for (a, b) in [
                (sequential_lut().at(t), sequential(t)),
                (diverging_lut().at(t), diverging(t * 2.0 - 1.0)),
            ] {
                let d = (i16::from(a.0) - i16::from(b.0))
                    .abs()
                    .max((i16::from(a.1) - i16::from(b.1)).abs())
                    .max((i16::from(a.2) - i16::from(b.2)).abs());
                assert!(d <= 1, "t={t}: {a:?} vs {b:?}");
            }
        }
        assert_eq!(sequential_lut().at(0.0), sequential(0.0));
        assert_eq!(sequential_lut().at(f64::NAN), sequential_lut().at(0.5));
        assert_eq!(diverging_lut().at(9.0), diverging(1.0));
    }

    #[test]
    fn text_colour_has_contrast() {
        assert_eq!(text_on((0, 0, 0)), (255, 255, 255));
        assert_eq!(text_on((255, 255, 255)), (0, 0, 0));
        assert_eq!(text_on(sequential(1.0)), (0, 0, 0));
        assert_eq!(text_on(sequential(0.0)), (255, 255, 255));
    }
}
