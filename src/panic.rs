//! A panic hook that keeps the page useful: it logs the panic to the console
//! and replaces the dead app with a friendly panel and a reload button.
//! Written with plain DOM calls because, after a panic, Leptos may be gone.

use wasm_bindgen::JsCast;

/// Installs the hook (idempotent enough: a second call replaces the first).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_error_panel(&info.to_string());
    }));
}

/// Shows the "something broke" panel over the page. Safe to call any time.
pub fn show_error_panel(detail: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if document.get_element_by_id("panic-panel").is_some() {
        return;
    }
    let Ok(panel) = document.create_element("div") else {
        return;
    };
    panel.set_id("panic-panel");
    let _ = panel.set_attribute("role", "alertdialog");
    let _ = panel.set_attribute("aria-labelledby", "panic-title");
    let make = |tag: &str, text: &str| {
        document
            .create_element(tag)
            .ok()
            .inspect(|e| e.set_text_content(Some(text)))
    };
    if let Some(h) = make("h2", "Something went wrong") {
        h.set_id("panic-title");
        let _ = panel.append_child(&h);
    }
    if let Some(p) = make(
        "p",
        "Attention Lab hit an internal error and stopped. Reloading the page restores the view from its link.",
    ) {
        let _ = panel.append_child(&p);
    }
    if let Some(pre) = make("pre", detail) {
        let _ = panel.append_child(&pre);
    }
    if let Some(button) = make("button", "Reload the page") {
        let _ = button.set_attribute("onclick", "location.reload()");
        let _ = panel.append_child(&button);
        let _ = body.append_child(&panel);
        if let Ok(b) = button.dyn_into::<web_sys::HtmlElement>() {
            let _ = b.focus();
        }
    } else {
        let _ = body.append_child(&panel);
    }
}
