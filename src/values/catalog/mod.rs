//! `overhelm values --catalog DIR`: checks the local copies of the catalog-info files that the
//! compiled `catalog.locations` point at, the way Backstage's catalog would process them.
//!
//! Each location is matched to a file by the repository name in its URL (see [`local_file`]):
//! `DIR/<repo>.<file name>` (a flat folder of copies, e.g. `minicloud-ansible.catalog-info.yaml`)
//! or `DIR/<repo>/<path in the repo>` (checkouts side by side). Then, as Backstage would:
//!
//! - errors (Backstage would refuse the entity, exit 2): envelope formats (name, namespace,
//!   kind), apiVersion and required `spec` fields of the built-in kinds, a kind that the catalog
//!   rules (global, plus the location's own) do not allow, the same entity defined twice;
//! - warnings (Backstage ingests the entity, the relation dangles): a `spec.owner`,
//!   `spec.system`, ... reference to an entity that is not in these files, saying so when the
//!   rules allow no entity of that kind at all (e.g. an owner Group with no `Group` allowed).
//!
//! `Location` entities inside the files are checked but not followed.

pub mod entity;

use std::path::Path;

use serde_json::Value;

use self::entity::EntityRef;
use crate::error::{Error, Result};
use crate::values::get;
use crate::values::url::Url;
use crate::yaml::{self, Limits};

/// One location's file, read.
#[derive(Debug, Clone)]
pub struct LocatedFile {
    /// The location's index in `catalog.locations`.
    pub location: usize,
    /// The file as shown to the user.
    pub file: String,
    /// Its text.
    pub text: String,
}

/// What the check found, when Backstage would accept every entity.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogReport {
    /// One line: locations, entities per kind, references resolved per field.
    pub summary: String,
    /// References that do not resolve, files no location reads.
    pub warnings: Vec<String>,
}

/// The `url` locations of the compiled values, with their targets.
fn locations(values: &Value) -> Vec<(usize, &Value, &str)> {
    get(values, &["backstage", "appConfig", "catalog", "locations"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, l)| l.get("type").and_then(Value::as_str) == Some("url"))
        .filter_map(|(i, l)| Some((i, l, l.get("target")?.as_str()?)))
        .collect()
}

/// The repository name and the path inside it, for GitHub raw and web URLs and GitLab web URLs.
pub fn repo_and_path(url: &Url) -> Option<(String, String)> {
    let segs: Vec<&str> = url.path.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(dash) = segs.iter().position(|s| *s == "-") {
        // GitLab: /<group>/.../<repo>/-/blob|raw/<ref>/<path>
        let repo = segs.get(dash.checked_sub(1)?)?;
        return Some((repo.to_string(), segs.get(dash + 3..)?.join("/")));
    }
    match segs.as_slice() {
        [_, repo, "blob" | "raw" | "tree", _, path @ ..] if !path.is_empty() => {
            Some((repo.to_string(), path.join("/")))
        }
        [_, repo, _, path @ ..] if url.host == "raw.githubusercontent.com" && !path.is_empty() => {
            Some((repo.to_string(), path.join("/")))
        }
        _ => None,
    }
}

/// The local file for a location: `DIR/<repo>.<file name>` or `DIR/<repo>/<path>`.
pub fn local_file(dir: &Path, target: &str) -> std::result::Result<std::path::PathBuf, String> {
    let url = Url::parse(target)?;
    let (repo, path) = repo_and_path(&url).ok_or_else(|| {
        format!("{target}: no repository name in the URL (GitHub raw or web, or GitLab web URLs are understood)")
    })?;
    let base = path.rsplit('/').next().unwrap_or(&path);
    let candidates = [
        dir.join(format!("{repo}.{base}")),
        dir.join(&repo).join(&path),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            let shown: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!("{target}: no local copy; put it at {}", shown.join(" or "))
        })
}

/// Reads the files the locations point at from `dir`, then [`check_files`].
pub fn check_dir(values: &Value, dir: &Path) -> Result<CatalogReport> {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for (i, _, target) in locations(values) {
        match local_file(dir, target) {
            Ok(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                files.push(LocatedFile {
                    location: i,
                    file: path.display().to_string(),
                    text,
                });
            }
            Err(e) => missing.push(format!("catalog.locations[{i}]: {e}")),
        }
    }
    if !missing.is_empty() {
        return Err(Error::overlay(
            "values.catalog",
            format!("--catalog {}:\n  {}", dir.display(), missing.join("\n  ")),
        ));
    }
    let mut report = check_files(values, &files)?;
    report.warnings.extend(unread_files(dir, &files)?);
    Ok(report)
}

fn unread_files(dir: &Path, read: &[LocatedFile]) -> Result<Vec<String>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(format!("reading {}", dir.display()), e))?
            .path();
        let shown = path.display().to_string();
        let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if yaml && path.is_file() && !read.iter().any(|f| f.file == shown) {
            out.push(format!(
                "catalog: {shown} is not read by any catalog location; not checked"
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// The kinds a location's entities may have: the global rules plus the location's own rules
/// (lower case). No global rules: Backstage's default, Component, API and Location.
fn allowed_kinds(values: &Value, location: Option<&Value>) -> Vec<String> {
    let kinds = |rules: Option<&Value>| -> Option<Vec<String>> {
        let rules = rules?.as_array()?;
        Some(
            rules
                .iter()
                .filter_map(|r| r.get("allow")?.as_array())
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect(),
        )
    };
    let global = kinds(get(values, &["backstage", "appConfig", "catalog", "rules"]))
        .unwrap_or_else(|| vec!["component".into(), "api".into(), "location".into()]);
    let own = kinds(location.and_then(|l| l.get("rules"))).unwrap_or_default();
    global.into_iter().chain(own).collect()
}

/// An entity that passed its own checks: identity, where it is written, the document.
type Found = (EntityRef, String, Value);

/// Checks read files against the compiled values' catalog rules.
pub fn check_files(values: &Value, files: &[LocatedFile]) -> Result<CatalogReport> {
    let locs = locations(values);
    let mut errors = Vec::new();
    let mut entities: Vec<Found> = Vec::new();
    for f in files {
        let location = locs
            .iter()
            .find(|(i, _, _)| *i == f.location)
            .map(|(_, l, _)| *l);
        let allowed = allowed_kinds(values, location);
        match yaml::parse(&f.text, &Limits::default()) {
            Ok(docs) => check_docs(f, docs, &allowed, &mut entities, &mut errors),
            Err(e) => errors.push(format!("{}: {e}", f.file)),
        }
    }
    let (counts, warnings) = resolve(values, &entities, &mut errors);
    if !errors.is_empty() {
        return Err(Error::overlay(
            "values.catalog",
            format!(
                "Backstage's catalog would refuse these entities ({} problem{}):\n  {}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                errors.join("\n  ")
            ),
        ));
    }
    Ok(CatalogReport {
        summary: summary(locs.len(), files.len(), &entities, &counts),
        warnings,
    })
}

/// Checks one file's documents: envelope, allowed kind, duplicates.
fn check_docs(
    f: &LocatedFile,
    docs: Vec<Value>,
    allowed: &[String],
    entities: &mut Vec<Found>,
    errors: &mut Vec<String>,
) {
    for (n, doc) in docs.into_iter().enumerate() {
        let at = format!("{} document {}", f.file, n + 1);
        let r = match entity::check(&doc) {
            Ok(r) => r,
            Err(es) => {
                errors.extend(es.into_iter().map(|e| format!("{at}: {e}")));
                continue;
            }
        };
        let at = format!("{at} ({}/{})", r.kind, r.name);
        if !allowed.contains(&r.kind.to_ascii_lowercase()) {
            errors.push(format!("{at}: kind {} is not allowed by catalog.rules (allowed: {}); Backstage would refuse the entity. Add it to values.catalog.allow", r.kind, allowed.join(", ")));
        }
        if let Some((_, other, _)) = entities.iter().find(|(e, _, _)| e.key() == r.key()) {
            errors.push(format!("{at}: {} is defined twice (also in {other}); Backstage keeps one and reports a conflict on the other", r.key()));
        }
        entities.push((r, at, doc));
    }
}

/// Per reference field: (field, resolved, total); plus one warning per reference target that is
/// not in the catalog, naming every entity that refers to it.
fn resolve(
    values: &Value,
    entities: &[Found],
    errors: &mut Vec<String>,
) -> (Vec<(&'static str, usize, usize)>, Vec<String>) {
    let mut counts: Vec<(&'static str, usize, usize)> = Vec::new();
    let mut dangling: Vec<(&'static str, EntityRef, Vec<String>)> = Vec::new();
    for (r, at, doc) in entities {
        for (field, text, parsed) in entity::references(doc, &r.namespace) {
            let Some(target) = parsed else {
                errors.push(format!("{at}: spec.{field}: {text:?} is not an entity reference (`[kind:][namespace/]name`, the kind is required here)"));
                continue;
            };
            let found = entities.iter().any(|(e, _, _)| e.key() == target.key());
            match counts.iter_mut().find(|(f, _, _)| *f == field) {
                Some(c) => {
                    c.1 += usize::from(found);
                    c.2 += 1;
                }
                None => counts.push((field, usize::from(found), 1)),
            }
            if found {
                continue;
            }
            let from = format!("{}/{}", r.kind, r.name);
            match dangling
                .iter_mut()
                .find(|(f, t, _)| *f == field && t.key() == target.key())
            {
                Some(d) => d.2.push(from),
                None => dangling.push((field, target, vec![from])),
            }
        }
    }
    let global = allowed_kinds(values, None);
    let warnings = dangling.iter().map(|(field, target, from)| {
        let kind = &target.kind;
        let why = if global.contains(&kind.to_ascii_lowercase()) {
            format!("it is not in these catalog files; Backstage shows a broken link until a {kind} named {} is in the catalog", target.name)
        } else {
            format!("the catalog rules allow no {kind}, so it can never be in the catalog and Backstage shows a broken link; add {kind} to values.catalog.allow and a {kind} entity named {} to a location", target.name)
        };
        format!("catalog: spec.{field} {} of {} does not resolve: {why}", target.key(), from.join(", "))
    });
    (counts, warnings.collect())
}

fn summary(
    locations: usize,
    files: usize,
    entities: &[Found],
    counts: &[(&str, usize, usize)],
) -> String {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for (e, _, _) in entities {
        match kinds.iter_mut().find(|(k, _)| *k == e.kind) {
            Some(k) => k.1 += 1,
            None => kinds.push((e.kind.clone(), 1)),
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let refs: Vec<String> = counts
        .iter()
        .map(|(f, ok, all)| format!("spec.{f} {ok}/{all} resolved"))
        .collect();
    format!(
        "catalog: {locations} location(s), {files} file(s), {} entities ({}); {}",
        entities.len(),
        kinds.join(", "),
        if refs.is_empty() {
            "no references".to_string()
        } else {
            refs.join(", ")
        }
    )
}
