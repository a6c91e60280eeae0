//! Reading and writing chapter state in the URL query, defensively.
//!
//! Every chapter keeps its state (tokens, sliders, toggles) in the query
//! string so a view can be shared as a link and survives reload. The helpers
//! here parse one parameter at a time: a missing value gives the default
//! silently; a garbage or out-of-range value gives the nearest valid value
//! *and* a note the chapter shows ("d_k = 9999 is above the maximum 64; using
//! 64"). Encoding is RFC 3986 percent-encoding, so any Unicode round-trips.

use std::collections::BTreeMap;

/// The raw query parameters (first value wins for repeated keys).
pub type Query = BTreeMap<String, String>;

/// Collects notes while parameters are parsed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notes(pub Vec<String>);

/// Shown value of a parameter in a note: quoted, shortened, never HTML.
fn show(raw: &str) -> String {
    let short: String = raw.chars().take(24).collect();
    if raw.chars().count() > 24 {
        format!("“{short}…”")
    } else {
        format!("“{short}”")
    }
}

impl Notes {
    /// A sentence: the text in the link (shortened, with a note, past
    /// [`crate::text::MAX_TEXT_CHARS`]), or `default` when absent.
    pub fn text(&mut self, q: &Query, key: &str, default: &str) -> String {
        match q.get(key) {
            Some(t) => {
                let (t, cut) = crate::text::cap_text(t);
                if cut {
                    self.0.push(
                        "The sentence in the link was too long and has been shortened.".into(),
                    );
                }
                t
            }
            None => default.to_string(),
        }
    }

    /// An integer in `min..=max`.
    pub fn int(
        &mut self,
        q: &Query,
        key: &str,
        label: &str,
        min: i64,
        max: i64,
        default: i64,
    ) -> i64 {
        let Some(raw) = q.get(key) else {
            return default;
        };
        match raw.trim().parse::<i64>() {
            Ok(v) if v < min => {
                self.0.push(format!(
                    "{label} = {v} is below the minimum {min}; using {min}."
                ));
                min
            }
            Ok(v) if v > max => {
                self.0.push(format!(
                    "{label} = {v} is above the maximum {max}; using {max}."
                ));
                max
            }
            Ok(v) => v,
            Err(_) => {
                // Maybe a float or a huge number.
                match raw.trim().parse::<f64>() {
                    Ok(f) if f.is_finite() => {
                        let v = f.round().clamp(min as f64, max as f64) as i64;
                        self.0.push(format!(
                            "{label} = {} is not a whole number in {min}–{max}; using {v}.",
                            show(raw)
                        ));
                        v
                    }
                    _ => {
                        self.0.push(format!(
                            "{label} = {} is not a number; using {default}.",
                            show(raw)
                        ));
                        default
                    }
                }
            }
        }
    }

    /// A finite float in `min..=max`.
    pub fn float(
        &mut self,
        q: &Query,
        key: &str,
        label: &str,
        min: f64,
        max: f64,
        default: f64,
    ) -> f64 {
        let Some(raw) = q.get(key) else {
            return default;
        };
        match raw.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v < min => {
                self.0.push(format!(
                    "{label} = {v} is below the minimum {min}; using {min}."
                ));
                min
            }
            Ok(v) if v.is_finite() && v > max => {
                self.0.push(format!(
                    "{label} = {v} is above the maximum {max}; using {max}."
                ));
                max
            }
            Ok(v) if v.is_finite() => v,
            _ => {
                self.0.push(format!(
                    "{label} = {} is not a usable number; using {default}.",
                    show(raw)
                ));
                default
            }
        }
    }

    /// A boolean written as 1/0 (also true/false, on/off, yes/no).
    pub fn flag(&mut self, q: &Query, key: &str, label: &str, default: bool) -> bool {
        let Some(raw) = q.get(key) else {
            return default;
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" => true,
            "0" | "false" | "off" | "no" => false,
            _ => {
                self.0.push(format!(
                    "{label} = {} should be 1 or 0; using {}.",
                    show(raw),
                    if default { 1 } else { 0 }
                ));
                default
            }
        }
    }

    /// One of a fixed set of words.
    pub fn choice<'a>(
        &mut self,
        q: &Query,
        key: &str,
        label: &str,
        options: &[&'a str],
        default: &'a str,
    ) -> &'a str {
        let Some(raw) = q.get(key) else {
            return default;
        };
        let lower = raw.trim().to_ascii_lowercase();
        if let Some(found) = options.iter().find(|o| **o == lower) {
            return found;
        }
        self.0.push(format!(
            "{label} = {} is not one of {}; using {default}.",
            show(raw),
            options.join(", ")
        ));
        default
    }
}

/// Percent-encodes a value (unreserved characters stay as they are).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes percent-encoding and `+` as space; invalid UTF-8 is replaced, never a panic.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `a=1&b=two` (with or without a leading `?`).
pub fn parse(search: &str) -> Query {
    let mut q = Query::new();
    for pair in search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        q.entry(decode(k)).or_insert_with(|| decode(v));
    }
    q
}

/// Builds `a=1&b=two` from pairs, in the given order.
pub fn build(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        parse(s)
    }

    #[test]
    fn missing_values_default_silently() {
        let mut n = Notes::default();
        assert_eq!(n.int(&q(""), "dk", "d_k", 1, 64, 4), 4);
        assert_eq!(n.float(&q(""), "t", "T", 0.1, 10.0, 1.0), 1.0);
        assert!(n.flag(&q(""), "s", "scale", true));
        assert!(n.0.is_empty());
    }

    #[test]
    fn out_of_range_is_clamped_with_a_note() {
        let mut n = Notes::default();
        assert_eq!(n.int(&q("dk=9999"), "dk", "d_k", 1, 64, 4), 64);
        assert_eq!(n.int(&q("dk=-5"), "dk", "d_k", 1, 64, 4), 1);
        assert_eq!(n.float(&q("t=1e9"), "t", "T", 0.05, 20.0, 1.0), 20.0);
        assert_eq!(n.0.len(), 3);
        assert!(n.0[0].contains("9999") && n.0[0].contains("64"));
    }

    #[test]
    fn garbage_is_replaced_with_a_note() {
        let mut n = Notes::default();
        assert_eq!(n.int(&q("dk=abc"), "dk", "d_k", 1, 64, 4), 4);
        assert_eq!(n.int(&q("dk=3.7"), "dk", "d_k", 1, 64, 4), 4);
        assert_eq!(n.int(&q("dk=1e400"), "dk", "d_k", 1, 64, 4), 4);
        assert_eq!(n.float(&q("t=NaN"), "t", "T", 0.05, 20.0, 1.0), 1.0);
        assert_eq!(n.float(&q("t=inf"), "t", "T", 0.05, 20.0, 1.0), 1.0);
        assert!(n.flag(&q("s=maybe"), "s", "scale", true));
        assert_eq!(
            n.choice(&q("m=%3Cb%3E"), "m", "mask", &["none", "causal"], "none"),
            "none"
        );
        assert_eq!(n.0.len(), 7);
        assert!(n.0[6].contains("“<b>”"));
    }

    #[test]
    fn choices_are_case_insensitive() {
        let mut n = Notes::default();
        assert_eq!(
            n.choice(&q("m=Causal"), "m", "mask", &["none", "causal"], "none"),
            "causal"
        );
        assert!(n.0.is_empty());
    }

    #[test]
    fn encoding_round_trips_any_unicode() {
        for s in ["The cat", "猫 🐈‍⬛ & = ? # %", "<b>x</b>", "a+b", ""] {
            let built = build(&[("text", s.to_string())]);
            assert_eq!(parse(&built).get("text").map(String::as_str), Some(s));
        }
    }

    #[test]
    fn decode_survives_broken_escapes() {
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%E2%82"), "\u{FFFD}");
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("ab%4"), "ab%4");
    }

    #[test]
    fn first_value_wins() {
        assert_eq!(parse("?a=1&a=2").get("a").map(String::as_str), Some("1"));
    }
}
