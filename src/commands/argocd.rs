//! `overhelm argocd generate`: the `generate` command of the Argo CD config-management plugin
//! in `deploy/argocd/`.
//!
//! The CMP server runs it in the app directory (a fresh copy of the repository) with the
//! variables [`request`] reads. The app directory is the chart; the overlay is `overhelm.yaml`
//! there, or the files `ARGOCD_ENV_OVERHELM_OVERLAY` names. Every file the request names must
//! resolve (symlinks followed) to a place inside the app directory. Then it does what
//! `template` does, always with `--include-crds`, and refuses to print a stream without a
//! single object: Argo CD reads empty output as "this app has no resources" and, with
//! auto-sync pruning, deletes them all.

pub mod request;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use self::request::{Env, Request, set_arg};
use super::helm::Guard;
use super::template::{Plan, execute};
use super::{Outcome, write_stdout};
use crate::cli::{ArgocdCommand, GenerateArgs};
use crate::stream::Stream;
use crate::yaml::Limits;

/// Runs an `argocd` subcommand.
pub fn run(command: &ArgocdCommand) -> anyhow::Result<Outcome> {
    match command {
        ArgocdCommand::Generate(args) => generate(args),
    }
}

/// Runs `argocd generate`.
pub fn generate(args: &GenerateArgs) -> anyhow::Result<Outcome> {
    let guard = Guard::install()?;
    let request = Request::from_env(&environment()?)?;
    let app_dir = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .context("reading the app directory (the current directory)")?;
    let plan = plan(&request, &app_dir, args.limits.limits())?;
    let rendered = execute(&plan, &guard)?;
    super::print_warnings(&rendered.reports);
    if !has_objects(&rendered.output, &plan.limits)? {
        bail!(
            "the chart rendered no Kubernetes objects; refusing to hand Argo CD an empty app, which auto-sync pruning would delete"
        );
    }
    guard.check()?;
    write_stdout(&rendered.output)?;
    Ok(Outcome::Success)
}

/// The environment; a non-UTF-8 value is an error only in a variable overhelm reads.
fn environment() -> anyhow::Result<Env> {
    let mut env = Env::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        match value.into_string() {
            Ok(value) => {
                env.insert(name.to_string(), value);
            }
            Err(_) if is_read(name) => bail!("{name} is not UTF-8"),
            Err(_) => {}
        }
    }
    Ok(env)
}

fn is_read(name: &str) -> bool {
    ["ARGOCD_", "PARAM_", "KUBE_"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The `template` plan for a request run in `app_dir`.
pub fn plan(request: &Request, app_dir: &Path, limits: Limits) -> anyhow::Result<Plan> {
    let overlays = request
        .overlays
        .iter()
        .map(|file| inside(app_dir, file, "overlay"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut helm_args: Vec<OsString> = vec!["--include-crds".into()];
    if let Some(v) = &request.kube_version {
        helm_args.push(format!("--kube-version={v}").into());
    }
    if !request.api_versions.is_empty() {
        helm_args.push(format!("--api-versions={}", request.api_versions.join(",")).into());
    }
    for file in &request.values_files {
        let path = inside(app_dir, file, "values file")?;
        check_values_path(&path, file)?;
        let mut flag = OsString::from("--values=");
        flag.push(path);
        helm_args.push(flag);
    }
    for (key, value) in &request.set {
        helm_args.push(set_arg(key, value).into());
    }
    Ok(Plan {
        chart: ".".into(),
        release: Some(request.release.clone()),
        namespace: request.namespace.clone(),
        overlays,
        helm_args,
        limits,
    })
}

/// `file` (relative to `app_dir`) as a real path that is inside `app_dir`.
fn inside(app_dir: &Path, file: &str, what: &str) -> anyhow::Result<PathBuf> {
    let path = app_dir.join(file);
    let real = path.canonicalize().map_err(|e| {
        if what == "overlay" && file == request::DEFAULT_OVERLAY {
            anyhow::anyhow!("no overlay: put {file} in the app directory, or name the overlay with the plugin env OVERHELM_OVERLAY")
        } else {
            anyhow::anyhow!("{what} {file}: {e}")
        }
    })?;
    if !real.starts_with(app_dir) {
        bail!("{what} {file} is outside the app directory; only files inside it can be used");
    }
    Ok(real)
}

/// helm reads `--values` as a comma-separated list in CSV syntax, where double quotes and line
/// breaks are syntax too: a path holding one would name other files (`a.yaml,/etc/x` reads
/// `/etc/x`, outside the app) or be cut short, so it is refused.
fn check_values_path(path: &Path, file: &str) -> anyhow::Result<()> {
    if path.to_string_lossy().contains([',', '"', '\n', '\r']) {
        bail!(
            "values file {file:?}: helm reads --values as a comma-separated list, so a path with a comma, a double quote or a line break would name other files; rename it"
        );
    }
    Ok(())
}

/// True when the stream holds at least one object with a `kind`.
fn has_objects(output: &str, limits: &Limits) -> anyhow::Result<bool> {
    let stream = Stream::split(output, limits);
    for doc in stream.docs() {
        if doc.kind()?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}
