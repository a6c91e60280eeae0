//! Trained model files shipped in `public/models/` (made by committed,
//! seeded commands such as `train-coref` and `train-translate`), fetched once per page load and
//! shared by every chapter that uses them.

use attention_core::train::seq2seq::Seq2Seq;
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

/// A load status that fills in once `load` finishes; `failed` turns its
/// error into the learner's message.
fn load_in_background<T, F>(failed: fn(String) -> String, load: F) -> ArcRwSignal<Load<Arc<T>>>
where
    T: Send + Sync + 'static,
    F: std::future::Future<Output = Result<T, String>> + 'static,
{
    let s = ArcRwSignal::new(Load::Loading);
    let target = s.clone();
    leptos::task::spawn_local(async move {
        target.set(match load.await {
            Ok(m) => Load::Ready(Arc::new(m)),
            Err(e) => Load::Failed(failed(e)),
        });
    });
    s
}

thread_local! {
    static COREF: ArcRwSignal<Load<Arc<EncoderClassifier>>> = load_in_background(
        |e| format!("The trained model could not be loaded from {COREF_URL}: {e}. Reload the page to try again."),
        async {
            let b = fetch_bytes(COREF_URL).await?;
            EncoderClassifier::from_bytes(&b).map_err(|e| format!("the file is damaged ({e})"))
        },
    );
}

/// The shipped self-attention model, loading on first use.
pub fn coref_model() -> ArcRwSignal<Load<Arc<EncoderClassifier>>> {
    COREF.with(Clone::clone)
}

/// The translators of the bottleneck and alignment chapters: attention,
/// and one bottleneck model per context width in [`CONTEXTS`].
#[derive(Debug)]
pub struct Translators {
    pub attention: Seq2Seq,
    /// `(context width, model)`, in [`CONTEXTS`] order.
    pub bottleneck: Vec<(usize, Seq2Seq)>,
}

/// A handle on the loaded translators that compares by identity (cheap in
/// memos; the weights are never compared).
#[derive(Clone, Debug)]
pub struct TranslatorsRef(pub Arc<Translators>);

impl PartialEq for TranslatorsRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl TranslatorsRef {
    /// The bottleneck model of width `c` (the widest if there is none).
    pub fn bottleneck(&self, c: usize) -> Option<&Seq2Seq> {
        let b = &self.0.bottleneck;
        b.iter().find(|(w, _)| *w == c).or(b.last()).map(|(_, m)| m)
    }
}

/// Context widths of the shipped bottleneck models.
pub const CONTEXTS: [usize; 2] = [8, 32];

/// Where the translator files are (`train-translate` writes them).
pub fn translator_url(context: Option<usize>) -> String {
    match context {
        None => "public/models/translate-attention.bin".into(),
        Some(c) => format!("public/models/translate-bottleneck-{c}.bin"),
    }
}

async fn load_translators() -> Result<Translators, String> {
    let get = |c: Option<usize>| async move {
        let url = translator_url(c);
        let bytes = fetch_bytes(&url).await.map_err(|e| format!("{url}: {e}"))?;
        Seq2Seq::from_bytes(&bytes).map_err(|e| format!("{url} is damaged ({e})"))
    };
    let attention = get(None).await?;
    let mut bottleneck = Vec::new();
    for c in CONTEXTS {
        bottleneck.push((c, get(Some(c)).await?));
    }
    Ok(Translators {
        attention,
        bottleneck,
    })
}

thread_local! {
    static TRANSLATORS: ArcRwSignal<Load<Arc<Translators>>> =
        load_in_background(
            |e| format!("The trained translators could not be loaded: {e}. Reload the page to try again."),
            load_translators(),
        );
}

/// The shipped translators, loading on first use.
pub fn translators() -> ArcRwSignal<Load<Arc<Translators>>> {
    TRANSLATORS.with(Clone::clone)
}

/// The shipped translators read from `public/` (native tests).
#[cfg(test)]
pub fn shipped_translators() -> Translators {
    let read = |c: Option<usize>| {
        let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), translator_url(c));
        Seq2Seq::from_bytes(&std::fs::read(&path).expect("shipped translator")).expect("valid")
    };
    Translators {
        attention: read(None),
        bottleneck: CONTEXTS.iter().map(|&c| (c, read(Some(c)))).collect(),
    }
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
