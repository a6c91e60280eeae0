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
    /// A sentence: the text in the link (shortened to `max` characters,
    /// with a note), or `default` when absent.
    pub fn text(&mut self, q: &Query, key: &str, default: &str, max: usize) -> String {
        match q.get(key) {
            Some(t) => {
                let (t, cut) = crate::text::cap_text_to(t, max);
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
                match parse_decimal(raw.trim()) {
                    Some(f) if f.is_finite() => {
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
        match parse_decimal(raw.trim()) {
            Some(v) if v.is_finite() && v < min => {
                self.0.push(format!(
                    "{label} = {v} is below the minimum {min}; using {min}."
                ));
                min
            }
            Some(v) if v.is_finite() && v > max => {
                self.0.push(format!(
                    "{label} = {v} is above the maximum {max}; using {max}."
                ));
                max
            }
            Some(v) if v.is_finite() => v,
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

/// The largest seed any chapter takes; seeds run from 0 to this.
pub const SEED_MAX: i64 = 999_999;

/// One whole-number parameter of a chapter's URL: its key, the name notes
/// use, its range and default. Parsing, writing and the slider that sets it
/// all read this one definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntParam {
    pub key: &'static str,
    pub label: &'static str,
    pub min: i64,
    pub max: i64,
    pub default: i64,
}

impl IntParam {
    pub const fn new(
        key: &'static str,
        label: &'static str,
        min: i64,
        max: i64,
        default: i64,
    ) -> Self {
        IntParam {
            key,
            label,
            min,
            max,
            default,
        }
    }

    /// A seed: 0 to [`SEED_MAX`].
    pub const fn seed(key: &'static str, label: &'static str, default: i64) -> Self {
        IntParam::new(key, label, 0, SEED_MAX, default)
    }

    /// The value in the link, clamped and explained (see [`Notes::int`]).
    pub fn read(&self, n: &mut Notes, q: &Query) -> i64 {
        n.int(q, self.key, self.label, self.min, self.max, self.default)
    }

    /// [`IntParam::read`] for counts and sizes (the range is never negative).
    pub fn read_usize(&self, n: &mut Notes, q: &Query) -> usize {
        usize::try_from(self.read(n, q)).unwrap_or(0)
    }

    /// [`IntParam::read`] for seeds.
    pub fn read_u64(&self, n: &mut Notes, q: &Query) -> u64 {
        u64::try_from(self.read(n, q)).unwrap_or(0)
    }

    /// The default as a count.
    pub fn default_usize(&self) -> usize {
        usize::try_from(self.default).unwrap_or(0)
    }

    /// The default as a seed.
    pub fn default_u64(&self) -> u64 {
        u64::try_from(self.default).unwrap_or(0)
    }

    /// A link's text as a whole number in the range ([`round_whole`]; not a
    /// number: `None`). Parses no float, so the shell that reads the app's
    /// own keys carries no float parser (and its tables) on the landing page.
    pub fn clamp_text(&self, raw: &str) -> Option<i64> {
        round_whole(raw).map(|v| v.clamp(self.min, self.max))
    }

    /// A slider's value (any float) rounded into the range.
    pub fn clamp(&self, v: f64) -> i64 {
        if v.is_finite() {
            (v.round() as i64).clamp(self.min, self.max)
        } else {
            self.default
        }
    }

    /// [`IntParam::clamp`] as a count.
    pub fn clamp_usize(&self, v: f64) -> usize {
        usize::try_from(self.clamp(v)).unwrap_or(0)
    }

    /// The slider's ends.
    pub fn min_f64(&self) -> f64 {
        self.min as f64
    }
    pub fn max_f64(&self) -> f64 {
        self.max as f64
    }

    /// The value after `v`, wrapping past the maximum to the minimum (the
    /// "new seed" buttons).
    pub fn next(&self, v: u64) -> u64 {
        let next = i64::try_from(v).map_or(self.min, |v| v.saturating_add(1));
        let next = if (self.min..=self.max).contains(&next) {
            next
        } else {
            self.min
        };
        u64::try_from(next).unwrap_or(0)
    }

    /// The `(key, value)` pair for [`build`].
    pub fn pair(&self, v: impl std::fmt::Display) -> (&'static str, String) {
        (self.key, v.to_string())
    }

    /// This parameter with its maximum set by another one (the selected
    /// head among `max` heads).
    pub fn with_max(self, max: usize) -> IntParam {
        IntParam {
            max: i64::try_from(max).unwrap_or(i64::MAX),
            ..self
        }
    }
}

/// One real-number parameter: key, note name, range and default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatParam {
    pub key: &'static str,
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    pub default: f64,
}

impl FloatParam {
    pub const fn new(
        key: &'static str,
        label: &'static str,
        min: f64,
        max: f64,
        default: f64,
    ) -> Self {
        FloatParam {
            key,
            label,
            min,
            max,
            default,
        }
    }

    /// The value in the link, clamped and explained (see [`Notes::float`]).
    pub fn read(&self, n: &mut Notes, q: &Query) -> f64 {
        n.float(q, self.key, self.label, self.min, self.max, self.default)
    }

    /// A slider's value put into the range.
    pub fn clamp(&self, v: f64) -> f64 {
        if v.is_finite() {
            v.clamp(self.min, self.max)
        } else {
            self.default
        }
    }

    pub fn pair(&self, v: f64) -> (&'static str, String) {
        (self.key, v.to_string())
    }
}

/// One on/off parameter, written as 1 or 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlagParam {
    pub key: &'static str,
    pub label: &'static str,
    pub default: bool,
}

impl FlagParam {
    pub const fn new(key: &'static str, label: &'static str, default: bool) -> Self {
        FlagParam {
            key,
            label,
            default,
        }
    }

    pub fn read(&self, n: &mut Notes, q: &Query) -> bool {
        n.flag(q, self.key, self.label, self.default)
    }

    pub fn pair(&self, v: bool) -> (&'static str, String) {
        (self.key, if v { "1" } else { "0" }.to_string())
    }
}

/// One sentence parameter: key and default text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextParam {
    pub key: &'static str,
    pub default: &'static str,
    /// Longest text kept, in characters.
    pub max_chars: usize,
}

impl TextParam {
    /// A sentence of at most [`crate::text::MAX_TEXT_CHARS`] characters.
    pub const fn new(key: &'static str, default: &'static str) -> Self {
        TextParam {
            key,
            default,
            max_chars: crate::text::MAX_TEXT_CHARS,
        }
    }

    /// The same parameter keeping up to `max_chars` characters.
    pub const fn with_max_chars(self, max_chars: usize) -> Self {
        TextParam { max_chars, ..self }
    }

    /// The sentence in the link (see [`Notes::text`]).
    pub fn read(&self, n: &mut Notes, q: &Query) -> String {
        n.text(q, self.key, self.default, self.max_chars)
    }

    /// `text` shortened to this parameter's limit.
    pub fn cap(&self, text: &str) -> String {
        crate::text::cap_text_to(text, self.max_chars).0
    }

    pub fn pair(&self, v: &str) -> (&'static str, String) {
        (self.key, v.to_string())
    }
}

/// One of a few whole numbers (a bottleneck width, a trained d_k).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetParam {
    pub key: &'static str,
    pub label: &'static str,
    pub options: &'static [usize],
    pub default: usize,
}

impl SetParam {
    pub const fn new(
        key: &'static str,
        label: &'static str,
        options: &'static [usize],
        default: usize,
    ) -> Self {
        SetParam {
            key,
            label,
            options,
            default,
        }
    }

    /// The value in the link if it is one of the options, else the default
    /// and a note.
    pub fn read(&self, n: &mut Notes, q: &Query) -> usize {
        let Some(raw) = q.get(self.key) else {
            return self.default;
        };
        match raw.trim().parse::<usize>() {
            Ok(v) if self.options.contains(&v) => v,
            _ => {
                let list: Vec<String> = self.options.iter().map(usize::to_string).collect();
                n.0.push(format!(
                    "{} = {} is not one of {}; using {}.",
                    self.label,
                    show(raw),
                    list.join(", "),
                    self.default
                ));
                self.default
            }
        }
    }

    pub fn pair(&self, v: usize) -> (&'static str, String) {
        (self.key, v.to_string())
    }
}

/// A fixed set of named options (an enum) written by key in the URL.
pub trait Choice: Copy + PartialEq + Send + Sync + 'static {
    /// Every option, in the order the page offers them.
    const ALL: &'static [Self];
    /// The option's word in the URL.
    fn key(self) -> &'static str;
    /// The option's name on the page (its key unless said otherwise).
    fn label(self) -> &'static str {
        self.key()
    }
}

/// A parameter whose value is one of a [`Choice`]'s options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceParam<T: Choice> {
    pub key: &'static str,
    pub label: &'static str,
    pub default: T,
}

impl<T: Choice> ChoiceParam<T> {
    pub const fn new(key: &'static str, label: &'static str, default: T) -> Self {
        ChoiceParam {
            key,
            label,
            default,
        }
    }

    /// The option named in the link (case-insensitive), else the default
    /// and a note.
    pub fn read(&self, n: &mut Notes, q: &Query) -> T {
        let keys: Vec<&'static str> = T::ALL.iter().map(|c| c.key()).collect();
        let picked = n.choice(q, self.key, self.label, &keys, self.default.key());
        T::ALL
            .iter()
            .copied()
            .find(|c| c.key() == picked)
            .unwrap_or(self.default)
    }

    pub fn pair(&self, v: T) -> (&'static str, String) {
        (self.key, v.key().to_string())
    }
}

/// A URL parameter that reads and writes values of type `T`: the one
/// interface [`url_state!`] builds a chapter's state from.
pub trait Param<T> {
    /// The value in the link, or the default; bad values add a note.
    fn read_value(&self, n: &mut Notes, q: &Query) -> T;
    fn default_value(&self) -> T;
    /// The `(key, value)` pair for [`build`].
    fn write(&self, v: &T) -> (&'static str, String);
    /// The pair, or `None` when the value is left out of the link.
    fn write_opt(&self, v: &T) -> Option<(&'static str, String)> {
        Some(self.write(v))
    }
}

impl Param<usize> for IntParam {
    fn read_value(&self, n: &mut Notes, q: &Query) -> usize {
        self.read_usize(n, q)
    }
    fn default_value(&self) -> usize {
        self.default_usize()
    }
    fn write(&self, v: &usize) -> (&'static str, String) {
        self.pair(v)
    }
}

impl Param<u64> for IntParam {
    fn read_value(&self, n: &mut Notes, q: &Query) -> u64 {
        self.read_u64(n, q)
    }
    fn default_value(&self) -> u64 {
        self.default_u64()
    }
    fn write(&self, v: &u64) -> (&'static str, String) {
        self.pair(v)
    }
}

/// A whole number written 1-based in the link (layers, heads) and kept
/// 0-based in the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneBased(pub IntParam);

impl Param<usize> for OneBased {
    fn read_value(&self, n: &mut Notes, q: &Query) -> usize {
        self.0.read_usize(n, q).saturating_sub(1)
    }
    fn default_value(&self) -> usize {
        self.0.default_usize().saturating_sub(1)
    }
    fn write(&self, v: &usize) -> (&'static str, String) {
        self.0.pair(v.saturating_add(1))
    }
}

/// An even whole number (a width made of pairs): odd values in the link
/// round up, with a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Even(pub IntParam);

impl Even {
    /// A slider's value: rounded into the range, odd values up (down at
    /// an odd maximum).
    pub fn clamp_usize(&self, v: f64) -> usize {
        self.up_to_even(self.0.clamp_usize(v))
    }

    fn up_to_even(&self, v: usize) -> usize {
        let up = v.div_ceil(2) * 2;
        if i64::try_from(up).map_or(true, |u| u > self.0.max) {
            up.saturating_sub(2)
        } else {
            up
        }
    }
}

impl Param<usize> for Even {
    fn read_value(&self, n: &mut Notes, q: &Query) -> usize {
        let v = self.0.read_usize(n, q);
        let even = self.up_to_even(v);
        if even != v {
            n.0.push(format!("{} must be even; using {even}.", self.0.label));
        }
        even
    }
    fn default_value(&self) -> usize {
        self.0.default_usize()
    }
    fn write(&self, v: &usize) -> (&'static str, String) {
        self.0.pair(v)
    }
}

/// An optional pick among `count` items (a selected token), written
/// 1-based: absent or empty in the link means none, and so does any value
/// when there is nothing to pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub param: IntParam,
    pub count: usize,
}

impl Param<Option<usize>> for Pick {
    fn read_value(&self, n: &mut Notes, q: &Query) -> Option<usize> {
        match q.get(self.param.key) {
            Some(raw) if !raw.is_empty() && self.count > 0 => {
                Some(OneBased(self.param.with_max(self.count)).read_value(n, q))
            }
            _ => None,
        }
    }
    fn default_value(&self) -> Option<usize> {
        None
    }
    fn write(&self, v: &Option<usize>) -> (&'static str, String) {
        (
            self.param.key,
            v.map_or(String::new(), |i| (i + 1).to_string()),
        )
    }
    fn write_opt(&self, v: &Option<usize>) -> Option<(&'static str, String)> {
        v.map(|_| self.write(v))
    }
}

impl Param<String> for TextParam {
    fn read_value(&self, n: &mut Notes, q: &Query) -> String {
        self.read(n, q)
    }
    fn default_value(&self) -> String {
        self.default.to_string()
    }
    fn write(&self, v: &String) -> (&'static str, String) {
        self.pair(v)
    }
}

/// `Param` for parameters whose `read`, `default` and `pair` already have
/// the right types.
macro_rules! plain_param {
    ($($param:ty => $value:ty),* $(,)?) => {$(
        impl Param<$value> for $param {
            fn read_value(&self, n: &mut Notes, q: &Query) -> $value {
                self.read(n, q)
            }
            fn default_value(&self) -> $value {
                self.default
            }
            fn write(&self, v: &$value) -> (&'static str, String) {
                self.pair(*v)
            }
        }
    )*};
}

plain_param!(FloatParam => f64, FlagParam => bool, SetParam => usize);

impl<T: Choice> Param<T> for ChoiceParam<T> {
    fn read_value(&self, n: &mut Notes, q: &Query) -> T {
        self.read(n, q)
    }
    fn default_value(&self) -> T {
        self.default
    }
    fn write(&self, v: &T) -> (&'static str, String) {
        self.pair(*v)
    }
}

/// A chapter's state as a struct of URL parameters, each field with its
/// one [`Param`] definition: derives `Default` (every parameter's
/// default), `from_query` (read in field order, notes for bad values) and
/// `to_query` (written in field order).
///
/// A parameter may depend on the fields before it, by name: in
/// `pub head: usize = OneBased(HEAD.with_max(heads))` the selected head's
/// maximum is the `heads` field read just before (in all three functions).
macro_rules! url_state {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $param:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            #[allow(unused_variables)]
            fn default() -> Self {
                $( let $field: $ty = $crate::query::Param::<$ty>::default_value(&$param); )*
                $name { $( $field, )* }
            }
        }

        impl $name {
            /// Reads the state; bad values are replaced and explained in
            /// the notes.
            pub fn from_query(q: &$crate::query::Query) -> (Self, Vec<String>) {
                let mut n = $crate::query::Notes::default();
                $( let $field: $ty = $crate::query::Param::<$ty>::read_value(&$param, &mut n, q); )*
                ($name { $( $field, )* }, n.0)
            }

            /// The query string that restores this state.
            #[allow(unused_variables)]
            pub fn to_query(&self) -> String {
                let mut pairs = Vec::new();
                $(
                    pairs.extend($crate::query::Param::<$ty>::write_opt(&$param, &self.$field));
                    let $field: $ty = self.$field.clone();
                )*
                $crate::query::build(&pairs)
            }
        }
    };
}
pub(crate) use url_state;

/// An enum of named options for a [`ChoiceParam`]: each variant with its
/// word in the URL and, optionally for all, its label on the page
/// (`Adam = "adam", "Adam (lr 0.003)"`; [`Choice::label`]).
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $key:literal ),* $(,)? }
    ) => {
        $crate::query::choice! {
            $(#[$meta])*
            pub enum $name { $( $(#[$vmeta])* $variant = $key, $key ),* }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $key:literal, $label:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $( $(#[$vmeta])* $variant, )* }

        impl $crate::query::Choice for $name {
            const ALL: &'static [Self] = &[ $( $name::$variant, )* ];
            fn key(self) -> &'static str {
                match self { $( $name::$variant => $key, )* }
            }
            fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )* }
            }
        }
    };
}
pub(crate) use choice;

/// Adds `x` to the short sorted list `v` (the heads switched off) unless it
/// is there. An insertion into place: a few hundred bytes of code, where
/// the standard sort's is about 7 KB for each element type, in every page
/// that reads such a list from its link.
pub fn insert_sorted<T: Ord>(v: &mut Vec<T>, x: T) {
    let at = v.iter().position(|y| *y >= x).unwrap_or(v.len());
    if v.get(at) != Some(&x) {
        v.insert(at, x);
    }
}

/// Test helper for a chapter's state: an empty query gives the default
/// without notes, and `sample` (which must differ from the default)
/// survives a round trip through the URL unchanged and without notes.
#[cfg(test)]
pub fn check_round_trip<S>(
    from_query: fn(&Query) -> (S, Vec<String>),
    to_query: fn(&S) -> String,
    sample: S,
) where
    S: Default + PartialEq + std::fmt::Debug,
{
    assert_eq!(from_query(&parse("")), (S::default(), vec![]));
    assert_ne!(
        sample,
        S::default(),
        "the sample should differ from the default"
    );
    assert_eq!(from_query(&parse(&to_query(&sample))), (sample, vec![]));
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
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (escaped, b) {
            (Some(v), _) => {
                out.push(v);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, other) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A decimal number written in a link (`3`, `-2`, `2.5`, `1e9`, `+7.`,
/// surrounding spaces ignored) rounded to the nearest whole number, halves
/// away from zero (as `f64::round` does), saturating at the ends of `i64`;
/// `None` for anything else (`inf`, `0x10`, `<b>`, empty). Written with
/// integer arithmetic: `str::parse::<f64>` brings about 10 KB of tables.
pub fn round_whole(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i)?, Some(s.get(i + 1..)?)),
        None => (s, None),
    };
    let (whole, fraction) = match mantissa.find('.') {
        Some(i) => (mantissa.get(..i)?, mantissa.get(i + 1..)?),
        None => (mantissa, ""),
    };
    let is_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !is_digits(whole) || !is_digits(fraction) {
        return None;
    }
    let shift: i64 = match exponent {
        None => 0,
        Some(e) => {
            let (neg, digits) = match e.as_bytes().first() {
                Some(b'-') => (true, e.get(1..)?),
                Some(b'+') => (false, e.get(1..)?),
                _ => (false, e),
            };
            if digits.is_empty() || !is_digits(digits) {
                return None;
            }
            // Past a few hundred digits every answer is 0 or saturated.
            let mut m: i64 = 0;
            for b in digits.bytes() {
                m = (m * 10 + i64::from(b - b'0')).min(100_000);
            }
            if neg {
                -m
            } else {
                m
            }
        }
    };
    // The digits with the decimal point after `point` of them.
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    let point = i64::try_from(whole.len()).ok()?.saturating_add(shift);
    let digit = |i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0)
    };
    // Capped well past i64's range, then clamped into it.
    let cap: i128 = 1 << 80;
    let mut v: i128 = 0;
    for i in 0..point.clamp(0, 400) {
        v = (v * 10 + i128::from(digit(i))).min(cap);
    }
    if point >= 0 && digit(point) >= 5 {
        v += 1;
    }
    let v = if negative { -v } else { v };
    Some(i64::try_from(v).unwrap_or(if negative { i64::MIN } else { i64::MAX }))
}

/// A decimal number as `str::parse::<f64>` reads it (`2.5`, `-0.125`,
/// `.5`, `7.`, `1e-3`, `+4E2`; no spaces, no `inf` or `NaN`), `None` for
/// anything else. Correctly rounded, bit for bit the standard parser's
/// result, for up to 19 significant digits and magnitudes from 1e-11 to
/// 1e27 (every number the app writes, and far past every parameter's
/// range); with more digits within one unit in the last place (only near
/// a tie between two doubles), and beyond that range within a few (such a
/// number is then out of range and clamped anyway). Written with integer
/// arithmetic: the standard parser brings about 10 KB of tables to every
/// page with a slider.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (negative, mut i) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    // The first 19 significant digits and the power of ten they are
    // scaled by.
    let (mut m, mut kept, mut e10) = (0u64, 0u32, 0i64);
    let (mut any, mut point) = (false, false);
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                any = true;
                let d = u64::from(c - b'0');
                if m == 0 && d == 0 {
                    // A leading zero.
                    e10 -= i64::from(point);
                } else if kept < 19 {
                    m = m * 10 + d;
                    kept += 1;
                    e10 -= i64::from(point);
                } else {
                    e10 += i64::from(!point);
                }
            }
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let sign = match b.get(i) {
            Some(b'-') => {
                i += 1;
                -1
            }
            Some(b'+') => {
                i += 1;
                1
            }
            _ => 1,
        };
        let start = i;
        let mut e = 0i64;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            // Past this every answer is 0 or infinite.
            e = (e * 10 + i64::from(c - b'0')).min(100_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        e10 += sign * e;
    }
    if i != b.len() {
        return None;
    }
    // With digits dropped the value lies strictly between m and m + 1
    // (times 10^e10), which round to the same double or to neighbours: m's
    // is then the answer or one unit in the last place off it.
    let v = if m == 0 {
        0.0
    } else {
        exact_decimal(m, e10).unwrap_or_else(|| approx_decimal(m, e10))
    };
    Some(if negative { -v } else { v })
}

/// `m · 10^e10` correctly rounded, as `m · 5^e10 · 2^e10`: when 128-bit
/// integers hold `m · 5^e10` exactly (e10 >= 0), or when the quotient
/// `m · 2^s / 5^-e10` keeps at least 56 bits (-30 <= e10 < 0); else `None`.
fn exact_decimal(m: u64, e10: i64) -> Option<f64> {
    let e2 = i32::try_from(e10).ok()?;
    if e10 >= 0 {
        let p = 5u128.checked_pow(u32::try_from(e10).ok()?)?;
        let n = u128::from(m).checked_mul(p)?;
        round_to_f64(n, e2, false)
    } else if e10 >= -30 {
        let d = 5u128.pow(u32::try_from(-e10).ok()?);
        let s = u128::from(m).leading_zeros() - 1;
        let n = u128::from(m) << s;
        round_to_f64(n / d, e2 - i32::try_from(s).ok()?, n % d != 0)
    } else {
        None
    }
}

/// `m · 10^e10` in floating point, within a few units in the last place,
/// for what `exact_decimal` leaves (the last digit's place past 10^-30 or
/// the number past 128 bits).
fn approx_decimal(m: u64, e10: i64) -> f64 {
    let e = i32::try_from(e10.clamp(-400, 400)).unwrap_or(0);
    // Two steps keep 10^e itself finite and normal.
    let half = e / 2;
    (m as f64) * 10f64.powi(half) * 10f64.powi(e - half)
}

/// `(n + f) · 2^e2` rounded to the nearest double (ties to even), where
/// `0 <= f < 1` and `f > 0` exactly when `sticky`; `n` must then have more
/// than 54 bits. `None` outside the normal range.
fn round_to_f64(n: u128, e2: i32, sticky: bool) -> Option<f64> {
    let bits = 128 - n.leading_zeros();
    if bits <= 53 {
        return if sticky {
            None
        } else {
            Some(n as f64 * pow2(e2)?)
        };
    }
    let mut shift = bits - 53;
    let mut mant = n >> shift;
    let rest = n & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    if rest > half || (rest == half && (sticky || mant & 1 == 1)) {
        mant += 1;
        if mant == 1 << 53 {
            mant >>= 1;
            shift += 1;
        }
    }
    Some(mant as f64 * pow2(e2 + i32::try_from(shift).ok()?)?)
}

/// 2^e as a double, for normal exponents.
fn pow2(e: i32) -> Option<f64> {
    let biased = u64::try_from(e + 1023)
        .ok()
        .filter(|b| (1..2047).contains(b))?;
    Some(f64::from_bits(biased << 52))
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
    #[test]
    fn insertion_keeps_a_sorted_list_without_repeats() {
        let mut rng = attention_core::Rng::new(9);
        for len in [0, 1, 2, 5, 40, 300] {
            let xs: Vec<(usize, usize)> = (0..len)
                .map(|_| {
                    (
                        (rng.uniform() * 4.0) as usize,
                        (rng.uniform() * 6.0) as usize,
                    )
                })
                .collect();
            let mut got = Vec::new();
            for &x in &xs {
                super::insert_sorted(&mut got, x);
            }
            let mut want = xs.clone();
            want.sort();
            want.dedup();
            assert_eq!(got, want, "{xs:?}");
        }
    }

    use super::*;

    fn significant_digits(s: &str) -> usize {
        let mantissa = s
            .trim_start_matches(['-', '+'])
            .split(['e', 'E'])
            .next()
            .unwrap_or("");
        mantissa.replace('.', "").trim_start_matches('0').len()
    }

    fn far_out(v: f64) -> bool {
        v.abs() > 1e27 || (v != 0.0 && v.abs() < 1e-11)
    }

    /// What `parse_decimal` promises where it is not exact: within one unit
    /// in the last place past 19 digits, relatively 1e-14 far out.
    fn close_enough(s: &str, got: f64, want: f64) {
        assert!(
            significant_digits(s) > 19 || far_out(want),
            "{s}: {got:e} against {want:e}"
        );
        assert_eq!(got.is_infinite(), want.is_infinite(), "{s}");
        if far_out(want) {
            if want.is_finite() && want.abs() > 1e-300 {
                assert!(
                    ((got - want) / want).abs() < 1e-14,
                    "{s}: {got:e} against {want:e}"
                );
            } else {
                assert!(want.is_infinite() || got.abs() < 1e-290, "{s}: {got:e}");
            }
        } else {
            let ulps = (got.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(ulps <= 1, "{s}: {ulps} ulps");
        }
    }

    /// Seeded random decimal strings in the forms a link or a number box
    /// may hold.
    fn decimals(seed: u64, count: usize) -> Vec<String> {
        let mut x = seed;
        let mut next = move |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        (0..count)
            .map(|_| {
                let most = if next(4) == 0 { 30 } else { 19 };
                let digits = 1 + next(most) as usize;
                let mut s = String::new();
                match next(4) {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                let point = next(u64::try_from(digits).unwrap_or(1) + 2) as usize;
                for k in 0..digits {
                    if k == point {
                        s.push('.');
                    }
                    s.push(char::from(b'0' + next(10) as u8));
                }
                if next(3) == 0 {
                    s.push(if next(2) == 0 { 'e' } else { 'E' });
                    match next(3) {
                        0 => s.push('-'),
                        1 => s.push('+'),
                        _ => {}
                    }
                    let most = if next(8) == 0 { 400 } else { 25 };
                    s.push_str(&next(most).to_string());
                }
                s
            })
            .collect()
    }

    #[test]
    fn decimals_parse_as_the_standard_parser_does() {
        let mut exact = 0;
        for s in decimals(7, 200_000) {
            let want: f64 = s.parse().unwrap();
            let got = parse_decimal(&s).unwrap_or_else(|| panic!("{s} not read"));
            if got.to_bits() == want.to_bits() {
                exact += 1;
            } else {
                close_enough(&s, got, want);
            }
        }
        assert!(exact > 190_000, "{exact} of 200000 bit for bit");
    }

    #[test]
    fn decimals_hard_and_odd_cases() {
        // Values the app writes (shortest round trip), ties, edges.
        let mut cases: Vec<String> = [
            0.1,
            0.2,
            0.3,
            0.30000000000000004,
            1.0 / 3.0,
            2.0 / 3.0,
            1e-7,
            123456.789,
            9007199254740993.0,
            0.125,
            1e21,
            1e22,
            1e23,
            5e-324_f64.max(1e-20),
            299792458.0,
            f64::EPSILON,
            1.7976931348623157e38,
            0.01,
            100.0,
            1.5,
            0.9999999999999999,
        ]
        .iter()
        .flat_map(|v: &f64| {
            [
                format!("{v}"),
                format!("{v:e}"),
                format!("{:.17}", v),
                format!("-{v}"),
            ]
        })
        .collect();
        cases.extend(
            [
                "0",
                "-0",
                "+0",
                "0.0",
                ".5",
                "5.",
                "007",
                "1e0",
                "1E+2",
                "1e-2",
                "2.5e-1",
                "9007199254740993",
                "9007199254740992.5",
                "9007199254740993.0000000000001",
                "1.00000000000000011102230246251565404",
                "1.0000000000000001110223024625156540",
                "0.000000000000000000001",
                "12345678901234567890",
                "123456789012345678901234567890",
                "1e400",
                "-1e400",
                "1e-400",
                "4.9e-324",
            ]
            .map(String::from),
        );
        for s in &cases {
            let want: f64 = s.parse().unwrap();
            let got = parse_decimal(s).unwrap_or_else(|| panic!("{s} not read"));
            if significant_digits(s) <= 19 && !far_out(want) {
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{s}: {got:e} against {want:e}"
                );
            } else {
                close_enough(s, got, want);
            }
        }
        // What the standard parser refuses, or reads as something else
        // (`inf`, `NaN`), is not a number here.
        for s in [
            "", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "0x10", "1_000", "inf",
            "NaN", "infinity", "１", "1,5", "<b>1</b>", "--1", "1e5e5",
        ] {
            assert_eq!(parse_decimal(s), None, "{s:?}");
        }
    }

    #[test]
    fn whole_numbers_round_as_the_float_parser_would() {
        // The reference: Rust's own float parser, then f64::round.
        let by_float = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f.round() as i64)
        };
        for s in [
            "0",
            "3",
            " 42 ",
            "-2",
            "+7",
            "2.5",
            "-2.5",
            "2.4999",
            "0.5",
            "0.49",
            ".5",
            "7.",
            "1e9",
            "1E3",
            "2.5e1",
            "25e-1",
            "5e-1",
            "4e-1",
            "1e-400",
            "-1e-5",
            "1e+2",
            "999999999999999999999",
            "-1e30",
            "0000012",
            "12.000001",
            "3.75e0",
        ] {
            assert_eq!(round_whole(s), by_float(s), "{s:?}");
        }
        for s in [
            "", " ", "-", "+", ".", "e5", "1e", "1e+", "inf", "NaN", "0x10", "<b>", "1.2.3",
            "1e2e3", "--1", "1 2", "١٢", "½",
        ] {
            assert_eq!(round_whole(s), None, "{s:?}");
        }
        let p = IntParam::new("present", "slide", 1, 999, 1);
        assert_eq!(p.clamp_text("1e9"), Some(999));
        assert_eq!(p.clamp_text("-4"), Some(1));
        assert_eq!(p.clamp_text("x"), None);
    }

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
    fn an_int_param_is_read_clamped_and_wrapped_from_one_definition() {
        const STEPS: IntParam = IntParam::new("steps", "training steps", 50, 1500, 400);
        const SEED: IntParam = IntParam::seed("seed", "seed", 1);
        let mut n = Notes::default();
        assert_eq!(STEPS.read_usize(&mut n, &q("")), 400);
        assert_eq!(STEPS.read_usize(&mut n, &q("steps=9")), 50);
        assert_eq!(STEPS.read_usize(&mut n, &q("steps=1e9")), 1500);
        assert_eq!(n.0.len(), 2);
        assert!(n.0[0].contains("training steps"));
        assert_eq!(
            (STEPS.clamp(49.6), STEPS.clamp(1e12), STEPS.clamp(f64::NAN)),
            (50, 1500, 400)
        );
        assert_eq!(
            (
                SEED.next(5),
                SEED.next(SEED_MAX as u64),
                SEED.next(u64::MAX)
            ),
            (6, 0, 0)
        );
        assert_eq!(build(&[STEPS.pair(60), SEED.pair(3)]), "steps=60&seed=3");
        assert_eq!((STEPS.min_f64(), STEPS.max_f64()), (50.0, 1500.0));
    }

    #[test]
    fn float_flag_and_text_params_round_trip() {
        const T: FloatParam = FloatParam::new("t", "temperature", 0.05, 20.0, 1.0);
        const S: FlagParam = FlagParam::new("scale", "scaling", true);
        const X: TextParam = TextParam::new("text", "the cat");
        let mut n = Notes::default();
        let built = build(&[T.pair(2.5), S.pair(false), X.pair("猫 <b>")]);
        let query = q(&built);
        assert_eq!(T.read(&mut n, &query), 2.5);
        assert!(!S.read(&mut n, &query));
        assert_eq!(X.read(&mut n, &query), "猫 <b>");
        assert_eq!(
            (X.read(&mut n, &q("")), T.clamp(99.0), T.clamp(f64::NAN)),
            ("the cat".to_string(), 20.0, 1.0)
        );
        assert!(n.0.is_empty());
    }

    choice! {
        pub enum Fruit {
            Apple = "apple", "Apple pie",
            Pear = "pear", "Pear tart",
        }
    }

    url_state! {
        pub struct Demo {
            pub count: usize = IntParam::new("n", "count", 1, 8, 3),
            /// Its maximum is `count`, read just before.
            pub item: usize = OneBased(IntParam::new("i", "item", 1, 1, 1).with_max(count)),
            pub picked: Option<usize> = Pick { param: IntParam::new("s", "selected", 1, 1, 1), count },
            pub width: usize = Even(IntParam::new("w", "width", 2, 16, 4)),
            pub fruit: Fruit = ChoiceParam::new("f", "fruit", Fruit::Pear),
        }
    }

    #[test]
    fn url_state_reads_dependent_even_optional_and_choice_fields() {
        let d = Demo::default();
        assert_eq!(
            (d.count, d.item, d.picked, d.width, d.fruit),
            (3, 0, None, 4, Fruit::Pear)
        );
        assert_eq!(d.to_query(), "n=3&i=1&w=4&f=pear", "no pick, no key");
        let (s, notes) = Demo::from_query(&q("n=2&i=5&s=9&w=5&f=APPLE"));
        assert_eq!(
            (s.count, s.item, s.picked, s.width, s.fruit),
            (2, 1, Some(1), 6, Fruit::Apple)
        );
        assert_eq!(
            notes,
            vec![
                "item = 5 is above the maximum 2; using 2.".to_string(),
                "selected = 9 is above the maximum 2; using 2.".to_string(),
                "width must be even; using 6.".to_string(),
            ]
        );
        check_round_trip(Demo::from_query, Demo::to_query, s);
        assert_eq!(Demo::from_query(&q("s=")).0.picked, None);
        assert_eq!((Fruit::Apple.label(), Fruit::ALL.len()), ("Apple pie", 2));
        assert_eq!(
            Even(IntParam::new("w", "width", 2, 15, 4)).clamp_usize(15.0),
            14,
            "never past an odd maximum"
        );
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Opt {
        Adam,
        Sgd,
    }
    impl Choice for Opt {
        const ALL: &'static [Self] = &[Opt::Adam, Opt::Sgd];
        fn key(self) -> &'static str {
            match self {
                Opt::Adam => "adam",
                Opt::Sgd => "sgd",
            }
        }
    }

    #[test]
    fn set_and_choice_params_take_only_their_options() {
        const C: SetParam = SetParam::new("c", "context width", &[8, 32], 32);
        const O: ChoiceParam<Opt> = ChoiceParam::new("opt", "optimizer", Opt::Adam);
        let mut n = Notes::default();
        assert_eq!(C.read(&mut n, &q("c=8")), 8);
        assert_eq!(O.read(&mut n, &q("opt=SGD")), Opt::Sgd);
        assert!(n.0.is_empty());
        assert_eq!(C.read(&mut n, &q("c=7")), 32);
        assert_eq!(O.read(&mut n, &q("opt=%3Cb%3E")), Opt::Adam);
        assert_eq!(n.0.len(), 2);
        assert!(n.0[0].contains("not one of 8, 32"), "{:?}", n.0);
        assert_eq!(build(&[C.pair(8), O.pair(Opt::Sgd)]), "c=8&opt=sgd");
    }

    #[test]
    fn first_value_wins() {
        assert_eq!(parse("?a=1&a=2").get("a").map(String::as_str), Some("1"));
    }
}
