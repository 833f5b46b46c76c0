//! The init container itself: the wait script run by `/bin/sh`, the values it reads, a
//! restricted security context and small resources.
//!
//! The script is `wait-for.sh` beside this file, embedded as it is, so what the tests run is what
//! the cluster runs. The security context passes the Pod Security "restricted" profile on its
//! own: non-root with a numeric user (65534, `nobody`, which every PostgreSQL image runs as
//! happily: the script writes no file and needs no home), no privilege escalation, every
//! capability dropped, a read-only root filesystem and the runtime's default seccomp profile.
//! `FallbackToLogsOnError` puts the script's last lines (the reason it gave up) into the pod's
//! status, where `kubectl describe` shows them.

use serde_json::{Value, json};

use super::env::Copied;
use super::spec::Entry;

/// The wait script (POSIX sh).
pub const SCRIPT: &str = include_str!("wait-for.sh");

/// The user id the init container runs as.
pub(super) const RUN_AS_USER: u64 = 65534;

/// The init container for `entry`, with `image` and the env `copied` from the app container.
pub(super) fn build(entry: &Entry, image: &str, copied: &Copied) -> Value {
    let mut env = vec![
        json!({"name": "WAIT_CHECK", "value": entry.check.as_str()}),
        json!({"name": "WAIT_TIMEOUT", "value": entry.timeout.to_string()}),
    ];
    env.extend(copied.env.iter().cloned());
    let mut container = json!({
        "name": entry.name,
        "image": image,
        "command": ["/bin/sh", "-c", SCRIPT, entry.name],
    });
    if let Some(map) = container.as_object_mut() {
        if !copied.env_from.is_empty() {
            map.insert("envFrom".into(), Value::Array(copied.env_from.clone()));
        }
        map.insert("env".into(), Value::Array(env));
        map.insert(
            "resources".into(),
            json!({
                "requests": {"cpu": "10m", "memory": "32Mi"},
                "limits": {"cpu": "100m", "memory": "64Mi"},
            }),
        );
        map.insert(
            "securityContext".into(),
            json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": true,
                "runAsNonRoot": true,
                "runAsUser": RUN_AS_USER,
                "runAsGroup": RUN_AS_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            }),
        );
        map.insert(
            "terminationMessagePolicy".into(),
            Value::from("FallbackToLogsOnError"),
        );
    }
    container
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kubernetes expands `$(NAME)` and `$$` in `command`; the script must survive that.
    #[test]
    fn script_has_nothing_kubernetes_would_expand() {
        assert!(!SCRIPT.contains("$$"), "the script must not use $$");
        for reference in super::super::env::references(SCRIPT) {
            assert!(
                reference.contains(' ') || reference.starts_with('('),
                "$({reference}) could be expanded by Kubernetes as a variable"
            );
        }
    }

    #[test]
    fn script_writes_no_file() {
        assert!(
            !SCRIPT.contains("<<"),
            "here-documents need a writable /tmp"
        );
    }
}
