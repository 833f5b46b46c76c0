//! overhelm under the real Helm binaries: Helm 3's `--post-renderer <binary>` (with arguments and
//! in the no-argument form), Helm 4's `postrenderer/v1` plugin from `deploy/helm4/overhelm`
//! (installed with `helm plugin install`, and found through `HELM_PLUGINS` without installing),
//! on the demo chart (hook, test hook, subchart, CRD, Secret) and on the Backstage example with
//! the minicloud overlay. Helm 3 and Helm 4 must agree on every object, except where Helm itself
//! differs: Helm 3 never hands hooks to a post-renderer, Helm 4 does.

mod common;
mod e2e;

use std::path::Path;

use e2e::{Object, by_id, objects};

const MIRROR: &str = "harbor.example.test/";

/// `helm3 template` of the demo chart with overhelm as the post-renderer.
fn helm3_demo(helm3: &Path, post_renderer_args: &[&str], overlay_env: bool) -> String {
    let dir = e2e::tempdir();
    let bin = e2e::bin_dir(dir.path(), None);
    let mut cmd = e2e::helm(helm3, dir.path(), &bin);
    cmd.args(["template", "r"])
        .arg(e2e::demo_chart())
        .args(["-n", "ns", "--include-crds", "--post-renderer"])
        .arg(common::bin());
    for arg in post_renderer_args {
        cmd.arg(format!("--post-renderer-args={arg}"));
    }
    if overlay_env {
        cmd.env("OVERHELM_OVERLAY", e2e::demo_overlay());
    }
    let (code, out, err) = e2e::run(cmd);
    assert_eq!(code, 0, "helm3 failed: {err}");
    out
}

/// `helm4 template` of `chart` with the overhelm plugin found through `plugins`.
fn run_helm4(helm4: &Path, dir: &Path, plugins: &Path, args: &[&str]) -> (i32, String, String) {
    let bin = e2e::bin_dir(dir, None);
    let mut cmd = e2e::helm(helm4, dir, &bin);
    cmd.env("HELM_PLUGINS", plugins)
        .arg("template")
        .args(args)
        .args(["--post-renderer", "overhelm"]);
    e2e::run(cmd)
}

fn demo_args(overlay: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["r", "", "-n", "ns", "--include-crds"]
        .map(String::from)
        .to_vec();
    args[1] = e2e::demo_chart().display().to_string();
    for a in ["--release=r", "--namespace=ns", "-f"] {
        args.push(format!("--post-renderer-args={a}"));
    }
    args.push(format!("--post-renderer-args={}", overlay.display()));
    args
}

fn helm4_demo(helm4_bin: &Path, plugins: Option<&Path>) -> String {
    let dir = e2e::tempdir();
    let repo_plugins = common::root().join("deploy/helm4");
    let plugins = plugins.map_or(repo_plugins, Path::to_path_buf);
    let args = demo_args(&e2e::demo_overlay());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run_helm4(helm4_bin, dir.path(), &plugins, &args);
    assert_eq!(code, 0, "helm4 failed: {err}");
    out
}

/// What the demo overlay must have done to every non-hook object.
fn assert_demo_rendered(objects: &[Object]) {
    let map = by_id(objects);
    let ids: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "ConfigMap/ns/r-settings",
            "CustomResourceDefinition//widgets.demo.example.com",
            "Deployment/ns/r-web",
            "Deployment/ns/r-worker",
            "Job/ns/r-migrate",
            "Pod/ns/r-test-connection",
            "Secret/ns/r-secret",
            "Service/ns/r-web",
        ]
    );
    assert_eq!(
        map["Deployment/ns/r-web"].images(),
        ["harbor.example.test/dockerhub-proxy/library/nginx:1.27"]
    );
    assert_eq!(
        map["Deployment/ns/r-worker"].images(),
        ["harbor.example.test/ghcr-proxy/example/worker:2.0.1"; 2]
    );
    let secret = &map["Secret/ns/r-secret"].value;
    assert_eq!(secret["stringData"]["password"], "s3cr3t-from-values");
    assert_eq!(
        map["ConfigMap/ns/r-settings"].value["data"]["greeting"],
        "on"
    );
    for object in objects {
        assert!(
            object.source.is_some(),
            "{} lost its # Source line",
            object.id()
        );
    }
}

fn hook_images(objects: &[Object]) -> Vec<String> {
    objects
        .iter()
        .filter(|o| o.is_hook())
        .flat_map(Object::images)
        .collect()
}

#[test]
fn helm3_post_renderer_with_release_and_namespace_args() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let overlay = e2e::demo_overlay().display().to_string();
    let out = helm3_demo(
        &helm3,
        &["render", "--release=r", "--namespace=ns", "-f", &overlay],
        false,
    );
    let objects = objects(&out);
    assert_demo_rendered(&objects);
    // Helm 3 appends hooks after the post-renderer ran: they keep the chart's images.
    assert_eq!(
        hook_images(&objects),
        ["busybox", "docker.io/library/busybox:1.36"]
    );
    // Helm 3 hands over the CRD (with --include-crds) first, in install order.
    assert_eq!(
        objects[0].id(),
        "CustomResourceDefinition//widgets.demo.example.com"
    );
    assert_eq!(objects[0].source.as_deref(), Some("demo/crds/widgets.yaml"));
}

#[test]
fn helm3_post_renderer_without_args_reads_overhelm_overlay() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let overlay = e2e::demo_overlay().display().to_string();
    let bare = helm3_demo(&helm3, &[], true);
    assert_demo_rendered(&objects(&bare));
    let with_args = helm3_demo(&helm3, &["render", "-f", &overlay], false);
    assert_eq!(bare, with_args);
}

#[test]
fn helm4_plugin_from_the_repository_through_helm_plugins() {
    let Some(helm4) = common::tool("helm4") else {
        return;
    };
    let objects = objects(&helm4_demo(&helm4, None));
    assert_demo_rendered(&objects);
    // Helm 4 post-renders hooks too.
    assert!(hook_images(&objects).iter().all(|i| i.starts_with(MIRROR)));
}

#[test]
fn helm4_plugin_installed_with_helm_plugin_install() {
    let Some(helm4) = common::tool("helm4") else {
        return;
    };
    let dir = e2e::tempdir();
    // Helm 4.1 installs into $HELM_DATA_HOME/plugins whatever HELM_PLUGINS says, so the two
    // must be the same folder for the installed plugin to be found.
    let plugins = dir.path().join("data/plugins");
    let mut install = e2e::helm(&helm4, dir.path(), Path::new("/nonexistent"));
    install
        .env("HELM_PLUGINS", &plugins)
        .args(["plugin", "install"])
        .arg(common::root().join("deploy/helm4/overhelm"));
    let (code, out, err) = e2e::run(install);
    assert_eq!(code, 0, "install failed: {out}{err}");
    let mut list = e2e::helm(&helm4, dir.path(), Path::new("/nonexistent"));
    list.env("HELM_PLUGINS", &plugins).args(["plugin", "list"]);
    let (_, listed, _) = e2e::run(list);
    let row = listed
        .lines()
        .find(|l| l.starts_with("overhelm"))
        .unwrap_or_else(|| panic!("not listed: {listed}"));
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(fields[1..3], [env!("CARGO_PKG_VERSION"), "postrenderer/v1"]);
    let objects = objects(&helm4_demo(&helm4, Some(&plugins)));
    assert_demo_rendered(&objects);
}

#[test]
fn helm3_and_helm4_agree_on_every_object() {
    let (Some(helm3), Some(helm4)) = (common::tool("helm3"), common::tool("helm4")) else {
        return;
    };
    let overlay = e2e::demo_overlay().display().to_string();
    let three = objects(&helm3_demo(
        &helm3,
        &["render", "--release=r", "--namespace=ns", "-f", &overlay],
        false,
    ));
    let four = objects(&helm4_demo(&helm4, None));
    let (m3, m4) = (by_id(&three), by_id(&four));
    assert_eq!(m3.keys().collect::<Vec<_>>(), m4.keys().collect::<Vec<_>>());
    for (id, o3) in &m3 {
        let o4 = &m4[id];
        assert_eq!(o3.source, o4.source, "{id}: template");
        if o3.is_hook() {
            // The one difference Helm makes: only Helm 4 lets overhelm see hooks. Mirroring
            // Helm 3's hook image by hand must give Helm 4's hook exactly.
            let mut mirrored = o3.value.clone();
            mirror_images(&mut mirrored);
            assert_ne!(o3.value, o4.value, "{id}: Helm 3 hook was post-rendered");
            assert_eq!(mirrored, o4.value, "{id}");
        } else {
            assert_eq!(o3.value, o4.value, "{id}");
        }
    }
    // Ordering: both print CRDs first and hooks last; in between, install order.
    let order = |objs: &[Object]| objs.iter().map(Object::id).collect::<Vec<_>>();
    assert_eq!(order(&three), order(&four));
    assert!(three.last().is_some_and(Object::is_hook));
}

fn mirror_images(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "image" {
                    let image = v.as_str().unwrap_or_default();
                    let name = if image.contains('/') {
                        image.trim_start_matches("docker.io/").to_string()
                    } else {
                        format!("library/{image}")
                    };
                    *v = format!("{MIRROR}dockerhub-proxy/{name}").into();
                } else {
                    mirror_images(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mirror_images),
        _ => {}
    }
}

#[test]
fn helm4_failing_render_leaves_the_message_in_the_log() {
    let Some(helm4) = common::tool("helm4") else {
        return;
    };
    let dir = e2e::tempdir();
    let overlay = dir.path().join("bad.yaml");
    std::fs::write(
        &overlay,
        "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {docker.io: h.test/d}\n  images:\n    - {name: docker.io/library/postgres, tag: '16'}\n",
    )
    .unwrap();
    let args = demo_args(&overlay);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plugins = common::root().join("deploy/helm4");
    let (code, out, err) = run_helm4(&helm4, dir.path(), &plugins, &args);
    assert_ne!(code, 0);
    assert!(out.is_empty(), "{out}");
    // Helm 4 hides the plugin's stderr...
    assert!(
        err.contains("plugin \"overhelm\" exited with error"),
        "{err}"
    );
    assert!(!err.contains("registry.images"), "{err}");
    // ...so the log file has it.
    let log = std::fs::read_to_string(dir.path().join("error.log")).expect("error log");
    assert!(log.contains("overhelm: error:"), "{log}");
    assert!(log.contains("registry.images[0]"), "{log}");
    assert!(log.contains("docker.io/library/postgres"), "{log}");
}

#[test]
fn helm4_accepts_overhelm_output_for_a_chart_with_no_objects() {
    let Some(helm4) = common::tool("helm4") else {
        return;
    };
    let dir = e2e::tempdir();
    let chart = dir.path().join("empty");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: empty\nversion: 0.1.0\n",
    )
    .unwrap();
    let chart = chart.display().to_string();
    let plugins = common::root().join("deploy/helm4");
    let (code, out, err) = run_helm4(&helm4, dir.path(), &plugins, &["e", &chart]);
    assert_eq!(code, 0, "{err}");
    assert!(objects(&out).is_empty(), "{out}");
}

/// Backstage with the minicloud overlay, the README's commands. Helm 3 runs the binary, whose
/// first argument must be the subcommand; Helm 4's plugin.yaml gives `render` itself.
fn backstage_args(helm3: bool) -> Vec<String> {
    let root = common::root();
    let mut args: Vec<String> = vec![
        "backstage".into(),
        root.join("examples/charts/backstage").display().to_string(),
        "-n".into(),
        "backstage".into(),
        "-f".into(),
        root.join("examples/backstage/values.yaml")
            .display()
            .to_string(),
    ];
    if helm3 {
        args.push("--post-renderer-args=render".into());
    }
    for a in ["--release=backstage", "--namespace=backstage", "-f"] {
        args.push(format!("--post-renderer-args={a}"));
    }
    args.push(format!(
        "--post-renderer-args={}",
        root.join("overlays/minicloud/backstage.yaml").display()
    ));
    args
}

#[test]
fn backstage_with_minicloud_overlay_through_helm3() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let mut cmd = e2e::helm(&helm3, dir.path(), &e2e::bin_dir(dir.path(), None));
    cmd.arg("template")
        .args(backstage_args(true))
        .args(["--post-renderer", "overhelm"]);
    let (code, out, err) = e2e::run(cmd);
    assert_eq!(code, 0, "{err}");
    e2e::assert_backstage_through_harbor(&out);
}

#[test]
fn backstage_with_minicloud_overlay_through_helm4() {
    let Some(helm4) = common::tool("helm4") else {
        return;
    };
    let dir = e2e::tempdir();
    let args = backstage_args(false);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plugins = common::root().join("deploy/helm4");
    let (code, out, err) = run_helm4(&helm4, dir.path(), &plugins, &args);
    assert_eq!(code, 0, "{err}");
    e2e::assert_backstage_through_harbor(&out);
}

/// The MANIFEST part of `helm install --dry-run` output (the release manifest Helm would apply).
fn manifest_section(out: &str) -> &str {
    let start = out
        .find("\nMANIFEST:\n")
        .unwrap_or_else(|| panic!("no MANIFEST in {out}"));
    let rest = &out[start + "\nMANIFEST:\n".len()..];
    rest.find("\nNOTES:\n").map_or(rest, |end| &rest[..end])
}

#[test]
fn backstage_install_dry_run_through_helm3() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let dir = e2e::tempdir();
    let kubeconfig = dir.path().join("kubeconfig");
    e2e::fake_api::start(&kubeconfig);
    let mut cmd = e2e::helm(&helm3, dir.path(), &e2e::bin_dir(dir.path(), None));
    // The stand-in API server has no OpenAPI documents to validate against.
    cmd.env("KUBECONFIG", &kubeconfig)
        .args(["install", "--dry-run", "--disable-openapi-validation"])
        .args(backstage_args(true))
        .args(["--post-renderer", "overhelm"]);
    let (code, out, err) = e2e::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("STATUS: pending-install"), "{out}");
    e2e::assert_backstage_through_harbor(manifest_section(&out));
}

#[test]
fn backstage_install_dry_run_through_helm4() {
    let Some(helm4) = common::tool("helm4") else {
        return;
    };
    let dir = e2e::tempdir();
    let bin = e2e::bin_dir(dir.path(), None);
    let mut cmd = e2e::helm(&helm4, dir.path(), &bin);
    cmd.env("HELM_PLUGINS", common::root().join("deploy/helm4"))
        .env("KUBECONFIG", dir.path().join("no-cluster"))
        .args(["install", "--dry-run=client"])
        .args(backstage_args(false))
        .args(["--post-renderer", "overhelm"]);
    let (code, out, err) = e2e::run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("STATUS: pending-install"), "{out}");
    e2e::assert_backstage_through_harbor(manifest_section(&out));
}
