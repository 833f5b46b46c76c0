//! Golden cases: a folder with `case.yaml`, `input.yaml`, and `expected.yaml` (or `expected.err`
//! for a case that must fail with a message).
//!
//! ```yaml
//! # golden/<case>/case.yaml
//! command: render                 # render (default) or values
//! overlays: [../../overlays/minicloud/backstage.yaml]   # relative to the case folder
//! release: backstage              # optional, as --release
//! namespace: backstage            # optional, as --namespace
//! input: input.yaml               # default input.yaml (render only)
//! ```
//!
//! `overhelm check` and `cargo test` run cases through [`run`], so the product and the tests
//! cannot drift apart.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::overlay::Overlay;
use crate::render::render;
use crate::steps::Context;
use crate::yaml::{self, Limits};

/// `case.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CaseSpec {
    /// `render` (default) or `values`.
    #[serde(default = "default_command")]
    pub command: String,
    /// Overlay files, relative to the case folder.
    #[serde(default)]
    pub overlays: Vec<String>,
    /// `--release`.
    pub release: Option<String>,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// The input stream, relative to the case folder (default `input.yaml`).
    pub input: Option<String>,
}

fn default_command() -> String {
    "render".into()
}

/// A loaded case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case folder.
    pub dir: PathBuf,
    /// `case.yaml`.
    pub spec: CaseSpec,
}

/// What running a case produced: the output, or the error message.
pub type Produced = std::result::Result<String, String>;

impl Case {
    /// Reads `dir/case.yaml`.
    pub fn load(dir: &Path) -> Result<Self> {
        let file = dir.join("case.yaml");
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
        let spec: CaseSpec = yaml::from_str(&text).map_err(|message| Error::OverlayFile {
            file: file.display().to_string(),
            message,
        })?;
        if spec.command != "render" && spec.command != "values" {
            return Err(Error::OverlayFile {
                file: file.display().to_string(),
                message: format!("command {:?} is not `render` or `values`", spec.command),
            });
        }
        Ok(Case {
            dir: dir.to_path_buf(),
            spec,
        })
    }

    /// The case's name (its folder name).
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The file holding the expected output.
    pub fn expected_path(&self) -> PathBuf {
        self.dir.join("expected.yaml")
    }

    /// The file holding the expected error message, for a case that must fail.
    pub fn expected_err_path(&self) -> PathBuf {
        self.dir.join("expected.err")
    }
}

/// Runs a case: the output, or the error message it failed with. `Err` of the outer result is a
/// broken case (unreadable files), not a failing render.
pub fn run(case: &Case) -> Result<Produced> {
    let overlays: Vec<PathBuf> = case
        .spec
        .overlays
        .iter()
        .map(|o| case.dir.join(o))
        .collect();
    let overlay = match Overlay::load(&overlays) {
        Ok(o) => o,
        Err(e) => return Ok(Err(e.to_string())),
    };
    match case.spec.command.as_str() {
        "values" => Ok(crate::values::compile_overlay(&overlay)
            .map_err(|e| e.to_string())
            .and_then(|c| yaml::to_string(&c.values).map_err(|e| e.to_string()))),
        _ => {
            let input_file = case
                .dir
                .join(case.spec.input.as_deref().unwrap_or("input.yaml"));
            let input = std::fs::read_to_string(&input_file)
                .map_err(|e| Error::io(format!("reading {}", input_file.display()), e))?;
            let ctx = Context {
                release: case.spec.release.clone(),
                namespace: case.spec.namespace.clone(),
            };
            Ok(render(&input, &overlay, &ctx, &Limits::default())
                .map(|r| r.output)
                .map_err(|e| e.to_string()))
        }
    }
}

/// The result of comparing a case with its expected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Output (or error) as expected.
    Match,
    /// Output differs: expected and actual text (error messages for failing cases).
    Drift {
        /// What the expected file holds.
        expected: String,
        /// What the run produced (an error is shown as `error: ...`).
        actual: String,
    },
    /// Neither `expected.yaml` nor `expected.err` exists.
    Missing,
}

/// Compares what a case produced with its expected file.
pub fn verdict(case: &Case, produced: &Produced) -> Result<Verdict> {
    let read = |p: PathBuf| {
        std::fs::read_to_string(&p).map_err(|e| Error::io(format!("reading {}", p.display()), e))
    };
    let (expected, actual) = if case.expected_err_path().exists() {
        let want = read(case.expected_err_path())?;
        match produced {
            Err(message) if message.trim_end() == want.trim_end() => return Ok(Verdict::Match),
            Err(message) => (want, message.clone()),
            Ok(output) => (want, output.clone()),
        }
    } else if case.expected_path().exists() {
        let want = read(case.expected_path())?;
        match produced {
            Ok(output) if *output == want => return Ok(Verdict::Match),
            Ok(output) => (want, output.clone()),
            Err(message) => (want, format!("error: {message}\n")),
        }
    } else {
        return Ok(Verdict::Missing);
    };
    Ok(Verdict::Drift { expected, actual })
}

/// Every case folder under `root` (folders that hold a `case.yaml`), sorted.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>> {
    let mut cases = Vec::new();
    let entries =
        std::fs::read_dir(root).map_err(|e| Error::io(format!("reading {}", root.display()), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(format!("reading {}", root.display()), e))?
            .path();
        if path.join("case.yaml").is_file() {
            cases.push(path);
        }
    }
    cases.sort();
    Ok(cases)
}
