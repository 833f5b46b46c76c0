//! A stream whose every document is text again, ready to be written in one pass.
//!
//! [`super::Stream::finish`] turns each changed document back into text and keeps each
//! unchanged one as a slice of the input, so the output is never a second copy of the stream in
//! memory and writing it cannot fail except on I/O: all-or-nothing holds even when the output
//! goes straight to stdout.

use std::borrow::Cow;
use std::io::{self, IoSlice, Write};

/// The output of a stream: each document's separator and text, in order.
#[derive(Debug)]
pub struct Finished<'a> {
    parts: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// What an output with no content is written as (Helm 4 refuses empty output; Argo CD would
/// prune everything).
const NOTHING: &str = "---\n";

impl<'a> Finished<'a> {
    pub(crate) fn new(parts: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Self {
        Finished { parts }
    }

    /// The size of the output in bytes (at most one line end more per document).
    pub fn len_hint(&self) -> usize {
        self.parts.iter().map(|(s, t)| s.len() + t.len() + 1).sum()
    }

    fn is_blank(&self) -> bool {
        self.parts
            .iter()
            .all(|(s, t)| s.trim().is_empty() && t.trim().is_empty())
    }

    /// Writes the output to `out` in one pass: the pieces are handed to the system together,
    /// `WRITE_PIECES` at a time (`writev`), so neither many small writes nor a copy into a
    /// buffer first.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let mut pieces = Vec::with_capacity(WRITE_PIECES);
        self.each_piece(|piece| {
            pieces.push(IoSlice::new(piece.as_bytes()));
            if pieces.len() == WRITE_PIECES {
                write_all_vectored(out, &mut pieces)?;
                pieces.clear();
            }
            Ok(())
        })?;
        write_all_vectored(out, &mut pieces)?;
        out.flush()
    }

    /// The output as one string.
    pub fn into_string(self) -> String {
        let mut out = String::with_capacity(self.len_hint());
        let _ = self.each_piece(|piece| {
            out.push_str(piece);
            Ok(())
        });
        out
    }

    /// Gives the output piece by piece: a document that does not end its last line gets a line
    /// end before the next document; an output with no content is `---`.
    fn each_piece<'s>(&'s self, mut emit: impl FnMut(&'s str) -> io::Result<()>) -> io::Result<()> {
        if self.is_blank() {
            return emit(NOTHING);
        }
        let mut wrote = false;
        let mut at_line_start = true;
        for (sep, text) in &self.parts {
            if wrote && !at_line_start {
                emit("\n")?;
                at_line_start = true;
            }
            for piece in [sep, text] {
                if !piece.is_empty() {
                    emit(piece)?;
                    at_line_start = piece.ends_with('\n');
                    wrote = true;
                }
            }
        }
        Ok(())
    }
}

/// How many pieces [`Finished::write_to`] gives the system at once: Linux's `IOV_MAX`.
const WRITE_PIECES: usize = 1024;

/// Writes every byte of `pieces`, in order (`Write::write_all_vectored` is not stable yet).
fn write_all_vectored(out: &mut impl Write, mut pieces: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut pieces, 0);
    while !pieces.is_empty() {
        match out.write_vectored(pieces) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut pieces, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(parts: &[(&'static str, &'static str)]) -> String {
        Finished::new(
            parts
                .iter()
                .map(|(s, t)| (Cow::Borrowed(*s), Cow::Borrowed(*t)))
                .collect(),
        )
        .into_string()
    }

    #[test]
    fn line_ends_only_between_documents() {
        assert_eq!(
            output(&[("", "kind: A"), ("---", "kind: B\n")]),
            "kind: A\n---kind: B\n"
        );
        assert_eq!(output(&[("--- ", "# c\nkind: A")]), "--- # c\nkind: A");
        assert_eq!(output(&[("", "\n"), ("", " \n")]), "---\n");
        assert_eq!(output(&[]), "---\n");
    }
}
