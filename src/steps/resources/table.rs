//! The budget table: every workload's share of the release, the totals, the budget and what is
//! left, in columns a person can read and act on.
//!
//! ```text
//! workload                                    pods       requests.cpu  requests.memory  limits.cpu  limits.memory
//! Deployment/backstage/backstage              1 replica          100m            384Mi           1            1Gi
//! StatefulSet/backstage/backstage-postgresql  1 replica           50m            128Mi        500m          512Mi
//! total                                                          150m            512Mi       1500m         1536Mi
//! budget                                                            2              2Gi           -            4Gi
//! left                                                          1850m           1536Mi           -         2560Mi
//! ```
//!
//! Shares are per pod times pods; `none` is a limit that is not bounded (a container without
//! one); cpu is written in cores or millicores, bytes in binary units where exact.

use super::budget::{Limit, Usage, add_limit};
use super::spec::{BudgetSpec, Which};
use crate::error::Result;
use crate::quantity::{Format, Quantity};

/// The computed table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<(Which, String)>,
    rows: Vec<(String, String, Vec<Limit>)>,
    totals: Vec<Limit>,
    budget: Option<Vec<Option<Quantity>>>,
    overruns: Vec<String>,
}

impl Table {
    /// The table of `usages`, compared with `budget` when there is one.
    pub fn new(usages: &[Usage], budget: Option<&BudgetSpec>) -> Result<Self> {
        let columns = columns(usages, budget);
        let mut rows = Vec::new();
        let mut totals: Vec<Limit> = vec![Some(Quantity::ZERO); columns.len()];
        for usage in usages {
            let mut cells = Vec::new();
            for (i, (which, name)) in columns.iter().enumerate() {
                let share = usage.share(*which, name)?;
                totals[i] = add_limit(totals[i], share)?;
                cells.push(share);
            }
            rows.push((usage.id.clone(), usage.pods_note.clone(), cells));
        }
        let budget_cells = budget.map(|b| {
            columns
                .iter()
                .map(|(which, name)| b.amounts.get(*which, name))
                .collect::<Vec<_>>()
        });
        let mut table = Table {
            columns,
            rows,
            totals,
            budget: budget_cells,
            overruns: Vec::new(),
        };
        table.overruns = table.find_overruns(usages);
        Ok(table)
    }

    /// One line per budgeted amount the release exceeds; empty when it fits.
    pub fn overruns(&self) -> &[String] {
        &self.overruns
    }

    fn find_overruns(&self, usages: &[Usage]) -> Vec<String> {
        let Some(budget) = &self.budget else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, (which, name)) in self.columns.iter().enumerate() {
            let Some(budgeted) = budget[i] else { continue };
            let label = format!("{}.{name}", which.key());
            match self.totals[i] {
                Some(total) if total <= budgeted => {}
                Some(total) => out.push(format!(
                    "{label}: {} in total, over the budget of {} by {}",
                    cell(name, Some(total)),
                    cell(name, Some(budgeted)),
                    cell(name, total.checked_sub(budgeted)),
                )),
                None => {
                    let culprits: Vec<String> = usages
                        .iter()
                        .filter_map(|u| {
                            let list = u.unlimited.get(name)?;
                            Some(format!("{} {}", u.id, list.join(", ")))
                        })
                        .collect();
                    out.push(format!(
                        "{label}: unbounded, over the budget of {}: no {name} limit on {}; set resources.defaults.limits.{name} or a limit with resources.set",
                        cell(name, Some(budgeted)),
                        culprits.join("; ")
                    ));
                }
            }
        }
        out
    }

    /// The table as lines of aligned columns.
    pub fn lines(&self) -> Vec<String> {
        let mut grid: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["workload".to_string(), "pods".to_string()];
        header.extend(self.columns.iter().map(|(w, n)| format!("{}.{n}", w.key())));
        grid.push(header);
        for (id, pods, cells) in &self.rows {
            grid.push(self.row(id, pods, cells.iter().copied()));
        }
        grid.push(self.row("total", "", self.totals.iter().copied()));
        if let Some(budget) = &self.budget {
            let budget_row = budget
                .iter()
                .enumerate()
                .map(|(i, b)| self.named(i, b.map(Some)));
            grid.push(row_of("budget", "", budget_row));
            let left = budget
                .iter()
                .enumerate()
                .map(|(i, b)| match (b, self.totals[i]) {
                    (None, _) => "-".to_string(),
                    (Some(_), None) => "over".to_string(),
                    (Some(b), Some(t)) => match b.checked_sub(t) {
                        Some(left) => cell(&self.columns[i].1, Some(left)),
                        None => format!("-{}", cell(&self.columns[i].1, t.checked_sub(*b))),
                    },
                });
            grid.push(row_of("left", "", left));
        }
        align(&grid)
    }

    fn row(&self, first: &str, pods: &str, cells: impl Iterator<Item = Limit>) -> Vec<String> {
        let cells = cells.enumerate().map(|(i, c)| self.named(i, Some(c)));
        row_of(first, pods, cells)
    }

    /// A cell of column `i`: `-` when there is nothing (no budget), `none` when unbounded.
    fn named(&self, i: usize, value: Option<Limit>) -> String {
        match value {
            None => "-".into(),
            Some(limit) => cell(&self.columns[i].1, limit),
        }
    }
}

fn row_of(first: &str, pods: &str, cells: impl Iterator<Item = String>) -> Vec<String> {
    let mut row = vec![first.to_string(), pods.to_string()];
    row.extend(cells);
    row
}

/// cpu in cores or millicores; everything else in binary units where exact.
fn cell(name: &str, value: Limit) -> String {
    match value {
        None => "none".into(),
        Some(q) if name == "cpu" => q.with_format(Format::DecimalSi).to_string(),
        Some(q) => q.with_format(Format::BinarySi).to_string(),
    }
}

/// The columns: cpu and memory always, then every other resource a workload or the budget
/// names; requests first, then limits.
fn columns(usages: &[Usage], budget: Option<&BudgetSpec>) -> Vec<(Which, String)> {
    let mut columns = Vec::new();
    for which in [Which::Requests, Which::Limits] {
        let mut names: Vec<String> = vec!["cpu".into(), "memory".into()];
        for usage in usages {
            let used: Vec<&String> = match which {
                Which::Requests => usage
                    .requests
                    .iter()
                    .filter(|(_, q)| !q.is_zero())
                    .map(|(n, _)| n)
                    .collect(),
                Which::Limits => usage
                    .limits
                    .iter()
                    .filter(|(_, l)| l.is_some())
                    .map(|(n, _)| n)
                    .collect(),
            };
            names.extend(used.into_iter().cloned());
        }
        if let Some(b) = budget {
            names.extend(b.amounts.of(which).iter().map(|(n, _)| n.clone()));
        }
        names.sort_by_key(|n| (rank(n), n.clone()));
        names.dedup();
        columns.extend(names.into_iter().map(|n| (which, n)));
    }
    columns
}

fn rank(name: &str) -> u8 {
    match name {
        "cpu" => 0,
        "memory" => 1,
        "ephemeral-storage" => 2,
        _ => 3,
    }
}

/// The first two columns left-aligned, the quantities right-aligned, two spaces apart.
fn align(grid: &[Vec<String>]) -> Vec<String> {
    let columns = grid.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| grid.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    grid.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i < 2 {
                        format!("{c:<w$}", w = widths[i])
                    } else {
                        format!("{c:>w$}", w = widths[i])
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}
