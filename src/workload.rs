//! Where workloads keep their pod spec and containers.
//!
//! Every step that looks into pods (registry, waitFor, resources) uses this one table, so that a
//! kind is covered by all of them or by none.

use serde_json::Value;

/// Kinds that hold a pod spec, and the path to it.
pub const WORKLOADS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    ("PodTemplate", &["template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
];

/// The container lists of a pod spec, in the order Kubernetes starts them.
pub const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// How reports and errors name a container: its `name`, or its index in its list when it has
/// none.
pub fn container_label(container: &Value, index: usize) -> String {
    container
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| index.to_string(), str::to_string)
}

/// True for a kind that holds a pod spec.
pub fn is_workload(kind: &str) -> bool {
    WORKLOADS.iter().any(|(k, _)| *k == kind)
}

fn path_of(object: &Value) -> Option<&'static [&'static str]> {
    let kind = object.get("kind")?.as_str()?;
    WORKLOADS.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
}

/// The pod spec of a workload object, when it has one.
pub fn pod_spec(object: &Value) -> Option<&Value> {
    path_of(object)?
        .iter()
        .try_fold(object, |v, key| v.get(*key))
        .filter(|v| v.is_object())
}

/// The pod spec of a workload object, for changing.
pub fn pod_spec_mut(object: &mut Value) -> Option<&mut Value> {
    let path = path_of(object)?;
    path.iter()
        .try_fold(object, |v, key| v.get_mut(*key))
        .filter(|v| v.is_object())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_pod_spec_of_each_kind() {
        let cron = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}});
        assert!(pod_spec(&cron).unwrap().get("containers").is_some());
        let pod = json!({"kind": "Pod", "spec": {"containers": []}});
        assert!(pod_spec(&pod).is_some());
        assert!(pod_spec(&json!({"kind": "Service", "spec": {}})).is_none());
        assert!(pod_spec(&json!({"kind": "Deployment"})).is_none());
    }
}
