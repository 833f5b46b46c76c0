//! `overhelm render`: the post-renderer. Reads the manifest stream on stdin, writes the edited
//! stream on stdout, all or nothing.

use std::path::Path;

use anyhow::Context as _;

use std::io::Write as _;
use std::os::fd::AsFd as _;

use super::{Outcome, read_input, utf8};
use crate::cli::RenderArgs;
use crate::overlay::{OVERLAY_ENV, Overlay};
use crate::render::{prepare, report_text};
use crate::steps::Context;

/// Runs `render`.
pub fn run(args: &RenderArgs) -> anyhow::Result<Outcome> {
    let files = Overlay::files_from(
        &args.overlay.overlays,
        std::env::var(OVERLAY_ENV).ok().as_deref(),
    );
    let overlay = Overlay::load(&files)?;
    let input = utf8(read_input(Path::new("-"))?, "the manifest stream on stdin")?;
    let ctx = Context {
        release: args.release.clone(),
        namespace: args.namespace.clone(),
    };
    let limits = args.limits.limits();
    let rendered = prepare(&input, &overlay, &ctx, &limits)?;
    if let Some(golden) = &args.expect {
        anyhow::bail!(
            "--expect {}: golden gates are not available in this build yet",
            golden.display()
        );
    }
    if let Some(target) = &args.report {
        write_report(target, &report_text(&rendered.reports))?;
    }
    // Straight to stdout in one buffered pass: no second copy of the stream in memory, and no
    // line buffer in between (`Stdout` would look for line ends in every write). A closed
    // stdout goes through `Stdout`, which takes the output as it always did.
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => write_all(&rendered.output, std::fs::File::from(fd))?,
        Err(_) => write_all(&rendered.output, std::io::stdout().lock())?,
    }
    Ok(Outcome::Success)
}

fn write_all(
    output: &crate::stream::Finished<'_>,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(256 << 10, out);
    output.write_to(&mut out)?;
    out.flush()
}

/// Writes the report to stderr (`-`) or a file.
pub fn write_report(target: &Path, text: &str) -> anyhow::Result<()> {
    if target == Path::new("-") {
        eprint!("{text}");
        Ok(())
    } else {
        std::fs::write(target, text)
            .with_context(|| format!("writing the report to {}", target.display()))
    }
}
