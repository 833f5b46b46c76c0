//! Broken overlay files, through the real binary: each is refused before any document is read,
//! with exit 2, nothing on stdout, the file and the overlay key (or line and column), and what to
//! do. Overlays are trusted input, but a typo in one must never turn into a silent no-op.

mod common;

use std::process::Output;

const INPUT: &str = "---\n# Source: demo/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/demo/app:1\n";

const HEAD: &str = "apiVersion: overhelm/v1\nkind: Overlay\n";

/// Renders `INPUT` with the overlay `text` (written to `overlay.yaml` in a temporary folder).
fn render_with(text: &[u8]) -> Output {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("overlay.yaml");
    std::fs::write(&file, text).expect("write overlay");
    common::overhelm(&["render", "-f", file.to_str().expect("path")], INPUT)
}

fn assert_refused(case: &str, out: &Output, wanted: &[&str]) {
    let err = common::stderr(out);
    assert_eq!(out.status.code(), Some(2), "{case}: {err}");
    assert!(out.stdout.is_empty(), "{case}: something on stdout");
    assert!(err.starts_with("overhelm: error: "), "{case}: {err}");
    assert!(!err.contains("panicked"), "{case}: {err}");
    for part in wanted {
        assert!(err.contains(part), "{case}: want {part:?} in {err}");
    }
}

fn refused(case: &str, body: &str, wanted: &[&str]) {
    assert_refused(
        case,
        &render_with(format!("{HEAD}{body}").as_bytes()),
        wanted,
    );
}

#[test]
fn unknown_keys_name_line_column_and_the_valid_keys() {
    refused(
        "top level",
        "registy: {}\n",
        &[
            "overlay.yaml: line 3 column 1: unknown field `registy`",
            "expected one of apiVersion, kind, metadata, registry, tls, waitFor, resources, patches, values",
        ],
    );
    refused(
        "in a patch",
        "patches:\n  - target: {kind: Deployment}\n    sett: {\"$.a\": 1}\n",
        &[
            "line 5 column 5: unknown field `sett`",
            "target, set, remove",
        ],
    );
    refused(
        "in a selector",
        "patches:\n  - target: {knd: Deployment}\n    set: {\"$.a\": 1}\n",
        &["unknown field `knd`", "kind, name, namespace, apiVersion"],
    );
    refused(
        "in a pin",
        "registry:\n  images:\n    - {name: nginx, tags: '1'}\n",
        &["unknown field `tags`", "name, tag, digest"],
    );
}

#[test]
fn wrong_types_name_line_and_column() {
    refused(
        "number for a list",
        "tls: 5\n",
        &["overlay.yaml: line 3 column 6: expected sequence start"],
    );
    refused(
        "list for a map",
        "registry: {mirrors: [ghcr.io]}\n",
        &["line 3 column 21: expected mapping start"],
    );
    refused(
        "map for a list",
        "patches: {target: {kind: Deployment}}\n",
        &["line 3 column 10: expected sequence start"],
    );
    refused(
        "number for a mirror prefix",
        "registry:\n  mirrors:\n    docker.io: 5\n",
        &[
            "overlay registry.mirrors.docker.io: \"5\" is not a mirror prefix (like harbor.example/ghcr-proxy)",
        ],
    );
    refused(
        "pin without tag or digest",
        "registry:\n  images: [{name: nginx}]\n",
        &["overlay registry.images[0]: a pin needs `tag:`, `digest:` or both"],
    );
}

#[test]
fn empty_and_comment_only_files_are_refused() {
    for text in ["", "\n  \n", "# nothing here yet\n\n# still nothing\n"] {
        assert_refused(
            text,
            &render_with(text.as_bytes()),
            &[
                "overlay.yaml: the file is empty; an overlay starts with `apiVersion: overhelm/v1` and `kind: Overlay`",
            ],
        );
    }
}

#[test]
fn a_file_that_is_not_an_overlay_is_refused() {
    assert_refused(
        "a ConfigMap",
        &render_with(b"apiVersion: v1\nkind: ConfigMap\n"),
        &[
            "apiVersion/kind is v1/ConfigMap; an overlay must say `apiVersion: overhelm/v1` and `kind: Overlay`",
        ],
    );
    assert_refused(
        "a list",
        &render_with(b"- a\n- b\n"),
        &["overlay.yaml: line 1 column 1"],
    );
}

#[test]
fn a_jsonpath_that_does_not_parse_names_its_key() {
    refused(
        "patches set",
        "patches:\n  - target: {kind: Deployment}\n    set: {\"$.spec[\": 1}\n",
        &["overlay patches[0].set[\"$.spec[\"]: \"$.spec[\" is not a JSONPath (RFC 9535) query"],
    );
    refused(
        "patches remove",
        "patches:\n  - target: {kind: Deployment}\n    remove: [spec.template]\n",
        &[
            "overlay patches[0].remove[\"spec.template\"]: \"spec.template\" is not a JSONPath (RFC 9535) query",
        ],
    );
    refused(
        "registry paths",
        "registry:\n  paths: [{kind: Deployment, path: \"$$.image\"}]\n",
        &["overlay registry.paths[0].path: \"$$.image\" is not a JSONPath (RFC 9535) query"],
    );
}

#[test]
fn a_mirror_onto_itself_or_into_a_loop_is_refused() {
    refused(
        "onto itself",
        "registry:\n  mirrors:\n    ghcr.io: ghcr.io/proxy\n",
        &[
            "overlay registry.mirrors.ghcr.io: the mirror ghcr.io/proxy is itself a mirrored registry, which would rewrite images in a loop",
        ],
    );
    refused(
        "a loop of two",
        "registry:\n  mirrors:\n    ghcr.io: quay.io/ghcr-proxy\n    quay.io: ghcr.io/quay-proxy\n",
        &[
            "overlay registry.mirrors.ghcr.io: the mirror quay.io/ghcr-proxy is itself a mirrored registry",
        ],
    );
    refused(
        "onto itself through an alias of Docker Hub",
        "registry:\n  mirrors:\n    docker.io: index.docker.io/proxy\n",
        &[
            "overlay registry.mirrors.docker.io: the mirror index.docker.io/proxy is itself a mirrored registry",
        ],
    );
    refused(
        "an upstream that is not a registry host",
        "registry:\n  mirrors:\n    backstage: harbor.example/proxy\n",
        &[
            "overlay registry.mirrors.backstage: \"backstage\" is not a registry host (like ghcr.io or registry.local:5000)",
        ],
    );
}

#[test]
fn broken_yaml_in_an_overlay_is_refused_with_its_position() {
    refused(
        "duplicate keys",
        "registry: {mirrors: {a.io: h.example/a}, mirrors: {b.io: h.example/b}}\n",
        &["line 3 column 42: duplicate mapping key: mirrors"],
    );
    let out = render_with(
        format!("{HEAD}registry: {{mirrors: {{a.io: h.example/a}}, mirrors: {{}}}}\n").as_bytes(),
    );
    assert!(!common::stderr(&out).contains("DuplicateKeyPolicy"));
    refused(
        "tab indentation",
        "registry:\n\tmirrors: {}\n",
        &["overlay.yaml: line 4"],
    );
    refused(
        "unclosed flow",
        "registry: {mirrors: {}\n",
        &["unclosed bracket '{'"],
    );
}

#[test]
fn an_alias_bomb_in_an_overlay_is_bounded() {
    // A patch value accepts anything: nine levels of nine aliases each, defined in order.
    let mut levels = vec![format!("&a [{}]", ["lol"; 9].join(", "))];
    let names: Vec<char> = "abcdefghi".chars().collect();
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(", ");
        levels.push(format!("&{} [{refs}]", pair[1]));
    }
    let body = format!(
        "patches:\n  - target: {{kind: Deployment}}\n    set: {{\"$.metadata.labels.x\": [{}]}}\n",
        levels.join(", ")
    );
    refused("billion laughs", &body, &["overlay.yaml", "budget"]);
}

#[test]
fn unreadable_files_are_refused_once_with_the_cause() {
    let out = render_with(b"apiVersion: overhelm/v1\nkind: Overlay\n\xff\n");
    assert_refused("not UTF-8", &out, &["reading overlay", "valid UTF-8"]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().to_str().expect("path").to_string();
    let out = common::overhelm(&["render", "-f", &path], INPUT);
    assert_refused("a directory", &out, &["reading overlay", "(os error 21)"]);
    assert_eq!(common::stderr(&out).matches("os error").count(), 1);
    let missing = format!("{path}/missing.yaml");
    let out = common::overhelm(&["render", "-f", &missing], INPUT);
    assert_refused(
        "missing",
        &out,
        &[
            "reading overlay",
            "missing.yaml: No such file or directory (os error 2)",
        ],
    );
    assert_eq!(common::stderr(&out).matches("os error").count(), 1);
}

#[test]
fn a_broken_later_layer_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.yaml");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &good,
        format!("{HEAD}registry:\n  mirrors: {{ghcr.io: h.example/g}}\n"),
    )
    .expect("write");
    std::fs::write(&bad, format!("{HEAD}registry:\n  mirrorz: {{}}\n")).expect("write");
    let out = common::overhelm(
        &[
            "render",
            "-f",
            good.to_str().expect("path"),
            "-f",
            bad.to_str().expect("path"),
        ],
        INPUT,
    );
    assert_refused(
        "second layer",
        &out,
        &["bad.yaml: line 4 column 3: unknown field `mirrorz`"],
    );
}

#[test]
fn a_selector_or_pin_that_matches_nothing_is_an_error_not_a_no_op() {
    refused(
        "patch target",
        "patches:\n  - target: {kind: Deployment, name: nope}\n    set: {\"$.a\": 1}\n",
        &[
            "overlay patches[0].target: {kind: Deployment, name: nope} matched no document in the stream",
        ],
    );
    refused(
        "pin",
        "registry:\n  images: [{name: ghcr.io/demo/other, tag: '2'}]\n",
        &["overlay registry.images[0]: ghcr.io/demo/other matched no image in the stream"],
    );
    refused(
        "custom path kind",
        "registry:\n  paths: [{kind: Prometheus, path: $.spec.image}]\n",
        &["overlay registry.paths[0]: no document of kind Prometheus in the stream"],
    );
}
