//! How many pods a workload runs, for the budget: `replicas` (Deployment, StatefulSet,
//! ReplicaSet, ReplicationController; default 1, as the API server defaults it; an HPA is not
//! consulted), `parallelism` capped by `completions` (Job; per run for a CronJob, whose runs
//! overlap only with `concurrencyPolicy: Allow`), the budget's `nodes` (DaemonSet), 1 (Pod).

use serde_json::Value;

use crate::error::{DocAt, Error, Result};

/// The pods a workload runs, and how they were counted.
pub fn count(at: &DocAt, kind: &str, object: &Value, nodes: u64) -> Result<(u64, String)> {
    let spec = object.get("spec");
    let count = |v: Option<&Value>, field: &str| -> Result<Option<u64>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                Error::doc(
                    at,
                    "resources.budget",
                    format!("{field} is {v}, not a whole number of 0 or more"),
                )
            }),
        }
    };
    Ok(match kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => {
            let n = count(spec.and_then(|s| s.get("replicas")), "spec.replicas")?.unwrap_or(1);
            (n, format!("{n} replica{}", if n == 1 { "" } else { "s" }))
        }
        "Job" | "CronJob" => {
            let job = if kind == "Job" {
                spec
            } else {
                spec.and_then(|s| s.get("jobTemplate"))
                    .and_then(|t| t.get("spec"))
            };
            let prefix = if kind == "Job" {
                "spec"
            } else {
                "spec.jobTemplate.spec"
            };
            let parallelism = count(
                job.and_then(|j| j.get("parallelism")),
                &format!("{prefix}.parallelism"),
            )?
            .unwrap_or(1);
            let completions = count(
                job.and_then(|j| j.get("completions")),
                &format!("{prefix}.completions"),
            )?;
            let n = completions.map_or(parallelism, |c| c.min(parallelism));
            let note = if kind == "Job" {
                format!("{n} parallel")
            } else {
                format!("{n} per run")
            };
            (n, note)
        }
        "DaemonSet" => (
            nodes,
            format!("{nodes} node{}", if nodes == 1 { "" } else { "s" }),
        ),
        _ => (1, "1".into()),
    })
}
