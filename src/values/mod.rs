//! The values compiler: the overlay's `values:` section into the chart's values.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::overlay::Overlay;

/// What compiling produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The chart values.
    pub values: Value,
    /// Warnings for the user (printed on stderr by the command).
    pub warnings: Vec<String>,
}

/// Compiles the overlay's `values:` section.
pub fn compile_overlay(overlay: &Overlay) -> Result<Compiled> {
    let Some(_spec) = &overlay.values else {
        return Err(Error::overlay(
            "values",
            "the overlay has no `values:` section",
        ));
    };
    Err(Error::overlay(
        "values",
        "the values compiler is not available in this build yet",
    ))
}
