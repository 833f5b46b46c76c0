//! The name grammars a `tls` entry is checked against, each with the fix in its message:
//! hostnames (RFC 1123, as Kubernetes reads an Ingress host and cert-manager a dnsName), object
//! names and annotation keys. Checking them at render time turns a rejected `kubectl apply` into
//! an error that names the overlay key.

/// Checks an Ingress host / certificate dnsName; a wildcard is allowed as the whole first label.
pub fn host(h: &str) -> Result<(), String> {
    if h.is_empty() {
        return Err("is empty".into());
    }
    if h.contains("://") || h.contains('/') {
        return Err(format!("{h:?} is a URL; give only the host name"));
    }
    if h.contains(':') {
        return Err(format!(
            "{h:?} has a port; give only the host name (the Ingress serves 443)"
        ));
    }
    if h.ends_with('.') {
        return Err(format!(
            "{h:?} ends with a dot; write it without: {:?}",
            h.trim_end_matches('.')
        ));
    }
    if h.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "{h:?} must be lower case (Kubernetes refuses upper case hosts): {:?}",
            h.to_ascii_lowercase()
        ));
    }
    if h.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(format!(
            "{h:?} is an IP address; an Ingress host must be a DNS name (e.g. {h}.nip.io)"
        ));
    }
    if h.len() > 253 {
        return Err(format!(
            "{h:?} is {} characters long; a host name has at most 253",
            h.len()
        ));
    }
    let rest = h.strip_prefix("*.").unwrap_or(h);
    for label in rest.split('.') {
        if label.contains('*') {
            return Err(format!(
                "{h:?}: a wildcard must be the whole first label, as in *.example.com"
            ));
        }
        dns_label(label).map_err(|why| format!("{h:?}: label {label:?} {why}"))?;
    }
    Ok(())
}

/// One RFC 1123 label: 1 to 63 of `a-z`, `0-9` and `-`, starting and ending alphanumeric.
fn dns_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("is empty (two dots in a row?)".into());
    }
    if label.len() > 63 {
        return Err(format!("is {} characters long; at most 63", label.len()));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "has {c:?}; only a-z, 0-9 and - are allowed (RFC 1123)"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err("starts or ends with -".into());
    }
    Ok(())
}

/// Checks a Kubernetes object name (a DNS-1123 subdomain: Ingress, Certificate, Secret, issuer).
pub fn object_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > 253 {
        return Err(format!(
            "{name:?} is {} characters long; at most 253",
            name.len()
        ));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !name.chars().all(ok_char) || !edge_ok(name.chars().next()) || !edge_ok(name.chars().last())
    {
        return Err(format!(
            "{name:?} is not a Kubernetes name: lower case a-z, 0-9, - and ., starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// Checks an annotation key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 of
/// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn annotation_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        object_name(p).map_err(|why| format!("prefix {why}"))?;
    }
    if !crate::names::is_qualified_name_part(name) {
        return Err(format!(
            "{key:?} is not an annotation key ([prefix/]name, name up to 63 of a-z, A-Z, 0-9, -, _, .)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "backstage.10.0.0.200.nip.io",
            "*.apps.example.com",
            "localhost",
            "a-b.c0",
            &format!("{}.com", "a".repeat(63)),
        ] {
            assert_eq!(host(ok), Ok(()), "{ok}");
        }
        for (bad, want) in [
            ("", "is empty"),
            (
                "Backstage.example.com",
                "\"Backstage.example.com\" must be lower case (Kubernetes refuses upper case hosts): \"backstage.example.com\"",
            ),
            (
                "https://a.example.com",
                "\"https://a.example.com\" is a URL; give only the host name",
            ),
            ("a.example.com:443", "has a port"),
            (
                "a.example.com.",
                "ends with a dot; write it without: \"a.example.com\"",
            ),
            (
                "10.0.0.200",
                "\"10.0.0.200\" is an IP address; an Ingress host must be a DNS name (e.g. 10.0.0.200.nip.io)",
            ),
            (
                "a.*.example.com",
                "a wildcard must be the whole first label",
            ),
            ("*a.example.com", "a wildcard must be the whole first label"),
            ("a..example.com", "label \"\" is empty (two dots in a row?)"),
            ("-a.example.com", "label \"-a\" starts or ends with -"),
            (
                "a_b.example.com",
                "label \"a_b\" has '_'; only a-z, 0-9 and - are allowed (RFC 1123)",
            ),
            (
                &format!("{}.com", "a".repeat(64)),
                "is 64 characters long; at most 63",
            ),
            (
                &format!("{}.com", "a.".repeat(126)),
                "characters long; a host name has at most 253",
            ),
        ] {
            let err = host(bad).unwrap_err();
            assert!(err.contains(want), "{bad}: {err}");
        }
    }

    #[test]
    fn names_and_annotation_keys() {
        assert_eq!(object_name("backstage-tls"), Ok(()));
        assert!(
            object_name("Backstage")
                .unwrap_err()
                .contains("is not a Kubernetes name")
        );
        assert!(object_name("-x").is_err());
        assert!(object_name("x-").is_err());
        assert_eq!(
            annotation_key("nginx.ingress.kubernetes.io/proxy-body-size"),
            Ok(())
        );
        assert_eq!(annotation_key("simple_Key.1"), Ok(()));
        assert!(annotation_key("Bad Prefix/x").is_err());
        assert!(annotation_key("a/-x").is_err());
        assert!(annotation_key("").is_err());
    }
}
