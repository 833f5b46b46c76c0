//! The resources step on small streams in the shapes Helm sends: what is filled, what is kept,
//! what is refused, and how pods are counted.

use serde_json::{Value, json};

use crate::overlay::Overlay;
use crate::render::{Rendered, render};
use crate::steps::Context;
use crate::yaml::Limits;

const DEFAULTS: &str = "resources:\n  defaults:\n    requests: {cpu: 50m, memory: 64Mi}\n    limits: {memory: 256Mi}\n";

pub(super) fn overlay(body: &str) -> Overlay {
    Overlay::parse(
        &format!("apiVersion: overhelm/v1\nkind: Overlay\n{body}"),
        "test.yaml",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn run(input: &str, body: &str) -> Result<Rendered, String> {
    render(
        input,
        &overlay(body),
        &Context::default(),
        &Limits::default(),
    )
    .map_err(|e| e.to_string())
}

fn output(input: &str, body: &str) -> Value {
    let out = run(input, body).unwrap_or_else(|e| panic!("{e}")).output;
    crate::yaml::parse(&out, &Limits::default())
        .unwrap()
        .remove(0)
}

pub(super) fn deployment(containers: Value, init: Value) -> String {
    let doc = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "app", "namespace": "apps"},
        "spec": {"replicas": 1, "template": {"spec": {"initContainers": init, "containers": containers}}}
    });
    format!(
        "---\n# Source: app/templates/deployment.yaml\n{}",
        crate::yaml::to_string(&doc).unwrap()
    )
}

fn resources_of(out: &Value, list: &str, i: usize) -> Value {
    out["spec"]["template"]["spec"][list][i]["resources"].clone()
}

#[test]
fn defaults_fill_only_what_is_missing() {
    let input = deployment(
        json!([
            {"name": "api", "image": "a", "resources": {"requests": {"cpu": "200m"}, "limits": {"memory": "512Mi"}}},
            {"name": "worker", "image": "w", "resources": {"limits": {"cpu": 2, "memory": "1Gi"}}},
            {"name": "metrics", "image": "m"},
        ]),
        json!([{"name": "setup", "image": "s", "resources": {}}]),
    );
    let out = output(&input, DEFAULTS);
    // The chart's 200m stays; the missing memory request is the limit, not the 64Mi default.
    assert_eq!(
        resources_of(&out, "containers", 0),
        json!({"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}})
    );
    // Both requests copied from the limits as written (a number stays a number).
    assert_eq!(
        resources_of(&out, "containers", 1),
        json!({"limits": {"cpu": 2, "memory": "1Gi"}, "requests": {"cpu": 2, "memory": "1Gi"}})
    );
    let filled =
        json!({"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}});
    assert_eq!(resources_of(&out, "containers", 2), filled);
    assert_eq!(resources_of(&out, "initContainers", 0), filled);
}

#[test]
fn a_complete_container_is_left_byte_for_byte() {
    let input = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"cpu": "1000m", "memory": "64Mi"}, "limits": {"memory": "1024Mi"}}}]),
        json!([]),
    );
    let set = "  set:\n    - {workload: {name: app}, container: api, requests: {cpu: \"1\"}, limits: {memory: 1Gi}}\n";
    let rendered = run(&input, &format!("{DEFAULTS}{set}")).unwrap();
    assert_eq!(
        rendered.output, input,
        "equal values in another spelling are kept"
    );
    assert_eq!(rendered.reports[0].lines, Vec::<String>::new());
}

#[test]
fn a_default_limit_below_a_chart_request_names_both() {
    let input = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"memory": "384Mi"}}}]),
        json!([]),
    );
    let err = run(&input, DEFAULTS).unwrap_err();
    assert_eq!(
        err,
        "document 1 (Deployment/apps/app, from app/templates/deployment.yaml): resources.defaults.limits.memory: Deployment/apps/app containers[api]: requests.memory 384Mi (set by the chart) is above the default limit 256Mi; raise resources.defaults.limits.memory, or give this container its own limit with resources.set"
    );
}

#[test]
fn set_replaces_values_and_reports_the_old_ones() {
    let input = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}}]),
        json!([]),
    );
    let body = "resources:\n  set:\n    - workload: {kind: Deployment, name: app}\n      container: api\n      requests: {cpu: 0.1, memory: 384Mi}\n      limits: {cpu: 1000m, memory: 1024Mi}\n";
    let rendered = run(&input, body).unwrap();
    let out: Value = crate::yaml::parse(&rendered.output, &Limits::default())
        .unwrap()
        .remove(0);
    assert_eq!(
        resources_of(&out, "containers", 0),
        json!({"requests": {"cpu": "100m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}),
        "written in the API server's canonical form"
    );
    assert_eq!(
        rendered.reports[0].lines[0],
        "Deployment/apps/app containers[api] resources.requests.cpu: 250m -> 100m (resources.set[0])"
    );
}

#[test]
fn a_set_selector_that_matches_nothing_lists_what_exists() {
    let input = deployment(
        json!([{"name": "api", "image": "a"}]),
        json!([{"name": "wait-for-postgres", "image": "p"}]),
    );
    let err = run(&input, "resources:\n  set:\n    - {workload: {kind: Deployment, name: ap}, container: api, requests: {cpu: 1}}\n").unwrap_err();
    assert_eq!(
        err,
        "overlay resources.set[0].workload: no workload matches {kind: Deployment, name: ap}; workloads and containers in the release:\n  Deployment/apps/app: containers api; initContainers wait-for-postgres"
    );
    let err = run(&input, "resources:\n  set:\n    - {workload: {name: app}, container: backend, requests: {cpu: 1}}\n").unwrap_err();
    assert_eq!(
        err,
        "overlay resources.set[0].container: no container \"backend\" in the workloads {name: app} matches:\n  Deployment/apps/app: containers api; initContainers wait-for-postgres"
    );
}

#[test]
fn set_reaches_init_containers_injected_earlier() {
    let input = deployment(
        json!([{"name": "api", "image": "a"}]),
        json!([{"name": "wait-for-postgres", "image": "p", "resources": {"requests": {"cpu": "10m"}}}]),
    );
    let body = "resources:\n  set:\n    - {workload: {kind: Deployment}, container: wait-for-postgres, limits: {memory: 32Mi}}\n";
    let out = output(&input, body);
    assert_eq!(
        resources_of(&out, "initContainers", 0),
        json!({"requests": {"cpu": "10m"}, "limits": {"memory": "32Mi"}})
    );
}

#[test]
fn a_request_above_its_limit_is_refused() {
    let chart = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]),
        json!([]),
    );
    let err = run(&chart, DEFAULTS).unwrap_err();
    assert!(
        err.ends_with("resources: Deployment/apps/app containers[api]: requests.cpu 2 (set by the chart) is above limits.cpu 1 (set by the chart); Kubernetes refuses such a pod. Lower the request or raise the limit with resources.set"),
        "{err}"
    );
    let limited = deployment(
        json!([{"name": "api", "image": "a", "resources": {"limits": {"memory": "1Gi"}}}]),
        json!([]),
    );
    let err = run(&limited, "resources:\n  set:\n    - {workload: {name: app}, container: api, requests: {memory: 2Gi}}\n").unwrap_err();
    assert!(
        err.contains("resources.set[0]: Deployment/apps/app containers[api]: requests.memory 2Gi (from resources.set[0]) is above limits.memory 1Gi (set by the chart)"),
        "{err}"
    );
}

#[test]
fn containers_without_requests_are_reported() {
    let input = deployment(
        json!([{"name": "api", "image": "a", "resources": {"limits": {"memory": "1Gi"}}}]),
        json!([]),
    );
    let rendered = run(&input, "resources: {}\n").unwrap();
    assert_eq!(rendered.output, input);
    assert!(rendered.reports[0].lines.is_empty(), "nothing changed");
    assert_eq!(
        rendered.reports[0].warnings,
        [
            "resources: Deployment/apps/app containers[api]: no requests.cpu: nothing is reserved for it and it is evicted first under pressure (set resources.defaults.requests.cpu)"
        ]
    );
}

#[test]
fn fractional_bytes_are_refused_in_the_overlay_and_reported_in_the_chart() {
    let err = Overlay::parse(
        "apiVersion: overhelm/v1\nkind: Overlay\nresources:\n  defaults:\n    requests: {memory: 100m}\n",
        "o.yaml",
    )
    .map(|o| crate::steps::build(&o).map(|_| ()))
    .unwrap()
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "overlay resources.defaults.requests.memory: 100m is a fraction of a byte: memory is counted in bytes and `m` means milli (1/1000); write 100Mi (mebibytes) or 100M (megabytes)"
    );
    let input = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"cpu": "1", "memory": "500m"}, "limits": {"memory": "1Gi"}}}]),
        json!([]),
    );
    let rendered = run(&input, "resources: {}\n").unwrap();
    assert_eq!(rendered.output, input, "a chart value is never changed");
    assert!(
        rendered.reports[0].warnings[0]
            .contains("resources.requests.memory: 500m is a fraction of a byte")
    );
}

#[test]
fn overlay_mistakes_name_their_key() {
    for (body, want) in [
        (
            "resources:\n  defaults: {requests: {memory: 1Gii}}\n",
            "overlay resources.defaults.requests.memory: invalid quantity \"1Gii\": unknown suffix \"Gii\"",
        ),
        (
            "resources:\n  defaults: {requests: {memory: \"-1\"}}\n",
            "overlay resources.defaults.requests.memory: invalid quantity \"-1\": it is negative",
        ),
        (
            "resources:\n  defaults: {requests: {memroy: 1Gi}}\n",
            "overlay resources.defaults.requests.memroy: unknown resource \"memroy\"",
        ),
        (
            "resources:\n  defaults: {requests: {cpu: \"2\"}, limits: {cpu: \"1\"}}\n",
            "overlay resources.defaults.requests.cpu: 2 is above resources.defaults.limits.cpu 1",
        ),
        (
            "resources:\n  set: [{workload: {name: a}, container: b}]\n",
            "overlay resources.set[0]: sets nothing",
        ),
        (
            "resources:\n  budget: {requests: {cpu: 1}, nodes: 0}\n",
            "overlay resources.budget.nodes: must be 1 or more",
        ),
        (
            "resources:\n  budget: {}\n",
            "overlay resources.budget: budgets nothing",
        ),
    ] {
        let err = crate::steps::build(&overlay(body))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(want), "{body}: {err}");
    }
}

#[test]
fn list_items_and_json_documents_are_filled() {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    ]});
    let input = format!("{}\n", serde_json::to_string_pretty(&list).unwrap());
    let rendered = run(&input, DEFAULTS).unwrap();
    assert!(rendered.output.starts_with('{'), "JSON stays JSON");
    let out: Value = serde_json::from_str(&rendered.output).unwrap();
    assert_eq!(
        out["items"][0]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "256Mi"
    );
}

#[test]
fn rendering_its_own_output_changes_nothing() {
    let input = deployment(
        json!([
            {"name": "api", "image": "a", "resources": {"limits": {"memory": "512Mi"}}},
            {"name": "metrics", "image": "m"},
        ]),
        json!([{"name": "setup", "image": "s"}]),
    );
    let body = format!(
        "{DEFAULTS}  set:\n    - {{workload: {{name: app}}, container: api, requests: {{cpu: 1.5}}, limits: {{cpu: \"2\"}}}}\n  budget: {{requests: {{cpu: 4}}}}\n"
    );
    let once = run(&input, &body).unwrap().output;
    let twice = run(&once, &body).unwrap();
    assert_eq!(twice.output, once);
    assert!(
        twice.reports[0].lines.is_empty(),
        "{:?}",
        twice.reports[0].lines
    );
}
