//! Secret values never leave a diff: what counts as a Secret value, and masked copies of values.
//!
//! A Secret value is anything under `data` or `stringData` of an object whose `kind` is
//! `Secret` (a document, an item of a `kind: List`, or any object nested deeper), and that
//! object's `kubectl.kubernetes.io/last-applied-configuration` annotation, which repeats them.
//! The diff compares these values (a changed password is drift) but reports only that they
//! changed. Keys (`data.password`) are shown: they name what changed, not what it is.

use serde_json::Value;

/// What a masked value is shown as.
pub const MASK: &str = "<masked>";

/// The annotation `kubectl apply` leaves, which holds a copy of the whole object.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Where a diff walk is, as far as masking cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// Not inside a Secret's sensitive fields.
    Plain,
    /// At a Secret object.
    Secret,
    /// At a Secret's `metadata`.
    SecretMeta,
    /// At a Secret's `metadata.annotations`.
    SecretAnnotations,
    /// Inside a Secret value: compared, never shown.
    Masked,
}

/// True for an object whose `kind` is `Secret`.
pub fn is_secret(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// The context at an object reached in `ctx`: a Secret object (on either side of the diff)
/// starts a Secret context.
pub fn object_ctx(ctx: Ctx, old: &Value, new: &Value) -> Ctx {
    if ctx == Ctx::Plain && (is_secret(old) || is_secret(new)) {
        Ctx::Secret
    } else {
        ctx
    }
}

/// The context of the value at `key` of an object in context `ctx`.
pub fn child_ctx(ctx: Ctx, key: &str) -> Ctx {
    match (ctx, key) {
        (Ctx::Masked, _) => Ctx::Masked,
        (Ctx::Secret, "data" | "stringData") => Ctx::Masked,
        (Ctx::Secret, "metadata") => Ctx::SecretMeta,
        (Ctx::SecretMeta, "annotations") => Ctx::SecretAnnotations,
        (Ctx::SecretAnnotations, LAST_APPLIED) => Ctx::Masked,
        _ => Ctx::Plain,
    }
}

/// A copy of `value` with every Secret value replaced by [`MASK`] (keys kept).
pub fn masked_copy(value: &Value) -> Value {
    let mut copy = value.clone();
    mask_in_place(&mut copy);
    copy
}

/// Replaces every Secret value inside `value` with [`MASK`].
pub fn mask_in_place(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("kind").and_then(Value::as_str) == Some("Secret") {
                for section in ["data", "stringData"] {
                    if let Some(v) = map.get_mut(section) {
                        mask_section(v);
                    }
                }
                if let Some(v) = map
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("annotations"))
                    .and_then(|a| a.get_mut(LAST_APPLIED))
                {
                    *v = Value::from(MASK);
                }
            }
            for (key, child) in map.iter_mut() {
                if key != "data" && key != "stringData" {
                    mask_in_place(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_in_place),
        _ => {}
    }
}

fn mask_section(section: &mut Value) {
    match section {
        Value::Object(entries) => {
            for v in entries.values_mut() {
                *v = Value::from(MASK);
            }
        }
        Value::Null => {}
        other => *other = Value::from(MASK),
    }
}

/// True when a value holds a Secret anywhere (a `kind: List` with a Secret item, say).
pub fn holds_secret(value: &Value) -> bool {
    match value {
        Value::Object(map) => is_secret(value) || map.values().any(holds_secret),
        Value::Array(items) => items.iter().any(holds_secret),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_secret_values_in_documents_and_lists() {
        let list = json!({"kind": "List", "items": [
            {"kind": "Secret", "metadata": {"name": "s", "annotations": {LAST_APPLIED: "{\"data\":{\"p\":\"c2VjcmV0\"}}"}},
             "data": {"p": "c2VjcmV0"}, "stringData": {"q": "secret"}},
            {"kind": "ConfigMap", "data": {"p": "visible"}}]});
        let masked = masked_copy(&list);
        let text = masked.to_string();
        assert!(
            !text.contains("c2VjcmV0") && !text.contains("\"secret\""),
            "{text}"
        );
        assert_eq!(masked["items"][0]["data"]["p"], MASK);
        assert_eq!(masked["items"][1]["data"]["p"], "visible");
        assert!(holds_secret(&list));
        assert!(!holds_secret(&masked["items"][1]));
    }

    #[test]
    fn contexts() {
        let secret = json!({"kind": "Secret"});
        let ctx = object_ctx(Ctx::Plain, &secret, &json!({}));
        assert_eq!(child_ctx(ctx, "data"), Ctx::Masked);
        assert_eq!(child_ctx(ctx, "type"), Ctx::Plain);
        let ann = child_ctx(child_ctx(ctx, "metadata"), "annotations");
        assert_eq!(child_ctx(ann, LAST_APPLIED), Ctx::Masked);
        assert_eq!(child_ctx(ann, "other"), Ctx::Plain);
    }
}
