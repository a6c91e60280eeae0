//! The export menu under every chart and heatmap: the figure as an SVG
//! (drawn by the same chart function through plotters' SVG backend, text as
//! text), as a PNG at 2 or 3 times its size, and its numbers as CSV when
//! the chart can give them. Files are named from the chapter and the
//! figure (`qkv-weights.svg`); the SVG's `<desc>` and the CSV's first line
//! carry the link to the view. Failures are shown next to the menu.

use crate::canvas::{render_png, render_svg};
use crate::charts::export::{csv, file_name, png_with_text, titled_svg, Numbers};
use crate::charts::ChartTheme;
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;

use super::chart::DrawFn;
use crate::loader::{poll_now, LoadError};

/// The numbers behind a chart for its CSV, if it has them now.
pub type NumbersFn = dyn Fn() -> Option<Numbers> + Send + Sync;

/// A chart's CSS size for a theme (charts grow with the type size).
pub type SizeFn = dyn Fn(&ChartTheme) -> (f64, f64) + Send + Sync;

/// What the export menu needs of a figure: how big it is, how to draw it
/// and (if it can) its numbers.
#[derive(Clone)]
pub struct Export {
    pub size: Arc<SizeFn>,
    pub draw: Arc<DrawFn>,
    pub numbers: Option<Arc<NumbersFn>>,
}

/// Offers the text `text` as a file named `name` of type `mime` (a Blob,
/// its object URL and a clicked `<a download>`).
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let failed = || "The browser could not make the file.".to_string();
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| failed())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed())?;
    let clicked = download_url(name, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
    clicked
}

/// Offers `bytes` as a file named `name`.
pub fn download_bytes(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let failed = || "The browser could not make the file.".to_string();
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| failed())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed())?;
    let clicked = download_url(name, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
    clicked
}

/// The PNG of a canvas's `data:` URL with its title and the view's link
/// written into the file.
fn png_file(data_url: &str, title: &str, href: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let encoded = data_url
        .split_once("base64,")
        .map(|(_, b)| b)
        .ok_or("The browser gave no PNG.")?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "The browser gave no PNG.".to_string())?;
    png_with_text(
        &png,
        &[("Title", title), ("Description", &about(title, href))],
    )
}

/// Offers the resource at `url` (an object or `data:` URL) as a file named `name`.
pub fn download_url(name: &str, url: &str) -> Result<(), String> {
    let a = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or("The browser could not make the file.")?;
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// The page's address and the chapter's slug (the first part of the path).
fn location() -> (String, String) {
    let loc = web_sys::window().map(|w| w.location());
    let href = loc.as_ref().and_then(|l| l.href().ok()).unwrap_or_default();
    let path = loc.and_then(|l| l.pathname().ok()).unwrap_or_default();
    let chapter = path
        .trim_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    (href, chapter)
}

/// Which file the learner asked for.
#[derive(Clone, Copy)]
enum Format {
    Svg,
    Png(u8),
    Csv,
}

/// The first line of every file: what it shows and the view it came from.
fn about(title: &str, href: &str) -> String {
    format!("{title}. From Attention Lab, this view: {href}")
}

/// The figure as an SVG document, drawn by its own draw closure, titled
/// `title`, its `<desc>` naming the view at `href`.
pub fn svg_file(
    what: &Export,
    theme: &ChartTheme,
    title: &str,
    href: &str,
) -> Result<String, String> {
    let (w, h) = (what.size)(theme);
    let svg = render_svg(w, h, |area, s| (what.draw)(area, s, theme))
        .map_err(|e| format!("Could not draw the file: {e}"))?;
    Ok(titled_svg(&svg, title, &about(title, href)))
}

/// The figure's numbers as CSV, headed by a comment naming the view.
pub fn csv_file(what: &Export, title: &str, href: &str) -> Result<String, String> {
    let numbers = what
        .numbers
        .as_ref()
        .and_then(|n| n())
        .ok_or("There are no numbers to save yet.")?;
    Ok(csv(&about(title, href), &numbers))
}

/// Writes `format` of the figure, drawn in `theme`, and offers it as a
/// download.
fn export(
    what: &Export,
    format: Format,
    name: &str,
    title: &str,
    theme: &ChartTheme,
) -> Result<(), String> {
    let (href, chapter) = location();
    match format {
        Format::Svg => download_text(
            &file_name(&chapter, name, "svg"),
            "image/svg+xml",
            &svg_file(what, theme, title, &href)?,
        ),
        Format::Png(k) => {
            let (w, h) = (what.size)(theme);
            let url = render_png(w, h, f64::from(k), |area, s| (what.draw)(area, s, theme))
                .map_err(|e| format!("Could not draw the file: {e}"))?;
            let png = png_file(&url, title, &href)?;
            download_bytes(
                &file_name(&chapter, &format!("{name}-{k}x"), "png"),
                "image/png",
                &png,
            )
        }
        Format::Csv => download_text(
            &file_name(&chapter, name, "csv"),
            "text/csv",
            &csv_file(what, title, &href)?,
        ),
    }
}

// Writing the files (plotters' SVG backend, the PNG's text chunk, the CSV)
// is code no figure needs until the learner saves one: it loads when the
// menu first opens (see `ExportMenu`).
crate::loader::split_fn!(fn export_file(what: Arc<Export>, format: Format, name: String, title: String, theme: ChartTheme) in export_files, preload preload_export
    -> Result<(), String> => export(&what, format, &name, &title, &theme));

/// What a save gives the learner: nothing, or the reason it failed.
fn saved(result: Result<Result<(), String>, LoadError>) -> Option<String> {
    match result {
        Ok(done) => done.err(),
        Err(_) => Some(
            "The code that writes files did not arrive (offline, or the site was updated): try again, or reload the page."
                .into(),
        ),
    }
}

/// A small "Export" menu (a `<details>`: Enter or Space opens it, Tab moves
/// through its buttons) with SVG, PNG 2×, PNG 3× and, when the figure has
/// numbers, CSV.
#[component]
pub fn ExportMenu(
    /// The figure's name in file names (its test id or label).
    #[prop(into)]
    name: Signal<String>,
    /// What the figure shows: the SVG's title, the CSV's first line.
    #[prop(into)]
    title: Signal<String>,
    what: Export,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let has_numbers = what.numbers.is_some();
    let what = Arc::new(what);
    let button = move |label: &'static str, format: Format, test: &'static str| {
        let what = what.clone();
        view! {
            <button
                type="button"
                data-export=test
                on:click=move |_| {
                    let theme = use_context::<Memo<ChartTheme>>()
                        .and_then(|t| t.try_get_untracked())
                        .unwrap_or_else(|| ChartTheme::new(false, false));
                    let mut job = Box::pin(export_file(
                        what.clone(),
                        format,
                        name.get_untracked(),
                        title.get_untracked(),
                        theme,
                    ));
                    // Loaded when the menu opened, so usually done at once
                    // (still inside the click, as downloads prefer).
                    match poll_now(&mut job) {
                        Some(result) => error.set(saved(result)),
                        None => leptos::task::spawn_local(async move {
                            error.try_set(saved(job.await));
                        }),
                    }
                }
            >
                {label}
            </button>
        }
    };
    view! {
        <details
            class="export"
            on:toggle=|_| crate::loader::fetch_ahead("the export", preload_export())
        >
            <summary aria-label=move || format!("Export {}", title.get())>"Export"</summary>
            <div class="export-menu" role="group" aria-label="Save this figure as">
                {button("SVG", Format::Svg, "svg")}
                {button("PNG 2×", Format::Png(2), "png2")}
                {button("PNG 3×", Format::Png(3), "png3")}
                {has_numbers.then(|| button("CSV", Format::Csv, "csv"))}
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="status">{e}</p> })}
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::plots::{CurveChart, Series};
    use crate::widgets::chart::curves;

    const HREF: &str = "http://127.0.0.1:8080/scaling?dk=16&t=1";

    fn chart() -> Export {
        let c = CurveChart {
            title: "Loss of two runs".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            y_range: (0.0, 2.0),
            series: vec![
                Series::primary("scaled", vec![(0.0, 1.5), (10.0, 0.5), (20.0, 0.25)]),
                Series::secondary("unscaled", vec![(0.0, 1.5), (10.0, 1.25)]),
            ],
            x_max: 20.0,
        };
        let drawing = curves(Signal::stored(c));
        Export {
            size: Arc::new(|_| (400.0, 240.0)),
            draw: drawing.draw,
            numbers: drawing.numbers,
        }
    }

    #[test]
    fn a_chart_exports_as_svg_with_its_title_link_and_text() {
        let svg = svg_file(&chart(), &ChartTheme::new(false, false), "Loss", HREF).expect("svg");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains(r#"width="400" height="240""#));
        assert!(svg.contains("<title>Loss</title>"));
        assert!(svg.contains(
            "<desc>Loss. From Attention Lab, this view: http://127.0.0.1:8080/scaling?dk=16&amp;t=1</desc>"
        ));
        let texts: Vec<String> = crate::charts::figure_tests::texts(&svg)
            .into_iter()
            .map(|t| t.content)
            .collect();
        for word in [
            "Loss of two runs",
            "● scaled",
            "■ unscaled",
            "step",
            "loss",
            "1.5",
        ] {
            assert!(
                texts.iter().any(|t| t == word),
                "no <text> {word}: {texts:?}"
            );
        }
        assert!(svg.trim_end().ends_with("</svg>"));
        // Text as large as on the canvas (the axis title at 0.92 of 13 px,
        // not the SVG backend's default of that / 1.24).
        let size = |word: &str| {
            let at = svg.find(&format!("\n{word}\n</text>"))?;
            let tag = svg.get(..at)?.rsplit("<text").next()?;
            let from = tag.find("font-size=\"")? + 11;
            tag.get(from..)?.split('"').next()?.parse::<f64>().ok()
        };
        let label = size("step").expect("the x label's size");
        let want = 13.0 * crate::charts::style::AXIS_TITLE_EM;
        assert!(
            (label - want).abs() < 0.01,
            "x label at {label} px, not {want}"
        );
    }

    #[test]
    fn a_chart_exports_its_points_as_csv() {
        let out = csv_file(&chart(), "Loss", HREF).expect("csv");
        assert_eq!(
            out,
            format!(
                "# Loss. From Attention Lab, this view: {HREF}\nseries,step,loss\n\
                 scaled,0,1.5\nscaled,10,0.5\nscaled,20,0.25\nunscaled,0,1.5\nunscaled,10,1.25\n"
            )
        );
        let none = Export {
            numbers: None,
            ..chart()
        };
        assert!(csv_file(&none, "Loss", HREF).is_err());
    }
}
