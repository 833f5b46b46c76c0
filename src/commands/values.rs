//! `overhelm values`: compiles the overlay's `values:` section into the chart's values, checks
//! them (chart schema, catalog files) when asked, and writes them to stdout or `-o FILE`.
//! All or nothing: any error writes no values. Warnings go to stderr.

use anyhow::Context as _;

use super::{Outcome, write_stdout};
use crate::cli::ValuesArgs;
use crate::overlay::{OVERLAY_ENV, Overlay};
use crate::values::{catalog, compile_overlay, schema::Schema};
use crate::yaml;

/// Runs `values`.
pub fn run(args: &ValuesArgs) -> anyhow::Result<Outcome> {
    let files = super::overlay_files(&args.overlay);
    if files.is_empty() {
        anyhow::bail!(
            "no overlay: give --overlay FILE (or set {OVERLAY_ENV}) with a `values:` section"
        );
    }
    let overlay = Overlay::load(&files)?;
    let compiled = compile_overlay(&overlay)?;
    if let Some(path) = &args.schema {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the chart schema {}", path.display()))?;
        Schema::compile(&text, &path.display().to_string())?.validate(&compiled.values)?;
    }
    let mut warnings = compiled.warnings.clone();
    let mut notes = Vec::new();
    if let Some(dir) = &args.catalog {
        let report = catalog::check_dir(&compiled.values, dir)?;
        warnings.extend(report.warnings);
        notes.push(report.summary);
    }
    let text = yaml::to_string(&compiled.values).map_err(anyhow::Error::msg)?;
    super::print_warning_lines(&warnings);
    for n in &notes {
        eprintln!("overhelm: {n}");
    }
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("writing the values to {}", path.display()))?,
        None => write_stdout(&text)?,
    }
    Ok(Outcome::Success)
}
