//! One `waitFor` entry, checked and compiled before any document is read: what to wait for
//! (a login, `pg_isready`, a TCP connection), where each value comes from (a literal or the app
//! container's env), the timeout in seconds and the image. Every mistake names its overlay key.

use super::duration;
use crate::error::{Error, Result};
use crate::image::ImageRef;
use crate::overlay::Selector;
use crate::overlay::wait_for::{EnvOr, WaitFor};

/// The timeout when the entry gives none.
pub(super) const DEFAULT_TIMEOUT: &str = "10m";

/// What the init container checks (`WAIT_CHECK` of the script).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// `psql` logs in and runs `select 1`: the app's own login works.
    Login,
    /// `pg_isready`: the server accepts connections.
    Ready,
    /// A TCP connection opens.
    Tcp,
}

impl Check {
    /// The script's name for the check.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Check::Login => "login",
            Check::Ready => "ready",
            Check::Tcp => "tcp",
        }
    }
}

/// Where one value of the init container comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
    /// A literal from the overlay.
    Literal(String),
    /// The app container's env variable of this name.
    FromEnv(String),
}

/// One value the script reads: its env name in the init container and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    /// The init container's variable (`PGHOST`, `WAIT_PORT`, ...).
    pub env: &'static str,
    /// The overlay key, e.g. `waitFor[0].postgres.host`.
    pub key: String,
    /// Where the value comes from.
    pub source: Source,
}

/// The image of the init container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ImageChoice {
    /// The PostgreSQL image already in the release.
    Auto,
    /// This reference.
    Given(String),
}

/// A checked `waitFor` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// `waitFor[i]`.
    pub key: String,
    /// The init container's name.
    pub name: String,
    /// The explicit target, if any.
    pub selector: Option<Selector>,
    /// The app container whose env `fromEnv` reads, if named.
    pub container: Option<String>,
    /// What to check.
    pub check: Check,
    /// Host first, then port, user, password, database.
    pub fields: Vec<Field>,
    /// Whole seconds.
    pub timeout: u64,
    /// The image.
    pub image: ImageChoice,
}

enum Kind {
    Host,
    Port,
    Text,
}

impl Entry {
    /// Checks entry `index` of `waitFor`.
    pub(super) fn compile(index: usize, spec: &WaitFor) -> Result<Self> {
        let key = format!("waitFor[{index}]");
        let (check, fields, default_name) = match (&spec.postgres, &spec.tcp) {
            (Some(pg), None) => {
                let section = format!("{key}.postgres");
                let mut fields = vec![required(&section, "host", "PGHOST", &pg.host, Kind::Host)?];
                let port = optional(&section, "port", "PGPORT", &pg.port, Kind::Port)?;
                fields.push(port.unwrap_or_else(|| Field {
                    env: "PGPORT",
                    key: format!("{section}.port"),
                    source: Source::Literal("5432".into()),
                }));
                let user = optional(&section, "user", "PGUSER", &pg.user, Kind::Text)?;
                let password =
                    optional(&section, "password", "PGPASSWORD", &pg.password, Kind::Text)?;
                let database =
                    optional(&section, "database", "PGDATABASE", &pg.database, Kind::Text)?;
                if user.is_none() {
                    if password.is_some() {
                        return Err(Error::overlay(
                            format!("{section}.password"),
                            "a password needs a user; add `user:` (with a user the init container waits until a login succeeds)",
                        ));
                    }
                    if database.is_some() {
                        return Err(Error::overlay(
                            format!("{section}.database"),
                            "the database is checked only by a login; add `user:` and `password:`, or remove `database:`",
                        ));
                    }
                }
                let check = if user.is_some() {
                    Check::Login
                } else {
                    Check::Ready
                };
                fields.extend([user, password, database].into_iter().flatten());
                (check, fields, "wait-for-postgres")
            }
            (None, Some(tcp)) => {
                let section = format!("{key}.tcp");
                let fields = vec![
                    required(&section, "host", "WAIT_HOST", &tcp.host, Kind::Host)?,
                    required(&section, "port", "WAIT_PORT", &tcp.port, Kind::Port)?,
                ];
                (Check::Tcp, fields, "wait-for-tcp")
            }
            (None, None) => {
                return Err(Error::overlay(
                    &key,
                    "says nothing to wait for; add `postgres: {host: ..., ...}` or `tcp: {host: ..., port: ...}`",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::overlay(
                    &key,
                    "has both `postgres` and `tcp`; one entry waits for one thing, so write two entries",
                ));
            }
        };
        let name = spec.name.clone().unwrap_or_else(|| default_name.into());
        check_name(&name).map_err(|m| Error::overlay(format!("{key}.name"), m))?;
        let timeout = duration::parse_seconds(spec.timeout.as_deref().unwrap_or(DEFAULT_TIMEOUT))
            .map_err(|m| Error::overlay(format!("{key}.timeout"), m))?;
        let image = match spec.image.as_deref() {
            None | Some("auto") => ImageChoice::Auto,
            Some(image) => {
                ImageRef::parse(image)
                    .map_err(|e| Error::overlay(format!("{key}.image"), e.to_string()))?;
                ImageChoice::Given(image.to_string())
            }
        };
        if spec.container.as_deref() == Some("") {
            return Err(Error::overlay(
                format!("{key}.container"),
                "is empty; name an app container or remove the key",
            ));
        }
        Ok(Entry {
            key,
            name,
            selector: spec.workload.clone(),
            container: spec.container.clone(),
            check,
            fields,
            timeout,
            image,
        })
    }

    /// The variable that picks the default targets and the app container: the host's, else the
    /// first `fromEnv` of the entry.
    pub(super) fn anchor(&self) -> Option<&str> {
        self.fields.iter().find_map(|f| match &f.source {
            Source::FromEnv(var) => Some(var.as_str()),
            Source::Literal(_) => None,
        })
    }

    /// The overlay key of the password, when the overlay gave it as a literal.
    pub(super) fn literal_password(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.env == "PGPASSWORD" && matches!(f.source, Source::Literal(_)))
            .map(|f| f.key.as_str())
    }
}

fn required(
    section: &str,
    field: &str,
    env: &'static str,
    value: &Option<EnvOr>,
    kind: Kind,
) -> Result<Field> {
    optional(section, field, env, value, kind)?.ok_or_else(|| {
        Error::overlay(
            format!("{section}.{field}"),
            "is missing; give a literal or {fromEnv: VAR} (a variable of the app container's env)",
        )
    })
}

fn optional(
    section: &str,
    field: &str,
    env: &'static str,
    value: &Option<EnvOr>,
    kind: Kind,
) -> Result<Option<Field>> {
    let key = format!("{section}.{field}");
    let Some(value) = value else {
        return Ok(None);
    };
    let source = source(value, &kind).map_err(|m| Error::overlay(&key, m))?;
    Ok(Some(Field { env, key, source }))
}

fn source(value: &EnvOr, kind: &Kind) -> Result<Source, String> {
    match (value, kind) {
        (EnvOr::FromEnv(f), _) => {
            check_var(&f.from_env)?;
            Ok(Source::FromEnv(f.from_env.clone()))
        }
        (EnvOr::Number(n), Kind::Port) => port(&n.to_string()),
        (EnvOr::Text(t), Kind::Port) => port(t),
        (EnvOr::Number(n), _) => Err(format!(
            "is the number {n}; write it as a string (quoted) or {{fromEnv: VAR}}"
        )),
        (EnvOr::Text(t), Kind::Host) if t.is_empty() || t.contains(char::is_whitespace) => {
            Err(format!(
                "{t:?} is not a host name; give a host like db.example.svc or {{fromEnv: VAR}}"
            ))
        }
        (EnvOr::Text(t), _) if t.is_empty() => {
            Err("is empty; give a value or {fromEnv: VAR}".into())
        }
        (EnvOr::Text(t), _) => Ok(Source::Literal(t.clone())),
    }
}

fn port(text: &str) -> Result<Source, String> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(Source::Literal(p.to_string())),
        _ => Err(format!(
            "{text:?} is not a port; give a number from 1 to 65535 or {{fromEnv: VAR}}"
        )),
    }
}

/// Kubernetes env names are `[-._a-zA-Z][-._a-zA-Z0-9]*`.
fn check_var(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || !name.chars().all(ok_char)
    {
        return Err(format!(
            "fromEnv {name:?} is not an env variable name (letters, digits, '_', '-', '.', not starting with a digit)"
        ));
    }
    Ok(())
}

/// Container names are DNS-1123 labels.
fn check_name(name: &str) -> Result<(), String> {
    if !crate::names::is_dns_label(name) {
        return Err(format!(
            "{name:?} is not a container name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::Overlay;

    fn compile(yaml: &str) -> Result<Entry> {
        let text = format!("apiVersion: overhelm/v1\nkind: Overlay\nwaitFor:\n{yaml}");
        let overlay = Overlay::parse(&text, "o.yaml")?;
        Entry::compile(0, &overlay.wait_for[0])
    }

    #[test]
    fn backstage_entry_waits_for_a_login() {
        let e = compile("- postgres: {host: {fromEnv: POSTGRES_HOST}, port: {fromEnv: POSTGRES_PORT}, user: {fromEnv: POSTGRES_USER}, password: {fromEnv: POSTGRES_PASSWORD}, database: backstage_plugin_catalog}\n  timeout: 10m\n  image: auto\n").unwrap();
        assert_eq!(e.check, Check::Login);
        assert_eq!(e.name, "wait-for-postgres");
        assert_eq!(e.timeout, 600);
        assert_eq!(e.image, ImageChoice::Auto);
        assert_eq!(e.anchor(), Some("POSTGRES_HOST"));
        let envs: Vec<_> = e.fields.iter().map(|f| f.env).collect();
        assert_eq!(
            envs,
            ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]
        );
        assert_eq!(
            e.fields[4].source,
            Source::Literal("backstage_plugin_catalog".into())
        );
        assert_eq!(e.literal_password(), None);
    }

    #[test]
    fn host_and_port_only_is_pg_isready_with_default_port() {
        let e = compile("- postgres: {host: db.example.svc}\n").unwrap();
        assert_eq!(e.check, Check::Ready);
        assert_eq!(e.anchor(), None);
        assert_eq!(e.fields[1].source, Source::Literal("5432".into()));
    }

    #[test]
    fn tcp_entry() {
        let e = compile("- tcp: {host: {fromEnv: REDIS_HOST}, port: 6379}\n  image: busybox:1.36\n  name: wait-for-redis\n").unwrap();
        assert_eq!(e.check, Check::Tcp);
        assert_eq!(e.name, "wait-for-redis");
        assert_eq!(e.fields[1].env, "WAIT_PORT");
        assert_eq!(e.fields[1].source, Source::Literal("6379".into()));
        assert_eq!(e.image, ImageChoice::Given("busybox:1.36".into()));
    }

    #[test]
    fn literal_password_is_noticed() {
        let e = compile("- postgres: {host: db, user: app, password: hunter2}\n").unwrap();
        assert_eq!(e.literal_password(), Some("waitFor[0].postgres.password"));
    }

    #[test]
    fn every_mistake_names_its_key() {
        for (yaml, message) in [
            (
                "- timeout: 1m\n",
                "overlay waitFor[0]: says nothing to wait for; add `postgres: {host: ..., ...}` or `tcp: {host: ..., port: ...}`",
            ),
            (
                "- postgres: {host: a}\n  tcp: {host: a, port: 1}\n",
                "overlay waitFor[0]: has both `postgres` and `tcp`; one entry waits for one thing, so write two entries",
            ),
            (
                "- postgres: {port: 5432}\n",
                "overlay waitFor[0].postgres.host: is missing; give a literal or {fromEnv: VAR} (a variable of the app container's env)",
            ),
            (
                "- tcp: {host: a}\n",
                "overlay waitFor[0].tcp.port: is missing; give a literal or {fromEnv: VAR} (a variable of the app container's env)",
            ),
            (
                "- postgres: {host: a, password: {fromEnv: P}}\n",
                "overlay waitFor[0].postgres.password: a password needs a user; add `user:` (with a user the init container waits until a login succeeds)",
            ),
            (
                "- postgres: {host: a, database: d}\n",
                "overlay waitFor[0].postgres.database: the database is checked only by a login; add `user:` and `password:`, or remove `database:`",
            ),
            (
                "- postgres: {host: a, port: 70000}\n",
                "overlay waitFor[0].postgres.port: \"70000\" is not a port; give a number from 1 to 65535 or {fromEnv: VAR}",
            ),
            (
                "- postgres: {host: a, port: http}\n",
                "overlay waitFor[0].postgres.port: \"http\" is not a port; give a number from 1 to 65535 or {fromEnv: VAR}",
            ),
            (
                "- postgres: {host: 'a b'}\n",
                "overlay waitFor[0].postgres.host: \"a b\" is not a host name; give a host like db.example.svc or {fromEnv: VAR}",
            ),
            (
                "- postgres: {host: a, user: 42}\n",
                "overlay waitFor[0].postgres.user: is the number 42; write it as a string (quoted) or {fromEnv: VAR}",
            ),
            (
                "- postgres: {host: a, user: ''}\n",
                "overlay waitFor[0].postgres.user: is empty; give a value or {fromEnv: VAR}",
            ),
            (
                "- postgres: {host: {fromEnv: 'DB HOST'}}\n",
                "overlay waitFor[0].postgres.host: fromEnv \"DB HOST\" is not an env variable name (letters, digits, '_', '-', '.', not starting with a digit)",
            ),
            (
                "- postgres: {host: a}\n  name: Wait_DB\n",
                "overlay waitFor[0].name: \"Wait_DB\" is not a container name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
            ),
            (
                "- postgres: {host: a}\n  timeout: 10 minutes\n",
                "overlay waitFor[0].timeout: \"10 minutes\" is not a Go duration: unknown unit \" minutes\" (units are h, m, s, ms, us, ns)",
            ),
            (
                "- postgres: {host: a}\n  image: Postgres:16\n",
                "overlay waitFor[0].image: invalid image reference \"Postgres:16\": repository names must be lower case",
            ),
            (
                "- postgres: {host: a}\n  container: ''\n",
                "overlay waitFor[0].container: is empty; name an app container or remove the key",
            ),
        ] {
            let err = compile(yaml).unwrap_err().to_string();
            assert_eq!(err, message, "{yaml}");
        }
    }
}
