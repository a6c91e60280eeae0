//! Rewriting the splitter's link module (`__wasm_split.js`): the loaders
//! of merged chunks become one, the module is written compactly
//! ([`compact`]), and chunk files get their hashed names.
//!
//! The link module lists one loader per chunk, in this form (made by
//! `wasm_split_cli_support` 0.2.4, the version pinned in Cargo.toml):
//!
//! ```text
//! const __chunk_10 = makeLoad(() => {
//!     const src = fetch(new URL("./chunk_10.wasm", import.meta.url));
//!     ...
//! }
//! , []);
//! ```
//!
//! and one exported loader per split point whose dependency list names the
//! `__chunk_N` loaders it needs.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

/// One chunk loader of the link module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkLoader {
    /// The JS constant (`__chunk_10`).
    pub var: String,
    /// The file it fetches, without `./` (`chunk_10.wasm`).
    pub file: String,
    /// Byte range of the whole `const … ;` statement in the link module.
    pub range: std::ops::Range<usize>,
}

fn loader_regex() -> Regex {
    // The pattern is a constant, so it always compiles; a failure would be a
    // programming error caught by the tests below.
    Regex::new(
        r#"(?s)const (__chunk_\d+) = makeLoad\(\(\) => \{\n\s*const src = fetch\(new URL\("\./([\w.-]+\.wasm)", import\.meta\.url\)\);.*?\n\}\n, \[\]\);"#,
    )
    .unwrap_or_else(|e| panic!("loader pattern: {e}"))
}

/// The chunk loaders of `js`, in order.
pub fn chunk_loaders(js: &str) -> Vec<ChunkLoader> {
    loader_regex()
        .captures_iter(js)
        .filter_map(|c| {
            let all = c.get(0)?;
            Some(ChunkLoader {
                var: c.get(1)?.as_str().to_string(),
                file: c.get(2)?.as_str().to_string(),
                range: all.range(),
            })
        })
        .collect()
}

/// Makes the loaders of `files` (chunk files merged into `merged_file`)
/// one: the first of them now fetches `merged_file`, the others become
/// aliases of it, so a split point that needs several of them fetches and
/// instantiates the merged module once. Errors if a file has no loader.
pub fn alias_merged(
    js: &str,
    files: &BTreeSet<String>,
    merged_file: &str,
) -> Result<String, String> {
    let loaders = chunk_loaders(js);
    let found: BTreeSet<&String> = loaders
        .iter()
        .map(|l| &l.file)
        .filter(|f| files.contains(*f))
        .collect();
    if found.len() != files.len() {
        let missing: Vec<_> = files.iter().filter(|f| !found.contains(f)).collect();
        return Err(format!("no loader in the link module for {missing:?}"));
    }
    let mut out = String::with_capacity(js.len());
    let mut at = 0;
    let mut first: Option<String> = None;
    for l in loaders.iter().filter(|l| files.contains(&l.file)) {
        let (Some(before), Some(stmt)) = (js.get(at..l.range.start), js.get(l.range.clone()))
        else {
            return Err("loader ranges out of order".into());
        };
        out.push_str(before);
        match &first {
            None => {
                out.push_str(&stmt.replacen(
                    &format!("\"./{}\"", l.file),
                    &format!("\"./{merged_file}\""),
                    1,
                ));
                first = Some(l.var.clone());
            }
            Some(var) => out.push_str(&format!("const {} = {var};", l.var)),
        }
        at = l.range.end;
    }
    out.push_str(js.get(at..).unwrap_or(""));
    Ok(out)
}

/// The fetcher every loader of the compact link module shares.
pub(crate) const FETCHER: &str = "const __wasm_split_fetch = (file) => () => {\n    const src = fetch(new URL(file, import.meta.url));\n    src.catch(() => {});\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n};\n";

fn regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("link pattern: {e}"))
}

/// Writes the link module compactly, with the same behaviour: every loader
/// calls one shared fetcher instead of spelling it out, the aliases of
/// merged chunks are resolved (each dependency list names a module once),
/// and the splitter's comments are dropped. With hundreds of chunks the
/// splitter's form is most of the link module, which the landing page loads.
/// Errors if a dependency is left without a loader.
pub fn compact(js: &str) -> Result<String, String> {
    let alias_re = regex(r"const (__chunk_\d+) = (__chunk_\d+);\n?")?;
    let mut alias: BTreeMap<String, String> = BTreeMap::new();
    for c in alias_re.captures_iter(js) {
        if let (Some(a), Some(b)) = (c.get(1), c.get(2)) {
            alias.insert(a.as_str().to_string(), b.as_str().to_string());
        }
    }
    let resolve = |v: &str| {
        let mut v = v.to_string();
        // Aliases point at the first loader of a merge: one step, but a
        // chain is followed too (bounded, in case of a cycle).
        for _ in 0..8 {
            match alias.get(&v) {
                Some(next) => v = next.clone(),
                None => break,
            }
        }
        v
    };
    let out = alias_re.replace_all(js, "");
    let out = regex(r"(?m)^/\* [^*\n]* \*/\n")?.replace_all(&out, "");
    let chunk_re = regex(
        r#"(?s)const (__chunk_\d+) = makeLoad\(\(\) => \{\n\s*const src = fetch\(new URL\("(\./[\w.-]+\.wasm)", import\.meta\.url\)\);.*?\n\}\n, \[\]\);"#,
    )?;
    let out = chunk_re.replace_all(&out, "const $1 = makeLoad(__wasm_split_fetch(\"$2\"), []);");
    let split_re = regex(
        r#"(?s)export const (\w+) = wrapAsyncCb\(makeLoad\(\(\) => \{\n\s*const src = fetch\(new URL\("(\./[\w.-]+\.wasm)", import\.meta\.url\)\);.*?\n\}\n, \["#,
    )?;
    let out = split_re.replace_all(
        &out,
        "export const $1 = wrapAsyncCb(makeLoad(__wasm_split_fetch(\"$2\"), [",
    );
    let deps_re = regex(r"\[(__chunk_\d+(?:, __chunk_\d+)*)\]")?;
    let out = deps_re.replace_all(&out, |c: &regex::Captures| {
        let mut seen = BTreeSet::new();
        let list: Vec<String> = c
            .get(1)
            .map(|m| m.as_str())
            .unwrap_or("")
            .split(", ")
            .map(resolve)
            .filter(|v| seen.insert(v.clone()))
            .collect();
        format!("[{}]", list.join(", "))
    });
    let Some(at) = out.find("function makeLoad(") else {
        return Err("the link module has no makeLoad".into());
    };
    let out = format!("{}{FETCHER}{}", &out[..at], &out[at..]);
    // Every dependency still has its loader.
    let defined: BTreeSet<&str> = regex(r"const (__chunk_\d+) = makeLoad")?
        .captures_iter(&out)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    for c in deps_re.captures_iter(&out) {
        for v in c.get(1).map(|m| m.as_str()).unwrap_or("").split(", ") {
            if !defined.contains(v) {
                return Err(format!("{v} is used but has no loader"));
            }
        }
    }
    // Short names, as the names are written thousands of times: the
    // loaders become `__c0`, `__c1`, … in the order they are defined, and
    // the dependency lists lose their spaces.
    let short: BTreeMap<String, String> = regex(r"const (__chunk_\d+) = makeLoad")?
        .captures_iter(&out)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .enumerate()
        .map(|(i, v)| (v, format!("__c{i}")))
        .collect();
    let out = regex(r"__chunk_\d+")?.replace_all(&out, |c: &regex::Captures| {
        let v = c.get(0).map_or("", |m| m.as_str());
        short.get(v).cloned().unwrap_or_else(|| v.to_string())
    });
    let out = regex(r"\[(__c\d+(?:, __c\d+)*)\]")?.replace_all(&out, |c: &regex::Captures| {
        format!(
            "[{}]",
            c.get(1).map_or("", |m| m.as_str()).replace(", ", ",")
        )
    });
    Ok(out.into_owned())
}

/// Replaces every `"./old"` file reference by `"./new"`.
pub fn rename_files(js: &str, names: &BTreeMap<String, String>) -> String {
    let mut out = js.to_string();
    for (old, new) in names {
        out = out.replace(&format!("\"./{old}\""), &format!("\"./{new}\""));
    }
    out
}

/// The first `digits` hex digits of the sha256 of `bytes`.
pub fn hex_digest(bytes: &[u8], digits: usize) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    let mut hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(digits);
    hex
}

/// Hex digits of a module's hashed name: 40 bits tell a changed file from
/// the one a browser has cached (a chance of 1 in 10^12 per file that a
/// change keeps its name), and every name is written in the link module,
/// which every page loads.
pub const NAME_DIGITS: usize = 10;

/// `name-<first NAME_DIGITS hex digits of sha256>.ext` for `name.ext`.
pub fn hashed_name(file: &str, bytes: &[u8]) -> String {
    let hex = hex_digest(bytes, NAME_DIGITS);
    match file.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}-{hex}.{ext}"),
        None => format!("{file}-{hex}"),
    }
}

/// The `integrity` value of a file (sha384, base64), as trunk writes it.
pub fn sri(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = sha2::Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const JS: &str = r#"import { initSync } from "./app.js";
function makeLoad(fetcher, deps) {}
/* a, b */
const __chunk_1 = makeLoad(() => {
    const src = fetch(new URL("./chunk_1.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
/* a */
const __chunk_2 = makeLoad(() => {
    const src = fetch(new URL("./chunk_2.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
/* b */
const __chunk_3 = makeLoad(() => {
    const src = fetch(new URL("./chunk_3.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
export const __wasm_split_load_a = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_a.wasm", import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1, __chunk_2]));
"#;

    #[test]
    fn finds_the_chunk_loaders_but_not_the_split_loaders() {
        let l = chunk_loaders(JS);
        let files: Vec<_> = l.iter().map(|l| l.file.as_str()).collect();
        assert_eq!(files, ["chunk_1.wasm", "chunk_2.wasm", "chunk_3.wasm"]);
        assert_eq!(l[1].var, "__chunk_2");
        assert!(JS[l[0].range.clone()].ends_with(", []);"));
    }

    #[test]
    fn merged_loaders_become_one_fetch_and_aliases() {
        let files: BTreeSet<String> = ["chunk_1.wasm", "chunk_3.wasm"].map(String::from).into();
        let out = alias_merged(JS, &files, "chunk_small.wasm").unwrap();
        assert!(out.contains("new URL(\"./chunk_small.wasm\""));
        assert!(!out.contains("chunk_1.wasm") && !out.contains("chunk_3.wasm"));
        assert!(out.contains("const __chunk_3 = __chunk_1;"));
        assert!(out.contains("new URL(\"./chunk_2.wasm\""));
        assert_eq!(chunk_loaders(&out).len(), 2);
        assert!(out.contains("[__chunk_1, __chunk_2]"));
        let missing: BTreeSet<String> = ["chunk_9.wasm".to_string()].into();
        assert!(alias_merged(JS, &missing, "x.wasm").is_err());
    }

    #[test]
    fn the_compact_link_module_keeps_every_loader_and_dependency() {
        let files: BTreeSet<String> = ["chunk_1.wasm", "chunk_3.wasm"].map(String::from).into();
        let merged = alias_merged(JS, &files, "chunk_small0.wasm").unwrap();
        let merged = merged.replace(
            "[__chunk_1, __chunk_2]",
            "[__chunk_1, __chunk_2, __chunk_3]",
        );
        let out = compact(&merged).unwrap();
        // One loader per fetched module, each through the shared fetcher,
        // with short names in the order they are defined.
        assert!(
            out.contains("const __c0 = makeLoad(__wasm_split_fetch(\"./chunk_small0.wasm\"), []);")
        );
        assert!(out.contains("const __c1 = makeLoad(__wasm_split_fetch(\"./chunk_2.wasm\"), []);"));
        assert!(out.contains(
            "export const __wasm_split_load_a = wrapAsyncCb(makeLoad(__wasm_split_fetch(\"./split_a.wasm\"), [__c0,__c1]));"
        ));
        // The alias is gone, and so are the comments and the long names.
        assert!(!out.contains("__chunk_") && !out.contains("__c2") && !out.contains("/* "));
        // The fetcher is defined before the first loader uses it.
        let def = out.find("const __wasm_split_fetch").unwrap();
        assert!(def < out.find("const __c0").unwrap());
        assert!(out.len() < merged.len());
        // A dependency without a loader is an error, not a broken page.
        let broken = JS.replace("[__chunk_1, __chunk_2]", "[__chunk_1, __chunk_9]");
        assert!(compact(&broken).is_err());
    }

    #[test]
    fn renames_exact_references_only() {
        let names: BTreeMap<String, String> = [
            ("chunk_1.wasm".to_string(), "chunk_1-00ff.wasm".to_string()),
            ("split_a.wasm".to_string(), "split_a-11ee.wasm".to_string()),
        ]
        .into();
        let out = rename_files(JS, &names);
        assert!(out.contains("\"./chunk_1-00ff.wasm\""));
        assert!(out.contains("\"./split_a-11ee.wasm\""));
        assert!(out.contains("\"./chunk_2.wasm\""));
    }

    #[test]
    fn hashes_and_integrity_match_known_digests() {
        // sha256("") starts e3b0c44298; sha384("abc") is the FIPS 180-2 example.
        assert_eq!(hashed_name("chunk_1.wasm", b""), "chunk_1-e3b0c44298.wasm");
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}
