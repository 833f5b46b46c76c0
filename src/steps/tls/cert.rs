//! The cert-manager rules a `tls` entry is checked against, as cert-manager's webhook checks a
//! Certificate: Go durations (`duration`, `renewBefore`), private key algorithm and size pairs,
//! and the issuer reference. Checking them at render time turns a Certificate that would be
//! refused, or never become Ready, into an error that names the overlay key.

use super::names::object_name;
use crate::duration::{NS_PER_S, parse as go_duration};
use crate::overlay::tls::{Issuer, KeyAlgorithm};

/// cert-manager's shortest accepted `duration` (`MinimumCertificateDuration`).
const MIN_DURATION_NS: u128 = 3_600 * NS_PER_S;
/// cert-manager's shortest accepted `renewBefore` (`MinimumRenewBefore`).
const MIN_RENEW_BEFORE_NS: u128 = 5 * 60 * NS_PER_S;
/// cert-manager's default `duration`: 90 days.
pub const DEFAULT_DURATION: &str = "2160h";

/// Checks `duration` and `renewBefore` as cert-manager's webhook does: duration at least 1h,
/// renewBefore at least 5m and shorter than the duration (default 2160h).
pub fn durations(
    duration: Option<&str>,
    renew_before: Option<&str>,
) -> Result<(), (&'static str, String)> {
    let d = go_duration(duration.unwrap_or(DEFAULT_DURATION)).map_err(|m| ("duration", m))?;
    if d < MIN_DURATION_NS {
        return Err((
            "duration",
            format!(
                "{:?} is shorter than 1h, cert-manager's minimum",
                duration.unwrap_or_default()
            ),
        ));
    }
    let Some(rb_text) = renew_before else {
        return Ok(());
    };
    let rb = go_duration(rb_text).map_err(|m| ("renewBefore", m))?;
    if rb < MIN_RENEW_BEFORE_NS {
        return Err((
            "renewBefore",
            format!("{rb_text:?} is shorter than 5m, cert-manager's minimum"),
        ));
    }
    if rb >= d {
        let d_text = duration.map_or(format!("{DEFAULT_DURATION} (the default)"), str::to_string);
        return Err((
            "renewBefore",
            format!(
                "{rb_text:?} must be shorter than duration {d_text}, or the certificate is renewed all the time"
            ),
        ));
    }
    Ok(())
}

/// Checks a private key algorithm and size pair (no algorithm means RSA, as in cert-manager).
pub fn key(algorithm: Option<KeyAlgorithm>, size: Option<u32>) -> Result<(), String> {
    let Some(size) = size else { return Ok(()) };
    let (sizes, what): (&[u32], &str) = match algorithm.unwrap_or(KeyAlgorithm::Rsa) {
        KeyAlgorithm::Rsa => (&[2048, 3072, 4096], "RSA keys are 2048, 3072 or 4096 bits"),
        KeyAlgorithm::Ecdsa => (
            &[256, 384, 521],
            "ECDSA keys are 256, 384 or 521 bits (curves P-256, P-384, P-521)",
        ),
        KeyAlgorithm::Ed25519 => {
            return Err(format!(
                "Ed25519 keys have one fixed size; remove size ({size})"
            ));
        }
    };
    if sizes.contains(&size) {
        Ok(())
    } else {
        Err(format!("{what}, not {size}"))
    }
}

/// The issuer reference cert-manager will get: kind and, for an external issuer, group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerRef {
    /// The issuer's name.
    pub name: String,
    /// `Issuer`, `ClusterIssuer` or an external kind.
    pub kind: String,
    /// The API group of an external issuer.
    pub group: Option<String>,
}

/// Checks an issuer: Issuer/ClusterIssuer of cert-manager.io, or an external kind with its group.
/// The error names the field (`name`, `kind`, `group`).
pub fn issuer(issuer: &Issuer) -> Result<IssuerRef, (&'static str, String)> {
    object_name(&issuer.name).map_err(|m| ("name", m))?;
    let builtin = matches!(issuer.group.as_deref(), None | Some("cert-manager.io"));
    let kind = match (&issuer.kind, builtin) {
        (None, true) => "Issuer".to_string(),
        (None, false) => {
            return Err((
                "kind",
                format!(
                    "an external issuer of group {} needs its kind (e.g. AWSPCAClusterIssuer)",
                    issuer.group.as_deref().unwrap_or_default()
                ),
            ));
        }
        (Some(k), true) if k == "Issuer" || k == "ClusterIssuer" => k.clone(),
        (Some(k), true) => {
            let hint = ["Issuer", "ClusterIssuer"]
                .into_iter()
                .find(|b| b.eq_ignore_ascii_case(k))
                .map_or_else(
                    || {
                        " (for an external issuer also set group, e.g. awspca.cert-manager.io)"
                            .to_string()
                    },
                    |b| format!(" (write {b})"),
                );
            return Err((
                "kind",
                format!("{k:?} is not Issuer or ClusterIssuer{hint}"),
            ));
        }
        (Some(k), false) => k.clone(),
    };
    if let Some(g) = &issuer.group {
        if !g.contains('.') || object_name(g).is_err() {
            return Err((
                "group",
                format!("{g:?} is not an API group (a DNS name such as awspca.cert-manager.io)"),
            ));
        }
    }
    Ok(IssuerRef {
        name: issuer.name.clone(),
        kind,
        group: issuer.group.clone().filter(|_| !builtin),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_rules() {
        assert_eq!(durations(Some("2160h"), Some("720h")), Ok(()));
        assert_eq!(durations(None, None), Ok(()));
        assert_eq!(
            durations(Some("720h"), Some("720h")),
            Err(("renewBefore", "\"720h\" must be shorter than duration 720h, or the certificate is renewed all the time".into()))
        );
        assert_eq!(
            durations(None, Some("2200h")),
            Err(("renewBefore", "\"2200h\" must be shorter than duration 2160h (the default), or the certificate is renewed all the time".into()))
        );
        assert_eq!(
            durations(Some("30m"), None),
            Err((
                "duration",
                "\"30m\" is shorter than 1h, cert-manager's minimum".into()
            ))
        );
        assert_eq!(
            durations(Some("2h"), Some("1m")),
            Err((
                "renewBefore",
                "\"1m\" is shorter than 5m, cert-manager's minimum".into()
            ))
        );
        assert_eq!(durations(Some("90d"), None).unwrap_err().0, "duration");
    }

    #[test]
    fn key_pairs() {
        use KeyAlgorithm::*;
        for (alg, size) in [
            (Some(Rsa), 2048),
            (Some(Rsa), 3072),
            (Some(Rsa), 4096),
            (None, 4096),
            (Some(Ecdsa), 256),
            (Some(Ecdsa), 384),
            (Some(Ecdsa), 521),
        ] {
            assert_eq!(key(alg, Some(size)), Ok(()), "{alg:?} {size}");
        }
        assert_eq!(key(Some(Ed25519), None), Ok(()));
        assert_eq!(
            key(Some(Rsa), Some(1024)),
            Err("RSA keys are 2048, 3072 or 4096 bits, not 1024".into())
        );
        assert_eq!(
            key(None, Some(256)),
            Err("RSA keys are 2048, 3072 or 4096 bits, not 256".into())
        );
        assert_eq!(
            key(Some(Ecdsa), Some(2048)),
            Err(
                "ECDSA keys are 256, 384 or 521 bits (curves P-256, P-384, P-521), not 2048".into()
            )
        );
        assert_eq!(
            key(Some(Ed25519), Some(256)),
            Err("Ed25519 keys have one fixed size; remove size (256)".into())
        );
    }

    #[test]
    fn issuers() {
        let mk = |kind: Option<&str>, name: &str, group: Option<&str>| Issuer {
            kind: kind.map(Into::into),
            name: name.into(),
            group: group.map(Into::into),
        };
        assert_eq!(
            issuer(&mk(Some("ClusterIssuer"), "minicloud-ca", None)).unwrap(),
            IssuerRef {
                name: "minicloud-ca".into(),
                kind: "ClusterIssuer".into(),
                group: None
            }
        );
        assert_eq!(issuer(&mk(None, "ca", None)).unwrap().kind, "Issuer");
        assert_eq!(
            issuer(&mk(Some("Issuer"), "ca", Some("cert-manager.io")))
                .unwrap()
                .group,
            None
        );
        assert_eq!(
            issuer(&mk(
                Some("AWSPCAClusterIssuer"),
                "pca",
                Some("awspca.cert-manager.io")
            ))
            .unwrap(),
            IssuerRef {
                name: "pca".into(),
                kind: "AWSPCAClusterIssuer".into(),
                group: Some("awspca.cert-manager.io".into())
            }
        );
        let cases = [
            (
                mk(Some("clusterissuer"), "ca", None),
                "kind",
                "\"clusterissuer\" is not Issuer or ClusterIssuer (write ClusterIssuer)",
            ),
            (
                mk(Some("AWSPCAClusterIssuer"), "ca", None),
                "kind",
                "\"AWSPCAClusterIssuer\" is not Issuer or ClusterIssuer (for an external issuer also set group, e.g. awspca.cert-manager.io)",
            ),
            (
                mk(None, "ca", Some("awspca.cert-manager.io")),
                "kind",
                "an external issuer of group awspca.cert-manager.io needs its kind (e.g. AWSPCAClusterIssuer)",
            ),
            (
                mk(Some("X"), "ca", Some("nodots")),
                "group",
                "\"nodots\" is not an API group (a DNS name such as awspca.cert-manager.io)",
            ),
            (mk(Some("Issuer"), "", None), "name", "is empty"),
        ];
        for (input, field, message) in cases {
            assert_eq!(
                issuer(&input),
                Err((field, message.to_string())),
                "{input:?}"
            );
        }
    }
}
