//! `fromEnv` as the kubelet reads env: table tests on single containers.

use serde_json::{Value, json};

use super::*;
use crate::steps::wait_for::sources::KnownSources;
use crate::steps::wait_for::spec::{Field, Source};
use crate::stream::Stream;
use crate::yaml::Limits;

fn field(env: &'static str, source: Source) -> Field {
    Field {
        env,
        key: format!("waitFor[0].x.{env}"),
        source,
    }
}

fn from_env(env: &'static str, var: &str) -> Field {
    field(env, Source::FromEnv(var.into()))
}

/// Copies `fields` from `container`, with the ConfigMaps/Secrets of `stream` known.
fn copy_from(container: Value, stream: &str, fields: &[Field]) -> Result<Copied, Missing> {
    let limits = Limits::default();
    let stream = Stream::split(stream, &limits);
    let known = KnownSources::collect(&stream).unwrap();
    let app = AppEnv::new(&container, Some("ns"));
    copy(fields, Some(&app), &known)
}

#[test]
fn the_last_definition_wins() {
    let c = json!({"name": "app", "env": [
        {"name": "H", "value": "first"},
        {"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "a"}}},
        {"name": "H", "value": "last"},
        {"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "b"}}},
    ]});
    let copied = copy_from(
        c,
        "",
        &[from_env("PGHOST", "H"), from_env("PGPASSWORD", "P")],
    )
    .unwrap();
    assert_eq!(
        copied.env,
        [
            json!({"name": "PGHOST", "value": "last"}),
            json!({"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "b"}}}),
        ]
    );
    assert!(copied.env_from.is_empty());
    assert_eq!(
        copied.notes,
        ["PGHOST=H (value)", "PGPASSWORD=P (secret s key b)"]
    );
}

#[test]
fn env_from_sources_are_copied_and_read_through_expansion() {
    let stream = "kind: ConfigMap\nmetadata: {name: cm, namespace: ns}\ndata: {HOST: db}\n---\nkind: Secret\nmetadata: {name: known}\nstringData: {OTHER: x}\n";
    let c = json!({"name": "app", "envFrom": [
        {"configMapRef": {"name": "cm"}, "prefix": "DB_"},
        {"secretRef": {"name": "known"}},
        {"secretRef": {"name": "external", "optional": true}},
    ]});
    let copied = copy_from(
        c,
        stream,
        &[
            from_env("PGHOST", "DB_HOST"),
            from_env("PGPASSWORD", "PASS"),
        ],
    )
    .unwrap();
    // DB_HOST: the ConfigMap has HOST (with the prefix); `external` is not in the stream and may
    // have it too, so both are copied, in order. PASS: only `external` may have it.
    assert_eq!(
        copied.env_from,
        [
            json!({"configMapRef": {"name": "cm"}, "prefix": "DB_"}),
            json!({"secretRef": {"name": "external", "optional": true}}),
        ]
    );
    assert_eq!(
        copied.env,
        [
            json!({"name": "PGHOST", "value": "$(DB_HOST)"}),
            json!({"name": "PGPASSWORD", "value": "$(PASS)"}),
        ]
    );
    assert_eq!(
        copied.notes,
        ["PGHOST=DB_HOST (envFrom)", "PGPASSWORD=PASS (envFrom)"]
    );
}

#[test]
fn a_variable_of_the_same_name_comes_with_its_source() {
    let c = json!({"name": "app", "envFrom": [{"secretRef": {"name": "creds"}}]});
    let copied = copy_from(c, "", &[from_env("PGUSER", "PGUSER")]).unwrap();
    assert_eq!(copied.env_from, [json!({"secretRef": {"name": "creds"}})]);
    assert!(copied.env.is_empty());
}

#[test]
fn env_overrides_env_from() {
    let c = json!({"name": "app", "envFrom": [{"secretRef": {"name": "x"}}], "env": [{"name": "H", "value": "h"}]});
    let copied = copy_from(c, "", &[from_env("PGHOST", "H")]).unwrap();
    assert!(copied.env_from.is_empty());
    assert_eq!(copied.env, [json!({"name": "PGHOST", "value": "h"})]);
}

#[test]
fn a_variable_no_source_has_is_missing() {
    let stream = "kind: ConfigMap\nmetadata: {name: cm}\ndata: {OTHER: x}\n";
    let c = json!({"name": "app", "envFrom": [{"configMapRef": {"name": "cm"}}], "env": [{"name": "A", "value": "a"}]});
    let app = AppEnv::new(&c, None);
    assert_eq!(app.describe(), "its env: A; envFrom: ConfigMap cm");
    let err = copy_from(c, stream, &[from_env("PGHOST", "H")]).unwrap_err();
    assert_eq!(
        err,
        Missing {
            key: "waitFor[0].x.PGHOST".into(),
            var: "H".into()
        }
    );
    // A ConfigMap of the same name in another namespace says nothing about this one.
    let other_ns = "kind: ConfigMap\nmetadata: {name: cm, namespace: other}\ndata: {OTHER: x}\n";
    let c = json!({"name": "app", "envFrom": [{"configMapRef": {"name": "cm"}}]});
    assert!(copy_from(c, other_ns, &[from_env("PGHOST", "H")]).is_ok());
}

#[test]
fn references_of_a_value_are_copied_first_as_defined_before_it() {
    let c = json!({"name": "app", "envFrom": [{"secretRef": {"name": "ext"}}], "env": [
        {"name": "SUFFIX", "value": "late"},
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "BASE", "value": "db.$(NS)"},
        {"name": "H", "value": "$(BASE).svc$(SUFFIX)$$(LITERAL)$(FROM_SECRET)$(BACKSTAGE_SERVICE_HOST)"},
        {"name": "SUFFIX", "value": "never seen by H"},
    ]});
    let copied = copy_from(c, "", &[from_env("PGHOST", "H")]).unwrap();
    assert_eq!(
        copied.env,
        [
            json!({"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}),
            json!({"name": "BASE", "value": "db.$(NS)"}),
            json!({"name": "SUFFIX", "value": "late"}),
            json!({"name": "PGHOST", "value": "$(BASE).svc$(SUFFIX)$$(LITERAL)$(FROM_SECRET)$(BACKSTAGE_SERVICE_HOST)"}),
        ]
    );
    assert_eq!(copied.env_from, [json!({"secretRef": {"name": "ext"}})]);
}

#[test]
fn resource_field_refs_point_at_the_app_container() {
    let c = json!({"name": "app", "env": [{"name": "P", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}]});
    let copied = copy_from(c, "", &[from_env("WAIT_PORT", "P")]).unwrap();
    assert_eq!(
        copied.env,
        [
            json!({"name": "WAIT_PORT", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "containerName": "app"}}})
        ]
    );
}

#[test]
fn literals_are_escaped_and_a_literal_password_is_not_in_the_notes() {
    let c = json!({"name": "app"});
    let copied = copy_from(
        c,
        "",
        &[
            field("PGHOST", Source::Literal("db".into())),
            field("PGPASSWORD", Source::Literal("a$(b)".into())),
        ],
    )
    .unwrap();
    assert_eq!(
        copied.env,
        [
            json!({"name": "PGHOST", "value": "db"}),
            json!({"name": "PGPASSWORD", "value": "a$$(b)"})
        ]
    );
    assert_eq!(
        copied.notes,
        ["PGHOST=\"db\"", "PGPASSWORD=literal (hidden)"]
    );
}

#[test]
fn expansion_syntax() {
    for (text, refs) in [
        ("plain", vec![]),
        ("$(A)", vec!["A"]),
        ("x$(A)y$(B)", vec!["A", "B"]),
        ("$$(A)", vec![]),
        ("$$$(A)", vec!["A"]),
        ("$(A", vec![]),
        ("$A $", vec![]),
        ("$((n + 1))", vec!["(n + 1"]),
    ] {
        assert_eq!(references(text), refs, "{text}");
    }
    for (text, escaped) in [
        ("plain", "plain"),
        ("a$b", "a$b"),
        ("a$(b)", "a$$(b)"),
        ("$$", "$$$"),
        ("$$(", "$$$$("),
        ("end$", "end$"),
    ] {
        assert_eq!(escape(text), escaped, "{text}");
    }
}

/// Kubernetes' expansion where every variable is defined (as `<NAME>`), so that any reference
/// an escape missed would show.
fn expand_all(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(next) = after.strip_prefix('$') {
            out.push('$');
            rest = next;
        } else if let Some((name, next)) = after.strip_prefix('(').and_then(|o| o.split_once(')')) {
            out.push_str(&format!("<{name}>"));
            rest = next;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out + rest
}

proptest::proptest! {
    #[test]
    fn an_escaped_literal_expands_to_itself(text in "[$()ab]{0,12}") {
        proptest::prop_assert_eq!(expand_all(&escape(&text)), text);
    }
}
