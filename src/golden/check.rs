//! Checking one case: run it, compare with its expected file, explain any drift, and (with
//! `update`) bless the new output. `overhelm check` and `cargo test --test golden` both call
//! [`check_case`], so the product and the tests cannot drift apart.
//!
//! The verdict is exact bytes ([`super::case::verdict`]): the output order and every byte are
//! part of the golden file. The explanation is the structural diff, notes for what it does not
//! show (documents in another order, bytes outside documents), and the unified diff.

use serde::Serialize;

use super::case::{Case, Produced, RunOptions, Verdict, run_with, verdict};
use super::diff::{DiffOptions, StreamDiff, diff_streams, unified_streams};
use super::unified::{Side, unified};
use super::update::write_expected;
use crate::error::{Error, Result};

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Where tools are looked for.
    pub run: RunOptions,
    /// A case that cannot run (helm missing) is an error rather than skipped (under CI).
    pub strict: bool,
    /// Rewrite expected files that differ or are missing.
    pub update: bool,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Output as expected.
    Match,
    /// Output differs from the expected file.
    Drift,
    /// No expected file.
    Missing,
    /// Could not run here (a tool is missing).
    Skipped,
    /// The expected file was rewritten (`--update`).
    Updated,
}

/// What checking a case found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// The case folder, as given.
    pub case: String,
    /// The case's name.
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// The expected file compared with (or written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Explanations: the command that creates a missing file, why a case was skipped, what the
    /// structural diff cannot show.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The structural diff, when both sides are manifest streams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<StreamDiff>,
    /// The unified diff of the bytes (Secret values masked).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unified: String,
}

/// Runs and checks one case.
pub fn check_case(case: &Case, opts: &CheckOptions) -> Result<CaseResult> {
    let mut result = CaseResult {
        case: case.dir.display().to_string(),
        name: case.name(),
        status: Status::Match,
        expected: case.expected_file().map(|p| p.display().to_string()),
        notes: Vec::new(),
        diff: None,
        unified: String::new(),
    };
    if let Some(reason) = case.missing_tool(&opts.run) {
        if opts.strict {
            return Err(Error::OverlayFile {
                file: case.dir.join("case.yaml").display().to_string(),
                message: format!(
                    "{reason}; under CI (`CI` is set) a case that cannot run is an error, not skipped"
                ),
            });
        }
        result.status = Status::Skipped;
        result.notes.push(reason);
        return Ok(result);
    }
    let produced = run_with(case, &opts.run)?;
    match verdict(case, &produced)? {
        Verdict::Match => return Ok(result),
        Verdict::Missing => {
            result.status = Status::Missing;
            result.notes.push(format!(
                "no expected.yaml or expected.err; check the output, then create it with: overhelm check --update {}",
                result.case
            ));
        }
        Verdict::Drift { expected, .. } => {
            result.status = Status::Drift;
            explain(case, &expected, &produced, &mut result);
        }
    }
    if opts.update {
        let written = write_expected(case, &produced)?;
        if result.status == Status::Missing {
            result.notes.clear();
        }
        result.status = Status::Updated;
        result.expected = Some(written.display().to_string());
    }
    Ok(result)
}

/// Fills in the notes and diffs of a drifted case.
fn explain(case: &Case, expected: &str, produced: &Produced, result: &mut CaseResult) {
    let label = result.expected.clone().unwrap_or_default();
    let wants_error = case.expected_err_path().exists();
    match (wants_error, produced) {
        (false, Ok(output)) => {
            let opts = DiffOptions {
                always_unified: true,
                ..DiffOptions::new(&label, "actual output")
            };
            match diff_streams(expected, output, &opts) {
                Ok(mut diff) => {
                    result.unified = std::mem::take(&mut diff.unified);
                    if !diff.drift && diff.reordered {
                        result.notes.push(
                            "no document changed, but the order is part of the golden file".into(),
                        );
                    } else if !diff.drift {
                        result.notes.push("the documents are equal; the bytes between them differ (separators or a byte-order mark)".into());
                    }
                    result.diff = Some(diff);
                }
                Err(e) => {
                    result.notes.push(format!("no structural diff: {e}"));
                    result.unified =
                        unified_streams(expected, output, (&label, "actual output"), 3);
                }
            }
        }
        (false, Err(message)) => result
            .notes
            .push(format!("expected output, but the case failed: {message}")),
        (true, Ok(_)) => result.notes.push(format!(
            "expected the case to fail with: {}; but it succeeded",
            expected.trim_end()
        )),
        (true, Err(message)) => {
            let actual = format!("{}\n", message.trim_end());
            let want = format!("{}\n", expected.trim_end());
            result.unified = unified(
                &mut Side::plain(&want),
                &mut Side::plain(&actual),
                Some((&label, "actual error")),
                3,
            );
        }
    }
}
