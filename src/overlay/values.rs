//! `values:`: the values compiler's input, a short site description.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::resources::Requirements;

/// The `values` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValuesSpec {
    /// The chart profile, e.g. `backstage`.
    pub chart: String,
    /// The public URL of the app.
    pub url: Option<String>,
    /// The app's title.
    pub title: Option<String>,
    /// The organization's name.
    pub organization: Option<String>,
    /// The app image reference.
    pub image: Option<String>,
    /// The software catalog.
    pub catalog: Option<Catalog>,
    /// Sign-in settings.
    pub auth: Option<Auth>,
    /// The database.
    pub database: Option<Database>,
    /// Requests and limits per component (`backstage`, `postgresql`).
    #[serde(default)]
    pub resources: IndexMap<String, Requirements>,
    /// Raw values merged last with Helm's rules.
    #[serde(default)]
    pub set: serde_json::Map<String, serde_json::Value>,
}

/// `values.catalog`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Catalog {
    /// Entity kinds the catalog accepts.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Catalog location URLs.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Extra hosts for `backend.reading.allow`.
    #[serde(default)]
    pub reading: Vec<String>,
}

/// `values.auth`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Auth {
    /// Enable guest sign-in.
    #[serde(default)]
    pub guest: bool,
}

/// `values.database`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Database {
    /// The chart's bundled PostgreSQL.
    pub bundled: Option<BundledDatabase>,
}

/// `values.database.bundled`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BundledDatabase {
    /// Existing Secret with the passwords.
    pub secret: Option<String>,
    /// Database user.
    pub user: Option<String>,
    /// Database name.
    pub name: Option<String>,
    /// PostgreSQL image reference.
    pub image: Option<String>,
    /// Persistent storage.
    pub storage: Option<Storage>,
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
