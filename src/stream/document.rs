//! One document of the stream: its bytes, and its parsed value once something needs it.
//!
//! The bytes are the truth until a step changes the document ([`Document::edit`]);
//! only then is the document written anew from its value. Leading comment lines (Helm 3's
//! `# Source:` line among them) are kept either way, and a document that came as JSON is written
//! back as JSON.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde_json::Value;

use super::classify::{self, Scan};
use crate::error::{DocAt, Error, Result};
use crate::yaml::{self, Limits, RootKind};

/// Helm 4's annotation that names the template a document came from.
pub const FILENAME_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

/// One document of a manifest stream.
#[derive(Debug)]
pub struct Document<'a> {
    sep: Cow<'a, str>,
    raw: Cow<'a, str>,
    index: usize,
    limits: &'a Limits,
    parsed: OnceCell<Parsed>,
    /// The kind scan of `raw`, done once: every step asks each document for its kind.
    scan: OnceCell<ScanAt>,
    /// `raw` is known to be valid YAML and a mapping (or nothing), without a parse.
    checked: bool,
    dirty: bool,
}

/// What parsing a document gave: no document, one value, or the parser's message.
pub(super) type Parsed = Result<Option<Value>, String>;

/// [`Scan`] with the kind as a byte range of `raw`, so that it can be kept beside `raw`.
#[derive(Debug, Clone, Copy)]
enum ScanAt {
    Empty,
    Kind(Option<(usize, usize)>),
    Unsure,
}

impl ScanAt {
    /// `scan`'s kind must lie inside `raw`; one that does not is dropped (`Unsure`).
    fn new(raw: &str, scan: Scan<'_>) -> Self {
        match scan {
            Scan::Empty => ScanAt::Empty,
            Scan::Unsure => ScanAt::Unsure,
            Scan::Kind(None) => ScanAt::Kind(None),
            Scan::Kind(Some(k)) => {
                let start = (k.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
                match raw.get(start..start + k.len()) {
                    Some(inside) if inside.as_ptr() == k.as_ptr() => {
                        ScanAt::Kind(Some((start, start + k.len())))
                    }
                    _ => ScanAt::Unsure,
                }
            }
        }
    }
}

impl<'a> Document<'a> {
    /// A document read from the input at 1-based position `index`: its text is borrowed from
    /// the input buffer, or owned when the input outgrew the buffer ([`super::Piece`]).
    pub fn read(
        sep: impl Into<Cow<'a, str>>,
        raw: impl Into<Cow<'a, str>>,
        index: usize,
        limits: &'a Limits,
    ) -> Self {
        Document {
            sep: sep.into(),
            raw: raw.into(),
            index,
            limits,
            parsed: OnceCell::new(),
            scan: OnceCell::new(),
            checked: false,
            dirty: false,
        }
    }

    /// A document a step creates: `header` holds its leading comment lines (may be empty).
    pub fn injected(header: String, value: Value, limits: &'a Limits) -> Self {
        let parsed = OnceCell::new();
        let _ = parsed.set(Ok(Some(value)));
        Document {
            sep: Cow::Borrowed("---\n"),
            raw: Cow::Owned(header),
            index: 0,
            limits,
            parsed,
            scan: OnceCell::new(),
            checked: false,
            dirty: true,
        }
    }

    /// 1-based position in the input; 0 for an injected document.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The document's text as it came in (after the separator line).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The text as a slice of the input, for work that outlives a borrow of the document
    /// (`None` for an injected document).
    pub(super) fn input_text(&self) -> Option<&'a str> {
        match self.raw {
            Cow::Borrowed(raw) => Some(raw),
            Cow::Owned(_) => None,
        }
    }

    /// True once a step changed the document (or created it).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The kind scan of the document's text (see [`classify::scan`]), done once.
    pub fn scan(&self) -> Scan<'_> {
        let raw: &str = &self.raw;
        match self
            .scan
            .get_or_init(|| ScanAt::new(raw, classify::scan(raw)))
        {
            ScanAt::Empty => Scan::Empty,
            ScanAt::Unsure => Scan::Unsure,
            ScanAt::Kind(range) => Scan::Kind(range.map(|(start, end)| &raw[start..end])),
        }
    }

    /// True once the document has been parsed (by a step, or ahead of the steps).
    pub(super) fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// True when the text is known to be valid YAML and a mapping (or nothing), unparsed.
    pub(super) fn is_checked(&self) -> bool {
        self.checked
    }

    /// Records what a check of the text found elsewhere (on another thread, say): that it is
    /// valid, and its kind scan (whose kind must be a slice of [`Self::raw`]).
    pub(super) fn set_checked(&mut self, checked: bool, scan: Scan<'_>) {
        self.checked = checked;
        if self.scan.get().is_none() {
            let _ = self.scan.set(ScanAt::new(&self.raw, scan));
        }
    }

    /// Stores the result of parsing the document elsewhere (on another thread, say).
    pub(super) fn set_parsed(&mut self, parsed: Parsed) {
        if self.parsed.get().is_none() {
            let _ = self.parsed.set(parsed);
        }
    }

    /// Reads the document ahead of the steps that will look at it, the cheapest way that gives
    /// what they need: a document whose kind, guessed from the text, `wanted` accepts (or a
    /// `kind: List`) is parsed, and the parse checks it; any other is checked line by line
    /// ([`yaml::check_lines`], which also gives its kind for sure) and parsed only when that kind
    /// is wanted after all. Only a matter of speed: the guess decides nothing, and a document
    /// the check is not sure of is left to be scanned and parsed when asked.
    pub fn read_ahead(&mut self, wanted: impl Fn(&str) -> bool) {
        if self.dirty || self.checked || self.is_parsed() {
            return;
        }
        let wants = |kind: &str| reads(kind, &wanted);
        if guess_kind(&self.raw).is_some_and(wants) {
            self.value().ok();
            return;
        }
        let (checked, scan) = check_text(&self.raw, self.limits);
        let parse = matches!(scan, Scan::Kind(Some(kind)) if wants(kind));
        let scan = ScanAt::new(&self.raw, scan);
        self.checked = checked;
        let _ = self.scan.set(scan);
        if parse {
            self.value().ok();
        }
    }

    /// Drops the parsed value of an unchanged document that parsed into a mapping (or nothing)
    /// and whose kind its text tells, keeping that it is valid (see [`super::Stream::release`]).
    pub(super) fn release(&mut self) {
        if self.dirty || matches!(self.scan(), Scan::Unsure) {
            return;
        }
        if let Some(Ok(value)) = self.parsed.get() {
            if value.as_ref().is_none_or(Value::is_object) {
                self.parsed = OnceCell::new();
                self.checked = true;
            }
        }
    }

    /// Checks that the document is valid YAML and a mapping (or empty): from what is known
    /// already, else line by line or from parser events ([`yaml::surely_valid`]), else by its
    /// value, which gives the error. What [`super::Stream::validate`] does for each document.
    pub fn validate(&self) -> Result<()> {
        let sure = !self.dirty
            && (self.checked || (!self.is_parsed() && yaml::surely_valid(&self.raw, self.limits)));
        if sure { Ok(()) } else { self.check_value() }
    }

    /// Checks the parsed document: it must be a mapping or nothing.
    pub(super) fn check_value(&self) -> Result<()> {
        let what = match self.value()? {
            None | Some(Value::Object(_)) => return Ok(()),
            Some(Value::Array(_)) => "a list",
            Some(Value::Null) => "null",
            Some(_) => "a scalar",
        };
        Err(Error::Yaml {
            at: self.at(),
            message: format!(
                "is {what}, not a Kubernetes object (a mapping with apiVersion and kind)"
            ),
        })
    }

    /// The top-level `kind`, read from the text when that is certain, else from the parsed value.
    /// `None` for an empty document or one without a string `kind`.
    pub fn kind(&self) -> Result<Option<&str>> {
        // A parsed document has its kind at hand (the scan agrees whenever it is sure).
        if let (false, Some(Ok(value))) = (self.dirty, self.parsed.get()) {
            return Ok(value
                .as_ref()
                .and_then(|v| v.get("kind"))
                .and_then(Value::as_str));
        }
        if !self.dirty {
            match self.scan() {
                Scan::Empty => return Ok(None),
                Scan::Kind(kind) => return Ok(kind),
                Scan::Unsure => {}
            }
        }
        Ok(self
            .value()?
            .and_then(|v| v.get("kind"))
            .and_then(Value::as_str))
    }

    /// The parsed document (`None` when it is empty or comment-only).
    pub fn value(&self) -> Result<Option<&Value>> {
        match self
            .parsed
            .get_or_init(|| parse_one(&self.raw, self.limits))
        {
            Ok(value) => Ok(value.as_ref()),
            Err(message) => Err(Error::Yaml {
                at: self.at_without_parse(),
                message: message.clone(),
            }),
        }
    }

    /// Lets `change` edit the parsed document; it must return true exactly when it changed
    /// something, and only then is the document marked changed (and written anew). Debug builds
    /// check that claim.
    pub fn edit(&mut self, change: impl FnOnce(&mut Value) -> Result<bool>) -> Result<bool> {
        self.value()?;
        let Some(Ok(Some(value))) = self.parsed.get_mut() else {
            return Ok(false);
        };
        #[cfg(debug_assertions)]
        let before = value.clone();
        let changed = change(value)?;
        #[cfg(debug_assertions)]
        debug_assert!(
            changed || *value == before,
            "a step changed a document but said it did not"
        );
        self.dirty |= changed;
        Ok(changed)
    }

    /// The objects of the document: the document itself, or the items of a `kind: List`.
    pub fn objects(&self) -> Result<Vec<&Value>> {
        Ok(match self.value()? {
            None => Vec::new(),
            Some(v) => match list_items(v) {
                Some(items) => items.iter().collect(),
                None => vec![v],
            },
        })
    }

    /// Where this document is, for messages: position, `Kind/name` when it parses, template.
    pub fn at(&self) -> DocAt {
        let mut at = self.at_without_parse();
        if let Ok(Some(value)) = self.value() {
            at.id = object_id(value);
            if at.origin.is_none() {
                at.origin = annotation(value, FILENAME_ANNOTATION).map(str::to_string);
            }
        }
        at
    }

    /// Where item `item` of a `kind: List` document is.
    pub fn at_item(&self, item: usize, object: &Value) -> DocAt {
        DocAt {
            item: Some(item),
            id: object_id(object),
            ..self.at()
        }
    }

    /// The template this document came from: Helm 3's `# Source:` line, else Helm 4's annotation.
    pub fn origin(&self) -> Option<String> {
        if let Some(source) = source_line(&self.raw) {
            return Some(source.to_string());
        }
        if let Some(Ok(Some(value))) = self.parsed.get() {
            return annotation(value, FILENAME_ANNOTATION).map(str::to_string);
        }
        annotation_line(&self.raw)
    }

    fn at_without_parse(&self) -> DocAt {
        DocAt {
            index: self.index,
            id: None,
            origin: self.origin(),
            item: None,
        }
    }

    /// The document as it will be written: its separator and its text, the bytes as they came
    /// when unchanged (borrowed, not copied). Consumes the document, so that a changed
    /// document's value is freed as soon as it is written out.
    pub fn into_output(self) -> Result<(Cow<'a, str>, Cow<'a, str>)> {
        if !self.dirty {
            return Ok((self.sep, self.raw));
        }
        let mut text = String::with_capacity(self.raw.len() + 256);
        self.write_changed(&mut text)?;
        Ok((self.sep, Cow::Owned(text)))
    }

    /// Appends a changed document: its leading comments and its value written anew.
    fn write_changed(&self, out: &mut String) -> Result<()> {
        let (header, rest) = split_header(&self.raw);
        out.push_str(header);
        if !header.is_empty() && !header.ends_with('\n') {
            out.push('\n');
        }
        let Some(value) = self.value()? else {
            return Ok(());
        };
        let written = if rest.trim_start().starts_with('{') {
            serde_json::to_string_pretty(value)
                .map(|s| {
                    out.push_str(&s);
                    out.push('\n');
                })
                .map_err(|e| e.to_string())
        } else {
            yaml::write_value(value, out)
        };
        written.map_err(|message| Error::Yaml {
            at: self.at(),
            message,
        })
    }
}

/// Checks a document's text line by line; when sure it is valid, says so and gives its kind,
/// else the kind scan of the text.
pub(super) fn check_text<'t>(raw: &'t str, limits: &Limits) -> (bool, Scan<'t>) {
    let checked = yaml::check_lines(raw, limits);
    let scan = match checked {
        Some(RootKind::Empty) => Scan::Empty,
        Some(RootKind::Absent) => Scan::Kind(None),
        Some(RootKind::Name(kind)) => Scan::Kind(Some(kind)),
        Some(RootKind::Other) | None => classify::scan(raw),
    };
    (checked.is_some(), scan)
}

/// The value of the first line that starts with `kind:`: a guess at the document's kind, for
/// deciding how to read it, never for what it is.
fn guess_kind(raw: &str) -> Option<&str> {
    let start = if raw.starts_with("kind:") {
        0
    } else {
        memchr::memmem::find(raw.as_bytes(), b"\nkind:")? + 1
    };
    let line = &raw[start + "kind:".len()..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    Some(line.trim().trim_matches(['"', '\'']))
}

/// Parses one document's text.
pub(super) fn parse_one(raw: &str, limits: &Limits) -> Parsed {
    let mut docs = yaml::parse(raw, limits)?;
    match docs.len() {
        0 => Ok(None),
        1 => Ok(docs.pop()),
        n => Err(format!(
            "holds {n} YAML documents separated by `...`; separate them with `---` lines"
        )),
    }
}

/// True for `kind: List` and the typed lists (`ConfigMapList`, ...): documents whose `items`
/// are objects of their own.
pub fn is_list(kind: &str) -> bool {
    kind.ends_with("List")
}

/// Whether a step that `wants` some kinds reads a document of `kind`: one of them, or a List
/// (which may hold one of them).
pub fn reads(kind: &str, wants: impl Fn(&str) -> bool) -> bool {
    is_list(kind) || wants(kind)
}

/// The items of a `kind: List` (or `*List`) document.
pub fn list_items(value: &Value) -> Option<&Vec<Value>> {
    let kind = value.get("kind")?.as_str()?;
    if !is_list(kind) {
        return None;
    }
    value.get("items")?.as_array()
}

/// The items of a `kind: List` document, for changing.
pub fn list_items_mut(value: &mut Value) -> Option<&mut Vec<Value>> {
    let kind = value.get("kind")?.as_str()?;
    if !is_list(kind) {
        return None;
    }
    value.get_mut("items")?.as_array_mut()
}

/// `Kind/name` or `Kind/namespace/name` of an object.
pub fn object_id(value: &Value) -> Option<String> {
    let kind = value.get("kind")?.as_str()?;
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("<no name>");
    Some(
        match meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
        {
            Some(ns) => format!("{kind}/{ns}/{name}"),
            None => format!("{kind}/{name}"),
        },
    )
}

/// One annotation of an object.
pub fn annotation<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get("metadata")?
        .get("annotations")?
        .get(key)?
        .as_str()
}

/// The leading comment and blank lines of a document, and the rest.
fn split_header(raw: &str) -> (&str, &str) {
    let mut end = 0;
    while end < raw.len() {
        let next = line_end(raw.as_bytes(), end);
        let t = raw[end..next].trim_start();
        if !(t.is_empty() || t.starts_with('#')) {
            break;
        }
        end = next;
    }
    raw.split_at(end)
}

/// Where the line that starts at `start` ends, after its break: `\n`, `\r\n`, or a lone `\r`,
/// which YAML takes as a line break too (so a comment never swallows what follows one).
fn line_end(bytes: &[u8], start: usize) -> usize {
    match bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
    {
        None => bytes.len(),
        Some(i) if bytes[start + i] == b'\r' && bytes.get(start + i + 1) == Some(&b'\n') => {
            start + i + 2
        }
        Some(i) => start + i + 1,
    }
}

/// The path on the first `# Source:` line of the leading comments.
fn source_line(raw: &str) -> Option<&str> {
    let (header, _) = split_header(raw);
    header
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("# Source: "))
        .map(str::trim)
}

/// Helm 4's annotation value read from the text (for messages about a document that does not
/// parse).
fn annotation_line(raw: &str) -> Option<String> {
    let line = raw
        .lines()
        .find(|l| l.trim_start().starts_with(FILENAME_ANNOTATION))?;
    let value = line.trim_start()[FILENAME_ANNOTATION.len()..]
        .trim_start_matches([':', ' '])
        .trim();
    Some(value.trim_matches(['\'', '"']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document as the output will have it: its separator and its text.
    fn written(doc: Document<'_>) -> String {
        let (sep, text) = doc.into_output().unwrap();
        format!("{sep}{text}")
    }

    fn set(doc: &mut Document<'_>, change: impl FnOnce(&mut Value)) {
        doc.edit(|v| {
            change(v);
            Ok(true)
        })
        .unwrap();
    }

    #[test]
    fn untouched_document_is_written_as_it_came() {
        let limits = Limits::default();
        let raw = "# Source: a.yaml\nkind: ConfigMap   # odd spacing\ndata: {a: \"on\"}\n";
        let doc = Document::read("---\n", raw, 1, &limits);
        assert_eq!(doc.kind().unwrap(), Some("ConfigMap"));
        assert_eq!(written(doc), format!("---\n{raw}"));
    }

    #[test]
    fn changed_document_keeps_its_header() {
        let limits = Limits::default();
        let mut doc = Document::read(
            "---\n",
            "# Source: a.yaml\nkind: ConfigMap\ndata: {a: \"on\"}\n",
            1,
            &limits,
        );
        set(&mut doc, |v| v["data"]["b"] = Value::from("yes"));
        assert_eq!(
            written(doc),
            "---\n# Source: a.yaml\nkind: ConfigMap\ndata:\n  a: \"on\"\n  b: \"yes\"\n"
        );
    }

    #[test]
    fn changed_json_document_stays_json() {
        let limits = Limits::default();
        let mut doc = Document::read("", "{\"kind\": \"ConfigMap\"}\n", 1, &limits);
        set(&mut doc, |v| v["data"] = Value::from("x"));
        assert_eq!(
            written(doc),
            "{\n  \"kind\": \"ConfigMap\",\n  \"data\": \"x\"\n}\n"
        );
    }

    #[test]
    fn origin_from_source_line_or_annotation() {
        let limits = Limits::default();
        let helm3 = Document::read(
            "---\n",
            "# Source: c/templates/a.yaml\nkind: A\n",
            1,
            &limits,
        );
        assert_eq!(helm3.origin().as_deref(), Some("c/templates/a.yaml"));
        let raw = "kind: A\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: 'c/templates/b.yaml'\n";
        let helm4 = Document::read("", raw, 1, &limits);
        assert_eq!(helm4.origin().as_deref(), Some("c/templates/b.yaml"));
    }

    #[test]
    fn parse_error_names_the_document() {
        let limits = Limits::default();
        let doc = Document::read("---\n", "# Source: c/t.yaml\nkind: A\nb: [1\n", 3, &limits);
        let err = doc.value().unwrap_err().to_string();
        assert!(err.starts_with("document 3 (from c/t.yaml): "), "{err}");
    }
}
