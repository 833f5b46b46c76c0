//! Path-level differences between two parsed objects, the way a reviewer reads them:
//! `spec.template.spec.containers[name=backstage-backend].image: a -> b`.
//!
//! Lists of objects are paired by their key where Kubernetes keys them (`name` for containers,
//! env, ports, volumes, volumeMounts and most others; `containerPort`, `mountPath`,
//! `metadata.name`, ... where names may be missing or repeated), so that an env var added in the
//! middle shows as one added entry rather than every later entry changed. A list whose items do
//! not all carry a unique key is compared by index.
//!
//! Secret `data`/`stringData` (and the `last-applied-configuration` annotation that copies them)
//! are compared but never copied into a change: [`mask`] decides what is masked.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::mask::{self, Ctx};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list position (lists without a usable key).
    Index(usize),
    /// A list item found by its key field, e.g. `[name=backstage-backend]`.
    Keyed {
        /// The key field (`name`, `containerPort`, `metadata.name`, ...).
        field: &'static str,
        /// The item's key.
        value: String,
    },
}

/// What happened at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The value changed.
    Changed,
    /// The path is new.
    Added,
    /// The path is gone.
    Removed,
    /// A keyed list holds the same items in another order (`old`/`new` list the keys).
    Reordered,
}

/// One change inside a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathChange {
    /// The path, e.g. `spec.template.spec.containers[name=backstage-backend].image`.
    pub path: String,
    /// What happened.
    pub change: ChangeKind,
    /// The old value (Secret values masked; absent when `masked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value (Secret values masked; absent when `masked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// True for a Secret value: it changed, and neither side is shown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
}

/// The changes from `old` to `new`, in document order (old keys first, then added keys).
pub fn diff(old: &Value, new: &Value) -> Vec<PathChange> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), old, new, Ctx::Plain, &mut out);
    out
}

fn walk(path: &mut Vec<Seg>, old: &Value, new: &Value, ctx: Ctx, out: &mut Vec<PathChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        // Inside a Secret value keys are still compared one by one (`data.password`); only
        // the values are masked.
        (Value::Object(a), Value::Object(b)) => {
            objects(path, a, b, mask::object_ctx(ctx, old, new), out)
        }
        (Value::Array(a), Value::Array(b)) if ctx != Ctx::Masked => lists(path, a, b, ctx, out),
        _ => push(path, ChangeKind::Changed, Some(old), Some(new), ctx, out),
    }
}

fn objects(
    path: &mut Vec<Seg>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    ctx: Ctx,
    out: &mut Vec<PathChange>,
) {
    for (key, a) in old {
        let child = mask::child_ctx(ctx, key);
        path.push(Seg::Key(key.clone()));
        match new.get(key) {
            Some(b) => walk(path, a, b, child, out),
            None => push(path, ChangeKind::Removed, Some(a), None, child, out),
        }
        path.pop();
    }
    for (key, b) in new {
        if !old.contains_key(key) {
            path.push(Seg::Key(key.clone()));
            push(
                path,
                ChangeKind::Added,
                None,
                Some(b),
                mask::child_ctx(ctx, key),
                out,
            );
            path.pop();
        }
    }
}

fn lists(path: &mut Vec<Seg>, old: &[Value], new: &[Value], ctx: Ctx, out: &mut Vec<PathChange>) {
    let field = match path.last() {
        Some(Seg::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let Some((key_field, old_keys, new_keys)) = list_keys(field, old, new) else {
        return by_index(path, old, new, ctx, out);
    };
    let new_at: HashMap<&str, usize> = new_keys
        .iter()
        .enumerate()
        .map(|(j, k)| (k.as_str(), j))
        .collect();
    let in_old: HashSet<&str> = old_keys.iter().map(String::as_str).collect();
    for (a, key) in old.iter().zip(&old_keys) {
        path.push(keyed(key_field, key));
        match new_at.get(key.as_str()) {
            Some(&j) => walk(path, a, &new[j], ctx, out),
            None => push(path, ChangeKind::Removed, Some(a), None, ctx, out),
        }
        path.pop();
    }
    for (b, key) in new.iter().zip(&new_keys) {
        if !in_old.contains(key.as_str()) {
            path.push(keyed(key_field, key));
            push(path, ChangeKind::Added, None, Some(b), ctx, out);
            path.pop();
        }
    }
    let old_order: Vec<Value> = old_keys
        .iter()
        .filter(|k| new_at.contains_key(k.as_str()))
        .map(|k| Value::from(k.as_str()))
        .collect();
    let new_order: Vec<Value> = new_keys
        .iter()
        .filter(|k| in_old.contains(k.as_str()))
        .map(|k| Value::from(k.as_str()))
        .collect();
    if old_order != new_order {
        let (a, b) = (Value::Array(old_order), Value::Array(new_order));
        push(path, ChangeKind::Reordered, Some(&a), Some(&b), ctx, out);
    }
}

fn keyed(field: &'static str, key: &str) -> Seg {
    Seg::Keyed {
        field,
        value: key.to_string(),
    }
}

fn by_index(
    path: &mut Vec<Seg>,
    old: &[Value],
    new: &[Value],
    ctx: Ctx,
    out: &mut Vec<PathChange>,
) {
    for i in 0..old.len().max(new.len()) {
        path.push(Seg::Index(i));
        match (old.get(i), new.get(i)) {
            (Some(a), Some(b)) => walk(path, a, b, ctx, out),
            (Some(a), None) => push(path, ChangeKind::Removed, Some(a), None, ctx, out),
            (None, Some(b)) => push(path, ChangeKind::Added, None, Some(b), ctx, out),
            (None, None) => {}
        }
        path.pop();
    }
}

fn push(
    path: &[Seg],
    change: ChangeKind,
    old: Option<&Value>,
    new: Option<&Value>,
    ctx: Ctx,
    out: &mut Vec<PathChange>,
) {
    let masked = ctx == Ctx::Masked;
    let shown = |v: Option<&Value>| {
        if masked {
            None
        } else {
            v.map(mask::masked_copy)
        }
    };
    out.push(PathChange {
        path: render_path(path),
        change,
        old: shown(old),
        new: shown(new),
        masked,
    });
}

/// The key field a list of objects is paired by, and each item's key on both sides: the first
/// candidate field that every item has with a unique value, else the first that every item has,
/// with repeats told apart by occurrence (`POSTGRES_USER`, `POSTGRES_USER#2`: charts do repeat
/// env names, and Kubernetes keeps the last). `None` means: compare by index.
fn list_keys(
    field: Option<&str>,
    old: &[Value],
    new: &[Value],
) -> Option<(&'static str, Vec<String>, Vec<String>)> {
    if old.is_empty() && new.is_empty() {
        return None;
    }
    let candidates: &[&'static str] = match field {
        Some("ports") => &["name", "containerPort", "port"],
        Some("volumeMounts") => &["name", "mountPath"],
        Some("volumeDevices") => &["name", "devicePath"],
        Some("volumeClaimTemplates") => &["metadata.name"],
        Some("hostAliases") => &["ip"],
        Some("topologySpreadConstraints") => &["topologyKey"],
        Some("readinessGates") => &["conditionType"],
        Some("conditions") => &["type"],
        _ => &["name"],
    };
    let keys = |items: &[Value], f: &str| -> Option<Vec<String>> {
        items.iter().map(|v| item_key(v, f)).collect()
    };
    let all: Vec<(&'static str, Vec<String>, Vec<String>)> = candidates
        .iter()
        .filter_map(|&f| Some((f, keys(old, f)?, keys(new, f)?)))
        .collect();
    if let Some(unique) = all.iter().find(|(_, a, b)| unique(a) && unique(b)) {
        return Some(unique.clone());
    }
    let (f, a, b) = all.into_iter().next()?;
    let (a, b) = (numbered(a), numbered(b));
    (unique(&a) && unique(&b)).then_some((f, a, b))
}

fn unique(keys: &[String]) -> bool {
    let mut seen = HashSet::new();
    keys.iter().all(|k| seen.insert(k.as_str()))
}

/// Repeated keys get their occurrence: `a`, `a#2`, `a#3`.
fn numbered(keys: Vec<String>) -> Vec<String> {
    let mut count: HashMap<String, usize> = HashMap::new();
    keys.into_iter()
        .map(|k| {
            let n = count.entry(k.clone()).or_default();
            *n += 1;
            if *n == 1 { k } else { format!("{k}#{n}") }
        })
        .collect()
}

fn item_key(item: &Value, field: &str) -> Option<String> {
    let value = field.split('.').try_fold(item, |v, part| v.get(part))?;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A path as text: `a.b["dotted.key"][name=x][0]`.
pub fn render_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if plain_key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => out.push_str(&format!("[{}]", quote(k))),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Keyed { field, value } if plain_value(value) => {
                out.push_str(&format!("[{field}={value}]"))
            }
            Seg::Keyed { field, value } => out.push_str(&format!("[{field}={}]", quote(value))),
        }
    }
    out
}

fn plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-'))
}

fn plain_value(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@' | '#')
        })
}

fn quote(text: &str) -> String {
    Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(old: Value, new: Value) -> Vec<String> {
        diff(&old, &new)
            .iter()
            .map(|c| {
                let show = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
                format!(
                    "{:?} {} {} {}",
                    c.change,
                    c.path,
                    show(&c.old),
                    show(&c.new)
                )
            })
            .collect()
    }

    #[test]
    fn keyed_containers_and_env() {
        let old = json!({"spec": {"containers": [
            {"name": "a", "image": "x", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "b", "image": "y"}]}});
        let new = json!({"spec": {"containers": [
            {"name": "a", "image": "x", "env": [{"name": "A", "value": "1"}, {"name": "N", "value": "3"}, {"name": "B", "value": "2"}]},
            {"name": "b", "image": "z"}]}});
        assert_eq!(
            paths(old, new),
            [
                r#"Added spec.containers[name=a].env[name=N]  {"name":"N","value":"3"}"#,
                r#"Changed spec.containers[name=b].image "y" "z""#,
            ]
        );
    }

    #[test]
    fn index_fallback_reorder_and_quoting() {
        let old = json!({"args": ["a", "b"], "metadata": {"labels": {"app.kubernetes.io/name": "x"}},
            "ports": [{"containerPort": 80}, {"containerPort": 81}]});
        let new = json!({"args": ["a"], "metadata": {"labels": {"app.kubernetes.io/name": "y"}},
            "ports": [{"containerPort": 81}, {"containerPort": 80}]});
        assert_eq!(
            paths(old, new),
            [
                r#"Removed args[1] "b" "#,
                r#"Changed metadata.labels["app.kubernetes.io/name"] "x" "y""#,
                r#"Reordered ports ["80","81"] ["81","80"]"#,
            ]
        );
    }

    #[test]
    fn repeated_env_names_pair_by_occurrence() {
        let old = json!({"env": [{"name": "A", "value": "1"}, {"name": "U"}, {"name": "U", "value": "x"}]});
        let new = json!({"env": [{"name": "A", "value": "1"}, {"name": "L"}, {"name": "U"}, {"name": "U", "value": "y"}]});
        assert_eq!(
            paths(old, new),
            [
                r#"Changed env[name=U#2].value "x" "y""#,
                r#"Added env[name=L]  {"name":"L"}"#,
            ]
        );
    }

    #[test]
    fn repeated_names_use_the_next_key_field() {
        let old = json!({"volumeMounts": [{"name": "d", "mountPath": "/a"}, {"name": "d", "mountPath": "/b"}]});
        let new = json!({"volumeMounts": [{"name": "d", "mountPath": "/a"}, {"name": "d", "mountPath": "/c"}]});
        assert_eq!(
            paths(old, new),
            [
                r#"Removed volumeMounts[mountPath=/b] {"name":"d","mountPath":"/b"} "#,
                r#"Added volumeMounts[mountPath=/c]  {"name":"d","mountPath":"/c"}"#,
            ]
        );
    }
}
