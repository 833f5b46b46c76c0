//! The post-renderer as one function: manifest text in, manifest text out.
//!
//! `overhelm render`, `template`, `argocd generate`, the golden cases of `check` and the tests all
//! call [`render`], so they cannot drift apart.

use crate::error::Result;
use crate::overlay::Overlay;
use crate::steps::{self, Context, Report};
use crate::stream::{Finished, Stream};
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
    let steps = steps::build(overlay)?;
    let mut stream = Stream::split(input, limits);
    stream.prepare(|kind| steps.iter().any(|step| step.parses(kind)));
    let reports = steps::run(&steps, &mut stream, ctx)?;
    stream.validate()?;
    Ok(Prepared {
        output: stream.finish()?,
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
