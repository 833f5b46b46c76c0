//! `overhelm argocd generate` the way Argo CD's CMP server runs it: in a fresh copy of the app
//! (files 0644, folders 0755, owned by the sidecar user), as uid 999 with `HOME=/` (not
//! writable), the sidecar's `HELM_*_HOME` and `TMPDIR` under a private /tmp, and exactly the
//! request variables the server sets. Real Helm 3 and Helm 4 as `helm`.
#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should panic

mod common;
mod e2e;

use std::path::Path;
use std::process::Stdio;

use e2e::sidecar::{Sidecar, chown};
use e2e::{by_id, objects};

fn demo_overlay() -> String {
    std::fs::read_to_string(e2e::demo_overlay()).unwrap()
}

const BAD_OVERLAY: &str = "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {docker.io: h.test/d}\n  images:\n    - {name: docker.io/library/postgres, tag: '16'}\n";

const MIRRORS_ONLY: &str =
    "apiVersion: overhelm/v1\nkind: Overlay\nregistry:\n  mirrors: {docker.io: h.test/d}\n";

/// One case: name, helm as `helm`, the chart, the request variables, what it must do.
type Case<'a> = (
    &'a str,
    Option<&'a Path>,
    &'a Path,
    Vec<(&'a str, &'a str)>,
    Expect,
);

/// What one case expects.
enum Expect {
    /// Exit 0; the check runs on the output.
    Ok(fn(&str)),
    /// This exit code, and stderr containing this.
    Fails(i32, &'static str),
}

fn demo_ok(out: &str) {
    let map = by_id(&objects(out));
    assert_eq!(map.len(), 8, "{:?}", map.keys());
    assert!(map.contains_key("CustomResourceDefinition//widgets.demo.example.com"));
    assert!(map["Job/apps/demo-migrate"].is_hook());
    assert!(map.contains_key("Secret/apps/demo-secret"));
    for object in map.values() {
        for image in object.images() {
            assert!(image.starts_with("harbor.example.test/"), "{image}");
        }
    }
    assert_eq!(map["Deployment/apps/demo-web"].value["spec"]["replicas"], 1);
}

fn replicas_3(out: &str) {
    let map = by_id(&objects(out));
    assert_eq!(map["Deployment/apps/demo-web"].value["spec"]["replicas"], 3);
}

fn map_params(out: &str) {
    let map = by_id(&objects(out));
    assert_eq!(map["Deployment/apps/demo-web"].value["spec"]["replicas"], 4);
    let secret = &map["Secret/apps/demo-secret"].value["stringData"];
    // One map entry sets one key: the comma does not start a second assignment.
    assert_eq!(secret["password"], "a,b=c");
    assert!(map.keys().all(|k| !k.contains("/b")));
}

#[test]
fn generate_as_the_cmp_server_runs_it() {
    let (Some(helm3), Some(helm4)) = (common::tool("helm3"), common::tool("helm4")) else {
        return;
    };
    let no_objects = tempfile::tempdir().unwrap();
    std::fs::create_dir(no_objects.path().join("templates")).unwrap();
    std::fs::write(
        no_objects.path().join("Chart.yaml"),
        "apiVersion: v2\nname: empty\nversion: 0.1.0\n",
    )
    .unwrap();
    let demo = e2e::demo_chart();
    let params_array = r#"[{"array":["values-prod.yaml"],"name":"values-files"}]"#;
    let params_map = r#"[{"map":{"password":"a,b=c","replicas":"4"},"name":"helm-parameters"}]"#;
    let table: Vec<Case> = vec![
        (
            "app outside the Argo CD namespace, no plugin parameters",
            Some(&helm3),
            &demo,
            vec![("ARGOCD_APP_NAME", "team-a_demo")],
            Expect::Ok(demo_ok),
        ),
        (
            "parameters null",
            Some(&helm3),
            &demo,
            vec![("ARGOCD_APP_PARAMETERS", "null")],
            Expect::Ok(demo_ok),
        ),
        (
            "array parameter values-files",
            Some(&helm3),
            &demo,
            vec![
                ("ARGOCD_APP_PARAMETERS", params_array),
                ("PARAM_VALUES_FILES_0", "values-prod.yaml"),
            ],
            Expect::Ok(replicas_3),
        ),
        (
            "map parameter helm-parameters",
            Some(&helm3),
            &demo,
            vec![
                ("ARGOCD_APP_PARAMETERS", params_map),
                ("PARAM_HELM_PARAMETERS_PASSWORD", "a,b=c"),
                ("PARAM_HELM_PARAMETERS_REPLICAS", "4"),
            ],
            Expect::Ok(map_params),
        ),
        (
            "Helm 4 as helm",
            Some(&helm4),
            &demo,
            vec![
                ("ARGOCD_APP_NAME", "team-a_demo"),
                ("ARGOCD_APP_PARAMETERS", "[]"),
            ],
            Expect::Ok(demo_ok),
        ),
        (
            "missing helm",
            None,
            &demo,
            vec![],
            Expect::Fails(2, "`helm` not found"),
        ),
        (
            "failing render",
            Some(&helm3),
            &demo,
            vec![("ARGOCD_ENV_OVERHELM_OVERLAY", "bad-overlay.yaml")],
            Expect::Fails(2, "registry.images[0]"),
        ),
        (
            "helm fails on a broken values file",
            Some(&helm4),
            &demo,
            vec![(
                "ARGOCD_APP_PARAMETERS",
                r#"[{"array":["broken.yaml"],"name":"values-files"}]"#,
            )],
            Expect::Fails(1, "`helm template` failed (exit code 1)"),
        ),
        (
            "helm flags through plugin env",
            Some(&helm3),
            &demo,
            vec![("ARGOCD_ENV_HELM_ARGS", "--post-renderer=/bin/sh")],
            Expect::Fails(2, "not one overhelm reads"),
        ),
        (
            "values file outside the app",
            Some(&helm3),
            &demo,
            vec![(
                "ARGOCD_APP_PARAMETERS",
                r#"[{"array":["../other/values.yaml"],"name":"values-files"}]"#,
            )],
            Expect::Fails(2, "outside the app directory"),
        ),
        (
            "chart with no objects",
            Some(&helm3),
            no_objects.path(),
            vec![("ARGOCD_ENV_OVERHELM_OVERLAY", "mirrors-only.yaml")],
            Expect::Fails(2, "rendered no Kubernetes objects"),
        ),
    ];
    let mut outputs = Vec::new();
    for (name, helm, chart, env, expect) in table {
        let sidecar = Sidecar::new(helm);
        let app = sidecar.app(
            "demo",
            chart,
            &[
                ("overhelm.yaml", &demo_overlay()),
                ("bad-overlay.yaml", BAD_OVERLAY),
                ("values-prod.yaml", "replicas: 3\n"),
                ("broken.yaml", "replicas: [\n"),
                ("mirrors-only.yaml", MIRRORS_ONLY),
            ],
        );
        std::fs::create_dir(sidecar.dir.path().join("repo/other")).unwrap();
        std::fs::write(
            sidecar.dir.path().join("repo/other/values.yaml"),
            "replicas: 9\n",
        )
        .unwrap();
        let (code, out, err) = e2e::run(sidecar.generate(&app, &env));
        match expect {
            Expect::Ok(check) => {
                assert_eq!(code, 0, "{name}: {err}");
                check(&out);
                outputs.push((name, out));
            }
            Expect::Fails(want_code, want) => {
                assert_eq!(code, want_code, "{name}: {err}");
                assert!(out.is_empty(), "{name}: printed {out}");
                assert!(err.contains(want), "{name}: {err}");
                // Short enough for Argo CD's UI: overhelm's own message is one line.
                let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("overhelm:")).collect();
                assert_eq!(ours.len(), 1, "{name}: {err}");
            }
        }
        let left = e2e::entries(&sidecar.tmp());
        assert!(
            left.iter().all(|e| !e.starts_with("overhelm-")),
            "{name}: temporary files left: {left:?}"
        );
    }
    // Helm 3 and Helm 4 as `helm` give the same objects.
    let values = |out: &str| {
        objects(out)
            .into_iter()
            .map(|o| o.value)
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&outputs[0].1), values(&outputs[4].1));
}

#[test]
fn generate_stops_on_sigterm_and_kills_helm() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let sidecar = Sidecar::new(Some(&helm3));
    let app = sidecar.app(
        "demo",
        &e2e::demo_chart(),
        &[("overhelm.yaml", &demo_overlay())],
    );
    e2e::fifo(&app.join("slow.yaml"));
    chown(&app.join("slow.yaml"));
    let mut cmd = sidecar.generate(
        &app,
        &[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"array":["slow.yaml"],"name":"values-files"}]"#,
        )],
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    // setpriv execs overhelm, so the child's pid is overhelm's.
    let pid = child.id();
    let mut helm_pid = None;
    e2e::wait_until(10, || {
        helm_pid = e2e::children(pid).first().copied();
        helm_pid.is_some() || matches!(child.try_wait(), Ok(Some(_)))
    });
    let Some(helm_pid) = helm_pid else {
        let out = child.wait_with_output().unwrap();
        panic!("helm never started: {}", common::stderr(&out));
    };
    e2e::send_signal(pid, "TERM");
    let started = std::time::Instant::now();
    let out = child.wait_with_output().expect("wait");
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // Exit 143 with overhelm's own message: it handled the signal, it was not killed by it.
    assert_eq!(out.status.code(), Some(143), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("stopped by signal 15"));
    assert!(out.stdout.is_empty());
    assert!(
        e2e::wait_until(3, || e2e::process_gone(helm_pid)),
        "helm still runs"
    );
    let left = e2e::entries(&sidecar.tmp());
    assert!(left.iter().all(|e| !e.starts_with("overhelm-")), "{left:?}");
}

#[test]
fn backstage_with_the_minicloud_overlay_through_argocd() {
    let (Some(helm3), Some(helm4)) = (common::tool("helm3"), common::tool("helm4")) else {
        return;
    };
    let root = common::root();
    let overlay = std::fs::read_to_string(root.join("overlays/minicloud/backstage.yaml")).unwrap();
    let values = std::fs::read_to_string(root.join("examples/backstage/values.yaml")).unwrap();
    for helm in [&helm3, &helm4] {
        let sidecar = Sidecar::new(Some(helm));
        let app = sidecar.app(
            "backstage",
            &root.join("examples/charts/backstage"),
            &[
                ("overhelm.yaml", &overlay),
                ("values-minicloud.yaml", &values),
            ],
        );
        let (code, out, err) = e2e::run(sidecar.generate(
            &app,
            &[
                ("ARGOCD_APP_NAME", "backstage"),
                ("ARGOCD_APP_NAMESPACE", "backstage"),
                ("ARGOCD_APP_SOURCE_PATH", "backstage"),
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"array":["values-minicloud.yaml"],"name":"values-files"}]"#,
                ),
                ("PARAM_VALUES_FILES_0", "values-minicloud.yaml"),
            ],
        ));
        assert_eq!(code, 0, "{}: {err}", helm.display());
        e2e::assert_backstage_through_harbor(&out);
    }
}
