//! The step on real Backstage input and on small streams made for one rule each.

use serde_json::{Value, json};

use crate::overlay::Overlay;
use crate::render::{Rendered, render};
use crate::steps::Context;
use crate::stream::Stream;
use crate::yaml::Limits;

const HELM3: &str = include_str!("../../../examples/backstage/helm3-input.yaml");
const HELM4: &str = include_str!("../../../examples/backstage/helm4-input.yaml");
const SEED: &str = "  - host: backstage.10.0.0.200.nip.io\n    service: backstage\n    port: 7007\n    issuer: {kind: ClusterIssuer, name: minicloud-ca}\n    ingressClassName: nginx\n    redirect: true\n    certificate: {duration: 2160h, renewBefore: 720h, privateKey: {algorithm: ECDSA, size: 256}}\n";
const ISSUER: &str = "issuer: {kind: ClusterIssuer, name: ca}";

fn run(input: &str, tls: &str, namespace: Option<&str>) -> Result<Rendered, String> {
    let overlay = Overlay::parse(
        &format!("apiVersion: overhelm/v1\nkind: Overlay\ntls:\n{tls}"),
        "o.yaml",
    )
    .map_err(|e| e.to_string())?;
    let ctx = Context {
        release: None,
        namespace: namespace.map(Into::into),
    };
    render(input, &overlay, &ctx, &Limits::default()).map_err(|e| e.to_string())
}

fn err(input: &str, tls: &str) -> String {
    run(input, tls, None).map(|r| r.output).unwrap_err()
}

/// The parsed documents of a stream, with their origin.
fn docs(output: &str) -> Vec<(Option<String>, Value)> {
    let limits = Limits::default();
    let stream = Stream::split(output, &limits);
    stream
        .docs()
        .iter()
        .filter_map(|d| Some((d.origin(), d.value().unwrap()?.clone())))
        .collect()
}

fn service(name: &str, ports: &str, extra: &str) -> String {
    format!(
        "---\n# Source: c/templates/{name}.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{extra}spec:\n  ports: {ports}\n"
    )
}

#[test]
fn backstage_seed_adds_an_ingress_and_a_certificate_after_the_service() {
    let out = run(HELM3, SEED, Some("backstage")).unwrap();
    let docs = docs(&out.output);
    let kinds: Vec<&str> = docs
        .iter()
        .map(|(_, v)| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "Service",
            "Service",
            "Service",
            "Ingress",
            "Certificate",
            "Deployment",
            "StatefulSet"
        ]
    );
    let labels = json!({"app.kubernetes.io/name": "backstage", "helm.sh/chart": "backstage-2.7.0", "app.kubernetes.io/instance": "backstage", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/component": "backstage"});
    assert_eq!(docs[4].0.as_deref(), Some("overhelm/tls/backstage.yaml"));
    assert_eq!(
        docs[4].1,
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "backstage", "namespace": "backstage", "labels": labels,
                         "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}},
            "spec": {"ingressClassName": "nginx",
                     "tls": [{"hosts": ["backstage.10.0.0.200.nip.io"], "secretName": "backstage-tls"}],
                     "rules": [{"host": "backstage.10.0.0.200.nip.io", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                "backend": {"service": {"name": "backstage", "port": {"number": 7007}}}}]}}]}
        })
    );
    assert_eq!(docs[5].0.as_deref(), Some("overhelm/tls/backstage.yaml"));
    assert_eq!(
        docs[5].1,
        json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "backstage", "namespace": "backstage", "labels": labels},
            "spec": {"secretName": "backstage-tls", "dnsNames": ["backstage.10.0.0.200.nip.io"],
                     "issuerRef": {"name": "minicloud-ca", "kind": "ClusterIssuer"},
                     "duration": "2160h", "renewBefore": "720h", "privateKey": {"algorithm": "ECDSA", "size": 256}}
        })
    );
    assert_eq!(
        out.reports[0].lines,
        [
            "tls[0]: added Ingress/backstage/backstage: backstage.10.0.0.200.nip.io -> Service backstage port 7007 (http-backend), TLS secret backstage-tls",
            "tls[0]: added Certificate/backstage/backstage: dnsNames backstage.10.0.0.200.nip.io, ClusterIssuer minicloud-ca, secret backstage-tls",
        ]
    );
}

#[test]
fn nothing_else_changes() {
    for input in [HELM3, HELM4] {
        let out = run(input, SEED, None).unwrap().output;
        let limits = Limits::default();
        let before = Stream::split(input, &limits);
        let after = Stream::split(&out, &limits);
        let kept: Vec<&str> = after
            .docs()
            .iter()
            .map(|d| d.raw())
            .filter(|r| !r.contains("overhelm/tls/"))
            .collect();
        let original: Vec<&str> = before.docs().iter().map(|d| d.raw()).collect();
        assert_eq!(kept, original);
        assert_eq!(after.docs().len(), before.docs().len() + 2);
    }
}

#[test]
fn a_second_render_gives_the_same_bytes() {
    for input in [HELM3, HELM4] {
        let once = run(input, SEED, Some("backstage")).unwrap().output;
        let twice = run(&once, SEED, Some("backstage")).unwrap();
        assert_eq!(twice.output, once);
        assert!(
            twice.reports[0]
                .lines
                .iter()
                .all(|l| l.starts_with("tls[0]: kept ")),
            "{:?}",
            twice.reports
        );
    }
}

#[test]
fn a_changed_overlay_updates_its_own_documents_in_place() {
    let once = run(HELM4, SEED, None).unwrap().output;
    let changed = SEED.replace("720h", "360h");
    let out = run(&once, &changed, None).unwrap();
    assert_eq!(out.output, run(HELM4, &changed, None).unwrap().output);
    assert!(out.reports[0].lines[1].starts_with("tls[0]: updated Certificate/backstage/backstage"));
}

#[test]
fn helm4_documents_carry_the_filename_annotation() {
    let out = run(HELM4, SEED, None).unwrap().output;
    let docs = docs(&out);
    let injected: Vec<&Value> = docs
        .iter()
        .filter(|(o, _)| o.as_deref() == Some("overhelm/tls/backstage.yaml"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(injected.len(), 2);
    for v in injected {
        assert_eq!(
            v["metadata"]["annotations"]["postrenderer.helm.sh/postrender-filename"],
            "overhelm/tls/backstage.yaml"
        );
    }
    assert!(!out.contains("# Source: overhelm"));
}

#[test]
fn defaults_find_the_service_and_its_only_port() {
    let tls = format!("  - host: backstage.10.0.0.200.nip.io\n    {ISSUER}\n");
    let out = run(HELM3, &tls, None).unwrap();
    assert!(
        out.reports[0].lines[0].contains("-> Service backstage port 7007 (http-backend)"),
        "{:?}",
        out.reports
    );
}

#[test]
fn port_by_name_is_resolved_to_the_number() {
    let tls = format!("  - host: backstage.example.com\n    port: http-backend\n    {ISSUER}\n");
    let docs = docs(&run(HELM3, &tls, None).unwrap().output);
    let ingress = &docs.iter().find(|(_, v)| v["kind"] == "Ingress").unwrap().1;
    assert_eq!(
        ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"],
        json!({"number": 7007})
    );
}

#[test]
fn several_hosts_entries_wildcards_and_paths() {
    let input =
        service("web", "[{name: http, port: 80}]", "") + &service("api", "[{port: 8080}]", "");
    let tls = format!(
        "  - hosts: [web.example.com, '*.web.example.com']\n    service: web\n    {ISSUER}\n  - host: api.example.com\n    service: api\n    path: /v1\n    pathType: Exact\n    controller: nginx-inc\n    redirect: true\n    {ISSUER}\n"
    );
    let docs = docs(&run(&input, &tls, Some("apps")).unwrap().output);
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .map(|(_, v)| {
            (
                v["kind"].as_str().unwrap(),
                v["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Service", "web"),
            ("Ingress", "web"),
            ("Certificate", "web"),
            ("Service", "api"),
            ("Ingress", "api"),
            ("Certificate", "api")
        ]
    );
    let web = &docs[1].1;
    assert_eq!(
        web["spec"]["tls"],
        json!([{"hosts": ["web.example.com", "*.web.example.com"], "secretName": "web-tls"}])
    );
    assert_eq!(web["spec"]["rules"].as_array().unwrap().len(), 2);
    assert_eq!(web["metadata"]["namespace"], "apps");
    assert_eq!(
        docs[2].1["spec"]["dnsNames"],
        json!(["web.example.com", "*.web.example.com"])
    );
    let api = &docs[4].1;
    assert_eq!(api["spec"]["rules"][0]["http"]["paths"][0]["path"], "/v1");
    assert_eq!(
        api["spec"]["rules"][0]["http"]["paths"][0]["pathType"],
        "Exact"
    );
    assert_eq!(
        api["metadata"]["annotations"],
        json!({"nginx.org/redirect-to-https": "true", "ingress.kubernetes.io/ssl-redirect": "true"})
    );
}

#[test]
fn no_namespace_anywhere_writes_none() {
    let input = service("web", "[{port: 80}]", "");
    let docs = docs(
        &run(
            &input,
            &format!("  - host: web.example.com\n    {ISSUER}\n"),
            None,
        )
        .unwrap()
        .output,
    );
    assert!(docs[1].1["metadata"].get("namespace").is_none());
    assert!(docs[2].1["metadata"].get("namespace").is_none());
}

#[test]
fn backend_errors_list_what_there_is() {
    let with = |extra: &str| format!("  - host: backstage.example.com\n{extra}    {ISSUER}\n");
    for (tls, want) in [
        (
            with("    service: backstage-web\n"),
            "overlay tls[0].service: no Service backstage-web in the stream; the Services are: backstage-postgresql-hl headless [5432 (tcp-postgresql)], backstage-postgresql database [5432 (tcp-postgresql)], backstage [7007 (http-backend)]",
        ),
        (
            with("    port: 80\n"),
            "overlay tls[0].port: Service backstage has no port 80; its ports: 7007 (http-backend)",
        ),
        (
            with("    port: http\n"),
            "overlay tls[0].port: Service backstage has no port named http; its ports: 7007 (http-backend)",
        ),
    ] {
        assert_eq!(err(HELM3, &tls), want);
    }
    let two = service("web", "[{port: 80}]", "") + &service("api", "[{port: 81}, {port: 82}]", "");
    assert_eq!(
        err(&two, &with("")),
        "overlay tls[0]: 2 Services could be the backend: web [80], api [81, 82]; set `service:` to one of them"
    );
    assert_eq!(
        err(&two, &with("    service: api\n")),
        "overlay tls[0]: Service api does not have exactly one port (its ports: 81, 82); set `port:`"
    );
    let none = service("db", "[{port: 5432}]", "")
        + &service("hl", "[{port: 80}]", "  namespace: x\n")
            .replace("spec:\n", "spec:\n  clusterIP: None\n");
    assert_eq!(
        err(&none, &with("")),
        "overlay tls[0]: no Service of the release exposes a port other than headless and database Services (db database [5432], hl headless [80]); set `service:`"
    );
    let dup = service("web", "[{port: 80}]", "  namespace: a\n")
        + &service("web", "[{port: 80}]", "  namespace: b\n");
    assert_eq!(
        err(&dup, &with("    service: web\n")),
        "overlay tls[0].service: several Services are named web: Service/a/web, Service/b/web; render one namespace at a time"
    );
}

#[test]
fn hook_services_are_not_backends() {
    let input = service("web", "[{port: 80}]", "")
        + &service(
            "hook",
            "[{port: 81}]",
            "  annotations: {helm.sh/hook: pre-install}\n",
        );
    let out = run(
        &input,
        &format!("  - host: web.example.com\n    {ISSUER}\n"),
        None,
    )
    .unwrap();
    assert!(out.reports[0].lines[0].contains("Service web port 80"));
}

fn chart_ingress(host: &str, extra_meta: &str, extra_spec: &str) -> String {
    format!(
        "---\n# Source: c/templates/ingress.yaml\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n{extra_meta}spec:\n{extra_spec}  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: web\n                port:\n                  number: 80\n"
    )
}

#[test]
fn an_ingress_of_the_chart_for_the_host_is_refused_unless_adopted() {
    let input =
        service("web", "[{name: http, port: 80}]", "") + &chart_ingress("web.example.com", "", "");
    let tls = format!("  - host: web.example.com\n    {ISSUER}\n");
    assert_eq!(
        err(&input, &tls),
        "document 2 (Ingress/web, from c/templates/ingress.yaml): tls[0]: this Ingress of the chart already serves web.example.com; set `adopt: true` in tls[0] to add TLS to it, or turn the chart's Ingress off (e.g. ingress.enabled: false)"
    );
    let adopt =
        format!("  - host: web.example.com\n    adopt: true\n    redirect: true\n    {ISSUER}\n");
    let out = run(&input, &adopt, Some("apps")).unwrap();
    let docs = docs(&out.output);
    assert_eq!(docs.len(), 3);
    assert_eq!(
        docs[1].1["spec"]["tls"],
        json!([{"hosts": ["web.example.com"], "secretName": "web-tls"}])
    );
    assert_eq!(
        docs[1].1["metadata"]["annotations"],
        json!({"nginx.ingress.kubernetes.io/ssl-redirect": "true"})
    );
    assert_eq!(docs[2].1["kind"], "Certificate");
    assert_eq!(docs[2].1["metadata"]["namespace"], "apps");
    assert_eq!(
        out.reports[0].lines[0],
        "tls[0]: adopted Ingress/web for web.example.com with secret web-tls"
    );
    let again = run(&out.output, &adopt, Some("apps")).unwrap();
    assert_eq!(again.output, out.output);
    assert_eq!(
        again.reports[0].lines[0],
        "tls[0]: kept adopted Ingress/web for web.example.com with secret web-tls"
    );
}

#[test]
fn adopt_works_inside_a_list() {
    let input = "---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: web}\n    spec: {ports: [{port: 80}]}\n  - apiVersion: networking.k8s.io/v1\n    kind: Ingress\n    metadata: {name: web}\n    spec: {rules: [{host: web.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]}\n";
    let out = run(
        input,
        &format!("  - host: web.example.com\n    adopt: true\n    {ISSUER}\n"),
        None,
    )
    .unwrap();
    let docs = docs(&out.output);
    assert_eq!(
        docs[0].1["items"][1]["spec"]["tls"][0]["secretName"],
        "web-tls"
    );
    assert_eq!(docs[1].1["kind"], "Certificate");
}

#[test]
fn adopt_errors() {
    let adopt = format!("  - host: web.example.com\n    adopt: true\n    {ISSUER}\n");
    let svc = service("web", "[{port: 80}]", "");
    assert_eq!(
        err(&svc, &adopt),
        "overlay tls[0].adopt: no Ingress in the stream serves web.example.com; enable the chart's Ingress, or remove `adopt: true` to have overhelm write one"
    );
    let two = svc.clone()
        + &chart_ingress("web.example.com", "", "")
        + &chart_ingress("web.example.com", "", "").replace("name: web\nspec", "name: web2\nspec");
    assert_eq!(
        err(&two, &adopt),
        "overlay tls[0].adopt: 2 Ingresses serve web.example.com: Ingress/web, Ingress/web2; adopt needs exactly one"
    );
    let at = "document 2 (Ingress/web, from c/templates/ingress.yaml): tls[0].adopt: ";
    for (ingress, want) in [
        (
            chart_ingress(
                "web.example.com",
                "  annotations: {cert-manager.io/cluster-issuer: ca}\n",
                "",
            ),
            "cannot adopt this Ingress: it has the cert-manager annotation cert-manager.io/cluster-issuer, so cert-manager already writes a Certificate for it; remove that annotation (chart values) or drop this entry",
        ),
        (
            chart_ingress(
                "web.example.com",
                "",
                "  tls: [{hosts: [web.example.com], secretName: chart-tls}]\n",
            ),
            "cannot adopt this Ingress: it already has TLS for web.example.com with secret chart-tls; set secretName: chart-tls or turn off the chart's TLS",
        ),
        (
            chart_ingress("web.example.com", "", "")
                .replace("networking.k8s.io/v1", "networking.k8s.io/v1beta1"),
            "cannot adopt this Ingress: it is networking.k8s.io/v1beta1; adopt needs a networking.k8s.io/v1 Ingress",
        ),
        (
            chart_ingress("web.example.com", "", "").replace("number: 80", "number: 8080"),
            "the Ingress for web.example.com points at a port of Service web it does not have ({\"number\":8080}); its ports: 80; fix the chart values before adopting it",
        ),
        (
            chart_ingress("web.example.com", "", "").replace(
                "name: web\n                port",
                "name: gone\n                port",
            ),
            "the Ingress for web.example.com points at Service gone, which is not in the stream; fix the chart values before adopting it",
        ),
    ] {
        assert_eq!(
            err(&(svc.clone() + &ingress), &adopt),
            format!("{at}{want}")
        );
    }
}

#[test]
fn names_taken_in_the_stream_are_refused() {
    let tls = format!("  - host: web.example.com\n    {ISSUER}\n");
    let svc = service("web", "[{port: 80}]", "");
    let other_ingress = chart_ingress("other.example.com", "", "");
    assert_eq!(
        err(&(svc.clone() + &other_ingress), &tls),
        "document 2 (Ingress/web, from c/templates/ingress.yaml): tls[0].name: an Ingress named web is already in the stream; set `name:` to another"
    );
    let cert = |name: &str, secret: &str| {
        format!(
            "---\n# Source: c/templates/cert.yaml\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: {name}}}\nspec: {{secretName: {secret}}}\n"
        )
    };
    assert_eq!(
        err(&(svc.clone() + &cert("web", "x")), &tls),
        "document 2 (Certificate/web, from c/templates/cert.yaml): tls[0].name: a Certificate named web is already in the stream; set `name:` to another"
    );
    assert_eq!(
        err(&(svc.clone() + &cert("c", "web-tls")), &tls),
        "document 2 (Certificate/c, from c/templates/cert.yaml): tls[0].secretName: this Certificate already writes Secret web-tls; two Certificates would overwrite each other: set `secretName:` to another, or drop the chart's Certificate"
    );
    let secret = "---\n# Source: c/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: web-tls}\ndata: {tls.key: c2VjcmV0}\n";
    let message = err(&(svc.clone() + secret), &tls);
    assert_eq!(
        message,
        "document 2 (Secret/web-tls, from c/templates/secret.yaml): tls[0].secretName: the chart renders a Secret named web-tls, which cert-manager would overwrite and Helm would put back; set `secretName:` to another"
    );
    assert!(!message.contains("c2VjcmV0"));
    let elsewhere = service("web", "[{port: 80}]", "  namespace: a\n")
        + &cert("web", "web-tls").replace("{name: web}", "{name: web, namespace: b}");
    assert!(run(&elsewhere, &tls, None).is_ok());
}

#[test]
fn entries_may_not_share_a_host_name_or_secret() {
    let input = service("web", "[{port: 80}]", "");
    for (second, want) in [
        (
            "host: web.example.com\n    name: other",
            "overlay tls[1]: host web.example.com is also in tls[0]; one host, one entry",
        ),
        (
            "host: web.example.org",
            "overlay tls[1]: name web is also tls[0]'s; set `name:` on one of them",
        ),
        (
            "host: www.example.com\n    secretName: web-tls",
            "overlay tls[1]: secretName web-tls is also tls[0]'s; two Certificates would overwrite one Secret",
        ),
    ] {
        let tls = format!("  - host: web.example.com\n    {ISSUER}\n  - {second}\n    {ISSUER}\n");
        assert_eq!(err(&input, &tls), want);
    }
}
