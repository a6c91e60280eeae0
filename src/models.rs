//! Trained model files shipped in `public/models/` (made by committed,
//! seeded commands such as `train-coref`), fetched once per page load and
//! shared by every chapter that uses them.

use attention_core::train::EncoderClassifier;
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where a model is.
#[derive(Clone, Debug)]
pub enum Load<T> {
    Loading,
    Ready(T),
    /// A message for the learner.
    Failed(String),
}

/// The self-attention model (`public/models/coref.bin`).
pub const COREF_URL: &str = "public/models/coref.bin";

thread_local! {
    static COREF: ArcRwSignal<Load<Arc<EncoderClassifier>>> = {
        let s = ArcRwSignal::new(Load::Loading);
        let target = s.clone();
        leptos::task::spawn_local(async move {
            let result = fetch_bytes(COREF_URL).await.and_then(|b| {
                EncoderClassifier::from_bytes(&b).map_err(|e| format!("the file is damaged ({e})"))
            });
            target.set(match result {
                Ok(m) => Load::Ready(Arc::new(m)),
                Err(e) => Load::Failed(format!(
                    "The trained model could not be loaded from {COREF_URL}: {e}. Reload the page to try again."
                )),
            });
        });
        s
    };
}

/// The shipped self-attention model, loading on first use.
pub fn coref_model() -> ArcRwSignal<Load<Arc<EncoderClassifier>>> {
    COREF.with(Clone::clone)
}

/// A line for the learner while a model is loading or if it failed; `None`
/// once it is ready.
pub fn load_status<T>(load: &Load<T>) -> Option<String> {
    match load {
        Load::Loading => Some("Loading the trained model…".to_string()),
        Load::Failed(e) => Some(e.clone()),
        Load::Ready(_) => None,
    }
}

/// The shipped self-attention model read from `public/` (native tests).
#[cfg(test)]
pub fn shipped_coref() -> EncoderClassifier {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/public/models/coref.bin");
    EncoderClassifier::from_bytes(&std::fs::read(path).expect("shipped model")).expect("valid")
}

/// The bytes at `url` (relative to the page's base).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let js = |e: wasm_bindgen::JsValue| e.as_string().unwrap_or_else(|| format!("{e:?}"));
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("network error ({})", js(e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "not an HTTP response")?;
    if !resp.ok() {
        return Err(format!("the server answered HTTP {}", resp.status()));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(js)?)
        .await
        .map_err(js)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}
