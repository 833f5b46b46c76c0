//! The pieces of a line the line walker (`lines`) reads: where a line ends (and whether it
//! holds a character YAML treats specially), its indentation, a key, and scalars in their
//! one-line forms. Byte-level and allocation-free, eight bytes at a time where it pays.

use std::borrow::Cow;

use super::sink::is_plain_string_key;

/// Where the line starting at `from` ends (its `\n`, or the end); `None` at a tab, CR, control
/// character, DEL, or a character YAML treats specially (non-printable C1, BOM, NEL, U+FFFE/F,
/// line and paragraph separators). Eight bytes at a time.
pub(super) fn line_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let (w, len) = word_at(bytes, i);
        // Bytes below 0x20 (the line end among them), DEL, and non-ASCII bytes; the lowest
        // flagged byte is exact (a borrow only runs upwards from a flagged byte).
        let del = w ^ (ONES * 0x7f);
        let flags = (w & HIGH)
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | (del.wrapping_sub(ONES) & !del & HIGH);
        let at = (flags.trailing_zeros() / 8) as usize;
        if at >= len {
            if i + len >= bytes.len() {
                return Some(bytes.len());
            }
            i += len;
            continue;
        }
        let j = i + at;
        match bytes[j] {
            b'\n' => return Some(j),
            0x80.. if !special_char(&bytes[j..]) => i = j + 1,
            _ => return None,
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Up to eight bytes at `i` as a little-endian word, and how many there were; missing bytes
/// read as printable (`A`), so they flag nothing.
#[inline]
fn word_at(bytes: &[u8], i: usize) -> (u64, usize) {
    if let Some(Ok(word)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) {
        return (u64::from_le_bytes(word), 8);
    }
    let mut w = [b'A'; 8];
    let rest = bytes.get(i..).unwrap_or_default();
    let len = rest.len().min(8);
    w[..len].copy_from_slice(&rest[..len]);
    (u64::from_le_bytes(w), len)
}

/// How many spaces `line` starts with, eight at a time.
pub(super) fn leading_spaces(line: &[u8]) -> usize {
    let mut i = 0;
    loop {
        let (w, len) = word_at(line, i);
        let n = (((w ^ (ONES * 0x20)).trailing_zeros() / 8) as usize).min(len);
        i += n;
        if n < 8 {
            return i;
        }
    }
}

/// True at the start of a character a YAML parser treats specially.
fn special_char(at: &[u8]) -> bool {
    matches!(
        at,
        [0xc2, 0x80..=0x9f, ..]
            | [0xef, 0xbb, 0xbf, ..]
            | [0xef, 0xbf, 0xbe | 0xbf, ..]
            | [0xe2, 0x80, 0xa8 | 0xa9, ..]
    )
}

/// `key:` and what follows the colon, for a plain key of the usual characters or a quoted key
/// with no escapes.
pub(super) fn split_key(text: &str) -> Option<(&str, &str)> {
    let (key, after) = match text.as_bytes()[0] {
        b'"' => {
            let end = text[1..].find('"')? + 1;
            let key = &text[1..end];
            (!key.contains('\\')).then_some((key, &text[end + 1..]))?
        }
        b'\'' => {
            let end = text[1..].find('\'')? + 1;
            (&text[1..end], &text[end + 1..])
        }
        _ => {
            let end = text.bytes().position(|b| !is_key_byte(b))?;
            let key = &text[..end];
            is_plain_string_key(key).then_some((key, &text[end..]))?
        }
    };
    let rest = after.strip_prefix(':')?;
    (key.len() <= MAX_KEY && (rest.is_empty() || rest.starts_with(' '))).then_some((key, rest))
}

/// Simple keys end within this many characters (the parser's look-ahead is 1024).
const MAX_KEY: usize = 1000;

fn is_key_byte(b: u8) -> bool {
    KEY_BYTES[usize::from(b)]
}

/// The characters of plain keys (and of plain items in flow collections).
const KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-');
        b += 1;
    }
    table
};

/// True when nothing but blanks and a comment follow.
pub(super) fn ends_line(rest: &str) -> bool {
    rest.is_empty()
        || (rest.starts_with(' ') && {
            let r = rest.trim_start_matches(' ');
            r.is_empty() || r.starts_with('#')
        })
}

/// A plain scalar in block context on one line: its text, or `None` when a `: ` or a trailing
/// `:` would make it something else.
pub(super) fn plain(v: &str) -> Option<&str> {
    let bytes = v.as_bytes();
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'#' if i > 0 && bytes[i - 1] == b' ' => {
                end = i;
                break;
            }
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => return None,
            _ => {}
        }
    }
    Some(v[..end].trim_end_matches(' '))
}

/// A double-quoted scalar closing on its line with only simple escapes: its inside and what
/// follows it.
pub(super) fn double_quoted(v: &str) -> Option<(&str, &str)> {
    let bytes = v.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some((&v[1..i], &v[i + 1..])),
            b'\\' => {
                let escaped = *bytes.get(i + 1)?;
                if !b"0abtnvfre \"/\\N_LP".contains(&escaped) {
                    return None;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    None
}

/// The text of a double-quoted scalar's inside (only the escapes [`double_quoted`] lets by).
pub(super) fn unescape(inner: &str) -> Cow<'_, str> {
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('0') => '\0',
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('t') => '\t',
            Some('n') => '\n',
            Some('v') => '\u{b}',
            Some('f') => '\u{c}',
            Some('r') => '\r',
            Some('e') => '\u{1b}',
            Some('N') => '\u{85}',
            Some('_') => '\u{a0}',
            Some('L') => '\u{2028}',
            Some('P') => '\u{2029}',
            Some(other) => other,
            None => break,
        });
    }
    Cow::Owned(out)
}

/// A single-quoted scalar closing on its line: its inside (with `''` for `'`) and what follows.
pub(crate) fn single_quoted(v: &str) -> Option<(&str, &str)> {
    let bytes = v.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some((&v[1..i], &v[i + 1..]));
        }
        i += 1;
    }
    None
}

/// One scalar inside a flow collection: quoted with nothing to unescape, or plain of the usual
/// characters. Returns its text, whether it was quoted, and what follows.
pub(super) fn flow_scalar(v: &str) -> Option<(&str, bool, &str)> {
    match v.as_bytes().first()? {
        b'"' => {
            let (inner, after) = double_quoted(v)?;
            (!inner.contains('\\')).then_some((inner, true, after))
        }
        b'\'' => {
            let (inner, after) = single_quoted(v)?;
            (!inner.contains('\'')).then_some((inner, true, after))
        }
        first if first.is_ascii_alphanumeric() || matches!(first, b'_' | b'/') => {
            let end = v.bytes().position(|b| !is_key_byte(b)).unwrap_or(v.len());
            Some((&v[..end], false, &v[end..]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_and_special_characters() {
        let text = b"abcdefghijklmnop\nq";
        assert_eq!(line_end(text, 0), Some(16));
        assert_eq!(line_end(text, 17), Some(18));
        assert_eq!(line_end("é\u{a0}x\n".as_bytes(), 0), Some(5));
        for bad in [
            "a\tb", "a\rb", "a\u{7f}", "a\u{85}", "\u{feff}", "\u{2028}", "\u{fffe}",
        ] {
            assert_eq!(line_end(bad.as_bytes(), 0), None, "{bad:?}");
        }
        assert_eq!(leading_spaces(b"          x"), 10);
        assert_eq!(leading_spaces(b"    "), 4);
    }

    #[test]
    fn keys_and_scalars() {
        assert_eq!(
            split_key("app.kubernetes.io/name: x"),
            Some(("app.kubernetes.io/name", " x"))
        );
        assert_eq!(split_key("\"helm.sh/hook\":"), Some(("helm.sh/hook", "")));
        assert_eq!(split_key("a:b"), None);
        assert_eq!(split_key("null: x"), None);
        assert_eq!(plain("a #b"), Some("a"));
        assert_eq!(plain("http://x:80/y#z"), Some("http://x:80/y#z"));
        assert_eq!(plain("a: b"), None);
        assert_eq!(double_quoted("\"a\\\"b\" # c"), Some(("a\\\"b", " # c")));
        assert_eq!(double_quoted("\"\\x41\""), None);
        assert_eq!(unescape("t\\tn\\n\\\\"), "t\tn\n\\");
        assert_eq!(single_quoted("'it''s' x"), Some(("it''s", " x")));
        assert_eq!(flow_scalar("get, list]"), Some(("get", false, ", list]")));
    }
}
