//! The fast paths of a render must never change its answer. Property tests over generated,
//! Helm-like and deliberately broken YAML, against serde-saphyr alone (`yaml::parse_reference`):
//!
//! - the cheap kind scan (`stream::scan`), when sure, names the kind a full parse finds;
//! - the line check and the event check (`yaml::surely_valid`), when sure, are right: the
//!   document parses to one mapping or to nothing;
//! - the values built from lines and from parser events equal serde-saphyr's, and so does
//!   `yaml::parse`, which uses them;
//! - YAML written directly from a value (`yaml/emit.rs`) equals serde-saphyr's, byte for byte;
//! - `Stream::validate` (event checks on all cores) gives the error a plain loop of full
//!   parses gives, or none when it gives none.
//!
//! And, so that the properties are not vacuous, the fast paths do take the common shapes.

use overhelm::stream::{Scan, Stream, scan};
use overhelm::yaml::{self, Limits, RootKind, fast, parse, parse_reference, surely_valid};
use proptest::prelude::*;
use serde_json::Value;

/// Keys serde-saphyr reads as strings (quoted, bool-like and odd ones among them).
const KEYS: &[&str] = &[
    "name",
    "apiVersion",
    "metadata",
    "a",
    "b",
    "data",
    "image",
    "\"a\"",
    "'b'",
    "\"kind\"",
    "Kind",
    "\"\"",
    "''",
    "true",
    "y",
    "on",
    "a b",
    "a:b",
    "\"null\"",
    "é",
    "containers",
    "app.kubernetes.io/name",
    "env",
    "value",
    "port",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "spec",
    "template",
    "labels",
    "x-y",
    "_z",
    "\"1\"",
    "'01'",
    "k.8",
];

/// Keys serde-saphyr refuses or compares by value: null-like, numbers, merge, complex.
const ODD_KEYS: &[&str] = &[
    "kind", "1", "01", "0x1", "-1", "1.5", "null", "Null", "~", "<<", ".x", "? x", "[a]", "{a: b}",
    "&k a", "!!str k",
];

fn key() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        12 => prop::sample::select(KEYS),
        1 => prop::sample::select(ODD_KEYS),
    ]
}

/// Scalars, including every plain spelling that reads as something other than a string.
const SCALARS: &[&str] = &[
    "x",
    "nginx:1.27",
    "ConfigMap",
    "Deployment",
    "true",
    "Yes",
    "on",
    "y",
    "N",
    "off",
    "~",
    "null",
    "NULL",
    "nULL",
    "",
    "0",
    "8080",
    "-3",
    "-0",
    "+5",
    "0755",
    "08",
    "1.5",
    "-1.5",
    "01.5",
    "0.0",
    "1e3",
    "1e-5",
    "+.nan",
    ".5",
    "-.5",
    "0x1F",
    "0X1F",
    "0o17",
    "0b101",
    "0xfg",
    "-0x1f",
    "1_000",
    "15ed626914296c07f26b4776913e4de2e0c53cb83da9c2a90ed42f1a3d4cbf37",
    "8d3f",
    "1d",
    "12f",
    "0e5",
    "1e5x",
    "1E5",
    "-1ea",
    "3e-b",
    "1_0e5",
    "9b",
    "12:30:00",
    "2001-12-14",
    "10.0.0.1",
    "100m",
    "128Mi",
    "inf",
    "-inf",
    "1.2.3",
    "v1.2",
    "..",
    ".",
    "-",
    "9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "a #b",
    "a#b",
    "#c",
    "\"quoted\"",
    "\"esc \\\" \\n \\t \\u00e9\"",
    "'it''s'",
    "[a, b]",
    "[]",
    "{}",
    "{a: 1}",
    "[a, [b, {c: d}]]",
    "ünïcode",
    "a\tb",
    "\"multi\n  line\"",
    "plain\n  continued",
    "http://x:80/y",
    "a - b",
    "@x",
    "[a,b]",
    "[ a ]",
    "[a, ]",
    "{a: 1, b: [c]}",
    "[\"x\", 'y']",
    "{\"k\": v}",
    "[a, 1e3]",
    "[.inf]",
    "{a: 1, a: 2}",
    "[\"\"]",
    "{a: b}  # c",
    "\"q\"  # c",
    "'' ",
    "x:y",
    "a,b",
    "{a: }",
    "[*]",
    "{kind: X}",
    "\"t\\tn\\nq\\\"s\\/b\\\\\"",
    "\"\\0\\a\\b\\e\\f\\v\\r\\N\\_\\L\\P\\ x\"",
    "'a''b'''",
    "\"a'b\"",
];

/// Scalars that are invalid, or valid only with features the fast paths leave alone.
const ODD_SCALARS: &[&str] = &[
    "a: b",
    "\"bad \\q\"",
    "'open",
    "\"open",
    "{a: 1, a: 2}",
    "&anc x",
    "*anc",
    "!!str 1",
    "!!binary aGk=",
    "!custom x",
    "!!int x",
    "|",
    ">-",
    "- x",
    "? x",
    "%x",
    "`x`",
    "[a,",
    "{a: [}",
    "\"\\x4\"",
    "'a'b",
    "1E400",
    ".inf",
    "-.inf",
    ".nan",
    ".NaN",
    "+.inf",
];

/// Lines of block scalars: text, and spaces beyond (or, negative, short of) the content's
/// indentation; blank lines with and without spaces.
const BLOCK_LINES: &[(&str, i8)] = &[
    ("line", 0),
    ("line two: x", 0),
    ("deeper", 2),
    ("", 0),
    ("", 3),
    ("", -1),
    ("---", 0),
    ("# not a comment", 0),
    ("kind: Fake", 0),
    ("...", 0),
    ("- item", 0),
    ("less", -1),
    ("much less", -2),
    ("\"q\" 'q'", 0),
    ("ünï", 1),
    ("x\ty", 0),
    ("# after", -2),
];

/// One node of a generated document, with a style seed for how it is written.
#[derive(Debug, Clone)]
enum Node {
    Scalar(&'static str),
    Block(&'static str, Vec<(&'static str, i8)>),
    Map(Vec<(&'static str, Node)>, u8),
    Seq(Vec<Node>, u8),
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        10 => prop::sample::select(SCALARS).prop_map(Node::Scalar),
        1 => prop::sample::select(ODD_SCALARS).prop_map(Node::Scalar),
        2 => (
            prop::sample::select(&["|", "|-", "|+", ">", ">-", "|2", "|-2", "| # c", "|x"][..]),
            prop::collection::vec(prop::sample::select(BLOCK_LINES), 0..5),
        )
            .prop_map(|(h, lines)| Node::Block(h, lines)),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            3 => (prop::collection::vec((key(), inner.clone()), 0..6), any::<u8>())
                .prop_map(|(entries, style)| Node::Map(entries, style)),
            1 => (prop::collection::vec(inner, 0..4), any::<u8>())
                .prop_map(|(items, style)| Node::Seq(items, style)),
        ]
    })
}

/// Writes `node` as block YAML whose lines start at `indent`, after a key or `-` (the node
/// starts on the current line). Style bits: indentation 2 or 4, a sequence at its key's
/// indentation, extra blanks after `-`, a trailing comment, two blanks after `:`.
fn render(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Scalar(s) => {
            out.push(' ');
            out.push_str(s);
            out.push('\n');
        }
        Node::Block(header, lines) => {
            out.push(' ');
            out.push_str(header);
            out.push('\n');
            for (line, extra) in lines {
                let spaces = (indent as i64 + 2 + i64::from(*extra)).max(0) as usize;
                if !line.is_empty() || *extra > 0 {
                    out.push_str(&" ".repeat(spaces));
                }
                out.push_str(line);
                out.push('\n');
            }
        }
        Node::Map(entries, _) if entries.is_empty() => out.push_str(" {}\n"),
        Node::Seq(items, _) if items.is_empty() => out.push_str(" []\n"),
        Node::Map(entries, style) => {
            out.push('\n');
            let step = if style & 1 == 0 { 2 } else { 4 };
            for (key, value) in entries {
                out.push_str(&pad);
                out.push_str(key);
                out.push(':');
                if style & 16 != 0 && matches!(value, Node::Scalar(_)) {
                    out.push(' ');
                }
                let child = match value {
                    Node::Seq(_, s) if s & 2 != 0 => indent,
                    _ => indent + step,
                };
                render(value, child, out);
                if style & 8 != 0 && out.ends_with('\n') && matches!(value, Node::Scalar(_)) {
                    out.pop();
                    out.push_str(" # trailing\n");
                }
            }
        }
        Node::Seq(items, style) => {
            out.push('\n');
            for item in items {
                out.push_str(&pad);
                out.push('-');
                let extra = if style & 4 != 0 { 3 } else { 1 };
                match item {
                    // `- key: value` with the mapping on the dash's line.
                    Node::Map(entries, s) if !entries.is_empty() && style & 32 != 0 => {
                        let mut sub = String::new();
                        render(
                            &Node::Map(entries.clone(), *s),
                            indent + 1 + extra,
                            &mut sub,
                        );
                        out.push_str(&" ".repeat(extra));
                        out.push_str(sub.trim_start_matches('\n').trim_start_matches(' '));
                    }
                    _ => render(item, indent + 2, out),
                }
            }
        }
    }
}

/// A document: a top-level mapping (usually with `kind`), a leading comment, then mutations
/// that break it in the ways real files break (indentation, a stray or repeated line, a byte,
/// comment and blank lines anywhere).
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((key(), node()), 0..6),
        prop::sample::select(&["Deployment", "ConfigMap", "\"Secret\"", "List", "a b", ""][..]),
        any::<bool>(),
        any::<u8>(),
        prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec((any::<prop::sample::Index>(), 0u8..10, any::<u8>()), 1..3),
        ],
    )
        .prop_map(|(entries, kind, comment, style, mutations)| {
            let mut text = String::new();
            if comment {
                text.push_str("# Source: chart/templates/x.yaml\n");
            }
            let mut root = vec![("kind", Node::Scalar(kind))];
            root.extend(entries);
            let mut body = String::new();
            render(&Node::Map(root, style), 0, &mut body);
            text.push_str(body.trim_start_matches('\n'));
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            for (at, what, byte) in mutations {
                if lines.is_empty() {
                    break;
                }
                let i = at.index(lines.len());
                let spaces = " ".repeat(byte as usize % 7);
                match what {
                    0 => lines[i] = format!(" {}", lines[i]),
                    1 => lines[i] = lines[i].trim_start().to_string(),
                    2 => {
                        let line = lines[i].clone();
                        lines.insert(i, line);
                    }
                    3 => {
                        lines.remove(i);
                    }
                    4 => lines.insert(i, SCALARS[byte as usize % SCALARS.len()].to_string()),
                    5 => lines.insert(i, format!("{spaces}# a comment")),
                    6 => lines.insert(i, spaces),
                    7 => lines[i].push_str(" # c"),
                    8 => lines[i].push_str("  "),
                    _ => {
                        let line = &mut lines[i];
                        let at = (byte as usize) % (line.len() + 1);
                        if line.is_char_boundary(at) {
                            line.insert(at, b":# -\"'[{&*!|>\t"[byte as usize % 14] as char);
                        }
                    }
                }
            }
            lines.join("\n") + "\n"
        })
}

/// Strings serde-saphyr quotes for a reason, and ones it writes plain.
const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "on",
    "On",
    "y",
    "N",
    "yes",
    "null",
    "~",
    "true",
    "0755",
    "08",
    "1e3",
    "1_000",
    "0x1F",
    "0b101",
    "0o17",
    "12:30:00",
    "1:20",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    ".inf",
    "-.INF",
    ".nan",
    "nan",
    "inf",
    "+inf",
    "=",
    "<<",
    "-",
    "?",
    "- a",
    "? a",
    "-a",
    "?a",
    ":a",
    "a:",
    "a:b",
    "a: b",
    "a #b",
    "a#b",
    "#a",
    "[a]",
    "{a}",
    "a,b",
    "*a",
    "&a",
    "!a",
    "|",
    ">",
    "'a'",
    "\"a\"",
    "%a",
    "@a",
    "`a`",
    "---",
    "--- a",
    "...",
    "...a",
    " lead",
    "trail ",
    "a\tb",
    "a\rb",
    "\u{7}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    "\u{fffe}",
    "é",
    "日本",
    "\\",
    "a\"b",
    "a'b",
    "http://x:80/y",
    "nginx:1.27",
    "100m",
    "128Mi",
    "10.0.0.1",
    "-3",
    "+5",
    "0",
    "1.5",
    ".5",
    "1.",
    "a\nb",
];

fn json_value() -> impl Strategy<Value = Value> {
    // Several lines (block scalars): leading spaces, empty lines, trailing spaces and tabs, line
    // breaks at the end, and now and then a character a block scalar cannot hold.
    let lines = (
        " {0,2}",
        prop::collection::vec("[ -~\t]{0,5}|[ -~\t\r\u{80}-\u{a0}\u{2028}]{0,3}", 1..4),
        "\n{0,3}",
    )
        .prop_map(|(lead, lines, trail)| format!("{lead}{}{trail}", lines.join("\n")));
    let string = prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(str::to_string),
        1 => "\\PC{0,6}",
        1 => "[ -~\t\r\u{80}-\u{a0}\u{2028}]{0,6}",
        1 => lines,
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        string.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((string.clone(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn limits() -> Limits {
    Limits::default()
}

proptest! {
    // 4000 cases each by default (a few seconds); PROPTEST_CASES=200000 for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(4000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn kind_scan_agrees_with_a_full_parse(doc in document()) {
        let Ok(docs) = parse_reference(&doc, &limits()) else { return Ok(()) };
        match scan(&doc) {
            Scan::Unsure => {}
            Scan::Empty => prop_assert!(docs.is_empty(), "{doc}"),
            Scan::Kind(kind) => {
                prop_assert_eq!(docs.len(), 1, "{}", doc);
                prop_assert!(docs[0].is_object(), "{}", doc);
                prop_assert_eq!(docs[0].get("kind").and_then(Value::as_str), kind, "{}", doc);
            }
        }
    }

    #[test]
    fn checks_are_right_when_sure(doc in document()) {
        let kind = fast::check_lines(&doc, &limits());
        let by_lines = kind.is_some();
        let by_events = fast::check_events(&doc, &limits());
        prop_assert_eq!(surely_valid(&doc, &limits()), by_lines || by_events);
        if by_lines || by_events {
            let docs = parse_reference(&doc, &limits());
            prop_assert!(docs.is_ok(), "lines {by_lines} events {by_events}\n{doc}\n{docs:?}");
            let docs = docs.unwrap_or_default();
            prop_assert!(docs.len() <= 1 && docs.iter().all(Value::is_object), "{doc}");
            let found = docs.first().and_then(|d| d.get("kind"));
            match kind {
                Some(RootKind::Empty) => prop_assert!(docs.is_empty(), "{doc}"),
                Some(RootKind::Absent) => {
                    prop_assert!(docs.len() == 1 && found.is_none(), "{doc}")
                }
                Some(RootKind::Name(k)) => prop_assert_eq!(found.and_then(Value::as_str), Some(k)),
                Some(RootKind::Other) => prop_assert!(found.is_some(), "{doc}"),
                None => {}
            }
        }
    }

    #[test]
    fn built_values_equal_serde_saphyr(doc in document()) {
        let built = [fast::build_lines(&doc, &limits()), fast::build_events(&doc, &limits())];
        for value in built.into_iter().flatten() {
            let want = parse_reference(&doc, &limits());
            prop_assert_eq!(Ok(value.into_iter().collect::<Vec<_>>()), want, "{}", doc);
        }
    }

    #[test]
    fn fast_parse_equals_serde_saphyr(doc in document()) {
        prop_assert_eq!(parse(&doc, &limits()), parse_reference(&doc, &limits()), "{}", doc);
    }

    #[test]
    fn emitted_yaml_equals_serde_saphyr(doc in document(), value in json_value()) {
        let mut values = parse_reference(&doc, &limits()).unwrap_or_default();
        values.push(serde_json::json!({"root": value.clone()}));
        values.push(value);
        for value in values {
            if let Some(text) = fast::emit(&value) {
                prop_assert_eq!(Ok(text), yaml::to_string(&value), "{:?}", value);
            }
        }
    }

    #[test]
    fn stream_validation_equals_a_loop_of_full_parses(
        docs in prop::collection::vec(document(), 1..6),
    ) {
        let input: String = docs.iter().map(|d| format!("---\n{d}")).collect();
        let limits = limits();
        let stream = Stream::split(&input, &limits);
        let expected = validate_by_loop(&Stream::split(&input, &limits));
        let got = stream.validate().map_err(|e| e.to_string());
        prop_assert_eq!(got, expected, "{}", input);
    }
}

/// `Stream::validate` as it was before the fast paths: every document parsed by serde-saphyr,
/// in order, the first failure is the error.
fn validate_by_loop(stream: &Stream<'_>) -> Result<(), String> {
    let limits = limits();
    for doc in stream.docs() {
        if scan(doc.raw()) == Scan::Empty {
            continue;
        }
        let docs = parse_reference(doc.raw(), &limits);
        match docs.as_deref() {
            Err(message) => return Err(format!("{}: {message}", doc.at())),
            Ok([]) | Ok([Value::Object(_)]) => {}
            Ok([other]) => {
                let what = match other {
                    Value::Array(_) => "a list",
                    Value::Null => "null",
                    _ => "a scalar",
                };
                return Err(format!(
                    "{}: is {what}, not a Kubernetes object (a mapping with apiVersion and kind)",
                    doc.at()
                ));
            }
            Ok(many) => {
                return Err(format!(
                    "{}: holds {} YAML documents separated by `...`; separate them with `---` lines",
                    doc.at(),
                    many.len()
                ));
            }
        }
    }
    Ok(())
}

/// A `checksum/config: {{ ... | sha256sum }}` annotation is often unquoted, and then a plain
/// scalar of hex digits that may start with a digit: the fast paths must know it is a string
/// (they once sent every such workload to serde-saphyr), and say so as serde-saphyr does.
#[test]
fn fast_paths_take_unquoted_checksums() {
    let limits = limits();
    for hash in [
        "15ed626914296c07f26b4776913e4de2e0c53cb83da9c2a90ed42f1a3d4cbf37",
        "8d3f0c2e4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "0cafe",
        "7e7f",
    ] {
        let doc =
            format!("kind: Deployment\nmetadata:\n  annotations:\n    checksum/config: {hash}\n");
        let fast = fast::build_lines(&doc, &limits).expect("the line path is sure");
        let reference = parse_reference(&doc, &limits).unwrap();
        assert_eq!(fast.into_iter().collect::<Vec<_>>(), reference, "{hash}");
        assert!(fast::check_lines(&doc, &limits).is_some(), "{hash}");
    }
}

/// The fast paths take what Helm charts emit: the bundled examples, document by document.
#[test]
fn fast_paths_take_real_chart_output() {
    let limits = limits();
    for file in ["helm3-input.yaml", "helm4-input.yaml"] {
        let path = format!("{}/examples/backstage/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let stream = Stream::split(&text, &limits);
        for doc in stream.docs() {
            let raw = doc.raw();
            assert!(fast::check_lines(raw, &limits).is_some(), "{file}:\n{raw}");
            assert!(fast::build_lines(raw, &limits).is_some(), "{file}:\n{raw}");
            assert!(fast::check_events(raw, &limits), "{file}:\n{raw}");
            assert_ne!(scan(raw), Scan::Unsure, "{file}:\n{raw}");
        }
    }
}

#[test]
#[ignore]
fn generator_stats() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::default();
    let (mut valid, mut sure, mut scan_sure, mut lines_sure, mut built, n) = (0, 0, 0, 0, 0, 3000);
    let mut errs = std::collections::BTreeMap::new();
    for _ in 0..n {
        let doc = document().new_tree(&mut runner).unwrap().current();
        let r = parse_reference(&doc, &limits());
        if let Err(e) = &r {
            let e: String = e.chars().take(40).collect();
            *errs.entry(e).or_insert(0) += 1;
        }
        let ok = r.is_ok_and(|d| d.len() <= 1 && d.iter().all(Value::is_object));
        valid += ok as usize;
        sure += surely_valid(&doc, &limits()) as usize;
        lines_sure += fast::check_lines(&doc, &limits()).is_some() as usize;
        built += fast::build_lines(&doc, &limits()).is_some() as usize;
        scan_sure += (scan(&doc) != Scan::Unsure) as usize;
    }
    eprintln!(
        "valid {valid} sure {sure} lines-sure {lines_sure} built {built} scan-sure {scan_sure} of {n}"
    );
    let mut errs: Vec<_> = errs.into_iter().collect();
    errs.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    eprintln!("{:#?}", &errs[..errs.len().min(12)]);
}

/// Every document of a corpus (`OVERHELM_CORPUS=bench/out/input-50M-helm3.yaml`, say) reads the
/// same by the fast paths as by serde-saphyr. By hand: `cargo test --release --test fast_paths
/// -- --ignored corpus`.
#[test]
#[ignore]
fn corpus_reads_the_same() {
    let Ok(path) = std::env::var("OVERHELM_CORPUS") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let limits = limits();
    let stream = Stream::split(&text, &limits);
    let (mut sure, mut by_lines, mut built) = (0, 0, 0);
    for doc in stream.docs() {
        let raw = doc.raw();
        assert_eq!(parse(raw, &limits), parse_reference(raw, &limits), "{raw}");
        sure += usize::from(surely_valid(raw, &limits));
        by_lines += usize::from(fast::check_lines(raw, &limits).is_some());
        built += usize::from(fast::build_lines(raw, &limits).is_some());
    }
    eprintln!(
        "{} documents: {sure} surely valid ({by_lines} by lines), {built} built from lines",
        stream.docs().len()
    );
}
