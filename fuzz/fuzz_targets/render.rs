//! The whole post-renderer on arbitrary bytes, with two fixed overlays (registry mirrors; a patch
//! that sets a label and removes an annotation on every ConfigMap).
//!
//! Invariants, whenever a render succeeds: nothing panics; the same input gives the same bytes;
//! rendering the output again changes nothing; every input document is present in order
//! (separators as they came); every output document parses, and to the input document's value
//! except for what the overlay edits (images, the label, the annotation); a document the overlay
//! cannot have changed comes out byte for byte.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::stream::{Scan, scan, split};
use overhelm::workload::is_workload;
use overhelm::yaml::{self, Limits};
use serde_json::Value;

const REGISTRY: &str = "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors:\n    docker.io: harbor.example/hub\n    ghcr.io: harbor.example/ghcr\n    registry.local:5000: harbor.example/local\n";
const PATCH: &str = "apiVersion: overhelm/v1\nkind: Overlay\npatches:\n  - target: {kind: ConfigMap}\n    set: {\"$.metadata.labels.fuzzed\": \"yes\"}\n    remove: [\"$.metadata.annotations.drop\"]\n";

fn overlays() -> &'static [Overlay; 2] {
    static OVERLAYS: OnceLock<[Overlay; 2]> = OnceLock::new();
    OVERLAYS.get_or_init(|| {
        [
            Overlay::parse(REGISTRY, "registry").expect("overlay"),
            Overlay::parse(PATCH, "patch").expect("overlay"),
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
    assert_eq!(before.len(), after.len(), "no document lost or added");
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a.sep, b.sep, "separators kept");
        let old = yaml::parse(a.body, limits).expect("the input document parsed");
        let new = yaml::parse(b.body, limits).expect("the output document parses");
        assert_eq!(normalise(old), normalise(new), "only the overlay's edits differ");
        let untouchable = match scan(a.body) {
            Scan::Empty => true,
            Scan::Kind(Some(kind)) => {
                !is_workload(kind) && !kind.ends_with("List") && kind != "ConfigMap"
            }
            Scan::Kind(None) => true,
            Scan::Unsure => false,
        };
        if untouchable {
            assert_eq!(a.body, b.body, "an untouched document is byte-identical");
        }
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
            if let Some(labels) = map.get_mut("labels").and_then(Value::as_object_mut) {
                labels.shift_remove("fuzzed");
            }
            if let Some(annotations) = map.get_mut("annotations").and_then(Value::as_object_mut) {
                annotations.shift_remove("drop");
            }
            for v in map.values_mut() {
                blank(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank),
        _ => {}
    }
}
