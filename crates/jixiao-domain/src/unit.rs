//! Units of measure and their exact conversion to each kind's canonical unit.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a metric measures; each kind has one canonical unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Money, canonical 万元.
    Money,
    /// Land area, canonical 亩.
    LandArea,
    /// Floor area, canonical 平方米.
    FloorArea,
    /// A count of parcels, items, contracts, canonical `count`.
    Count,
    /// A percentage, canonical `percent`.
    Percent,
    /// A duration, canonical 天.
    DurationDays,
    /// A length, canonical 米.
    Length,
    /// A mass, canonical 千克.
    Mass,
    /// A volume, canonical 立方米.
    Volume,
    /// Money in a foreign currency, canonical 万美元; never converted into 元.
    ForeignMoney,
    /// A duration in hours, canonical 小时 (kept apart from days: an hour is not an exact
    /// decimal part of a day).
    DurationHours,
    /// A duration in working days, canonical 工作日 (kept apart from calendar days).
    WorkingDays,
    /// A unit jixiao does not convert (`种`, `元/户`, `人·次`), kept as written: a target in it
    /// compares with actuals in the same word, or in the same denominator for a composite unit
    /// (TABLES.md §0, §3; `written::units`). Its canonical unit `as_written` is the word itself.
    AsWritten,
    /// A calendar date (a deadline such as `9月前`, an actual such as `2023年10月`), held as
    /// `YYYYMMDD` so that it orders like the date; never converted, never scaled by t.
    Date,
}

impl MetricKind {
    /// Every kind.
    pub const ALL: [MetricKind; 14] = [
        MetricKind::Money,
        MetricKind::LandArea,
        MetricKind::FloorArea,
        MetricKind::Count,
        MetricKind::Percent,
        MetricKind::DurationDays,
        MetricKind::Length,
        MetricKind::Mass,
        MetricKind::Volume,
        MetricKind::ForeignMoney,
        MetricKind::DurationHours,
        MetricKind::WorkingDays,
        MetricKind::AsWritten,
        MetricKind::Date,
    ];

    /// The code used in the API and in configuration.
    pub fn as_str(&self) -> &'static str {
        match self {
            MetricKind::Money => "money",
            MetricKind::LandArea => "land_area",
            MetricKind::FloorArea => "floor_area",
            MetricKind::Count => "count",
            MetricKind::Percent => "percent",
            MetricKind::DurationDays => "duration_days",
            MetricKind::Length => "length",
            MetricKind::Mass => "mass",
            MetricKind::Volume => "volume",
            MetricKind::ForeignMoney => "foreign_money",
            MetricKind::DurationHours => "duration_hours",
            MetricKind::WorkingDays => "working_days",
            MetricKind::AsWritten => "as_written",
            MetricKind::Date => "date",
        }
    }

    /// Whether a year's figure of this kind accumulates over the year, so that the target of an
    /// in-year window is the annual target × t (`SCORING.md` §3; TABLES.md §3): counts, money,
    /// areas, lengths, masses and volumes do; percentages and durations do not. Nor do units
    /// kept as written (a `元/户` is a rate, a `种` may be either: the target is not guessed at)
    /// and dates.
    pub fn accumulates(&self) -> bool {
        !matches!(
            self,
            MetricKind::Percent
                | MetricKind::DurationDays
                | MetricKind::DurationHours
                | MetricKind::WorkingDays
                | MetricKind::AsWritten
                | MetricKind::Date
        )
    }

    /// The canonical unit of this kind.
    pub fn canonical_unit(&self) -> &'static Unit {
        UNITS
            .iter()
            .find(|unit| unit.kind == *self && unit.is_canonical())
            .expect("every kind has a canonical unit in the table")
    }

    /// Every unit of this kind, canonical first.
    pub fn units(&self) -> impl Iterator<Item = &'static Unit> + '_ {
        UNITS.iter().filter(move |unit| unit.kind == *self)
    }
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MetricKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        MetricKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown metric kind {text:?}; expected one of money, land_area, floor_area, count, percent, duration_days, length, mass, volume, foreign_money, duration_hours, working_days, as_written, date"
                )
            })
    }
}

/// A unit of measure: its code, its Chinese name, its kind and the exact factor that converts
/// a value in this unit into the canonical unit of its kind.
#[derive(Debug, PartialEq, Eq)]
pub struct Unit {
    /// ASCII code, for example `hectare`.
    pub code: &'static str,
    /// Other accepted spellings, Chinese names first (for example `公顷`).
    pub aliases: &'static [&'static str],
    /// The kind this unit measures.
    pub kind: MetricKind,
    /// canonical value = value × factor, as mantissa and scale of an exact decimal.
    factor: (i64, u32),
    /// Whether the conversion is a convention rather than exact (a month as 30 days).
    pub approximate: bool,
}

/// Every unit. For each kind, the canonical unit comes first.
static UNITS: &[Unit] = &[
    unit("wan_yuan", &["万元"], MetricKind::Money, (1, 0)),
    unit("yuan", &["元"], MetricKind::Money, (1, 4)),
    unit("qian_yuan", &["千元"], MetricKind::Money, (1, 1)),
    unit("yi_yuan", &["亿元"], MetricKind::Money, (10_000, 0)),
    unit("mu", &["亩"], MetricKind::LandArea, (1, 0)),
    unit("wan_mu", &["万亩"], MetricKind::LandArea, (10_000, 0)),
    unit("hectare", &["公顷"], MetricKind::LandArea, (15, 0)),
    unit("sqm", &["平方米"], MetricKind::LandArea, (15, 4)),
    unit(
        "sq_km",
        &["平方公里", "平方千米"],
        MetricKind::LandArea,
        (1_500, 0),
    ),
    unit("sqm", &["平方米"], MetricKind::FloorArea, (1, 0)),
    unit("wan_sqm", &["万平方米"], MetricKind::FloorArea, (10_000, 0)),
    unit("count", COUNT_WORDS, MetricKind::Count, (1, 0)),
    unit(
        "percent",
        &["%", "％", "百分比"],
        MetricKind::Percent,
        (1, 0),
    ),
    unit("ratio", &[], MetricKind::Percent, (100, 0)),
    unit("day", &["天", "日"], MetricKind::DurationDays, (1, 0)),
    Unit {
        approximate: true,
        ..unit("month", &["月", "个月"], MetricKind::DurationDays, (30, 0))
    },
    Unit {
        approximate: true,
        ..unit("year", &["年"], MetricKind::DurationDays, (365, 0))
    },
    unit("metre", &["米"], MetricKind::Length, (1, 0)),
    unit("centimetre", &["厘米"], MetricKind::Length, (1, 2)),
    unit(
        "kilometre",
        &["千米", "公里"],
        MetricKind::Length,
        (1_000, 0),
    ),
    unit("kilogram", &["千克", "公斤"], MetricKind::Mass, (1, 0)),
    unit("tonne", &["吨"], MetricKind::Mass, (1_000, 0)),
    unit("wan_tonne", &["万吨"], MetricKind::Mass, (10_000_000, 0)),
    unit("cubic_metre", &["立方米"], MetricKind::Volume, (1, 0)),
    unit(
        "wan_cubic_metre",
        &["万立方米"],
        MetricKind::Volume,
        (10_000, 0),
    ),
    unit("wan_usd", &["万美元"], MetricKind::ForeignMoney, (1, 0)),
    unit("usd", &["美元"], MetricKind::ForeignMoney, (1, 4)),
    unit("hour", &["小时"], MetricKind::DurationHours, (1, 0)),
    unit(
        "working_day",
        &["工作日", "个工作日"],
        MetricKind::WorkingDays,
        (1, 0),
    ),
    unit("as_written", &[], MetricKind::AsWritten, (1, 0)),
    unit("date", &[], MetricKind::Date, (1, 0)),
];

/// The words a count is written with (TABLES.md §3); counts of different words are one kind,
/// and the word is kept beside the figure.
const COUNT_WORDS: &[&str] = &[
    "parcel", "item", "宗", "件", "个", "份", "人", "人次", "次", "起", "座", "户", "所", "项",
    "台", "套", "家", "批", "场", "篇", "本", "辆", "名", "位", "张", "条", "处", "间", "栋", "株",
    "棵", "头", "册", "期", "艘", "只", "台次", "户次", "场次", "所次", "课时", "家次", "单",
];

const fn unit(
    code: &'static str,
    aliases: &'static [&'static str],
    kind: MetricKind,
    factor: (i64, u32),
) -> Unit {
    Unit {
        code,
        aliases,
        kind,
        factor,
        approximate: false,
    }
}

/// Why a unit was not accepted for a metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// No unit has that name.
    #[error("unknown unit {unit:?}; {kind} takes {accepted}")]
    Unknown {
        /// The unit as sent.
        unit: String,
        /// The metric's kind.
        kind: MetricKind,
        /// The accepted spellings.
        accepted: String,
    },
    /// The unit exists but measures another kind.
    #[error("unit {unit:?} measures {found}, but the metric is {kind} and takes {accepted}")]
    WrongKind {
        /// The unit as sent.
        unit: String,
        /// The kind the unit measures.
        found: MetricKind,
        /// The metric's kind.
        kind: MetricKind,
        /// The accepted spellings.
        accepted: String,
    },
}

impl Unit {
    /// Finds the unit of `kind` spelled `name` (a code or an alias).
    pub fn for_kind(kind: MetricKind, name: &str) -> Result<&'static Unit, UnitError> {
        if let Some(unit) = kind.units().find(|unit| unit.is_named(name)) {
            return Ok(unit);
        }
        let accepted = kind
            .units()
            .flat_map(|unit| std::iter::once(unit.code).chain(unit.aliases.iter().copied()))
            .collect::<Vec<_>>()
            .join(", ");
        match UNITS.iter().find(|unit| unit.is_named(name)) {
            Some(other) => Err(UnitError::WrongKind {
                unit: name.to_owned(),
                found: other.kind,
                kind,
                accepted,
            }),
            None => Err(UnitError::Unknown {
                unit: name.to_owned(),
                kind,
                accepted,
            }),
        }
    }

    fn is_named(&self, name: &str) -> bool {
        self.code == name || self.aliases.contains(&name)
    }

    /// The first unit of any kind spelled `name` (a code or an alias); for 平方米, the land
    /// area. For a row without a catalog metric, whose kind comes from its unit.
    pub fn named(name: &str) -> Option<&'static Unit> {
        UNITS.iter().find(|unit| unit.is_named(name))
    }

    /// The unit whose code is `code` (for `sqm`, the land-area one; both are 平方米).
    pub fn by_code(code: &str) -> Option<&'static Unit> {
        UNITS.iter().find(|unit| unit.code == code)
    }

    /// The name a report prints: its Chinese name (万元, 亩, %), 个 for a count, and for a
    /// ratio, which has none, its code.
    pub fn name_zh(&self) -> &'static str {
        match self.code {
            "count" => "个",
            // The word is the row's own (`种`, `元/户`), kept beside the figure.
            "as_written" | "date" => "",
            _ => self
                .aliases
                .iter()
                .copied()
                .find(|alias| !alias.is_ascii() || *alias == "%")
                .unwrap_or(self.code),
        }
    }

    /// Whether this is its kind's canonical unit.
    pub fn is_canonical(&self) -> bool {
        self.factor == (1, 0)
    }

    /// The exact factor: canonical value = value × factor.
    pub fn factor(&self) -> Decimal {
        Decimal::new(self.factor.0, self.factor.1)
    }

    /// Converts `value` in this unit to the canonical unit, exactly.
    ///
    /// The result keeps the precision of the figure as sent: 420.58 公顷 is 6308.70 亩 (the
    /// hundredths stay), 205.55 亿元 is 2055500 万元 (a hundredth of 亿元 is 100 万元), and
    /// 1.5 元 is 0.00015 万元.
    ///
    /// `None` when the canonical value cannot be held exactly: its magnitude would reach
    /// 2^96 / 10^scale (about 7.9 × 10^28 for whole numbers, for example
    /// 10^25 亿元 = 10^29 万元), or it would need more than 28 decimals (10^-28 元 is
    /// 10^-32 万元). A figure is never rounded on its way in.
    pub fn to_canonical(&self, value: Decimal) -> Option<Decimal> {
        let factor = self.factor();
        let product = value.checked_mul(factor)?;
        // rust_decimal rounds a product that does not fit instead of failing: dividing back
        // tells whether any digit was lost.
        if product.checked_div(factor)? != value {
            return None;
        }
        let mut trailing_zeros = 0u32;
        let mut mantissa = self.factor.0;
        while mantissa != 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            trailing_zeros += 1;
        }
        let precision_scale = (value.scale() + self.factor.1).saturating_sub(trailing_zeros);
        let mut canonical = product;
        if canonical.scale() > precision_scale {
            // Only zeros are dropped: the product of a figure with `s` decimals and a factor
            // ending in `z` zeros ends in at least `z` zero decimals.
            canonical.rescale(precision_scale);
        }
        Some(canonical)
    }

    /// Converts a canonical `value` back into this unit; `None` when the result is beyond
    /// what a decimal holds (a canonical value near the bound, in a unit smaller than the
    /// canonical one).
    pub fn from_canonical(&self, value: Decimal) -> Option<Decimal> {
        value
            .checked_div(self.factor())
            .map(|value| value.normalize())
    }
}

/// The reason given when [`Unit::to_canonical`] refuses `value` (as sent) in `unit`.
pub fn not_held_exactly(value: &str, unit: &Unit) -> String {
    let canonical = unit.kind.canonical_unit();
    format!(
        "{value} {} cannot be held exactly in {} (jixiao keeps figures exact: in the canonical unit, the figure's digits at the scale it needs must stay below 79228162514264337593543950335, with at most 28 decimals)",
        unit.aliases.first().copied().unwrap_or(unit.code),
        canonical.aliases.first().copied().unwrap_or(canonical.code),
    )
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canonical(kind: MetricKind, unit: &str, value: &str) -> String {
        let unit = Unit::for_kind(kind, unit).unwrap();
        unit.to_canonical(value.parse().unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn converts_the_source_reports_figures_exactly() {
        assert_eq!(canonical(MetricKind::LandArea, "公顷", "420.58"), "6308.70");
        assert_eq!(
            canonical(MetricKind::LandArea, "hectare", "420.58"),
            "6308.70"
        );
        assert_eq!(canonical(MetricKind::Money, "亿元", "205.55"), "2055500");
        assert_eq!(canonical(MetricKind::Money, "万元", "790.85"), "790.85");
        assert_eq!(canonical(MetricKind::Money, "元", "7908500"), "790.8500");
        assert_eq!(canonical(MetricKind::Money, "yuan", "1.5"), "0.00015");
        assert_eq!(canonical(MetricKind::LandArea, "万亩", "3.11"), "31100");
        assert_eq!(canonical(MetricKind::LandArea, "sqm", "10000"), "15.0000");
        assert_eq!(
            canonical(MetricKind::FloorArea, "万平方米", "413"),
            "4130000"
        );
        assert_eq!(canonical(MetricKind::FloorArea, "sqm", "12.5"), "12.5");
        assert_eq!(canonical(MetricKind::Percent, "ratio", "0.9661"), "96.61");
        assert_eq!(canonical(MetricKind::Count, "宗", "31"), "31");
        assert_eq!(canonical(MetricKind::DurationDays, "月", "2"), "60");
    }

    #[test]
    fn names_the_kind_when_a_unit_is_of_the_wrong_kind() {
        let error = Unit::for_kind(MetricKind::Money, "公顷").unwrap_err();
        assert!(matches!(
            error,
            UnitError::WrongKind {
                found: MetricKind::LandArea,
                ..
            }
        ));
        assert!(error.to_string().contains("万元"), "{error}");
        let error = Unit::for_kind(MetricKind::Money, "dollars").unwrap_err();
        assert!(matches!(error, UnitError::Unknown { .. }));
    }

    #[test]
    fn square_metres_mean_a_land_or_a_floor_area_by_the_metric() {
        assert_eq!(
            Unit::for_kind(MetricKind::LandArea, "平方米")
                .unwrap()
                .factor()
                .to_string(),
            "0.0015"
        );
        assert!(
            Unit::for_kind(MetricKind::FloorArea, "平方米")
                .unwrap()
                .is_canonical()
        );
    }

    #[test]
    fn figures_that_a_decimal_cannot_hold_in_the_canonical_unit_are_refused() {
        let yi = Unit::for_kind(MetricKind::Money, "亿元").unwrap();
        let yuan = Unit::for_kind(MetricKind::Money, "元").unwrap();
        let hectare = Unit::for_kind(MetricKind::LandArea, "公顷").unwrap();
        let huge: Decimal = "10000000000000000000000000".parse().unwrap();
        assert_eq!(yi.to_canonical(huge), None);
        assert_eq!(yuan.from_canonical(Decimal::MAX), None);
        assert_eq!(yi.to_canonical(Decimal::MAX), None);
        assert_eq!(
            yuan.to_canonical("0.0000000000000000000000000001".parse().unwrap()),
            None
        );
        assert_eq!(
            hectare.to_canonical("7922816251426433759354.395033".parse().unwrap()),
            None
        );
        assert_eq!(
            yi.to_canonical("0.0000000000000000000000000001".parse().unwrap()),
            Some("0.000000000000000000000001".parse().unwrap())
        );
    }

    #[test]
    fn every_unit_has_the_name_a_report_prints() {
        for (code, name) in [
            ("wan_yuan", "万元"),
            ("yi_yuan", "亿元"),
            ("yuan", "元"),
            ("mu", "亩"),
            ("hectare", "公顷"),
            ("sqm", "平方米"),
            ("count", "个"),
            ("percent", "%"),
            ("ratio", "ratio"),
            ("day", "天"),
            ("month", "月"),
        ] {
            assert_eq!(Unit::by_code(code).unwrap().name_zh(), name, "{code}");
        }
        assert!(Unit::by_code("furlong").is_none());
    }

    #[test]
    fn each_kind_has_exactly_one_canonical_unit() {
        for kind in MetricKind::ALL {
            assert_eq!(kind.units().filter(|unit| unit.is_canonical()).count(), 1);
            assert!(kind.units().next().unwrap().is_canonical());
        }
    }

    proptest! {
        #[test]
        fn converting_to_canonical_and_back_is_exact(
            mantissa in -1_000_000_000_000i64..1_000_000_000_000,
            scale in 0u32..6,
            unit_index in 0usize..14,
        ) {
            let unit = &UNITS[unit_index];
            let value = Decimal::new(mantissa, scale);
            let canonical = unit.to_canonical(value).unwrap();
            prop_assert_eq!(canonical, value * unit.factor());
            prop_assert_eq!(unit.from_canonical(canonical), Some(value));
        }

        #[test]
        fn a_conversion_is_exact_or_refused_never_rounded_and_never_a_panic(
            lo in any::<u32>(),
            mid in any::<u32>(),
            hi in any::<u32>(),
            negative in any::<bool>(),
            scale in 0u32..=28,
            unit_index in 0usize..14,
        ) {
            let unit = &UNITS[unit_index];
            let value = Decimal::from_parts(lo, mid, hi, negative, scale);
            if let Some(canonical) = unit.to_canonical(value) {
                prop_assert_eq!(canonical.checked_div(unit.factor()), Some(value));
            }
        }
    }
}
