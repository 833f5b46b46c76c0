//! The fused pass (registry, resources and budget run document by document, on all cores) gives
//! exactly what running every step over the whole stream one after another gives
//! (`render_step_by_step`): the same output bytes, the same reports and warnings, and the same
//! error when there is one, over generated streams and overlays that exercise every step, the
//! whole-stream steps before the fused ones, and the failures of each (documents that do not
//! parse, invalid quantities, unnamed workloads, pins and selectors that match nothing, a budget
//! overrun, a scalar document). Streams padded past the size where the pass goes parallel check
//! that merging the blocks' tallies keeps stream order.

use overhelm::overlay::Overlay;
use overhelm::render::{Rendered, render, render_step_by_step};
use overhelm::steps::Context;
use overhelm::yaml::Limits;
use proptest::prelude::*;

fn image() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nginx".to_string()),
        Just("nginx:1.25".to_string()),
        Just("docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10".to_string()),
        Just("ghcr.io/backstage/backstage:latest".to_string()),
        Just("quay.io/prometheus/node-exporter:v1.8.0".to_string()),
        Just("harbor.example/hub/library/redis:7".to_string()),
    ]
}

/// A container's `resources:` block (indented for a container at 8 spaces); with `faults`,
/// sometimes one the resources step refuses.
fn resources(faults: bool) -> BoxedStrategy<String> {
    let valid = prop_oneof![
        4 => Just(String::new()),
        2 => Just("          resources:\n            requests: {cpu: 200m, memory: 128Mi}\n            limits: {memory: 512Mi}\n".to_string()),
        1 => Just("          resources:\n            limits: {cpu: \"1\", memory: 1Gi}\n".to_string()),
        1 => Just("          resources:\n            requests: {memory: 100.5}\n".to_string()),
    ];
    if !faults {
        return valid.boxed();
    }
    prop_oneof![
        8 => valid,
        1 => Just("          resources:\n            requests: {cpu: lots}\n".to_string()),
        1 => Just("          resources:\n            requests: {cpu: \"2\"}\n            limits: {cpu: \"1\"}\n".to_string()),
    ]
    .boxed()
}

fn workload(i: usize, faults: bool) -> BoxedStrategy<String> {
    let kind = prop_oneof![
        Just((
            "apps/v1",
            "Deployment",
            "spec:\n  replicas: 2\n  template:\n    spec:\n"
        )),
        Just(("apps/v1", "StatefulSet", "spec:\n  template:\n    spec:\n")),
        Just(("apps/v1", "DaemonSet", "spec:\n  template:\n    spec:\n")),
        Just(("v1", "Pod", "spec:\n")),
    ];
    // Without faults, only the duplicate name (1) of the odd cases below.
    let odd = if faults { 0..24u8 } else { 1..2u8 };
    (kind, image(), image(), resources(faults), odd, any::<bool>())
        .prop_map(move |((api, kind, head), a, b, res, odd, plain)| {
            let odd = if plain && odd == 1 { 9 } else { odd };
            // The pod spec's keys are at 2 spaces in a Pod, at 6 in a template.
            let pad = if kind == "Pod" { "" } else { "    " };
            let containers = format!(
                "  initContainers:\n    - name: init\n      image: {a}\n  containers:\n    - name: main\n      image: \"{b}\"\n{res}",
                res = res.replace("          ", "      ")
            );
            let containers: String = containers
                .lines()
                .map(|l| format!("{pad}{l}\n"))
                .collect();
            let name = match odd {
                // No name: the registry step refuses it.
                0 => "metadata:\n  labels: {a: b}\n".to_string(),
                // The same name as another document: budget keeps the later one.
                1 => "metadata:\n  name: dup\n".to_string(),
                _ => format!("metadata:\n  name: w{i}\n"),
            };
            let doc = format!("apiVersion: {api}\nkind: {kind}\n{name}{head}{containers}");
            match odd {
                // An image that is not a string.
                2 => doc.replacen(&format!("image: {a}"), "image: 5", 1),
                // A repeated key: the kind is plain from the text, the parse fails.
                3 => doc.replacen("metadata:\n", "metadata:\n  x: 1\n  x: 2\n", 1),
                _ => doc,
            }
        })
        .boxed()
}

fn document(i: usize, faults: bool) -> BoxedStrategy<String> {
    let valid = prop_oneof![
        6 => workload(i, faults),
        2 => Just(format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  key: \"on\"\n")),
        1 => image().prop_map(move |a| format!(
            "{{\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {{\"name\": \"j{i}\"}}, \"spec\": {{\"jobTemplate\": {{\"spec\": {{\"template\": {{\"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \"{a}\"}}]}}}}}}}}}}}}\n"
        )),
        1 => image().prop_map(move |a| format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p{i}}}\n  spec:\n    containers: [{{name: c, image: '{a}'}}]\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: lc{i}}}\n"
        )),
        1 => Just("# only a comment\n".to_string()),
        1 => Just(format!("apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: x{i}}}\nspec: {{image: nginx}}\n")),
    ];
    if !faults {
        return valid.boxed();
    }
    prop_oneof![
        12 => valid,
        1 => Just(format!("kind: Job\nmetadata: {{name: j{i}\n")),
        1 => Just(format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad{i}\ndata:\n  a: b\n  a: c\n")),
        1 => Just("just a scalar\n".to_string()),
    ]
    .boxed()
}

/// The anchors every stream has (what the patches and the `set` entries can select), then up
/// to 12 generated documents, shuffled; in one stream of three, documents that fail.
fn documents() -> impl Strategy<Value = Vec<String>> {
    (prop::collection::vec(0..1usize, 0..12), 0..3u8).prop_flat_map(|(slots, faults)| {
        let docs: Vec<BoxedStrategy<String>> =
            (0..slots.len()).map(|i| document(i, faults == 0)).collect();
        docs.prop_map(|mut docs| {
            docs.push("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app:1.0\n".into());
            docs.push("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n".into());
            docs
        })
        .prop_shuffle()
    })
}

/// A generated overlay: every combination of the steps that matter here, with entries that
/// match and entries that do not.
fn overlay() -> impl Strategy<Value = String> {
    let patches = prop_oneof![
        Just(""),
        Just(
            "patches:\n  - target: {kind: ConfigMap, name: settings}\n    set: {\"$.data.patched\": \"yes\"}\n"
        ),
        Just(
            "patches:\n  - target: {kind: Deployment, name: app}\n    set: {\"$.spec.template.spec.containers[0].image\": \"nginx:1\"}\n"
        ),
    ];
    let registry = prop_oneof![
        2 => Just(""),
        4 => Just("registry:\n  mirrors: {docker.io: harbor.example/hub, ghcr.io: harbor.example/ghcr}\n"),
        1 => Just("registry:\n  mirrors: {docker.io: harbor.example/hub}\n  images: [{name: nginx, tag: '1.27'}]\n"),
        1 => Just("registry:\n  mirrors: {docker.io: harbor.example/hub}\n  images: [{name: docker.io/library/redis, tag: '8'}]\n"),
        1 => Just("registry:\n  mirrors: {docker.io: harbor.example/hub}\n  paths: [{kind: Widget, path: '$.spec.image'}]\n"),
    ];
    let defaults = prop_oneof![
        Just(""),
        Just("  defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}\n"),
        Just("  defaults: {requests: {cpu: 50m}, limits: {cpu: 100m}}\n"),
    ];
    let set = prop_oneof![
        3 => Just(""),
        3 => Just("  set: [{workload: {kind: Deployment, name: app}, container: app, requests: {cpu: 100m}}]\n"),
        1 => Just("  set: [{workload: {kind: Deployment, name: nothere}, container: app, requests: {cpu: 100m}}]\n"),
        1 => Just("  set: [{workload: {kind: Deployment, name: app}, container: nothere, requests: {cpu: 100m}}]\n"),
    ];
    let budget = prop_oneof![
        Just(""),
        Just("  budget: {requests: {cpu: \"100\", memory: 100Gi}}\n"),
        Just("  budget: {requests: {cpu: 500m}, nodes: 3}\n"),
    ];
    (patches, registry, defaults, set, budget).prop_map(|(p, r, d, s, b)| {
        let resources = if d.is_empty() && s.is_empty() && b.is_empty() {
            String::new()
        } else {
            format!("resources:\n{d}{s}{b}")
        };
        format!("apiVersion: overhelm/v1\nkind: Overlay\n{p}{r}{resources}")
    })
}

fn assemble(docs: &[String], padding: usize) -> String {
    let mut out = String::new();
    // Big documents no step reads, between the others, so that the stream is cut into blocks.
    let pad: String = (0..padding)
        .map(|i| format!("    line {i} of a dashboard, long enough to weigh something\n"))
        .collect();
    for (i, doc) in docs.iter().enumerate() {
        out.push_str(&format!("---\n# Source: chart/templates/t{i}.yaml\n{doc}"));
        if padding > 0 {
            out.push_str(&format!(
                "---\n# Source: chart/templates/pad{i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pad{i}\ndata:\n  big: |\n{pad}"
            ));
        }
    }
    out
}

/// Everything a render gives, errors as their message.
fn outcome(result: overhelm::Result<Rendered>) -> Result<Rendered, String> {
    result.map_err(|e| e.to_string())
}

fn same(input: &str, overlay: &str) -> Result<(), TestCaseError> {
    let overlay = Overlay::parse(overlay, "generated").expect("a valid overlay");
    let (ctx, limits) = (Context::default(), Limits::default());
    let fused = outcome(render(input, &overlay, &ctx, &limits));
    let reference = outcome(render_step_by_step(input, &overlay, &ctx, &limits));
    prop_assert_eq!(fused, reference);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn fused_equals_step_by_step(docs in documents(), overlay in overlay()) {
        same(&assemble(&docs, 0), &overlay)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Past 256 KiB the pass runs on all cores, in blocks of about 128 KiB.
    #[test]
    fn fused_equals_step_by_step_in_blocks(docs in documents(), overlay in overlay()) {
        same(&assemble(&docs, 1200), &overlay)?;
    }
}

#[test]
fn every_step_at_once_with_tls_and_wait_for() {
    let overlay = r#"apiVersion: overhelm/v1
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
  mirrors: {docker.io: harbor.example/hub, ghcr.io: harbor.example/ghcr}
resources:
  defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}
  budget: {requests: {cpu: "100", memory: 100Gi}}
"#;
    let docs = [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - {name: http, port: 80}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app:1.0\n          env:\n            - {name: DB_HOST, value: db}\n            - {name: DB_PORT, value: \"5432\"}\n",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n",
    ]
    .map(str::to_string);
    for padding in [0, 2000] {
        let input = assemble(&docs, padding);
        let parsed = Overlay::parse(overlay, "all").expect("overlay");
        let (ctx, limits) = (Context::default(), Limits::default());
        let fused = render(&input, &parsed, &ctx, &limits).expect("renders");
        let reference = render_step_by_step(&input, &parsed, &ctx, &limits).expect("renders");
        assert_eq!(fused, reference);
        assert!(fused.output.contains("wait-for-postgres"));
        assert!(fused.output.contains("harbor.example/ghcr/example/app:1.0"));
    }
}
