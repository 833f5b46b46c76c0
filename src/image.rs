//! Container image references: the distribution reference grammar and its normalisation.
//!
//! The grammar is the one of `github.com/distribution/reference`, which containerd, Docker and
//! Kubernetes use:
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path-component { "/" path-component }
//! domain     := host [ ":" port ]          host: DNS name, IPv4, or "[" IPv6 "]"
//! path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest     := algorithm ":" hex           sha256: 64 hex digits, sha512: 128
//! ```
//!
//! The first component is a registry when the reference has more than one component and the
//! first contains `.` or `:`, is `localhost`, or has an upper-case letter; otherwise the registry
//! is `docker.io`. `index.docker.io` and `registry-1.docker.io` are `docker.io`, and a single-name
//! Docker Hub image (`nginx`) lives in `library/` (Harbor's Docker Hub proxy needs it spelled out).
//! Parsing keeps the pieces as written, so a rewrite changes only the registry part and never
//! adds a `:latest` that was not there.

use std::fmt;

/// A parsed image reference, borrowing its pieces from the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The reference as written.
    pub original: &'a str,
    /// The registry as written, `None` when implicit.
    pub domain: Option<&'a str>,
    /// The repository path as written (without the registry).
    pub path: &'a str,
    /// The tag, when given.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:...`), when given.
    pub digest: Option<&'a str>,
}

/// Why a text is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {text:?}: {reason}")]
pub struct ImageError {
    /// The text.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";

impl<'a> ImageRef<'a> {
    /// Parses a reference.
    pub fn parse(text: &'a str) -> Result<Self, ImageError> {
        let fail = |reason: &str| ImageError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        let (name_tag, digest) = match text.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (text, None),
        };
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(&name_tag[last_slash + i + 1..]),
            ),
            None => (name_tag, None),
        };
        if name.len() > 255 {
            return Err(fail("the name is longer than 255 characters"));
        }
        let (domain, path) = split_domain(name);
        if let Some(domain) = domain {
            check_domain(domain).map_err(|r| fail(&r))?;
        }
        check_path(path).map_err(|r| fail(&r))?;
        if let Some(tag) = tag {
            check_tag(tag).map_err(|r| fail(&r))?;
        }
        if let Some(digest) = digest {
            check_digest(digest).map_err(|r| fail(&r))?;
        }
        let parsed = ImageRef {
            original: text,
            domain,
            path,
            tag,
            digest,
        };
        // containerd and Kubernetes count the limit on the normalised name
        // (`ParseNormalizedNamed`), so `docker.io/library/` counts too.
        if parsed.name().len() > 255 {
            return Err(fail(
                "the name is longer than 255 characters once normalised (with docker.io/library/)",
            ));
        }
        Ok(parsed)
    }

    /// The normalised registry: lower case, Docker Hub aliases folded into `docker.io`.
    pub fn registry(&self) -> String {
        match self.domain {
            None => DOCKER_HUB.to_string(),
            Some(d) => {
                let d = d.to_ascii_lowercase();
                if d == "index.docker.io" || d == "registry-1.docker.io" {
                    DOCKER_HUB.to_string()
                } else {
                    d
                }
            }
        }
    }

    /// The normalised repository: `library/` added for a single-name Docker Hub image.
    pub fn repository(&self) -> String {
        if self.registry() == DOCKER_HUB && !self.path.contains('/') {
            format!("library/{}", self.path)
        } else {
            self.path.to_string()
        }
    }

    /// The normalised name: `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry(), self.repository())
    }

    /// The tag and digest part as written (`:1.0`, `@sha256:...`, both, or empty).
    pub fn suffix(&self) -> &'a str {
        let name_end = self.domain.map_or(0, |d| d.len() + 1) + self.path.len();
        &self.original[name_end..]
    }
}

impl fmt::Display for ImageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.original)
    }
}

/// Splits off the registry the way `distribution/reference` does.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or("the IPv6 registry address has no closing `]`")?;
        if v6.is_empty()
            || !v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(format!("`[{v6}]` is not an IPv6 address"));
        }
        match after.strip_prefix(':') {
            Some(p) => (None, Some(p)),
            None if after.is_empty() => (None, None),
            None => {
                return Err(format!(
                    "unexpected `{after}` after the IPv6 registry address"
                ));
            }
        }
    } else {
        match domain.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(domain), None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the registry port `{port}` is not a number"));
        }
    }
    let Some(host) = host else { return Ok(()) };
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "the registry host `{host}` is not a valid host name"
            ));
        }
    }
    Ok(())
}

fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the repository name is empty".into());
    }
    for component in path.split('/') {
        if component.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("repository names must be lower case".into());
        }
        if !is_path_component(component) {
            return Err(format!(
                "`{component}` is not a valid repository component (lower-case letters and digits, separated by `.`, `_`, `__` or dashes)"
            ));
        }
    }
    Ok(())
}

fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let valid = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !valid {
            return false;
        }
    }
    true
}

fn check_tag(tag: &str) -> Result<(), String> {
    let b = tag.as_bytes();
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    if b.is_empty() {
        return Err("the tag after `:` is empty".into());
    }
    if b.len() > 128 || !word(b[0]) || !b.iter().all(|&x| word(x) || x == b'.' || x == b'-') {
        return Err(format!(
            "`{tag}` is not a valid tag (letters, digits, `_`, `.`, `-`; at most 128; not starting with `.` or `-`)"
        ));
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<(), String> {
    let (algorithm, hex) = digest
        .split_once(':')
        .ok_or_else(|| format!("the digest `{digest}` has no `algorithm:`"))?;
    let algo_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '-', '_']).all(|part| {
            let mut bytes = part.bytes();
            bytes.next().is_some_and(|x| x.is_ascii_alphabetic())
                && bytes.all(|x| x.is_ascii_alphanumeric())
        });
    if !algo_ok {
        return Err(format!("`{algorithm}` is not a digest algorithm"));
    }
    let want = match algorithm {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    };
    let hex_ok = hex.bytes().all(|x| x.is_ascii_hexdigit()) && hex.len() >= 32;
    match want {
        Some(n)
            if hex.len() != n
                || !hex
                    .bytes()
                    .all(|x| x.is_ascii_digit() || (b'a'..=b'f').contains(&x)) =>
        {
            Err(format!(
                "a {algorithm} digest has {n} lower-case hex digits"
            ))
        }
        None if !hex_ok => Err("a digest has at least 32 hex digits".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// (input, normalised name, suffix as written) or an error fragment.
    #[test]
    fn table() {
        let with_digest = format!("nginx@{D}");
        let tag_digest = format!("ghcr.io/backstage/backstage:1.35.0@{D}");
        let ok: Vec<(&str, &str, &str)> = vec![
            ("nginx", "docker.io/library/nginx", ""),
            ("nginx:1.25", "docker.io/library/nginx", ":1.25"),
            ("library/nginx:1.25", "docker.io/library/nginx", ":1.25"),
            ("docker.io/nginx", "docker.io/library/nginx", ""),
            (
                "docker.io/library/nginx:latest",
                "docker.io/library/nginx",
                ":latest",
            ),
            ("index.docker.io/nginx", "docker.io/library/nginx", ""),
            (
                "index.docker.io/library/nginx:1",
                "docker.io/library/nginx",
                ":1",
            ),
            (
                "registry-1.docker.io/bitnami/redis:7",
                "docker.io/bitnami/redis",
                ":7",
            ),
            (
                "bitnamilegacy/postgresql:15.4.0-debian-11-r10",
                "docker.io/bitnamilegacy/postgresql",
                ":15.4.0-debian-11-r10",
            ),
            (
                "docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10",
                "docker.io/bitnamilegacy/postgresql",
                ":15.4.0-debian-11-r10",
            ),
            ("ubuntu/nginx", "docker.io/ubuntu/nginx", ""),
            (
                "ghcr.io/backstage/backstage:latest",
                "ghcr.io/backstage/backstage",
                ":latest",
            ),
            (
                "ghcr.io/backstage/backstage",
                "ghcr.io/backstage/backstage",
                "",
            ),
            (
                "quay.io/prometheus/node-exporter:v1.8.0",
                "quay.io/prometheus/node-exporter",
                ":v1.8.0",
            ),
            (
                "registry.k8s.io/ingress-nginx/controller:v1.10.0",
                "registry.k8s.io/ingress-nginx/controller",
                ":v1.10.0",
            ),
            ("localhost/app", "localhost/app", ""),
            ("localhost:5000/app:1.0", "localhost:5000/app", ":1.0"),
            (
                "registry.local:5000/team/app:1.0",
                "registry.local:5000/team/app",
                ":1.0",
            ),
            (
                "registry.local:5000/team/app",
                "registry.local:5000/team/app",
                "",
            ),
            ("10.0.0.5:5000/app", "10.0.0.5:5000/app", ""),
            ("[::1]:5000/app:2", "[::1]:5000/app", ":2"),
            ("app:5000", "docker.io/library/app", ":5000"),
            ("Example.com/app", "example.com/app", ""),
            ("a.b.c/d/e/f/g:h", "a.b.c/d/e/f/g", ":h"),
            ("my-registry.example/app", "my-registry.example/app", ""),
            ("ghcr.io/a__b/c.d/e---f_g", "ghcr.io/a__b/c.d/e---f_g", ""),
            (
                "harbor.10.0.0.200.nip.io/ghcr-proxy/backstage/backstage:latest",
                "harbor.10.0.0.200.nip.io/ghcr-proxy/backstage/backstage",
                ":latest",
            ),
            (
                "nginx:1.25-alpine_3.19",
                "docker.io/library/nginx",
                ":1.25-alpine_3.19",
            ),
            ("nginx:_x", "docker.io/library/nginx", ":_x"),
            (&with_digest, "docker.io/library/nginx", &with_digest[5..]),
            (
                &tag_digest,
                "ghcr.io/backstage/backstage",
                &tag_digest[27..],
            ),
        ];
        for (input, name, suffix) in &ok {
            let r = ImageRef::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.name(), *name, "{input}");
            assert_eq!(r.suffix(), *suffix, "{input}");
        }
        let bad = [
            ("", "empty"),
            ("Nginx", "lower case"),
            ("ghcr.io/Backstage/backstage", "lower case"),
            ("nginx:", "tag after `:` is empty"),
            ("nginx:.x", "not a valid tag"),
            ("nginx:-x", "not a valid tag"),
            ("nginx@sha256:abc", "64 lower-case hex"),
            ("nginx@sha256", "no `algorithm:`"),
            ("nginx@md5:0123456789abcdef", "at least 32 hex"),
            ("-nginx", "not a valid repository component"),
            ("nginx-", "not a valid repository component"),
            ("a..b", "not a valid repository component"),
            ("a/b//c", "not a valid repository component"),
            ("registry.local:abc/app", "port `abc` is not a number"),
            ("-bad.example/app", "not a valid host name"),
            ("[::1/app", "closing `]`"),
            ("ghcr.io/", "empty"),
            ("ghcr.io/a b", "not a valid repository component"),
            ("{{ .values.image }}", "not a valid"),
        ];
        for (input, fragment) in bad {
            let err = ImageRef::parse(input).expect_err(input).to_string();
            assert!(err.contains(fragment), "{input}: {err}");
        }
        assert!(ok.len() + bad.len() >= 40);
    }

    #[test]
    fn the_length_limit_counts_the_normalised_name() {
        let name = "a".repeat(255 - "docker.io/library/".len());
        assert!(ImageRef::parse(&name).is_ok());
        let err = ImageRef::parse(&format!("{name}b")).expect_err("too long");
        assert!(err.reason.contains("once normalised"), "{err}");
    }

    #[test]
    fn long_tag_is_refused() {
        let tag = "a".repeat(129);
        assert!(ImageRef::parse(&format!("nginx:{tag}")).is_err());
        assert!(ImageRef::parse(&format!("nginx:{}", &tag[..128])).is_ok());
    }
}
