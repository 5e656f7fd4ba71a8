//! The scoring rules a value can be judged by, shared by budget execution and computed rows
//! (TABLES.md §4): budget execution is the computed row `budget.executed / A` (or I) judged
//! against time progress by one of these.

use rust_decimal::Decimal;

use crate::arith;
use crate::framework::ValueBand;

/// How a value `x` scores out of a weight `w`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ValueRule<'a> {
    /// min(w, w × x / limit); `inverse`: min(w, w × limit / x) (≤ rows by ratio, R01, R10).
    Proportional { limit: Decimal, inverse: bool },
    /// w up to `limit`, then `per_point` off per unit beyond it on the costly side, floored at 0.
    PointsOff {
        limit: Decimal,
        per_point: Decimal,
        above: bool,
    },
    /// Full from `full_at` on; below it proportional, or `per_point` off per point short.
    Threshold {
        full_at: Decimal,
        per_point: Option<Decimal>,
    },
    /// The first band holding `x`; none: 0.
    Bands(&'a [ValueBand]),
    /// `x` itself.
    Value,
}

impl ValueRule<'_> {
    /// The raw score of `x` out of `w`, held within [0, w]; the caller rounds it.
    pub(crate) fn score(&self, w: Decimal, x: Decimal) -> Decimal {
        let raw = match *self {
            ValueRule::Proportional { limit, inverse } => {
                if inverse {
                    if x <= limit {
                        w
                    } else {
                        arith::div(arith::mul(w, limit), x)
                    }
                } else if limit.is_zero() {
                    w
                } else {
                    arith::div(arith::mul(w, x), limit)
                }
            }
            ValueRule::PointsOff {
                limit,
                per_point,
                above,
            } => {
                let beyond = if above {
                    arith::sub(x, limit)
                } else {
                    arith::sub(limit, x)
                };
                if beyond <= Decimal::ZERO {
                    w
                } else {
                    arith::sub(w, arith::mul(beyond, per_point))
                }
            }
            ValueRule::Threshold { full_at, per_point } => {
                if x >= full_at {
                    w
                } else if let Some(per_point) = per_point {
                    arith::sub(w, arith::mul(arith::sub(full_at, x), per_point))
                } else {
                    arith::div(arith::mul(w, x), full_at)
                }
            }
            ValueRule::Bands(bands) => bands
                .iter()
                .find(|band| band.holds(x))
                .map_or(Decimal::ZERO, |band| band.score),
            ValueRule::Value => x,
        };
        raw.max(Decimal::ZERO).min(w.max(Decimal::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn each_rule_on_figures_of_the_rule_documents() {
        let five = d("5");
        // R04: 在职人员控制率 ≤ 100% gets 5, 0.5 off per point above.
        let staff = ValueRule::PointsOff {
            limit: d("100"),
            per_point: d("0.5"),
            above: true,
        };
        assert_eq!(staff.score(five, d("98")), five);
        assert_eq!(staff.score(five, d("104")), d("3"));
        assert_eq!(staff.score(five, d("130")), Decimal::ZERO);
        // R02: 预算支出进度 ≥ 90% gets 15, 1 off per point below.
        let progress = ValueRule::Threshold {
            full_at: d("90"),
            per_point: Some(Decimal::ONE),
        };
        assert_eq!(progress.score(d("15"), d("86")), d("11"));
        // R10: a ≤ row by ratio: 8 of 10 at 1.25 T.
        let ratio = ValueRule::Proportional {
            limit: d("100"),
            inverse: true,
        };
        assert_eq!(ratio.score(d("10"), d("125")), d("8"));
        // R14: 预算调整率 bands.
        let bands = [
            ValueBand {
                at_least: None,
                at_most: Some(Decimal::ZERO),
                score: d("3"),
            },
            ValueBand {
                at_least: None,
                at_most: Some(d("10")),
                score: d("2"),
            },
        ];
        assert_eq!(ValueRule::Bands(&bands).score(d("3"), d("0")), d("3"));
        assert_eq!(ValueRule::Bands(&bands).score(d("3"), d("7.5")), d("2"));
        assert_eq!(ValueRule::Bands(&bands).score(d("3"), d("31")), d("0"));
        assert_eq!(ValueRule::Value.score(d("10"), d("9.8")), d("9.8"));
        assert_eq!(ValueRule::Value.score(d("10"), d("-3")), d("0"));
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..=8).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
    }

    fn rule(kind: u8, limit: Decimal, per_point: Decimal, bands: &[ValueBand]) -> ValueRule<'_> {
        match kind % 6 {
            0 => ValueRule::Proportional {
                limit: limit.abs(),
                inverse: false,
            },
            1 => ValueRule::Proportional {
                limit: limit.abs(),
                inverse: true,
            },
            2 => ValueRule::PointsOff {
                limit,
                per_point: per_point.abs(),
                above: (kind / 6).is_multiple_of(2),
            },
            3 => ValueRule::Threshold {
                full_at: limit.abs().max(Decimal::ONE),
                per_point: Some(per_point.abs()),
            },
            4 => ValueRule::Bands(bands),
            _ => ValueRule::Value,
        }
    }

    proptest! {
        #[test]
        fn a_score_lies_within_0_and_the_weight_under_every_rule(
            kind in any::<u8>(),
            weight in 0i64..=100,
            limit in decimal(),
            per_point in decimal(),
            x in decimal(),
            band_score in 0i64..=100,
        ) {
            let w = Decimal::from(weight);
            let bands = [ValueBand { at_least: Some(limit), at_most: None, score: Decimal::from(band_score).min(w) }];
            let score = rule(kind, limit, per_point, &bands).score(w, x);
            prop_assert!(score >= Decimal::ZERO && score <= w, "{score} of {w}");
        }

        #[test]
        fn at_least_rules_never_fall_and_at_most_rules_never_rise_as_the_value_rises(
            weight in 1i64..=100,
            limit in 1i64..=10_000,
            per_point in 1i64..=100,
            x in 0i64..=100_000,
            step in 0i64..=10_000,
        ) {
            let (w, limit) = (Decimal::from(weight), Decimal::from(limit));
            let per_point = Decimal::new(per_point, 1);
            let (low, high) = (Decimal::new(x, 2), Decimal::new(x + step, 2));
            let rising = [
                ValueRule::Proportional { limit, inverse: false },
                ValueRule::PointsOff { limit, per_point, above: false },
                ValueRule::Threshold { full_at: limit, per_point: Some(per_point) },
                ValueRule::Threshold { full_at: limit, per_point: None },
                ValueRule::Value,
            ];
            for rule in rising {
                prop_assert!(rule.score(w, low) <= rule.score(w, high), "{rule:?}");
            }
            let falling = [
                ValueRule::Proportional { limit, inverse: true },
                ValueRule::PointsOff { limit, per_point, above: true },
            ];
            for rule in falling {
                prop_assert!(rule.score(w, low) >= rule.score(w, high), "{rule:?}");
            }
        }
    }
}
