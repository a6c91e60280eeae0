//! The JSON contract of the `attention-trace` command
//! (`docs/attention-trace.md`): parse a spec into
//! `(x, weights, config)`, and render a [`Trace`] as JSON.
//!
//! Matrices are JSON arrays of rows (rows are positions). Parsing never
//! panics; every problem is an [`AttnError`] naming the field and shape.

use serde_json::{Map, Value};

use crate::{attention_trace, AttentionConfig, AttnError, Mask, Mat, MultiHeadWeights, Position};
use crate::{HeadWeights, Trace};

/// A parsed spec: `x` (`n x d_model`), the weights and the options.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Input, `n x d_model`.
    pub x: Mat,
    /// Head projections and optional `w_o`.
    pub weights: MultiHeadWeights,
    /// scale, temperature, mask, position.
    pub config: AttentionConfig,
}

/// Parses the spec JSON text. Unknown keys are ignored; `null` for an
/// optional key means "absent". Shapes are checked by [`attention_trace`],
/// except raggedness and emptiness, checked here.
pub fn parse_spec(text: &str) -> Result<Spec, AttnError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("number out of range") {
            AttnError::value("spec", format!("non-finite number (overflows f64): {msg}"))
        } else {
            AttnError::value("spec", format!("invalid JSON: {msg}"))
        }
    })?;
    let obj = root
        .as_object()
        .ok_or_else(|| AttnError::value("spec", "expected a JSON object at the top level"))?;

    let x = parse_matrix(required(obj, "x")?, "x")?;
    let heads_v = required(obj, "heads")?
        .as_array()
        .ok_or_else(|| AttnError::value("heads", "expected an array of heads"))?;
    let mut heads = Vec::with_capacity(heads_v.len());
    for (h, hv) in heads_v.iter().enumerate() {
        let field = format!("heads[{h}]");
        let ho = hv
            .as_object()
            .ok_or_else(|| AttnError::value(&field, "expected an object with w_q, w_k, w_v"))?;
        let get = |name: &str| -> Result<Mat, AttnError> {
            let f = format!("{field}.{name}");
            let v = ho
                .get(name)
                .ok_or_else(|| AttnError::value(&f, "missing required field"))?;
            parse_matrix(v, &f)
        };
        heads.push(HeadWeights {
            w_q: get("w_q")?,
            w_k: get("w_k")?,
            w_v: get("w_v")?,
        });
    }
    let w_o = optional(obj, "w_o")
        .map(|v| parse_matrix(v, "w_o"))
        .transpose()?;

    let scale = match optional(obj, "scale") {
        None => true,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| AttnError::value("scale", format!("expected true or false, got {v}")))?,
    };
    let temperature = match optional(obj, "temperature") {
        None => 1.0,
        Some(v) => v.as_f64().ok_or_else(|| {
            AttnError::value("temperature", format!("expected a number, got {v}"))
        })?,
    };
    let mask = match optional(obj, "mask").map(|v| (v, v.as_str())) {
        None => Mask::None,
        Some((_, Some("none"))) => Mask::None,
        Some((_, Some("causal"))) => Mask::Causal,
        Some((v, _)) => {
            return Err(AttnError::value(
                "mask",
                format!("unknown mask {v}; expected \"none\" or \"causal\""),
            ))
        }
    };
    let position = match optional(obj, "position").map(|v| (v, v.as_str())) {
        None => Position::None,
        Some((_, Some("none"))) => Position::None,
        Some((_, Some("sinusoidal"))) => Position::Sinusoidal,
        Some((_, Some("rope"))) => Position::Rope,
        Some((_, Some("alibi"))) => Position::Alibi,
        Some((v, _)) => {
            return Err(AttnError::value(
                "position",
                format!(
                    "unknown position {v}; expected \"none\", \"sinusoidal\", \"rope\" or \"alibi\""
                ),
            ))
        }
    };
    Ok(Spec {
        x,
        weights: MultiHeadWeights { heads, w_o },
        config: AttentionConfig {
            scale,
            temperature,
            mask,
            position,
        },
    })
}

fn required<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Value, AttnError> {
    obj.get(key)
        .ok_or_else(|| AttnError::value(key, "missing required field"))
}

fn optional<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// The top-level object of a command's JSON spec, whose keys must all be in
/// `keys` (an unknown key is an error naming it and the expected ones).
pub fn spec_object(text: &str, keys: &[&str]) -> Result<Map<String, Value>, AttnError> {
    let root: Value = serde_json::from_str(text)
        .map_err(|e| AttnError::value("spec", format!("invalid JSON: {e}")))?;
    let Value::Object(obj) = root else {
        return Err(AttnError::value("spec", "expected a JSON object"));
    };
    if let Some(key) = obj.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(AttnError::value(
            key.as_str(),
            format!("unknown key; expected one of {}", keys.join(", ")),
        ));
    }
    Ok(obj)
}

/// The boolean at `field` of a spec object, `default` when absent or null.
pub fn spec_flag(obj: &Map<String, Value>, field: &str, default: bool) -> Result<bool, AttnError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(AttnError::value(
            field,
            format!("expected true or false, got {other}"),
        )),
    }
}

/// Parses a non-empty, rectangular array of rows of finite numbers (rows
/// are positions); errors name `field` and the offending row or entry.
pub fn parse_matrix(v: &Value, field: &str) -> Result<Mat, AttnError> {
    let rows = v.as_array().ok_or_else(|| {
        AttnError::value(
            field,
            "expected an array of rows (array of arrays of numbers)",
        )
    })?;
    let first = rows
        .first()
        .ok_or_else(|| AttnError::shape(field, "at least 1 row", "0 rows"))?;
    let cols = first.as_array().map_or(0, Vec::len);
    if cols == 0 {
        return Err(AttnError::shape(
            format!("{field}[0]"),
            "a non-empty array of numbers",
            describe(first),
        ));
    }
    let mut data = Vec::with_capacity(rows.len() * cols);
    for (i, row) in rows.iter().enumerate() {
        let r = row.as_array().ok_or_else(|| {
            AttnError::shape(
                format!("{field}[{i}]"),
                "an array of numbers",
                describe(row),
            )
        })?;
        if r.len() != cols {
            return Err(AttnError::shape(
                format!("{field}[{i}]"),
                format!("{cols} values (ragged: row 0 has {cols})"),
                format!("{} values", r.len()),
            ));
        }
        for (j, e) in r.iter().enumerate() {
            match e.as_f64() {
                Some(f) if f.is_finite() => data.push(f),
                _ => {
                    return Err(AttnError::value(
                        format!("{field}[{i}][{j}]"),
                        format!("expected a finite number, got {e}"),
                    ))
                }
            }
        }
    }
    Ok(Mat::from_row_slice(rows.len(), cols, &data))
}

fn describe(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("an array of {} values", a.len()),
        other => format!("{other}"),
    }
}

/// A matrix as JSON rows of numbers (full precision; non-finite entries,
/// such as masked logits, become `null`).
pub fn matrix_json(m: &Mat) -> Value {
    Value::Array(
        m.row_iter()
            .map(|r| {
                Value::Array(
                    r.iter()
                        .map(|&f| {
                            // Non-finite (masked -inf logits) -> null.
                            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

/// The documented output object: `x`, `heads` (each with `q`, `k`, `v`,
/// `logits` (masked = `null`), `weights`, `output`), `concat`, `output`.
pub fn trace_json(trace: &Trace) -> Value {
    let heads = trace
        .heads
        .iter()
        .map(|h| {
            let mut o = Map::new();
            for (key, m) in head_fields(h) {
                o.insert(key.into(), matrix_json(m));
            }
            Value::Object(o)
        })
        .collect();
    let mut o = Map::new();
    o.insert("x".into(), matrix_json(&trace.x));
    o.insert("heads".into(), Value::Array(heads));
    o.insert("concat".into(), matrix_json(&trace.concat));
    o.insert("output".into(), matrix_json(&trace.output));
    Value::Object(o)
}

fn head_fields(h: &crate::HeadTrace) -> [(&'static str, &Mat); 6] {
    [
        ("q", &h.q),
        ("k", &h.k),
        ("v", &h.v),
        ("logits", &h.logits),
        ("weights", &h.weights),
        ("output", &h.output),
    ]
}

/// [`trace_json`] as one line of text, keys in the documented order
/// (`x`, `heads`, `concat`, `output`; per head `q`, `k`, `v`, `logits`,
/// `weights`, `output`), numbers in full (round-trip) precision.
pub fn trace_json_string(trace: &Trace) -> String {
    let field = |key: &str, m: &Mat| format!("\"{key}\":{}", matrix_json(m));
    let heads: Vec<String> = trace
        .heads
        .iter()
        .map(|h| {
            let parts: Vec<String> = head_fields(h).iter().map(|(k, m)| field(k, m)).collect();
            format!("{{{}}}", parts.join(","))
        })
        .collect();
    format!(
        "{{{},\"heads\":[{}],{},{}}}",
        field("x", &trace.x),
        heads.join(","),
        field("concat", &trace.concat),
        field("output", &trace.output)
    )
}

/// Spec text in, output JSON text out (one line, full-precision numbers,
/// documented key order).
pub fn run(text: &str) -> Result<String, AttnError> {
    let spec = parse_spec(text)?;
    let trace = attention_trace(&spec.x, &spec.weights, &spec.config)?;
    Ok(trace_json_string(&trace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_value_agree_and_keys_are_ordered() {
        let text = r#"{"x": [[1, 0], [0, 1]], "mask": "causal",
            "heads": [{"w_q": [[1], [0]], "w_k": [[1], [1]], "w_v": [[2], [3]]}]}"#;
        let spec = parse_spec(text).unwrap();
        let t = attention_trace(&spec.x, &spec.weights, &spec.config).unwrap();
        let s = trace_json_string(&t);
        let parsed: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed, trace_json(&t));
        assert!(s.starts_with(r#"{"x":[[1.0,0.0],[0.0,1.0]],"heads":[{"q":"#));
        assert!(s.contains(r#""logits":[[1.0,null],"#));
        assert!(s.find("\"concat\"") < s.rfind("\"output\""));
    }
}
