//! One container's requests and limits: `set`, then `defaults`, then the checks.
//!
//! A value the chart set is never changed by `defaults`. A missing request whose limit is set is
//! written as that limit, because the API server would default it so (a default request there
//! would be a lie about what runs). A default limit below a request is an error naming both, and
//! so is any request above its limit (Kubernetes refuses such a pod at admission, long after
//! `helm install` returned).

use serde_json::{Map, Value};

use super::spec::{Amounts, SetEntry, Which, fractional_bytes, is_byte_resource};
use crate::error::{DocAt, Error, Result};
use crate::quantity::Quantity;
use crate::steps::Report;

/// Where a value of the container came from, for messages.
#[derive(Debug, Clone, PartialEq)]
enum Origin {
    Chart,
    Set(usize),
    Default,
    Limit,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Chart => write!(f, "set by the chart"),
            Origin::Set(i) => write!(f, "from resources.set[{i}]"),
            Origin::Default => write!(f, "from resources.defaults"),
            Origin::Limit => write!(f, "copied from its limit"),
        }
    }
}

/// One container being edited: where it is, and what is known about its values.
pub(super) struct ContainerEdit<'a> {
    at: &'a DocAt,
    /// `Kind/namespace/name containers[name]`, for report lines and messages.
    label: String,
    requests: Vec<(String, Quantity, Origin)>,
    limits: Vec<(String, Quantity, Origin)>,
    /// Where changes (`lines`) and warnings go.
    report: &'a mut Report,
}

impl<'a> ContainerEdit<'a> {
    /// Reads the container's values; an invalid chart value is an error naming the field.
    pub(super) fn read(
        at: &'a DocAt,
        label: String,
        container: &Value,
        report: &'a mut Report,
    ) -> Result<Self> {
        let mut edit = ContainerEdit {
            at,
            label,
            requests: Vec::new(),
            limits: Vec::new(),
            report,
        };
        object_at(container, &["resources"]).map_err(|m| edit.error("resources", m))?;
        for which in [Which::Requests, Which::Limits] {
            let Some(map) = object_at(container, &["resources", which.key()])
                .map_err(|m| edit.error("resources", m))?
            else {
                continue;
            };
            for (name, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                let q = Quantity::from_value(value).map_err(|e| {
                    edit.error(
                        "resources",
                        format!("resources.{}.{name}: {e}", which.key()),
                    )
                })?;
                if is_byte_resource(name) && !q.is_whole() {
                    let text = raw(container, which, name, q);
                    edit.report.warnings.push(format!(
                        "resources: {} resources.{}.{name}: {}; Kubernetes rounds it up to whole bytes (fix it with resources.set)",
                        edit.label,
                        which.key(),
                        fractional_bytes(name, &text)
                    ));
                }
                edit.values_mut(which)
                    .push((name.clone(), q, Origin::Chart));
            }
        }
        Ok(edit)
    }

    /// Applies one `set` entry: its values replace the container's (an equal value in another
    /// spelling is kept as written).
    pub(super) fn set(&mut self, container: &mut Value, entry: &SetEntry) -> Result<bool> {
        let mut changed = false;
        for which in [Which::Requests, Which::Limits] {
            for (name, q) in entry.amounts.of(which) {
                let old = self.get(which, name);
                if old.as_ref().is_some_and(|(old, _)| old == q) {
                    continue;
                }
                let note = match old {
                    Some((old, _)) => format!(
                        "{} -> {q} ({})",
                        raw(container, which, name, old),
                        entry.key()
                    ),
                    None => format!("{q} ({})", entry.key()),
                };
                self.write(
                    container,
                    which,
                    name,
                    *q,
                    Value::from(q.to_string()),
                    Origin::Set(entry.index),
                    note,
                )?;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Fills what is missing from `defaults`.
    pub(super) fn fill(&mut self, container: &mut Value, defaults: &Amounts) -> Result<bool> {
        let mut changed = false;
        for (name, default) in &defaults.requests {
            if self.get(Which::Requests, name).is_some() {
                continue;
            }
            let (q, value, origin, note) = match self.get(Which::Limits, name) {
                Some((limit, _)) => {
                    let value = raw_value(container, Which::Limits, name)
                        .unwrap_or_else(|| Value::from(limit.to_string()));
                    (
                        limit,
                        value,
                        Origin::Limit,
                        format!(
                            "{limit} (its limit: the API server sets a missing request to the limit)"
                        ),
                    )
                }
                None => (
                    *default,
                    Value::from(default.to_string()),
                    Origin::Default,
                    format!("{default} (default)"),
                ),
            };
            self.write(container, Which::Requests, name, q, value, origin, note)?;
            changed = true;
        }
        for (name, default) in &defaults.limits {
            if self.get(Which::Limits, name).is_some() {
                continue;
            }
            if let Some((request, origin)) = self.get(Which::Requests, name) {
                if request > *default {
                    return Err(Error::doc(
                        self.at,
                        format!("resources.defaults.limits.{name}"),
                        format!(
                            "{}: requests.{name} {request} ({origin}) is above the default limit {default}; raise resources.defaults.limits.{name}, or give this container its own limit with resources.set",
                            self.label
                        ),
                    ));
                }
            }
            let note = format!("{default} (default)");
            self.write(
                container,
                Which::Limits,
                name,
                *default,
                Value::from(default.to_string()),
                Origin::Default,
                note,
            )?;
            changed = true;
        }
        Ok(changed)
    }

    /// Checks the result: a request above its limit is an error; a missing request is reported.
    pub(super) fn check(self) -> Result<()> {
        for (name, request, origin) in &self.requests {
            if let Some((limit, limit_origin)) = self.get(Which::Limits, name) {
                if *request > limit {
                    let key = match (origin, &limit_origin) {
                        (Origin::Set(i), _) | (_, Origin::Set(i)) => format!("resources.set[{i}]"),
                        _ => "resources".into(),
                    };
                    return Err(Error::doc(
                        self.at,
                        key,
                        format!(
                            "{}: requests.{name} {request} ({origin}) is above limits.{name} {limit} ({limit_origin}); Kubernetes refuses such a pod. Lower the request or raise the limit with resources.set",
                            self.label
                        ),
                    ));
                }
            }
        }
        for name in ["cpu", "memory"] {
            if self.get(Which::Requests, name).is_none() && self.get(Which::Limits, name).is_none()
            {
                self.report.warnings.push(format!(
                    "resources: {}: no requests.{name}: nothing is reserved for it and it is evicted first under pressure (set resources.defaults.requests.{name})",
                    self.label
                ));
            }
        }
        Ok(())
    }

    fn values(&self, which: Which) -> &Vec<(String, Quantity, Origin)> {
        match which {
            Which::Requests => &self.requests,
            Which::Limits => &self.limits,
        }
    }

    fn values_mut(&mut self, which: Which) -> &mut Vec<(String, Quantity, Origin)> {
        match which {
            Which::Requests => &mut self.requests,
            Which::Limits => &mut self.limits,
        }
    }

    fn get(&self, which: Which, name: &str) -> Option<(Quantity, Origin)> {
        self.values(which)
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, q, o)| (*q, o.clone()))
    }

    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        container: &mut Value,
        which: Which,
        name: &str,
        q: Quantity,
        value: Value,
        origin: Origin,
        note: String,
    ) -> Result<()> {
        let map = ensure_object(container, &["resources", which.key()]).ok_or_else(|| {
            self.error(
                "resources",
                format!("resources.{} is not a mapping", which.key()),
            )
        })?;
        map.insert(name.to_string(), value);
        self.report.lines.push(format!(
            "{} resources.{}.{name}: {note}",
            self.label,
            which.key()
        ));
        let values = self.values_mut(which);
        values.retain(|(n, _, _)| n != name);
        values.push((name.to_string(), q, origin));
        Ok(())
    }

    fn error(&self, key: &str, message: impl std::fmt::Display) -> Error {
        Error::doc(self.at, key, format!("{}: {message}", self.label))
    }
}

/// The mapping at `path`: `None` when absent or null, an error when something else is there.
fn object_at<'v>(
    value: &'v Value,
    path: &[&str],
) -> Result<Option<&'v Map<String, Value>>, String> {
    let mut cur = value;
    for key in path {
        match cur.get(*key) {
            None | Some(Value::Null) => return Ok(None),
            Some(next) => cur = next,
        }
    }
    match cur {
        Value::Object(map) => Ok(Some(map)),
        _ => Err(format!("{} is not a mapping", path.join("."))),
    }
}

/// The mapping at `path`, created (or replacing a null) where missing.
fn ensure_object<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Map<String, Value>> {
    let mut cur = value;
    for key in path {
        let map = cur.as_object_mut()?;
        let next = map.entry(key.to_string()).or_insert(Value::Null);
        if next.is_null() {
            *next = Value::Object(Map::new());
        }
        cur = next;
    }
    cur.as_object_mut()
}

/// The value as the chart wrote it, for copying a limit into a request.
fn raw_value(container: &Value, which: Which, name: &str) -> Option<Value> {
    container
        .get("resources")?
        .get(which.key())?
        .get(name)
        .filter(|v| !v.is_null())
        .cloned()
}

/// The value as written, for report lines (`1000m`, not its canonical `1`).
fn raw(container: &Value, which: Which, name: &str, q: Quantity) -> String {
    match raw_value(container, which, name) {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => q.to_string(),
    }
}
