//! The one file that names the YAML crate.
//!
//! overhelm reads and writes YAML with serde-saphyr into `serde_json::Value` (key order kept by
//! `preserve_order`). serde-saphyr is the only maintained crate measured to write back every
//! YAML-1.1-ambiguous string (`"on"`, `"yes"`, `"y"`, `"0755"`, `"1e3"`, `"~"`) quoted, so that
//! Kubernetes, which reads YAML 1.1, reads the same values overhelm meant (see the README).
//!
//! Settings, all chosen to read manifests the way Helm and kubectl (goyaml.v2) do:
//! - `legacy_octal_numbers`: an unquoted `0755` is the number 493, as Kubernetes reads it;
//! - duplicate keys are an error (kubectl refuses them too);
//! - no source snippet in parse errors, so that an error never prints a Secret's value;
//! - long strings are never folded on output (`folded_wrap_chars: usize::MAX`).
//!
//! [`Limits`] bound every parse: nesting depth, node and alias counts, document size.
//!
//! Speed: [`parse`] builds the documents Helm charts usually emit straight from the parser's
//! events, and [`surely_valid`] checks a document from its events without building anything
//! (what lets a render check every document it does not change); both hand anything unusual to
//! serde-saphyr, so the result is always serde-saphyr's (`yaml/events.rs`).

mod emit;
mod events;
mod lines;
mod quoting;
mod scalars;
mod sink;

/// The fast paths one by one, for the property tests (`tests/fast_paths.rs`) that hold each of
/// them to serde-saphyr's answer; use [`parse`] and [`surely_valid`] instead.
#[doc(hidden)]
pub mod fast {
    pub use super::emit::write as emit;
    pub use super::events::{build as build_events, check as check_events};
    pub use super::lines::{build as build_lines, check as check_lines};
}

pub use lines::RootKind;
pub(crate) use quoting::is_yaml11_bool;
pub(crate) use scalars::single_quoted;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest `max_depth` the command line accepts: the bound of goyaml, the YAML reader of Helm
/// and Kubernetes ("exceeded max depth of 10000").
/// Parsing recurses once per level (about 22 KiB of stack per level in a debug build, 5 KiB
/// optimised), so a caller of [`parse`] must give its thread enough stack for the depth it allows;
/// the `overhelm` binary reserves 512 MiB.
pub const MAX_DEPTH: usize = 10_000;

/// Bounds for one parsed document. Every bound is an error when exceeded, never a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest document, in bytes (`--max-document-bytes`).
    pub max_document_bytes: usize,
    /// Deepest nesting of mappings and sequences (`--max-depth`).
    pub max_depth: usize,
    /// Most nodes (scalars, mappings, sequences) in one document.
    pub max_nodes: usize,
    /// Most alias uses (`*name`) in one document; bounds "billion laughs" expansion.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // etcd refuses objects over about 1.5 MiB; 64 MiB leaves room for odd
            // `helm template` uses while bounding memory.
            max_document_bytes: 64 << 20,
            max_depth: 256,
            max_nodes: 10_000_000,
            max_aliases: 10_000,
        }
    }
}

impl Limits {
    /// Most nodes that alias replay may produce in one document.
    fn max_replayed(&self) -> usize {
        self.max_aliases.saturating_mul(10).min(self.max_nodes / 10)
    }

    fn options(&self) -> serde_saphyr::Options {
        // Every budget the parser has is tied to one of the four documented limits, so that a
        // breach can always say which flag raises it. Replaying aliases is what makes an alias
        // bomb expensive (a replayed node costs several times a parsed one), so the replay
        // budget is 10 nodes per alias, and never more than a tenth of `max_nodes`.
        let replayed = self.max_replayed();
        serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_reader_input_bytes: None,
                max_documents: usize::MAX,
                max_nodes: self.max_nodes,
                max_events: self.max_nodes.saturating_mul(4),
                max_total_scalar_bytes: self.max_document_bytes,
                max_recorded_anchor_bytes: self.max_document_bytes,
                max_depth: self.max_depth,
                flow_nesting_limit: self.max_depth,
                max_aliases: self.max_aliases,
                max_anchors: self.max_aliases,
                max_merge_keys: self.max_aliases,
                max_recorded_anchor_events: replayed,
                // A ratio heuristic could refuse a valid document that no flag can let through;
                // the replay budgets above already bound the cost.
                enforce_alias_anchor_ratio: false,
            },
            alias_limits: serde_saphyr::alias_limits! {
                max_total_replayed_events: replayed,
            },
            legacy_octal_numbers: true,
            with_snippet: false,
        }
    }
}

/// Parses one chunk of text (one document between `---` lines) into its YAML documents: none
/// for an empty or comment-only chunk, usually one, more only when the chunk uses `...` ends.
pub fn parse(text: &str, limits: &Limits) -> Result<Vec<Value>, String> {
    if text.len() > limits.max_document_bytes {
        return Err(format!(
            "the document is {} bytes, over the limit of {} (raise it with --max-document-bytes)",
            text.len(),
            limits.max_document_bytes
        ));
    }
    // Most manifests are built from their lines (`yaml/lines.rs`), most of the rest from the
    // parser's events (`yaml/events.rs`); anything unusual, and every error, goes through
    // serde-saphyr.
    if let Some(value) = build_fast(text, limits) {
        return Ok(value.into_iter().collect());
    }
    parse_reference(text, limits)
}

/// The value of `text` (none for an empty or comment-only text) built by the fast paths, lines
/// first, then events; `None` when neither is sure.
fn build_fast(text: &str, limits: &Limits) -> Option<Option<Value>> {
    lines::build(text, limits).or_else(|| events::build(text, limits))
}

/// [`parse`] by serde-saphyr alone, without the fast path: what `parse` must always equal (the
/// property tests compare them).
pub fn parse_reference(text: &str, limits: &Limits) -> Result<Vec<Value>, String> {
    if text.len() > limits.max_document_bytes {
        return parse(text, limits);
    }
    serde_saphyr::from_multiple_with_options(text, limits.options())
        .map_err(|e| explain(&e, limits))
}

/// True when [`parse`] would surely accept `text` and give no document or one mapping; false when
/// not sure (then parse it to know, and to get the error message). A line-by-line check of the
/// usual block YAML first (`yaml/lines.rs`, at about the speed of reading), else the parser's
/// events (`yaml/events.rs`, several times cheaper than a parse).
pub fn surely_valid(text: &str, limits: &Limits) -> bool {
    lines::check(text, limits).is_some() || events::check(text, limits)
}

/// The line check alone (see [`surely_valid`]): when sure that `text` is valid, its root
/// mapping's `kind` as well, so that a caller that checks anyway need not scan for it.
pub fn check_lines<'t>(text: &'t str, limits: &Limits) -> Option<RootKind<'t>> {
    lines::check(text, limits)
}

/// Reads a trusted configuration file (an overlay, a golden case) into a typed value. Errors
/// carry line, column, a source snippet and, for unknown keys, the keys that are valid.
///
/// A file whose value the fast paths are sure of, and that has the shape `T` wants, is read
/// without serde-saphyr's deserializer (a fifth of the cost; every render reads its overlay);
/// anything else, and every error, goes through serde-saphyr ([`from_str_reference`]), which
/// the tests hold this to.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    match build_fast(text, &Limits::default())
        .flatten()
        .map(serde_json::from_value)
    {
        Some(Ok(typed)) => Ok(typed),
        _ => from_str_reference(text),
    }
}

/// [`from_str`] by serde-saphyr alone, without the fast path.
pub fn from_str_reference<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let options = serde_saphyr::options! { legacy_octal_numbers: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| tidy(&e.to_string()))
}

/// Writes a value as one YAML document (no leading `---`), ending in a newline.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    let mut text =
        serde_saphyr::to_string_with_options(value, options).map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// The message for a parse error of an untrusted document: a breached limit names its flag, and
/// no message quotes a scalar of the document (it may be a Secret's value).
fn explain(err: &serde_saphyr::Error, limits: &Limits) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let at = err
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
        .unwrap_or_default();
    let over = |what: &str, limit: usize, flag: &str| {
        format!(
            "{what} is over the limit of {limit}{at} (raise it with --{flag} if the document is meant to be this way)"
        )
    };
    let aliases = || {
        format!(
            "alias use is over the limit of {} aliases or {} nodes expanded from them{at} (the expansion limit is 10 nodes per alias and at most a tenth of --max-nodes; raise --max-aliases, and --max-nodes, if the document is meant to be this way)",
            limits.max_aliases,
            limits.max_replayed()
        )
    };
    match err {
        E::AliasError { error, .. } => explain(error, limits),
        E::Budget { breach, .. } => match breach {
            B::Depth { .. } => over("nesting depth", limits.max_depth, "max-depth"),
            B::Nodes { .. } | B::Events { .. } => {
                over("the number of YAML nodes", limits.max_nodes, "max-nodes")
            }
            B::ScalarBytes { .. } | B::InputBytes { .. } | B::RecordedAnchorBytes { .. } => over(
                "the size in bytes",
                limits.max_document_bytes,
                "max-document-bytes",
            ),
            _ => aliases(),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => aliases(),
        E::ExternalMessage { source, .. }
            if matches!(source.as_ref(), serde_saphyr::ExternalMessageSource::Parser(e)
                if *e.kind() == serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded) =>
        {
            over("nesting depth", limits.max_depth, "max-depth")
        }
        E::NonFiniteFloat { .. } => format!(
            "a number that is not finite (.nan, .inf or too large){at}: JSON, and so Kubernetes, cannot hold it; quote it if it is meant as a string"
        ),
        E::DuplicateMappingKey { key, .. } => match key {
            Some(key) => {
                format!("duplicate key `{key}`{at}; Kubernetes refuses duplicate keys too")
            }
            None => format!("duplicate key{at}; Kubernetes refuses duplicate keys too"),
        },
        _ => tidy(&err.to_string()),
    }
}

/// Appends [`to_string`] of a value to `out`: serde-saphyr's text, written directly
/// (`yaml/emit.rs`) for the values manifests usually hold.
pub fn write_value(value: &Value, out: &mut String) -> Result<(), String> {
    if emit::write_into(value, out).is_none() {
        out.push_str(&to_string(value)?);
    }
    Ok(())
}

/// serde-saphyr prefixes messages with `error: `; the caller adds its own context.
fn tidy(message: &str) -> String {
    message
        .strip_prefix("error: ")
        .unwrap_or(message)
        .trim_end()
        // A hint about the crate's own options means nothing to a user.
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_strings_stay_quoted() {
        let input =
            "a: \"on\"\nb: \"yes\"\nc: \"y\"\nd: \"0755\"\ne: \"1e3\"\nf: \"~\"\ng: \"12:30:00\"\n";
        let docs = parse(input, &Limits::default()).unwrap();
        assert_eq!(to_string(&docs[0]).unwrap(), input);
    }

    #[test]
    fn write_value_appends_whichever_writer_writes() {
        // The direct writer, and serde-saphyr for a float (the direct writer says not sure
        // there, and what it had appended before it must not stay).
        for input in ["a: b\nc: |\n  two\n  lines\n", "a: b\nc: 1.5\n"] {
            let value = &parse(input, &Limits::default()).unwrap()[0];
            let mut out = String::from("# head\n");
            write_value(value, &mut out).unwrap();
            assert_eq!(out, format!("# head\n{}", to_string(value).unwrap()));
        }
    }

    #[test]
    fn unquoted_octal_reads_as_kubernetes_does() {
        let docs = parse("mode: 0755\n", &Limits::default()).unwrap();
        assert_eq!(docs[0]["mode"], 493);
    }

    #[test]
    fn empty_and_comment_only_chunks_have_no_documents() {
        assert!(parse("", &Limits::default()).unwrap().is_empty());
        assert!(
            parse("# Source: x\n", &Limits::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn oversized_document_names_the_limit() {
        let limits = Limits {
            max_document_bytes: 4,
            ..Limits::default()
        };
        let err = parse("a: 12345\n", &limits).unwrap_err();
        assert!(err.contains("--max-document-bytes"), "{err}");
    }
}
