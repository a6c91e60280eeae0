//! A canvas chart of fixed CSS size painted by any chart function from
//! [`crate::charts`], with a text alternative: an accessible label and a
//! `<details>` "Numbers" block (the caller's children) holding the data.
//!
//! The `draw` closure is called inside the painting effect, so every signal
//! it reads is tracked; it should read one memo (see ARCHITECTURE.md on
//! effects).

use crate::canvas::{paint, use_device_pixel_ratio, use_on_screen, FastCanvas};
use crate::charts::ChartTheme;
use leptos::html;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::DrawingArea;

/// Paints into a drawing area at a device-pixel scale with a theme.
pub type DrawFn =
    dyn Fn(&DrawingArea<FastCanvas, Shift>, f64, &ChartTheme) -> Result<(), String> + Send + Sync;

#[component]
pub fn Chart(
    /// CSS width and height of the chart.
    width: f64,
    height: f64,
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: Signal<String>,
    draw: std::sync::Arc<DrawFn>,
    #[prop(optional, into)] test_id: String,
    /// The numbers behind the chart (rendered inside a closed `<details>`).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let theme = use_context::<Memo<ChartTheme>>();
    let dpr = use_device_pixel_ratio();
    let on_screen = use_on_screen(canvas_ref);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        if !on_screen.get() {
            return;
        }
        let th = theme.map_or(ChartTheme::new(false, false), |t| t.get());
        let k = th.font_px / crate::charts::heatmap::BASE_FONT_PX;
        let scale = dpr.get();
        let result = paint(&canvas, width * k, height * k, scale, |area, s| {
            draw(area, s, &th)
        });
        let err = result.err();
        if error.get_untracked() != err {
            error.set(err);
        }
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
                    <details
                        class="numbers"
                        node_ref=details_ref
                        on:toggle=move |_| open.set(details_ref.get_untracked().is_some_and(|d| d.open()))
                    >
                        <summary>"Numbers"</summary>
                        {move || open.get().then(|| c())}
                    </details>
                }
            })}
        </figure>
    }
}
