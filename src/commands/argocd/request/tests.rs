//! Table tests of the request: the environments the CMP server sets, and the ones it must refuse.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ok(pairs: &[(&str, &str)]) -> Request {
    Request::from_env(&env(pairs)).unwrap_or_else(|e| panic!("{pairs:?}: {e:#}"))
}

fn err(pairs: &[(&str, &str)]) -> String {
    match Request::from_env(&env(pairs)) {
        Ok(r) => panic!("{pairs:?} was accepted: {r:?}"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn release_drops_the_app_namespace_prefix() {
    assert_eq!(ok(&[("ARGOCD_APP_NAME", "backstage")]).release, "backstage");
    assert_eq!(
        ok(&[("ARGOCD_APP_NAME", "team-a_backstage")]).release,
        "backstage"
    );
    let r = ok(&[
        ("ARGOCD_APP_NAME", "team-a_backstage"),
        ("ARGOCD_ENV_RELEASE_NAME", "bs"),
    ]);
    assert_eq!(r.release, "bs");
}

#[test]
fn the_full_cmp_environment() {
    let r = ok(&[
        ("ARGOCD_APP_NAME", "backstage"),
        ("ARGOCD_APP_NAMESPACE", "backstage"),
        ("ARGOCD_APP_PROJECT_NAME", "default"),
        ("ARGOCD_APP_REVISION", "0123456789abcdef"),
        ("ARGOCD_APP_SOURCE_PATH", "apps/backstage"),
        ("KUBE_VERSION", "1.30.0"),
        (
            "KUBE_API_VERSIONS",
            "v1,apps/v1,networking.k8s.io/v1,apps/v1/Deployment",
        ),
        (
            "ARGOCD_APP_PARAMETERS",
            r#"[{"array":["values.yaml","prod/values.yaml"],"name":"values-files"},{"map":{"image.tag":"v1,2","a\\.b":"x\\y"},"name":"helm-parameters"}]"#,
        ),
        ("PARAM_VALUES_FILES_0", "values.yaml"),
        ("PARAM_VALUES_FILES_1", "prod/values.yaml"),
        ("PARAM_HELM_PARAMETERS_IMAGE_TAG", "v1,2"),
    ]);
    assert_eq!(r.namespace.as_deref(), Some("backstage"));
    assert_eq!(r.kube_version.as_deref(), Some("1.30.0"));
    assert_eq!(r.api_versions.len(), 4);
    assert_eq!(r.overlays, ["overhelm.yaml"]);
    assert_eq!(r.values_files, ["values.yaml", "prod/values.yaml"]);
    assert_eq!(
        r.set,
        [
            ("image.tag".to_string(), "v1,2".to_string()),
            ("a\\.b".to_string(), "x\\y".to_string())
        ]
    );
}

#[test]
fn no_parameters_in_three_spellings() {
    for params in [None, Some("null"), Some("[]")] {
        let mut pairs = vec![("ARGOCD_APP_NAME", "app")];
        if let Some(p) = params {
            pairs.push(("ARGOCD_APP_PARAMETERS", p));
        }
        let r = ok(&pairs);
        assert!(r.values_files.is_empty() && r.set.is_empty(), "{params:?}");
    }
}

#[test]
fn param_vars_are_read_when_the_json_is_absent() {
    let r = ok(&[
        ("ARGOCD_APP_NAME", "app"),
        ("PARAM_VALUES_FILES_0", "a.yaml"),
        ("PARAM_VALUES_FILES_1", "b.yaml"),
    ]);
    assert_eq!(r.values_files, ["a.yaml", "b.yaml"]);
    assert!(
        err(&[("ARGOCD_APP_NAME", "app"), ("PARAM_HELM_PARAMETERS_X", "1")])
            .contains("map keys cannot be recovered")
    );
    assert!(
        err(&[
            ("ARGOCD_APP_NAME", "app"),
            ("PARAM_VALUES_FILES_1", "b.yaml")
        ])
        .contains("unknown parameter")
    );
}

#[test]
fn overlay_from_env_is_a_list() {
    let r = ok(&[
        ("ARGOCD_APP_NAME", "app"),
        ("ARGOCD_ENV_OVERHELM_OVERLAY", "base.yaml:prod.yaml"),
    ]);
    assert_eq!(r.overlays, ["base.yaml", "prod.yaml"]);
    // Argo CD drops empty env values in places; empty means the default here.
    let r = ok(&[
        ("ARGOCD_APP_NAME", "app"),
        ("ARGOCD_ENV_OVERHELM_OVERLAY", ""),
    ]);
    assert_eq!(r.overlays, ["overhelm.yaml"]);
}

#[test]
fn refusals() {
    let app = ("ARGOCD_APP_NAME", "app");
    let table: &[(&[(&str, &str)], &str)] = &[
        (&[], "ARGOCD_APP_NAME is not set"),
        (&[("ARGOCD_APP_NAME", "--debug")], "not valid for Helm"),
        (&[("ARGOCD_APP_NAME", "App")], "not valid for Helm"),
        (
            &[app, ("ARGOCD_ENV_RELEASE_NAME", "-x")],
            "not valid for Helm",
        ),
        (
            &[app, ("ARGOCD_APP_NAMESPACE", "--kubeconfig=/x")],
            "not a Kubernetes namespace",
        ),
        (
            &[app, ("KUBE_VERSION", "--set=a=b")],
            "not a Kubernetes version",
        ),
        (
            &[app, ("KUBE_API_VERSIONS", "v1,--set=a")],
            "not a group/version",
        ),
        (
            &[app, ("ARGOCD_ENV_HELM_ARGS", "--set a=b")],
            "not one overhelm reads",
        ),
        (
            &[app, ("ARGOCD_ENV_OVERHELM_OVERLAY", "/etc/passwd")],
            "relative to the app",
        ),
        (
            &[app, ("ARGOCD_ENV_OVERHELM_OVERLAY", "-f")],
            "relative to the app",
        ),
        (&[app, ("ARGOCD_APP_PARAMETERS", "{")], "not JSON"),
        (&[app, ("ARGOCD_APP_PARAMETERS", "{}")], "JSON array"),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"values-files","string":"a.yaml"}]"#,
                ),
            ],
            "must be an array",
        ),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"values-files","array":["--set=x"]}]"#,
                ),
            ],
            "relative to the app",
        ),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"values-files","array":["https://x/v.yaml"]}]"#,
                ),
            ],
            "relative to the app",
        ),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"helm-parameters","map":{"a,b":"1"}}]"#,
                ),
            ],
            "not a Helm value path",
        ),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"helm-parameters","map":{"-a":"1"}}]"#,
                ),
            ],
            "not a Helm value path",
        ),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"helm-parameters","array":["a=1"]}]"#,
                ),
            ],
            "must be a map",
        ),
        (
            &[
                app,
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"set","string":"a=1"}]"#,
                ),
            ],
            "unknown parameter `set`",
        ),
    ];
    for (pairs, want) in table {
        let got = err(pairs);
        assert!(got.contains(want), "{pairs:?}: {got}");
    }
}

#[test]
fn shell_syntax_is_refused_wherever_a_name_is_read() {
    let app = ("ARGOCD_APP_NAME", "app");
    for hostile in [
        "a;b", "$(id)", "`id`", "a\nb", "a b", "a|b", "a&", "'a'", "*",
    ] {
        for (var, want) in [
            ("ARGOCD_APP_NAME", "not valid for Helm"),
            ("ARGOCD_ENV_RELEASE_NAME", "not valid for Helm"),
            ("ARGOCD_APP_NAMESPACE", "not a Kubernetes namespace"),
            ("KUBE_VERSION", "not a Kubernetes version"),
            ("KUBE_API_VERSIONS", "not a group/version"),
        ] {
            let got = err(&[app, (var, hostile)]);
            assert!(got.contains(want), "{var}={hostile:?}: {got}");
        }
        let key = format!(
            r#"[{{"name":"helm-parameters","map":{{"{}":"1"}}}}]"#,
            hostile.replace('\n', "\\n")
        );
        let got = err(&[app, ("ARGOCD_APP_PARAMETERS", &key)]);
        assert!(
            got.contains("not a Helm value path"),
            "key {hostile:?}: {got}"
        );
    }
    // Plugin env that would name helm or pass it flags.
    for name in [
        "ARGOCD_ENV_OVERHELM_HELM",
        "ARGOCD_ENV_HELM_ARGS",
        "ARGOCD_ENV_HELM_DEBUG",
    ] {
        let got = err(&[app, (name, "/bin/sh -c id")]);
        assert!(got.contains("not one overhelm reads"), "{name}: {got}");
    }
}

#[test]
fn set_args_set_exactly_one_key() {
    assert_eq!(set_arg("image.tag", "v1"), "--set=image.tag=v1");
    assert_eq!(set_arg("a", "x,b=2"), "--set=a=x\\,b=2");
    assert_eq!(set_arg("a", "c:\\d"), "--set=a=c:\\\\d");
    assert_eq!(set_arg("w", "-5"), "--set=w=-5");
}
