//! The backend of an entry: a Service of the stream and one of its ports, named or found.
//!
//! Without `service`, the backend is the one Service that exposes a port and is neither
//! headless nor a database (a release such as Backstage also has its PostgreSQL's Service and
//! headless Service); without `port`, it is that Service's only port. Anything else is an error
//! that lists what there is to choose from, so the entry can name it.

use super::entry::Entry;
use super::scan::{Port, Service};
use crate::error::{Error, Result};
use crate::overlay::PortRef;

/// Names (`app.kubernetes.io/name` or `app` label, or a word in a port name) of databases.
const DATABASE_NAMES: &[&str] = &[
    "postgresql",
    "postgres",
    "mysql",
    "mariadb",
    "redis",
    "valkey",
    "mongodb",
    "memcached",
    "cassandra",
    "etcd",
    "clickhouse",
    "cockroachdb",
    "couchdb",
    "neo4j",
    "elasticsearch",
    "opensearch",
    "zookeeper",
    "mssql",
];

/// The well-known ports of those databases.
const DATABASE_PORTS: &[u16] = &[
    5432, 3306, 6379, 27017, 11211, 9042, 2379, 26257, 5984, 7687, 9200, 9300, 2181, 1433, 1521,
];

/// True for a Service of a database: its name label says so, or every port is a database's.
pub fn is_database(service: &Service) -> bool {
    let named_db = ["app.kubernetes.io/name", "app"].iter().any(|l| {
        service
            .labels
            .get(*l)
            .and_then(|v| v.as_str())
            .is_some_and(|v| DATABASE_NAMES.contains(&v))
    });
    let db_port = |p: &Port| {
        DATABASE_PORTS.contains(&p.number)
            || p.name
                .as_deref()
                .is_some_and(|n| DATABASE_NAMES.iter().any(|d| n.contains(d)))
    };
    named_db || (!service.ports.is_empty() && service.ports.iter().all(db_port))
}

/// The Service an entry points at.
pub fn service<'s>(entry: &Entry, services: &'s [Service]) -> Result<&'s Service> {
    let usable = services.iter().filter(|s| !s.hook);
    match &entry.service {
        Some(name) => {
            let found: Vec<&Service> = usable.filter(|s| s.named.name == *name).collect();
            match found.as_slice() {
                [one] => Ok(one),
                [] => Err(Error::overlay(
                    format!("{}.service", entry.key),
                    format!(
                        "no Service {name} in the stream; the Services are: {}",
                        list(services.iter().filter(|s| !s.hook))
                    ),
                )),
                several => Err(Error::overlay(
                    format!("{}.service", entry.key),
                    format!(
                        "several Services are named {name}: {}; render one namespace at a time",
                        several
                            .iter()
                            .map(|s| s.named.place.id())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
        None => {
            let candidates: Vec<&Service> = usable
                .filter(|s| {
                    !s.ports.is_empty() && !s.headless && !s.external_name && !is_database(s)
                })
                .collect();
            match candidates.as_slice() {
                [one] => Ok(one),
                [] => Err(Error::overlay(
                    &entry.key,
                    format!(
                        "no Service of the release exposes a port other than headless and database Services ({}); set `service:`",
                        list(services.iter().filter(|s| !s.hook))
                    ),
                )),
                several => Err(Error::overlay(
                    &entry.key,
                    format!(
                        "{} Services could be the backend: {}; set `service:` to one of them",
                        several.len(),
                        list(several.iter().copied())
                    ),
                )),
            }
        }
    }
}

/// The port of `service` an entry points at.
pub fn port<'s>(entry: &Entry, service: &'s Service) -> Result<&'s Port> {
    let name = &service.named.name;
    let ports = || {
        if service.ports.is_empty() {
            "it has none".to_string()
        } else {
            format!(
                "its ports: {}",
                service
                    .ports
                    .iter()
                    .map(Port::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let key = format!("{}.port", entry.key);
    match &entry.port {
        Some(PortRef::Number(n)) => {
            service
                .ports
                .iter()
                .find(|p| p.number == *n)
                .ok_or_else(|| {
                    Error::overlay(&key, format!("Service {name} has no port {n}; {}", ports()))
                })
        }
        Some(PortRef::Name(n)) => service
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(n.as_str()))
            .ok_or_else(|| {
                Error::overlay(
                    &key,
                    format!("Service {name} has no port named {n}; {}", ports()),
                )
            }),
        None => match service.ports.as_slice() {
            [one] => Ok(one),
            _ => Err(Error::overlay(
                &entry.key,
                format!(
                    "Service {name} does not have exactly one port ({}); set `port:`",
                    ports()
                ),
            )),
        },
    }
}

/// `name (ports)` of each Service, for messages.
fn list<'a>(services: impl Iterator<Item = &'a Service>) -> String {
    let items: Vec<String> = services
        .map(|s| {
            let what = if s.headless {
                " headless".to_string()
            } else if is_database(s) {
                " database".to_string()
            } else {
                String::new()
            };
            let ports: Vec<String> = s.ports.iter().map(Port::to_string).collect();
            format!("{}{what} [{}]", s.named.name, ports.join(", "))
        })
        .collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
