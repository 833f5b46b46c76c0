//! Which workloads a `waitFor` entry holds, and which app container's env its `fromEnv` reads.
//!
//! With `workload:` the targets are the workloads it matches (none is an error naming the
//! selector and listing the workloads). Without it they are every workload with an app container
//! whose env names the entry's host variable (or its first `fromEnv` variable), except a
//! PostgreSQL server itself. The app container is the one named by `container:`, else the first
//! whose env names that variable.

use serde_json::Value;

use super::env::{AppEnv, Missing};
use super::image;
use super::sources::KnownSources;
use super::spec::{Entry, Source};
use crate::error::{DocAt, Error, Result};
use crate::steps::Report;
use crate::stream::{Stream, list_items, reads};
use crate::workload::{is_workload, pod_spec};

/// A workload object of the stream: document position, list item, location, value.
pub(super) struct Workload<'s> {
    /// Position of the document in the stream.
    pub pos: usize,
    /// Item of a `kind: List` document.
    pub item: Option<usize>,
    /// Where it is, for messages.
    pub at: DocAt,
    /// The object.
    pub object: &'s Value,
}

impl<'s> Workload<'s> {
    pub(super) fn id(&self) -> String {
        self.at.id.clone().unwrap_or_else(|| self.at.to_string())
    }

    pub(super) fn containers(&self, list: &str) -> &'s [Value] {
        pod_spec(self.object)
            .and_then(|s| s.get(list))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn namespace(&self) -> Option<&'s str> {
        self.object
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
    }
}

/// Every workload object of the stream, items of `kind: List` included.
pub(super) fn workloads<'s>(stream: &'s Stream<'_>) -> Result<Vec<Workload<'s>>> {
    let mut found = Vec::new();
    for (pos, doc) in stream.docs().iter().enumerate() {
        let Some(kind) = doc.kind()? else { continue };
        if !reads(kind, is_workload) {
            continue;
        }
        let Some(value) = doc.value()? else { continue };
        let kind_of = |v: &Value| {
            v.get("kind")
                .and_then(Value::as_str)
                .is_some_and(is_workload)
        };
        if let Some(items) = list_items(value) {
            for (i, object) in items.iter().enumerate().filter(|(_, o)| kind_of(o)) {
                let at = doc.at_item(i, object);
                found.push(Workload {
                    pos,
                    item: Some(i),
                    at,
                    object,
                });
            }
        } else if kind_of(value) {
            found.push(Workload {
                pos,
                item: None,
                at: doc.at(),
                object: value,
            });
        }
    }
    Ok(found)
}

/// The workloads an entry adds its init container to, each with the app container whose env
/// `fromEnv` reads (none when every value is a literal).
pub(super) fn targets<'w, 's>(
    entry: &Entry,
    workloads: &'w [Workload<'s>],
    known: &KnownSources,
    report: &mut Report,
) -> Result<Vec<(&'w Workload<'s>, Option<AppEnv<'s>>)>> {
    let Some(selector) = &entry.selector else {
        return default_targets(entry, workloads, known, report);
    };
    let matched: Vec<&Workload<'s>> = workloads
        .iter()
        .filter(|w| selector.matches(w.object))
        .collect();
    if matched.is_empty() {
        let all: Vec<String> = workloads.iter().map(Workload::id).collect();
        let all = if all.is_empty() {
            "none".to_string()
        } else {
            all.join(", ")
        };
        return Err(Error::overlay(
            format!("{}.workload", entry.key),
            format!(
                "{selector} matches no workload in the stream (workloads: {all}); fix the selector"
            ),
        ));
    }
    matched
        .into_iter()
        .map(|w| Ok((w, app_container(entry, w, known)?)))
        .collect()
}

/// Without a selector: every workload with an app container whose env names the entry's
/// variable, except a PostgreSQL server itself (it would wait for itself forever; a backup job
/// that runs the same image without a port does wait).
fn default_targets<'w, 's>(
    entry: &Entry,
    workloads: &'w [Workload<'s>],
    known: &KnownSources,
    report: &mut Report,
) -> Result<Vec<(&'w Workload<'s>, Option<AppEnv<'s>>)>> {
    let Some(var) = entry.anchor() else {
        return Err(Error::overlay(
            format!("{}.workload", entry.key),
            "is needed when no value comes from `fromEnv` (the default target is every workload whose env names the host variable); add `workload: {kind: ..., name: ...}`",
        ));
    };
    let mut found = Vec::new();
    for w in workloads {
        let Some(container) = w.containers("containers").iter().find(|c| {
            entry
                .container
                .as_deref()
                .is_none_or(|n| container_name(c) == n)
                && AppEnv::new(c, w.namespace()).names(var, known)
        }) else {
            continue;
        };
        if image::is_server(container) {
            let server = container
                .get("image")
                .and_then(Value::as_str)
                .unwrap_or_default();
            report.lines.push(format!(
                "{}: skipped: it runs PostgreSQL itself ({server})",
                w.id()
            ));
            continue;
        }
        found.push((w, Some(AppEnv::new(container, w.namespace()))));
    }
    if found.is_empty() {
        return Err(Error::overlay(
            &entry.key,
            format!(
                "no workload in the stream has {var} in its containers' env (the default target); add `workload: {{kind: ..., name: ...}}` or fix the variable name"
            ),
        ));
    }
    Ok(found)
}

/// The app container of an explicit target: the one named by `container:`, else the first whose
/// env names the entry's variable, else the first that may get it from an `envFrom` source
/// outside the stream.
fn app_container<'s>(
    entry: &Entry,
    w: &Workload<'s>,
    known: &KnownSources,
) -> Result<Option<AppEnv<'s>>> {
    let containers = w.containers("containers");
    let names = || {
        containers
            .iter()
            .map(container_name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = &entry.container {
        let found = containers
            .iter()
            .find(|c| container_name(c) == wanted.as_str());
        return match found {
            Some(c) => Ok(Some(AppEnv::new(c, w.namespace()))),
            None => Err(Error::doc(
                &w.at,
                format!("{}.container", entry.key),
                format!(
                    "{} has no container {wanted} (containers: {})",
                    w.id(),
                    names()
                ),
            )),
        };
    }
    let Some(var) = entry.anchor() else {
        return Ok(None);
    };
    let apps: Vec<AppEnv<'s>> = containers
        .iter()
        .map(|c| AppEnv::new(c, w.namespace()))
        .collect();
    if let Some(i) = apps
        .iter()
        .position(|a| a.names(var, known))
        .or_else(|| apps.iter().position(|a| a.may_have(var, known)))
    {
        return Ok(apps.into_iter().nth(i));
    }
    let field = entry
        .fields
        .iter()
        .find(|f| matches!(&f.source, Source::FromEnv(v) if v == var))
        .map_or(entry.key.clone(), |f| f.key.clone());
    let detail: Vec<String> = apps
        .iter()
        .map(|a| format!("{} ({})", a.name, a.describe()))
        .collect();
    let message = match apps.as_slice() {
        [] => format!("{} has no containers to read {var} from", w.id()),
        [one] => format!(
            "container {} has no env {var} ({})",
            one.name,
            one.describe()
        ),
        _ => format!("no container has env {var}: {}", detail.join("; ")),
    };
    Err(Error::doc(&w.at, field, message))
}

pub(super) fn missing_error(
    w: &Workload<'_>,
    app: Option<&AppEnv<'_>>,
    missing: &Missing,
) -> Error {
    let message = match app {
        Some(app) => format!(
            "container {} has no env {} ({})",
            app.name,
            missing.var,
            app.describe()
        ),
        None => format!(
            "{} has no app container to read {} from",
            w.id(),
            missing.var
        ),
    };
    Error::doc(&w.at, &missing.key, message)
}

pub(super) fn container_name(container: &Value) -> &str {
    container
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}
