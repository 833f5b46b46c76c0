//! `overhelm budget`: the release's resource table for sizing. Reads the manifest stream on
//! stdin like `render`, runs every step of the overlays (so defaults and injected containers
//! count), and prints every workload's share, the totals and, when the overlay has a
//! `resources.budget`, the budget, what is left and what is over. Over budget is not a failure
//! here (exit 0); `render` is where it fails.

use super::{Outcome, write_stdout};
use crate::cli::BudgetArgs;
use crate::overlay::Overlay;
use crate::steps::resources::sizing;

/// Runs `budget`.
pub fn run(args: &BudgetArgs) -> anyhow::Result<Outcome> {
    let files = super::overlay_files(&args.overlay);
    let overlay = Overlay::load(&files)?;
    let bytes = super::read_input(std::path::Path::new("-"))?;
    let input = super::utf8(&bytes, super::STDIN_STREAM)?;
    let ctx = args.release.context();
    let table = sizing(input, &overlay, &ctx, &args.limits.limits())?;
    let mut text = table.lines().join("\n") + "\n";
    let has_budget = overlay
        .resources
        .as_ref()
        .is_some_and(|r| r.budget.is_some());
    if !has_budget {
        text.push_str("\nno resources.budget in the overlays: totals only\n");
    } else if table.overruns().is_empty() {
        text.push_str("\nwithin budget\n");
    } else {
        text.push_str("\nover budget (`render` refuses this release):\n");
        for line in table.overruns() {
            text.push_str(&format!("  {line}\n"));
        }
    }
    write_stdout(&text)?;
    Ok(Outcome::Success)
}
