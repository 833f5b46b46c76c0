//! `overhelm diff`: the structural diff on real Backstage shapes (what Helm 3 and Helm 4 pipe
//! into a post-renderer for `examples/charts/backstage`), through the built binary.

mod common;

use common::{overhelm, read, stderr, stdout};

/// A Secret in the shape the Backstage chart's PostgreSQL expects, with canary values that must
/// never appear in any output.
fn secret(password_b64: &str, note: &str) -> String {
    format!(
        "---\n# Source: backstage/templates/postgres-secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: backstage-postgres-secret\n  namespace: \"backstage\"\ntype: Opaque\ndata:\n  password: {password_b64}\n  postgres-password: UE9TVEdSRVMtQ0FOQVJZ\nstringData:\n  note: |\n    {note}\n    second line\n"
    )
}

const OLD_CANARY: &str = "Q0FOQVJZLW9sZC1wYXNzd29yZA==";
const NEW_CANARY: &str = "Q0FOQVJZLW5ldy1wYXNzd29yZA==";

/// Runs `overhelm diff OLD NEW` on two streams written to temporary files.
fn diff(old: &str, new: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("old.yaml"), dir.path().join("new.yaml"));
    std::fs::write(&a, old).expect("write");
    std::fs::write(&b, new).expect("write");
    let mut args = vec![
        "diff",
        a.to_str().expect("utf-8"),
        b.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    overhelm(&args, "")
}

fn helm3() -> String {
    read("examples/backstage/helm3-input.yaml")
}

/// The structural part of the text output (before the unified diff).
fn structure(out: &str) -> &str {
    out.split("\n--- ").next().unwrap_or_default()
}

#[test]
fn reordered_documents_are_not_drift() {
    let input = helm3();
    let docs: Vec<&str> = input.split_inclusive("---\n").collect();
    // Every document starts with `---\n`; move each separator with the text that follows it.
    let mut parts: Vec<String> = input
        .split("---\n")
        .skip(1)
        .map(|d| format!("---\n{d}"))
        .collect();
    assert!(docs.len() > 3 && parts.len() > 3);
    parts.reverse();
    let out = diff(&input, &parts.concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "no differences: the same documents, in a different order\n"
    );
    // Helm 4 sends the same objects in another order, with an annotation on each: that is drift.
    let out = diff(&input, &read("examples/backstage/helm4-input.yaml"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("note: documents are in a different order\n"));
}

#[test]
fn changed_image_is_one_path() {
    let old = helm3();
    let new = old.replace(
        "image: ghcr.io/backstage/backstage:latest",
        "image: ghcr.io/backstage/backstage:1.35.0",
    );
    let out = diff(&old, &new, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        structure(&text),
        "~ apps/v1 Deployment backstage/backstage\n    ~ spec.template.spec.containers[name=backstage-backend].image: ghcr.io/backstage/backstage:latest -> ghcr.io/backstage/backstage:1.35.0"
    );
    assert!(text.contains("-          image: ghcr.io/backstage/backstage:latest\n+          image: ghcr.io/backstage/backstage:1.35.0\n"), "{text}");
}

#[test]
fn added_env_var_is_one_keyed_entry() {
    let old = helm3();
    let anchor =
        "            - name: APP_CONFIG_backend_listen_port\n              value: \"7007\"\n";
    assert_eq!(old.matches(anchor).count(), 1);
    let new = old.replace(
        anchor,
        &format!("{anchor}            - name: LOG_LEVEL\n              value: debug\n"),
    );
    let out = diff(&old, &new, &[]);
    assert_eq!(out.status.code(), Some(1));
    // The chart repeats POSTGRES_* env names; they pair by occurrence, so nothing else shows.
    assert_eq!(
        structure(&stdout(&out)),
        "~ apps/v1 Deployment backstage/backstage\n    + spec.template.spec.containers[name=backstage-backend].env[name=LOG_LEVEL]: {\"name\":\"LOG_LEVEL\",\"value\":\"debug\"}"
    );
}

#[test]
fn removed_document() {
    let old = helm3();
    let start = old
        .find("---\n# Source: backstage/templates/service.yaml")
        .unwrap();
    let end = start + 4 + old[start + 4..].find("---\n").unwrap();
    let new = format!("{}{}", &old[..start], &old[end..]);
    let out = diff(&old, &new, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        structure(&stdout(&out)),
        "- v1 Service backstage/backstage (document 4)"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&diff(&old, &new, &["--format", "json"]).stdout).unwrap();
    assert_eq!(json["drift"], true);
    assert_eq!(json["documents"][0]["change"], "removed");
    assert_eq!(
        json["documents"][0]["old"]["origin"],
        "backstage/templates/service.yaml"
    );
    assert_eq!(json["documents"][0]["id"]["kind"], "Service");
}

#[test]
fn duplicate_ids_pair_in_order() {
    // Helm 4 can send two documents with one id (a hook and its template, say).
    let helm4 = read("examples/backstage/helm4-input.yaml");
    let start = helm4.find("---\napiVersion: v1\nkind: ConfigMap").unwrap();
    let end = start + 4 + helm4[start + 4..].find("---\n").unwrap();
    let config_map = &helm4[start..end];
    let old = format!("{helm4}{config_map}");
    let changed = config_map.replace("title: minicloud platform", "title: minicloud");
    let new = format!("{helm4}{changed}");
    let out = diff(&old, &new, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        structure(&text).starts_with("~ v1 ConfigMap backstage/backstage-app-config\n    ~ data[\"app-config.yaml\"]: text changed\n"),
        "{text}"
    );
    assert!(
        text.contains("-      title: minicloud platform\n"),
        "{text}"
    );
    // One copy gone: the second is the one removed, named by its position.
    let out = diff(&old, &helm4, &[]);
    assert_eq!(
        structure(&stdout(&out)),
        "- v1 ConfigMap backstage/backstage-app-config (document 7)"
    );
}

#[test]
fn changed_secret_is_masked_everywhere() {
    let base = helm3();
    let old = format!("{base}{}", secret(OLD_CANARY, "CANARY-note-old"));
    let new = format!("{base}{}", secret(NEW_CANARY, "CANARY-note-new"));
    let text_out = diff(&old, &new, &[]);
    let json_out = diff(&old, &new, &["--format", "json"]);
    let added = diff(&base, &new, &[]);
    for out in [&text_out, &json_out, &added] {
        assert_eq!(out.status.code(), Some(1));
        let all = format!("{}{}", stdout(out), stderr(out));
        for canary in [OLD_CANARY, NEW_CANARY, "CANARY", "UE9TVEdSRVMtQ0FOQVJZ"] {
            assert!(!all.contains(canary), "{canary} leaked:\n{all}");
        }
    }
    let text = stdout(&text_out);
    assert_eq!(
        structure(&text),
        "~ v1 Secret backstage/backstage-postgres-secret\n    ~ data.password: changed (Secret value, masked)\n    ~ stringData.note: changed (Secret value, masked)"
    );
    assert!(
        text.contains("-  password: <masked>\n+  password: <masked>\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let path = &json["documents"][0]["paths"][0];
    assert_eq!(path["masked"], true);
    assert!(path.get("old").is_none() && path.get("new").is_none());
    assert!(stdout(&added).contains("+  password: <masked>\n"));
}

#[test]
fn comment_only_change_is_drift_in_bytes() {
    let old = helm3();
    let new = old.replace(
        "            # Authentication\n",
        "            # Authentication (bn_backstage)\n",
    );
    assert_ne!(old, new);
    let out = diff(&old, &new, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(
        structure(&text),
        "~ apps/v1 StatefulSet backstage/backstage-postgresql: text only (comments, formatting or key order; the values are equal)"
    );
    assert!(
        text.contains("+            # Authentication (bn_backstage)\n"),
        "{text}"
    );
}

#[test]
fn identical_streams_and_stdin() {
    let input = helm3();
    let out = overhelm(
        &["diff", "examples/backstage/helm3-input.yaml", "-"],
        &input,
    );
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), String::new()));
    let out = overhelm(&["diff", "-", "-"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only one of OLD and NEW can be `-`"));
    let out = overhelm(&["diff", "missing.yaml", "-"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = overhelm(
        &["diff", "-", "examples/backstage/helm3-input.yaml"],
        "kind: [\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("stdin: document 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_colour_when_not_a_terminal() {
    let old = helm3();
    let new = old.replace("replicas: 1", "replicas: 2");
    let out = diff(&old, &new, &[]);
    assert!(!stdout(&out).contains('\x1b'));
}
