//! `overhelm template --overlay F CHART [-- HELM_ARGS]`: runs `helm template` with the values the
//! overlay compiles to, post-renders its whole output in-process and prints the stream.
//!
//! Piping `helm template` through the post-renderer, rather than using `--post-renderer`, works
//! the same on Helm 3 and Helm 4 and includes hooks, tests and (with `--include-crds`) CRDs,
//! which Helm 3 never hands to a post-renderer. `argocd generate` builds a [`Plan`] from Argo
//! CD's environment and runs the same [`execute`].
//!
//! helm's arguments, in order: `template [RELEASE] CHART [--namespace=NS]
//! [--values=<compiled values>]`, then the plan's own arguments, so explicit `--values`/`--set`
//! given after `--` win over the overlay's values, as later values do in Helm.

use std::ffi::OsString;
use std::path::PathBuf;

use super::helm::{self, Guard, ValuesFile};
use super::render::write_report;
use super::{Outcome, write_stdout};
use crate::cli::TemplateArgs;
use crate::overlay::Overlay;
use crate::render::{Rendered, render, report_text};
use crate::steps::Context;
use crate::yaml::Limits;

/// One `helm template` run and its post-render.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The chart, as helm understands it (directory, archive, `repo/name`, `oci://...`).
    pub chart: String,
    /// The release name (helm's default when `None`).
    pub release: Option<String>,
    /// The release namespace, given to helm and to the steps.
    pub namespace: Option<String>,
    /// Overlay files, layered in order.
    pub overlays: Vec<PathBuf>,
    /// More arguments for `helm template`, after overhelm's own.
    pub helm_args: Vec<OsString>,
    /// Bounds on each document.
    pub limits: Limits,
}

/// Runs `template`.
pub fn run(args: &TemplateArgs) -> anyhow::Result<Outcome> {
    check_helm_args(&args.helm_args)?;
    let plan = Plan {
        chart: args.chart.clone(),
        release: args.release.release.clone(),
        namespace: args.release.namespace.clone(),
        overlays: super::overlay_files(&args.overlay),
        helm_args: args.helm_args.iter().map(OsString::from).collect(),
        limits: args.limits.limits(),
    };
    let guard = Guard::install()?;
    let rendered = execute(&plan, &guard)?;
    super::print_warnings(&rendered.reports);
    if let Some(target) = &args.report {
        write_report(target, &report_text(&rendered.reports))?;
    }
    guard.check()?;
    write_stdout(&rendered.output)?;
    Ok(Outcome::Success)
}

/// Compiles the values, runs helm, post-renders. The temporary values file is gone when this
/// returns, whichever way it returns.
pub fn execute(plan: &Plan, guard: &Guard) -> anyhow::Result<Rendered> {
    let overlay = Overlay::load(&plan.overlays)?;
    let values = compiled_values(&overlay)?;
    let args = helm_args(plan, values.as_ref().map(ValuesFile::path));
    let manifests = helm::run(&args, guard)?;
    drop(values);
    guard.check()?;
    let ctx = Context {
        release: plan.release.clone(),
        namespace: plan.namespace.clone(),
    };
    Ok(render(&manifests, &overlay, &ctx, &plan.limits)?)
}

/// The overlay's `values:` compiled into a private file; none when the overlay has no `values:`.
fn compiled_values(overlay: &Overlay) -> anyhow::Result<Option<ValuesFile>> {
    if overlay.values.is_none() {
        return Ok(None);
    }
    let compiled = crate::values::compile_overlay(overlay)?;
    super::print_warning_lines(&compiled.warnings);
    Ok(Some(ValuesFile::write(&compiled.values)?))
}

/// helm's argument vector. Every value overhelm adds is glued to its flag (`--namespace=x`), so
/// no value can be read as a flag of its own.
pub fn helm_args(plan: &Plan, values: Option<&std::path::Path>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["template".into()];
    if let Some(release) = &plan.release {
        args.push(release.into());
    }
    args.push(plan.chart.as_str().into());
    if let Some(ns) = &plan.namespace {
        args.push(format!("--namespace={ns}").into());
    }
    if let Some(path) = values {
        let mut flag = OsString::from("--values=");
        flag.push(path);
        args.push(flag);
    }
    args.extend(plan.helm_args.iter().cloned());
    args
}

/// Refuses helm flags that would bypass the post-render or hide facts the steps need.
fn check_helm_args(args: &[String]) -> anyhow::Result<()> {
    for arg in args {
        let flag = arg.split('=').next().unwrap_or(arg);
        let why = match flag {
            "--post-renderer" | "--post-renderer-args" => {
                "overhelm already post-renders the output; drop it"
            }
            "--output-dir" => {
                "helm would write files that overhelm never sees; redirect overhelm's output instead"
            }
            "-n" | "--namespace" => {
                "give it to overhelm (`overhelm template -n NS ...`) so the steps know it too"
            }
            _ => continue,
        };
        anyhow::bail!("helm argument `{flag}` is not allowed after `--`: {why}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            chart: "./chart".into(),
            release: Some("web".into()),
            namespace: Some("apps".into()),
            overlays: vec![],
            helm_args: vec!["--include-crds".into()],
            limits: Limits::default(),
        }
    }

    #[test]
    fn argument_order_lets_explicit_values_win() {
        let args = helm_args(&plan(), Some(std::path::Path::new("/tmp/x/values.json")));
        assert_eq!(
            args,
            [
                "template",
                "web",
                "./chart",
                "--namespace=apps",
                "--values=/tmp/x/values.json",
                "--include-crds"
            ]
            .map(OsString::from)
        );
    }

    #[test]
    fn no_release_no_namespace_no_values() {
        let plan = Plan {
            release: None,
            namespace: None,
            helm_args: vec![],
            ..plan()
        };
        assert_eq!(
            helm_args(&plan, None),
            ["template", "./chart"].map(OsString::from)
        );
    }

    #[test]
    fn bypassing_flags_are_refused() {
        for (arg, why) in [
            ("--post-renderer=x", "already post-renders"),
            ("--output-dir", "never sees"),
            ("-n", "so the steps know it"),
            ("--namespace=x", "so the steps know it"),
        ] {
            let err = check_helm_args(&[arg.to_string()]).unwrap_err().to_string();
            assert!(err.contains(why), "{arg}: {err}");
        }
        check_helm_args(&["--include-crds".into(), "--set=a=b".into()]).unwrap();
    }
}
