//! The post-renderer as one function: manifest text in, manifest text out.
//!
//! `overhelm render`, `template`, `argocd generate`, the golden cases of `check` and the tests all
//! call [`render`], so they cannot drift apart.
//!
//! The steps that need the whole stream run first, in order; the steps after the last of them
//! that can run document by document (registry, resources, budget) run in one fused pass that
//! also checks and writes each document and frees its value ([`crate::steps::fused`]).
//! [`render_step_by_step`] runs every step over the whole stream, one after another: slower and
//! larger in memory, it is what the fused pass is held to.

use std::convert::Infallible;

use crate::error::Result;
use crate::overlay::Overlay;
use crate::steps::fused::{self, Fusable};
use crate::steps::{self, Context, Report};
use crate::stream::{Cutter, Document, Finished, Piece, Stream};
use crate::yaml::Limits;

/// What a render produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The output stream.
    pub output: String,
    /// What each step did.
    pub reports: Vec<Report>,
}

/// A render whose output is ready but not written yet: every error has been found, so writing
/// it ([`Finished::write_to`]) can only fail on I/O.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The output stream.
    pub output: Finished<'a>,
    /// What each step did.
    pub reports: Vec<Report>,
}

/// Runs the overlay's steps on `input`. All or nothing: any error, and no output.
pub fn render(input: &str, overlay: &Overlay, ctx: &Context, limits: &Limits) -> Result<Rendered> {
    let prepared = prepare(input, overlay, ctx, limits)?;
    Ok(Rendered {
        output: prepared.output.into_string(),
        reports: prepared.reports,
    })
}

/// [`render`] without building the output string: `overhelm render` streams it to stdout.
pub fn prepare<'a>(
    input: &'a str,
    overlay: &Overlay,
    ctx: &Context,
    limits: &'a Limits,
) -> Result<Prepared<'a>> {
    let whole = |give: &mut dyn FnMut(Piece<'a>)| {
        give(Piece::Borrowed(input));
        Ok::<(), Infallible>(())
    };
    match prepare_fed(whole, input.len(), overlay, ctx, limits) {
        Ok(prepared) => prepared,
        Err(never) => match never {},
    }
}

/// [`prepare`] on the input `produce` gives piece by piece, in order (each piece whole
/// documents, see [`Cutter`]): when only steps that run document by document are asked for, the
/// work starts while `produce` is still giving them (reading the input, say). `expected` is the
/// size of the input when known (a file's), else 0. An error of `produce` comes before any
/// other.
pub fn prepare_fed<'a, E>(
    produce: impl FnOnce(&mut dyn FnMut(Piece<'a>)) -> std::result::Result<(), E>,
    expected: usize,
    overlay: &Overlay,
    ctx: &Context,
    limits: &'a Limits,
) -> std::result::Result<Result<Prepared<'a>>, E> {
    let mut cutter = Cutter::new(limits);
    let produce =
        |give: &mut dyn FnMut(Document<'a>)| produce(&mut |piece| cutter.cut(piece, &mut *give));
    let steps = match steps::build(overlay) {
        Ok(steps) => steps,
        Err(e) => return Ok(Err(e)),
    };
    let mut parts: Vec<Option<Box<dyn Fusable + '_>>> =
        steps.iter().map(|step| step.object_step()).collect();
    // Only the steps after the last whole-stream step can be fused.
    let first_fused = parts.iter().rposition(Option::is_none).map_or(0, |i| i + 1);
    let fusable: Vec<Box<dyn Fusable + '_>> = parts.drain(first_fused..).flatten().collect();
    let fusable: Vec<&dyn Fusable> = fusable.iter().map(AsRef::as_ref).collect();
    let whole = &steps[..first_fused];
    if whole.is_empty() {
        return Ok(fused::run(&fusable, expected, produce)?
            .map(|(output, reports)| Prepared { output, reports }));
    }
    let mut docs = Vec::new();
    produce(&mut |doc| docs.push(doc))?;
    Ok(whole_then_fused(whole, &fusable, docs, ctx, limits))
}

/// The steps that need the whole stream, in order, then the fused pass.
fn whole_then_fused<'a>(
    whole: &[Box<dyn steps::Step>],
    fusable: &[&dyn Fusable],
    docs: Vec<Document<'a>>,
    ctx: &Context,
    limits: &'a Limits,
) -> Result<Prepared<'a>> {
    let mut stream = Stream::from_docs(docs, limits);
    stream.prepare(|kind| whole.iter().any(|step| step.parses(kind)));
    let mut reports = steps::run(whole, &mut stream, ctx)?;
    stream.release(|kind| fusable.iter().any(|step| step.wants(kind)));
    let docs = stream.into_docs();
    let given = fused::run(fusable, 0, |give| {
        docs.into_iter().for_each(give);
        Ok::<(), Infallible>(())
    });
    let (output, fused_reports) = given.unwrap_or_else(|never| match never {})?;
    reports.extend(fused_reports);
    Ok(Prepared { output, reports })
}

/// [`render`] with every step run over the whole stream, one after another, and the stream
/// checked and written after the last: the reference for the fused pass (the property tests
/// compare the two byte for byte, errors and reports included). Slower, and it holds every
/// changed document as a value until the end.
pub fn render_step_by_step(
    input: &str,
    overlay: &Overlay,
    ctx: &Context,
    limits: &Limits,
) -> Result<Rendered> {
    let steps = steps::build(overlay)?;
    let mut stream = Stream::split(input, limits);
    stream.prepare(|kind| steps.iter().any(|step| step.parses(kind)));
    let reports = steps::run(&steps, &mut stream, ctx)?;
    stream.validate()?;
    Ok(Rendered {
        output: stream.finish()?.into_string(),
        reports,
    })
}

/// The reports as text, one `step: line` per change.
pub fn report_text(reports: &[Report]) -> String {
    let mut out = String::new();
    for report in reports {
        if report.lines.is_empty() {
            out.push_str(&format!("{}: no changes\n", report.step));
        }
        for line in &report.lines {
            out.push_str(&format!("{}: {line}\n", report.step));
        }
    }
    out
}
