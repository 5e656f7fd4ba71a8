//! Arithmetic on figures that never panics.
//!
//! rust_decimal's operators panic when a result leaves ±(2^96 − 1) (about ±7.9 × 10^28), and
//! the ingestion service accepts any figure it can hold exactly, so sums, products and
//! quotients of accepted figures can overflow. Here they saturate at the bound instead, and the
//! thread that scores remembers that it happened, so that [`crate::evaluate`] raises the flag
//! `figure_out_of_range` on the evaluation: a score that depends on such a figure is at its own
//! bound anyway (a `>=` row whose ratio overflows earns its full weight, a `<=` row 0), and the
//! flag tells the reader why a figure shows as 79228162514264337593543950335.
//!
//! Written here rather than taken from a library: rust_decimal has saturating `+`, `−` and `×`
//! but no saturating `÷`, and the marker is this crate's own.

use std::cell::Cell;

use rust_decimal::Decimal;

thread_local! {
    static SATURATED: Cell<bool> = const { Cell::new(false) };
}

fn bound(negative: bool) -> Decimal {
    SATURATED.with(|saturated| saturated.set(true));
    if negative { Decimal::MIN } else { Decimal::MAX }
}

/// Forgets earlier saturations on this thread; call before scoring one subject.
pub(crate) fn reset() {
    SATURATED.with(|saturated| saturated.set(false));
}

/// Whether an operation saturated on this thread since [`reset`].
pub(crate) fn saturated() -> bool {
    SATURATED.with(Cell::get)
}

/// `a + b`, held at ±[`Decimal::MAX`].
pub(crate) fn add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b)
        .unwrap_or_else(|| bound(a.is_sign_negative()))
}

/// `a − b`, held at ±[`Decimal::MAX`].
pub(crate) fn sub(a: Decimal, b: Decimal) -> Decimal {
    a.checked_sub(b)
        .unwrap_or_else(|| bound(a.is_sign_negative()))
}

/// `a × b`, held at ±[`Decimal::MAX`].
pub(crate) fn mul(a: Decimal, b: Decimal) -> Decimal {
    a.checked_mul(b)
        .unwrap_or_else(|| bound(a.is_sign_negative() != b.is_sign_negative()))
}

/// `a ÷ b`, held at ±[`Decimal::MAX`]; `0` when `b` is 0 (callers test for a zero divisor
/// first and say what it means; this only keeps a missed case from panicking).
pub(crate) fn div(a: Decimal, b: Decimal) -> Decimal {
    if b.is_zero() {
        return Decimal::ZERO;
    }
    a.checked_div(b)
        .unwrap_or_else(|| bound(a.is_sign_negative() != b.is_sign_negative()))
}

/// The sum of `values`, held at ±[`Decimal::MAX`].
pub(crate) fn sum(values: impl IntoIterator<Item = Decimal>) -> Decimal {
    values.into_iter().fold(Decimal::ZERO, add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_beyond_a_decimal_saturate_and_are_remembered() {
        reset();
        assert_eq!(add(Decimal::ONE, Decimal::TWO), Decimal::from(3));
        assert!(!saturated());
        assert_eq!(add(Decimal::MAX, Decimal::ONE), Decimal::MAX);
        assert!(saturated());
        reset();
        assert_eq!(sub(Decimal::MIN, Decimal::ONE), Decimal::MIN);
        assert_eq!(
            mul(Decimal::MAX, Decimal::NEGATIVE_ONE * Decimal::TWO),
            Decimal::MIN
        );
        let tiny = Decimal::new(1, 28);
        assert_eq!(div(Decimal::MAX, tiny), Decimal::MAX);
        assert!(saturated());
        reset();
        assert_eq!(div(Decimal::ONE, Decimal::ZERO), Decimal::ZERO);
        assert_eq!(
            sum([Decimal::MAX, Decimal::MAX, Decimal::MIN]),
            Decimal::ZERO
        );
        assert!(saturated());
    }
}
