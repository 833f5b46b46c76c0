//! The small, strict part of URL syntax the values compiler needs: `http(s)://host[:port]/path`.
//!
//! Site URLs and catalog locations are checked here before any value is derived from them, so a
//! typo fails the compile instead of a Backstage pod at start-up. Hosts are DNS names or IPv4
//! addresses; user info, queries and fragments are refused (none belongs in a base URL or a
//! catalog location). Like the WHATWG URL parser Backstage uses, the scheme and host are
//! compared in lower case and a default port (`:443` for https, `:80` for http) counts as no
//! port, which matters for `backend.reading.allow` matching.

use std::fmt;

/// A parsed `http`/`https` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`, lower case.
    pub scheme: String,
    /// The host, lower case.
    pub host: String,
    /// The port, when written and not the scheme's default.
    pub port: Option<u16>,
    /// The path, starting with `/`, or empty.
    pub path: String,
}

/// `text` with its user info and its query or fragment hidden, for messages.
fn shown(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("<user info hidden>{}", &authority[at..]),
        None => authority.to_string(),
    };
    let tail = match tail.find(['?', '#']) {
        Some(i) => format!("{}{}<hidden>", &tail[..i], &tail[i..=i]),
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

impl Url {
    /// Parses `text`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        // A URL may carry a token (`https://user:token@host`, `?token=...`): never quoted.
        let text_shown = shown(text);
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("{text_shown:?} is not a URL: it has no `https://`"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("{text_shown:?}: the scheme must be http or https"));
        }
        if rest.contains(['?', '#']) {
            return Err(format!(
                "{text_shown:?}: a query or fragment is not allowed here"
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!(
                "{text_shown:?}: user info (`user@`) is not allowed here"
            ));
        }
        let (host, port) = split_port(authority).map_err(|e| format!("{text_shown:?}: {e}"))?;
        check_host(host).map_err(|e| format!("{text_shown:?}: {e}"))?;
        let default = if scheme == "https" { 443 } else { 80 };
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.filter(|p| *p != default),
            path: path.to_string(),
        })
    }

    /// `scheme://host[:port]`: what a browser sends as `Origin`.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// `host[:port]`: what Backstage's integrations compare (`url.host`).
    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The port a connection uses: the written one or the scheme's default.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    match authority.rsplit_once(':') {
        None => Ok((authority, None)),
        Some((host, port)) => {
            let port: u16 = port
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("port {port:?} is not a number from 1 to 65535"))?;
            Ok((host, Some(port)))
        }
    }
}

/// A DNS name (labels of letters, digits and inner `-`) or an IPv4 address.
pub fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if host.len() > 253 {
        return Err(format!("host {host:?} is longer than 253 characters"));
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "host {host:?} is not a DNS name: each dot-separated label is 1-63 letters, digits or inner `-`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let u = Url::parse("HTTPS://Backstage.10.0.0.200.nip.io").unwrap();
        assert_eq!(u.host, "backstage.10.0.0.200.nip.io");
        assert_eq!(u.origin(), "https://backstage.10.0.0.200.nip.io");
        assert_eq!(u.path, "");
        let u = Url::parse("https://h.example:443/a/b.yaml").unwrap();
        assert_eq!((u.port, u.path.as_str()), (None, "/a/b.yaml"));
        let u = Url::parse("http://h.example:8080/x").unwrap();
        assert_eq!(u.host_port(), "h.example:8080");
        assert_eq!(u.effective_port(), 8080);
        assert_eq!(Url::parse("http://h:80").unwrap().effective_port(), 80);
    }

    #[test]
    fn errors_never_show_a_token() {
        for text in [
            "https://user:t0ken@h.example/x",
            "https://t0ken@h_x.example",
            "https://h.example/catalog.yaml?token=t0ken",
            "https://h.example/#t0ken",
            "user:t0ken@h.example",
        ] {
            let err = Url::parse(text).unwrap_err();
            assert!(!err.contains("t0ken"), "{text}: {err}");
            assert!(
                err.contains("<user info hidden>@") || err.contains("<hidden>"),
                "{err}"
            );
        }
        assert_eq!(
            Url::parse("https://u:p@h.example/a?b").unwrap_err(),
            "\"https://<user info hidden>@h.example/a?<hidden>\": a query or fragment is not allowed here"
        );
    }

    #[test]
    fn refuses_what_does_not_belong() {
        let cases = [
            ("backstage.example.com", "has no `https://`"),
            ("ftp://h.example", "scheme must be http or https"),
            ("https://h.example/?a=1", "query or fragment"),
            ("https://u:p@h.example", "user info"),
            ("https://h.example:0", "not a number from 1 to 65535"),
            ("https://h.example:99999", "not a number from 1 to 65535"),
            ("https://", "the host is empty"),
            ("https://h_x.example", "is not a DNS name"),
            ("https://-h.example", "is not a DNS name"),
            ("https://h..example", "is not a DNS name"),
        ];
        for (text, want) in cases {
            let err = Url::parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
