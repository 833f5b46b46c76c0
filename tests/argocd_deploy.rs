//! The shipped deployment files: `kubectl kustomize` builds `deploy/argocd` on top of a
//! repo-server Deployment of our own, and the result has the sidecar Argo CD needs; the CMP
//! plugin.yaml announces exactly what `argocd generate` reads; the Helm 4 plugin.yaml uses only
//! the keys Helm 4.1 accepts and the crate's version.
#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should panic

mod common;
mod e2e;

use serde_json::Value;

fn yaml(text: &str) -> Vec<Value> {
    overhelm::yaml::parse(text, &overhelm::yaml::Limits::default()).expect("YAML")
}

/// Builds a kustomization that adds the deploy/argocd component to the stand-in repo-server.
fn build() -> Option<Vec<Value>> {
    let kubectl = common::tool("kubectl")?;
    let dir = e2e::tempdir();
    std::fs::copy(
        common::root().join("tests/fixtures/integrations/argocd-repo-server.yaml"),
        dir.path().join("repo-server.yaml"),
    )
    .unwrap();
    // kustomize refuses absolute paths to components: go up to / and down again.
    let up = "../".repeat(dir.path().canonicalize().unwrap().components().count() - 1);
    let component = format!("{up}{}", common::root().join("deploy/argocd").display());
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\nresources: [repo-server.yaml]\ncomponents: [\"{}\"]\nimages:\n  - {{name: overhelm-cmp, newName: harbor.test/library/overhelm-cmp, newTag: 0.1.0}}\n", component.replace("//", "/")),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(kubectl);
    cmd.arg("kustomize").arg(dir.path());
    let (code, out, err) = e2e::run(cmd);
    assert_eq!(code, 0, "kubectl kustomize: {err}");
    let mut docs = Vec::new();
    for chunk in overhelm::stream::split(&out) {
        docs.extend(yaml(chunk.body).into_iter().filter(|v| !v.is_null()));
    }
    Some(docs)
}

#[test]
fn kustomize_adds_the_cmp_sidecar_to_the_repo_server() {
    let Some(docs) = build() else { return };
    let find = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    let cm = find("ConfigMap");
    let cm_name = cm["metadata"]["name"].as_str().unwrap();
    assert!(cm_name.starts_with("overhelm-cmp-plugin-"), "{cm_name}");
    assert_eq!(cm["metadata"]["namespace"], "argocd");
    assert_eq!(
        cm["data"]["plugin.yaml"].as_str().unwrap(),
        common::read("deploy/argocd/plugin.yaml")
    );

    let pod = &find("Deployment")["spec"]["template"]["spec"];
    let containers = pod["containers"].as_array().unwrap();
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["overhelm", "argocd-repo-server"]);
    let sidecar = &containers[0];
    assert_eq!(sidecar["image"], "harbor.test/library/overhelm-cmp:0.1.0");
    assert_eq!(sidecar["command"][0], "/var/run/argocd/argocd-cmp-server");
    let security = &sidecar["securityContext"];
    assert_eq!(security["runAsUser"], 999);
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    let mounts: Vec<(String, String)> = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["mountPath"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("var-files", "/var/run/argocd"),
        ("plugins", "/home/argocd/cmp-server/plugins"),
        (
            "overhelm-cmp-plugin",
            "/home/argocd/cmp-server/config/plugin.yaml",
        ),
        ("overhelm-cmp-tmp", "/tmp"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(mounts, want);
    assert_eq!(sidecar["volumeMounts"][2]["subPath"], "plugin.yaml");
    let env: Vec<(&str, &str)> = sidecar["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["value"].as_str().unwrap()))
        .collect();
    for (name, value) in env {
        if name.starts_with("HELM_") || name == "TMPDIR" {
            assert!(value.starts_with("/tmp"), "{name}={value}");
        }
    }

    let volumes = pod["volumes"].as_array().unwrap();
    let volume = |name: &str| {
        volumes
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no volume {name}"))
    };
    // The generated (hashed) ConfigMap name is the one the volume mounts.
    assert_eq!(volume("overhelm-cmp-plugin")["configMap"]["name"], cm_name);
    assert!(volume("overhelm-cmp-tmp")["emptyDir"].is_object());
    assert!(volume("var-files")["emptyDir"].is_object());
    // The repo-server itself is untouched.
    assert_eq!(containers[1]["image"], "quay.io/argoproj/argocd:v3.1.8");
    assert_eq!(pod["initContainers"][0]["name"], "copyutil");
}

#[test]
fn cmp_plugin_runs_overhelm_and_announces_what_it_reads() {
    let plugin = &yaml(&common::read("deploy/argocd/plugin.yaml"))[0];
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["metadata"]["name"], "overhelm");
    assert_eq!(
        plugin["spec"]["generate"]["command"],
        serde_json::json!(["overhelm", "argocd", "generate"])
    );
    assert!(plugin["spec"]["generate"].get("args").is_none());
    assert!(plugin["spec"].get("init").is_none(), "no shell step");
    let announced: Vec<(&str, &str)> = plugin["spec"]["parameters"]["static"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["collectionType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        announced,
        overhelm::commands::argocd::request::KNOWN_PARAMETERS
    );
    assert_eq!(
        plugin["spec"]["discover"]["fileName"],
        format!("./{}", overhelm::commands::argocd::request::DEFAULT_OVERLAY)
    );
}

#[test]
fn helm4_plugin_yaml_has_only_the_keys_helm_4_accepts() {
    let plugin = &yaml(&common::read("deploy/helm4/overhelm/plugin.yaml"))[0];
    let keys: Vec<&str> = plugin
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "apiVersion",
            "type",
            "name",
            "version",
            "runtime",
            "runtimeConfig"
        ]
    );
    assert_eq!(plugin["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(plugin["type"], "postrenderer/v1");
    let command = &plugin["runtimeConfig"]["platformCommand"][0];
    assert_eq!(command["command"], "overhelm");
    assert_eq!(command["args"], serde_json::json!(["render"]));
}
