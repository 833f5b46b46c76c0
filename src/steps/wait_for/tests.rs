//! The step on whole streams: targets, placement, idempotence, and every error with its message.

use serde_json::Value;

use crate::overlay::Overlay;
use crate::render::render;
use crate::steps::Context;
use crate::stream::Stream;
use crate::yaml::Limits;

const BACKSTAGE: &str = include_str!("../../../examples/backstage/helm3-input.yaml");

const BACKSTAGE_ENTRY: &str = "- postgres:
    host: {fromEnv: POSTGRES_HOST}
    port: {fromEnv: POSTGRES_PORT}
    user: {fromEnv: POSTGRES_USER}
    password: {fromEnv: POSTGRES_PASSWORD}
    database: backstage_plugin_catalog
";

/// Renders `input` with a `waitFor` section: the output and the report lines.
fn run(input: &str, wait_for: &str) -> Result<(String, Vec<String>), String> {
    let text = format!("apiVersion: overhelm/v1\nkind: Overlay\nwaitFor:\n{wait_for}");
    let overlay = Overlay::parse(&text, "o.yaml").map_err(|e| e.to_string())?;
    let r = render(input, &overlay, &Context::default(), &Limits::default())
        .map_err(|e| e.to_string())?;
    Ok((
        r.output,
        r.reports.into_iter().flat_map(|r| r.lines).collect(),
    ))
}

/// The warnings of a render with a `waitFor` section.
fn warnings(input: &str, wait_for: &str) -> Vec<String> {
    let text = format!("apiVersion: overhelm/v1\nkind: Overlay\nwaitFor:\n{wait_for}");
    let overlay = Overlay::parse(&text, "o.yaml").expect("overlay");
    let r = render(input, &overlay, &Context::default(), &Limits::default()).expect("render");
    r.reports.into_iter().flat_map(|r| r.warnings).collect()
}

fn error(input: &str, wait_for: &str) -> String {
    run(input, wait_for).expect_err("an error")
}

/// The objects of a stream, parsed.
fn objects(output: &str) -> Vec<Value> {
    let limits = Limits::default();
    let stream = Stream::split(output, &limits);
    stream
        .docs()
        .iter()
        .filter_map(|d| d.value().expect("yaml").cloned())
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

fn init_names(pod_spec: &Value) -> Vec<String> {
    pod_spec["initContainers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn env_of(container: &Value) -> Vec<(String, Value)> {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut rest = e.clone();
            let name = rest.as_object_mut().unwrap().shift_remove("name").unwrap();
            (name.as_str().unwrap().to_string(), rest)
        })
        .collect()
}

#[test]
fn backstage_by_default_target_gets_the_last_definitions() {
    let (out, report) = run(BACKSTAGE, BACKSTAGE_ENTRY).unwrap();
    let objects = objects(&out);
    let spec = &find(&objects, "Deployment", "backstage")["spec"]["template"]["spec"];
    assert_eq!(init_names(spec), ["wait-for-postgres"]);
    let init = &spec["initContainers"][0];
    assert_eq!(
        init["image"],
        "docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10"
    );
    assert_eq!(init["command"][0], "/bin/sh");
    assert_eq!(init["command"][2], super::SCRIPT);
    assert_eq!(init["command"][3], "wait-for-postgres");
    let env = env_of(init);
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "WAIT_CHECK",
            "WAIT_TIMEOUT",
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGPASSWORD",
            "PGDATABASE"
        ]
    );
    assert_eq!(env[0].1, serde_json::json!({"value": "login"}));
    assert_eq!(env[1].1, serde_json::json!({"value": "600"}));
    // The second definition's key order (key before name) shows it is the last one.
    assert_eq!(
        serde_json::to_string(&env[5].1).unwrap(),
        r#"{"valueFrom":{"secretKeyRef":{"key":"password","name":"backstage-postgres-secret"}}}"#
    );
    let sc = &init["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["runAsUser"], 65534);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(init["resources"]["limits"]["memory"], "64Mi");
    // The PostgreSQL server itself has no POSTGRES_HOST and gets nothing.
    let server = &find(&objects, "StatefulSet", "backstage-postgresql")["spec"]["template"]["spec"];
    assert!(server.get("initContainers").is_none());
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(
        report[0],
        "Deployment/backstage/backstage: initContainers[wait-for-postgres] added first: login check, image docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10, timeout 600s; env from container backstage-backend: PGHOST=POSTGRES_HOST (value), PGPORT=POSTGRES_PORT (value), PGUSER=POSTGRES_USER (value), PGPASSWORD=POSTGRES_PASSWORD (secret backstage-postgres-secret key password), PGDATABASE=\"backstage_plugin_catalog\""
    );
}

#[test]
fn second_render_changes_nothing() {
    let (once, _) = run(BACKSTAGE, BACKSTAGE_ENTRY).unwrap();
    let (twice, report) = run(&once, BACKSTAGE_ENTRY).unwrap();
    assert_eq!(once, twice);
    assert_eq!(
        report,
        [
            "Deployment/backstage/backstage: initContainers[wait-for-postgres] is already there; left as it is"
        ]
    );
}

#[test]
fn untouched_documents_keep_their_bytes() {
    let (out, _) = run(BACKSTAGE, BACKSTAGE_ENTRY).unwrap();
    let statefulset = &BACKSTAGE[BACKSTAGE
        .find("# Source: backstage/charts/postgresql/templates/primary/statefulset.yaml")
        .unwrap()..];
    assert!(out.ends_with(statefulset));
}

const APP: &str = "---
# Source: app/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      initContainers:
        - {name: migrate, image: app:1}
      containers:
        - name: app
          image: app:1
          env:
            - {name: DB_HOST, value: db}
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
---
# Source: app/templates/db.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template:
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
          ports: [{containerPort: 5432}]
          env:
            - {name: DB_HOST, value: localhost}
";

#[test]
fn goes_first_before_the_charts_own_init_containers_and_skips_the_server() {
    let (out, report) = run(
        APP,
        "- postgres: {host: {fromEnv: DB_HOST}}\n- tcp: {host: {fromEnv: DB_HOST}, port: 80}\n",
    )
    .unwrap();
    let objects = objects(&out);
    let spec = &find(&objects, "Deployment", "app")["spec"]["template"]["spec"];
    assert_eq!(
        init_names(spec),
        ["wait-for-postgres", "wait-for-tcp", "migrate"]
    );
    assert_eq!(spec["initContainers"][0]["image"], "postgres:16.4");
    assert_eq!(env_of(&spec["initContainers"][0])[0].1["value"], "ready");
    assert!(
        find(&objects, "StatefulSet", "db")["spec"]["template"]["spec"]
            .get("initContainers")
            .is_none()
    );
    assert!(
        report.contains(
            &"StatefulSet/db: skipped: it runs PostgreSQL itself (postgres:16.4)".to_string()
        ),
        "{report:?}"
    );
}

#[test]
fn init_containers_list_is_created_before_containers_or_replaces_null() {
    let input = "kind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - {name: c, image: c, env: [{name: H, value: h}]}\n";
    let (out, _) = run(
        input,
        "- tcp: {host: {fromEnv: H}, port: 1}\n  image: busybox\n",
    )
    .unwrap();
    let spec = &objects(&out)[0]["spec"]["template"]["spec"];
    let keys: Vec<&String> = spec.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["restartPolicy", "initContainers", "containers"]);
    let null = input.replace(
        "      containers:",
        "      initContainers:\n      containers:",
    );
    let (out, _) = run(
        &null,
        "- tcp: {host: {fromEnv: H}, port: 1}\n  image: busybox\n",
    )
    .unwrap();
    assert_eq!(
        init_names(&objects(&out)[0]["spec"]["template"]["spec"]),
        ["wait-for-tcp"]
    );
}

#[test]
fn every_workload_kind_and_list_items() {
    let container = "{name: c, image: c, env: [{name: H, value: h}]}";
    let input = format!(
        "kind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{container}]}}\n---\nkind: CronJob\nmetadata: {{name: cj}}\nspec: {{jobTemplate: {{spec: {{template: {{spec: {{containers: [{container}]}}}}}}}}}}\n---\nkind: List\nitems:\n  - kind: DaemonSet\n    metadata: {{name: ds}}\n    spec: {{template: {{spec: {{containers: [{container}]}}}}}}\n"
    );
    let (out, report) = run(
        &input,
        "- tcp: {host: {fromEnv: H}, port: 1}\n  image: busybox\n",
    )
    .unwrap();
    let o = objects(&out);
    assert_eq!(init_names(&o[0]["spec"]), ["wait-for-tcp"]);
    assert_eq!(
        init_names(&o[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        ["wait-for-tcp"]
    );
    assert_eq!(
        init_names(&o[2]["items"][0]["spec"]["template"]["spec"]),
        ["wait-for-tcp"]
    );
    assert_eq!(report.len(), 3, "{report:?}");
}

#[test]
fn literal_password_is_written_escaped_and_warned_about() {
    let entry = "- workload: {kind: Deployment}\n  postgres: {host: db, user: app, password: 'pa$(x)$$y'}\n  image: postgres:16\n";
    let (out, report) = run(APP, entry).unwrap();
    let objects = objects(&out);
    let init =
        &find(&objects, "Deployment", "app")["spec"]["template"]["spec"]["initContainers"][0];
    let env = env_of(init);
    assert_eq!(
        env[5],
        (
            "PGPASSWORD".to_string(),
            serde_json::json!({"value": "pa$$(x)$$$y"})
        )
    );
    let warned = warnings(APP, entry);
    assert_eq!(
        warned,
        [
            "waitFor[0].postgres.password is a literal, so the password is written into the manifest of Deployment/app; use {fromEnv: VAR} with a secretKeyRef"
        ]
    );
    assert!(
        !report.iter().chain(&warned).any(|l| l.contains("pa$")),
        "never a password in the report"
    );
}

#[test]
fn password_from_a_plain_value_is_warned_about() {
    let input = APP.replace(
        "- name: DB_PASSWORD\n              valueFrom: {secretKeyRef: {name: db, key: password}}",
        "- {name: DB_PASSWORD, value: plain}",
    );
    let warned = warnings(
        &input,
        "- workload: {kind: Deployment}\n  postgres: {host: {fromEnv: DB_HOST}, user: u, password: {fromEnv: DB_PASSWORD}}\n",
    );
    assert_eq!(
        warned,
        [
            "waitFor[0]: Deployment/app: the password comes from the plain value of DB_PASSWORD, which is copied into the init container; a secretKeyRef would keep it out of the manifest"
        ]
    );
}

#[test]
fn explicit_container_is_used() {
    let input = "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: a, image: a, env: [{name: H, value: from-a}]}\n        - {name: b, image: b, env: [{name: H, value: from-b}]}\n";
    let (out, _) = run(
        input,
        "- container: b\n  tcp: {host: {fromEnv: H}, port: 1}\n  image: busybox\n",
    )
    .unwrap();
    let init = &objects(&out)[0]["spec"]["template"]["spec"]["initContainers"][0];
    assert_eq!(env_of(init)[2].1["value"], "from-b");
}

#[test]
fn every_error_names_where_and_what() {
    let at = "document 5 (Deployment/backstage/backstage, from backstage/templates/backstage-deployment.yaml)";
    let two = "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: a, image: a, env: [{name: X, value: x}]}\n        - {name: b, image: b, envFrom: [{configMapRef: {name: cm}}]}\n---\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {Y: y}\n";
    for (input, entries, message) in [
        (BACKSTAGE, "- workload: {kind: Deployment, name: nope}\n  postgres: {host: db}\n",
         "overlay waitFor[0].workload: {kind: Deployment, name: nope} matches no workload in the stream (workloads: Deployment/backstage/backstage, StatefulSet/backstage/backstage-postgresql); fix the selector".to_string()),
        ("kind: Service\nmetadata: {name: s}\n", "- workload: {kind: Service}\n  postgres: {host: db}\n",
         "overlay waitFor[0].workload: {kind: Service} matches no workload in the stream (workloads: none); fix the selector".to_string()),
        (BACKSTAGE, "- postgres: {host: {fromEnv: DB_HOST}}\n",
         "overlay waitFor[0]: no workload in the stream has DB_HOST in its containers' env (the default target); add `workload: {kind: ..., name: ...}` or fix the variable name".to_string()),
        (BACKSTAGE, "- postgres: {host: db}\n",
         "overlay waitFor[0].workload: is needed when no value comes from `fromEnv` (the default target is every workload whose env names the host variable); add `workload: {kind: ..., name: ...}`".to_string()),
        (BACKSTAGE, "- postgres: {host: {fromEnv: POSTGRES_HOST}, port: {fromEnv: DB_PORT}}\n",
         format!("{at}: waitFor[0].postgres.port: container backstage-backend has no env DB_PORT (its env: APP_CONFIG_backend_listen_port, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD)")),
        (BACKSTAGE, "- workload: {kind: Deployment}\n  postgres: {host: {fromEnv: DB_HOST}}\n",
         format!("{at}: waitFor[0].postgres.host: container backstage-backend has no env DB_HOST (its env: APP_CONFIG_backend_listen_port, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD)")),
        (two, "- workload: {name: d}\n  tcp: {host: {fromEnv: Z}, port: 1}\n  image: busybox\n",
         "document 1 (Deployment/d): waitFor[0].tcp.host: no container has env Z: a (its env: X); b (its env: none; envFrom: ConfigMap cm)".to_string()),
        (BACKSTAGE, "- workload: {kind: Deployment}\n  container: app\n  postgres: {host: {fromEnv: POSTGRES_HOST}}\n",
         format!("{at}: waitFor[0].container: Deployment/backstage/backstage has no container app (containers: backstage-backend)")),
        (APP, "- workload: {kind: Deployment}\n  tcp: {host: db, port: 1}\n  image: busybox\n  name: app\n",
         "document 1 (Deployment/app, from app/templates/deploy.yaml): waitFor[0].name: app is the name of an app container of Deployment/app; give the entry another `name:`".to_string()),
        (APP, "- workload: {kind: Deployment}\n  tcp: {host: db, port: 1}\n  image: busybox\n- workload: {kind: Deployment}\n  tcp: {host: db, port: 2}\n  image: busybox\n",
         "document 1 (Deployment/app, from app/templates/deploy.yaml): waitFor[1].name: an earlier waitFor entry already adds an init container wait-for-tcp to Deployment/app; give this entry another `name:`".to_string()),
        ("kind: Pod\nmetadata: {name: p}\nspec: {initContainers: {}, containers: [{name: c, env: [{name: H, value: h}]}]}\n", "- tcp: {host: {fromEnv: H}, port: 1}\n  image: busybox\n",
         "document 1 (Pod/p): waitFor[0]: initContainers is not a list".to_string()),
        (&BACKSTAGE.replace("bitnamilegacy/postgresql", "bitnamilegacy/redis"), BACKSTAGE_ENTRY,
         "overlay waitFor[0].image: `auto` takes the PostgreSQL image already in the release, and no container in the stream runs one (an image named postgres or postgresql); set `image:` to a PostgreSQL image, e.g. docker.io/library/postgres:16-alpine".to_string()),
        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: c, env: [{name: H, value: h}]}]}\n", "- tcp: {host: {fromEnv: H}, port: 1}\n",
         "overlay waitFor[0].image: `auto` takes the PostgreSQL image already in the release, and no container in the stream runs one (an image named postgres or postgresql); set `image:` to an image with nc or bash, e.g. docker.io/library/busybox:1.36".to_string()),
        (&format!("{APP}---\nkind: StatefulSet\nmetadata: {{name: db2}}\nspec: {{template: {{spec: {{containers: [{{name: pg, image: 'bitnami/postgresql:15', ports: [{{containerPort: 5432}}]}}]}}}}}}\n"), "- postgres: {host: {fromEnv: DB_HOST}}\n",
         "overlay waitFor[0].image: `auto` found several PostgreSQL images in the release (postgres:16.4, bitnami/postgresql:15); set `image:` to the one to use".to_string()),
    ] {
        assert_eq!(error(input, entries), message, "{entries}");
    }
}
