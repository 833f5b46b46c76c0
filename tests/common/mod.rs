//! Shared helpers for the integration tests: running the built binary, and finding the real
//! tools the end-to-end tests use (Helm 3 and 4, PostgreSQL, kubectl).
//!
//! `tools/test` installs the tools (into `target/tools`) before `cargo test`. A test that needs a
//! missing tool fails when `CI` is set and is skipped with a message otherwise.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built `overhelm` binary, or the one `OVERHELM_TEST_BIN` names (CI runs the end-to-end
/// tests again on the binary `tools/dist` builds to ship).
pub fn bin() -> PathBuf {
    std::env::var_os("OVERHELM_TEST_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_overhelm")),
        PathBuf::from,
    )
}

/// Runs overhelm with `args` and `stdin`, in the environment [`isolate`] sets.
pub fn overhelm(args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    isolate(&mut cmd);
    run_with_stdin(cmd, stdin)
}

/// No overlay from the environment, not run as a Helm plugin, and the error log kept out of the
/// home directory.
pub fn isolate(cmd: &mut Command) {
    cmd.env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .env(
            "OVERHELM_LOG",
            std::env::temp_dir().join("overhelm-tests-error.log"),
        );
}

/// Runs a prepared command with `stdin` and collects its output.
pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    cmd.current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("stdin writer");
    out
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file of the repository as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `helm template` of the bundled Backstage chart with the user's values, as release
/// `backstage` in namespace `backstage` (run from the repository root).
pub const TEMPLATE_BACKSTAGE: [&str; 7] = [
    "template",
    "backstage",
    "examples/charts/backstage",
    "-n",
    "backstage",
    "-f",
    "examples/backstage/values.yaml",
];

/// What `render` makes of the bundled Helm 3 Backstage input with the overlay file `overlay`
/// (release and namespace `backstage`); panics unless it succeeds.
pub fn render_backstage(overlay: &str) -> String {
    let out = overhelm(
        &[
            "render",
            "-f",
            overlay,
            "--release",
            "backstage",
            "-n",
            "backstage",
        ],
        &read("examples/backstage/helm3-input.yaml"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// Finds an external tool: `target/tools/<name>` (where `tools/test` installs them), else PATH.
/// Missing: panics under CI, else prints why the test is skipped and returns `None`.
pub fn tool(name: &str) -> Option<PathBuf> {
    let local = root().join("target/tools").join(name);
    if local.is_file() {
        return Some(local);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("{name} is required under CI; run tools/ensure-tools");
    }
    eprintln!("SKIPPED: {name} not found; run tools/ensure-tools (or tools/test) to install it");
    None
}

/// A private Helm environment in `dir` (plugins, cache, config, data), so that a Helm 4 plugin
/// never lands in the user's default plugin folder, where it breaks Helm 3.
pub fn helm_env(cmd: &mut Command, dir: &Path) {
    for (var, sub) in [
        ("HELM_PLUGINS", "plugins"),
        ("HELM_CACHE_HOME", "cache"),
        ("HELM_CONFIG_HOME", "config"),
        ("HELM_DATA_HOME", "data"),
    ] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).expect("helm dir");
        cmd.env(var, p);
    }
}
