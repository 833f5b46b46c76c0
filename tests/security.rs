//! What overhelm writes besides the manifests never carries a Secret's value: a canary in a
//! Secret's `data`/`stringData` (and in a workload's inline env) is driven through every error
//! path a document can reach (invalid YAML of each kind, limits, a patch, the error log), and
//! must not appear on stderr, in the report or in the log. The error log is private.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const CANARY: &str = "CANARYs3cr3t7f3a9";

/// Runs overhelm with its error log in `state` (through `XDG_STATE_HOME`, the default location).
fn run_logged(args: &[&str], input: &str, state: &Path) -> Output {
    let mut child = Command::new(common::bin())
        .args(args)
        .current_dir(common::root())
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("OVERHELM_LOG")
        .env_remove("HELM_PLUGIN_NAME")
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

fn log_text(state: &Path) -> String {
    std::fs::read_to_string(state.join("overhelm/error.log")).unwrap_or_default()
}

/// Asserts an error that does not show `secret` anywhere: stderr, stdout, the log.
fn assert_error_hides(case: &str, args: &[&str], input: &str, secret: &str) {
    let state = tempfile::tempdir().expect("state dir");
    let out = run_logged(args, input, state.path());
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{case}: {err}");
    assert!(out.stdout.is_empty(), "{case}");
    assert!(
        !err.contains(secret),
        "{case}: stderr shows the secret: {err}"
    );
    let log = log_text(state.path());
    assert!(
        log.contains(err.trim_end()),
        "{case}: the log has the error"
    );
    assert!(!log.contains(secret), "{case}: the log shows the secret");
}

fn secret_with(password_line: &str) -> String {
    format!(
        "---\n# Source: demo/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\nstringData:\n  password: {password_line}\n"
    )
}

#[test]
fn invalid_yaml_in_a_secret_never_shows_its_value() {
    let lines = [
        format!("\"{CANARY}\\q\""),
        format!("\"{CANARY}\\uZZZZ\""),
        format!("\"{CANARY}"),
        format!("'{CANARY}"),
        format!("{CANARY}: x"),
        format!("[{CANARY}"),
        format!("{{{CANARY}: [}}"),
        format!("!!int {CANARY}"),
        format!("!!float {CANARY}"),
        format!("!!bool {CANARY}"),
        format!("!!binary {CANARY}!"),
        format!("!!timestamp {CANARY}"),
        format!("{CANARY}\u{0}"),
        format!("{CANARY}\u{7}x"),
        format!("|\n    {CANARY}\n   bad"),
        format!("{CANARY}\n      extra: y"),
        format!("*{CANARY}"),
        format!("&{CANARY} [*{CANARY}, *{CANARY}x]"),
        format!("{CANARY}\n  password: again"),
        format!("a\u{feff}\n\u{feff}{CANARY}: 1"),
        format!("{CANARY} {CANARY}\n- x"),
    ];
    for line in &lines {
        assert_error_hides(line, &["render"], &secret_with(line), CANARY);
    }
    // A number JSON cannot hold is not quoted either.
    assert_error_hides("1e99999", &["render"], &secret_with("1e99999"), "1e99999");
}

#[test]
fn invalid_yaml_in_base64_data_and_inline_env_never_shows_values() {
    let data = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\ndata:\n  password: \"{CANARY}==\\x\"\n"
    );
    assert_error_hides("data", &["render"], &data, CANARY);
    let deploy = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx\n          env:\n            - {{name: DB_PASSWORD, value: \"{CANARY}\\q\"}}\n"
    );
    assert_error_hides(
        "env",
        &["render", "-f", "tests/data/mirrors.yaml"],
        &deploy,
        CANARY,
    );
}

#[test]
fn limits_breached_by_a_secret_never_show_its_value() {
    let secret = secret_with(CANARY);
    assert_error_hides(
        "size",
        &["render", "--max-document-bytes", "50"],
        &secret,
        CANARY,
    );
    let deep = secret_with(&format!("{}{CANARY}{}", "[".repeat(300), "]".repeat(300)));
    assert_error_hides("depth", &["render"], &deep, CANARY);
    let aliased = secret_with(&format!("&a {CANARY}\n  b: [*a, *a, *a]"));
    assert_error_hides(
        "aliases",
        &["render", "--max-aliases", "1"],
        &aliased,
        CANARY,
    );
    assert_error_hides("nodes", &["render", "--max-nodes", "3"], &secret, CANARY);
}

#[test]
fn a_secret_that_is_not_utf8_is_named_by_offset_only() {
    let state = tempfile::tempdir().expect("state");
    let mut input = secret_with(CANARY).into_bytes();
    let at = input.len() - 2;
    input.insert(at, 0xff);
    let mut child = Command::new(common::bin())
        .arg("render")
        .env("XDG_STATE_HOME", state.path())
        .env_remove("OVERHELM_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("is not UTF-8: invalid byte at offset"),
        "{err}"
    );
    assert!(!err.contains(&CANARY[3..]), "{err}");
}

fn overlay_file(dir: &Path, body: &str) -> String {
    let file = dir.join("overlay.yaml");
    std::fs::write(
        &file,
        format!("apiVersion: overhelm/v1\nkind: Overlay\n{body}"),
    )
    .expect("write overlay");
    file.display().to_string()
}

#[test]
fn a_patch_on_a_secret_reports_paths_never_values() {
    let dir = tempfile::tempdir().expect("dir");
    let new_value = "NEWs3cr3tVALUE";
    let overlay = overlay_file(
        dir.path(),
        &format!(
            "patches:\n  - target: {{kind: Secret, name: db}}\n    set: {{\"$.stringData.password\": {new_value}, \"$.stringData.user\": admin}}\n    remove: [\"$.stringData.old\"]\n"
        ),
    );
    let input = format!(
        "---\n# Source: demo/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData:\n  password: {CANARY}\n  old: {CANARY}\n"
    );
    let state = tempfile::tempdir().expect("state");
    let out = run_logged(
        &["render", "-f", &overlay, "--report"],
        &input,
        state.path(),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let report = common::stderr(&out);
    assert!(
        report.contains("Secret/db stringData.password: set to (value hidden: Secret)"),
        "{report}"
    );
    assert!(
        report.contains("Secret/db stringData.old: removed"),
        "{report}"
    );
    assert!(!report.contains(CANARY) && !report.contains(new_value) && !report.contains("admin"));
    assert!(common::stdout(&out).contains(new_value));

    // A patch that cannot apply to a Secret fails without quoting it.
    let overlay = overlay_file(
        dir.path(),
        "patches:\n  - target: {kind: Secret}\n    set: {\"$.stringData.password.inner\": x}\n",
    );
    assert_error_hides(
        "patch into a string",
        &["render", "-f", &overlay],
        &input,
        CANARY,
    );
    let overlay = overlay_file(
        dir.path(),
        "patches:\n  - target: {kind: Secret}\n    set: {\"$.nothing.here\": x}\n",
    );
    assert_error_hides(
        "patch that matches nothing",
        &["render", "-f", &overlay],
        &input,
        CANARY,
    );
}

#[test]
fn registry_paths_may_not_read_a_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let overlay = overlay_file(
        dir.path(),
        "registry:\n  mirrors: {docker.io: harbor.example/hub}\n  paths: [{kind: Secret, path: $.stringData.password}]\n",
    );
    let state = tempfile::tempdir().expect("state");
    let out = run_logged(
        &["render", "-f", &overlay],
        &secret_with(CANARY),
        state.path(),
    );
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("overlay registry.paths[0].kind: a Secret holds no image references"),
        "{err}"
    );
    assert!(!err.contains(CANARY));
}

#[test]
fn the_report_of_a_registry_rewrite_shows_images_only() {
    let input = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx\n          env: [{{name: DB_PASSWORD, value: {CANARY}}}]\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\ndata: {{password: {CANARY}}}\n"
    );
    let state = tempfile::tempdir().expect("state");
    let out = run_logged(
        &["render", "-f", "tests/data/mirrors.yaml", "--report"],
        &input,
        state.path(),
    );
    assert!(out.status.success());
    let report = common::stderr(&out);
    assert!(report.contains("nginx -> harbor.example:8443/dockerhub-proxy/library/nginx"));
    assert!(!report.contains(CANARY), "{report}");
}

#[cfg(unix)]
#[test]
fn the_error_log_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let state = tempfile::tempdir().expect("state");
    let out = run_logged(&["render"], &secret_with("\"x"), state.path());
    assert_eq!(out.status.code(), Some(2));
    let dir = state.path().join("overhelm");
    let log = dir.join("error.log");
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let text = log_text(state.path());
    assert!(
        text.contains("document 1 (from demo/templates/secret.yaml): unclosed quote"),
        "{text}"
    );
    // A second error appends.
    let _ = run_logged(&["render"], "- a\n", state.path());
    assert_eq!(
        log_text(state.path()).matches("overhelm: error:").count(),
        2
    );
}
