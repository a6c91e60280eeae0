//! Packs: a page's first screen in one file, for a cold visit.
//!
//! A deep link to a chapter needs the chapter's module and the dozens of
//! chunk modules it shares with other pages. Fetched one by one, each is
//! compressed on its own (gzip cannot use what it saw in the file before)
//! and each costs a request. A pack holds them all, one after the other,
//! so the first page of a visit fetches one file that compresses about a
//! tenth better (`scripts/bundle_size.py` prints both).
//!
//! A pack is a valid, empty WebAssembly module (so a host serves and
//! compresses it like the other `.wasm` files) whose custom sections are
//! the modules, each named after its file:
//!
//! ```text
//! \0asm 01 00 00 00   (0, size, name, bytes of the module)*
//! ```
//!
//! The link module ([`with_packs`]) fetches a pack only for the first page
//! a visit loads (a chapter or the lesson page: the landing page fetches
//! the first chapter once it is idle), and only when no service worker
//! controls the page (the worker has every module cached already). Every module keeps its
//! own file: later pages fetch the modules they still need one by one, and
//! a pack that cannot be fetched, or a module in it that does not
//! instantiate, falls back to the module's own file.

use std::collections::BTreeMap;

fn leb(mut n: usize, out: &mut Vec<u8>) {
    loop {
        // The low seven bits of n, as the wasm encoding wants them.
        let byte = u8::try_from(n & 0x7f).unwrap_or(0);
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
    let mut n: usize = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at).ok_or("pack: truncated size")?;
        *at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err("pack: size too long".into())
}

/// The wasm header: magic and version 1.
const HEADER: [u8; 8] = [0, b'a', b's', b'm', 1, 0, 0, 0];

/// The pack of `modules` (file name, bytes), in that order.
pub fn pack(modules: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    for (name, bytes) in modules {
        let mut body = Vec::with_capacity(name.len() + bytes.len() + 5);
        leb(name.len(), &mut body);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(bytes);
        out.push(0);
        leb(body.len(), &mut out);
        out.extend_from_slice(&body);
    }
    out
}

/// The modules of a pack, by file name (what the link module's
/// `__wasm_split_unpack` reads, written in Rust for the tests). Errors on
/// anything that is not a pack.
pub fn unpack(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    if bytes.get(..8) != Some(&HEADER[..]) {
        return Err("pack: not a wasm module".into());
    }
    let mut at = 8;
    let mut out = BTreeMap::new();
    while let Some(&id) = bytes.get(at) {
        if id != 0 {
            return Err(format!("pack: section {id} is not a custom section"));
        }
        at += 1;
        let size = read_leb(bytes, &mut at)?;
        let end = at
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or("pack: a section runs past the end")?;
        let n = read_leb(bytes, &mut at)?;
        let name_end = at
            .checked_add(n)
            .filter(|&e| e <= end)
            .ok_or("pack: bad name")?;
        let (Some(name), Some(module)) = (bytes.get(at..name_end), bytes.get(name_end..end)) else {
            return Err("pack: a section runs past the end".into());
        };
        let name = std::str::from_utf8(name).map_err(|e| format!("pack: {e}"))?;
        out.insert(name.to_string(), module.to_vec());
        at = end;
    }
    Ok(out)
}

/// The fetcher of the compact link module ([`crate::link::compact`]'s) with
/// packs: a module that the pack being fetched holds comes out of it; any
/// other module, or one the pack failed to give, is fetched from its file.
/// `makeLoad` records the files a loader needs (its own and its
/// dependencies'), so the first split point knows, before the pack
/// arrives, which modules to wait for.
const PACK_JS: &str = r#"let __wasm_split_cold = true;
let __wasm_split_packed = new Set();
let __wasm_split_pack = Promise.resolve(new Map());
function __wasm_split_unpack(buf) {
    const b = new Uint8Array(buf);
    const files = new Map();
    let i = 8;
    const leb = () => {
        let n = 0;
        for (let shift = 0; shift < 35; shift += 7) {
            const x = b[i++];
            n += (x & 0x7f) * 2 ** shift;
            if (x < 0x80) return n;
        }
        throw new Error("bad pack");
    };
    while (i < b.length) {
        if (b[i++] !== 0) throw new Error("bad pack");
        const size = leb();
        const end = i + size;
        const n = leb();
        const name = new TextDecoder().decode(b.subarray(i, i + n));
        files.set("./" + name, b.subarray(i + n, end));
        i = end;
    }
    return files;
}
function __wasm_split_first(pack, load) {
    return () => {
        if (__wasm_split_cold) {
            __wasm_split_cold = false;
            const sw = navigator.serviceWorker;
            if (!(sw && sw.controller)) {
                __wasm_split_packed = new Set(load.files);
                __wasm_split_pack = fetch(new URL(pack, import.meta.url))
                    .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(pack + ": " + r.status))))
                    .then(__wasm_split_unpack)
                    .catch((e) => { console.warn("fetching the modules one by one:", e); return new Map(); });
            }
        }
        return load();
    };
}
const __wasm_split_fetch = (file) => Object.assign(() => {
    if (__wasm_split_packed.has(file)) {
        const packed = __wasm_split_pack.then((m) => m.get(file));
        return async (imports) => {
            const bytes = await packed;
            if (bytes) {
                try {
                    return await WebAssembly.instantiate(bytes, imports);
                } catch (e) {
                    console.warn(file + " from the pack:", e);
                }
            }
            return WebAssembly.instantiateStreaming(fetch(new URL(file, import.meta.url)), imports);
        };
    }
    const src = fetch(new URL(file, import.meta.url));
    src.catch(() => {});
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}, { file });
function makeLoad(fetcher, deps) {
    return Object.assign(__wasm_split_makeLoad(fetcher, deps), { files: [fetcher.file].concat(...deps.map((d) => d.files)) });
}
"#;

/// The export prefix of a split point's loader in the link module.
const EXPORT_PREFIX: &str = "__wasm_split_load_";

/// Rewrites the compact link module (after the files got their hashed
/// names) to use packs: `packs` maps a split point (`chapter_qkv`) to its
/// pack file. Every split point's loader goes through `__wasm_split_first`
/// (the first one a visit calls decides whether a pack is fetched); those
/// with a pack name it. Errors if the module is not in the expected form,
/// so a build never ships without its packs unnoticed.
pub fn with_packs(js: &str, packs: &BTreeMap<String, String>) -> Result<String, String> {
    let fetcher = crate::link::FETCHER;
    if !js.contains(fetcher) {
        return Err("the link module has no shared fetcher".into());
    }
    if js.matches("function makeLoad(").count() != 1 {
        return Err("the link module has no single makeLoad".into());
    }
    let js = js
        .replacen("function makeLoad(", "function __wasm_split_makeLoad(", 1)
        .replacen(fetcher, "", 1);
    let export_re = regex::Regex::new(
        r#"export const (\w+) = wrapAsyncCb\((makeLoad\(__wasm_split_fetch\("[^"]+"\), \[[^\]]*\]\))\);"#,
    )
    .map_err(|e| format!("link pattern: {e}"))?;
    let mut loaders = 0;
    let mut used = 0;
    let out = export_re.replace_all(&js, |c: &regex::Captures| {
        let whole = c.get(0).map_or("", |m| m.as_str());
        let export = c.get(1).map_or("", |m| m.as_str());
        let load = c.get(2).map_or("", |m| m.as_str());
        loaders += 1;
        match export.strip_prefix(EXPORT_PREFIX).and_then(|s| packs.get(s)) {
            Some(pack) => {
                used += 1;
                format!("export const {export} = wrapAsyncCb(__wasm_split_first(\"./{pack}\", {load}));")
            }
            None => whole.to_string(),
        }
    });
    if loaders == 0 || used != packs.len() {
        return Err(format!(
            "packs: {loaders} split loaders found, {used} of {} packs placed",
            packs.len()
        ));
    }
    let Some(at) = out.find("function __wasm_split_makeLoad(") else {
        return Err("the link module lost its makeLoad".into());
    };
    Ok(format!("{}{PACK_JS}{}", &out[..at], &out[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_gives_back_its_modules_and_is_an_empty_wasm_module() {
        let a = b"\0asm\x01\0\0\0first".to_vec();
        let b = vec![7u8; 300]; // a size that takes two LEB bytes
        let p = pack(&[("chunk_a-00.wasm", &a), ("split_b-11.wasm", &b)]);
        assert_eq!(&p[..8], b"\0asm\x01\0\0\0");
        let back = unpack(&p).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back["chunk_a-00.wasm"], a);
        assert_eq!(back["split_b-11.wasm"], b);
        // Nothing else in it: 8 header bytes, then per module a section id,
        // its size (1 or 2 LEB bytes here), the name's length and the name.
        assert_eq!(
            p.len(),
            8 + (1 + 1 + 1 + 15 + a.len()) + (1 + 2 + 1 + 15 + b.len())
        );
        assert_eq!(unpack(&pack(&[])).unwrap().len(), 0);
    }

    #[test]
    fn unpack_refuses_what_is_not_a_pack() {
        let p = pack(&[("m.wasm", b"bytes")]);
        assert!(unpack(&p[..p.len() - 1]).is_err(), "truncated");
        assert!(unpack(b"not wasm").is_err());
        let mut code = p.clone();
        code[8] = 10; // a code section, not a custom one
        assert!(unpack(&code).is_err());
        let mut long = HEADER.to_vec();
        long.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(unpack(&long).is_err(), "an endless size");
    }

    const LINK: &str = "import { initSync } from \"./app.js\";\nfunction wrapAsyncCb(callee) {}\n";

    fn compact_module() -> String {
        format!(
            "{LINK}{}function makeLoad(fetcher, deps) {{}}\nconst __chunk_1 = makeLoad(__wasm_split_fetch(\"./chunk_1-aa.wasm\"), []);\n\
             export const __wasm_split_load_chapter_a = wrapAsyncCb(makeLoad(__wasm_split_fetch(\"./split_chapter_a-bb.wasm\"), [__chunk_1]));\n\
             export const __wasm_split_load_a_later = wrapAsyncCb(makeLoad(__wasm_split_fetch(\"./split_a_later-cc.wasm\"), [__chunk_1]));\n",
            crate::link::FETCHER
        )
    }

    #[test]
    fn a_page_loader_names_its_pack_and_the_others_are_left_alone() {
        let packs: BTreeMap<String, String> = [(
            "chapter_a".to_string(),
            "pack_chapter_a-dd.wasm".to_string(),
        )]
        .into();
        let out = with_packs(&compact_module(), &packs).unwrap();
        assert!(out.contains(
            "export const __wasm_split_load_chapter_a = wrapAsyncCb(__wasm_split_first(\"./pack_chapter_a-dd.wasm\", makeLoad(__wasm_split_fetch(\"./split_chapter_a-bb.wasm\"), [__chunk_1])));"
        ));
        assert!(out.contains(
            "export const __wasm_split_load_a_later = wrapAsyncCb(makeLoad(__wasm_split_fetch(\"./split_a_later-cc.wasm\"), [__chunk_1]));"
        ));
        // The splitter's makeLoad is kept under another name, wrapped by
        // one that records the files; the old fetcher is replaced.
        assert_eq!(out.matches("function makeLoad(").count(), 1);
        assert!(out.contains("function __wasm_split_makeLoad(fetcher, deps) {}"));
        assert!(!out.contains(crate::link::FETCHER));
        assert_eq!(out.matches("const __wasm_split_fetch =").count(), 1);
        // Everything is defined before the first loader runs it.
        let first_use = out.find("const __chunk_1").unwrap();
        for def in [
            "const __wasm_split_fetch",
            "function makeLoad(",
            "function __wasm_split_first(",
        ] {
            assert!(out.find(def).unwrap() < first_use, "{def}");
        }
    }

    #[test]
    fn a_pack_without_its_split_loader_or_a_module_in_another_form_is_an_error() {
        let missing: BTreeMap<String, String> =
            [("chapter_z".to_string(), "pack_chapter_z.wasm".to_string())].into();
        assert!(with_packs(&compact_module(), &missing).is_err());
        let no_fetcher = compact_module().replace(crate::link::FETCHER, "");
        assert!(with_packs(&no_fetcher, &BTreeMap::new()).is_err());
        let no_loaders = format!("{LINK}{}function makeLoad() {{}}\n", crate::link::FETCHER);
        assert!(with_packs(&no_loaders, &BTreeMap::new()).is_err());
    }
}
