//! An Argo CD repo-server sidecar for `overhelm argocd generate`: the CMP server's fresh copy
//! of the app (files 0644, folders 0755, owned by the sidecar user), uid 999 with `HOME=/`,
//! `HELM_*_HOME` and `TMPDIR` under a private /tmp, and exactly the request variables the
//! server sets.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{bin_dir, tempdir, which};

/// The sidecar's user.
pub const UID: u32 = 999;

const API_VERSIONS: &str = "admissionregistration.k8s.io/v1,apiextensions.k8s.io/v1,apps/v1,apps/v1/Deployment,batch/v1,cert-manager.io/v1,networking.k8s.io/v1,policy/v1,rbac.authorization.k8s.io/v1,storage.k8s.io/v1,v1";

/// True when the tests run as root (then the sidecar runs as uid 999).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A sidecar: its /tmp, its PATH folder (overhelm and, when given, helm).
pub struct Sidecar {
    /// The sidecar's root: `tmp/` (its TMPDIR and Helm homes), `repo/` (the apps), `bin/`.
    pub dir: tempfile::TempDir,
    /// Its PATH folder.
    pub bin: PathBuf,
}

impl Sidecar {
    /// A fresh sidecar, with `helm` as its `helm` when given.
    pub fn new(helm: Option<&Path>) -> Self {
        let dir = tempdir();
        let bin = bin_dir(dir.path(), helm);
        for sub in ["tmp", "repo"] {
            std::fs::create_dir(dir.path().join(sub)).expect("sidecar setup");
        }
        chmod(dir.path(), 0o755);
        chmod(&bin, 0o755);
        chmod(&dir.path().join("repo"), 0o755);
        chown(&dir.path().join("tmp"));
        Sidecar { dir, bin }
    }

    /// Its /tmp: `TMPDIR` and the Helm homes.
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Copies `chart` into the repository as the app `name`, as the CMP server extracts it.
    pub fn app(&self, name: &str, chart: &Path, files: &[(&str, &str)]) -> PathBuf {
        let app = self.dir.path().join("repo").join(name);
        copy_tree(chart, &app);
        for (file, text) in files {
            std::fs::write(app.join(file), text).expect("sidecar setup");
            chmod(&app.join(file), 0o644);
            chown(&app.join(file));
        }
        app
    }

    /// The generate command with the CMP server's environment plus `env`.
    pub fn generate(&self, app: &Path, env: &[(&str, &str)]) -> Command {
        let mut cmd = if is_root() {
            let mut c = Command::new(which("setpriv"));
            c.args([
                &format!("--reuid={UID}"),
                &format!("--regid={UID}"),
                "--clear-groups",
                "--",
            ]);
            c
        } else {
            Command::new(which("env"))
        };
        cmd.arg(self.bin.join("overhelm"))
            .args(["argocd", "generate"])
            .env_clear()
            .current_dir(app)
            .stdin(Stdio::null());
        let tmp = self.tmp();
        let sidecar = [
            ("PATH", self.bin.display().to_string()),
            ("HOME", "/".to_string()),
            (
                "HELM_CACHE_HOME",
                tmp.join("helm/cache").display().to_string(),
            ),
            (
                "HELM_CONFIG_HOME",
                tmp.join("helm/config").display().to_string(),
            ),
            (
                "HELM_DATA_HOME",
                tmp.join("helm/data").display().to_string(),
            ),
            ("TMPDIR", tmp.display().to_string()),
        ];
        cmd.envs(sidecar);
        let request = [
            ("ARGOCD_APP_NAME", "demo"),
            ("ARGOCD_APP_NAMESPACE", "apps"),
            ("ARGOCD_APP_PROJECT_NAME", "default"),
            (
                "ARGOCD_APP_REVISION",
                "4b2f1c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
            ),
            ("ARGOCD_APP_REVISION_SHORT", "4b2f1c0"),
            ("ARGOCD_APP_REVISION_SHORT_8", "4b2f1c0e"),
            (
                "ARGOCD_APP_SOURCE_REPO_URL",
                "https://git.example.test/platform/apps.git",
            ),
            ("ARGOCD_APP_SOURCE_PATH", "demo"),
            ("ARGOCD_APP_SOURCE_TARGET_REVISION", "main"),
            ("KUBE_VERSION", "1.30.0"),
            ("KUBE_API_VERSIONS", API_VERSIONS),
        ];
        cmd.envs(request);
        cmd.envs(env.iter().copied());
        cmd
    }
}

/// Sets a file's mode.
pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("sidecar setup");
}

/// Gives a file to the sidecar user (when the tests run as root).
pub fn chown(path: &Path) {
    if is_root() {
        std::os::unix::fs::chown(path, Some(UID), Some(UID)).expect("sidecar setup");
    }
}

/// Copies a folder with the modes the CMP server gives: 0755 folders, 0644 files.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("sidecar setup");
    chmod(to, 0o755);
    chown(to);
    for entry in std::fs::read_dir(from).expect("sidecar setup").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("sidecar setup").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("sidecar setup");
            chmod(&target, 0o644);
            chown(&target);
        }
    }
}
