//! Attention Lab: an interactive course on attention, in Rust and WebAssembly.
//!
//! Layers point one way: `attention-core` (math) <- [`charts`] (drawing,
//! generic over the plotters backend) <- [`canvas`] (the browser bridge) <-
//! [`widgets`] <- [`chapters`] <- [`app`]. Pure helpers ([`text`], [`query`])
//! hold the logic that is tested natively. Beside the chapters, the app
//! layer has [`presenter`] (presenter mode, the speaker view, embedding)
//! and [`lessons`] (a teacher's list of views), and [`offline`] (the
//! service worker and its update banner). See ARCHITECTURE.md.

pub mod app;
pub mod canvas;
pub mod chapters;
pub mod charts;
pub mod frames;
#[cfg(test)]
mod house_rules;
pub mod lessons;
pub mod loader;
pub mod models;
pub mod offline;
pub mod panic;
pub mod presenter;
pub mod query;
pub mod router;
pub mod text;
pub mod training;
pub mod widgets;

/// Entry point: installs the panic panel and mounts the app on `<body>`.
pub fn start() {
    panic::install();
    leptos::mount::mount_to_body(app::App);
}
