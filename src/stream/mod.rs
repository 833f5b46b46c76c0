//! The manifest stream: documents in input order, each kept as bytes until a step changes it.
//!
//! [`Stream::split`] accepts every form Helm and its users send: Helm 3's `---` + `# Source:`
//! documents, Helm 4's annotated documents with no leading `---`, piped `helm template` output,
//! JSON documents, `kind: List`, empty and comment-only documents, consecutive separators, CRLF
//! line ends and a leading byte-order mark (dropped: it marks the encoding, not content).
//! [`Stream::finish`] gives back every document in order; unchanged ones byte-for-byte, so a
//! stream no step touches comes out exactly as it came in. An output with no content is written
//! as `---` (Helm 4 refuses empty output; Argo CD would prune everything).
//!
//! Cost: a document no step parses is checked line by line ([`yaml::check_lines`], which also
//! gives its kind) and copied; documents are checked and parsed ahead ([`Stream::prepare`]) and
//! written out ([`Stream::finish`]) on all cores; the output goes out in one pass of gathered
//! writes ([`Finished::write_to`]) without a second copy of the stream in memory.

mod classify;
mod document;
mod finished;
mod parallel;
mod split;

use serde_json::Value;

pub use classify::{Scan, scan};
pub use document::{
    Document, FILENAME_ANNOTATION, annotation, is_list, list_items, list_items_mut, object_id,
    reads,
};
pub use finished::Finished;
pub use parallel::{Block, STACK_BYTES, cores, fed, warm_up};
pub use split::{Chunk, Cutter, Piece, last_separator, split};

use crate::error::Result;
use crate::yaml::{self, Limits};

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
        let mut docs = Vec::new();
        Cutter::new(limits).cut(Piece::Borrowed(input), |doc| docs.push(doc));
        Self::from_docs(docs, limits)
    }

    /// A stream of the documents a [`Cutter`] gave, in order.
    pub fn from_docs(docs: Vec<Document<'a>>, limits: &'a Limits) -> Self {
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

    /// Reads every document ahead of the steps, on all cores: checks its text line by line
    /// (`yaml::check_lines`), which also gives its kind, and parses the documents the steps
    /// will parse: those whose kind `wanted` accepts, every `kind: List`, and every document
    /// whose kind the text does not tell. Only a matter of speed: [`Self::validate`] checks
    /// what was not checked here, and a document not parsed here is parsed when first asked.
    pub fn prepare(&mut self, wanted: impl Fn(&str) -> bool) {
        let limits = self.limits;
        let todo: Vec<(usize, &'a str)> = self
            .docs
            .iter()
            .enumerate()
            .filter(|(_, doc)| !doc.is_dirty() && !doc.is_parsed())
            .filter_map(|(i, doc)| Some((i, doc.input_text()?)))
            .collect();
        let checked = parallel::map(
            todo,
            |(_, raw)| raw.len(),
            |(i, raw)| {
                let (checked, scan) = document::check_text(raw, limits);
                (i, checked, scan)
            },
        );
        let mut parse = Vec::new();
        for (i, checked, scan) in checked {
            let wants = match scan {
                Scan::Empty | Scan::Kind(None) => false,
                Scan::Kind(Some(kind)) => reads(kind, &wanted),
                Scan::Unsure => true,
            };
            if wants {
                parse.push(i);
            }
            self.docs[i].set_checked(checked, scan);
        }
        let mut parse = parse.into_iter().peekable();
        self.parse_ahead(|i| {
            let next = parse.next_if_eq(&i);
            next.is_some()
        });
    }

    /// Parses the unchanged documents that `which` selects by position, on all cores, for a
    /// caller that will read their values. Only a matter of speed.
    pub fn parse_ahead(&mut self, mut which: impl FnMut(usize) -> bool) {
        let limits = self.limits;
        let todo: Vec<(usize, &'a str)> = self
            .docs
            .iter()
            .enumerate()
            .filter(|(i, doc)| which(*i) && !doc.is_dirty() && !doc.is_parsed())
            .filter_map(|(i, doc)| Some((i, doc.input_text()?)))
            .collect();
        let parsed = parallel::map(
            todo,
            |(_, raw)| raw.len(),
            |(i, raw)| (i, document::parse_one(raw, limits)),
        );
        for (i, result) in parsed {
            self.docs[i].set_parsed(result);
        }
    }

    /// Checks that every document is valid YAML and a mapping (or empty), also where no step
    /// looked. A document neither parsed nor checked by [`Self::prepare`] is checked line by
    /// line or from its parser events ([`yaml::surely_valid`]), on all cores; one those checks
    /// are not sure of, and every parsed or changed one, by its value. The first bad document in
    /// stream order is the error, as a loop of full parses would find it (a property test
    /// holds it to that).
    pub fn validate(&self) -> Result<()> {
        let limits = self.limits;
        let unchecked: Vec<(usize, &str)> = self
            .docs
            .iter()
            .enumerate()
            .filter(|(_, doc)| !doc.is_dirty() && !doc.is_parsed() && !doc.is_checked())
            .map(|(i, doc)| (i, doc.raw()))
            .collect();
        let mut sure: Vec<bool> = self
            .docs
            .iter()
            .map(|d| d.is_checked() && !d.is_dirty())
            .collect();
        for (i, ok) in parallel::map(
            unchecked,
            |(_, raw)| raw.len(),
            |(i, raw)| (i, yaml::surely_valid(raw, limits)),
        ) {
            sure[i] = ok;
        }
        for (doc, sure) in self.docs.iter().zip(sure) {
            // Comment-only documents are checked too: a control character in a comment is as
            // invalid for Kubernetes' reader as anywhere else.
            if !sure {
                doc.check_value()?;
            }
        }
        Ok(())
    }

    /// Drops the parsed values of the unchanged documents whose kind `keep` does not accept
    /// (nor any `kind: List`), keeping only that they are valid: for documents that steps before
    /// the fused pass parsed and no later step reads, so that their values leave memory.
    pub fn release(&mut self, keep: impl Fn(&str) -> bool) {
        for doc in &mut self.docs {
            if !doc.is_parsed() || doc.is_dirty() {
                continue;
            }
            let kept = match doc.scan() {
                Scan::Unsure => true,
                Scan::Empty => false,
                Scan::Kind(kind) => kind.is_some_and(|k| reads(k, &keep)),
            };
            if !kept {
                doc.release();
            }
        }
    }

    /// The documents, in order. For the fused pass (`steps::fused`).
    pub fn into_docs(self) -> Vec<Document<'a>> {
        self.docs
    }

    /// Writes out every changed document (on all cores, freeing each value once written) and
    /// gives the output, which can then only fail to be written on I/O. Call [`Self::validate`]
    /// first.
    pub fn finish(self) -> Result<Finished<'a>> {
        let parts = parallel::map(
            self.docs,
            |doc| {
                if doc.is_dirty() {
                    doc.raw().len() + 1024
                } else {
                    0
                }
            },
            Document::into_output,
        );
        Ok(Finished::new(parts.into_iter().collect::<Result<_>>()?))
    }
}

fn detect_style(docs: &[Document<'_>]) -> Style {
    for doc in docs {
        if let Scan::Empty = doc.scan() {
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
        stream.finish().unwrap().into_string()
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
            stream.finish().unwrap().into_string(),
            "---\n# Source: a\nkind: A\n---\n# Source: overhelm/tls/x.yaml\nkind: C\n---\n# Source: b\nkind: B\n"
        );
    }
}
