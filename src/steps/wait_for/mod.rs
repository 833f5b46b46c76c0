//! `waitFor`: an init container that holds a workload until its PostgreSQL (or any TCP service)
//! is really ready.
//!
//! ```yaml
//! waitFor:
//!   - workload: {kind: Deployment, name: backstage}   # default: every workload whose env names the host
//!     postgres:
//!       host: {fromEnv: POSTGRES_HOST}
//!       port: {fromEnv: POSTGRES_PORT}
//!       user: {fromEnv: POSTGRES_USER}
//!       password: {fromEnv: POSTGRES_PASSWORD}
//!       database: backstage_plugin_catalog
//!     timeout: 10m
//!     image: auto
//! ```
//!
//! Why: on a first install PostgreSQL needs minutes (init scripts, schema, checkpoint); an app
//! that starts at once and never retries stays broken, and `helm install --wait` still reports
//! success. An init container runs before every app container, so the fix lives in the manifest.
//!
//! Each entry adds one init container, first in `initContainers`, to each target workload (any
//! kind of `workload.rs`). Its values come from literals or from the app container's own env
//! (`env.rs`: copied as the kubelet would read them, secret references stay references), its
//! image is the release's PostgreSQL image (`image.rs`) or the one given, and it runs
//! `wait-for.sh` (`container.rs`). A workload that already has an init container of that name is
//! left as it is, so rendering the output again changes nothing.
//!
//! The plan is made while the stream is only read, and every error is found then; the stream
//! is changed only once the whole plan stands.

mod container;
mod duration;
mod env;
mod image;
mod sources;
mod spec;
mod targets;

use std::collections::BTreeMap;

use serde_json::Value;

use self::env::{AppEnv, Copied};
use self::sources::KnownSources;
use self::spec::{Entry, ImageChoice};
use self::targets::{Workload, container_name, missing_error, targets, workloads};
use super::{Context, Report, Step};
use crate::error::{Error, Result};
use crate::overlay::wait_for::WaitFor;
use crate::stream::{Stream, list_items_mut};
use crate::workload::{pod_spec, pod_spec_mut};

pub use self::container::SCRIPT;

/// The compiled `waitFor` section.
#[derive(Debug)]
pub struct WaitForStep {
    entries: Vec<Entry>,
}

/// Init containers to add, per workload (document position, list item), in entry order.
type Plan = BTreeMap<(usize, Option<usize>), Vec<Value>>;

impl WaitForStep {
    /// Checks and compiles the entries.
    pub fn new(entries: &[WaitFor]) -> Result<Self> {
        let entries = entries
            .iter()
            .enumerate()
            .map(|(i, e)| Entry::compile(i, e))
            .collect::<Result<_>>()?;
        Ok(WaitForStep { entries })
    }
}

impl Step for WaitForStep {
    fn name(&self) -> &'static str {
        "waitFor"
    }

    fn parses(&self, kind: &str) -> bool {
        crate::workload::is_workload(kind)
    }

    fn apply(&self, stream: &mut Stream<'_>, _ctx: &Context) -> Result<Report> {
        let mut report = Report::new(self.name());
        let plan = {
            let workloads = workloads(stream)?;
            let needs_sources = workloads.iter().any(|w| {
                w.containers("containers")
                    .iter()
                    .any(|c| c.get("envFrom").is_some())
            });
            let known = if needs_sources {
                KnownSources::collect(stream)?
            } else {
                KnownSources::default()
            };
            let mut plan = Plan::new();
            for entry in &self.entries {
                plan_entry(entry, &workloads, &known, &mut plan, &mut report)?;
            }
            plan
        };
        for ((pos, item), containers) in plan {
            let Some(doc) = stream.docs_mut().get_mut(pos) else {
                continue;
            };
            doc.edit(|value| {
                let object = match item {
                    None => Some(value),
                    Some(i) => list_items_mut(value).and_then(|items| items.get_mut(i)),
                };
                Ok(object
                    .and_then(pod_spec_mut)
                    .is_some_and(|spec| insert_first(spec, containers)))
            })?;
        }
        Ok(report)
    }
}

/// Adds `entry`'s init container to the plan of each of its targets.
fn plan_entry(
    entry: &Entry,
    workloads: &[Workload<'_>],
    known: &KnownSources,
    plan: &mut Plan,
    report: &mut Report,
) -> Result<()> {
    let mut image: Option<String> = None;
    for (w, app) in targets(entry, workloads, known, report)? {
        let id = w.id();
        let name = entry.name.as_str();
        if let Some(init) = pod_spec(w.object).and_then(|s| s.get("initContainers")) {
            if !init.is_array() && !init.is_null() {
                return Err(Error::doc(
                    &w.at,
                    &entry.key,
                    "initContainers is not a list",
                ));
            }
        }
        if has_container(w.containers("initContainers"), name) {
            report.lines.push(format!(
                "{id}: initContainers[{name}] is already there; left as it is"
            ));
            continue;
        }
        if has_container(w.containers("containers"), name) {
            return Err(Error::doc(
                &w.at,
                format!("{}.name", entry.key),
                format!(
                    "{name} is the name of an app container of {id}; give the entry another `name:`"
                ),
            ));
        }
        let planned = plan.entry((w.pos, w.item)).or_default();
        if has_container(planned, name) {
            return Err(Error::doc(
                &w.at,
                format!("{}.name", entry.key),
                format!(
                    "an earlier waitFor entry already adds an init container {name} to {id}; give this entry another `name:`"
                ),
            ));
        }
        let copied = env::copy(&entry.fields, app.as_ref(), known)
            .map_err(|m| missing_error(w, app.as_ref(), &m))?;
        let image = match (&entry.image, &mut image) {
            (ImageChoice::Given(given), _) => given.clone(),
            (ImageChoice::Auto, Some(found)) => found.clone(),
            (ImageChoice::Auto, slot @ None) => slot.insert(auto_image(entry, workloads)?).clone(),
        };
        describe(entry, &id, app.as_ref(), &image, &copied, report);
        planned.push(container::build(entry, &image, &copied));
    }
    Ok(())
}

fn auto_image(entry: &Entry, workloads: &[Workload<'_>]) -> Result<String> {
    let key = format!("{}.image", entry.key);
    let mut images = image::release_images(workloads);
    match images.len() {
        1 => Ok(images.remove(0)),
        0 => {
            let example = match entry.check {
                spec::Check::Tcp => "an image with nc or bash, e.g. docker.io/library/busybox:1.36",
                _ => "a PostgreSQL image, e.g. docker.io/library/postgres:16-alpine",
            };
            Err(Error::overlay(
                key,
                format!(
                    "`auto` takes the PostgreSQL image already in the release, and no container in the stream runs one (an image named postgres or postgresql); set `image:` to {example}"
                ),
            ))
        }
        _ => Err(Error::overlay(
            key,
            format!(
                "`auto` found several PostgreSQL images in the release ({}); set `image:` to the one to use",
                images.join(", ")
            ),
        )),
    }
}

/// Report lines and warnings for one added init container (variable names and references,
/// never a value of a password).
fn describe(
    entry: &Entry,
    id: &str,
    app: Option<&AppEnv<'_>>,
    image: &str,
    copied: &Copied,
    report: &mut Report,
) {
    let from = app.map_or(String::new(), |a| format!(" from container {}", a.name));
    report.lines.push(format!(
        "{id}: initContainers[{}] added first: {} check, image {image}, timeout {}s; env{from}: {}",
        entry.name,
        entry.check.as_str(),
        entry.timeout,
        copied.notes.join(", ")
    ));
    if let Some(key) = entry.literal_password() {
        report.warnings.push(format!("{key} is a literal, so the password is written into the manifest of {id}; use {{fromEnv: VAR}} with a secretKeyRef"));
    }
    for var in &copied.plain_secrets {
        report.warnings.push(format!("{}: {id}: the password comes from the plain value of {var}, which is copied into the init container; a secretKeyRef would keep it out of the manifest", entry.key));
    }
}

fn has_container(list: &[Value], name: &str) -> bool {
    list.iter().any(|c| container_name(c) == name)
}

/// Puts `containers` first in `initContainers`, creating the list (before `containers`, where a
/// reader looks for it) when there is none.
fn insert_first(spec: &mut Value, containers: Vec<Value>) -> bool {
    let Some(map) = spec.as_object_mut() else {
        return false;
    };
    if containers.is_empty() {
        return false;
    }
    match map.get_mut("initContainers") {
        Some(Value::Array(list)) => {
            list.splice(0..0, containers);
        }
        Some(slot @ Value::Null) => *slot = Value::Array(containers),
        Some(_) => return false,
        None => {
            let at = map
                .keys()
                .position(|k| k == "containers")
                .unwrap_or(map.len());
            map.shift_insert(at, "initContainers".into(), Value::Array(containers));
        }
    }
    true
}

#[cfg(test)]
mod tests;
