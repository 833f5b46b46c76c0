//! Helpers for the Helm 3 / Helm 4 / Argo CD end-to-end tests: reading a rendered stream into
//! objects, a PATH folder with `overhelm` (and a chosen `helm`), private Helm homes.
#![allow(dead_code)]

pub mod fake_api;
pub mod sidecar;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

/// The demo chart: hook, test hook, subchart, CRD, Secret.
pub fn demo_chart() -> PathBuf {
    common::root().join("tests/charts/demo")
}

/// The demo chart's overlay.
pub fn demo_overlay() -> PathBuf {
    common::root().join("tests/fixtures/integrations/demo-overlay.yaml")
}

/// One object of a rendered stream, with the template it came from.
#[derive(Debug, Clone)]
pub struct Object {
    /// The object.
    pub value: Value,
    /// The `# Source:` line's path.
    pub source: Option<String>,
}

impl Object {
    /// `Kind/namespace/name`.
    pub fn id(&self) -> String {
        let s = |p: &str| self.value.pointer(p).and_then(Value::as_str).unwrap_or("");
        format!(
            "{}/{}/{}",
            s("/kind"),
            s("/metadata/namespace"),
            s("/metadata/name")
        )
    }

    /// True for a Helm hook (tests included).
    pub fn is_hook(&self) -> bool {
        self.value
            .pointer("/metadata/annotations/helm.sh~1hook")
            .is_some()
    }

    /// Every container image, in document order.
    pub fn images(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_images(&self.value, &mut out);
        out
    }
}

fn collect_images(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("image", Value::String(s)) => out.push(s.clone()),
                    _ => collect_images(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_images(i, out)),
        _ => {}
    }
}

/// The objects of a stream, in order (empty and comment-only documents skipped).
pub fn objects(text: &str) -> Vec<Object> {
    let limits = overhelm::yaml::Limits::default();
    let mut out = Vec::new();
    for chunk in overhelm::stream::split(text) {
        let source = chunk
            .body
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(str::to_string);
        let values = overhelm::yaml::parse(chunk.body, &limits)
            .unwrap_or_else(|e| panic!("invalid YAML in output: {e}\n{}", chunk.body));
        for value in values.into_iter().filter(|v| !v.is_null()) {
            out.push(Object {
                value,
                source: source.clone(),
            });
        }
    }
    out
}

/// Objects by id (ids are unique in the demo and Backstage charts).
pub fn by_id(objects: &[Object]) -> BTreeMap<String, Object> {
    let map: BTreeMap<String, Object> = objects.iter().map(|o| (o.id(), o.clone())).collect();
    assert_eq!(map.len(), objects.len(), "duplicate ids in output");
    map
}

/// A folder for PATH with `overhelm` and, when given, `helm` pointing at a real Helm.
pub fn bin_dir(dir: &Path, helm: Option<&Path>) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    symlink(common::bin(), bin.join("overhelm")).expect("overhelm link");
    if let Some(helm) = helm {
        symlink(helm, bin.join("helm")).expect("helm link");
    }
    bin
}

/// A temporary folder under `target/tmp` (inside the repository, so kustomize may load from it).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("e2e-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir")
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        common::stdout(&out),
        common::stderr(&out),
    )
}

/// A Helm command with private homes in `dir`, `bin` first on PATH, and no overlay or plugin
/// name inherited from the test's own environment.
pub fn helm(helm: &Path, dir: &Path, bin: &Path) -> Command {
    let mut cmd = Command::new(helm);
    common::helm_env(&mut cmd, dir);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .env("OVERHELM_LOG", dir.join("error.log"))
        .current_dir(common::root());
    cmd
}

/// Every image of the Backstage release comes through minicloud's Harbor.
pub fn assert_backstage_through_harbor(out: &str) {
    let objects = objects(out);
    let map = by_id(&objects);
    for id in [
        "Deployment/backstage/backstage",
        "StatefulSet/backstage/backstage-postgresql",
        "Service/backstage/backstage",
        "ConfigMap/backstage/backstage-app-config",
    ] {
        assert!(map.contains_key(id), "{id} missing: {:?}", map.keys());
    }
    let images: Vec<String> = objects.iter().flat_map(Object::images).collect();
    assert!(!images.is_empty());
    for image in &images {
        assert!(
            image.starts_with("harbor.10.0.0.200.nip.io/"),
            "{image} not through Harbor"
        );
    }
    assert!(
        images
            .iter()
            .any(|i| i.contains("/ghcr-proxy/backstage/backstage"))
    );
}

/// The child processes of `pid` (every thread's children).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out
}

/// Waits up to `secs` for a condition, polling.
pub fn wait_until(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    done()
}

/// True when the process no longer runs (gone, or a zombie waiting to be reaped).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Sends `signal` (e.g. `TERM`) to one process with kill(1).
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// A named pipe: helm blocks opening it as a values file until someone writes to it, which
/// holds a real helm mid-run for the signal tests.
pub fn fifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The entries of a folder, as names.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `name` resolved on the test's own PATH (a command whose environment is cleared would look
/// it up on the child's PATH).
pub fn which(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found on PATH"))
}

/// A `helm` that records what overhelm hands it, then runs the real `helm`: its arguments
/// (each followed by a NUL, in `<record>.args`) and, for the compiled values file
/// (`--values=.../overhelm-*/values.json`), `mode uid path` of its folder and of the file while
/// helm runs (`<record>.modes`). `record` comes from `OVERHELM_TEST_RECORD` in helm's
/// environment, so one wrapper serves any user. The folder is made readable for the sidecar
/// user.
pub fn recording_helm(real: &Path) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = dir.path().join("helm");
    let stat = which("stat");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\0' \"$@\" >> \"$OVERHELM_TEST_RECORD.args\"\nfor a in \"$@\"; do\n  case \"$a\" in\n    --values=*/overhelm-*/values.json) f=\"${{a#--values=}}\"; {stat} -c '%a %u %n' \"${{f%/*}}\" \"$f\" >> \"$OVERHELM_TEST_RECORD.modes\" ;;\n  esac\ndone\nexec {real} \"$@\"\n",
            stat = stat.display(),
            real = real.display()
        ),
    )
    .expect("write the helm wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, script)
}

/// `cmd` run with umask 0, so that only modes overhelm sets explicitly keep files private.
pub fn with_umask_0(cmd: &Command) -> Command {
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", "umask 0; exec \"$@\"", "sh"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            sh.env(key, value);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    sh
}
