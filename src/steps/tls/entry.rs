//! One `tls` entry checked and completed with its defaults, before the stream is looked at.
//!
//! Everything that depends only on the overlay is settled here: the hosts, the names (Ingress,
//! Certificate, Secret), the issuer, the Certificate settings and the Ingress annotations. What
//! depends on the stream (the Service, its port, the namespace, an Ingress to adopt) is settled
//! by the step.

use serde_json::{Map, Value, json};

use super::cert::{self, IssuerRef};
use super::names;
use crate::error::{Error, Result};
use crate::overlay::PortRef;
use crate::overlay::tls::{Controller, PathType, TlsEntry};

/// A checked `tls` entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The overlay key, `tls[<i>]`.
    pub key: String,
    /// The hosts, in the order given; the Ingress TLS hosts and the Certificate dnsNames.
    pub hosts: Vec<String>,
    /// The name of the Ingress and the Certificate overhelm writes.
    pub name: String,
    /// The TLS Secret cert-manager fills and the Ingress reads.
    pub secret_name: String,
    /// The backend Service, when named.
    pub service: Option<String>,
    /// The backend port, when named.
    pub port: Option<PortRef>,
    /// `spec.ingressClassName`.
    pub ingress_class: String,
    /// Ingress annotations: the redirect ones first, then the extra ones in their order.
    pub annotations: Vec<(String, String)>,
    /// The Certificate's `spec` fields after `dnsNames`/`secretName`/`issuerRef`.
    pub certificate: Map<String, Value>,
    /// The issuer, for the Certificate and the report.
    pub issuer: IssuerRef,
    /// Add TLS to the chart's own Ingress instead of writing one.
    pub adopt: bool,
    /// The HTTP path.
    pub path: String,
    /// The path type.
    pub path_type: PathType,
}

/// Annotation prefixes of cert-manager's ingress-shim: with them, cert-manager would create a
/// second Certificate for the same Secret and the two would fight over it.
pub const SHIM_PREFIXES: [&str; 3] = [
    "cert-manager.io/",
    "acme.cert-manager.io/",
    "kubernetes.io/tls-acme",
];

/// The redirect annotations of a controller.
fn redirect_keys(controller: Controller) -> &'static [&'static str] {
    match controller {
        Controller::IngressNginx => &["nginx.ingress.kubernetes.io/ssl-redirect"],
        // NGINX Inc.: `redirect-to-https` redirects on X-Forwarded-Proto (TLS ended in front of
        // the controller), `ssl-redirect` redirects plain HTTP reaching the controller itself.
        Controller::NginxInc => &[
            "nginx.org/redirect-to-https",
            "ingress.kubernetes.io/ssl-redirect",
        ],
    }
}

impl Entry {
    /// Checks entry `index` of the overlay and fills in the defaults.
    pub fn compile(index: usize, spec: &TlsEntry) -> Result<Self> {
        let key = format!("tls[{index}]");
        let err = |field: &str, message: String| Error::overlay(format!("{key}.{field}"), message);
        let hosts = hosts(&key, spec)?;
        let name = match &spec.name {
            Some(n) => {
                names::object_name(n).map_err(|m| err("name", m))?;
                n.clone()
            }
            None => default_name(&hosts[0]),
        };
        let secret_name = spec
            .secret_name
            .clone()
            .unwrap_or_else(|| format!("{name}-tls"));
        names::object_name(&secret_name).map_err(|m| err("secretName", m))?;
        let issuer = spec.issuer.as_ref().ok_or_else(|| {
            Error::overlay(
                &key,
                "no issuer: add `issuer: {kind: ClusterIssuer, name: <your issuer>}`",
            )
        })?;
        let issuer = cert::issuer(issuer).map_err(|(f, m)| err(&format!("issuer.{f}"), m))?;
        if spec.adopt {
            refuse_with_adopt(&key, spec)?;
        }
        let path = spec.path.clone().unwrap_or_else(|| "/".into());
        let path_type = spec.path_type.unwrap_or(PathType::Prefix);
        check_path(&path, path_type).map_err(|m| err("path", m))?;
        let ingress_class = spec
            .ingress_class_name
            .clone()
            .unwrap_or_else(|| "nginx".into());
        names::object_name(&ingress_class).map_err(|m| err("ingressClassName", m))?;
        if let Some(PortRef::Number(0)) = spec.port {
            return Err(err("port", "0 is not a port; ports are 1 to 65535".into()));
        }
        Ok(Entry {
            hosts,
            name,
            secret_name,
            service: spec.service.clone(),
            port: spec.port.clone(),
            ingress_class,
            annotations: annotations(&key, spec)?,
            certificate: certificate(&key, spec)?,
            issuer,
            adopt: spec.adopt,
            path,
            path_type,
            key,
        })
    }

    /// The origin of the documents this entry injects.
    pub fn origin(&self) -> String {
        format!("overhelm/tls/{}.yaml", self.name)
    }
}

fn hosts(key: &str, spec: &TlsEntry) -> Result<Vec<String>> {
    let (hosts, field): (Vec<String>, &dyn Fn(usize) -> String) =
        match (&spec.host, spec.hosts.is_empty()) {
            (Some(_), false) => {
                return Err(Error::overlay(
                    key,
                    "both `host` and `hosts`; put every host in `hosts`",
                ));
            }
            (Some(h), true) => (vec![h.clone()], &|_| "host".to_string()),
            (None, false) => (spec.hosts.clone(), &|i| format!("hosts[{i}]")),
            (None, true) => {
                return Err(Error::overlay(
                    key,
                    "no host: add `host: <name>` (or `hosts: [...]`)",
                ));
            }
        };
    for (i, h) in hosts.iter().enumerate() {
        names::host(h).map_err(|m| Error::overlay(format!("{key}.{}", field(i)), m))?;
        if hosts[..i].contains(h) {
            return Err(Error::overlay(
                format!("{key}.{}", field(i)),
                format!("{h} is listed twice"),
            ));
        }
    }
    Ok(hosts)
}

/// `<first label>`, or `wildcard-<next label>` for `*.<next label>...`.
fn default_name(host: &str) -> String {
    match host.strip_prefix("*.") {
        Some(rest) => format!("wildcard-{}", rest.split('.').next().unwrap_or_default()),
        None => host.split('.').next().unwrap_or_default().to_string(),
    }
}

fn refuse_with_adopt(key: &str, spec: &TlsEntry) -> Result<()> {
    let given = [
        ("service", spec.service.is_some()),
        ("port", spec.port.is_some()),
        ("path", spec.path.is_some()),
        ("pathType", spec.path_type.is_some()),
        ("ingressClassName", spec.ingress_class_name.is_some()),
    ];
    if let Some((field, _)) = given.iter().find(|(_, set)| *set) {
        return Err(Error::overlay(
            format!("{key}.{field}"),
            "with `adopt: true` the chart's Ingress keeps its own backend, path and class; remove this key (or drop adopt and disable the chart's Ingress)",
        ));
    }
    Ok(())
}

/// Kubernetes' rules for a path: absolute, and for Prefix and Exact no `//`, `.` or `..`
/// segments.
fn check_path(path: &str, path_type: PathType) -> std::result::Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("{path:?} must start with /"));
    }
    if path_type != PathType::ImplementationSpecific {
        let bad_segment = path.contains("//") || path.split('/').any(|s| s == "." || s == "..");
        if bad_segment {
            return Err(format!(
                "{path:?}: a {} path may not hold //, /./ or /../",
                path_type.as_str()
            ));
        }
    }
    Ok(())
}

fn annotations(key: &str, spec: &TlsEntry) -> Result<Vec<(String, String)>> {
    let controller = spec.controller.unwrap_or(Controller::IngressNginx);
    let mut out = Vec::new();
    if let Some(on) = spec.redirect {
        for k in redirect_keys(controller) {
            out.push((k.to_string(), on.to_string()));
        }
    }
    for (k, v) in &spec.annotations {
        let field = format!("{key}.annotations.{k}");
        names::annotation_key(k).map_err(|m| Error::overlay(&field, m))?;
        if SHIM_PREFIXES.iter().any(|p| k.starts_with(p)) {
            return Err(Error::overlay(
                &field,
                "cert-manager's ingress-shim annotations would make cert-manager write a second Certificate for the same Secret; overhelm writes the Certificate itself: remove it",
            ));
        }
        if spec.redirect.is_some() && redirect_keys(controller).contains(&k.as_str()) {
            return Err(Error::overlay(
                &field,
                "is what `redirect` sets; remove it here or remove `redirect`",
            ));
        }
        out.push((k.clone(), v.clone()));
    }
    Ok(out)
}

fn certificate(key: &str, spec: &TlsEntry) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let Some(cert) = &spec.certificate else {
        return Ok(out);
    };
    cert::durations(cert.duration.as_deref(), cert.renew_before.as_deref())
        .map_err(|(f, m)| Error::overlay(format!("{key}.certificate.{f}"), m))?;
    if let Some(d) = &cert.duration {
        out.insert("duration".into(), json!(d));
    }
    if let Some(r) = &cert.renew_before {
        out.insert("renewBefore".into(), json!(r));
    }
    if let Some(pk) = &cert.private_key {
        cert::key(pk.algorithm, pk.size)
            .map_err(|m| Error::overlay(format!("{key}.certificate.privateKey"), m))?;
        let mut k = Map::new();
        if let Some(a) = pk.algorithm {
            k.insert("algorithm".into(), json!(a.as_str()));
        }
        if let Some(s) = pk.size {
            k.insert("size".into(), json!(s));
        }
        if let Some(r) = pk.rotation_policy {
            k.insert("rotationPolicy".into(), json!(r.as_str()));
        }
        if !k.is_empty() {
            out.insert("privateKey".into(), Value::Object(k));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::Overlay;

    fn compile(tls: &str) -> std::result::Result<Entry, String> {
        let o = Overlay::parse(
            &format!("apiVersion: overhelm/v1\nkind: Overlay\ntls:\n  - {tls}\n"),
            "o.yaml",
        )
        .map_err(|e| e.to_string())?;
        Entry::compile(0, &o.tls[0]).map_err(|e| e.to_string())
    }

    const ISSUER: &str = "issuer: {kind: ClusterIssuer, name: ca}";

    #[test]
    fn defaults() {
        let e = compile(&format!("host: backstage.example.com\n    {ISSUER}")).unwrap();
        assert_eq!(e.name, "backstage");
        assert_eq!(e.secret_name, "backstage-tls");
        assert_eq!(e.ingress_class, "nginx");
        assert_eq!((e.path.as_str(), e.path_type), ("/", PathType::Prefix));
        assert!(e.annotations.is_empty());
        assert!(e.certificate.is_empty());
        assert_eq!(e.origin(), "overhelm/tls/backstage.yaml");
        let w = compile(&format!(
            "hosts: ['*.apps.example.com', apps.example.com]\n    {ISSUER}"
        ))
        .unwrap();
        assert_eq!(
            (w.name.as_str(), w.secret_name.as_str()),
            ("wildcard-apps", "wildcard-apps-tls")
        );
    }

    #[test]
    fn redirect_follows_the_controller() {
        let e = compile(&format!(
            "host: a.example.com\n    redirect: true\n    annotations: {{x.io/y: z}}\n    {ISSUER}"
        ))
        .unwrap();
        assert_eq!(
            e.annotations,
            [
                (
                    "nginx.ingress.kubernetes.io/ssl-redirect".into(),
                    "true".into()
                ),
                ("x.io/y".into(), "z".into())
            ]
        );
        let e = compile(&format!(
            "host: a.example.com\n    redirect: false\n    controller: nginx-inc\n    {ISSUER}"
        ))
        .unwrap();
        assert_eq!(
            e.annotations,
            [
                ("nginx.org/redirect-to-https".into(), "false".into()),
                ("ingress.kubernetes.io/ssl-redirect".into(), "false".into())
            ]
        );
    }

    #[test]
    fn errors_name_the_key() {
        for (tls, want) in [
            (
                "port: 80",
                "overlay tls[0]: no host: add `host: <name>` (or `hosts: [...]`)",
            ),
            (
                "host: a.b\n    hosts: [c.d]",
                "overlay tls[0]: both `host` and `hosts`; put every host in `hosts`",
            ),
            (
                "hosts: [a.b, A.b]",
                "overlay tls[0].hosts[1]: \"A.b\" must be lower case (Kubernetes refuses upper case hosts): \"a.b\"",
            ),
            (
                "hosts: [a.b, a.b]",
                "overlay tls[0].hosts[1]: a.b is listed twice",
            ),
            (
                "host: a.b",
                "overlay tls[0]: no issuer: add `issuer: {kind: ClusterIssuer, name: <your issuer>}`",
            ),
            (
                "host: a.b\n    issuer: {kind: Clusterissuer, name: ca}",
                "overlay tls[0].issuer.kind: \"Clusterissuer\" is not Issuer or ClusterIssuer (write ClusterIssuer)",
            ),
            (
                "host: a.b\n    secretName: Bad_Secret",
                "overlay tls[0].secretName: \"Bad_Secret\" is not a Kubernetes name",
            ),
            (
                "host: a.b\n    name: x_y",
                "overlay tls[0].name: \"x_y\" is not a Kubernetes name",
            ),
            (
                "host: a.b\n    path: api",
                "overlay tls[0].path: \"api\" must start with /",
            ),
            (
                "host: a.b\n    path: /a/../b",
                "overlay tls[0].path: \"/a/../b\": a Prefix path may not hold //, /./ or /../",
            ),
            (
                "host: a.b\n    port: 0",
                "overlay tls[0].port: 0 is not a port; ports are 1 to 65535",
            ),
            (
                "host: a.b\n    certificate: {duration: 90d}",
                "overlay tls[0].certificate.duration: \"90d\" is not a Go duration: unknown unit \"d\" (units are h, m, s, ms, us, ns); Go durations have no days: write 2160h",
            ),
            (
                "host: a.b\n    certificate: {duration: 720h, renewBefore: 2160h}",
                "overlay tls[0].certificate.renewBefore: \"2160h\" must be shorter than duration 720h, or the certificate is renewed all the time",
            ),
            (
                "host: a.b\n    certificate: {privateKey: {algorithm: ECDSA, size: 2048}}",
                "overlay tls[0].certificate.privateKey: ECDSA keys are 256, 384 or 521 bits (curves P-256, P-384, P-521), not 2048",
            ),
            (
                "host: a.b\n    annotations: {cert-manager.io/cluster-issuer: ca}",
                "overlay tls[0].annotations.cert-manager.io/cluster-issuer: cert-manager's ingress-shim annotations would make cert-manager write a second Certificate for the same Secret; overhelm writes the Certificate itself: remove it",
            ),
            (
                "host: a.b\n    annotations: {kubernetes.io/tls-acme: 'true'}",
                "overlay tls[0].annotations.kubernetes.io/tls-acme: cert-manager's ingress-shim",
            ),
            (
                "host: a.b\n    redirect: true\n    annotations: {nginx.ingress.kubernetes.io/ssl-redirect: 'false'}",
                "overlay tls[0].annotations.nginx.ingress.kubernetes.io/ssl-redirect: is what `redirect` sets; remove it here or remove `redirect`",
            ),
            (
                "host: a.b\n    annotations: {'bad key': x}",
                "overlay tls[0].annotations.bad key: \"bad key\" is not an annotation key",
            ),
            (
                "host: a.b\n    adopt: true\n    port: 80",
                "overlay tls[0].port: with `adopt: true` the chart's Ingress keeps its own backend, path and class; remove this key (or drop adopt and disable the chart's Ingress)",
            ),
        ] {
            let tls = if tls.contains("issuer: {") || tls.starts_with("port") || tls == "host: a.b"
            {
                tls.to_string()
            } else {
                format!("{tls}\n    {ISSUER}")
            };
            let err = compile(&tls).unwrap_err();
            assert!(err.starts_with(want), "{tls}:\n  got  {err}\n  want {want}");
        }
    }

    #[test]
    fn certificate_fields_in_cert_manager_order() {
        let e = compile(&format!("host: a.b\n    certificate: {{duration: 2160h, renewBefore: 720h, privateKey: {{algorithm: ECDSA, size: 256}}}}\n    {ISSUER}")).unwrap();
        assert_eq!(
            Value::Object(e.certificate),
            json!({"duration": "2160h", "renewBefore": "720h", "privateKey": {"algorithm": "ECDSA", "size": 256}})
        );
    }
}
