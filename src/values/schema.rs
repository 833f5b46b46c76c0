//! Validation of compiled values against the chart's `values.schema.json`, as Helm does at
//! install time, but before anything reaches a cluster, with every error naming its values path.
//!
//! Helm validates the values after coalescing them with the chart's defaults, where a `null`
//! from `set:` has deleted its key; the compiled values are validated with their `null` entries
//! removed to match. Only JSON is accepted (Helm's own rule for `values.schema.json`); remote
//! `$ref`s are not fetched (the crate is built without its HTTP client).

use serde_json::Value;

use super::coalesce::without_nulls;
use crate::error::{Error, Result};

/// A compiled chart schema, reusable for several validations.
pub struct Schema {
    validator: jsonschema::Validator,
    file: String,
}

impl Schema {
    /// Compiles the schema text; `file` names it in errors.
    pub fn compile(text: &str, file: &str) -> Result<Self> {
        let err = |message: String| Error::OverlayFile {
            file: file.to_string(),
            message,
        };
        let schema: Value = serde_json::from_str(text)
            .map_err(|e| err(format!("the chart schema is not JSON: {e}")))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| err(format!("the chart schema is not a valid JSON Schema: {e}")))?;
        Ok(Schema {
            validator,
            file: file.to_string(),
        })
    }

    /// Every violation as `path: message`, in the validator's order; empty when valid.
    pub fn violations(&self, values: &Value) -> Vec<String> {
        let instance = without_nulls(values);
        self.validator
            .iter_errors(&instance)
            .map(|e| {
                let path = values_path(&instance, e.instance_path().as_str());
                format!("{path}: {}", without_value(&e.to_string(), e.instance()))
            })
            .collect()
    }

    /// Ok when `values` pass; else one error listing each violation with its values path.
    pub fn validate(&self, values: &Value) -> Result<()> {
        let found = self.violations(values);
        if found.is_empty() {
            return Ok(());
        }
        Err(Error::overlay(
            "values",
            format!(
                "the compiled values do not pass the chart's schema {} ({} error{}):\n  {}",
                self.file,
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                found.join("\n  ")
            ),
        ))
    }
}

/// The validator's message with the offending value replaced by what it is (`"hunter2" is not
/// of type "integer"` -> `the value (a string) is not of type "integer"`): values hold passwords
/// (`postgresql.auth.password`), and an error goes to CI logs and the error log. The path names
/// the value; the schema's own words (types, patterns, allowed values) stay.
fn without_value(message: &str, instance: &Value) -> String {
    let what = match instance {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    let text = instance.to_string();
    let shown = format!("the value ({what})");
    if let Some(rest) = message.strip_prefix(&text) {
        format!("{shown}{rest}")
    } else if matches!(
        instance,
        Value::String(_) | Value::Array(_) | Value::Object(_)
    ) {
        // Quoted or bracketed, so replacing it cannot hit the schema's own words by accident.
        message.replace(&text, &shown)
    } else {
        message.to_string()
    }
}

/// A JSON pointer (`/backstage/extraEnvVars/0/name`) as a values path
/// (`backstage.extraEnvVars[0].name`); `(root)` for the whole document.
pub fn values_path(root: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut cur = Some(root);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(items)) => {
                out.push_str(&format!("[{seg}]"));
                cur = seg.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                if !out.is_empty() {
                    out.push('.');
                }
                if seg.contains(['.', '[', ']', ' ']) || seg.is_empty() {
                    out.push_str(&format!("{seg:?}"));
                } else {
                    out.push_str(&seg);
                }
                cur = other.and_then(|v| v.get(&seg));
            }
        }
    }
    if out.is_empty() { "(root)".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
      "properties": {"a": {"type": "object", "additionalProperties": false,
        "properties": {"n": {"type": "integer"}, "l": {"type": "array", "items": {"type": "object",
          "properties": {"name": {"type": "string"}}}}}}}}"#;

    #[test]
    fn errors_name_the_values_path() {
        let s = Schema::compile(SCHEMA, "s.json").unwrap();
        let v = json!({"a": {"n": "x", "l": [{"name": 1}], "zz": 1}});
        let found = s.violations(&v);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("a.n: the value (a string) is not of type \"integer\"")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f
                    .starts_with("a.l[0].name: the value (a number) is not of type \"string\"")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("a: ") && f.contains("'zz' was unexpected")),
            "{found:?}"
        );
        let err = s.validate(&v).unwrap_err().to_string();
        assert!(err.starts_with("overlay values: the compiled values do not pass the chart's schema s.json (3 errors):\n  "), "{err}");
    }

    #[test]
    fn errors_never_quote_the_value() {
        let schema = r#"{"type": "object", "properties": {
            "p": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
            "e": {"enum": ["small", "large"]},
            "o": {"type": "string"}}}"#;
        let s = Schema::compile(schema, "s.json").unwrap();
        let canary = "CANARYs3cr3t";
        let found = s.violations(&json!({"p": canary, "e": canary, "o": {"password": canary}}));
        assert_eq!(found.len(), 4, "{found:?}");
        for f in &found {
            assert!(!f.contains(canary), "{f}");
            assert!(f.contains("the value (a "), "{f}");
        }
        assert!(
            found
                .iter()
                .any(|f| f == "o: the value (a mapping) is not of type \"string\""),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("e: the value (a string) is not one of ")
                    && f.contains("small")),
            "{found:?}"
        );
    }

    #[test]
    fn nulls_are_deleted_keys_for_the_schema() {
        let s = Schema::compile(SCHEMA, "s.json").unwrap();
        assert!(s.validate(&json!({"a": {"n": null}})).is_ok());
    }

    #[test]
    fn a_schema_that_is_not_json_is_named() {
        let err = Schema::compile("{", "chart/values.schema.json")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("chart/values.schema.json: the chart schema is not JSON"),
            "{err}"
        );
    }

    #[test]
    fn values_path_quotes_odd_keys() {
        let v = json!({"m": {"a.b": [1]}});
        assert_eq!(values_path(&v, "/m/a.b/0"), "m.\"a.b\"[0]");
        assert_eq!(values_path(&v, ""), "(root)");
    }
}
