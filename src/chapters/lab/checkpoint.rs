//! The files of a checkpoint as the learner drops or picks them, in any
//! order, together or one by one: which file is which (by its name), the
//! size caps, each file checked as it arrives, and the model and
//! tokenizer assembled once the set is complete. Pure (no browser): the
//! section (`open.rs`) reads the files and hands their bytes here.
//!
//! A checkpoint is `config.json` + `model.safetensors` + a tokenizer
//! (`tokenizer.json`, or `vocab.json` + `merges.txt`). The weights file is
//! kept only until a configuration is there to load it with; then the
//! converted model is kept and the file's bytes are dropped, so the tab
//! holds the weights once.

use super::inspect::{Loaded, Vocab};
use attention_core::gpt::bpe::Bpe;
use attention_core::gpt::model::{Gpt2, GptConfig};
use attention_core::gpt::safetensors::SafeTensors;
use attention_core::gpt::train::CharVocab;
use std::sync::Arc;

/// Largest weights file read: 1 GB. Loading holds the file and the
/// converted `f32` weights at once (about twice the file) in the page's
/// WebAssembly memory, which cannot pass 4 GB; GPT-2 small (124M
/// parameters, 498 MB in `f32`) fits, GPT-2 medium (1.4 GB) does not.
pub const MAX_WEIGHTS_BYTES: usize = 1_000_000_000;
/// Most memory loading may take: the file and its weights converted to
/// `f32` (a 16-bit file doubles). 2 GB: half of what WebAssembly can
/// address, leaving room for the page and the attentions.
pub const MAX_LOAD_BYTES: usize = 2_000_000_000;

/// Whether a weights file of `file_bytes` holding `elements` numbers can be
/// loaded within [`MAX_LOAD_BYTES`].
pub fn check_load(name: &str, file_bytes: usize, elements: usize) -> Result<(), String> {
    let need = file_bytes.saturating_add(elements.saturating_mul(4));
    if need > MAX_LOAD_BYTES {
        return Err(format!(
            "“{name}” holds {} numbers: loading it would take {} of this tab's memory (the file and its weights as 32-bit numbers) and the lab stops at {}.",
            crate::widgets::measure::grouped_usize(elements),
            megabytes(need as f64),
            megabytes(MAX_LOAD_BYTES as f64)
        ));
    }
    Ok(())
}

/// Largest text file read (GPT-2's `tokenizer.json` is 1.4 MB).
pub const MAX_TEXT_BYTES: usize = 20_000_000;

/// What a file of the checkpoint is, in the order they are read when
/// several arrive at once (the configuration before the weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Config,
    Tokenizer,
    Vocab,
    Merges,
    /// The character vocabulary of a model the lab's section 1 trained
    /// (its download: a JSON array of one-character strings, id = index).
    Chars,
    Weights,
}

/// How a file's name is taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classified {
    File(Kind),
    /// A file that comes with checkpoints but is not needed here.
    Ignored,
    /// Not something the lab reads, and why.
    Rejected(String),
}

/// Which checkpoint file `name` is (by name: Hugging Face's file names).
pub fn classify(name: &str) -> Classified {
    let lower = name.to_ascii_lowercase();
    let ends = |s: &str| lower.ends_with(s);
    match lower.as_str() {
        "config.json" => Classified::File(Kind::Config),
        "tokenizer.json" => Classified::File(Kind::Tokenizer),
        "vocab.json" => Classified::File(Kind::Vocab),
        "merges.txt" => Classified::File(Kind::Merges),
        "chars.json" => Classified::File(Kind::Chars),
        "generation_config.json" | "tokenizer_config.json" | "special_tokens_map.json"
        | "readme.md" | ".gitattributes" => Classified::Ignored,
        _ if ends(".safetensors") => Classified::File(Kind::Weights),
        _ if ends(".bin") || ends(".pt") || ends(".pth") || ends(".ckpt") => Classified::Rejected(format!(
            "“{name}” is a PyTorch file, which could run code when opened: only model.safetensors is read here."
        )),
        _ if ends(".h5") || ends(".msgpack") || ends(".onnx") || ends(".gguf") => Classified::Rejected(format!(
            "“{name}” is in a format the lab does not read: only model.safetensors is."
        )),
        _ => Classified::Rejected(format!(
            "“{name}” is not a checkpoint file: the lab reads config.json, model.safetensors, and tokenizer.json or vocab.json + merges.txt (or chars.json, from section 1)."
        )),
    }
}

/// A size in MB with one decimal (`498.4 MB`).
pub fn megabytes(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

/// Whether a file of `size` bytes may be read, before reading it.
pub fn check_size(name: &str, kind: Kind, size: f64) -> Result<(), String> {
    let cap = if kind == Kind::Weights {
        MAX_WEIGHTS_BYTES
    } else {
        MAX_TEXT_BYTES
    };
    if size > cap as f64 {
        let why = if kind == Kind::Weights {
            "loading needs about twice the file in this tab's memory, which a browser caps at 4 GB: GPT-2 small fits, larger models do not"
        } else {
            "no checkpoint's text file is that big"
        };
        return Err(format!(
            "“{name}” is {} and the lab reads at most {} for this file: {why}.",
            megabytes(size),
            megabytes(cap as f64)
        ));
    }
    Ok(())
}

fn text(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes)
        .map_err(|_| format!("“{name}” is not text (UTF-8): is it the right file?"))
}

/// The checkpoint's files so far, and what was made of them.
#[derive(Default)]
pub struct Checkpoint {
    config: Option<(String, GptConfig)>,
    /// A weights file waiting for a configuration.
    weights: Option<(String, Vec<u8>)>,
    /// The weights, loaded (the file it came from).
    model: Option<(String, Arc<Gpt2>)>,
    tokenizer: Option<(String, Arc<Vocab>)>,
    vocab_json: Option<(String, String)>,
    merges: Option<(String, String)>,
    /// The model and tokenizer together, once both are there and agree.
    loaded: Option<Result<Arc<Loaded>, String>>,
}

/// One line of the checklist: which file, and the name it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub what: &'static str,
    pub file: Option<String>,
}

impl Checkpoint {
    /// Adds files (name, bytes) dropped or picked together, configuration
    /// first; one message per file, saying what was done with it.
    pub fn add_all(&mut self, mut files: Vec<(String, Vec<u8>)>) -> Vec<Result<String, String>> {
        files.sort_by_key(|(name, _)| match classify(name) {
            Classified::File(k) => Some(k),
            _ => None,
        });
        let messages = files
            .into_iter()
            .map(|(name, bytes)| self.add(&name, bytes))
            .collect();
        self.assemble();
        messages
    }

    /// Adds one file; `Ok` says what it is, `Err` why it was not taken (the
    /// files already there stay).
    fn add(&mut self, name: &str, bytes: Vec<u8>) -> Result<String, String> {
        let kind = match classify(name) {
            Classified::File(k) => k,
            Classified::Ignored => return Ok(format!("“{name}” is not needed here: skipped.")),
            Classified::Rejected(why) => return Err(why),
        };
        check_size(name, kind, bytes.len() as f64)?;
        match kind {
            Kind::Config => {
                let c = GptConfig::from_json(&text(name, bytes)?)
                    .map_err(|e| format!("“{name}” is not a GPT-2 configuration: {e}"))?;
                let summary = format!(
                    "“{name}”: GPT-2, {} layers × {} heads, width {}, {} tokens of context, vocabulary {}.",
                    c.n_layer, c.n_head, c.n_embd, c.n_positions, c.vocab_size
                );
                // Weights loaded with another configuration must be read again.
                if let Some((file, _)) = self.model.take() {
                    if self.weights.is_none() {
                        self.config = Some((name.to_string(), c));
                        return Ok(format!(
                            "{summary} Drop “{file}” again to load it with this configuration."
                        ));
                    }
                }
                self.config = Some((name.to_string(), c));
                Ok(summary)
            }
            Kind::Weights => {
                let st = SafeTensors::parse(&bytes, MAX_WEIGHTS_BYTES).map_err(|e| {
                    format!("“{name}” is not a safetensors file the lab can read: {e}")
                })?;
                let count = st.tensors.len();
                let elements = st
                    .tensors
                    .iter()
                    .map(|t| t.shape.iter().product::<usize>())
                    .fold(0usize, usize::saturating_add);
                drop(st);
                check_load(name, bytes.len(), elements)?;
                self.model = None;
                self.weights = Some((name.to_string(), bytes));
                Ok(format!(
                    "“{name}”: {count} tensors, {}.",
                    megabytes(self.weights.as_ref().map_or(0, |w| w.1.len()) as f64)
                ))
            }
            Kind::Tokenizer => {
                let b = Bpe::from_tokenizer_json(&text(name, bytes)?).map_err(|e| {
                    format!("“{name}” is not a GPT-2 tokenizer the lab can read: {e}")
                })?;
                let n = b.vocab_size();
                self.tokenizer = Some((name.to_string(), Arc::new(Vocab::Bpe(b))));
                Ok(format!("“{name}”: byte-level BPE, {n} tokens."))
            }
            Kind::Chars => {
                let c = CharVocab::from_json(&text(name, bytes)?).map_err(|e| {
                    format!("“{name}” is not a character vocabulary the lab can read: {e}")
                })?;
                let n = c.len();
                self.tokenizer = Some((name.to_string(), Arc::new(Vocab::Chars(c))));
                Ok(format!(
                    "“{name}”: characters, {n} tokens (a model trained in section 1)."
                ))
            }
            Kind::Vocab | Kind::Merges => {
                let t = text(name, bytes)?;
                if kind == Kind::Vocab {
                    self.vocab_json = Some((name.to_string(), t));
                } else {
                    self.merges = Some((name.to_string(), t));
                }
                let (Some((vn, v)), Some((mn, m))) = (&self.vocab_json, &self.merges) else {
                    let other = if kind == Kind::Vocab {
                        "merges.txt"
                    } else {
                        "vocab.json"
                    };
                    return Ok(format!("“{name}” read: {other} goes with it."));
                };
                let b = Bpe::from_vocab_merges(v, m).map_err(|e| {
                    format!("“{vn}” and “{mn}” are not a GPT-2 tokenizer the lab can read: {e}")
                })?;
                let n = b.vocab_size();
                self.tokenizer = Some((format!("{vn} + {mn}"), Arc::new(Vocab::Bpe(b))));
                Ok(format!("“{vn}” + “{mn}”: byte-level BPE, {n} tokens."))
            }
        }
    }

    /// Loads waiting weights once a configuration is there, then pairs the
    /// model with the tokenizer.
    fn assemble(&mut self) {
        let mut load_error = None;
        if let (Some((cname, c)), Some((wname, bytes))) = (&self.config, &self.weights) {
            let model = SafeTensors::parse(bytes, MAX_WEIGHTS_BYTES)
                .and_then(|st| Gpt2::load(c.clone(), &st));
            match model {
                Ok(m) => {
                    self.model = Some((wname.clone(), Arc::new(m)));
                    self.weights = None;
                }
                Err(e) => {
                    load_error = Some(format!(
                        "“{wname}” does not match “{cname}”: {e}. Drop the weights and configuration of the same checkpoint."
                    ));
                    self.weights = None;
                }
            }
        }
        let before = self.loaded.take();
        self.loaded = match (load_error, &self.model, &self.tokenizer) {
            (Some(e), _, _) => Some(Err(e)),
            (None, Some((wname, m)), Some((tname, t))) => {
                // Keep the same model when nothing changed (no rerun).
                match before {
                    Some(Ok(l)) if Arc::ptr_eq(&l.model, m) && Arc::ptr_eq(&l.vocab, t) => {
                        Some(Ok(l))
                    }
                    _ => {
                        let c = &m.config;
                        let name = format!(
                            "{wname} with {tname}: {} layers × {} heads, {} parameters",
                            c.n_layer,
                            c.n_head,
                            crate::widgets::measure::grouped_usize(m.parameter_count())
                        );
                        Some(Loaded::new(Arc::clone(m), Arc::clone(t), name).map(Arc::new))
                    }
                }
            }
            _ => None,
        };
    }

    /// The model and tokenizer, once complete (or why they do not go
    /// together).
    pub fn loaded(&self) -> Option<Result<Arc<Loaded>, String>> {
        self.loaded.clone()
    }

    /// Which files are there and which are missing.
    pub fn checklist(&self) -> Vec<Slot> {
        let weights = self.model.as_ref().map(|(n, _)| n.clone()).or_else(|| {
            self.weights
                .as_ref()
                .map(|(n, _)| format!("{n} (waiting for config.json)"))
        });
        let tokenizer = self.tokenizer.as_ref().map(|(n, _)| n.clone()).or_else(|| {
            self.vocab_json
                .as_ref()
                .or(self.merges.as_ref())
                .map(|(n, _)| format!("{n} (one of the pair)"))
        });
        vec![
            Slot {
                what: "config.json",
                file: self.config.as_ref().map(|(n, _)| n.clone()),
            },
            Slot {
                what: "model.safetensors",
                file: weights,
            },
            Slot {
                what: "tokenizer.json, or vocab.json + merges.txt",
                file: tokenizer,
            },
        ]
    }

    /// The names of the files still missing.
    pub fn missing(&self) -> Vec<&'static str> {
        self.checklist()
            .into_iter()
            .filter(|s| s.file.as_deref().is_none_or(|f| f.ends_with(')')))
            .map(|s| s.what)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/gpt2/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn files(names: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        names
            .iter()
            .map(|(as_name, path)| (as_name.to_string(), fixture(path)))
            .collect()
    }

    #[test]
    fn names_are_classified() {
        assert_eq!(classify("config.json"), Classified::File(Kind::Config));
        assert_eq!(
            classify("Model.SafeTensors"),
            Classified::File(Kind::Weights)
        );
        assert_eq!(classify("merges.txt"), Classified::File(Kind::Merges));
        assert_eq!(classify("generation_config.json"), Classified::Ignored);
        let Classified::Rejected(why) = classify("pytorch_model.bin") else {
            panic!()
        };
        assert!(why.contains("only model.safetensors"), "{why}");
        let Classified::Rejected(why) = classify("cat.png") else {
            panic!()
        };
        assert!(why.contains("not a checkpoint file"), "{why}");
    }

    #[test]
    fn sizes_are_capped_before_reading() {
        assert!(check_size("model.safetensors", Kind::Weights, 548e6).is_ok());
        let e = check_size("model.safetensors", Kind::Weights, 1.5e9).unwrap_err();
        assert!(
            e.contains("1500.0 MB") && e.contains("at most 1000.0 MB"),
            "{e}"
        );
        assert!(check_size("config.json", Kind::Config, 30e6).is_err());
        // GPT-2 small in f32 loads; GPT-2 medium in f16 (355M numbers) does not.
        assert!(check_load("model.safetensors", 497_774_208, 124_439_808).is_ok());
        let e = check_load("model.safetensors", 710_000_000, 355_000_000).unwrap_err();
        assert!(
            e.contains("355,000,000 numbers") && e.contains("2130.0 MB"),
            "{e}"
        );
    }

    #[test]
    fn files_one_by_one_in_any_order_then_a_model() {
        let mut c = Checkpoint::default();
        assert_eq!(c.missing().len(), 3);
        let m = c.add_all(files(&[("model.safetensors", "trained/model.safetensors")]));
        assert!(m[0].as_ref().is_ok_and(|s| s.contains("tensors")), "{m:?}");
        assert!(c.loaded().is_none());
        assert_eq!(
            c.missing(),
            vec![
                "config.json",
                "model.safetensors",
                "tokenizer.json, or vocab.json + merges.txt"
            ]
        );
        c.add_all(files(&[("vocab.json", "vocab.json")]));
        c.add_all(files(&[("config.json", "trained/config.json")]));
        assert_eq!(
            c.missing(),
            vec!["tokenizer.json, or vocab.json + merges.txt"]
        );
        c.add_all(files(&[("merges.txt", "merges.txt")]));
        assert!(c.missing().is_empty());
        let l = c.loaded().unwrap().unwrap();
        assert_eq!(l.model.config.n_layer, 2);
        assert!(l.name.contains("2 layers × 4 heads"), "{}", l.name);
    }

    #[test]
    fn files_together_load_in_one_go() {
        let mut c = Checkpoint::default();
        let m = c.add_all(files(&[
            ("model.safetensors", "trained/model.safetensors"),
            ("tokenizer.json", "tokenizer.json"),
            ("generation_config.json", "trained/generation_config.json"),
            ("config.json", "trained/config.json"),
        ]));
        assert_eq!(m.len(), 4);
        assert!(m.iter().all(Result::is_ok), "{m:?}");
        assert!(c.loaded().is_some_and(|l| l.is_ok()));
        // Another file that changes nothing keeps the same model.
        let first = c.loaded().unwrap().unwrap();
        c.add_all(files(&[(
            "generation_config.json",
            "trained/generation_config.json",
        )]));
        assert!(Arc::ptr_eq(&first, &c.loaded().unwrap().unwrap()));
    }

    #[test]
    fn bad_files_say_why_and_keep_the_rest() {
        let mut c = Checkpoint::default();
        c.add_all(files(&[
            ("config.json", "trained/config.json"),
            ("tokenizer.json", "tokenizer.json"),
        ]));
        let m = c.add_all(vec![(
            "model.safetensors".into(),
            b"not a safetensors file".to_vec(),
        )]);
        let e = m[0].as_ref().unwrap_err();
        assert!(e.contains("not a safetensors file the lab can read"), "{e}");
        assert_eq!(c.missing(), vec!["model.safetensors"]);
        // A BERT configuration is refused, the GPT-2 one stays.
        let bert = br#"{"model_type": "bert", "architectures": ["BertModel"]}"#.to_vec();
        let m = c.add_all(vec![("config.json".into(), bert)]);
        let e = m[0].as_ref().unwrap_err();
        assert!(
            e.contains("not a GPT-2 configuration") && e.contains("bert"),
            "{e}"
        );
        assert_eq!(c.missing(), vec!["model.safetensors"]);
        let m = c.add_all(vec![("tokenizer.json".into(), vec![0xff, 0xfe])]);
        assert!(m[0].as_ref().unwrap_err().contains("not text"));
        let m = c.add_all(vec![("tokenizer.json".into(), b"{}".to_vec())]);
        assert!(
            m[0].as_ref().unwrap_err().contains("not a GPT-2 tokenizer"),
            "{m:?}"
        );
    }

    #[test]
    fn a_model_trained_in_section_1_opens_with_its_character_vocabulary() {
        use attention_core::gpt::train::{TinyConfig, Trainer};
        let config = TinyConfig {
            n_layer: 1,
            n_head: 2,
            d_model: 8,
            context: 8,
        };
        let mut t = Trainer::new("abcabcabd abc", config, 3).unwrap();
        t.step().unwrap();
        let gpt = t.model.to_gpt2();
        let mut c = Checkpoint::default();
        let m = c.add_all(vec![
            ("chars.json".into(), t.vocab.to_json().into_bytes()),
            ("config.json".into(), gpt.config.to_json().into_bytes()),
            ("model.safetensors".into(), gpt.to_safetensors().unwrap()),
        ]);
        assert!(m.iter().all(Result::is_ok), "{m:?}");
        let loaded = c.loaded().unwrap().unwrap();
        assert_eq!(loaded.vocab.size(), t.vocab.len());
        assert!(c.missing().is_empty());
        let m = c.add_all(vec![("chars.json".into(), b"[\"ab\"]".to_vec())]);
        assert!(
            m[0].as_ref()
                .unwrap_err()
                .contains("not a character vocabulary"),
            "{m:?}"
        );
    }

    #[test]
    fn weights_of_another_shape_are_refused_with_the_tensor_named() {
        let mut c = Checkpoint::default();
        let mut config = String::from_utf8(fixture("trained/config.json")).unwrap();
        config = config.replace("\"n_embd\": 32", "\"n_embd\": 64");
        c.add_all(vec![
            ("config.json".into(), config.into_bytes()),
            ("tokenizer.json".into(), fixture("tokenizer.json")),
            (
                "model.safetensors".into(),
                fixture("trained/model.safetensors"),
            ),
        ]);
        let e = c.loaded().unwrap().unwrap_err();
        assert!(
            e.contains("does not match") && e.contains("expected"),
            "{e}"
        );
        assert_eq!(c.missing(), vec!["model.safetensors"]);
    }

    #[test]
    fn a_missing_tensor_is_named() {
        // The random fixture's file, cut to its first tensors, rewritten.
        let full = fixture("trained/model.safetensors");
        let st = SafeTensors::parse(&full, MAX_WEIGHTS_BYTES).unwrap();
        let kept: Vec<(String, Vec<usize>, Vec<f32>)> = st
            .tensors
            .iter()
            .filter(|t| !t.name.contains("ln_f"))
            .map(|t| {
                (
                    t.name.clone(),
                    t.shape.clone(),
                    st.tensor(&t.name).unwrap().data,
                )
            })
            .collect();
        let refs: Vec<(&str, &[usize], &[f32])> = kept
            .iter()
            .map(|(n, s, d)| (n.as_str(), s.as_slice(), d.as_slice()))
            .collect();
        let cut = attention_core::gpt::safetensors::write_f32(&refs, &Default::default()).unwrap();
        let mut c = Checkpoint::default();
        c.add_all(vec![
            ("config.json".into(), fixture("trained/config.json")),
            ("tokenizer.json".into(), fixture("tokenizer.json")),
            ("model.safetensors".into(), cut),
        ]);
        let e = c.loaded().unwrap().unwrap_err();
        assert!(e.contains("ln_f") && e.contains("missing"), "{e}");
    }

    #[test]
    fn a_tokenizer_bigger_than_the_model_is_refused() {
        let bpe = Bpe::from_tokenizer_json(&String::from_utf8(fixture("tokenizer.json")).unwrap())
            .unwrap();
        let model = Gpt2::from_files(
            &String::from_utf8(fixture("trained/config.json")).unwrap(),
            &fixture("trained/model.safetensors"),
            MAX_WEIGHTS_BYTES,
        )
        .unwrap();
        let mut small = model.clone();
        small.config.vocab_size = 10;
        let e = Loaded::new(Arc::new(small), Arc::new(Vocab::Bpe(bpe)), "x".into()).unwrap_err();
        assert!(e.contains("320 tokens but the model only 10"), "{e}");
    }
}
