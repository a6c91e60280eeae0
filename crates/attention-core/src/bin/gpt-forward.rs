//! `gpt-forward SPEC.json` (or `-` for stdin): loads a GPT-2-family
//! checkpoint with `attention_core::gpt`, runs it on a text and prints what
//! it computed as JSON; optionally exports the loaded model again (for
//! `tests/reference/check_gpt_export.py`, which loads the export into
//! `transformers`).
//!
//! The spec is an object with:
//! * `model` (required): a folder holding `config.json` and
//!   `model.safetensors`;
//! * `tokenizer`: a `tokenizer.json` file, or a folder holding `vocab.json`
//!   and `merges.txt` (required with `text`);
//! * `text`, or `ids` (a list of token ids): the input;
//! * `top_k` (default 5): predictions after the last position;
//! * `ablate`: a list of `[layer, head]` pairs whose attention is zeroed;
//! * `logits`, `attentions` (default false): include them in the output;
//! * `export`: a folder to write `config.json` and `model.safetensors` to.
//!
//! Without `text` and `ids` the output is `{"parameters"}` only.
//! Output: `{"ids", "tokens", "loss" (null for one token), "top_k":
//! [{"id", "token", "prob"}], "parameters"}` and `"logits"` (`n x V`),
//! `"attentions"` (`layer x head x n x n`) when asked. On any error: exit
//! status 2, one line on stderr naming the field, nothing on stdout.

use std::path::Path;
use std::process::ExitCode;

use attention_core::gpt::bpe::Bpe;
use attention_core::gpt::model::{next_token_loss, top_k, Gpt2};
use attention_core::spec::{spec_flag, spec_object};
use attention_core::AttnError;
use serde_json::{json, Map, Value};

#[path = "shared/input.rs"]
mod input;

const KEYS: [&str; 9] = [
    "model",
    "tokenizer",
    "text",
    "ids",
    "top_k",
    "ablate",
    "logits",
    "attentions",
    "export",
];

/// The largest checkpoint read (bytes).
const MAX_BYTES: usize = 4_000_000_000;

fn read(path: &Path) -> Result<Vec<u8>, AttnError> {
    std::fs::read(path)
        .map_err(|e| AttnError::value(path.display().to_string(), format!("cannot read: {e}")))
}

fn read_text(path: &Path) -> Result<String, AttnError> {
    String::from_utf8(read(path)?)
        .map_err(|_| AttnError::value(path.display().to_string(), "is not UTF-8 text"))
}

fn tokenizer(path: &Path) -> Result<Bpe, AttnError> {
    if path.is_dir() {
        Bpe::from_vocab_merges(
            &read_text(&path.join("vocab.json"))?,
            &read_text(&path.join("merges.txt"))?,
        )
    } else {
        Bpe::from_tokenizer_json(&read_text(path)?)
    }
}

fn usize_of(v: &Value, field: &str) -> Result<usize, AttnError> {
    v.as_u64()
        .and_then(|u| usize::try_from(u).ok())
        .ok_or_else(|| AttnError::value(field, format!("expected a non-negative integer, got {v}")))
}

fn path_of<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<Option<&'a Path>, AttnError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Path::new(s))),
        Some(other) => Err(AttnError::value(
            field,
            format!("expected a path, got {other}"),
        )),
    }
}

fn run(text: &str) -> Result<String, AttnError> {
    let obj = &spec_object(text, &KEYS)?;
    let dir = path_of(obj, "model")?.ok_or_else(|| AttnError::value("model", "is required"))?;
    let model = Gpt2::from_files(
        &read_text(&dir.join("config.json"))?,
        &read(&dir.join("model.safetensors"))?,
        MAX_BYTES,
    )?;
    if let Some(out) = path_of(obj, "export")? {
        std::fs::create_dir_all(out).map_err(|e| {
            AttnError::value("export", format!("cannot create {}: {e}", out.display()))
        })?;
        let write = |name: &str, bytes: &[u8]| {
            std::fs::write(out.join(name), bytes)
                .map_err(|e| AttnError::value("export", format!("cannot write {name}: {e}")))
        };
        write("config.json", model.config.to_json().as_bytes())?;
        write("model.safetensors", &model.to_safetensors()?)?;
    }
    let bpe = path_of(obj, "tokenizer")?.map(tokenizer).transpose()?;
    let ids: Vec<usize> = match (obj.get("text"), obj.get("ids")) {
        (Some(Value::String(t)), None) => bpe
            .as_ref()
            .ok_or_else(|| AttnError::value("tokenizer", "is required with text"))?
            .encode(t)?,
        (None, Some(Value::Array(list))) => list
            .iter()
            .enumerate()
            .map(|(i, v)| usize_of(v, &format!("ids[{i}]")))
            .collect::<Result<_, _>>()?,
        (None, None) => return Ok(json!({"parameters": model.parameter_count()}).to_string()),
        _ => {
            return Err(AttnError::value(
                "text",
                "give either text (a string) or ids (a list)",
            ))
        }
    };
    let mut mask = vec![vec![1.0f32; model.config.n_head]; model.config.n_layer];
    if let Some(list) = obj.get("ablate") {
        let pairs = list
            .as_array()
            .ok_or_else(|| AttnError::value("ablate", "expected a list of [layer, head]"))?;
        for (i, p) in pairs.iter().enumerate() {
            let field = format!("ablate[{i}]");
            let (l, h) = match p.as_array().map(Vec::as_slice) {
                Some([l, h]) => (usize_of(l, &field)?, usize_of(h, &field)?),
                _ => return Err(AttnError::value(field, "expected [layer, head]")),
            };
            let slot = mask
                .get_mut(l)
                .and_then(|r| r.get_mut(h))
                .ok_or_else(|| AttnError::value(&field, format!("no head {h} in layer {l}")))?;
            *slot = 0.0;
        }
    }
    let k = obj.get("top_k").map_or(Ok(5), |v| usize_of(v, "top_k"))?;
    let out = model.forward(&ids, Some(&mask))?;
    let loss = if ids.len() >= 2 {
        json!(next_token_loss(&out, &ids)?)
    } else {
        Value::Null
    };
    let name = |id: usize| -> Value {
        bpe.as_ref()
            .and_then(|b| b.decode(&[id]).ok())
            .map_or(Value::Null, Value::String)
    };
    let last = ids.len().saturating_sub(1);
    let top: Vec<Value> = top_k(&out, last, k)?
        .iter()
        .map(|p| json!({"id": p.token, "token": name(p.token), "prob": p.prob}))
        .collect();
    let mut result = Map::new();
    result.insert("ids".into(), json!(ids));
    result.insert(
        "tokens".into(),
        Value::Array(ids.iter().map(|&i| name(i)).collect()),
    );
    result.insert("loss".into(), loss);
    result.insert("top_k".into(), Value::Array(top));
    result.insert("parameters".into(), json!(model.parameter_count()));
    if spec_flag(obj, "logits", false)? {
        let rows: Vec<Value> = (0..out.len())
            .map(|i| out.logits_row(i).map(|r| json!(r)))
            .collect::<Result<_, _>>()?;
        result.insert("logits".into(), Value::Array(rows));
    }
    if spec_flag(obj, "attentions", false)? {
        let layers: Vec<Value> = out
            .attentions
            .iter()
            .map(|heads| {
                Value::Array(
                    heads
                        .iter()
                        .map(attention_core::spec::matrix_json)
                        .collect(),
                )
            })
            .collect();
        result.insert("attentions".into(), Value::Array(layers));
    }
    Ok(Value::Object(result).to_string())
}

fn main() -> ExitCode {
    input::main_with("gpt-forward", run)
}
