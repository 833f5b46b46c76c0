//! The values compiler against the real Helm binaries (Helm 3.17 and 4.1):
//!
//! - overhelm's coalescing equals what a chart's templates see: a chart of our own prints
//!   `{{ .Values | toJson }}`, rendered with `-f` layers through helm and compared with
//!   `coalesce(merge_layers(layers), defaults)`; the merged layers written as one file (what
//!   `overhelm values` prints) render the same as the layers given separately;
//! - the compiled minicloud values render our Backstage-shaped chart with each `POSTGRES_*` env
//!   var once (the hand-written values give each twice), and each image from its own registry.

mod common;

use std::path::Path;
use std::process::Command;

use overhelm::values::coalesce::{coalesce, merge_layers};
use overhelm::yaml;
use serde_json::{Value, json};

const HELMS: [&str; 2] = ["helm3", "helm4"];

/// `helm template` of `chart` with the values files; the parsed documents.
fn helm_template(helm: &Path, chart: &Path, files: &[&Path], home: &Path) -> Vec<Value> {
    let mut cmd = Command::new(helm);
    cmd.args(["template", "backstage"])
        .arg(chart)
        .args(["--namespace", "backstage"]);
    for f in files {
        cmd.arg("-f").arg(f);
    }
    common::helm_env(&mut cmd, home);
    let out = cmd.output().expect("run helm");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} failed: {}",
        helm.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    yaml::parse(&stdout, &yaml::Limits::default()).expect("helm output is YAML")
}

/// A chart whose only template prints its values as JSON.
fn echo_chart(dir: &Path, defaults: &Value) -> std::path::PathBuf {
    let chart = dir.join("echo");
    std::fs::create_dir_all(chart.join("templates")).expect("write the echo chart");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: echo\nversion: 0.1.0\n",
    )
    .expect("write the echo chart");
    std::fs::write(
        chart.join("values.yaml"),
        yaml::to_string(defaults).expect("write the echo chart"),
    )
    .expect("write the echo chart");
    std::fs::write(
        chart.join("templates/values.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: echo\ndata:\n  values: {{ .Values | toJson | quote }}\n",
    )
    .expect("write the echo chart");
    chart
}

fn rendered_values(docs: &[Value]) -> Value {
    let text = docs[0]["data"]["values"].as_str().expect("data.values");
    serde_json::from_str(text).expect("toJson output")
}

/// (chart defaults, `-f` layers in order)
fn coalescing_cases() -> Vec<(Value, Vec<Value>)> {
    let defaults = json!({
        "image": {"registry": "ghcr.io", "repository": "app", "tag": "1.0", "pullSecrets": ["a"]},
        "env": [{"name": "A", "value": "1"}],
        "config": {"app": {"title": "t", "baseUrl": "u"}, "port": 7007},
        "text": "plain",
        "table": {"x": 1},
        "empty": {},
        "flag": true
    });
    vec![
        (defaults.clone(), vec![json!({"image": {"tag": "2.0"}})]),
        (
            defaults.clone(),
            vec![
                json!({"image": {"tag": "2.0"}}),
                json!({"image": {"registry": "h/ghcr"}}),
            ],
        ),
        (
            defaults.clone(),
            vec![json!({"env": [{"name": "B", "value": "2"}]})],
        ),
        (
            defaults.clone(),
            vec![json!({"env": []}), json!({"image": {"pullSecrets": []}})],
        ),
        (
            defaults.clone(),
            vec![json!({"config": {"app": {"title": null}}})],
        ),
        (
            defaults.clone(),
            vec![json!({"config": null, "text": null})],
        ),
        (
            defaults.clone(),
            vec![
                json!({"config": {"app": {"title": "new"}}}),
                json!({"config": {"app": {"title": null}}}),
            ],
        ),
        (
            defaults.clone(),
            vec![
                json!({"config": {"app": null}}),
                json!({"config": {"app": {"extra": 1}}}),
            ],
        ),
        (
            defaults.clone(),
            vec![json!({"unknown": null, "other": {"deep": null, "kept": 1}})],
        ),
        (
            defaults.clone(),
            vec![json!({"text": {"now": "a table"}}), json!({"table": 5})],
        ),
        (
            defaults.clone(),
            vec![json!({"flag": false, "empty": {"k": "v"}})],
        ),
        (
            defaults.clone(),
            vec![
                json!({"image": {"tag": "2"}}),
                json!({"image": "ghcr.io/app:3"}),
            ],
        ),
        (
            defaults,
            vec![
                json!({"image": "ghcr.io/app:3"}),
                json!({"image": {"tag": "4"}}),
            ],
        ),
    ]
}

#[test]
fn coalescing_matches_real_helm() {
    for name in HELMS {
        let Some(helm) = common::tool(name) else {
            continue;
        };
        for (i, (defaults, layers)) in coalescing_cases().into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let chart = echo_chart(dir.path(), &defaults);
            let mut files = Vec::new();
            let mut merged = json!({});
            for (n, layer) in layers.iter().enumerate() {
                let f = dir.path().join(format!("layer{n}.yaml"));
                std::fs::write(&f, yaml::to_string(layer).unwrap()).unwrap();
                files.push(f);
                merge_layers(&mut merged, layer);
            }
            let refs: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
            let helm_sees = rendered_values(&helm_template(&helm, &chart, &refs, dir.path()));
            assert_eq!(
                coalesce(&merged, &defaults),
                helm_sees,
                "{name} case {i}: layers {layers:?}"
            );
            // The merged layers as one file, as `overhelm values` writes them, mean the same.
            let one = dir.path().join("merged.yaml");
            std::fs::write(&one, yaml::to_string(&merged).unwrap()).unwrap();
            let helm_sees_one =
                rendered_values(&helm_template(&helm, &chart, &[one.as_path()], dir.path()));
            assert_eq!(helm_sees_one, helm_sees, "{name} case {i}: one merged file");
        }
    }
}

fn backend_env(docs: &[Value]) -> Vec<String> {
    let deploy = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("Deployment");
    let containers = deploy["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("rendered shape");
    let backend = containers
        .iter()
        .find(|c| c["name"] == "backstage-backend")
        .expect("backstage-backend");
    backend["env"]
        .as_array()
        .expect("rendered shape")
        .iter()
        .map(|e| e["name"].as_str().expect("rendered shape").to_string())
        .collect()
}

fn images(docs: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = docs
        .iter()
        .filter_map(|d| d["spec"]["template"]["spec"]["containers"].as_array())
        .flatten()
        .map(|c| c["image"].as_str().expect("rendered shape").to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn compiled_values_render_each_postgres_env_var_once() {
    let out = common::overhelm(&["values", "-f", "overlays/minicloud/backstage.yaml"], "");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    for name in HELMS {
        let Some(helm) = common::tool(name) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let compiled = dir.path().join("values.yaml");
        std::fs::write(&compiled, &out.stdout).unwrap();
        let chart = common::root().join("examples/charts/backstage");
        let docs = helm_template(&helm, &chart, &[compiled.as_path()], dir.path());
        let env = backend_env(&docs);
        for var in [
            "POSTGRES_HOST",
            "POSTGRES_PORT",
            "POSTGRES_USER",
            "POSTGRES_PASSWORD",
        ] {
            assert_eq!(
                env.iter().filter(|e| *e == var).count(),
                1,
                "{name}: {var} in {env:?}"
            );
        }
        assert_eq!(
            images(&docs),
            [
                "docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10",
                "ghcr.io/backstage/backstage:latest"
            ],
            "{name}"
        );
        // The hand-written values fall into the gotcha: each variable twice.
        let hand = common::root().join("examples/backstage/values.yaml");
        let env = backend_env(&helm_template(&helm, &chart, &[hand.as_path()], dir.path()));
        assert_eq!(
            env.iter().filter(|e| *e == "POSTGRES_HOST").count(),
            2,
            "{name}: {env:?}"
        );
    }
}
