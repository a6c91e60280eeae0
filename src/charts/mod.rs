//! Chart drawing, generic over the plotters backend.
//!
//! Nothing here knows about the browser: every chart function takes a
//! `plotters` [`DrawingArea`](plotters::drawing::DrawingArea) over any
//! [`DrawingBackend`](plotters_backend::DrawingBackend), so the same code paints
//! an HTML canvas in the app (through [`crate::canvas`]) and an SVG string in
//! native tests. Geometry (where each cell is) is a pure function shared with the
//! widgets' hit-testing.

pub mod colormap;
pub mod cost;
pub mod export;
#[cfg(test)]
pub(crate) mod figure_tests;
pub mod heatmap;
pub mod lines;
pub mod plots;
pub mod position;
pub mod semilog;
pub mod style;

use colormap::Rgb;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingAreaErrorKind, RGBColor};
use plotters_backend::DrawingBackend;

/// Why a chart could not be drawn: a backend failure (canvas call, font
/// layout) or a message of our own. One type for every chart function, so
/// callers need not name a backend's error type; it prints as the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartError(String);

impl ChartError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ChartError(message.into())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

impl From<String> for ChartError {
    fn from(message: String) -> Self {
        ChartError(message)
    }
}

impl From<&str> for ChartError {
    fn from(message: &str) -> Self {
        ChartError(message.to_string())
    }
}

/// What every chart function returns.
pub type ChartResult = Result<(), ChartError>;

/// A plotters colour from an `(r, g, b)` triple.
pub fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Starts a chart: fills `area` with the theme's background and returns
/// the label font size in device pixels and the text colour.
pub fn begin<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: &ChartTheme,
    scale: f64,
) -> Result<(f64, RGBColor), ChartError> {
    area.fill(&rgb(theme.background))?;
    Ok((theme.font_px * scale, rgb(theme.text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_errors_print_their_message_and_wrap_backend_errors() {
        let e = ChartError::from("no canvas");
        assert_eq!(e.to_string(), "no canvas");
        assert_eq!(ChartError::from(String::from("x")), ChartError::new("x"));
        let backend: DrawingAreaErrorKind<std::fmt::Error> = DrawingAreaErrorKind::LayoutError;
        let wrapped = ChartError::from(backend);
        assert!(!wrapped.message().is_empty());
        // Callers turn it into a String for the page.
        let r: Result<(), ChartError> = Err(e);
        assert_eq!(r.map_err(|e| e.to_string()), Err("no canvas".to_string()));
        let _: &dyn std::error::Error = &wrapped;
    }

    #[test]
    fn ink_lightens_dark_colours_only_on_dark_backgrounds() {
        let blue = (0x00, 0x72, 0xb2);
        assert_eq!(ChartTheme::new(false, false).ink(blue), blue);
        let on_dark = ChartTheme::new(true, false).ink(blue);
        assert!(colormap::luminance(on_dark) > colormap::luminance(blue) * 1.5);
        let orange = (0xe6, 0x9f, 0x00);
        assert_eq!(ChartTheme::new(true, false).ink(orange), orange);
    }
}

/// Colours and type sizes a chart needs from the page theme.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChartTheme {
    /// Canvas background.
    pub background: Rgb,
    /// Labels and legend text.
    pub text: Rgb,
    /// Outline for the highlighted row and the focused cell.
    pub accent: Rgb,
    /// Label font size in CSS pixels.
    pub font_px: f64,
}

impl ChartTheme {
    /// `c` adjusted to read well on this theme's background: on dark
    /// backgrounds, dark series colours are mixed 40% towards white.
    pub fn ink(&self, c: colormap::Rgb) -> colormap::Rgb {
        let dark_bg = colormap::luminance(self.background) < 0.2;
        if dark_bg && colormap::luminance(c) < 0.25 {
            let mix = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * 0.4).round() as u8;
            (mix(c.0), mix(c.1), mix(c.2))
        } else {
            c
        }
    }

    /// The same theme with its type (and so its charts, which are sized
    /// from the type) `k` times larger: a presented slide on a big screen.
    pub fn zoomed(mut self, k: f64) -> Self {
        if k.is_finite() {
            self.font_px *= k.clamp(0.5, 3.0);
        }
        self
    }

    /// Theme for the light or dark page, normal or large type.
    pub fn new(dark: bool, large: bool) -> Self {
        let font_px = if large { 18.0 } else { 13.0 };
        if dark {
            ChartTheme {
                background: (0x1b, 0x1d, 0x22),
                text: (0xee, 0xee, 0xee),
                accent: (0xff, 0xb0, 0x00),
                font_px,
            }
        } else {
            ChartTheme {
                background: (0xff, 0xff, 0xff),
                text: (0x1a, 0x1a, 0x1a),
                accent: (0x00, 0x00, 0x00),
                font_px,
            }
        }
    }
}
