//! The `render` contract seen from outside: exit codes, all-or-nothing output, overlays from
//! flags and `OVERHELM_OVERLAY`, byte-for-byte passthrough, and the registry rewrite on real
//! Helm 3 and Helm 4 input, read back the way Kubernetes reads YAML.

mod common;

use common::{overhelm, read, root, stderr, stdout, tool};
use std::process::Command;

const MIRRORS: &str = "tests/data/mirrors.yaml";

fn mirrors_overlay() -> String {
    root().join(MIRRORS).display().to_string()
}

#[test]
fn no_overlay_passes_both_helm_forms_through_unchanged() {
    for input in [
        "examples/backstage/helm3-input.yaml",
        "examples/backstage/helm4-input.yaml",
    ] {
        let text = read(input);
        let out = overhelm(&["render"], &text);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), text, "{input}");
    }
}

#[test]
fn no_subcommand_reads_overlays_from_the_environment() {
    let text = read("examples/backstage/helm3-input.yaml");
    let mut cmd = Command::new(common::bin());
    cmd.env(
        "OVERHELM_OVERLAY",
        format!(
            "/nonexistent-is-skipped-only-when-empty:{}",
            mirrors_overlay()
        ),
    );
    let out = common::run_with_stdin(cmd, &text);
    // A missing overlay file is an error, not silently skipped.
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("reading overlay /nonexistent-is-skipped-only-when-empty"),
        "{}",
        stderr(&out)
    );

    let mut cmd = Command::new(common::bin());
    cmd.env("OVERHELM_OVERLAY", mirrors_overlay());
    let out = common::run_with_stdin(cmd, &text);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("image: harbor.example:8443/ghcr-proxy/backstage/backstage:latest")
    );
}

#[test]
fn registry_rewrites_only_the_workloads_of_real_helm_output() {
    for input in [
        "examples/backstage/helm3-input.yaml",
        "examples/backstage/helm4-input.yaml",
    ] {
        let text = read(input);
        let out = overhelm(&["render", "-f", &mirrors_overlay(), "--report"], &text);
        assert!(out.status.success(), "{}", stderr(&out));
        let output = stdout(&out);
        assert!(
            output.contains("image: harbor.example:8443/ghcr-proxy/backstage/backstage:latest"),
            "{input}"
        );
        assert!(
            output.contains("image: harbor.example:8443/dockerhub-proxy/bitnamilegacy/postgresql:15.4.0-debian-11-r10"),
            "{input}"
        );
        // Every document that is not a workload is byte-for-byte the same.
        let docs_in = overhelm::stream::split(&text);
        let docs_out = overhelm::stream::split(&output);
        assert_eq!(
            docs_in.len(),
            docs_out.len(),
            "{input}: documents lost or added"
        );
        for (a, b) in docs_in.iter().zip(&docs_out) {
            let kind = overhelm::stream::scan(a.body);
            let workload = matches!(
                kind,
                overhelm::stream::Scan::Kind(Some("Deployment" | "StatefulSet"))
            );
            assert_eq!(a.body == b.body, !workload, "{input}: {:?}", kind);
        }
        // Helm's markers survive on every document.
        if input.contains("helm3") {
            assert_eq!(
                output.matches("\n# Source: ").count() + 1,
                text.matches("# Source: ").count() + 1
            );
        } else {
            assert_eq!(
                output
                    .matches("postrenderer.helm.sh/postrender-filename")
                    .count(),
                6
            );
        }
        let report = stderr(&out);
        assert!(report.contains("registry: Deployment/backstage/backstage containers[backstage-backend].image: ghcr.io/backstage/backstage:latest -> harbor.example:8443/ghcr-proxy/backstage/backstage:latest"), "{report}");
        // Rendering the output again changes nothing.
        let again = overhelm(&["render", "-f", &mirrors_overlay()], &output);
        assert_eq!(stdout(&again), output, "{input}: not idempotent");
    }
}

#[test]
fn an_error_writes_nothing_and_names_document_template_and_key() {
    let text = "---\n# Source: demo/templates/ok.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n# Source: demo/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/Demo/app:1\n";
    let out = overhelm(&["render", "-f", &mirrors_overlay()], text);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim_end(),
        "overhelm: error: document 2 (Deployment/prod/web, from demo/templates/deploy.yaml): registry: containers[app].image: invalid image reference \"ghcr.io/Demo/app:1\": repository names must be lower case"
    );
}

#[test]
fn invalid_yaml_in_an_untouched_document_is_an_error() {
    let text = "---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n";
    let out = overhelm(&["render"], text);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.starts_with("overhelm: error: document 1 (from demo/templates/cm.yaml): "),
        "{err}"
    );
}

#[test]
fn unknown_overlay_key_names_file_line_and_valid_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirror: {}\n",
    )
    .unwrap();
    let out = overhelm(&["render", "-f", file.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.yaml: line 4 column 3: unknown field `mirror`, expected one of mirrors, images, paths"), "{err}");
}

#[test]
fn empty_input_gives_a_separator() {
    let out = overhelm(&["render"], "");
    assert!(out.status.success());
    assert_eq!(stdout(&out), "---\n");
}

#[test]
fn report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    let arg = format!("--report={}", report.display());
    let out = overhelm(
        &["render", "-f", &mirrors_overlay(), &arg],
        &read("examples/backstage/helm3-input.yaml"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty());
    let text = std::fs::read_to_string(report).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("registry: ")).count(),
        2,
        "{text}"
    );
}

/// Changed documents keep every string a string, as Kubernetes reads YAML (YAML 1.1 through
/// goyaml.v2): checked by reading input and output with real Helm's values reader.
#[test]
fn changed_documents_read_back_the_same_in_yaml_1_1() {
    let Some(helm) = tool("helm3") else { return };
    let input = read("tests/data/yaml11-deployment.yaml");
    let out = overhelm(&["render", "-f", &mirrors_overlay()], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let output = stdout(&out);
    assert!(output.contains("image: harbor.example:8443/dockerhub-proxy/library/nginx:1.25"));
    let expected_input = input.replace(
        "image: nginx:1.25",
        "image: harbor.example:8443/dockerhub-proxy/library/nginx:1.25",
    );
    let read_by_helm = |yaml: &str| -> serde_json::Value {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("doc.yaml");
        std::fs::write(&file, yaml).unwrap();
        let out = Command::new(&helm)
            .args(["template", "x"])
            .arg(root().join("tests/charts/oracle"))
            .arg("-f")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let json = text
            .lines()
            .find(|l| l.starts_with('{'))
            .expect("json line");
        serde_json::from_str(json).unwrap()
    };
    let want = read_by_helm(&expected_input);
    let got = read_by_helm(&output);
    assert_eq!(got, want);
    // The oracle really reads YAML 1.1: an unquoted `on` would have been a boolean.
    assert_eq!(read_by_helm("a: on\n")["a"], serde_json::Value::Bool(true));
    assert_eq!(
        got["spec"]["template"]["spec"]["volumes"][0]["configMap"]["defaultMode"],
        493
    );
    assert_eq!(
        got["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"],
        "on"
    );
}

/// The end-to-end path of issue 2: real Helm 3 runs the built binary as its post-renderer.
#[test]
fn helm3_template_with_overhelm_as_post_renderer() {
    let Some(helm) = tool("helm3") else { return };
    let plain = Command::new(&helm)
        .args(common::TEMPLATE_BACKSTAGE)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(plain.status.success());
    let rendered = Command::new(&helm)
        .args(common::TEMPLATE_BACKSTAGE)
        .arg("--post-renderer")
        .arg(common::bin())
        .args([
            "--post-renderer-args",
            "render",
            "--post-renderer-args",
            "--overlay",
            "--post-renderer-args",
            MIRRORS,
        ])
        .args([
            "--post-renderer-args",
            "--release=backstage",
            "--post-renderer-args",
            "--namespace=backstage",
        ])
        .env(
            "OVERHELM_LOG",
            std::env::temp_dir().join("overhelm-tests-error.log"),
        )
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let before = String::from_utf8(plain.stdout).unwrap();
    let after = String::from_utf8(rendered.stdout).unwrap();
    assert!(after.contains("image: harbor.example:8443/ghcr-proxy/backstage/backstage:latest"));
    assert!(after.contains(
        "image: harbor.example:8443/dockerhub-proxy/bitnamilegacy/postgresql:15.4.0-debian-11-r10"
    ));
    // Every non-workload document is byte-for-byte what Helm rendered.
    let before_docs = overhelm::stream::split(&before);
    let after_docs = overhelm::stream::split(&after);
    assert_eq!(before_docs.len(), after_docs.len());
    let unchanged = before_docs
        .iter()
        .zip(&after_docs)
        .filter(|(a, b)| a.body == b.body)
        .count();
    assert_eq!(unchanged, before_docs.len() - 2);
}

/// A stream large enough for the parallel pass (1.5 MB: 120 copies of the Backstage example),
/// rendered by the binary from a file (its worker starts at once and learns the core count),
/// through a pipe (the worker starts once 256 KiB are in), and from the file on one core
/// (`taskset`: the first worker finds one core and leaves all to the main thread). Each gives
/// the single copy's render 120 times over, as the one-threaded path of a small input does.
#[test]
fn a_large_stream_renders_alike_from_a_file_a_pipe_and_one_core() {
    let copy = read("examples/backstage/helm3-input.yaml");
    let single = overhelm(&["render", "-f", &mirrors_overlay()], &copy);
    assert!(single.status.success(), "{}", stderr(&single));
    let expected = stdout(&single).repeat(120);
    let input = copy.repeat(120);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.yaml");
    std::fs::write(&file, &input).unwrap();

    let from_file = |cmd: &mut Command| {
        common::isolate(cmd);
        let out = cmd
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let mut plain = Command::new(common::bin());
    plain.args(["render", "-f", &mirrors_overlay()]);
    assert!(from_file(&mut plain) == expected, "from a file");

    let piped = overhelm(&["render", "-f", &mirrors_overlay()], &input);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(stdout(&piped) == expected, "through a pipe");

    if let Some(taskset) = tool("taskset") {
        let mut one_core = Command::new(taskset);
        one_core.args(["-c", "0"]).arg(common::bin());
        one_core.args(["render", "-f", &mirrors_overlay()]);
        assert!(from_file(&mut one_core) == expected, "on one core");
    }
}
