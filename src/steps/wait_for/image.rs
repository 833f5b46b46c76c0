//! `image: auto`: the PostgreSQL image the release already runs, so that the init container
//! pulls nothing new (and the registry step mirrors it like the server's own image).
//!
//! A PostgreSQL image is one whose repository's last part is `postgres` (the official image),
//! `postgresql` (Bitnami, CloudNativePG) or `postgresql-repmgr` (Bitnami HA); all of them ship
//! `/bin/sh`, `psql` and `pg_isready`. Exporters such as `postgres-exporter` do not count: they
//! have no `psql`. A container running one is the *server* when it also declares a port; a
//! backup CronJob running `pg_dump` from the same image declares none and is a client. `auto`
//! takes the servers' image, else (an external database) a client's. Only app containers are
//! read, never init containers, so the init container this step added earlier does not count.

use serde_json::Value;

use super::targets::Workload;
use crate::image::ImageRef;
use crate::workload::pod_spec;

const SERVER_NAMES: &[&str] = &["postgres", "postgresql", "postgresql-repmgr"];

/// True for a container that runs a PostgreSQL server: a PostgreSQL image and a port.
pub(super) fn is_server(container: &Value) -> bool {
    let has_ports = container
        .get("ports")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    has_ports
        && container
            .get("image")
            .and_then(Value::as_str)
            .is_some_and(is_postgres_image)
}

/// True for a PostgreSQL image.
pub(super) fn is_postgres_image(image: &str) -> bool {
    ImageRef::parse(image)
        .ok()
        .and_then(|r| {
            r.path
                .rsplit('/')
                .next()
                .map(|last| SERVER_NAMES.contains(&last))
        })
        .unwrap_or(false)
}

/// The distinct PostgreSQL images of the workloads' app containers, in stream order: the
/// servers' when there are servers, else the clients'.
pub(super) fn release_images(workloads: &[Workload<'_>]) -> Vec<String> {
    let containers: Vec<&Value> = workloads
        .iter()
        .filter_map(|w| pod_spec(w.object)?.get("containers")?.as_array())
        .flatten()
        .collect();
    let images = |servers_only: bool| {
        let mut found: Vec<String> = Vec::new();
        for c in &containers {
            let Some(image) = c.get("image").and_then(Value::as_str) else {
                continue;
            };
            if is_postgres_image(image)
                && (!servers_only || is_server(c))
                && !found.iter().any(|f| f == image)
            {
                found.push(image.to_string());
            }
        }
        found
    };
    let servers = images(true);
    if servers.is_empty() {
        images(false)
    } else {
        servers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_a_postgres_image_with_a_port() {
        let server =
            serde_json::json!({"image": "postgres:16", "ports": [{"containerPort": 5432}]});
        let client = serde_json::json!({"image": "postgres:16", "command": ["pg_dump"]});
        let other = serde_json::json!({"image": "nginx", "ports": [{"containerPort": 80}]});
        assert!(is_server(&server));
        assert!(!is_server(&client));
        assert!(!is_server(&other));
    }

    #[test]
    fn postgres_images() {
        for (image, server) in [
            (
                "docker.io/bitnamilegacy/postgresql:15.4.0-debian-11-r10",
                true,
            ),
            ("postgres:16-alpine", true),
            (
                "harbor.10.0.0.200.nip.io/dockerhub-proxy/bitnamilegacy/postgresql:15",
                true,
            ),
            ("ghcr.io/cloudnative-pg/postgresql:16.4", true),
            ("bitnami/postgresql-repmgr:16", true),
            (
                "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
                false,
            ),
            ("bitnami/postgres-exporter:0.15", false),
            ("ghcr.io/backstage/backstage:latest", false),
            ("postgis/postgis:16-3.4", false),
            ("Not An Image", false),
        ] {
            assert_eq!(is_postgres_image(image), server, "{image}");
        }
    }
}
