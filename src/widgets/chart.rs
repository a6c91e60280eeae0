//! A canvas chart of fixed CSS size painted by any chart function from
//! [`crate::charts`], with a text alternative: an accessible label and a
//! `<details>` "Numbers" block (the caller's children) holding the data.
//!
//! The `draw` closure is called inside the painting effect, so every signal
//! it reads is tracked; it should read one memo (see ARCHITECTURE.md on
//! effects).

use crate::canvas::{paint, use_painter, FastCanvas};
use crate::charts::plots::{draw_curves, CurveChart};
use crate::charts::{ChartError, ChartResult, ChartTheme};
use leptos::html;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::DrawingArea;
use std::sync::Arc;

/// The canvas area a chart paints into.
pub type Area = DrawingArea<FastCanvas, Shift>;

/// Paints into a drawing area at a device-pixel scale with a theme.
pub type DrawFn = dyn Fn(&Area, f64, &ChartTheme) -> ChartResult + Send + Sync;

/// [`draw_from`] for line charts ([`CurveChart`]).
pub fn curves<S>(source: S) -> Arc<DrawFn>
where
    S: With<Value = CurveChart> + Send + Sync + 'static,
{
    draw_from(source, |area, c, s, th| draw_curves(area, c, th, s))
}

/// The draw closure of a [`Chart`]: paints `source`'s current value with
/// `f` (a chart function from [`crate::charts`], called as
/// `f(area, data, scale, theme)`). `source` is read inside the painting
/// effect, so the chart repaints when it changes.
pub fn draw_from<S, T, E>(
    source: S,
    f: impl Fn(&Area, &T, f64, &ChartTheme) -> Result<(), E> + Send + Sync + 'static,
) -> Arc<DrawFn>
where
    S: With<Value = T> + Send + Sync + 'static,
    T: 'static,
    E: Into<ChartError>,
{
    Arc::new(move |area, scale, theme| {
        source
            .try_with(|data| f(area, data, scale, theme).map_err(Into::into))
            .unwrap_or(Ok(()))
    })
}

/// [`draw_from`] for a source that may hold an error (shown in place of
/// the chart) or nothing yet (`Ok(None)`: an empty canvas).
pub fn draw_from_result<S, T, E>(
    source: S,
    f: impl Fn(&Area, &T, f64, &ChartTheme) -> Result<(), E> + Send + Sync + 'static,
) -> Arc<DrawFn>
where
    S: With<Value = Result<T, String>> + Send + Sync + 'static,
    T: 'static,
    E: Into<ChartError>,
{
    draw_from(
        source,
        move |area, data: &Result<T, String>, scale, theme| match data {
            Ok(d) => f(area, d, scale, theme).map_err(Into::into),
            Err(e) => Err(ChartError::from(e.as_str())),
        },
    )
}

/// The CSS size a chart of `size` paints at in a container `avail` pixels
/// wide: its own size when it fits (or the width is unknown, 0), else the
/// container's width and a height shrunk less than the width (at most to
/// three quarters), so that on a phone the chart is laid out for the
/// narrow width with readable text instead of being scaled down whole.
pub fn fit_width((w, h): (f64, f64), avail: f64) -> (f64, f64) {
    if !(avail.is_finite() && avail > 0.0) || avail >= w {
        return (w, h);
    }
    let ratio = (avail / w).max(0.75);
    (avail, h * ratio)
}

#[component]
pub fn Chart(
    /// CSS width and height of the chart.
    size: (f64, f64),
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: Signal<String>,
    draw: Arc<DrawFn>,
    #[prop(optional, into)] test_id: String,
    /// The numbers behind the chart (rendered inside a closed `<details>`).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let (width, height) = size;
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let error = use_painter(canvas_ref, move |canvas, th, dpr| {
        let k = th.font_px / crate::charts::heatmap::BASE_FONT_PX;
        let avail = canvas
            .parent_element()
            .map(|p| f64::from(p.client_width()))
            .unwrap_or(0.0);
        let (w, h) = fit_width((width * k, height * k), avail);
        paint(canvas, w, h, dpr, |area, s| draw(area, s, th))
    });
    let open = RwSignal::new(false);
    let details_ref = NodeRef::<html::Details>::new();
    view! {
        <figure class="chart" data-testid=test_id>
            <div class="canvas-scroll">
                <canvas node_ref=canvas_ref role="img" aria-label=move || label.get()></canvas>
            </div>
            {move || error.get().map(|e| view! { <p class="error">"This chart could not be drawn: " {e}</p> })}
            {children.map(|c| {
                view! {
                    <details class="numbers" node_ref=details_ref on:toggle=move |_| open.set(details_ref.get_untracked().is_some_and(|d| d.open()))>
                        <summary>"Numbers"</summary>
                        {move || open.get().then(|| c())}
                    </details>
                }
            })}
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::fit_width;

    #[test]
    fn a_chart_narrows_to_its_container() {
        assert_eq!(fit_width((820.0, 440.0), 1200.0), (820.0, 440.0));
        assert_eq!(fit_width((820.0, 440.0), 0.0), (820.0, 440.0));
        assert_eq!(fit_width((820.0, 440.0), f64::NAN), (820.0, 440.0));
        assert_eq!(fit_width((820.0, 440.0), 350.0), (350.0, 330.0));
        assert_eq!(fit_width((800.0, 400.0), 700.0), (700.0, 350.0));
    }
}
