//! `registry`: image references through a proxy-cache registry (Harbor, say).
//!
//! ```yaml
//! registry:
//!   mirrors: {ghcr.io: harbor.example/ghcr-proxy, docker.io: harbor.example/dockerhub-proxy}
//!   images: [{name: ghcr.io/backstage/backstage, tag: "1.35.0"}]
//!   paths: [{kind: Prometheus, path: "$.spec.image"}]
//! ```
//!
//! Every image of every container list (`initContainers`, `containers`, `ephemeralContainers`)
//! of every workload kind, and every string the `paths` select, is normalised
//! (`nginx` = `docker.io/library/nginx`) and, when its registry has a mirror, rewritten to
//! `<mirror>/<repository><tag and digest as written>`. Hosts match exactly, port included. An
//! image already under a mirror is left where it is, so a second render changes nothing. Pins
//! apply to the upstream name, mirrored or not: a tag pin sets the tag (dropping a digest), a
//! digest pin sets the digest (dropping a tag), both give `:tag@digest`.

use serde_json::Value;

use super::{Context, Report, Step, edit_objects, visit_objects};
use crate::error::{DocAt, Error, Result};
use crate::image::{DOCKER_HUB, ImageRef};
use crate::jsonpath;
use crate::overlay::registry::Registry;
use crate::stream::Stream;
use crate::workload::{CONTAINER_LISTS, is_workload, pod_spec_mut};

/// The compiled `registry` section.
#[derive(Debug)]
pub struct RegistryStep {
    mirrors: Vec<Mirror>,
    pins: Vec<Pin>,
    paths: Vec<CustomPath>,
}

#[derive(Debug)]
struct Mirror {
    upstream: String,
    /// The prefix as written, without a trailing `/`.
    prefix: String,
    /// The prefix normalised (host lower case) for recognising mirrored images.
    prefix_name: String,
}

#[derive(Debug)]
struct Pin {
    name: String,
    tag: Option<String>,
    digest: Option<String>,
}

#[derive(Debug)]
struct CustomPath {
    kind: String,
    api_version: Option<String>,
    path: jsonpath::Path,
}

impl RegistryStep {
    /// Checks and compiles the section.
    pub fn new(spec: &Registry) -> Result<Self> {
        let mut mirrors = Vec::new();
        for (upstream, prefix) in &spec.mirrors {
            let key = format!("registry.mirrors.{upstream}");
            let probe = format!("{upstream}/x");
            let upstream_ref = ImageRef::parse(&probe)
                .ok()
                .filter(|r| r.domain.is_some() || upstream == DOCKER_HUB)
                .ok_or_else(|| Error::overlay(&key, format!("{upstream:?} is not a registry host (like ghcr.io or registry.local:5000)")))?;
            let prefix = prefix.trim_end_matches('/').to_string();
            let probe = format!("{prefix}/x");
            let prefix_ref = ImageRef::parse(&probe)
                .ok()
                .filter(|r| r.domain.is_some())
                .ok_or_else(|| {
                    Error::overlay(
                        &key,
                        format!(
                            "{prefix:?} is not a mirror prefix (like harbor.example/ghcr-proxy)"
                        ),
                    )
                })?;
            let prefix_name = prefix_ref.name().trim_end_matches("/x").to_string();
            mirrors.push(Mirror {
                upstream: upstream_ref.registry(),
                prefix,
                prefix_name,
            });
        }
        for m in &mirrors {
            let host = m.prefix_name.split('/').next().unwrap_or_default();
            if mirrors.iter().any(|other| other.upstream == host) {
                return Err(Error::overlay(
                    format!("registry.mirrors.{}", m.upstream),
                    format!(
                        "the mirror {} is itself a mirrored registry, which would rewrite images in a loop; point it at the proxy project of another host",
                        m.prefix
                    ),
                ));
            }
        }
        let pins = spec
            .images
            .iter()
            .enumerate()
            .map(|(i, p)| compile_pin(i, p))
            .collect::<Result<_>>()?;
        let paths = spec
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let path = jsonpath::Path::parse(&p.path)
                    .map_err(|m| Error::overlay(format!("registry.paths[{i}].path"), m))?;
                Ok(CustomPath {
                    kind: p.kind.clone(),
                    api_version: p.api_version.clone(),
                    path,
                })
            })
            .collect::<Result<_>>()?;
        Ok(RegistryStep {
            mirrors,
            pins,
            paths,
        })
    }

    /// The new reference for `image`, or `None` to keep it; `note` explains a kept image.
    fn rewrite(&self, image: &str, used_pins: &mut [bool]) -> Result<Outcome, String> {
        let r = ImageRef::parse(image).map_err(|e| e.to_string())?;
        let name = r.name();
        let mirrored = self.mirrors.iter().find_map(|m| {
            let rest = name.strip_prefix(&m.prefix_name)?.strip_prefix('/')?;
            Some(format!("{}/{rest}", m.upstream))
        });
        let upstream = mirrored.clone().unwrap_or_else(|| name.clone());
        let mut suffix = r.suffix().to_string();
        if let Some((i, pin)) = self
            .pins
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == upstream)
        {
            used_pins[i] = true;
            suffix = pin.suffix();
        }
        let written_name = &image[..image.len() - r.suffix().len()];
        let new = if mirrored.is_some() {
            format!("{written_name}{suffix}")
        } else if let Some(m) = self.mirrors.iter().find(|m| m.upstream == r.registry()) {
            format!("{}/{}{suffix}", m.prefix, r.repository())
        } else {
            let new = format!("{written_name}{suffix}");
            if new == image {
                return Ok(Outcome::Kept(format!("no mirror for {}", r.registry())));
            }
            new
        };
        Ok(if new == image {
            Outcome::Kept("already mirrored".into())
        } else {
            Outcome::Changed(new)
        })
    }
}

enum Outcome {
    Changed(String),
    Kept(String),
}

impl Pin {
    fn suffix(&self) -> String {
        let tag = self
            .tag
            .as_ref()
            .map(|t| format!(":{t}"))
            .unwrap_or_default();
        let digest = self
            .digest
            .as_ref()
            .map(|d| format!("@{d}"))
            .unwrap_or_default();
        tag + &digest
    }
}

fn compile_pin(i: usize, pin: &crate::overlay::registry::ImagePin) -> Result<Pin> {
    let key = format!("registry.images[{i}]");
    let r = ImageRef::parse(&pin.name)
        .map_err(|e| Error::overlay(format!("{key}.name"), e.to_string()))?;
    if !r.suffix().is_empty() {
        return Err(Error::overlay(
            format!("{key}.name"),
            format!(
                "{:?} has a tag or digest; put it in `tag:` or `digest:`",
                pin.name
            ),
        ));
    }
    if pin.tag.is_none() && pin.digest.is_none() {
        return Err(Error::overlay(
            &key,
            "a pin needs `tag:`, `digest:` or both",
        ));
    }
    let mut probe = format!(
        "x{}",
        Pin {
            name: String::new(),
            tag: pin.tag.clone(),
            digest: pin.digest.clone()
        }
        .suffix()
    );
    if let Err(e) = ImageRef::parse(&probe) {
        probe = e.reason;
        return Err(Error::overlay(&key, probe));
    }
    Ok(Pin {
        name: r.name(),
        tag: pin.tag.clone(),
        digest: pin.digest.clone(),
    })
}

impl Step for RegistryStep {
    fn name(&self) -> &'static str {
        "registry"
    }

    fn parses(&self, kind: &str) -> bool {
        is_workload(kind) || self.paths.iter().any(|p| p.kind == kind)
    }

    fn apply(&self, stream: &mut Stream<'_>, _ctx: &Context) -> Result<Report> {
        let mut report = Report::new(self.name());
        let mut used_pins = vec![false; self.pins.len()];
        edit_objects(stream, is_workload, |at, object| {
            self.rewrite_pod(at, object, &mut used_pins, &mut report)
        })?;
        for (i, custom) in self.paths.iter().enumerate() {
            let mut seen = false;
            let wanted = |k: &str| k == custom.kind;
            visit_objects(stream, wanted, |_, _, object| {
                seen |= custom
                    .api_version
                    .as_deref()
                    .is_none_or(|v| object.get("apiVersion").and_then(Value::as_str) == Some(v));
                Ok(())
            })?;
            if !seen {
                return Err(Error::overlay(
                    format!("registry.paths[{i}]"),
                    format!(
                        "no document of kind {} in the stream; remove the entry or fix its kind",
                        custom.kind
                    ),
                ));
            }
            edit_objects(stream, wanted, |at, object| {
                self.rewrite_path(i, custom, at, object, &mut used_pins, &mut report)
            })?;
        }
        if let Some(i) = used_pins.iter().position(|used| !used) {
            return Err(Error::overlay(
                format!("registry.images[{i}]"),
                format!(
                    "{} matched no image in the stream; check the name (matched after normalisation, e.g. docker.io/library/nginx)",
                    self.pins[i].name
                ),
            ));
        }
        Ok(report)
    }
}

impl RegistryStep {
    fn rewrite_pod(
        &self,
        at: &DocAt,
        object: &mut Value,
        used_pins: &mut [bool],
        report: &mut Report,
    ) -> Result<bool> {
        let id = at.id.clone().unwrap_or_default();
        let Some(spec) = pod_spec_mut(object) else {
            return Ok(false);
        };
        let mut changed = false;
        for list in CONTAINER_LISTS {
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for (i, container) in containers.iter_mut().enumerate() {
                let name = container
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                let field = format!("{list}[{name}].image");
                let Some(image) = container.get_mut("image") else {
                    continue;
                };
                changed |=
                    self.rewrite_value(image, &id, &field, at, "registry", used_pins, report)?;
            }
        }
        Ok(changed)
    }

    fn rewrite_path(
        &self,
        i: usize,
        custom: &CustomPath,
        at: &DocAt,
        object: &mut Value,
        used_pins: &mut [bool],
        report: &mut Report,
    ) -> Result<bool> {
        if let Some(v) = &custom.api_version {
            if object.get("apiVersion").and_then(Value::as_str) != Some(v) {
                return Ok(false);
            }
        }
        let key = format!("registry.paths[{i}]");
        let id = at.id.clone().unwrap_or_default();
        let found = custom
            .path
            .locate(object)
            .map_err(|m| Error::doc(at, &key, m))?;
        let mut changed = false;
        for path in found {
            let field = jsonpath::readable(&path);
            let Some(target) = jsonpath::at_mut(object, &path) else {
                continue;
            };
            changed |= self.rewrite_value(target, &id, &field, at, &key, used_pins, report)?;
        }
        Ok(changed)
    }

    #[allow(clippy::too_many_arguments)]
    fn rewrite_value(
        &self,
        target: &mut Value,
        id: &str,
        field: &str,
        at: &DocAt,
        key: &str,
        used_pins: &mut [bool],
        report: &mut Report,
    ) -> Result<bool> {
        let Some(image) = target.as_str() else {
            return Err(Error::doc(at, key, format!("{field} is not a string")));
        };
        match self
            .rewrite(image, used_pins)
            .map_err(|m| Error::doc(at, key, format!("{field}: {m}")))?
        {
            Outcome::Changed(new) => {
                report.lines.push(format!("{id} {field}: {image} -> {new}"));
                *target = Value::String(new);
                Ok(true)
            }
            Outcome::Kept(why) => {
                report
                    .lines
                    .push(format!("{id} {field}: kept {image} ({why})"));
                Ok(false)
            }
        }
    }
}
