//! Backstage's URL-reading rules: which reader reads a catalog location, and when
//! `backend.reading.allow` must list its host.
//!
//! Backstage reads a URL with the first reader whose predicate matches. Each SCM integration's
//! reader matches `url.host == integration.host` exactly (host and non-default port, so
//! `raw.githubusercontent.com` is *not* read by the github.com integration). Backstage always
//! adds a github.com, gitlab.com and dev.azure.com integration, and bitbucket.org when no
//! Bitbucket Cloud one is configured. Every other URL goes to the fetch reader, which refuses it
//! unless an entry of `backend.reading.allow` matches:
//!
//! - `host` is an exact host name, or `*.suffix`, which matches subdomains and not the apex;
//! - `host: name:port` or `name:from-to` matches that port (range), the scheme's default port
//!   counting when the URL has none; an entry without a port refuses a URL with a non-default one;
//! - `paths`, when given, are prefixes of the URL's path after POSIX normalisation.
//!
//! That refusal is the gotcha the compiler designs out: it derives one entry per location host
//! that no integration serves.

use serde_json::Value;

use super::url::{Url, check_host};

/// One `backend.reading.allow` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// The host as written (`name`, `*.suffix`, with `:port` or `:from-to`).
    pub written: String,
    hostname: String,
    ports: Option<(u16, u16)>,
    paths: Option<Vec<String>>,
}

impl AllowEntry {
    /// Parses an entry; the error says what Backstage would not match.
    pub fn parse(host: &str, paths: Option<Vec<String>>) -> Result<Self, String> {
        let (hostname, port) = match host.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        };
        let bare = hostname.strip_prefix("*.").unwrap_or(hostname);
        if bare.contains('*') {
            return Err(format!(
                "{host:?}: a wildcard is only allowed as a leading `*.` (e.g. `*.example.com`)"
            ));
        }
        check_host(bare).map_err(|e| format!("{host:?}: {e}"))?;
        let ports = port.map(|p| parse_ports(host, p)).transpose()?;
        if let Some(paths) = &paths {
            if let Some(bad) = paths.iter().find(|p| !p.starts_with('/')) {
                return Err(format!("{host:?}: path {bad:?} must start with `/`"));
            }
        }
        Ok(AllowEntry {
            written: host.to_string(),
            hostname: hostname.to_ascii_lowercase(),
            ports,
            paths,
        })
    }

    /// True when Backstage's fetch reader would read `url` under this entry.
    pub fn matches(&self, url: &Url) -> bool {
        let host_ok = match self.hostname.strip_prefix('*') {
            Some(suffix) => url.host.ends_with(suffix),
            None => url.host == self.hostname,
        };
        let port_ok = match self.ports {
            None => url.port.is_none(),
            Some((from, to)) => (from..=to).contains(&url.effective_port()),
        };
        let path_ok = match &self.paths {
            None => true,
            Some(paths) => {
                let path = normalize(&url.path);
                paths.iter().any(|p| path.starts_with(p.as_str()))
            }
        };
        host_ok && port_ok && path_ok
    }

    /// The entry as a chart value.
    pub fn to_value(&self) -> Value {
        let mut entry = serde_json::Map::new();
        entry.insert("host".into(), Value::String(self.written.clone()));
        if let Some(paths) = &self.paths {
            entry.insert("paths".into(), paths.clone().into());
        }
        Value::Object(entry)
    }
}

fn parse_ports(host: &str, port: &str) -> Result<(u16, u16), String> {
    let number = |s: &str| s.parse::<u16>().ok().filter(|p| *p > 0);
    let range = match port.split_once('-') {
        Some((a, b)) => number(a).zip(number(b)).filter(|(a, b)| a <= b),
        None => number(port).map(|p| (p, p)),
    };
    range.ok_or_else(|| {
        format!("{host:?}: the port must be a number or a range `from-to` between 1 and 65535")
    })
}

/// POSIX path normalisation as Node's `path.posix.normalize` does it for absolute paths.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let trailing = path.ends_with('/') && !parts.is_empty();
    format!("/{}{}", parts.join("/"), if trailing { "/" } else { "" })
}

/// The integration kinds in `integrations:` whose readers claim URLs by host.
const INTEGRATION_KINDS: [&str; 8] = [
    "github",
    "gitlab",
    "azure",
    "bitbucketCloud",
    "bitbucketServer",
    "bitbucket",
    "gerrit",
    "gitea",
];

/// The hosts (`host[:port]`, lower case) that an integration's reader serves, given the app
/// config's `integrations` (absent = none configured), Backstage's implicit ones included.
pub fn integration_hosts(integrations: Option<&Value>) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for kind in INTEGRATION_KINDS {
        let list = integrations
            .and_then(|i| i.get(kind))
            .and_then(Value::as_array);
        for entry in list.into_iter().flatten() {
            if let Some(h) = entry.get("host").and_then(Value::as_str) {
                hosts.push(h.to_ascii_lowercase());
            }
        }
        let implicit = match kind {
            "github" => Some("github.com"),
            "gitlab" => Some("gitlab.com"),
            "azure" => Some("dev.azure.com"),
            "bitbucketCloud" if list.is_none_or(|l| l.is_empty()) => Some("bitbucket.org"),
            _ => None,
        };
        if let Some(h) = implicit {
            if !hosts.iter().any(|x| x == h) {
                hosts.push(h.to_string());
            }
        }
    }
    hosts
}

/// True when an integration's reader, not the fetch reader, reads `url`.
pub fn served_by_integration(url: &Url, hosts: &[String]) -> bool {
    let host = url.host_port();
    hosts.contains(&host)
}

/// The entry to add for a location nobody reads yet: its host, and its port when it has one.
pub fn entry_for(url: &Url) -> AllowEntry {
    AllowEntry {
        written: url.host_port(),
        hostname: url.host.clone(),
        ports: url.port.map(|p| (p, p)),
        paths: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn allow_matching_follows_backstage() {
        // (entry host, paths, url, matches)
        let cases: &[(&str, Option<&[&str]>, &str, bool)] = &[
            (
                "raw.githubusercontent.com",
                None,
                "https://raw.githubusercontent.com/o/r/main/c.yaml",
                true,
            ),
            (
                "raw.githubusercontent.com",
                None,
                "https://githubusercontent.com/x",
                false,
            ),
            ("*.example.com", None, "https://a.example.com/x", true),
            ("*.example.com", None, "https://a.b.example.com/x", true),
            ("*.example.com", None, "https://example.com/x", false),
            ("*.example.com", None, "https://badexample.com/x", false),
            ("h.example", None, "https://h.example:443/x", true),
            ("h.example", None, "https://h.example:8443/x", false),
            ("h.example:8443", None, "https://h.example:8443/x", true),
            ("h.example:443", None, "https://h.example/x", true),
            ("h.example:8000-8100", None, "http://h.example:8080/x", true),
            ("h.example:8000-8100", None, "http://h.example/x", false),
            (
                "h.example",
                Some(&["/docs/"]),
                "https://h.example/docs/a.yaml",
                true,
            ),
            (
                "h.example",
                Some(&["/docs/"]),
                "https://h.example/docs/../etc/a",
                false,
            ),
            (
                "h.example",
                Some(&["/docs/"]),
                "https://h.example/other",
                false,
            ),
        ];
        for (host, paths, u, want) in cases {
            let paths = paths.map(|p| p.iter().map(|s| s.to_string()).collect());
            let entry = AllowEntry::parse(host, paths).unwrap();
            assert_eq!(entry.matches(&url(u)), *want, "{host} vs {u}");
        }
    }

    #[test]
    fn bad_entries_are_refused() {
        let cases = [
            ("prod.*.example.com", "only allowed as a leading `*.`"),
            ("h.example:0", "the port must be"),
            ("h.example:90-80", "the port must be"),
            ("h_x", "is not a DNS name"),
        ];
        for (host, want) in cases {
            let err = AllowEntry::parse(host, None).unwrap_err();
            assert!(err.contains(want), "{host}: {err}");
        }
        let err = AllowEntry::parse("h.example", Some(vec!["docs".into()])).unwrap_err();
        assert!(err.contains("must start with `/`"), "{err}");
    }

    #[test]
    fn implicit_integrations_are_known() {
        assert_eq!(
            integration_hosts(None),
            ["github.com", "gitlab.com", "dev.azure.com", "bitbucket.org"]
        );
        let cfg = json!({"github": [{"host": "ghe.example.com"}], "bitbucketCloud": [{"username": "u"}],
                         "gitea": [{"host": "gitea.example:3000"}]});
        let hosts = integration_hosts(Some(&cfg));
        assert!(hosts.contains(&"ghe.example.com".to_string()));
        assert!(hosts.contains(&"github.com".to_string()));
        assert!(hosts.contains(&"gitea.example:3000".to_string()));
        assert!(!hosts.contains(&"bitbucket.org".to_string()));
    }

    #[test]
    fn raw_content_host_is_not_served_by_the_github_integration() {
        let hosts = integration_hosts(None);
        assert!(!served_by_integration(
            &url("https://raw.githubusercontent.com/o/r/main/c.yaml"),
            &hosts
        ));
        assert!(served_by_integration(
            &url("https://github.com/o/r/blob/main/c.yaml"),
            &hosts
        ));
        assert!(!served_by_integration(
            &url("https://github.com:8443/o/r"),
            &hosts
        ));
    }

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(normalize("/a/./b/../c"), "/a/c");
        assert_eq!(normalize("/a//b/"), "/a/b/");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize(""), "/");
    }
}
