//! `resources`: fill, set and budget container requests and limits across the release.
//!
//! ```yaml
//! resources:
//!   defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 256Mi}}
//!   set:
//!     - workload: {kind: Deployment, name: backstage}
//!       container: backstage-backend
//!       requests: {cpu: 100m, memory: 384Mi}
//!       limits: {cpu: "1", memory: 1Gi}
//!   budget: {requests: {cpu: "2", memory: 2Gi}, limits: {memory: 4Gi}, nodes: 1}
//! ```
//!
//! Two steps, run last: `resources` edits every container and init container of every workload
//! (those other steps injected included): `set` entries first (exact values for one named
//! container), then `defaults` (only what is missing; see `container`), then the checks. Then
//! `budget` adds up what the release takes ([`budget`]) and refuses a release over its budget
//! with a table of every workload's share ([`table`]); under budget, the table is its report.
//! Quantities are written in the form the API server stores ([`crate::quantity`]), so a second
//! render, and the live object, show the same text.

pub mod budget;
mod container;
mod pods;
pub mod spec;
pub mod table;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_budget;

use serde_json::Value;

use self::container::ContainerEdit;
use self::spec::{Amounts, BudgetSpec, SetEntry};
use self::table::Table;
use super::fused::{self, Failures, Fusable, ObjectStep};
use super::{Context, Report, Step, edit_objects, visit_objects};
use crate::error::{DocAt, Error, Result};
use crate::overlay::Overlay;
use crate::overlay::resources::Resources;
use crate::stream::Stream;
use crate::workload::{container_label, is_workload, pod_spec, pod_spec_mut};
use crate::yaml::Limits;

/// The container lists whose containers have requests and limits (ephemeral ones have none).
const LISTS: [&str; 2] = ["initContainers", "containers"];

/// The steps of a `resources` section: `resources`, then `budget` when one is given.
pub fn steps(spec: &Resources) -> Result<Vec<Box<dyn Step>>> {
    let mut steps: Vec<Box<dyn Step>> = vec![Box::new(ResourcesStep::new(spec)?)];
    if let Some(budget) = &spec.budget {
        steps.push(Box::new(BudgetStep {
            budget: spec::budget(budget)?,
        }));
    }
    Ok(steps)
}

/// `resources.defaults` and `resources.set`, compiled.
#[derive(Debug)]
pub struct ResourcesStep {
    defaults: Option<Amounts>,
    sets: Vec<SetEntry>,
}

impl ResourcesStep {
    /// Checks and compiles the section.
    pub fn new(spec: &Resources) -> Result<Self> {
        Ok(ResourcesStep {
            defaults: spec.defaults.as_ref().map(spec::defaults).transpose()?,
            sets: spec
                .set
                .iter()
                .enumerate()
                .map(|(i, s)| spec::set_entry(i, s))
                .collect::<Result<_>>()?,
        })
    }

    /// Every `set` entry must find its container; the error lists what exists.
    fn check_selectors(&self, stream: &Stream<'_>) -> Result<()> {
        let mut seen = Seen::new(self.sets.len());
        visit_objects(stream, is_workload, |_, at, object| {
            self.see(at, object, &mut seen);
            Ok(())
        })?;
        self.verdict(&seen)
    }

    /// Notes a workload's containers for the selector check.
    fn see(&self, at: &DocAt, object: &Value, seen: &mut Seen) {
        let names = container_names(object);
        let line = format!(
            "{}: {}",
            at.id.clone().unwrap_or_default(),
            describe(&names)
        );
        for (i, set) in self.sets.iter().enumerate() {
            if set.workload.matches(object) {
                seen.found[i].0 = true;
                seen.found[i].1 |= names.iter().any(|(_, n)| *n == set.container);
                seen.matched[i].push(line.clone());
            }
        }
        seen.inventory.push(line);
    }

    /// The selector check on what was seen.
    fn verdict(&self, seen: &Seen) -> Result<()> {
        for (i, set) in self.sets.iter().enumerate() {
            let (workload, container) = seen.found[i];
            if !workload {
                return Err(Error::overlay(
                    format!("{}.workload", set.key()),
                    format!(
                        "no workload matches {}; workloads and containers in the release:\n{}",
                        set.workload,
                        listing(&seen.inventory)
                    ),
                ));
            }
            if !container {
                return Err(Error::overlay(
                    format!("{}.container", set.key()),
                    format!(
                        "no container {:?} in the workloads {} matches:\n{}",
                        set.container,
                        set.workload,
                        listing(&seen.matched[i])
                    ),
                ));
            }
        }
        Ok(())
    }

    fn edit_workload(&self, at: &DocAt, object: &mut Value, report: &mut Report) -> Result<bool> {
        let sets: Vec<&SetEntry> = self
            .sets
            .iter()
            .filter(|s| s.workload.matches(object))
            .collect();
        let id = at.id.clone().unwrap_or_default();
        let Some(spec) = pod_spec_mut(object) else {
            return Ok(false);
        };
        let mut changed = false;
        for list in LISTS {
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for (i, container) in containers.iter_mut().enumerate() {
                let name = container_label(container, i);
                let label = format!("{id} {list}[{name}]");
                let mut edit = ContainerEdit::read(at, label, container, report)?;
                for set in sets.iter().filter(|s| s.container == name) {
                    changed |= edit.set(container, set)?;
                }
                if let Some(defaults) = &self.defaults {
                    changed |= edit.fill(container, defaults)?;
                }
                edit.check()?;
            }
        }
        Ok(changed)
    }
}

impl Step for ResourcesStep {
    fn name(&self) -> &'static str {
        "resources"
    }

    fn parses(&self, kind: &str) -> bool {
        is_workload(kind)
    }

    fn object_step(&self) -> Option<Box<dyn Fusable + '_>> {
        Some(fused::fusable(self))
    }

    fn apply(&self, stream: &mut Stream<'_>, _ctx: &Context) -> Result<Report> {
        self.check_selectors(stream)?;
        let mut report = Report::new(self.name());
        edit_objects(stream, is_workload, |at, object| {
            self.edit_workload(at, object, &mut report)
        })?;
        Ok(report)
    }
}

/// What the selector check needs: per `set` entry, whether a workload and its container were
/// found, and the lines that list them.
#[derive(Debug)]
pub struct Seen {
    found: Vec<(bool, bool)>,
    inventory: Vec<String>,
    matched: Vec<Vec<String>>,
}

impl Seen {
    fn new(sets: usize) -> Self {
        Seen {
            found: vec![(false, false); sets],
            inventory: Vec::new(),
            matched: vec![Vec::new(); sets],
        }
    }
}

/// The fused form: the selector check looks at each workload right before its edit, and runs
/// at the end, where its error comes before any edit's (as it runs first over the whole
/// stream), after a document that does not parse (which that first look would meet).
impl ObjectStep for ResourcesStep {
    type Tally = (Seen, Report);

    fn wants(&self, kind: &str) -> bool {
        is_workload(kind)
    }

    fn start(&self) -> Self::Tally {
        (Seen::new(self.sets.len()), Report::new("resources"))
    }

    fn edit(&self, at: &DocAt, object: &mut Value, tally: &mut Self::Tally) -> Result<bool> {
        let (seen, report) = tally;
        self.see(at, object, seen);
        self.edit_workload(at, object, report)
    }

    fn merge(&self, tally: &mut Self::Tally, next: Self::Tally) {
        let ((seen, report), (next_seen, next_report)) = (tally, next);
        for (found, next) in seen.found.iter_mut().zip(next_seen.found) {
            found.0 |= next.0;
            found.1 |= next.1;
        }
        seen.inventory.extend(next_seen.inventory);
        for (matched, next) in seen.matched.iter_mut().zip(next_seen.matched) {
            matched.extend(next);
        }
        report.lines.extend(next_report.lines);
        report.warnings.extend(next_report.warnings);
    }

    fn end(&self, (seen, report): Self::Tally, mut failures: Failures) -> Result<Report> {
        if let Some(error) = failures.take_parse() {
            return Err(error);
        }
        self.verdict(&seen)?;
        if let Some(error) = failures.first() {
            return Err(error);
        }
        Ok(report)
    }
}

/// `resources.budget`, compiled: the release's total against its budget.
#[derive(Debug)]
pub struct BudgetStep {
    budget: BudgetSpec,
}

impl Step for BudgetStep {
    fn name(&self) -> &'static str {
        "budget"
    }

    fn parses(&self, kind: &str) -> bool {
        is_workload(kind)
    }

    fn object_step(&self) -> Option<Box<dyn Fusable + '_>> {
        Some(fused::fusable(self))
    }

    fn apply(&self, stream: &mut Stream<'_>, _ctx: &Context) -> Result<Report> {
        self.report(budget::usage(stream, self.budget.nodes)?)
    }
}

impl BudgetStep {
    /// The table, or the error when the release does not fit.
    fn report(&self, usages: Vec<budget::Usage>) -> Result<Report> {
        let table = Table::new(&usages, Some(&self.budget))?;
        if !table.overruns().is_empty() {
            return Err(Error::overlay(
                "resources.budget",
                format!(
                    "the release does not fit its budget:\n{}\n\n{}\n\nLower replicas or per-container values (resources.set), or raise resources.budget; `overhelm budget` prints this table without failing.",
                    listing(table.overruns()),
                    table.lines().join("\n")
                ),
            ));
        }
        let mut report = Report::new("budget");
        report.lines = table.lines();
        Ok(report)
    }
}

/// The fused form: each workload's usage as the pass meets it, the table at the end.
impl ObjectStep for BudgetStep {
    type Tally = Vec<budget::Usage>;

    fn wants(&self, kind: &str) -> bool {
        is_workload(kind)
    }

    fn start(&self) -> Self::Tally {
        Vec::new()
    }

    fn edit(&self, at: &DocAt, object: &mut Value, tally: &mut Self::Tally) -> Result<bool> {
        tally.extend(budget::workload_usage(at, object, self.budget.nodes)?);
        Ok(false)
    }

    fn merge(&self, tally: &mut Self::Tally, next: Self::Tally) {
        tally.extend(next);
    }

    fn end(&self, tally: Self::Tally, failures: Failures) -> Result<Report> {
        if let Some(error) = failures.first() {
            return Err(error);
        }
        self.report(budget::latest(tally))
    }
}

/// The budget table for sizing: runs the overlay's steps on `input` (all but the budget check)
/// and compares the result with the budget, if any. Being over budget is not an error here; the
/// overruns are part of the table.
pub fn sizing(input: &str, overlay: &Overlay, ctx: &Context, limits: &Limits) -> Result<Table> {
    let budget = overlay
        .resources
        .as_ref()
        .and_then(|r| r.budget.as_ref())
        .map(spec::budget)
        .transpose()?;
    let mut without_budget = overlay.clone();
    if let Some(resources) = without_budget.resources.as_mut() {
        resources.budget = None;
    }
    let steps = super::build(&without_budget)?;
    let mut stream = Stream::split(input, limits);
    super::run(&steps, &mut stream, ctx)?;
    stream.validate()?;
    let usages = budget::usage(&stream, budget.as_ref().map_or(1, |b| b.nodes))?;
    Table::new(&usages, budget.as_ref())
}

/// `(list, name)` of every container with requests and limits.
fn container_names(object: &Value) -> Vec<(&'static str, String)> {
    let Some(spec) = pod_spec(object) else {
        return Vec::new();
    };
    LISTS
        .iter()
        .flat_map(|list| {
            spec.get(*list)
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .enumerate()
                .map(move |(i, c)| (*list, container_label(c, i)))
        })
        .collect()
}

fn describe(names: &[(&str, String)]) -> String {
    let of = |list: &str| -> Vec<&str> {
        names
            .iter()
            .filter(|(l, _)| *l == list)
            .map(|(_, n)| n.as_str())
            .collect()
    };
    let mut parts = vec![format!("containers {}", of("containers").join(", "))];
    let init = of("initContainers");
    if !init.is_empty() {
        parts.push(format!("initContainers {}", init.join(", ")));
    }
    parts.join("; ")
}

fn listing(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
