//! The waitFor init container, run for real against a real PostgreSQL.
//!
//! Each test post-renders the Backstage chart's output (`examples/backstage/helm3-input.yaml`,
//! what Helm 3 pipes into a post-renderer) with an overlay, takes the init container out of the
//! rendered Deployment, and runs its `command` with the env the kubelet would give it (its
//! `envFrom` and `env`, secret references resolved, `$(VAR)` expanded, as an unprivileged user
//! id that is in no passwd file). Only the database address is changed in the input, to a free
//! loopback port where the test starts PostgreSQL (`initdb` + `pg_ctl`, as the `postgres` user
//! when the tests run as root) when it wants to.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::stream::Stream;
use overhelm::yaml::Limits;
use serde_json::Value;

const PASSWORD: &str = "s3cret-pw";
/// The unprivileged user id the script runs as (the init container's is 65534; this one is in
/// no passwd file, the harder case, like the Bitnami image's 1001).
const SCRIPT_UID: &str = "61234";
/// How long any one phase may take on a loaded machine before the test fails.
const PATIENCE: Duration = Duration::from_secs(90);

fn tools_present() -> bool {
    ["initdb", "pg_ctl", "psql", "pg_isready"]
        .iter()
        .all(|t| common::tool(t).is_some())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The Backstage input with the Deployment's database address changed: the chart's own
/// definitions (the first ones) point nowhere, the user's `extraEnvVars` (the last ones, which
/// Kubernetes uses) point at `port` on loopback.
fn backstage_input(port: u16) -> String {
    let input = common::read("examples/backstage/helm3-input.yaml");
    let host = "            - name: POSTGRES_HOST\n              value: backstage-postgresql\n";
    let port_def = "            - name: POSTGRES_PORT\n              value: \"5432\"\n";
    assert_eq!(
        input.matches(host).count(),
        2,
        "the Deployment defines POSTGRES_HOST twice"
    );
    assert_eq!(
        input.matches(port_def).count(),
        2,
        "the Deployment defines POSTGRES_PORT twice"
    );
    let input = input
        .replacen(
            host,
            &host.replace("backstage-postgresql", "first-definition.invalid"),
            1,
        )
        .replacen(port_def, &port_def.replace("5432", "1"), 1);
    input
        .replacen(host, &host.replace("backstage-postgresql", "127.0.0.1"), 1)
        .replacen(port_def, &port_def.replace("5432", &port.to_string()), 1)
}

/// Renders `input` with overlay files and returns the first init container of the Deployment.
fn init_container(input: &str, overlays: &[PathBuf]) -> Value {
    init_containers(input, overlays)
        .into_iter()
        .next()
        .expect("an init container")
}

/// The init containers of the Deployment in `input` rendered with `overlays`.
fn init_containers(input: &str, overlays: &[PathBuf]) -> Vec<Value> {
    let overlay = Overlay::load(overlays).expect("overlay");
    let limits = Limits::default();
    let out = render(input, &overlay, &Context::default(), &limits)
        .expect("render")
        .output;
    let stream = Stream::split(&out, &limits);
    let deployment = stream
        .docs()
        .iter()
        .filter_map(|d| d.value().expect("yaml"))
        .find(|v| v["kind"] == "Deployment")
        .expect("Deployment")
        .clone();
    deployment["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .expect("initContainers")
        .clone()
}

/// The minicloud overlay with its `timeout: 10m` changed (for the give-up test).
fn minicloud_with_timeout(dir: &Path, timeout: &str) -> PathBuf {
    let text = common::read("overlays/minicloud/backstage.yaml");
    assert!(
        text.contains("    timeout: 10m\n"),
        "the minicloud overlay waits 10m"
    );
    let path = dir.join("minicloud-short.yaml");
    std::fs::write(
        &path,
        text.replace("    timeout: 10m\n", &format!("    timeout: {timeout}\n")),
    )
    .expect("write overlay");
    path
}

/// Kubernetes' `$(VAR)` expansion: `$$` is `$`, an unknown or unclosed reference stays as written.
fn expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(next) = after.strip_prefix('$') {
            out.push('$');
            rest = next;
        } else if let Some((name, next)) = after.strip_prefix('(').and_then(|o| o.split_once(')')) {
            match env.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&format!("$({name})")),
            }
            rest = next;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// What the kubelet gives the container: `envFrom` first, then `env` in order (each `value`
/// expanded with what is defined so far), then `command` expanded with the result.
fn kubelet(
    container: &Value,
    secrets: &BTreeMap<(&str, &str), &str>,
) -> (Vec<String>, Vec<(String, String)>) {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut set = |env: &mut BTreeMap<String, String>, k: String, v: String| {
        if !order.contains(&k) {
            order.push(k.clone());
        }
        env.insert(k, v);
    };
    for source in container["envFrom"].as_array().into_iter().flatten() {
        let name = source["secretRef"]["name"]
            .as_str()
            .expect("only secretRef sources here");
        let prefix = source["prefix"].as_str().unwrap_or("");
        for ((s, k), v) in secrets {
            if *s == name {
                set(&mut env, format!("{prefix}{k}"), v.to_string());
            }
        }
    }
    for entry in container["env"].as_array().expect("env") {
        let name = entry["name"].as_str().expect("name").to_string();
        let value = if let Some(v) = entry["value"].as_str() {
            expand(v, &env)
        } else if let Some(r) = entry["valueFrom"].get("secretKeyRef") {
            let key = (
                r["name"].as_str().expect("name"),
                r["key"].as_str().expect("key"),
            );
            secrets
                .get(&key)
                .unwrap_or_else(|| panic!("no secret {key:?}"))
                .to_string()
        } else {
            panic!("unexpected env entry {entry}");
        };
        set(&mut env, name, value);
    }
    let command = container["command"]
        .as_array()
        .expect("command")
        .iter()
        .map(|c| expand(c.as_str().expect("string"), &env))
        .collect();
    let pairs = order.into_iter().map(|k| {
        let v = env[&k].clone();
        (k, v)
    });
    (command, pairs.collect())
}

/// The init container's command, running with the kubelet's env, its output collected by line.
struct Script {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn start(container: &Value, secrets: &BTreeMap<(&str, &str), &str>) -> Script {
        let (command, env) = kubelet(container, secrets);
        let mut cmd = if is_root() {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={SCRIPT_UID}"),
                &format!("--regid={SCRIPT_UID}"),
                "--clear-groups",
                "--",
            ]);
            c.args(&command);
            c
        } else {
            let mut c = Command::new(&command[0]);
            c.args(&command[1..]);
            c
        };
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start the script");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    lines.lock().expect("lines").push(line);
                }
            });
        }
        Script { child, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }

    /// Waits until `count` attempt lines contain `text`, checking the script is still waiting.
    fn wait_for_attempts(&mut self, text: &str, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let lines = self.lines();
            let seen = lines
                .iter()
                .filter(|l| l.contains(": not ready: ") && l.contains(text))
                .count();
            if seen >= count {
                return;
            }
            assert!(
                self.child.try_wait().expect("try_wait").is_none(),
                "the script stopped while waiting for {text:?}:\n{}",
                lines.join("\n")
            );
            assert!(
                Instant::now() < deadline,
                "no {count} attempts with {text:?}:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the script to end; its exit code and output.
    fn finish(mut self) -> (i32, Vec<String>) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(200));
                return (status.code().unwrap_or(-1), self.lines());
            }
            assert!(
                Instant::now() < deadline,
                "the script did not end:\n{}",
                self.lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL server in a temporary folder, on a loopback port, not started yet.
struct Postgres {
    dir: tempfile::TempDir,
    port: u16,
    started: bool,
}

impl Postgres {
    fn new(port: u16) -> Postgres {
        let dir = tempfile::tempdir().expect("tempdir");
        if is_root() {
            let out = Command::new("id")
                .args(["-u", "postgres"])
                .output()
                .expect("id");
            let uid: u32 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("postgres uid");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown");
        }
        Postgres {
            dir,
            port,
            started: false,
        }
    }

    fn as_postgres(&self, program: &str) -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, mut cmd: Command, what: &str) {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// initdb (TCP logins need a SCRAM password) and start.
    fn start(&mut self) {
        let data = self.dir.path().join("data");
        let mut initdb = self.as_postgres("initdb");
        initdb.args([
            "-D",
            &data.to_string_lossy(),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ]);
        self.run(initdb, "initdb");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            self.port,
            self.dir.path().display()
        );
        let mut pg_ctl = self.as_postgres("pg_ctl");
        pg_ctl.args([
            "-D",
            &data.to_string_lossy(),
            "-l",
            &self.dir.path().join("log").to_string_lossy(),
            "-o",
            &options,
            "-w",
            "start",
        ]);
        self.run(pg_ctl, "pg_ctl start");
        self.started = true;
    }

    /// Runs SQL as the superuser over the Unix socket.
    fn sql(&self, statement: &str) {
        let mut psql = self.as_postgres("psql");
        psql.args([
            "-X",
            "-q",
            "-h",
            &self.dir.path().to_string_lossy(),
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            statement,
        ]);
        self.run(psql, statement);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.started {
            let mut stop = self.as_postgres("pg_ctl");
            stop.args([
                "-D",
                &self.dir.path().join("data").to_string_lossy(),
                "-m",
                "immediate",
                "stop",
            ]);
            let _ = stop.output();
        }
    }
}

fn secrets() -> BTreeMap<(&'static str, &'static str), &'static str> {
    BTreeMap::from([
        (("backstage-postgres-secret", "password"), PASSWORD),
        (("backstage-postgres-secret", "postgres-password"), "other"),
    ])
}

/// The user's failure, fixed: Backstage cannot start before PostgreSQL accepts its own login.
#[test]
fn backstage_waits_until_its_own_login_works() {
    if !tools_present() {
        return;
    }
    let port = free_port();
    let init = init_container(
        &backstage_input(port),
        &[common::root().join("overlays/minicloud/backstage.yaml")],
    );
    assert_eq!(init["name"], "wait-for-postgres");
    assert_eq!(
        init["command"][2],
        overhelm::steps::wait_for::SCRIPT,
        "the script file, as it is"
    );
    let mut script = Script::start(&init, &secrets());

    script.wait_for_attempts("Connection refused", 2);
    let mut pg = Postgres::new(port);
    pg.start();
    // Server up, role missing: a server that answers is not enough.
    script.wait_for_attempts(
        "password authentication failed for user \"bn_backstage\"",
        2,
    );
    pg.sql(&format!(
        "CREATE ROLE bn_backstage LOGIN PASSWORD '{PASSWORD}'"
    ));
    // Role there, database missing: still not enough.
    script.wait_for_attempts("database \"backstage_plugin_catalog\" does not exist", 1);
    pg.sql("CREATE DATABASE backstage_plugin_catalog OWNER bn_backstage");

    let (code, lines) = script.finish();
    let text = lines.join("\n");
    assert_eq!(code, 0, "{text}");
    let target =
        format!("a login as bn_backstage to database backstage_plugin_catalog at 127.0.0.1:{port}");
    assert_eq!(
        lines[0],
        format!("wait-for-postgres: waiting up to 600s for {target}"),
        "{text}"
    );
    let last = lines.last().expect("a last line");
    assert!(
        last.starts_with("wait-for-postgres: ")
            && last.ends_with(&format!(" waiting for {target}")),
        "{text}"
    );
    assert!(last.contains("s: ready after "), "{text}");
    // One line per attempt, numbered, with the elapsed seconds.
    let attempts: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(": not ready: "))
        .collect();
    assert!(attempts.len() >= 5, "{text}");
    for (i, line) in attempts.iter().enumerate() {
        let rest = line.strip_prefix("wait-for-postgres: ").expect("prefix");
        let (seconds, rest) = rest.split_once("s: ").expect("elapsed");
        assert!(seconds.parse::<u64>().is_ok(), "{line}");
        assert!(
            rest.starts_with(&format!("attempt {}: not ready: ", i + 1)),
            "{line}"
        );
    }
    assert!(!text.contains(PASSWORD), "the password is never logged");
    eprintln!("{text}");
}

/// At the timeout the script exits 1 with a message that says what it waited for.
#[test]
fn gives_up_at_the_timeout_with_a_clear_message() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let overlay = minicloud_with_timeout(dir.path(), "3s");
    let init = init_container(&backstage_input(port), &[overlay]);
    let started = Instant::now();
    let (code, lines) = Script::start(&init, &secrets()).finish();
    let text = lines.join("\n");
    assert_eq!(code, 1, "{text}");
    assert!(started.elapsed() >= Duration::from_secs(3), "{text}");
    let last = lines.last().expect("a last line");
    let expected = format!(
        "(timeout 3s) waiting for a login as bn_backstage to database backstage_plugin_catalog at 127.0.0.1:{port}; last error: psql: error: connection to server at \"127.0.0.1\", port {port} failed: Connection refused"
    );
    let seconds: u64 = last
        .strip_prefix("wait-for-postgres: ")
        .and_then(|l| l.split_once("s: gave up after "))
        .and_then(|(s, _)| s.parse().ok())
        .unwrap_or_else(|| panic!("no give-up line:\n{text}"));
    // Whole seconds from `date +%s`: the script gives up once its clock shows more than the
    // timeout, so that the real time is surely past it.
    assert!((4..=12).contains(&seconds), "{text}");
    assert!(last.contains(&expected), "{text}");
}

/// Host and port only: `pg_isready`; and the generic TCP wait (here by bash's /dev/tcp, or nc).
#[test]
fn ready_and_tcp_checks_wait_for_the_server() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let overlay = dir.path().join("o.yaml");
    std::fs::write(
        &overlay,
        "apiVersion: overhelm/v1\nkind: Overlay\nwaitFor:\n\
         - postgres: {host: {fromEnv: POSTGRES_HOST}, port: {fromEnv: POSTGRES_PORT}}\n\
         - tcp: {host: {fromEnv: POSTGRES_HOST}, port: {fromEnv: POSTGRES_PORT}}\n  image: docker.io/library/busybox:1.36\n",
    )
    .expect("overlay");
    let inits = init_containers(&backstage_input(port), &[overlay]);
    assert_eq!(
        inits
            .iter()
            .map(|c| c["name"].as_str().expect("name"))
            .collect::<Vec<_>>(),
        ["wait-for-postgres", "wait-for-tcp"]
    );

    let mut ready = Script::start(&inits[0], &secrets());
    let mut tcp = Script::start(&inits[1], &secrets());
    ready.wait_for_attempts("no response", 2);
    tcp.wait_for_attempts("Connection refused", 2);
    let mut pg = Postgres::new(port);
    pg.start();
    for (script, what) in [
        (ready, format!("PostgreSQL at 127.0.0.1:{port}")),
        (tcp, format!("a TCP connection to 127.0.0.1:{port}")),
    ] {
        let (code, lines) = script.finish();
        let text = lines.join("\n");
        assert_eq!(code, 0, "{text}");
        assert!(
            lines
                .last()
                .expect("last")
                .ends_with(&format!(" waiting for {what}")),
            "{text}"
        );
    }
}
