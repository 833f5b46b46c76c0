//! What each workload of the release takes, counted the way Kubernetes counts it for scheduling
//! and ResourceQuota.
//!
//! Per pod (`PodRequests`/`PodLimits` in Kubernetes' component-helpers): the app containers add
//! up; init containers run one at a time, so the pod needs the largest of them, except that a
//! sidecar (an init container with `restartPolicy: Always`) keeps running: it adds to the app
//! containers and to every init container started after it. The pod takes the larger of the two,
//! plus `spec.overhead` (added to a limit only where there is one). Pod-level `spec.resources`
//! (cpu, memory) replaces the container sum where it is set. A container's missing request is its
//! limit (the API server defaults it so), else zero; a missing limit leaves the pod unbounded.
//!
//! Pods per workload: `replicas` (Deployment, StatefulSet, ReplicaSet, ReplicationController;
//! default 1), `parallelism` capped by `completions` (Job; per run for a CronJob), `nodes` from
//! the budget (DaemonSet), 1 (Pod). A PodTemplate runs nothing and is left out.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::Value;

use super::pods;
use super::spec::Which;
use crate::error::{DocAt, Error, Result};
use crate::quantity::Quantity;
use crate::steps::visit_objects;
use crate::stream::Stream;
use crate::workload::{is_workload, pod_spec};

/// A limit, or `None` when some container has none (unbounded).
pub type Limit = Option<Quantity>;

/// What one workload takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// `Kind/namespace/name`.
    pub id: String,
    /// Pods counted.
    pub pods: u64,
    /// How the pods were counted (`3 replicas`, `2 nodes`, ...).
    pub pods_note: String,
    /// Per pod: requests of every resource the pod names.
    pub requests: BTreeMap<String, Quantity>,
    /// Per pod: limits of every resource the pod names (`None`: unbounded).
    pub limits: BTreeMap<String, Limit>,
    /// Per resource: the containers that have no limit for it.
    pub unlimited: BTreeMap<String, Vec<String>>,
}

impl Usage {
    /// The pod's request of `name` (zero when no container names it).
    pub fn request(&self, name: &str) -> Quantity {
        self.requests.get(name).copied().unwrap_or(Quantity::ZERO)
    }

    /// The pod's limit of `name` (`None`: unbounded, also when no container limits it).
    pub fn limit(&self, name: &str) -> Limit {
        self.limits.get(name).copied().flatten()
    }

    /// The workload's share: per pod times pods.
    pub fn share(&self, which: Which, name: &str) -> Result<Limit> {
        if self.pods == 0 {
            return Ok(Some(Quantity::ZERO));
        }
        let per_pod = match which {
            Which::Requests => Some(self.request(name)),
            Which::Limits => self.limit(name),
        };
        per_pod
            .map(|q| q.checked_mul(self.pods).ok_or_else(too_large))
            .transpose()
    }
}

/// The usage of every workload in the stream, in stream order; a later document with the same id
/// (Helm 4 can send duplicates) replaces an earlier one (in its place), as `kubectl apply` would.
pub fn usage(stream: &Stream<'_>, nodes: u64) -> Result<Vec<Usage>> {
    let mut all = Vec::new();
    visit_objects(stream, is_workload, |_, at, object| {
        all.extend(workload_usage(at, object, nodes)?);
        Ok(())
    })?;
    Ok(latest(all))
}

/// Usages in stream order, a later one with the same id replacing an earlier one in its place.
pub fn latest(usages: Vec<Usage>) -> Vec<Usage> {
    let mut all: IndexMap<String, Usage> = IndexMap::with_capacity(usages.len());
    for usage in usages {
        all.insert(usage.id.clone(), usage);
    }
    all.into_values().collect()
}

/// One workload's usage; `None` for a PodTemplate or a workload without a pod spec.
pub fn workload_usage(at: &DocAt, object: &Value, nodes: u64) -> Result<Option<Usage>> {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(spec) = pod_spec(object).filter(|_| kind != "PodTemplate") else {
        return Ok(None);
    };
    let (pods, pods_note) = pods::count(at, kind, object, nodes)?;
    let containers = Containers::read(at, spec)?;
    let mut usage = Usage {
        id: at.id.clone().unwrap_or_else(|| kind.to_string()),
        pods,
        pods_note,
        requests: BTreeMap::new(),
        limits: BTreeMap::new(),
        unlimited: BTreeMap::new(),
    };
    let pod_level = spec.get("resources");
    let overhead = spec.get("overhead");
    for name in containers.names(&[pod_level, overhead]) {
        let q = |v: Option<&Value>| read(at, v.and_then(|v| v.get(&name)));
        let mut request = containers
            .pod_amount(|c| Some(c.request(&name)))?
            .unwrap_or(Quantity::ZERO);
        let mut limit = containers.pod_amount(|c| c.limit(&name))?;
        if matches!(name.as_str(), "cpu" | "memory") {
            let pod_limit = q(pod_level.and_then(|p| p.get("limits")))?;
            if let Some(pod_request) = q(pod_level.and_then(|p| p.get("requests")))?.or(pod_limit) {
                request = pod_request;
            }
            limit = pod_limit.or(limit);
        }
        if let Some(extra) = q(overhead)? {
            request = add(request, extra)?;
            limit = limit.map(|l| add(l, extra)).transpose()?;
        }
        let unlimited = containers.without_limit(&name);
        if !unlimited.is_empty() && limit.is_none() {
            usage.unlimited.insert(name.clone(), unlimited);
        }
        usage.requests.insert(name.clone(), request);
        usage.limits.insert(name, limit);
    }
    Ok(Some(usage))
}

/// The containers of a pod, read once.
struct Containers {
    init: Vec<Container>,
    app: Vec<Container>,
}

struct Container {
    name: String,
    sidecar: bool,
    requests: BTreeMap<String, Quantity>,
    limits: BTreeMap<String, Quantity>,
}

impl Containers {
    /// Reads `initContainers` and `containers` (ephemeral containers reserve nothing).
    fn read(at: &DocAt, spec: &Value) -> Result<Self> {
        let list = |key: &str| -> Result<Vec<Container>> {
            spec.get(key)
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|c| Container::read(at, key, c))
                .collect()
        };
        Ok(Containers {
            init: list("initContainers")?,
            app: list("containers")?,
        })
    }

    /// Every resource named by a container or in `extra` (pod-level resources, overhead).
    fn names(&self, extra: &[Option<&Value>]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut add = |n: &String| {
            if !names.contains(n) {
                names.push(n.clone());
            }
        };
        for c in self.init.iter().chain(&self.app) {
            c.requests.keys().chain(c.limits.keys()).for_each(&mut add);
        }
        for value in extra.iter().flatten() {
            let maps = [Some(*value), value.get("requests"), value.get("limits")];
            for map in maps.into_iter().flatten().filter_map(Value::as_object) {
                map.iter()
                    .filter(|(_, v)| v.is_string() || v.is_number())
                    .for_each(|(n, _)| add(n));
            }
        }
        names.sort();
        names
    }

    /// Kubernetes' pod total of one amount (`None`: unbounded).
    fn pod_amount(&self, amount: impl Fn(&Container) -> Limit) -> Result<Limit> {
        let mut app = Some(Quantity::ZERO);
        for c in &self.app {
            app = add_limit(app, amount(c))?;
        }
        let mut sidecars = Some(Quantity::ZERO);
        let mut init = Some(Quantity::ZERO);
        for c in &self.init {
            let this = if c.sidecar {
                app = add_limit(app, amount(c))?;
                sidecars = add_limit(sidecars, amount(c))?;
                sidecars
            } else {
                add_limit(amount(c), sidecars)?
            };
            init = max_limit(init, this);
        }
        Ok(max_limit(app, init))
    }

    fn without_limit(&self, name: &str) -> Vec<String> {
        self.init
            .iter()
            .map(|c| (c, "initContainers"))
            .chain(self.app.iter().map(|c| (c, "containers")))
            .filter(|(c, _)| c.limit(name).is_none())
            .map(|(c, list)| format!("{list}[{}]", c.name))
            .collect()
    }
}

impl Container {
    fn read(at: &DocAt, list: &str, value: &Value) -> Result<Self> {
        let name = value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let map = |which: &str| -> Result<BTreeMap<String, Quantity>> {
            let Some(map) = value
                .get("resources")
                .and_then(|r| r.get(which))
                .and_then(Value::as_object)
            else {
                return Ok(BTreeMap::new());
            };
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(n, v)| {
                    let q = Quantity::from_value(v).map_err(|e| {
                        Error::doc(
                            at,
                            "resources",
                            format!("{list}[{name}].resources.{which}.{n}: {e}"),
                        )
                    })?;
                    Ok((n.clone(), q))
                })
                .collect()
        };
        Ok(Container {
            sidecar: value.get("restartPolicy").and_then(Value::as_str) == Some("Always"),
            requests: map("requests")?,
            limits: map("limits")?,
            name,
        })
    }

    fn request(&self, name: &str) -> Quantity {
        self.requests
            .get(name)
            .or_else(|| self.limits.get(name))
            .copied()
            .unwrap_or(Quantity::ZERO)
    }

    fn limit(&self, name: &str) -> Limit {
        self.limits.get(name).copied()
    }
}

fn read(at: &DocAt, value: Option<&Value>) -> Result<Option<Quantity>> {
    value
        .filter(|v| !v.is_null())
        .map(|v| {
            Quantity::from_value(v).map_err(|e| Error::doc(at, "resources.budget", e.to_string()))
        })
        .transpose()
}

fn too_large() -> Error {
    Error::overlay(
        "resources.budget",
        "a total is too large to add up (over 10^29); check the quantities and replica counts",
    )
}

/// Exact sum.
pub fn add(a: Quantity, b: Quantity) -> Result<Quantity> {
    a.checked_add(b).ok_or_else(too_large)
}

/// Sum of limits: unbounded when either is.
pub fn add_limit(a: Limit, b: Limit) -> Result<Limit> {
    match (a, b) {
        (Some(a), Some(b)) => add(a, b).map(Some),
        _ => Ok(None),
    }
}

fn max_limit(a: Limit, b: Limit) -> Limit {
    Some(a?.max(b?))
}
