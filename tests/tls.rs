//! The `tls` step from outside: the objects it writes read back into strict typed models of
//! Ingress (k8s-openapi, with every ignored field reported by serde_ignored) and Certificate (a
//! `deny_unknown_fields` model written from cert-manager's v1 API reference), so a misspelt
//! field cannot pass; the real minicloud overlay changes nothing but the two objects; the golden
//! overlays stay equal to the real one; `--report`; and real Helm 3 and Helm 4 running overhelm as
//! their post-renderer.

mod common;

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::stream::Stream;
use overhelm::yaml::Limits;
use serde::Deserialize;
use serde_json::Value;

/// cert-manager.io/v1 Certificate, as in cert-manager's API reference (`CertificateSpec` and
/// the types it uses); no `status` (overhelm never writes one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Certificate {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: CertificateSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct CertificateSpec {
    subject: Option<X509Subject>,
    literal_subject: Option<String>,
    common_name: Option<String>,
    duration: Option<String>,
    renew_before: Option<String>,
    renew_before_percentage: Option<i32>,
    dns_names: Option<Vec<String>>,
    ip_addresses: Option<Vec<String>>,
    uris: Option<Vec<String>>,
    other_names: Option<Vec<OtherName>>,
    email_addresses: Option<Vec<String>>,
    secret_name: String,
    secret_template: Option<SecretTemplate>,
    keystores: Option<Value>,
    issuer_ref: IssuerRef,
    #[serde(rename = "isCA")]
    is_ca: Option<bool>,
    usages: Option<Vec<String>>,
    private_key: Option<PrivateKey>,
    encode_usages_in_request: Option<bool>,
    revision_history_limit: Option<i32>,
    additional_output_formats: Option<Vec<OutputFormat>>,
    name_constraints: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct X509Subject {
    organizations: Option<Vec<String>>,
    countries: Option<Vec<String>>,
    organizational_units: Option<Vec<String>>,
    localities: Option<Vec<String>>,
    provinces: Option<Vec<String>>,
    street_addresses: Option<Vec<String>>,
    postal_codes: Option<Vec<String>>,
    serial_number: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct OtherName {
    oid: Option<String>,
    utf8_value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SecretTemplate {
    annotations: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct OutputFormat {
    r#type: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct IssuerRef {
    name: String,
    kind: Option<String>,
    group: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct PrivateKey {
    rotation_policy: Option<RotationPolicy>,
    encoding: Option<KeyEncoding>,
    algorithm: Option<KeyAlgorithm>,
    size: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum RotationPolicy {
    Never,
    Always,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum KeyEncoding {
    #[serde(rename = "PKCS1")]
    Pkcs1,
    #[serde(rename = "PKCS8")]
    Pkcs8,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum KeyAlgorithm {
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "ECDSA")]
    Ecdsa,
    Ed25519,
}

/// Reads `object` into `T`, failing on any field the model does not know (k8s-openapi's types
/// skip unknown fields; serde_ignored reports each skipped one).
fn strict<T: serde::de::DeserializeOwned>(object: &Value) -> Result<T, String> {
    let mut ignored = Vec::new();
    let typed: T = serde_ignored::deserialize(object, |path| ignored.push(path.to_string()))
        .map_err(|e| e.to_string())?;
    if ignored.is_empty() {
        Ok(typed)
    } else {
        Err(format!("unknown fields: {}", ignored.join(", ")))
    }
}

/// Every object of a stream with its origin (`# Source:` or Helm 4's annotation).
fn objects(output: &str) -> Vec<(Option<String>, Value)> {
    let limits = Limits::default();
    let stream = Stream::split(output, &limits);
    stream
        .docs()
        .iter()
        .filter_map(|d| Some((d.origin(), d.value().expect("valid YAML")?.clone())))
        .collect()
}

/// Checks every Ingress and Certificate of a stream against the models; returns how many.
fn check_typed(output: &str) -> usize {
    let mut checked = 0;
    for (origin, object) in objects(output) {
        let result = match object["kind"].as_str() {
            Some("Ingress") => strict::<Ingress>(&object).map(|_| ()),
            Some("Certificate") => strict::<Certificate>(&object).map(|_| ()),
            _ => continue,
        };
        if let Err(e) = result {
            panic!("{origin:?}: {e}\n{object:#}");
        }
        checked += 1;
    }
    checked
}

fn overlay(tls: &str) -> Overlay {
    Overlay::parse(
        &format!("apiVersion: overhelm/v1\nkind: Overlay\ntls:\n{tls}"),
        "o.yaml",
    )
    .expect("overlay")
}

fn render_with(input: &str, overlay: &Overlay, namespace: Option<&str>) -> String {
    let ctx = Context {
        release: None,
        namespace: namespace.map(Into::into),
    };
    render(input, overlay, &ctx, &Limits::default())
        .expect("render")
        .output
}

#[test]
fn golden_outputs_are_valid_ingresses_and_certificates() {
    for case in [
        "tls-backstage-helm3",
        "tls-backstage-helm4",
        "tls-adopt-chart-ingress",
    ] {
        let output = common::read(&format!("golden/{case}/expected.yaml"));
        assert_eq!(check_typed(&output), 2, "{case}");
    }
}

#[test]
fn every_field_the_step_can_write_is_valid() {
    let input = "---\n# Source: c/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: {app.kubernetes.io/name: web, team: a}\nspec:\n  ports: [{name: http, port: 80}]\n---\n# Source: c/templates/api.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  ports: [{name: grpc, port: 9090}]\n";
    let tls = "  - hosts: [web.example.com, '*.web.example.com']\n    service: web\n    port: http\n    issuer: {kind: AWSPCAClusterIssuer, name: pca, group: awspca.cert-manager.io}\n    controller: nginx-inc\n    redirect: false\n    annotations: {nginx.org/client-max-body-size: 10m}\n    path: /app\n    pathType: ImplementationSpecific\n    certificate: {duration: 1h30m, renewBefore: 10m, privateKey: {algorithm: RSA, size: 4096, rotationPolicy: Always}}\n  - host: api.example.com\n    name: api-public\n    secretName: api-cert\n    service: api\n    issuer: {name: local}\n    ingressClassName: nginx-internal\n    certificate: {privateKey: {algorithm: Ed25519}}\n";
    let output = render_with(input, &overlay(tls), Some("apps"));
    assert_eq!(check_typed(&output), 4);
    let helm4 = input.replace("# Source: c/templates/svc.yaml\n", "").replace("# Source: c/templates/api.yaml\n", "").replace("metadata:\n  name: web\n", "metadata:\n  name: web\n  annotations:\n    postrenderer.helm.sh/postrender-filename: 'c/templates/svc.yaml'\n");
    assert_eq!(check_typed(&render_with(&helm4, &overlay(tls), None)), 4);
}

#[test]
fn the_models_refuse_a_misspelt_field() {
    let output = common::read("golden/tls-backstage-helm3/expected.yaml");
    let objects = objects(&output);
    let find = |kind: &str| {
        objects
            .iter()
            .find(|(_, o)| o["kind"] == kind)
            .unwrap()
            .1
            .clone()
    };
    let mut cert = find("Certificate");
    let spec = cert["spec"].as_object_mut().unwrap();
    let v = spec.shift_remove("renewBefore").unwrap();
    spec.insert("renewbefore".into(), v);
    assert!(
        strict::<Certificate>(&cert)
            .unwrap_err()
            .contains("unknown field `renewbefore`")
    );
    let mut cert = find("Certificate");
    cert["spec"]["issuerRef"]["Kind"] = "ClusterIssuer".into();
    assert!(
        strict::<Certificate>(&cert)
            .unwrap_err()
            .contains("unknown field `Kind`")
    );
    let mut ingress = find("Ingress");
    ingress["spec"]["tls"][0]["secretname"] = "x".into();
    // serde_ignored shows an Option level as `?`.
    assert_eq!(
        strict::<Ingress>(&ingress).unwrap_err(),
        "unknown fields: spec.?.tls.?.0.secretname"
    );
    let mut ingress = find("Ingress");
    ingress["metadata"]["annotation"] = serde_json::json!({});
    assert_eq!(
        strict::<Ingress>(&ingress).unwrap_err(),
        "unknown fields: metadata.?.annotation"
    );
    let mut ingress = find("Ingress");
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["numbr"] =
        7007.into();
    assert!(
        strict::<Ingress>(&ingress)
            .unwrap_err()
            .ends_with("port.?.numbr")
    );
}

fn minicloud() -> Overlay {
    Overlay::load(&[common::root().join("overlays/minicloud/backstage.yaml")])
        .expect("minicloud overlay")
}

#[test]
fn golden_overlays_are_the_minicloud_sections() {
    let real = minicloud();
    for case in ["tls-backstage-helm3", "tls-backstage-helm4"] {
        let golden =
            Overlay::load(&[common::root().join(format!("golden/{case}/overlay.yaml"))]).unwrap();
        assert_eq!(golden.tls, real.tls, "{case}");
    }
    for case in ["registry-backstage-helm3", "registry-backstage-helm4"] {
        let golden =
            Overlay::load(&[common::root().join(format!("golden/{case}/overlay.yaml"))]).unwrap();
        assert_eq!(golden.registry, real.registry, "{case}");
    }
}

#[test]
fn the_minicloud_overlay_adds_exactly_the_ingress_and_the_certificate() {
    let real = minicloud();
    let mut without_tls = real.clone();
    without_tls.tls.clear();
    for input in [
        "examples/backstage/helm3-input.yaml",
        "examples/backstage/helm4-input.yaml",
    ] {
        let input = common::read(input);
        let with = objects(&render_with(&input, &real, Some("backstage")));
        let without = objects(&render_with(&input, &without_tls, Some("backstage")));
        let (ours, rest): (Vec<_>, Vec<_>) = with
            .into_iter()
            .partition(|(origin, _)| origin.as_deref() == Some("overhelm/tls/backstage.yaml"));
        assert_eq!(rest, without);
        let kinds: Vec<&str> = ours
            .iter()
            .map(|(_, o)| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["Ingress", "Certificate"]);
        let (ingress, cert) = (&ours[0].1, &ours[1].1);
        assert_eq!(ingress["spec"]["tls"][0]["hosts"], cert["spec"]["dnsNames"]);
        assert_eq!(
            ingress["spec"]["tls"][0]["secretName"],
            cert["spec"]["secretName"]
        );
        assert_eq!(
            ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"],
            serde_json::json!({"name": "backstage", "port": {"number": 7007}})
        );
        for object in [ingress, cert] {
            assert_eq!(object["metadata"]["namespace"], "backstage");
        }
        assert!(
            !ingress.to_string().contains("cert-manager.io/"),
            "no ingress-shim annotation"
        );
    }
}

#[test]
fn adopting_the_charts_ingress_is_idempotent_in_both_helm_forms() {
    let adopt = overlay(
        "  - host: backstage.10.0.0.200.nip.io\n    adopt: true\n    issuer: {kind: ClusterIssuer, name: minicloud-ca}\n    redirect: true\n",
    );
    for input in [
        "examples/backstage-ingress/helm3-input.yaml",
        "examples/backstage-ingress/helm4-input.yaml",
    ] {
        let once = render_with(&common::read(input), &adopt, Some("backstage"));
        assert_eq!(
            render_with(&once, &adopt, Some("backstage")),
            once,
            "{input}"
        );
        let ingresses: Vec<Value> = objects(&once)
            .into_iter()
            .map(|(_, o)| o)
            .filter(|o| o["kind"] == "Ingress")
            .collect();
        assert_eq!(ingresses.len(), 1, "{input}: no second Ingress");
        assert_eq!(
            ingresses[0]["spec"]["tls"][0]["secretName"],
            "backstage-tls"
        );
        assert_eq!(check_typed(&once), 2);
    }
}

#[test]
fn report_lists_what_the_step_did() {
    let out = common::overhelm(
        &[
            "render",
            "-f",
            "overlays/minicloud/backstage.yaml",
            "-n",
            "backstage",
            "--report",
        ],
        &common::read("examples/backstage/helm3-input.yaml"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let report = common::stderr(&out);
    assert!(report.contains("tls: tls[0]: added Ingress/backstage/backstage: backstage.10.0.0.200.nip.io -> Service backstage port 7007 (http-backend), TLS secret backstage-tls\n"), "{report}");
    assert!(report.contains("tls: tls[0]: added Certificate/backstage/backstage: dnsNames backstage.10.0.0.200.nip.io, ClusterIssuer minicloud-ca, secret backstage-tls\n"), "{report}");
}

#[test]
fn an_error_writes_nothing_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("o.yaml");
    std::fs::write(&file, "apiVersion: overhelm/v1\nkind: Overlay\ntls:\n  - host: backstage.10.0.0.200.nip.io\n    port: 80\n    issuer: {kind: ClusterIssuer, name: minicloud-ca}\n").unwrap();
    let out = common::overhelm(
        &["render", "-f", file.to_str().unwrap()],
        &common::read("examples/backstage/helm3-input.yaml"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        common::stderr(&out).contains(
            "overlay tls[0].port: Service backstage has no port 80; its ports: 7007 (http-backend)"
        ),
        "{}",
        common::stderr(&out)
    );
}

/// Helm 3 runs overhelm as `--post-renderer` on the real chart; the release gets both objects.
#[test]
fn helm3_post_renders_the_chart_with_tls() {
    let Some(helm) = common::tool("helm3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(helm);
    common::helm_env(&mut cmd, dir.path());
    cmd.args(common::TEMPLATE_BACKSTAGE)
        .arg("--post-renderer")
        .arg(common::bin())
        .args([
            "--post-renderer-args",
            "render",
            "--post-renderer-args",
            "-f",
            "--post-renderer-args",
        ])
        .arg(common::root().join("overlays/minicloud/backstage.yaml"))
        .args([
            "--post-renderer-args",
            "-n",
            "--post-renderer-args",
            "backstage",
        ])
        .env_remove("OVERHELM_OVERLAY")
        .env("OVERHELM_LOG", dir.path().join("error.log"));
    let out = common::run_with_stdin(cmd, "");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let output = common::stdout(&out);
    assert_eq!(check_typed(&output), 2);
    assert!(output.contains("# Source: overhelm/tls/backstage.yaml\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"), "{output}");
}

/// Helm 4 runs overhelm as a `postrenderer/v1` plugin; Helm regroups documents by the filename
/// annotation, so both objects come back under `# Source: overhelm/tls/backstage.yaml`.
#[test]
fn helm4_post_renders_the_chart_with_tls() {
    let Some(helm) = common::tool("helm4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("plugins/overhelm");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(
        plugin.join("plugin.yaml"),
        format!(
            "apiVersion: v1\ntype: postrenderer/v1\nname: overhelm\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: {}\n      args: [render, -f, {}, -n, backstage]\n",
            common::bin().display(),
            common::root().join("overlays/minicloud/backstage.yaml").display()
        ),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(helm);
    common::helm_env(&mut cmd, dir.path());
    cmd.args(common::TEMPLATE_BACKSTAGE)
        .args(["--post-renderer", "overhelm"])
        .env_remove("OVERHELM_OVERLAY")
        .env("OVERHELM_LOG", dir.path().join("error.log"));
    let out = common::run_with_stdin(cmd, "");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let output = common::stdout(&out);
    assert_eq!(check_typed(&output), 2);
    assert_eq!(
        output
            .matches("# Source: overhelm/tls/backstage.yaml\n")
            .count(),
        2,
        "{output}"
    );
    assert!(
        !output.contains("postrender-filename"),
        "Helm removes its annotation"
    );
}
