//! The `resources` section compiled: every quantity parsed and checked once, with its overlay key,
//! so that a typo (`1Gii`, `memroy`, `100m` of memory) is refused before any document is read.

use crate::error::{Error, Result};
use crate::overlay::Selector;
use crate::overlay::resources::{Budget, Requirements, ResourceMap, ResourceSet};
use crate::quantity::Quantity;

/// `requests` or `limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Which {
    /// `requests`.
    Requests,
    /// `limits`.
    Limits,
}

impl Which {
    /// The field name.
    pub fn key(self) -> &'static str {
        match self {
            Which::Requests => "requests",
            Which::Limits => "limits",
        }
    }
}

/// Requests and limits, in the order the overlay wrote them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Amounts {
    /// `requests`.
    pub requests: Vec<(String, Quantity)>,
    /// `limits`.
    pub limits: Vec<(String, Quantity)>,
}

impl Amounts {
    /// The list for `which`.
    pub fn of(&self, which: Which) -> &[(String, Quantity)] {
        match which {
            Which::Requests => &self.requests,
            Which::Limits => &self.limits,
        }
    }

    /// The quantity of `name` in `which`.
    pub fn get(&self, which: Which, name: &str) -> Option<Quantity> {
        self.of(which)
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, q)| *q)
    }

    fn compile(requirements: &ResourceMapPair<'_>, key: &str) -> Result<Self> {
        let amounts = Amounts {
            requests: compile_map(requirements.0, &format!("{key}.requests"))?,
            limits: compile_map(requirements.1, &format!("{key}.limits"))?,
        };
        for (name, request) in &amounts.requests {
            if let Some(limit) = amounts.get(Which::Limits, name) {
                if *request > limit {
                    return Err(Error::overlay(
                        format!("{key}.requests.{name}"),
                        format!(
                            "{request} is above {key}.limits.{name} {limit}; Kubernetes refuses a request above its limit"
                        ),
                    ));
                }
            }
        }
        Ok(amounts)
    }
}

type ResourceMapPair<'a> = (&'a ResourceMap, &'a ResourceMap);

/// One `resources.set` entry.
#[derive(Debug, Clone)]
pub struct SetEntry {
    /// Its position in `resources.set`.
    pub index: usize,
    /// The workload selector.
    pub workload: Selector,
    /// The container's name.
    pub container: String,
    /// The values to set.
    pub amounts: Amounts,
}

impl SetEntry {
    /// The overlay key, `resources.set[i]`.
    pub fn key(&self) -> String {
        format!("resources.set[{}]", self.index)
    }
}

/// `resources.budget`.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSpec {
    /// The most the release may request and the most its limits may add up to.
    pub amounts: Amounts,
    /// Nodes a DaemonSet runs on.
    pub nodes: u64,
}

/// Compiles `resources.defaults`.
pub fn defaults(spec: &Requirements) -> Result<Amounts> {
    Amounts::compile(&(&spec.requests, &spec.limits), "resources.defaults")
}

/// Compiles one `resources.set` entry.
pub fn set_entry(index: usize, spec: &ResourceSet) -> Result<SetEntry> {
    let key = format!("resources.set[{index}]");
    if spec.container.is_empty() {
        return Err(Error::overlay(
            format!("{key}.container"),
            "names no container; give the container's name",
        ));
    }
    if spec.requests.is_empty() && spec.limits.is_empty() {
        return Err(Error::overlay(
            &key,
            "sets nothing; give `requests:`, `limits:` or both",
        ));
    }
    Ok(SetEntry {
        index,
        workload: spec.workload.clone(),
        container: spec.container.clone(),
        amounts: Amounts::compile(&(&spec.requests, &spec.limits), &key)?,
    })
}

/// Compiles `resources.budget`.
pub fn budget(spec: &Budget) -> Result<BudgetSpec> {
    let key = "resources.budget";
    let amounts = Amounts {
        requests: compile_map(&spec.requests, &format!("{key}.requests"))?,
        limits: compile_map(&spec.limits, &format!("{key}.limits"))?,
    };
    if amounts.requests.is_empty() && amounts.limits.is_empty() {
        return Err(Error::overlay(
            key,
            "budgets nothing; give `requests:`, `limits:` or both (e.g. requests: {cpu: \"2\", memory: 2Gi})",
        ));
    }
    let nodes = match spec.nodes {
        None => 1,
        Some(0) => {
            return Err(Error::overlay(
                format!("{key}.nodes"),
                "must be 1 or more (the nodes a DaemonSet runs on)",
            ));
        }
        Some(n) => u64::from(n),
    };
    Ok(BudgetSpec { amounts, nodes })
}

fn compile_map(map: &ResourceMap, key: &str) -> Result<Vec<(String, Quantity)>> {
    map.iter()
        .map(|(name, text)| {
            let key = format!("{key}.{name}");
            check_name(name).map_err(|m| Error::overlay(&key, m))?;
            let text = text.text();
            let quantity =
                Quantity::parse(&text).map_err(|e| Error::overlay(&key, e.to_string()))?;
            if is_byte_resource(name) && !quantity.is_whole() {
                return Err(Error::overlay(&key, fractional_bytes(name, &text)));
            }
            Ok((name.clone(), quantity))
        })
        .collect()
}

/// The resource names Kubernetes knows for containers, plus extended resources (`vendor/name`).
fn check_name(name: &str) -> Result<(), String> {
    let known = matches!(name, "cpu" | "memory" | "ephemeral-storage")
        || name
            .strip_prefix("hugepages-")
            .is_some_and(|s| !s.is_empty())
        || name
            .split_once('/')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
    if known {
        Ok(())
    } else {
        Err(format!(
            "unknown resource {name:?}; use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource like nvidia.com/gpu"
        ))
    }
}

/// True for resources counted in bytes, where a fraction is a mistake.
pub fn is_byte_resource(name: &str) -> bool {
    matches!(name, "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// Why a fractional byte count is refused, with the likely intent.
pub fn fractional_bytes(name: &str, text: &str) -> String {
    match text.strip_suffix('m') {
        Some(stem) => format!(
            "{text} is a fraction of a byte: {name} is counted in bytes and `m` means milli (1/1000); write {stem}Mi (mebibytes) or {stem}M (megabytes)"
        ),
        None => format!("{text} is not a whole number of bytes ({name} is counted in bytes)"),
    }
}
