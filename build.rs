//! Build script: with the `split` feature (release builds that are cut into
//! chunks), the wasm is linked with `--emit-relocs`, which keeps the
//! linker's relocations: crates/split-wasm needs them to split the module
//! (and drops them from what ships). Other builds link without them, so an
//! unsplit wasm carries no relocation sections.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let split = std::env::var_os("CARGO_FEATURE_SPLIT").is_some();
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    if split && wasm {
        println!("cargo:rustc-link-arg=--emit-relocs");
    }
}
