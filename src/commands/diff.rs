//! `overhelm diff OLD NEW`: the structural diff of two manifest streams (`-` = stdin), exit 1
//! when they differ. Documents that only moved are not a difference (Helm orders what it
//! installs); a document whose bytes differ, even only in comments, is.

use std::io::IsTerminal;
use std::path::Path;

use super::{Outcome, read_input, utf8, write_stdout};
use crate::cli::DiffArgs;
use crate::golden::{DiffOptions, StreamDiff, diff_streams, structure, unified_text};

/// The report formats of `check` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people (coloured on a terminal).
    Text,
    /// For CI annotations and scripts.
    Json,
}

/// Reads `--format`.
pub fn format(text: &str) -> anyhow::Result<Format> {
    match text {
        "text" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        other => anyhow::bail!("--format {other:?}: use `text` or `json`"),
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to something (no-color.org).
pub fn use_color(format: Format) -> bool {
    format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<Outcome> {
    let format = format(&args.format)?;
    let stdin = Path::new("-");
    if args.old == stdin && args.new == stdin {
        anyhow::bail!("only one of OLD and NEW can be `-` (stdin)");
    }
    let label = |p: &Path| {
        if p == stdin {
            "stdin".to_string()
        } else {
            p.display().to_string()
        }
    };
    let (old_label, new_label) = (label(&args.old), label(&args.new));
    let (old, new) = (read_input(&args.old)?, read_input(&args.new)?);
    let (old, new) = (utf8(&old, &old_label)?, utf8(&new, &new_label)?);
    let diff = diff_streams(old, new, &DiffOptions::new(&old_label, &new_label))?;
    match format {
        Format::Json => write_stdout(&(serde_json::to_string_pretty(&diff)? + "\n"))?,
        Format::Text => write_stdout(&text(&diff, use_color(format)))?,
    }
    Ok(if diff.drift {
        Outcome::Drift
    } else {
        Outcome::Success
    })
}

/// The diff for people: the structure, then the unified diff; a line saying why there is no
/// difference when the bytes differ anyway.
pub fn text(diff: &StreamDiff, color: bool) -> String {
    if diff.drift {
        return structure(diff, color) + &unified_text(&diff.unified, color);
    }
    match (diff.identical, diff.reordered) {
        (true, _) => String::new(),
        (false, true) => "no differences: the same documents, in a different order\n".into(),
        (false, false) => {
            "no differences: the same documents; only the bytes between them differ (separators or a byte-order mark)\n".into()
        }
    }
}
