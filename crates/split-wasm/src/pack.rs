//! Packs: a page's first screen in one file, for a cold visit.
//!
//! A deep link to a chapter needs the chapter's module and the dozens of
//! chunk modules it shares with other pages. Fetched one by one, each is
//! compressed on its own (gzip cannot use what it saw in the file before)
//! and each costs a request. A pack holds them all, so the first page of a
//! visit fetches one file, about a fifth smaller than its modules one by one
//! (`scripts/bundle_size.py` prints both).
//!
//! Inside, the modules' sections are grouped by kind (every module's types,
//! then every module's imports, ..., the data, then the code): like next to
//! like, gzip's window finds more repeats, about 3% less than the modules
//! one after the other. The code goes further: first every module's code
//! head (the section's id, size and count, and each body's size), then all
//! the function bodies of all the modules, sorted by signature and size
//! ([`body_order`]): the copies of one generic function for different
//! types, scattered over many modules, end up side by side, about 7% less
//! again. The reader knows every body's signature (from the types and
//! functions before the code) and size (from the heads), so it can sort the
//! same way and put each body back. A pack is a valid, empty WebAssembly
//! module (so a host serves and compresses it like the other `.wasm` files)
//! with two custom sections:
//!
//! ```text
//! \0asm 01 00 00 00
//! custom "pack-index": JSON [[file, [[section id, length], ...]], ...]
//!                      (each module's sections, in the module's order)
//! custom "pack-body":  the sections' bytes (id, size, contents), by kind
//!                      in [`kind_order`], then by module, then in order;
//!                      for the code, the heads by module, then the bodies
//!                      in [`body_order`]
//! ```
//!
//! The link module ([`with_packs`]) fetches a pack only for the first page
//! a visit loads (a chapter or the lesson page: the landing page fetches
//! the first chapter once it is idle), and only when no service worker
//! controls the page (the worker has every module cached already). It
//! rebuilds each module (the header, then its sections in order). Every
//! module keeps its own file: later pages fetch the modules they still need
//! one by one, and a pack that cannot be fetched or read, or a module in it
//! that does not instantiate, falls back to the module's own file.

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

/// The order of section kinds in a pack's body: by id, but the data (11)
/// and then the code (10) last (measured: a little smaller).
pub fn kind_order(id: u8) -> u16 {
    match id {
        10 => 1001,
        11 => 1000,
        i => u16::from(i),
    }
}

/// The section kinds among `ids`, once each, in the body's order.
fn kinds_of(ids: impl Iterator<Item = u8>) -> Vec<u8> {
    let mut kinds: Vec<u8> = ids.collect();
    kinds.sort_by_key(|&k| kind_order(k));
    kinds.dedup();
    kinds
}

/// A module's sections: (id, the raw bytes: id, size and contents).
fn sections(module: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    if module.get(..8) != Some(&HEADER[..]) {
        return Err("pack: a module without the wasm header".into());
    }
    let mut at = 8;
    let mut out = Vec::new();
    while let Some(&id) = module.get(at) {
        let start = at;
        at += 1;
        let size = read_leb(module, &mut at)?;
        let end = at
            .checked_add(size)
            .filter(|&e| e <= module.len())
            .ok_or("pack: a section runs past the end")?;
        out.push((id, module.get(start..end).unwrap_or_default()));
        at = end;
    }
    Ok(out)
}

fn custom(name: &str, payload: &[u8], out: &mut Vec<u8>) {
    let mut body = Vec::with_capacity(name.len() + payload.len() + 5);
    leb(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    out.push(0);
    leb(body.len(), out);
    out.extend_from_slice(&body);
}

fn read_custom<'a>(bytes: &'a [u8], at: &mut usize) -> Result<(&'a str, &'a [u8]), String> {
    match bytes.get(*at) {
        Some(0) => *at += 1,
        Some(id) => return Err(format!("pack: section {id} is not a custom section")),
        None => return Err("pack: a section is missing".into()),
    }
    let size = read_leb(bytes, at)?;
    let end = at
        .checked_add(size)
        .filter(|&e| e <= bytes.len())
        .ok_or("pack: a section runs past the end")?;
    let n = read_leb(bytes, at)?;
    let name_end = at
        .checked_add(n)
        .filter(|&e| e <= end)
        .ok_or("pack: bad name")?;
    let (Some(name), Some(payload)) = (bytes.get(*at..name_end), bytes.get(name_end..end)) else {
        return Err("pack: a section runs past the end".into());
    };
    *at = end;
    let name = std::str::from_utf8(name).map_err(|e| format!("pack: {e}"))?;
    Ok((name, payload))
}

/// The contents of a section (its raw bytes less the id and the size).
fn payload(raw: &[u8]) -> Result<&[u8], String> {
    let mut at = 1;
    read_leb(raw, &mut at)?;
    raw.get(at..).ok_or_else(|| "pack: bad section".into())
}

/// Skips one value type at `at` in a type section: one byte, or a
/// reference type (0x63, 0x64) and its heap type (a signed LEB).
fn skip_valtype(bytes: &[u8], at: &mut usize) -> Result<(), String> {
    let t = *bytes.get(*at).ok_or("pack: truncated type")?;
    *at += 1;
    if t == 0x63 || t == 0x64 {
        while *bytes.get(*at).ok_or("pack: truncated type")? & 0x80 != 0 {
            *at += 1;
        }
        *at += 1;
    }
    Ok(())
}

/// Each defined function's signature (the bytes of its entry in the type
/// section: 0x60, the parameters, the results), in the code's order. Only
/// plain function types are read: anything else is an error.
fn signatures<'a>(secs: &[(u8, &'a [u8])]) -> Result<Vec<&'a [u8]>, String> {
    let mut types = Vec::new();
    if let Some((_, raw)) = secs.iter().find(|(id, _)| *id == 1) {
        let t = payload(raw)?;
        let mut at = 0;
        for _ in 0..read_leb(t, &mut at)? {
            let start = at;
            if t.get(at) != Some(&0x60) {
                return Err("pack: a type that is not a plain function type".into());
            }
            at += 1;
            for _ in 0..2 {
                for _ in 0..read_leb(t, &mut at)? {
                    skip_valtype(t, &mut at)?;
                }
            }
            types.push(t.get(start..at).ok_or("pack: truncated type")?);
        }
    }
    let mut sigs = Vec::new();
    if let Some((_, raw)) = secs.iter().find(|(id, _)| *id == 3) {
        let f = payload(raw)?;
        let mut at = 0;
        for _ in 0..read_leb(f, &mut at)? {
            let t = read_leb(f, &mut at)?;
            sigs.push(*types.get(t).ok_or("pack: a function of an unknown type")?);
        }
    }
    Ok(sigs)
}

/// A code section cut in two: its head (the id, the size, the count and
/// every body's size, as they were encoded) and the bodies.
fn cut_code(raw: &[u8]) -> Result<(Vec<u8>, Vec<&[u8]>), String> {
    let mut at = 1;
    read_leb(raw, &mut at)?;
    let n = read_leb(raw, &mut at)?;
    let mut head = raw.get(..at).ok_or("pack: bad code")?.to_vec();
    let mut bodies = Vec::new();
    for _ in 0..n {
        let start = at;
        let len = read_leb(raw, &mut at)?;
        head.extend_from_slice(raw.get(start..at).ok_or("pack: bad code")?);
        bodies.push(
            raw.get(at..at + len)
                .ok_or("pack: a body runs past the end")?,
        );
        at += len;
    }
    if at != raw.len() {
        return Err("pack: bytes after the last body".into());
    }
    Ok((head, bodies))
}

/// The order of the function bodies in a pack: by signature, then size,
/// then where they were (module, position). Bodies that look alike end up
/// side by side, where gzip finds their repeats (about 7% smaller).
/// `bodies` is (signature, size) in the modules' order.
fn body_order(bodies: &[(&[u8], usize)]) -> Vec<usize> {
    let mut order: Vec<(&(&[u8], usize), usize)> = bodies.iter().zip(0..).collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

/// The pack of `modules` (file name, bytes), in that order. Errors if a
/// module is not a wasm module, or its types or code cannot be read.
pub fn pack(modules: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
    let mut parsed = Vec::new();
    for (name, bytes) in modules {
        parsed.push((*name, sections(bytes).map_err(|e| format!("{name}: {e}"))?));
    }
    let index: Vec<serde_json::Value> = parsed
        .iter()
        .map(|(name, secs)| {
            let list: Vec<[usize; 2]> = secs
                .iter()
                .map(|(id, raw)| [usize::from(*id), raw.len()])
                .collect();
            serde_json::json!([name, list])
        })
        .collect();
    let mut body = Vec::new();
    for kind in kinds_of(parsed.iter().flat_map(|(_, s)| s.iter().map(|x| x.0))) {
        if kind == 10 {
            // The code: every module's head, then all the bodies, sorted.
            let mut keyed = Vec::new();
            let mut all = Vec::new();
            for (name, secs) in &parsed {
                let sigs = signatures(secs).map_err(|e| format!("{name}: {e}"))?;
                for (_, raw) in secs.iter().filter(|(id, _)| *id == 10) {
                    let (head, bodies) = cut_code(raw).map_err(|e| format!("{name}: {e}"))?;
                    if bodies.len() != sigs.len() {
                        return Err(format!("{name}: the code and the functions disagree"));
                    }
                    body.extend_from_slice(&head);
                    keyed.extend(sigs.iter().zip(&bodies).map(|(s, b)| (*s, b.len())));
                    all.extend(bodies);
                }
            }
            for b in body_order(&keyed).into_iter().filter_map(|i| all.get(i)) {
                body.extend_from_slice(b);
            }
            continue;
        }
        for (_, secs) in &parsed {
            for (_, raw) in secs.iter().filter(|(id, _)| *id == kind) {
                body.extend_from_slice(raw);
            }
        }
    }
    let mut out = HEADER.to_vec();
    custom(
        "pack-index",
        serde_json::Value::from(index).to_string().as_bytes(),
        &mut out,
    );
    custom("pack-body", &body, &mut out);
    Ok(out)
}

/// The modules of a pack, by file name, rebuilt as the link module's
/// `__wasm_split_unpack` does (written in Rust for the tests). Errors on
/// anything that is not a pack.
pub fn unpack(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    if bytes.get(..8) != Some(&HEADER[..]) {
        return Err("pack: not a wasm module".into());
    }
    let mut at = 8;
    let (index_name, index) = read_custom(bytes, &mut at)?;
    let (body_name, body) = read_custom(bytes, &mut at)?;
    if index_name != "pack-index" || body_name != "pack-body" || at != bytes.len() {
        return Err("pack: not a pack".into());
    }
    let index: Vec<(String, Vec<(u8, usize)>)> =
        serde_json::from_slice(index).map_err(|e| format!("pack: index: {e}"))?;
    // Each module's sections, in the module's order (`parts[m][j]`), cut
    // out kind after kind; the code's are rebuilt below.
    let mut parts: Vec<Vec<Vec<u8>>> = index
        .iter()
        .map(|(_, s)| vec![Vec::new(); s.len()])
        .collect();
    let mut code = Vec::new(); // (module, section, length)
    let mut cursor = 0usize;
    for kind in kinds_of(index.iter().flat_map(|(_, s)| s.iter().map(|x| x.0))) {
        for (m, ((_, list), own)) in index.iter().zip(parts.iter_mut()).enumerate() {
            for (j, ((id, len), part)) in list.iter().zip(own.iter_mut()).enumerate() {
                if *id != kind {
                    continue;
                }
                let end = cursor.checked_add(*len).ok_or("pack: sizes overflow")?;
                if kind == 10 {
                    code.push((m, j, *len));
                } else {
                    *part = body.get(cursor..end).ok_or("pack: bad section")?.to_vec();
                }
                cursor = end;
            }
        }
    }
    if cursor != body.len() {
        return Err("pack: the index does not match the body".into());
    }
    let slice = |a: usize, b: usize| body.get(a..b).ok_or("pack: bad code");
    // The code: every code section's head (id, size, count, the bodies'
    // sizes), then all the bodies in `body_order`.
    let mut p = body.len() - code.iter().map(|c| c.2).sum::<usize>();
    let mut heads = Vec::new(); // (module, section, start, end of the count, sizes)
    let mut keyed = Vec::new();
    for &(m, j, len) in &code {
        let start = p;
        if body.get(p) != Some(&10) {
            return Err("pack: bad code".into());
        }
        p += 1;
        read_leb(body, &mut p)?;
        let n = read_leb(body, &mut p)?;
        let top = p;
        let mut sizes = Vec::new(); // (encoding start, end, value)
        for _ in 0..n {
            let s = p;
            let size = read_leb(body, &mut p)?;
            sizes.push((s, p, size));
        }
        if sizes.iter().try_fold(p - start, |t, x| t.checked_add(x.2)) != Some(len) {
            return Err("pack: a code head that does not match the index".into());
        }
        let own = parts.get(m).ok_or("pack: bad code")?;
        let view: Vec<(u8, &[u8])> = index
            .get(m)
            .map(|(_, list)| {
                list.iter()
                    .zip(own)
                    .map(|((id, _), raw)| (*id, &raw[..]))
                    .collect()
            })
            .unwrap_or_default();
        let sigs = signatures(&view)?;
        if sigs.len() != n {
            return Err("pack: the code and the functions disagree".into());
        }
        keyed.extend(sigs.iter().zip(&sizes).map(|(sig, x)| (*sig, x.2)));
        heads.push((m, j, start, top, sizes));
    }
    let mut at = vec![0usize; keyed.len()];
    for i in body_order(&keyed) {
        let (Some(slot), Some((_, len))) = (at.get_mut(i), keyed.get(i)) else {
            return Err("pack: bad code".into());
        };
        *slot = p;
        p = p.checked_add(*len).ok_or("pack: sizes overflow")?;
    }
    if p != body.len() {
        return Err("pack: the bodies do not match the index".into());
    }
    let lens: Vec<usize> = keyed.iter().map(|k| k.1).collect();
    let mut bodies = at.iter().zip(&lens).map(|(&a, len)| slice(a, a + len));
    for (m, j, start, top, sizes) in heads {
        let mut section = slice(start, top)?.to_vec();
        for (s, e, _) in sizes {
            section.extend_from_slice(slice(s, e)?);
            section.extend_from_slice(bodies.next().ok_or("pack: bad code")??);
        }
        if let Some(part) = parts.get_mut(m).and_then(|own| own.get_mut(j)) {
            *part = section;
        }
    }
    let out = index
        .iter()
        .zip(parts)
        .map(|((name, _), own)| (name.clone(), [HEADER.to_vec(), own.concat()].concat()))
        .collect();
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
    let b = new Uint8Array(buf);
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
    const custom = (want) => {
        if (b[i++] !== 0) throw new Error("bad pack");
        const size = leb();
        const end = i + size;
        const n = leb();
        const name = new TextDecoder().decode(b.subarray(i, i + n));
        const payload = b.subarray(i + n, end);
        i = end;
        if (name !== want || end > b.length) throw new Error("bad pack");
        return payload;
    };
    const index = JSON.parse(new TextDecoder().decode(custom("pack-index")));
    const body = custom("pack-body");
    const rank = (id) => (id === 10 ? 1001 : id === 11 ? 1000 : id);
    const kinds = [...new Set(index.flatMap(([, s]) => s.map(([id]) => id)))].sort((x, y) => rank(x) - rank(y));
    // Each section's bytes; the code's are rebuilt below.
    const parts = index.map(([, s]) => s.map(() => null));
    let at = 0;
    let codeAt = -1;
    for (const kind of kinds) {
        if (kind === 10) codeAt = at;
        index.forEach(([, s], m) => s.forEach(([id, len], j) => {
            if (id === kind) { parts[m][j] = body.subarray(at, at + len); at += len; }
        }));
    }
    if (at !== body.length) throw new Error("bad pack");
    // Reads LEBs from `b` at `i` (the same reader, pointed elsewhere).
    const from = (bytes, p) => { b = bytes; i = p; };
    const whole = b;
    // Each function's signature: its type's bytes (0x60, params, results).
    const sigs = (m) => {
        const sec = (id) => { const j = index[m][1].findIndex(([x]) => x === id); return j < 0 ? null : parts[m][j]; };
        const types = [];
        const t = sec(1);
        if (t) {
            from(t, 1); leb();
            for (let n = leb(); n > 0; n--) {
                const start = i;
                if (b[i++] !== 0x60) throw new Error("bad pack");
                for (let k = 0; k < 2; k++) {
                    for (let v = leb(); v > 0; v--) {
                        if (i >= b.length) throw new Error("bad pack");
                        const x = b[i++];
                        if (x === 0x63 || x === 0x64) { while (b[i] & 0x80) i++; i++; }
                    }
                }
                types.push(String.fromCharCode(...b.subarray(start, i)));
            }
        }
        const out = [];
        const f = sec(3);
        if (f) {
            from(f, 1); leb();
            for (let n = leb(); n > 0; n--) {
                const s = types[leb()];
                if (s === undefined) throw new Error("bad pack");
                out.push(s);
            }
        }
        return out;
    };
    if (codeAt >= 0) {
        // Every module's code head (id, size, count, the bodies' sizes),
        // then all the bodies, by signature, size and place.
        const heads = [];
        const keyed = [];
        let p = codeAt;
        index.forEach(([, s], m) => s.forEach(([id, len], j) => {
            if (id !== 10) return;
            from(body, p);
            if (b[i++] !== 10) throw new Error("bad pack");
            leb();
            const n = leb();
            const top = i;
            const sizes = [];
            for (let k = 0; k < n; k++) { const s0 = i; sizes.push([s0, leb(), i]); }
            const head = { m, j, start: p, top, sizes };
            if (sizes.reduce((t, [, l]) => t + l, i - p) !== len) throw new Error("bad pack");
            p = i;
            const sg = sigs(m);
            if (sg.length !== n) throw new Error("bad pack");
            sizes.forEach(([, l], k) => keyed.push({ sig: sg[k], len: l, k: keyed.length, head, place: 0 }));
            heads.push(head);
        }));
        const order = keyed.slice().sort((x, y) => (x.sig < y.sig ? -1 : x.sig > y.sig ? 1 : x.len - y.len || x.k - y.k));
        for (const e of order) { e.place = p; p += e.len; }
        if (p !== body.length) throw new Error("bad pack");
        let k = 0;
        for (const h of heads) {
            const total = parts[h.m][h.j].length;
            const code = new Uint8Array(total);
            code.set(body.subarray(h.start, h.top));
            let q = h.top - h.start;
            for (const [s0, , s1] of h.sizes) {
                code.set(body.subarray(s0, s1), q); q += s1 - s0;
                const e = keyed[k++];
                code.set(body.subarray(e.place, e.place + e.len), q); q += e.len;
            }
            parts[h.m][h.j] = code;
        }
    }
    const files = new Map();
    index.forEach(([name, s], m) => {
        const module = new Uint8Array(8 + s.reduce((t, [, len]) => t + len, 0));
        module.set(whole.subarray(0, 8));
        let q = 8;
        parts[m].forEach((part) => { module.set(part, q); q += part.length; });
        files.set("./" + name, module);
    });
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

    /// A small wasm module: the header, then `(id, contents)` sections.
    fn module(secs: &[(u8, &[u8])]) -> Vec<u8> {
        let mut m = HEADER.to_vec();
        for (id, body) in secs {
            m.push(*id);
            leb(body.len(), &mut m);
            m.extend_from_slice(body);
        }
        m
    }

    /// A type section of plain function types (each entry's bytes given).
    fn types(entries: &[&[u8]]) -> Vec<u8> {
        let mut t = Vec::new();
        leb(entries.len(), &mut t);
        for e in entries {
            t.extend_from_slice(e);
        }
        t
    }

    /// A function section: each function's type.
    fn funcs(of: &[usize]) -> Vec<u8> {
        let mut f = Vec::new();
        leb(of.len(), &mut f);
        for &t in of {
            leb(t, &mut f);
        }
        f
    }

    /// A code section of these bodies, each size encoded in as few bytes
    /// as it takes.
    fn code(bodies: &[&[u8]]) -> Vec<u8> {
        let mut c = Vec::new();
        leb(bodies.len(), &mut c);
        for b in bodies {
            leb(b.len(), &mut c);
            c.extend_from_slice(b);
        }
        c
    }

    const VOID: &[u8] = &[0x60, 0, 0]; // () -> ()
    const I32_I32: &[u8] = &[0x60, 1, 0x7f, 1, 0x7f]; // (i32) -> i32
    const REF: &[u8] = &[0x60, 1, 0x63, 0x70, 0]; // (ref null func) -> ()

    #[test]
    fn a_pack_gives_back_its_modules_byte_for_byte_and_is_an_empty_wasm_module() {
        let big = vec![7u8; 300]; // a body whose size takes two LEB bytes
                                  // Module a: bodies of type (i32) -> i32, () -> () and (ref) -> ().
        let a = module(&[
            (1, &types(&[VOID, I32_I32, REF])),
            (2, b"imports-a"),
            (3, &funcs(&[1, 0, 2, 0])),
            (10, &code(&[b"A-long-i32", b"A-void", b"A-ref", &big])),
            (11, b"data-a"),
        ]);
        // Module b: one (i32) -> i32 body whose size is encoded in two
        // bytes where one would do (the pack keeps encodings as they are).
        let mut b_code = vec![2, 0x85, 0x00];
        b_code.extend_from_slice(b"B-i32");
        b_code.extend(std::iter::once(4).chain(*b"B-vd"));
        let b = module(&[
            (1, &types(&[I32_I32, VOID])),
            (0, b"\x04namecustom"),
            (3, &funcs(&[0, 1])),
            (10, &b_code),
        ]);
        let empty = module(&[]);
        let p = pack(&[
            ("chunk_a-00.wasm", &a),
            ("split_b-11.wasm", &b),
            ("e.wasm", &empty),
        ])
        .unwrap();
        assert_eq!(&p[..8], b"\0asm\x01\0\0\0");
        let back = unpack(&p).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back["chunk_a-00.wasm"], a);
        assert_eq!(back["split_b-11.wasm"], b);
        assert_eq!(back["e.wasm"], empty);
        // The body holds like with like: both type sections, then the
        // imports, ..., the data, the code last.
        let at = |needle: &[u8]| p.windows(needle.len()).position(|w| w == needle).unwrap();
        assert!(at(&types(&[VOID, I32_I32, REF])) < at(&types(&[I32_I32, VOID])));
        assert!(at(&types(&[I32_I32, VOID])) < at(b"imports-a"));
        assert!(at(b"imports-a") < at(b"data-a"));
        assert!(at(b"data-a") < at(b"A-long-i32"));
        assert!(
            at(b"namecustom") < at(&types(&[VOID, I32_I32, REF])),
            "custom sections (id 0) first"
        );
        // The bodies come after all the heads, by signature (its bytes),
        // then size, whichever module they are from: () -> () (B-vd, then
        // A-void, then the 300 bytes), (ref null func) -> (), then
        // (i32) -> i32 (B-i32, then A-long-i32).
        let order = [
            &b"B-vd"[..],
            b"A-void",
            &big[..],
            b"A-ref",
            b"B-i32",
            b"A-long-i32",
        ];
        for w in order.windows(2) {
            assert!(at(w[0]) < at(w[1]), "{:?} before {:?}", w[0], w[1]);
        }
        assert_eq!(unpack(&pack(&[]).unwrap()).unwrap().len(), 0);
        assert!(pack(&[("x.wasm", b"not wasm")]).is_err());
        assert!(
            pack(&[("x.wasm", &a[..a.len() - 1])]).is_err(),
            "a truncated module"
        );
    }

    #[test]
    fn unpack_refuses_what_is_not_a_pack() {
        let m = module(&[
            (1, &types(&[VOID])),
            (3, &funcs(&[0])),
            (10, &code(&[b"body"])),
        ]);
        let p = pack(&[("m.wasm", &m)]).unwrap();
        assert!(unpack(&p[..p.len() - 1]).is_err(), "truncated");
        assert!(unpack(b"not wasm").is_err());
        let mut code_id = p.clone();
        code_id[8] = 10; // a code section, not a custom one
        assert!(unpack(&code_id).is_err());
        let mut long = HEADER.to_vec();
        long.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(unpack(&long).is_err(), "an endless size");
        // An index whose lengths do not add up to the body.
        let mut bad = HEADER.to_vec();
        custom("pack-index", br#"[["m.wasm",[[1,99]]]]"#, &mut bad);
        custom("pack-body", b"short", &mut bad);
        assert!(unpack(&bad).is_err());
        let mut junk = HEADER.to_vec();
        custom("pack-index", b"{not json", &mut junk);
        custom("pack-body", b"", &mut junk);
        assert!(unpack(&junk).is_err());
        // Any single byte of the code changed to another: refused, or
        // another module (never a panic).
        let code_at = p.windows(4).position(|w| w == b"body").unwrap() - 3;
        for i in code_at..p.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut q = p.clone();
                q[i] = v;
                if let Ok(back) = unpack(&q) {
                    assert_eq!(back.len(), 1);
                }
            }
        }
        // Modules the pack cannot sort: more bodies than functions, a type
        // that is not a function type, a function of a type that is not
        // there.
        let more = module(&[
            (1, &types(&[VOID])),
            (3, &funcs(&[0])),
            (10, &code(&[b"x", b"y"])),
        ]);
        assert!(pack(&[("m.wasm", &more)]).is_err());
        let structs = module(&[
            (1, &types(&[&[0x5f, 0]])),
            (3, &funcs(&[0])),
            (10, &code(&[b"x"])),
        ]);
        assert!(pack(&[("m.wasm", &structs)]).is_err());
        let unknown = module(&[
            (1, &types(&[VOID])),
            (3, &funcs(&[3])),
            (10, &code(&[b"x"])),
        ]);
        assert!(pack(&[("m.wasm", &unknown)]).is_err());
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
