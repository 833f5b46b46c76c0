//! The unified diff of two texts, line by line, with Secret values masked.
//!
//! The diff runs on the real lines (a changed Secret value is a changed line), with the
//! patience algorithm: it anchors on lines that occur once on each side, so that a diff of two
//! large streams with moved documents stays near linear instead of Myers' worst case. Lines are
//! then shown through [`redact`] when they belong to a document that holds a Secret; only the
//! documents that appear in a hunk are looked at.

use std::collections::HashMap;

use similar::udiff::UnifiedHunkHeader;
use similar::{Algorithm, DiffOp, capture_diff_slices, group_diff_ops};

use super::redact::{redact, strip_eol};
use crate::stream::{Document, split};

/// One side of a unified diff: its lines and, for a manifest stream, its documents.
pub struct Side<'s, 'a> {
    text: &'a str,
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
            text,
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

impl<'a> Side<'_, 'a> {
    /// The text of each document (lines before the first document, none in practice, are an
    /// item of their own): the items of the document-level diff, and the first line of each
    /// item with the end of the last one after them.
    fn doc_lines(&self) -> (Vec<&'a str>, Vec<usize>) {
        let mut at = self.first_lines.clone();
        if at.first() != Some(&0) {
            at.insert(0, 0);
        }
        at.push(self.lines.len());
        let offset = |line: usize| {
            self.lines.get(line).map_or(self.text.len(), |l| {
                l.as_ptr() as usize - self.text.as_ptr() as usize
            })
        };
        let items = at
            .windows(2)
            .map(|w| &self.text[offset(w[0])..offset(w[1])])
            .collect();
        (items, at)
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
    let mut out = String::new();
    for group in group_diff_ops(line_ops(old, new), context) {
        if group.is_empty() {
            continue;
        }
        if let Some((a, b)) = labels.filter(|_| out.is_empty()) {
            out.push_str(&format!("--- {a}\n+++ {b}\n"));
        }
        out.push_str(&format!("{}\n", UnifiedHunkHeader::new(&group)));
        for op in &group {
            let (o, n) = (op.old_range(), op.new_range());
            let lines = match op {
                DiffOp::Equal { .. } => o.map(|i| (' ', old.line(i))).collect::<Vec<_>>(),
                _ => o
                    .map(|i| ('-', old.line(i)))
                    .chain(n.map(|j| ('+', new.line(j))))
                    .collect(),
            };
            for (mark, text) in lines {
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

/// The line diff of two sides. Two manifest streams are diffed in two levels: documents first
/// (a document of identical lines on both sides is one item), then the lines of the documents
/// that differ, so a large stream with a few changed documents costs little more than a pass
/// over its lines.
fn line_ops(old: &Side<'_, '_>, new: &Side<'_, '_>) -> Vec<DiffOp> {
    if old.docs.is_none() || new.docs.is_none() {
        return capture_diff_slices(Algorithm::Patience, &old.lines, &new.lines);
    }
    let ((old_docs, old_at), (new_docs, new_at)) = (old.doc_lines(), new.doc_lines());
    let mut ops: Vec<DiffOp> = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, &old_docs, &new_docs) {
        let (o, n) = (op.old_range(), op.new_range());
        let (o_start, n_start) = (old_at[o.start], new_at[n.start]);
        let (o_len, n_len) = (old_at[o.end] - o_start, new_at[n.end] - n_start);
        if let DiffOp::Equal { .. } = op {
            push_op(
                &mut ops,
                DiffOp::Equal {
                    old_index: o_start,
                    new_index: n_start,
                    len: o_len,
                },
            );
            continue;
        }
        let (a, b) = (
            &old.lines[o_start..o_start + o_len],
            &new.lines[n_start..n_start + n_len],
        );
        for op in capture_diff_slices(Algorithm::Patience, a, b) {
            push_op(&mut ops, shift(op, o_start, n_start));
        }
    }
    ops
}

/// Appends an op, joining it to a preceding equal run.
fn push_op(ops: &mut Vec<DiffOp>, op: DiffOp) {
    if let (Some(DiffOp::Equal { len, .. }), DiffOp::Equal { len: more, .. }) =
        (ops.last_mut(), &op)
    {
        *len += more;
        return;
    }
    ops.push(op);
}

/// An op of a sub-diff moved to where its lines start on each side.
fn shift(op: DiffOp, o: usize, n: usize) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + o,
            new_index: new_index + n,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + o,
            old_len,
            new_index: new_index + n,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + o,
            new_index: new_index + n,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + o,
            old_len,
            new_index: new_index + n,
            new_len,
        },
    }
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

    /// With context enough for one hunk, the context and `-` lines are the old text and the
    /// context and `+` lines the new one: the two-level diff loses and invents nothing.
    #[test]
    fn two_level_diff_rebuilds_both_sides() {
        let docs = [
            "kind: A\nv: 1\n",
            "kind: B\nv: 2\nw: 3\n",
            "kind: C\nv: 4\n",
            "kind: D\nv: 5\n",
        ];
        let cases: [(&[usize], &[usize]); 6] = [
            (&[0, 1, 2, 3], &[0, 2, 1, 3]),
            (&[0, 1, 2, 3], &[3, 0, 1]),
            (&[], &[0, 1]),
            (&[0, 1], &[]),
            (&[0, 0, 1], &[1, 0, 2, 0]),
            (&[0, 1, 2, 3], &[0, 1, 2, 3]),
        ];
        let limits = Limits::default();
        for (old, new) in cases {
            let text = |ix: &[usize]| {
                ix.iter()
                    .map(|&i| format!("---\n{}", docs[i]))
                    .collect::<String>()
            };
            let (old, new) = (text(old), text(new));
            let new = new.replace("v: 2", "v: 22");
            let (a, b) = (Stream::split(&old, &limits), Stream::split(&new, &limits));
            let out = unified(
                &mut Side::stream(&old, a.docs()),
                &mut Side::stream(&new, b.docs()),
                None,
                1 << 20,
            );
            let side = |keep: char| {
                out.lines()
                    .skip(1)
                    .filter(|l| l.starts_with(' ') || l.starts_with(keep))
                    .map(|l| format!("{}\n", &l[1..]))
                    .collect::<String>()
            };
            if old == new {
                assert_eq!(out, "");
            } else {
                assert_eq!((side('-'), side('+')), (old.clone(), new.clone()), "{out}");
            }
        }
    }
}
