//! Block YAML as Helm charts write it, read line by line without a tokenizer: an order of
//! magnitude cheaper than the parser, so that checking the documents a render does not change
//! costs about as much as reading them, and building the ones it does is cheap too.
//!
//! It follows the indentation of block mappings and sequences and reads each value on its
//! line: plain scalars, quoted scalars that close on their line, one-line flow collections of
//! plain or quoted scalars, and block scalars (`|`, `>-`, ...) by their indentation. It tells a
//! [`Sink`] (shared with the event walker) what it finds, and gives up ("not sure") at
//! everything else: tabs, CR, control characters, anchors, aliases, tags, directives, explicit
//! keys, multi-line plain or quoted scalars, escapes beyond the simple ones, nested flow
//! collections, explicit indentation indicators, keys serde-saphyr treats specially, repeated
//! keys, counts near the limits. The caller then asks the event walker, then serde-saphyr. Its
//! answers are held to serde-saphyr's by the property tests in `tests/fast_paths.rs`.

use std::borrow::Cow;

use serde_json::Value;

use super::Limits;
use super::scalars::{
    double_quoted, ends_line, flow_scalar, leading_spaces, line_end, plain, single_quoted,
    split_key, unescape,
};
use super::sink::{Build, Check, Sink, is_plain_string_key, plain_is_string};

/// The root mapping's `kind` as the line walk saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind<'t> {
    /// No document: only blank and comment lines.
    Empty,
    /// A mapping with no `kind` key.
    Absent,
    /// A `kind` that is this string.
    Name(&'t str),
    /// A `kind` that is something else, or a string the walk did not keep (escapes, a block).
    Other,
}

/// When `text` is surely valid YAML that serde-saphyr reads as no document or one mapping:
/// its root `kind`. `None` when not sure.
pub fn check<'t>(text: &'t str, limits: &Limits) -> Option<RootKind<'t>> {
    walk(text, limits, Check::default()).map(|(_, kind)| kind)
}

/// The value serde-saphyr would read from `text` (`Some(None)`: no document), or `None` when
/// not sure.
pub fn build(text: &str, limits: &Limits) -> Option<Option<Value>> {
    walk(text, limits, Build::default()).map(|(sink, _)| sink.into_root())
}

fn walk<'t, S: Sink<'t>>(text: &'t str, limits: &Limits, sink: S) -> Option<(S, RootKind<'t>)> {
    if text.len() > limits.max_document_bytes {
        return None;
    }
    let mut walk = Walk {
        sink,
        frames: Vec::new(),
        pending: None,
        block: None,
        nodes: 0,
        max_nodes: limits.max_nodes / 4,
        max_depth: limits.max_depth / 4,
        kind: RootKind::Absent,
        kind_next: false,
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    loop {
        let end = line_end(bytes, start)?;
        if !walk.line(&text[start..end]) {
            return None;
        }
        if end == bytes.len() {
            break;
        }
        start = end + 1;
    }
    if walk.nodes == 0 {
        walk.kind = RootKind::Empty;
    }
    walk.finish().then_some((walk.sink, walk.kind))
}

struct Walk<'t, S> {
    sink: S,
    /// Open block collections: indentation, and whether a mapping.
    frames: Vec<(usize, bool)>,
    /// A key or `-` whose value comes on the next lines.
    pending: Option<Pending>,
    /// Inside a block scalar.
    block: Option<Block<'t>>,
    nodes: usize,
    max_nodes: usize,
    max_depth: usize,
    kind: RootKind<'t>,
    /// The next value is the root's `kind`.
    kind_next: bool,
}

#[derive(Clone, Copy)]
struct Pending {
    indent: usize,
    /// A mapping value may be a sequence at the key's own indentation.
    same_indent_sequence: bool,
}

struct Block<'t> {
    /// Content must be indented more than this.
    parent: usize,
    /// The content's indentation, once its first line is seen.
    content: Option<usize>,
    /// `|` (else `>`) and the chomping indicator (`-`, `+` or none).
    literal: bool,
    chomp: Option<u8>,
    /// Content lines without their indentation ("" for blank ones), when the sink needs text.
    lines: Vec<&'t str>,
    /// A blank line with more blanks than the indentation: content the builder leaves alone.
    odd_blank: bool,
}

impl<'t, S: Sink<'t>> Walk<'t, S> {
    /// Takes one line; false when not sure.
    fn line(&mut self, line: &'t str) -> bool {
        let spaces = leading_spaces(line.as_bytes());
        let text = &line[spaces..];
        if let Some(block) = &mut self.block {
            let needs_text = self.sink.needs_text();
            match block.content {
                None if text.is_empty() && spaces > 0 => return false,
                None if text.is_empty() => {
                    if needs_text {
                        block.lines.push("");
                    }
                    return true;
                }
                Some(m) if text.is_empty() => {
                    block.odd_blank |= spaces > m;
                    if needs_text {
                        block.lines.push("");
                    }
                    return true;
                }
                Some(m) if spaces >= m => {
                    if needs_text {
                        block.lines.push(&line[m..]);
                    }
                    return true;
                }
                None if spaces > block.parent => {
                    block.content = Some(spaces);
                    if needs_text {
                        block.lines.push(text);
                    }
                    return true;
                }
                _ => {
                    if !self.end_block() {
                        return false;
                    }
                }
            }
        }
        if text.is_empty() || text.starts_with('#') {
            return true;
        }
        if spaces == 0
            && (text.starts_with("---") || text.starts_with("...") || text.starts_with('%'))
        {
            return false;
        }
        let dash = text == "-" || text.starts_with("- ");
        if let Some(p) = self.pending.take() {
            let nested =
                spaces > p.indent || (dash && spaces == p.indent && p.same_indent_sequence);
            let ok = if nested {
                self.open(spaces, !dash)
            } else {
                self.value_text(Cow::Borrowed(""), true, None)
            };
            if !ok {
                return false;
            }
        }
        while self
            .frames
            .last()
            .is_some_and(|&(indent, _)| indent > spaces)
        {
            if !self.close() {
                return false;
            }
        }
        // The end of a sequence written at its parent key's indentation.
        if self.frames.last() == Some(&(spaces, false)) && !dash && !self.close() {
            return false;
        }
        match self.frames.last() {
            None if spaces == 0 && self.nodes == 0 && !dash => {
                if !self.open(0, true) {
                    return false;
                }
            }
            Some(&(indent, map)) if indent == spaces && map != dash => {}
            _ => return false,
        }
        if dash {
            self.entry(spaces, &text[1..])
        } else {
            self.key_line(spaces, text)
        }
    }

    fn open(&mut self, indent: usize, map: bool) -> bool {
        self.nodes += 1;
        if self.kind_next {
            self.kind_next = false;
            self.kind = RootKind::Other;
        }
        self.frames.push((indent, map));
        self.sink.open(map);
        self.frames.len() <= self.max_depth && self.nodes <= self.max_nodes
    }

    fn close(&mut self) -> bool {
        self.frames.pop();
        self.sink.close()
    }

    /// The end of the text: what is open is done.
    fn finish(&mut self) -> bool {
        if self.block.is_some() && !self.end_block() {
            return false;
        }
        if self.pending.take().is_some() && !self.value_text(Cow::Borrowed(""), true, None) {
            return false;
        }
        while !self.frames.is_empty() {
            if !self.close() {
                return false;
            }
        }
        true
    }

    /// `key: value` in the innermost mapping, at `indent`.
    fn key_line(&mut self, indent: usize, text: &'t str) -> bool {
        let Some((key, rest)) = split_key(text) else {
            return false;
        };
        self.key(key) && self.value(rest, indent, true)
    }

    fn key(&mut self, key: &'t str) -> bool {
        self.nodes += 1;
        self.kind_next = self.frames.len() == 1 && key == "kind";
        self.sink.key(Cow::Borrowed(key))
    }

    /// A sequence entry, `rest` being what follows its `-`.
    fn entry(&mut self, indent: usize, rest: &'t str) -> bool {
        let content = rest.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            self.pending = Some(Pending {
                indent,
                same_indent_sequence: false,
            });
            return true;
        }
        if content == "-" || content.starts_with("- ") {
            return false;
        }
        match split_key(content) {
            Some((key, value)) => {
                let at = indent + 1 + (rest.len() - content.len());
                self.open(at, true) && self.key(key) && self.value(value, at, true)
            }
            None => self.value(content, indent, false),
        }
    }

    /// The value after a key or `-` on a line at `indent`. A deeper line after a value on its
    /// line (which would continue it) then matches no open block: every deeper one was closed
    /// to get here, and nothing is pending.
    fn value(&mut self, rest: &'t str, indent: usize, of_key: bool) -> bool {
        let v = rest.trim_start_matches(' ');
        if v.is_empty() || v.starts_with('#') {
            self.pending = Some(Pending {
                indent,
                same_indent_sequence: of_key,
            });
            return true;
        }
        match v.as_bytes()[0] {
            b'|' | b'>' => self.start_block(v, indent),
            b'"' => match double_quoted(v) {
                Some((inner, after)) if ends_line(after) => {
                    let text = if self.sink.needs_text() || self.kind_next {
                        unescape(inner)
                    } else {
                        Cow::Borrowed("")
                    };
                    let name = (!inner.contains('\\')).then_some(inner);
                    self.value_text(text, false, name)
                }
                _ => false,
            },
            b'\'' => match single_quoted(v) {
                Some((inner, after)) if ends_line(after) => {
                    let name = (!inner.contains('\'')).then_some(inner);
                    let text = if inner.contains('\'') {
                        Cow::Owned(inner.replace("''", "'"))
                    } else {
                        Cow::Borrowed(inner)
                    };
                    self.value_text(text, false, name)
                }
                _ => false,
            },
            b'[' | b'{' => self.flow(v),
            b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'?' | b':' | b',' | b']' | b'}' => false,
            b'-' if v.len() == 1 || v.as_bytes()[1] == b' ' => false,
            _ => match plain(v) {
                Some(text) => {
                    let name = plain_is_string(text).then_some(text);
                    self.value_text(Cow::Borrowed(text), true, name)
                }
                None => false,
            },
        }
    }

    /// Hands a scalar value to the sink; `name` is its text when it is surely that string.
    fn value_text(&mut self, text: Cow<'t, str>, plain: bool, name: Option<&'t str>) -> bool {
        self.nodes += 1;
        if self.kind_next {
            self.kind_next = false;
            self.kind = name.map_or(RootKind::Other, RootKind::Name);
        }
        self.nodes <= self.max_nodes && self.sink.value(text, plain)
    }

    fn start_block(&mut self, v: &'t str, parent: usize) -> bool {
        let header = &v[1..];
        let chomp = header.bytes().next().filter(|b| matches!(b, b'-' | b'+'));
        let rest = if chomp.is_some() {
            &header[1..]
        } else {
            header
        };
        // An explicit indentation (`|2`) is left to the parser.
        if !ends_line(rest) {
            return false;
        }
        self.block = Some(Block {
            parent,
            content: None,
            literal: v.starts_with('|'),
            chomp,
            lines: Vec::new(),
            odd_blank: false,
        });
        true
    }

    /// The end of a block scalar: its text, for the sink.
    fn end_block(&mut self) -> bool {
        let Some(block) = self.block.take() else {
            return true;
        };
        if !self.sink.needs_text() {
            return self.value_text(Cow::Borrowed(""), false, None);
        }
        // Folding, kept trailing lines and odd blank lines are left to the parser.
        if !block.literal || block.chomp == Some(b'+') || block.odd_blank {
            return false;
        }
        let content = match block.lines.iter().rposition(|l| !l.is_empty()) {
            Some(last) => &block.lines[..=last],
            None => &[][..],
        };
        let mut text = content.join("\n");
        if block.chomp.is_none() && !content.is_empty() {
            text.push('\n');
        }
        self.value_text(Cow::Owned(text), false, None)
    }

    /// A flow collection of plain or quoted scalars that closes on its line.
    fn flow(&mut self, v: &'t str) -> bool {
        let map = v.starts_with('{');
        let close = if map { '}' } else { ']' };
        self.nodes += 1;
        if self.kind_next {
            self.kind_next = false;
            self.kind = RootKind::Other;
        }
        self.sink.open(map);
        let mut rest = v[1..].trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(close) {
            return self.sink.close() && ends_line(after);
        }
        loop {
            let Some((item, quoted, after)) = flow_scalar(rest) else {
                return false;
            };
            rest = after.trim_start_matches(' ');
            if map {
                let Some(after) = rest.strip_prefix(": ") else {
                    return false;
                };
                self.nodes += 1;
                if !is_plain_string_key(item) || !self.sink.key(Cow::Borrowed(item)) {
                    return false;
                }
                let Some((value, quoted, after)) = flow_scalar(after.trim_start_matches(' '))
                else {
                    return false;
                };
                if !self.value_text(Cow::Borrowed(value), !quoted, None) {
                    return false;
                }
                rest = after.trim_start_matches(' ');
            } else if !self.value_text(Cow::Borrowed(item), !quoted, None) {
                return false;
            }
            if let Some(after) = rest.strip_prefix(close) {
                return self.sink.close() && ends_line(after);
            }
            match rest.strip_prefix(',') {
                Some(after) => rest = after.trim_start_matches(' '),
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let limits = Limits::default();
        let sure = [
            ("", RootKind::Empty),
            ("# only a comment\n\n", RootKind::Empty),
            ("a: 1\n", RootKind::Absent),
            (
                "# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n    line: one\n      deeper\n\n    - not a list\n  b: \"q\" # c\n",
                RootKind::Name("ConfigMap"),
            ),
            (
                "a:\n- x\n- y: 1\n  z: [a, \"b\"]\nb: {}\nc: {k: v, l: 'w'}\n",
                RootKind::Absent,
            ),
            (
                "a:\n  - name: x\n    ports:\n    - 80\n  -\n    name: y\nkind: \"Secret\"\n",
                RootKind::Name("Secret"),
            ),
            (
                "a: >-\n  folded\n# trailing\nb: 'it''s'\nkind: 1\n",
                RootKind::Other,
            ),
            (
                "\"helm.sh/hook\": pre-install\nkey: http://x:80/y#frag # comment\n",
                RootKind::Absent,
            ),
        ];
        for (text, kind) in sure {
            assert_eq!(check(text, &limits), Some(kind), "{text:?}");
        }
        let unsure = [
            "a: b\nb: c\na: d\n",
            "a: b\n  continued\n",
            "a: &x 1\n",
            "a: *x\n",
            "a: !!str 1\n",
            "a:\tb\n",
            "a: b\r\n",
            "- a\n",
            "a: .inf\n",
            "null: x\n",
            "1: x\n",
            "a: |2\n  x\n",
            "a: |\n   \n  x\n",
            "a: \"multi\n  line\"\n",
            "a: [a, [b]]\n",
            "a: b: c\n",
            "a: \"\\x41\"\n",
            "? a\n: b\n",
            "a:\n  b: 1\n c: 2\n",
            "...\n",
            "a: \u{85}\n",
        ];
        for text in unsure {
            assert_eq!(check(text, &limits), None, "{text:?}");
        }
    }

    #[test]
    fn builds_block_and_quoted_scalars() {
        let limits = Limits::default();
        let text = "a: |\n  x\n\n   y\n\nb: |-\n  z\nc: \"q\\tq\"\nd: 'it''s'\ne: [1, \"2\"]\n";
        let value = build(text, &limits).unwrap().unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": "x\n\n y\n", "b": "z", "c": "q\tq", "d": "it's", "e": [1, "2"]})
        );
        assert_eq!(build("a: >\n  x\n", &limits), None);
    }
}
