//! `overhelm values --catalog DIR`: the user's five catalog-info files checked the way
//! Backstage's catalog would, and each problem it reports.

mod common;

use std::path::Path;

use overhelm::overlay::Overlay;
use overhelm::values::catalog::{self, LocatedFile, check_files};
use overhelm::values::compile_overlay;
use serde_json::Value;

fn minicloud_values() -> Value {
    let overlay = Overlay::load(&[common::root().join("overlays/minicloud/backstage.yaml")])
        .expect("overlay");
    compile_overlay(&overlay).expect("compile").values
}

/// Values with the given kinds allowed and one location per file name (`<repo>.catalog-info.yaml`).
fn values(allow: &[&str], repos: &[&str]) -> Value {
    let locations: Vec<String> = repos
        .iter()
        .map(|r| format!("https://raw.githubusercontent.com/o/{r}/main/catalog-info.yaml"))
        .collect();
    let text = format!(
        "apiVersion: overhelm/v1\nkind: Overlay\nvalues:\n  chart: backstage\n  url: https://b.example\n  catalog:\n    allow: [{}]\n    locations: [{}]\n",
        allow.join(", "),
        locations.join(", ")
    );
    compile_overlay(&Overlay::parse(&text, "t.yaml").expect("overlay"))
        .expect("compile")
        .values
}

fn files(texts: &[&str]) -> Vec<LocatedFile> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| LocatedFile {
            location: i,
            file: format!("f{i}.yaml"),
            text: t.to_string(),
        })
        .collect()
}

const SYSTEM: &str =
    "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: sys}\nspec: {owner: team}\n";
const COMPONENT: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: comp}\nspec: {type: service, lifecycle: production, owner: team, system: sys}\n";
const GROUP: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team}\nspec: {type: team, children: []}\n";

#[test]
fn the_users_five_files_hold_one_system_and_five_components() {
    let report = catalog::check_dir(
        &minicloud_values(),
        &common::root().join("examples/backstage/catalog"),
    )
    .unwrap();
    assert!(
        report
            .summary
            .contains("5 location(s), 5 file(s), 6 entities (1 System, 5 Component)"),
        "{}",
        report.summary
    );
    assert!(
        report
            .summary
            .ends_with("spec.owner 0/6 resolved, spec.system 5/5 resolved"),
        "{}",
        report.summary
    );
    // The owner is a Group (a bare owner name means group:default/<name>) that is not in the
    // catalog, and the rules allow no Group: one warning naming every entity that refers to it.
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let w = &report.warnings[0];
    assert!(w.starts_with("catalog: spec.owner group:default/andrelair-platform of System/minicloud-platform, Component/minicloud-platform-docs, Component/minicloud-ansible, Component/minicloud-opentofu, Component/minicloud-gitops, Component/platform-demo does not resolve: the catalog rules allow no Group"), "{w}");
}

#[test]
fn locations_are_matched_by_repository_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.catalog-info.yaml"), "").unwrap();
    std::fs::create_dir_all(d.join("b/docs")).unwrap();
    std::fs::write(d.join("b/docs/catalog.yaml"), "").unwrap();
    let found = |t: &str| {
        catalog::local_file(d, t).map(|p| p.strip_prefix(d).unwrap().display().to_string())
    };
    assert_eq!(
        found("https://raw.githubusercontent.com/o/a/main/catalog-info.yaml").unwrap(),
        "a.catalog-info.yaml"
    );
    assert_eq!(
        found("https://github.com/o/a/blob/main/catalog-info.yaml").unwrap(),
        "a.catalog-info.yaml"
    );
    assert_eq!(
        found("https://gitlab.example/g/sub/b/-/blob/main/docs/catalog.yaml").unwrap(),
        "b/docs/catalog.yaml"
    );
    let err = found("https://raw.githubusercontent.com/o/c/main/catalog-info.yaml").unwrap_err();
    assert!(err.contains(": no local copy; put it at "), "{err}");
    assert!(err.contains("c.catalog-info.yaml or "), "{err}");
    let err = found("https://files.example/catalog.yaml").unwrap_err();
    assert!(err.contains("no repository name in the URL"), "{err}");
}

#[test]
fn a_complete_catalog_resolves_every_reference() {
    let v = values(&["Component", "System", "Group"], &["a", "b", "c"]);
    let report = check_files(&v, &files(&[SYSTEM, COMPONENT, GROUP])).unwrap();
    assert_eq!(
        report.summary,
        "catalog: 3 location(s), 3 file(s), 3 entities (1 System, 1 Component, 1 Group); spec.owner 2/2 resolved, spec.system 1/1 resolved"
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn a_missing_entity_of_an_allowed_kind_is_reported_as_not_found() {
    let v = values(&["Component", "Group"], &["a"]);
    let report = check_files(&v, &files(&[COMPONENT])).unwrap();
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].starts_with("catalog: spec.owner group:default/team of Component/comp does not resolve: it is not in these catalog files"), "{:?}", report.warnings);
    assert!(report.warnings[1].starts_with("catalog: spec.system system:default/sys of Component/comp does not resolve: the catalog rules allow no System"), "{:?}", report.warnings);
}

/// Each problem for which Backstage would refuse an entity, with its message.
#[test]
fn refused_entities_are_errors() {
    let v = values(&["Component", "System"], &["a", "b"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &[GROUP],
            "f0.yaml document 1 (Group/team): kind Group is not allowed by catalog.rules (allowed: component, system); Backstage would refuse the entity",
        ),
        (
            &[SYSTEM, SYSTEM],
            "f1.yaml document 1 (System/sys): system:default/sys is defined twice (also in f0.yaml document 1 (System/sys))",
        ),
        (
            &[
                "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: -sys}\nspec: {owner: o}\n",
            ],
            "f0.yaml document 1: metadata.name \"-sys\" is not a valid entity name",
        ),
        (
            &[
                "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: s, namespace: Prod}\nspec: {owner: o}\n",
            ],
            "f0.yaml document 1: metadata.namespace \"Prod\" is not a valid namespace",
        ),
        (
            &[
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c}\nspec: {type: service, owner: o}\n",
            ],
            "f0.yaml document 1: spec.lifecycle is required for kind Component",
        ),
        (
            &[
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: c}\nspec: {type: service, lifecycle: x, owner: o, dependsOn: [c2]}\n",
            ],
            "f0.yaml document 1 (Component/c): spec.dependsOn: \"c2\" is not an entity reference",
        ),
        (
            &["kind: System\nmetadata: {name: s}\n"],
            "f0.yaml document 1: an entity needs string `apiVersion`, `kind` and `metadata.name`",
        ),
        (&["a: [\n"], "f0.yaml: "),
    ];
    for (texts, want) in cases {
        let err = check_files(&v, &files(texts)).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "overlay values.catalog: Backstage's catalog would refuse these entities ("
            ),
            "{err}"
        );
        assert!(
            err.contains(&format!("\n  {want}")),
            "want {want}\n=> {err}"
        );
    }
}

#[test]
fn a_location_without_a_local_file_is_an_error_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::overhelm(
        &[
            "values",
            "-f",
            "overlays/minicloud/backstage.yaml",
            "--catalog",
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = common::stderr(&out);
    assert!(err.contains("overlay values.catalog: --catalog "), "{err}");
    assert!(err.contains("catalog.locations[0]: https://raw.githubusercontent.com/andrelair-platform/minicloud-platform-docs/main/catalog-info.yaml: no local copy; put it at "), "{err}");
}

#[test]
fn cli_prints_the_catalog_summary() {
    let out = common::overhelm(
        &[
            "values",
            "-f",
            "overlays/minicloud/backstage.yaml",
            "--catalog",
            "examples/backstage/catalog",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    assert!(
        err.contains("overhelm: warning: catalog: spec.owner group:default/andrelair-platform of "),
        "{err}"
    );
    assert!(err.contains("overhelm: catalog: 5 location(s), 5 file(s), 6 entities (1 System, 5 Component); spec.owner 0/6 resolved, spec.system 5/5 resolved\n"), "{err}");
    assert!(Path::new(&common::root().join("examples/backstage/catalog")).is_dir());
}

#[test]
fn a_locations_own_rules_allow_more_kinds_there_only() {
    let mut v = values(&["Component", "System"], &["a", "b"]);
    v["backstage"]["appConfig"]["catalog"]["locations"][0]["rules"] =
        serde_json::json!([{"allow": ["Group"]}]);
    let report = check_files(&v, &files(&[GROUP, SYSTEM])).expect("Group allowed in location 0");
    assert!(
        report.summary.contains("2 entities (1 Group, 1 System)"),
        "{}",
        report.summary
    );
    let err = check_files(&v, &files(&[SYSTEM, GROUP]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("f1.yaml document 1 (Group/team): kind Group is not allowed"),
        "{err}"
    );
}
