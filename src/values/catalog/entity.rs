//! One catalog entity checked the way Backstage's catalog processes it: the envelope formats
//! (`KubernetesValidatorFunctions` of `@backstage/catalog-model`), the apiVersions and required
//! `spec` fields of the built-in kinds, and the references to other entities.

use serde_json::Value;

/// An entity's identity, compared in lower case as Backstage compares entity refs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRef {
    /// Kind as written.
    pub kind: String,
    /// Namespace (`default` when not written).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl EntityRef {
    /// `kind:namespace/name`, lower case: the form Backstage stores relations in.
    pub fn key(&self) -> String {
        format!("{}:{}/{}", self.kind, self.namespace, self.name).to_ascii_lowercase()
    }

    /// Parses `[kind:][namespace/]name` with the defaults Backstage applies for a field.
    pub fn parse(text: &str, default_kind: Option<&str>, default_namespace: &str) -> Option<Self> {
        let (kind, rest) = match text.split_once(':') {
            Some((k, r)) => (Some(k), r),
            None => (None, text),
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, n)) => (ns, n),
            None => (default_namespace, rest),
        };
        let kind = kind.or(default_kind)?;
        (!kind.is_empty() && !namespace.is_empty() && !name.is_empty()).then(|| EntityRef {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }
}

/// A reference field: where, the default kind for a bare name, and whether it holds a list.
pub struct RefField {
    /// The field under `spec`.
    pub field: &'static str,
    /// The kind of a ref written without one.
    pub default_kind: Option<&'static str>,
}

/// The reference fields of the built-in kinds that relations are made from.
pub const REF_FIELDS: [RefField; 7] = [
    RefField {
        field: "owner",
        default_kind: Some("Group"),
    },
    RefField {
        field: "system",
        default_kind: Some("System"),
    },
    RefField {
        field: "domain",
        default_kind: Some("Domain"),
    },
    RefField {
        field: "subcomponentOf",
        default_kind: Some("Component"),
    },
    RefField {
        field: "providesApis",
        default_kind: Some("API"),
    },
    RefField {
        field: "consumesApis",
        default_kind: Some("API"),
    },
    RefField {
        field: "dependsOn",
        default_kind: None,
    },
];

/// Backstage's object name format: 1-63 characters, `[A-Za-z0-9]` at both ends, `-_.` inside.
pub fn check_name(name: &str) -> Result<(), String> {
    if crate::names::is_qualified_name_part(name) {
        Ok(())
    } else {
        Err(format!(
            "metadata.name {name:?} is not a valid entity name: 1-63 characters, letters and digits at both ends, `-`, `_` or `.` inside"
        ))
    }
}

/// Backstage's namespace format: a DNS label (lower case letters, digits, inner `-`).
pub fn check_namespace(ns: &str) -> Result<(), String> {
    if crate::names::is_dns_label(ns) {
        Ok(())
    } else {
        Err(format!(
            "metadata.namespace {ns:?} is not a valid namespace: 1-63 lower-case letters, digits or inner `-`"
        ))
    }
}

/// Backstage's kind format: a letter, then letters and digits.
pub fn check_kind(kind: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&kind.len())
        && kind.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && kind.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "kind {kind:?} is not a valid kind: a letter, then letters and digits"
        ))
    }
}

/// The apiVersions and required string `spec` fields of a built-in kind.
fn kind_rules(kind: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const CORE: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];
    Some(match kind.to_ascii_lowercase().as_str() {
        "component" => (CORE, &["type", "lifecycle", "owner"]),
        "api" => (CORE, &["type", "lifecycle", "owner", "definition"]),
        "system" | "domain" => (CORE, &["owner"]),
        "resource" => (CORE, &["type", "owner"]),
        "group" => (CORE, &["type"]),
        "user" | "location" => (CORE, &[]),
        "template" => (&["scaffolder.backstage.io/v1beta3"], &["type"]),
        _ => return None,
    })
}

/// Checks one parsed document; returns its identity, or every reason Backstage would refuse it.
pub fn check(doc: &Value) -> Result<EntityRef, Vec<String>> {
    let text = |path: &[&str]| crate::values::get(doc, path).and_then(Value::as_str);
    let mut errors = Vec::new();
    let (Some(api_version), Some(kind), Some(name)) = (
        text(&["apiVersion"]),
        text(&["kind"]),
        text(&["metadata", "name"]),
    ) else {
        return Err(vec![
            "an entity needs string `apiVersion`, `kind` and `metadata.name`".into(),
        ]);
    };
    let namespace = text(&["metadata", "namespace"]).unwrap_or("default");
    errors.extend(check_kind(kind).err());
    errors.extend(check_name(name).err());
    errors.extend(check_namespace(namespace).err());
    if let Some((versions, required)) = kind_rules(kind) {
        if !versions.contains(&api_version) {
            errors.push(format!(
                "apiVersion {api_version:?} is not one of {} for kind {kind}",
                versions.join(", ")
            ));
        }
        for field in required {
            if text(&["spec", field]).is_none_or(|v| v.is_empty()) {
                errors.push(format!(
                    "spec.{field} is required for kind {kind} (a non-empty string)"
                ));
            }
        }
        if kind.eq_ignore_ascii_case("location")
            && text(&["spec", "target"]).is_none()
            && crate::values::get(doc, &["spec", "targets"]).is_none()
        {
            errors.push("spec.target or spec.targets is required for kind Location".into());
        }
    }
    if errors.is_empty() {
        Ok(EntityRef {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    } else {
        Err(errors)
    }
}

/// The references an entity makes: (field, text as written, parsed ref when it parses).
pub fn references(doc: &Value, namespace: &str) -> Vec<(&'static str, String, Option<EntityRef>)> {
    let mut out = Vec::new();
    let Some(spec) = doc.get("spec") else {
        return out;
    };
    for rf in &REF_FIELDS {
        let texts: Vec<&str> = match spec.get(rf.field) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(l)) => l.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        for t in texts {
            out.push((
                rf.field,
                t.to_string(),
                EntityRef::parse(t, rf.default_kind, namespace),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn name_namespace_kind_formats() {
        for ok in ["a", "minicloud-platform", "a.b_c-d", "A1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "a/b", &"x".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_namespace("team-a").is_ok());
        for bad in ["Team", "a_b", "-a", ""] {
            assert!(check_namespace(bad).is_err(), "{bad}");
        }
        assert!(check_kind("Component").is_ok());
        assert!(check_kind("1Kind").is_err());
        assert!(check_kind("My-Kind").is_err());
    }

    #[test]
    fn refs_take_backstage_defaults() {
        let r = EntityRef::parse("andrelair-platform", Some("Group"), "default").unwrap();
        assert_eq!(r.key(), "group:default/andrelair-platform");
        let r = EntityRef::parse("user:ops/jane", Some("Group"), "default").unwrap();
        assert_eq!(r.key(), "user:ops/jane");
        let r = EntityRef::parse("team-a/payments", Some("System"), "default").unwrap();
        assert_eq!(r.key(), "system:team-a/payments");
        assert!(EntityRef::parse("x", None, "default").is_none());
    }

    #[test]
    fn component_needs_its_spec_fields_and_version() {
        let doc = json!({"apiVersion": "backstage.io/v2", "kind": "Component", "metadata": {"name": "c"},
                         "spec": {"type": "service", "owner": ""}});
        let errors = check(&doc).unwrap_err();
        assert_eq!(
            errors,
            [
                "apiVersion \"backstage.io/v2\" is not one of backstage.io/v1alpha1, backstage.io/v1beta1 for kind Component",
                "spec.lifecycle is required for kind Component (a non-empty string)",
                "spec.owner is required for kind Component (a non-empty string)",
            ]
        );
    }

    #[test]
    fn envelope_errors_are_all_reported() {
        let doc = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
                         "metadata": {"name": "bad name", "namespace": "Team"}, "spec": {"owner": "o"}});
        let errors = check(&doc).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(check(&json!({"kind": "System"})).is_err());
    }
}
