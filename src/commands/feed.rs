//! Reading the manifest stream in pieces of whole documents, giving each on as soon as it is in,
//! so that the work on the first documents overlaps reading the rest ([`crate::render::prepare_fed`]).
//!
//! The input is read into one buffer, as [`super::read_input`] reads it (a mapping advised for
//! huge pages when large). Whenever at least `PIECE_BYTES` are in, the part before the last
//! separator line read so far holds only whole documents: it is checked to be UTF-8 and given
//! on, and reading goes on into the rest of the buffer. A cut before a separator line never
//! splits a document or a character, and the documents of the pieces are those of the whole
//! input ([`crate::stream::Cutter`]). An input larger than the buffer (a pipe past its
//! reservation) is read to its end into memory of its own and given last, as owned text.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;

use super::input::{Buffer, input_file, not_utf8, retry};
use crate::stream::{Piece, last_separator};

/// Give a piece on once it holds at least this much: large enough that handing it on costs
/// nothing next to its work, small enough that work starts early.
const PIECE_BYTES: usize = 128 << 10;

/// Read at most this much at once, so that pieces are cut while a large file is read.
const READ_BYTES: usize = 256 << 10;

/// An input opened for reading in pieces: the file (or stdin) and the buffer the pieces borrow.
pub struct Source {
    /// `None` when the input was read whole already (a closed stdin).
    file: Option<std::fs::File>,
    buf: Buffer,
    what: String,
    /// The input's size when known (a file's), else 0.
    expected: usize,
}

impl Source {
    /// Opens a file, or stdin for `-`; `what` names the input in errors.
    pub fn open(path: &Path, what: &str) -> anyhow::Result<Source> {
        let (file, buf, expected) = input_file(path)?;
        Ok(Source {
            file,
            buf,
            what: what.to_owned(),
            expected,
        })
    }

    /// The input's size in bytes when known before reading (a file), else 0.
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// Reads the input to its end, giving each piece on in order as soon as it is in.
    pub fn pieces<'a>(&'a mut self, mut give: impl FnMut(Piece<'a>)) -> anyhow::Result<()> {
        let what = self.what.as_str();
        let Some(file) = self.file.as_mut() else {
            let bytes = self.buf.filled();
            give(Piece::Borrowed(super::utf8(bytes, what)?));
            return Ok(());
        };
        let reading = || format!("reading {what}");
        let mut given: Vec<&'a [u8]> = Vec::new();
        let mut rest: &'a mut [u8] = self.buf.whole_mut();
        // `rest[..filled]` is read and not given yet; `rest[..searched]` was searched for
        // separator lines, and `cut` is the last one found there.
        let (mut filled, mut searched, mut cut) = (0, 0, None);
        loop {
            if filled == rest.len() {
                let mut more = Vec::new();
                file.read_to_end(&mut more).with_context(reading)?;
                if more.is_empty() {
                    break;
                }
                // The buffer is full: the rest goes to memory of its own.
                let mut tail = rest.to_vec();
                tail.extend_from_slice(&more);
                let text = String::from_utf8(tail).map_err(|e| {
                    let bad = e.utf8_error().valid_up_to();
                    not_utf8_after(&given, &e.as_bytes()[..bad], what)
                })?;
                give(Piece::Owned(text));
                return Ok(());
            }
            let end = filled + (rest.len() - filled).min(READ_BYTES);
            let n = retry(|| file.read(&mut rest[filled..end])).with_context(reading)?;
            if n == 0 {
                break;
            }
            filled += n;
            cut = last_separator(&rest[..filled], searched).or(cut);
            searched = filled;
            if let Some(at) = cut.filter(|&at| at >= PIECE_BYTES) {
                let (piece, tail) = std::mem::take(&mut rest).split_at_mut(at);
                (rest, filled, searched, cut) = (tail, filled - at, searched - at, None);
                give_checked(piece, &mut given, what, &mut give)?;
            }
        }
        let (piece, _) = std::mem::take(&mut rest).split_at_mut(filled);
        give_checked(piece, &mut given, what, &mut give)
    }
}

/// Gives `piece` on once it is checked to be UTF-8; the error names the invalid byte's place in
/// the whole input (`given` holds the pieces before).
fn give_checked<'a>(
    piece: &'a [u8],
    given: &mut Vec<&'a [u8]>,
    what: &str,
    give: &mut impl FnMut(Piece<'a>),
) -> anyhow::Result<()> {
    let text = std::str::from_utf8(piece)
        .map_err(|e| not_utf8_after(given, &piece[..e.valid_up_to()], what))?;
    given.push(piece);
    give(Piece::Borrowed(text));
    Ok(())
}

/// The error for an invalid byte after the pieces `given` and the valid bytes `valid` of the
/// next part: its place in the whole input.
fn not_utf8_after(given: &[&[u8]], valid: &[u8], what: &str) -> anyhow::Error {
    not_utf8(&[given.concat(), valid.to_vec()].concat(), what)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::stream::{Cutter, Stream};
    use crate::yaml::Limits;

    /// A stream with every form of separator, documents of many sizes (one larger than a
    /// piece), separators inside block scalars, CRLF and multi-byte characters.
    fn stream() -> String {
        let mut out = String::from("\u{feff}kind: First\n");
        for i in 0..400 {
            match i % 5 {
                0 => out.push_str(&format!(
                    "---\n# Source: c/t{i}.yaml\nkind: A\ndata:\n  x: |\n    ---\n    é{i}\n"
                )),
                1 => out.push_str(&format!("---apiVersion: v1\nkind: B{i}\n")),
                2 => out.push_str(&format!(
                    "--- # c\r\nkind: C\r\nv: \"{}\"\r\n",
                    "ü".repeat(i * 7)
                )),
                3 => out.push_str("---\n---\n"),
                _ => out.push_str(&format!(
                    "---\nkind: D\nbig: {}\n",
                    "y".repeat(if i == 204 { 300 << 10 } else { i * 31 })
                )),
            }
        }
        out
    }

    fn source(text: &[u8], buffer: usize) -> Source {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text).unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        Source {
            file: Some(file),
            buf: Buffer::Heap(vec![0; buffer]),
            what: "the test stream".into(),
            expected: text.len(),
        }
    }

    fn documents(source: &mut Source, limits: &Limits) -> Vec<(usize, String, String)> {
        let mut cutter = Cutter::new(limits);
        let mut docs = Vec::new();
        source
            .pieces(|piece| cutter.cut(piece, |doc| docs.push(doc)))
            .unwrap();
        docs.into_iter()
            .map(|doc| {
                let index = doc.index();
                let (sep, raw) = doc.into_output().unwrap();
                (index, sep.into_owned(), raw.into_owned())
            })
            .collect()
    }

    #[test]
    fn pieces_give_the_documents_of_the_whole_input() {
        let text = stream();
        assert!(text.len() > 4 * PIECE_BYTES);
        let limits = Limits::default();
        let whole: Vec<_> = Stream::split(&text, &limits)
            .into_docs()
            .into_iter()
            .map(|doc| {
                let index = doc.index();
                let (sep, raw) = doc.into_output().unwrap();
                (index, sep.into_owned(), raw.into_owned())
            })
            .collect();
        // A buffer the input's size, larger, and smaller (the rest read into memory of its
        // own at several places, one of them inside the large document).
        for buffer in [
            text.len(),
            text.len() + 4096,
            0,
            1000,
            3 * PIECE_BYTES + 17,
            text.len() - 1,
        ] {
            let got = documents(&mut source(text.as_bytes(), buffer), &limits);
            assert_eq!(got.len(), whole.len(), "buffer {buffer}");
            assert!(got == whole, "buffer {buffer}: documents differ");
        }
    }

    #[test]
    fn an_invalid_byte_in_a_later_piece_is_named_in_the_whole_input() {
        let mut text = stream().into_bytes();
        let at = text.len() - 100;
        text[at] = 0xff;
        let expected = super::super::utf8(&text, "the test stream")
            .unwrap_err()
            .to_string();
        for buffer in [text.len(), 2 * PIECE_BYTES] {
            let limits = Limits::default();
            let mut cutter = Cutter::new(&limits);
            let mut source = source(&text, buffer);
            let err = source
                .pieces(|piece| cutter.cut(piece, |_| ()))
                .unwrap_err();
            assert_eq!(err.to_string(), expected, "buffer {buffer}");
            assert!(expected.contains(&format!("offset {at} ")), "{expected}");
        }
    }
}
