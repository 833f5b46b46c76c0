//! The command line: the only file that knows clap.
//!
//! With no subcommand overhelm behaves as `render`, so `helm install --post-renderer overhelm`
//! works with no arguments (overlays then come from `OVERHELM_OVERLAY`).

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
#[derive(Debug, Clone, Args)]
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
#[derive(Debug, Clone, Args)]
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
    Cli::parse()
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
