//! `attention-variants SPEC.json` (or `-` for stdin): runs one head through
//! every attention variant of `attention_core::efficient` and prints their
//! outputs as JSON, for the independent numpy cross-check
//! (`tests/reference/check_variants.py`).
//!
//! The spec is an object with `q` (`n x d_k`), `k` (`n x d_k`) and `v`
//! (`n x d_v`) as arrays of rows of finite numbers, and optionally `causal`
//! (bool, default false), `scale` (bool, default true; linear attention has
//! no scale), `block` (integer >= 1, default 2) and `devices` (integer
//! between 1 and n, default 1). Unknown keys are errors.
//!
//! Output: `{"dense", "linear", "linear_quadratic", "ring", "tiled"}`, each
//! an `n x d_v` array of rows, at full precision. On any error: exit status
//! 2, one line on stderr naming the field, nothing on stdout.

use std::process::ExitCode;

use attention_core::efficient::{
    dense_attention, linear_attention, linear_attention_quadratic, ring_attention, tiled_attention,
};
use attention_core::{AttnError, Mat};
use serde_json::{Map, Value};

const KEYS: [&str; 7] = ["q", "k", "v", "causal", "scale", "block", "devices"];

#[path = "shared/input.rs"]
mod input;

/// The matrix at `field` (see [`attention_core::spec::parse_matrix`]).
fn matrix(obj: &Map<String, Value>, field: &str) -> Result<Mat, AttnError> {
    let v = obj
        .get(field)
        .ok_or_else(|| AttnError::value(field, "is required"))?;
    attention_core::spec::parse_matrix(v, field)
}

fn count(obj: &Map<String, Value>, field: &str, default: usize) -> Result<usize, AttnError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .and_then(|u| usize::try_from(u).ok())
            .ok_or_else(|| {
                AttnError::value(field, format!("expected a non-negative integer, got {v}"))
            }),
    }
}

fn run(text: &str) -> Result<String, AttnError> {
    let obj = &attention_core::spec::spec_object(text, &KEYS)?;
    let (q, k, v) = (matrix(obj, "q")?, matrix(obj, "k")?, matrix(obj, "v")?);
    let causal = attention_core::spec::spec_flag(obj, "causal", false)?;
    let scale = attention_core::spec::spec_flag(obj, "scale", true)?;
    let block = count(obj, "block", 2)?;
    let devices = count(obj, "devices", 1)?;
    let dense = dense_attention(&q, &k, &v, causal, scale)?.output;
    let linear = linear_attention(&q, &k, &v, causal)?.output;
    let quadratic = linear_attention_quadratic(&q, &k, &v, causal)?.output;
    let tiled = tiled_attention(&q, &k, &v, causal, scale, block)?.output;
    let ring = ring_attention(&q, &k, &v, causal, scale, devices)?.output;
    let mut out = Map::new();
    out.insert("dense".into(), attention_core::spec::matrix_json(&dense));
    out.insert("linear".into(), attention_core::spec::matrix_json(&linear));
    out.insert(
        "linear_quadratic".into(),
        attention_core::spec::matrix_json(&quadratic),
    );
    out.insert("tiled".into(), attention_core::spec::matrix_json(&tiled));
    out.insert("ring".into(), attention_core::spec::matrix_json(&ring));
    Ok(Value::Object(out).to_string())
}

fn main() -> ExitCode {
    input::main_with("attention-variants", run)
}
