//! Running `helm` as a child process for `template` and `argocd generate`: finding the binary,
//! handing it the compiled values in a private file, and shutting down cleanly on a signal.
//!
//! Argo CD ends a slow `generate` with SIGTERM to the process group and SIGKILL 5 s later, and a
//! person ends a slow `template` with Ctrl-C. Either way overhelm kills helm, removes its
//! temporary folder and exits with 128 + the signal number: the [`Guard`] turns the first
//! SIGTERM/SIGINT/SIGHUP into a flag that the wait loop polls; a second one exits at once.
//! No shell is ever involved: helm gets an argument vector.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The environment variable that names the helm binary (default: `helm` on PATH).
pub const HELM_ENV: &str = "OVERHELM_HELM";

/// How often the wait loop looks at the signal flag; short enough to feel immediate.
const POLL: Duration = Duration::from_millis(20);

/// helm ran and failed: its exit code is overhelm's, its message is in ours.
#[derive(Debug)]
pub struct HelmFailed {
    /// The exit code to forward (128 + signal when helm was killed by one).
    pub code: u8,
    /// helm's stderr, trimmed.
    pub stderr: String,
}

impl std::fmt::Display for HelmFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`helm template` failed (exit code {})", self.code)?;
        if !self.stderr.is_empty() {
            write!(f, ":\n{}", self.stderr)?;
        }
        Ok(())
    }
}

impl std::error::Error for HelmFailed {}

/// A termination signal arrived; helm was killed and the temporary files removed.
#[derive(Debug)]
pub struct Interrupted {
    /// The signal number.
    pub signal: i32,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped by signal {}; helm was killed and no temporary files are left",
            self.signal
        )
    }
}

impl std::error::Error for Interrupted {}

/// Catches termination signals for the life of a command (the handlers stay registered until
/// the process exits; overhelm runs one command per process).
#[derive(Debug, Clone)]
pub struct Guard {
    signal: Arc<AtomicUsize>,
}

impl Guard {
    /// Installs the handlers: the first signal sets the flag, a second one exits at once.
    pub fn install() -> anyhow::Result<Self> {
        let armed = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            // Registration order matters: the shutdown runs first, so it only fires when an
            // earlier signal has already armed it.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&armed))
                .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&armed)))
                .and_then(|_| {
                    signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)
                })
                .context("installing the signal handlers")?;
        }
        Ok(Guard { signal })
    }

    /// An error when a signal has arrived.
    pub fn check(&self) -> anyhow::Result<()> {
        match self.signal.load(Ordering::SeqCst) {
            0 => Ok(()),
            sig => Err(Interrupted {
                signal: i32::try_from(sig).unwrap_or(SIGTERM),
            }
            .into()),
        }
    }
}

/// The helm binary: `OVERHELM_HELM`, else `helm` (looked up on PATH).
pub fn helm_binary() -> OsString {
    std::env::var_os(HELM_ENV)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "helm".into())
}

/// A private folder (0700) holding the compiled values (0600); removed when dropped, which
/// happens on every return path, including errors and signals.
#[derive(Debug)]
pub struct ValuesFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl ValuesFile {
    /// Writes `values` (JSON, which is YAML, so no YAML 1.1 ambiguity) to a fresh private file.
    pub fn write(values: &serde_json::Value) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("overhelm-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .context("creating a private temporary folder for the compiled values (set TMPDIR to a writable folder)")?;
        let path = dir.path().join("values.json");
        let text = serde_json::to_string_pretty(values).context("writing the compiled values")?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(ValuesFile { dir, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The private folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Runs helm with `args`, returns its stdout. helm's stderr is passed on to ours when it
/// succeeds (warnings) and becomes part of the error when it fails.
pub fn run(args: &[OsString], guard: &Guard) -> anyhow::Result<String> {
    let helm = helm_binary();
    let mut child = Command::new(&helm)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(&helm, e))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait(&mut child, guard)?;
    let out = stdout.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    if !status.success() {
        return Err(HelmFailed {
            code: exit_code(status),
            stderr: err.trim().to_string(),
        }
        .into());
    }
    let _ = std::io::stderr().write_all(err.as_bytes());
    super::utf8_owned(out, "helm's output")
}

fn spawn_error(helm: &OsString, e: std::io::Error) -> anyhow::Error {
    let name = Path::new(helm).display().to_string();
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!(
            "cannot run helm: `{name}` not found; install Helm 3.8+ or 4 on PATH, or set {HELM_ENV} to its path"
        )
    } else {
        anyhow::anyhow!("cannot run helm (`{name}`): {e}")
    }
}

/// Reads a pipe to its end on a thread, so helm never blocks on a full pipe.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

/// Waits for helm, killing it when a signal arrives.
fn wait(child: &mut Child, guard: &Guard) -> anyhow::Result<ExitStatus> {
    loop {
        if let Err(stop) = guard.check() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(stop);
        }
        if let Some(status) = child.try_wait().context("waiting for helm")? {
            return Ok(status);
        }
        std::thread::sleep(POLL);
    }
}

/// helm's exit code, or 128 + the signal that killed it, as a shell reports it.
fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1).max(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_file_is_private_and_removed_on_drop() {
        let file = ValuesFile::write(&serde_json::json!({"a": {"b": "on"}})).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.dir()), 0o700);
        assert_eq!(mode(file.path()), 0o600);
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!({"a": {"b": "on"}})
        );
        let dir = file.dir().to_path_buf();
        drop(file);
        assert!(!dir.exists());
    }

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
    }

    #[test]
    fn helm_failure_message_carries_stderr() {
        let err = HelmFailed {
            code: 1,
            stderr: "Error: chart not found".into(),
        };
        assert_eq!(
            err.to_string(),
            "`helm template` failed (exit code 1):\nError: chart not found"
        );
    }
}
