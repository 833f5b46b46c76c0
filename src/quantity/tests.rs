//! The quantity table: parse, canonical form, comparison, sums and products.

use super::*;

fn q(text: &str) -> Quantity {
    Quantity::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// (written, canonical form as the API server stores it, value in nano-units)
const PARSE: &[(&str, &str, u128)] = &[
    ("0", "0", 0),
    ("0m", "0", 0),
    ("0Gi", "0", 0),
    ("1", "1", NANO),
    ("+1", "1", NANO),
    ("100m", "100m", 100_000_000),
    ("1000m", "1", NANO),
    ("1500m", "1500m", 1_500_000_000),
    ("1.5", "1500m", 1_500_000_000),
    ("0.5", "500m", 500_000_000),
    (".5", "500m", 500_000_000),
    ("1.", "1", NANO),
    ("0.1", "100m", 100_000_000),
    ("0.001", "1m", 1_000_000),
    ("1.000", "1", NANO),
    ("007", "7", 7 * NANO),
    ("250u", "250u", 250_000),
    ("1n", "1n", 1),
    ("1.5m", "1500u", 1_500_000),
    ("1k", "1k", 1_000 * NANO),
    ("1000", "1k", 1_000 * NANO),
    ("100000", "100k", 100_000 * NANO),
    ("1M", "1M", 1_000_000 * NANO),
    ("1.5M", "1500k", 1_500_000 * NANO),
    ("1G", "1G", 1_000_000_000 * NANO),
    ("2T", "2T", 2_000_000_000_000 * NANO),
    ("1P", "1P", 1_000_000_000_000_000 * NANO),
    ("1E", "1E", 1_000_000_000_000_000_000 * NANO),
    ("1Ki", "1Ki", 1024 * NANO),
    ("64Mi", "64Mi", (64 << 20) * NANO),
    ("384Mi", "384Mi", 384 * (1 << 20) * NANO),
    ("1024Mi", "1Gi", (1 << 30) * NANO),
    ("1.5Gi", "1536Mi", 1536 * (1 << 20) * NANO),
    ("0.5Ki", "512", 512 * NANO),
    ("0.1Ki", "102400m", 102_400_000_000),
    ("1500Ki", "1500Ki", 1500 * 1024 * NANO),
    ("1Ti", "1Ti", (1 << 40) * NANO),
    ("1Pi", "1Pi", (1 << 50) * NANO),
    ("1Ei", "1Ei", (1 << 60) * NANO),
    ("1e3", "1e3", 1_000 * NANO),
    ("12E6", "12e6", 12_000_000 * NANO),
    ("1.5e3", "1500", 1_500 * NANO),
    ("1e0", "1", NANO),
    ("1e-3", "1e-3", 1_000_000),
    ("5E+2", "500", 500 * NANO),
    ("1073741824", "1073741824", (1 << 30) * NANO),
];

#[test]
fn parses_and_writes_canonical_forms() {
    for (text, canonical, nanos) in PARSE {
        let quantity = q(text);
        assert_eq!(quantity.nanos, *nanos, "value of {text}");
        assert_eq!(quantity.to_string(), *canonical, "canonical form of {text}");
        assert_eq!(q(canonical), quantity, "{canonical} reads back as {text}");
        assert_eq!(
            q(canonical).to_string(),
            *canonical,
            "{canonical} is stable"
        );
    }
}

#[test]
fn refuses_invalid_quantities_with_a_reason() {
    for (text, reason) in [
        ("", "it is empty"),
        ("-1", "it is negative"),
        ("-100m", "it is negative"),
        ("1Gii", "unknown suffix \"Gii\""),
        ("1gi", "unknown suffix \"gi\""),
        ("1 Gi", "unknown suffix \" Gi\""),
        ("1K", "unknown suffix \"K\""),
        ("1.2.3", "more than one decimal point"),
        ("Gi", "does not start with a number"),
        (".", "does not start with a number"),
        ("+", "does not start with a number"),
        ("1e", "unknown suffix \"e\""),
        ("1e1.5", "unknown suffix \"e1.5\""),
        ("0x10", "unknown suffix \"x10\""),
        ("1Mi ", "unknown suffix \"Mi \""),
        ("0.1n", "more precise than 1n"),
        ("1e-10", "more precise than 1n"),
        ("10Ei", "larger than Kubernetes can store"),
        ("9223372036854775808", "larger than Kubernetes can store"),
        ("1e100", "larger than Kubernetes can store"),
        ("123456789012345678901234567890123456789012", "larger than"),
    ] {
        let err = Quantity::parse(text).unwrap_err();
        assert_eq!(err.text, text);
        assert!(err.reason.contains(reason), "{text}: {}", err.reason);
    }
    assert!(
        Quantity::parse("1Gii")
            .unwrap_err()
            .to_string()
            .starts_with("invalid quantity \"1Gii\": unknown suffix")
    );
}

#[test]
fn largest_storable_value_is_accepted() {
    assert_eq!(q("9223372036854775807").to_string(), "9223372036854775807");
    assert!(q("7Ei") > q("8E"));
}

#[test]
fn compares_values_across_forms() {
    for (a, b, order) in [
        ("1", "1000m", Ordering::Equal),
        ("1Gi", "1024Mi", Ordering::Equal),
        ("1k", "1e3", Ordering::Equal),
        ("1G", "1Gi", Ordering::Less),
        ("1Mi", "1M", Ordering::Greater),
        ("100m", "0.1", Ordering::Equal),
        ("99m", "0.1", Ordering::Less),
        ("1.5", "1499m", Ordering::Greater),
        ("512Mi", "0.5Gi", Ordering::Equal),
        ("384Mi", "256Mi", Ordering::Greater),
        ("1n", "0", Ordering::Greater),
        ("12E6", "12M", Ordering::Equal),
    ] {
        assert_eq!(q(a).cmp(&q(b)), order, "{a} vs {b}");
    }
}

#[test]
fn adds_exactly() {
    for (a, b, sum) in [
        ("100m", "50m", "150m"),
        ("500m", "500m", "1"),
        ("0.1", "0.2", "300m"),
        ("384Mi", "128Mi", "512Mi"),
        ("512Mi", "512Mi", "1Gi"),
        ("1Gi", "1G", "2073741824"),
        ("1", "1n", "1000000001n"),
        ("1e3", "1", "1001"),
        ("1Ki", "0", "1Ki"),
        ("0", "1Ki", "1024"),
    ] {
        let total = q(a).checked_add(q(b)).unwrap();
        assert_eq!(total.to_string(), sum, "{a} + {b}");
    }
    let huge = q("7Ei");
    assert!(huge.checked_mul(1000).is_some());
    assert!(huge.checked_mul(u64::MAX).is_none());
}

#[test]
fn multiplies_and_subtracts_exactly() {
    for (a, n, product) in [
        ("100m", 3, "300m"),
        ("384Mi", 3, "1152Mi"),
        ("256Mi", 4, "1Gi"),
        ("1.5", 2, "3"),
        ("64Mi", 0, "0"),
        ("333m", 3, "999m"),
    ] {
        assert_eq!(
            q(a).checked_mul(n).unwrap().to_string(),
            product,
            "{a} x {n}"
        );
    }
    assert_eq!(
        q("2Gi").checked_sub(q("512Mi")).unwrap().to_string(),
        "1536Mi"
    );
    assert_eq!(q("2").checked_sub(q("150m")).unwrap().to_string(), "1850m");
    assert!(q("1").checked_sub(q("2")).is_none());
    assert_eq!(q("1").max(q("1000m")).to_string(), "1");
    assert_eq!(q("100m").max(q("1")).to_string(), "1");
}

#[test]
fn reads_numbers_and_strings_from_manifests() {
    use serde_json::json;
    for (value, canonical) in [
        (json!("1Gi"), "1Gi"),
        (json!(1), "1"),
        (json!(0.5), "500m"),
        (json!(2048), "2048"),
        (json!(1000.0), "1k"),
    ] {
        assert_eq!(Quantity::from_value(&value).unwrap().to_string(), canonical);
    }
    assert!(Quantity::from_value(&json!(null)).is_err());
    assert!(Quantity::from_value(&json!(-1)).is_err());
    assert!(Quantity::from_value(&json!({"a": 1})).is_err());
}

#[test]
fn whole_values_and_formats() {
    assert!(q("1Gi").is_whole());
    assert!(!q("1.5m").is_whole());
    assert!(!q("100m").is_whole());
    assert!(q("0").is_zero());
    assert_eq!(q("1Gi").format(), Format::BinarySi);
    assert_eq!(q("1e3").format(), Format::DecimalExponent);
    assert_eq!(q("1G").format(), Format::DecimalSi);
    assert_eq!(
        q("1073741824").with_format(Format::BinarySi).to_string(),
        "1Gi"
    );
    assert_eq!(
        q("1Gi").with_format(Format::DecimalSi).to_string(),
        "1073741824"
    );
}
