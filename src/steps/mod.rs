//! The steps a render runs, in a fixed order, and what they share.
//!
//! Order: patches, tls, waitFor, registry, resources (so that injected containers are rewritten
//! and budgeted too). Each step is pure: it reads the overlay it was built from and the stream,
//! touches only the documents it matches, and reports what it did. A selector that matches
//! nothing is an error naming the selector, never a silent no-op.
//!
//! Adding a step: one file here with its `Step` impl and table tests, its overlay section in
//! `overlay/`, a line in [`build`], a golden case.

pub mod fused;
pub mod patches;
pub mod registry;
pub mod resources;
pub mod tls;
pub mod wait_for;

use serde_json::Value;

use crate::error::{DocAt, Result};
use crate::overlay::Overlay;
use crate::stream::{Document, Stream, is_list, list_items_mut, reads};

/// What a render knows besides the stream and the overlay.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The Helm release name, when given (`--release`).
    pub release: Option<String>,
    /// The release namespace, when given (`--namespace`).
    pub namespace: Option<String>,
}

/// What one step did, one line per change, for `--report`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The step's name.
    pub step: &'static str,
    /// One line per change (never a Secret value).
    pub lines: Vec<String>,
    /// What a person should look at although the render succeeded (a password written into a
    /// manifest, a container left without requests): printed on stderr on every run, not only
    /// with `--report`. Never a Secret value.
    pub warnings: Vec<String>,
}

impl Report {
    /// An empty report for `step`.
    pub fn new(step: &'static str) -> Self {
        Report {
            step,
            lines: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// One edit of the manifest stream.
pub trait Step {
    /// The step's name, as in the overlay (`registry`, `tls`, ...).
    fn name(&self) -> &'static str;
    /// Applies the step to the stream.
    fn apply(&self, stream: &mut Stream<'_>, ctx: &Context) -> Result<Report>;
    /// Whether the step may parse documents of `kind`. Only a hint for speed: `render` parses
    /// those ahead, on all cores; a wrong answer costs time, never correctness.
    fn parses(&self, kind: &str) -> bool {
        let _ = kind;
        false
    }
    /// The step's per-object part, when all it does is local to each object plus checks at the
    /// end: then `render` runs it document by document, fused with the steps after it
    /// ([`fused`]). `apply` must give the same result.
    fn object_step(&self) -> Option<Box<dyn fused::Fusable + '_>> {
        None
    }
}

/// The steps an overlay asks for, in the fixed order.
pub fn build(overlay: &Overlay) -> Result<Vec<Box<dyn Step>>> {
    let mut steps: Vec<Box<dyn Step>> = Vec::new();
    if !overlay.patches.is_empty() {
        steps.push(Box::new(patches::PatchesStep::new(&overlay.patches)?));
    }
    if !overlay.tls.is_empty() {
        steps.push(Box::new(tls::TlsStep::new(&overlay.tls)?));
    }
    if !overlay.wait_for.is_empty() {
        steps.push(Box::new(wait_for::WaitForStep::new(&overlay.wait_for)?));
    }
    if let Some(registry) = &overlay.registry {
        steps.push(Box::new(registry::RegistryStep::new(registry)?));
    }
    if let Some(spec) = &overlay.resources {
        steps.extend(resources::steps(spec)?);
    }
    Ok(steps)
}

/// Runs the steps on the stream in order and collects their reports.
pub fn run(steps: &[Box<dyn Step>], stream: &mut Stream<'_>, ctx: &Context) -> Result<Vec<Report>> {
    steps.iter().map(|step| step.apply(stream, ctx)).collect()
}

/// Lets `change` edit every object (a document, or an item of a `kind: List`) whose kind
/// `wanted` accepts. `change` gets the object's location and returns true exactly when it
/// changed the object. Documents of other kinds are not parsed (their kind is read from the text
/// when that is certain).
pub fn edit_objects(
    stream: &mut Stream<'_>,
    wanted: impl Fn(&str) -> bool,
    mut change: impl FnMut(&DocAt, &mut Value) -> Result<bool>,
) -> Result<()> {
    for doc in stream.docs_mut() {
        edit_document(doc, &wanted, &mut change)?;
    }
    Ok(())
}

/// [`edit_objects`] on one document; true when `change` changed something.
pub fn edit_document(
    doc: &mut Document<'_>,
    wanted: impl Fn(&str) -> bool,
    mut change: impl FnMut(&DocAt, &mut Value) -> Result<bool>,
) -> Result<bool> {
    let (is_list, is_wanted) = match doc.kind()? {
        None => return Ok(false),
        Some(kind) => (is_list(kind), wanted(kind)),
    };
    if is_list {
        let at = doc.at();
        doc.edit(|value| {
            let Some(items) = list_items_mut(value) else {
                return Ok(false);
            };
            let mut changed = false;
            for (i, item) in items.iter_mut().enumerate() {
                if item
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(&wanted)
                {
                    let item_at = DocAt {
                        item: Some(i),
                        id: crate::stream::object_id(item),
                        ..at.clone()
                    };
                    changed |= change(&item_at, item)?;
                }
            }
            Ok(changed)
        })
    } else if is_wanted {
        let at = doc.at();
        doc.edit(|value| change(&at, value))
    } else {
        Ok(false)
    }
}

/// Calls `visit` for every object whose kind `wanted` accepts, with its position in the stream.
pub fn visit_objects(
    stream: &Stream<'_>,
    wanted: impl Fn(&str) -> bool,
    mut visit: impl FnMut(usize, &DocAt, &Value) -> Result<()>,
) -> Result<()> {
    for (pos, doc) in stream.docs().iter().enumerate() {
        let Some(kind) = doc.kind()? else { continue };
        if !reads(kind, &wanted) {
            continue;
        }
        let at = doc.at();
        let objects = doc.objects()?;
        let is_list =
            objects.len() != 1 || !std::ptr::eq(objects[0], doc.value()?.unwrap_or(&Value::Null));
        for (i, object) in objects.into_iter().enumerate() {
            if !object
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(&wanted)
            {
                continue;
            }
            if is_list {
                visit(pos, &doc.at_item(i, object), object)?;
            } else {
                visit(pos, &at, object)?;
            }
        }
    }
    Ok(())
}
