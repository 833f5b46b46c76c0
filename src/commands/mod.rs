//! The subcommands: each file reads its inputs, calls the library and writes the results.
//!
//! This is the only layer that touches stdin, stdout, files, the environment and the clock, and
//! the only one that uses `anyhow`. Errors leave through [`report_error`], which also makes them
//! visible where Helm 4 hides a plugin's stderr.

pub mod argocd;
pub mod budget;
pub mod check;
pub mod diff;
pub mod feed;
pub mod helm;
pub mod input;
pub mod render;
pub mod template;
pub mod values;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
pub use input::{read_input, stdin_file_len, utf8, utf8_owned};

/// How a successful command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (exit 0).
    Success,
    /// Golden drift or a difference found (exit 1).
    Drift,
}

/// Runs the command the arguments name.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        None => render::run(&cli.render),
        Some(Command::Render(args)) => render::run(&args),
        Some(Command::Template(args)) => template::run(&args),
        Some(Command::Argocd(command)) => argocd::run(&command),
        Some(Command::Budget(args)) => budget::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Diff(args)) => diff::run(&args),
        Some(Command::Values(args)) => values::run(&args),
    }
}

/// Prints the steps' warnings on stderr, one `overhelm: warning: ...` line each, on every run
/// (not only with `--report`); stdout is left alone.
pub fn print_warnings(reports: &[crate::steps::Report]) {
    print_warning_lines(reports.iter().flat_map(|r| &r.warnings));
}

/// Prints warnings on stderr, one `overhelm: warning: ...` line each.
pub fn print_warning_lines<'w>(warnings: impl IntoIterator<Item = &'w String>) {
    let mut err = std::io::stderr().lock();
    for warning in warnings {
        let _ = writeln!(err, "overhelm: warning: {warning}");
    }
}

/// True when the error is only a closed stdout (`overhelm ... | head`): not worth a message.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<crate::Error>().is_some_and(|e| {
                matches!(e, crate::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

/// The exit code for an error: helm's own when `helm template` failed, 128 + the signal when
/// one stopped overhelm, else 2.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(failed) = err.downcast_ref::<helm::HelmFailed>() {
        return failed.code;
    }
    if let Some(stop) = err.downcast_ref::<helm::Interrupted>() {
        return u8::try_from(128 + stop.signal).unwrap_or(2);
    }
    2
}

/// Writes an error where a person will see it: stderr (Helm 3 and Argo CD show it), the log file
/// (see [`log_path`]), and, when running as a Helm 4 plugin, which discards stderr, the terminal.
pub fn report_error(err: &anyhow::Error) {
    let message = format!("overhelm: error: {}\n", chain_text(err));
    let _ = std::io::stderr().write_all(message.as_bytes());
    if let Some(path) = log_path() {
        append_log(&path, &message);
    }
    if std::env::var_os("HELM_PLUGIN_NAME").is_some() {
        if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = tty.write_all(message.as_bytes());
        }
    }
}

/// The error and its causes, `: `-separated; a cause that its parent's message already ends with
/// (an I/O error quoted by its context) is not repeated.
fn chain_text(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Where errors are logged: `OVERHELM_LOG`, else `$XDG_STATE_HOME/overhelm/error.log`, else
/// `~/.local/state/overhelm/error.log`.
pub fn log_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OVERHELM_LOG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|p| !p.is_empty())
                .map(|h| Path::new(&h).join(".local/state"))
        })?;
    Some(state.join("overhelm").join("error.log"))
}

/// Appends one error to the log, starting the log afresh once it passes 1 MiB.
fn append_log(path: &Path, message: &str) {
    let mut dir = std::fs::DirBuilder::new();
    let mut options = std::fs::OpenOptions::new();
    // The log names documents and overlay keys, never Secret values; private all the same.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
        dir.mode(0o700);
        options.mode(0o600);
    }
    if let Some(parent) = path.parent() {
        let _ = dir.recursive(true).create(parent);
    }
    let too_big = std::fs::metadata(path)
        .map(|m| m.len() > 1 << 20)
        .unwrap_or(false);
    let file = options
        .create(true)
        .append(!too_big)
        .write(true)
        .truncate(too_big)
        .open(path);
    if let Ok(mut file) = file {
        let when = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let args: Vec<String> = std::env::args().collect();
        let _ = write!(file, "[unix time {when}] {}\n{message}", args.join(" "));
    }
}

/// The overlay files a command reads: `--overlay`, else `OVERHELM_OVERLAY` (`:`-separated).
pub fn overlay_files(args: &crate::cli::OverlayArgs) -> Vec<PathBuf> {
    let env = std::env::var(crate::overlay::OVERLAY_ENV).ok();
    crate::overlay::Overlay::files_from(&args.overlays, env.as_deref())
}

/// How errors name the manifest stream read from stdin.
pub const STDIN_STREAM: &str = "the manifest stream on stdin";

/// Asks for a 1 MiB buffer on a pipe (Linux's default is 64 KiB): fewer, larger reads and
/// writes, and fewer switches between overhelm and the process at the other end (a quarter of
/// the time through pipes at 50 MB). Best effort: the system may allow less
/// (`/proc/sys/fs/pipe-max-size`, 1 MiB by default), and other systems keep their own.
pub fn widen_pipe(pipe: impl std::os::fd::AsFd) {
    #[cfg(target_os = "linux")]
    let _ = rustix::pipe::fcntl_setpipe_size(pipe, 1 << 20);
    #[cfg(not(target_os = "linux"))]
    let _ = pipe;
}

/// Writes the whole output to stdout in one go.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    widen_pipe(std::io::stdout());
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
