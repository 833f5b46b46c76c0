//! Overlay files: the format, strict reading and layering.
//!
//! Each file is read on its own into the typed [`Overlay`] (unknown keys are errors that name the
//! file, line and the keys that are valid), then the files are layered in order: maps merge, lists
//! and scalars of a later file replace, and `null` removes a key, like Helm values files. The
//! layered result is read into [`Overlay`] once more.

pub mod patches;
pub mod registry;
pub mod resources;
pub mod tls;
pub mod values;
pub mod wait_for;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::yaml;

/// The environment variable with overlay files, `:`-separated, used when no `--overlay` is given.
pub const OVERLAY_ENV: &str = "OVERHELM_OVERLAY";

/// A whole overlay file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Overlay {
    /// Must be `overhelm/v1`.
    pub api_version: String,
    /// Must be `Overlay`.
    pub kind: String,
    /// Name for reports.
    #[serde(default)]
    pub metadata: Metadata,
    /// Image references through a proxy-cache registry.
    pub registry: Option<registry::Registry>,
    /// TLS Ingresses and Certificates.
    #[serde(default)]
    pub tls: Vec<tls::TlsEntry>,
    /// Init containers that wait for a database.
    #[serde(default)]
    pub wait_for: Vec<wait_for::WaitFor>,
    /// Requests, limits and the release budget.
    pub resources: Option<resources::Resources>,
    /// Generic edits.
    #[serde(default)]
    pub patches: Vec<patches::Patch>,
    /// The values compiler's input.
    pub values: Option<values::ValuesSpec>,
}

/// `metadata` of an overlay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// The overlay's name.
    #[serde(default)]
    pub name: String,
}

/// Picks documents: every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    /// `kind`.
    pub kind: Option<String>,
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// `apiVersion`.
    pub api_version: Option<String>,
}

impl Selector {
    /// True when every given field equals the object's.
    pub fn matches(&self, object: &Value) -> bool {
        let field = |v: &Value, path: &[&str]| -> Option<String> {
            let mut cur = v;
            for p in path {
                cur = cur.get(*p)?;
            }
            cur.as_str().map(str::to_string)
        };
        let check = |want: &Option<String>, path: &[&str]| match want {
            None => true,
            Some(w) => field(object, path).as_deref() == Some(w.as_str()),
        };
        check(&self.kind, &["kind"])
            && check(&self.name, &["metadata", "name"])
            && check(&self.namespace, &["metadata", "namespace"])
            && check(&self.api_version, &["apiVersion"])
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (k, v) in [
            ("apiVersion", &self.api_version),
            ("kind", &self.kind),
            ("namespace", &self.namespace),
            ("name", &self.name),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}: {v}"));
            }
        }
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// A Service port: a number or a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    /// Port number.
    Number(u16),
    /// Port name.
    Name(String),
}

impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(n) => write!(f, "{n}"),
        }
    }
}

impl Overlay {
    /// Reads one overlay from text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let err = |message: String| Error::OverlayFile {
            file: file.to_string(),
            message,
        };
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Err(err("the file is empty; an overlay starts with `apiVersion: overhelm/v1` and `kind: Overlay`".into()));
        }
        let overlay: Overlay = yaml::from_str(text).map_err(err)?;
        if overlay.api_version != "overhelm/v1" || overlay.kind != "Overlay" {
            return Err(err(format!(
                "apiVersion/kind is {}/{}; an overlay must say `apiVersion: overhelm/v1` and `kind: Overlay`",
                overlay.api_version, overlay.kind
            )));
        }
        Ok(overlay)
    }

    /// Reads and layers overlay files in order (later wins). No files gives an empty overlay.
    pub fn load(files: &[impl AsRef<Path>]) -> Result<Self> {
        let mut merged: Option<Value> = None;
        for file in files {
            let file = file.as_ref();
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::io(format!("reading overlay {name}"), e))?;
            let overlay = Overlay::parse(&text, &name)?;
            let to_file_err = |message: String| Error::OverlayFile {
                file: name.clone(),
                message,
            };
            let typed = serde_json::to_value(&overlay).map_err(|e| to_file_err(e.to_string()))?;
            merged = Some(match merged {
                None => typed,
                Some(mut base) => {
                    let given: Value = yaml::from_str(&text).map_err(to_file_err)?;
                    let before = base.clone();
                    merge(&mut base, typed, &given);
                    values::layer_set(&before, &given, &mut base);
                    base
                }
            });
        }
        match merged {
            None => Ok(Overlay {
                api_version: "overhelm/v1".into(),
                kind: "Overlay".into(),
                ..Default::default()
            }),
            Some(v) => serde_json::from_value(v).map_err(|e| Error::OverlayFile {
                file: files
                    .iter()
                    .map(|f| f.as_ref().display().to_string())
                    .collect::<Vec<_>>()
                    .join(" + "),
                message: format!("the layered overlays do not fit together: {e}"),
            }),
        }
    }

    /// The overlay files to read: the `--overlay` flags, else `OVERHELM_OVERLAY` (`:`-separated).
    pub fn files_from(flags: &[std::path::PathBuf], env: Option<&str>) -> Vec<std::path::PathBuf> {
        if !flags.is_empty() {
            return flags.to_vec();
        }
        env.map(|v| {
            v.split(':')
                .filter(|s| !s.is_empty())
                .map(Into::into)
                .collect()
        })
        .unwrap_or_default()
    }
}

/// Layers `over` (a file's typed values) onto `base`: maps merge, anything else replaces, and
/// `null` removes the key. `given` is the same file read untyped: it tells which keys the file
/// wrote (typed values hold defaults for the others) and which it set to `null`.
fn merge(base: &mut Value, over: Value, given: &Value) {
    let (Value::Object(b), Value::Object(o)) = (&mut *base, &over) else {
        *base = over;
        return;
    };
    for (k, v) in o {
        match given.get(k) {
            None => {}
            Some(Value::Null) => {
                b.shift_remove(k);
            }
            Some(g) => match b.get_mut(k) {
                Some(bv @ Value::Object(_)) if v.is_object() => merge(bv, v.clone(), g),
                _ => {
                    b.insert(k.clone(), v.clone());
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line_and_valid_keys() {
        let text =
            "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {}\n  imagez: []\n";
        let err = Overlay::parse(text, "o.yaml").unwrap_err().to_string();
        assert!(
            err.starts_with("o.yaml: line 5 column 3: unknown field `imagez`"),
            "{err}"
        );
        assert!(
            err.contains("expected one of mirrors, images, paths"),
            "{err}"
        );
    }

    #[test]
    fn wrong_kind_is_refused() {
        let err = Overlay::parse("apiVersion: v1\nkind: ConfigMap\n", "o.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("must say `apiVersion: overhelm/v1`"), "{err}");
    }

    #[test]
    fn empty_file_is_refused() {
        let err = Overlay::parse("\n", "o.yaml").unwrap_err().to_string();
        assert!(err.contains("the file is empty"), "{err}");
    }

    #[test]
    fn layers_merge_maps_and_replace_lists() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {docker.io: h/d}\n  images: [{name: x, tag: '1'}]\n").unwrap();
        std::fs::write(&b, "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {ghcr.io: h/g}\n  images: [{name: y, tag: '2'}]\n").unwrap();
        let o = Overlay::load(&[a, b]).unwrap();
        let r = o.registry.unwrap();
        assert_eq!(
            r.mirrors.keys().collect::<Vec<_>>(),
            ["docker.io", "ghcr.io"]
        );
        assert_eq!(r.images.len(), 1);
        assert_eq!(r.images[0].name, "y");
    }

    #[test]
    fn null_in_a_later_layer_removes_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(
            &a,
            "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {docker.io: h/d}\n",
        )
        .unwrap();
        std::fs::write(
            &b,
            "apiVersion: overhelm/v1\nkind: Overlay\nregistry: null\n",
        )
        .unwrap();
        assert_eq!(Overlay::load(&[a, b]).unwrap().registry, None);
    }

    #[test]
    fn files_from_flags_or_env() {
        assert_eq!(
            Overlay::files_from(&[], Some("a.yaml:b.yaml")),
            vec![std::path::PathBuf::from("a.yaml"), "b.yaml".into()]
        );
        assert_eq!(
            Overlay::files_from(&["c.yaml".into()], Some("a.yaml")),
            vec![std::path::PathBuf::from("c.yaml")]
        );
        assert!(Overlay::files_from(&[], None).is_empty());
    }
}
