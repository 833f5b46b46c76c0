//! What the Argo CD CMP server asks for, read from the environment it sets, and validated
//! strictly: every value ends up in helm's argument vector, so none may look like a flag, name a
//! file outside the app, or carry a second `--set` assignment.
//!
//! Read: `ARGOCD_APP_NAME` (`<app-namespace>_<name>` when the Application lives outside Argo
//! CD's namespace; the prefix is dropped), `ARGOCD_APP_NAMESPACE`, `KUBE_VERSION`,
//! `KUBE_API_VERSIONS`, `ARGOCD_ENV_RELEASE_NAME` and `ARGOCD_ENV_OVERHELM_OVERLAY` (any other
//! `ARGOCD_ENV_*` is refused as a likely typo), and the parameters from `ARGOCD_APP_PARAMETERS`
//! (unset, `null` and `[]` all mean none): `values-files` (array) and `helm-parameters` (map).
//! `PARAM_*` variables repeat the same parameters lossily (map keys are upper-cased), so they
//! are read only when `ARGOCD_APP_PARAMETERS` says nothing: `PARAM_VALUES_FILES_<i>`.

use std::collections::BTreeMap;

use crate::names::is_dns_label;
use anyhow::{Context as _, bail};
use serde_json::Value;

/// The environment, as name → value (only UTF-8 entries).
pub type Env = BTreeMap<String, String>;

/// The overlay used when `ARGOCD_ENV_OVERHELM_OVERLAY` is not set.
pub const DEFAULT_OVERLAY: &str = "overhelm.yaml";

/// The `ARGOCD_ENV_*` names overhelm reads (as written in the Application's `plugin.env`).
pub const KNOWN_ENV: [&str; 2] = ["OVERHELM_OVERLAY", "RELEASE_NAME"];

/// The parameters overhelm reads, with their collection type.
pub const KNOWN_PARAMETERS: [(&str, &str); 2] =
    [("values-files", "array"), ("helm-parameters", "map")];

/// One validated `generate` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The Helm release name.
    pub release: String,
    /// The destination namespace.
    pub namespace: Option<String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// Overlay files, relative to the app directory.
    pub overlays: Vec<String>,
    /// Values files, relative to the app directory, in order.
    pub values_files: Vec<String>,
    /// `--set` assignments (key, value), in order.
    pub set: Vec<(String, String)>,
}

impl Request {
    /// Reads and checks the request.
    pub fn from_env(env: &Env) -> anyhow::Result<Self> {
        check_env_names(env)?;
        let get = |name: &str| env.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let release = match get("ARGOCD_ENV_RELEASE_NAME") {
            Some(name) => name.to_string(),
            None => app_release(get("ARGOCD_APP_NAME"))?,
        };
        check_release(&release)?;
        let namespace = get("ARGOCD_APP_NAMESPACE").map(str::to_string);
        if let Some(ns) = &namespace {
            check_namespace(ns)?;
        }
        let kube_version = get("KUBE_VERSION").map(str::to_string);
        if let Some(v) = &kube_version {
            check_kube_version(v)?;
        }
        let api_versions = get("KUBE_API_VERSIONS").map(api_versions).transpose()?;
        let overlays = match get("ARGOCD_ENV_OVERHELM_OVERLAY") {
            Some(list) => list
                .split(':')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            None => vec![DEFAULT_OVERLAY.to_string()],
        };
        for overlay in &overlays {
            check_relative_path(overlay, "ARGOCD_ENV_OVERHELM_OVERLAY")?;
        }
        let mut request = Request {
            release,
            namespace,
            kube_version,
            api_versions: api_versions.unwrap_or_default(),
            overlays,
            ..Request::default()
        };
        request.read_parameters(env)?;
        Ok(request)
    }

    fn read_parameters(&mut self, env: &Env) -> anyhow::Result<()> {
        let json = env
            .get("ARGOCD_APP_PARAMETERS")
            .map(|text| serde_json::from_str::<Value>(text))
            .transpose()
            .context("ARGOCD_APP_PARAMETERS is not JSON")?;
        match json {
            None | Some(Value::Null) => self.read_param_vars(env),
            Some(Value::Array(items)) if items.is_empty() => self.read_param_vars(env),
            Some(Value::Array(items)) => items.iter().try_for_each(|p| self.parameter(p)),
            Some(_) => bail!("ARGOCD_APP_PARAMETERS must be a JSON array of parameters"),
        }
    }

    /// One entry of `ARGOCD_APP_PARAMETERS`: `{"name": ..., "array"|"map"|"string": ...}`.
    fn parameter(&mut self, param: &Value) -> anyhow::Result<()> {
        let name = param.get("name").and_then(Value::as_str).unwrap_or("");
        match name {
            "values-files" => {
                let Some(items) = param.get("array").and_then(Value::as_array) else {
                    bail!(
                        "parameter values-files must be an array of file names (`array: [values-prod.yaml]`)"
                    );
                };
                for item in items {
                    let Some(file) = item.as_str() else {
                        bail!("parameter values-files: every item must be a string");
                    };
                    self.add_values_file(file)?;
                }
            }
            "helm-parameters" => {
                let Some(map) = param.get("map").and_then(Value::as_object) else {
                    bail!("parameter helm-parameters must be a map (`map: {{image.tag: v1}}`)");
                };
                for (key, value) in map {
                    let Some(value) = value.as_str() else {
                        bail!("parameter helm-parameters[{key}]: the value must be a string");
                    };
                    self.add_set(key, value)?;
                }
            }
            other => bail!("unknown parameter `{other}`; {}", known_parameters()),
        }
        Ok(())
    }

    /// `PARAM_*` variables, read only when `ARGOCD_APP_PARAMETERS` gives none.
    fn read_param_vars(&mut self, env: &Env) -> anyhow::Result<()> {
        for i in 0.. {
            match env.get(&format!("PARAM_VALUES_FILES_{i}")) {
                Some(file) => self.add_values_file(file)?,
                None => break,
            }
        }
        for name in env.keys().filter(|k| k.starts_with("PARAM_")) {
            if let Some(index) = name.strip_prefix("PARAM_VALUES_FILES_") {
                if index
                    .parse::<usize>()
                    .is_ok_and(|i| i < self.values_files.len())
                {
                    continue;
                }
            }
            if name.starts_with("PARAM_HELM_PARAMETERS_") {
                bail!(
                    "{name} is set but ARGOCD_APP_PARAMETERS is not: map keys cannot be recovered from PARAM_* names; set the parameters in the Application"
                );
            }
            bail!("{name}: unknown parameter; {}", known_parameters());
        }
        Ok(())
    }

    fn add_values_file(&mut self, file: &str) -> anyhow::Result<()> {
        check_relative_path(file, "parameter values-files")?;
        self.values_files.push(file.to_string());
        Ok(())
    }

    fn add_set(&mut self, key: &str, value: &str) -> anyhow::Result<()> {
        let key_ok = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./[]\\".contains(c));
        if !key_ok {
            bail!(
                "parameter helm-parameters: key `{key}` is not a Helm value path (letters, digits, `_-./[]` and `\\.` for a literal dot)"
            );
        }
        self.set.push((key.to_string(), value.to_string()));
        Ok(())
    }
}

/// One `--set` argument that sets exactly `key` to `value`: Helm splits `--set` on commas and
/// reads backslashes as escapes, so both are escaped in the value.
pub fn set_arg(key: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '\\' || c == ',' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("--set={key}={escaped}")
}

fn known_parameters() -> String {
    let list: Vec<String> = KNOWN_PARAMETERS
        .iter()
        .map(|(name, kind)| format!("{name} ({kind})"))
        .collect();
    format!("overhelm knows {}", list.join(" and "))
}

fn check_env_names(env: &Env) -> anyhow::Result<()> {
    for name in env.keys() {
        let Some(short) = name.strip_prefix("ARGOCD_ENV_") else {
            continue;
        };
        if !KNOWN_ENV.contains(&short) {
            bail!(
                "plugin env `{short}` is not one overhelm reads (it knows {}); helm flags cannot be passed through env, use the values-files and helm-parameters parameters",
                KNOWN_ENV.join(", ")
            );
        }
    }
    Ok(())
}

/// The release name from `ARGOCD_APP_NAME`, without the `<app-namespace>_` prefix Argo CD adds
/// for Applications outside its own namespace (neither part can contain `_`).
fn app_release(app_name: Option<&str>) -> anyhow::Result<String> {
    let Some(name) = app_name else {
        bail!(
            "ARGOCD_APP_NAME is not set: run this as an Argo CD config-management plugin, or set ARGOCD_ENV_RELEASE_NAME"
        );
    };
    Ok(name.split_once('_').map_or(name, |(_, n)| n).to_string())
}

fn check_release(name: &str) -> anyhow::Result<()> {
    if name.len() > 53 || !name.split('.').all(is_dns_label) {
        bail!(
            "release name `{name}` is not valid for Helm (lower-case letters, digits, `-` and `.`, at most 53 characters); set ARGOCD_ENV_RELEASE_NAME"
        );
    }
    Ok(())
}

fn check_namespace(ns: &str) -> anyhow::Result<()> {
    if !is_dns_label(ns) {
        bail!("ARGOCD_APP_NAMESPACE `{ns}` is not a Kubernetes namespace name");
    }
    Ok(())
}

fn check_kube_version(v: &str) -> anyhow::Result<()> {
    let ok = v.starts_with(|c: char| c.is_ascii_digit() || c == 'v')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !ok {
        bail!("KUBE_VERSION `{v}` is not a Kubernetes version such as 1.30.0");
    }
    Ok(())
}

fn api_versions(list: &str) -> anyhow::Result<Vec<String>> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let ok = item.starts_with(|c: char| c.is_ascii_alphanumeric())
                && item
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "./-".contains(c));
            if ok {
                Ok(item.to_string())
            } else {
                bail!("KUBE_API_VERSIONS: `{item}` is not a group/version such as apps/v1")
            }
        })
        .collect()
}

/// A file name given relative to the app directory (checked again against the real folder).
fn check_relative_path(path: &str, what: &str) -> anyhow::Result<()> {
    if path.starts_with('-') || path.starts_with('/') || path.contains("://") || path.contains('\0')
    {
        bail!("{what}: `{path}` must be a file name relative to the app directory");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
