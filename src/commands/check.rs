//! `overhelm check [CASE_DIR]...`: runs golden cases and explains any drift. Exit 0 when every
//! case matches, 1 on drift or a missing expected file, 2 when a case cannot be run.
//!
//! `--update` rewrites expected files and is refused when `CI` is set: an expected file is a
//! reviewed change, made locally and committed, never by the pipeline that checks it. Under
//! CI a case that cannot run here (its helm is missing) is an error rather than skipped.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::diff::{Format, format, use_color};
use super::{Outcome, write_stdout};
use crate::cli::CheckArgs;
use crate::golden::{
    Case, CaseResult, CheckOptions, RunOptions, Status, case_text, check_case, expand,
};

/// The JSON report.
#[derive(Debug, Serialize)]
struct Report<'r> {
    drift: bool,
    summary: String,
    cases: &'r [CaseResult],
    errors: &'r [CaseError],
}

/// A case that could not be checked.
#[derive(Debug, Serialize)]
struct CaseError {
    case: String,
    message: String,
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<Outcome> {
    let format = format(&args.format)?;
    let ci = std::env::var_os("CI").is_some();
    if args.update && ci {
        anyhow::bail!(
            "check --update is refused because CI is set: expected files are reviewed changes; run `overhelm check --update` locally, review the diff it prints, and commit the files"
        );
    }
    let dirs = expand(&case_paths(&args.cases)?)?;
    let opts = CheckOptions {
        run: RunOptions::default(),
        strict: ci,
        update: args.update,
    };
    let color = use_color(format);
    let (mut results, mut errors) = (Vec::new(), Vec::new());
    for dir in dirs {
        match Case::load(&dir).and_then(|case| check_case(&case, &opts)) {
            Ok(result) => {
                if format == Format::Text {
                    write_stdout(&case_text(&result, color))?;
                }
                results.push(result);
            }
            Err(err) => {
                if format == Format::Text {
                    write_stdout(&format!("ERROR    {}: {err}\n", dir.display()))?;
                }
                errors.push(CaseError {
                    case: dir.display().to_string(),
                    message: err.to_string(),
                });
            }
        }
    }
    let drift = results
        .iter()
        .any(|r| matches!(r.status, Status::Drift | Status::Missing));
    let summary = summary(&results, errors.len());
    match format {
        Format::Text => write_stdout(&format!("{summary}\n"))?,
        Format::Json => {
            let report = Report {
                drift,
                summary,
                cases: &results,
                errors: &errors,
            };
            write_stdout(&(serde_json::to_string_pretty(&report)? + "\n"))?;
        }
    }
    if !errors.is_empty() {
        anyhow::bail!("{} golden case(s) could not be checked", errors.len());
    }
    Ok(if drift {
        Outcome::Drift
    } else {
        Outcome::Success
    })
}

/// The case folders named, or `golden/` when none is.
fn case_paths(given: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let default = Path::new("golden");
    if !default.is_dir() {
        anyhow::bail!(
            "no golden/ folder here: run from the folder that holds golden/, or name case folders"
        );
    }
    Ok(vec![default.to_path_buf()])
}

/// `4 cases: 3 ok, 1 drift`.
fn summary(results: &[CaseResult], errors: usize) -> String {
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let parts = [
        (count(Status::Match), "ok"),
        (count(Status::Drift), "drift"),
        (count(Status::Missing), "missing"),
        (count(Status::Skipped), "skipped"),
        (count(Status::Updated), "updated"),
        (errors, "error"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    let total = results.len() + errors;
    let noun = if total == 1 { "case" } else { "cases" };
    format!("{total} {noun}: {}", shown.join(", "))
}
