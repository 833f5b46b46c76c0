//! The whole post-renderer on arbitrary bytes, with fixed overlays: registry mirrors alone; a
//! patch alone (a label set and an annotation removed on every ConfigMap); resources defaults
//! and a budget alone; and every step at once (patches, tls, waitFor, registry, resources
//! defaults/set and budget), shaped like the minicloud Backstage overlay so that mutations of
//! the Backstage seeds get through all of them.
//!
//! Invariants, whenever a render succeeds: nothing panics; the same input gives the same bytes;
//! rendering the output again changes nothing; every output document parses; every input
//! document is present, in order, with its separator, and parses to the input document's value
//! except for what the overlay edits (images, the label, the annotation, `minReadySeconds`,
//! resources, the waitFor init container); the only other output documents are injected ones (origin `overhelm/...`);
//! a document no step can change comes out byte for byte.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::stream::{Scan, Stream, scan, split};
use overhelm::workload::is_workload;
use overhelm::yaml::{self, Limits};
use serde_json::Value;

const HEADER: &str = "apiVersion: overhelm/v1\nkind: Overlay\n";
const REGISTRY: &str = "registry:\n  mirrors:\n    docker.io: harbor.example/hub\n    ghcr.io: harbor.example/ghcr\n    registry.local:5000: harbor.example/local\n";
const PATCH: &str = "patches:\n  - target: {kind: ConfigMap}\n    set: {\"$.metadata.labels.fuzzed\": \"yes\"}\n    remove: [\"$.metadata.annotations.drop\"]\n";
const RESOURCES: &str = "resources:\n  defaults:\n    requests: {cpu: 50m, memory: 64Mi}\n    limits: {memory: 256Mi}\n  budget:\n    requests: {cpu: \"1000\", memory: 1Ti}\n";
/// The rest of the all-steps overlay, after REGISTRY. Its patch selects the Deployment that
/// waitFor and resources.set select too, so that it asks nothing more of an input.
const ALL: &str = "patches:
  - target: {kind: Deployment, name: backstage}
    set: {\"$.spec.minReadySeconds\": 5}
tls:
  - host: backstage.10.0.0.200.nip.io
    service: backstage
    port: 7007
    issuer: {kind: ClusterIssuer, name: minicloud-ca}
    ingressClassName: nginx
    redirect: true
    certificate: {duration: 2160h, renewBefore: 720h, privateKey: {algorithm: ECDSA, size: 256}}
waitFor:
  - workload: {kind: Deployment, name: backstage}
    postgres:
      host: {fromEnv: POSTGRES_HOST}
      port: {fromEnv: POSTGRES_PORT}
      user: {fromEnv: POSTGRES_USER}
      password: {fromEnv: POSTGRES_PASSWORD}
      database: backstage_plugin_catalog
    timeout: 10m
    image: auto
resources:
  defaults:
    requests: {cpu: 50m, memory: 64Mi}
    limits: {memory: 256Mi}
  set:
    - workload: {kind: Deployment, name: backstage}
      container: backstage-backend
      requests: {cpu: 100m, memory: 384Mi}
      limits: {cpu: \"1\", memory: 1Gi}
  budget:
    requests: {cpu: \"200\", memory: 200Gi}
    limits: {memory: 400Gi}
";

/// The init container waitFor adds.
const WAIT_FOR: &str = "wait-for-postgres";

fn overlays() -> &'static [Overlay; 4] {
    static OVERLAYS: OnceLock<[Overlay; 4]> = OnceLock::new();
    OVERLAYS.get_or_init(|| {
        let parse = |body: String, name| Overlay::parse(&(HEADER.to_string() + &body), name);
        [
            parse(REGISTRY.into(), "registry").expect("overlay"),
            parse(PATCH.into(), "patch").expect("overlay"),
            parse(RESOURCES.into(), "resources").expect("overlay"),
            parse(format!("{REGISTRY}{ALL}"), "all").expect("overlay"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    let ctx = Context::default();
    for overlay in overlays() {
        let Ok(once) = render(input, overlay, &ctx, &limits) else {
            continue;
        };
        let again = render(input, overlay, &ctx, &limits).expect("same input, same result");
        assert_eq!(once.output, again.output, "deterministic");
        let twice = render(&once.output, overlay, &ctx, &limits).expect("the output renders");
        assert_eq!(twice.output, once.output, "idempotent");
        check_documents(input, &once.output, &limits);
    }
});

fn check_documents(input: &str, output: &str, limits: &Limits) {
    let body = input.strip_prefix('\u{feff}').unwrap_or(input);
    if output == "---\n" && body.trim().is_empty() {
        return;
    }
    let before = split(body);
    let after = split(output);
    let old_origins = origins(body, limits);
    let new_origins = origins(output, limits);
    let mut next = 0;
    for (b, origin) in after.iter().zip(&new_origins) {
        let new = yaml::parse(b.body, limits).expect("every output document parses");
        let ours = origin
            .as_deref()
            .is_some_and(|o| o.starts_with("overhelm/"));
        let matches = before.get(next).is_some_and(|a| {
            a.sep == b.sep
                && if ours && old_origins[next] == *origin {
                    // Injected by an earlier render: the step may update it in place.
                    true
                } else {
                    let old = yaml::parse(a.body, limits).expect("the input document parsed");
                    normalise(old) == normalise(new)
                }
        });
        if matches {
            let a = before[next].body;
            if untouchable(a) {
                assert!(
                    b.body == a || b.body.strip_suffix('\n') == Some(a),
                    "an untouched document is byte-identical (a newline may end it when a document is added after it)"
                );
            }
            next += 1;
        } else {
            assert!(
                ours,
                "output document {b:?} is neither the next input document nor injected"
            );
        }
    }
    assert_eq!(
        next,
        before.len(),
        "every input document is present, in order"
    );
}

/// Each document's origin (`# Source:` line or Helm 4 annotation).
fn origins(text: &str, limits: &Limits) -> Vec<Option<String>> {
    let stream = Stream::split(text, limits);
    stream.docs().iter().map(|d| d.origin()).collect()
}

fn untouchable(body: &str) -> bool {
    if body.contains("overhelm/") {
        return false;
    }
    match scan(body) {
        Scan::Empty | Scan::Kind(None) => true,
        Scan::Kind(Some(kind)) => {
            !is_workload(kind)
                && !kind.ends_with("List")
                && !matches!(kind, "ConfigMap" | "Ingress" | "Certificate")
        }
        Scan::Unsure => false,
    }
}

/// The value with what the overlays may edit blanked out.
fn normalise(mut docs: Vec<Value>) -> Vec<Value> {
    for doc in &mut docs {
        blank(doc);
    }
    docs
}

fn blank(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(image) = map.get_mut("image").filter(|v| v.is_string()) {
                *image = Value::Null;
            }
            map.shift_remove("resources");
            map.shift_remove("minReadySeconds");
            if let Some(labels) = map.get_mut("labels").and_then(Value::as_object_mut) {
                labels.shift_remove("fuzzed");
            }
            if let Some(annotations) = map.get_mut("annotations").and_then(Value::as_object_mut) {
                annotations.shift_remove("drop");
            }
            if let Some(Value::Array(inits)) = map.get_mut("initContainers") {
                inits.retain(|c| c.get("name").and_then(Value::as_str) != Some(WAIT_FOR));
            }
            if map
                .get("initContainers")
                .is_some_and(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty))
            {
                map.shift_remove("initContainers");
            }
            for v in map.values_mut() {
                blank(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank),
        _ => {}
    }
}
