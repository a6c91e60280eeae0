//! Offline: registers the service worker (`/sw.js`, written at build time
//! by `scripts/post_build.sh`: it caches every file of this build, so
//! after one visit each chapter works with no network) and offers to
//! reload when a new version has been installed and is waiting.
//!
//! A new version never takes over by itself: the learner may be in the
//! middle of a training run. The banner's button asks the waiting worker to
//! take over (`skip-waiting`); when it controls the page, the page reloads.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// What the page knows of a newer version.
#[derive(Clone, Copy)]
pub struct Updates {
    /// A new version is installed and waits for the learner.
    pub waiting: RwSignal<bool>,
    /// The learner asked for the new version (the page reloads when it
    /// takes over; the first worker taking over a first visit does not).
    asked: RwSignal<bool>,
    registration: StoredValue<Option<web_sys::ServiceWorkerRegistration>, LocalStorage>,
}

fn container() -> Option<web_sys::ServiceWorkerContainer> {
    let nav = web_sys::window()?.navigator();
    // Browsers without service workers (or a page opened from a file)
    // have no `serviceWorker`.
    js_sys::Reflect::has(&nav, &"serviceWorker".into())
        .ok()
        .filter(|has| *has)?;
    Some(nav.service_worker())
}

/// Shows the banner when `worker` finishes installing while this page is
/// controlled by an older version.
fn track(worker: web_sys::ServiceWorker, waiting: RwSignal<bool>) {
    let w = worker.clone();
    let on_state = Closure::<dyn FnMut()>::new(move || {
        let controlled = container().and_then(|c| c.controller()).is_some();
        if w.state() == web_sys::ServiceWorkerState::Installed && controlled {
            waiting.try_set(true);
        }
    });
    worker.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
    on_state.forget();
}

/// Watches `reg` for a new version: one already waiting, one installing
/// now (the browser checks when the page is opened, often before the app
/// has started), or one found later.
fn watch(reg: &web_sys::ServiceWorkerRegistration, waiting: RwSignal<bool>) {
    if reg.waiting().is_some() && container().and_then(|c| c.controller()).is_some() {
        waiting.set(true);
    }
    if let Some(w) = reg.installing() {
        track(w, waiting);
    }
    let r = reg.clone();
    let on_found = Closure::<dyn FnMut()>::new(move || {
        if let Some(w) = r.installing() {
            track(w, waiting);
        }
    });
    reg.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
    on_found.forget();
}

/// Registers the service worker (not in an embedded iframe) and returns
/// what the update banner needs.
pub fn use_offline(embedded: bool) -> Updates {
    let updates = Updates {
        waiting: RwSignal::new(false),
        asked: RwSignal::new(false),
        registration: StoredValue::new_local(None),
    };
    let Some(c) = container().filter(|_| !embedded) else {
        return updates;
    };
    // Reload once the new version controls the page, if the learner asked.
    let asked = updates.asked;
    let on_change = Closure::<dyn FnMut()>::new(move || {
        if asked.try_get_untracked() == Some(true) {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        }
    });
    c.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
    let promise = c.register("/sw.js");
    leptos::task::spawn_local(async move {
        // No worker (a static host without sw.js, a private window): the
        // app works online as before.
        let Ok(reg) = wasm_bindgen_futures::JsFuture::from(promise).await else {
            return;
        };
        let Ok(reg) = reg.dyn_into::<web_sys::ServiceWorkerRegistration>() else {
            return;
        };
        watch(&reg, updates.waiting);
        updates.registration.try_set_value(Some(reg));
    });
    updates
}

/// "A new version is ready": reload now or later.
#[component]
pub fn UpdateBanner(updates: Updates) -> impl IntoView {
    let later = RwSignal::new(false);
    let reload = move |_| {
        let waiting = updates
            .registration
            .with_value(|r| r.as_ref().and_then(|r| r.waiting()));
        match waiting {
            Some(w) => {
                // The controller change reloads the page.
                updates.asked.set(true);
                updates.waiting.set(false);
                let _ = w.post_message(&"skip-waiting".into());
            }
            None => {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        }
    };
    view! {
        <Show when=move || updates.waiting.get() && !later.get()>
            <div class="update-banner" role="status" data-testid="update-banner">
                "A new version of Attention Lab is ready. "
                <button class="primary" data-testid="update-reload" on:click=reload>"Reload now"</button>
                " "
                <button on:click=move |_| later.set(true)>"Later"</button>
            </div>
        </Show>
    }
}
