//! Helpers for the Helm 3 / Helm 4 / Argo CD end-to-end tests: reading a rendered stream into
//! objects, a PATH folder with `overhelm` (and a chosen `helm`), private Helm homes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

/// The demo chart: hook, test hook, subchart, CRD, Secret.
pub fn demo_chart() -> PathBuf {
    common::root().join("tests/charts/demo")
}

/// The demo chart's overlay.
pub fn demo_overlay() -> PathBuf {
    common::root().join("tests/fixtures/integrations/demo-overlay.yaml")
}

/// One object of a rendered stream, with the template it came from.
#[derive(Debug, Clone)]
pub struct Object {
    /// The object.
    pub value: Value,
    /// The `# Source:` line's path.
    pub source: Option<String>,
}

impl Object {
    /// `Kind/namespace/name`.
    pub fn id(&self) -> String {
        let s = |p: &str| self.value.pointer(p).and_then(Value::as_str).unwrap_or("");
        format!(
            "{}/{}/{}",
            s("/kind"),
            s("/metadata/namespace"),
            s("/metadata/name")
        )
    }

    /// True for a Helm hook (tests included).
    pub fn is_hook(&self) -> bool {
        self.value
            .pointer("/metadata/annotations/helm.sh~1hook")
            .is_some()
    }

    /// Every container image, in document order.
    pub fn images(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_images(&self.value, &mut out);
        out
    }
}

fn collect_images(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("image", Value::String(s)) => out.push(s.clone()),
                    _ => collect_images(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_images(i, out)),
        _ => {}
    }
}

/// The objects of a stream, in order (empty and comment-only documents skipped).
pub fn objects(text: &str) -> Vec<Object> {
    let limits = overhelm::yaml::Limits::default();
    let mut out = Vec::new();
    for chunk in overhelm::stream::split(text) {
        let source = chunk
            .body
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(str::to_string);
        let values = overhelm::yaml::parse(chunk.body, &limits)
            .unwrap_or_else(|e| panic!("invalid YAML in output: {e}\n{}", chunk.body));
        for value in values.into_iter().filter(|v| !v.is_null()) {
            out.push(Object {
                value,
                source: source.clone(),
            });
        }
    }
    out
}

/// Objects by id (ids are unique in the demo and Backstage charts).
pub fn by_id(objects: &[Object]) -> BTreeMap<String, Object> {
    let map: BTreeMap<String, Object> = objects.iter().map(|o| (o.id(), o.clone())).collect();
    assert_eq!(map.len(), objects.len(), "duplicate ids in output");
    map
}

/// A folder for PATH with `overhelm` and, when given, `helm` pointing at a real Helm.
pub fn bin_dir(dir: &Path, helm: Option<&Path>) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    symlink(common::bin(), bin.join("overhelm")).expect("overhelm link");
    if let Some(helm) = helm {
        symlink(helm, bin.join("helm")).expect("helm link");
    }
    bin
}

/// A temporary folder under `target/tmp` (inside the repository, so kustomize may load from it).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("e2e-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir")
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        common::stdout(&out),
        common::stderr(&out),
    )
}

/// A Helm command with private homes in `dir`, `bin` first on PATH, and no overlay or plugin
/// name inherited from the test's own environment.
pub fn helm(helm: &Path, dir: &Path, bin: &Path) -> Command {
    let mut cmd = Command::new(helm);
    common::helm_env(&mut cmd, dir);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .env("OVERHELM_LOG", dir.join("error.log"))
        .current_dir(common::root());
    cmd
}
