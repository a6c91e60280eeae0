//! The one bridge between charts and the browser canvas.
//!
//! It owns `plotters-canvas`, the device-pixel ratio and resizing:
//! [`paint`] sizes a `<canvas>` to `css_w x css_h` CSS pixels at the current
//! device-pixel ratio (so lines and text stay sharp on any screen and at any
//! zoom), wraps it in [`FastCanvas`] and hands a plotters drawing area plus the
//! scale to a chart function from [`crate::charts`]. [`use_device_pixel_ratio`]
//! is a signal that changes when the window is resized or zoomed, so effects
//! that read it repaint. [`FastCanvas`] delegates to `CanvasBackend` but sends
//! bitmaps with a single `putImageData` instead of one `fillRect` per pixel.

use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// A canvas backend whose `blit_bitmap` is one `putImageData`.
pub struct FastCanvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
}

impl FastCanvas {
    /// Wraps `canvas`; `None` if it has no 2-D context.
    pub fn new(canvas: HtmlCanvasElement) -> Option<Self> {
        let context = canvas
            .get_context("2d")
            .ok()??
            .dyn_into::<CanvasRenderingContext2d>()
            .ok()?;
        let inner = CanvasBackend::with_canvas_object(canvas)?;
        Some(FastCanvas { inner, context })
    }
}

/// The error type of `CanvasBackend` (its name is not exported).
type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;

/// A JavaScript exception from our own canvas calls.
#[derive(Debug)]
struct JsFailure(String);

impl std::fmt::Display for JsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "canvas call failed: {}", self.0)
    }
}

impl std::error::Error for JsFailure {}

fn js_err(e: JsValue) -> DrawingErrorKind<CanvasError> {
    DrawingErrorKind::FontError(Box::new(JsFailure(format!("{e:?}"))))
}

impl DrawingBackend for FastCanvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.draw_text(text, style, pos)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        self.inner.estimate_text_size(text, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        let n = (w as usize) * (h as usize);
        if w == 0 || h == 0 || src.len() < n * 3 {
            return Ok(());
        }
        let mut rgba = vec![255_u8; n * 4];
        for (dst, px) in rgba.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
            dst[..3].copy_from_slice(px);
        }
        let image =
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h).map_err(js_err)?;
        self.context
            .put_image_data(&image, f64::from(pos.0), f64::from(pos.1))
            .map_err(js_err)
    }
}

/// The window's current device-pixel ratio (1 when unknown), clamped to a sane range.
pub fn device_pixel_ratio() -> f64 {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    if dpr.is_finite() {
        dpr.clamp(0.5, 4.0)
    } else {
        1.0
    }
}

/// A signal holding the device-pixel ratio; it updates on window resize
/// (zooming fires a resize), so painting effects that read it repaint sharp.
/// Installed once per app and shared through context.
pub fn use_device_pixel_ratio() -> ReadSignal<f64> {
    if let Some(sig) = use_context::<ReadSignal<f64>>() {
        return sig;
    }
    let (dpr, set_dpr) = signal(device_pixel_ratio());
    let handle = window_event_listener(leptos::ev::resize, move |_| {
        let now = device_pixel_ratio();
        if (now - dpr.get_untracked()).abs() > 1e-9 {
            set_dpr.set(now);
        }
    });
    // The listener lives as long as the app; forget the handle deliberately.
    std::mem::forget(handle);
    provide_context(dpr);
    dpr
}

/// Sizes `canvas` to `css_w x css_h` CSS pixels at `dpr` and runs `draw` on it.
/// `draw` receives the drawing area and the device-pixel scale. Any failure is
/// returned as text for the widget to show; nothing panics.
pub fn paint<F>(
    canvas: &HtmlCanvasElement,
    css_w: f64,
    css_h: f64,
    dpr: f64,
    draw: F,
) -> Result<(), String>
where
    F: FnOnce(&DrawingArea<FastCanvas, Shift>, f64) -> Result<(), String>,
{
    let css_w = css_w.clamp(1.0, 20_000.0);
    let css_h = css_h.clamp(1.0, 20_000.0);
    let scale = dpr.clamp(0.5, 4.0);
    let w = (css_w * scale).round() as u32;
    let h = (css_h * scale).round() as u32;
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    let _ = canvas.set_attribute("style", &format!("width:{css_w}px;height:{css_h}px"));
    let backend = FastCanvas::new(canvas.clone()).ok_or("this browser gave no 2-D canvas")?;
    let root = backend.into_drawing_area();
    draw(&root, scale)?;
    root.present().map_err(|e| e.to_string())?;
    record_paint();
    Ok(())
}

/// Notes the time of the latest finished paint on `window.__attnPaint`
/// (`{count, last}` in `performance.now()` milliseconds), which the
/// in-browser latency benchmark reads. Costs two property writes.
fn record_paint() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let now = window.performance().map_or(0.0, |p| p.now());
    let key = JsValue::from_str("__attnPaint");
    let obj = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&window, &key, &o);
            o.into()
        });
    let count = js_sys::Reflect::get(&obj, &JsValue::from_str("count"))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let _ = js_sys::Reflect::set(
        &obj,
        &JsValue::from_str("count"),
        &JsValue::from_f64(count + 1.0),
    );
    let _ = js_sys::Reflect::set(&obj, &JsValue::from_str("last"), &JsValue::from_f64(now));
}
