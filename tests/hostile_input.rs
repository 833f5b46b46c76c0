//! Hostile and broken manifest streams, fed to the real binary: each one is refused with exit 2,
//! nothing on stdout and a message that says what and where (and, for a breached limit, which
//! flag raises it), or, where the input is valid, passes within the limits. None may panic or
//! hang. Time and memory bounds are measured by `tools/hostile-bounds` (README, "Security"),
//! never asserted here.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs overhelm on raw bytes (the input may not be UTF-8), with no overlay from the
/// environment and the error log in a temporary folder.
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut cmd = Command::new(common::bin());
    cmd.args(args);
    feed(cmd, input)
}

/// Runs `cmd` (overhelm, or a shell that starts it) on `input`, as [`run`] says.
fn feed(mut cmd: Command, input: &[u8]) -> Output {
    let log = tempfile::tempdir().expect("log dir");
    let mut child = cmd
        .current_dir(common::root())
        .env_remove("OVERHELM_OVERLAY")
        .env_remove("HELM_PLUGIN_NAME")
        .env("OVERHELM_LOG", log.path().join("error.log"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn overhelm");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

/// Asserts the all-or-nothing error contract and that the message contains every `wanted` part.
fn assert_refused(case: &str, out: &Output, wanted: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{case}: {err}");
    assert!(out.stdout.is_empty(), "{case}: something on stdout");
    assert!(err.starts_with("overhelm: error: "), "{case}: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "{case}: one line, no snippet: {err}"
    );
    assert!(!err.contains("panicked"), "{case}: {err}");
    for part in wanted {
        assert!(err.contains(part), "{case}: want {part:?} in {err}");
    }
}

fn refused(case: &str, input: &[u8], wanted: &[&str]) {
    assert_refused(case, &run(&["render"], input), wanted);
}

const MIRRORS: &str = "tests/data/mirrors.yaml";

#[test]
fn each_kind_of_invalid_yaml_is_refused_with_its_position() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unclosed flow sequence",
            "kind: A\nx: [1, 2\n",
            &["document 1", "unclosed bracket '['", "line 2, column 4"],
        ),
        (
            "unclosed flow mapping",
            "{kind: A\n",
            &["unclosed bracket '{'", "line 1, column 1"],
        ),
        (
            "mismatched brackets",
            "kind: A\nx: [1, 2}\n",
            &["mismatched bracket '[' closed by '}'"],
        ),
        (
            "bad indentation",
            "kind: A\na:\n  b: 1\n c: 2\n",
            &["did not find expected key", "line 4, column 2"],
        ),
        (
            "mapping values not allowed",
            "kind: A\nx: a: b\n",
            &["mapping values are not allowed in this context", "line 2"],
        ),
        (
            "invalid escape",
            "kind: A\nx: \"a\\qb\"\n",
            &["unknown escape character", "line 2"],
        ),
        (
            "unexpected end in a quoted scalar",
            "kind: A\nx: \"abc",
            &["unclosed quote", "line 2, column 4"],
        ),
        (
            "unexpected end in a single-quoted scalar",
            "kind: A\nx: 'abc\n",
            &["unclosed quote"],
        ),
        (
            "block entry where a key belongs",
            "kind: A\na: b\n- c\n",
            &["did not find expected key", "line 3"],
        ),
        (
            "reserved indicator",
            "kind: A\n@a: b\n",
            &["unexpected character: `@'", "line 2, column 1"],
        ),
        (
            "unknown anchor",
            "kind: A\nx: *nowhere\n",
            &["alias references unknown anchor", "line 2"],
        ),
        (
            "unsupported YAML version",
            "%YAML 2.0\nkind: A\n",
            &["unsupported YAML major version"],
        ),
        (
            "tagged scalar that is not what its tag says",
            "kind: A\nx: !!int abc\n",
            &["invalid", "line 2"],
        ),
        (
            "invalid base64 in a !!binary scalar",
            "kind: A\nx: !!binary \"@@@\"\n",
            &["invalid !!binary base64"],
        ),
        (
            "a number JSON cannot hold",
            "kind: A\nx: .nan\n",
            &["not finite", "quote it"],
        ),
        (
            "two YAML documents in one chunk",
            "kind: A\n...\nkind: B\n",
            &["holds 2 YAML documents", "separate them with `---` lines"],
        ),
    ];
    for (case, input, wanted) in cases {
        refused(case, input.as_bytes(), wanted);
    }
}

#[test]
fn the_failing_document_is_named_among_valid_ones() {
    let input = "---\n# Source: demo/templates/a.yaml\nkind: ConfigMap\nmetadata: {name: a}\n---\n# Source: demo/templates/b.yaml\nkind: ConfigMap\nmetadata: {name: b\n";
    refused(
        "second document broken",
        input.as_bytes(),
        &["document 2 (from demo/templates/b.yaml): unclosed bracket '{'"],
    );
}

#[test]
fn a_document_that_is_not_an_object_is_refused() {
    let cases: &[(&str, &str, &str)] = &[
        ("scalar", "---\n# Source: c/t.yaml\nhello\n", "is a scalar"),
        ("number", "42\n", "is a scalar"),
        ("list", "- a\n- b\n", "is a list"),
        ("flow list", "[a, b]\n", "is a list"),
    ];
    for (case, input, what) in cases {
        refused(
            case,
            input.as_bytes(),
            &[
                what,
                "not a Kubernetes object (a mapping with apiVersion and kind)",
            ],
        );
    }
    // An explicit null is an empty document, as kubectl reads it: passed through.
    let out = run(&["render"], b"---\n~\n");
    assert!(out.status.success());
    assert_eq!(out.stdout, b"---\n~\n");
}

#[test]
fn a_workload_without_a_name_is_refused_where_the_registry_step_edits_it() {
    let input = "---\n# Source: demo/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {app: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx\n";
    let out = run(&["render", "-f", MIRRORS], input.as_bytes());
    assert_refused(
        "nameless Deployment",
        &out,
        &[
            "document 1 (Deployment/<no name>, from demo/templates/deploy.yaml): registry: the workload has no metadata.name",
        ],
    );
    // Without a step that edits it, the document passes as it came (Helm refuses it later).
    let out = run(&["render"], input.as_bytes());
    assert!(out.status.success());
    assert_eq!(out.stdout, input.as_bytes());
    // generateName is a name too.
    let named = input.replace("  labels: {app: web}", "  generateName: web-");
    let out = run(&["render", "-f", MIRRORS], named.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_image_that_is_not_a_string_is_refused() {
    let input =
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: app\n      image: 5\n";
    let out = run(&["render", "-f", MIRRORS], input.as_bytes());
    assert_refused(
        "numeric image",
        &out,
        &["(Pod/p): registry: containers[app].image is not a string"],
    );
}

#[test]
fn bytes_that_are_not_yaml_text_are_refused() {
    refused(
        "not UTF-8",
        b"---\nkind: A\n---\nkind: B\nx: \xff\xfe\n",
        &[
            "the manifest stream on stdin is not UTF-8: invalid byte at offset 27 (line 5, document 2)",
        ],
    );
    refused(
        "NUL byte",
        b"kind: A\nx: 1\x00\n",
        &["document 1", "unexpected character: `\\u{0}'", "line 2"],
    );
    refused(
        "control character in a comment-only document",
        b"---\n# Source: c/t.yaml\n---\n# a comment\x16\n",
        &["document 2", "unexpected character: `\\u{16}'"],
    );
    refused(
        "other control character",
        b"kind: A\nx: a\x1bb\n",
        &["unexpected character: `\\u{1b}'"],
    );
    refused(
        "byte-order mark starting a line inside a document",
        "kind: A\n\u{feff}x: 1\n".as_bytes(),
        &["a BOM must not appear inside a document at line 2, column 1"],
    );
    refused(
        "byte-order mark starting a value",
        "kind: A\nx: \u{feff}y\n".as_bytes(),
        &["a BOM must not appear inside a document at line 2, column 4"],
    );
    // Within a scalar U+FEFF is an ordinary (zero-width) character, for YAML and for goyaml.
    let input = "kind: A\nx: a\u{feff}b\n";
    let out = run(&["render"], input.as_bytes());
    assert_eq!(out.stdout, input.as_bytes());
}

#[test]
fn a_byte_order_mark_that_starts_the_stream_or_a_document_is_accepted() {
    // YAML allows a BOM before each document; goyaml (Kubernetes) skips it at column 0 too.
    let out = run(&["render"], "\u{feff}kind: A\n".as_bytes());
    assert_eq!(out.stdout, b"kind: A\n");
    let input = "kind: A\n---\n\u{feff}kind: B\n";
    let out = run(&["render"], input.as_bytes());
    assert!(out.status.success());
    assert_eq!(out.stdout, input.as_bytes());
}

#[test]
fn tabs_for_indentation_are_refused() {
    refused(
        "tab before a block entry",
        b"kind: A\nx:\n\t- 1\n",
        &[
            "tabs disallowed within this context (block indentation)",
            "line 3",
        ],
    );
    refused(
        "tab before a key",
        b"kind: A\nmetadata:\n\tname: x\n",
        &["document 1", "line 3"],
    );
}

#[test]
fn duplicate_keys_are_refused() {
    refused(
        "duplicate top-level key",
        b"kind: A\nkind: B\n",
        &[
            "duplicate key `kind` at line 2, column 1",
            "Kubernetes refuses duplicate keys too",
        ],
    );
    refused(
        "duplicate nested key",
        b"kind: A\nmetadata:\n  name: a\n  name: b\n",
        &["duplicate key `name`", "line 4"],
    );
}

/// "Billion laughs": nine levels of nine aliases each would expand to 387 million nodes.
fn alias_bomb() -> String {
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    let names: Vec<char> = "abcdefghi".chars().collect();
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    text
}

#[test]
fn an_alias_bomb_is_stopped_by_the_alias_limit() {
    refused(
        "billion laughs",
        alias_bomb().as_bytes(),
        &[
            "alias use is over the limit of 10000 aliases or 100000 nodes expanded from them",
            "raise --max-aliases",
        ],
    );
    // Raising the alias limit does not let it through: the node limit still holds.
    let out = run(
        &["render", "--max-aliases", "100000000"],
        alias_bomb().as_bytes(),
    );
    assert_refused(
        "billion laughs, aliases raised",
        &out,
        &["over the limit of 100000000 aliases or 1000000 nodes expanded from them"],
    );
}

#[test]
fn a_few_aliases_are_fine() {
    let input = "kind: A\nbase: &b {x: 1}\none: *b\ntwo: *b\n";
    let out = run(&["render"], input.as_bytes());
    assert!(out.status.success());
    assert_eq!(out.stdout, input.as_bytes());
}

#[test]
fn nesting_ten_thousand_deep_is_stopped_by_the_depth_limit() {
    let n = 10_000;
    let flow_seq = format!("kind: A\nx: {}{}\n", "[".repeat(n), "]".repeat(n));
    let flow_map = format!("kind: A\nx: {}1{}\n", "{a: ".repeat(n), "}".repeat(n));
    let compact_block_seq = format!("kind: A\nx:\n{}1\n", "- ".repeat(n));
    let mut block_map = String::from("kind: A\nx:\n");
    for i in 0..n {
        block_map.push_str(&" ".repeat(i + 1));
        block_map.push_str("a:\n");
    }
    for (case, input) in [
        ("flow sequences", &flow_seq),
        ("flow mappings", &flow_map),
        ("block sequences", &compact_block_seq),
        ("block mappings", &block_map),
    ] {
        refused(
            case,
            input.as_bytes(),
            &[
                "nesting depth is over the limit of 256",
                "raise it with --max-depth",
            ],
        );
    }
    // Raised to Kubernetes' own bound, as deep documents pass without exhausting the stack
    // (the document itself and `x` are two of the levels).
    let n = 9_998;
    let flow_seq = format!("kind: A\nx: {}{}\n", "[".repeat(n), "]".repeat(n));
    let flow_map = format!(
        "kind: A\nx: {}1{}\n",
        "{a: ".repeat(n - 1),
        "}".repeat(n - 1)
    );
    let compact_block_seq = format!("kind: A\nx:\n{}1\n", "- ".repeat(n));
    for input in [&flow_seq, &flow_map, &compact_block_seq] {
        let out = run(&["render", "--max-depth", "10000"], input.as_bytes());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, input.as_bytes());
    }
    let out = run(&["render", "--max-depth", "10001"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 10000"));
}

/// Runs overhelm as [`run`] does, under `ulimit -s` of `kib` KiB (the main thread's stack);
/// `None` where the shell may not set it.
#[cfg(target_os = "linux")]
fn run_with_stack(kib: u64, args: &[&str], input: &[u8]) -> Option<Output> {
    let script = r#"ulimit -s "$1" 2>/dev/null || exit 97; shift; exec "$@""#;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script, "sh", &kib.to_string()])
        .arg(common::bin())
        .args(args);
    let out = feed(cmd, input);
    (out.status.code() != Some(97)).then_some(out)
}

#[test]
#[cfg(target_os = "linux")]
fn the_main_thread_runs_a_command_only_when_its_stack_holds_the_deepest_document() {
    // Under a `ulimit -s` just large enough for --max-depth (`stack::needed`), the command runs
    // on the main thread: documents right at that depth, of the shapes that take the most stack
    // per level (flow collections, which only the full parser reads), must pass there without
    // a crash: rendered, rewritten, and compared by `diff`. One KiB less, the command gets its
    // own thread and passes too.
    for depth in [64usize, 256] {
        let n = depth - 2;
        let flow_seq = format!("kind: A\nx: {}{}\n", "[".repeat(n), "]".repeat(n));
        let flow_map = format!("kind: A\nx: {}1{}\n", "{a: ".repeat(n), "}".repeat(n));
        let workload = format!(
            "kind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{name: c, image: nginx}}]\nx: {}{}\n",
            "[".repeat(n - 1),
            "]".repeat(n - 1)
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let (old, new) = (dir.path().join("old.yaml"), dir.path().join("new.yaml"));
        std::fs::write(&old, &flow_map).expect("write old");
        std::fs::write(&new, flow_map.replace("1}", "2}")).expect("write new");
        let (old, new) = (old.to_str().expect("path"), new.to_str().expect("path"));
        let max_depth = depth.to_string();
        let needed = overhelm::stack::needed(depth) >> 10;
        for kib in [needed, needed - 1] {
            for (input, overlay) in [
                (&flow_seq, None),
                (&flow_map, None),
                (&workload, Some(MIRRORS)),
            ] {
                let mut args = vec!["render", "--max-depth", &max_depth];
                args.extend(overlay.map(|f| ["-f", f]).into_iter().flatten());
                let Some(out) = run_with_stack(kib, &args, input.as_bytes()) else {
                    eprintln!("skipped: the shell may not set `ulimit -s {kib}`");
                    return;
                };
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{args:?} at {kib} KiB: {err}");
                if overlay.is_none() {
                    assert_eq!(out.stdout, input.as_bytes());
                } else {
                    assert!(
                        String::from_utf8_lossy(&out.stdout)
                            .contains("image: harbor.example:8443/dockerhub-proxy/library/nginx"),
                        "{args:?}"
                    );
                }
            }
            if depth == 256 {
                let out = run_with_stack(kib, &["diff", old, new], b"").expect("ulimit");
                let err = String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(1), "diff at {kib} KiB: {err}");
            }
        }
    }
}

#[test]
fn deep_documents_in_a_large_stream_pass_on_every_core() {
    // Past 256 KiB documents are read, parsed and checked on worker threads: their stacks must
    // hold the deepest nesting --max-depth allows, as the main thread's does.
    let n = 9_998;
    let padding: String = (0..80)
        .map(|i| {
            format!(
                "---\nkind: ConfigMap\nmetadata:\n  name: pad{i}\ndata:\n  a: |\n{}",
                "    a line of padding, long enough to weigh something\n".repeat(80)
            )
        })
        .collect();
    let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
    for doc in [
        format!("---\nkind: ConfigMap\nmetadata: {{name: deep}}\nx: {deep}\n"),
        format!(
            "---\nkind: Pod\nmetadata: {{name: deep}}\nspec:\n  containers: [{{name: c, image: nginx}}]\nx: {deep}\n"
        ),
    ] {
        let input = format!("{padding}{doc}{padding}");
        for args in [
            &["render", "--max-depth", "10000"][..],
            &["render", "--max-depth", "10000", "-f", MIRRORS],
        ] {
            let out = run(args, input.as_bytes());
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn nesting_right_at_the_limit_is_rewritten_without_trouble() {
    // A workload 256 levels deep (the default limit) is parsed, changed and written again.
    let mut input = String::from(
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\nx: ",
    );
    input.push_str(&"[".repeat(253));
    input.push_str(&"]".repeat(253));
    input.push('\n');
    let out = run(&["render", "-f", MIRRORS], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("dockerhub-proxy/library/nginx"));
}

#[test]
fn a_100_mib_document_is_stopped_by_the_size_limit() {
    let mut input = String::with_capacity(100 << 20);
    input.push_str("---\n# Source: big/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: ");
    input.push_str(&"x".repeat((100 << 20) - input.len() - 1));
    input.push('\n');
    refused(
        "100 MiB",
        input.as_bytes(),
        &[
            "document 1 (from big/templates/cm.yaml): the document is 104857596 bytes, over the limit of 67108864",
            "raise it with --max-document-bytes",
        ],
    );
}

#[test]
fn each_limit_names_its_flag_when_set_low() {
    let many = format!("kind: A\nitems: [{}]\n", vec!["1"; 1000].join(", "));
    let out = run(&["render", "--max-nodes", "100"], many.as_bytes());
    assert_refused(
        "nodes",
        &out,
        &[
            "the number of YAML nodes is over the limit of 100",
            "raise it with --max-nodes",
        ],
    );
    let out = run(&["render", "--max-document-bytes", "10"], many.as_bytes());
    assert_refused(
        "bytes",
        &out,
        &["over the limit of 10", "--max-document-bytes"],
    );
    let out = run(&["render", "--max-depth", "1"], b"kind: A\nx: {y: 1}\n");
    assert_refused(
        "depth",
        &out,
        &["nesting depth is over the limit of 1", "--max-depth"],
    );
    let aliased = "kind: A\nx: &x 1\ny: [*x, *x, *x]\n";
    let out = run(&["render", "--max-aliases", "2"], aliased.as_bytes());
    assert_refused(
        "aliases",
        &out,
        &["alias use is over the limit of 2 aliases", "--max-aliases"],
    );
    // The same documents pass with the defaults.
    for input in [many.as_str(), "kind: A\nx: {y: 1}\n", aliased] {
        assert!(run(&["render"], input.as_bytes()).status.success());
    }
}

#[test]
fn a_hundred_thousand_tiny_documents_all_come_out() {
    let mut input = String::new();
    for i in 0..100_000 {
        input.push_str(&format!(
            "---\n# Source: c/templates/t{i}.yaml\nkind: ConfigMap\n"
        ));
    }
    let out = run(&["render", "-f", MIRRORS], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, input.as_bytes());
}

#[test]
fn an_empty_stdin_gives_a_separator() {
    for input in ["", "\n", "---\n", "# only a comment\n"] {
        let out = run(&["render", "-f", MIRRORS], input.as_bytes());
        assert!(out.status.success(), "{input:?}");
        assert!(out.stderr.is_empty(), "{input:?}");
        let want = if input.trim().is_empty() {
            "---\n"
        } else {
            input
        };
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{input:?}");
    }
}

#[test]
fn a_closed_stdout_exits_quietly() {
    let input = common::read("examples/backstage/helm3-input.yaml").repeat(50);
    let log = tempfile::tempdir().expect("log dir");
    let mut child = Command::new(common::bin())
        .args(["render", "-f", MIRRORS])
        .current_dir(common::root())
        .env_remove("OVERHELM_OVERLAY")
        .env("OVERHELM_LOG", log.path().join("error.log"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end before overhelm writes anything: its write fails with EPIPE.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!log.path().join("error.log").exists());
}

#[test]
fn a_rewrite_that_would_make_an_invalid_reference_is_refused() {
    // 230 characters is a valid name; under the mirror prefix it would pass 255.
    let repo = format!("team/{}", "a".repeat(225));
    let input = format!(
        "kind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: app\n      image: ghcr.io/{repo}:1\n"
    );
    let out = run(&["render", "-f", MIRRORS], input.as_bytes());
    assert_refused(
        "too long once mirrored",
        &out,
        &[
            "(Pod/p): registry: containers[app].image: rewriting \"ghcr.io/team/",
            "the name is longer than 255 characters",
        ],
    );
}

#[test]
fn lone_carriage_returns_do_not_hide_a_workload() {
    // YAML breaks lines at a lone CR: this is a Pod, though its first "line" is a comment.
    let input = "---\n# Source: c/pod.yaml\r\rkind: Pod\rmetadata: {name: p}\rspec: {containers: [{name: c, image: nginx}]}\r";
    let out = run(&["render", "-f", MIRRORS], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("image: harbor.example:8443/dockerhub-proxy/library/nginx"),
        "{text}"
    );
    // The header ends at the lone CR: the Pod is written once, and a second render keeps it.
    assert_eq!(text.matches("kind: Pod").count(), 1, "{text}");
    let again = run(&["render", "-f", MIRRORS], &out.stdout);
    assert_eq!(again.stdout, out.stdout);
}
