//! The values compiler end to end: the minicloud site description against the user's
//! hand-written values and the Backstage chart's own schema, every derived value, and every
//! error with its message.

mod common;

use overhelm::overlay::Overlay;
use overhelm::values::schema::Schema;
use overhelm::values::{Compiled, compile_overlay};
use serde_json::{Value, json};

const MINICLOUD: &str = "overlays/minicloud/backstage.yaml";

fn yaml(text: &str) -> Value {
    overhelm::yaml::from_str(text).expect("yaml")
}

fn minicloud() -> Compiled {
    let overlay = Overlay::load(&[common::root().join(MINICLOUD)]).expect("overlay");
    compile_overlay(&overlay).expect("compile")
}

/// Compiles a `values:` section given as YAML text (indented under `values:`).
fn compile(values: &str) -> Result<Compiled, String> {
    let text = format!("apiVersion: overhelm/v1\nkind: Overlay\nvalues:\n{values}");
    let overlay = Overlay::parse(&text, "test.yaml").map_err(|e| e.to_string())?;
    compile_overlay(&overlay).map_err(|e| e.to_string())
}

const BASE: &str = "  chart: backstage\n  url: https://backstage.example.com\n";

fn compile_with(extra: &str) -> Result<Compiled, String> {
    compile(&format!("{BASE}{extra}"))
}

fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |cur, k| &cur[k])
}

fn chart_schema() -> Schema {
    Schema::compile(
        &common::read("examples/backstage/values.schema.json"),
        "values.schema.json",
    )
    .expect("chart schema")
}

#[test]
fn minicloud_equals_the_hand_written_values_but_for_the_documented_corrections() {
    let compiled = minicloud().values;
    let mut hand = yaml(&common::read("examples/backstage/values.yaml"));
    // 1. The chart injects POSTGRES_HOST/PORT/USER/PASSWORD itself when postgresql.enabled is
    //    true; the hand-written extraEnvVars gave the container each of them twice.
    let env = hand["backstage"]
        .as_object_mut()
        .unwrap()
        .shift_remove("extraEnvVars")
        .unwrap();
    let names: Vec<&str> = env
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "POSTGRES_HOST",
            "POSTGRES_PORT",
            "POSTGRES_USER",
            "POSTGRES_PASSWORD"
        ]
    );
    // 2. github.com is read by Backstage's implicit github.com integration, which comes before
    //    the fetch reader: its reading.allow entry never took effect.
    let allow = hand["backstage"]["appConfig"]["backend"]["reading"]["allow"]
        .as_array_mut()
        .unwrap();
    assert_eq!(allow.remove(1), json!({"host": "github.com"}));
    // 3. CORS methods are Backstage's own defaults (HEAD and PATCH added).
    hand["backstage"]["appConfig"]["backend"]["cors"]["methods"] =
        json!(["GET", "HEAD", "PATCH", "POST", "PUT", "DELETE"]);
    assert_eq!(
        compiled,
        hand,
        "compiled:\n{}",
        overhelm::yaml::to_string(&compiled).unwrap()
    );
}

#[test]
fn the_chart_schema_accepts_the_compiled_values_and_refuses_broken_ones() {
    let schema = chart_schema();
    schema
        .validate(&minicloud().values)
        .expect("compiled values pass");
    schema
        .validate(&yaml(&common::read("examples/backstage/values.yaml")))
        .expect("the hand-written values pass too");
    let broken = compile_with(
        "  set:\n    backstage:\n      replicas: three\n      image: {tagg: x}\n      extraEnvVars: [{value: x}]\n",
    )
    .unwrap()
    .values;
    let err = schema.validate(&broken).unwrap_err().to_string();
    assert!(err.starts_with("overlay values: the compiled values do not pass the chart's schema values.schema.json (3 errors):"), "{err}");
    assert!(
        err.contains("\n  backstage.replicas: the value (a string) is not of type \"integer\""),
        "{err}"
    );
    assert!(
        err.contains(
            "\n  backstage.image: Additional properties are not allowed ('tagg' was unexpected)"
        ),
        "{err}"
    );
    assert!(
        err.contains("\n  backstage.extraEnvVars[0]: \"name\" is a required property"),
        "{err}"
    );
}

#[test]
fn url_gives_both_base_urls_and_the_cors_origin() {
    let v = compile_with("").unwrap().values;
    assert_eq!(
        at(&v, "backstage.appConfig.app.baseUrl"),
        "https://backstage.example.com"
    );
    assert_eq!(
        at(&v, "backstage.appConfig.backend.baseUrl"),
        "https://backstage.example.com"
    );
    assert_eq!(
        at(&v, "backstage.appConfig.backend.cors.origin"),
        "https://backstage.example.com"
    );
    // A base URL with a path and a port: the origin is scheme, host and port only.
    let v = compile("  chart: backstage\n  url: https://portal.example.com:8443/backstage\n")
        .unwrap()
        .values;
    assert_eq!(
        at(&v, "backstage.appConfig.app.baseUrl"),
        "https://portal.example.com:8443/backstage"
    );
    assert_eq!(
        at(&v, "backstage.appConfig.backend.cors.origin"),
        "https://portal.example.com:8443"
    );
    assert_eq!(at(&v, "ingress.enabled"), false);
}

#[test]
fn reading_allow_lists_each_location_host_no_integration_serves() {
    let v = compile_with(
        "  catalog:\n    locations:\n\
         \x20     - https://raw.githubusercontent.com/o/a/main/catalog-info.yaml\n\
         \x20     - https://raw.githubusercontent.com/o/b/main/catalog-info.yaml\n\
         \x20     - https://github.com/o/c/blob/main/catalog-info.yaml\n\
         \x20     - https://gitlab.com/g/d/-/blob/main/catalog-info.yaml\n\
         \x20     - https://files.example.com:8443/catalog/all.yaml\n\
         \x20     - https://docs.internal.example/catalog.yaml\n\
         \x20   reading: ['*.internal.example', {host: artifacts.example.com, paths: [/catalog/]}]\n",
    )
    .unwrap()
    .values;
    assert_eq!(
        at(&v, "backstage.appConfig.backend.reading.allow"),
        &json!([
            {"host": "raw.githubusercontent.com"},
            {"host": "files.example.com:8443"},
            {"host": "*.internal.example"},
            {"host": "artifacts.example.com", "paths": ["/catalog/"]},
        ])
    );
}

#[test]
fn an_integration_configured_in_set_serves_its_host() {
    let c = compile_with(
        "  catalog:\n    locations: [https://ghe.example.com/o/r/blob/main/catalog-info.yaml]\n    reading: [github.com]\n\
         \x20 set:\n    backstage:\n      appConfig:\n        integrations:\n          github: [{host: ghe.example.com}]\n",
    )
    .unwrap();
    assert_eq!(
        at(&c.values, "backstage.appConfig.backend.reading.allow"),
        &json!([{"host": "github.com"}])
    );
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("values.catalog.reading: URLs on github.com are read by Backstage's integration for that host"), "{}", c.warnings[0]);
}

#[test]
fn guest_in_the_production_image_is_allowed_with_a_warning() {
    let c = compile_with("  auth: {guest: true}\n").unwrap();
    assert_eq!(
        at(&c.values, "backstage.appConfig.auth.providers.guest"),
        &json!({"dangerouslyAllowOutsideDevelopment": true})
    );
    assert_eq!(c.warnings.len(), 1);
    let w = &c.warnings[0];
    assert!(
        w.starts_with("values.auth.guest: the Backstage image runs with NODE_ENV=production"),
        "{w}"
    );
    assert!(w.contains("Anyone who can reach https://backstage.example.com can now sign in as the guest user without a password"), "{w}");
    // In development mode Backstage allows guests by itself: no flag, no warning.
    let c = compile_with(
        "  auth: {guest: true}\n  set:\n    backstage:\n      extraEnvVars: [{name: NODE_ENV, value: development}]\n",
    )
    .unwrap();
    assert_eq!(
        at(&c.values, "backstage.appConfig.auth.providers.guest"),
        &json!({})
    );
    assert!(c.warnings.is_empty());
    // No guest: no provider at all.
    assert!(
        compile_with("").unwrap().values["backstage"]["appConfig"]
            .get("auth")
            .is_none()
    );
}

#[test]
fn bundled_database_leaves_the_env_to_the_chart() {
    let v = compile_with("  database:\n    bundled: {secret: s, user: u, name: d}\n")
        .unwrap()
        .values;
    assert!(v["backstage"].get("extraEnvVars").is_none());
    assert_eq!(at(&v, "postgresql.enabled"), true);
    assert_eq!(
        at(&v, "postgresql.auth"),
        &json!({"username": "u", "database": "d", "existingSecret": "s",
                "secretKeys": {"adminPasswordKey": "postgres-password", "userPasswordKey": "password"}})
    );
    assert_eq!(
        at(&v, "backstage.appConfig.backend.database.connection.host"),
        "${POSTGRES_HOST}"
    );
}

#[test]
fn external_database_gets_the_env_and_no_subchart() {
    let v = compile_with("  database:\n    external: {host: pg.example.com, user: u, secret: s}\n")
        .unwrap()
        .values;
    assert_eq!(at(&v, "postgresql.enabled"), false);
    assert_eq!(
        at(&v, "backstage.extraEnvVars"),
        &json!([
            {"name": "POSTGRES_HOST", "value": "pg.example.com"},
            {"name": "POSTGRES_PORT", "value": "5432"},
            {"name": "POSTGRES_USER", "value": "u"},
            {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}},
        ])
    );
}

#[test]
fn images_go_to_per_image_values_never_global() {
    let v = compile_with(
        "  image: ghcr.io/backstage/backstage:1.35.0\n  database:\n    bundled: {image: 'bitnamilegacy/postgresql:15.4.0-debian-11-r10'}\n",
    )
    .unwrap()
    .values;
    assert_eq!(
        at(&v, "backstage.image"),
        &json!({"registry": "ghcr.io", "repository": "backstage/backstage", "tag": "1.35.0"})
    );
    assert_eq!(
        at(&v, "postgresql.image"),
        &json!({"registry": "docker.io", "repository": "bitnamilegacy/postgresql", "tag": "15.4.0-debian-11-r10"})
    );
    assert!(v.get("global").is_none());
}

#[test]
fn set_is_merged_last_with_helms_rules() {
    let v = compile_with(
        "  title: t\n  set:\n    backstage:\n      appConfig:\n        app: {title: null, support: {url: x}}\n        backend:\n          cors:\n            methods: [GET]\n",
    )
    .unwrap()
    .values;
    // null is kept: it deletes the key from the chart's defaults when Helm reads the file.
    assert_eq!(
        at(&v, "backstage.appConfig.app"),
        &json!({"title": null, "baseUrl": "https://backstage.example.com", "support": {"url": "x"}})
    );
    assert_eq!(
        at(&v, "backstage.appConfig.backend.cors.methods"),
        &json!(["GET"])
    );
    assert_eq!(at(&v, "backstage.appConfig.backend.cors.credentials"), true);
}

#[test]
fn set_layers_across_overlay_files_like_helm_values_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.yaml");
    let b = dir.path().join("b.yaml");
    std::fs::write(&a, format!("apiVersion: overhelm/v1\nkind: Overlay\nvalues:\n{BASE}  set:\n    backstage: {{podLabels: {{a: '1', b: '2'}}, args: [x]}}\n")).unwrap();
    std::fs::write(&b, "apiVersion: overhelm/v1\nkind: Overlay\nvalues:\n  set:\n    backstage: {podLabels: {a: null, c: '3'}, args: []}\n").unwrap();
    let overlay = Overlay::load(&[a, b]).unwrap();
    let set = &overlay.values.as_ref().unwrap().set;
    assert_eq!(
        Value::Object(set.clone()),
        json!({"backstage": {"podLabels": {"a": null, "b": "2", "c": "3"}, "args": []}})
    );
}

/// Every error of the compiler, with its message.
#[test]
fn errors_say_what_and_where() {
    let cases: &[(&str, &str)] = &[
        (
            "  chart: wordpress\n",
            "overlay values.chart: no profile for chart \"wordpress\"; the profiles are: backstage",
        ),
        (
            "  chart: backstage\n",
            "overlay values.url: the backstage profile needs the app's public URL",
        ),
        (
            "  url: https://x.example\n",
            "overlay values.chart: no chart profile given; say which chart the values are for, e.g. `chart: backstage`",
        ),
        (
            "  chart: backstage\n  url: backstage.example.com\n",
            "overlay values.url: \"backstage.example.com\" is not a URL: it has no `https://`",
        ),
        (
            "  chart: backstage\n  url: https://backstage.example.com/\n",
            "overlay values.url: \"https://backstage.example.com/\" ends in `/`",
        ),
        (
            "  chart: backstage\n  url: https://bad_host.example\n",
            "overlay values.url: \"https://bad_host.example\": host \"bad_host.example\" is not a DNS name",
        ),
        (
            "  chart: backstage\n  urll: https://x.example\n",
            "unknown field `urll`",
        ),
        (
            "  chart: backstage\n  catalog: {alow: [Component]}\n",
            "unknown field `alow`",
        ),
        (
            "  chart: backstage\n  resources: {postgres: {}}\n",
            "unknown field `postgres`",
        ),
        (
            "  chart: backstage\n  database: {bundled: {secrets: x}}\n",
            "unknown field `secrets`",
        ),
    ];
    for (values, want) in cases {
        let err = compile(values).unwrap_err();
        assert!(err.contains(want), "{values}\n=> {err}");
    }
    let cases: &[(&str, &str)] = &[
        (
            "  catalog: {allow: [Component, Componnet]}\n",
            "overlay values.catalog.allow[1]: unknown entity kind \"Componnet\"; Backstage's kinds are Component, API, System, Domain, Resource, Group, User, Location, Template",
        ),
        (
            "  catalog: {locations: [https://a.example/x.yaml, 'ftp://a.example/y.yaml']}\n",
            "overlay values.catalog.locations[1]: \"ftp://a.example/y.yaml\": the scheme must be http or https",
        ),
        (
            "  catalog: {locations: [https://a.example/x.yaml, 'https://A.example:443/x.yaml']}\n",
            "overlay values.catalog.locations[1]: \"https://A.example:443/x.yaml\" is listed twice",
        ),
        (
            "  catalog: {reading: ['prod.*.example.com']}\n",
            "overlay values.catalog.reading[0]: \"prod.*.example.com\": a wildcard is only allowed as a leading `*.`",
        ),
        (
            "  image: ghcr.io/Backstage/backstage\n",
            "overlay values.image: invalid image reference \"ghcr.io/Backstage/backstage\"",
        ),
        (
            "  database: {bundled: {}, external: {host: h, user: u, secret: s}}\n",
            "overlay values.database: give either `bundled` (the chart's PostgreSQL) or `external`, not both",
        ),
        (
            "  database: {external: {host: 'h h', user: u, secret: s}}\n",
            "overlay values.database.external.host: host \"h h\" is not a DNS name",
        ),
        (
            "  resources: {postgresql: {requests: {cpu: 1}}}\n",
            "overlay values.resources.postgresql: there is no bundled PostgreSQL to size",
        ),
        (
            "  resources: {backstage: {limits: {memory: 1GB}}}\n",
            "overlay values.resources.backstage.limits.memory: \"1GB\" is not a Kubernetes quantity",
        ),
        (
            "  database: {bundled: {storage: {size: lots}}}\n",
            "overlay values.database.bundled.storage.size: \"lots\" is not a Kubernetes quantity",
        ),
    ];
    for (extra, want) in cases {
        let err = compile_with(extra).unwrap_err();
        assert!(err.starts_with(want), "{extra}\n=> {err}");
    }
}

/// `set:` cannot bring a gotcha back: the guards check the final values.
#[test]
fn guards_refuse_set_values_that_reintroduce_a_gotcha() {
    let cases: &[(&str, &str)] = &[
        (
            "  database: {bundled: {secret: s}}\n  set:\n    backstage:\n      extraEnvVars: [{name: POSTGRES_HOST, value: h}]\n",
            "overlay values.set: backstage.extraEnvVars[0]: POSTGRES_HOST is injected by the chart already, because postgresql.enabled is true; the container would get it twice",
        ),
        (
            "  set:\n    backstage:\n      extraEnvVars: [{name: APP_CONFIG_backend_listen_port, value: '80'}]\n",
            "overlay values.set: backstage.extraEnvVars[0]: APP_CONFIG_backend_listen_port is set by the chart",
        ),
        (
            "  set:\n    backstage:\n      extraEnvVars: [{name: A, value: '1'}, {name: A, value: '2'}]\n",
            "overlay values.set: backstage.extraEnvVars[1]: A is given twice in backstage.extraEnvVars",
        ),
        (
            "  set:\n    global: {imageRegistry: harbor.example/ghcr-proxy}\n",
            "overlay values.set: global.imageRegistry: \"harbor.example/ghcr-proxy\" would replace the registry of every image of the release, the PostgreSQL subchart's included",
        ),
        (
            "  catalog: {locations: [https://raw.githubusercontent.com/o/r/main/c.yaml]}\n  set:\n    backstage:\n      appConfig:\n        backend:\n          reading:\n            allow: [{host: github.com}]\n",
            "overlay values.set: backstage.appConfig.catalog.locations[0]: Backstage could not read https://raw.githubusercontent.com/o/r/main/c.yaml: no integration serves raw.githubusercontent.com and no backend.reading.allow entry matches it",
        ),
        (
            "  auth: {guest: true}\n  set:\n    backstage:\n      appConfig:\n        auth:\n          providers:\n            guest: {dangerouslyAllowOutsideDevelopment: null}\n",
            "overlay values.set: backstage.appConfig.auth.providers.guest: the Backstage image runs with NODE_ENV=production, where guest sign-in is refused",
        ),
        (
            "  set:\n    backstage:\n      appConfig:\n        backend:\n          reading:\n            allow: [{host: 'h:x'}]\n",
            "overlay values.set: backstage.appConfig.backend.reading.allow[0]: \"h:x\": the port must be a number or a range",
        ),
    ];
    for (extra, want) in cases {
        let err = compile_with(extra).unwrap_err();
        assert!(err.starts_with(want), "{extra}\n=> {err}");
    }
}

#[test]
fn cli_prints_values_and_warns_on_stderr() {
    let out = common::overhelm(&["values", "--overlay", MINICLOUD], "");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(
        common::stdout(&out),
        common::read("golden/values-backstage-minicloud/expected.yaml")
    );
    let err = common::stderr(&out);
    assert!(
        err.starts_with("overhelm: warning: values.auth.guest: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn cli_schema_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("values.yaml");
    let out = common::overhelm(
        &[
            "values",
            "-f",
            MINICLOUD,
            "--schema",
            "examples/backstage/values.schema.json",
            "-o",
            out_file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        common::read("golden/values-backstage-minicloud/expected.yaml")
    );
    // A failing schema: exit 2, nothing written.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: overhelm/v1\nkind: Overlay\nvalues:\n  set:\n    backstage: {replicas: many}\n").unwrap();
    let out = common::overhelm(
        &[
            "values",
            "-f",
            MINICLOUD,
            "-f",
            bad.to_str().unwrap(),
            "--schema",
            "examples/backstage/values.schema.json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        common::stderr(&out)
            .contains("backstage.replicas: the value (a string) is not of type \"integer\""),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn cli_without_overlay_is_an_error() {
    let out = common::overhelm(&["values"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no overlay: give --overlay FILE"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_url_host_without_a_tls_entry_is_warned_about() {
    let text = |host: &str| {
        format!(
            "apiVersion: overhelm/v1\nkind: Overlay\ntls:\n  - host: {host}\n    issuer: {{kind: ClusterIssuer, name: ca}}\nvalues:\n{BASE}"
        )
    };
    let overlay = Overlay::parse(&text("portal.example.com"), "t.yaml").expect("overlay");
    let c = compile_overlay(&overlay).expect("compile");
    assert_eq!(
        c.warnings,
        [
            "values.url: host backstage.example.com has no `tls` entry (tls hosts: portal.example.com); browsers will reach Backstage at a host overhelm makes no certificate for"
        ]
    );
    let overlay = Overlay::parse(&text("Backstage.example.com"), "t.yaml").expect("overlay");
    assert!(
        compile_overlay(&overlay)
            .expect("compile")
            .warnings
            .is_empty()
    );
}
