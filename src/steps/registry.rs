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

use super::fused::{self, Failures, Fusable, ObjectStep};
use super::{Context, Report, Step, edit_objects, visit_objects};
use crate::error::{DocAt, Error, Result};
use crate::image::{DOCKER_HUB, ImageRef};
use crate::jsonpath;
use crate::overlay::registry::Registry;
use crate::stream::Stream;
use crate::workload::{CONTAINER_LISTS, container_label, is_workload, pod_spec_mut};

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
                if p.kind == "Secret" {
                    // A path into a Secret would put its values in errors and the report.
                    return Err(Error::overlay(
                        format!("registry.paths[{i}].kind"),
                        "a Secret holds no image references, and overhelm never reads Secret values; remove the entry",
                    ));
                }
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
        } else {
            let registry = r.registry();
            if let Some(m) = self.mirrors.iter().find(|m| m.upstream == registry) {
                format!("{}/{}{suffix}", m.prefix, r.repository())
            } else {
                let new = format!("{written_name}{suffix}");
                if new == image {
                    return Ok(Outcome::Kept(format!("no mirror for {registry}")));
                }
                new
            }
        };
        if new == image {
            return Ok(Outcome::Kept("already mirrored".into()));
        }
        // A long name under a long mirror prefix can pass the 255-character limit.
        ImageRef::parse(&new)
            .map_err(|e| format!("rewriting {image:?} would give {new:?}: {}", e.reason))?;
        Ok(Outcome::Changed(new))
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

    fn object_step(&self) -> Option<Box<dyn Fusable + '_>> {
        // A custom path is a second pass over the stream after the pods, with its own checks
        // between: such a registry step runs over the whole stream.
        self.paths.is_empty().then(|| fused::fusable(self))
    }

    fn apply(&self, stream: &mut Stream<'_>, _ctx: &Context) -> Result<Report> {
        let mut tally = ObjectStep::start(self);
        let mut pass = Pass {
            step: self,
            tally: &mut tally,
        };
        edit_objects(stream, is_workload, |at, object| {
            pass.rewrite_pod(at, object)
        })?;
        for (i, custom) in self.paths.iter().enumerate() {
            let wanted = |k: &str| k == custom.kind;
            let mut seen = false;
            visit_objects(stream, wanted, |_, _, object| {
                seen |= custom.matches_version(object);
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
                pass.rewrite_path(i, custom, at, object)
            })?;
        }
        self.check_pins(&tally.used_pins)?;
        Ok(tally.report)
    }
}

impl ObjectStep for RegistryStep {
    type Tally = Tally;

    fn wants(&self, kind: &str) -> bool {
        is_workload(kind)
    }

    fn start(&self) -> Tally {
        Tally {
            used_pins: vec![false; self.pins.len()],
            report: Report::new("registry"),
        }
    }

    fn edit(&self, at: &DocAt, object: &mut Value, tally: &mut Tally) -> Result<bool> {
        Pass { step: self, tally }.rewrite_pod(at, object)
    }

    fn merge(&self, tally: &mut Tally, next: Tally) {
        for (used, next) in tally.used_pins.iter_mut().zip(next.used_pins) {
            *used |= next;
        }
        tally.report.lines.extend(next.report.lines);
        tally.report.warnings.extend(next.report.warnings);
    }

    fn end(&self, tally: Tally, failures: Failures) -> Result<Report> {
        if let Some(error) = failures.first() {
            return Err(error);
        }
        self.check_pins(&tally.used_pins)?;
        Ok(tally.report)
    }
}

impl RegistryStep {
    /// Every pin must have matched an image.
    fn check_pins(&self, used: &[bool]) -> Result<()> {
        let Some(i) = used.iter().position(|used| !used) else {
            return Ok(());
        };
        Err(Error::overlay(
            format!("registry.images[{i}]"),
            format!(
                "{} matched no image in the stream; check the name (matched after normalisation, e.g. docker.io/library/nginx)",
                self.pins[i].name
            ),
        ))
    }
}

/// The report and every error name the workload, and Kubernetes refuses an object without a
/// name anyway: a workload with neither `metadata.name` nor `metadata.generateName` is an error
/// here, where the message can still name the template it came from.
fn require_name(at: &DocAt, object: &Value) -> Result<()> {
    let meta = object.get("metadata");
    let named = ["name", "generateName"].iter().any(|key| {
        meta.and_then(|m| m.get(*key))
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty())
    });
    if named {
        return Ok(());
    }
    Err(Error::doc(
        at,
        "registry",
        "the workload has no metadata.name; Kubernetes refuses an object without a name, so the chart's template needs fixing",
    ))
}

impl CustomPath {
    fn matches_version(&self, object: &Value) -> bool {
        self.api_version
            .as_deref()
            .is_none_or(|v| object.get("apiVersion").and_then(Value::as_str) == Some(v))
    }
}

/// What the step notes over the stream: which pins were used, and the report.
#[derive(Debug)]
pub struct Tally {
    used_pins: Vec<bool>,
    report: Report,
}

/// The step at work, with its tally.
struct Pass<'s, 't> {
    step: &'s RegistryStep,
    tally: &'t mut Tally,
}

impl Pass<'_, '_> {
    fn rewrite_pod(&mut self, at: &DocAt, object: &mut Value) -> Result<bool> {
        require_name(at, object)?;
        let Some(spec) = pod_spec_mut(object) else {
            return Ok(false);
        };
        let mut changed = false;
        for list in CONTAINER_LISTS {
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for (i, container) in containers.iter_mut().enumerate() {
                let name = container_label(container, i);
                let Some(image) = container.get_mut("image") else {
                    continue;
                };
                changed |=
                    self.rewrite_value(image, at, "registry", &format!("{list}[{name}].image"))?;
            }
        }
        Ok(changed)
    }

    fn rewrite_path(
        &mut self,
        i: usize,
        custom: &CustomPath,
        at: &DocAt,
        object: &mut Value,
    ) -> Result<bool> {
        if !custom.matches_version(object) {
            return Ok(false);
        }
        let key = format!("registry.paths[{i}]");
        let found = custom
            .path
            .locate(object)
            .map_err(|m| Error::doc(at, &key, m))?;
        let mut changed = false;
        for path in found {
            let Some(target) = jsonpath::at_mut(object, &path) else {
                continue;
            };
            changed |= self.rewrite_value(target, at, &key, &jsonpath::readable(&path))?;
        }
        Ok(changed)
    }

    /// Rewrites one image field; `key` is the overlay key for errors, `field` the field's path.
    fn rewrite_value(
        &mut self,
        target: &mut Value,
        at: &DocAt,
        key: &str,
        field: &str,
    ) -> Result<bool> {
        let Some(image) = target.as_str() else {
            return Err(Error::doc(at, key, format!("{field} is not a string")));
        };
        let id = at.id.as_deref().unwrap_or_default();
        match self
            .step
            .rewrite(image, &mut self.tally.used_pins)
            .map_err(|m| Error::doc(at, key, format!("{field}: {m}")))?
        {
            Outcome::Changed(new) => {
                self.tally
                    .report
                    .lines
                    .push(format!("{id} {field}: {image} -> {new}"));
                *target = Value::String(new);
                Ok(true)
            }
            Outcome::Kept(why) => {
                self.tally
                    .report
                    .lines
                    .push(format!("{id} {field}: kept {image} ({why})"));
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::Overlay;
    use crate::yaml::Limits;

    const MIRRORS: &str = "registry:\n  mirrors:\n    ghcr.io: harbor.example/ghcr-proxy\n    docker.io: harbor.example/dockerhub-proxy\n    registry.local:5000: harbor.example:8443/local/\n";
    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn render(overlay: &str, input: &str) -> Result<(String, Vec<String>)> {
        let overlay = Overlay::parse(
            &format!("apiVersion: overhelm/v1\nkind: Overlay\n{overlay}"),
            "o.yaml",
        )?;
        let r = crate::render::render(input, &overlay, &Context::default(), &Limits::default())?;
        Ok((
            r.output,
            r.reports.into_iter().flat_map(|r| r.lines).collect(),
        ))
    }

    fn pod(image: &str) -> String {
        format!(
            "kind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: {image}\n"
        )
    }

    fn image_after(overlay: &str, image: &str) -> String {
        let (out, _) = render(overlay, &pod(image)).unwrap();
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with("image: "))
            .unwrap();
        line.trim_start()
            .trim_start_matches("image: ")
            .trim_matches('"')
            .to_string()
    }

    #[test]
    fn rewrites() {
        let cases = [
            ("nginx", "harbor.example/dockerhub-proxy/library/nginx"),
            (
                "nginx:1.25",
                "harbor.example/dockerhub-proxy/library/nginx:1.25",
            ),
            (
                "index.docker.io/library/nginx:1",
                "harbor.example/dockerhub-proxy/library/nginx:1",
            ),
            (
                "bitnamilegacy/postgresql:15",
                "harbor.example/dockerhub-proxy/bitnamilegacy/postgresql:15",
            ),
            (
                "ghcr.io/backstage/backstage:latest",
                "harbor.example/ghcr-proxy/backstage/backstage:latest",
            ),
            (
                "ghcr.io/backstage/backstage",
                "harbor.example/ghcr-proxy/backstage/backstage",
            ),
            ("GHCR.io/a/b:1", "harbor.example/ghcr-proxy/a/b:1"),
            (
                "registry.local:5000/team/app:1.0",
                "harbor.example:8443/local/team/app:1.0",
            ),
            ("registry.local/team/app:1.0", "registry.local/team/app:1.0"),
            ("ghcr.io.evil.com/a/b:1", "ghcr.io.evil.com/a/b:1"),
            (
                "ghcrxio/a/b:1",
                "harbor.example/dockerhub-proxy/ghcrxio/a/b:1",
            ),
            ("quay.io/x/y:1", "quay.io/x/y:1"),
            (
                "harbor.example/ghcr-proxy/backstage/backstage:1",
                "harbor.example/ghcr-proxy/backstage/backstage:1",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(image_after(MIRRORS, input), want, "{input}");
        }
        let tag_digest = format!("nginx:1.25@{D}");
        assert_eq!(
            image_after(MIRRORS, &tag_digest),
            format!("harbor.example/dockerhub-proxy/library/nginx:1.25@{D}")
        );
    }

    #[test]
    fn pins_apply_to_the_upstream_name_mirrored_or_not() {
        let pin = |p: &str| format!("{MIRRORS}  images:\n  - {p}\n");
        let tag = pin("{name: ghcr.io/backstage/backstage, tag: '1.35.0'}");
        assert_eq!(
            image_after(&tag, "ghcr.io/backstage/backstage:latest"),
            "harbor.example/ghcr-proxy/backstage/backstage:1.35.0"
        );
        assert_eq!(
            image_after(&tag, "harbor.example/ghcr-proxy/backstage/backstage:latest"),
            "harbor.example/ghcr-proxy/backstage/backstage:1.35.0"
        );
        let digest = pin(&format!("{{name: nginx, digest: '{D}'}}"));
        assert_eq!(
            image_after(&digest, "docker.io/library/nginx:1.25"),
            format!("harbor.example/dockerhub-proxy/library/nginx@{D}")
        );
        let both = pin(&format!("{{name: quay.io/x/y, tag: '2', digest: '{D}'}}"));
        assert_eq!(
            image_after(&both, "quay.io/x/y:1"),
            format!("quay.io/x/y:2@{D}")
        );
    }

    #[test]
    fn every_container_list_of_every_workload_kind() {
        let input = "kind: CronJob\nmetadata: {name: j}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{name: i, image: busybox}]\n          containers: [{name: c, image: nginx}]\n          ephemeralContainers: [{name: e, image: alpine}]\n";
        let (out, report) = render(MIRRORS, input).unwrap();
        for image in ["library/busybox", "library/nginx", "library/alpine"] {
            assert!(
                out.contains(&format!("harbor.example/dockerhub-proxy/{image}")),
                "{out}"
            );
        }
        assert_eq!(report.len(), 3);
        assert!(
            report[0].starts_with("CronJob/j initContainers[i].image: busybox -> "),
            "{report:?}"
        );
    }

    #[test]
    fn custom_resource_paths() {
        let overlay =
            format!("{MIRRORS}  paths:\n  - {{kind: Prometheus, path: '$.spec.image'}}\n");
        let input = "kind: Prometheus\napiVersion: monitoring.coreos.com/v1\nmetadata: {name: k8s}\nspec: {image: 'quay.io/prometheus/prometheus:v2'}\n---\nkind: Prometheus\nmetadata: {name: other}\nspec: {image: 'ghcr.io/a/b:1'}\n";
        let (out, _) = render(&overlay, input).unwrap();
        assert!(
            out.contains("spec: {image: 'quay.io/prometheus/prometheus:v2'}"),
            "untouched: {out}"
        );
        assert!(
            out.contains("image: harbor.example/ghcr-proxy/a/b:1"),
            "{out}"
        );
        let err = render(&overlay, &pod("nginx")).unwrap_err().to_string();
        assert_eq!(
            err,
            "overlay registry.paths[0]: no document of kind Prometheus in the stream; remove the entry or fix its kind"
        );
    }

    #[test]
    fn overlay_errors() {
        let cases = [
            (
                "registry:\n  mirrors: {harbor.example: harbor.example/proxy}\n",
                "overlay registry.mirrors.harbor.example: the mirror harbor.example/proxy is itself a mirrored registry, which would rewrite images in a loop; point it at the proxy project of another host",
            ),
            (
                "registry:\n  mirrors: {'not a host': harbor.example/p}\n",
                "overlay registry.mirrors.not a host: \"not a host\" is not a registry host (like ghcr.io or registry.local:5000)",
            ),
            (
                "registry:\n  mirrors: {ghcr.io: 'Harbor Example'}\n",
                "overlay registry.mirrors.ghcr.io: \"Harbor Example\" is not a mirror prefix (like harbor.example/ghcr-proxy)",
            ),
            (
                "registry:\n  images: [{name: 'nginx:1', tag: '2'}]\n",
                "overlay registry.images[0].name: \"nginx:1\" has a tag or digest; put it in `tag:` or `digest:`",
            ),
            (
                "registry:\n  images: [{name: nginx}]\n",
                "overlay registry.images[0]: a pin needs `tag:`, `digest:` or both",
            ),
            (
                "registry:\n  images: [{name: nginx, digest: 'sha256:12'}]\n",
                "overlay registry.images[0]: a sha256 digest has 64 lower-case hex digits",
            ),
            (
                "registry:\n  images: [{name: redis, tag: '7'}]\n",
                "overlay registry.images[0]: docker.io/library/redis matched no image in the stream; check the name (matched after normalisation, e.g. docker.io/library/nginx)",
            ),
            (
                "registry:\n  paths: [{kind: X, path: '$.spec['}]\n",
                "overlay registry.paths[0].path: \"$.spec[\" is not a JSONPath (RFC 9535) query",
            ),
        ];
        for (overlay, want) in cases {
            let err = render(overlay, &pod("nginx")).unwrap_err().to_string();
            assert!(
                err.starts_with(want),
                "{overlay}\n got: {err}\nwant: {want}"
            );
        }
    }

    #[test]
    fn non_string_image_is_an_error_naming_the_field() {
        let err = render(
            MIRRORS,
            "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: 5}]}\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "document 1 (Pod/p): registry: containers[c].image is not a string"
        );
    }
}
