//! `tls:`: a TLS Ingress and a cert-manager Certificate per entry.
//!
//! Only the shape is checked here (unknown keys, enum values, types), so that a typo fails with
//! the file and line; everything that needs judgement (hostnames, durations, key sizes, the
//! issuer, the backend) is checked by `steps::tls`, which names the key (`tls[0].port`).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::PortRef;

/// One `tls` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsEntry {
    /// The host (or use `hosts` for several; not both).
    pub host: Option<String>,
    /// Several hosts for one Ingress and Certificate; the first names the defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// The name of the Ingress and the Certificate; default: the first host's first label
    /// (`wildcard-<next label>` for a wildcard host).
    pub name: Option<String>,
    /// The backend Service; default: the one Service of the release that exposes a port and is
    /// neither headless nor a database.
    pub service: Option<String>,
    /// The Service port, number or name; default: that Service's only port.
    pub port: Option<PortRef>,
    /// The cert-manager issuer (required).
    pub issuer: Option<Issuer>,
    /// `spec.ingressClassName` of the Ingress; default `nginx` (both NGINX controllers' default).
    pub ingress_class_name: Option<String>,
    /// The Ingress controller whose annotations are used; default `ingress-nginx`.
    pub controller: Option<Controller>,
    /// The TLS secret; default `<name>-tls`.
    pub secret_name: Option<String>,
    /// The controller's HTTP->HTTPS redirect annotation: `true` or `false`; unset: no annotation
    /// (the controller's own default).
    pub redirect: Option<bool>,
    /// Extra Ingress annotations.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
    /// Certificate settings; unset ones take cert-manager's defaults.
    pub certificate: Option<CertificateSpec>,
    /// Add TLS and the Certificate to the chart's own Ingress for the host instead of refusing
    /// it.
    #[serde(default)]
    pub adopt: bool,
    /// The HTTP path; default `/`.
    pub path: Option<String>,
    /// The path type; default `Prefix`.
    pub path_type: Option<PathType>,
}

/// The Ingress controller in use: it decides the redirect annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Controller {
    /// The Kubernetes community controller (kubernetes/ingress-nginx).
    IngressNginx,
    /// F5 NGINX Inc.'s controller (nginx/kubernetes-ingress).
    NginxInc,
}

/// `spec.rules[].http.paths[].pathType` of an Ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PathType {
    /// Matches on path elements split by `/`.
    Prefix,
    /// Matches the exact path.
    Exact,
    /// Up to the controller.
    ImplementationSpecific,
}

impl PathType {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PathType::Prefix => "Prefix",
            PathType::Exact => "Exact",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }
}

/// `tls[].issuer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Issuer {
    /// `Issuer` (default, as in cert-manager), `ClusterIssuer`, or an external issuer's kind
    /// (then `group` is required).
    pub kind: Option<String>,
    /// The issuer's name.
    pub name: String,
    /// The API group of an external issuer (e.g. `awspca.cert-manager.io`).
    pub group: Option<String>,
}

/// `tls[].certificate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateSpec {
    /// Go duration, e.g. `2160h`; at least `1h` (cert-manager's default: `2160h`).
    pub duration: Option<String>,
    /// Go duration, at least `5m` and shorter than `duration`.
    pub renew_before: Option<String>,
    /// Private key settings.
    pub private_key: Option<PrivateKey>,
}

/// `tls[].certificate.privateKey`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrivateKey {
    /// `RSA` (cert-manager's default), `ECDSA` or `Ed25519`.
    pub algorithm: Option<KeyAlgorithm>,
    /// Key size: RSA 2048/3072/4096, ECDSA 256/384/521; none for Ed25519.
    pub size: Option<u32>,
    /// `Always` or `Never`.
    pub rotation_policy: Option<RotationPolicy>,
}

/// `privateKey.algorithm`, spelt as cert-manager spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    /// RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// ECDSA.
    #[serde(rename = "ECDSA")]
    Ecdsa,
    /// Ed25519.
    Ed25519,
}

impl KeyAlgorithm {
    /// The name cert-manager uses.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::Ecdsa => "ECDSA",
            KeyAlgorithm::Ed25519 => "Ed25519",
        }
    }
}

/// `privateKey.rotationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationPolicy {
    /// A new key at every issuance.
    Always,
    /// Keep the key in the Secret.
    Never,
}

impl RotationPolicy {
    /// The name cert-manager uses.
    pub fn as_str(self) -> &'static str {
        match self {
            RotationPolicy::Always => "Always",
            RotationPolicy::Never => "Never",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::overlay::Overlay;

    fn parse(tls: &str) -> Result<Overlay, String> {
        Overlay::parse(
            &format!("apiVersion: overhelm/v1\nkind: Overlay\ntls:\n{tls}"),
            "o.yaml",
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_seed_entry_reads() {
        let o = parse("  - host: a.example.com\n    port: http\n    issuer: {kind: ClusterIssuer, name: ca}\n    controller: nginx-inc\n    pathType: Exact\n    certificate: {duration: 2160h, privateKey: {algorithm: ECDSA, size: 256, rotationPolicy: Always}}\n").unwrap();
        let e = &o.tls[0];
        assert_eq!(e.controller, Some(super::Controller::NginxInc));
        assert_eq!(e.port, Some(crate::overlay::PortRef::Name("http".into())));
        let key = e
            .certificate
            .as_ref()
            .unwrap()
            .private_key
            .as_ref()
            .unwrap();
        assert_eq!(key.algorithm, Some(super::KeyAlgorithm::Ecdsa));
    }

    #[test]
    fn misspelt_values_fail_at_the_line() {
        for (tls, want) in [
            (
                "  - host: a\n    controller: nginx\n",
                "line 5 column 17: unknown variant `nginx`, expected one of ingress-nginx, nginx-inc",
            ),
            (
                "  - host: a\n    certificate: {privateKey: {algorithm: ecdsa}}\n",
                "line 5 column 43: unknown variant `ecdsa`, expected one of RSA, ECDSA, Ed25519",
            ),
            (
                "  - host: a\n    pathType: prefix\n",
                "unknown variant `prefix`, expected one of Prefix, Exact, ImplementationSpecific",
            ),
            ("  - host: a\n    secret: x\n", "unknown field `secret`"),
        ] {
            let err = parse(tls).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }
}
