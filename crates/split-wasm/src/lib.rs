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
//! 2. merge the chunks ([`merge`]): one module per set of pages (chapters,
//!    the lesson page) that load them, and per set of chapters for the
//!    chunks only later sections load ([`chunk_groups`]), so a page needs
//!    tens of requests rather than hundreds and fetches little code it
//!    does not run; make their loaders one and write the link module
//!    compactly ([`link`]). With `SPLIT_WASM_REPORT=<file>` the groups,
//!    each chunk's users and raw size are written there as JSON (to study
//!    what a page loads);
//! 3. run wasm-bindgen on the shell with `--keep-lld-exports` (the chunks
//!    link to its exports), and wasm-opt on every module;
//! 4. give every chunk and the link module a content-hashed name;
//! 5. replace trunk's JS and wasm in the staging directory, update their
//!    `integrity` in `index.html`, and write `split-manifest.json`: the
//!    shell's files and, for each chapter, the files it loads (the budget
//!    check in `scripts/bundle_size.py` reads it).

pub mod link;
pub mod merge;
pub mod pack;

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

/// Runs wasm-opt on every file, on two threads that take the next file
/// from one queue, largest first (the shell is the largest by far: a fixed
/// half each left one thread idle while the other worked through it). The
/// custom sections browsers ignore (target features, producers) are
/// dropped after the optimisation has read them: with dozens of modules a
/// page, they add up.
fn optimise(files: &[PathBuf], flag: &str) -> Result<(), String> {
    let mut queue: Vec<(u64, &PathBuf)> = files
        .iter()
        .map(|f| (std::fs::metadata(f).map_or(0, |m| m.len()), f))
        .collect();
    queue.sort_by_key(|q| std::cmp::Reverse(q.0));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || -> Result<(), String> {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((_, f)) = queue.get(i) else {
                return Ok(());
            };
            run_tool(
                Command::new("wasm-opt")
                    .arg(flag)
                    .args(["--strip-target-features", "--strip-producers"])
                    .arg(f)
                    .arg("-o")
                    .arg(f),
            )?;
        }
    };
    std::thread::scope(|s| {
        let other = s.spawn(run);
        let mine = run();
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
    /// For each page, the pack of its first screen ([`pack`]).
    pub packs: BTreeMap<String, String>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        let splits: serde_json::Map<String, serde_json::Value> = self
            .splits
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(v)))
            .collect();
        serde_json::json!({ "shell": self.shell, "splits": splits, "packs": self.packs })
            .to_string()
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

    // 2. Merge the chunks: one module per set of pages that load them.
    let mut chunk_bytes = BTreeMap::new();
    for path in &split.split_modules {
        let name = file_name(path)?;
        if !name.starts_with("chunk_") {
            continue;
        }
        let bytes = read(path)?;
        if merge::is_mergeable(&bytes) {
            chunk_bytes.insert(name, bytes);
        }
    }
    let users = chunk_users(&split.prefetch_map);
    let sizes = chunk_bytes
        .iter()
        .map(|(k, v)| (k.clone(), v.len()))
        .collect();
    let groups = chunk_groups(&sizes, &users, MIN_GROUP_BYTES);
    if let Ok(path) = std::env::var("SPLIT_WASM_REPORT") {
        let report = serde_json::json!({ "groups": groups, "users": users, "sizes": sizes });
        write(Path::new(&path), report.to_string().as_bytes())?;
    }
    // Each merged chunk's merged module.
    let mut merged_into: BTreeMap<String, String> = BTreeMap::new();
    let mut merged_paths = Vec::new();
    for (i, members) in groups.iter().filter(|g| g.len() > 1).enumerate() {
        let merged_name = format!("chunk_m{i}.wasm");
        let refs: Vec<&[u8]> = members
            .iter()
            .filter_map(|m| chunk_bytes.get(m).map(Vec::as_slice))
            .collect();
        let merged = merge::merge(&refs)?;
        let path = chunks_dir.join(&merged_name);
        write(&path, &merged)?;
        let set: BTreeSet<String> = members.iter().cloned().collect();
        js = link::alias_merged(&js, &set, &merged_name)?;
        for m in members {
            merged_into.insert(m.clone(), merged_name.clone());
        }
        merged_paths.push(path);
    }
    let mut modules: Vec<PathBuf> = split
        .split_modules
        .iter()
        .filter(|p| file_name(p).is_ok_and(|n| !merged_into.contains_key(&n)))
        .cloned()
        .collect();
    modules.extend(merged_paths);
    js = link::compact(&js)?;

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

    // What each split point loads (its own module and its chunks), and a
    // pack of that for every page (see [`pack`]).
    let mut splits: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (split_name, stems) in &split.prefetch_map {
        let mut files: Vec<String> = Vec::new();
        for stem in stems {
            let file = format!("{stem}.wasm");
            let file = merged_into.get(&file).cloned().unwrap_or(file);
            let hashed = names
                .get(&file)
                .cloned()
                .ok_or_else(|| format!("{split_name}: no output for {file}"))?;
            if !files.contains(&hashed) {
                files.push(hashed);
            }
        }
        splits.insert(split_name.clone(), files);
    }
    let bytes_of: BTreeMap<&str, &[u8]> = outputs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let mut packs = BTreeMap::new();
    let mut pack_files = Vec::new();
    for (split_name, files) in splits.iter().filter(|(s, _)| is_page(s)) {
        let modules = files
            .iter()
            .map(|f| {
                bytes_of
                    .get(f.as_str())
                    .map(|b| (f.as_str(), *b))
                    .ok_or_else(|| format!("{split_name}: no bytes for {f}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let bytes = pack::pack(&modules).map_err(|e| format!("{split_name}: {e}"))?;
        // A pack that does not give its modules back never ships.
        let back = pack::unpack(&bytes).map_err(|e| format!("{split_name}: {e}"))?;
        if back.len() != modules.len()
            || modules
                .iter()
                .any(|(f, b)| back.get(*f).map(Vec::as_slice) != Some(*b))
        {
            return Err(format!(
                "{split_name}: the pack does not give its modules back"
            ));
        }
        let name = link::hashed_name(&format!("pack_{split_name}.wasm"), &bytes);
        packs.insert(split_name.clone(), name.clone());
        pack_files.push((name, bytes));
    }
    outputs.extend(pack_files);
    js = pack::with_packs(&js, &packs)?;
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

    let manifest = Manifest {
        shell: vec![file_name(&old_js)?, file_name(&old_wasm)?, link_name],
        splits,
        packs,
    };
    write(
        &job.staging.join("split-manifest.json"),
        manifest.to_json().as_bytes(),
    )?;
    let _ = std::fs::remove_dir_all(&job.work);
    Ok(manifest)
}

/// Whether a split point is a page (a chapter or the lesson page), whose
/// first screen waits for its code; the others (a page's later sections,
/// the questions, the speaker view) load after a page is up.
pub fn is_page(split: &str) -> bool {
    split.starts_with("chapter_") || split == "lesson_page"
}

/// For each chunk file, the split points that load it.
pub fn chunk_users(
    prefetch_map: &std::collections::HashMap<String, Vec<String>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (split, stems) in prefetch_map {
        for stem in stems {
            users
                .entry(format!("{stem}.wasm"))
                .or_default()
                .insert(split.clone());
        }
    }
    users
}

/// The chapter a split point belongs to: a page's own, or the page whose
/// name starts its name (`multi_head_race` is a later section of
/// `chapter_multi_head`); any other split point (the questions, the speaker
/// view) stands alone.
fn owner<'a>(split: &'a str, chapters: &[&'a str]) -> &'a str {
    if let Some(c) = split.strip_prefix("chapter_") {
        return c;
    }
    chapters
        .iter()
        .filter(|c| split.starts_with(&format!("{c}_")))
        .max_by_key(|c| c.len())
        .copied()
        .unwrap_or(split)
}

/// A group of merged chunks smaller than this (raw bytes, before wasm-opt)
/// is not worth a module of its own: every module costs a request and its
/// own header, types and imports (about 300 bytes gzipped), and
/// cross-module calls.
pub const MIN_GROUP_BYTES: usize = 20_000;
/// What a request is worth in step 3 of [`chunk_groups`], in bytes a page
/// fetches and does not run (raw, before wasm-opt).
const PENALTY: usize = 20_000;

/// Groups the chunks to merge, in three passes.
///
/// 1. Chunks loaded by the same set of pages, and by the later parts of
///    the same other chapters, go together. So a page never fetches code it
///    does not run, and neither does a chapter once all of it is loaded: its
///    later sections all load as soon as its first screen is up, so a
///    module that one section fetches for another costs nothing extra. (The
///    questions and the speaker view count as chapters of their own here.)
/// 2. The groups under `min_bytes` are regrouped by their pages alone (a
///    later section may then fetch a little code only other pages run).
/// 3. What is still under `min_bytes` (the crumbs) is merged two at a
///    time: the smallest crumb with the crumb that costs least, counting
///    the bytes pages fetch and do not run (each crumb's bytes times the
///    pages that load only the other) less `PENALTY` for each page that
///    loads both (one request saved), until every crumb is big enough or
///    one is left. So a page fetches little code it does not run, and
///    crumbs that the same chapters run end up together. (For chunks no
///    page loads, step 2 already made one module per set of chapters.)
pub fn chunk_groups(
    sizes: &BTreeMap<String, usize>,
    users: &BTreeMap<String, BTreeSet<String>>,
    min_bytes: usize,
) -> Vec<Vec<String>> {
    let all_splits: BTreeSet<&str> = users.values().flatten().map(String::as_str).collect();
    let chapters: Vec<&str> = all_splits
        .iter()
        .filter_map(|s| s.strip_prefix("chapter_"))
        .collect();
    let users_of = |chunk: &String| users.get(chunk).cloned().unwrap_or_default();
    let pages_of = |all: &BTreeSet<String>| -> BTreeSet<String> {
        all.iter().filter(|s| is_page(s)).cloned().collect()
    };
    let owners_of = |all: &BTreeSet<String>, skip: &BTreeSet<&str>| -> BTreeSet<String> {
        all.iter()
            .filter(|s| !is_page(s))
            .map(|s| owner(s, &chapters))
            .filter(|o| !skip.contains(o))
            .map(str::to_string)
            .collect()
    };
    let bytes = |g: &[String]| -> usize { g.iter().filter_map(|c| sizes.get(c)).sum() };
    type Key = (BTreeSet<String>, BTreeSet<String>);
    let mut exact: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for chunk in sizes.keys() {
        let all = users_of(chunk);
        let pages = pages_of(&all);
        let page_owners: BTreeSet<&str> = pages.iter().map(|p| owner(p, &chapters)).collect();
        // The chapters whose later parts load it, but whose page does not.
        let later = owners_of(&all, &page_owners);
        exact.entry((pages, later)).or_default().push(chunk.clone());
    }
    let (mut out, small): (Vec<Vec<String>>, Vec<Vec<String>>) =
        exact.into_values().partition(|g| bytes(g) >= min_bytes);
    // 2. By pages alone (for chunks no page loads: by chapters).
    let mut by_pages: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for chunk in small.into_iter().flatten() {
        let all = users_of(&chunk);
        let pages = pages_of(&all);
        let key = if pages.is_empty() {
            (pages, owners_of(&all, &BTreeSet::new()))
        } else {
            (pages, BTreeSet::new())
        };
        by_pages.entry(key).or_default().push(chunk);
    }
    // 3. The crumbs, merged two at a time by the pages loading them: always
    // the smallest crumb with the one costing the fewest bytes that a page
    // fetches and does not run (each one's bytes times the pages that load
    // only the other), until every crumb is big enough.
    let mut crumbs: Vec<(BTreeSet<String>, Vec<String>, usize)> = Vec::new();
    for ((pages, _), g) in by_pages {
        if bytes(&g) >= min_bytes || pages.is_empty() {
            // Big enough, or already one group per set of chapters.
            out.push(g);
        } else {
            let b = bytes(&g);
            crumbs.push((pages, g, b));
        }
    }
    let waste = |a: &(BTreeSet<String>, Vec<String>, usize),
                 b: &(BTreeSet<String>, Vec<String>, usize)| {
        let extra = a.2 * b.0.difference(&a.0).count() + b.2 * a.0.difference(&b.0).count();
        let saved = PENALTY * a.0.intersection(&b.0).count();
        extra as i64 - saved as i64
    };
    while crumbs.len() > 1 {
        let Some((i, _)) = crumbs
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 < min_bytes)
            .min_by_key(|(_, c)| c.2)
        else {
            break;
        };
        let Some((j, _)) = crumbs
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .filter_map(|(j, c)| crumbs.get(i).map(|a| (j, (waste(a, c), c.2))))
            .min_by_key(|&(_, cost)| cost)
        else {
            break;
        };
        let a = crumbs.swap_remove(i);
        // `j` moved if it was the last one.
        let j = if j == crumbs.len() { i } else { j };
        if let Some(b) = crumbs.get_mut(j) {
            b.0.extend(a.0);
            b.1.extend(a.1);
            b.2 += a.2;
        }
    }
    out.extend(crumbs.into_iter().map(|c| c.1));
    for g in &mut out {
        g.sort();
    }
    out
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

    fn sorted_groups(
        sizes: &BTreeMap<String, usize>,
        users: &BTreeMap<String, BTreeSet<String>>,
        min_bytes: usize,
    ) -> Vec<Vec<String>> {
        let mut groups = chunk_groups(sizes, users, min_bytes);
        groups.sort();
        groups
    }

    /// The splitter's map: each split point's chunks (without `.wasm`).
    fn prefetch_map(
        splits: &[(&str, Vec<&str>)],
    ) -> std::collections::HashMap<String, Vec<String>> {
        splits
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|c| c.to_string()).collect()))
            .collect()
    }

    /// Chunk `i`'s file name and size, for each `(i, size)`.
    fn chunk_sizes(sizes: impl IntoIterator<Item = (usize, usize)>) -> BTreeMap<String, usize> {
        sizes
            .into_iter()
            .map(|(i, b)| (format!("chunk_{i}.wasm"), b))
            .collect()
    }

    fn names(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| format!("{s}.wasm")).collect()
    }

    #[test]
    fn chunks_are_merged_per_set_of_pages_using_them() {
        let map = prefetch_map(&[
            (
                "chapter_x",
                vec!["chunk_1", "chunk_2", "chunk_4", "chunk_10"],
            ),
            ("x_later", vec!["chunk_1", "chunk_3", "chunk_4", "chunk_8"]),
            ("x_last", vec!["chunk_8", "chunk_9"]),
            ("chapter_y", vec!["chunk_4", "chunk_5"]),
            ("y_later", vec!["chunk_6", "chunk_10"]),
            ("self_check", vec!["chunk_3", "chunk_7"]),
        ]);
        let users = chunk_users(&map);
        assert_eq!(users["chunk_4.wasm"].len(), 3);
        let sizes: BTreeMap<String, usize> =
            (1..=10).map(|i| (format!("chunk_{i}.wasm"), 100)).collect();
        // With no lower bound, the groups are exact.
        let groups = sorted_groups(&sizes, &users, 0);
        assert_eq!(
            groups,
            vec![
                // Pages {x}: what chapter x's first screen runs, nothing else.
                names(&["chunk_1", "chunk_2"]),
                // Pages {x}, and later parts of y: y's sections must not
                // fetch chunks 1 and 2 for it.
                names(&["chunk_10"]),
                // No page: x's later sections and the questions.
                names(&["chunk_3"]),
                // Pages {x, y}.
                names(&["chunk_4"]),
                // Pages {y}.
                names(&["chunk_5"]),
                // No page: y's later section.
                names(&["chunk_6"]),
                // No page: the questions alone.
                names(&["chunk_7"]),
                // No page: x's later sections, merged across sections.
                names(&["chunk_8", "chunk_9"]),
            ]
        );
        // A page loads a merged module only if it runs all of it.
        for g in &groups {
            for page in ["chapter_x", "chapter_y"] {
                let used = g.iter().filter(|c| users[*c].contains(page)).count();
                assert!(used == 0 || used == g.len(), "{page} {g:?}");
            }
        }
    }

    #[test]
    fn small_groups_are_merged_by_pages_then_together() {
        let map = prefetch_map(&[
            ("chapter_x", vec!["chunk_1", "chunk_2", "chunk_3"]),
            ("x_later", vec!["chunk_2", "chunk_4", "chunk_5"]),
            ("chapter_y", vec!["chunk_3", "chunk_6"]),
            ("y_later", vec!["chunk_7"]),
            ("lesson_page", vec!["chunk_8"]),
            ("chapter_z", vec!["chunk_8", "chunk_9"]),
        ]);
        let users = chunk_users(&map);
        let size = |i: usize| match i {
            1 | 2 => 600,
            6 => 5000,
            _ => 10,
        };
        let sizes = chunk_sizes((1..=9).map(|i| (i, size(i))));
        let groups = sorted_groups(&sizes, &users, 1000);
        assert_eq!(
            groups,
            vec![
                // Page x alone: 1 and 2 (x's later part also loads 2).
                names(&["chunk_1", "chunk_2"]),
                // The crumbs, all three together still under 1000 bytes:
                // {x, y}'s chunk 3, {lesson, z}'s 8, z's 9.
                names(&["chunk_3", "chunk_8", "chunk_9"]),
                // No page: x's later parts, y's later part.
                names(&["chunk_4", "chunk_5"]),
                // Page y: big enough alone.
                names(&["chunk_6"]),
                names(&["chunk_7"]),
            ]
        );
        // Every chunk is in exactly one group.
        let all: BTreeSet<&String> = groups.iter().flatten().collect();
        assert_eq!(all.len(), 9);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 9);
    }

    #[test]
    fn crumbs_go_with_the_crumbs_of_the_same_pages() {
        // Chapters a and b share chunk 1 and, with c, chunk 2; d alone runs
        // 3, d and e run 4. Each is under the bound: merged by who loads
        // them, a and b never fetch 3 or 4, d and e never 1 or 2.
        let map = prefetch_map(&[
            ("chapter_a", vec!["chunk_1", "chunk_2"]),
            ("chapter_b", vec!["chunk_1", "chunk_2"]),
            ("chapter_c", vec!["chunk_2"]),
            ("chapter_d", vec!["chunk_3", "chunk_4"]),
            ("chapter_e", vec!["chunk_4"]),
        ]);
        let users = chunk_users(&map);
        let sizes = chunk_sizes([(1, 600), (2, 500), (3, 600), (4, 500)]);
        let groups = sorted_groups(&sizes, &users, 1000);
        assert_eq!(
            groups,
            vec![
                names(&["chunk_1", "chunk_2"]),
                names(&["chunk_3", "chunk_4"])
            ]
        );
    }

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
    fn manifest_json_lists_shell_splits_and_packs() {
        let m = Manifest {
            shell: vec!["a.js".into()],
            splits: [("chapter_qkv".to_string(), vec!["c-1.wasm".to_string()])].into(),
            packs: [(
                "chapter_qkv".to_string(),
                "pack_chapter_qkv-2.wasm".to_string(),
            )]
            .into(),
        };
        let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(v["shell"][0], "a.js");
        assert_eq!(v["splits"]["chapter_qkv"][0], "c-1.wasm");
        assert_eq!(v["packs"]["chapter_qkv"], "pack_chapter_qkv-2.wasm");
    }
}
