//! Property tests over generated manifest streams with every step on at once (patches, tls,
//! waitFor, registry, resources defaults/set and budget): no document lost, output order kept,
//! documents no step changes byte-identical, rendering twice equals rendering once.
//!
//! The one place the output may differ in shape from the input is spelled out: tls injects
//! exactly its Ingress and Certificate, right after the Service they point at (`web`), with the
//! origin `overhelm/tls/web.yaml`; every other output document is the input document at the
//! same position (shifted by those two).

use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::stream::{Chunk, Stream, split};
use overhelm::yaml::{self, Limits};
use proptest::prelude::*;
use serde_json::Value;

const OVERLAY: &str = r#"apiVersion: overhelm/v1
kind: Overlay
patches:
  - target: {kind: ConfigMap, name: settings}
    set: {"$.data.patched": "yes"}
tls:
  - host: web.example.test
    service: web
    port: 80
    issuer: {kind: ClusterIssuer, name: ca}
waitFor:
  - workload: {kind: Deployment, name: app}
    postgres: {host: {fromEnv: DB_HOST}, port: {fromEnv: DB_PORT}}
    image: docker.io/library/postgres:16-alpine
registry:
  mirrors:
    docker.io: harbor.example/hub
    ghcr.io: harbor.example/ghcr
resources:
  defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}
  set: [{workload: {kind: Deployment, name: app}, container: app, requests: {cpu: 100m}}]
  budget: {requests: {cpu: "100", memory: 100Gi}}
"#;

/// The documents every stream has: what the patch, tls and waitFor entries select.
fn anchors() -> Vec<String> {
    vec![
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n".into(),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - {name: http, port: 80}\n".into(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app   # the app\n          image: ghcr.io/example/app:1.0\n          env:\n            - {name: DB_HOST, value: db}\n            - {name: DB_PORT, value: \"5432\"}\n".into(),
    ]
}

fn image() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nginx".to_string()),
        Just("docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10".to_string()),
        Just("ghcr.io/backstage/backstage:latest".to_string()),
        Just("quay.io/prometheus/node-exporter:v1.8.0".to_string()),
        Just("harbor.example/hub/library/redis:7".to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"on\"".to_string()),
        Just("'0755'".to_string()),
        Just("plain".to_string()),
        Just("|\n    multi\n    ---\n    line".to_string()),
        "[a-z]{1,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

/// One document besides the anchors (named with `i`, so no two share an id).
fn filler(i: usize) -> BoxedStrategy<String> {
    prop_oneof![
        (image(), image()).prop_map(move |(a, b)| format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s{i}\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: init\n          image: {a}\n      containers:\n        - name: main\n          image: \"{b}\"\n          resources:\n            limits: {{cpu: 200m}}\n"
        )),
        text().prop_map(move |t| format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  key: {t}\n"
        )),
        text().prop_map(move |t| format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: k{i}\nstringData:\n  password: {t}\n"
        )),
        Just(format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\nspec:\n  ports: [{{port: 8080}}]\n"
        )),
        Just(format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: other{i}\nspec:\n  rules: [{{host: other{i}.example.test}}]\n"
        )),
        Just("# only a comment\n".to_string()),
        image().prop_map(move |a| format!(
            "{{\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {{\"name\": \"j{i}\"}}, \"spec\": {{\"jobTemplate\": {{\"spec\": {{\"template\": {{\"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \"{a}\"}}]}}}}}}}}}}}}\n"
        )),
        image().prop_map(move |a| format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p{i}}}\n  spec:\n    containers: [{{name: c, image: '{a}'}}]\n"
        )),
    ]
    .boxed()
}

/// A stream: the anchors and up to 6 other documents in any order, as Helm 3 or Helm 4 sends
/// it, with LF or CRLF line ends.
fn stream() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0..1usize, 0..6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(slots, helm4, crlf)| {
            let fillers: Vec<BoxedStrategy<String>> = (0..slots.len()).map(filler).collect();
            fillers
                .prop_map(|mut docs| {
                    docs.extend(anchors());
                    docs
                })
                .prop_shuffle()
                .prop_map(move |docs| assemble(&docs, helm4, crlf))
        })
}

fn assemble(docs: &[String], helm4: bool, crlf: bool) -> String {
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        let origin = format!("chart/templates/t{i}.yaml");
        if helm4 {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&doc.replacen(
                "metadata:\n",
                &format!("metadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: {origin}\n"),
                1,
            ));
        } else {
            out.push_str(&format!("---\n# Source: {origin}\n{doc}"));
        }
    }
    if crlf { out.replace('\n', "\r\n") } else { out }
}

/// The first object of a document, parsed.
fn object(body: &str) -> Option<Value> {
    yaml::parse(body, &Limits::default())
        .expect("parses")
        .into_iter()
        .next()
}

fn id(body: &str) -> Option<(String, String)> {
    let v = object(body)?;
    Some((
        v.get("kind")?.as_str()?.to_string(),
        v.pointer("/metadata/name")?.as_str()?.to_string(),
    ))
}

/// What no step may touch: everything but workloads, Lists and the patched ConfigMap.
fn untouchable(body: &str) -> bool {
    match id(body) {
        None => !body.contains("\"kind\"") && !body.contains("kind: List"),
        Some((kind, name)) => match kind.as_str() {
            "ConfigMap" => name != "settings",
            "Service" | "Secret" | "Ingress" => true,
            _ => false,
        },
    }
}

/// The value with what the steps may edit blanked out.
fn blank(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.shift_remove("resources");
            if let Some(image) = map.get_mut("image") {
                *image = Value::Null;
            }
            if let Some(Value::Array(inits)) = map.get_mut("initContainers") {
                inits.retain(|c| c["name"] != "wait-for-postgres");
            }
            if map.get("initContainers") == Some(&Value::Array(vec![])) {
                map.shift_remove("initContainers");
            }
            if map.get("kind") == Some(&"ConfigMap".into()) {
                if let Some(data) = map.get_mut("data").and_then(Value::as_object_mut) {
                    data.shift_remove("patched");
                }
            }
            map.values_mut().for_each(blank);
        }
        Value::Array(items) => items.iter_mut().for_each(blank),
        _ => {}
    }
}

fn blanked(body: &str) -> Option<Value> {
    let mut v = object(body)?;
    blank(&mut v);
    Some(v)
}

/// Checks one input document against the output document at its place.
fn same_document(a: &Chunk<'_>, b: &Chunk<'_>) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.sep, b.sep, "separator kept");
    prop_assert_eq!(id(a.body), id(b.body), "order kept");
    if untouchable(a.body) {
        prop_assert_eq!(a.body, b.body, "an untouched document is byte-identical");
    } else {
        prop_assert_eq!(
            blanked(a.body),
            blanked(b.body),
            "only the steps' edits differ"
        );
    }
    Ok(())
}

/// The steps' edits are there: the patch, the init container first, requests everywhere,
/// images through the mirrors.
fn check_edits(output: &str) -> Result<(), TestCaseError> {
    for chunk in split(output) {
        let Some(v) = object(chunk.body) else {
            continue;
        };
        let text = serde_json::to_string(&v).unwrap_or_default();
        for bad in ["\"image\":\"nginx\"", "\"docker.io/", "\"ghcr.io/"] {
            prop_assert!(!text.contains(bad), "{} left in {}", bad, text);
        }
        match id(chunk.body) {
            Some((kind, name)) if kind == "Deployment" && name == "app" => {
                let spec = &v["spec"]["template"]["spec"];
                prop_assert_eq!(&spec["initContainers"][0]["name"], "wait-for-postgres");
                prop_assert_eq!(
                    &spec["containers"][0]["resources"]["requests"]["cpu"],
                    "100m"
                );
            }
            Some((kind, name)) if kind == "ConfigMap" && name == "settings" => {
                prop_assert_eq!(&v["data"]["patched"], "yes");
            }
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_step_at_once_loses_nothing_and_is_idempotent(input in stream()) {
        let overlay = Overlay::parse(OVERLAY, "all-steps").expect("overlay");
        let limits = Limits::default();
        let ctx = Context::default();
        let once = render(&input, &overlay, &ctx, &limits).expect("renders").output;
        let again = render(&input, &overlay, &ctx, &limits).expect("renders").output;
        prop_assert_eq!(&once, &again, "same input, same bytes");
        let twice = render(&once, &overlay, &ctx, &limits).expect("renders again").output;
        prop_assert_eq!(&twice, &once, "render twice == render once");

        let before = split(&input);
        let after = split(&once);
        prop_assert_eq!(after.len(), before.len() + 2, "the Ingress and the Certificate added, nothing lost");
        let web = before
            .iter()
            .position(|c| id(c.body) == Some(("Service".into(), "web".into())))
            .expect("the anchor Service");
        let origins: Vec<Option<String>> =
            Stream::split(&once, &limits).docs().iter().map(|d| d.origin()).collect();
        for (k, kind) in [(web + 1, "Ingress"), (web + 2, "Certificate")] {
            prop_assert_eq!(origins[k].as_deref(), Some("overhelm/tls/web.yaml"));
            prop_assert_eq!(id(after[k].body), Some((kind.to_string(), "web".to_string())));
        }
        let kept = after[..=web].iter().chain(&after[web + 3..]);
        for (a, b) in before.iter().zip(kept) {
            same_document(a, b)?;
        }
        check_edits(&once)?;
    }
}
