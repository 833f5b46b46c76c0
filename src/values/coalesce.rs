//! Helm's two value-merging rules, exactly, so that what overhelm compiles means what Helm reads.
//!
//! Helm combines values in two stages, and they treat `null` differently:
//!
//! 1. [`merge_layers`]: the `-f` files (and `--set`) are merged into one map, later wins
//!    (`mergeMaps` in Helm's `pkg/cli/values`): maps merge key by key, anything else replaces,
//!    and a `null` is kept as `null`. It still has to be there, since it means "delete".
//! 2. [`coalesce`]: that map is coalesced with the chart's defaults (`chartutil.CoalesceValues`):
//!    the user's value wins, maps merge, and a user `null` deletes the key from the defaults.
//!    A `null` for a key the chart does not have stays `null`. A user scalar against a default
//!    map, or a user map against a default scalar, keeps the user's value (Helm warns).
//!
//! overhelm's compiled values file is stage 1 (the profile's values, then `set:`), so passing it
//! to `helm install -f` gives the same result as passing the two layers separately. Both
//! functions are checked against the real `helm3` and `helm4` binaries in `tests/values_helm.rs`.

use serde_json::{Map, Value};

/// Merges `over` onto `base` the way Helm merges `-f` files: maps merge, lists, scalars and
/// `null` replace.
pub fn merge_layers(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => merge_maps(b, o),
        (base, over) => *base = over.clone(),
    }
}

fn merge_maps(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => merge_maps(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The values a chart's templates see: `user` (the merged layers) coalesced with the chart's
/// `defaults`. A `null` in `user` deletes that key of the defaults.
pub fn coalesce(user: &Value, defaults: &Value) -> Value {
    match (user, defaults) {
        (Value::Object(u), Value::Object(d)) => Value::Object(coalesce_maps(u, d)),
        (user, _) => user.clone(),
    }
}

fn coalesce_maps(user: &Map<String, Value>, defaults: &Map<String, Value>) -> Map<String, Value> {
    let mut out = user.clone();
    for (key, default) in defaults {
        match user.get(key) {
            None => {
                out.insert(key.clone(), default.clone());
            }
            Some(Value::Null) => {
                out.shift_remove(key);
            }
            Some(Value::Object(u)) => {
                if let Value::Object(d) = default {
                    out.insert(key.clone(), Value::Object(coalesce_maps(u, d)));
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// Removes every `null` map entry: what the chart sees for keys its defaults have. Used before
/// schema validation, because Helm validates the coalesced values, where those keys are gone.
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_layers_table() {
        // (base, over, expected)
        let cases = [
            (json!({"a": 1}), json!({"b": 2}), json!({"a": 1, "b": 2})),
            (json!({"a": 1}), json!({"a": 2}), json!({"a": 2})),
            (
                json!({"m": {"x": 1, "y": 2}}),
                json!({"m": {"y": 3, "z": 4}}),
                json!({"m": {"x": 1, "y": 3, "z": 4}}),
            ),
            (
                json!({"l": [1, 2, 3]}),
                json!({"l": [9]}),
                json!({"l": [9]}),
            ),
            (json!({"l": [1, 2]}), json!({"l": []}), json!({"l": []})),
            (
                json!({"a": {"b": 1}}),
                json!({"a": null}),
                json!({"a": null}),
            ),
            (
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"b": null}}),
                json!({"a": {"b": null, "c": 2}}),
            ),
            (
                json!({"a": null}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 1}}),
            ),
            (
                json!({"a": "s"}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 1}}),
            ),
            (json!({"a": {"b": 1}}), json!({"a": "s"}), json!({"a": "s"})),
            (
                json!({"a": {"b": 1}}),
                json!({"a": {}}),
                json!({"a": {"b": 1}}),
            ),
        ];
        for (base, over, want) in cases {
            let mut got = base.clone();
            merge_layers(&mut got, &over);
            assert_eq!(got, want, "{base} + {over}");
        }
    }

    #[test]
    fn coalesce_table() {
        // (user, defaults, expected)
        let cases = [
            (json!({}), json!({"a": 1}), json!({"a": 1})),
            (json!({"a": 2}), json!({"a": 1}), json!({"a": 2})),
            (json!({"a": null}), json!({"a": 1}), json!({})),
            (json!({"a": null}), json!({"a": {"b": 1}}), json!({})),
            (json!({"u": null}), json!({}), json!({"u": null})),
            (
                json!({"m": {"b": null, "c": 3}}),
                json!({"m": {"a": 1, "b": 2}}),
                json!({"m": {"a": 1, "c": 3}}),
            ),
            (json!({"l": [9]}), json!({"l": [1, 2]}), json!({"l": [9]})),
            (
                json!({"s": {"m": 1}}),
                json!({"s": "str"}),
                json!({"s": {"m": 1}}),
            ),
            (json!({"t": 5}), json!({"t": {"x": 1}}), json!({"t": 5})),
            (
                json!({"v": {"w": null}}),
                json!({}),
                json!({"v": {"w": null}}),
            ),
        ];
        for (user, defaults, want) in cases {
            assert_eq!(coalesce(&user, &defaults), want, "{user} over {defaults}");
        }
    }

    #[test]
    fn without_nulls_drops_null_entries_at_every_depth() {
        let v = json!({"a": null, "b": {"c": null, "d": [{"e": null, "f": 1}]}});
        assert_eq!(without_nulls(&v), json!({"b": {"d": [{"f": 1}]}}));
    }
}
