//! The values compiler: the overlay's `values:` section into the chart's values.
//!
//! A chart profile ([`profiles`]) places each site fact where the chart reads it and derives the
//! values that people get wrong by hand; `set:` is merged last with Helm's own rules
//! ([`coalesce`]); then the profile's guards check the *final* values, so that `set:` cannot
//! bring a gotcha back either. [`schema`] validates the result against the chart's JSON Schema
//! and [`catalog`] checks the catalog files the locations point at.
//!
//! The result is a values file for `helm install -f`: it may hold `null`s (from `set:`), which
//! Helm reads as "delete this chart default", exactly as if `set:` were a second `-f` file.

pub mod catalog;
pub mod coalesce;
pub mod profiles;
pub mod reading;
pub mod schema;
pub mod url;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::overlay::Overlay;

/// What compiling produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The chart values.
    pub values: Value,
    /// Warnings for the user (printed on stderr by the command).
    pub warnings: Vec<String>,
}

/// Compiles the overlay's `values:` section.
pub fn compile_overlay(overlay: &Overlay) -> Result<Compiled> {
    let Some(spec) = &overlay.values else {
        return Err(Error::overlay(
            "values",
            "the overlay has no `values:` section; add one with at least `chart: backstage`",
        ));
    };
    let profile = profiles::find(&spec.chart)?;
    let mut compiled = profile.compile(spec, overlay)?;
    coalesce::merge_layers(&mut compiled.values, &Value::Object(spec.set.clone()));
    profile.guard(&compiled.values)?;
    Ok(compiled)
}

/// Sets `value` at `path` in `root`, creating maps on the way (keys keep insertion order).
pub(crate) fn put(root: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *root = value;
        return;
    };
    let mut cur = root;
    for key in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else { return };
        cur = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Value::Object(map) = cur {
        map.insert(last.to_string(), value);
    }
}

/// The value at a dotted path of map keys, if every step is a map.
pub(crate) fn get<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(root, |cur, key| cur.get(*key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn put_builds_nested_maps_in_order() {
        let mut v = Value::Null;
        put(&mut v, &["a", "b"], json!(1));
        put(&mut v, &["a", "c"], json!(2));
        put(&mut v, &["d"], json!(3));
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"a":{"b":1,"c":2},"d":3}"#
        );
        assert_eq!(get(&v, &["a", "c"]), Some(&json!(2)));
        assert_eq!(get(&v, &["a", "x"]), None);
    }

    #[test]
    fn no_values_section_is_an_error() {
        let err = compile_overlay(&Overlay::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "overlay values: the overlay has no `values:` section; add one with at least `chart: backstage`"
        );
    }
}
