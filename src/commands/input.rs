//! Reading a whole input (stdin or a file) into memory, and checking that it is UTF-8.
//!
//! A post-renderer reads all of its input before it writes anything (nothing is written on
//! error), so the input is one buffer, and touching that buffer for the first time is a large
//! part of reading it: with 4 KiB pages the kernel takes a page fault for every 4 KiB written
//! (12,000 for 50 MB, a fifth of a render's wall time). On Linux a large input is therefore read
//! into an anonymous mapping advised for transparent huge pages, one fault per 2 MiB where the
//! system allows it (`/sys/kernel/mm/transparent_hugepage/enabled` set to `madvise` or `always`);
//! small files, and other systems, read into a `Vec`.

use std::io::Read as _;
use std::os::fd::AsFd as _;
use std::path::Path;

use anyhow::Context as _;

/// Address space reserved for reading a pipe, whose size is unknown (stdin as Helm runs a
/// post-renderer, or `<(...)`). Growing a buffer by doubling copies it each time and holds the
/// old and the new copy at once; reserved address space costs nothing until a page is written
/// (Linux commits memory on first touch). A larger input still grows.
const PIPE_RESERVE: usize = 256 << 20;

/// The buffer a pipe is read into (by [`super::feed`]) where no mapping can be had; a larger
/// input's rest is read into memory of its own.
const HEAP_PIPE_BUFFER: usize = 1 << 20;

/// The size of a transparent huge page on the systems that have them.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// A file at least this large is read into a mapping advised for huge pages.
#[cfg(target_os = "linux")]
const MAPPED_MIN: usize = 2 * HUGE_PAGE;

/// Each reader of a file takes at least this much: starting a thread costs about as much as
/// reading a MiB (5 MB: 1.05 ms on one thread, 0.8 ms on two).
#[cfg(target_os = "linux")]
const READER_MIN: usize = 2 << 20;

/// A whole input, as bytes.
pub struct Bytes(Buffer);

pub(super) enum Buffer {
    Heap(Vec<u8>),
    #[cfg(target_os = "linux")]
    Mapped {
        map: memmap2::MmapMut,
        len: usize,
    },
}

impl Buffer {
    /// The bytes read into it.
    pub(super) fn filled(&self) -> &[u8] {
        match self {
            Buffer::Heap(bytes) => bytes,
            #[cfg(target_os = "linux")]
            Buffer::Mapped { map, len } => &map[..*len],
        }
    }

    /// All of it, to read into.
    pub(super) fn whole_mut(&mut self) -> &mut [u8] {
        match self {
            Buffer::Heap(bytes) => bytes,
            #[cfg(target_os = "linux")]
            Buffer::Mapped { map, .. } => map,
        }
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.filled()
    }
}

/// Reads a whole file, or stdin for `-`.
pub fn read_input(path: &Path) -> anyhow::Result<Bytes> {
    match open(path)? {
        Ok(file) => read_all(file).with_context(|| reading(path)),
        Err(bytes) => Ok(Bytes(Buffer::Heap(bytes))),
    }
}

/// A file, or stdin for `-`, opened to be read as a file: no buffer in between. A closed stdin
/// has no file, and reads as empty, as through `Stdin`: `Err` with what it read.
fn open(path: &Path) -> anyhow::Result<Result<std::fs::File, Vec<u8>>> {
    if path != Path::new("-") {
        return std::fs::File::open(path)
            .map(Ok)
            .with_context(|| reading(path));
    }
    match std::os::fd::AsFd::as_fd(&std::io::stdin()).try_clone_to_owned() {
        Ok(fd) => Ok(Ok(std::fs::File::from(fd))),
        Err(_) => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .context("reading stdin")?;
            Ok(Err(buf))
        }
    }
}

/// What reading `path` is called in errors.
fn reading(path: &Path) -> String {
    if path == Path::new("-") {
        "reading stdin".to_owned()
    } else {
        format!("reading {}", path.display())
    }
}

/// Opens a file, or stdin for `-`, with a buffer to read it into ([`super::feed`]): the file's
/// size for a regular file, else (a pipe) a reservation of address space, which costs nothing
/// until written (an input that outgrows it has its rest read apart). A closed stdin is read at
/// once: no file, and the buffer holds the input. Also the file's size, when known.
pub(super) fn input_file(path: &Path) -> anyhow::Result<(Option<std::fs::File>, Buffer, usize)> {
    let file = match open(path)? {
        Ok(file) => file,
        Err(bytes) => {
            let len = bytes.len();
            return Ok((None, Buffer::Heap(bytes), len));
        }
    };
    let size = known_size(&file);
    let expected = size.unwrap_or(0);
    #[cfg(target_os = "linux")]
    if let Some(map) = mapping(size) {
        let len = map.len();
        return Ok((Some(file), Buffer::Mapped { map, len }, expected));
    }
    // Never an abort: when even the `Vec` cannot be had, it is empty, and the reader reads the
    // input into memory of its own, which fails with an error. A `Vec` cannot reserve address
    // space without writing it, so a pipe gets only `HEAP_PIPE_BUFFER`.
    let size = size.unwrap_or(HEAP_PIPE_BUFFER);
    let mut heap = Vec::new();
    if heap.try_reserve_exact(size).is_ok() {
        heap.resize(size, 0);
    }
    Ok((Some(file), Buffer::Heap(heap), expected))
}

/// The size of stdin when it is a regular file (`overhelm render < file`), else 0.
pub fn stdin_file_len() -> u64 {
    std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .and_then(|fd| file_len(&std::fs::File::from(fd)))
        .unwrap_or(0)
}

/// The length of a regular file; `None` for anything else (a pipe, a terminal).
fn file_len(file: &std::fs::File) -> Option<u64> {
    file.metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// A regular file's size; `None` for a pipe, or any input whose size is unknown (a pipe is
/// widened first, see [`super::widen_pipe`]).
fn known_size(file: &std::fs::File) -> Option<usize> {
    let size = file_len(file).map(|len| usize::try_from(len).unwrap_or(usize::MAX));
    if size.is_none() {
        super::widen_pipe(file);
    }
    size
}

/// The mapping to read an input of `size` (`None`: a pipe) into, where one pays: a pipe's
/// reservation, or a file of at least `MAPPED_MIN`. For a pipe the first huge page is left to
/// ordinary pages, so that a small input (a single chart) does not pay for clearing 2 MiB.
#[cfg(target_os = "linux")]
fn mapping(size: Option<usize>) -> Option<memmap2::MmapMut> {
    match size {
        None => huge_mapping(PIPE_RESERVE, HUGE_PAGE).ok(),
        Some(size) if size >= MAPPED_MIN => huge_mapping(size, 0).ok(),
        Some(_) => None,
    }
}

/// Reads `file` to its end: a regular file into one allocation of its size, a pipe into
/// reserved address space ([`mapping`]).
fn read_all(mut file: std::fs::File) -> std::io::Result<Bytes> {
    let size = known_size(&file);
    #[cfg(target_os = "linux")]
    if let Some(map) = mapping(size) {
        return read_mapped(&mut file, map, size);
    }
    let mut buf = Vec::new();
    let _ = buf.try_reserve_exact(size.unwrap_or(PIPE_RESERVE));
    file.read_to_end(&mut buf)?;
    Ok(Bytes(Buffer::Heap(buf)))
}

/// Reads `file` into `map`, doubling it when the file turns out larger. A regular file's
/// known `size` is read on every core at once, each core clearing and filling its own part.
#[cfg(target_os = "linux")]
fn read_mapped(
    file: &mut std::fs::File,
    mut map: memmap2::MmapMut,
    size: Option<usize>,
) -> std::io::Result<Bytes> {
    let mut len = match size {
        Some(size) => read_parallel(file, &mut map[..size])?,
        None => 0,
    };
    loop {
        if len == map.len() {
            // Full: is there more? Only then pay for a larger mapping and the copy.
            let mut probe = [0u8; 4096];
            let n = retry(|| file.read(&mut probe))?;
            if n == 0 {
                break;
            }
            let mut larger = huge_mapping(map.len() * 2, 0)?;
            larger[..len].copy_from_slice(&map[..len]);
            larger[len..len + n].copy_from_slice(&probe[..n]);
            len += n;
            map = larger;
        }
        match retry(|| file.read(&mut map[len..]))? {
            0 => break,
            n => len += n,
        }
    }
    Ok(Bytes(Buffer::Mapped { map, len }))
}

/// Fills `buf` from `file`'s current position, in parts on every core (positioned reads, which
/// leave the position alone), then moves the position past what was read, as a plain read
/// would. Returns how much was read: less than `buf` when the file is shorter than its size
/// said, and then only the first part's bytes count (the rest is read again in order).
#[cfg(target_os = "linux")]
fn read_parallel(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::{Seek as _, SeekFrom};
    let start = file.stream_position()?;
    let parts = crate::stream::cores().min(buf.len() / READER_MIN).max(1);
    let part = buf.len().div_ceil(parts);
    let file_ref = &*file;
    let at = |i: usize| start + (i * part) as u64;
    // The first part on this thread, the others on their own.
    let filled: Vec<std::io::Result<usize>> = std::thread::scope(|scope| {
        let mut chunks = buf.chunks_mut(part).enumerate();
        let first = chunks.next();
        let others: Vec<_> = chunks
            .map(|(i, chunk)| scope.spawn(move || read_at_most(file_ref, chunk, at(i))))
            .collect();
        let first = first.map_or(Ok(0), |(_, chunk)| read_at_most(file_ref, chunk, start));
        std::iter::once(first)
            .chain(others.into_iter().map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("reader thread panicked")))
            }))
            .collect()
    });
    // Keep the longest prefix read without a gap.
    let mut len = 0;
    for (i, result) in filled.into_iter().enumerate() {
        let n = result?;
        len = i * part + n;
        if n < part {
            break;
        }
    }
    file.seek(SeekFrom::Start(start + len as u64))?;
    Ok(len)
}

/// Reads into `buf` from `at` until it is full or the file ends; returns how much was read.
#[cfg(target_os = "linux")]
fn read_at_most(file: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt as _;
    let mut done = 0;
    while done < buf.len() {
        match retry(|| file.read_at(&mut buf[done..], at + done as u64))? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

/// An anonymous mapping of at least `size` bytes, whole huge pages, advised for huge pages
/// from `skip` bytes in (best effort: a system without them uses ordinary pages).
#[cfg(target_os = "linux")]
fn huge_mapping(size: usize, skip: usize) -> std::io::Result<memmap2::MmapMut> {
    let len = size.max(1).div_ceil(HUGE_PAGE) * HUGE_PAGE;
    let map = memmap2::MmapOptions::new().len(len).map_anon()?;
    // Huge pages cover aligned 2 MiB ranges only: start at the first boundary past `skip`.
    let from = (map.as_ptr() as usize + skip).next_multiple_of(HUGE_PAGE) - map.as_ptr() as usize;
    if from < len {
        let _ = map.advise_range(memmap2::Advice::HugePage, from, len - from);
    }
    Ok(map)
}

/// Runs a read again when a signal interrupted it.
pub(super) fn retry(mut read: impl FnMut() -> std::io::Result<usize>) -> std::io::Result<usize> {
    loop {
        match read() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// The input as UTF-8, or an error that says where it is not.
pub fn utf8<'a>(bytes: &'a [u8], what: &str) -> anyhow::Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| not_utf8(&bytes[..e.valid_up_to()], what))
}

/// [`utf8`] for an owned buffer.
pub fn utf8_owned(bytes: Vec<u8>, what: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes)
        .map_err(|e| not_utf8(&e.as_bytes()[..e.utf8_error().valid_up_to()], what))
}

/// The error for an input that is not UTF-8; `before` is all of it before the invalid byte.
pub(super) fn not_utf8(before: &[u8], what: &str) -> anyhow::Error {
    let at = before.len();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let doc = crate::stream::split(&String::from_utf8_lossy(before))
        .len()
        .max(1);
    anyhow::anyhow!(
        "{what} is not UTF-8: invalid byte at offset {at} (line {line}, document {doc}); Kubernetes manifests are UTF-8 text"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek as _, Write as _};

    fn written(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn reads_small_and_large_files_whole() {
        // Around the sizes where a file goes to a mapping, and to more than one reader.
        for size in [0, 1, 4095, (4 << 20) - 1, 4 << 20, (17 << 20) + 12_345] {
            let bytes = pattern(size);
            let file = written(&bytes);
            assert_eq!(&*read_input(file.path()).unwrap(), &bytes[..], "{size}");
        }
    }

    #[test]
    fn a_file_is_read_from_its_position() {
        // `(head -c 10; overhelm) < file`: stdin shares its position with the shell.
        let bytes = pattern(17 << 20);
        let mut file = std::fs::File::open(written(&bytes).path()).unwrap();
        file.seek(std::io::SeekFrom::Start(10)).unwrap();
        assert_eq!(&*read_all(file.try_clone().unwrap()).unwrap(), &bytes[10..]);
        assert_eq!(file.stream_position().unwrap(), bytes.len() as u64);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_mapping_grows_when_the_input_is_larger_than_expected() {
        // A file that grew after its size was taken, or a pipe larger than the reservation.
        let bytes = pattern(3 * HUGE_PAGE + 777);
        for (size, pipe) in [(1, false), (HUGE_PAGE, true), (2 * HUGE_PAGE, false)] {
            let mut file = std::fs::File::open(written(&bytes).path()).unwrap();
            let map = huge_mapping(size, if pipe { HUGE_PAGE } else { 0 }).unwrap();
            let read = read_mapped(&mut file, map, (!pipe).then_some(size)).unwrap();
            assert_eq!(&*read, &bytes[..], "{size} {pipe}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_shorter_than_its_size_is_read_to_its_end() {
        // Two readers: the second part short, or the first already.
        let bytes = pattern(5 * HUGE_PAGE + 3);
        for size in [8 * HUGE_PAGE, 16 * HUGE_PAGE] {
            let mut file = std::fs::File::open(written(&bytes).path()).unwrap();
            let map = huge_mapping(size, 0).unwrap();
            let read = read_mapped(&mut file, map, Some(size)).unwrap();
            assert_eq!(&*read, &bytes[..], "{size}");
        }
    }

    #[test]
    fn an_invalid_byte_is_named_by_offset_line_and_document() {
        let bytes = b"a: 1\n---\nb: \xff\n";
        let err = utf8(bytes, "stdin").unwrap_err().to_string();
        assert!(err.contains("offset 12 (line 3, document 2)"), "{err}");
        let owned = utf8_owned(bytes.to_vec(), "stdin").unwrap_err().to_string();
        assert_eq!(err, owned);
    }
}
