//! The manifest stream: documents in input order, each kept as bytes until a step changes it.
//!
//! [`Stream::split`] accepts every form Helm and its users send: Helm 3's `---` + `# Source:`
//! documents, Helm 4's annotated documents with no leading `---`, piped `helm template` output,
//! JSON documents, `kind: List`, empty and comment-only documents, consecutive separators, CRLF
//! line ends and a leading byte-order mark (dropped: it marks the encoding, not content).
//! [`Stream::write`] gives back every document in order; unchanged ones byte-for-byte, so a
//! stream no step touches comes out exactly as it came in. An output with no content is written
//! as `---` (Helm 4 refuses empty output; Argo CD would prune everything).

mod classify;
mod document;
mod split;

use serde_json::Value;

pub use classify::{Scan, scan};
pub use document::{
    Document, FILENAME_ANNOTATION, annotation, list_items, list_items_mut, object_id,
};
pub use split::{Chunk, split};

use crate::error::{Error, Result};
use crate::yaml::Limits;

/// Which Helm form the input has; injected documents follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `# Source:` comment lines (Helm 3, and any `helm template` output).
    Helm3,
    /// Helm 4's `postrenderer.helm.sh/postrender-filename` annotation on every document.
    Helm4,
    /// Neither (a hand-written stream, kustomize output): injected documents get a `# Source:`.
    Plain,
}

/// A manifest stream.
#[derive(Debug)]
pub struct Stream<'a> {
    docs: Vec<Document<'a>>,
    style: Style,
    limits: &'a Limits,
}

impl<'a> Stream<'a> {
    /// Cuts `input` into documents; nothing is parsed.
    pub fn split(input: &'a str, limits: &'a Limits) -> Self {
        let input = input.strip_prefix('\u{feff}').unwrap_or(input);
        let docs: Vec<Document<'a>> = split::split(input)
            .into_iter()
            .enumerate()
            .map(|(i, c)| Document::read(c.sep, c.body, i + 1, limits))
            .collect();
        let style = detect_style(&docs);
        Stream {
            docs,
            style,
            limits,
        }
    }

    /// The documents, in output order.
    pub fn docs(&self) -> &[Document<'a>] {
        &self.docs
    }

    /// The documents, for changing.
    pub fn docs_mut(&mut self) -> &mut [Document<'a>] {
        &mut self.docs
    }

    /// The input's Helm form.
    pub fn style(&self) -> Style {
        self.style
    }

    /// The limits documents are parsed with.
    pub fn limits(&self) -> &'a Limits {
        self.limits
    }

    /// A new document for `step`, marked with its stable origin `overhelm/<step>/<name>.yaml`:
    /// a `# Source:` line (Helm 3), or Helm 4's filename annotation.
    pub fn new_document(&self, step: &str, name: &str, mut value: Value) -> Document<'a> {
        let origin = format!("overhelm/{step}/{name}.yaml");
        if self.style == Style::Helm4 {
            set_annotation(&mut value, FILENAME_ANNOTATION, &origin);
            Document::injected(String::new(), value, self.limits)
        } else {
            Document::injected(format!("# Source: {origin}\n"), value, self.limits)
        }
    }

    /// Inserts documents, each right after the document at its position (positions are those
    /// before any insertion; several at one position keep their order).
    pub fn insert_after(&mut self, mut items: Vec<(usize, Document<'a>)>) {
        items.sort_by_key(|(pos, _)| *pos);
        for (pos, doc) in items.into_iter().rev() {
            let at = (pos + 1).min(self.docs.len());
            self.docs.insert(at, doc);
        }
    }

    /// Parses every document not parsed yet, so that invalid YAML and documents that are not
    /// objects are refused even where no step looked.
    pub fn validate(&self) -> Result<()> {
        for doc in &self.docs {
            // Comment-only documents are parsed too: a control character in a comment is as
            // invalid for Kubernetes' reader as anywhere else.
            match doc.value()? {
                None | Some(Value::Object(_)) => {}
                Some(other) => {
                    let what = match other {
                        Value::Array(_) => "a list",
                        Value::Null => "null",
                        _ => "a scalar",
                    };
                    return Err(Error::Yaml {
                        at: doc.at(),
                        message: format!(
                            "is {what}, not a Kubernetes object (a mapping with apiVersion and kind)"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The whole output. Never empty: a stream with no content is written as `---`.
    pub fn write(&self) -> Result<String> {
        let mut out = String::with_capacity(self.docs.iter().map(|d| d.raw().len() + 4).sum());
        for doc in &self.docs {
            doc.write(&mut out)?;
        }
        if out.trim().is_empty() {
            out = "---\n".to_string();
        }
        Ok(out)
    }
}

fn detect_style(docs: &[Document<'_>]) -> Style {
    for doc in docs {
        if let Scan::Empty = classify::scan(doc.raw()) {
            continue;
        }
        if doc.raw().contains(FILENAME_ANNOTATION) {
            return Style::Helm4;
        }
        if doc.raw().starts_with("# Source: ") || doc.raw().contains("\n# Source: ") {
            return Style::Helm3;
        }
        return Style::Plain;
    }
    Style::Helm3
}

/// Sets one annotation on an object, creating `metadata.annotations` as needed.
pub fn set_annotation(value: &mut Value, key: &str, text: &str) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if !meta.is_object() {
        *meta = Value::Object(Default::default());
    }
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    let ann = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    if !ann.is_object() {
        *ann = Value::Object(Default::default());
    }
    if let Some(ann) = ann.as_object_mut() {
        ann.insert(key.to_string(), Value::from(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        let limits = Limits::default();
        let stream = Stream::split(input, &limits);
        stream.validate().unwrap();
        stream.write().unwrap()
    }

    #[test]
    fn untouched_stream_is_identical() {
        for input in [
            "---\n# Source: a.yaml\nkind: A\n---\n# Source: b.yaml\n# c\nkind: B\n",
            "kind: A\n---\nkind: B",
            "---\r\nkind: A\r\n",
            "---\n# Source: t.yaml\n---\n# only a comment\n",
            "{\"kind\": \"A\"}\n---\nkind: List\nitems: []\n",
        ] {
            assert_eq!(roundtrip(input), input);
        }
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(roundtrip("\u{feff}kind: A\n"), "kind: A\n");
    }

    #[test]
    fn empty_output_is_a_separator() {
        assert_eq!(roundtrip(""), "---\n");
        assert_eq!(roundtrip("\n\n"), "---\n");
    }

    #[test]
    fn styles() {
        let limits = Limits::default();
        assert_eq!(
            Stream::split("---\n# Source: a\nkind: A\n", &limits).style(),
            Style::Helm3
        );
        let helm4 = "kind: A\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: 'a'\n";
        assert_eq!(Stream::split(helm4, &limits).style(), Style::Helm4);
        assert_eq!(Stream::split("kind: A\n", &limits).style(), Style::Plain);
    }

    #[test]
    fn scalar_document_is_refused() {
        let limits = Limits::default();
        let err = Stream::split("---\n# Source: x.yaml\nhello\n", &limits)
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "document 1 (from x.yaml): is a scalar, not a Kubernetes object (a mapping with apiVersion and kind)"
        );
    }

    #[test]
    fn injected_documents_follow_their_anchor_and_the_style() {
        let limits = Limits::default();
        let mut stream = Stream::split(
            "---\n# Source: a\nkind: A\n---\n# Source: b\nkind: B\n",
            &limits,
        );
        let doc = stream.new_document("tls", "x", serde_json::json!({"kind": "C"}));
        stream.insert_after(vec![(0, doc)]);
        assert_eq!(
            stream.write().unwrap(),
            "---\n# Source: a\nkind: A\n---\n# Source: overhelm/tls/x.yaml\nkind: C\n---\n# Source: b\nkind: B\n"
        );
    }
}
