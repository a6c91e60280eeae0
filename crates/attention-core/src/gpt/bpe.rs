//! GPT-2's byte-level BPE tokenizer: loaded from a Hugging Face
//! `tokenizer.json` or from `vocab.json` + `merges.txt`.
//!
//! Encoding: special (added) tokens are cut out of the text first; the rest
//! is split by GPT-2's pre-tokenization pattern
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
//! ([`pre_tokenize`], written out by hand, lookahead included); each piece's
//! UTF-8 bytes become printable characters ([`byte_to_char`], GPT-2's
//! `bytes_to_unicode`), and the merges are applied lowest rank first.
//! Decoding maps the characters back to bytes.
//!
//! Gap: `\p{L}` is approximated by `char::is_alphabetic() &&
//! !char::is_numeric()` (Unicode `Alphabetic` without numbers) and `\p{N}` by
//! `char::is_numeric()`; they differ on the `Other_Alphabetic` marks (e.g.
//! Devanagari vowel signs, Arabic harakat, circled letters), which the real
//! pattern counts as neither letter nor number. Every fixture text (Latin
//! with accents, Greek, Cyrillic, Arabic letters, CJK, Hangul, emoji,
//! `½ Ⅷ ٣ ²`) tokenizes exactly as the reference does.

use std::collections::HashMap;

use serde_json::Value;

use crate::AttnError;

/// The largest token id accepted (a malformed file cannot make us allocate
/// more than this many slots).
pub const MAX_TOKEN_ID: usize = 10_000_000;

/// GPT-2's `bytes_to_unicode`: the printable bytes `!..=~`, `¡..=¬`,
/// `®..=ÿ` stand for themselves, the other 68 bytes for `U+0100 ..` in
/// byte order.
pub fn byte_to_char(b: u8) -> char {
    let printable = |b: u8| matches!(b, 33..=126 | 161..=172 | 174..=255);
    if printable(b) {
        char::from(b)
    } else {
        let rank = (0..b).filter(|&x| !printable(x)).count() as u32;
        char::from_u32(256 + rank).unwrap_or('\u{fffd}')
    }
}

fn char_to_byte_table() -> HashMap<char, u8> {
    (0..=255u8).map(|b| (byte_to_char(b), b)).collect()
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

fn is_number(c: char) -> bool {
    c.is_numeric()
}

fn is_other(c: char) -> bool {
    !c.is_whitespace() && !is_letter(c) && !is_number(c)
}

/// Splits `text` by GPT-2's pre-tokenization pattern (see the module docs).
/// The pieces concatenate back to `text`.
pub fn pre_tokenize(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let run = |mut i: usize, f: fn(char) -> bool| {
        while at(i).is_some_and(f) {
            i += 1;
        }
        i
    };
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = at(i).unwrap_or(' ');
        let end = contraction(at(i), at(i + 1), at(i + 2))
            .map(|len| i + len)
            .or_else(|| {
                // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`, in order.
                let classes: [fn(char) -> bool; 3] = [is_letter, is_number, is_other];
                classes.iter().find_map(|&class| {
                    let start = if c == ' ' && at(i + 1).is_some_and(class) {
                        i + 1
                    } else {
                        i
                    };
                    at(start).filter(|&ch| class(ch)).map(|_| run(start, class))
                })
            })
            .unwrap_or_else(|| {
                // `\s+(?!\S)` then `\s+`: a whitespace run followed by a
                // non-space gives its last character to the next piece,
                // unless the run is one character long.
                let j = run(i, char::is_whitespace);
                if j < chars.len() && j > i + 1 {
                    j - 1
                } else {
                    j.max(i + 1)
                }
            });
        if let Some(piece) = text.get(offset(i)..offset(end)) {
            pieces.push(piece);
        }
        i = end;
    }
    pieces
}

/// Length of the contraction (`'s 't 're 've 'm 'll 'd`) starting here.
fn contraction(a: Option<char>, b: Option<char>, c: Option<char>) -> Option<usize> {
    if a != Some('\'') {
        return None;
    }
    match (b, c) {
        (Some('s' | 't' | 'm' | 'd'), _) => Some(2),
        (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l')) => Some(3),
        _ => None,
    }
}

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct Bpe {
    vocab: HashMap<String, usize>,
    /// `tokens[id]`: the token's string (byte-mapped characters).
    tokens: Vec<Option<String>>,
    ranks: HashMap<(String, String), usize>,
    /// Added (special) tokens cut out of the text before BPE, longest first.
    added: Vec<(String, usize)>,
    add_prefix_space: bool,
    ignore_merges: bool,
    char_to_byte: HashMap<char, u8>,
}

fn tok_err(field: &str, message: impl Into<String>) -> AttnError {
    AttnError::value(field, message)
}

fn parse_vocab(v: &Value, field: &str) -> Result<HashMap<String, usize>, AttnError> {
    let obj = v
        .as_object()
        .ok_or_else(|| tok_err(field, "must be an object of token to id"))?;
    obj.iter()
        .map(|(k, id)| {
            id.as_u64()
                .and_then(|u| usize::try_from(u).ok())
                .filter(|&u| u <= MAX_TOKEN_ID)
                .map(|u| (k.clone(), u))
                .ok_or_else(|| {
                    tok_err(
                        &format!("{field}[{k}]"),
                        format!("id must be an integer up to {MAX_TOKEN_ID}, got {id}"),
                    )
                })
        })
        .collect()
}

fn split_merge(line: &str, field: &str) -> Result<(String, String), AttnError> {
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty() => {
            Ok((a.to_string(), b.to_string()))
        }
        _ => Err(tok_err(
            field,
            format!("merge {line:?} is not two tokens separated by one space"),
        )),
    }
}

impl Bpe {
    fn new(
        vocab: HashMap<String, usize>,
        merges: Vec<(String, String)>,
        added: Vec<(String, usize)>,
        add_prefix_space: bool,
        ignore_merges: bool,
    ) -> Result<Bpe, AttnError> {
        if vocab.is_empty() {
            return Err(tok_err("vocab", "is empty"));
        }
        let size = vocab
            .values()
            .chain(added.iter().map(|(_, id)| id))
            .max()
            .map_or(0, |m| m + 1);
        let mut tokens = vec![None; size];
        for (t, &id) in &vocab {
            if let Some(slot) = tokens.get_mut(id) {
                *slot = Some(t.clone());
            }
        }
        for (t, id) in &added {
            if let Some(slot) = tokens.get_mut(*id) {
                *slot = Some(t.clone());
            }
        }
        let mut ranks = HashMap::with_capacity(merges.len());
        for (rank, (a, b)) in merges.into_iter().enumerate() {
            let joined = format!("{a}{b}");
            if !vocab.contains_key(&joined) {
                return Err(tok_err(
                    &format!("merges[{rank}]"),
                    format!("merge {a:?} + {b:?} makes {joined:?}, which is not in the vocabulary"),
                ));
            }
            ranks.entry((a, b)).or_insert(rank);
        }
        let mut added = added;
        added.retain(|(t, _)| !t.is_empty());
        added.sort_by_key(|a| std::cmp::Reverse(a.0.len()));
        Ok(Bpe {
            vocab,
            tokens,
            ranks,
            added,
            add_prefix_space,
            ignore_merges,
            char_to_byte: char_to_byte_table(),
        })
    }

    /// Loads a Hugging Face `tokenizer.json` whose model is BPE (merges as
    /// `"a b"` strings or `["a", "b"]` pairs) with a ByteLevel
    /// pre-tokenizer.
    pub fn from_tokenizer_json(text: &str) -> Result<Bpe, AttnError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| tok_err("tokenizer.json", format!("not JSON: {e}")))?;
        let model = v
            .get("model")
            .ok_or_else(|| tok_err("tokenizer.json", "has no model"))?;
        match model.get("type").and_then(Value::as_str) {
            Some("BPE") | None => {}
            Some(other) => {
                return Err(tok_err(
                    "tokenizer.model.type",
                    format!("{other} is not supported (only byte-level BPE, as in GPT-2)"),
                ))
            }
        }
        let pre = v.get("pre_tokenizer");
        let pre_type = pre.and_then(|p| p.get("type")).and_then(Value::as_str);
        if pre_type != Some("ByteLevel") {
            return Err(tok_err(
                "tokenizer.pre_tokenizer",
                format!(
                    "{} is not supported (only GPT-2's ByteLevel)",
                    pre_type.unwrap_or("none")
                ),
            ));
        }
        if pre
            .and_then(|p| p.get("use_regex"))
            .and_then(Value::as_bool)
            == Some(false)
        {
            return Err(tok_err(
                "tokenizer.pre_tokenizer.use_regex",
                "false is not supported",
            ));
        }
        let add_prefix_space = pre
            .and_then(|p| p.get("add_prefix_space"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let vocab = parse_vocab(
            model
                .get("vocab")
                .ok_or_else(|| tok_err("tokenizer.model.vocab", "missing"))?,
            "tokenizer.model.vocab",
        )?;
        let merges_v = model
            .get("merges")
            .and_then(Value::as_array)
            .ok_or_else(|| tok_err("tokenizer.model.merges", "missing or not a list"))?;
        let mut merges = Vec::with_capacity(merges_v.len());
        for (i, m) in merges_v.iter().enumerate() {
            let field = format!("tokenizer.model.merges[{i}]");
            let pair = match m {
                Value::String(s) => split_merge(s, &field)?,
                Value::Array(p) => match p.as_slice() {
                    [Value::String(a), Value::String(b)] => (a.clone(), b.clone()),
                    _ => return Err(tok_err(&field, "must be a pair of strings")),
                },
                _ => return Err(tok_err(&field, "must be \"a b\" or [a, b]")),
            };
            merges.push(pair);
        }
        let mut added = Vec::new();
        if let Some(list) = v.get("added_tokens").and_then(Value::as_array) {
            for (i, t) in list.iter().enumerate() {
                let content = t.get("content").and_then(Value::as_str);
                let id = t
                    .get("id")
                    .and_then(Value::as_u64)
                    .and_then(|u| usize::try_from(u).ok());
                match (content, id) {
                    (Some(c), Some(id)) if id <= MAX_TOKEN_ID => added.push((c.to_string(), id)),
                    _ => {
                        return Err(tok_err(
                            &format!("tokenizer.added_tokens[{i}]"),
                            "needs content and a valid id",
                        ))
                    }
                }
            }
        }
        let ignore_merges = model
            .get("ignore_merges")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Bpe::new(vocab, merges, added, add_prefix_space, ignore_merges)
    }

    /// Loads GPT-2's original pair of files: `vocab.json` (token to id) and
    /// `merges.txt` (one `a b` per line, an optional `#version` first line).
    /// `<|endoftext|>`, if in the vocabulary, is treated as a special token.
    pub fn from_vocab_merges(vocab_json: &str, merges_txt: &str) -> Result<Bpe, AttnError> {
        let v: Value = serde_json::from_str(vocab_json)
            .map_err(|e| tok_err("vocab.json", format!("not JSON: {e}")))?;
        let vocab = parse_vocab(&v, "vocab.json")?;
        let mut merges = Vec::new();
        for (i, line) in merges_txt.lines().enumerate() {
            if (i == 0 && line.starts_with("#version")) || line.is_empty() {
                continue;
            }
            merges.push(split_merge(line, &format!("merges.txt line {}", i + 1))?);
        }
        let added = vocab
            .get("<|endoftext|>")
            .map(|&id| vec![("<|endoftext|>".to_string(), id)])
            .unwrap_or_default();
        Bpe::new(vocab, merges, added, false, false)
    }

    /// One past the largest token id.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// Token ids of `text`.
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, AttnError> {
        let mut ids = Vec::new();
        // A piece that repeats (" the") is merged once.
        let mut cache: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut prefixed = Vec::new();
        let segments = self.split_added(text);
        if self.add_prefix_space {
            for (segment, special) in &segments {
                if special.is_none() && !segment.starts_with(' ') {
                    prefixed.push(format!(" {segment}"));
                }
            }
        }
        let mut prefixed = prefixed.iter();
        for (segment, special) in segments {
            if let Some(id) = special {
                ids.push(id);
                continue;
            }
            let segment = if self.add_prefix_space && !segment.starts_with(' ') {
                prefixed.next().map_or(segment, String::as_str)
            } else {
                segment
            };
            for piece in pre_tokenize(segment) {
                if let Some(hit) = cache.get(piece) {
                    ids.extend_from_slice(hit);
                } else {
                    let word = self.bpe_word(piece)?;
                    ids.extend_from_slice(&word);
                    cache.insert(piece, word);
                }
            }
        }
        Ok(ids)
    }

    /// Splits `text` around the added tokens: `(segment, Some(id))` for a
    /// special token, `(segment, None)` for text to tokenize.
    fn split_added<'t>(&self, text: &'t str) -> Vec<(&'t str, Option<usize>)> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let next = self
                .added
                .iter()
                .filter_map(|(t, id)| rest.find(t.as_str()).map(|at| (at, t.len(), *id)))
                .min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len)));
            match next {
                Some((at, len, id)) => {
                    if at > 0 {
                        out.push((rest.get(..at).unwrap_or(""), None));
                    }
                    out.push((rest.get(at..at + len).unwrap_or(""), Some(id)));
                    rest = rest.get(at + len..).unwrap_or("");
                }
                None => {
                    out.push((rest, None));
                    rest = "";
                }
            }
        }
        out
    }

    /// BPE of one pre-tokenized piece.
    fn bpe_word(&self, piece: &str) -> Result<Vec<usize>, AttnError> {
        let mapped: String = piece.bytes().map(byte_to_char).collect();
        if self.ignore_merges {
            if let Some(&id) = self.vocab.get(&mapped) {
                return Ok(vec![id]);
            }
        }
        let mut symbols: Vec<String> = mapped.chars().map(String::from).collect();
        loop {
            let best = symbols
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| match w {
                    [a, b] => self.ranks.get(&(a.clone(), b.clone())).map(|&r| (r, i)),
                    _ => None,
                })
                .min();
            let Some((rank, _)) = best else { break };
            let mut merged = Vec::with_capacity(symbols.len());
            let mut i = 0;
            while i < symbols.len() {
                let pair = symbols.get(i).zip(symbols.get(i + 1));
                match pair {
                    Some((a, b)) if self.ranks.get(&(a.clone(), b.clone())) == Some(&rank) => {
                        merged.push(format!("{a}{b}"));
                        i += 2;
                    }
                    _ => {
                        merged.extend(symbols.get(i).cloned());
                        i += 1;
                    }
                }
            }
            symbols = merged;
        }
        symbols
            .iter()
            .map(|s| {
                self.vocab.get(s).copied().ok_or_else(|| {
                    tok_err(
                        "text",
                        format!("{piece:?}: symbol {s:?} is not in the vocabulary (not a byte-level BPE?)"),
                    )
                })
            })
            .collect()
    }

    /// The token's string as stored (byte-mapped characters, e.g. `Ġthe`).
    pub fn token(&self, id: usize) -> Option<&str> {
        self.tokens.get(id).and_then(|t| t.as_deref())
    }

    /// The raw bytes of one token (an added token's content as UTF-8).
    pub fn token_bytes(&self, id: usize) -> Result<Vec<u8>, AttnError> {
        let t = self
            .token(id)
            .ok_or_else(|| tok_err("ids", format!("token {id} is not in the vocabulary")))?;
        if self.added.iter().any(|(_, a)| *a == id) {
            return Ok(t.as_bytes().to_vec());
        }
        t.chars()
            .map(|c| {
                self.char_to_byte.get(&c).copied().ok_or_else(|| {
                    tok_err(
                        "ids",
                        format!("token {id} ({t:?}) has a character outside the byte map"),
                    )
                })
            })
            .collect()
    }

    /// The text of `ids` (invalid UTF-8, e.g. half an emoji, becomes
    /// U+FFFD).
    pub fn decode(&self, ids: &[usize]) -> Result<String, AttnError> {
        let mut bytes = Vec::new();
        for &id in ids {
            bytes.extend(self.token_bytes(id)?);
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpt::fixture;

    fn text(name: &str) -> String {
        String::from_utf8(fixture(name)).unwrap()
    }

    fn reference() -> Vec<(String, Vec<usize>, String)> {
        let v: Value = serde_json::from_str(&text("tokens.json")).unwrap();
        v["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let ids = t["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as usize)
                    .collect();
                (
                    t["text"].as_str().unwrap().to_string(),
                    ids,
                    t["decoded"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn byte_map_is_gpt2s() {
        assert_eq!(byte_to_char(b'!'), '!');
        assert_eq!(byte_to_char(b' '), '\u{120}'); // Ġ
        assert_eq!(byte_to_char(b'\n'), '\u{10a}'); // Ċ
        assert_eq!(byte_to_char(0), '\u{100}');
        assert_eq!(byte_to_char(173), '\u{143}');
        let all: std::collections::HashSet<char> = (0..=255u8).map(byte_to_char).collect();
        assert_eq!(all.len(), 256);
    }

    #[test]
    fn pre_tokenize_follows_the_pattern() {
        assert_eq!(pre_tokenize("a  b"), ["a", " ", " b"]);
        assert_eq!(pre_tokenize("a   \n\nb "), ["a", "   \n", "\n", "b", " "]);
        assert_eq!(
            pre_tokenize("don't I'LL 's"),
            ["don", "'t", " I", "'", "LL", " '", "s"]
        );
        assert_eq!(pre_tokenize(" 42x ..."), [" 42", "x", " ..."]);
        assert_eq!(pre_tokenize(""), Vec::<&str>::new());
        for (t, _, _) in reference() {
            assert_eq!(pre_tokenize(&t).concat(), t);
        }
    }

    #[test]
    fn ids_equal_the_reference_for_every_fixture_text_both_file_formats() {
        let from_json = Bpe::from_tokenizer_json(&text("tokenizer.json")).unwrap();
        let from_pair = Bpe::from_vocab_merges(&text("vocab.json"), &text("merges.txt")).unwrap();
        let cases = reference();
        assert!(cases.len() >= 15);
        for bpe in [&from_json, &from_pair] {
            assert_eq!(bpe.vocab_size(), 320);
            for (t, ids, decoded) in &cases {
                assert_eq!(&bpe.encode(t).unwrap(), ids, "{t:?}");
                assert_eq!(&bpe.decode(ids).unwrap(), decoded, "{t:?}");
            }
        }
        // The model fixtures' ids too.
        for name in ["random.json", "trained.json"] {
            let v: Value = serde_json::from_str(&text(name)).unwrap();
            for t in v["texts"].as_array().unwrap() {
                let ids: Vec<usize> = t["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as usize)
                    .collect();
                assert_eq!(from_json.encode(t["text"].as_str().unwrap()).unwrap(), ids);
            }
        }
        assert_eq!(from_json.token(0), Some("<|endoftext|>"));
        let eot = from_json.encode("a<|endoftext|>b").unwrap();
        assert_eq!(eot.get(1), Some(&0));
        assert_eq!(from_json.decode(&eot).unwrap(), "a<|endoftext|>b");
    }

    #[test]
    fn merges_as_strings_load_the_same_and_bad_files_are_rejected() {
        let mut v: Value = serde_json::from_str(&text("tokenizer.json")).unwrap();
        let merges: Vec<Value> = v["model"]["merges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                Value::String(format!(
                    "{} {}",
                    p[0].as_str().unwrap(),
                    p[1].as_str().unwrap()
                ))
            })
            .collect();
        v["model"]["merges"] = Value::Array(merges);
        let strings = Bpe::from_tokenizer_json(&v.to_string()).unwrap();
        let pairs = Bpe::from_tokenizer_json(&text("tokenizer.json")).unwrap();
        let sample = "Alice's rabbit-hole, 2 caf\u{e9}s";
        assert_eq!(
            strings.encode(sample).unwrap(),
            pairs.encode(sample).unwrap()
        );

        let mut bad = v.clone();
        bad["model"]["type"] = Value::String("WordPiece".into());
        assert!(Bpe::from_tokenizer_json(&bad.to_string())
            .unwrap_err()
            .to_string()
            .contains("WordPiece"));
        let mut bad = v.clone();
        bad["pre_tokenizer"] = serde_json::json!({"type": "Metaspace"});
        assert!(Bpe::from_tokenizer_json(&bad.to_string())
            .unwrap_err()
            .to_string()
            .contains("Metaspace"));
        let mut bad = v.clone();
        bad["model"]["merges"] = serde_json::json!(["zq xw"]);
        assert!(Bpe::from_tokenizer_json(&bad.to_string())
            .unwrap_err()
            .to_string()
            .contains("not in the vocabulary"));
        assert!(Bpe::from_tokenizer_json("[]").is_err());
        assert!(Bpe::from_vocab_merges("{}", "").is_err());
        assert!(
            Bpe::from_vocab_merges(&text("vocab.json"), "#version: 0.2\nabc\n")
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
        // A vocabulary without every byte cannot encode everything.
        let tiny = Bpe::from_vocab_merges(r#"{"a": 0}"#, "").unwrap();
        assert_eq!(tiny.encode("aa").unwrap(), [0, 0]);
        assert!(tiny
            .encode("b")
            .unwrap_err()
            .to_string()
            .contains("not in the vocabulary"));
        assert!(tiny.decode(&[7]).is_err());
    }
}
