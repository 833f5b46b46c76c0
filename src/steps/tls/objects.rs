//! The two objects of an entry, built from one [`Entry`] so that they agree by construction: the
//! Ingress's TLS hosts are the Certificate's dnsNames and both name the same Secret.
//!
//! No cert-manager ingress-shim annotation is ever written: overhelm writes the Certificate
//! itself, and a shim annotation would make cert-manager write a second one for the same Secret.

use serde_json::{Map, Value, json};

use super::entry::Entry;

/// Labels copied from the object the new ones belong to (the Service, or the adopted Ingress):
/// the recommended `app.kubernetes.io/*` labels and Helm's chart label, so that
/// `kubectl get -l app.kubernetes.io/instance=<release>` finds them, but no selector labels of
/// other tools.
pub fn copied_labels(labels: &Map<String, Value>) -> Map<String, Value> {
    labels
        .iter()
        .filter(|(k, _)| k.starts_with("app.kubernetes.io/") || *k == "helm.sh/chart")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn metadata(name: &str, namespace: Option<&str>, labels: Map<String, Value>) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        meta.insert("namespace".into(), json!(ns));
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    meta
}

/// The Certificate of an entry.
pub fn certificate(entry: &Entry, namespace: Option<&str>, labels: Map<String, Value>) -> Value {
    let mut issuer = Map::new();
    issuer.insert("name".into(), json!(entry.issuer.name));
    issuer.insert("kind".into(), json!(entry.issuer.kind));
    if let Some(g) = &entry.issuer.group {
        issuer.insert("group".into(), json!(g));
    }
    let mut spec = Map::new();
    spec.insert("secretName".into(), json!(entry.secret_name));
    spec.insert("dnsNames".into(), json!(entry.hosts));
    spec.insert("issuerRef".into(), Value::Object(issuer));
    spec.extend(entry.certificate.clone());
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": metadata(&entry.name, namespace, labels),
        "spec": spec,
    })
}

/// The Ingress of an entry, to `service`:`port` (by number: every controller reads it).
pub fn ingress(
    entry: &Entry,
    namespace: Option<&str>,
    labels: Map<String, Value>,
    service: &str,
    port: u16,
) -> Value {
    let mut meta = metadata(&entry.name, namespace, labels);
    if !entry.annotations.is_empty() {
        let ann: Map<String, Value> = entry
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        meta.insert("annotations".into(), Value::Object(ann));
    }
    let backend = json!({"service": {"name": service, "port": {"number": port}}});
    let rules: Vec<Value> = entry
        .hosts
        .iter()
        .map(|h| {
            json!({"host": h, "http": {"paths": [{
                "path": entry.path,
                "pathType": entry.path_type.as_str(),
                "backend": backend,
            }]}})
        })
        .collect();
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta,
        "spec": {
            "ingressClassName": entry.ingress_class,
            "tls": [{"hosts": entry.hosts, "secretName": entry.secret_name}],
            "rules": rules,
        },
    })
}
