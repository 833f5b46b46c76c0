//! The `backstage` profile's guards: checks on the final values (after `set:`) for the mistakes
//! that each cost the first user an evening, so that no `set:` can bring one back.
//!
//! - every `url` catalog location is readable: an integration serves its host, or an entry of
//!   `backend.reading.allow` matches it (Backstage's rules, [`crate::values::reading`]);
//! - the guest provider, in the production image, has `dangerouslyAllowOutsideDevelopment: true`;
//! - no env var is given twice: the chart injects `APP_CONFIG_backend_listen_port`, and
//!   `POSTGRES_HOST/PORT/USER/PASSWORD` when `postgresql.enabled` is true;
//! - no `global.imageRegistry`: it moves every image of the release, Bitnami subcharts included.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::values::get;
use crate::values::reading::{self, AllowEntry};
use crate::values::url::Url;

/// Env vars the chart writes into the `backstage-backend` container itself.
const ALWAYS_INJECTED: [&str; 1] = ["APP_CONFIG_backend_listen_port"];
/// Env vars the chart adds when its PostgreSQL subchart is on.
const DATABASE_INJECTED: [&str; 4] = [
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
];

fn fail(message: String) -> Error {
    Error::overlay("values.set", message)
}

/// Runs every guard.
pub fn check(values: &Value) -> Result<()> {
    image_registry(values)?;
    env(values)?;
    if let Some(app) = get(values, &["backstage", "appConfig"]).filter(|a| a.is_object()) {
        locations_readable(app)?;
        guest(values, app)?;
    }
    Ok(())
}

/// True when `backstage.extraEnvVars` sets `NODE_ENV=development` (the only mode in which
/// Backstage allows guest sign-in by default).
pub fn node_env_development(values: &Value) -> bool {
    env_vars(values).iter().any(|(_, e)| {
        e.get("name").and_then(Value::as_str) == Some("NODE_ENV")
            && e.get("value").and_then(Value::as_str) == Some("development")
    })
}

fn env_vars(values: &Value) -> Vec<(usize, &Value)> {
    get(values, &["backstage", "extraEnvVars"])
        .and_then(Value::as_array)
        .map(|l| l.iter().enumerate().collect())
        .unwrap_or_default()
}

fn image_registry(values: &Value) -> Result<()> {
    match get(values, &["global", "imageRegistry"]).and_then(Value::as_str) {
        Some(r) if !r.is_empty() => Err(fail(format!(
            "global.imageRegistry: {r:?} would replace the registry of every image of the release, the PostgreSQL \
             subchart's included (docker.io/bitnamilegacy/postgresql would be pulled from {r}); set the registry per \
             image (values.image, values.database.bundled.image) or use the overlay's `registry.mirrors`"
        ))),
        _ => Ok(()),
    }
}

fn env(values: &Value) -> Result<()> {
    let pg_on = get(values, &["postgresql", "enabled"]) == Some(&Value::Bool(true));
    let mut seen: Vec<&str> = Vec::new();
    for (i, e) in env_vars(values) {
        let Some(name) = e.get("name").and_then(Value::as_str) else {
            continue;
        };
        let at = format!("backstage.extraEnvVars[{i}]");
        if ALWAYS_INJECTED.contains(&name) {
            return Err(fail(format!(
                "{at}: {name} is set by the chart from backstage.containerPorts.backend; the container would get it twice. \
                 Set `values.port` instead"
            )));
        }
        if pg_on && DATABASE_INJECTED.contains(&name) {
            return Err(fail(format!(
                "{at}: {name} is injected by the chart already, because postgresql.enabled is true; the container would \
                 get it twice (server-side apply can refuse duplicate env names). Remove it: the chart takes it from \
                 postgresql.auth"
            )));
        }
        if seen.contains(&name) {
            return Err(fail(format!(
                "{at}: {name} is given twice in backstage.extraEnvVars"
            )));
        }
        seen.push(name);
    }
    Ok(())
}

fn locations_readable(app: &Value) -> Result<()> {
    let integrations = reading::integration_hosts(app.get("integrations"));
    let allow = allow_entries(app)?;
    let locations = get(app, &["catalog", "locations"]).and_then(Value::as_array);
    for (i, loc) in locations.into_iter().flatten().enumerate() {
        let at = format!("backstage.appConfig.catalog.locations[{i}]");
        if loc.get("type").and_then(Value::as_str) != Some("url") {
            continue;
        }
        let target = loc
            .get("target")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let url = Url::parse(target).map_err(|e| fail(format!("{at}.target: {e}")))?;
        if !reading::served_by_integration(&url, &integrations)
            && !allow.iter().any(|a| a.matches(&url))
        {
            return Err(fail(format!(
                "{at}: Backstage could not read {target}: no integration serves {} and no backend.reading.allow entry \
                 matches it. Leave backend.reading.allow to the compiler, or add {:?} to values.catalog.reading",
                url.host_port(),
                url.host_port()
            )));
        }
    }
    Ok(())
}

fn allow_entries(app: &Value) -> Result<Vec<AllowEntry>> {
    let list = get(app, &["backend", "reading", "allow"]).and_then(Value::as_array);
    let mut out = Vec::new();
    for (i, entry) in list.into_iter().flatten().enumerate() {
        let at = format!("backstage.appConfig.backend.reading.allow[{i}]");
        let host = entry
            .get("host")
            .and_then(Value::as_str)
            .ok_or_else(|| fail(format!("{at}: has no `host`")))?;
        let paths = entry.get("paths").and_then(Value::as_array).map(|p| {
            p.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
        out.push(AllowEntry::parse(host, paths).map_err(|e| fail(format!("{at}: {e}")))?);
    }
    Ok(out)
}

fn guest(values: &Value, app: &Value) -> Result<()> {
    let Some(guest) = get(app, &["auth", "providers", "guest"]) else {
        return Ok(());
    };
    let allowed = guest.get("dangerouslyAllowOutsideDevelopment") == Some(&Value::Bool(true));
    if allowed || node_env_development(values) {
        return Ok(());
    }
    Err(fail(
        "backstage.appConfig.auth.providers.guest: the Backstage image runs with NODE_ENV=production, where guest \
         sign-in is refused unless dangerouslyAllowOutsideDevelopment is true; use `values.auth.guest: true`, which \
         sets it (and says what it means)"
            .to_string(),
    ))
}
