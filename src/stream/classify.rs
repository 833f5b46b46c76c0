//! Reading a document's `kind` from its text without parsing it.
//!
//! Most documents of a release are never changed by any step (ConfigMaps, RBAC, CRDs), and
//! parsing them would cost more than everything else together. For a block-style document the
//! top-level keys are exactly the lines that start at column 0 with a key, because YAML requires
//! everything nested under a top-level key (block scalars included) to be indented, or to be a
//! `- ` entry of a top-level sequence. So `kind` can be read from its line.
//!
//! The scan only answers when it is sure; anything unusual (flow or JSON documents, quoted,
//! complex or merge keys, anchors, tags, a quoted value that does not close on its line, a
//! `kind` value continued on indented lines, a repeated `kind`) gives [`Scan::Unsure`], and the
//! caller parses. A property test (`tests/fast_paths.rs`) checks that every sure answer equals
//! a full parse.

use crate::yaml::{is_yaml11_bool, single_quoted};

/// What the scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan<'a> {
    /// Only blank and comment lines: no object.
    Empty,
    /// A block mapping whose `kind` is this (`None`: the mapping has no `kind` key).
    Kind(Option<&'a str>),
    /// The scan cannot tell; parse the document.
    Unsure,
}

/// Scans a document body for its top-level `kind`.
pub fn scan(body: &str) -> Scan<'_> {
    if has_lone_carriage_return(body) {
        // YAML breaks lines at a lone CR too (old Mac line ends); the scan reads only `\n`.
        return Scan::Unsure;
    }
    let mut kind = None;
    let mut seen_key = false;
    // Right after the `kind` line: an indented line there would continue its plain value
    // (`kind: A` + `  - x` is the one string "A - x").
    let mut after_kind = false;
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(first) = line.bytes().next() else {
            continue;
        };
        match first {
            b'#' => continue,
            b' ' => {
                let content = line.trim_start();
                if (!seen_key || after_kind) && !content.is_empty() && !content.starts_with('#') {
                    return Scan::Unsure;
                }
                continue;
            }
            b'-' if seen_key && (line.len() == 1 || line.as_bytes()[1] == b' ') => continue,
            _ => {}
        }
        let Some((key, value)) = key_line(line) else {
            return Scan::Unsure;
        };
        seen_key = true;
        after_kind = key == "kind";
        if !value_closes(value) {
            return Scan::Unsure;
        }
        if key == "kind" {
            if kind.is_some() {
                return Scan::Unsure;
            }
            match kind_value(value) {
                Some(k) => kind = Some(k),
                None => return Scan::Unsure,
            }
        }
    }
    if seen_key {
        Scan::Kind(kind)
    } else {
        Scan::Empty
    }
}

/// True when a `\r` is not followed by `\n` (cheap: a `memchr` search when there is none).
fn has_lone_carriage_return(body: &str) -> bool {
    body.contains('\r')
        && body
            .match_indices('\r')
            .any(|(i, _)| body.as_bytes().get(i + 1) != Some(&b'\n'))
}

/// Splits `key: value` where the key is plain and simple; `None` for anything else.
fn key_line(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let first = key.bytes().next()?;
    if !first.is_ascii_alphanumeric() && first != b'_' {
        return None;
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
    {
        return None;
    }
    let rest = &line[colon + 1..];
    match rest.bytes().next() {
        None => Some((key, "")),
        Some(b' ' | b'\t') => Some((key, rest.trim_start_matches([' ', '\t']))),
        Some(_) => None,
    }
}

/// True when a top-level value cannot run on into the next lines in a way that hides a key:
/// quoted scalars close on their line, flow collections are empty, and no anchor, alias or tag
/// is used (a tagged or aliased value may be anything).
fn value_closes(value: &str) -> bool {
    match value.bytes().next() {
        None | Some(b'#') => true,
        Some(b'"') => closing_double_quote(value).is_some(),
        Some(b'\'') => single_quoted(value).is_some_and(|(_, rest)| rest_is_blank(rest)),
        Some(b'[' | b'{') => {
            let v = strip_comment(value);
            v == "[]" || v == "{}"
        }
        Some(b'&' | b'*' | b'!' | b'%' | b'@' | b'`') => false,
        Some(_) => true,
    }
}

/// The kind named by a value, when it is a plain or quoted identifier.
fn kind_value(value: &str) -> Option<&str> {
    let v = strip_comment(value);
    let inner = if let Some(rest) = v.strip_prefix('"') {
        rest.strip_suffix('"')?
    } else if let Some(rest) = v.strip_prefix('\'') {
        rest.strip_suffix('\'')?
    } else if is_yaml11_bool(v) || v.eq_ignore_ascii_case("null") {
        // Plain `Yes`, `Off`, `Null`, ... are booleans and null in YAML 1.1, not strings.
        return None;
    } else {
        v
    };
    let mut bytes = inner.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic() && bytes.all(|b| b.is_ascii_alphanumeric())).then_some(inner)
}

/// The value without a trailing ` # comment` (only for values that contain no quote).
fn strip_comment(value: &str) -> &str {
    let end = value
        .find(" #")
        .or_else(|| value.find("\t#"))
        .unwrap_or(value.len());
    value[..end].trim_end()
}

fn closing_double_quote(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return rest_is_blank(&value[i + 1..]).then_some(i),
            _ => i += 1,
        }
    }
    None
}

fn rest_is_blank(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Scan)] = &[
            (
                "apiVersion: v1\nkind: ConfigMap\n",
                Scan::Kind(Some("ConfigMap")),
            ),
            (
                "# Source: x\nkind: \"Secret\"\n",
                Scan::Kind(Some("Secret")),
            ),
            ("kind: 'Service' # c\n", Scan::Kind(Some("Service"))),
            (
                "kind: Role\nrules:\n- apiGroups: [\"\"]\n",
                Scan::Kind(Some("Role")),
            ),
            (
                "data:\n  a: |\n    kind: Fake\n\n  b: x\nkind: X\n",
                Scan::Kind(Some("X")),
            ),
            ("metadata:\n  name: x\n", Scan::Kind(None)),
            ("", Scan::Empty),
            ("# only\n\n", Scan::Empty),
            ("{\"kind\": \"ConfigMap\"}\n", Scan::Unsure),
            ("kind: ConfigMap\nkind: Secret\n", Scan::Unsure),
            ("\"kind\": ConfigMap\n", Scan::Unsure),
            ("<<: *base\nkind: A\n", Scan::Unsure),
            ("kind: !!str A\n", Scan::Unsure),
            ("kind: &k A\n", Scan::Unsure),
            ("a: \"open\nkind: A\"\nkind: B\n", Scan::Unsure),
            ("a: [1,\n2]\nkind: B\n", Scan::Unsure),
            ("- a\n", Scan::Unsure),
            ("  kind: A\n", Scan::Unsure),
            ("kind: Deploy-ment\n", Scan::Unsure),
            ("kind:A\n", Scan::Unsure),
            ("...\n", Scan::Unsure),
            ("kind: A\r\nb: c\r\n", Scan::Kind(Some("A"))),
            ("kind: Y\n", Scan::Unsure),
            ("kind: Config\n  Map\n", Scan::Unsure),
            (
                "kind: A\n\n  # indented comment\nb: 1\n",
                Scan::Kind(Some("A")),
            ),
            ("kind: A\n# c\nb:\n  c: 1\n", Scan::Kind(Some("A"))),
            ("# c\rkind: Deployment\r", Scan::Unsure),
            ("kind: A\rkind: B\n", Scan::Unsure),
            ("kind: Off # c\n", Scan::Unsure),
            ("kind: NULL\n", Scan::Unsure),
            ("kind: \"Yes\"\n", Scan::Kind(Some("Yes"))),
            ("kind: A\n   - x\nb: c\n", Scan::Unsure),
            ("kind: A\n  # c\n\nb:\n  - x\n", Scan::Kind(Some("A"))),
        ];
        for (input, want) in cases {
            assert_eq!(scan(input), *want, "{input:?}");
        }
    }
}
