//! Integration tests of the `gpt-forward` binary on the GPT-2 fixtures
//! (tests/fixtures/gpt2/, written by tests/reference/make_gpt2_fixtures.py
//! with Hugging Face `transformers`).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use serde_json::{json, Value};

#[path = "shared/command.rs"]
mod command;
use command::{assert_error, run_stdin};

const BIN: &str = env!("CARGO_BIN_EXE_gpt-forward");

fn fixtures() -> String {
    format!("{}/../../tests/fixtures/gpt2", env!("CARGO_MANIFEST_DIR"))
}

fn run(spec: Value) -> Value {
    let out = run_stdin(BIN, &spec.to_string());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ids_loss_and_ablated_loss_match_the_reference() {
    let dir = fixtures();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/trained.json")).unwrap())
            .unwrap();
    let case = &reference["texts"][0];
    let abl = &case["ablated"];
    for (tokenizer, ablate, loss) in [
        (format!("{dir}/tokenizer.json"), json!([]), &case["loss"]),
        (
            dir.clone(),
            json!([[abl["layer"], abl["head"]]]),
            &abl["loss"],
        ),
    ] {
        let out = run(json!({
            "model": format!("{dir}/trained"),
            "tokenizer": tokenizer,
            "text": case["text"],
            "ablate": ablate,
            "top_k": 4,
        }));
        assert_eq!(out["ids"], case["ids"]);
        let got = out["loss"].as_f64().unwrap();
        assert!(
            (got - loss.as_f64().unwrap()).abs() < 1e-4,
            "{got} vs {loss}"
        );
        let top = out["top_k"].as_array().unwrap();
        assert_eq!(top.len(), 4);
        let tokens: String = out["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tokens, case["text"].as_str().unwrap());
    }
}

#[test]
fn export_round_trips_through_the_command() {
    let dir = fixtures();
    let out_dir = std::env::temp_dir().join(format!("gpt-forward-export-{}", std::process::id()));
    let spec =
        |model: &str| json!({"model": model, "ids": [1, 2, 3], "logits": true, "attentions": true});
    let first = run(json!({"model": format!("{dir}/random"), "export": out_dir.to_str().unwrap()}));
    assert_eq!(first["parameters"], 37760);
    let a = run(spec(&format!("{dir}/random")));
    let b = run(spec(out_dir.to_str().unwrap()));
    std::fs::remove_dir_all(&out_dir).unwrap();
    assert_eq!(a, b);
    assert_eq!(a["logits"].as_array().unwrap().len(), 3);
    assert_eq!(a["attentions"].as_array().unwrap().len(), 2);
    assert!(a["loss"].is_number());
}

#[test]
fn errors_exit_2_with_one_line() {
    let dir = fixtures();
    let model = format!("{dir}/trained");
    assert_error(&run_stdin(BIN, "nope"), "invalid JSON");
    assert_error(&run_stdin(BIN, r#"{"modle": 1}"#), "modle: unknown key");
    assert_error(&run_stdin(BIN, "{}"), "model: is required");
    assert_error(
        &run_stdin(BIN, &json!({"model": format!("{dir}/missing")}).to_string()),
        "cannot read",
    );
    assert_error(
        &run_stdin(BIN, &json!({"model": model, "text": "hi"}).to_string()),
        "tokenizer: is required with text",
    );
    assert_error(
        &run_stdin(BIN, &json!({"model": model, "ids": [1, 999]}).to_string()),
        "ids[1]",
    );
    assert_error(
        &run_stdin(
            BIN,
            &json!({"model": model, "ids": [1, 2], "ablate": [[2, 0]]}).to_string(),
        ),
        "ablate[0]: no head 0 in layer 2",
    );
    assert_error(
        &run_stdin(
            BIN,
            &json!({"model": model, "ids": [1], "logits": "yes"}).to_string(),
        ),
        "logits: expected true or false",
    );
}
