//! Fast paths over the parser's events: checking a document, and building its value, without
//! serde-saphyr's deserializer, for the shapes Helm charts emit.
//!
//! serde-saphyr reads a document through several layers (event buffering, key fingerprints,
//! budgets, serde's visitor calls) that cost about three quarters of a parse. Most manifests use
//! none of what needs them: no anchors, aliases, tags, merge keys, repeated keys or numbers in
//! odd spellings. For those, the same parser (`granit_parser`, with the same settings) is
//! driven directly: [`check`] only walks the events, [`build`] also makes the
//! `serde_json::Value`. Both say "not sure" (`false` / `None`) at anything outside that subset,
//! and the caller then asks serde-saphyr, so the answer is always serde-saphyr's. The property
//! tests in `tests/fast_paths.rs` check exactly that.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{Map, Number, Value};
use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle, StrInput};

use super::Limits;

/// True when serde-saphyr surely reads `text` as no document or as one mapping.
pub fn check(text: &str, limits: &Limits) -> bool {
    walk(text, limits, Check::default()).is_some()
}

/// The value serde-saphyr would read from `text` (`Some(None)`: no document), or `None` when
/// not sure.
pub fn build(text: &str, limits: &Limits) -> Option<Option<Value>> {
    walk(text, limits, Build::default()).map(|b| b.root)
}

/// Where the tree is going, and what a sink does with it.
trait Sink<'i> {
    /// A mapping (`map`) or sequence starts.
    fn open(&mut self, map: bool);
    /// The innermost collection ends; false when that leaves something to be unsure about.
    fn close(&mut self) -> bool;
    /// A key of the innermost mapping; false when it is there already.
    fn key(&mut self, key: Cow<'i, str>) -> bool;
    /// A scalar value; false when not sure what serde-saphyr makes of it.
    fn value(&mut self, text: Cow<'i, str>, plain: bool) -> bool;
}

/// Drives `sink` with the events of `text`; `None` at anything to be unsure about.
fn walk<'i, S: Sink<'i>>(text: &'i str, limits: &Limits, mut sink: S) -> Option<S> {
    if text.len() > limits.max_document_bytes {
        return None;
    }
    let mut options = granit_parser::Options::default();
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(limits.max_depth.saturating_add(1));
    options.emit_comments = false;
    // Half of each limit: far enough from serde-saphyr's own counting never to disagree.
    let (max_nodes, max_depth) = (limits.max_nodes / 2, limits.max_depth / 2);
    let max_events = limits.max_nodes.saturating_mul(2);
    let mut parser = Parser::with_options(StrInput::new(text), options);
    // Per open collection: `Some(next node is a key)` for a mapping, `None` for a sequence.
    let mut open: Vec<Option<bool>> = Vec::new();
    let (mut nodes, mut events, mut documents) = (0usize, 0usize, 0usize);
    while let Some(event) = parser.next_event() {
        let (event, _) = event.ok()?;
        events += 1;
        let (is_node, map, scalar) = match &event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => (false, false, None),
            Event::DocumentStart(..) => {
                documents += 1;
                (false, false, None)
            }
            Event::MappingStart(_, 0, None) => (true, true, None),
            Event::SequenceStart(_, 0, None) => (true, false, None),
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop()?;
                if !sink.close() {
                    return None;
                }
                (false, false, None)
            }
            Event::Scalar(_, style, 0, None) => (true, false, Some(*style)),
            // Anchors, aliases, tags, comments, anything new.
            _ => return None,
        };
        if events > max_events || documents > 1 {
            return None;
        }
        if !is_node {
            continue;
        }
        nodes += 1;
        let is_key = match open.last_mut() {
            // The root: only a mapping is sure to be what the caller wants.
            None if nodes == 1 && map => false,
            None => return None,
            Some(None) => false,
            Some(Some(key_next)) => {
                *key_next = !*key_next;
                !*key_next
            }
        };
        if nodes > max_nodes {
            return None;
        }
        match (scalar, event) {
            (Some(style), Event::Scalar(text, ..)) => {
                let plain = style == ScalarStyle::Plain;
                let ok = if is_key {
                    (!plain || is_plain_string_key(&text)) && sink.key(text)
                } else {
                    sink.value(text, plain)
                };
                if !ok {
                    return None;
                }
            }
            // A mapping or sequence as a key.
            _ if is_key => return None,
            _ => {
                open.push(map.then_some(true));
                if open.len() > max_depth {
                    return None;
                }
                sink.open(map);
            }
        }
    }
    open.is_empty().then_some(sink)
}

/// A plain key serde-saphyr reads as the same string: not null-like (refused as a key), not a
/// merge key, and not number-like (integer keys are compared by value: `1` and `0x1` clash).
fn is_plain_string_key(key: &str) -> bool {
    match key.as_bytes().first() {
        None => false,
        Some(b) if b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'~') => false,
        Some(_) => !matches!(key, "null" | "Null" | "NULL" | "<<"),
    }
}

/// A plain value that may read as `.inf`/`.nan` or as a float too big for f64 (Rust's float
/// syntax with an exponent, or a very long number), which serde-saphyr refuses.
fn may_be_non_finite(text: &str) -> bool {
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
fn plain_value(text: &str) -> Option<Value> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if text.len() <= 5 {
        if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
            return Some(Value::Bool(true));
        }
        if FALSE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
            return Some(Value::Bool(false));
        }
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    match unsigned.bytes().next() {
        // `.inf`, `.nan` and `.5` live here.
        Some(b'.') => return None,
        Some(b) if b.is_ascii_digit() => {}
        // No number grammar starts this way.
        _ => return Some(Value::String(text.to_string())),
    }
    if let Some(n) = decimal_int(text) {
        return Some(Value::Number(n));
    }
    if let Some(f) = decimal_float(text) {
        return Some(Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    surely_not_a_number(text).then(|| Value::String(text.to_string()))
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
/// after an exponent (`10.0.0.1`, `100m`, `2001-12-14`).
fn surely_not_a_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut dots = 0;
    b.iter().enumerate().any(|(i, &c)| match c {
        b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'o' | b'O' | b'_' => false,
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
struct Check<'i> {
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
}

/// Builds the value.
#[derive(Default)]
struct Build {
    open: Vec<Frame>,
    root: Option<Value>,
}

enum Frame {
    Sequence(Vec<Value>),
    /// A mapping and the key waiting for its value.
    Mapping(Map<String, Value>, Option<String>),
}

impl Build {
    /// Puts a finished value where it belongs; false on a repeated key.
    fn attach(&mut self, value: Value) -> bool {
        match self.open.last_mut() {
            None => self.root.replace(value).is_none(),
            Some(Frame::Sequence(items)) => {
                items.push(value);
                true
            }
            Some(Frame::Mapping(map, key)) => match key.take() {
                Some(key) => map.insert(key, value).is_none(),
                None => false,
            },
        }
    }
}

impl<'i> Sink<'i> for Build {
    fn open(&mut self, map: bool) {
        self.open.push(if map {
            Frame::Mapping(Map::new(), None)
        } else {
            Frame::Sequence(Vec::new())
        });
    }

    fn close(&mut self) -> bool {
        match self.open.pop() {
            Some(Frame::Sequence(items)) => self.attach(Value::Array(items)),
            Some(Frame::Mapping(map, None)) => self.attach(Value::Object(map)),
            _ => false,
        }
    }

    fn key(&mut self, key: Cow<'i, str>) -> bool {
        match self.open.last_mut() {
            Some(Frame::Mapping(map, pending @ None)) if !map.contains_key(key.as_ref()) => {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Real Helm output takes the fast path, and gives what serde-saphyr gives.
    #[test]
    fn examples_take_the_fast_path() {
        let limits = Limits::default();
        for text in [
            include_str!("../../examples/backstage/helm3-input.yaml"),
            include_str!("../../examples/backstage/helm4-input.yaml"),
        ] {
            for chunk in crate::stream::split(text) {
                let built = build(chunk.body, &limits);
                assert!(built.is_some(), "{}", chunk.body);
                let want = super::super::parse_reference(chunk.body, &limits).unwrap();
                assert_eq!(built.unwrap().into_iter().collect::<Vec<_>>(), want);
                assert!(check(chunk.body, &limits), "{}", chunk.body);
            }
        }
    }

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
