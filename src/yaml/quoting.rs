//! When serde-saphyr writes a string plain or as a block scalar, and how it escapes one it
//! double-quotes: its rules, ported from serde-saphyr 2.2.0 `src/ser/quoting.rs` (MIT OR
//! Apache-2.0) with overhelm's settings (YAML 1.1 ambiguity for values, so that `on`, `y`,
//! `0755`, `1e3`, `12:30:00` stay strings for Kubernetes). `emit` uses them to write what
//! serde-saphyr writes; the property tests in `tests/fast_paths.rs` compare the two byte for
//! byte, so an upgrade of serde-saphyr that changes its rules fails the tests rather than the
//! output.

use std::fmt::Write as _;

/// Numeric syntax, without constructing a value.
fn is_numeric(s: &str) -> bool {
    let Some(unsigned) = unsigned_number(s) else {
        return false;
    };
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if is_yaml11_sexagesimal(s) {
        return true;
    }
    if let Some((radix, digits)) = radix_digits(unsigned) {
        if is_digit_run(digits, radix, false) {
            return true;
        }
    }
    let normalized;
    let s = if s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if s.starts_with("0b") || s.starts_with("0o") {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let Some(mantissa) = mantissa(unsigned) else {
        return false;
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

/// `s` without its sign, or `None` when its first byte cannot start a number.
fn unsigned_number(s: &str) -> Option<&str> {
    matches!(
        s.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')
    )
    .then(|| s.strip_prefix(['+', '-']).unwrap_or(s))
}

/// The part of `unsigned` before its exponent, or `None` when the exponent is not a (signed)
/// run of decimal digits.
fn mantissa(unsigned: &str) -> Option<&str> {
    match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            is_digit_run(exponent, 10, true).then_some(mantissa)
        }
        None => Some(unsigned),
    }
}

fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| b.is_ascii() && char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores
                        || (i > 0
                            && is_digit(bytes[i - 1])
                            && bytes.get(i + 1).is_some_and(|&next| is_digit(next)))))
        })
}

fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(first_digit) = first.as_bytes().first() else {
        return false;
    };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    if !rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) {
        return false;
    }
    fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

fn is_yaml11_timestamp(mut s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if !(min..=max).contains(&len) {
            return false;
        }
        *s = &s[len..];
        true
    }
    fn prefix(s: &mut &str, ch: char) -> bool {
        if let Some(rest) = s.strip_prefix(ch) {
            *s = rest;
            true
        } else {
            false
        }
    }
    if !digits(&mut s, 4, 4)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if prefix(&mut s, '.') || prefix(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !(prefix(&mut s, '+') || prefix(&mut s, '-')) || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}

pub(crate) fn is_yaml11_bool(t: &str) -> bool {
    ["true", "yes", "y", "on", "false", "no", "n", "off"]
        .iter()
        .any(|b| t.eq_ignore_ascii_case(b))
}

/// Whether implicit scalar resolution can change a string's type or reject it. The YAML 1.1
/// checks apply to values only (keys are checked with YAML 1.2 rules plus the flow ones).
fn is_ambiguous(s: &str, yaml_12: bool) -> bool {
    s.is_empty()
        || s == "~"
        || s.eq_ignore_ascii_case("null")
        || s.eq_ignore_ascii_case("true")
        || s.eq_ignore_ascii_case("false")
        || if yaml_12 {
            is_numeric_12(s)
        } else {
            is_numeric(s)
        }
        || s.eq_ignore_ascii_case("nan")
        || s.eq_ignore_ascii_case("inf")
        || s.eq_ignore_ascii_case("+inf")
        || s.eq_ignore_ascii_case("-inf")
        || (!yaml_12 && (is_yaml11_bool(s) || is_yaml11_timestamp(s) || matches!(s, "<<" | "=")))
}

/// `is_numeric` with `yaml_12 = true` (what `is_plain_safe` asks for keys).
fn is_numeric_12(s: &str) -> bool {
    let Some(unsigned) = unsigned_number(s) else {
        return false;
    };
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if let Some((radix, digits)) = radix_digits(unsigned) {
        return is_digit_run(digits, radix, true);
    }
    let Some(mantissa) = mantissa(unsigned) else {
        return false;
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

/// A key that can be plain (serde-saphyr's `is_plain_safe`, YAML 1.2 ambiguity).
pub(super) fn is_plain_safe(s: &str) -> bool {
    if is_ambiguous(s, true) || s == "<<" || starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_whitespace)
        || bytes.last().is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    match bytes[0] {
        b'-' | b'?' if bytes.len() == 1 || bytes[1].is_ascii_whitespace() => return false,
        b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
        | b'\'' | b'"' | b'%' | b'@' | b'`' => return false,
        _ => {}
    }
    !contains_any_or_is_control(s, &[':']) && !has_comment_start(s)
}

/// A value (or, with `in_flow`, a key) that can be plain: serde-saphyr's
/// `is_plain_value_safe` with YAML 1.1 ambiguity.
pub(super) fn is_plain_value_safe(s: &str, in_flow: bool) -> bool {
    if is_ambiguous(s, false) || starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_whitespace)
        || bytes.last().is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    match bytes {
        [b'-' | b'?', b1, ..] if b1.is_ascii_whitespace() => return false,
        [b'-' | b'?']
        | [
            b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
            | b'\'' | b'"' | b'%' | b'@' | b'`',
            ..,
        ] => return false,
        _ => {}
    }
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    if in_flow {
        !contains_any_or_is_control(s, &[',', '[', ']', '{', '}']) && !has_comment_start(s)
    } else {
        !contains_any_or_is_control(s, &[]) && !has_comment_start(s)
    }
}

fn is_control_which_needs_escaping(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// Whether serde-saphyr writes a string of several lines as a block scalar: not with a
/// carriage return or a character that needs an escape, nor NEL, LS, PS or a byte order mark
/// (it double-quotes those).
pub(super) fn is_block_scalar_safe(s: &str) -> bool {
    s.chars().all(|c| match c {
        '\n' | '\t' => true,
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        c => matches!(
            u32::from(c),
            0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF
        ),
    })
}

pub(super) fn escape_double_quoted(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            '\u{0085}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) <= 0xFF && (c.is_control() || (0x7F..=0x9F).contains(&(c as u32))) => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF && is_control_which_needs_escaping(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

fn contains_any_or_is_control(s: &str, values: &[char]) -> bool {
    // ASCII text needs no char decoding: only control bytes and the given characters count.
    if s.is_ascii() {
        return s
            .bytes()
            .any(|b| b < 0x20 || b == 0x7f || values.iter().any(|&v| v as u32 == u32::from(b)));
    }
    s.chars()
        .any(|x| is_control_which_needs_escaping(x) || values.contains(&x))
}

fn has_comment_start(s: &str) -> bool {
    s.match_indices('#').any(|(index, _)| {
        s[..index]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace)
    })
}
