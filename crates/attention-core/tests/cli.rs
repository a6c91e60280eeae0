//! Integration tests of the `attention-trace` binary.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_attention-trace");

#[path = "shared/command.rs"]
mod command;
use command::assert_error;

fn run_stdin(input: &str) -> Output {
    command::run_stdin(BIN, input)
}

const VALID: &str = r#"{
  "x": [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]],
  "heads": [
    {"w_q": [[1, 0], [0, 1], [1, 0], [0, 1]],
     "w_k": [[0, 1], [1, 0], [0, 1], [1, 0]],
     "w_v": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]}
  ],
  "w_o": [[1], [2], [3]],
  "scale": true,
  "temperature": 0.5,
  "mask": "causal",
  "position": "rope"
}"#;

#[test]
fn valid_spec_prints_documented_keys() {
    let out = run_stdin(VALID);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4);
    for k in ["x", "heads", "concat", "output"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let head = &v["heads"][0];
    for k in ["q", "k", "v", "logits", "weights", "output"] {
        assert!(head.get(k).is_some(), "missing heads[0].{k}");
    }
    // Causal: logits[0][1] is null, weights[0][1] is exactly 0.
    assert!(head["logits"][0][1].is_null());
    assert_eq!(head["weights"][0][1].as_f64(), Some(0.0));
    assert_eq!(head["weights"][0][0].as_f64(), Some(1.0));
    // output is n x d_out = 2 x 1; x unchanged by rope.
    assert_eq!(v["output"].as_array().unwrap().len(), 2);
    assert_eq!(v["output"][0].as_array().unwrap().len(), 1);
    assert_eq!(v["x"][1][3].as_f64(), Some(0.8));
}

#[test]
fn reads_a_file_path_and_defaults() {
    let dir = std::env::temp_dir().join(format!("attn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spec.json");
    std::fs::write(&path, r#"{"x": [[1.0, 0.0]], "heads": [{"w_q": [[1],[0]], "w_k": [[1],[0]], "w_v": [[0.1],[0.2]]}]}"#).unwrap();
    let out = Command::new(BIN).arg(&path).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One position: weight 1, output = v = 0.1 (no w_o: output == concat).
    assert_eq!(v["heads"][0]["weights"][0][0].as_f64(), Some(1.0));
    assert_eq!(v["output"], v["concat"]);
    assert_eq!(v["output"][0][0].as_f64(), Some(0.1));
}

#[test]
fn full_precision_round_trip() {
    let spec =
        r#"{"x": [[0.30000000000000004]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}]}"#;
    let out = run_stdin(spec);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["x"][0][0].as_f64(), Some(0.1 + 0.2));
}

#[test]
fn errors_exit_2_with_one_line() {
    let cases = [
        ("not json", "spec"),
        (r#"{"heads": []}"#, "x"),
        (r#"{"x": [[1, 2], [3]], "heads": []}"#, "x[1]"),
        (r#"{"x": [[1e999]], "heads": []}"#, "non-finite"),
        (
            r#"{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1, 2]], "w_v": [[1]]}]}"#,
            "heads[0].w_k: expected 1 x 1",
        ),
        (
            r#"{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "temperature": 0}"#,
            "temperature",
        ),
        (
            r#"{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "position": "rope"}"#,
            "even d_k",
        ),
        (
            r#"{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "mask": "full"}"#,
            "mask",
        ),
        (
            r#"{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "position": "xyz"}"#,
            "position",
        ),
    ];
    for (input, needle) in cases {
        assert_error(&run_stdin(input), needle);
    }
}

#[test]
fn bad_arguments_and_missing_file() {
    let out = Command::new(BIN).output().unwrap();
    assert_error(&out, "usage");
    let out = Command::new(BIN)
        .arg("/nonexistent/spec.json")
        .output()
        .unwrap();
    assert_error(&out, "/nonexistent/spec.json");
}
