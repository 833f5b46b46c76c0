//! A checker for the Kubernetes Pod Security Standard "restricted" profile, for the containers
//! overhelm injects (the waitFor init container): every injected container must pass it.
//!
//! The rules are those of <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
//! that apply to one container and the pod fields it inherits: no privileged or host-namespace
//! access, no host ports, `allowPrivilegeEscalation: false`, `runAsNonRoot: true` and no
//! `runAsUser: 0`, seccomp `RuntimeDefault` or `Localhost`, every capability dropped and none
//! added but `NET_BIND_SERVICE`, no `Unconfined` AppArmor, no custom SELinux type or user, the
//! default `/proc` mount. overhelm also promises a read-only root file system, checked as well.
//!
//! The checker is tested on table cases, then run on the real thing: the init container that
//! `overlays/minicloud/backstage.yaml` injects into the Backstage Deployment (as Helm 3 and
//! Helm 4 send it), with the PostgreSQL login check and with the TCP check.

mod common;

use overhelm::yaml::{self, Limits};
use serde_json::{Value, json};

/// Every way `container` (in a pod whose spec is `pod`) breaks the restricted profile.
pub fn restricted_violations(pod: &Value, container: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let ctx = container.get("securityContext").unwrap_or(&Value::Null);
    let pod_ctx = pod.get("securityContext").unwrap_or(&Value::Null);
    let inherited = |key: &str| ctx.get(key).or_else(|| pod_ctx.get(key));
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod.get(host) == Some(&json!(true)) {
            out.push(format!("pod {host} is true"));
        }
    }
    if ctx.get("privileged") == Some(&json!(true)) {
        out.push("privileged".into());
    }
    if inherited("windowsOptions").and_then(|w| w.get("hostProcess")) == Some(&json!(true)) {
        out.push("windowsOptions.hostProcess".into());
    }
    let host_port = container
        .get("ports")
        .and_then(Value::as_array)
        .is_some_and(|ports| {
            ports
                .iter()
                .any(|p| p.get("hostPort").is_some_and(|h| h != &json!(0)))
        });
    if host_port {
        out.push("a hostPort".into());
    }
    if ctx.get("allowPrivilegeEscalation") != Some(&json!(false)) {
        out.push("allowPrivilegeEscalation is not false".into());
    }
    if inherited("runAsNonRoot") != Some(&json!(true)) {
        out.push("runAsNonRoot is not true".into());
    }
    if inherited("runAsUser") == Some(&json!(0)) {
        out.push("runAsUser is 0".into());
    }
    let seccomp = inherited("seccompProfile")
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str);
    if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
        out.push("seccompProfile.type is not RuntimeDefault or Localhost".into());
    }
    out.extend(capability_violations(ctx));
    if inherited("appArmorProfile").and_then(|a| a.get("type")) == Some(&json!("Unconfined")) {
        out.push("appArmorProfile is Unconfined".into());
    }
    if let Some(se) = inherited("seLinuxOptions") {
        let allowed_type = se.get("type").and_then(Value::as_str).is_none_or(|t| {
            matches!(
                t,
                "" | "container_t" | "container_init_t" | "container_kvm_t" | "container_engine_t"
            )
        });
        if !allowed_type || se.get("user").is_some() || se.get("role").is_some() {
            out.push("custom seLinuxOptions".into());
        }
    }
    if ctx.get("procMount").is_some_and(|p| p != &json!("Default")) {
        out.push("procMount is not Default".into());
    }
    if ctx.get("readOnlyRootFilesystem") != Some(&json!(true)) {
        out.push("readOnlyRootFilesystem is not true (overhelm's own promise)".into());
    }
    out
}

fn capability_violations(ctx: &Value) -> Vec<String> {
    let caps = ctx.get("capabilities").unwrap_or(&Value::Null);
    let list = |key: &str| -> Vec<&str> {
        caps.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if !list("drop").contains(&"ALL") {
        out.push("capabilities.drop does not hold ALL".into());
    }
    for added in list("add") {
        if added != "NET_BIND_SERVICE" {
            out.push(format!("capability {added} added"));
        }
    }
    out
}

fn compliant() -> Value {
    json!({
        "name": "wait-for-postgres",
        "image": "docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10",
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": 1001,
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        }
    })
}

#[test]
fn a_compliant_container_passes() {
    assert_eq!(
        restricted_violations(&json!({}), &compliant()),
        Vec::<String>::new()
    );
    // Pod-level settings are inherited.
    let pod =
        json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "Localhost"}}});
    let mut c = compliant();
    let ctx = c["securityContext"].as_object_mut().expect("ctx");
    ctx.remove("runAsNonRoot");
    ctx.remove("seccompProfile");
    assert_eq!(restricted_violations(&pod, &c), Vec::<String>::new());
}

#[test]
fn each_violation_is_found() {
    let cases: &[(&str, Value, Value)] = &[
        ("privileged", json!({}), json!({"privileged": true})),
        (
            "allowPrivilegeEscalation",
            json!({}),
            json!({"allowPrivilegeEscalation": true}),
        ),
        ("runAsNonRoot", json!({}), json!({"runAsNonRoot": false})),
        ("runAsUser is 0", json!({}), json!({"runAsUser": 0})),
        (
            "seccompProfile",
            json!({}),
            json!({"seccompProfile": {"type": "Unconfined"}}),
        ),
        (
            "capabilities.drop",
            json!({}),
            json!({"capabilities": {"drop": ["NET_RAW"]}}),
        ),
        (
            "capability SYS_ADMIN",
            json!({}),
            json!({"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}),
        ),
        (
            "appArmorProfile",
            json!({}),
            json!({"appArmorProfile": {"type": "Unconfined"}}),
        ),
        (
            "seLinuxOptions",
            json!({}),
            json!({"seLinuxOptions": {"type": "spc_t"}}),
        ),
        ("procMount", json!({}), json!({"procMount": "Unmasked"})),
        (
            "readOnlyRootFilesystem",
            json!({}),
            json!({"readOnlyRootFilesystem": false}),
        ),
        ("hostNetwork", json!({"hostNetwork": true}), json!({})),
        ("hostPID", json!({"hostPID": true}), json!({})),
    ];
    for (want, pod, ctx_change) in cases {
        let mut c = compliant();
        let ctx = c["securityContext"].as_object_mut().expect("ctx");
        for (k, v) in ctx_change.as_object().expect("map") {
            ctx.insert(k.clone(), v.clone());
        }
        let found = restricted_violations(pod, &c);
        assert!(found.iter().any(|v| v.contains(want)), "{want}: {found:?}");
    }
    let mut c = compliant();
    c["ports"] = json!([{"containerPort": 5432, "hostPort": 5432}]);
    assert_eq!(restricted_violations(&json!({}), &c), vec!["a hostPort"]);
    let mut c = compliant();
    c.as_object_mut().expect("map").remove("securityContext");
    assert!(restricted_violations(&json!({}), &c).len() >= 5);
}

/// The rendered Backstage Deployment's pod spec and its init container `name`.
fn injected(input: &str, overlay: &str, name: &str) -> (Value, Value) {
    let out = common::overhelm(
        &[
            "render",
            "-f",
            overlay,
            "--release",
            "backstage",
            "--namespace",
            "backstage",
        ],
        &common::read(input),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let docs = yaml::parse(&common::stdout(&out), &Limits::default()).expect("output parses");
    let deployment = docs
        .into_iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "backstage")
        .expect("the Backstage Deployment");
    let pod = deployment["spec"]["template"]["spec"].clone();
    let init = pod["initContainers"][0].clone();
    assert_eq!(init["name"], name, "the injected container runs first");
    (pod, init)
}

#[test]
fn the_injected_wait_for_containers_meet_the_restricted_profile() {
    let tcp = tempfile::tempdir().expect("dir");
    let tcp_overlay = tcp.path().join("tcp.yaml");
    std::fs::write(
        &tcp_overlay,
        "apiVersion: overhelm/v1\nkind: Overlay\nwaitFor:\n  - workload: {kind: Deployment, name: backstage}\n    tcp: {host: {fromEnv: POSTGRES_HOST}, port: {fromEnv: POSTGRES_PORT}}\n    image: docker.io/library/busybox:1.36\n",
    )
    .expect("overlay");
    let tcp_overlay = tcp_overlay.display().to_string();
    for input in [
        "examples/backstage/helm3-input.yaml",
        "examples/backstage/helm4-input.yaml",
    ] {
        for (overlay, name) in [
            ("overlays/minicloud/backstage.yaml", "wait-for-postgres"),
            (tcp_overlay.as_str(), "wait-for-tcp"),
        ] {
            let (pod, init) = injected(input, overlay, name);
            assert_eq!(
                restricted_violations(&pod, &init),
                Vec::<String>::new(),
                "{input} with {overlay}: {init:#}"
            );
            // Small, bounded resources, so the container also fits a namespace quota.
            for which in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        init["resources"][which][resource].is_string(),
                        "{which}.{resource}: {init:#}"
                    );
                }
            }
        }
    }
}
