//! What one `tls` entry will do to the stream: which Service and port it points at (or which
//! chart Ingress it adopts), which namespace its objects go to, and the objects themselves.
//! Every conflict with what the stream already holds (an Ingress for the host, an object or
//! Secret of the same name) is refused here, before anything changes.

use serde_json::{Map, Value};

use super::entry::Entry;
use super::scan::{Ingress, Place, Scanned};
use super::{adopt, backend, objects};
use crate::error::{Error, Result};
use crate::steps::Context;
use crate::stream::object_id;

/// What one entry will do.
pub struct Plan {
    /// A new Ingress, or the chart's Ingress to adopt.
    pub target: Target,
    /// The Certificate.
    pub certificate: Value,
    /// Where the injected documents go: after the Service, or after the adopted Ingress.
    pub anchor: usize,
    /// `--report` text for the Ingress.
    pub ingress_line: String,
    /// `--report` text for the Certificate.
    pub certificate_line: String,
}

/// The Ingress side of a plan.
pub enum Target {
    /// An Ingress overhelm writes.
    New(Value),
    /// A chart's Ingress that gets the TLS block.
    Adopt(Place),
}

/// Plans one entry against the stream.
pub fn plan(entry: &Entry, scanned: &Scanned, ctx: &Context) -> Result<Plan> {
    let origin = entry.origin();
    let foreign: Vec<&Ingress> = scanned
        .ingresses
        .iter()
        .filter(|i| !i.named.place.from(&origin))
        .collect();
    let serving: Vec<&Ingress> = foreign
        .iter()
        .copied()
        .filter(|i| i.hosts.iter().any(|h| entry.hosts.contains(h)))
        .collect();
    let side = if entry.adopt {
        adopt_side(entry, &serving, scanned, ctx)?
    } else {
        new_side(entry, &foreign, &serving, scanned, ctx)?
    };
    refuse_taken_secret(entry, scanned, side.namespace.as_deref(), ctx)?;
    let certificate = objects::certificate(entry, side.namespace.as_deref(), side.labels);
    let certificate_line = format!(
        "{}: dnsNames {}, {} {}, secret {}",
        object_id(&certificate).unwrap_or_default(),
        entry.hosts.join(", "),
        entry.issuer.kind,
        entry.issuer.name,
        entry.secret_name
    );
    Ok(Plan {
        target: side.target,
        certificate,
        anchor: side.anchor,
        ingress_line: side.line,
        certificate_line,
    })
}

/// The Ingress side of a plan, and what the Certificate takes from it.
struct Side {
    target: Target,
    namespace: Option<String>,
    labels: Map<String, Value>,
    anchor: usize,
    line: String,
}

fn adopt_side(
    entry: &Entry,
    serving: &[&Ingress],
    scanned: &Scanned,
    ctx: &Context,
) -> Result<Side> {
    let target = adopt::adoptable(entry, serving)?;
    adopt::check_backends(entry, target, &scanned.services, ctx)?;
    Ok(Side {
        namespace: target
            .named
            .namespace
            .clone()
            .or_else(|| ctx.namespace.clone()),
        labels: objects::copied_labels(&target.labels),
        anchor: target.named.place.pos,
        line: format!(
            "{} for {} with secret {}",
            target.named.place.id(),
            entry.hosts.join(", "),
            entry.secret_name
        ),
        target: Target::Adopt(target.named.place.clone()),
    })
}

fn new_side(
    entry: &Entry,
    foreign: &[&Ingress],
    serving: &[&Ingress],
    scanned: &Scanned,
    ctx: &Context,
) -> Result<Side> {
    if let Some(first) = serving.first() {
        let host = entry.hosts.iter().find(|h| first.hosts.contains(h));
        return Err(Error::doc(
            &first.named.place.at,
            &entry.key,
            format!(
                "this Ingress of the chart already serves {}; set `adopt: true` in {} to add TLS to it, or turn the chart's Ingress off (e.g. ingress.enabled: false)",
                host.map_or("", String::as_str),
                entry.key
            ),
        ));
    }
    let service = backend::service(entry, &scanned.services)?;
    let port = backend::port(entry, service)?;
    let namespace = service
        .named
        .namespace
        .clone()
        .or_else(|| ctx.namespace.clone());
    refuse_taken_name(entry, foreign, namespace.as_deref(), ctx)?;
    let labels = objects::copied_labels(&service.labels);
    let ingress = objects::ingress(
        entry,
        namespace.as_deref(),
        labels.clone(),
        &service.named.name,
        port.number,
    );
    let line = format!(
        "{}: {} -> Service {} port {port}, TLS secret {}",
        object_id(&ingress).unwrap_or_default(),
        entry.hosts.join(", "),
        service.named.name,
        entry.secret_name
    );
    Ok(Side {
        target: Target::New(ingress),
        namespace,
        labels,
        anchor: service.named.place.pos,
        line,
    })
}

fn same_ns(a: &Option<String>, b: Option<&str>, ctx: &Context) -> bool {
    a.as_deref().or(ctx.namespace.as_deref()) == b.or(ctx.namespace.as_deref())
}

fn refuse_taken_name(
    entry: &Entry,
    ingresses: &[&Ingress],
    ns: Option<&str>,
    ctx: &Context,
) -> Result<()> {
    if let Some(i) = ingresses
        .iter()
        .find(|i| i.named.name == entry.name && same_ns(&i.named.namespace, ns, ctx))
    {
        return Err(Error::doc(
            &i.named.place.at,
            format!("{}.name", entry.key),
            format!(
                "an Ingress named {} is already in the stream; set `name:` to another",
                entry.name
            ),
        ));
    }
    Ok(())
}

/// Certificates and Secrets of the stream must not already own the entry's names.
fn refuse_taken_secret(
    entry: &Entry,
    scanned: &Scanned,
    ns: Option<&str>,
    ctx: &Context,
) -> Result<()> {
    let origin = entry.origin();
    for cert in scanned
        .certificates
        .iter()
        .filter(|c| !c.place.from(&origin))
    {
        if !same_ns(&cert.namespace, ns, ctx) {
            continue;
        }
        if cert.name == entry.name {
            return Err(Error::doc(
                &cert.place.at,
                format!("{}.name", entry.key),
                format!(
                    "a Certificate named {} is already in the stream; set `name:` to another",
                    entry.name
                ),
            ));
        }
        if cert.secret_name.as_deref() == Some(entry.secret_name.as_str()) {
            return Err(Error::doc(
                &cert.place.at,
                format!("{}.secretName", entry.key),
                format!(
                    "this Certificate already writes Secret {}; two Certificates would overwrite each other: set `secretName:` to another, or drop the chart's Certificate",
                    entry.secret_name
                ),
            ));
        }
    }
    if let Some(secret) = scanned
        .secrets
        .iter()
        .find(|s| s.name == entry.secret_name && same_ns(&s.namespace, ns, ctx))
    {
        return Err(Error::doc(
            &secret.place.at,
            format!("{}.secretName", entry.key),
            format!(
                "the chart renders a Secret named {}, which cert-manager would overwrite and Helm would put back; set `secretName:` to another",
                entry.secret_name
            ),
        ));
    }
    Ok(())
}
