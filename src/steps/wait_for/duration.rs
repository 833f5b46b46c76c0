//! `waitFor[].timeout`: a Go duration (see [`crate::duration`]) in whole seconds, rounded up,
//! because the init container counts whole seconds; positive and at most a week.

/// The longest timeout accepted: a week is far past any reasonable wait, and bounds the numbers.
const MAX_SECONDS: u128 = 7 * 24 * 3600;

/// Parses a positive Go duration into whole seconds (rounded up).
pub(super) fn parse_seconds(text: &str) -> Result<u64, String> {
    let seconds = crate::duration::parse(text)?.div_ceil(crate::duration::NS_PER_S);
    if seconds == 0 {
        return Err(format!("{text:?} is zero; a timeout must be positive"));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{text:?} is longer than a week; use a shorter timeout"
        ));
    }
    u64::try_from(seconds).map_err(|_| format!("{text:?} is too long"))
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
                "\"\" is not a Go duration: it is empty; write e.g. 2160h",
            ),
            (
                "10",
                "\"10\" is not a Go duration: a number without a unit; add one of h, m, s, ms, us, ns",
            ),
            (
                "10 m",
                "\"10 m\" is not a Go duration: unknown unit \" m\" (units are h, m, s, ms, us, ns)",
            ),
            (
                "10min",
                "\"10min\" is not a Go duration: unknown unit \"min\" (units are h, m, s, ms, us, ns)",
            ),
            (
                "1.2.3s",
                "\"1.2.3s\" is not a Go duration: \"1.2.3\" is not a number",
            ),
            ("m", "\"m\" is not a Go duration: \"\" is not a number"),
            ("-1m", "\"-1m\" is not a Go duration: it is negative"),
            ("0s", "\"0s\" is zero; a timeout must be positive"),
            ("0", "\"0\" is zero; a timeout must be positive"),
            (
                "200h",
                "\"200h\" is longer than a week; use a shorter timeout",
            ),
            (
                "99999999999999999999999999999999999999999h",
                "\"99999999999999999999999999999999999999999h\" is not a Go duration: it is too long",
            ),
        ] {
            assert_eq!(parse_seconds(text), Err(message.to_string()), "{text}");
        }
    }
}
