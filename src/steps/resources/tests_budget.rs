//! The budget arithmetic on single workloads: init containers, sidecars, overhead, pod-level
//! resources, pods per kind, and the table's view of duplicates and unbounded limits.

use serde_json::{Value, json};

use super::budget::{Usage, workload_usage};
use super::tests::{deployment, overlay, run};
use crate::error::DocAt;
use crate::steps::Context;
use crate::yaml::Limits;

fn usage(object: Value, nodes: u64) -> Usage {
    let at = DocAt {
        index: 1,
        id: crate::stream::object_id(&object),
        ..DocAt::default()
    };
    workload_usage(&at, &object, nodes).unwrap().unwrap()
}

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
}

fn c(name: &str, requests: Value, limits: Value) -> Value {
    json!({"name": name, "image": "x", "resources": {"requests": requests, "limits": limits}})
}

fn q(text: &str) -> crate::quantity::Quantity {
    crate::quantity::Quantity::parse(text).unwrap()
}

#[test]
fn a_pod_takes_its_largest_init_container_or_its_app_containers() {
    let u = usage(
        pod(json!({
            "initContainers": [c("migrate", json!({"cpu": "500m", "memory": "1Gi"}), json!({"memory": "1Gi"}))],
            "containers": [
                c("app", json!({"cpu": "250m", "memory": "512Mi"}), json!({"memory": "1Gi"})),
                c("proxy", json!({"cpu": "100m", "memory": "64Mi"}), json!({"memory": "128Mi"})),
            ],
        })),
        1,
    );
    assert_eq!(u.request("cpu"), q("500m"), "init container is larger");
    assert_eq!(u.request("memory"), q("1Gi"), "init container is larger");
    assert_eq!(
        u.limit("memory"),
        Some(q("1152Mi")),
        "app containers' sum is larger"
    );
    assert_eq!(u.limit("cpu"), None, "no cpu limit anywhere: unbounded");
    assert_eq!(
        u.unlimited["cpu"],
        [
            "initContainers[migrate]",
            "containers[app]",
            "containers[proxy]"
        ]
    );
}

#[test]
fn sidecars_run_beside_later_init_containers_and_the_app() {
    let u = usage(
        pod(json!({
            "initContainers": [
                c("migrate", json!({"memory": "1Gi"}), json!({})),
                {"name": "log-shipper", "image": "x", "restartPolicy": "Always", "resources": {"requests": {"memory": "64Mi"}}},
                c("warmup", json!({"memory": "1000Mi"}), json!({})),
            ],
            "containers": [c("app", json!({"memory": "512Mi"}), json!({}))],
        })),
        1,
    );
    // warmup runs beside the sidecar: 1000Mi + 64Mi beats migrate's 1Gi and the app's 576Mi.
    assert_eq!(u.request("memory"), q("1064Mi"));
}

#[test]
fn a_missing_request_counts_as_its_limit() {
    let u = usage(
        pod(json!({"containers": [c("app", json!({}), json!({"cpu": "1", "memory": "1Gi"}))]})),
        1,
    );
    assert_eq!(u.request("cpu"), q("1"));
    assert_eq!(u.request("memory"), q("1Gi"));
}

#[test]
fn overhead_and_pod_level_resources_count() {
    let u = usage(
        pod(json!({
            "overhead": {"cpu": "250m", "memory": "120Mi"},
            "containers": [c("app", json!({"cpu": "1", "memory": "1Gi"}), json!({"memory": "1Gi"}))],
        })),
        1,
    );
    assert_eq!(u.request("cpu"), q("1250m"));
    assert_eq!(u.limit("memory"), Some(q("1144Mi")));
    assert_eq!(
        u.limit("cpu"),
        None,
        "overhead is added to a limit only where there is one"
    );
    let u = usage(
        pod(json!({
            "resources": {"requests": {"cpu": "2"}, "limits": {"memory": "4Gi"}},
            "containers": [c("app", json!({"cpu": "1", "memory": "1Gi"}), json!({}))],
        })),
        1,
    );
    assert_eq!(u.request("cpu"), q("2"));
    assert_eq!(
        u.request("memory"),
        q("4Gi"),
        "pod-level limit without request"
    );
    assert_eq!(u.limit("memory"), Some(q("4Gi")));
}

#[test]
fn pods_are_counted_per_kind() {
    let template = json!({"spec": {"containers": [c("c", json!({"cpu": "100m"}), json!({}))]}});
    let cases = [
        (
            json!({"kind": "Deployment", "spec": {"replicas": 3, "template": template}}),
            5,
            3,
            "3 replicas",
        ),
        (
            json!({"kind": "Deployment", "spec": {"template": template}}),
            5,
            1,
            "1 replica",
        ),
        (
            json!({"kind": "StatefulSet", "spec": {"replicas": 2, "template": template}}),
            5,
            2,
            "2 replicas",
        ),
        (
            json!({"kind": "ReplicaSet", "spec": {"replicas": 0, "template": template}}),
            5,
            0,
            "0 replicas",
        ),
        (
            json!({"kind": "ReplicationController", "spec": {"replicas": null, "template": template}}),
            5,
            1,
            "1 replica",
        ),
        (
            json!({"kind": "DaemonSet", "spec": {"template": template}}),
            5,
            5,
            "5 nodes",
        ),
        (
            json!({"kind": "Job", "spec": {"parallelism": 4, "completions": 2, "template": template}}),
            5,
            2,
            "2 parallel",
        ),
        (
            json!({"kind": "Job", "spec": {"parallelism": 4, "template": template}}),
            5,
            4,
            "4 parallel",
        ),
        (
            json!({"kind": "Job", "spec": {"template": template}}),
            5,
            1,
            "1 parallel",
        ),
        (
            json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"parallelism": 2, "template": template}}}}),
            5,
            2,
            "2 per run",
        ),
        (json!({"kind": "Pod", "spec": template["spec"]}), 5, 1, "1"),
    ];
    for (object, nodes, pods, note) in cases {
        let u = usage(object.clone(), nodes);
        assert_eq!((u.pods, u.pods_note.as_str()), (pods, note), "{object}");
        assert_eq!(
            u.share(super::spec::Which::Requests, "cpu").unwrap(),
            Some(q("100m").checked_mul(pods).unwrap())
        );
    }
    let template_only = json!({"kind": "PodTemplate", "template": template});
    assert!(
        workload_usage(&DocAt::default(), &template_only, 1)
            .unwrap()
            .is_none()
    );
    let err = workload_usage(
        &DocAt::default(),
        &json!({"kind": "Deployment", "spec": {"replicas": "3", "template": template}}),
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("spec.replicas is \"3\", not a whole number"),
        "{err}"
    );
}

#[test]
fn an_unbounded_limit_is_over_any_limit_budget() {
    let input = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]),
        json!([]),
    );
    let err = run(&input, "resources:\n  budget: {limits: {memory: 4Gi}}\n").unwrap_err();
    assert!(
        err.contains("  limits.memory: unbounded, over the budget of 4Gi: no memory limit on Deployment/apps/app containers[api]; set resources.defaults.limits.memory or a limit with resources.set"),
        "{err}"
    );
}

#[test]
fn a_duplicate_document_counts_once() {
    let one = deployment(
        json!([{"name": "api", "image": "a", "resources": {"requests": {"cpu": "1"}}}]),
        json!([]),
    );
    let input = format!("{one}{one}");
    let limits = Limits::default();
    let table = super::sizing(&input, &overlay(""), &Context::default(), &limits).unwrap();
    let lines = table.lines();
    assert_eq!(lines.len(), 3, "header, one workload, total: {lines:#?}");
    assert!(
        lines[1].starts_with("Deployment/apps/app  1 replica  "),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[1].split_whitespace().nth(3),
        Some("1"),
        "{}",
        lines[1]
    );
}
