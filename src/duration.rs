//! Go durations (`2160h`, `10m`, `1h30m`, `1.5h`, `300ms`), read exactly as Go's
//! `time.ParseDuration` reads them, because the overlay's durations go to tools written in Go
//! (cert-manager's `duration`/`renewBefore`) or follow their syntax (`waitFor[].timeout`, like
//! Helm's `--timeout`). Negative durations are refused: no overlay field takes one.

/// Nanoseconds in a second.
pub const NS_PER_S: u128 = 1_000_000_000;

/// Parses a Go duration (`time.ParseDuration`, which cert-manager uses) into nanoseconds.
/// Negative durations are refused: no certificate field takes one.
pub fn parse(s: &str) -> Result<u128, String> {
    let bad = |why: String| Err(format!("{s:?} is not a Go duration: {why}"));
    let body = s.strip_prefix('+').unwrap_or(s);
    if body.starts_with('-') {
        return bad("it is negative".into());
    }
    if body == "0" {
        return Ok(0);
    }
    if body.is_empty() {
        return bad("it is empty; write e.g. 2160h".into());
    }
    let mut total: u128 = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(num_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && frac.is_empty() || frac.contains('.') {
            return bad(format!("{number:?} is not a number"));
        }
        let Some(scale) = unit_ns(unit) else {
            if unit.is_empty() {
                return bad("a number without a unit; add one of h, m, s, ms, us, ns".into());
            }
            let hint = if unit == "d" && frac.is_empty() {
                let hours = whole.parse::<u128>().unwrap_or(0).saturating_mul(24);
                format!("; Go durations have no days: write {hours}h")
            } else {
                String::new()
            };
            return bad(format!(
                "unknown unit {unit:?} (units are h, m, s, ms, us, ns){hint}"
            ));
        };
        // Go keeps durations in an int64 of nanoseconds (about 2.5 million hours).
        let sum = scaled(whole, frac, scale)
            .and_then(|v| total.checked_add(v))
            .filter(|t| *t <= i64::MAX as u128);
        let Some(sum) = sum else {
            return bad("it is too long".into());
        };
        total = sum;
        rest = tail;
    }
    Ok(total)
}

fn unit_ns(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => NS_PER_S,
        "m" => 60 * NS_PER_S,
        "h" => 3_600 * NS_PER_S,
        _ => return None,
    })
}

/// `whole.frac` units of `scale` nanoseconds, exactly (fractions below a nanosecond dropped,
/// as Go does).
fn scaled(whole: &str, frac: &str, scale: u128) -> Option<u128> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut total = whole.checked_mul(scale)?;
    let mut place = scale;
    for digit in frac.bytes().take(30) {
        place /= 10;
        total = total.checked_add(u128::from(digit - b'0') * place)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let h = 3_600 * NS_PER_S;
        for (text, ns) in [
            ("2160h", 2160 * h),
            ("720h", 720 * h),
            ("1h30m", h + 30 * 60 * NS_PER_S),
            ("1.5h", h + h / 2),
            ("+5m", 300 * NS_PER_S),
            ("0", 0),
            ("300ms", 300_000_000),
            ("1us", 1_000),
            ("1\u{b5}s", 1_000),
            ("2h0m0s", 2 * h),
            (".5s", NS_PER_S / 2),
        ] {
            assert_eq!(parse(text), Ok(ns), "{text}");
        }
        for (text, want) in [
            (
                "90d",
                "\"90d\" is not a Go duration: unknown unit \"d\" (units are h, m, s, ms, us, ns); Go durations have no days: write 2160h",
            ),
            ("2160", "a number without a unit"),
            ("", "it is empty"),
            ("-1h", "it is negative"),
            ("h", "\"\" is not a number"),
            ("1.2.3h", "is not a number"),
            ("1H", "unknown unit \"H\""),
            ("9999999999h", "it is too long"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
