//! Cutting a manifest stream into documents without parsing it.
//!
//! A line that starts with `---` at column 0 separates documents, whatever follows on the line:
//! the same rule as Helm's own splitter (`releaseutil.SplitManifests`), which also accepts the
//! broken `---apiVersion: v1` some templates produce. What follows `---` and its blanks on the
//! same line (`--- # comment`, `---apiVersion: v1`) belongs to the next document. A `---` that is
//! indented (inside a block scalar, say) is content. Nothing is lost: concatenating every
//! chunk's separator and body gives back the input exactly.

use super::Document;
use crate::yaml::Limits;

/// One document's bytes: the separator line (empty for a first document with none) and the
/// text up to the next separator, comments included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// `---` with the blanks that follow it and, when nothing else follows, the line end.
    pub sep: &'a str,
    /// Everything after the separator up to the next separator line.
    pub body: &'a str,
}

/// Splits `input` into chunks. A leading chunk with no separator is kept only when it holds
/// something (Helm 4 sends no leading `---`).
pub fn split(input: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut sep = "";
    let mut body_start = 0;
    let bytes = input.as_bytes();
    for line_start in separator_lines(input) {
        let line_end = match memchr::memchr(b'\n', &bytes[line_start..]) {
            Some(i) => line_start + i + 1,
            None => bytes.len(),
        };
        let sep_end = separator_end(bytes, line_start, line_end);
        if line_start > body_start || !sep.is_empty() {
            chunks.push(Chunk {
                sep,
                body: &input[body_start..line_start],
            });
        }
        sep = &input[line_start..sep_end];
        body_start = sep_end;
    }
    if body_start < bytes.len() || !sep.is_empty() {
        chunks.push(Chunk {
            sep,
            body: &input[body_start..],
        });
    }
    chunks
}

/// Where the last line that starts with `---` in `bytes[from..]` starts, when that is past the
/// start of `bytes`: everything before it is whole documents, so a stream can be cut there and
/// each part split on its own ([`Cutter`]) with the same result as splitting it whole.
pub fn last_separator(bytes: &[u8], from: usize) -> Option<usize> {
    // A separator that starts before `from` may end after it.
    let from = from.saturating_sub(3).min(bytes.len());
    memchr::memmem::rfind(&bytes[from..], b"\n---").map(|i| from + i + 1)
}

/// Part of a stream being read: borrowed from the input buffer, or text of its own when the
/// input outgrew the buffer.
pub enum Piece<'a> {
    /// Whole documents in the input buffer.
    Borrowed(&'a str),
    /// The input's last documents, when they did not fit in the buffer.
    Owned(String),
}

/// Cuts a stream into documents part by part, numbering them across parts: fed the parts of a
/// stream cut before separator lines ([`last_separator`]), it gives the documents
/// [`super::Stream::split`] gives for the whole stream, numbered alike.
pub struct Cutter<'a> {
    count: usize,
    limits: &'a Limits,
}

impl<'a> Cutter<'a> {
    /// A cutter at the start of a stream.
    pub fn new(limits: &'a Limits) -> Self {
        Cutter { count: 0, limits }
    }

    /// The documents of the next part of the stream, in order.
    pub fn cut(&mut self, piece: Piece<'a>, mut give: impl FnMut(Document<'a>)) {
        let mut number = || {
            self.count += 1;
            self.count
        };
        match piece {
            Piece::Borrowed(text) => {
                // A byte-order mark marks the encoding, not content; only the stream's first
                // part can start with one (a later part starts with `---`).
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
                for c in split(text) {
                    give(Document::read(c.sep, c.body, number(), self.limits));
                }
            }
            Piece::Owned(text) => {
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                for c in split(text) {
                    let (sep, body) = (c.sep.to_owned(), c.body.to_owned());
                    give(Document::read(sep, body, number(), self.limits));
                }
            }
        }
    }
}

/// Where the lines that start with `---` start. A vectorised search for `\n---` skips the
/// document bodies at memory speed, rather than looking at every line.
fn separator_lines(input: &str) -> impl Iterator<Item = usize> + '_ {
    let first = input.starts_with("---").then_some(0);
    let rest = memchr::memmem::find_iter(input.as_bytes(), b"\n---").map(|i| i + 1);
    first.into_iter().chain(rest)
}

/// Where the separator ends: after `---` and its blanks, and after the line end when nothing
/// else is on the line.
fn separator_end(bytes: &[u8], line_start: usize, line_end: usize) -> usize {
    let mut end = line_start + 3;
    while end < line_end && matches!(bytes[end], b' ' | b'\t') {
        end += 1;
    }
    let rest = &bytes[end..line_end];
    if rest.is_empty() || rest == b"\n" || rest == b"\r\n" || rest == b"\r" {
        line_end
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(input: &str) -> Vec<(&str, &str)> {
        split(input).into_iter().map(|c| (c.sep, c.body)).collect()
    }

    #[test]
    fn helm3_form() {
        let input = "---\n# Source: a.yaml\nkind: A\n---\n# Source: b.yaml\nkind: B\n";
        assert_eq!(
            parts(input),
            vec![
                ("---\n", "# Source: a.yaml\nkind: A\n"),
                ("---\n", "# Source: b.yaml\nkind: B\n")
            ]
        );
    }

    #[test]
    fn helm4_form_has_no_leading_separator() {
        assert_eq!(
            parts("kind: A\n---\nkind: B\n"),
            vec![("", "kind: A\n"), ("---\n", "kind: B\n")]
        );
    }

    #[test]
    fn consecutive_separators_and_comment_only_documents() {
        let input = "---\n# Source: t.yaml\n---\n# only a comment\n";
        assert_eq!(
            parts(input),
            vec![
                ("---\n", "# Source: t.yaml\n"),
                ("---\n", "# only a comment\n")
            ]
        );
        assert_eq!(parts("---\n---\n"), vec![("---\n", ""), ("---\n", "")]);
    }

    #[test]
    fn indented_separator_is_content() {
        let input = "data:\n  x: |\n    ---\n    y\n";
        assert_eq!(parts(input), vec![("", input)]);
    }

    #[test]
    fn text_after_separator_belongs_to_the_next_document() {
        assert_eq!(
            parts("---apiVersion: v1\n"),
            vec![("---", "apiVersion: v1\n")]
        );
        assert_eq!(
            parts("--- # c\nkind: A\n"),
            vec![("--- ", "# c\nkind: A\n")]
        );
    }

    #[test]
    fn crlf_separators() {
        assert_eq!(
            parts("---\r\nkind: A\r\n"),
            vec![("---\r\n", "kind: A\r\n")]
        );
    }

    #[test]
    fn empty_input_has_no_chunks() {
        assert!(split("").is_empty());
    }

    #[test]
    fn chunks_concatenate_to_the_input() {
        for input in [
            "a\n---\nb",
            "---",
            "--- \n---x\n\n",
            "x: 1\n---\r\n---\ty\n",
        ] {
            let joined: String = split(input)
                .iter()
                .map(|c| format!("{}{}", c.sep, c.body))
                .collect();
            assert_eq!(joined, input);
        }
    }
}
