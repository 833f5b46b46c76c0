//! A stand-in Kubernetes API server, just enough for `helm install --dry-run` of Helm 3, which
//! wants a reachable cluster even for a dry run: `/version`, discovery of the kinds the test
//! charts use, and 404 for every object (nothing exists yet). Plain HTTP on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

const GROUPS: [(&str, &[(&str, &str)]); 6] = [
    (
        "v1",
        &[
            ("secrets", "Secret"),
            ("configmaps", "ConfigMap"),
            ("services", "Service"),
            ("pods", "Pod"),
            ("serviceaccounts", "ServiceAccount"),
            ("persistentvolumeclaims", "PersistentVolumeClaim"),
        ],
    ),
    (
        "apps/v1",
        &[
            ("deployments", "Deployment"),
            ("statefulsets", "StatefulSet"),
        ],
    ),
    ("batch/v1", &[("jobs", "Job"), ("cronjobs", "CronJob")]),
    ("networking.k8s.io/v1", &[("ingresses", "Ingress")]),
    ("cert-manager.io/v1", &[("certificates", "Certificate")]),
    (
        "apiextensions.k8s.io/v1",
        &[("customresourcedefinitions", "CustomResourceDefinition")],
    ),
];

/// Starts the server on a free port and writes a kubeconfig for it to `kubeconfig`.
pub fn start(kubeconfig: &Path) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::fs::write(
        kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: \"http://127.0.0.1:{port}\"}}}}]\ncontexts: [{{name: fake, context: {{cluster: fake, user: fake}}}}]\nusers: [{{name: fake, user: {{}}}}]\ncurrent-context: fake\n"
        ),
    )
    .expect("kubeconfig");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
}

/// Answers requests on one kept-alive connection.
fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 2 {
            line.clear();
        }
        let path = request.split_whitespace().nth(1).unwrap_or("/");
        let path = path.split('?').next().unwrap_or(path);
        let (status, body) = match answer(path) {
            Some(body) => ("200 OK", body.to_string()),
            None => ("404 Not Found", "{}".to_string()),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn answer(path: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    let resources = |gv: &str| {
        let (_, kinds) = GROUPS.iter().find(|(g, _)| *g == gv)?;
        let list: Vec<_> = kinds
            .iter()
            .map(|(name, kind)| json!({"name": name, "singularName": "", "kind": kind,
                "namespaced": *kind != "CustomResourceDefinition", "verbs": ["get", "list", "create"]}))
            .collect();
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
        )
    };
    match path {
        "/version" => Some(
            json!({"major": "1", "minor": "30", "gitVersion": "v1.30.0", "platform": "linux/amd64"}),
        ),
        "/api" => Some(
            json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
        ),
        "/api/v1" => resources("v1"),
        "/apis" => {
            let groups: Vec<_> = GROUPS[1..]
                .iter()
                .map(|(gv, _)| {
                    let (group, version) = gv.split_once('/').unwrap_or((gv, ""));
                    let v = json!({"groupVersion": gv, "version": version});
                    json!({"name": group, "versions": [v.clone()], "preferredVersion": v})
                })
                .collect();
            Some(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
        }
        p if p.ends_with("/secrets") => {
            Some(json!({"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": []}))
        }
        p => resources(p.strip_prefix("/apis/")?),
    }
}
