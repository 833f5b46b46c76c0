//! The command line: the only file that knows clap.
//!
//! With no subcommand overhelm behaves as `render`, so `helm install --post-renderer overhelm`
//! works with no arguments (overlays then come from `OVERHELM_OVERLAY`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::steps::Context;
use crate::yaml::{Limits, MAX_DEPTH};

/// overhelm: a Helm post-renderer and values compiler.
#[derive(Debug, Parser)]
#[command(
    name = "overhelm",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; `render` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `render`'s options, when no subcommand is given.
    #[command(flatten)]
    pub render: RenderArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Post-render: manifest stream on stdin, edited stream on stdout.
    #[command(alias = "post-render")]
    Render(RenderArgs),
    /// Compile the overlay's `values:` section into chart values.
    Values(ValuesArgs),
    /// Run golden cases; exit 1 on drift.
    Check(CheckArgs),
    /// Structural diff of two manifest streams; exit 1 when they differ.
    Diff(DiffArgs),
    /// Run `helm template` with the compiled values and post-render in-process.
    Template(TemplateArgs),
    /// Argo CD config-management plugin commands.
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// Print the release's resource table (requests, limits, budget) without failing, for sizing.
    Budget(BudgetArgs),
}

/// Argo CD CMP commands.
#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// The CMP `generate` entry point (reads `ARGOCD_*` and `PARAM_*`).
    Generate(GenerateArgs),
}

/// Overlay files.
#[derive(Debug, Clone, Default, Args)]
pub struct OverlayArgs {
    /// An overlay file; several are layered in order (later wins). Default: `OVERHELM_OVERLAY`
    /// (`:`-separated).
    #[arg(long = "overlay", short = 'f', value_name = "FILE")]
    pub overlays: Vec<PathBuf>,
}

/// The release a stream belongs to (`helm ... --post-renderer-args`).
#[derive(Debug, Clone, Default, Args)]
pub struct ReleaseArgs {
    /// The Helm release name.
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
    /// The release namespace.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
}

impl ReleaseArgs {
    /// What the steps know of the release.
    pub fn context(&self) -> Context {
        Context {
            release: self.release.clone(),
            namespace: self.namespace.clone(),
        }
    }
}

/// Bounds on what one input document may cost.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest document, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_document_bytes)]
    pub max_document_bytes: usize,
    /// Deepest nesting in a document (at most 10000, the bound of the YAML reader Helm and Kubernetes use).
    #[arg(long, value_name = "LEVELS", default_value_t = Limits::default().max_depth, value_parser = max_depth)]
    pub max_depth: usize,
    /// Most YAML nodes in a document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_nodes)]
    pub max_nodes: usize,
    /// Most alias uses (`*name`) in a document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_aliases)]
    pub max_aliases: usize,
}

/// `--max-depth`: bounded, because deeper documents need more stack than overhelm reserves.
fn max_depth(text: &str) -> Result<usize, String> {
    let depth: usize = text.parse().map_err(|e| format!("{e}"))?;
    if depth > MAX_DEPTH {
        return Err(format!(
            "at most {MAX_DEPTH} (the YAML reader of Helm and Kubernetes refuses deeper documents too)"
        ));
    }
    Ok(depth)
}

impl Default for LimitArgs {
    /// The options' defaults, as clap gives them.
    fn default() -> Self {
        let limits = Limits::default();
        LimitArgs {
            max_document_bytes: limits.max_document_bytes,
            max_depth: limits.max_depth,
            max_nodes: limits.max_nodes,
            max_aliases: limits.max_aliases,
        }
    }
}

impl LimitArgs {
    /// The limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_document_bytes: self.max_document_bytes,
            max_depth: self.max_depth,
            max_nodes: self.max_nodes,
            max_aliases: self.max_aliases,
        }
    }
}

/// `render`'s options.
#[derive(Debug, Clone, Default, Args)]
pub struct RenderArgs {
    /// Overlays.
    #[command(flatten)]
    pub overlay: OverlayArgs,
    /// The release.
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Fail (exit 1, nothing on stdout) when the output differs from this reviewed file.
    #[arg(long, value_name = "GOLDEN")]
    pub expect: Option<PathBuf>,
    /// Report what each step did: to stderr, or to FILE.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub report: Option<PathBuf>,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `values`' options.
#[derive(Debug, Clone, Args)]
pub struct ValuesArgs {
    /// Overlays.
    #[command(flatten)]
    pub overlay: OverlayArgs,
    /// Validate the result against the chart's values.schema.json.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Check the local catalog-info files the catalog locations point at.
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Write the values here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `check`'s options.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Case folders; default: every case under `golden/`.
    #[arg(value_name = "CASE_DIR")]
    pub cases: Vec<PathBuf>,
    /// Rewrite expected files (refused when `CI` is set).
    #[arg(long)]
    pub update: bool,
    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
}

/// `diff`'s options.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The old stream (`-` for stdin).
    pub old: PathBuf,
    /// The new stream (`-` for stdin).
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: String,
}

/// `template`'s options.
#[derive(Debug, Clone, Args)]
pub struct TemplateArgs {
    /// Overlays.
    #[command(flatten)]
    pub overlay: OverlayArgs,
    /// The chart (directory, archive or reference helm understands).
    pub chart: String,
    /// The release.
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Report what each step did: to stderr, or to FILE.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub report: Option<PathBuf>,
    /// Arguments passed to `helm template` as they are (after `--`).
    #[arg(last = true, value_name = "HELM_ARGS")]
    pub helm_args: Vec<String>,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `budget`'s options: the manifest stream comes on stdin, as for `render`.
#[derive(Debug, Clone, Args)]
pub struct BudgetArgs {
    /// Overlays.
    #[command(flatten)]
    pub overlay: OverlayArgs,
    /// The release.
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `argocd generate`'s options.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Parses the process arguments (exits with clap's message and code 2 on bad usage).
pub fn parse() -> Cli {
    post_renderer(std::env::args_os().skip(1)).unwrap_or_else(Cli::parse)
}

/// The command lines Helm and Argo CD run the post-renderer with, read without clap: `render`
/// (or `post-render`, or nothing) and then only overlays, a release and a namespace, each as
/// `FLAG VALUE`. Building clap's parser, every subcommand and option of it, was two fifths of the
/// instructions of a render of an empty stream and 0.14 of its 0.89 ms (README, Performance),
/// paid on every `helm install` and every Argo CD refresh. Any other command line is clap's
/// (`None`): `--help`, `--flag=VALUE`, any other option, a value that is empty, not UTF-8 or
/// starts with `-`, a release or namespace given twice. A test holds the result equal to clap's
/// on every command line this reads.
fn post_renderer(args: impl IntoIterator<Item = OsString>) -> Option<Cli> {
    let mut args = args.into_iter().peekable();
    let named = matches!(
        args.peek().and_then(|arg| arg.to_str()),
        Some("render" | "post-render")
    );
    if named {
        args.next();
    }
    let mut render = RenderArgs::default();
    while let Some(flag) = args.next() {
        let value = args.next()?.into_string().ok()?;
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        let release = &mut render.release;
        match flag.to_str()? {
            "-f" | "--overlay" => render.overlay.overlays.push(value.into()),
            "--release" if release.release.is_none() => release.release = Some(value),
            "-n" | "--namespace" if release.namespace.is_none() => release.namespace = Some(value),
            _ => return None,
        }
    }
    Some(if named {
        Cli {
            command: Some(Command::Render(render)),
            render: RenderArgs::default(),
        }
    } else {
        Cli {
            command: None,
            render,
        }
    })
}

impl Cli {
    /// The deepest nesting the command accepts in a document (`--max-depth`, or the default for
    /// commands without it): what the stack it runs on must hold ([`crate::stack`]).
    pub fn max_depth(&self) -> usize {
        match &self.command {
            None => self.render.limits.max_depth,
            Some(Command::Render(args)) => args.limits.max_depth,
            Some(Command::Template(args)) => args.limits.max_depth,
            Some(Command::Budget(args)) => args.limits.max_depth,
            Some(Command::Argocd(ArgocdCommand::Generate(args))) => args.limits.max_depth,
            Some(Command::Check(_) | Command::Diff(_) | Command::Values(_)) => {
                Limits::default().max_depth
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `args` without clap; when that reads them, clap must read the same (its `Debug`).
    /// True when read without clap.
    fn alike(args: &[&str]) -> bool {
        let Some(quick) = post_renderer(args.iter().map(OsString::from)) else {
            return false;
        };
        let clap = Cli::try_parse_from(std::iter::once("overhelm").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: read without clap, refused by clap: {e}"));
        assert_eq!(format!("{quick:?}"), format!("{clap:?}"), "{args:?}");
        true
    }

    /// Every command line of `tokens` of at most `len` arguments; how many were read without
    /// clap.
    fn every_line(tokens: &[&'static str], len: usize) -> usize {
        let mut read = 0;
        let mut lines: Vec<Vec<&str>> = vec![Vec::new()];
        for _ in 0..=len {
            let mut longer = Vec::new();
            for line in lines {
                read += usize::from(alike(&line));
                if line.len() < len {
                    longer.extend(tokens.iter().map(|t| [line.as_slice(), &[*t]].concat()));
                }
            }
            lines = longer;
        }
        read
    }

    #[test]
    fn command_lines_read_without_clap_read_as_clap_reads_them() {
        let tokens = [
            "render",
            "post-render",
            "values",
            "-f",
            "--overlay",
            "--release",
            "-n",
            "--namespace",
            "--report",
            "--max-depth",
            "--help",
            "--overlay=o.yaml",
            "-fo.yaml",
            "--",
            "o.yaml",
            "5",
            "-",
            "",
            "-x",
        ];
        let read = every_line(&tokens, 4);
        assert!(
            read > 100,
            "only {read} command lines were read without clap"
        );
        // Longer lines of the forms the post-renderer is run with.
        let read = every_line(
            &["render", "-f", "--namespace", "--release", "a.yaml", "b"],
            6,
        );
        assert!(
            read > 100,
            "only {read} command lines were read without clap"
        );
    }

    #[test]
    fn the_post_renderer_s_command_lines_are_read_without_clap() {
        for line in [
            &[][..],
            &["render"],
            &["post-render", "-f", "a.yaml"],
            &["-f", "a.yaml", "--overlay", "b.yaml"],
            &["render", "-f", "a.yaml", "--release", "web", "-n", "apps"],
            &["--namespace", "apps", "--release", "web"],
        ] {
            assert!(alike(line), "{line:?}");
        }
        for line in [
            &["render", "--help"][..],
            &["--version"],
            &["render", "-f"],
            &["render", "-f", ""],
            &["render", "-f", "-"],
            &["render", "--overlay=a.yaml"],
            &["render", "--release", "a", "--release", "b"],
            &["render", "-f", "a.yaml", "--report"],
            &["values", "-f", "a.yaml"],
            &["-f", "a.yaml", "render"],
        ] {
            assert!(!alike(line), "{line:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_utf8_is_left_to_clap() {
        use std::os::unix::ffi::OsStringExt as _;
        let args = vec![OsString::from("-f"), OsString::from_vec(vec![0xff, b'a'])];
        assert!(post_renderer(args).is_none());
    }
}
