//! Fast paths over the parser's events: checking a document, and building its value, without
//! serde-saphyr's deserializer, for the shapes Helm charts emit.
//!
//! serde-saphyr reads a document through several layers (event buffering, key fingerprints,
//! budgets, serde's visitor calls) that cost about three quarters of a parse. Most manifests use
//! none of what needs them: no anchors, aliases, tags, merge keys, repeated keys or numbers in
//! odd spellings. For those, the same parser (`granit_parser`, with the same settings) is
//! driven directly: [`check`] only walks the events, [`build`] also makes the
//! `serde_json::Value`. Both say "not sure" (`false` / `None`) at anything outside that subset,
//! and the caller then asks serde-saphyr, so the answer is always serde-saphyr's. The property
//! tests in `tests/fast_paths.rs` check exactly that.

use serde_json::Value;
use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle, StrInput};

use super::Limits;
use super::sink::{Build, Check, Sink, is_plain_string_key};

/// True when serde-saphyr surely reads `text` as no document or as one mapping.
pub fn check(text: &str, limits: &Limits) -> bool {
    walk(text, limits, Check::default()).is_some()
}

/// The value serde-saphyr would read from `text` (`Some(None)`: no document), or `None` when
/// not sure.
pub fn build(text: &str, limits: &Limits) -> Option<Option<Value>> {
    walk(text, limits, Build::default()).map(Build::into_root)
}

/// Drives `sink` with the events of `text`; `None` at anything to be unsure about.
fn walk<'i, S: Sink<'i>>(text: &'i str, limits: &Limits, mut sink: S) -> Option<S> {
    if text.len() > limits.max_document_bytes {
        return None;
    }
    let mut options = granit_parser::Options::default();
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(limits.max_depth.saturating_add(1));
    options.emit_comments = false;
    // Half of each limit: far enough from serde-saphyr's own counting never to disagree.
    let (max_nodes, max_depth) = (limits.max_nodes / 2, limits.max_depth / 2);
    let max_events = limits.max_nodes.saturating_mul(2);
    let mut parser = Parser::with_options(StrInput::new(text), options);
    // Per open collection: `Some(next node is a key)` for a mapping, `None` for a sequence.
    let mut open: Vec<Option<bool>> = Vec::new();
    let (mut nodes, mut events, mut documents) = (0usize, 0usize, 0usize);
    while let Some(event) = parser.next_event() {
        let (event, _) = event.ok()?;
        events += 1;
        let (is_node, map, scalar) = match &event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => (false, false, None),
            Event::DocumentStart(..) => {
                documents += 1;
                (false, false, None)
            }
            Event::MappingStart(_, 0, None) => (true, true, None),
            Event::SequenceStart(_, 0, None) => (true, false, None),
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop()?;
                if !sink.close() {
                    return None;
                }
                (false, false, None)
            }
            Event::Scalar(_, style, 0, None) => (true, false, Some(*style)),
            // Anchors, aliases, tags, comments, anything new.
            _ => return None,
        };
        if events > max_events || documents > 1 {
            return None;
        }
        if !is_node {
            continue;
        }
        nodes += 1;
        let is_key = match open.last_mut() {
            // The root: only a mapping is sure to be what the caller wants.
            None if nodes == 1 && map => false,
            None => return None,
            Some(None) => false,
            Some(Some(key_next)) => {
                *key_next = !*key_next;
                !*key_next
            }
        };
        if nodes > max_nodes {
            return None;
        }
        match (scalar, event) {
            (Some(style), Event::Scalar(text, ..)) => {
                let plain = style == ScalarStyle::Plain;
                let ok = if is_key {
                    (!plain || is_plain_string_key(&text)) && sink.key(text)
                } else {
                    sink.value(text, plain)
                };
                if !ok {
                    return None;
                }
            }
            // A mapping or sequence as a key.
            _ if is_key => return None,
            _ => {
                open.push(map.then_some(true));
                if open.len() > max_depth {
                    return None;
                }
                sink.open(map);
            }
        }
    }
    open.is_empty().then_some(sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real Helm output takes the fast path, and gives what serde-saphyr gives.
    #[test]
    fn examples_take_the_fast_path() {
        let limits = Limits::default();
        for text in [
            include_str!("../../examples/backstage/helm3-input.yaml"),
            include_str!("../../examples/backstage/helm4-input.yaml"),
        ] {
            for chunk in crate::stream::split(text) {
                let built = build(chunk.body, &limits);
                assert!(built.is_some(), "{}", chunk.body);
                let want = super::super::parse_reference(chunk.body, &limits).unwrap();
                assert_eq!(built.unwrap().into_iter().collect::<Vec<_>>(), want);
                assert!(check(chunk.body, &limits), "{}", chunk.body);
            }
        }
    }
}
