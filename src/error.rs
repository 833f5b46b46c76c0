//! Typed errors of the library.
//!
//! Every error says what went wrong, where (the document's position in the stream, its
//! kind/name and the template it came from, or the overlay file and key) and, where there is one
//! obvious fix, what to do. Messages never carry document values of a Secret: steps only quote
//! values of the fields they own (images, hosts, quantities), never `data`/`stringData`.

use std::fmt;

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the manifest stream something is: enough for a person to find the document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocAt {
    /// 1-based position of the document in the input stream (0 for an injected document).
    pub index: usize,
    /// `Kind/name`, or `Kind/namespace/name` when the document names its namespace.
    pub id: Option<String>,
    /// The template the document came from (`# Source:` line or Helm 4's filename annotation).
    pub origin: Option<String>,
    /// 0-based item inside a `kind: List` document.
    pub item: Option<usize>,
}

impl fmt::Display for DocAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.index == 0 {
            write!(f, "injected document")?;
        } else {
            write!(f, "document {}", self.index)?;
        }
        if let Some(item) = self.item {
            write!(f, " item {item}")?;
        }
        match (&self.id, &self.origin) {
            (Some(id), Some(origin)) => write!(f, " ({id}, from {origin})"),
            (Some(id), None) => write!(f, " ({id})"),
            (None, Some(origin)) => write!(f, " (from {origin})"),
            (None, None) => Ok(()),
        }
    }
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input as a whole cannot be read (not UTF-8, over a limit).
    #[error("input: {message}")]
    Input {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A document is not valid YAML, or not a Kubernetes object where one is needed.
    #[error("{at}: {message}")]
    Yaml {
        /// The document.
        at: DocAt,
        /// The parser's message (line and column are relative to the document).
        message: String,
    },
    /// A step cannot do what an overlay key asks on one document.
    #[error("{at}: {key}: {message}")]
    Document {
        /// The document.
        at: DocAt,
        /// The overlay key, e.g. `registry.mirrors` or `tls[0].port`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An overlay key is wrong on its own or in view of the whole stream (a selector that
    /// matches nothing, a budget exceeded).
    #[error("overlay {key}: {message}")]
    Overlay {
        /// The overlay key, e.g. `waitFor[0].workload`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An overlay file cannot be read or does not follow the format.
    #[error("{file}: {message}")]
    OverlayFile {
        /// The file as given on the command line.
        file: String,
        /// What is wrong (with line and column) and how to fix it.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being read or written.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A step error on one document.
    pub fn doc(at: &DocAt, key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Document {
            at: at.clone(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// An overlay error that is not about one document.
    pub fn overlay(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Overlay {
            key: key.into(),
            message: message.into(),
        }
    }

    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
