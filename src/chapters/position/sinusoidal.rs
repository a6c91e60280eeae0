//! Section 2 of the position chapter: the sinusoidal encoding as an image,
//! the wavelength of each dimension pair, and the dot product of two
//! encodings against their offset (the same from any anchor).

use super::model;
use super::state::{PosState, ANCHOR, SIN_D, SIN_N};
use crate::charts::export::ChartNumbers;
use crate::charts::plots::{draw_curves, CurveChart};
use crate::charts::position::draw_matrix_image;
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from_result, plot_from_result, Chart, Drawing};
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::fmt_diff;
use crate::widgets::table::{NumbersTable, TableData};
use leptos::prelude::*;

/// The dot-product chart and the dots from the anchor.
type Offsets = Memo<Result<(CurveChart, Vec<f64>), String>>;

/// The heading of this section.
pub(super) const SIN_TITLE: &str = "2 · Sinusoidal encoding";

/// Section 2: the sinusoidal encoding.
#[component]
pub fn SinusoidalSection(url: UrlState<PosState>) -> impl IntoView {
    let state = url.state;
    let dims = Memo::new(move |_| state.with(|s| (s.sin_n, s.sin_d)));
    let anchor = Memo::new(move |_| state.with(|s| s.anchor));
    let image = Memo::new(move |_| {
        let (n, d) = dims.get();
        Ok::<_, String>(model::sinusoid_image(n, d))
    });
    let offsets = Memo::new(move |_| {
        let (n, d) = dims.get();
        model::offset_chart(anchor.get(), n, d)
    });
    let image_draw = plot_from_result(image, |area, m, s, th| draw_matrix_image(area, m, th, s));
    let offset_draw = Drawing::from(draw_from_result(
        offsets,
        |area, (c, _): &(CurveChart, Vec<f64>), s, th| draw_curves(area, c, th, s),
    ))
    .with_numbers_of(offsets, |r: &Result<(CurveChart, Vec<f64>), String>| {
        r.as_ref().ok().map(|(c, _)| c.numbers())
    });
    view! {
        <Section id="sin-title" title=SIN_TITLE>
            <p>
                "The original Transformer adds a fixed vector to each token: column pair i holds sin and cos of p·ω_i, with ω_i = 10000^(−2i/d_model). "
                "The first pairs turn fast, the last ones barely move, so every position gets a different pattern, like the hands of a clock with many speeds."
            </p>
            <div class="control-grid">
                <ParamSlider label="Positions" param=SIN_N test_id="sin-n" bind=field!(url.sin_n) />
                <ParamSlider label="d_model" param=SIN_D test_id="sin-d" bind=field!(url.sin_d) />
                <ParamSlider label="Anchor position p" param=ANCHOR test_id="sin-p" bind=field!(url.anchor) />
            </div>
            <div class="row-of-maps">
                <Chart
                    size=(560.0, 560.0)
                    test_id="sin-image"
                    label=move || {
                        let (n, d) = dims.get();
                        format!("Sinusoidal encoding, {n} positions by {d} dimensions, values from −1 to 1")
                    }
                    draw=image_draw
                >
                    {move || image_numbers(dims.get())}
                </Chart>
                <Chart
                    size=(520.0, 320.0)
                    test_id="sin-offset"
                    label=move || {
                        format!("Dot product of the encodings of positions p = {} and p + Δ against Δ", anchor.get())
                    }
                    draw=offset_draw
                >
                    {move || offset_numbers(offsets)}
                </Chart>
            </div>
            <p class="measure" data-testid="sin-offset-note">
                {move || offset_note(offsets, anchor.get())}
            </p>
            <details class="numbers">
                <summary>"Wavelength of each dimension pair"</summary>
                {move || {
                    let rows = model::wavelength_rows(dims.get().1);
                    view! {
                        <NumbersTable
                            data=TableData::plain(
                                &["dimensions", "frequency ω (radians per position)", "wavelength (positions)"],
                                rows,
                            )
                            test_id="wavelengths"
                        />
                    }
                }}
            </details>
        </Section>
    }
}

/// The first 16 positions and dimensions of the encoding, as numbers.
fn image_numbers((n, d): (usize, usize)) -> impl IntoView {
    let (rows, cols) = (n.min(16), d.min(16));
    let m = attention_core::sinusoidal(rows, d);
    let mut header = vec!["p".to_string()];
    header.extend((0..cols).map(|j| format!("j={j}")));
    let header_ref: Vec<&str> = header.iter().map(String::as_str).collect();
    let data = TableData::plain(
        &header_ref,
        (0..rows).map(|p| {
            let mut r = vec![p.to_string()];
            r.extend((0..cols).map(|j| m.get((p, j)).map_or(String::new(), |v| format!("{v:.4}"))));
            r
        }),
    );
    view! {
        <p>{format!("The first {rows} positions and {cols} dimensions of {n} × {d}; the formula gives every other entry.")}</p>
        <NumbersTable data=data test_id="sin-values" />
    }
}

/// The dot products from the anchor, as numbers (the first 64 offsets).
fn offset_numbers(offsets: Offsets) -> impl IntoView {
    offsets.with(|r| {
        r.as_ref().ok().map(|(_, dots)| {
            let rows = dots
                .iter()
                .enumerate()
                .take(64)
                .map(|(i, v)| vec![i.to_string(), format!("{v:.6}")]);
            view! { <NumbersTable data=TableData::plain(&["offset Δ", "PE(p)·PE(p+Δ)"], rows) test_id="offset-dots" /> }
        })
    })
}

/// What the dot-product chart shows, in words: the curves from p and from 0
/// coincide.
fn offset_note(offsets: Offsets, anchor: usize) -> String {
    offsets.with(|r| match r {
        Ok((c, dots)) => {
            let points = |i: usize| c.series.get(i).map_or(&[][..], |s| s.points.as_slice());
            let gap = points(0)
                .iter()
                .zip(points(1))
                .map(|(a, b)| (a.1 - b.1).abs())
                .fold(0.0, f64::max);
            format!(
                "PE(p)·PE(p+Δ) starts at {:.1} (= d_model/2) and falls as the offset grows. From p = {} and from p = 0 the curves differ by at most {}: the dot product depends only on the offset.",
                dots.first().copied().unwrap_or(0.0),
                anchor,
                fmt_diff(gap)
            )
        }
        Err(e) => e.clone(),
    })
}
