//! What serde-saphyr makes of a document, told node by node: the knowledge the fast paths
//! share (`events` reads nodes from the parser, `lines` from the lines themselves).
//!
//! A walker tells a [`Sink`] each collection, key and scalar; [`Check`] only looks for what
//! serde-saphyr would refuse (repeated keys, non-finite floats), [`Build`] also makes the
//! `serde_json::Value`, reading plain scalars the way serde-saphyr does (YAML 1.1 booleans,
//! legacy octal) for the spellings that are sure, and saying "not sure" for the rest.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{Map, Number, Value};

/// Where the tree is going, and what a sink does with it.
pub(super) trait Sink<'i> {
    /// A mapping (`map`) or sequence starts.
    fn open(&mut self, map: bool);
    /// The innermost collection ends; false when that leaves something to be unsure about.
    fn close(&mut self) -> bool;
    /// A key of the innermost mapping; false when it is there already.
    fn key(&mut self, key: Cow<'i, str>) -> bool;
    /// A scalar value; false when not sure what serde-saphyr makes of it.
    fn value(&mut self, text: Cow<'i, str>, plain: bool) -> bool;
    /// Whether `value` needs the text of quoted and block scalars (else it may get "").
    fn needs_text(&self) -> bool;
}

/// A plain key serde-saphyr reads as the same string: not null-like (refused as a key), not a
/// merge key, and not number-like (integer keys are compared by value: `1` and `0x1` clash).
pub(super) fn is_plain_string_key(key: &str) -> bool {
    match key.as_bytes().first() {
        None => false,
        Some(b) if b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'~') => false,
        Some(_) => !matches!(key, "null" | "Null" | "NULL" | "<<"),
    }
}

/// A plain value that may read as `.inf`/`.nan` or as a float too big for f64 (Rust's float
/// syntax with an exponent, or a very long number), which serde-saphyr refuses.
pub(super) fn may_be_non_finite(text: &str) -> bool {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    match t.as_bytes().first() {
        Some(b'.') => true,
        Some(b) if b.is_ascii_digit() => {
            t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
                && (t.len() > 300 || t.bytes().any(|b| matches!(b, b'e' | b'E')))
        }
        _ => false,
    }
}

/// What serde-saphyr reads a plain scalar as (YAML 1.1 booleans, legacy octal), for the forms
/// that are sure; `None` for the rest (`0x1F`, `1_000`, `1e3`, `.5`, `+1`, ...).
pub(super) fn plain_value(text: &str) -> Option<Value> {
    Some(match plain_kind(text)? {
        Plain::Null => Value::Null,
        Plain::Bool(b) => Value::Bool(b),
        Plain::Int(n) => Value::Number(n),
        Plain::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Plain::String => Value::String(text.to_string()),
    })
}

/// True when serde-saphyr surely reads the plain scalar `text` as that string.
pub(super) fn plain_is_string(text: &str) -> bool {
    matches!(plain_kind(text), Some(Plain::String))
}

enum Plain {
    Null,
    Bool(bool),
    Int(Number),
    Float(f64),
    String,
}

fn plain_kind(text: &str) -> Option<Plain> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Plain::Null);
    }
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if text.len() <= 5 {
        if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
            return Some(Plain::Bool(true));
        }
        if FALSE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
            return Some(Plain::Bool(false));
        }
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    match unsigned.bytes().next() {
        // `.inf`, `.nan` and `.5` live here.
        Some(b'.') => return None,
        Some(b) if b.is_ascii_digit() => {}
        // No number grammar starts this way.
        _ => return Some(Plain::String),
    }
    if let Some(n) = decimal_int(text) {
        return Some(Plain::Int(n));
    }
    if let Some(f) = decimal_float(text) {
        return Some(Plain::Float(f));
    }
    surely_not_a_number(text).then_some(Plain::String)
}

/// `0`, `[1-9][0-9]*` or `-[1-9][0-9]*`, small enough for 64 bits.
fn decimal_int(text: &str) -> Option<Number> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let ok = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (!digits.starts_with('0') || (digits == "0" && !neg));
    if !ok {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some(Number::from(if neg { -n } else { n }))
}

/// `-?[0-9]+\.[0-9]+`, short: a finite f64 by Rust's own parser, as serde-saphyr reads it.
fn decimal_float(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (text.len() <= 24 && all_digits(int) && all_digits(frac))
        .then(|| text.parse().ok())
        .flatten()
}

/// True when no number grammar (integers in any radix with `_`, Rust's float syntax) can read
/// `text`: a character none of them has, a second `.`, or a sign that is not at the start or
/// after an exponent (`10.0.0.1`, `100m`, `2001-12-14`). Without a radix prefix (`0x`, `0o`,
/// `0b`) only decimal digits, `_`, `.` and an exponent's `e` are number characters, so a
/// checksum such as `15ed6269...` (Helm charts' `checksum/config` annotations, unquoted) is
/// surely a string.
fn surely_not_a_number(text: &str) -> bool {
    let b = text.as_bytes();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text).as_bytes();
    let radix = matches!(
        unsigned,
        [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..]
    );
    let mut dots = 0;
    b.iter().enumerate().any(|(i, &c)| match c {
        b'0'..=b'9' | b'_' | b'e' | b'E' => false,
        b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'o' | b'O' => !radix,
        b'.' => {
            dots += 1;
            dots > 1
        }
        b'+' | b'-' => i > 0 && !matches!(b[i - 1], b'e' | b'E'),
        _ => true,
    })
}

/// Only checks; remembers the keys of open mappings to find repeated ones.
#[derive(Default)]
pub(super) struct Check<'i> {
    /// Per open collection: the start of its keys in `keys` (mappings), or `None`.
    open: Vec<Option<usize>>,
    keys: Vec<Cow<'i, str>>,
    /// Keys of open mappings too big for a linear search, by depth.
    big: Vec<(usize, HashSet<Cow<'i, str>>)>,
}

/// Mappings with more keys than this keep a hash set for the duplicate check.
const LINEAR_KEYS: usize = 24;

impl<'i> Sink<'i> for Check<'i> {
    fn open(&mut self, map: bool) {
        self.open.push(map.then_some(self.keys.len()));
    }

    fn close(&mut self) -> bool {
        let depth = self.open.len();
        if let Some(Some(first)) = self.open.pop() {
            if self.big.last().is_some_and(|(d, _)| *d == depth) {
                self.big.pop();
            }
            self.keys.truncate(first);
        }
        true
    }

    fn key(&mut self, key: Cow<'i, str>) -> bool {
        let (Some(Some(first)), depth) = (self.open.last().copied(), self.open.len()) else {
            return false;
        };
        if let Some((d, set)) = self.big.last_mut() {
            if *d == depth {
                return set.insert(key);
            }
        }
        if self.keys[first..].contains(&key) {
            return false;
        }
        self.keys.push(key);
        if self.keys.len() - first > LINEAR_KEYS {
            let set: HashSet<Cow<'i, str>> = self.keys.drain(first..).collect();
            self.big.push((depth, set));
        }
        true
    }

    fn value(&mut self, text: Cow<'i, str>, plain: bool) -> bool {
        !(plain && may_be_non_finite(&text))
    }

    fn needs_text(&self) -> bool {
        false
    }
}

/// Builds the value. Items and entries of open collections wait on two shared stacks and each
/// collection is allocated once, at its exact size, when it closes: no growth on the way, and
/// no spare capacity kept for the rest of the render (parsed documents are held until written).
#[derive(Default)]
pub(super) struct Build {
    open: Vec<Frame>,
    items: Vec<Value>,
    entries: Vec<(String, Value)>,
    root: Option<Value>,
}

enum Frame {
    /// A sequence whose items start at `items[start]`.
    Sequence(usize),
    /// A mapping whose entries start at `entries[start]`, and the key waiting for its value.
    Mapping(usize, Option<String>),
}

impl Build {
    /// The document's value (`None`: no document).
    pub(super) fn into_root(self) -> Option<Value> {
        self.root
    }

    /// Puts a finished value where it belongs.
    fn attach(&mut self, value: Value) -> bool {
        match self.open.last_mut() {
            None => self.root.replace(value).is_none(),
            Some(Frame::Sequence(_)) => {
                self.items.push(value);
                true
            }
            Some(Frame::Mapping(_, key)) => match key.take() {
                Some(key) => {
                    self.entries.push((key, value));
                    true
                }
                None => false,
            },
        }
    }
}

impl<'i> Sink<'i> for Build {
    fn open(&mut self, map: bool) {
        self.open.push(if map {
            Frame::Mapping(self.entries.len(), None)
        } else {
            Frame::Sequence(self.items.len())
        });
    }

    fn close(&mut self) -> bool {
        match self.open.pop() {
            Some(Frame::Sequence(start)) => {
                let items: Vec<Value> = self.items.drain(start..).collect();
                self.attach(Value::Array(items))
            }
            Some(Frame::Mapping(start, None)) => {
                let mut map = Map::with_capacity(self.entries.len() - start);
                for (key, value) in self.entries.drain(start..) {
                    // A repeated key: serde-saphyr refuses it, with a message.
                    if map.insert(key, value).is_some() {
                        return false;
                    }
                }
                self.attach(Value::Object(map))
            }
            _ => false,
        }
    }

    fn key(&mut self, key: Cow<'i, str>) -> bool {
        match self.open.last_mut() {
            Some(Frame::Mapping(_, pending @ None)) => {
                *pending = Some(key.into_owned());
                true
            }
            _ => false,
        }
    }

    fn value(&mut self, text: Cow<'i, str>, plain: bool) -> bool {
        let value = if plain {
            match plain_value(&text) {
                Some(v) => v,
                None => return false,
            }
        } else {
            Value::String(text.into_owned())
        };
        self.attach(value)
    }

    fn needs_text(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_values() {
        let cases: &[(&str, Option<Value>)] = &[
            ("", Some(Value::Null)),
            ("~", Some(Value::Null)),
            ("NULL", Some(Value::Null)),
            ("nULL", Some(json!("nULL"))),
            ("Yes", Some(json!(true))),
            ("oFF", Some(json!(false))),
            ("y", Some(json!(true))),
            ("0", Some(json!(0))),
            ("8080", Some(json!(8080))),
            ("-3", Some(json!(-3))),
            ("-0", None),
            ("0755", None),
            ("1.5", Some(json!(1.5))),
            ("1e3", None),
            ("100m", Some(json!("100m"))),
            ("128Mi", Some(json!("128Mi"))),
            ("10.0.0.1", Some(json!("10.0.0.1"))),
            ("2001-12-14", Some(json!("2001-12-14"))),
            ("1e-5", None),
            ("0x1F", None),
            ("1_000", None),
            (".inf", None),
            ("inf", Some(json!("inf"))),
            ("-foo", Some(json!("-foo"))),
            ("1234567890123456789", None),
        ];
        for (text, want) in cases {
            assert_eq!(plain_value(text), *want, "{text:?}");
        }
    }
}
