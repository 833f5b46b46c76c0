//! `waitFor:`: an init container that holds a workload until its database (or any TCP service)
//! is ready.
//!
//! ```yaml
//! waitFor:
//!   - workload: {kind: Deployment, name: backstage}   # default: every workload whose env names the host
//!     postgres:
//!       host: {fromEnv: POSTGRES_HOST}                # or a literal string
//!       port: {fromEnv: POSTGRES_PORT}                # or a number; default 5432
//!       user: {fromEnv: POSTGRES_USER}                # with a user: wait until a login succeeds
//!       password: {fromEnv: POSTGRES_PASSWORD}
//!       database: backstage_plugin_catalog
//!     timeout: 10m
//!     image: auto
//!   - tcp: {host: {fromEnv: REDIS_HOST}, port: 6379}
//! ```
//!
//! These are plain data; `steps::wait_for` checks them (exactly one of `postgres`/`tcp`, a
//! valid duration and name) and says which key is wrong.

use serde::{Deserialize, Serialize};

use super::Selector;

/// One `waitFor` entry: `postgres` or `tcp`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WaitFor {
    /// Init container name; default `wait-for-postgres` / `wait-for-tcp`.
    pub name: Option<String>,
    /// The workload; default: every workload whose containers' env names the host variable.
    pub workload: Option<Selector>,
    /// The app container whose env `fromEnv` reads; default: the first container whose env
    /// names the host variable (or the first `fromEnv` variable when the host is a literal).
    pub container: Option<String>,
    /// Wait for PostgreSQL.
    pub postgres: Option<PostgresWait>,
    /// Wait for a TCP port.
    pub tcp: Option<TcpWait>,
    /// Go duration (`10m`, `90s`, `1h30m`); default `10m`.
    pub timeout: Option<String>,
    /// `auto` (default: the PostgreSQL image already in the release) or an image reference.
    pub image: Option<String>,
}

/// `waitFor[].postgres`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostgresWait {
    /// Host, literal or from the app container's env.
    pub host: Option<EnvOr>,
    /// Port, literal or from env; default 5432.
    pub port: Option<EnvOr>,
    /// User: with a user, wait until a login succeeds (not only until the server answers).
    pub user: Option<EnvOr>,
    /// Password, from env (a literal is allowed but lands in the manifest; the report warns).
    pub password: Option<EnvOr>,
    /// Database to log in to; default: libpq's default, the user's name.
    pub database: Option<EnvOr>,
}

/// `waitFor[].tcp`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TcpWait {
    /// Host, literal or from env.
    pub host: Option<EnvOr>,
    /// Port, literal or from env.
    pub port: Option<EnvOr>,
}

/// A literal value, or `{fromEnv: NAME}`: the app container's own env variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvOr {
    /// Take the value (or its secret/configMap reference) from this env variable.
    FromEnv(FromEnv),
    /// A literal string.
    Text(String),
    /// A literal number (a port).
    Number(u64),
}

/// `{fromEnv: NAME}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FromEnv {
    /// The env variable's name.
    pub from_env: String,
}
