//! JSONPath (RFC 9535) over parsed documents, compiled once per overlay entry.
//!
//! Queries are parsed when the overlay is read, so a bad path is an overlay error before any
//! document is touched, and each document costs one evaluation. Edits are two-phase: collect
//! the normalised paths of the matches, then change each one through a mutable reference.

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::query::queryable::Queryable;
use serde_json::Value;

/// A parsed JSONPath query.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    query: JpQuery,
}

impl Path {
    /// Parses a query; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let query = jsonpath_rust::parser::parse_json_path(text)
            .map_err(|e| format!("{text:?} is not a JSONPath (RFC 9535) query: {e}"))?;
        Ok(Path {
            text: text.to_string(),
            query,
        })
    }

    /// The query as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The normalised paths (`$['spec']['image']`) of every match, in document order.
    pub fn locate(&self, value: &Value) -> Result<Vec<String>, String> {
        let refs = jsonpath_rust::query::js_path_process(&self.query, value)
            .map_err(|e| format!("{}: {e}", self.text))?;
        Ok(refs.into_iter().map(|r| r.path).collect())
    }
}

/// The value at a normalised path that [`Path::locate`] returned.
pub fn at_mut<'v>(value: &'v mut Value, normalised: &str) -> Option<&'v mut Value> {
    value.reference_mut(normalised.to_string())
}

/// A normalised path in the dotted form people read (`spec.containers[0].image`).
pub fn readable(normalised: &str) -> String {
    let mut out = String::new();
    let body = normalised.strip_prefix('$').unwrap_or(normalised);
    for part in body.split_inclusive(']') {
        let inner = part.trim_start_matches('[').trim_end_matches(']');
        if let Some(key) = inner.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')) {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        } else {
            out.push('[');
            out.push_str(inner);
            out.push(']');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locate_and_change() {
        let path = Path::parse("$.spec.template.spec.containers[?@.name=='app'].image").unwrap();
        let mut doc = json!({"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "a"}, {"name": "app", "image": "b"}]}}}});
        let found = path.locate(&doc).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            readable(&found[0]),
            "spec.template.spec.containers[1].image"
        );
        *at_mut(&mut doc, &found[0]).unwrap() = json!("c");
        assert_eq!(
            doc["spec"]["template"]["spec"]["containers"][1]["image"],
            "c"
        );
    }

    #[test]
    fn bad_query_is_an_error() {
        let err = Path::parse("$.spec[").unwrap_err();
        assert!(err.contains("is not a JSONPath"), "{err}");
    }
}
