//! `yaml::from_str` reads configuration files (overlays, golden cases) through the fast paths
//! when it can; it must give exactly what serde-saphyr alone gives (`from_str_reference`),
//! value or error, for every such file in the repository and for the awkward spellings a user
//! may write.

use std::path::{Path, PathBuf};

use overhelm::golden::CaseSpec;
use overhelm::overlay::Overlay;
use overhelm::yaml::{from_str, from_str_reference};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Both readers agree on `text` read as `T`: the same value, or the same error.
fn agree<T: DeserializeOwned + Serialize>(text: &str, what: &str) -> bool {
    let fast = from_str::<T>(text).map(|v| serde_json::to_value(v).expect("serializes"));
    let reference =
        from_str_reference::<T>(text).map(|v| serde_json::to_value(v).expect("serializes"));
    assert_eq!(fast, reference, "{what}");
    reference.is_ok()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_yaml_file_of_the_repository_reads_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["overlays", "golden", "examples", "tests", "bench"] {
        yaml_files(&root.join(dir), &mut files);
    }
    files.retain(|f| !f.starts_with(root.join("bench/out")));
    let (mut overlays, mut cases) = (0, 0);
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let what = file.display().to_string();
        agree::<Value>(&text, &what);
        if text.contains("kind: Overlay") && agree::<Overlay>(&text, &what) {
            overlays += 1;
        }
        if file.ends_with("case.yaml") && agree::<CaseSpec>(&text, &what) {
            cases += 1;
        }
    }
    // The walk must have found the real files, or this test proves nothing.
    assert!(overlays >= 20, "{overlays} overlays");
    assert!(cases >= 20, "{cases} golden cases");
}

#[test]
fn awkward_spellings_read_the_same() {
    let head = "apiVersion: overhelm/v1\nkind: Overlay\n";
    let bodies = [
        // Numbers and words where strings are wanted, and the other way round.
        "registry:\n  mirrors:\n    docker.io: 8080\n",
        "registry:\n  mirrors:\n    docker.io: \"harbor.local/dockerhub\"\n",
        "resources:\n  defaults:\n    requests:\n      cpu: 0755\n      memory: 1e3\n",
        "resources:\n  defaults:\n    requests:\n      cpu: \"250m\"\n      memory: 256Mi\n",
        "resources:\n  defaults:\n    requests:\n      cpu: yes\n",
        "resources:\n  defaults:\n    requests:\n      cpu: ~\n",
        "resources:\n  defaults:\n    requests:\n      cpu: 0.5\n",
        "values:\n  replicas: \"3\"\n",
        "values:\n  replicas: 3\n  title: on\n  port: 0x1F\n",
        // Unknown keys, duplicates, anchors, flow style, comments, an empty overlay.
        "registry:\n  mirors: {}\n",
        "registry: {}\nregistry: {}\n",
        "values: &v\n  a: 1\npatches: []\n",
        "values: {a: [1, 2, {b: c}]}\n",
        "# only a comment\n",
        "",
        "values:\n  text: |\n    two\n    lines\n",
    ];
    let mut valid = 0;
    for body in bodies {
        let text = format!("{head}{body}");
        valid += usize::from(agree::<Overlay>(&text, &text));
        agree::<Value>(&text, &text);
    }
    // Both answers are exercised: values the fast path reads, and errors it leaves alone.
    assert!(valid > 0 && valid < bodies.len(), "{valid} valid");
    // Not an overlay at all, and more than one document.
    for text in ["- a\n- b\n", "a: 1\n---\nb: 2\n", "---\na: 1\n", "a: [\n"] {
        agree::<Overlay>(text, text);
        agree::<Value>(text, text);
    }
}
