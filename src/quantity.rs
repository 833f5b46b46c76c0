//! Kubernetes quantities (`100m`, `1`, `1.5`, `1Gi`, `1G`, `1e3`, ...), exact.
//!
//! A [`Quantity`] holds its value as a whole number of nano-units (`1` = 10^9), which is exact for
//! everything Kubernetes accepts: decimal suffixes go down to `n` (10^-9), and a binary suffix
//! times a decimal fraction is always a finite decimal (`0.1Ki` = 102.4). Sums and products are
//! checked, never wrapped or rounded, so a budget comparison is exact.
//!
//! The grammar is apimachinery's: an optional `+`, digits with an optional fraction (`1`, `1.5`,
//! `1.`, `.5`), then nothing, a decimal suffix (`n u m k M G T P E`), a binary one
//! (`Ki Mi Gi Ti Pi Ei`) or an exponent (`e3`, `E-2`). Refused, with a reason: a negative value
//! (requests and limits are 0 or more), an unknown suffix (`1Gii`), a value above 2^63-1 (what
//! Kubernetes can store) and one more precise than `1n` (which Kubernetes would round).
//!
//! A quantity remembers the form it was written in and [`Display`](std::fmt::Display) writes it
//! the way the API server does when it stores it (its canonical form): the largest suffix that
//! keeps the value whole, in the same family (`1000m` -> `1`, `1.5` -> `1500m`, `1024Mi` ->
//! `1Gi`, `12E6` -> `12e6`); a binary value below 1Ki or with a fraction is written in decimal
//! (`0.5Ki` -> `512`). Writing what the cluster will show keeps Git and live objects equal.
//!
//! Equality and order compare values only: `1000m == 1`.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

/// Nano-units per unit.
const NANO: u128 = 1_000_000_000;
/// The largest value Kubernetes stores (2^63-1 units), in nano-units.
const MAX_NANOS: u128 = (i64::MAX as u128) * NANO;

/// The family of suffixes a quantity was written with; it decides how it is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No suffix or `n u m k M G T P E`.
    DecimalSi,
    /// `Ki Mi Gi Ti Pi Ei`.
    BinarySi,
    /// `e3`, `E-2`, ...
    DecimalExponent,
}

/// An exact, non-negative Kubernetes quantity.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: u128,
    format: Format,
}

/// Why a text is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid quantity {text:?}: {reason}")]
pub struct QuantityError {
    /// The text as given.
    pub text: String,
    /// What is wrong and how to write it.
    pub reason: String,
}

const DECIMAL_SUFFIXES: [(&str, i32); 10] = [
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

const BINARY_SUFFIXES: [(&str, u32); 7] = [
    ("", 0),
    ("Ki", 10),
    ("Mi", 20),
    ("Gi", 30),
    ("Ti", 40),
    ("Pi", 50),
    ("Ei", 60),
];

const SUFFIX_HELP: &str = "use a number with one of the suffixes n u m k M G T P E (decimal), Ki Mi Gi Ti Pi Ei (binary) or an exponent like e3";

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSi,
    };

    /// Reads a quantity written as text.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let fail = |reason: String| QuantityError {
            text: text.to_string(),
            reason,
        };
        let unsigned = match text.as_bytes().first() {
            None => return Err(fail("it is empty; write e.g. 100m, 1 or 1Gi".into())),
            Some(b'-') => {
                return Err(fail(
                    "it is negative; requests, limits and budgets are 0 or more".into(),
                ));
            }
            Some(b'+') => &text[1..],
            Some(_) => text,
        };
        let number_len = unsigned
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(unsigned.len());
        let (number, suffix) = unsigned.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if fraction.contains('.') {
            return Err(fail("it has more than one decimal point".into()));
        }
        if whole.is_empty() && fraction.is_empty() {
            return Err(fail(format!(
                "it does not start with a number; {SUFFIX_HELP}"
            )));
        }
        let (ten, two, format) = read_suffix(suffix)
            .ok_or_else(|| fail(format!("unknown suffix {suffix:?}; {SUFFIX_HELP}")))?;
        let nanos = scale(whole, fraction, ten, two).map_err(fail)?;
        Ok(Quantity { nanos, format })
    }

    /// Reads a quantity from a manifest or overlay value: a string, or a YAML/JSON number.
    pub fn from_value(value: &Value) -> Result<Self, QuantityError> {
        match value {
            Value::String(s) => Quantity::parse(s),
            Value::Number(n) => Quantity::parse(&n.to_string()),
            other => Err(QuantityError {
                text: other.to_string(),
                reason: "a quantity is a string like \"100m\" or \"1Gi\", or a number".into(),
            }),
        }
    }

    /// The form the quantity was written in.
    #[cfg(test)]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The same value, written in another form.
    pub fn with_format(self, format: Format) -> Self {
        Quantity { format, ..self }
    }

    /// True when the value is a whole number (a byte count must be).
    pub fn is_whole(&self) -> bool {
        self.nanos % NANO == 0
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The sum, or `None` when it no longer fits (far above anything a cluster holds).
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_add(other.nanos)?,
            format: self.format,
        })
    }

    /// `self - other`, or `None` when `other` is larger.
    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_sub(other.nanos)?,
            format: self.format,
        })
    }

    /// The product with a count (replicas, nodes), or `None` when it no longer fits.
    pub fn checked_mul(self, count: u64) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_mul(u128::from(count))?,
            format: self.format,
        })
    }

    /// The larger of two quantities (the first one's form on a tie).
    pub fn max(self, other: Quantity) -> Quantity {
        if other.nanos > self.nanos {
            other
        } else {
            self
        }
    }
}

/// The powers of ten and two a suffix stands for, and its family.
fn read_suffix(suffix: &str) -> Option<(i32, u32, Format)> {
    if let Some((_, ten)) = DECIMAL_SUFFIXES.iter().find(|(s, _)| *s == suffix) {
        return Some((*ten, 0, Format::DecimalSi));
    }
    if let Some((_, two)) = BINARY_SUFFIXES.iter().find(|(s, _)| *s == suffix) {
        return Some((0, *two, Format::BinarySi));
    }
    let exponent = suffix.strip_prefix(['e', 'E'])?;
    let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((exponent.parse().ok()?, 0, Format::DecimalExponent))
}

/// `whole.fraction` x 10^ten x 2^two in nano-units, exactly.
fn scale(whole: &str, fraction: &str, ten: i32, two: u32) -> Result<u128, String> {
    let too_large = || "it is larger than Kubernetes can store (2^63-1)".to_string();
    let fraction = fraction.trim_end_matches('0');
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    if digits.len() > 38 {
        return Err(too_large());
    }
    let mut value: u128 = digits.parse().map_err(|_| too_large())?;
    value = value.checked_mul(1u128 << two).ok_or_else(too_large)?;
    // Fraction digits and the suffix's power of ten, relative to nano-units.
    let power = 9 + ten - fraction.len() as i32;
    if power >= 0 {
        value = 10u128
            .checked_pow(power as u32)
            .and_then(|p| value.checked_mul(p))
            .ok_or_else(too_large)?;
    } else {
        let divisor = 10u128
            .checked_pow(power.unsigned_abs())
            .filter(|d| value % d == 0)
            .ok_or("it is more precise than 1n (10^-9), which Kubernetes would round")?;
        value /= divisor;
    }
    if value > MAX_NANOS {
        return Err(too_large());
    }
    Ok(value)
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let bytes = (self.nanos % NANO == 0).then_some(self.nanos / NANO);
        match (self.format, bytes) {
            (Format::BinarySi, Some(bytes)) if bytes >= 1024 => {
                let (mantissa, suffix) = BINARY_SUFFIXES
                    .iter()
                    .rev()
                    .find(|(_, two)| bytes % (1u128 << two) == 0)
                    .map_or((bytes, ""), |(s, two)| (bytes >> two, *s));
                write!(f, "{mantissa}{suffix}")
            }
            (format, _) => {
                let (mantissa, ten) = largest_decimal_power(self.nanos);
                if format == Format::DecimalExponent {
                    match ten {
                        0 => write!(f, "{mantissa}"),
                        _ => write!(f, "{mantissa}e{ten}"),
                    }
                } else {
                    let suffix = DECIMAL_SUFFIXES
                        .iter()
                        .find(|(_, t)| *t == ten)
                        .map_or("", |(s, _)| *s);
                    write!(f, "{mantissa}{suffix}")
                }
            }
        }
    }
}

/// The nano-unit count as mantissa x 10^ten with `ten` the largest multiple of 3 (up to 18)
/// that keeps the mantissa whole.
fn largest_decimal_power(nanos: u128) -> (u128, i32) {
    let mut mantissa = nanos;
    let mut ten = -9;
    while ten < 18 && mantissa % 1000 == 0 {
        mantissa /= 1000;
        ten += 3;
    }
    (mantissa, ten)
}

#[cfg(test)]
mod tests;
