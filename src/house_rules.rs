//! The house rules that hold by test, not by discipline: the layers point
//! one way (the engine knows no UI; no chapter imports another), long work
//! goes through `training::Runner`, and effects only paint (in widgets).
//! These tests read the source tree as text.

/// Every `.rs` file below `dir` (relative to this crate), as (path, text).
fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                out.push((path.display().to_string(), text));
            }
        }
    }
    out
}

/// The code of a file without its comment lines (docs may name any layer).
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The chapter folder a path under `src/chapters/` is in.
fn chapter_of(path: &str) -> Option<String> {
    let rest = path.split("/src/chapters/").nth(1)?;
    let (folder, _) = rest.split_once('/')?;
    Some(folder.to_string())
}

#[test]
fn chapters_never_import_chapters_and_leave_loops_to_the_runner() {
    let sources: Vec<(String, String, String)> = sources("src/chapters")
        .into_iter()
        .filter_map(|(path, text)| Some((chapter_of(&path)?, path, text)))
        .collect();
    let folders: std::collections::BTreeSet<String> =
        sources.iter().map(|(d, _, _)| d.clone()).collect();
    assert!(folders.len() >= 7, "{folders:?}");
    for (dir, file, text) in &sources {
        for other in folders.iter().filter(|o| *o != dir) {
            assert!(
                !text.contains(&format!("chapters::{other}")),
                "{file} uses chapter {other}: move what they share into widgets, charts or the engine"
            );
        }
        assert!(
            !text.contains("super::super::"),
            "{file} reaches out of its chapter"
        );
        for banned in ["frames::drive", "Effect::new", "FRAME_BUDGET"] {
            assert!(
                !text.contains(banned),
                "{file} uses {banned}: long work goes through training::Runner, effects only paint (in widgets)"
            );
        }
    }
}

#[test]
fn the_engine_and_the_charts_know_nothing_of_the_layers_above() {
    let engine = sources("crates/attention-core/src");
    assert!(engine.len() >= 10, "{}", engine.len());
    for (file, text) in &engine {
        let text = code(text);
        for banned in ["leptos", "web_sys", "plotters", "wasm_bindgen"] {
            assert!(!text.contains(banned), "{file} (the engine) uses {banned}");
        }
    }
    for (file, text) in &sources("src/charts") {
        let text = code(text);
        for banned in [
            "crate::canvas",
            "crate::widgets",
            "crate::chapters",
            "leptos::",
        ] {
            assert!(!text.contains(banned), "{file} (charts) uses {banned}");
        }
    }
    for (file, text) in &sources("src/widgets") {
        assert!(
            !text.contains("crate::chapters::"),
            "{file} (a widget) uses a chapter"
        );
    }
}

#[test]
fn unsafe_code_is_allowed_only_by_the_split_macro_and_forbidden_in_the_engine() {
    let mut allowed = vec![];
    for (file, text) in sources("src") {
        if file.ends_with("house_rules.rs") {
            continue;
        }
        if code(&text).contains("allow(unsafe_code)") {
            allowed.push(file);
        }
    }
    assert_eq!(allowed.len(), 1, "{allowed:?}");
    assert!(allowed[0].ends_with("loader.rs"), "{allowed:?}");
    let lib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/attention-core/src/lib.rs"
    ))
    .unwrap_or_default();
    assert!(lib.contains("#![forbid(unsafe_code)]"));
}
