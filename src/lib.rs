//! overhelm: a Helm post-renderer and values compiler.
//!
//! The library holds everything; the `overhelm` binary only parses arguments and maps the result to
//! an exit code. The data flow of a render is:
//!
//! 1. [`overlay::Overlay`] files are read strictly and layered.
//! 2. [`stream::Cutter`] cuts the manifest stream Helm sends into [`stream::Document`]s, keeping
//!    each document's bytes, while it is read (`commands::feed`: pieces of whole documents, so
//!    the work below starts before the last byte is in); nothing is parsed yet.
//! 3. [`steps::build`] turns the overlay into steps, run in a fixed order (patches, tls, waitFor,
//!    registry, resources); each step parses only the documents it may change. `registry`,
//!    `resources` and the budget are local to a document and run fused ([`steps::fused`]):
//!    block by block on every core, each document parsed, edited, checked, written and freed.
//! 4. [`stream::Stream::finish`] keeps untouched documents byte-for-byte and re-serialises the
//!    changed ones.
//!
//! Errors ([`error::Error`]) name the document, the resource and the overlay key.

pub mod cli;
pub mod commands;
pub mod duration;
pub mod error;
pub mod golden;
pub mod image;
pub mod jsonpath;
pub mod names;
pub mod overlay;
pub mod quantity;
pub mod render;
pub mod stack;
pub mod steps;
pub mod stream;
pub mod values;
pub mod workload;
pub mod yaml;

pub use error::{Error, Result};
