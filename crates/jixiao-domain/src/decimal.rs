//! Plain decimals: the only textual form of a figure the services accept.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Longest decimal text accepted; rust_decimal holds at most 28 significant digits anyway.
const MAX_DECIMAL_LEN: usize = 40;

/// Why a text is not a plain decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text is empty.
    #[error("is empty; expected a plain decimal such as \"790.85\"")]
    Empty,
    /// The text has a character that a plain decimal does not have.
    #[error(
        "{0:?} is not a plain decimal: only an optional '-', digits and one '.' followed by digits are allowed (no exponent, comma, space or sign '+')"
    )]
    Malformed(String),
    /// The text is too long or has too many digits to be held exactly.
    #[error("{0:?} has more digits than can be held exactly (at most 28 significant digits)")]
    OutOfRange(String),
}

/// Parses a plain decimal: an optional `-`, one or more digits, and optionally a `.` followed by
/// one or more digits. Exponents (`1e3`), separators (`12,5`), spaces, `NaN`, `+1`, `1.` and
/// `.5` are refused, and so is any value that cannot be held exactly.
pub fn parse_plain_decimal(text: &str) -> Result<Decimal, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::Empty);
    }
    if text.len() > MAX_DECIMAL_LEN {
        return Err(DecimalError::OutOfRange(shorten(text)));
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (integer, fraction) = match digits.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(integer) || fraction.is_some_and(|fraction| !all_digits(fraction)) {
        return Err(DecimalError::Malformed(shorten(text)));
    }
    Decimal::from_str_exact(text).map_err(|_| DecimalError::OutOfRange(shorten(text)))
}

/// Parses a decimal known to be written by this system (stored canonical values).
pub fn parse_stored_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok()
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_DECIMAL_LEN {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX_DECIMAL_LEN).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_plain_decimals_and_keeps_their_scale() {
        for (text, expected) in [
            ("790.85", "790.85"),
            ("0", "0"),
            ("-12.50", "-12.50"),
            ("6308.70", "6308.70"),
            ("007", "7"),
        ] {
            assert_eq!(parse_plain_decimal(text).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn refuses_everything_that_is_not_a_plain_decimal() {
        for text in [
            "12,5", "1e3", "1E3", "NaN", "nan", "inf", " 1", "1 ", "1.", ".5", "+1", "--1",
            "1.2.3", "0x10", "١٢", "1_000", "-", "-.5", "１",
        ] {
            assert!(
                matches!(parse_plain_decimal(text), Err(DecimalError::Malformed(_))),
                "{text:?} was accepted"
            );
        }
        assert_eq!(parse_plain_decimal(""), Err(DecimalError::Empty));
    }

    #[test]
    fn refuses_values_that_cannot_be_held_exactly() {
        let too_many_digits = "1".repeat(35);
        assert!(matches!(
            parse_plain_decimal(&too_many_digits),
            Err(DecimalError::OutOfRange(_))
        ));
        let huge = "9".repeat(1000);
        let error = parse_plain_decimal(&huge).unwrap_err();
        assert!(
            error.to_string().len() < 200,
            "the message quotes at most a prefix"
        );
    }

    proptest! {
        #[test]
        fn every_decimal_round_trips_through_its_text(mantissa in any::<i64>(), scale in 0u32..10) {
            let decimal = Decimal::new(mantissa, scale);
            prop_assert_eq!(parse_plain_decimal(&decimal.to_string()).unwrap(), decimal);
        }

        #[test]
        fn text_with_a_non_decimal_character_is_refused(
            prefix in "[0-9]{0,5}",
            bad in "[^0-9.\\-]",
            suffix in "[0-9]{0,5}",
        ) {
            let text = format!("{prefix}{bad}{suffix}");
            prop_assert!(parse_plain_decimal(&text).is_err());
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,50}") {
            let _ = parse_plain_decimal(&text);
        }
    }
}
