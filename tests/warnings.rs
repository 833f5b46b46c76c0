//! Warnings reach a person on every run: `render`, `template` and `argocd generate` print the
//! steps' warnings on stderr as `overhelm: warning: ...` lines, with or without `--report`, and
//! stdout is exactly what it is without them.

mod common;
mod e2e;

use std::process::Stdio;

const APP: &str = "---\n# Source: app/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx\n          resources:\n            requests: {memory: 500m}\n          env:\n            - {name: DB_HOST, value: db}\n            - {name: DB_PASSWORD, value: plain-password}\n";

const NO_CPU: &str = "overhelm: warning: resources: Deployment/app containers[app]: no requests.cpu: nothing is reserved for it and it is evicted first under pressure (set resources.defaults.requests.cpu)\n";
const FRACTION: &str = "overhelm: warning: resources: Deployment/app containers[app] resources.requests.memory: 500m is a fraction of a byte";
const PLAIN: &str = "overhelm: warning: waitFor[0]: Deployment/app: the password comes from the plain value of DB_PASSWORD, which is copied into the init container; a secretKeyRef would keep it out of the manifest\n";

fn overlay(dir: &std::path::Path, body: &str) -> String {
    let file = dir.join("overlay.yaml");
    std::fs::write(
        &file,
        format!("apiVersion: overhelm/v1\nkind: Overlay\n{body}"),
    )
    .expect("write");
    file.display().to_string()
}

#[test]
fn render_prints_warnings_on_stderr_and_leaves_stdout_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let resources = overlay(dir.path(), "resources: {}\n");
    let out = common::overhelm(&["render", "-f", &resources], APP);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), APP, "nothing changed, byte for byte");
    let err = common::stderr(&out);
    assert!(err.contains(NO_CPU), "{err}");
    assert!(err.contains(FRACTION), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");

    // With --report the warnings are printed once, as warnings, not as report lines.
    let out = common::overhelm(&["render", "-f", &resources, "--report"], APP);
    let err = common::stderr(&out);
    assert_eq!(err.matches("no requests.cpu").count(), 1, "{err}");
    assert!(err.contains("resources: no changes\n"), "{err}");

    let wait_for = overlay(
        dir.path(),
        "waitFor:\n  - postgres: {host: {fromEnv: DB_HOST}, user: u, password: {fromEnv: DB_PASSWORD}}\n    image: postgres:16\n",
    );
    let out = common::overhelm(&["render", "-f", &wait_for], APP);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stderr(&out), PLAIN);
    assert!(common::stdout(&out).contains("wait-for-postgres"));
    assert!(!common::stderr(&out).contains("plain-password"));
}

#[test]
fn template_prints_the_warnings_too() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let resources = overlay(dir.path(), "resources: {}\n");
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args(["template", "-f", &resources])
        .arg(e2e::demo_chart())
        .args(["--release", "r", "-n", "ns"])
        .env("OVERHELM_HELM", &helm3)
        .env("TMPDIR", dir.path())
        .env("OVERHELM_LOG", dir.path().join("error.log"))
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .stdin(Stdio::null());
    common::helm_env(&mut cmd, dir.path());
    let (code, out, err) = e2e::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("overhelm: warning"));
    assert!(
        err.contains(
            "overhelm: warning: resources: Deployment/ns/r-web containers[web]: no requests.cpu"
        ),
        "{err}"
    );
}
