//! `overhelm check`: exit codes, the drift report, `--update` (refused under CI), a missing
//! expected file, JSON output and a chart case run through the real Helm 3.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{bin, read, root, run_with_stdin, stderr, stdout, tool};

/// A registry-only overlay with the minicloud mirrors: stable while the full overlay grows.
const OVERLAY: &str = "golden/registry-backstage-helm3/overlay.yaml";

/// A case folder under `dir/golden/<name>` rendering the Helm 3 Backstage input with the
/// minicloud mirrors; `expected.yaml` is written when given.
fn make_case(dir: &Path, name: &str, expected: Option<&str>) -> PathBuf {
    let case = dir.join("golden").join(name);
    std::fs::create_dir_all(&case).expect("write the case");
    let overlay = root().join(OVERLAY);
    std::fs::write(
        case.join("case.yaml"),
        format!(
            "command: render\noverlays: [{}]\nrelease: backstage\nnamespace: backstage\n",
            overlay.display()
        ),
    )
    .expect("write the case");
    std::fs::write(
        case.join("input.yaml"),
        read("examples/backstage/helm3-input.yaml"),
    )
    .expect("write the case");
    if let Some(text) = expected {
        std::fs::write(case.join("expected.yaml"), text).expect("write the case");
    }
    case
}

/// What `render` makes of the case input: the right expected.yaml.
fn rendered() -> String {
    common::render_backstage(OVERLAY)
}

/// Runs `overhelm check` in `cwd` with `CI` set or not.
fn check(cwd: &Path, args: &[&str], ci: bool) -> Output {
    let mut cmd = Command::new(bin());
    cmd.arg("check")
        .args(args)
        .env_remove("CI")
        .env_remove("OVERHELM_OVERLAY");
    cmd.env(
        "OVERHELM_LOG",
        std::env::temp_dir().join("overhelm-tests-error.log"),
    );
    if ci {
        cmd.env("CI", "true");
    }
    cmd.current_dir(cwd);
    cmd.output().expect("run overhelm check")
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    make_case(dir.path(), "ok", Some(&rendered()));
    // Run from the folder: the default is every case under golden/.
    let out = check(dir.path(), &[], false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "ok       golden/ok\n1 case: 1 ok\n");

    let drifted = rendered().replace("dockerhub-proxy/bitnamilegacy", "dockerhub-proxy/bitnami");
    make_case(dir.path(), "drift", Some(&drifted));
    let out = check(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("DRIFT    golden/drift: differs from golden/drift/expected.yaml\n  ~ apps/v1 StatefulSet backstage/backstage-postgresql\n      ~ spec.template.spec.containers[name=postgresql].image: harbor.10.0.0.200.nip.io/dockerhub-proxy/bitnami/postgresql:15.4.0-debian-11-r10 -> harbor.10.0.0.200.nip.io/dockerhub-proxy/bitnamilegacy/postgresql:15.4.0-debian-11-r10\n--- golden/drift/expected.yaml\n+++ actual output\n"), "{text}");
    assert!(text.ends_with("2 cases: 1 ok, 1 drift\n"), "{text}");

    std::fs::create_dir_all(dir.path().join("golden/broken")).unwrap();
    std::fs::write(
        dir.path().join("golden/broken/case.yaml"),
        "comand: render\n",
    )
    .unwrap();
    let out = check(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("ERROR    golden/broken: "),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("1 golden case(s) could not be checked"));

    let out = check(dir.path(), &["golden/nowhere"], false);
    assert_eq!(out.status.code(), Some(2));
    let empty = tempfile::tempdir().unwrap();
    let out = check(empty.path(), &[], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no golden/ folder here"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn update_is_refused_under_ci_and_writes_exact_bytes_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let stale = "---\n# stale\n";
    let case = make_case(dir.path(), "stale", Some(stale));
    let out = check(dir.path(), &["--update"], true);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("check --update is refused because CI is set"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(case.join("expected.yaml")).unwrap(),
        stale
    );

    let out = check(dir.path(), &["--update", "golden/stale"], false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("UPDATED  golden/stale: wrote golden/stale/expected.yaml\n"));
    assert_eq!(
        std::fs::read_to_string(case.join("expected.yaml")).unwrap(),
        rendered()
    );
    let out = check(dir.path(), &[], true);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn missing_expected_file_fails_with_the_command_that_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let case = make_case(dir.path(), "new-case", None);
    let out = check(dir.path(), &["golden/new-case"], false);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "MISSING  golden/new-case\n  note: no expected.yaml or expected.err; check the output, then create it with: overhelm check --update golden/new-case\n1 case: 1 missing\n"
    );
    assert!(!case.join("expected.yaml").exists());
}

#[test]
fn expected_error_cases() {
    let dir = tempfile::tempdir().unwrap();
    let case = make_case(dir.path(), "fails", None);
    std::fs::write(
        case.join("input.yaml"),
        read("examples/backstage/helm3-input.yaml")
            .replace("ghcr.io/backstage/", "ghcr.io/Backstage/"),
    )
    .unwrap();
    let out = check(dir.path(), &["--update"], false);
    assert_eq!(out.status.code(), Some(0));
    let message = std::fs::read_to_string(case.join("expected.err")).unwrap();
    assert!(
        message.contains("repository names must be lower case"),
        "{message}"
    );
    std::fs::write(case.join("expected.err"), "document 5: something else\n").unwrap();
    let out = check(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("-document 5: something else\n+document 5 (Deployment/backstage/backstage"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn json_report_for_ci_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let drifted = rendered().replace(
        "replicas: 1\n  revisionHistoryLimit",
        "replicas: 2\n  revisionHistoryLimit",
    );
    make_case(dir.path(), "drift", Some(&drifted));
    let out = check(dir.path(), &["--format", "json"], false);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["drift"], true);
    let case = &json["cases"][0];
    assert_eq!(case["status"], "drift");
    assert_eq!(case["expected"], "golden/drift/expected.yaml");
    let doc = &case["diff"]["documents"][0];
    assert_eq!(doc["id"]["kind"], "Deployment");
    assert_eq!(doc["old"]["line"], 147);
    assert_eq!(doc["paths"][0]["path"], "spec.replicas");
    assert_eq!(
        (
            doc["paths"][0]["old"].clone(),
            doc["paths"][0]["new"].clone()
        ),
        (2.into(), 1.into())
    );
    assert!(
        case["unified"]
            .as_str()
            .unwrap()
            .contains("-  replicas: 2\n+  replicas: 1\n")
    );
    let out = check(dir.path(), &["--format", "yaml"], false);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn chart_case_runs_real_helm() {
    let Some(helm3) = tool("helm3") else { return };
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("golden/chart");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(
        case.join("case.yaml"),
        format!(
            "overlays: [{overlay}]\nrelease: backstage\nnamespace: backstage\nchart:\n  path: {chart}\n  values: [{values}]\n  helm: {helm}\n",
            overlay = root().join(OVERLAY).display(),
            chart = root().join("examples/charts/backstage").display(),
            values = root().join("examples/backstage/values.yaml").display(),
            helm = helm3.display(),
        ),
    )
    .unwrap();
    let out = check(dir.path(), &["--update"], false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // helm3 template pipes exactly examples/backstage/helm3-input.yaml, so the result is render's.
    assert_eq!(
        std::fs::read_to_string(case.join("expected.yaml")).unwrap(),
        rendered()
    );
    // A chart change is drift.
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        read("examples/backstage/values.yaml").replace("replicas: 1", "replicas: 3"),
    )
    .unwrap();
    let spec = std::fs::read_to_string(case.join("case.yaml")).unwrap();
    let spec = spec.replace(
        &root()
            .join("examples/backstage/values.yaml")
            .display()
            .to_string(),
        &values.display().to_string(),
    );
    std::fs::write(case.join("case.yaml"), spec).unwrap();
    let out = check(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("      ~ spec.replicas: 1 -> 3\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn chart_case_without_helm_is_skipped_but_an_error_under_ci() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("golden/chart");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(
        case.join("case.yaml"),
        "release: r\nchart:\n  path: chart\n  helm: helm-that-is-not-installed\n",
    )
    .unwrap();
    let out = check(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with(
            "SKIPPED  golden/chart\n  note: `helm-that-is-not-installed` not found on PATH"
        ),
        "{}",
        stdout(&out)
    );
    let out = check(dir.path(), &[], true);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_project_golden_cases_pass_through_the_binary() {
    let mut cmd = Command::new(bin());
    cmd.args(["check", "golden"]).env_remove("CI");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![root().join("target/tools")];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).unwrap());
    let out = run_with_stdin(cmd, "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn reordered_output_is_drift_for_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs: Vec<String> = rendered()
        .split("---\n")
        .skip(1)
        .map(|d| format!("---\n{d}"))
        .collect();
    docs.reverse();
    make_case(dir.path(), "moved", Some(&docs.concat()));
    let out = check(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("DRIFT    golden/moved: differs from golden/moved/expected.yaml\n  note: documents are in a different order\n  note: no document changed, but the order is part of the golden file\n--- golden/moved/expected.yaml\n"),
        "{text}"
    );
}
