//! Writing a `serde_json::Value` as YAML exactly as serde-saphyr writes it (with overhelm's
//! settings), for the values manifests hold, about four times cheaper.
//!
//! The layout is serde-saphyr's: two-space indentation, a sequence under its key at the key's
//! indentation, a mapping or sequence inside a sequence starting on the `- ` line, `{}` and `[]`
//! for empty collections. Strings are plain when serde-saphyr's rules allow (`.`, `#` and `-`
//! alone single-quoted, as it does; the rules are in `quoting`), else double-quoted with its
//! escapes. A string of several lines is a literal block scalar (`|`, with serde-saphyr's
//! indentation and chomping indicators), or double-quoted when it holds a character a block
//! cannot (a carriage return, say). Anything else (a float, a root string of several lines) is
//! left to serde-saphyr: [`write`] says `None`. The property tests in `tests/fast_paths.rs`
//! hold the output to serde-saphyr's byte for byte.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::quoting::{
    escape_double_quoted, is_block_scalar_safe, is_plain_safe, is_plain_value_safe,
};

/// The YAML text serde-saphyr writes for `value`, or `None` when it is not sure.
pub fn write(value: &Value) -> Option<String> {
    let mut out = String::new();
    write_into(value, &mut out)?;
    Some(out)
}

/// [`write`], appended to `out` (no string of its own to grow and copy); when not sure, `out`
/// is left as it was.
pub fn write_into(value: &Value, out: &mut String) -> Option<()> {
    let start = out.len();
    let written = match value {
        Value::Object(map) if !map.is_empty() => entries(map, 0, false, out),
        _ => node(value, out),
    };
    if written.is_none() {
        out.truncate(start);
    }
    written
}

/// A root that is not a non-empty mapping: only scalars and empty collections are sure.
fn node(value: &Value, out: &mut String) -> Option<()> {
    match value {
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(_) | Value::Array(_) => return None,
        Value::String(s) if s.contains('\n') => return None,
        scalar => self::scalar(scalar, out)?,
    }
    out.push('\n');
    Some(())
}

fn indent(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// The common case first: a word of letters, digits and `_./-` (and, in values, `:` and `@`
/// inside) that starts with a letter is plain for every rule below, unless it is one of the
/// short words YAML reads as something else.
fn surely_plain(s: &str, value: bool) -> bool {
    let bytes = s.as_bytes();
    let Some(first) = bytes.first() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && bytes.last() != Some(&b':')
        && bytes.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'.' | b'/' | b'-')
                || (value && matches!(b, b':' | b'@'))
        })
        && (s.len() > 5
            || ![
                "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
            ]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w)))
}

/// The entries of a mapping at `at` spaces; the first on the current line when `inline`.
fn entries(map: &Map<String, Value>, at: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, at);
        }
        write_key(key, out);
        out.push(':');
        match value {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                entries(m, at + 2, false, out)?;
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                self::items(items, at, false, out)?;
            }
            other => {
                out.push(' ');
                self::value(other, at + 2, out)?;
            }
        }
    }
    Some(())
}

/// The items of a sequence at `at` spaces; the first on the current line when `inline`.
fn items(items: &[Value], at: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, at);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => entries(m, at + 2, true, out)?,
            Value::Array(nested) if !nested.is_empty() => self::items(nested, at + 2, true, out)?,
            other => self::value(other, at + 2, out)?,
        }
    }
    Some(())
}

/// A scalar or an empty collection on the current line, and the line's end; a string of
/// several lines as a literal block scalar whose lines are at `body` spaces.
fn value(value: &Value, body: usize, out: &mut String) -> Option<()> {
    match value {
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::String(s) if s.contains('\n') => {
            if is_block_scalar_safe(s) {
                literal(s, body, out);
                return Some(());
            }
            quoted(s, out);
        }
        scalar => self::scalar(scalar, out)?,
    }
    out.push('\n');
    Some(())
}

/// A literal block scalar as serde-saphyr writes it: `|`, the indentation indicator when the
/// first line that has content starts with spaces, the chomping indicator by the number of
/// line breaks at the end, then the lines at `body` spaces (empty lines bare).
fn literal(s: &str, body: usize, out: &mut String) {
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.push('|');
    let first = content.split('\n').find(|line| !line.is_empty());
    if first.is_some_and(|line| line.starts_with(' ')) {
        // The indentation step, which the lines would otherwise not show.
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        (0..trailing).for_each(|_| out.push('\n'));
        return;
    }
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, body);
            out.push_str(line);
        }
        out.push('\n');
    }
    (1..trailing).for_each(|_| out.push('\n'));
}

fn scalar(value: &Value, out: &mut String) -> Option<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_u64() || n.is_i64() => {
            let _ = write!(out, "{n}");
        }
        // One line: a string of several lines never comes here (see `value` and `node`).
        Value::String(s) => {
            if matches!(s.as_str(), "." | "#" | "-") {
                out.push('\'');
                out.push_str(s);
                out.push('\'');
            } else if surely_plain(s, true) || is_plain_value_safe(s, false) {
                out.push_str(s);
            } else {
                quoted(s, out);
            }
        }
        // Floats; collections are written by the callers.
        Value::Number(_) | Value::Array(_) | Value::Object(_) => return None,
    }
    Some(())
}

fn write_key(key: &str, out: &mut String) {
    if surely_plain(key, false) || (is_plain_safe(key) && is_plain_value_safe(key, true)) {
        out.push_str(key);
    } else {
        quoted(key, out);
    }
}

fn quoted(s: &str, out: &mut String) {
    out.push('"');
    escape_double_quoted(s, out);
    out.push('"');
}
