//! The unified diff of two texts, line by line, with Secret values masked.
//!
//! The diff runs on the real lines (a changed Secret value is a changed line), with the
//! patience algorithm: it anchors on lines that occur once on each side, so that a diff of two
//! large streams with moved documents stays near linear instead of Myers' worst case. Lines are
//! then shown through [`redact`] when they belong to a document that holds a Secret; only the
//! documents that appear in a hunk are looked at.

use std::collections::HashMap;

use similar::udiff::UnifiedHunkHeader;
use similar::{Algorithm, ChangeTag, TextDiff};

use super::redact::{redact, strip_eol};
use crate::stream::{Document, split};

/// One side of a unified diff: its lines and, for a manifest stream, its documents.
pub struct Side<'s, 'a> {
    lines: Vec<&'a str>,
    docs: Option<&'s [Document<'a>]>,
    /// Line index of each document's first line (its separator line, when it has one).
    first_lines: Vec<usize>,
    seps: Vec<&'a str>,
    redacted: HashMap<usize, Option<Vec<String>>>,
}

impl<'s, 'a> Side<'s, 'a> {
    /// A manifest stream and its documents (those of `Stream::split(text)`).
    pub fn stream(text: &'a str, docs: &'s [Document<'a>]) -> Self {
        let mut side = Side::plain(text);
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut line = 0;
        for chunk in split(body) {
            side.first_lines.push(line);
            side.seps.push(chunk.sep);
            line += count_lines(chunk.sep) + count_lines(chunk.body);
        }
        side.docs = Some(docs);
        side
    }

    /// Text that is not a manifest stream (an error message): shown as it is.
    pub fn plain(text: &'a str) -> Self {
        Side {
            lines: text.split_inclusive('\n').collect(),
            docs: None,
            first_lines: Vec::new(),
            seps: Vec::new(),
            redacted: HashMap::new(),
        }
    }

    /// Line `index` as shown: masked when it belongs to a document that holds a Secret.
    fn line(&mut self, index: usize) -> String {
        let raw = self.lines.get(index).copied().unwrap_or_default();
        let Some(docs) = self.docs else {
            return raw.to_string();
        };
        let chunk = self.first_lines.partition_point(|&f| f <= index);
        let Some(chunk) = chunk.checked_sub(1) else {
            return raw.to_string();
        };
        let Some(doc) = docs.get(chunk) else {
            return raw.to_string();
        };
        let lines = self.redacted.entry(chunk).or_insert_with(|| redact(doc));
        let Some(lines) = lines else {
            return raw.to_string();
        };
        let sep = self.seps[chunk];
        let k = index - self.first_lines[chunk];
        let shown = match (sep.is_empty(), sep.ends_with('\n'), k) {
            (true, _, k) => body_line(lines, k),
            (false, true, 0) => return raw.to_string(),
            (false, true, k) => body_line(lines, k - 1),
            (false, false, 0) => format!("{sep}{}", body_line(lines, 0)),
            (false, false, k) => body_line(lines, k),
        };
        format!("{shown}{}", &raw[strip_eol(raw).len()..])
    }
}

fn body_line(lines: &[String], k: usize) -> String {
    lines
        .get(k)
        .cloned()
        .unwrap_or_else(|| super::mask::MASK.to_string())
}

fn count_lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

/// The unified diff (a `--- old`/`+++ new` header when labels are given, hunks with `context`
/// lines around each change); empty when the texts are equal.
pub fn unified(
    old: &mut Side<'_, '_>,
    new: &mut Side<'_, '_>,
    labels: Option<(&str, &str)>,
    context: usize,
) -> String {
    let old_lines = old.lines.clone();
    let new_lines = new.lines.clone();
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_slices(&old_lines, &new_lines);
    let mut out = String::new();
    for group in diff.grouped_ops(context) {
        if group.is_empty() {
            continue;
        }
        if let Some((a, b)) = labels.filter(|_| out.is_empty()) {
            out.push_str(&format!("--- {a}\n+++ {b}\n"));
        }
        out.push_str(&format!("{}\n", UnifiedHunkHeader::new(&group)));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (mark, text) = match change.tag() {
                    ChangeTag::Equal => (' ', old.line(change.old_index().unwrap_or_default())),
                    ChangeTag::Delete => ('-', old.line(change.old_index().unwrap_or_default())),
                    ChangeTag::Insert => ('+', new.line(change.new_index().unwrap_or_default())),
                };
                out.push(mark);
                out.push_str(&text);
                if !text.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Stream;
    use crate::yaml::Limits;

    #[test]
    fn secret_lines_are_masked_and_others_shown() {
        let old = "---\n# Source: s.yaml\nkind: Secret\ndata:\n  password: b2xkY2FuYXJ5\n---\nkind: ConfigMap\ndata:\n  a: \"1\"\n";
        let new = "---\n# Source: s.yaml\nkind: Secret\ndata:\n  password: bmV3Y2FuYXJ5\n---\nkind: ConfigMap\ndata:\n  a: \"2\"\n";
        let limits = Limits::default();
        let (a, b) = (Stream::split(old, &limits), Stream::split(new, &limits));
        let out = unified(
            &mut Side::stream(old, a.docs()),
            &mut Side::stream(new, b.docs()),
            Some(("old", "new")),
            1,
        );
        assert!(!out.contains("Y2FuYXJ5"), "{out}");
        assert_eq!(
            out,
            "--- old\n+++ new\n@@ -4,3 +4,3 @@\n data:\n-  password: <masked>\n+  password: <masked>\n ---\n@@ -8,2 +8,2 @@\n data:\n-  a: \"1\"\n+  a: \"2\"\n"
        );
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let out = unified(
            &mut Side::plain("a\nb"),
            &mut Side::plain("a\nc"),
            Some(("x", "y")),
            3,
        );
        assert_eq!(
            out,
            "--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
    }
}
