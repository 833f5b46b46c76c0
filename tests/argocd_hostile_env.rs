//! `argocd generate` with hostile values from the Application: shell syntax (`;`, `$(...)`,
//! backticks, newlines, quotes, globs) and would-be flags (`--debug`, `-f FILE`, `--set=...`) as
//! `helm-parameters` values and as values-file names. None may reach a shell or become a helm
//! flag: a `helm` that records its arguments before running the real Helm 3 shows each value
//! inside exactly one `--set=`/`--values=` argument, Helm sets it literally, and no command in
//! it ran. (`argocd_e2e.rs` covers refused plugin env such as `HELM_ARGS`; the request's table
//! tests cover refused names, namespaces and versions.)

mod common;
mod e2e;

use std::path::Path;

use e2e::sidecar::Sidecar;
use e2e::{by_id, objects};

/// Values as an Application could write them; each must arrive as data.
const HOSTILE: [&str; 10] = [
    "--debug",
    "-f /etc/passwd",
    "--set=replicas=9",
    "a;touch PWNED",
    "$(touch PWNED)",
    "`touch PWNED`",
    "line1\nline2",
    "x' \"y\" * ?",
    "a,b=c\\d",
    "${HOME}|cat>PWNED&",
];

/// The arguments the recording helm got (one run).
fn recorded_args(record: &Path) -> Vec<String> {
    let raw = std::fs::read(record.with_extension("args")).expect("helm ran");
    raw.split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Every argument is one overhelm puts there: a positional (`template`, the release, `.`) or a
/// flag it writes with its value glued on.
fn assert_only_our_flags(args: &[String], app: &Path) {
    let mut positionals = Vec::new();
    for arg in args {
        let known = [
            "--namespace=",
            "--include-crds",
            "--kube-version=",
            "--api-versions=",
            "--set=password=",
            "--values=",
        ];
        if arg.starts_with('-') {
            assert!(
                known.iter().any(|k| arg.starts_with(k)),
                "unexpected helm flag {arg:?} in {args:?}"
            );
        } else {
            positionals.push(arg.as_str());
        }
        if let Some(file) = arg.strip_prefix("--values=") {
            assert!(Path::new(file).starts_with(app), "{file} outside the app");
        }
    }
    assert_eq!(positionals, ["template", "demo", "."], "{args:?}");
}

fn assert_nothing_ran(dirs: &[&Path]) {
    for dir in dirs {
        let left = e2e::entries(dir);
        assert!(
            !left.iter().any(|e| e == "PWNED"),
            "a command ran in {}: {left:?}",
            dir.display()
        );
    }
}

#[test]
fn helm_parameter_values_are_data_never_flags_or_commands() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let (_wrapper_dir, helm) = e2e::recording_helm(&helm3);
    let overlay = std::fs::read_to_string(e2e::demo_overlay()).expect("overlay");
    for value in HOSTILE {
        let sidecar = Sidecar::new(Some(&helm));
        let app = sidecar.app("demo", &e2e::demo_chart(), &[("overhelm.yaml", &overlay)]);
        let record = sidecar.tmp().join("record");
        let params = serde_json::json!([{"name": "helm-parameters", "map": {"password": value}}])
            .to_string();
        let record_text = record.display().to_string();
        let (code, out, err) = e2e::run(sidecar.generate(
            &app,
            &[
                ("ARGOCD_APP_PARAMETERS", &params),
                ("OVERHELM_TEST_RECORD", &record_text),
            ],
        ));
        assert_eq!(code, 0, "{value:?}: {err}");
        let map = by_id(&objects(&out));
        assert_eq!(
            map["Secret/apps/demo-secret"].value["stringData"]["password"], value,
            "helm set the value literally"
        );
        let args = recorded_args(&record);
        assert_only_our_flags(&args, &app);
        // Helm splits `--set` on commas and reads backslashes as escapes: both are escaped.
        let escaped = value.replace('\\', "\\\\").replace(',', "\\,");
        let ours = format!("--set=password={escaped}");
        assert_eq!(
            args.iter().filter(|a| **a == ours).count(),
            1,
            "{ours:?} in {args:?}"
        );
        assert!(
            args.iter().all(|a| *a == ours || !a.contains(value)),
            "{value:?} in {args:?}"
        );
        assert_nothing_ran(&[&app, &sidecar.tmp(), sidecar.dir.path()]);
    }
}

#[test]
fn values_file_names_are_paths_never_flags_or_commands() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let (_wrapper_dir, helm) = e2e::recording_helm(&helm3);
    let overlay = std::fs::read_to_string(e2e::demo_overlay()).expect("overlay");
    let names = [
        "v;touch PWNED.yaml",
        "$(touch PWNED).yaml",
        "`touch PWNED`.yaml",
        "x' y * ?.yaml",
        "v.yaml --set=replicas=9",
        "--set=x.yaml",
    ];
    for name in names {
        let sidecar = Sidecar::new(Some(&helm));
        let app = sidecar.app(
            "demo",
            &e2e::demo_chart(),
            &[("overhelm.yaml", &overlay), (name, "replicas: 5\n")],
        );
        // A leading `-` is refused outright; `./` makes it a path like any other.
        let name = if name.starts_with('-') {
            format!("./{name}")
        } else {
            name.to_string()
        };
        let name = name.as_str();
        let record = sidecar.tmp().join("record");
        let params = serde_json::json!([{"name": "values-files", "array": [name]}]).to_string();
        let record_text = record.display().to_string();
        let (code, out, err) = e2e::run(sidecar.generate(
            &app,
            &[
                ("ARGOCD_APP_PARAMETERS", &params),
                ("OVERHELM_TEST_RECORD", &record_text),
            ],
        ));
        assert_eq!(code, 0, "{name:?}: {err}");
        let map = by_id(&objects(&out));
        assert_eq!(
            map["Deployment/apps/demo-web"].value["spec"]["replicas"], 5,
            "{name:?}: the file was read"
        );
        let args = recorded_args(&record);
        assert_only_our_flags(&args, &app);
        let file = app.join(name).canonicalize().expect("the file");
        assert!(
            args.contains(&format!("--values={}", file.display())),
            "{name:?}: {args:?}"
        );
        assert_nothing_ran(&[&app, &sidecar.tmp(), sidecar.dir.path()]);
    }
}

/// helm reads `--values` as a CSV list: a comma would name a second file (outside the app, when
/// it is absolute), a line break would cut the path short, a double quote would be syntax.
#[test]
fn values_file_names_helm_would_split_are_refused() {
    let Some(helm3) = common::tool("helm3") else {
        return;
    };
    let (_wrapper_dir, helm) = e2e::recording_helm(&helm3);
    let overlay = std::fs::read_to_string(e2e::demo_overlay()).expect("overlay");
    let outside = e2e::tempdir();
    std::fs::write(outside.path().join("stolen.yaml"), "replicas: 7\n").expect("write");
    let escape = format!("v.yaml,{}", outside.path().join("stolen.yaml").display());
    for name in [
        "v.yaml,other.yaml",
        "a\nb.yaml",
        "x\"y.yaml",
        "a\rb.yaml",
        escape.as_str(),
    ] {
        let sidecar = Sidecar::new(Some(&helm));
        // The file exists inside the app (a folder `v.yaml,` for the absolute one).
        let inside = sidecar
            .dir
            .path()
            .join("repo/demo")
            .join(name.trim_start_matches('/'));
        let app = sidecar.app("demo", &e2e::demo_chart(), &[("overhelm.yaml", &overlay)]);
        std::fs::create_dir_all(inside.parent().expect("parent")).expect("dirs");
        std::fs::write(&inside, "replicas: 5\n").expect("write");
        let rel = inside
            .strip_prefix(&app)
            .expect("inside")
            .display()
            .to_string();
        let record = sidecar.tmp().join("record");
        let params = serde_json::json!([{"name": "values-files", "array": [rel]}]).to_string();
        let record_text = record.display().to_string();
        let (code, out, err) = e2e::run(sidecar.generate(
            &app,
            &[
                ("ARGOCD_APP_PARAMETERS", &params),
                ("OVERHELM_TEST_RECORD", &record_text),
            ],
        ));
        assert_eq!(code, 2, "{name:?}: {err}");
        assert!(out.is_empty());
        assert!(
            err.contains("helm reads --values as a comma-separated list"),
            "{name:?}: {err}"
        );
        assert!(
            !record.with_extension("args").exists(),
            "{name:?}: helm ran"
        );
    }
}
