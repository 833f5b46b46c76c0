//! `patches`: generic edits for what no step covers.
//!
//! ```yaml
//! patches:
//!   - target: {kind: Deployment, name: backstage}
//!     set: {"$.spec.template.spec.containers[?@.name=='backstage-backend'].imagePullPolicy": IfNotPresent}
//!     remove: ["$.metadata.annotations['example.com/obsolete']"]
//! ```
//!
//! `target` selects objects (documents, or items of a `kind: List`) by kind, name, namespace and
//! apiVersion; matching nothing is an error. Each `set` key is a JSONPath (RFC 9535): every match
//! gets the value; when nothing matches and the last segment is a member name, the member is
//! created in every object its parent path matches (so `imagePullPolicy` can be added), and when
//! not even the parent matches, that is an error. `remove` deletes every match and is quiet when
//! nothing matches, so that rendering the output again changes nothing. Patches run first, so the
//! other steps see their result.

use serde_json::Value;

use super::{Context, Report, Step, edit_objects};
use crate::error::{DocAt, Error, Result};
use crate::jsonpath::{self, Path};
use crate::overlay::{Selector, patches::Patch};
use crate::stream::Stream;

/// The compiled `patches` section.
#[derive(Debug)]
pub struct PatchesStep {
    patches: Vec<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    target: Selector,
    set: Vec<SetOp>,
    remove: Vec<Path>,
}

#[derive(Debug)]
struct SetOp {
    path: Path,
    /// The parent query and member name, for creating a missing member.
    create: Option<(Path, String)>,
    value: Value,
}

impl PatchesStep {
    /// Checks and compiles the section.
    pub fn new(patches: &[Patch]) -> Result<Self> {
        let patches = patches
            .iter()
            .enumerate()
            .map(|(i, p)| compile(i, p))
            .collect::<Result<_>>()?;
        Ok(PatchesStep { patches })
    }
}

fn compile(i: usize, patch: &Patch) -> Result<Compiled> {
    if patch.target == Selector::default() {
        return Err(Error::overlay(
            format!("patches[{i}].target"),
            "is empty; name at least a kind",
        ));
    }
    if patch.set.is_empty() && patch.remove.is_empty() {
        return Err(Error::overlay(
            format!("patches[{i}]"),
            "has neither `set` nor `remove`",
        ));
    }
    let mut set = Vec::new();
    for (query, value) in &patch.set {
        let key = format!("patches[{i}].set[{query:?}]");
        let path = Path::parse(query).map_err(|m| Error::overlay(&key, m))?;
        let create = match jsonpath::split_last_member(query) {
            Some((parent, name)) => Some((
                Path::parse(&parent).map_err(|m| Error::overlay(&key, m))?,
                name,
            )),
            None => None,
        };
        set.push(SetOp {
            path,
            create,
            value: value.clone(),
        });
    }
    let remove = patch
        .remove
        .iter()
        .map(|q| {
            Path::parse(q).map_err(|m| Error::overlay(format!("patches[{i}].remove[{q:?}]"), m))
        })
        .collect::<Result<_>>()?;
    Ok(Compiled {
        target: patch.target.clone(),
        set,
        remove,
    })
}

impl Step for PatchesStep {
    fn name(&self) -> &'static str {
        "patches"
    }

    fn parses(&self, kind: &str) -> bool {
        self.patches
            .iter()
            .any(|p| p.target.kind.as_deref().is_none_or(|k| k == kind))
    }

    fn apply(&self, stream: &mut Stream<'_>, _ctx: &Context) -> Result<Report> {
        let mut report = Report::new(self.name());
        for (i, patch) in self.patches.iter().enumerate() {
            let mut matched = 0;
            let kind = patch.target.kind.as_deref();
            edit_objects(
                stream,
                |k| kind.is_none_or(|want| want == k),
                |at, object| {
                    if !patch.target.matches(object) {
                        return Ok(false);
                    }
                    matched += 1;
                    apply_patch(i, patch, at, object, &mut report)
                },
            )?;
            if matched == 0 {
                return Err(Error::overlay(
                    format!("patches[{i}].target"),
                    format!("{} matched no document in the stream", patch.target),
                ));
            }
        }
        Ok(report)
    }
}

fn apply_patch(
    i: usize,
    patch: &Compiled,
    at: &DocAt,
    object: &mut Value,
    report: &mut Report,
) -> Result<bool> {
    let id = at.id.clone().unwrap_or_default();
    let secret = object.get("kind").and_then(Value::as_str) == Some("Secret");
    let shown = |v: &Value| {
        if secret {
            "(value hidden: Secret)".to_string()
        } else {
            v.to_string()
        }
    };
    let mut changed = false;
    for op in &patch.set {
        let key = format!("patches[{i}].set[{:?}]", op.path.text());
        let mut found = op
            .path
            .locate(object)
            .map_err(|m| Error::doc(at, &key, m))?;
        let mut creating = None;
        if found.is_empty() {
            if let Some((parent, name)) = &op.create {
                let parents = parent.locate(object).map_err(|m| Error::doc(at, &key, m))?;
                found = parents
                    .into_iter()
                    .map(|p| format!("{p}['{}']", name.replace('\\', "\\\\").replace('\'', "\\'")))
                    .collect();
                creating = Some(name);
            }
        }
        if found.is_empty() {
            return Err(Error::doc(
                at,
                &key,
                "matches nothing, not even the parent of its last member; check the path against the document",
            ));
        }
        for normalised in found {
            let field = jsonpath::readable(&normalised);
            let slot = match creating {
                Some(name) => create_member(object, &normalised, name),
                None => jsonpath::at_mut(object, &normalised),
            };
            let Some(slot) = slot else {
                return Err(Error::doc(
                    at,
                    &key,
                    format!("cannot set {field}: its parent is not a mapping"),
                ));
            };
            if *slot != op.value {
                report
                    .lines
                    .push(format!("{id} {field}: set to {}", shown(&op.value)));
                *slot = op.value.clone();
                changed = true;
            }
        }
    }
    for path in &patch.remove {
        let found = path
            .locate(object)
            .map_err(|m| Error::doc(at, format!("patches[{i}].remove"), m))?;
        for normalised in found.iter().rev() {
            if jsonpath::remove_at(object, normalised) {
                report
                    .lines
                    .push(format!("{id} {}: removed", jsonpath::readable(normalised)));
                changed = true;
            }
        }
    }
    Ok(changed)
}

/// The slot for member `name` under the parent at `normalised` minus its last step, created
/// (as `null`) when missing; `None` when the parent is not a mapping.
fn create_member<'v>(object: &'v mut Value, normalised: &str, name: &str) -> Option<&'v mut Value> {
    let mut tokens = jsonpath::tokens(normalised)?;
    tokens.pop();
    let parent = tokens.iter().try_fold(object, |v, t| match t {
        jsonpath::Token::Key(k) => v.get_mut(k.as_str()),
        jsonpath::Token::Index(i) => v.get_mut(*i),
    })?;
    Some(
        parent
            .as_object_mut()?
            .entry(name.to_string())
            .or_insert(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::Overlay;
    use crate::yaml::Limits;

    fn run(overlay: &str, input: &str) -> Result<String> {
        let overlay = Overlay::parse(
            &format!("apiVersion: overhelm/v1\nkind: Overlay\n{overlay}"),
            "o.yaml",
        )?;
        crate::render::render(input, &overlay, &Context::default(), &Limits::default())
            .map(|r| r.output)
    }

    const DEPLOY: &str = "---\n# Source: c/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {old: x, keep: z}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: a\n        - name: side\n          image: b\n---\n# Source: c/s.yaml\nkind: Service\nmetadata: {name: web}\n";

    #[test]
    fn set_creates_a_missing_member_and_remove_keeps_order() {
        let overlay = "patches:\n  - target: {kind: Deployment, name: web}\n    set: {\"$.spec.template.spec.containers[?@.name=='app'].imagePullPolicy\": IfNotPresent}\n    remove: [\"$.metadata.annotations.old\"]\n";
        let out = run(overlay, DEPLOY).unwrap();
        assert!(out.contains("  annotations:\n    keep: z\n"), "{out}");
        assert!(out.contains("- name: app\n        image: a\n        imagePullPolicy: IfNotPresent\n      - name: side\n        image: b\n"), "{out}");
        assert!(
            out.ends_with("---\n# Source: c/s.yaml\nkind: Service\nmetadata: {name: web}\n"),
            "{out}"
        );
        assert_eq!(run(overlay, &out).unwrap(), out, "idempotent");
    }

    #[test]
    fn target_matching_nothing_is_an_error() {
        let err = run(
            "patches:\n  - target: {kind: Deployment, name: nope}\n    set: {\"$.x\": 1}\n",
            DEPLOY,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "overlay patches[0].target: {kind: Deployment, name: nope} matched no document in the stream"
        );
    }

    #[test]
    fn path_whose_parent_is_missing_is_an_error() {
        let err = run(
            "patches:\n  - target: {kind: Deployment}\n    set: {\"$.spec.nothing.here\": 1}\n",
            DEPLOY,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("document 1 (Deployment/web, from c/d.yaml): patches[0].set[\"$.spec.nothing.here\"]: matches nothing"), "{err}");
    }

    #[test]
    fn bad_jsonpath_is_an_overlay_error() {
        let err = run(
            "patches:\n  - target: {kind: Deployment}\n    set: {\"$.spec[\": 1}\n",
            DEPLOY,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("overlay patches[0].set[\"$.spec[\"]: \"$.spec[\" is not a JSONPath"),
            "{err}"
        );
    }

    #[test]
    fn secret_values_stay_out_of_the_report() {
        let overlay = Overlay::parse("apiVersion: overhelm/v1\nkind: Overlay\npatches:\n  - target: {kind: Secret}\n    set: {\"$.stringData.password\": canary-s3cr3t}\n", "o").unwrap();
        let input = "kind: Secret\nmetadata: {name: s}\nstringData: {password: old}\n";
        let r = crate::render::render(input, &overlay, &Context::default(), &Limits::default())
            .unwrap();
        let report = crate::render::report_text(&r.reports);
        assert!(
            !report.contains("canary-s3cr3t") && report.contains("value hidden"),
            "{report}"
        );
    }
}
