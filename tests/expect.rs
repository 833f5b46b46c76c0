//! `render --expect GOLDEN`: the install-time gate. Output that drifted from the reviewed file
//! exits 1 with nothing on stdout and the structural diff on stderr, which blocks a real
//! `helm3 template --post-renderer` run.

mod common;

use std::process::Command;

use common::{bin, overhelm, read, root, stderr, stdout, tool};

const OVERLAY: &str = "overlays/minicloud/backstage.yaml";

fn render_args(golden: &str) -> Vec<&str> {
    vec![
        "render",
        "-f",
        OVERLAY,
        "--release",
        "backstage",
        "-n",
        "backstage",
        "--expect",
        golden,
    ]
}

/// The reviewed output: what render makes of the Helm 3 input.
fn reviewed() -> String {
    common::render_backstage(OVERLAY)
}

#[test]
fn matching_output_passes_through() {
    let dir = tempfile::tempdir().unwrap();
    let golden = dir.path().join("golden.yaml");
    std::fs::write(&golden, reviewed()).unwrap();
    let out = overhelm(
        &render_args(golden.to_str().unwrap()),
        &read("examples/backstage/helm3-input.yaml"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), reviewed());
}

#[test]
fn drift_exits_1_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let golden = dir.path().join("golden.yaml");
    std::fs::write(
        &golden,
        reviewed().replace("backstage/backstage:latest", "backstage/backstage:1.35.0"),
    )
    .unwrap();
    let out = overhelm(
        &render_args(golden.to_str().unwrap()),
        &read("examples/backstage/helm3-input.yaml"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.contains("the rendered output differs from the reviewed file"),
        "{err}"
    );
    assert!(err.contains("~ apps/v1 Deployment backstage/backstage\n    ~ spec.template.spec.containers[name=backstage-backend].image: harbor.10.0.0.200.nip.io/ghcr-proxy/backstage/backstage:1.35.0 -> harbor.10.0.0.200.nip.io/ghcr-proxy/backstage/backstage:latest\n"), "{err}");
    assert!(
        err.contains(
            "+        image: harbor.10.0.0.200.nip.io/ghcr-proxy/backstage/backstage:latest\n"
        ),
        "{err}"
    );
}

#[test]
fn moved_documents_are_not_drift_but_comments_are() {
    let dir = tempfile::tempdir().unwrap();
    let golden = dir.path().join("golden.yaml");
    let mut docs: Vec<String> = reviewed()
        .split("---\n")
        .skip(1)
        .map(|d| format!("---\n{d}"))
        .collect();
    docs.reverse();
    std::fs::write(&golden, docs.concat()).unwrap();
    let input = read("examples/backstage/helm3-input.yaml");
    let out = overhelm(&render_args(golden.to_str().unwrap()), &input);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), reviewed());
    std::fs::write(
        &golden,
        reviewed().replace("# field is broken in", "# field is broke in"),
    )
    .unwrap();
    let out = overhelm(&render_args(golden.to_str().unwrap()), &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("~ v1 Service backstage/backstage-postgresql-hl: text only"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreadable_golden_is_an_error() {
    let out = overhelm(
        &render_args("no/such/golden.yaml"),
        &read("examples/backstage/helm3-input.yaml"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("--expect no/such/golden.yaml: reading the reviewed output"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn drifted_expect_blocks_a_real_helm3_template() {
    let Some(helm3) = tool("helm3") else { return };
    let dir = tempfile::tempdir().unwrap();
    let golden = dir.path().join("golden.yaml");
    let overlay = root().join(OVERLAY);
    let run = || {
        let mut cmd = Command::new(&helm3);
        cmd.current_dir(root())
            .args(common::TEMPLATE_BACKSTAGE)
            .arg("--post-renderer")
            .arg(bin())
            .args(["--post-renderer-args", "render", "--post-renderer-args=-f"])
            .arg(format!("--post-renderer-args={}", overlay.display()))
            .arg(format!(
                "--post-renderer-args=--expect={}",
                golden.display()
            ))
            .env("OVERHELM_LOG", dir.path().join("error.log"))
            .env_remove("OVERHELM_OVERLAY");
        cmd.output().expect("helm3")
    };
    std::fs::write(&golden, reviewed()).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), reviewed());

    std::fs::write(
        &golden,
        reviewed().replace("dockerhub-proxy/bitnamilegacy", "dockerhub-proxy/bitnami"),
    )
    .unwrap();
    let out = run();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        !stdout(&out).contains("kind: Deployment"),
        "helm printed manifests: {}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("error while running post render"), "{err}");
    assert!(err.contains("~ spec.template.spec.containers[name=postgresql].image: harbor.10.0.0.200.nip.io/dockerhub-proxy/bitnami/postgresql:15.4.0-debian-11-r10 -> harbor.10.0.0.200.nip.io/dockerhub-proxy/bitnamilegacy/postgresql:15.4.0-debian-11-r10"), "{err}");
    let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap();
    assert!(
        log.contains("the rendered output differs from the reviewed file"),
        "{log}"
    );
}
