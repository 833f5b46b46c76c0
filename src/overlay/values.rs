//! `values:`: the values compiler's input, a short site description.
//!
//! Every fact is stated once; the chart profile (`chart: backstage`) knows where each goes in the
//! chart's values and derives the rest. Unknown keys are errors, like everywhere in an overlay.
//! `set:` holds raw chart values merged last with Helm's rules; across overlay layers it is
//! layered like Helm layers `-f` files, so a `null` there survives to delete a chart default
//! (see [`layer_set`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::resources::Requirements;

/// The `values` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValuesSpec {
    /// The chart profile: `backstage`. Optional in one file so that a later overlay layer can
    /// hold only part of the section; the layered result must name it.
    #[serde(default)]
    pub chart: String,
    /// The public URL of the app (base URL of frontend and backend, CORS origin).
    pub url: Option<String>,
    /// The app's title.
    pub title: Option<String>,
    /// The organization's name.
    pub organization: Option<String>,
    /// The app image reference, e.g. `ghcr.io/backstage/backstage:1.35.0`.
    pub image: Option<String>,
    /// Pods of the app (default 1).
    pub replicas: Option<u32>,
    /// The port the backend listens on (default 7007).
    pub port: Option<u16>,
    /// The software catalog.
    pub catalog: Option<Catalog>,
    /// Sign-in settings.
    pub auth: Option<Auth>,
    /// The database.
    pub database: Option<Database>,
    /// Requests and limits per component.
    pub resources: Option<ComponentResources>,
    /// Raw values merged last with Helm's rules (maps merge, lists replace, `null` deletes).
    #[serde(default)]
    pub set: serde_json::Map<String, Value>,
}

/// `values.catalog`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Catalog {
    /// Entity kinds the catalog accepts (`catalog.rules[0].allow`); absent: Backstage's default.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Catalog location URLs.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Extra `backend.reading.allow` entries, beyond the derived location hosts.
    #[serde(default)]
    pub reading: Vec<ReadingEntry>,
}

/// One explicit reading entry: `host[:port]`, or `{host, paths}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReadingEntry {
    /// A host (`name`, `*.suffix`, with `:port` or `:from-to`).
    Host(String),
    /// A host limited to path prefixes.
    Entry(ReadingPaths),
}

/// `{host, paths}` of a reading entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReadingPaths {
    /// The host.
    pub host: String,
    /// Allowed path prefixes.
    pub paths: Option<Vec<String>>,
}

/// `values.auth`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Auth {
    /// Enable guest sign-in.
    #[serde(default)]
    pub guest: bool,
}

/// `values.database`: one of `bundled` or `external`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Database {
    /// The chart's bundled PostgreSQL (its `postgresql` subchart).
    pub bundled: Option<BundledDatabase>,
    /// A PostgreSQL server outside the release.
    pub external: Option<ExternalDatabase>,
}

/// `values.database.bundled`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BundledDatabase {
    /// Existing Secret with the passwords (must exist before the install).
    pub secret: Option<String>,
    /// The Secret's key holding the user's password (default `password`).
    pub password_key: Option<String>,
    /// The Secret's key holding the `postgres` admin password (default `postgres-password`).
    pub admin_password_key: Option<String>,
    /// Database user.
    pub user: Option<String>,
    /// Database name.
    pub name: Option<String>,
    /// PostgreSQL image reference.
    pub image: Option<String>,
    /// Persistent storage; absent: the subchart's default.
    pub storage: Option<Storage>,
}

/// `values.database.external`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalDatabase {
    /// Host name of the server.
    pub host: String,
    /// Port (default 5432).
    pub port: Option<u16>,
    /// Database user.
    pub user: String,
    /// Existing Secret with the password.
    pub secret: String,
    /// The Secret's key holding the password (default `password`).
    pub password_key: Option<String>,
}

/// `values.database.bundled.storage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// StorageClass.
    pub class: Option<String>,
    /// Size, e.g. `1Gi`.
    pub size: Option<String>,
}

/// `values.resources`: requests and limits per component.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ComponentResources {
    /// The app container.
    pub backstage: Option<Requirements>,
    /// The bundled PostgreSQL.
    pub postgresql: Option<Requirements>,
}

/// Re-layers `values.set` of one overlay layer the way Helm layers `-f` files. The generic
/// overlay layering (run before) removes a key set to `null`; for `set` that would drop the
/// `null` that tells Helm to delete a chart default, so when both `before` (the layers so far)
/// and `given` (this file, untyped) have a `values.set` map, `merged`'s is recomputed with
/// [`crate::values::coalesce::merge_layers`].
pub fn layer_set(before: &Value, given: &Value, merged: &mut Value) {
    let set = |v: &Value| v.get("values").and_then(|v| v.get("set")).cloned();
    let (Some(mut base @ Value::Object(_)), Some(over @ Value::Object(_))) =
        (set(before), set(given))
    else {
        return;
    };
    crate::values::coalesce::merge_layers(&mut base, &over);
    if let Some(values) = merged.get_mut("values").and_then(Value::as_object_mut) {
        values.insert("set".into(), base);
    }
}
