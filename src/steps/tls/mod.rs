//! `tls`: a cert-manager Certificate and a TLS Ingress for a Service of the release.
//!
//! ```yaml
//! tls:
//!   - host: backstage.10.0.0.200.nip.io
//!     service: backstage        # default: the one Service exposing a port (not headless, not a database)
//!     port: 7007                # number or name; default: that Service's only port
//!     issuer: {kind: ClusterIssuer, name: minicloud-ca}
//!     redirect: true
//!     certificate: {duration: 2160h, renewBefore: 720h, privateKey: {algorithm: ECDSA, size: 256}}
//! ```
//!
//! Per entry, one `networking.k8s.io/v1` Ingress and one `cert-manager.io/v1` Certificate are
//! written right after the Service, in its namespace (else `--namespace`), both built from one
//! checked entry so they cannot disagree. The backend must be a Service and port of the stream,
//! so a chart upgrade that renames either fails the render instead of leaving an Ingress that
//! points at nothing.
//!
//! Idempotent: the injected documents carry the origin `overhelm/tls/<name>.yaml`, and finding
//! them in the input (a second render) keeps them as they are (or updates them in place when the
//! overlay changed) rather than adding copies. An Ingress of the chart for one of the hosts is an
//! error unless the entry says `adopt: true`; then that Ingress gets the TLS block (and the
//! annotations) and only the Certificate is added, after it.

mod adopt;
mod backend;
mod cert;
mod entry;
mod names;
mod objects;
mod plan;
mod scan;

use serde_json::Value;

use super::{Context, Report, Step};
use crate::error::{Error, Result};
use crate::overlay::tls::TlsEntry;
use crate::stream::{Document, Stream, list_items_mut};
use entry::Entry;
use plan::{Target, plan};
use scan::{Named, Place};

/// The compiled `tls` section.
#[derive(Debug)]
pub struct TlsStep {
    entries: Vec<Entry>,
}

impl TlsStep {
    /// Checks every entry, and that no two entries claim one host, name or Secret.
    pub fn new(specs: &[TlsEntry]) -> Result<Self> {
        let entries: Vec<Entry> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| Entry::compile(i, s))
            .collect::<Result<_>>()?;
        for (i, e) in entries.iter().enumerate() {
            for earlier in &entries[..i] {
                let clash = if let Some(h) = e.hosts.iter().find(|h| earlier.hosts.contains(h)) {
                    Some(format!(
                        "host {h} is also in {}; one host, one entry",
                        earlier.key
                    ))
                } else if e.name == earlier.name {
                    Some(format!(
                        "name {} is also {}'s; set `name:` on one of them",
                        e.name, earlier.key
                    ))
                } else if e.secret_name == earlier.secret_name {
                    Some(format!(
                        "secretName {} is also {}'s; two Certificates would overwrite one Secret",
                        e.secret_name, earlier.key
                    ))
                } else {
                    None
                };
                if let Some(message) = clash {
                    return Err(Error::overlay(&e.key, message));
                }
            }
        }
        Ok(TlsStep { entries })
    }
}

impl Step for TlsStep {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn parses(&self, kind: &str) -> bool {
        scan::WANTED.contains(&kind)
    }

    fn apply(&self, stream: &mut Stream<'_>, ctx: &Context) -> Result<Report> {
        let scanned = scan::scan(stream)?;
        let mut report = Report::new(self.name());
        let mut inserts = Vec::new();
        for entry in &self.entries {
            let plan = plan(entry, &scanned, ctx)?;
            let origin = entry.origin();
            let own = |named: &&Named| named.place.from(&origin);
            let ingress_state = match plan.target {
                Target::New(ingress) => {
                    let existing = scanned.ingresses.iter().map(|i| &i.named).find(own);
                    put(stream, entry, existing, ingress, plan.anchor, &mut inserts)?
                }
                Target::Adopt(place) => {
                    let changed = edit_at(stream, &place, |o| Ok(adopt::add_tls(entry, o)))?;
                    if changed { "adopted" } else { "kept adopted" }
                }
            };
            let existing = scanned.certificates.iter().find(own);
            let cert_state = put(
                stream,
                entry,
                existing,
                plan.certificate,
                plan.anchor,
                &mut inserts,
            )?;
            for (state, line) in [
                (ingress_state, plan.ingress_line),
                (cert_state, plan.certificate_line),
            ] {
                report.lines.push(format!("{}: {state} {line}", entry.key));
            }
        }
        stream.insert_after(inserts);
        Ok(report)
    }
}

/// Adds `value` as an injected document after `anchor`, or, when the entry's document is in the
/// stream already, keeps it (same value) or replaces its value. Returns what it did.
fn put<'a>(
    stream: &mut Stream<'a>,
    entry: &Entry,
    existing: Option<&Named>,
    value: Value,
    anchor: usize,
    inserts: &mut Vec<(usize, Document<'a>)>,
) -> Result<&'static str> {
    let doc = stream.new_document("tls", &entry.name, value);
    let Some(existing) = existing else {
        inserts.push((anchor, doc));
        return Ok("added");
    };
    // The fresh value carries the origin as Helm 4 sees it, so it compares equal to what an
    // earlier render wrote.
    let fresh = doc.value()?.cloned().unwrap_or_default();
    let changed = edit_at(stream, &existing.place, |object| {
        if *object == fresh {
            Ok(false)
        } else {
            *object = fresh;
            Ok(true)
        }
    })?;
    Ok(if changed { "updated" } else { "kept" })
}

/// Lets `change` edit the object at `place` (a document, or an item of a `kind: List`).
fn edit_at(
    stream: &mut Stream<'_>,
    place: &Place,
    change: impl FnOnce(&mut Value) -> Result<bool>,
) -> Result<bool> {
    let Some(doc) = stream.docs_mut().get_mut(place.pos) else {
        return Ok(false);
    };
    doc.edit(|value| match place.item {
        None => change(value),
        Some(i) => match list_items_mut(value).and_then(|items| items.get_mut(i)) {
            Some(object) => change(object),
            None => Ok(false),
        },
    })
}

#[cfg(test)]
mod tests;
