//! Secret values hidden in the text of a document, line for line, for the unified diff.
//!
//! The unified diff is computed on the real bytes (a changed password is a changed line) and
//! each line that belongs to a document holding a Secret is shown through [`redact`], which
//! keeps the line count: `  password: c2VjcmV0` becomes `  password: <masked>`, a block
//! scalar's lines become `<masked>`. Keys and everything outside `data`/`stringData` (and the
//! `last-applied-configuration` annotation) stay as written, so a comment or label change in a
//! Secret is still readable.
//!
//! The line rules cover block-style YAML, which is what Helm writes. The keys they found are
//! checked against the parsed document; when anything is unusual (JSON, flow style, a Secret
//! inside a `kind: List`, a document that does not parse) every content line is masked instead.

use serde_json::Value;

use super::mask::{LAST_APPLIED, MASK, holds_secret, is_secret};
use crate::stream::Document;

/// The body's lines (without line ends) with Secret values masked, or `None` when the document
/// holds no Secret and is shown as it is.
pub fn redact(doc: &Document<'_>) -> Option<Vec<String>> {
    let value = match doc.value() {
        Ok(Some(v)) => v,
        Ok(None) => return None,
        Err(_) if doc.raw().contains("Secret") => return Some(mask_all(doc.raw())),
        Err(_) => return None,
    };
    if !holds_secret(value) {
        return None;
    }
    if is_secret(value) {
        if let Some(lines) = by_lines(doc.raw(), value) {
            return Some(lines);
        }
    }
    Some(mask_all(doc.raw()))
}

/// Every line masked except the leading comment lines (Helm's `# Source:`).
fn mask_all(raw: &str) -> Vec<String> {
    let mut in_header = true;
    raw.split_inclusive('\n')
        .map(|line| {
            let content = strip_eol(line);
            let t = content.trim_start();
            in_header &= t.is_empty() || t.starts_with('#');
            if in_header {
                content.to_string()
            } else {
                MASK.to_string()
            }
        })
        .collect()
}

enum State {
    Top,
    Section {
        section: usize,
        entry: Option<usize>,
    },
    Skip {
        indent: usize,
    },
}

/// What the line rules found, to be checked against the parsed document.
#[derive(Default)]
struct Found {
    keys: [Vec<String>; 2],
    last_applied: bool,
}

const SECTIONS: [&str; 2] = ["data", "stringData"];

fn by_lines(raw: &str, value: &Value) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut found = Found::default();
    let mut state = State::Top;
    for line in raw.split_inclusive('\n') {
        let content = strip_eol(line);
        let indent = content.len() - content.trim_start_matches(' ').len();
        let t = &content[indent..];
        let (blank, comment) = (t.trim().is_empty(), t.starts_with('#'));
        let masked = || format!("{}{MASK}", &content[..indent]);
        match state {
            State::Skip { indent: n } if blank || indent > n => {
                out.push(masked());
                continue;
            }
            State::Section { .. } if blank => {
                out.push(String::new());
                continue;
            }
            State::Section { .. } if indent == 0 && (comment || t.starts_with('-')) => {
                out.push(masked());
                continue;
            }
            State::Section { section, entry } if indent > 0 => {
                let entry = entry.unwrap_or(indent);
                state = State::Section {
                    section,
                    entry: Some(entry),
                };
                match key(t).filter(|_| indent == entry && !comment) {
                    Some((text, key)) => {
                        found.keys[section].push(key);
                        out.push(format!("{}{text}: {MASK}", &content[..indent]));
                    }
                    None => out.push(masked()),
                }
                continue;
            }
            _ => state = State::Top,
        }
        if blank || comment {
            out.push(content.to_string());
        } else if indent == 0 {
            let (text, key, rest) = top_key(t)?;
            match SECTIONS.iter().position(|s| *s == key) {
                Some(section) if rest.is_empty() || rest.starts_with('#') => {
                    out.push(format!("{text}:"));
                    state = State::Section {
                        section,
                        entry: None,
                    };
                }
                Some(_) if rest.starts_with(['{', '[', '"', '\'']) => return None,
                Some(_) => {
                    out.push(format!("{text}: {MASK}"));
                    state = State::Skip { indent: 0 };
                }
                None => out.push(content.to_string()),
            }
        } else if let Some((text, LAST_APPLIED)) = key(t).as_ref().map(|(t, k)| (*t, k.as_str())) {
            found.last_applied = true;
            out.push(format!("{}{text}: {MASK}", &content[..indent]));
            state = State::Skip { indent };
        } else {
            out.push(content.to_string());
        }
    }
    agrees(&found, value).then_some(out)
}

/// True when the line rules saw exactly the document's Secret keys and its annotation.
fn agrees(found: &Found, value: &Value) -> bool {
    let sections_agree =
        SECTIONS
            .iter()
            .zip(&found.keys)
            .all(|(section, keys)| match value.get(*section) {
                None | Some(Value::Null) => keys.is_empty(),
                Some(Value::Object(map)) => map.keys().eq(keys.iter()),
                Some(_) => keys.is_empty(),
            });
    let has_last_applied = value
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(LAST_APPLIED))
        .is_some();
    sections_agree && (found.last_applied || !has_last_applied)
}

/// A top-level line's key (as written and as read) and what follows the colon; `None` for a
/// line that is not a plain `key: ...` (flow style, directives, anchors, ...).
fn top_key(t: &str) -> Option<(&str, String, &str)> {
    let (text, key) = key(t)?;
    let rest = t[text.len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    Some((text, key, rest))
}

/// The key of a `key: value` line (as written, and as read), if the line is one.
fn key(t: &str) -> Option<(&str, String)> {
    let (text, key) = match t.as_bytes().first()? {
        b'"' => {
            let end = closing(t, b'"')?;
            let text = &t[..=end];
            (text, serde_json::from_str::<String>(text).ok()?)
        }
        b'\'' => {
            let end = closing(t, b'\'')?;
            let text = &t[..=end];
            (text, text[1..text.len() - 1].replace("''", "'"))
        }
        b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
        | b'|' | b'>' | b'%' | b'@' | b'`' => return None,
        _ => {
            let colon = t
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| t[i + 1..].is_empty() || t[i + 1..].starts_with([' ', '\t']))?;
            let text = t[..colon].trim_end();
            (text, text.to_string())
        }
    };
    let after = t[text.len()..].trim_start_matches([' ', '\t']);
    let rest = after.strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some((text, key))
}

fn closing(t: &str, quote: u8) -> Option<usize> {
    let bytes = t.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b if b == quote && quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// A line without its `\n` or `\r\n`.
pub fn strip_eol(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Limits;

    fn run(raw: &str) -> Option<String> {
        let limits = Limits::default();
        let doc = Document::read("---\n", raw, 1, &limits);
        redact(&doc).map(|lines| lines.join("\n"))
    }

    #[test]
    fn block_secret_keeps_keys_and_line_count() {
        let raw = "# Source: c/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"data\":{\"password\":\"Y2FuYXJ5\"}}\ntype: Opaque\ndata:\n  password: Y2FuYXJ5\n  \"tls.crt\": Y2FuYXJ5\nstringData:\n  config.yaml: |\n    token: canary\n\n    more: canary\n";
        let out = run(raw).unwrap();
        assert!(
            !out.contains("Y2FuYXJ5") && !out.contains("canary"),
            "{out}"
        );
        assert_eq!(out.lines().count(), raw.lines().count());
        assert!(
            out.contains("\n  password: <masked>\n  \"tls.crt\": <masked>\n"),
            "{out}"
        );
        assert!(
            out.contains("\n  config.yaml: <masked>\n    <masked>\n\n    <masked>"),
            "{out}"
        );
        assert!(out.starts_with("# Source: c/templates/secret.yaml\napiVersion: v1\n"));
    }

    #[test]
    fn unusual_secrets_are_masked_whole() {
        for raw in [
            "{\"kind\": \"Secret\", \"data\": {\"p\": \"Y2FuYXJ5\"}}\n",
            "kind: Secret\ndata: {p: Y2FuYXJ5}\n",
            "kind: List\nitems:\n- kind: Secret\n  data:\n    p: Y2FuYXJ5\n",
            "kind: Secret\ndata:\n  p: Y2FuYXJ5\n  p: dup\n",
        ] {
            let out = run(raw).unwrap();
            assert!(!out.contains("Y2FuYXJ5"), "{raw} -> {out}");
            assert_eq!(out.lines().count(), raw.lines().count());
        }
    }

    #[test]
    fn other_documents_are_left_alone() {
        assert_eq!(run("kind: ConfigMap\ndata:\n  p: visible\n"), None);
        assert_eq!(run("# only a comment\n"), None);
    }
}
