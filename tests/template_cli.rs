//! `overhelm template` with the real Helm 3 and Helm 4 binaries: the whole `helm template` output
//! (hooks and CRDs included) post-rendered in-process, helm's errors and exit codes forwarded,
//! the compiled values in a private file that never outlives the run, and SIGTERM handled.
#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should panic

mod common;
mod e2e;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use e2e::{Object, by_id, objects};

/// `overhelm template` with `helm` as the helm binary and `TMPDIR` = `tmp`.
fn template(helm: &Path, tmp: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(common::bin());
    cmd.arg("template")
        .args(args)
        .env("OVERHELM_HELM", helm)
        .env("TMPDIR", tmp)
        .env("OVERHELM_LOG", tmp.join("error.log"))
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .current_dir(common::root())
        .stdin(Stdio::null());
    common::helm_env(&mut cmd, tmp);
    cmd
}

fn demo_template(helm: &Path, extra: &[&str]) -> (i32, String, String) {
    let dir = e2e::tempdir();
    let chart = e2e::demo_chart().display().to_string();
    let overlay = e2e::demo_overlay().display().to_string();
    let mut args = vec!["-f", &overlay, &chart, "--release", "r", "-n", "ns"];
    args.extend(extra);
    e2e::run(template(helm, dir.path(), &args))
}

#[test]
fn template_post_renders_hooks_and_crds_alike_on_helm3_and_helm4() {
    let (Some(helm3), Some(helm4)) = (common::tool("helm3"), common::tool("helm4")) else {
        return;
    };
    let mut outputs = Vec::new();
    for helm in [&helm3, &helm4] {
        let (code, out, err) = demo_template(helm, &["--", "--include-crds"]);
        assert_eq!(code, 0, "{}: {err}", helm.display());
        let objects = objects(&out);
        let map = by_id(&objects);
        assert_eq!(map.len(), 8, "{:?}", map.keys());
        // Piped output has the hooks, so unlike `--post-renderer` on Helm 3 they are rewritten.
        for object in &objects {
            for image in object.images() {
                assert!(image.starts_with("harbor.example.test/"), "{image}");
            }
        }
        assert!(map.contains_key("CustomResourceDefinition//widgets.demo.example.com"));
        assert!(map["Job/ns/r-migrate"].is_hook());
        outputs.push(map);
    }
    let values = |m: &std::collections::BTreeMap<String, Object>| {
        m.iter()
            .map(|(k, o)| (k.clone(), o.value.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&outputs[0]), values(&outputs[1]));
}

#[test]
fn template_forwards_helm_errors_with_helm_exit_code() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let (code, out, err) = e2e::run(template(
        &helm3,
        dir.path(),
        &[
            "-f",
            &e2e::demo_overlay().display().to_string(),
            "no/such/chart",
        ],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("`helm template` failed (exit code 1)"),
        "{err}"
    );
    assert!(err.contains("Error: "), "helm's own message: {err}");
    let log = std::fs::read_to_string(dir.path().join("error.log")).expect("log");
    assert!(log.contains("no/such/chart"), "{log}");
}

#[test]
fn template_without_helm_says_how_to_get_it() {
    let dir = e2e::tempdir();
    let missing = dir.path().join("no-helm-here");
    let chart = e2e::demo_chart().display().to_string();
    let (code, out, err) = e2e::run(template(&missing, dir.path(), &[&chart]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("not found"), "{err}");
    assert!(err.contains("OVERHELM_HELM"), "{err}");
}

#[test]
fn template_refuses_helm_flags_that_bypass_the_post_render() {
    let dir = e2e::tempdir();
    let chart = e2e::demo_chart().display().to_string();
    for flag in ["--output-dir=out", "--post-renderer=x", "--namespace=x"] {
        let (code, _, err) = e2e::run(template(
            Path::new("helm"),
            dir.path(),
            &[&chart, "--", flag],
        ));
        assert_eq!(code, 2, "{flag}");
        assert!(err.contains("is not allowed after `--`"), "{flag}: {err}");
    }
}

#[test]
fn template_backstage_with_the_minicloud_overlay() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let root = common::root();
    let path = |p: &str| root.join(p).display().to_string();
    let (code, out, err) = e2e::run(template(
        &helm3,
        dir.path(),
        &[
            "-f",
            &path("overlays/minicloud/backstage.yaml"),
            &path("examples/charts/backstage"),
            "--release",
            "backstage",
            "-n",
            "backstage",
            "--",
            "-f",
            &path("examples/backstage/values.yaml"),
        ],
    ));
    assert_eq!(code, 0, "{err}");
    e2e::assert_backstage_through_harbor(&out);
    assert!(
        e2e::entries(dir.path())
            .iter()
            .all(|e| !e.starts_with("overhelm-"))
    );
}

/// Starts `template` with helm held on a named pipe, returns (overhelm, helm pid, fifo).
fn held_template(helm: &Path, dir: &Path, overlay: &Path) -> (std::process::Child, u32) {
    let fifo = dir.join("slow-values.yaml");
    e2e::fifo(&fifo);
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut cmd = template(
        helm,
        &tmp,
        &[
            "-f",
            &overlay.display().to_string(),
            &common::root()
                .join("examples/charts/backstage")
                .display()
                .to_string(),
            "--release",
            "backstage",
            "--",
            &format!("--values={}", fifo.display()),
        ],
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id();
    let mut helm_pid = None;
    let mut exited = false;
    e2e::wait_until(10, || {
        exited = matches!(child.try_wait(), Ok(Some(_)));
        helm_pid = e2e::children(pid).first().copied();
        exited || helm_pid.is_some()
    });
    if exited || helm_pid.is_none() {
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait");
        panic!("helm never started: {}", common::stderr(&out));
    }
    (child, helm_pid.unwrap_or_default())
}

fn assert_stopped_by_sigterm(child: std::process::Child, helm_pid: u32, tmp: &Path) {
    let pid = child.id();
    e2e::send_signal(pid, "TERM");
    let started = std::time::Instant::now();
    let out = child.wait_with_output().expect("wait");
    // Argo CD sends SIGKILL 5 s after SIGTERM; overhelm must be gone well before.
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(143), "{}", common::stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(common::stderr(&out).contains("stopped by signal 15"));
    assert!(
        e2e::wait_until(3, || e2e::process_gone(helm_pid)),
        "helm still runs"
    );
    let left: Vec<String> = e2e::entries(tmp)
        .into_iter()
        .filter(|e| e.starts_with("overhelm-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn sigterm_kills_helm_and_exits_promptly() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let overlay = common::root().join("overlays/minicloud/backstage.yaml");
    let (child, helm_pid) = held_template(&helm3, dir.path(), &overlay);
    assert_stopped_by_sigterm(child, helm_pid, &dir.path().join("tmp"));
}

/// Needs the values compiler (`overhelm::values::compile_overlay`): while helm runs, the
/// compiled values sit in a 0600 file in a 0700 folder; after a SIGTERM neither is left.
#[test]
fn compiled_values_live_in_a_private_file_only_while_helm_runs() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let overlay = dir.path().join("values-overlay.yaml");
    std::fs::write(
        &overlay,
        "apiVersion: overhelm/v1\nkind: Overlay\nvalues:\n  chart: backstage\n  url: https://backstage.example.com\n  set:\n    backstage:\n      replicas: 2\n",
    )
    .unwrap();
    let (child, helm_pid) = held_template(&helm3, dir.path(), &overlay);
    let tmp = dir.path().join("tmp");
    let private: Vec<String> = e2e::entries(&tmp)
        .into_iter()
        .filter(|e| e.starts_with("overhelm-"))
        .collect();
    assert_eq!(private.len(), 1, "{private:?}");
    let folder = tmp.join(&private[0]);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(e2e::entries(&folder), ["values.json"]);
    assert_eq!(mode(&folder.join("values.json")), 0o600);
    let values = std::fs::read_to_string(folder.join("values.json")).unwrap();
    let values: serde_json::Value = serde_json::from_str(&values).unwrap();
    assert_eq!(values["backstage"]["replicas"], 2);
    assert_stopped_by_sigterm(child, helm_pid, &tmp);
}
