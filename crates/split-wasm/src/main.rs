//! `split-wasm`: the release build's split step (see the library docs).
//!
//! Usage: `split-wasm <raw.wasm> <staging dir> <stem> [--opt -Oz|none]`,
//! run by `scripts/post_build.sh`.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut positional, mut opt) = (Vec::new(), Some("-Oz".to_string()));
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--opt" => opt = it.next().filter(|v| v != "none"),
            _ => positional.push(a),
        }
    }
    let [raw, staging, stem] = positional.as_slice() else {
        eprintln!("usage: split-wasm <raw.wasm> <staging dir> <stem> [--opt -Oz|none]");
        std::process::exit(2);
    };
    let job = split_wasm::Job {
        raw_wasm: PathBuf::from(raw),
        staging: PathBuf::from(staging),
        stem: stem.clone(),
        opt,
        work: std::env::temp_dir().join(format!("split-wasm-{}", std::process::id())),
    };
    match split_wasm::run(&job) {
        Ok(m) => {
            println!("split-wasm: shell {:?}", m.shell);
            for (split, files) in &m.splits {
                println!("split-wasm: {split}: {} files", files.len());
            }
        }
        Err(e) => {
            eprintln!("split-wasm: {e}");
            std::process::exit(1);
        }
    }
}
