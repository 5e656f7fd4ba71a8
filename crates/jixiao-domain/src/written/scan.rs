//! The numbers and dates of a text as written, found by position (TABLES.md §3): what every
//! reading of a target or an actual starts from. The words around them are read by the
//! vocabularies of `written`; nothing here knows a word of a province's tables.

use std::ops::Range;

use rust_decimal::Decimal;

use crate::decimal::parse_plain_decimal;

/// A number found in a normalised text: where it is and its value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberAt {
    /// Byte range in the normalised text.
    pub span: Range<usize>,
    /// The value, or why the digits are not one (`12,5`, a figure a decimal cannot hold).
    pub value: Result<Decimal, String>,
}

/// Every number of `text` (normalised, see [`super::normalize`]): ASCII digits with at most
/// one `.` between digits and `,` between groups of three digits (`1,000`). A `,` anywhere
/// else (`12,5`) makes that number unreadable, with the reason.
pub fn numbers(text: &str) -> Vec<NumberAt> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if !bytes[index].is_ascii_digit() {
            index += 1;
            continue;
        }
        let start = index;
        let (end, value) = number_from(text, start);
        found.push(NumberAt {
            span: start..end,
            value,
        });
        index = end.max(start + 1);
    }
    found
}

/// Reads the number starting at `start`; returns where it ends and its value.
fn number_from(text: &str, start: usize) -> (usize, Result<Decimal, String>) {
    let bytes = text.as_bytes();
    let mut end = start;
    let mut digits = String::new();
    let mut seen_point = false;
    let mut malformed = None;
    while end < bytes.len() {
        let byte = bytes[end];
        if byte.is_ascii_digit() {
            digits.push(byte as char);
            end += 1;
        } else if byte == b'.' && !seen_point && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            seen_point = true;
            digits.push('.');
            end += 1;
        } else if byte == b',' && !seen_point && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
        {
            // A thousands separator: exactly three digits follow, then no digit.
            let group = &bytes[end + 1..];
            let three = group.len() >= 3 && group[..3].iter().all(u8::is_ascii_digit);
            let then = group.get(3).is_none_or(|next| !next.is_ascii_digit());
            if !(three && then) {
                malformed = Some(format!(
                    "{:?} has a ',' that is not a thousands separator (12.5, not 12,5)",
                    &text[start..]
                ));
            }
            end += 1;
        } else {
            break;
        }
    }
    if let Some(reason) = malformed {
        return (end, Err(reason));
    }
    (
        end,
        parse_plain_decimal(&digits).map_err(|error| error.to_string()),
    )
}

/// A date as written: `2023年12月`, `9月`, `10月底`, `2023年12月31日`, `年底`. The year is
/// `None` when the text gives none (the table's year then counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WrittenDate {
    /// The year, when written.
    pub year: Option<i32>,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day, when written (`底`/`末` is the month's last day, written as 31).
    pub day: Option<u8>,
}

impl WrittenDate {
    /// The date as a number that orders like the date: `YYYYMMDD`, the year `year` when the
    /// text gives none, and the day `missing_day` when it gives no day (31 for a deadline:
    /// `9月前` is met by any day of September; 1 for an actual).
    /// A day past the month's end (`9月底` read as the 31st, a missing day of 31) is its last
    /// day: `9月前` is `YYYY0930`.
    pub fn ordinal(&self, year: i32, missing_day: u8) -> Decimal {
        let year = self.year.unwrap_or(year);
        let day = u32::from(self.day.unwrap_or(missing_day));
        let last = last_day_of_month(year, u32::from(self.month));
        Decimal::from(
            i64::from(year) * 10_000 + i64::from(self.month) * 100 + i64::from(day.min(last)),
        )
    }
}

impl std::fmt::Display for WrittenDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(year) = self.year {
            write!(f, "{year}年")?;
        }
        write!(f, "{}月", self.month)?;
        match self.day {
            Some(31) => f.write_str("底"),
            Some(day) => write!(f, "{day}日"),
            None => Ok(()),
        }
    }
}

/// Words that name the end of the year without a number (`年底前`, `年内`): December.
pub const YEAR_END_WORDS: &[&str] = &["年底", "年末", "年内", "年度内", "本年度内"];

/// Words after a month that make it the month's end (`10月底`, `6月末`).
pub const MONTH_END_WORDS: &[&str] = &["底", "末"];

/// A date found in a text: where it is, and the date or why it is impossible (`2022年13月`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateAt {
    /// Byte range in the normalised text.
    pub span: Range<usize>,
    /// The date, or why it is none.
    pub date: Result<WrittenDate, String>,
}

/// Every date of `text` (normalised): `[YYYY年]M月[D日|底|末]`, `YYYY年底`, and the
/// year-end words alone.
pub fn dates(text: &str) -> Vec<DateAt> {
    let numbers = numbers(text);
    let mut found: Vec<DateAt> = Vec::new();
    let mut index = 0;
    while index < numbers.len() {
        let number = &numbers[index];
        let after = &text[number.span.end..];
        let integer = number
            .value
            .as_ref()
            .ok()
            .filter(|value| value.fract().is_zero())
            .and_then(|value| i64::try_from(value.mantissa()).ok());
        let Some(integer) = integer else {
            index += 1;
            continue;
        };
        let start = number.span.start;
        if after.starts_with('年') && number.span.len() == 4 {
            let year = i32::try_from(integer).ok();
            let after_year = number.span.end + '年'.len_utf8();
            if let Some(next) = numbers.get(index + 1)
                && next.span.start == after_year
                && text[next.span.end..].starts_with('月')
            {
                let (date, end) = month_date(text, year, next);
                found.push(DateAt {
                    span: start..end,
                    date,
                });
                index += 2;
                continue;
            }
            if let Some(word) = YEAR_END_WORDS
                .iter()
                .find(|word| text[after_year - '年'.len_utf8()..].starts_with(**word))
            {
                found.push(DateAt {
                    span: start..after_year - '年'.len_utf8() + word.len(),
                    date: Ok(WrittenDate {
                        year,
                        month: 12,
                        day: Some(31),
                    }),
                });
            }
            index += 1;
            continue;
        }
        if after.starts_with('月') {
            let (date, end) = month_date(text, None, number);
            found.push(DateAt {
                span: start..end,
                date,
            });
        }
        index += 1;
    }
    if found.is_empty() {
        for word in YEAR_END_WORDS {
            if let Some(position) = text.find(word) {
                found.push(DateAt {
                    span: position..position + word.len(),
                    date: Ok(WrittenDate {
                        year: None,
                        month: 12,
                        day: Some(31),
                    }),
                });
                break;
            }
        }
    }
    found
}

/// A month date from the number before `月`, with a day or a month's end after it.
fn month_date(
    text: &str,
    year: Option<i32>,
    month: &NumberAt,
) -> (Result<WrittenDate, String>, usize) {
    let mut end = month.span.end + '月'.len_utf8();
    let month_value = month.value.clone().unwrap_or_default();
    let rest = &text[end..];
    let mut day = None;
    if let Some(word) = MONTH_END_WORDS.iter().find(|word| rest.starts_with(**word)) {
        day = Some(31);
        end += word.len();
    } else {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after_digits = &rest[digits.len()..];
        if !digits.is_empty() && (after_digits.starts_with('日') || after_digits.starts_with('号'))
        {
            day = digits.parse::<u8>().ok().or(Some(0));
            end += digits.len() + '日'.len_utf8();
        }
    }
    let written = &text[month.span.start.min(end)..end];
    let month_number = u8::try_from(month_value.mantissa()).ok();
    let date = match month_number {
        Some(month @ 1..=12) if month_value.fract().is_zero() => match day {
            Some(0) | Some(32..) => Err(format!("{written:?} is not a date: no such day")),
            _ => Ok(WrittenDate { year, month, day }),
        },
        _ => Err(format!(
            "{written:?} is not a date: there is no month {}",
            month_value.normalize()
        )),
    };
    (date, end)
}

/// The last day of a month (28 to 31), by the calendar (chrono); 31 for a month no calendar
/// has, which the reader never gives.
fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    chrono::NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .map_or(31, |last| chrono::Datelike::day(&last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_with_their_positions_and_malformed_ones_named() {
        let found = numbers("达到预计值2100,完成率95.5%");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].value, Ok(Decimal::from(2100)));
        assert_eq!(found[1].value, Ok(Decimal::new(955, 1)));
        assert_eq!(numbers("1,000人")[0].value, Ok(Decimal::from(1000)));
        assert!(numbers("12,5")[0].value.is_err());
    }

    #[test]
    fn dates_of_every_written_form() {
        let date = |text: &str| dates(text).into_iter().next().map(|found| found.date);
        let month = |year, month, day| Some(Ok(WrittenDate { year, month, day }));
        assert_eq!(date("9月前"), month(None, 9, None));
        assert_eq!(date("2023年12月前"), month(Some(2023), 12, None));
        assert_eq!(date("10月底"), month(None, 10, Some(31)));
        assert_eq!(date("2023年10月15日完成"), month(Some(2023), 10, Some(15)));
        assert_eq!(date("年底前完成"), month(None, 12, Some(31)));
        assert_eq!(date("2022年底"), month(Some(2022), 12, Some(31)));
        assert!(date("2022年13月").unwrap().is_err());
        assert!(date("2月30号").is_some());
        assert_eq!(date("50个"), None);
    }
}
