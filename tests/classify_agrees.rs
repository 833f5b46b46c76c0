//! The cheap `kind` scan (`stream::scan`) against a full parse, on generated documents built from
//! the lines that can fool a line-based reader: block scalars and nested mappings that contain
//! `kind:` lines, quoted values that run over several lines, flow collections, anchors, aliases,
//! tags, merge keys, quoted and complex keys, comments, tabs, CRLF and a repeated `kind`.
//!
//! Whenever the scan answers (`Empty` or `Kind`), a full parse that succeeds must agree: the same
//! kind (or none), and an object. `Unsure` is always allowed; invalid YAML is left to the parser.

use overhelm::stream::{Scan, scan};
use overhelm::yaml::{Limits, parse};
use proptest::prelude::*;
use serde_json::Value;

fn kind_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Deployment".to_string()),
        Just("ConfigMap".to_string()),
        Just("List".to_string()),
        Just("Yes".to_string()),
        Just("Off".to_string()),
        Just("Null".to_string()),
        "[A-Z][a-zA-Z0-9]{0,6}",
    ]
}

/// One top-level entry (one or more lines, each ending in `\n`).
fn entry() -> BoxedStrategy<String> {
    prop_oneof![
        // kind, in the forms the scan reads and the ones it must not misread
        kind_name().prop_map(|k| format!("kind: {k}\n")),
        kind_name().prop_map(|k| format!("kind: \"{k}\"\n")),
        kind_name().prop_map(|k| format!("kind: '{k}'  # the kind\n")),
        kind_name().prop_map(|k| format!("kind:\t{k}\n")),
        kind_name().prop_map(|k| format!("kind: !!str {k}\n")),
        kind_name().prop_map(|k| format!("kind: &k {k}\n")),
        kind_name().prop_map(|k| format!("\"kind\": {k}\n")),
        kind_name().prop_map(|k| format!("kind:{k}\n")),
        kind_name().prop_map(|k| format!("kind: {k}-x\n")),
        kind_name().prop_map(|k| format!("kind: {k} {k}\n")),
        kind_name().prop_map(|k| format!("kind: {k}\n  continued\n")),
        Just("kind: 5\n".to_string()),
        Just("kind:\n".to_string()),
        Just("kind: ~\n".to_string()),
        // places where `kind:` is content, not a key
        kind_name().prop_map(|k| format!("data:\n  a: |\n    kind: {k}\n\n  b: x\n")),
        kind_name().prop_map(|k| format!("spec:\n  kind: {k}\n")),
        kind_name().prop_map(|k| format!("note: >\n  folded\n  kind: {k}\n")),
        kind_name().prop_map(|k| format!("text: \"open\nkind: {k}\"\n")),
        kind_name().prop_map(|k| format!("text: 'open\nkind: {k}'\n")),
        kind_name().prop_map(|k| format!("list: [a,\nkind: {k}]\n")),
        kind_name().prop_map(|k| format!("map: {{a: 1,\nkind: {k}}}\n")),
        kind_name().prop_map(|k| format!("plain: multi\n  kind: {k}\n")),
        kind_name().prop_map(|k| format!("# kind: {k}\n")),
        // ordinary and unusual top-level entries
        Just("apiVersion: v1\n".to_string()),
        Just("metadata:\n  name: x\n  labels: {a: b}\n".to_string()),
        Just("items:\n- a\n- b: c\n".to_string()),
        Just("empty: []\n".to_string()),
        Just("obj: {}  # none\n".to_string()),
        Just("quoted: \"a # not a comment\" # a comment\n".to_string()),
        Just("escaped: \"a\\\"b\"\n".to_string()),
        Just("single: 'it''s'\n".to_string()),
        Just("base: &b {x: 1}\n".to_string()),
        Just("<<: *b\n".to_string()),
        Just("? complex\n: key\n".to_string()),
        Just("- top\n".to_string()),
        Just("  indented: x\n".to_string()),
        Just("\n".to_string()),
        Just("# comment\n".to_string()),
        kind_name().prop_map(|k| format!("# old Mac line end\rkind: {k}\n")),
        Just("...\n".to_string()),
        Just("key_with.dots/and-dash: v\n".to_string()),
        Just("url: http://example.com:80/a\n".to_string()),
    ]
    .boxed()
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(entry(), 0..7),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(entries, crlf, source)| {
            let mut text = if source {
                "# Source: chart/templates/x.yaml\n".to_string()
            } else {
                String::new()
            };
            text.push_str(&entries.concat());
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text
        })
}

fn check(body: &str) -> Result<(), TestCaseError> {
    let answer = scan(body);
    if answer == Scan::Unsure {
        return Ok(());
    }
    let Ok(docs) = parse(body, &Limits::default()) else {
        return Ok(());
    };
    let value = docs.first();
    match answer {
        Scan::Empty => prop_assert!(
            value.is_none_or(Value::is_null),
            "scan says empty, parse gives {value:?} for {body:?}"
        ),
        Scan::Kind(kind) => {
            prop_assert_eq!(docs.len(), 1, "{:?}", body);
            let value = &docs[0];
            prop_assert!(
                value.is_object(),
                "scan read a kind from a non-object {:?}",
                body
            );
            prop_assert_eq!(
                value.get("kind").and_then(Value::as_str),
                kind,
                "scan and parse disagree on {:?}",
                body
            );
        }
        Scan::Unsure => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn every_sure_answer_of_the_scan_equals_a_full_parse(body in document()) {
        check(&body)?;
    }
}

#[test]
fn the_generator_reaches_every_answer() {
    // Guards the property against a generator that only ever makes the scan say Unsure.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut empty, mut kind, mut none, mut unsure) = (0, 0, 0, 0);
    for _ in 0..2000 {
        let body = document().new_tree(&mut runner).expect("tree").current();
        match scan(&body) {
            Scan::Empty => empty += 1,
            Scan::Kind(Some(_)) => kind += 1,
            Scan::Kind(None) => none += 1,
            Scan::Unsure => unsure += 1,
        }
    }
    assert!(
        empty > 10 && kind > 50 && none > 50 && unsure > 100,
        "{empty} {kind} {none} {unsure}"
    );
}
