//! `registry:`: image references through a proxy-cache registry.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The `registry` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Registry {
    /// Upstream registry host (exact, port included) -> mirror prefix (`host[:port]/project`).
    #[serde(default)]
    pub mirrors: IndexMap<String, String>,
    /// Pins matched on the normalised upstream name.
    #[serde(default)]
    pub images: Vec<ImagePin>,
    /// Extra image fields in custom resources.
    #[serde(default)]
    pub paths: Vec<ImagePath>,
}

/// One `registry.images` pin: a tag, a digest, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImagePin {
    /// Upstream repository, e.g. `ghcr.io/backstage/backstage` or `postgres`.
    pub name: String,
    /// Tag to set.
    pub tag: Option<String>,
    /// Digest to set (`sha256:...`).
    pub digest: Option<String>,
}

/// One `registry.paths` entry: a JSONPath to image references in documents of a kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImagePath {
    /// The kind of the documents.
    pub kind: String,
    /// Optional apiVersion the documents must also have.
    pub api_version: Option<String>,
    /// JSONPath (RFC 9535) selecting string image references, e.g. `$.spec.image`.
    pub path: String,
}
