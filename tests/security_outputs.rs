//! No Secret value in what overhelm prints besides the manifests, on the paths `security.rs`
//! does not drive: `overhelm diff` and `check` (text, `--format json`, the unified diff) with
//! Secrets in every shape a stream can hold them, `render --expect` drift, `--report` and the
//! warnings of every step, and the errors of tls, waitFor, resources and values that a stream
//! holding a Secret can trigger. A canary value must never appear on stdout (on error), stderr
//! or in the error log.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{bin, read, root, stderr, stdout};

const OLD: &str = "CANARYo1d5ecret";
const NEW: &str = "CANARYn3w5ecret";

/// Runs overhelm in the repository with `stdin`, its error log in `state`.
fn run(args: &[&str], stdin: &str, state: &Path) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .env_remove("CI")
        .env("OVERHELM_LOG", state.join("error.log"));
    common::run_with_stdin(cmd, stdin)
}

/// Asserts that neither stdout, stderr nor the error log shows a canary (`secrets`), and that
/// an error printed nothing on stdout. Returns stderr.
fn assert_hidden(case: &str, out: &Output, state: &Path, secrets: &[&str]) -> String {
    let (so, se) = (stdout(out), stderr(out));
    let log = std::fs::read_to_string(state.join("error.log")).unwrap_or_default();
    for secret in secrets {
        assert!(!se.contains(secret), "{case}: stderr shows {secret}:\n{se}");
        assert!(
            !log.contains(secret),
            "{case}: the log shows {secret}:\n{log}"
        );
    }
    if out.status.code() == Some(2) {
        assert!(so.is_empty(), "{case}: printed on error:\n{so}");
    }
    se
}

/// Every shape a Secret's values can take in a stream, with `v` as the value.
fn secret_shapes(v: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "block",
            format!(
                "---\n# Source: c/templates/s.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\ntype: Opaque\ndata:\n  password: {v}\nstringData:\n  user: {v}-user\n"
            ),
        ),
        (
            "flow",
            format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData: {{password: {v}, other: \"{v}\"}}\n"
            ),
        ),
        (
            "json",
            format!(
                "---\n{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {{\"name\": \"s\"}}, \"data\": {{\"password\": \"{v}\"}}}}\n"
            ),
        ),
        (
            "kind after data, quoted",
            format!(
                "---\ndata:\n  password: '{v}'\nmetadata:\n  name: s\napiVersion: v1\n\"kind\": \"Secret\"\n"
            ),
        ),
        (
            "kind escaped",
            format!(
                "---\napiVersion: v1\nkind: \"Secr\\u0065t\"\nmetadata:\n  name: s\nstringData:\n  password: {v}\n"
            ),
        ),
        (
            "block scalar",
            format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  config.yaml: |\n    db:\n      password: {v}\n  key: >-\n    {v}\n    folded\n"
            ),
        ),
        (
            "anchor and alias",
            format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: &pw {v}\n  b: *pw\n"
            ),
        ),
        (
            "last-applied annotation",
            format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{{\"data\":{{\"password\":\"{v}\"}}}}'\ndata:\n  password: {v}\n"
            ),
        ),
        (
            "CRLF",
            format!(
                "---\r\napiVersion: v1\r\nkind: Secret\r\nmetadata:\r\n  name: s\r\ndata:\r\n  password: {v}\r\n"
            ),
        ),
        (
            "Helm 4 annotation",
            format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    postrenderer.helm.sh/postrender-filename: c/templates/s.yaml\ndata:\n  password: {v}\n"
            ),
        ),
        (
            "List item",
            format!(
                "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n  data:\n    password: {v}\n"
            ),
        ),
        (
            "List item, flow",
            format!(
                "---\napiVersion: v1\nkind: SecretList\nitems: [{{apiVersion: v1, kind: Secret, metadata: {{name: s}}, stringData: {{password: {v}}}}}]\n"
            ),
        ),
        (
            "nested in a template object",
            format!(
                "---\napiVersion: template.openshift.io/v1\nkind: Template\nmetadata:\n  name: t\nobjects:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n  stringData:\n    password: {v}\n"
            ),
        ),
    ]
}

/// A ConfigMap before and after, so that the Secret is never the only document.
fn around(secret: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before\ndata:\n  a: b\n{secret}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\ndata:\n  c: d\n"
    )
}

#[test]
fn diff_masks_secrets_in_every_shape() {
    let dir = tempfile::tempdir().expect("dir");
    let base = around("");
    for ((shape, old), (_, new)) in secret_shapes(OLD).into_iter().zip(secret_shapes(NEW)) {
        let (old, new) = (around(&old), around(&new));
        for (what, a, b) in [
            ("changed", &old, &new),
            ("added", &base, &new),
            ("removed", &old, &base),
        ] {
            let (a_file, b_file) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
            std::fs::write(&a_file, a).expect("write");
            std::fs::write(&b_file, b).expect("write");
            let files = [
                a_file.to_str().expect("utf-8"),
                b_file.to_str().expect("utf-8"),
            ];
            for format in ["text", "json"] {
                let out = run(
                    &["diff", files[0], files[1], "--format", format],
                    "",
                    dir.path(),
                );
                let case = format!("{shape}, {what}, {format}");
                assert_eq!(out.status.code(), Some(1), "{case}: {}", stderr(&out));
                let so = stdout(&out);
                for secret in [OLD, NEW] {
                    assert!(
                        !so.contains(secret),
                        "{case}: the diff shows {secret}:\n{so}"
                    );
                }
                assert_hidden(&case, &out, dir.path(), &[OLD, NEW]);
                assert!(
                    so.contains("<masked>") || so.contains("masked"),
                    "{case}: {so}"
                );
            }
        }
    }
}

/// Runs overhelm in `dir` (where `check` finds `golden/`), its error log there.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .env_remove("CI")
        .env("OVERHELM_LOG", dir.join("error.log"))
        .stdin(Stdio::null());
    cmd.output().expect("run overhelm")
}

/// The Backstage input (Helm 3) with the chart's PostgreSQL Secret holding `password`.
fn backstage_with_secret(password: &str) -> String {
    format!(
        "{}---\n# Source: backstage/templates/postgres-secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: backstage-postgres-secret\n  namespace: backstage\ntype: Opaque\nstringData:\n  password: {password}\n",
        read("examples/backstage/helm3-input.yaml")
    )
}

fn render_args(overlay: &str) -> Vec<&str> {
    vec![
        "render",
        "-f",
        overlay,
        "--release",
        "backstage",
        "-n",
        "backstage",
    ]
}

#[test]
fn golden_drift_of_a_secret_is_masked_in_check_and_expect() {
    let dir = tempfile::tempdir().expect("dir");
    let overlay = root().join("overlays/minicloud/backstage.yaml");
    let overlay = overlay.to_str().expect("utf-8");
    let rendered = |password: &str| {
        let out = run(
            &render_args(overlay),
            &backstage_with_secret(password),
            dir.path(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let (reviewed, now) = (rendered(OLD), rendered(NEW));
    assert!(
        reviewed.contains(OLD) && now.contains(NEW),
        "the Secret is in the output"
    );

    // render --expect: the reviewed file has the old password, the chart now sends the new one.
    let golden = dir.path().join("reviewed.yaml");
    std::fs::write(&golden, &reviewed).expect("write");
    let mut args = render_args(overlay);
    args.extend(["--expect", golden.to_str().expect("utf-8")]);
    let out = run(&args, &backstage_with_secret(NEW), dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = assert_hidden("--expect", &out, dir.path(), &[OLD, NEW]);
    assert!(
        err.contains("stringData.password: changed (Secret value, masked)"),
        "{err}"
    );

    // check: a golden case whose expected output has the old password.
    let case = dir.path().join("golden/secret-drift");
    std::fs::create_dir_all(&case).expect("case dir");
    std::fs::write(
        case.join("case.yaml"),
        format!(
            "command: render\noverlays: [{overlay}]\nrelease: backstage\nnamespace: backstage\n"
        ),
    )
    .expect("write");
    std::fs::write(case.join("input.yaml"), backstage_with_secret(NEW)).expect("write");
    std::fs::write(case.join("expected.yaml"), &reviewed).expect("write");
    for format in ["text", "json"] {
        let out = run_in(dir.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let so = stdout(&out);
        for secret in [OLD, NEW] {
            assert!(!so.contains(secret), "check {format} shows {secret}:\n{so}");
        }
        assert_hidden(&format!("check {format}"), &out, dir.path(), &[OLD, NEW]);
        assert!(so.contains("masked"), "{so}");
    }
}

fn overlay_file(dir: &Path, name: &str, body: &str) -> String {
    let file = dir.join(name);
    std::fs::write(
        &file,
        format!("apiVersion: overhelm/v1\nkind: Overlay\n{body}"),
    )
    .expect("write");
    file.display().to_string()
}

#[test]
fn reports_and_warnings_of_every_step_hide_secrets() {
    let dir = tempfile::tempdir().expect("dir");
    // The app's password as a plain env value (a warning names the variable, never the value),
    // and the chart's Secret holding another canary.
    // The chart defines POSTGRES_PASSWORD twice (its own and extraEnvVars); the last one counts.
    let plain = format!("- name: POSTGRES_PASSWORD\n              value: {NEW}");
    let input = backstage_with_secret(OLD)
        .replace(
            "- name: POSTGRES_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: backstage-postgres-secret\n                  key: password",
            &plain,
        )
        .replace(
            "- name: POSTGRES_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  key: password\n                  name: backstage-postgres-secret",
            &plain,
        );
    assert!(input.contains(NEW));
    let patch = overlay_file(
        dir.path(),
        "patch.yaml",
        "patches:\n  - target: {kind: Secret, name: backstage-postgres-secret}\n    set: {\"$.stringData.password\": CANARYp4tched}\n",
    );
    let out = run(
        &[
            "render",
            "-f",
            "overlays/minicloud/backstage.yaml",
            "-f",
            &patch,
            "--report",
            "-n",
            "backstage",
        ],
        &input,
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = assert_hidden(
        "full overlay",
        &out,
        dir.path(),
        &[OLD, NEW, "CANARYp4tched"],
    );
    for step in [
        "patches:",
        "tls:",
        "waitFor:",
        "registry:",
        "resources:",
        "budget:",
    ] {
        assert!(err.contains(step), "{step} reported:\n{err}");
    }
    assert!(err.contains("overhelm: warning: waitFor[0]: Deployment/backstage/backstage: the password comes from the plain value of POSTGRES_PASSWORD"), "{err}");
    assert!(
        err.contains("stringData.password: set to (value hidden: Secret)"),
        "{err}"
    );
}

#[test]
fn step_errors_with_secrets_in_the_stream_hide_them() {
    let dir = tempfile::tempdir().expect("dir");
    let input = backstage_with_secret(OLD).replacen(
        "            - name: POSTGRES_USER\n              value: bn_backstage\n",
        &format!("            - name: POSTGRES_USER\n              value: bn_backstage\n            - name: API_TOKEN\n              value: {NEW}\n"),
        1,
    );
    assert!(input.contains(NEW));
    let cases = [
        (
            "waitFor: a variable the app lacks",
            "waitFor:\n  - workload: {kind: Deployment, name: backstage}\n    postgres: {host: {fromEnv: POSTGRES_HOST}, user: u, password: {fromEnv: DB_PASSWORD}}\n",
            "has no env DB_PASSWORD",
        ),
        (
            "waitFor: no such workload",
            "waitFor:\n  - workload: {kind: Deployment, name: nosuch}\n    postgres: {host: {fromEnv: POSTGRES_HOST}}\n",
            "waitFor[0].workload",
        ),
        (
            "tls: certificate onto the chart's Secret",
            "tls:\n  - {host: b.example.com, service: backstage, issuer: {kind: ClusterIssuer, name: ca}, secretName: backstage-postgres-secret}\n",
            "the chart renders a Secret named backstage-postgres-secret",
        ),
        (
            "tls: no such port",
            "tls:\n  - {host: b.example.com, service: backstage, port: 1, issuer: {kind: ClusterIssuer, name: ca}}\n",
            "tls[0].port",
        ),
        (
            "resources: a request above the chart's limit",
            "resources:\n  set: [{workload: {kind: Deployment, name: backstage}, container: backstage-backend, requests: {memory: 2Gi}}]\n",
            "is above limits.memory",
        ),
        (
            "resources: over budget",
            "resources:\n  budget: {requests: {memory: 1Mi}}\n",
            "does not fit its budget",
        ),
        (
            "registry: a pin that matches nothing",
            "registry:\n  mirrors: {docker.io: h.example/hub}\n  images: [{name: docker.io/library/nothing, tag: '1'}]\n",
            "registry.images[0]",
        ),
        (
            "patches: into a Secret's string",
            "patches:\n  - target: {kind: Secret}\n    set: {\"$.stringData.password.inner\": x}\n",
            "patches[0]",
        ),
    ];
    for (case, body, want) in cases {
        let overlay = overlay_file(dir.path(), "o.yaml", body);
        let out = run(
            &["render", "-f", &overlay, "-n", "backstage"],
            &input,
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{case}: {}", stderr(&out));
        let err = assert_hidden(case, &out, dir.path(), &[OLD, NEW]);
        assert!(err.contains(want), "{case}: {err}");
    }
}

#[test]
fn values_errors_never_show_a_value() {
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        (
            "schema",
            format!(
                "values:\n  chart: backstage\n  url: https://backstage.example.com\n  set:\n    backstage: {{replicas: {OLD}}}\n    postgresql:\n      auth: {{password: {{nested: {NEW}}}}}\n"
            ),
            "the value (a string) is not of type",
        ),
        (
            "url with a token",
            format!(
                "values:\n  chart: backstage\n  url: https://admin:{OLD}@backstage.example.com\n"
            ),
            "user info",
        ),
        (
            "catalog location with a token",
            format!(
                "values:\n  chart: backstage\n  url: https://backstage.example.com\n  catalog:\n    locations: [\"https://raw.githubusercontent.com/o/r/main/c.yaml?token={NEW}\"]\n"
            ),
            "query or fragment",
        ),
    ];
    let schema = root().join("examples/backstage/values.schema.json");
    for (case, body, want) in cases {
        let overlay = overlay_file(dir.path(), "v.yaml", &body);
        let out = run(
            &[
                "values",
                "-f",
                &overlay,
                "--schema",
                schema.to_str().expect("utf-8"),
            ],
            "",
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{case}: {}", stderr(&out));
        let err = assert_hidden(case, &out, dir.path(), &[OLD, NEW]);
        assert!(err.contains(want), "{case}: {err}");
    }
}
