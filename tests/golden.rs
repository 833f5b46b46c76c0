//! Runs every golden case under `golden/` through the same library function `overhelm check`
//! uses ([`check_case`]), and fails with the report of every case that drifts.

use overhelm::golden::{Case, CheckOptions, RunOptions, Status, case_text, check_case, discover};

#[test]
fn every_golden_case_matches() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = CheckOptions {
        // `tools/test` installs Helm 3 and 4 there; chart cases need them.
        run: RunOptions {
            tool_dirs: vec![root.join("target/tools")],
        },
        strict: std::env::var_os("CI").is_some(),
        update: false,
    };
    let cases = discover(&root.join("golden")).expect("golden/");
    assert!(!cases.is_empty(), "no golden cases under golden/");
    let mut failures = Vec::new();
    for dir in cases {
        let case = Case::load(&dir).expect("case.yaml");
        let result = check_case(&case, &opts).expect("case runs");
        match result.status {
            Status::Match => {}
            Status::Skipped => eprint!("SKIPPED: {}", case_text(&result, false)),
            _ => failures.push(case_text(&result, false)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) drifted:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
