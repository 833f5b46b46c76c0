//! Chart profiles: what one chart's values look like, and which mistakes to design out.
//!
//! Adding a chart: one file here implementing [`Profile`], one arm in [`find`], tests beside it
//! and a golden case with `command: values`.

pub mod backstage;
mod backstage_guard;
mod backstage_parts;

use serde_json::Value;

use super::Compiled;
use crate::error::{Error, Result};
use crate::overlay::Overlay;
use crate::overlay::values::ValuesSpec;

/// A chart profile.
pub trait Profile {
    /// Places the site facts of `spec` in the chart's values and derives the rest. `overlay` is
    /// the whole overlay, for cross-checks with other sections (e.g. `tls` hosts).
    fn compile(&self, spec: &ValuesSpec, overlay: &Overlay) -> Result<Compiled>;
    /// Checks the final values (after `set:`) for the mistakes the profile exists to prevent.
    fn guard(&self, values: &Value) -> Result<()>;
}

/// The profile for `values.chart`.
pub fn find(chart: &str) -> Result<&'static dyn Profile> {
    match chart {
        "backstage" => Ok(&backstage::Backstage),
        "" => Err(Error::overlay(
            "values.chart",
            "no chart profile given; say which chart the values are for, e.g. `chart: backstage`",
        )),
        other => Err(Error::overlay(
            "values.chart",
            format!("no profile for chart {other:?}; the profiles are: backstage"),
        )),
    }
}
