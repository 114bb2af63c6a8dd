//! A number field's value, from the literal the request wrote, held exactly or
//! refused. The stored value is a `serde_json::Number`: an `i64`/`u64` for an
//! integer literal, whose text it keeps digit for digit (`50000` stays `50000`,
//! never `50000.0`), and an `f64` for a decimal one whose shortest form is the
//! same number (`0.1`, `50000.5`, `1e3`). Anything else would be stored as another
//! number than the one given, so it is refused: integers past the 64-bit range,
//! decimals with more significant digits than an `f64` keeps (15 always fit; 16 or
//! 17 only when they survive the round trip), and magnitudes past its range.

use serde_json::Number;

/// Why a literal cannot be held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Inexact {
    #[error("is not a number")]
    NotANumber,
    #[error(
        "cannot be stored exactly: integers are held from {} to {}",
        i64::MIN,
        u64::MAX
    )]
    IntegerOutOfRange,
    #[error("cannot be stored exactly: decimals are held to 15 significant digits, between about 1e-308 and 1e308")]
    Imprecise,
}

/// A JSON number literal's value as (negative, significant digits, exponent):
/// ±digits × 10^exponent, with no leading or trailing zero in `digits`; zero (of
/// either sign) is `(false, "", 0)`. `None` if `text` is not a JSON number.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let e = &rest[at + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // An exponent past i64 is past every range anyway: saturate.
            let huge = if e.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            };
            (&rest[..at], e.parse::<i64>().unwrap_or(huge))
        }
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = !mantissa.contains('.') || all_digits(frac);
    if !all_digits(int) || (int.len() > 1 && int.starts_with('0')) || !frac_ok {
        return None;
    }
    let joined = format!("{int}{frac}");
    let significant = joined.trim_start_matches('0');
    let digits = significant.trim_end_matches('0');
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    let exponent = exponent
        .saturating_sub(frac.len() as i64)
        .saturating_add((significant.len() - digits.len()) as i64);
    Some((negative, digits.to_owned(), exponent))
}

/// The number `literal` (JSON's grammar) stands for, held exactly, or why not.
pub fn exact(literal: &str) -> Result<Number, Inexact> {
    let value = decimal(literal).ok_or(Inexact::NotANumber)?;
    if !literal.contains(['.', 'e', 'E']) {
        if value.1.is_empty() {
            return Ok(Number::from(0u64));
        }
        return literal
            .parse::<u64>()
            .map(Number::from)
            .or_else(|_| literal.parse::<i64>().map(Number::from))
            .map_err(|_| Inexact::IntegerOutOfRange);
    }
    let n = literal
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or(Inexact::Imprecise)?;
    // serde_json writes an f64 in its shortest form: the same number, or digits
    // were lost on the way in.
    if decimal(&n.to_string()) != Some(value) {
        return Err(Inexact::Imprecise);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_fits_is_held_digit_for_digit() {
        for (literal, stored) in [
            ("9007199254740993", "9007199254740993"),
            ("50000", "50000"),
            ("-0", "0"),
            ("18446744073709551615", "18446744073709551615"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("50000.5", "50000.5"),
            ("50000.0", "50000.0"),
            ("0.1", "0.1"),
            ("1.50", "1.5"),
            ("1e3", "1000.0"),
            ("-2.5E-3", "-0.0025"),
            ("0e99999999999999999999", "0.0"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("123456789012345.6", "123456789012345.6"),
        ] {
            assert_eq!(
                exact(literal).map(|n| n.to_string()),
                Ok(stored.to_owned()),
                "{literal}"
            );
        }
    }

    #[test]
    fn what_would_change_is_refused() {
        for (literal, why) in [
            ("99999999999999999999", Inexact::IntegerOutOfRange),
            ("18446744073709551616", Inexact::IntegerOutOfRange),
            ("-9223372036854775809", Inexact::IntegerOutOfRange),
            ("9007199254740993.0", Inexact::Imprecise),
            ("0.10000000000000000001", Inexact::Imprecise),
            ("1e400", Inexact::Imprecise),
            ("1e-400", Inexact::Imprecise),
            ("1e99999999999999999999", Inexact::Imprecise),
            ("", Inexact::NotANumber),
            ("lots", Inexact::NotANumber),
            ("+1", Inexact::NotANumber),
            ("01", Inexact::NotANumber),
            ("1.", Inexact::NotANumber),
            (".5", Inexact::NotANumber),
            ("1e", Inexact::NotANumber),
            ("NaN", Inexact::NotANumber),
            ("inf", Inexact::NotANumber),
            ("0x10", Inexact::NotANumber),
        ] {
            assert_eq!(exact(literal), Err(why), "{literal}");
        }
    }

    /// The representation `exact` compares is the one `decimal` documents: one
    /// form per value, whatever zeros and exponent the literal wrote it with.
    #[test]
    fn decimal_is_digits_times_a_power_of_ten() {
        for (literal, form) in [
            ("1500", (false, "15", 2)),
            ("1500.000", (false, "15", 2)),
            ("1.5e3", (false, "15", 2)),
            ("15E+2", (false, "15", 2)),
            ("0.0015", (false, "15", -4)),
            ("-150e-1", (true, "15", 0)),
            ("100", (false, "1", 2)),
            ("-0.0", (false, "", 0)),
        ] {
            assert_eq!(
                decimal(literal),
                Some((form.0, form.1.to_owned(), form.2)),
                "{literal}"
            );
        }
    }
}
