//! Go durations (`10m`, `1h30m`, `90s`, `1.5h`), as `time.ParseDuration` reads them, because the
//! overlay's `timeout` uses the syntax Helm (`--timeout 10m`) and cert-manager users already write.
//!
//! The init container counts whole seconds, so a duration is rounded up to the next second.

/// Nanoseconds per unit, longest unit names first where one is a prefix of another.
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// The longest timeout accepted: a week is far past any reasonable wait, and bounds the numbers.
const MAX_SECONDS: u128 = 7 * 24 * 3600;

/// Parses a positive Go duration into whole seconds (rounded up).
pub(super) fn parse_seconds(text: &str) -> Result<u64, String> {
    let bad = || {
        format!("{text:?} is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)")
    };
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.starts_with('-') {
        return Err(format!("{text:?} is negative; a timeout must be positive"));
    }
    if rest.is_empty() {
        return Err(bad());
    }
    if rest == "0" {
        return Err(format!("{text:?} is zero; a timeout must be positive"));
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(bad)?;
        let (number, after) = rest.split_at(digits);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(bad());
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let per = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, per)| *per)
            .ok_or_else(bad)?;
        total = total.saturating_add(amount(whole, fraction, per).ok_or_else(bad)?);
        rest = next;
    }
    let seconds = total.div_ceil(1_000_000_000);
    if seconds == 0 {
        return Err(format!("{text:?} is zero; a timeout must be positive"));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{text:?} is longer than a week; use a shorter timeout"
        ));
    }
    u64::try_from(seconds).map_err(|_| bad())
}

/// `whole.fraction` units of `per` nanoseconds each, or `None` on overflow.
fn amount(whole: &str, fraction: &str, per: u128) -> Option<u128> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = whole.checked_mul(per)?;
    // Digits past nanosecond precision cannot change the result; Go drops them too.
    let mut scale = per;
    for digit in fraction.chars().filter_map(|c| c.to_digit(10)) {
        scale /= 10;
        if scale == 0 {
            break;
        }
        nanos = nanos.checked_add(u128::from(digit) * scale)?;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_durations() {
        for (text, seconds) in [
            ("10m", 600),
            ("90s", 90),
            ("1h30m", 5400),
            ("1.5h", 5400),
            ("2m30s", 150),
            ("+5s", 5),
            ("1500ms", 2),
            ("500ms", 1),
            ("1ns", 1),
            ("3\u{b5}s", 1),
            (".5m", 30),
            ("1h0m0s", 3600),
        ] {
            assert_eq!(parse_seconds(text), Ok(seconds), "{text}");
        }
    }

    #[test]
    fn refuses_what_go_refuses_and_what_cannot_be_a_timeout() {
        for (text, message) in [
            (
                "",
                "\"\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
            (
                "10",
                "\"10\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
            (
                "10 m",
                "\"10 m\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
            (
                "10min",
                "\"10min\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
            (
                "1.2.3s",
                "\"1.2.3s\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
            (
                "m",
                "\"m\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
            ("-1m", "\"-1m\" is negative; a timeout must be positive"),
            ("0s", "\"0s\" is zero; a timeout must be positive"),
            ("0", "\"0\" is zero; a timeout must be positive"),
            (
                "200h",
                "\"200h\" is longer than a week; use a shorter timeout",
            ),
            (
                "99999999999999999999999999999999999999999h",
                "\"99999999999999999999999999999999999999999h\" is not a duration; write it like 10m, 90s or 1h30m (Go duration syntax)",
            ),
        ] {
            assert_eq!(parse_seconds(text), Err(message.to_string()), "{text}");
        }
    }
}
