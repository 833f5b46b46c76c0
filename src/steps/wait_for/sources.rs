//! What the stream says about `envFrom` sources: the key names of its ConfigMaps (`data`) and
//! Secrets (`data`, `stringData`), so that a variable can be traced to the source that defines
//! it. Only names are read, never a value. A source that is not in the stream (an external
//! Secret) may define any key.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::Result;
use crate::steps::visit_objects;
use crate::stream::Stream;

/// The namespace (when the document names one) and key names of one ConfigMap or Secret.
type Keys = (Option<String>, Vec<String>);

/// Key names of the ConfigMaps and Secrets in the stream.
#[derive(Debug, Default)]
pub(super) struct KnownSources {
    /// (kind, name) -> every such document (Helm 4 may send one id twice).
    keys: BTreeMap<(String, String), Vec<Keys>>,
}

impl KnownSources {
    /// Reads the key names of every ConfigMap (`data`) and Secret (`data`, `stringData`).
    pub(super) fn collect(stream: &Stream<'_>) -> Result<Self> {
        let mut known = KnownSources::default();
        visit_objects(
            stream,
            |k| k == "ConfigMap" || k == "Secret",
            |_, _, object| {
                let text = |path: &[&str]| {
                    path.iter()
                        .try_fold(object, |v, k| v.get(*k))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                let (Some(kind), Some(name)) = (text(&["kind"]), text(&["metadata", "name"]))
                else {
                    return Ok(());
                };
                let fields: &[&str] = if kind == "Secret" {
                    &["data", "stringData"]
                } else {
                    &["data"]
                };
                let keys = fields
                    .iter()
                    .filter_map(|f| object.get(*f).and_then(Value::as_object))
                    .flat_map(|m| m.keys().cloned())
                    .collect();
                let namespace = text(&["metadata", "namespace"]);
                known
                    .keys
                    .entry((kind, name))
                    .or_default()
                    .push((namespace, keys));
                Ok(())
            },
        )?;
        Ok(known)
    }

    /// Whether one `envFrom` source of a container in `namespace` defines `var`.
    pub(super) fn provides(&self, source: &Value, namespace: Option<&str>, var: &str) -> Provides {
        let prefix = source.get("prefix").and_then(Value::as_str).unwrap_or("");
        let Some(key) = var.strip_prefix(prefix) else {
            return Provides::No;
        };
        let Some((kind, name)) = source_ref(source) else {
            return Provides::No;
        };
        let Some(docs) = self.keys.get(&(kind.to_string(), name.to_string())) else {
            return Provides::Unknown;
        };
        let same_ns = |ns: &Option<String>| match (ns.as_deref(), namespace) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let matching: Vec<&Vec<String>> = docs
            .iter()
            .filter(|(ns, _)| same_ns(ns))
            .map(|(_, keys)| keys)
            .collect();
        if matching.is_empty() {
            Provides::Unknown
        } else if matching.iter().any(|keys| keys.iter().any(|k| k == key)) {
            Provides::Yes
        } else {
            Provides::No
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Provides {
    /// The source has the key.
    Yes,
    /// The source is in the stream without the key (or cannot have it).
    No,
    /// The source is not in the stream.
    Unknown,
}

/// `(kind, name)` of an `envFrom` source.
pub(super) fn source_ref(source: &Value) -> Option<(&'static str, &str)> {
    fn name(r: &Value) -> Option<&str> {
        r.get("name").and_then(Value::as_str)
    }
    if let Some(r) = source.get("configMapRef") {
        return Some(("ConfigMap", name(r)?));
    }
    if let Some(r) = source.get("secretRef") {
        return Some(("Secret", name(r)?));
    }
    None
}
