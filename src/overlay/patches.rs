//! `patches:`: generic edits for what no step covers.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Selector;

/// One `patches` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Patch {
    /// The documents to edit.
    pub target: Selector,
    /// JSONPath -> value to set (the last segment is created when missing).
    #[serde(default)]
    pub set: IndexMap<String, serde_json::Value>,
    /// JSONPaths to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}
