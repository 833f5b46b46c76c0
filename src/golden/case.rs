//! One golden case: its `case.yaml`, how to run it, and the exact-bytes verdict against its
//! expected file.
//!
//! The input is `input.yaml` (or the file `input` names), or a chart that `helm template`
//! renders first (`chart:`), so that a chart upgrade shows up as drift in CI. A chart case needs
//! helm; [`Case::missing_tool`] says when it is not there, so that the caller can skip the case
//! (or refuse to, under CI).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::helm;
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
    /// `--release` (and the release name `helm template` gets for a chart case).
    pub release: Option<String>,
    /// `--namespace` (and `helm template -n`).
    pub namespace: Option<String>,
    /// The input stream, relative to the case folder (default `input.yaml`).
    pub input: Option<String>,
    /// A chart whose `helm template` output is the input (instead of `input`).
    pub chart: Option<ChartSpec>,
}

/// `case.yaml`'s `chart:`: the input is `helm template <release> <path> -n <ns> -f <values>...
/// <args>...`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartSpec {
    /// The chart folder or archive, relative to the case folder.
    pub path: String,
    /// Values files, relative to the case folder.
    #[serde(default)]
    pub values: Vec<String>,
    /// The helm executable: a name looked up in the tool folders and on PATH (default `helm`),
    /// or a path relative to the case folder.
    pub helm: Option<String>,
    /// More `helm template` arguments, as they are (`--kube-version`, `--set`, ...).
    #[serde(default)]
    pub args: Vec<String>,
}

fn default_command() -> String {
    "render".into()
}

/// How cases are run: where external tools are looked for first.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Folders searched for helm before PATH (the tests pass `target/tools`).
    pub tool_dirs: Vec<PathBuf>,
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
        let bad = |message: String| Error::OverlayFile {
            file: file.display().to_string(),
            message,
        };
        let spec: CaseSpec = yaml::from_str(&text).map_err(bad)?;
        if spec.command != "render" && spec.command != "values" {
            return Err(bad(format!(
                "command {:?} is not `render` or `values`",
                spec.command
            )));
        }
        if spec.chart.is_some() {
            if spec.command != "render" {
                return Err(bad("chart: only a `render` case takes a chart".into()));
            }
            if spec.input.is_some() {
                return Err(bad(
                    "give either `input` or `chart`, not both (the chart's output is the input)"
                        .into(),
                ));
            }
            if spec.release.is_none() {
                return Err(bad(
                    "chart: needs `release` (the release name `helm template` renders)".into(),
                ));
            }
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

    /// The expected file that exists (`expected.err` first), if any.
    pub fn expected_file(&self) -> Option<PathBuf> {
        [self.expected_err_path(), self.expected_path()]
            .into_iter()
            .find(|p| p.exists())
    }

    /// Why the case cannot run here (a chart case whose helm is not found), if it cannot.
    pub fn missing_tool(&self, opts: &RunOptions) -> Option<String> {
        let chart = self.spec.chart.as_ref()?;
        helm::find(chart, &self.dir, &opts.tool_dirs).err()
    }
}

/// Runs a case, looking for tools only on PATH. See [`run_with`].
pub fn run(case: &Case) -> Result<Produced> {
    run_with(case, &RunOptions::default())
}

/// Runs a case: the output, or the error message it failed with. `Err` of the outer result is a
/// broken case (unreadable files, helm missing or failing), not a failing render.
pub fn run_with(case: &Case, opts: &RunOptions) -> Result<Produced> {
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
    if case.spec.command == "values" {
        return Ok(crate::values::compile_overlay(&overlay)
            .map_err(|e| e.to_string())
            .and_then(|c| yaml::to_string(&c.values).map_err(|e| e.to_string())));
    }
    let input = match &case.spec.chart {
        Some(chart) => helm::template(case, chart, &opts.tool_dirs)?,
        None => {
            let file = case
                .dir
                .join(case.spec.input.as_deref().unwrap_or("input.yaml"));
            std::fs::read_to_string(&file)
                .map_err(|e| Error::io(format!("reading {}", file.display()), e))?
        }
    };
    let ctx = Context {
        release: case.spec.release.clone(),
        namespace: case.spec.namespace.clone(),
    };
    Ok(render(&input, &overlay, &ctx, &Limits::default())
        .map(|r| r.output)
        .map_err(|e| e.to_string()))
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

/// Compares what a case produced with its expected file: exact bytes for `expected.yaml` (the
/// output order and every byte are part of the contract), the message without trailing blanks
/// for `expected.err`.
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

/// The case folders a list of paths names: a folder with a `case.yaml` is a case, a folder of
/// case folders (like `golden/`) stands for all of them.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut cases = Vec::new();
    for path in paths {
        if path.join("case.yaml").is_file() {
            cases.push(path.clone());
            continue;
        }
        let found = discover(path)?;
        if found.is_empty() {
            return Err(Error::Input {
                message: format!(
                    "{}: no case.yaml there nor in its subfolders; a golden case is a folder with case.yaml, input.yaml and expected.yaml",
                    path.display()
                ),
            });
        }
        cases.extend(found);
    }
    Ok(cases)
}
