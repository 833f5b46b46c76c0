//! A structural diff as text for people: one line per resource, one per changed path, then the
//! unified diff. Colour is the caller's choice (a terminal, and `NO_COLOR` unset).
//!
//! ```text
//! ~ apps/v1 Deployment backstage/backstage
//!     ~ spec.template.spec.containers[name=backstage-backend].image: ghcr.io/a:1 -> harbor/a:1
//!     + spec.template.spec.containers[name=backstage-backend].env[name=LOG_LEVEL]: {"name":"LOG_LEVEL","value":"debug"}
//! ~ v1 Secret backstage/backstage-postgres-secret
//!     ~ data.password: changed (Secret value, masked)
//! + v1 Service backstage/backstage-extra
//! - v1 ConfigMap backstage/old
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use super::check::{CaseResult, Status};
use super::diff::{DocChange, DocDiff, StreamDiff};
use super::tree::{ChangeKind, PathChange};
use super::unified::{Side, unified};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Wraps `text` in an ANSI colour when `color` is on.
pub fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// One case's result: a status line, then (for drift or an update) the structural diff, notes
/// and the unified diff.
pub fn case_text(result: &CaseResult, color: bool) -> String {
    let (word, code) = match result.status {
        Status::Match => ("ok", GREEN),
        Status::Drift => ("DRIFT", RED),
        Status::Missing => ("MISSING", RED),
        Status::Skipped => ("SKIPPED", YELLOW),
        Status::Updated => ("UPDATED", YELLOW),
    };
    let mut out = format!(
        "{} {}",
        paint(&format!("{word:<8}"), code, color),
        result.case
    );
    match (&result.expected, result.status) {
        (Some(file), Status::Drift) => out.push_str(&format!(": differs from {file}")),
        (Some(file), Status::Updated) => out.push_str(&format!(": wrote {file}")),
        _ => {}
    }
    out.push('\n');
    if let Some(diff) = &result.diff {
        for line in structure(diff, color).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for note in &result.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    out.push_str(&unified_text(&result.unified, color));
    out
}

/// The structural part of a diff: resources and paths, then notes. Empty when nothing moved.
pub fn structure(diff: &StreamDiff, color: bool) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for doc in &diff.documents {
        *counts.entry(doc.label.as_str()).or_default() += 1;
    }
    let mut out = String::new();
    for doc in &diff.documents {
        out.push_str(&doc_line(doc, counts[doc.label.as_str()] > 1, color));
        for change in &doc.paths {
            out.push_str(&path_lines(change, color));
        }
    }
    if diff.reordered {
        out.push_str("note: documents are in a different order\n");
    }
    out
}

fn doc_line(doc: &DocDiff, duplicate: bool, color: bool) -> String {
    let (sigil, code) = match doc.change {
        DocChange::Changed | DocChange::Text => ("~", YELLOW),
        DocChange::Added => ("+", GREEN),
        DocChange::Removed => ("-", RED),
    };
    let mut line = format!("{sigil} {}", doc.label);
    // Where to find it: always for a lone document, and when one label names several.
    if duplicate || doc.change == DocChange::Added || doc.change == DocChange::Removed {
        let at = |l: &Option<super::diff::Loc>| l.as_ref().map(|l| l.index.to_string());
        match (at(&doc.old), at(&doc.new)) {
            (Some(a), Some(b)) => line.push_str(&format!(" (document {a} -> {b})")),
            (Some(a), None) | (None, Some(a)) => line.push_str(&format!(" (document {a})")),
            (None, None) => {}
        }
    }
    if doc.change == DocChange::Text {
        line.push_str(": text only (comments, formatting or key order; the values are equal)");
    }
    format!("{}\n", paint(&line, code, color))
}

fn path_lines(change: &PathChange, color: bool) -> String {
    let path = &change.path;
    let show = |v: &Option<Value>| v.as_ref().map(value_text).unwrap_or_default();
    let (line, code) = match (change.change, change.masked) {
        (ChangeKind::Changed, true) => {
            (format!("~ {path}: changed (Secret value, masked)"), YELLOW)
        }
        (ChangeKind::Added, true) => (format!("+ {path}: <masked>"), GREEN),
        (ChangeKind::Removed, true) => (format!("- {path}: <masked>"), RED),
        (ChangeKind::Changed, false) => {
            if let (Some(Value::String(a)), Some(Value::String(b))) = (&change.old, &change.new) {
                if a.contains('\n') || b.contains('\n') {
                    return text_change(path, a, b, color);
                }
            }
            (
                format!("~ {path}: {} -> {}", show(&change.old), show(&change.new)),
                YELLOW,
            )
        }
        (ChangeKind::Added, false) => (format!("+ {path}: {}", show(&change.new)), GREEN),
        (ChangeKind::Removed, false) => (format!("- {path}: {}", show(&change.old)), RED),
        (ChangeKind::Reordered, _) => (
            format!(
                "~ {path}: order {} -> {}",
                show(&change.old),
                show(&change.new)
            ),
            YELLOW,
        ),
    };
    format!("    {}\n", paint(&line, code, color))
}

/// A multi-line string (a config file in a ConfigMap): the lines that changed.
fn text_change(path: &str, old: &str, new: &str, color: bool) -> String {
    let mut out = format!(
        "    {}\n",
        paint(&format!("~ {path}: text changed"), YELLOW, color)
    );
    let diff = unified(&mut Side::plain(old), &mut Side::plain(new), None, 1);
    for line in diff.lines() {
        out.push_str(&format!("        {}\n", diff_line(line, color)));
    }
    out
}

/// A unified diff with its lines coloured.
pub fn unified_text(diff: &str, color: bool) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.lines() {
        out.push_str(&diff_line(line, color));
        out.push('\n');
    }
    out
}

fn diff_line(line: &str, color: bool) -> String {
    let code = if line.starts_with("+++") || line.starts_with("---") {
        BOLD
    } else if line.starts_with('+') {
        GREEN
    } else if line.starts_with('-') {
        RED
    } else if line.starts_with("@@") {
        CYAN
    } else {
        return line.to_string();
    };
    paint(line, code, color)
}

/// A value on one line: plain for simple strings (`ghcr.io/backstage/backstage:1.35.0`), JSON
/// otherwise, so that `"1"` and `1`, or `"true"` and `true`, stay distinct.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) if plain(s) => s.clone(),
        other => other.to_string(),
    }
}

fn plain(s: &str) -> bool {
    let looks_typed = s.parse::<f64>().is_ok()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        );
    !s.is_empty()
        && !looks_typed
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:@=+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_stay_unambiguous() {
        assert_eq!(
            value_text(&json!("ghcr.io/backstage/backstage:1.35")),
            "ghcr.io/backstage/backstage:1.35"
        );
        assert_eq!(value_text(&json!("1")), "\"1\"");
        assert_eq!(value_text(&json!(1)), "1");
        assert_eq!(value_text(&json!("on")), "\"on\"");
        assert_eq!(value_text(&json!("a b")), "\"a b\"");
        assert_eq!(value_text(&json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(unified_text("+a\n-b\n c\n", false), "+a\n-b\n c\n");
        assert_eq!(unified_text("+a\n", true), format!("{GREEN}+a{RESET}\n"));
    }
}
