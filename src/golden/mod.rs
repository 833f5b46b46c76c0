//! Golden files: cases that pin what overhelm produces, a structural diff that shows a reviewer
//! what changed per resource and path, and the gate `render --expect` uses.
//!
//! A case is a folder with `case.yaml`, `input.yaml` (or a chart) and `expected.yaml` (or
//! `expected.err` for a case that must fail with that message):
//!
//! ```yaml
//! # golden/<case>/case.yaml
//! command: render                 # render (default) or values
//! overlays: [../../overlays/minicloud/backstage.yaml]   # relative to the case folder
//! release: backstage              # optional, as --release
//! namespace: backstage            # optional, as --namespace
//! input: input.yaml               # default input.yaml (render only)
//! chart:                          # or: the input is `helm template` of a chart
//!   path: ../../examples/charts/backstage
//!   values: [../../examples/backstage/values.yaml]
//!   helm: helm3                   # default helm; looked up on PATH
//!   args: []                      # more `helm template` arguments
//! ```
//!
//! `overhelm check` and `cargo test` run cases through [`check_case`] (which uses [`run_with`]
//! and [`verdict`]), so the product and the tests cannot drift apart. [`diff_streams`] is the
//! structural diff `check`, `diff` and `render --expect` print; Secret values are masked in all
//! of it.

mod case;
mod check;
mod diff;
mod helm;
mod mask;
mod pair;
mod redact;
mod report;
mod tree;
mod unified;
mod update;

pub use case::{
    Case, CaseSpec, ChartSpec, Produced, RunOptions, Verdict, discover, expand, run, run_with,
    verdict,
};
pub use check::{CaseResult, CheckOptions, Status, check_case};
pub use diff::{DiffOptions, DocChange, DocDiff, Loc, StreamDiff, diff_streams, unified_streams};
pub use mask::MASK;
pub use pair::Id;
pub use report::{case_text, paint, structure, unified_text, value_text};
pub use tree::{ChangeKind, PathChange};
pub use update::write_expected;
