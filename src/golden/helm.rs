//! Running `helm template` for a chart case, so that a golden case can start from the chart
//! itself and a chart upgrade shows up as drift.
//!
//! Helm is found the way a shell would, after the folders the caller names first (the tests pass
//! `target/tools`, where `tools/test` installs Helm 3 and 4). A name with a `/` is a path
//! relative to the case folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::case::{Case, ChartSpec};
use crate::error::{Error, Result};

/// The helm executable for `chart`, or why there is none.
pub fn find(
    chart: &ChartSpec,
    case_dir: &Path,
    tool_dirs: &[PathBuf],
) -> std::result::Result<PathBuf, String> {
    let name = chart.helm.as_deref().unwrap_or("helm");
    if name.contains('/') {
        let path = case_dir.join(name);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{} not found", path.display()))
        };
    }
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    tool_dirs
        .iter()
        .chain(path_dirs.iter())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("`{name}` not found on PATH (the case's chart needs it)"))
}

/// The manifest stream `helm template` renders for the case's chart.
pub fn template(case: &Case, chart: &ChartSpec, tool_dirs: &[PathBuf]) -> Result<String> {
    let case_file = case.dir.join("case.yaml").display().to_string();
    let fail = |message: String| Error::OverlayFile {
        file: case_file.clone(),
        message: format!("chart: {message}"),
    };
    let helm = find(chart, &case.dir, tool_dirs).map_err(fail)?;
    let mut cmd = Command::new(&helm);
    cmd.arg("template")
        .arg(case.spec.release.as_deref().unwrap_or("release"))
        .arg(case.dir.join(&chart.path));
    if let Some(ns) = &case.spec.namespace {
        cmd.args(["--namespace", ns]);
    }
    for values in &chart.values {
        cmd.arg("--values").arg(case.dir.join(values));
    }
    cmd.args(&chart.args);
    let out = cmd
        .output()
        .map_err(|e| Error::io(format!("running {}", helm.display()), e))?;
    if !out.status.success() {
        return Err(fail(format!(
            "`{} template` failed ({}): {}",
            helm.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    String::from_utf8(out.stdout).map_err(|_| {
        fail(format!(
            "`{} template` wrote non-UTF-8 output",
            helm.display()
        ))
    })
}
