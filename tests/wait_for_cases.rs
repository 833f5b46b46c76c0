//! waitFor is idempotent on every one of its golden cases: rendering a case's expected output
//! again with the same overlays gives the same bytes (no second init container). And the user's
//! own overlay, `overlays/minicloud/backstage.yaml`, adds the init container to the Backstage
//! Deployment in both Helm forms, once.

mod common;

use overhelm::golden::{Case, discover, run};
use overhelm::overlay::Overlay;
use overhelm::render::render;
use overhelm::steps::Context;
use overhelm::yaml::Limits;

#[test]
fn rendering_the_expected_output_again_changes_nothing() {
    let mut checked = 0;
    for dir in discover(&common::root().join("golden")).expect("golden/") {
        let mut case = Case::load(&dir).expect("case.yaml");
        if !case.name().starts_with("waitfor-") || !case.expected_path().exists() {
            continue;
        }
        let expected = std::fs::read_to_string(case.expected_path()).expect("expected.yaml");
        case.spec.input = Some("expected.yaml".into());
        let again = run(&case).expect("case files").expect("render");
        assert!(
            again == expected,
            "{}: a second render changed the output",
            case.name()
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} waitFor cases");
}

#[test]
fn the_minicloud_overlay_holds_backstage_in_both_helm_forms() {
    let overlay = Overlay::load(&[common::root().join("overlays/minicloud/backstage.yaml")])
        .expect("overlay");
    let ctx = Context {
        release: Some("backstage".into()),
        namespace: Some("backstage".into()),
    };
    let limits = Limits::default();
    for form in ["helm3", "helm4"] {
        let input = common::read(&format!("examples/backstage/{form}-input.yaml"));
        let once = render(&input, &overlay, &ctx, &limits).expect("render");
        let lines: Vec<&String> = once
            .reports
            .iter()
            .filter(|r| r.step == "waitFor")
            .flat_map(|r| &r.lines)
            .collect();
        assert_eq!(lines.len(), 1, "{form}: {lines:?}");
        assert!(lines[0].starts_with("Deployment/backstage/backstage: initContainers[wait-for-postgres] added first: login check"), "{form}: {}", lines[0]);
        assert_eq!(
            once.output.matches("- name: wait-for-postgres\n").count(),
            1,
            "{form}"
        );
        assert!(once.output.contains("image: harbor.10.0.0.200.nip.io/dockerhub-proxy/bitnamilegacy/postgresql:15.4.0-debian-11-r10\n        command:\n        - /bin/sh"), "{form}: the init image goes through the mirror");
        let twice = render(&once.output, &overlay, &ctx, &limits).expect("render again");
        assert!(
            twice.output == once.output,
            "{form}: a second render changed the output"
        );
    }
}
