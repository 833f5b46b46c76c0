//! Runs every golden case under `golden/` through the same library function `overhelm check`
//! uses, and fails with the case names that drift.

use overhelm::golden::{Case, Verdict, discover, run, verdict};

#[test]
fn every_golden_case_matches() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut failures = Vec::new();
    let cases = discover(&root).expect("golden/");
    assert!(
        !cases.is_empty(),
        "no golden cases under {}",
        root.display()
    );
    for dir in cases {
        let case = Case::load(&dir).expect("case.yaml");
        let produced = run(&case).expect("case files");
        match verdict(&case, &produced).expect("expected file") {
            Verdict::Match => {}
            Verdict::Missing => {
                failures.push(format!("{}: no expected.yaml or expected.err", case.name()))
            }
            Verdict::Drift { expected, actual } => failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                case.name()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) drifted:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
