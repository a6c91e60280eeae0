//! Merging several of the splitter's chunks into one wasm module.
//!
//! The splitter makes one chunk for every set of chapters that share some
//! code, so most chunks are tiny (a closure, a string): on its own each
//! would cost a request and a module header. A chunk is *mergeable* when it
//! only imports (memory, table, globals, functions from `__wasm_split`),
//! defines functions, element segments and data segments, and exports
//! nothing and starts nothing: all its effects are writes at fixed places in
//! the shared table and memory. Several such chunks concatenated, with their
//! type, function, global, data and element indices shifted, make one module
//! with the same effects.

use std::collections::HashMap;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, CustomSection, DataCountSection, DataSection, ElementSection, EntityType,
    FunctionSection, ImportSection, Module, TypeSection,
};
use wasmparser::{Parser, Payload, TypeRef};

/// Whether the splitter's chunk `wasm` can be merged (see the module docs).
pub fn is_mergeable(wasm: &[u8]) -> bool {
    scan(wasm).is_ok()
}

/// What pass one learns of a module.
#[derive(Default)]
struct Scan<'a> {
    types: u32,
    imports: Vec<wasmparser::Import<'a>>,
    functions: u32,
    data: u32,
    elements: u32,
    data_count: bool,
    target_features: Option<&'a [u8]>,
    /// Function names (index in this module, name), from a `name` section.
    names: Vec<(u32, &'a str)>,
}

fn scan(wasm: &[u8]) -> Result<Scan<'_>, String> {
    let mut s = Scan::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::Version { .. }
            | Payload::CodeSectionStart { .. }
            | Payload::CodeSectionEntry(_)
            | Payload::End(_) => {}
            Payload::TypeSection(r) => s.types = r.count(),
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    let import = import.map_err(|e| e.to_string())?;
                    if matches!(import.ty, TypeRef::Tag(_)) {
                        return Err("imports a tag".into());
                    }
                    s.imports.push(import);
                }
            }
            Payload::FunctionSection(r) => s.functions = r.count(),
            Payload::ElementSection(r) => s.elements = r.count(),
            Payload::DataSection(r) => s.data = r.count(),
            Payload::DataCountSection { .. } => s.data_count = true,
            Payload::CustomSection(c) => {
                if c.name() == "target_features" {
                    s.target_features = Some(c.data());
                }
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader {
                        if let wasmparser::Name::Function(map) = sub.map_err(|e| e.to_string())? {
                            for n in map {
                                let n = n.map_err(|e| e.to_string())?;
                                s.names.push((n.index, n.name));
                            }
                        }
                    }
                }
            }
            Payload::ExportSection(r) if r.count() == 0 => {}
            Payload::TableSection(r) if r.count() == 0 => {}
            Payload::MemorySection(r) if r.count() == 0 => {}
            Payload::GlobalSection(r) if r.count() == 0 => {}
            other => return Err(format!("has a section a merge cannot keep: {other:?}")),
        }
    }
    let memories = s
        .imports
        .iter()
        .filter(|i| matches!(i.ty, TypeRef::Memory(_)))
        .count();
    let tables = s
        .imports
        .iter()
        .filter(|i| matches!(i.ty, TypeRef::Table(_)))
        .count();
    if memories > 1 || tables > 1 {
        return Err("imports several memories or tables".into());
    }
    Ok(s)
}

/// Index shifts for one input module.
struct Shift<'a> {
    types: u32,
    functions: &'a [u32],
    globals: &'a [u32],
    data: u32,
    elements: u32,
}

fn lookup(map: &[u32], i: u32, what: &str) -> Result<u32, ReencodeError<String>> {
    map.get(i as usize)
        .copied()
        .ok_or_else(|| ReencodeError::UserError(format!("{what} index {i} out of range")))
}

impl Reencode for Shift<'_> {
    type Error = String;
    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<String>> {
        Ok(ty + self.types)
    }
    fn function_index(&mut self, f: u32) -> Result<u32, ReencodeError<String>> {
        lookup(self.functions, f, "function")
    }
    fn global_index(&mut self, g: u32) -> Result<u32, ReencodeError<String>> {
        lookup(self.globals, g, "global")
    }
    fn data_index(&mut self, d: u32) -> Result<u32, ReencodeError<String>> {
        Ok(d + self.data)
    }
    fn element_index(&mut self, e: u32) -> Result<u32, ReencodeError<String>> {
        Ok(e + self.elements)
    }
    fn memory_index(&mut self, m: u32) -> Result<u32, ReencodeError<String>> {
        Ok(m)
    }
    fn table_index(&mut self, t: u32) -> Result<u32, ReencodeError<String>> {
        Ok(t)
    }
}

/// The one import of a kind (the memory, the table) all modules share:
/// the first seen, grown by `grow` for each later one; an import of that
/// kind under another name is an error.
fn keep_one<T>(
    slot: &mut Option<(String, String, T)>,
    key: (String, String),
    ty: T,
    grow: impl Fn(&mut T, &T),
) -> Result<(), String> {
    match slot {
        Some((m, n, have)) => {
            if (m.as_str(), n.as_str()) != (key.0.as_str(), key.1.as_str()) {
                return Err(format!(
                    "chunks import both {m}.{n} and {}.{}",
                    key.0, key.1
                ));
            }
            grow(have, &ty);
        }
        None => *slot = Some((key.0, key.1, ty)),
    }
    Ok(())
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Merges mergeable chunks (see the module docs) into one module whose
/// instantiation has the effects of instantiating each of them.
pub fn merge(modules: &[&[u8]]) -> Result<Vec<u8>, String> {
    let scans = modules
        .iter()
        .enumerate()
        .map(|(i, m)| scan(m).map_err(|e| format!("module {i}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;

    // Pass one: the merged import list (one of each), and for every module
    // where its imported functions and globals land.
    let mut keys: HashMap<(String, String), u32> = HashMap::new();
    let mut func_imports: Vec<(String, String, u32)> = Vec::new();
    let mut global_imports: Vec<(String, String, wasmparser::GlobalType)> = Vec::new();
    let mut memory: Option<(String, String, wasmparser::MemoryType)> = None;
    let mut table: Option<(String, String, wasmparser::TableType)> = None;
    let mut imported_funcs: Vec<Vec<u32>> = Vec::new();
    let mut globals: Vec<Vec<u32>> = Vec::new();
    let mut type_base = 0;
    for s in &scans {
        let (mut fs, mut gs) = (Vec::new(), Vec::new());
        for imp in &s.imports {
            let key = (imp.module.to_string(), imp.name.to_string());
            match imp.ty {
                TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                    let next = func_imports.len() as u32;
                    let at = *keys.entry(key.clone()).or_insert_with(|| {
                        func_imports.push((key.0.clone(), key.1.clone(), t + type_base));
                        next
                    });
                    fs.push(at);
                }
                TypeRef::Global(g) => {
                    let at = match global_imports
                        .iter()
                        .position(|(m, n, _)| (m, n) == (&key.0, &key.1))
                    {
                        Some(at) => at,
                        None => {
                            global_imports.push((key.0.clone(), key.1.clone(), g));
                            global_imports.len() - 1
                        }
                    };
                    gs.push(at as u32);
                }
                TypeRef::Memory(m) => keep_one(&mut memory, key, m, |have, new| {
                    have.initial = have.initial.max(new.initial)
                })?,
                TypeRef::Table(t) => keep_one(&mut table, key, t, |have, new| {
                    have.initial = have.initial.max(new.initial)
                })?,
                TypeRef::Tag(_) => return Err("imports a tag".into()),
            }
        }
        imported_funcs.push(fs);
        globals.push(gs);
        type_base += s.types;
    }

    // Pass two: every module's items, shifted.
    let n_imports = func_imports.len() as u32;
    let mut round = RoundtripReencoder;
    let mut types = TypeSection::new();
    let mut functions = FunctionSection::new();
    let mut elements = ElementSection::new();
    let mut code = CodeSection::new();
    let mut data = DataSection::new();
    let (mut type_base, mut func_base, mut data_base, mut elem_base) = (0, n_imports, 0, 0);
    // Names of the defined functions (an unoptimised build keeps them, for
    // profiles): a module's function `i` past its imports lands at
    // `func_base + i - its imports`.
    let mut names: Vec<(u32, &str)> = Vec::new();
    for ((wasm, s), (fs, gs)) in modules
        .iter()
        .zip(&scans)
        .zip(imported_funcs.iter().zip(&globals))
    {
        let own_imports = fs.len() as u32;
        names.extend(
            s.names
                .iter()
                .filter(|(i, _)| *i >= own_imports)
                .map(|(i, n)| (func_base + i - own_imports, *n)),
        );
        let mut function_map = fs.clone();
        function_map.extend((0..s.functions).map(|i| func_base + i));
        let mut shift = Shift {
            types: type_base,
            functions: &function_map,
            globals: gs,
            data: data_base,
            elements: elem_base,
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(err)? {
                Payload::TypeSection(r) => shift.parse_type_section(&mut types, r).map_err(err)?,
                Payload::FunctionSection(r) => {
                    for t in r {
                        functions.function(t.map_err(err)? + type_base);
                    }
                }
                Payload::ElementSection(r) => {
                    shift.parse_element_section(&mut elements, r).map_err(err)?
                }
                Payload::CodeSectionEntry(body) => {
                    shift.parse_function_body(&mut code, body).map_err(err)?
                }
                Payload::DataSection(r) => shift.parse_data_section(&mut data, r).map_err(err)?,
                _ => {}
            }
        }
        type_base += s.types;
        func_base += s.functions;
        data_base += s.data;
        elem_base += s.elements;
    }

    let mut imports = ImportSection::new();
    if let Some((m, n, mt)) = &memory {
        imports.import(
            m,
            n,
            EntityType::Memory(round.memory_type(*mt).map_err(err)?),
        );
    }
    if let Some((m, n, tt)) = &table {
        imports.import(m, n, EntityType::Table(round.table_type(*tt).map_err(err)?));
    }
    for (m, n, g) in &global_imports {
        imports.import(
            m,
            n,
            EntityType::Global(round.global_type(*g).map_err(err)?),
        );
    }
    for (m, n, t) in &func_imports {
        imports.import(m, n, EntityType::Function(*t));
    }
    // The function index space starts with the imported functions in the
    // order they were listed: `func_imports` order. Memory, table and global
    // imports do not take function indices, so their place is free.

    let mut module = Module::new();
    module.section(&types);
    module.section(&imports);
    module.section(&functions);
    module.section(&elements);
    if scans.iter().any(|s| s.data_count) {
        module.section(&DataCountSection { count: data_base });
    }
    module.section(&code);
    module.section(&data);
    if let Some(features) = scans.iter().find_map(|s| s.target_features) {
        module.section(&CustomSection {
            name: "target_features".into(),
            data: features.into(),
        });
    }
    if !names.is_empty() {
        let mut map = wasm_encoder::NameMap::new();
        names.sort_by_key(|(i, _)| *i);
        for (i, n) in &names {
            map.append(*i, n);
        }
        let mut section = wasm_encoder::NameSection::new();
        section.functions(&map);
        module.section(&section);
    }
    let bytes = module.finish();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .map_err(|e| format!("the merged module does not validate: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        ConstExpr, DataSegment, DataSegmentMode, Elements, Function, Instruction, MemoryType,
        RefType, TableType, ValType,
    };

    /// A chunk like the splitter's: imports memory, table and a function,
    /// defines `n` functions (each calls the import and the previous one),
    /// puts them in the table at `slot`, and writes `text` at `addr`.
    fn chunk(n: u32, slot: i32, addr: i32, text: &[u8], import: &str) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], []);
        types.ty().function([ValType::I32], [ValType::I32]);
        let mut imports = ImportSection::new();
        imports.import(
            "__wasm_split",
            "memory",
            EntityType::Memory(MemoryType {
                minimum: 17,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            }),
        );
        imports.import(
            "__wasm_split",
            "__indirect_function_table",
            EntityType::Table(TableType {
                element_type: RefType::FUNCREF,
                minimum: 100,
                maximum: None,
                table64: false,
                shared: false,
            }),
        );
        imports.import("__wasm_split", import, EntityType::Function(0));
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        for i in 0..n {
            functions.function(0);
            let mut f = Function::new([]);
            f.instruction(&Instruction::Call(0));
            if i > 0 {
                f.instruction(&Instruction::Call(i)); // the previous one
            }
            f.instruction(&Instruction::End);
            code.function(&f);
        }
        let mut elements = ElementSection::new();
        let indices: Vec<u32> = (1..=n).collect();
        elements.active(
            Some(0),
            &ConstExpr::i32_const(slot),
            Elements::Functions(indices.into()),
        );
        let mut data = DataSection::new();
        data.segment(DataSegment {
            mode: DataSegmentMode::Active {
                memory_index: 0,
                offset: &ConstExpr::i32_const(addr),
            },
            data: text.iter().copied(),
        });
        let mut m = Module::new();
        m.section(&types)
            .section(&imports)
            .section(&functions)
            .section(&elements)
            .section(&code)
            .section(&data);
        // Names as an unoptimised build has them: `{text}{i}` for each
        // defined function (index 1.. past the one imported function).
        let mut names = wasm_encoder::NameMap::new();
        for i in 0..n {
            names.append(i + 1, &format!("{}{i}", String::from_utf8_lossy(text)));
        }
        let mut section = wasm_encoder::NameSection::new();
        section.functions(&names);
        m.section(&section);
        m.finish()
    }

    #[test]
    fn merged_chunks_keep_function_names_at_their_new_indices() {
        let a = chunk(2, 10, 1000, b"alpha", "f");
        let b = chunk(1, 20, 2000, b"beta", "g");
        let merged = merge(&[&a, &b]).unwrap();
        let mut names = vec![];
        for p in Parser::new(0).parse_all(&merged) {
            if let Payload::CustomSection(c) = p.unwrap() {
                if let wasmparser::KnownCustom::Name(r) = c.as_known() {
                    for sub in r {
                        if let wasmparser::Name::Function(map) = sub.unwrap() {
                            for n in map {
                                let n = n.unwrap();
                                names.push((n.index, n.name.to_string()));
                            }
                        }
                    }
                }
            }
        }
        // Imports f (0) and g (1); a's functions 2, 3; b's 4.
        assert_eq!(
            names,
            [
                (2, "alpha0".into()),
                (3, "alpha1".into()),
                (4, "beta0".into())
            ]
        );
    }

    #[test]
    fn merged_chunks_keep_every_function_slot_and_byte() {
        let a = chunk(2, 10, 1000, b"alpha", "f");
        let b = chunk(3, 20, 2000, b"beta", "g");
        let c = chunk(1, 30, 3000, b"gamma", "f");
        for m in [&a, &b, &c] {
            assert!(is_mergeable(m));
        }
        let merged = merge(&[&a, &b, &c]).unwrap();
        // Imports: memory, table, and `f` once, `g` once.
        let mut func_imports = vec![];
        let mut elems = vec![];
        let mut datas = vec![];
        let mut bodies = 0;
        for p in Parser::new(0).parse_all(&merged) {
            match p.unwrap() {
                Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        let i = i.unwrap();
                        if let TypeRef::Func(_) = i.ty {
                            func_imports.push(i.name.to_string());
                        }
                    }
                }
                Payload::ElementSection(r) => {
                    for e in r {
                        let e = e.unwrap();
                        let wasmparser::ElementKind::Active { offset_expr, .. } = e.kind else {
                            panic!("active")
                        };
                        let mut ops = offset_expr.get_operators_reader();
                        let wasmparser::Operator::I32Const { value } = ops.read().unwrap() else {
                            panic!("const")
                        };
                        let wasmparser::ElementItems::Functions(fs) = e.items else {
                            panic!("functions")
                        };
                        let fs: Vec<u32> = fs.into_iter().map(|f| f.unwrap()).collect();
                        elems.push((value, fs));
                    }
                }
                Payload::DataSection(r) => {
                    for d in r {
                        let d = d.unwrap();
                        datas.push(d.data.to_vec());
                    }
                }
                Payload::CodeSectionEntry(_) => bodies += 1,
                _ => {}
            }
        }
        assert_eq!(func_imports, ["f", "g"]);
        assert_eq!(bodies, 6);
        // Functions: imports 0 (f), 1 (g); a's 2, 3; b's 4, 5, 6; c's 7.
        assert_eq!(
            elems,
            [(10, vec![2, 3]), (20, vec![4, 5, 6]), (30, vec![7])]
        );
        assert_eq!(
            datas,
            [b"alpha".to_vec(), b"beta".to_vec(), b"gamma".to_vec()]
        );
        // b's second function calls g (merged import 1) and b's first (4).
        let mut calls = vec![];
        for p in Parser::new(0).parse_all(&merged) {
            if let Payload::CodeSectionEntry(body) = p.unwrap() {
                let mut r = body.get_operators_reader().unwrap();
                let mut these = vec![];
                while !r.eof() {
                    if let wasmparser::Operator::Call { function_index } = r.read().unwrap() {
                        these.push(function_index);
                    }
                }
                calls.push(these);
            }
        }
        assert_eq!(
            calls,
            [
                vec![0],
                vec![0, 2],
                vec![1],
                vec![1, 4],
                vec![1, 5],
                vec![0]
            ]
        );
    }

    #[test]
    fn modules_with_exports_or_a_start_are_not_merged() {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut functions = FunctionSection::new();
        functions.function(0);
        let mut exports = wasm_encoder::ExportSection::new();
        exports.export("run", wasm_encoder::ExportKind::Func, 0);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::End);
        code.function(&f);
        m.section(&types)
            .section(&functions)
            .section(&exports)
            .section(&code);
        let bytes = m.finish();
        assert!(!is_mergeable(&bytes));
        assert!(merge(&[&bytes]).is_err());
        assert!(!is_mergeable(b"not wasm"));
    }
}
