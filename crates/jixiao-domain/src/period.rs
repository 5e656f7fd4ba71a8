//! Reporting periods: a year (`2022`), a quarter (`2022-Q3`) or a month (`2022-07`).

use std::fmt;
use std::str::FromStr;

/// Earliest year accepted.
pub const MIN_YEAR: i32 = 2000;
/// Latest year accepted.
pub const MAX_YEAR: i32 = 2100;

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
}

/// A calendar period. Ordered by year, then start month, then finer before coarser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    year: i32,
    grain: Grain,
    /// 1 for a year, 1..=4 for a quarter, 1..=12 for a month.
    index: u8,
}

/// Why a text is not a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not of the form `2022`, `2022-Q3` or `2022-07`.
    #[error(
        "{0:?} is not a period: expected a year (2022), a quarter (2022-Q3) or a month (2022-07)"
    )]
    Malformed(String),
    /// The year is outside the accepted range.
    #[error("year {0} is outside {MIN_YEAR}..={MAX_YEAR}")]
    YearOutOfRange(i32),
    /// The quarter is not 1 to 4.
    #[error("{0:?} names quarter {1}, but quarters run from Q1 to Q4")]
    NoSuchQuarter(String, u32),
    /// The month is not 1 to 12.
    #[error("{0:?} names month {1}, but months run from 01 to 12")]
    NoSuchMonth(String, u32),
}

impl Period {
    /// The whole year.
    pub fn year(year: i32) -> Result<Self, PeriodError> {
        check_year(year)?;
        Ok(Self {
            year,
            grain: Grain::Year,
            index: 1,
        })
    }

    /// Quarter `quarter` (1 to 4) of `year`.
    pub fn quarter(year: i32, quarter: u8) -> Result<Self, PeriodError> {
        check_year(year)?;
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::NoSuchQuarter(
                format!("{year}-Q{quarter}"),
                quarter.into(),
            ));
        }
        Ok(Self {
            year,
            grain: Grain::Quarter,
            index: quarter,
        })
    }

    /// Month `month` (1 to 12) of `year`.
    pub fn month(year: i32, month: u8) -> Result<Self, PeriodError> {
        check_year(year)?;
        if !(1..=12).contains(&month) {
            return Err(PeriodError::NoSuchMonth(
                format!("{year}-{month:02}"),
                month.into(),
            ));
        }
        Ok(Self {
            year,
            grain: Grain::Month,
            index: month,
        })
    }

    /// The calendar year the period lies in.
    pub fn year_number(&self) -> i32 {
        self.year
    }

    /// Whether this is a year, a quarter or a month.
    pub fn grain(&self) -> Grain {
        self.grain
    }

    /// The quarter number (1 to 4) of a quarter period.
    pub fn quarter_number(&self) -> Option<u8> {
        (self.grain == Grain::Quarter).then_some(self.index)
    }

    /// First month of the period (1 to 12).
    pub fn start_month(&self) -> u8 {
        match self.grain {
            Grain::Year => 1,
            Grain::Quarter => (self.index - 1) * 3 + 1,
            Grain::Month => self.index,
        }
    }

    /// Last month of the period (1 to 12).
    pub fn end_month(&self) -> u8 {
        match self.grain {
            Grain::Year => 12,
            Grain::Quarter => self.index * 3,
            Grain::Month => self.index,
        }
    }

    /// The quarter (1 to 4) that contains a month period, or the quarter itself.
    pub fn containing_quarter(&self) -> Option<u8> {
        match self.grain {
            Grain::Year => None,
            Grain::Quarter => Some(self.index),
            Grain::Month => Some((self.index - 1) / 3 + 1),
        }
    }

    /// Whether `other` lies within this period.
    pub fn contains(&self, other: &Period) -> bool {
        self.year == other.year
            && self.start_month() <= other.start_month()
            && other.end_month() <= self.end_month()
    }

    /// Whether the period can be the as-of period of an evaluation (a year or a quarter).
    pub fn is_evaluable(&self) -> bool {
        matches!(self.grain, Grain::Year | Grain::Quarter)
    }
}

fn check_year(year: i32) -> Result<(), PeriodError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(PeriodError::YearOutOfRange(year))
    }
}

fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || PeriodError::Malformed(text.to_owned());
        let (year_text, rest) = match text.split_once('-') {
            Some((year_text, rest)) => (year_text, Some(rest)),
            None => (text, None),
        };
        if year_text.len() != 4 {
            return Err(malformed());
        }
        let year = parse_digits(year_text).ok_or_else(malformed)? as i32;
        match rest {
            None => Period::year(year),
            Some(rest) => {
                if let Some(quarter_text) = rest.strip_prefix('Q') {
                    if quarter_text.len() != 1 {
                        return Err(malformed());
                    }
                    let quarter = parse_digits(quarter_text).ok_or_else(malformed)?;
                    if !(1..=4).contains(&quarter) {
                        check_year(year)?;
                        return Err(PeriodError::NoSuchQuarter(text.to_owned(), quarter));
                    }
                    Period::quarter(year, quarter as u8)
                } else {
                    if rest.len() != 2 {
                        return Err(malformed());
                    }
                    let month = parse_digits(rest).ok_or_else(malformed)?;
                    if !(1..=12).contains(&month) {
                        check_year(year)?;
                        return Err(PeriodError::NoSuchMonth(text.to_owned(), month));
                    }
                    Period::month(year, month as u8)
                }
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.grain {
            Grain::Year => write!(f, "{}", self.year),
            Grain::Quarter => write!(f, "{}-Q{}", self.year, self.index),
            Grain::Month => write!(f, "{}-{:02}", self.year, self.index),
        }
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.year, self.start_month(), self.grain).cmp(&(
            other.year,
            other.start_month(),
            other.grain,
        ))
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_years_quarters_and_months() {
        let q3: Period = "2022-Q3".parse().unwrap();
        assert_eq!((q3.start_month(), q3.end_month()), (7, 9));
        let july: Period = "2022-07".parse().unwrap();
        assert_eq!(july.containing_quarter(), Some(3));
        assert!(q3.contains(&july));
        let year: Period = "2022".parse().unwrap();
        assert!(year.contains(&q3));
        assert!(!q3.contains(&year));
    }

    #[test]
    fn refuses_impossible_periods_with_the_reason() {
        assert!(matches!(
            "2022-Q5".parse::<Period>(),
            Err(PeriodError::NoSuchQuarter(_, 5))
        ));
        assert!(matches!(
            "2022-Q0".parse::<Period>(),
            Err(PeriodError::NoSuchQuarter(_, 0))
        ));
        assert!(matches!(
            "2022-13".parse::<Period>(),
            Err(PeriodError::NoSuchMonth(_, 13))
        ));
        assert!(matches!(
            "2022-00".parse::<Period>(),
            Err(PeriodError::NoSuchMonth(_, 0))
        ));
        assert!(matches!(
            "1899".parse::<Period>(),
            Err(PeriodError::YearOutOfRange(1899))
        ));
        for text in [
            "",
            "22",
            "2022-7",
            "2022-q3",
            "2022-Q",
            "2022-Q10",
            " 2022",
            "2022 ",
            "２０２２",
            "2022-",
            "2022-H1",
            "-2022",
            "+2022",
        ] {
            assert!(text.parse::<Period>().is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn orders_by_start_then_finer_first() {
        let mut periods: Vec<Period> = ["2022", "2022-Q1", "2022-01", "2021-12", "2022-04"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        periods.sort();
        let texts: Vec<String> = periods.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["2021-12", "2022-01", "2022-Q1", "2022", "2022-04"]);
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(year in MIN_YEAR..=MAX_YEAR, kind in 0u8..3, index in 1u8..=12) {
            let period = match kind {
                0 => Period::year(year).unwrap(),
                1 => Period::quarter(year, (index - 1) / 3 + 1).unwrap(),
                _ => Period::month(year, index).unwrap(),
            };
            prop_assert_eq!(period.to_string().parse::<Period>().unwrap(), period);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<Period>();
        }
    }
}
