//! Section 2: open a GPT-2-family checkpoint from disk. A drop zone that is
//! also a file picker (several files at once, or one by one), the
//! checklist of files present and missing, a message per file, and the
//! [`Inspector`] once the model is loaded. The files are read in the tab
//! ([`checkpoint`](super::checkpoint) checks and assembles them); they
//! never leave it, and they are not part of the URL.

use super::checkpoint::{check_size, classify, Checkpoint, Classified, MAX_WEIGHTS_BYTES};
use super::inspect::{Inspector, Shared};
use super::state::LabState;
use crate::router::UrlState;
use crate::widgets::notes::Notes;
use crate::widgets::section::Section;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The section's heading.
pub const TITLE: &str = "2 · Open a GPT-2 checkpoint";

/// What the section keeps of the files (not reactive: the revision is).
#[derive(Clone, Copy)]
struct Files {
    checkpoint: StoredValue<Checkpoint, LocalStorage>,
    /// Changes whenever the checkpoint does.
    revision: RwSignal<u64>,
    /// One line per file of the last drop or pick.
    messages: RwSignal<Vec<Result<String, String>>>,
    /// "Reading …" while files are read and loaded.
    busy: RwSignal<Option<String>>,
}

impl Files {
    /// Reads `list` (picked or dropped) and adds it to the checkpoint.
    fn read(self, list: web_sys::FileList) {
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        if files.is_empty() {
            return;
        }
        let mut early = Vec::new();
        let mut to_read = Vec::new();
        for f in files {
            let name = f.name();
            match classify(&name) {
                Classified::File(kind) => match check_size(&name, kind, f.size()) {
                    Ok(()) => to_read.push(f),
                    Err(e) => early.push(Err(e)),
                },
                // Named only: the checkpoint says why it is not read.
                _ => to_read.push(f),
            }
        }
        let names: Vec<String> = to_read.iter().map(web_sys::File::name).collect();
        self.busy
            .set(Some(format!("Reading {}…", names.join(", "))));
        leptos::task::spawn_local(async move {
            let mut read = Vec::new();
            for f in to_read {
                let name = f.name();
                let bytes = match classify(&name) {
                    Classified::File(_) => {
                        match wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await {
                            Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
                            Err(_) => {
                                early.push(Err(format!(
                                    "“{name}” could not be read from the disk."
                                )));
                                continue;
                            }
                        }
                    }
                    _ => Vec::new(),
                };
                read.push((name, bytes));
            }
            let added = self
                .checkpoint
                .try_update_value(|c| c.add_all(read))
                .unwrap_or_default();
            early.extend(added);
            self.messages.try_set(early);
            self.revision.try_update(|r| *r += 1);
            self.busy.try_set(None);
        });
    }
}

/// The section (see the module docs).
#[component]
pub fn OpenSection(url: UrlState<LabState>) -> impl IntoView {
    let files = Files {
        checkpoint: StoredValue::new_local(Checkpoint::default()),
        revision: RwSignal::new(0),
        messages: RwSignal::new(Vec::new()),
        busy: RwSignal::new(None),
    };
    let loaded = Memo::new(move |_| {
        files.revision.track();
        files
            .checkpoint
            .try_with_value(|c| c.loaded())
            .flatten()
            .map(|r| r.map(Shared))
    });
    let checklist = Memo::new(move |_| {
        files.revision.track();
        files
            .checkpoint
            .try_with_value(Checkpoint::checklist)
            .unwrap_or_default()
    });
    let model = Signal::derive(move || loaded.get().and_then(Result::ok));
    let state = Signal::derive(move || url.state.with(LabState::inspect));
    let on_edit = Callback::new(move |e| url.edit(|s| s.apply(e)));
    let dragging = RwSignal::new(false);
    let input_ref = NodeRef::<leptos::html::Input>::new();

    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(list) = input.files() {
            files.read(list);
        }
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(list) = ev.data_transfer().and_then(|d| d.files()) {
            files.read(list);
        }
    };
    let status = move || {
        if let Some(b) = files.busy.get() {
            return b;
        }
        match loaded.get() {
            Some(Ok(m)) => format!("Loaded: {}.", m.name),
            Some(Err(e)) => e,
            None => {
                let missing = files
                    .checkpoint
                    .try_with_value(Checkpoint::missing)
                    .unwrap_or_default();
                files.revision.track();
                format!("Still needed: {}.", missing.join("; "))
            }
        }
    };
    view! {
        <Section id="open-title" title=TITLE class="lab-open">
            <p>
                "Open a GPT-2-family model saved by Hugging Face transformers: its config.json, its model.safetensors and its tokenizer (tokenizer.json, or vocab.json and merges.txt). "
                "Drop them here together or one at a time, in any order. "
                {format!("Weights files of up to {:.0} GB are read: GPT-2 small fits.", MAX_WEIGHTS_BYTES as f64 / 1e9)}
            </p>
            <p class="privacy" data-testid="open-privacy">
                <strong>"Your files stay on your machine."</strong>
                " They are read inside this browser tab and never uploaded anywhere; they are not in the page's link either, so a shared link brings the text and the chosen head, not the model."
            </p>
            <div
                class="drop-zone"
                class:dragging=move || dragging.get()
                data-testid="open-drop"
                on:dragenter=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p>"Drop the checkpoint's files here, or"</p>
                // A real button (keyboard and touch) opens the hidden picker.
                <button class="file-button" data-testid="open-choose" on:click=move |_| {
                    if let Some(i) = input_ref.get_untracked() {
                        i.click();
                    }
                }>
                    "Choose files…"
                </button>
                <input node_ref=input_ref hidden type="file" multiple aria-label="Checkpoint files" data-testid="open-files" on:change=on_pick />
            </div>
            <ul class="checklist" data-testid="open-checklist" aria-label="Checkpoint files">
                {move || {
                    checklist
                        .get()
                        .into_iter()
                        .map(|s| {
                            let ok = s.file.as_deref().is_some_and(|f| !f.ends_with(')'));
                            let text = match &s.file {
                                Some(f) => format!("{}: {f}", s.what),
                                None => format!("{}: missing", s.what),
                            };
                            view! { <li class=if ok { "present" } else { "missing" }>{if ok { "✓ " } else { "· " }}{text}</li> }
                        })
                        .collect_view()
                }}
            </ul>
            <ul class="file-messages" data-testid="open-messages" aria-live="polite">
                {move || {
                    files
                        .messages
                        .get()
                        .into_iter()
                        .map(|m| match m {
                            Ok(t) => view! { <li>{t}</li> }.into_any(),
                            Err(e) => view! { <li class="error">{e}</li> }.into_any(),
                        })
                        .collect_view()
                }}
            </ul>
            <p class="status" role="status" data-testid="open-status">{status}</p>
            <Notes notes=url.notes />
            <Show when=move || model.with(Option::is_some)>
                <Inspector model=model state=state on_edit=on_edit prefix="open" />
            </Show>
        </Section>
    }
}
