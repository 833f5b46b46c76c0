//! `resources:`: defaults, exact values and the release budget.
//!
//! Quantities are kept as written here and checked when the step is built
//! (`steps::resources::spec`), so that every mistake is reported with its overlay key.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Selector;

/// A resource name (`cpu`, `memory`, `ephemeral-storage`, `hugepages-2Mi`, `vendor/name`) ->
/// quantity, as written.
pub type ResourceMap = IndexMap<String, QuantityText>;

/// A quantity as written in the overlay: `100m`, `"1"`, `1` or `0.5`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QuantityText {
    /// Written as a string.
    Text(String),
    /// Written as a number.
    Number(serde_json::Number),
}

impl QuantityText {
    /// The text of the quantity.
    pub fn text(&self) -> String {
        match self {
            QuantityText::Text(s) => s.clone(),
            QuantityText::Number(n) => n.to_string(),
        }
    }
}

/// The `resources` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// Fill only what is missing, in every container and init container of every workload.
    pub defaults: Option<Requirements>,
    /// Exact values for named containers; applied before `defaults`.
    #[serde(default)]
    pub set: Vec<ResourceSet>,
    /// The whole release's budget; over is an error.
    pub budget: Option<Budget>,
}

/// Requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Requirements {
    /// Requests.
    #[serde(default)]
    pub requests: ResourceMap,
    /// Limits.
    #[serde(default)]
    pub limits: ResourceMap,
}

/// One `resources.set` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceSet {
    /// The workloads (every field given must match; usually kind and name).
    pub workload: Selector,
    /// The container (app or init) by name.
    pub container: String,
    /// Requests to set.
    #[serde(default)]
    pub requests: ResourceMap,
    /// Limits to set.
    #[serde(default)]
    pub limits: ResourceMap,
}

/// `resources.budget`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Budget {
    /// The most the release may request.
    #[serde(default)]
    pub requests: ResourceMap,
    /// The most the release's limits may add up to.
    #[serde(default)]
    pub limits: ResourceMap,
    /// Nodes a DaemonSet runs on (default 1).
    pub nodes: Option<u32>,
}
