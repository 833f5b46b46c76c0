//! The structural diff of two manifest streams: per resource, per path, what changed.
//!
//! Documents are paired ([`super::pair`]); each pair whose values differ lists its path changes
//! ([`super::tree`]); a pair with equal values but different bytes is a text-only change
//! (comments, formatting, key order). Drift means any document added, removed or changed in
//! value or bytes; documents that only moved are not drift (Helm sorts what it installs), but the
//! diff says so. Secret values are masked everywhere ([`super::mask`], [`super::redact`]).

use serde::Serialize;

use super::pair::{self, Id, Key, Pairing};
use super::tree::{self, PathChange};
use super::unified::{self, Side};
use crate::error::{Error, Result};
use crate::stream::{Document, Stream, split};
use crate::yaml::Limits;

/// What happened to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocChange {
    /// Values changed (see `paths`).
    Changed,
    /// Only in the new stream.
    Added,
    /// Only in the old stream.
    Removed,
    /// Same values, different bytes: comments, formatting or key order.
    Text,
}

/// Where a document is in its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loc {
    /// 1-based position in the stream.
    pub index: usize,
    /// 1-based line of the document's first line (for CI annotations).
    pub line: usize,
    /// The template it came from (`# Source:` or Helm 4's annotation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// One document's difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocDiff {
    /// What happened.
    pub change: DocChange,
    /// `apps/v1 Deployment backstage/backstage`, or `empty document`, ...
    pub label: String,
    /// The resource id, for an object with a kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Where it was (absent when added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Loc>,
    /// Where it is (absent when removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Loc>,
    /// The path changes (`changed` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathChange>,
}

/// The whole difference between two streams.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamDiff {
    /// True when a document was added, removed or changed (in value or bytes).
    pub drift: bool,
    /// True when the two streams are the same bytes.
    pub identical: bool,
    /// True when paired documents come in a different order.
    pub reordered: bool,
    /// Changed, added and removed documents: new-stream order, removed ones last.
    pub documents: Vec<DocDiff>,
    /// The unified diff of the bytes, Secret values masked (empty when not computed).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unified: String,
}

/// How to diff.
#[derive(Debug, Clone)]
pub struct DiffOptions<'l> {
    /// Names of the two sides, for messages and the unified diff header.
    pub labels: (&'l str, &'l str),
    /// Compute the unified diff whenever the bytes differ (not only on drift).
    pub always_unified: bool,
    /// Context lines around each unified-diff hunk.
    pub context: usize,
}

impl<'l> DiffOptions<'l> {
    /// Default options with these labels.
    pub fn new(old: &'l str, new: &'l str) -> Self {
        DiffOptions {
            labels: (old, new),
            always_unified: false,
            context: 3,
        }
    }
}

/// Diffs two manifest streams. Errors when a document that needs comparing is not valid YAML.
pub fn diff_streams(old: &str, new: &str, opts: &DiffOptions<'_>) -> Result<StreamDiff> {
    let limits = Limits::default();
    let identical = old == new;
    let (mut a, mut b) = (Stream::split(old, &limits), Stream::split(new, &limits));
    // Documents with identical bytes pair without a parse; the rest are parsed on all cores
    // before pairing and comparing read their values.
    let bytes = pair::by_bytes(a.docs(), b.docs());
    let (old_used, partner) = (&bytes.old_used, &bytes.partner);
    a.parse_ahead(|i| !old_used[i]);
    b.parse_ahead(|j| partner[j].is_none());
    let pairing =
        pair::pair_rest(a.docs(), b.docs(), bytes).map_err(|e| side_error(opts, &a, e))?;
    let (old_lines, new_lines) = (first_lines(old), first_lines(new));
    let loc = |docs: &[Document<'_>], lines: &[usize], i: usize| Loc {
        index: i + 1,
        line: lines.get(i).copied().unwrap_or(1),
        origin: docs[i].origin(),
    };
    let mut documents = Vec::new();
    for &(i, j) in &pairing.changed {
        let (x, y) = (a.docs()[i].value()?, b.docs()[j].value()?);
        let paths = match (x, y) {
            (Some(x), Some(y)) => tree::diff(x, y),
            _ => Vec::new(),
        };
        let change = if paths.is_empty() {
            DocChange::Text
        } else {
            DocChange::Changed
        };
        let (label, id) = describe(&b.docs()[j])?;
        documents.push(DocDiff {
            change,
            label,
            id,
            old: Some(loc(a.docs(), &old_lines, i)),
            new: Some(loc(b.docs(), &new_lines, j)),
            paths,
        });
    }
    push_lone(&mut documents, &pairing, &b, &new_lines, DocChange::Added)?;
    push_lone(&mut documents, &pairing, &a, &old_lines, DocChange::Removed)?;
    let drift = !documents.is_empty();
    let unified = if !identical && (drift || opts.always_unified) {
        unified::unified(
            &mut Side::stream(old, a.docs()),
            &mut Side::stream(new, b.docs()),
            Some(opts.labels),
            opts.context,
        )
    } else {
        String::new()
    };
    Ok(StreamDiff {
        drift,
        identical,
        reordered: pairing.reordered,
        documents,
        unified,
    })
}

fn push_lone(
    out: &mut Vec<DocDiff>,
    pairing: &Pairing,
    stream: &Stream<'_>,
    lines: &[usize],
    change: DocChange,
) -> Result<()> {
    let indices = match change {
        DocChange::Added => &pairing.added,
        _ => &pairing.removed,
    };
    for &i in indices {
        let doc = &stream.docs()[i];
        let (label, id) = describe(doc)?;
        let loc = Some(Loc {
            index: i + 1,
            line: lines.get(i).copied().unwrap_or(1),
            origin: doc.origin(),
        });
        let (old, new) = match change {
            DocChange::Added => (None, loc),
            _ => (loc, None),
        };
        out.push(DocDiff {
            change,
            label,
            id,
            old,
            new,
            paths: Vec::new(),
        });
    }
    Ok(())
}

fn describe(doc: &Document<'_>) -> Result<(String, Option<Id>)> {
    Ok(match pair::key_of(doc.value()?) {
        Key::Object(id) => (id.label(), Some(id)),
        Key::Empty => ("empty document (comments only)".into(), None),
        Key::Other => (format!("document {} (no kind)", doc.index()), None),
    })
}

/// The unified diff of two texts taken as manifest streams (Secret values masked), for when
/// no structural diff can be made (one side does not parse).
pub fn unified_streams(old: &str, new: &str, labels: (&str, &str), context: usize) -> String {
    let limits = Limits::default();
    let (a, b) = (Stream::split(old, &limits), Stream::split(new, &limits));
    unified::unified(
        &mut Side::stream(old, a.docs()),
        &mut Side::stream(new, b.docs()),
        Some(labels),
        context,
    )
}

/// Names the side whose document failed to parse.
fn side_error(opts: &DiffOptions<'_>, a: &Stream<'_>, err: Error) -> Error {
    let bad_old = a.docs().iter().any(|d| d.value().is_err());
    let label = if bad_old {
        opts.labels.0
    } else {
        opts.labels.1
    };
    Error::Input {
        message: format!("{label}: {err}"),
    }
}

/// The 1-based line of each document's first body line.
fn first_lines(text: &str) -> Vec<usize> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut line = 1;
    split(body)
        .into_iter()
        .map(|chunk| {
            line += chunk.sep.matches('\n').count();
            let first = line;
            line += chunk.body.matches('\n').count();
            first
        })
        .collect()
}
