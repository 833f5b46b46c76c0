//! The only temporary files overhelm writes: the values an overlay's `values:` compiles to, for
//! `helm template` in `overhelm template` and `argocd generate`. While helm runs they are a 0600
//! file in a 0700 folder owned by the user (checked by a `helm` that looks before it runs the
//! real one, under umask 0 so that nothing but overhelm's own modes keeps them private), and
//! they are gone on every exit path: success, helm failing, the render failing, SIGTERM.
//! (`template_cli.rs` covers SIGTERM for `template`.)

mod common;
mod e2e;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use e2e::sidecar::{Sidecar, chown, is_root};

const UID_SIDECAR: u32 = 999;

fn minicloud() -> String {
    common::read("overlays/minicloud/backstage.yaml")
}

/// The overlay with a tls backend that does not exist: helm succeeds, the render fails.
fn failing_render() -> String {
    minicloud().replace("    service: backstage\n", "    service: nosuch\n")
}

/// Asserts what the recording helm saw: a 0700 folder and a 0600 file owned by `uid` under
/// `tmp`; and that neither is left.
fn assert_private_then_gone(case: &str, record: &Path, tmp: &Path, uid: u32) {
    let modes = std::fs::read_to_string(record.with_extension("modes"))
        .unwrap_or_else(|e| panic!("{case}: helm saw no compiled values: {e}"));
    let lines: Vec<&str> = modes.lines().collect();
    assert_eq!(lines.len(), 2, "{case}: {modes}");
    let seen: Vec<(String, String, PathBuf)> = lines
        .iter()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let mode = parts.next().expect("mode").to_string();
            let owner = parts.next().expect("uid").to_string();
            (mode, owner, PathBuf::from(parts.next().expect("path")))
        })
        .collect();
    assert_eq!(
        (seen[0].0.as_str(), seen[1].0.as_str()),
        ("700", "600"),
        "{case}: {modes}"
    );
    for (_, owner, path) in &seen {
        assert_eq!(owner, &uid.to_string(), "{case}: {modes}");
        assert!(
            path.starts_with(tmp),
            "{case}: {} is not under TMPDIR",
            path.display()
        );
        assert!(!path.exists(), "{case}: {} is left", path.display());
    }
    let left: Vec<String> = e2e::entries(tmp)
        .into_iter()
        .filter(|e| e.starts_with("overhelm-"))
        .collect();
    assert!(left.is_empty(), "{case}: temporary files left: {left:?}");
}

#[test]
fn template_keeps_the_values_private_and_removes_them_on_every_exit() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let (_wrapper_dir, helm) = e2e::recording_helm(&helm3);
    let root = common::root();
    let path = |p: &str| root.join(p).display().to_string();
    let cases = [
        ("success", minicloud(), "--values", 0),
        ("helm fails", minicloud(), "--values=broken", 1),
        ("render fails", failing_render(), "--values", 2),
    ];
    for (case, overlay_text, values_arg, want) in cases {
        let dir = e2e::tempdir();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("tmp");
        let overlay = dir.path().join("overlay.yaml");
        std::fs::write(&overlay, overlay_text).expect("overlay");
        let broken = dir.path().join("broken.yaml");
        std::fs::write(&broken, "replicas: [\n").expect("broken values");
        let values = if values_arg == "--values" {
            format!("--values={}", path("examples/backstage/values.yaml"))
        } else {
            format!("--values={}", broken.display())
        };
        let record = dir.path().join("record");
        let mut cmd = Command::new(common::bin());
        cmd.arg("template")
            .args([
                "-f",
                &overlay.display().to_string(),
                &path("examples/charts/backstage"),
            ])
            .args(["--release", "backstage", "-n", "backstage", "--", &values])
            .env("OVERHELM_HELM", &helm)
            .env("TMPDIR", &tmp)
            .env("OVERHELM_LOG", dir.path().join("error.log"))
            .env("OVERHELM_TEST_RECORD", &record)
            .stdin(Stdio::null());
        common::helm_env(&mut cmd, dir.path());
        let (code, out, err) = e2e::run(e2e::with_umask_0(&cmd));
        assert_eq!(code, want, "{case}: {err}");
        assert_eq!(out.is_empty(), want != 0, "{case}");
        assert_private_then_gone(case, &record, &tmp, own_uid());
    }
}

fn own_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .expect("/proc/self")
}

/// The sidecar's uid, the values file's owner (the tests may run unprivileged).
fn sidecar_uid() -> u32 {
    if is_root() { UID_SIDECAR } else { own_uid() }
}

/// A sidecar with the recording helm and a Backstage app whose `overhelm.yaml` is `overlay`.
fn backstage_app(helm: &Path, overlay: &str) -> (Sidecar, PathBuf, PathBuf) {
    let sidecar = Sidecar::new(Some(helm));
    let app = sidecar.app(
        "backstage",
        &common::root().join("examples/charts/backstage"),
        &[
            ("overhelm.yaml", overlay),
            (
                "values-minicloud.yaml",
                &common::read("examples/backstage/values.yaml"),
            ),
            ("broken.yaml", "replicas: [\n"),
        ],
    );
    let record = sidecar.tmp().join("record");
    (sidecar, app, record)
}

fn params(file: &str) -> String {
    format!(r#"[{{"array":["{file}"],"name":"values-files"}}]"#)
}

#[test]
fn argocd_generate_keeps_the_values_private_and_removes_them_on_every_exit() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let (_wrapper_dir, helm) = e2e::recording_helm(&helm3);
    let cases = [
        ("success", minicloud(), "values-minicloud.yaml", 0),
        ("helm fails", minicloud(), "broken.yaml", 1),
        ("render fails", failing_render(), "values-minicloud.yaml", 2),
    ];
    for (case, overlay, values, want) in cases {
        let (sidecar, app, record) = backstage_app(&helm, &overlay);
        let record_text = record.display().to_string();
        let params = params(values);
        let cmd = sidecar.generate(
            &app,
            &[
                ("ARGOCD_APP_NAME", "backstage"),
                ("ARGOCD_APP_NAMESPACE", "backstage"),
                ("ARGOCD_APP_PARAMETERS", &params),
                ("OVERHELM_TEST_RECORD", &record_text),
            ],
        );
        let (code, out, err) = e2e::run(e2e::with_umask_0(&cmd));
        assert_eq!(code, want, "{case}: {err}");
        assert_eq!(out.is_empty(), want != 0, "{case}");
        assert_private_then_gone(case, &record, &sidecar.tmp(), sidecar_uid());
    }
}

#[test]
fn argocd_generate_removes_the_values_on_sigterm() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let (_wrapper_dir, helm) = e2e::recording_helm(&helm3);
    let (sidecar, app, record) = backstage_app(&helm, &minicloud());
    // helm blocks opening a named pipe as a values file: overhelm is mid-run, values written.
    e2e::fifo(&app.join("slow.yaml"));
    chown(&app.join("slow.yaml"));
    let record_text = record.display().to_string();
    let params = params("slow.yaml");
    let mut cmd = e2e::with_umask_0(&sidecar.generate(
        &app,
        &[
            ("ARGOCD_APP_NAME", "backstage"),
            ("ARGOCD_APP_PARAMETERS", &params),
            ("OVERHELM_TEST_RECORD", &record_text),
        ],
    ));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    // sh and setpriv exec overhelm, so the child's pid is overhelm's.
    let pid = child.id();
    let mut helm_pid = None;
    e2e::wait_until(10, || {
        helm_pid = e2e::children(pid).first().copied();
        helm_pid.is_some() && record.with_extension("modes").exists()
            || matches!(child.try_wait(), Ok(Some(_)))
    });
    let Some(helm_pid) = helm_pid else {
        let out = child.wait_with_output().expect("wait");
        panic!("helm never started: {}", common::stderr(&out));
    };
    // While helm runs, the folder is there and private.
    let private: Vec<String> = e2e::entries(&sidecar.tmp())
        .into_iter()
        .filter(|e| e.starts_with("overhelm-"))
        .collect();
    assert_eq!(private.len(), 1, "{private:?}");
    e2e::send_signal(pid, "TERM");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(143), "{}", common::stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        e2e::wait_until(3, || e2e::process_gone(helm_pid)),
        "helm still runs"
    );
    assert_private_then_gone("SIGTERM", &record, &sidecar.tmp(), sidecar_uid());
}
