//! `tiny-gpt TEXT_FILE STEPS OUT_DIR PROBE`: trains the lab's tiny
//! character-level GPT (`attention_core::gpt::train`, default size, seed 1)
//! on a text for `STEPS` steps, writes what the lab's "Download model"
//! writes (`model.safetensors`, `config.json`, `chars.json`) to `OUT_DIR`,
//! and prints as JSON the training model's own (`f64`) forward pass on the
//! text `PROBE`: `{"ids", "logits" (n x V), "loss", "steps"}`. For
//! `tests/reference/check_gpt_export.py`, which loads the files into
//! `transformers` and compares. On any error: exit status 2 and one line
//! on stderr.

use attention_core::gpt::train::{TinyConfig, Trainer};
use attention_core::AttnError;
use serde_json::json;
use std::process::ExitCode;

fn run(args: &[String]) -> Result<String, AttnError> {
    let [text, steps, out, probe] = args else {
        return Err(AttnError::value(
            "arguments",
            "expected TEXT_FILE STEPS OUT_DIR PROBE",
        ));
    };
    let io = |what: &str, e: std::io::Error| AttnError::value(what, e.to_string());
    let text = std::fs::read_to_string(text).map_err(|e| io("TEXT_FILE", e))?;
    let steps: u64 = steps
        .parse()
        .map_err(|_| AttnError::value("STEPS", format!("{steps:?} is not a count")))?;
    let mut t = Trainer::new(&text, TinyConfig::default(), 1)?;
    for _ in 0..steps {
        t.step()?;
    }
    let g = t.model.to_gpt2();
    let dir = std::path::Path::new(out);
    std::fs::create_dir_all(dir).map_err(|e| io("OUT_DIR", e))?;
    let write =
        |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).map_err(|e| io(name, e));
    write("model.safetensors", &g.to_safetensors()?)?;
    write("config.json", g.config.to_json().as_bytes())?;
    write("chars.json", t.vocab.to_json().as_bytes())?;
    let ids = t.vocab.encode(probe)?;
    let fw = t.model.forward(&ids)?;
    let logits: Vec<Vec<f64>> = fw
        .logits
        .row_iter()
        .map(|r| r.iter().copied().collect())
        .collect();
    Ok(json!({
        "ids": ids,
        "logits": logits,
        "loss": t.model.loss(&ids)?,
        "steps": t.steps(),
    })
    .to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tiny-gpt: {e}");
            ExitCode::from(2)
        }
    }
}
