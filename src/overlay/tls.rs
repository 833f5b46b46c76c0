//! `tls:`: a TLS Ingress and a cert-manager Certificate per entry.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::PortRef;

/// One `tls` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsEntry {
    /// The host (or use `hosts` for several).
    pub host: Option<String>,
    /// Several hosts for one Ingress and Certificate.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The backend Service; default: the one Service of the release that exposes a port.
    pub service: Option<String>,
    /// The Service port, number or name; default: that Service's only port.
    pub port: Option<PortRef>,
    /// The cert-manager issuer.
    pub issuer: Option<Issuer>,
    /// `spec.ingressClassName` of the Ingress.
    pub ingress_class_name: Option<String>,
    /// The Ingress controller whose annotations are used: `ingress-nginx` (default) or `nginx-inc`.
    pub controller: Option<String>,
    /// The TLS secret; default `<first host label>-tls`.
    pub secret_name: Option<String>,
    /// Add the controller's HTTP->HTTPS redirect annotation.
    pub redirect: Option<bool>,
    /// Extra Ingress annotations.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Certificate settings.
    pub certificate: Option<CertificateSpec>,
    /// Add TLS to the chart's own Ingress for the host instead of refusing it.
    #[serde(default)]
    pub adopt: bool,
    /// The HTTP path (default `/`).
    pub path: Option<String>,
    /// The path type (default `Prefix`).
    pub path_type: Option<String>,
}

/// `tls[].issuer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Issuer {
    /// `Issuer`, `ClusterIssuer`, or an external issuer's kind (then `group` is required).
    pub kind: Option<String>,
    /// The issuer's name.
    pub name: String,
    /// The API group of an external issuer.
    pub group: Option<String>,
}

/// `tls[].certificate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateSpec {
    /// Go duration, e.g. `2160h`.
    pub duration: Option<String>,
    /// Go duration, shorter than `duration`.
    pub renew_before: Option<String>,
    /// Private key settings.
    pub private_key: Option<PrivateKey>,
}

/// `tls[].certificate.privateKey`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrivateKey {
    /// `RSA`, `ECDSA` or `Ed25519`.
    pub algorithm: Option<String>,
    /// Key size for the algorithm.
    pub size: Option<u32>,
    /// `Always` or `Never`.
    pub rotation_policy: Option<String>,
}
