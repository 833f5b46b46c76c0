//! What the `tls` step needs to know about the stream, read once: Services (the backends),
//! Ingresses (hosts already served, the one to adopt), Certificates and Secrets (names already
//! taken). Only names, hosts and ports are kept; a Secret's data is never read into it.

use serde_json::{Map, Value};

use super::super::visit_objects;
use crate::error::{DocAt, Result};
use crate::stream::{Stream, annotation};

/// The kinds the step reads: backends, Ingresses and Certificates to check, Secrets by name.
pub(super) const WANTED: [&str; 4] = ["Service", "Ingress", "Certificate", "Secret"];

/// Where an object is: its document's position, the item of a `kind: List`, its location for
/// messages, and the template it came from.
#[derive(Debug, Clone)]
pub struct Place {
    /// Position of the document in the stream.
    pub pos: usize,
    /// The item inside a `kind: List` document.
    pub item: Option<usize>,
    /// For messages.
    pub at: DocAt,
}

impl Place {
    /// `Kind/name` (with namespace when given) for messages.
    pub fn id(&self) -> String {
        self.at.id.clone().unwrap_or_default()
    }

    /// True when the object came from `origin` (`# Source:` or Helm 4's annotation).
    pub fn from(&self, origin: &str) -> bool {
        self.at.origin.as_deref() == Some(origin)
    }
}

/// A named object (Certificate, Secret).
#[derive(Debug, Clone)]
pub struct Named {
    /// Where it is.
    pub place: Place,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// A Certificate's `spec.secretName`.
    pub secret_name: Option<String>,
}

/// One port of a Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// `name`.
    pub name: Option<String>,
    /// `port` (not the target port: the Ingress backend names the Service port).
    pub number: u16,
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{} ({n})", self.number),
            None => write!(f, "{}", self.number),
        }
    }
}

/// A Service of the stream.
#[derive(Debug, Clone)]
pub struct Service {
    /// The common facts.
    pub named: Named,
    /// `metadata.labels`.
    pub labels: Map<String, Value>,
    /// `spec.ports`.
    pub ports: Vec<Port>,
    /// `spec.clusterIP: None`.
    pub headless: bool,
    /// `spec.type: ExternalName`.
    pub external_name: bool,
    /// A Helm hook (Helm 4 sends hooks too): created and deleted around install, not a backend.
    pub hook: bool,
}

/// An Ingress of the stream.
#[derive(Debug, Clone)]
pub struct Ingress {
    /// The common facts.
    pub named: Named,
    /// `apiVersion`.
    pub api_version: String,
    /// Every host the Ingress serves: rule hosts, then TLS hosts.
    pub hosts: Vec<String>,
    /// `metadata.labels`.
    pub labels: Map<String, Value>,
    /// The whole object, for checks before adopting it.
    pub value: Value,
}

/// The objects the step looks at.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Services.
    pub services: Vec<Service>,
    /// Ingresses (any apiVersion).
    pub ingresses: Vec<Ingress>,
    /// cert-manager Certificates.
    pub certificates: Vec<Named>,
    /// Secrets.
    pub secrets: Vec<Named>,
}

/// Reads the stream.
pub fn scan(stream: &Stream<'_>) -> Result<Scanned> {
    let mut out = Scanned::default();
    let wanted = |k: &str| WANTED.contains(&k);
    visit_objects(stream, wanted, |pos, at, object| {
        let place = Place {
            pos,
            item: at.item,
            at: at.clone(),
        };
        let named = named(place, object);
        let api_version = text(object, &["apiVersion"]).unwrap_or_default();
        match text(object, &["kind"]).unwrap_or_default().as_str() {
            "Service" if api_version == "v1" => out.services.push(service(named, object)),
            "Ingress" => out.ingresses.push(Ingress {
                named,
                hosts: ingress_hosts(object),
                labels: labels(object),
                value: object.clone(),
                api_version,
            }),
            "Certificate" if api_version.starts_with("cert-manager.io/") => {
                out.certificates.push(Named {
                    secret_name: text(object, &["spec", "secretName"]),
                    ..named
                })
            }
            "Secret" if api_version == "v1" => out.secrets.push(named),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn named(place: Place, object: &Value) -> Named {
    Named {
        place,
        name: text(object, &["metadata", "name"]).unwrap_or_default(),
        namespace: text(object, &["metadata", "namespace"]),
        secret_name: None,
    }
}

fn service(named: Named, object: &Value) -> Service {
    let spec = object.get("spec");
    let ports = spec
        .and_then(|s| s.get("ports"))
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .filter_map(|p| {
                    Some(Port {
                        name: p.get("name").and_then(Value::as_str).map(str::to_string),
                        number: u16::try_from(p.get("port")?.as_u64()?).ok()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Service {
        named,
        labels: labels(object),
        ports,
        headless: text(object, &["spec", "clusterIP"]).as_deref() == Some("None"),
        external_name: text(object, &["spec", "type"]).as_deref() == Some("ExternalName"),
        hook: annotation(object, "helm.sh/hook").is_some(),
    }
}

/// Rule hosts, then TLS hosts, each once, lower case (hosts compare without case).
fn ingress_hosts(object: &Value) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let spec = object.get("spec");
    let rules = spec.and_then(|s| s.get("rules")).and_then(Value::as_array);
    let tls = spec.and_then(|s| s.get("tls")).and_then(Value::as_array);
    let rule_hosts = rules.into_iter().flatten().filter_map(|r| r.get("host"));
    let tls_hosts = tls
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("hosts").and_then(Value::as_array))
        .flatten();
    for h in rule_hosts.chain(tls_hosts).filter_map(Value::as_str) {
        let h = h.to_ascii_lowercase();
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    hosts
}

fn labels(object: &Value) -> Map<String, Value> {
    object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A string at `path`.
pub fn text(object: &Value, path: &[&str]) -> Option<String> {
    let mut cur = object;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Limits;

    #[test]
    fn reads_the_objects_it_needs() {
        let limits = Limits::default();
        let input = "---\n# Source: c/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ns, labels: {app: web}}\nspec:\n  clusterIP: None\n  ports: [{name: http, port: 80}, {port: 81}]\n---\n# Source: c/templates/list.yaml\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: networking.k8s.io/v1\n    kind: Ingress\n    metadata: {name: web}\n    spec:\n      rules: [{host: A.example.com}]\n      tls: [{hosts: [a.example.com, b.example.com], secretName: s}]\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {secretName: s}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {tls.key: eA==}\n";
        let stream = Stream::split(input, &limits);
        let s = scan(&stream).unwrap();
        let svc = &s.services[0];
        assert_eq!(
            (svc.named.name.as_str(), svc.named.namespace.as_deref()),
            ("web", Some("ns"))
        );
        assert!(svc.headless && !svc.hook && !svc.external_name);
        assert_eq!(
            svc.ports,
            [
                Port {
                    name: Some("http".into()),
                    number: 80
                },
                Port {
                    name: None,
                    number: 81
                }
            ]
        );
        assert_eq!(svc.ports[0].to_string(), "80 (http)");
        let ing = &s.ingresses[0];
        assert_eq!(ing.hosts, ["a.example.com", "b.example.com"]);
        assert_eq!((ing.named.place.pos, ing.named.place.item), (1, Some(0)));
        assert!(ing.named.place.from("c/templates/list.yaml"));
        assert_eq!(s.certificates[0].secret_name.as_deref(), Some("s"));
        assert_eq!(s.secrets[0].name, "s");
    }
}
