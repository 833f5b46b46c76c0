//! The resources step end to end: the real minicloud overlay on real Helm output, the `budget`
//! command and `render --report`, idempotence, and "values the chart set are never changed".

mod common;

use common::{overhelm, read, stderr, stdout};
use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::yaml::Limits;
use proptest::prelude::*;
use serde_json::{Value, json};

const MINICLOUD: &str = "overlays/minicloud/backstage.yaml";

fn backstage_ctx() -> Context {
    Context {
        release: Some("backstage".into()),
        namespace: Some("backstage".into()),
    }
}

fn docs(text: &str) -> Vec<Value> {
    overhelm::yaml::parse(text, &Limits::default()).expect("output parses")
}

/// Every container and init container of every workload in `stream`, with its label.
fn containers(stream: &[Value]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for doc in stream {
        let Some(spec) = overhelm::workload::pod_spec(doc) else {
            continue;
        };
        for list in ["initContainers", "containers"] {
            for c in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let label = format!("{} {list}[{}]", doc["metadata"]["name"], c["name"]);
                out.push((label, c.clone()));
            }
        }
    }
    out
}

#[test]
fn the_minicloud_overlay_leaves_no_container_without_requests_and_limits() {
    let overlay = Overlay::load(&[common::root().join(MINICLOUD)]).expect("overlay");
    for input in [
        "examples/backstage/helm3-input.yaml",
        "examples/backstage/helm4-input.yaml",
        "golden/resources-backstage-helm3/input.yaml",
        "golden/resources-backstage-helm4/input.yaml",
    ] {
        let rendered = render(&read(input), &overlay, &backstage_ctx(), &Limits::default())
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        let found = containers(&docs(&rendered.output));
        assert!(found.len() >= 2, "{input}");
        for (label, c) in found {
            for field in ["requests.cpu", "requests.memory", "limits.memory"] {
                let (which, name) = field.split_once('.').unwrap();
                assert!(
                    c["resources"][which].get(name).is_some(),
                    "{input}: {label} has no {field}"
                );
            }
        }
        let budget = rendered
            .reports
            .iter()
            .find(|r| r.step == "budget")
            .expect("budget ran");
        assert!(
            budget.lines.iter().any(|l| l.starts_with("left ")),
            "{:?}",
            budget.lines
        );
    }
}

#[test]
fn golden_cases_carry_the_minicloud_numbers() {
    let minicloud = Overlay::load(&[common::root().join(MINICLOUD)]).expect("overlay");
    for case in [
        "resources-backstage-helm3",
        "resources-backstage-helm4",
        "resources-over-budget",
    ] {
        let copy = Overlay::load(&[common::root()
            .join("golden")
            .join(case)
            .join("overlay.yaml")])
        .expect("case overlay");
        assert_eq!(
            copy.resources, minicloud.resources,
            "{case}/overlay.yaml drifted from {MINICLOUD}"
        );
    }
}

#[test]
fn rendering_the_golden_outputs_again_changes_nothing() {
    for case in [
        "resources-backstage-helm3",
        "resources-backstage-helm4",
        "resources-chart-partial",
    ] {
        let dir = common::root().join("golden").join(case);
        let overlay = Overlay::load(&[dir.join("overlay.yaml")]).expect("overlay");
        let expected = read(&format!("golden/{case}/expected.yaml"));
        let again =
            render(&expected, &overlay, &backstage_ctx(), &Limits::default()).expect("render");
        assert_eq!(again.output, expected, "{case}");
        let resources = again
            .reports
            .iter()
            .find(|r| r.step == "resources")
            .expect("resources ran");
        assert!(resources.lines.is_empty(), "{case}: {:?}", resources.lines);
    }
}

#[test]
fn budget_prints_the_table_without_failing_when_over() {
    let input = read("golden/resources-over-budget/input.yaml");
    let out = overhelm(
        &["budget", "-f", "golden/resources-over-budget/overlay.yaml"],
        &input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\nDeployment/backstage/backstage              6 replicas          600m           2304Mi           6            6Gi\n"), "{text}");
    assert!(text.contains("\nleft                                                           1350m           -384Mi           -        -2560Mi\n"), "{text}");
    assert!(text.ends_with("\nover budget (`render` refuses this release):\n  requests.memory: 2432Mi in total, over the budget of 2Gi by 384Mi\n  limits.memory: 6656Mi in total, over the budget of 4Gi by 2560Mi\n"), "{text}");
}

#[test]
fn budget_without_a_budget_prints_the_totals() {
    let out = overhelm(&["budget"], &read("examples/backstage/helm3-input.yaml"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "workload                                    pods       requests.cpu  requests.memory  limits.cpu  limits.memory\n\
         Deployment/backstage/backstage              1 replica          100m            384Mi           1            1Gi\n\
         StatefulSet/backstage/backstage-postgresql  1 replica           50m            128Mi        500m          512Mi\n\
         total                                                          150m            512Mi       1500m         1536Mi\n\
         \n\
         no resources.budget in the overlays: totals only\n"
    );
}

#[test]
fn render_reports_the_table_under_budget() {
    let input = read("golden/resources-backstage-helm3/input.yaml");
    let out = overhelm(
        &[
            "render",
            "-f",
            "golden/resources-backstage-helm3/overlay.yaml",
            "--report",
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        read("golden/resources-backstage-helm3/expected.yaml")
    );
    let report = stderr(&out);
    for line in [
        "budget: workload                                    pods       requests.cpu  requests.memory  limits.cpu  limits.memory",
        "budget: Deployment/backstage/backstage              1 replica          100m            384Mi        none            1Gi",
        "budget: total                                                          150m            512Mi        none         1536Mi",
        "budget: left                                                          1850m           1536Mi           -         2560Mi",
        "resources: Deployment/backstage/backstage initContainers[copy-plugins] resources.requests.memory: 128Mi (its limit: the API server sets a missing request to the limit)",
    ] {
        assert!(
            report.contains(&format!("{line}\n")),
            "missing {line:?} in:\n{report}"
        );
    }
}

#[test]
fn render_over_budget_exits_2_with_the_table_and_no_output() {
    let input = read("golden/resources-over-budget/input.yaml");
    let out = overhelm(
        &["render", "-f", "golden/resources-over-budget/overlay.yaml"],
        &input,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let expected = read("golden/resources-over-budget/expected.err");
    assert_eq!(stderr(&out), format!("overhelm: error: {}", expected));
}

/// A chart's resources: any of requests/limits of cpu/memory, or none.
fn chart_resources() -> impl Strategy<Value = Value> {
    let cpu = prop::sample::select(vec!["10m", "100m", "250m", "1", "1500m", "2"]);
    let mem = prop::sample::select(vec![
        "32Mi", "64Mi", "128Mi", "200M", "256Mi", "384Mi", "1Gi",
    ]);
    (
        prop::option::of(cpu.clone()),
        prop::option::of(mem.clone()),
        prop::option::of(cpu),
        prop::option::of(mem),
    )
        .prop_map(|(rc, rm, lc, lm)| {
            let q = overhelm::quantity::Quantity::parse;
            // A chart Kubernetes accepts: request <= limit.
            let order = |r: Option<&'static str>, l: Option<&'static str>| match (r, l) {
                (Some(r), Some(l)) if q(r).expect("quantity") > q(l).expect("quantity") => {
                    (Some(l), Some(r))
                }
                other => other,
            };
            let (rc, lc) = order(rc, lc);
            let (rm, lm) = order(rm, lm);
            let map = |c: Option<&str>, m: Option<&str>| {
                let mut o = serde_json::Map::new();
                if let Some(c) = c {
                    o.insert("cpu".into(), json!(c));
                }
                if let Some(m) = m {
                    o.insert("memory".into(), json!(m));
                }
                Value::Object(o)
            };
            json!({"requests": map(rc, rm), "limits": map(lc, lm)})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn values_the_chart_set_are_never_changed(
        app in prop::collection::vec(chart_resources(), 1..4),
        init in prop::collection::vec(chart_resources(), 0..3),
    ) {
        let named = |prefix: &str, list: &[Value]| -> Vec<Value> {
            list.iter().enumerate().map(|(i, r)| json!({"name": format!("{prefix}{i}"), "image": "x", "resources": r})).collect()
        };
        let doc = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"},
            "spec": {"template": {"spec": {"initContainers": named("init", &init), "containers": named("app", &app)}}}});
        let input = format!("---\n# Source: app/templates/deployment.yaml\n{}", overhelm::yaml::to_string(&doc).unwrap());
        let overlay = Overlay::load(&[common::root().join(MINICLOUD)]).unwrap();
        let overlay = Overlay { resources: overlay.resources.map(|r| overhelm::overlay::resources::Resources { set: Vec::new(), budget: None, ..r }), ..Overlay::default() };
        let before = containers(&docs(&input));
        match render(&input, &overlay, &Context::default(), &Limits::default()) {
            Err(e) => {
                // The only refusal: a chart memory request above the 256Mi default limit.
                let msg = e.to_string();
                prop_assert!(msg.contains("is above the default limit 256Mi"), "{}", msg);
                let q = |v: &Value| overhelm::quantity::Quantity::from_value(v).unwrap();
                let explained = before.iter().any(|(_, c)| {
                    let r = &c["resources"];
                    r["limits"].get("memory").is_none()
                        && r["requests"].get("memory").is_some_and(|m| q(m) > q(&json!("256Mi")))
                });
                prop_assert!(explained, "refused without a reason: {}", msg);
            }
            Ok(rendered) => {
                let after = containers(&docs(&rendered.output));
                prop_assert_eq!(before.len(), after.len());
                for ((label, b), (_, a)) in before.iter().zip(&after) {
                    for which in ["requests", "limits"] {
                        for (name, value) in b["resources"][which].as_object().unwrap() {
                            prop_assert_eq!(&a["resources"][which][name], value, "{} {}.{} changed", label, which, name);
                        }
                    }
                    for name in ["cpu", "memory"] {
                        let limit = &b["resources"]["limits"][name];
                        if b["resources"]["requests"].get(name).is_none() && !limit.is_null() {
                            prop_assert_eq!(&a["resources"]["requests"][name], limit, "{}: request is the limit", label);
                        }
                        prop_assert!(a["resources"]["requests"].get(name).is_some(), "{} has no requests.{}", label, name);
                    }
                    prop_assert!(a["resources"]["limits"].get("memory").is_some(), "{} has no limits.memory", label);
                }
                let again = render(&rendered.output, &overlay, &Context::default(), &Limits::default()).unwrap();
                prop_assert_eq!(again.output, rendered.output);
            }
        }
    }
}
