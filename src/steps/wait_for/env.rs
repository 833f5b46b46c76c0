//! `fromEnv`: finds a variable in the app container's env the way the kubelet does and copies its
//! source, never its value, into the init container.
//!
//! The kubelet builds a container's environment from `envFrom` first (a later source overrides an
//! earlier one), then from `env` in order (a later entry overrides an earlier one, and `envFrom`).
//! So a variable defined in `env`, even twice as the Backstage chart does (its own entry and the
//! user's `extraEnvVars`), is taken from its last definition; a variable not in `env` comes from
//! the `envFrom` sources that may hold it, which are copied whole, and the init container reads
//! it through Kubernetes' own `$(VAR)` expansion. A ConfigMap or Secret of the stream tells which
//! keys it has (only key names are read); one that is not in the stream may hold any key.
//!
//! A plain `value` may itself refer to earlier variables (`$(DB_HOST)`): those are copied too,
//! under their own names, before it. Literals from the overlay are escaped for that expansion
//! (`$(` and `$$` would be read by Kubernetes).

use serde_json::{Map, Value, json};

use super::sources::{KnownSources, Provides, source_ref};
use super::spec::{Field, Source};

/// An app container's env, as read for `fromEnv`.
#[derive(Debug)]
pub(super) struct AppEnv<'a> {
    /// The container's name.
    pub name: String,
    env: Vec<&'a Value>,
    env_from: Vec<&'a Value>,
    namespace: Option<String>,
}

/// Where a variable comes from.
enum Origin<'a> {
    /// Entry `i` of `env`.
    Env(usize, &'a Value),
    /// These `envFrom` sources (in order) may define it.
    EnvFrom(Vec<&'a Value>),
}

impl<'a> AppEnv<'a> {
    /// Reads a container of a workload in `namespace`.
    pub(super) fn new(container: &'a Value, namespace: Option<&str>) -> Self {
        let list = |key: &str| -> Vec<&'a Value> {
            container
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        };
        AppEnv {
            name: container
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            env: list("env"),
            env_from: list("envFrom"),
            namespace: namespace.map(str::to_string),
        }
    }

    /// True when `env` names `var`, or an `envFrom` source of the stream has it. A source that
    /// is not in the stream does not count: it says nothing about this variable.
    pub(super) fn names(&self, var: &str, known: &KnownSources) -> bool {
        self.env.iter().any(|e| entry_name(e) == Some(var))
            || self
                .env_from
                .iter()
                .any(|s| known.provides(s, self.namespace.as_deref(), var) == Provides::Yes)
    }

    /// True when `var` is in `env` or may come from an `envFrom` source.
    pub(super) fn may_have(&self, var: &str, known: &KnownSources) -> bool {
        self.lookup(var, self.env.len(), known).is_some()
    }

    /// `env` names (each once, in order) and `envFrom` sources, for messages.
    pub(super) fn describe(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for name in self.env.iter().filter_map(|e| entry_name(e)) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let env = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        let from: Vec<String> = self
            .env_from
            .iter()
            .map(|s| {
                let what = source_ref(s).map_or("?".to_string(), |(k, n)| format!("{k} {n}"));
                match s.get("prefix").and_then(Value::as_str) {
                    Some(p) => format!("{what} (prefix {p})"),
                    None => what,
                }
            })
            .collect();
        if from.is_empty() {
            format!("its env: {env}")
        } else {
            format!("its env: {env}; envFrom: {}", from.join(", "))
        }
    }

    /// The last definition of `var` among the first `before` env entries, else the `envFrom`
    /// sources that may define it.
    fn lookup(&self, var: &str, before: usize, known: &KnownSources) -> Option<Origin<'a>> {
        if let Some(i) = self.env[..before]
            .iter()
            .rposition(|e| entry_name(e) == Some(var))
        {
            return Some(Origin::Env(i, self.env[i]));
        }
        let sources: Vec<&Value> = self
            .env_from
            .iter()
            .copied()
            .filter(|s| known.provides(s, self.namespace.as_deref(), var) != Provides::No)
            .collect();
        (!sources.is_empty()).then_some(Origin::EnvFrom(sources))
    }
}

/// What the init container gets: `envFrom` sources and `env` entries, and a line per value
/// saying where it came from.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Copied {
    /// Copied `envFrom` sources, in the app container's order.
    pub env_from: Vec<Value>,
    /// Variables other values refer to, then one entry per field.
    pub env: Vec<Value>,
    /// `PGHOST=POSTGRES_HOST (value)`, ... for the report.
    pub notes: Vec<String>,
    /// Fields whose secret comes from a plain `value` of the app's env.
    pub plain_secrets: Vec<String>,
}

/// A variable of `fields` that the app container does not have: (overlay key, variable).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Missing {
    /// The overlay key.
    pub key: String,
    /// The variable.
    pub var: String,
}

/// Builds the init container's env for `fields`, reading `fromEnv` in `app` (when there is one).
pub(super) fn copy(
    fields: &[Field],
    app: Option<&AppEnv<'_>>,
    known: &KnownSources,
) -> Result<Copied, Missing> {
    let mut out = Copied::default();
    let mut own = Vec::new();
    for field in fields {
        match (&field.source, app) {
            (Source::Literal(text), _) => {
                own.push(json!({"name": field.env, "value": escape(text)}));
                out.notes
                    .push(format!("{}={}", field.env, describe_literal(field)));
            }
            (Source::FromEnv(var), Some(app)) => {
                let missing = || Missing {
                    key: field.key.clone(),
                    var: var.clone(),
                };
                match app.lookup(var, app.env.len(), known).ok_or_else(missing)? {
                    Origin::Env(i, entry) => {
                        copy_references(entry, i, app, known, &mut out, 0);
                        let how = describe_entry(entry);
                        if field.env == "PGPASSWORD" && how == "value" {
                            out.plain_secrets.push(var.clone());
                        }
                        out.notes.push(format!("{}={var} ({how})", field.env));
                        own.push(renamed(entry, field.env, &app.name));
                    }
                    Origin::EnvFrom(sources) => {
                        add_sources(&mut out, &sources);
                        out.notes.push(format!("{}={var} (envFrom)", field.env));
                        // Under its own name the copied source already provides it.
                        if var != field.env {
                            own.push(json!({"name": field.env, "value": format!("$({var})")}));
                        }
                    }
                }
            }
            (Source::FromEnv(var), None) => {
                return Err(Missing {
                    key: field.key.clone(),
                    var: var.clone(),
                });
            }
        }
    }
    out.env.extend(own);
    Ok(out)
}

/// Copies, before anything else, the variables a plain `value` refers to (`$(NAME)`), as they
/// are defined before entry `index`. Names defined nowhere are left alone: Kubernetes leaves
/// them as written, and they may be Service variables, which the init container gets too.
fn copy_references(
    entry: &Value,
    index: usize,
    app: &AppEnv<'_>,
    known: &KnownSources,
    out: &mut Copied,
    depth: usize,
) {
    let Some(value) = entry.get("value").and_then(Value::as_str) else {
        return;
    };
    // Each reference looks strictly earlier in `env`, so the recursion ends; the bound is a
    // second guard.
    if depth > 32 {
        return;
    }
    for var in references(value) {
        if out.env.iter().any(|e| entry_name(e) == Some(var)) {
            continue;
        }
        match app.lookup(var, index, known) {
            Some(Origin::Env(i, earlier)) => {
                copy_references(earlier, i, app, known, out, depth + 1);
                out.env.push(renamed(earlier, var, &app.name));
            }
            Some(Origin::EnvFrom(sources)) => add_sources(out, &sources),
            None => {}
        }
    }
}

fn add_sources(out: &mut Copied, sources: &[&Value]) {
    for source in sources {
        if !out.env_from.contains(source) {
            out.env_from.push((*source).clone());
        }
    }
}

/// A copy of an env entry under `name`. A `resourceFieldRef` without `containerName` means the
/// container it is in, so it is pointed at the app container.
fn renamed(entry: &Value, name: &str, app_container: &str) -> Value {
    let mut copy = Map::new();
    copy.insert("name".into(), Value::from(name));
    if let Some(fields) = entry.as_object() {
        for (k, v) in fields.iter().filter(|(k, _)| *k != "name") {
            copy.insert(k.clone(), v.clone());
        }
    }
    if let Some(r) = copy
        .get_mut("valueFrom")
        .and_then(|v| v.get_mut("resourceFieldRef"))
        .and_then(Value::as_object_mut)
    {
        if !r.contains_key("containerName") {
            r.insert("containerName".into(), Value::from(app_container));
        }
    }
    Value::Object(copy)
}

fn entry_name(entry: &Value) -> Option<&str> {
    entry.get("name").and_then(Value::as_str)
}

/// How an env entry gets its value, for the report (names only, never a value).
fn describe_entry(entry: &Value) -> String {
    let Some(from) = entry.get("valueFrom") else {
        return "value".into();
    };
    let field = |r: &Value, k: &str| r.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    if let Some(r) = from.get("secretKeyRef") {
        return format!("secret {} key {}", field(r, "name"), field(r, "key"));
    }
    if let Some(r) = from.get("configMapKeyRef") {
        return format!("configMap {} key {}", field(r, "name"), field(r, "key"));
    }
    if let Some(r) = from.get("fieldRef") {
        return format!("fieldRef {}", field(r, "fieldPath"));
    }
    if let Some(r) = from.get("resourceFieldRef") {
        return format!("resourceFieldRef {}", field(r, "resource"));
    }
    "valueFrom".into()
}

fn describe_literal(field: &Field) -> String {
    match &field.source {
        Source::Literal(_) if field.env == "PGPASSWORD" => "literal (hidden)".into(),
        Source::Literal(text) => format!("{text:?}"),
        Source::FromEnv(var) => var.clone(),
    }
}

/// The `$(NAME)` references of a value, by Kubernetes' expansion rules (`$$` is an escaped `$`;
/// an unclosed `$(` is text).
pub(super) fn references(value: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(next) = after.strip_prefix('$') {
            rest = next;
        } else if let Some(open) = after.strip_prefix('(') {
            let Some(end) = open.find(')') else { break };
            found.push(&open[..end]);
            rest = &open[end + 1..];
        } else {
            rest = after;
        }
    }
    found
}

/// A literal written so that Kubernetes' `$(...)` expansion gives it back unchanged.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$' | '(')) {
            out.push('$');
        }
    }
    out
}

#[cfg(test)]
#[path = "env_tests.rs"]
mod tests;
