//! Pieces of the `backstage` profile that other charts' profiles will want too: image values
//! per image, requests and limits, and the database wiring.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::image::ImageRef;
use crate::overlay::resources::{QuantityText, Requirements};
use crate::overlay::values::{BundledDatabase, ExternalDatabase, ValuesSpec};
use crate::values::put;
use crate::values::url::check_host;

/// `{registry, repository, tag?, digest?}` for one image: the Bitnami-style per-image values.
/// Per image on purpose: `global.imageRegistry` would move every image of the release,
/// the PostgreSQL subchart's included, to the same registry.
pub fn image_values(key: &str, text: &str) -> Result<Value> {
    let image = ImageRef::parse(text).map_err(|e| Error::overlay(key, e.to_string()))?;
    let mut m = Map::new();
    m.insert("registry".into(), image.registry().into());
    m.insert("repository".into(), image.repository().into());
    if let Some(tag) = image.tag {
        m.insert("tag".into(), tag.into());
    }
    if let Some(digest) = image.digest {
        m.insert("digest".into(), digest.into());
    }
    Ok(Value::Object(m))
}

/// `{requests, limits}` with each quantity checked, written as it was given.
pub fn requirements(key: &str, r: &Requirements) -> Result<Value> {
    let mut out = Map::new();
    for (part, map) in [("requests", &r.requests), ("limits", &r.limits)] {
        if map.is_empty() {
            continue;
        }
        let mut m = Map::new();
        for (name, q) in map {
            check_quantity(&q.text())
                .map_err(|e| Error::overlay(format!("{key}.{part}.{name}"), e))?;
            let v = match q {
                QuantityText::Text(s) => Value::String(s.clone()),
                QuantityText::Number(n) => Value::Number(n.clone()),
            };
            m.insert(name.clone(), v);
        }
        out.insert(part.into(), Value::Object(m));
    }
    Ok(Value::Object(out))
}

/// Kubernetes quantity syntax: a decimal number with an optional exponent or suffix.
pub fn check_quantity(text: &str) -> std::result::Result<(), String> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(digits_end);
    let number_ok = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    let suffix_ok = matches!(
        suffix,
        "" | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
            | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()));
    if number_ok && suffix_ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a Kubernetes quantity (e.g. `100m`, `1`, `0.5`, `512Mi`, `1Gi`)"
        ))
    }
}

/// The database: the bundled subchart, or env for an external server.
pub fn database(spec: &ValuesSpec, v: &mut Value) -> Result<()> {
    let db = spec.database.as_ref();
    let pg_resources = spec.resources.as_ref().and_then(|r| r.postgresql.as_ref());
    match (
        db.and_then(|d| d.bundled.as_ref()),
        db.and_then(|d| d.external.as_ref()),
    ) {
        (Some(_), Some(_)) => Err(Error::overlay(
            "values.database",
            "give either `bundled` (the chart's PostgreSQL) or `external`, not both",
        )),
        (Some(b), None) => bundled(b, pg_resources, v),
        (None, ext) => {
            if pg_resources.is_some() {
                return Err(Error::overlay(
                    "values.resources.postgresql",
                    "there is no bundled PostgreSQL to size; add `database.bundled` or remove this",
                ));
            }
            if let Some(e) = ext {
                external(e, v)?;
            }
            Ok(())
        }
    }
}

fn bundled(b: &BundledDatabase, resources: Option<&Requirements>, v: &mut Value) -> Result<()> {
    put(v, &["postgresql", "enabled"], true.into());
    if let Some(image) = &b.image {
        put(
            v,
            &["postgresql", "image"],
            image_values("values.database.bundled.image", image)?,
        );
    }
    put(v, &["postgresql", "architecture"], "standalone".into());
    let mut auth = Map::new();
    if let Some(user) = &b.user {
        auth.insert("username".into(), user.clone().into());
    }
    if let Some(name) = &b.name {
        auth.insert("database".into(), name.clone().into());
    }
    if let Some(secret) = &b.secret {
        auth.insert("existingSecret".into(), secret.clone().into());
        let admin = b
            .admin_password_key
            .as_deref()
            .unwrap_or("postgres-password");
        let user = b.password_key.as_deref().unwrap_or("password");
        auth.insert(
            "secretKeys".into(),
            json!({"adminPasswordKey": admin, "userPasswordKey": user}),
        );
    }
    if !auth.is_empty() {
        put(v, &["postgresql", "auth"], Value::Object(auth));
    }
    if let Some(storage) = &b.storage {
        put(
            v,
            &["postgresql", "primary", "persistence", "enabled"],
            true.into(),
        );
        if let Some(class) = &storage.class {
            put(
                v,
                &["postgresql", "primary", "persistence", "storageClass"],
                class.clone().into(),
            );
        }
        if let Some(size) = &storage.size {
            check_quantity(size)
                .map_err(|e| Error::overlay("values.database.bundled.storage.size", e))?;
            put(
                v,
                &["postgresql", "primary", "persistence", "size"],
                size.clone().into(),
            );
        }
    }
    if let Some(r) = resources {
        let r = requirements("values.resources.postgresql", r)?;
        put(v, &["postgresql", "primary", "resources"], r);
    }
    Ok(())
}

/// The chart injects `POSTGRES_*` only for its own subchart; for an external server the
/// profile adds them, and turns the subchart off so they are never there twice.
fn external(e: &ExternalDatabase, v: &mut Value) -> Result<()> {
    check_host(&e.host).map_err(|m| Error::overlay("values.database.external.host", m))?;
    let key = e.password_key.as_deref().unwrap_or("password");
    let env = json!([
        {"name": "POSTGRES_HOST", "value": e.host},
        {"name": "POSTGRES_PORT", "value": e.port.unwrap_or(5432).to_string()},
        {"name": "POSTGRES_USER", "value": e.user},
        {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": e.secret, "key": key}}},
    ]);
    put(v, &["backstage", "extraEnvVars"], env);
    put(v, &["postgresql", "enabled"], false.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_values_per_image() {
        let cases = [
            (
                "ghcr.io/backstage/backstage:latest",
                json!({"registry": "ghcr.io", "repository": "backstage/backstage", "tag": "latest"}),
            ),
            (
                "docker.io/bitnamilegacy/postgresql",
                json!({"registry": "docker.io", "repository": "bitnamilegacy/postgresql"}),
            ),
            (
                "postgres:15",
                json!({"registry": "docker.io", "repository": "library/postgres", "tag": "15"}),
            ),
            (
                "harbor.local:8443/p/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                json!({"registry": "harbor.local:8443", "repository": "p/app", "digest": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(image_values("values.image", text).unwrap(), want, "{text}");
        }
        let err = image_values("values.image", "ghcr.io/Backstage/x")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("overlay values.image: invalid image reference"),
            "{err}"
        );
    }

    #[test]
    fn quantities() {
        for ok in [
            "100m", "1", "0.5", "1Gi", "512Mi", "1e3", "1E-2", "+1k", ".5",
        ] {
            assert!(check_quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1gb", "abc", "1.2.3", "Gi", "1e", "."] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
    }
}
