//! The last steps run document by document: one pass that parses a document, lets each of those
//! steps edit it in order, checks it, writes it out and frees it before the next.
//!
//! Why: a step that runs over the whole stream holds every document it changed as a parsed
//! value (about 6.5 times its text) until the output is written; run document by document, only
//! the documents being worked on are values, so a render peaks at about the input plus the
//! changed documents' new text.
//!
//! A step whose work is local to one object (registry, resources, budget) offers it as an
//! [`ObjectStep`]: an edit of one object, which also notes what the step's checks across the
//! stream need (pins used, containers seen, each workload's usage), and the end of the stream,
//! where those checks run and the report is made. `render` runs the steps that need the whole
//! stream first, in the fixed order, then the rest in one pass ([`run`]). Only a suffix of the
//! order can be fused: a whole-stream step after a fused one would have to see every document
//! after the fused step's edit and before the next step's.
//!
//! The pass runs on all cores in blocks of documents; each block keeps its own tally per step,
//! and the tallies are merged in stream order, so the result does not depend on the threads.
//! It is the result of running the steps one after another on the whole stream
//! ([`crate::render::render_step_by_step`]; property tests hold them byte for byte, errors
//! included): each step sees each object after the steps before it edited it and before the
//! steps after it; each keeps its first failure in stream order ([`Failures`]); the render fails
//! with the first failing step's error, else the first invalid document's, else the first
//! document that cannot be written, as a step-by-step run would.

use std::sync::Mutex;

use serde_json::Value;

use super::{Report, edit_document};
use crate::error::{DocAt, Error, Result};
use crate::stream::{self, Document, Finished, reads};

/// A step's per-object part, for the fused pass.
pub trait ObjectStep: Sync {
    /// What the step notes over a run of documents: report lines, what its end checks need.
    type Tally: Send;
    /// Whether the step edits (or reads) objects of `kind` (documents, or items of a
    /// `kind: List`). Documents of other kinds are not parsed for it.
    fn wants(&self, kind: &str) -> bool;
    /// An empty tally.
    fn start(&self) -> Self::Tally;
    /// Edits (or reads) one object; true exactly when it changed it.
    fn edit(&self, at: &DocAt, object: &mut Value, tally: &mut Self::Tally) -> Result<bool>;
    /// Appends the tally of the documents that follow `tally`'s.
    fn merge(&self, tally: &mut Self::Tally, next: Self::Tally);
    /// After the last document: the checks across the stream, in the order the step-by-step
    /// run makes them, and the report.
    fn end(&self, tally: Self::Tally, failures: Failures) -> Result<Report>;
}

/// An [`ObjectStep`] as the pass drives it (object-safe: the pass holds steps of every type).
pub trait Fusable: Sync {
    /// See [`ObjectStep::wants`].
    fn wants(&self, kind: &str) -> bool;
    /// The step's work on the block of documents that starts at position `start`.
    fn run(&self, start: usize) -> Box<dyn Run + '_>;
    /// After every block is done: merges their tallies in stream order and ends the step.
    fn end(&self, failures: Failures) -> Result<Report>;
}

/// One step's work on one block of documents.
pub trait Run {
    /// See [`ObjectStep::edit`].
    fn edit(&mut self, at: &DocAt, object: &mut Value) -> Result<bool>;
    /// Hands the block's tally back to the step.
    fn done(self: Box<Self>);
}

/// `step` for the fused pass.
pub fn fusable<T: ObjectStep>(step: &T) -> Box<dyn Fusable + '_> {
    Box::new(Fused {
        step,
        done: Mutex::new(Vec::new()),
    })
}

/// An [`ObjectStep`] and the tallies of the blocks done so far, by block start.
struct Fused<'s, T: ObjectStep> {
    step: &'s T,
    done: Mutex<Vec<(usize, T::Tally)>>,
}

struct BlockRun<'f, 's, T: ObjectStep> {
    fused: &'f Fused<'s, T>,
    start: usize,
    tally: T::Tally,
}

impl<T: ObjectStep> Fusable for Fused<'_, T> {
    fn wants(&self, kind: &str) -> bool {
        self.step.wants(kind)
    }

    fn run(&self, start: usize) -> Box<dyn Run + '_> {
        Box::new(BlockRun {
            fused: self,
            start,
            tally: self.step.start(),
        })
    }

    fn end(&self, failures: Failures) -> Result<Report> {
        let mut done = std::mem::take(&mut *self.done.lock().unwrap_or_else(|e| e.into_inner()));
        done.sort_by_key(|(start, _)| *start);
        let mut tallies = done.into_iter().map(|(_, tally)| tally);
        let mut tally = tallies.next().unwrap_or_else(|| self.step.start());
        for next in tallies {
            self.step.merge(&mut tally, next);
        }
        self.step.end(tally, failures)
    }
}

impl<T: ObjectStep> Run for BlockRun<'_, '_, T> {
    fn edit(&mut self, at: &DocAt, object: &mut Value) -> Result<bool> {
        self.fused.step.edit(at, object, &mut self.tally)
    }

    fn done(self: Box<Self>) {
        let BlockRun {
            fused,
            start,
            tally,
        } = *self;
        // A poisoned lock means another block panicked, and that panic reaches the caller.
        fused
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((start, tally));
    }
}

/// A step's first failures in stream order: a document it reads that does not parse, and an
/// error of its edit. Kept apart because some steps look at every document before they edit
/// any (resources checks its selectors first), so a parse error anywhere comes first there.
#[derive(Debug, Default)]
pub struct Failures {
    parse: Option<(usize, Error)>,
    edit: Option<(usize, Error)>,
}

impl Failures {
    fn note(&mut self, pos: usize, failure: Failure) {
        let (slot, error) = match failure {
            Failure::Parse(e) => (&mut self.parse, e),
            Failure::Edit(e) => (&mut self.edit, e),
        };
        if slot.is_none() {
            *slot = Some((pos, error));
        }
    }

    fn merge(&mut self, next: Failures) {
        if self.parse.is_none() {
            self.parse = next.parse;
        }
        if self.edit.is_none() {
            self.edit = next.edit;
        }
    }

    /// The first failure in stream order, as a loop over the stream that parses and edits each
    /// document in turn meets it.
    pub fn first(self) -> Option<Error> {
        match (self.parse, self.edit) {
            (Some((p, parse)), Some((e, edit))) => Some(if p < e { parse } else { edit }),
            (parse, edit) => parse.or(edit).map(|(_, e)| e),
        }
    }

    /// The first document the step reads that does not parse, taken out.
    pub fn take_parse(&mut self) -> Option<Error> {
        self.parse.take().map(|(_, e)| e)
    }
}

enum Failure {
    Parse(Error),
    Edit(Error),
}

/// What one block gave: each document's output text, and the first failures in it.
struct BlockOut<'a> {
    parts: Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    failures: Vec<Failures>,
    invalid: Option<Error>,
    unwritable: Option<Error>,
}

/// The fused pass's result: the output and the steps' reports, or the render's error.
pub type Outcome<'a> = Result<(Finished<'a>, Vec<Report>)>;

/// Runs `steps` (in order) over the documents `produce` gives, document by document, while it
/// is still giving them (`produce` may be reading the input), then their end checks, and gives
/// the output and the steps' reports; or the error of `produce`, which comes before any other.
/// `expected`: the bytes of text `produce` is known to give, 0 when unknown ([`stream::fed`]).
pub fn run<'a, E>(
    steps: &[&dyn Fusable],
    expected: usize,
    produce: impl FnOnce(&mut dyn FnMut(Document<'a>)) -> Result<(), E>,
) -> Result<Outcome<'a>, E> {
    let blocks = stream::fed(
        expected,
        |give| {
            produce(&mut |doc| {
                let weight = doc.raw().len() + 64;
                give(doc, weight)
            })
        },
        |block| run_block(steps, block.start, block.items),
    )?;
    Ok(merge(steps, blocks))
}

/// Puts the blocks' outcomes together in stream order and ends the steps.
fn merge<'a>(steps: &[&dyn Fusable], blocks: Vec<BlockOut<'a>>) -> Outcome<'a> {
    let mut failures: Vec<Failures> = steps.iter().map(|_| Failures::default()).collect();
    let (mut invalid, mut unwritable) = (None, None);
    let mut parts = Vec::new();
    for block in blocks {
        for (all, next) in failures.iter_mut().zip(block.failures) {
            all.merge(next);
        }
        invalid = invalid.or(block.invalid);
        unwritable = unwritable.or(block.unwritable);
        parts.extend(block.parts);
    }
    let mut reports = Vec::with_capacity(steps.len());
    for (step, failures) in steps.iter().zip(failures) {
        reports.push(step.end(failures)?);
    }
    if let Some(error) = invalid.or(unwritable) {
        return Err(error);
    }
    Ok((Finished::new(parts), reports))
}

fn run_block<'a>(steps: &[&dyn Fusable], start: usize, docs: Vec<Document<'a>>) -> BlockOut<'a> {
    let mut runs: Vec<Box<dyn Run + '_>> = steps.iter().map(|s| s.run(start)).collect();
    let mut out = BlockOut {
        parts: Vec::with_capacity(docs.len()),
        failures: steps.iter().map(|_| Failures::default()).collect(),
        invalid: None,
        unwritable: None,
    };
    let wanted = |kind: &str| steps.iter().any(|step| step.wants(kind));
    for (i, mut doc) in docs.into_iter().enumerate() {
        doc.read_ahead(wanted);
        for ((step, run), failures) in steps.iter().zip(&mut runs).zip(&mut out.failures) {
            if let Err(failure) = edit_one(*step, run.as_mut(), &mut doc) {
                failures.note(start + i, failure);
            }
        }
        if out.invalid.is_none() {
            out.invalid = doc.validate().err();
        }
        match doc.into_output() {
            Ok(part) => out.parts.push(part),
            Err(e) => {
                out.unwritable.get_or_insert(e);
            }
        }
    }
    for run in runs {
        run.done();
    }
    out
}

/// One step on one document, as [`super::edit_objects`] does it for each document in turn.
fn edit_one(step: &dyn Fusable, run: &mut dyn Run, doc: &mut Document<'_>) -> Result<(), Failure> {
    let wanted = match doc.kind().map_err(Failure::Parse)? {
        None => return Ok(()),
        Some(kind) => reads(kind, |k| step.wants(k)),
    };
    if !wanted {
        return Ok(());
    }
    doc.value().map_err(Failure::Parse)?;
    edit_document(doc, |k| step.wants(k), |at, object| run.edit(at, object))
        .map(|_| ())
        .map_err(Failure::Edit)
}
