//! The Kubernetes quantity parser on arbitrary text (and as a YAML/JSON number).
//!
//! Invariants: nothing panics (parsing, writing, sums, differences, products); a quantity's
//! canonical form parses back to an equal quantity; writing is a fixed point (the canonical form
//! of the canonical form is itself); a number read from a manifest as a JSON number is the same
//! quantity as its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overhelm::quantity::Quantity;
use serde_json::Value;

fuzz_target!(|text: &str| {
    let Ok(q) = Quantity::parse(text) else {
        return;
    };
    let canonical = q.to_string();
    let again = Quantity::parse(&canonical)
        .unwrap_or_else(|e| panic!("canonical form {canonical:?} of {text:?} does not parse: {e}"));
    assert_eq!(again, q, "{text:?} -> {canonical:?} is another value");
    assert_eq!(
        again.to_string(),
        canonical,
        "writing {text:?} is not a fixed point"
    );
    assert!(
        q.is_zero() == (canonical == "0"),
        "{text:?} -> {canonical:?}"
    );

    // Arithmetic is checked, never wrapping.
    assert_eq!(q.checked_add(Quantity::ZERO), Some(q));
    assert_eq!(q.checked_sub(q), Some(Quantity::ZERO));
    let doubled = q.checked_add(q).expect("twice the largest quantity fits");
    assert_eq!(doubled.checked_sub(q), Some(q));
    assert_eq!(q.checked_mul(2), Some(doubled));
    let _ = q.checked_mul(u64::MAX);
    assert!(q.max(doubled) == doubled && doubled >= q);

    // A manifest may give the same quantity as a number (`cpu: 1.5`, `memory: 1e9`). A YAML
    // float is a 64-bit float, exact only up to 15 significant digits (finding, narrowed).
    let digits = text.split(['e', 'E']).next().unwrap_or("");
    let significant = digits
        .trim_start_matches(['+', '0', '.'])
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    if significant > 15 && (text.contains(['.', 'e', 'E'])) {
        return;
    }
    if let Ok(number @ Value::Number(_)) = serde_json::from_str::<Value>(text) {
        if let Ok(from_number) = Quantity::from_value(&number) {
            assert_eq!(from_number, q, "{text:?} as a number");
        }
    }
});
