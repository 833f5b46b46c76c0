//! The `backstage` profile: the Backstage Helm chart 2.7.0 (github.com/backstage/charts).
//!
//! Where each fact goes:
//!
//! | fact | chart values |
//! | --- | --- |
//! | `url` | `backstage.appConfig.app.baseUrl`, `.backend.baseUrl`, `.backend.cors.origin` (the URL's origin) |
//! | `title`, `organization` | `backstage.appConfig.app.title`, `.organization.name` |
//! | `image` | `backstage.image.{registry,repository,tag,digest}` (never `global.imageRegistry`) |
//! | `replicas`, `port` | `backstage.replicas`, `backstage.containerPorts.backend`, `.appConfig.backend.listen.port` |
//! | `catalog.allow`, `catalog.locations` | `backstage.appConfig.catalog.rules`, `.catalog.locations` |
//! | catalog hosts, `catalog.reading` | `backstage.appConfig.backend.reading.allow` (derived, see [`crate::values::reading`]) |
//! | `auth.guest` | `backstage.appConfig.auth.providers.guest` (+ `dangerouslyAllowOutsideDevelopment` in production) |
//! | `database.bundled` | `postgresql.{enabled,image,architecture,auth,primary.persistence}`, `.backend.database` |
//! | `database.external` | `backstage.extraEnvVars` `POSTGRES_*`, `postgresql.enabled: false`, `.backend.database` |
//! | `resources` | `backstage.resources`, `postgresql.primary.resources` |
//!
//! `ingress.enabled` is always `false`: overhelm's `tls` step makes the Ingress and Certificate.

use serde_json::{Map, Value, json};

use super::Profile;
use super::backstage_parts::{database, image_values, requirements};
use crate::error::{Error, Result};
use crate::overlay::Overlay;
use crate::overlay::values::{ReadingEntry, ValuesSpec};
use crate::values::reading::{self, AllowEntry};
use crate::values::url::Url;
use crate::values::{Compiled, get, put};

/// The profile.
pub struct Backstage;

/// Entity kinds Backstage's catalog model and scaffolder define.
pub const KINDS: [&str; 9] = [
    "Component",
    "API",
    "System",
    "Domain",
    "Resource",
    "Group",
    "User",
    "Location",
    "Template",
];

/// Backstage's CORS methods (those of `@backstage/create-app`'s app-config).
const CORS_METHODS: [&str; 6] = ["GET", "HEAD", "PATCH", "POST", "PUT", "DELETE"];

impl Profile for Backstage {
    fn compile(&self, spec: &ValuesSpec, overlay: &Overlay) -> Result<Compiled> {
        let mut warnings = Vec::new();
        let url = site_url(spec, overlay, &mut warnings)?;
        let port = spec.port.unwrap_or(7007);
        let mut v = Value::Object(Map::new());
        put(
            &mut v,
            &["backstage", "replicas"],
            spec.replicas.unwrap_or(1).into(),
        );
        if let Some(image) = &spec.image {
            put(
                &mut v,
                &["backstage", "image"],
                image_values("values.image", image)?,
            );
        }
        if let Some(r) = spec.resources.as_ref().and_then(|r| r.backstage.as_ref()) {
            let r = requirements("values.resources.backstage", r)?;
            put(&mut v, &["backstage", "resources"], r);
        }
        put(
            &mut v,
            &["backstage", "containerPorts", "backend"],
            port.into(),
        );
        let app_config = app_config(spec, &url, port, &mut warnings)?;
        put(&mut v, &["backstage", "appConfig"], app_config);
        put(&mut v, &["ingress", "enabled"], false.into());
        database(spec, &mut v)?;
        Ok(Compiled {
            values: v,
            warnings,
        })
    }

    fn guard(&self, values: &Value) -> Result<()> {
        super::backstage_guard::check(values)
    }
}

/// The URL, checked against the overlay's `tls` hosts.
fn site_url(spec: &ValuesSpec, overlay: &Overlay, warnings: &mut Vec<String>) -> Result<Url> {
    let text = spec.url.as_deref().ok_or_else(|| {
        Error::overlay(
            "values.url",
            "the backstage profile needs the app's public URL, e.g. `url: https://backstage.example.com`",
        )
    })?;
    let url = Url::parse(text).map_err(|e| Error::overlay("values.url", e))?;
    if url.path.ends_with('/') {
        return Err(Error::overlay(
            "values.url",
            format!(
                "{text:?} ends in `/`; Backstage joins paths to the base URL, write it without the trailing slash"
            ),
        ));
    }
    let tls_hosts: Vec<&str> = overlay
        .tls
        .iter()
        .flat_map(|t| t.host.iter().chain(t.hosts.iter()))
        .map(String::as_str)
        .collect();
    let every_entry_names_hosts = overlay
        .tls
        .iter()
        .all(|t| t.host.is_some() || !t.hosts.is_empty());
    if !overlay.tls.is_empty()
        && every_entry_names_hosts
        && !tls_hosts.iter().any(|h| h.eq_ignore_ascii_case(&url.host))
    {
        warnings.push(format!(
            "values.url: host {} has no `tls` entry (tls hosts: {}); browsers will reach Backstage at a host overhelm makes no certificate for",
            url.host,
            tls_hosts.join(", ")
        ));
    }
    Ok(url)
}

fn app_config(
    spec: &ValuesSpec,
    url: &Url,
    port: u16,
    warnings: &mut Vec<String>,
) -> Result<Value> {
    let base = url.to_string();
    let mut c = Value::Object(Map::new());
    if let Some(title) = &spec.title {
        put(&mut c, &["app", "title"], title.clone().into());
    }
    put(&mut c, &["app", "baseUrl"], base.clone().into());
    if let Some(org) = &spec.organization {
        put(&mut c, &["organization", "name"], org.clone().into());
    }
    put(&mut c, &["backend", "baseUrl"], base.into());
    put(&mut c, &["backend", "listen", "port"], port.into());
    let cors = json!({"origin": url.origin(), "methods": CORS_METHODS, "credentials": true});
    put(&mut c, &["backend", "cors"], cors);
    let locations = locations(spec)?;
    let allow = reading_allow(spec, &locations, warnings)?;
    if !allow.is_empty() {
        put(
            &mut c,
            &["backend", "reading", "allow"],
            Value::Array(allow),
        );
    }
    if spec
        .database
        .as_ref()
        .is_some_and(|d| d.bundled.is_some() || d.external.is_some())
    {
        put(&mut c, &["backend", "database"], database_connection());
    }
    if spec.auth.as_ref().is_some_and(|a| a.guest) {
        put(
            &mut c,
            &["auth", "providers", "guest"],
            guest(spec, url, warnings),
        );
    }
    catalog(spec, &locations, &mut c)?;
    Ok(c)
}

/// Backstage substitutes `${VAR}` from the container's env at start-up; the chart (bundled) or
/// the profile (external) puts `POSTGRES_*` there.
fn database_connection() -> Value {
    json!({"client": "pg", "connection": {
        "host": "${POSTGRES_HOST}", "port": "${POSTGRES_PORT}",
        "user": "${POSTGRES_USER}", "password": "${POSTGRES_PASSWORD}"}})
}

/// The locations as written, each with its parsed URL.
fn locations(spec: &ValuesSpec) -> Result<Vec<(String, Url)>> {
    let given = spec.catalog.iter().flat_map(|c| c.locations.iter());
    let mut out: Vec<(String, Url)> = Vec::new();
    for (i, text) in given.enumerate() {
        let key = format!("values.catalog.locations[{i}]");
        let url = Url::parse(text).map_err(|e| Error::overlay(&key, e))?;
        if out.iter().any(|(_, u)| *u == url) {
            return Err(Error::overlay(key, format!("{text:?} is listed twice")));
        }
        out.push((text.clone(), url));
    }
    Ok(out)
}

/// One entry per location host that no integration serves and no explicit entry covers, then
/// the explicit entries.
fn reading_allow(
    spec: &ValuesSpec,
    locations: &[(String, Url)],
    warnings: &mut Vec<String>,
) -> Result<Vec<Value>> {
    let integrations = reading::integration_hosts(get(
        &Value::Object(spec.set.clone()),
        &["backstage", "appConfig", "integrations"],
    ));
    let explicit = explicit_entries(spec)?;
    for entry in &explicit {
        if integrations
            .iter()
            .any(|h| *h == entry.written.to_ascii_lowercase())
        {
            warnings.push(format!(
                "values.catalog.reading: URLs on {} are read by Backstage's integration for that host, which comes first; its backend.reading.allow entry has no effect",
                entry.written
            ));
        }
    }
    let mut derived: Vec<AllowEntry> = Vec::new();
    for (_, url) in locations {
        let covered = reading::served_by_integration(url, &integrations)
            || explicit
                .iter()
                .chain(derived.iter())
                .any(|e| e.matches(url));
        if !covered {
            derived.push(reading::entry_for(url));
        }
    }
    Ok(derived
        .iter()
        .chain(explicit.iter())
        .map(AllowEntry::to_value)
        .collect())
}

fn explicit_entries(spec: &ValuesSpec) -> Result<Vec<AllowEntry>> {
    let given = spec.catalog.iter().flat_map(|c| c.reading.iter());
    given
        .enumerate()
        .map(|(i, entry)| {
            let (host, paths) = match entry {
                ReadingEntry::Host(h) => (h.as_str(), None),
                ReadingEntry::Entry(e) => (e.host.as_str(), e.paths.clone()),
            };
            AllowEntry::parse(host, paths)
                .map_err(|e| Error::overlay(format!("values.catalog.reading[{i}]"), e))
        })
        .collect()
}

/// The guest provider; Backstage refuses it unless `NODE_ENV=development`, which the chart's
/// image never sets, unless `dangerouslyAllowOutsideDevelopment` is true.
fn guest(spec: &ValuesSpec, url: &Url, warnings: &mut Vec<String>) -> Value {
    if super::backstage_guard::node_env_development(&Value::Object(spec.set.clone())) {
        return json!({});
    }
    warnings.push(format!(
        "values.auth.guest: the Backstage image runs with NODE_ENV=production, where the guest provider refuses sign-in, \
         so overhelm sets auth.providers.guest.dangerouslyAllowOutsideDevelopment: true. Anyone who can reach {url} can now \
         sign in as the guest user without a password and use everything that user may. Keep it on a private network, \
         and configure a real sign-in provider before exposing it."
    ));
    json!({"dangerouslyAllowOutsideDevelopment": true})
}

fn catalog(spec: &ValuesSpec, locations: &[(String, Url)], c: &mut Value) -> Result<()> {
    let allow = spec
        .catalog
        .as_ref()
        .map(|c| c.allow.as_slice())
        .unwrap_or_default();
    for (i, kind) in allow.iter().enumerate() {
        if !KINDS.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            return Err(Error::overlay(
                format!("values.catalog.allow[{i}]"),
                format!(
                    "unknown entity kind {kind:?}; Backstage's kinds are {}",
                    KINDS.join(", ")
                ),
            ));
        }
    }
    if !allow.is_empty() {
        put(c, &["catalog", "rules"], json!([{"allow": allow}]));
    }
    if !locations.is_empty() {
        let list: Vec<Value> = locations
            .iter()
            .map(|(t, _)| json!({"type": "url", "target": t}))
            .collect();
        put(c, &["catalog", "locations"], Value::Array(list));
    }
    Ok(())
}
