//! A canvas chart of fixed CSS size painted by any chart function from
//! [`crate::charts`], with a text alternative: an accessible label and a
//! `<details>` "Numbers" block (the caller's children) holding the data.
//!
//! The `draw` closure is called inside the painting effect, so every signal
//! it reads is tracked; it should read one memo (see ARCHITECTURE.md on
//! effects). The same closure draws the chart's SVG and PNG exports (the
//! export menu, [`super::export`]) at the size the chart was last laid out
//! at; a [`Drawing`] may also carry the chart's numbers for its CSV
//! ([`curves`] and [`plot_from_result`] do).

use super::export::{Export, ExportMenu, NumbersFn};
use crate::canvas::{paint, use_painter, ChartBackend};
use crate::charts::export::{ChartNumbers, Numbers};
use crate::charts::plots::{draw_curves, CurveChart};
use crate::charts::{ChartError, ChartResult, ChartTheme};
use leptos::html;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::DrawingArea;
use std::sync::Arc;

/// The area a chart paints into (the page's canvas or an exported SVG).
pub type Area<'a> = DrawingArea<ChartBackend<'a>, Shift>;

/// Paints into a drawing area at a device-pixel scale with a theme.
pub type DrawFn = dyn Fn(&Area<'_>, f64, &ChartTheme) -> ChartResult + Send + Sync;

/// A chart's draw closure and, when it can give them, its numbers (for the
/// CSV export; without them the export menu offers SVG and PNG only).
#[derive(Clone)]
pub struct Drawing {
    pub draw: Arc<DrawFn>,
    pub numbers: Option<Arc<NumbersFn>>,
}

impl From<Arc<DrawFn>> for Drawing {
    fn from(draw: Arc<DrawFn>) -> Self {
        Drawing {
            draw,
            numbers: None,
        }
    }
}

impl Drawing {
    /// The same drawing exporting `numbers` as its CSV.
    pub fn with_numbers(
        mut self,
        numbers: impl Fn() -> Option<Numbers> + Send + Sync + 'static,
    ) -> Self {
        self.numbers = Some(Arc::new(numbers));
        self
    }

    /// The same drawing exporting what `pick` finds in `source`'s current
    /// value (e.g. one chart of several in a memo) as its CSV.
    pub fn with_numbers_of<S, T>(
        self,
        source: S,
        pick: impl Fn(&T) -> Option<Numbers> + Send + Sync + 'static,
    ) -> Self
    where
        S: With<Value = T> + Send + Sync + 'static,
        T: 'static,
    {
        self.with_numbers(move || source.try_with(&pick).flatten())
    }
}

/// [`draw_from`] for line charts ([`CurveChart`]), with their numbers.
pub fn curves<S>(source: S) -> Drawing
where
    S: With<Value = CurveChart> + Clone + Send + Sync + 'static,
{
    let numbers = source.clone();
    Drawing::from(draw_from(source, |area, c, s, th| {
        draw_curves(area, c, th, s)
    }))
    .with_numbers(move || numbers.try_with(|c| c.numbers()))
}

/// [`draw_from_result`] for a chart type that knows its numbers
/// ([`ChartNumbers`]), which its CSV export then holds.
pub fn plot_from_result<S, T, E>(
    source: S,
    f: impl Fn(&Area<'_>, &T, f64, &ChartTheme) -> Result<(), E> + Send + Sync + 'static,
) -> Drawing
where
    S: With<Value = Result<T, String>> + Clone + Send + Sync + 'static,
    T: ChartNumbers + 'static,
    E: Into<ChartError>,
{
    let numbers = source.clone();
    Drawing::from(draw_from_result(source, f)).with_numbers_of(numbers, |r: &Result<T, String>| {
        r.as_ref().ok().map(|d| d.numbers())
    })
}

/// The draw closure of a [`Chart`]: paints `source`'s current value with
/// `f` (a chart function from [`crate::charts`], called as
/// `f(area, data, scale, theme)`). `source` is read inside the painting
/// effect, so the chart repaints when it changes.
pub fn draw_from<S, T, E>(
    source: S,
    f: impl Fn(&Area<'_>, &T, f64, &ChartTheme) -> Result<(), E> + Send + Sync + 'static,
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
    f: impl Fn(&Area<'_>, &T, f64, &ChartTheme) -> Result<(), E> + Send + Sync + 'static,
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
    /// The draw closure ([`draw_from`] and friends), with or without numbers.
    #[prop(into)]
    draw: Drawing,
    #[prop(optional, into)] test_id: String,
    /// The numbers behind the chart (rendered inside a closed `<details>`).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let (width, height) = size;
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let Drawing { draw, numbers } = draw;
    let design = move |th: &ChartTheme| {
        let k = th.font_px / crate::charts::heatmap::BASE_FONT_PX;
        (width * k, height * k)
    };
    // The size it was last laid out at: exports are the chart as shown.
    let shown = StoredValue::new(None::<(f64, f64)>);
    let export = Export {
        size: Arc::new(move |th: &ChartTheme| {
            shown
                .try_get_value()
                .flatten()
                .unwrap_or_else(|| design(th))
        }),
        draw: draw.clone(),
        numbers,
    };
    let name = if test_id.is_empty() {
        Signal::derive(move || label.get())
    } else {
        Signal::stored(test_id.clone())
    };
    let error = use_painter(canvas_ref, move |canvas, th, dpr| {
        // The room is the section's, not the chart's own box: a chart in a
        // row of charts is as wide as its canvas, which is what is being
        // decided.
        let avail = canvas
            .closest("[data-slide], main")
            .ok()
            .flatten()
            .map(|p| f64::from(p.client_width()))
            .unwrap_or(0.0);
        let (w, h) = fit_width(design(th), avail);
        shown.set_value(Some((w, h)));
        paint(canvas, w, h, dpr, |area, s| draw(area, s, th))
    });
    let open = RwSignal::new(false);
    let details_ref = NodeRef::<html::Details>::new();
    view! {
        <figure class="chart" data-testid=test_id>
            <div class="canvas-scroll">
                <canvas node_ref=canvas_ref role="img" aria-label=move || label.get()></canvas>
            </div>
            <ExportMenu name=name title=label what=export />
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
