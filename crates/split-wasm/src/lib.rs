//! The release build's split step (run by `scripts/post_build.sh`, trunk's
//! post-build hook, when the app was built with `--features split`).
//!
//! Trunk has already built the app and run wasm-bindgen and wasm-opt on the
//! whole wasm; its output still imports the placeholder module of the split
//! points. This step redoes that part from the raw cargo output (linked with
//! `--emit-relocs`, see the app's `build.rs`):
//!
//! 1. split it at the `wasm_split` points (`wasm_split_cli_support`): the
//!    shell, one module per chapter and one chunk per set of chapters that
//!    share code;
//! 2. merge the small chunks into one ([`merge`]), so a chapter needs a
//!    handful of requests rather than dozens, and make their loaders one
//!    ([`link`]);
//! 3. run wasm-bindgen on the shell with `--keep-lld-exports` (the chunks
//!    link to its exports), and wasm-opt on every module;
//! 4. give every chunk and the link module a content-hashed name;
//! 5. replace trunk's JS and wasm in the staging directory, update their
//!    `integrity` in `index.html`, and write `split-manifest.json`: the
//!    shell's files and, for each chapter, the files it loads (the budget
//!    check in `scripts/bundle_size.py` reads it).

pub mod link;
pub mod merge;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to split, and where the result goes.
pub struct Job {
    /// The raw cargo output (`target/wasm32-unknown-unknown/release/<bin>.wasm`).
    pub raw_wasm: PathBuf,
    /// Trunk's staging directory (holds `index.html`, `<stem>.js`, `<stem>_bg.wasm`).
    pub staging: PathBuf,
    /// Trunk's name for the app's files (`attention-lab-<hash>`).
    pub stem: String,
    /// wasm-opt's optimisation flag (`-Oz`), or `None` to skip wasm-opt.
    pub opt: Option<String>,
    /// Chunks at most this many bytes (raw, before wasm-opt) are merged.
    pub small_bytes: usize,
    /// A scratch directory (emptied first).
    pub work: PathBuf,
}

/// The link module's name before it is hashed: as long as the hashed name
/// (`__wasm_split.` + 22 hex digits + `.js`), because the shell's wasm names
/// it in an import and is patched in place.
pub const LINK_PLACEHOLDER: &str = "./__wasm_split.______________________.js";

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(io(path))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(io(path))
}

fn run_tool(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn file_name(path: &Path) -> Result<String, String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no file name", path.display()))
}

/// Runs wasm-opt on every file, two at a time.
fn optimise(files: &[PathBuf], flag: &str) -> Result<(), String> {
    let (a, b) = files.split_at(files.len() / 2);
    let run = |part: &[PathBuf]| -> Result<(), String> {
        for f in part {
            run_tool(Command::new("wasm-opt").arg(flag).arg(f).arg("-o").arg(f))?;
        }
        Ok(())
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| run(b));
        let mine = run(a);
        let theirs = other
            .join()
            .unwrap_or_else(|_| Err("wasm-opt thread panicked".into()));
        mine.and(theirs)
    })
}

/// The manifest written next to the app: what the shell loads and what each
/// chapter's split point loads on top.
#[derive(Debug, Default)]
pub struct Manifest {
    pub shell: Vec<String>,
    pub splits: BTreeMap<String, Vec<String>>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        let splits: serde_json::Map<String, serde_json::Value> = self
            .splits
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(v)))
            .collect();
        serde_json::json!({ "shell": self.shell, "splits": splits }).to_string()
    }
}

/// Runs the whole step (see the crate docs). Returns the manifest.
pub fn run(job: &Job) -> Result<Manifest, String> {
    let raw = read(&job.raw_wasm)?;
    let _ = std::fs::remove_dir_all(&job.work);
    let chunks_dir = job.work.join("chunks");
    let bg_dir = job.work.join("bg");
    for d in [&chunks_dir, &bg_dir] {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    let main_split = job.work.join("main.wasm");
    let main_module = format!("./{}.js", job.stem);

    // 1. Split.
    let split = wasm_split_cli_support::transform({
        let mut o = wasm_split_cli_support::Options::new(&raw);
        o.output_dir = &chunks_dir;
        o.main_out_path = &main_split;
        o.link_name = LINK_PLACEHOLDER;
        o.main_module = &main_module;
        o
    })
    .map_err(|e| format!("splitting: {e:#}"))?;
    let link_path = chunks_dir.join(LINK_PLACEHOLDER.trim_start_matches("./"));
    let mut js = String::from_utf8(read(&link_path)?).map_err(|e| e.to_string())?;

    // 2. Merge the small chunks.
    let mut small = BTreeSet::new();
    let mut small_bytes = Vec::new();
    for path in &split.split_modules {
        let name = file_name(path)?;
        if !name.starts_with("chunk_") {
            continue;
        }
        let bytes = read(path)?;
        if bytes.len() <= job.small_bytes && merge::is_mergeable(&bytes) {
            small.insert(name);
            small_bytes.push(bytes);
        }
    }
    let merged_name = "chunk_small.wasm".to_string();
    let mut modules: Vec<PathBuf> = split
        .split_modules
        .iter()
        .filter(|p| file_name(p).is_ok_and(|n| !small.contains(&n)))
        .cloned()
        .collect();
    if small.len() > 1 {
        let refs: Vec<&[u8]> = small_bytes.iter().map(Vec::as_slice).collect();
        let merged = merge::merge(&refs)?;
        let path = chunks_dir.join(&merged_name);
        write(&path, &merged)?;
        js = link::alias_merged(&js, &small, &merged_name)?;
        modules.push(path);
    } else {
        small.clear();
    }

    // 3. wasm-bindgen on the shell, wasm-opt on everything.
    run_tool(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
            .arg("--out-dir")
            .arg(&bg_dir)
            .arg("--out-name")
            .arg(&job.stem)
            .arg(&main_split),
    )?;
    let shell_wasm = bg_dir.join(format!("{}_bg.wasm", job.stem));
    let shell_js = bg_dir.join(format!("{}.js", job.stem));
    if let Some(flag) = &job.opt {
        let mut all = vec![shell_wasm.clone()];
        all.extend(modules.iter().cloned());
        optimise(&all, flag)?;
    }

    // 4. Hashed names.
    let mut names = BTreeMap::new();
    let mut outputs = Vec::new();
    for path in &modules {
        let name = file_name(path)?;
        let bytes = read(path)?;
        let hashed = link::hashed_name(&name, &bytes);
        names.insert(name, hashed.clone());
        outputs.push((hashed, bytes));
    }
    js = link::rename_files(&js, &names);
    let link_name = format!("__wasm_split.{}.js", link::hex_digest(js.as_bytes(), 22));
    let link_ref = format!("./{link_name}");
    if link_ref.len() != LINK_PLACEHOLDER.len() {
        return Err(format!(
            "link name {link_ref} is not as long as the placeholder"
        ));
    }
    let mut shell = read(&shell_wasm)?;
    let patched = replace_bytes(&mut shell, LINK_PLACEHOLDER.as_bytes(), link_ref.as_bytes());
    if patched == 0 {
        return Err("the shell's wasm does not import the link module".into());
    }
    let shell_js_text = String::from_utf8(read(&shell_js)?)
        .map_err(|e| e.to_string())?
        .replace(LINK_PLACEHOLDER, &link_ref);

    // 5. Into trunk's staging directory.
    let old_js = job.staging.join(format!("{}.js", job.stem));
    let old_wasm = job.staging.join(format!("{}_bg.wasm", job.stem));
    let index = job.staging.join("index.html");
    let mut html = String::from_utf8(read(&index)?).map_err(|e| e.to_string())?;
    for (old, new) in [
        (read(&old_js)?, shell_js_text.as_bytes().to_vec()),
        (read(&old_wasm)?, shell.clone()),
    ] {
        html = html.replace(&link::sri(&old), &link::sri(&new));
    }
    write(&index, html.as_bytes())?;
    write(&old_js, shell_js_text.as_bytes())?;
    write(&old_wasm, &shell)?;
    write(&job.staging.join(&link_name), js.as_bytes())?;
    for (name, bytes) in &outputs {
        write(&job.staging.join(name), bytes)?;
    }

    let mut manifest = Manifest {
        shell: vec![file_name(&old_js)?, file_name(&old_wasm)?, link_name],
        ..Manifest::default()
    };
    for (split_name, stems) in &split.prefetch_map {
        let mut files: Vec<String> = Vec::new();
        for stem in stems {
            let file = format!("{stem}.wasm");
            let file = if small.contains(&file) {
                merged_name.clone()
            } else {
                file
            };
            let hashed = names
                .get(&file)
                .cloned()
                .ok_or_else(|| format!("{split_name}: no output for {file}"))?;
            if !files.contains(&hashed) {
                files.push(hashed);
            }
        }
        manifest.splits.insert(split_name.clone(), files);
    }
    write(
        &job.staging.join("split-manifest.json"),
        manifest.to_json().as_bytes(),
    )?;
    let _ = std::fs::remove_dir_all(&job.work);
    Ok(manifest)
}

/// Replaces every `from` in `bytes` by `to` (same length); returns how many.
pub fn replace_bytes(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    if from.is_empty() || from.len() != to.len() {
        return 0;
    }
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if bytes.get(i..i + from.len()) == Some(from) {
            if let Some(slot) = bytes.get_mut(i..i + from.len()) {
                slot.copy_from_slice(to);
            }
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_same_length_byte_strings_only() {
        let mut b = b"xx./a.js--./a.js".to_vec();
        assert_eq!(replace_bytes(&mut b, b"./a.js", b"./b.js"), 2);
        assert_eq!(b, b"xx./b.js--./b.js");
        assert_eq!(replace_bytes(&mut b, b"./b.js", b"./longer.js"), 0);
    }

    #[test]
    fn the_placeholder_is_as_long_as_a_hashed_name() {
        let hashed = format!("./__wasm_split.{}.js", "0".repeat(22));
        assert_eq!(hashed.len(), LINK_PLACEHOLDER.len());
    }

    #[test]
    fn manifest_json_lists_shell_and_splits() {
        let m = Manifest {
            shell: vec!["a.js".into()],
            splits: [("chapter_qkv".to_string(), vec!["c-1.wasm".to_string()])].into(),
        };
        let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(v["shell"][0], "a.js");
        assert_eq!(v["splits"]["chapter_qkv"][0], "c-1.wasm");
    }
}
