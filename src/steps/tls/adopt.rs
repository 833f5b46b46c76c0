//! Adopting a chart's own Ingress (`adopt: true`): finding the one Ingress that serves the
//! entry's hosts, refusing one that cannot take the entry's TLS (another API version, another
//! Secret for the host, cert-manager's ingress-shim annotations, a backend that is not in the
//! stream), and adding the TLS block and annotations to it.

use serde_json::{Value, json};

use super::entry::{Entry, SHIM_PREFIXES};
use super::scan::{Ingress, Service};
use crate::error::{Error, Result};
use crate::steps::Context;

/// The one Ingress serving the entry's hosts.
pub fn adoptable<'i>(entry: &Entry, serving: &[&'i Ingress]) -> Result<&'i Ingress> {
    let key = format!("{}.adopt", entry.key);
    match serving {
        [one] => match refusal(entry, one) {
            None => Ok(one),
            Some(why) => Err(Error::doc(
                &one.named.place.at,
                key,
                format!("cannot adopt this Ingress: it {why}"),
            )),
        },
        [] => Err(Error::overlay(
            key,
            format!(
                "no Ingress in the stream serves {}; enable the chart's Ingress, or remove `adopt: true` to have overhelm write one",
                entry.hosts.join(", ")
            ),
        )),
        several => Err(Error::overlay(
            key,
            format!(
                "{} Ingresses serve {}: {}; adopt needs exactly one",
                several.len(),
                entry.hosts.join(", "),
                several
                    .iter()
                    .map(|i| i.named.place.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The adopted Ingress's backends for the entry's hosts must be Services and ports of the stream.
pub fn check_backends(
    entry: &Entry,
    ingress: &Ingress,
    services: &[Service],
    ctx: &Context,
) -> Result<()> {
    let ns = |n: &Option<String>| n.clone().or_else(|| ctx.namespace.clone());
    let rules = ingress
        .value
        .pointer("/spec/rules")
        .and_then(Value::as_array);
    for rule in rules.into_iter().flatten() {
        let host = rule.get("host").and_then(Value::as_str).unwrap_or_default();
        if !entry.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            continue;
        }
        let paths = rule.pointer("/http/paths").and_then(Value::as_array);
        for backend in paths
            .into_iter()
            .flatten()
            .filter_map(|p| p.pointer("/backend/service"))
        {
            let name = backend
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let port = backend.get("port");
            let found = services.iter().find(|s| {
                !s.hook
                    && s.named.name == name
                    && ns(&s.named.namespace) == ns(&ingress.named.namespace)
            });
            let port_ok = found.is_some_and(|s| {
                s.ports.iter().any(|p| {
                    match (
                        port.and_then(|p| p.get("number")),
                        port.and_then(|p| p.get("name")),
                    ) {
                        (Some(n), _) => n.as_u64() == Some(u64::from(p.number)),
                        (None, Some(n)) => n.as_str() == p.name.as_deref(),
                        (None, None) => false,
                    }
                })
            });
            if !port_ok {
                let what = match found {
                    None => format!("Service {name}, which is not in the stream"),
                    Some(s) => format!(
                        "a port of Service {name} it does not have ({}); its ports: {}",
                        port.map(Value::to_string).unwrap_or_default(),
                        s.ports
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Err(Error::doc(
                    &ingress.named.place.at,
                    format!("{}.adopt", entry.key),
                    format!(
                        "the Ingress for {host} points at {what}; fix the chart values before adopting it"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Why a chart's Ingress cannot take the entry's TLS, if it cannot.
fn refusal(entry: &Entry, ingress: &Ingress) -> Option<String> {
    if ingress.api_version != "networking.k8s.io/v1" {
        return Some(format!(
            "is {}; adopt needs a networking.k8s.io/v1 Ingress",
            ingress.api_version
        ));
    }
    let annotations = ingress
        .value
        .pointer("/metadata/annotations")
        .and_then(Value::as_object);
    if let Some(k) = annotations
        .into_iter()
        .flat_map(|a| a.keys())
        .find(|k| SHIM_PREFIXES.iter().any(|p| k.starts_with(p)))
    {
        return Some(format!(
            "has the cert-manager annotation {k}, so cert-manager already writes a Certificate for it; remove that annotation (chart values) or drop this entry"
        ));
    }
    for tls in tls_entries(&ingress.value) {
        let secret = tls.get("secretName").and_then(Value::as_str);
        let covers = hosts_of(tls).iter().any(|h| entry.hosts.contains(h));
        if covers && secret != Some(entry.secret_name.as_str()) {
            return Some(format!(
                "already has TLS for {} with secret {}; set secretName: {} or turn off the chart's TLS",
                hosts_of(tls).join(", "),
                secret.unwrap_or("<none>"),
                secret.unwrap_or("<none>")
            ));
        }
    }
    None
}

/// Adds the entry's TLS block and annotations to an adopted Ingress; true when it changed it.
/// An Ingress that has them already (a second render) is left as it is.
pub fn add_tls(entry: &Entry, object: &mut Value) -> bool {
    let mut changed = false;
    let has_tls = tls_entries(object).iter().any(|t| {
        t.get("secretName").and_then(Value::as_str) == Some(entry.secret_name.as_str())
            && entry.hosts.iter().all(|h| hosts_of(t).contains(h))
    });
    if !has_tls {
        if let Some(list) = tls_list_mut(object) {
            list.push(json!({"hosts": entry.hosts, "secretName": entry.secret_name}));
            changed = true;
        }
    }
    for (k, v) in &entry.annotations {
        if crate::stream::annotation(object, k) != Some(v.as_str()) {
            crate::stream::set_annotation(object, k, v);
            changed = true;
        }
    }
    changed
}

/// `spec.tls`, created when missing (an adopted Ingress is an object, checked before).
fn tls_list_mut(object: &mut Value) -> Option<&mut Vec<Value>> {
    let spec = object
        .as_object_mut()?
        .entry("spec")
        .or_insert_with(|| json!({}));
    spec.as_object_mut()?
        .entry("tls")
        .or_insert_with(|| json!([]))
        .as_array_mut()
}

fn tls_entries(object: &Value) -> Vec<&Value> {
    object
        .pointer("/spec/tls")
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

fn hosts_of(tls: &Value) -> Vec<String> {
    tls.get("hosts")
        .and_then(Value::as_array)
        .map(|hs| {
            hs.iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}
