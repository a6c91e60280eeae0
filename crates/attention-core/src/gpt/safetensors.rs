//! The safetensors file format: read (F32, F16, BF16, F64, all converted to
//! `f32`) and write (F32).
//!
//! A file is an 8-byte little-endian header length `h`, then `h` bytes of
//! JSON (`{"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [start,
//! end]}, ..., "__metadata__": {"key": "value"}}`), then the data; offsets
//! count from the start of the data. Everything malformed is an
//! [`AttnError`] naming the tensor or the header field: a file too short, a
//! header length past the file or over [`MAX_HEADER_BYTES`], a header that is
//! not a JSON object, an unknown dtype, a shape whose size times the dtype
//! size differs from its byte range, offsets out of range or overlapping, a
//! file over the caller's size limit.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::AttnError;

/// The longest header accepted (the reference implementation's limit).
pub const MAX_HEADER_BYTES: usize = 100_000_000;

/// An element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 half precision.
    F16,
    /// bfloat16 (the top 16 bits of an `f32`).
    BF16,
    /// IEEE 754 double precision.
    F64,
}

impl Dtype {
    /// Parses the header's dtype name (`"F32"`, `"F16"`, `"BF16"`, `"F64"`).
    pub fn from_name(name: &str) -> Option<Dtype> {
        match name {
            "F32" => Some(Dtype::F32),
            "F16" => Some(Dtype::F16),
            "BF16" => Some(Dtype::BF16),
            "F64" => Some(Dtype::F64),
            _ => None,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F16 | Dtype::BF16 => 2,
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// One tensor's header entry: where its bytes are and how to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Its name, e.g. `transformer.h.0.attn.c_attn.weight`.
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
    /// Shape, outermost first (row-major storage).
    pub shape: Vec<usize>,
    /// Byte range in the data section, `start..end`.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

/// A tensor converted to `f32`, row-major, `data.len()` = product of `shape`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Shape, outermost first.
    pub shape: Vec<usize>,
    /// Values in row-major order.
    pub data: Vec<f32>,
}

/// A parsed file borrowing its bytes: the header is checked, the tensors are
/// converted one at a time by [`SafeTensors::tensor`] (so a large file is not
/// held twice at once).
#[derive(Debug, Clone)]
pub struct SafeTensors<'a> {
    /// The `__metadata__` entries (string to string).
    pub metadata: BTreeMap<String, String>,
    /// Every tensor's entry, sorted by name.
    pub tensors: Vec<TensorInfo>,
    data: &'a [u8],
}

fn err(field: &str, message: impl Into<String>) -> AttnError {
    AttnError::value(field, message)
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn usize_list(v: &Value, field: &str, what: &str) -> Result<Vec<usize>, AttnError> {
    let list = v
        .as_array()
        .ok_or_else(|| err(field, format!("{what} must be a list of integers")))?;
    list.iter()
        .map(|x| {
            x.as_u64()
                .and_then(|u| usize::try_from(u).ok())
                .ok_or_else(|| {
                    err(
                        field,
                        format!("{what} must hold non-negative integers, got {x}"),
                    )
                })
        })
        .collect()
}

fn tensor_info(name: &str, v: &Value, data_len: usize) -> Result<TensorInfo, AttnError> {
    let field = format!("safetensors[{name}]");
    let obj = v.as_object().ok_or_else(|| {
        err(
            &field,
            "entry must be an object with dtype, shape, data_offsets",
        )
    })?;
    let dtype_name = obj
        .get("dtype")
        .and_then(Value::as_str)
        .ok_or_else(|| err(&field, "missing dtype"))?;
    let dtype = Dtype::from_name(dtype_name).ok_or_else(|| {
        err(
            &field,
            format!("unsupported dtype {dtype_name} (supported: F32, F16, BF16, F64)"),
        )
    })?;
    let shape = usize_list(
        obj.get("shape")
            .ok_or_else(|| err(&field, "missing shape"))?,
        &field,
        "shape",
    )?;
    let offsets = usize_list(
        obj.get("data_offsets")
            .ok_or_else(|| err(&field, "missing data_offsets"))?,
        &field,
        "data_offsets",
    )?;
    let [start, end] = offsets[..] else {
        return Err(err(&field, "data_offsets must be [start, end]"));
    };
    if start > end || end > data_len {
        return Err(err(
            &field,
            format!("data_offsets [{start}, {end}] outside the data section of {data_len} bytes"),
        ));
    }
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| err(&field, format!("shape {shape:?} is too large")))?;
    let bytes = count
        .checked_mul(dtype.size())
        .ok_or_else(|| err(&field, format!("shape {shape:?} is too large")))?;
    if bytes != end - start {
        return Err(AttnError::shape(
            field,
            format!("{bytes} bytes (shape {shape:?} of {dtype_name})"),
            format!("{} bytes in data_offsets [{start}, {end}]", end - start),
        ));
    }
    Ok(TensorInfo {
        name: name.to_string(),
        dtype,
        shape,
        start,
        end,
    })
}

impl<'a> SafeTensors<'a> {
    /// Parses and checks the header of `bytes`; `max_bytes` is the caller's
    /// limit on the whole file (e.g. what the browser can hold).
    pub fn parse(bytes: &'a [u8], max_bytes: usize) -> Result<SafeTensors<'a>, AttnError> {
        if bytes.len() > max_bytes {
            return Err(err(
                "safetensors",
                format!(
                    "file is {}, over the limit of {}",
                    mb(bytes.len()),
                    mb(max_bytes)
                ),
            ));
        }
        let (len_bytes, rest) = bytes.split_first_chunk::<8>().ok_or_else(|| {
            err(
                "safetensors",
                format!(
                    "file is {} bytes, too short for the 8-byte header length",
                    bytes.len()
                ),
            )
        })?;
        let header_len = u64::from_le_bytes(*len_bytes);
        let header_len = usize::try_from(header_len)
            .ok()
            .filter(|&h| h <= MAX_HEADER_BYTES)
            .ok_or_else(|| {
                err(
                    "safetensors.header",
                    format!(
                        "header length {header_len} is over the limit of {MAX_HEADER_BYTES} bytes"
                    ),
                )
            })?;
        if header_len > rest.len() {
            return Err(err(
                "safetensors.header",
                format!(
                    "header length {header_len} runs past the end of the file ({} bytes after the length)",
                    rest.len()
                ),
            ));
        }
        let (header, data) = rest.split_at(header_len);
        let header = std::str::from_utf8(header)
            .map_err(|_| err("safetensors.header", "header is not UTF-8 text"))?;
        let value: Value = serde_json::from_str(header)
            .map_err(|e| err("safetensors.header", format!("header is not JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| err("safetensors.header", "header must be a JSON object"))?;
        let mut metadata = BTreeMap::new();
        let mut tensors = Vec::new();
        for (name, v) in obj {
            if name == "__metadata__" {
                let meta = v
                    .as_object()
                    .ok_or_else(|| err("safetensors.__metadata__", "must be an object"))?;
                for (k, mv) in meta {
                    let s = mv.as_str().ok_or_else(|| {
                        err(
                            &format!("safetensors.__metadata__.{k}"),
                            "metadata values must be strings",
                        )
                    })?;
                    metadata.insert(k.clone(), s.to_string());
                }
            } else {
                tensors.push(tensor_info(name, v, data.len())?);
            }
        }
        let mut by_start: Vec<&TensorInfo> = tensors.iter().filter(|t| t.end > t.start).collect();
        by_start.sort_by_key(|t| (t.start, t.end));
        for pair in by_start.windows(2) {
            if let [a, b] = pair {
                if b.start < a.end {
                    return Err(err(
                        &format!("safetensors[{}]", b.name),
                        format!(
                            "data_offsets [{}, {}] overlap those of {} [{}, {}]",
                            b.start, b.end, a.name, a.start, a.end
                        ),
                    ));
                }
            }
        }
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(SafeTensors {
            metadata,
            tensors,
            data,
        })
    }

    /// The entry named `name`, if any.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.tensors.get(i))
    }

    /// The tensor named `name` converted to `f32`.
    pub fn tensor(&self, name: &str) -> Result<Tensor, AttnError> {
        let info = self
            .info(name)
            .ok_or_else(|| err(name, "tensor missing from the safetensors file"))?;
        let raw = self
            .data
            .get(info.start..info.end)
            .ok_or_else(|| err(name, "data_offsets outside the file"))?;
        // Sized once: `chunks` cannot say its length, and a growing vector
        // of GPT-2's 154 MB embedding would copy itself and leave holes in
        // the page's memory at every doubling.
        let mut data = Vec::with_capacity(raw.len() / info.dtype.size().max(1));
        match info.dtype {
            Dtype::F32 => data.extend(chunks::<4>(raw).map(f32::from_le_bytes)),
            Dtype::F64 => data.extend(chunks::<8>(raw).map(|b| f64::from_le_bytes(b) as f32)),
            Dtype::F16 => data.extend(chunks::<2>(raw).map(|b| f16_to_f32(u16::from_le_bytes(b)))),
            Dtype::BF16 => data.extend(
                chunks::<2>(raw).map(|b| f32::from_bits(u32::from(u16::from_le_bytes(b)) << 16)),
            ),
        }
        Ok(Tensor {
            shape: info.shape.clone(),
            data,
        })
    }
}

/// The bytes as consecutive `N`-byte arrays (a trailing partial chunk, which
/// the header checks rule out, is dropped).
fn chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    raw.chunks_exact(N)
        .filter_map(|c| <[u8; N]>::try_from(c).ok())
}

/// IEEE 754 half precision bits to `f32` (exact: every half is an `f32`).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    }
}

/// Writes F32 tensors as a safetensors file. Each entry is `(name, shape,
/// row-major values)`; `values.len()` must equal the product of `shape`.
/// The header is padded with spaces to a multiple of 8 bytes.
pub fn write_f32(
    tensors: &[(&str, &[usize], &[f32])],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, AttnError> {
    let mut header = Map::new();
    if !metadata.is_empty() {
        let meta: Map<String, Value> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        header.insert("__metadata__".to_string(), Value::Object(meta));
    }
    let mut offset = 0usize;
    for (name, shape, values) in tensors {
        if *name == "__metadata__" {
            return Err(err(name, "is reserved for the metadata"));
        }
        let count: usize = shape.iter().product();
        if count != values.len() {
            return Err(AttnError::shape(
                *name,
                format!("{count} values (shape {shape:?})"),
                format!("{}", values.len()),
            ));
        }
        if header.contains_key(*name) {
            return Err(err(name, "appears twice"));
        }
        let end = offset + 4 * count;
        header.insert(
            (*name).to_string(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut text = Value::Object(header).to_string();
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + offset);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    for (_, _, values) in tensors {
        for v in values.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpt::fixture;
    use proptest::prelude::*;

    const LIMIT: usize = 1 << 30;

    fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn parse_err(bytes: &[u8]) -> String {
        SafeTensors::parse(bytes, LIMIT).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_dtype_of_the_python_fixture() {
        let bytes = fixture("dtypes.safetensors");
        let st = SafeTensors::parse(&bytes, LIMIT).unwrap();
        assert_eq!(
            st.metadata.get("made_by").map(String::as_str),
            Some("make_gpt2_fixtures.py")
        );
        let expected: Value = serde_json::from_slice(&fixture("dtypes.json")).unwrap();
        let names: Vec<&str> = st.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["bf16", "f16", "f32", "f64", "scalar_row"]);
        assert_eq!(st.info("bf16").unwrap().dtype, Dtype::BF16);
        assert_eq!(st.info("f16").unwrap().dtype, Dtype::F16);
        assert_eq!(st.info("f64").unwrap().dtype, Dtype::F64);
        for name in names {
            let t = st.tensor(name).unwrap();
            let want: Vec<f64> = match &expected[name] {
                Value::Array(rows) if rows.iter().all(Value::is_array) => rows
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
                    .collect(),
                Value::Array(vals) => vals.iter().map(|v| v.as_f64().unwrap()).collect(),
                _ => panic!("bad fixture"),
            };
            assert_eq!(t.data.len(), want.len(), "{name}");
            for (got, want) in t.data.iter().zip(&want) {
                // The stored values are exact in f32 (f64 is rounded once).
                assert!(
                    (f64::from(*got) - want).abs() <= want.abs() * 1e-7,
                    "{name}: {got} vs {want}"
                );
            }
        }
        assert_eq!(st.tensor("f32").unwrap().shape, vec![3, 4]);
    }

    #[test]
    fn half_precision_special_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn write_then_read_round_trips() {
        let a: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
        let b = [3.25f32];
        let meta = BTreeMap::from([("format".to_string(), "pt".to_string())]);
        let bytes = write_f32(&[("w", &[2, 3], &a), ("b", &[1], &b)], &meta).unwrap();
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert_eq!(header_len % 8, 0);
        let st = SafeTensors::parse(&bytes, LIMIT).unwrap();
        assert_eq!(st.metadata, meta);
        assert_eq!(
            st.tensor("w").unwrap(),
            Tensor {
                shape: vec![2, 3],
                data: a.clone()
            }
        );
        assert_eq!(st.tensor("b").unwrap().data, b);
        assert!(st.tensor("c").unwrap_err().to_string().contains("missing"));
        let bad = write_f32(&[("w", &[2, 2], &a)], &BTreeMap::new()).unwrap_err();
        assert!(bad.to_string().contains("4 values"), "{bad}");
        let dup = write_f32(&[("w", &[1], &b), ("w", &[1], &b)], &BTreeMap::new()).unwrap_err();
        assert!(dup.to_string().contains("twice"), "{dup}");
    }

    #[test]
    fn rejects_every_malformed_case_with_a_clear_message() {
        let ok = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        assert!(SafeTensors::parse(&with_header(ok, &[0; 8]), LIMIT).is_ok());
        let e = |dtype: &str, shape: &str, offsets: &str| {
            format!(r#""dtype":"{dtype}","shape":[{shape}],"data_offsets":[{offsets}]"#)
        };
        let one = |body: String| format!(r#"{{"a":{{{body}}}}}"#);
        // (header, data bytes, what the message must say)
        let headers: Vec<(String, usize, &str)> = vec![
            ("{not json".into(), 0, "not JSON"),
            ("\u{0}\u{ff}".into(), 0, "not JSON"),
            ("[1, 2]".into(), 0, "must be a JSON object"),
            (one(e("I8", "2", "0,2")), 2, "unsupported dtype I8"),
            (one(e("F32", "3", "0,8")), 8, "expected 12 bytes"),
            (one(e("F32", "2", "0,8")), 4, "outside the data section"),
            (one(e("F32", "2", "4,0")), 8, "outside the data section"),
            (one(e("F32", "-1", "0,8")), 8, "non-negative"),
            (
                one(e("F32", "4294967296,4294967296,4294967296", "0,8")),
                8,
                "too large",
            ),
            (
                format!(
                    r#"{{"a":{{{}}},"b":{{{}}}}}"#,
                    e("F32", "2", "0,8"),
                    e("F32", "1", "4,8")
                ),
                8,
                "overlap",
            ),
            (
                one(r#""dtype":"F32","shape":[2]"#.into()),
                8,
                "missing data_offsets",
            ),
            (
                r#"{"__metadata__":{"k":1}}"#.into(),
                0,
                "metadata values must be strings",
            ),
        ];
        let mut cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![1, 2, 3], "too short"),
            (u64::MAX.to_le_bytes().to_vec(), "over the limit"),
            ((200u64).to_le_bytes().to_vec(), "runs past the end"),
        ];
        for (header, data, needle) in &headers {
            cases.push((with_header(header, &vec![0; *data]), needle));
        }
        for (bytes, needle) in cases {
            let msg = parse_err(&bytes);
            assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
            assert!(!msg.contains('\n'));
        }
        let mut bad_utf8 = (2u64).to_le_bytes().to_vec();
        bad_utf8.extend_from_slice(&[0xff, 0xfe]);
        assert!(parse_err(&bad_utf8).contains("not UTF-8"));
        let big = with_header(ok, &[0; 8]);
        let e = SafeTensors::parse(&big, 10).unwrap_err().to_string();
        assert!(e.contains("over the limit"), "{e}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(st) = SafeTensors::parse(&bytes, LIMIT) {
                for t in &st.tensors {
                    prop_assert!(st.tensor(&t.name).is_ok());
                }
            }
        }

        #[test]
        fn random_headers_never_panic(header in "\\{(\"[a-z]\":\\{\"dtype\":\"(F32|F16|BF16|F64|U8)\",\"shape\":\\[[0-9]{1,3}(,[0-9]{1,2})?\\],\"data_offsets\":\\[[0-9]{1,3},[0-9]{1,3}\\]\\},?){0,3}\\}", data in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(st) = SafeTensors::parse(&with_header(&header, &data), LIMIT) {
                for t in &st.tensors {
                    let v = st.tensor(&t.name).unwrap();
                    prop_assert_eq!(v.data.len(), v.shape.iter().product::<usize>());
                }
            }
        }
    }
}
