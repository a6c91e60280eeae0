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
//!
//! Exports run the same chart functions: [`ChartBackend`] is either the page's
//! canvas or plotters' SVG backend, so [`render_svg`] writes a chart as an SVG
//! document (text as `<text>`, heatmap cells as `<rect>`s) and [`render_png`]
//! paints it on an off-page canvas at 2 or 3 times its CSS size.

use crate::charts::heatmap::CellBlit;
use crate::charts::{ChartResult, ChartTheme};
use leptos::prelude::*;
use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// A canvas backend that delegates to `CanvasBackend` but blits bitmaps with
/// one `putImageData`, paints cell grids as one small image scaled up without
/// smoothing, and skips redundant font / alignment / colour changes when
/// drawing many labels.
pub struct FastCanvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
    /// Last font, fill, alignment and baseline set by `draw_text`; the fill is
    /// forgotten whenever the inner backend may have changed it.
    text_state: (String, String, &'static str, &'static str),
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
        Some(FastCanvas {
            inner,
            context,
            text_state: Default::default(),
        })
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
        self.text_state.1.clear();
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.text_state.1.clear();
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.text_state.1.clear();
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.text_state.1.clear();
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.text_state.1.clear();
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.text_state.1.clear();
        self.inner.fill_polygon(vert, style)
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The rotation's sine and cosine, exact for right angles (and no
        // trigonometry code in the pages).
        let turn: Option<(f64, f64)> = match style.transform() {
            FontTransform::None => None,
            FontTransform::Rotate90 => Some((1.0, 0.0)),
            FontTransform::Rotate180 => Some((0.0, -1.0)),
            FontTransform::Rotate270 => Some((-1.0, 0.0)),
        };
        let baseline = match style.anchor().v_pos {
            VPos::Top => "top",
            VPos::Center => "middle",
            VPos::Bottom => "bottom",
        };
        let align = match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Right => "end",
            HPos::Center => "center",
        };
        let font = format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str()
        );
        let (r, g, b) = color.rgb;
        let fill = format!("rgba({r},{g},{b},{})", color.alpha);
        let ctx = &self.context;
        if self.text_state.0 != font {
            ctx.set_font(&font);
            self.text_state.0 = font;
        }
        if self.text_state.1 != fill {
            ctx.set_fill_style_str(&fill);
            self.text_state.1 = fill;
        }
        if self.text_state.2 != align {
            ctx.set_text_align(align);
            self.text_state.2 = align;
        }
        if self.text_state.3 != baseline {
            ctx.set_text_baseline(baseline);
            self.text_state.3 = baseline;
        }
        let Some((sin, cos)) = turn else {
            return ctx
                .fill_text(text, f64::from(pos.0), f64::from(pos.1))
                .map_err(js_err);
        };
        // Rotate about the anchor with one transform call (cheaper than
        // save/translate/rotate/restore for every label), then reset.
        let result = ctx
            .set_transform(cos, sin, -sin, cos, f64::from(pos.0), f64::from(pos.1))
            .and_then(|_| ctx.fill_text(text, 0.0, 0.0));
        let reset = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        result.and(reset).map_err(js_err)
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
        let rgba = rgb_to_rgba(src, n);
        let image =
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h).map_err(js_err)?;
        self.context
            .put_image_data(&image, f64::from(pos.0), f64::from(pos.1))
            .map_err(js_err)
    }
}

/// `n` RGB pixels as opaque RGBA (a plain loop: a 512 x 512 grid is
/// 262,144 pixels on every paint).
fn rgb_to_rgba(rgb: &[u8], n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 4);
    for px in rgb.chunks_exact(3).take(n) {
        if let [r, g, b] = *px {
            out.extend_from_slice(&[r, g, b, 255]);
        }
    }
    out
}

impl CellBlit for FastCanvas {
    /// One pixel per cell on a scratch canvas, drawn scaled up with smoothing
    /// off: crisp cells at any device-pixel ratio for the cost of one image.
    fn blit_cells(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        (cols, rows): (u32, u32),
        cells: &[u8],
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        let n = (cols as usize) * (rows as usize);
        let Some(rgba) = cells.get(..n * 4).filter(|_| n > 0 && w > 0 && h > 0) else {
            return Ok(());
        };
        // Everything that may allocate (and so grow wasm memory, which would
        // detach an ImageData viewing it) happens before the ImageData exists.
        let scratch = scratch_canvas(cols, rows)
            .ok_or_else(|| js_err(JsValue::from_str("no scratch canvas")))?;
        let sctx = scratch
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
            .ok_or_else(|| js_err(JsValue::from_str("no scratch context")))?;
        let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), cols, rows)
            .map_err(js_err)?;
        sctx.put_image_data(&image, 0.0, 0.0).map_err(js_err)?;
        self.context.set_image_smoothing_enabled(false);
        self.context
            .draw_image_with_html_canvas_element_and_dw_and_dh(
                &scratch,
                f64::from(pos.0),
                f64::from(pos.1),
                f64::from(w),
                f64::from(h),
            )
            .map_err(js_err)
    }
}

/// The backend every chart paints through: the page's canvas, or an SVG
/// document being written (an export). One type, so a chart's draw closure
/// serves both.
pub enum ChartBackend<'a> {
    Canvas(FastCanvas),
    Svg(SVGBackend<'a>),
}

/// An SVG backend failure as the canvas error type (one error type for both).
fn svg_err(e: DrawingErrorKind<std::io::Error>) -> DrawingErrorKind<CanvasError> {
    match e {
        DrawingErrorKind::DrawingError(e) => DrawingErrorKind::FontError(Box::new(e)),
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    }
}

/// plotters' SVG backend writes `font-size` as the requested size / 1.24;
/// the canvas uses the requested size. This style asks for 1.24 times as
/// much, so exported text is as large as on the page.
struct CanvasSized<'s, S>(&'s S);

/// The factor the SVG backend divides font sizes by.
const SVG_FONT_SHRINK: f64 = 1.24;

impl<S: BackendTextStyle> BackendTextStyle for CanvasSized<'_, S> {
    type FontError = S::FontError;

    fn color(&self) -> BackendColor {
        self.0.color()
    }
    fn size(&self) -> f64 {
        self.0.size() * SVG_FONT_SHRINK
    }
    fn transform(&self) -> FontTransform {
        self.0.transform()
    }
    fn style(&self) -> FontStyle {
        self.0.style()
    }
    fn anchor(&self) -> plotters::style::text_anchor::Pos {
        self.0.anchor()
    }
    fn family(&self) -> FontFamily<'_> {
        self.0.family()
    }
    fn layout_box(&self, text: &str) -> Result<((i32, i32), (i32, i32)), Self::FontError> {
        self.0.layout_box(text)
    }
    fn draw<E, F: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
        &self,
        text: &str,
        pos: BackendCoord,
        draw: F,
    ) -> Result<Result<(), E>, Self::FontError> {
        self.0.draw(text, pos, draw)
    }
}

/// Runs `$call` on whichever backend `$self` holds.
macro_rules! either {
    ($self:expr, $b:ident => $call:expr) => {
        match $self {
            ChartBackend::Canvas($b) => $call,
            ChartBackend::Svg($b) => $call.map_err(svg_err),
        }
    };
}

impl DrawingBackend for ChartBackend<'_> {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            ChartBackend::Canvas(b) => b.get_size(),
            ChartBackend::Svg(b) => b.get_size(),
        }
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.ensure_prepared())
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.present())
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.draw_pixel(point, color))
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.draw_line(from, to, style))
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.draw_rect(upper_left, bottom_right, style, fill))
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.draw_path(path, style))
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.draw_circle(center, radius, style, fill))
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.fill_polygon(vert, style))
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        match self {
            ChartBackend::Canvas(b) => b.draw_text(text, style, pos),
            ChartBackend::Svg(b) => b.draw_text(text, &CanvasSized(style), pos).map_err(svg_err),
        }
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.estimate_text_size(text, style))
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        either!(self, b => b.blit_bitmap(pos, size, src))
    }
}

impl CellBlit for ChartBackend<'_> {
    /// On the canvas, one scaled-up image; in an SVG, one `<rect>` per cell
    /// (vector cells, not an embedded bitmap).
    fn blit_cells(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        (cols, rows): (u32, u32),
        cells: &[u8],
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        let svg = match self {
            ChartBackend::Canvas(b) => return b.blit_cells(pos, (w, h), (cols, rows), cells),
            ChartBackend::Svg(svg) => svg,
        };
        let (cols, rows) = (cols.max(1), rows.max(1));
        let edge = |i: u32, n: u32, len: u32| (u64::from(i) * u64::from(len) / u64::from(n)) as i32;
        for (i, rgba) in cells
            .chunks_exact(4)
            .take((cols * rows) as usize)
            .enumerate()
        {
            let (r, c) = (i as u32 / cols, i as u32 % cols);
            let from = (pos.0 + edge(c, cols, w), pos.1 + edge(r, rows, h));
            let to = (pos.0 + edge(c + 1, cols, w), pos.1 + edge(r + 1, rows, h));
            if let [red, green, blue, _] = *rgba {
                svg.draw_rect(from, to, &RGBColor(red, green, blue), true)
                    .map_err(svg_err)?;
            }
        }
        Ok(())
    }
}

thread_local! {
    /// Off-page canvases by size: resizing a canvas reallocates it, and a
    /// paint alternates grid and legend sizes, so each size keeps its own.
    static SCRATCH: std::cell::RefCell<Vec<((u32, u32), HtmlCanvasElement)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Most scratch canvases kept (the least recently used one is resized).
const SCRATCH_KEEP: usize = 8;

/// An off-page canvas of exactly `w x h` pixels.
fn scratch_canvas(w: u32, h: u32) -> Option<HtmlCanvasElement> {
    SCRATCH.with(|cell| {
        let mut pool = cell.borrow_mut();
        if let Some(i) = pool.iter().position(|(size, _)| *size == (w, h)) {
            let entry = pool.remove(i);
            let canvas = entry.1.clone();
            pool.push(entry);
            return Some(canvas);
        }
        let canvas = if pool.len() >= SCRATCH_KEEP {
            pool.remove(0).1
        } else {
            web_sys::window()?
                .document()?
                .create_element("canvas")
                .ok()?
                .dyn_into::<HtmlCanvasElement>()
                .ok()?
        };
        canvas.set_width(w);
        canvas.set_height(h);
        pool.push(((w, h), canvas.clone()));
        Some(canvas)
    })
}

thread_local! {
    /// One observer for every chart: canvas id -> (canvas, "near the viewport").
    static VISIBILITY: std::cell::RefCell<VisibilityState> = const {
        std::cell::RefCell::new(VisibilityState { observer: None, watched: Vec::new(), next_id: 0 })
    };
}

/// The shared observer and the callback it owns (kept alive with it).
type Observer = (
    web_sys::IntersectionObserver,
    wasm_bindgen::closure::Closure<dyn FnMut(js_sys::Array)>,
);

struct VisibilityState {
    observer: Option<Observer>,
    watched: Vec<(usize, HtmlCanvasElement, RwSignal<bool>)>,
    next_id: usize,
}

/// How far outside the viewport a chart still counts as visible, so it is
/// already painted when it scrolls in.
const VISIBLE_MARGIN: &str = "400px 0px";

fn make_observer() -> Option<Observer> {
    let callback = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::Array)>::new(
        |entries: js_sys::Array| {
            for entry in entries.iter() {
                let Ok(entry) = entry.dyn_into::<web_sys::IntersectionObserverEntry>() else {
                    continue;
                };
                let target = entry.target();
                let near = entry.is_intersecting();
                let signal = VISIBILITY.with(|v| {
                    v.borrow()
                        .watched
                        .iter()
                        .find(|(_, c, _)| AsRef::<web_sys::Element>::as_ref(c) == &target)
                        .map(|(_, _, s)| *s)
                });
                if let Some(s) = signal {
                    if s.get_untracked() != near {
                        s.set(near);
                    }
                }
            }
        },
    );
    let init = web_sys::IntersectionObserverInit::new();
    init.set_root_margin(VISIBLE_MARGIN);
    let observer =
        web_sys::IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
            .ok()?;
    Some((observer, callback))
}

/// A signal that is `true` while `canvas` is on or near the screen. Painting
/// effects skip hidden charts and paint them when they scroll in. Where the
/// browser has no IntersectionObserver the signal simply stays `true`.
pub fn use_visibility(canvas: &HtmlCanvasElement) -> RwSignal<bool> {
    let visible = RwSignal::new(true);
    let id = VISIBILITY.with(|v| {
        let mut v = v.borrow_mut();
        if v.observer.is_none() {
            v.observer = make_observer();
        }
        let id = v.next_id;
        v.next_id += 1;
        if let Some((observer, _)) = &v.observer {
            observer.observe(canvas);
            v.watched.push((id, canvas.clone(), visible));
        }
        id
    });
    on_cleanup(move || {
        VISIBILITY.with(|v| {
            let mut v = v.borrow_mut();
            if let Some(i) = v.watched.iter().position(|(w, _, _)| *w == id) {
                let (_, canvas, _) = v.watched.remove(i);
                if let Some((observer, _)) = &v.observer {
                    observer.unobserve(&canvas);
                }
            }
        });
    });
    visible
}

/// Whether the canvas behind `canvas_ref` is on or near the screen (`true`
/// until it is mounted and observed). Painting effects return early while it
/// is `false` and repaint when it turns `true`.
pub fn use_on_screen(canvas_ref: NodeRef<leptos::html::Canvas>) -> Signal<bool> {
    let visibility = RwSignal::new(None::<RwSignal<bool>>);
    Effect::new(move |_| {
        if let Some(canvas) = canvas_ref.get() {
            if visibility.get_untracked().is_none() {
                visibility.set(Some(use_visibility(&canvas)));
            }
        }
    });
    Signal::derive(move || visibility.get().is_none_or(|v| v.get()))
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

/// Repaints the canvas of `canvas_ref` with `draw` (given the canvas, the
/// page's chart theme and the device-pixel ratio; it calls [`paint`]) while
/// the canvas is on or near the screen, and again whenever a signal `draw`
/// reads changes. Returns the last paint's error, for the widget to show.
///
/// `draw` should read its inputs directly, not a memo of one of them (see
/// ARCHITECTURE.md on effects).
pub fn use_painter(
    canvas_ref: NodeRef<leptos::html::Canvas>,
    draw: impl Fn(&HtmlCanvasElement, &ChartTheme, f64) -> ChartResult + 'static,
) -> RwSignal<Option<String>> {
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
        let err = draw(&canvas, &th, dpr.get()).err().map(|e| e.to_string());
        if error.get_untracked() != err {
            error.set(err);
        }
    });
    error
}

/// Sizes `canvas` to `css_w x css_h` CSS pixels at `dpr` and runs `draw` on it.
/// `draw` receives the drawing area and the device-pixel scale. Any failure is
/// returned for the widget to show; nothing panics.
pub fn paint<F>(
    canvas: &HtmlCanvasElement,
    css_w: f64,
    css_h: f64,
    dpr: f64,
    draw: F,
) -> ChartResult
where
    F: FnOnce(&DrawingArea<ChartBackend<'_>, Shift>, f64) -> ChartResult,
{
    let (css_w, css_h, scale, (w, h)) = pixels(css_w, css_h, dpr);
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    let _ = canvas.set_attribute("style", &format!("width:{css_w}px;height:{css_h}px"));
    let backend = FastCanvas::new(canvas.clone()).ok_or("this browser gave no 2-D canvas")?;
    let root = ChartBackend::Canvas(backend).into_drawing_area();
    draw(&root, scale)?;
    root.present()?;
    record_paint();
    Ok(())
}

/// Clamped CSS size and scale, and the device-pixel size they make.
fn pixels(css_w: f64, css_h: f64, dpr: f64) -> (f64, f64, f64, (u32, u32)) {
    let css_w = css_w.clamp(1.0, 20_000.0);
    let css_h = css_h.clamp(1.0, 20_000.0);
    let scale = dpr.clamp(0.5, 4.0);
    let size = (
        (css_w * scale).round() as u32,
        (css_h * scale).round() as u32,
    );
    (css_w, css_h, scale, size)
}

/// Runs `draw` (as [`paint`] would, at scale 1) into an SVG document of
/// `css_w x css_h` and returns the document.
pub fn render_svg<F>(css_w: f64, css_h: f64, draw: F) -> Result<String, crate::charts::ChartError>
where
    F: FnOnce(&DrawingArea<ChartBackend<'_>, Shift>, f64) -> ChartResult,
{
    let (_, _, scale, size) = pixels(css_w, css_h, 1.0);
    let mut out = String::new();
    {
        let root = ChartBackend::Svg(SVGBackend::with_string(&mut out, size)).into_drawing_area();
        draw(&root, scale)?;
        root.present()?;
    }
    Ok(out)
}

/// Runs `draw` on an off-page canvas of `css_w x css_h` CSS pixels at
/// `scale` device pixels each and returns it as a PNG `data:` URL.
pub fn render_png<F>(
    css_w: f64,
    css_h: f64,
    scale: f64,
    draw: F,
) -> Result<String, crate::charts::ChartError>
where
    F: FnOnce(&DrawingArea<ChartBackend<'_>, Shift>, f64) -> ChartResult,
{
    let canvas = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
        .ok_or("this browser gave no canvas")?;
    paint(&canvas, css_w, css_h, scale, draw)?;
    Ok(canvas
        .to_data_url_with_type("image/png")
        .map_err(|_| "this browser could not encode the image")?)
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
