//! Tables as written (TABLES.md §3): the labels, target texts (年度指标值) and actual texts
//! (实际完成值) of published 自评表, read into what jixiao scores, the text kept beside.
//!
//! Every vocabulary here is data: the tables below are the whole of what is understood, each
//! entry is tested, and what none of them reads is refused naming what was expected.
//!
//! A small hand-written reader rather than a parser library: the grammar is a handful of
//! words around one number, and what matters is the vocabulary, which is this crate's own.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::parse_plain_decimal;
use crate::target::{Comparator, Level1, Target};
use crate::unit::{MetricKind, Unit};

/// The level-1 labels as published, by group (TABLES.md §3 Labels). A label is matched after
/// [`normalize`], with or without the suffix 指标 and a trailing `(50分)`.
pub const LEVEL1_LABELS: &[(Level1, &[&str])] = &[
    (Level1::Output, &["产出", "项目产出", "output"]),
    (Level1::Outcome, &["效益", "项目效益", "outcome"]),
    (
        Level1::Satisfaction,
        &["满意度", "服务对象满意度", "satisfaction"],
    ),
    (Level1::Input, &["投入", "input"]),
    (Level1::Process, &["过程", "process"]),
    (
        Level1::Decision,
        &["决策", "项目决策", "部门决策", "decision"],
    ),
    (
        Level1::Management,
        &[
            "管理",
            "项目管理",
            "综合管理",
            "部门管理",
            "部门预算管理",
            "management",
        ],
    ),
    (
        Level1::Effect,
        &["效果", "部门绩效", "部门绩效情况", "项目绩效", "effect"],
    ),
];

/// The level-2 labels that are normalised (`数量指标` → 数量, `社会效益指标` → 社会); any other
/// label is kept as written.
pub const LEVEL2_LABELS: &[(&str, &[&str])] = &[
    ("数量", &["数量", "quantity"]),
    ("质量", &["质量", "quality"]),
    ("时效", &["时效", "timeliness"]),
    ("成本", &["成本", "cost"]),
    ("经济", &["经济", "经济效益", "economic"]),
    ("社会", &["社会", "社会效益", "social"]),
    ("生态", &["生态", "生态效益", "ecological"]),
    ("可持续", &["可持续", "可持续影响", "sustainability"]),
    (
        "服务对象满意度",
        &["服务对象满意度", "beneficiary_satisfaction"],
    ),
];

/// Comparators written before the number, longest first where one is a prefix of another.
pub const COMPARATOR_PREFIXES: &[(&str, Comparator)] = &[
    ("大于等于", Comparator::AtLeast),
    ("大于或等于", Comparator::AtLeast),
    ("不低于", Comparator::AtLeast),
    ("不少于", Comparator::AtLeast),
    ("至少", Comparator::AtLeast),
    (">=", Comparator::AtLeast),
    ("≥", Comparator::AtLeast),
    ("≧", Comparator::AtLeast),
    ("⩾", Comparator::AtLeast),
    ("小于等于", Comparator::AtMost),
    ("小于或等于", Comparator::AtMost),
    ("不高于", Comparator::AtMost),
    ("不超过", Comparator::AtMost),
    ("不大于", Comparator::AtMost),
    ("至多", Comparator::AtMost),
    ("控制在", Comparator::AtMost),
    ("<=", Comparator::AtMost),
    ("≤", Comparator::AtMost),
    ("≦", Comparator::AtMost),
    ("⩽", Comparator::AtMost),
    ("==", Comparator::Equal),
    ("等于", Comparator::Equal),
    ("=", Comparator::Equal),
    ("═", Comparator::Equal),
    ("﹦", Comparator::Equal),
];

/// Comparators written after the number and its unit.
pub const COMPARATOR_SUFFIXES: &[(&str, Comparator)] = &[
    ("及以上", Comparator::AtLeast),
    ("以上", Comparator::AtLeast),
    ("及以内", Comparator::AtMost),
    ("以内", Comparator::AtMost),
    ("及以下", Comparator::AtMost),
    ("以下", Comparator::AtMost),
];

/// The words between the two ends of a range (`90%-100%`, `90%～100%`, `90%至100%`).
pub const RANGE_SEPARATORS: &[&str] = &["-", "～", "~", "至", "—", "–"];

/// 指标性质 written before a target: 正向 (higher is better), 反向 (lower is better).
pub const DIRECTIONS: &[(&str, Comparator)] =
    &[("正向", Comparator::AtLeast), ("反向", Comparator::AtMost)];

/// A qualitative verdict (TABLES.md §3 Actual text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 达成.
    Achieved,
    /// 部分达成.
    PartlyAchieved,
    /// 未达成.
    NotAchieved,
}

impl Verdict {
    /// Every verdict, best first.
    pub const ALL: [Verdict; 3] = [
        Verdict::Achieved,
        Verdict::PartlyAchieved,
        Verdict::NotAchieved,
    ];

    /// The Chinese name: 达成, 部分达成 or 未达成.
    pub fn name_zh(&self) -> &'static str {
        match self {
            Verdict::Achieved => "达成",
            Verdict::PartlyAchieved => "部分达成",
            Verdict::NotAchieved => "未达成",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// The words of each verdict. A text is matched whole first, then by the words it contains,
/// the negative ones first (未完成 contains 完成).
pub const VERDICT_WORDS: &[(Verdict, &[&str])] = &[
    (
        Verdict::NotAchieved,
        &[
            "未达成",
            "未达到",
            "未完成",
            "否",
            "无效",
            "不合规",
            "不及时",
            "较差",
            "差",
            "未实现",
        ],
    ),
    (
        Verdict::PartlyAchieved,
        &[
            "部分达成",
            "基本达成",
            "基本完成",
            "部分完成",
            "基本达到",
            "基本实现",
            "较好",
            "一般",
        ],
    ),
    (
        Verdict::Achieved,
        &[
            "达成预期指标",
            "达成",
            "达到",
            "完成",
            "已完成",
            "全部完成",
            "实现",
            "是",
            "有效",
            "合规",
            "及时",
            "显著",
            "明显",
            "效果明显",
            "良好",
            "好",
            "高",
        ],
    ),
];

/// Words that mean nothing happened, read as 0 on a quantitative row.
pub const NONE_WORDS: &[&str] = &["无", "零", "没有"];

/// Folds what varies between tables and means nothing: full-width letters, digits and signs to
/// their ASCII forms (`１００％` → `100%`), and every kind of space away.
pub fn normalize(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_whitespace() && *character != '\u{3000}')
        .map(|character| match character {
            // Full-width ASCII (！ to ～), except the full-width tilde, kept as a range word.
            '\u{FF01}'..='\u{FF5D}' => {
                char::from_u32(character as u32 - 0xFF01 + 0x21).unwrap_or(character)
            }
            '。' => '.',
            other => other,
        })
        .collect()
}

/// Strips what surrounds a group label: a trailing `(50分)`, then the suffix 指标.
fn label_core(label: &str) -> String {
    let mut text = normalize(label);
    if let Some(open) = text.rfind('(')
        && text.ends_with("分)")
    {
        text.truncate(open);
    }
    text.strip_suffix("指标").map(str::to_owned).unwrap_or(text)
}

/// Reads a level-1 label as published (`产出指标`, `服务对象满意度指标`, `项目决策`, `投入`).
///
/// # Errors
///
/// The label and the groups understood, when no alias matches.
pub fn read_level1(label: &str) -> Result<Level1, String> {
    let core = label_core(label);
    LEVEL1_LABELS
        .iter()
        .find(|(_, aliases)| aliases.contains(&core.as_str()))
        .map(|(level, _)| *level)
        .ok_or_else(|| {
            format!(
                "{label:?} is not a level-1 group; expected one of 产出, 效益, 满意度, 投入, 过程, 决策, 管理, 效果, with or without 指标 (for example 产出指标)"
            )
        })
}

/// Reads a level-2 label: the normalised name when it is a known one (`社会效益指标` → 社会),
/// else the label as written, trimmed; never refused.
pub fn read_level2(label: &str) -> String {
    let core = label_core(label);
    LEVEL2_LABELS
        .iter()
        .find(|(_, aliases)| aliases.contains(&core.as_str()))
        .map(|(name, _)| (*name).to_owned())
        .unwrap_or_else(|| label.trim().to_owned())
}

/// A number with its unit as read: the value as written, and the unit (its kind and the word
/// written, which a count keeps: 人次, 宗).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    /// The value as written, in `unit`.
    pub value: Decimal,
    /// The unit, or `None` for a bare number (`100`).
    pub unit: Option<&'static Unit>,
    /// The unit as written (`人次`, `%`), empty for a bare number.
    pub unit_word: String,
}

impl Quantity {
    /// The kind it measures; a bare number counts.
    pub fn kind(&self) -> MetricKind {
        self.unit.map_or(MetricKind::Count, |unit| unit.kind)
    }

    /// The value in the canonical unit of its kind, exactly (`None` when a decimal cannot hold
    /// it exactly, see [`Unit::to_canonical`]).
    pub fn canonical(&self) -> Option<Decimal> {
        match self.unit {
            Some(unit) => unit.to_canonical(self.value),
            None => Some(self.value),
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.unit_word)
    }
}

/// A target text as read (年度指标值).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetReading {
    /// `[comparator] number [unit] [suffix]`.
    Quantity {
        /// How the actual is compared.
        comparator: Comparator,
        /// Whether no comparator was written, so that it was inferred from the row's
        /// direction or level-2 (the explanation says so).
        inferred: bool,
        /// The target.
        quantity: Quantity,
    },
    /// `low - high`, both in the same unit: full weight inside; below, as `>=` the low end;
    /// above, as `<=` the high end.
    Range {
        /// The low end.
        low: Quantity,
        /// The high end.
        high: Quantity,
    },
    /// Words without a number (效果明显, 合规, a deadline): a qualitative row.
    Qualitative,
}

/// A number read from the start of `text`: ASCII digits with at most one `.`, and `,` between
/// groups of three digits (`1,000`); a `,` anywhere else (`12,5`) ends nothing and is refused.
/// Returns the decimal and the rest.
fn leading_number(text: &str) -> Option<Result<(Decimal, &str), String>> {
    let bytes = text.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut end = 0;
    let mut digits = String::new();
    let mut seen_point = false;
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
        } else if byte == b',' && !seen_point {
            // A thousands separator: exactly three digits follow, then no digit.
            let group = &bytes[end + 1..];
            let three = group.len() >= 3 && group[..3].iter().all(u8::is_ascii_digit);
            let then = group.get(3).is_none_or(|next| !next.is_ascii_digit());
            if three && then {
                end += 1;
            } else {
                return Some(Err(format!(
                    "{text:?} has a ',' that is not a thousands separator (write 12.5, not 12,5)"
                )));
            }
        } else {
            break;
        }
    }
    Some(
        parse_plain_decimal(&digits)
            .map(|value| (value, &text[end..]))
            .map_err(|error| error.to_string()),
    )
}

/// Reads `rest` as a unit word (or nothing): `Ok(None)` for nothing.
fn unit_of(rest: &str) -> Result<Option<&'static Unit>, String> {
    if rest.is_empty() {
        return Ok(None);
    }
    Unit::named(rest).map(Some).ok_or_else(|| {
        format!("{rest:?} is not a unit jixiao knows (for example 个, 人次, 万元, 亩, 米, %, 天)")
    })
}

/// Reads `number [unit]` exactly, nothing else around it.
fn quantity(text: &str) -> Option<Result<Quantity, String>> {
    let (value, rest) = match leading_number(text)? {
        Ok(read) => read,
        Err(reason) => return Some(Err(reason)),
    };
    Some(unit_of(rest).map(|unit| Quantity {
        value,
        unit,
        unit_word: rest.to_owned(),
    }))
}

/// Whether `text` holds words (letters of any script) and no digit: words without a number.
fn only_words(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
        && !text.chars().any(|character| character.is_ascii_digit())
}

/// Whether what follows a number reads as a sentence (a rule or a description such as
/// `%计5分;每超1个百分点扣0.5分`, `年12月完成`) rather than a misspelt unit (`公尺`,
/// `furlongs`): it has Chinese words, and punctuation or more than four characters.
fn is_sentence(rest: &str) -> bool {
    let chinese = rest
        .chars()
        .any(|character| character.is_alphabetic() && !character.is_ascii());
    chinese
        && (rest.chars().count() > 4
            || rest.chars().any(|character| {
                character.is_ascii_digit()
                    || matches!(character, ';' | ',' | '、' | '.' | '(' | ')' | '+' | ':')
            })
            || DEADLINE_WORDS.iter().any(|word| rest.contains(word)))
}

/// Words that make a number a date rather than a figure (12月底前, 12月31日前完成).
const DEADLINE_WORDS: &[&str] = &["前", "底", "日", "完成", "截止"];

/// The comparator a row without one gets (TABLES.md §3): its direction when the table gives
/// one (正向 `>=`, 反向 `<=`), else `<=` for a level-2 of 成本 (成本, 经济成本指标 …) and `>=`
/// otherwise.
pub fn inferred_comparator(direction: Option<Comparator>, level2: &str) -> Comparator {
    direction.unwrap_or(if level2.contains("成本") {
        Comparator::AtMost
    } else {
        Comparator::AtLeast
    })
}

/// Reads a 指标性质 (正向, 反向), written in its own column or before the target.
pub fn read_direction(text: &str) -> Result<Option<Comparator>, String> {
    let text = normalize(text);
    if text.is_empty() {
        return Ok(None);
    }
    DIRECTIONS
        .iter()
        .find(|(word, _)| *word == text)
        .map(|(_, comparator)| Some(*comparator))
        .ok_or_else(|| format!("{text:?} is not a direction; expected 正向 or 反向"))
}

/// Reads a target as written (年度指标值) on a row of level-2 `level2` (normalised, see
/// [`read_level2`]) with the direction `direction` (正向/反向), if the table gives one.
///
/// # Errors
///
/// The text and what was expected, for a figure that is not one (`12,5`, `50abc`, a unit
/// jixiao does not know, a range whose ends differ in unit).
pub fn read_target(
    text: &str,
    direction: Option<Comparator>,
    level2: &str,
) -> Result<TargetReading, String> {
    let mut rest = normalize(text);
    let mut direction = direction;
    // 正向/反向 written before the comparator (F11: 正向 大于等于 1次).
    for (word, comparator) in DIRECTIONS {
        if let Some(after) = rest.strip_prefix(word) {
            direction = Some(*comparator);
            rest = after.to_owned();
            break;
        }
    }
    if rest.is_empty() {
        return Err("is empty; expected a target such as ≥50个, ≤90万元, 100%, 90%-100% or words such as 效果明显".to_owned());
    }
    let mut comparator = None;
    for (word, found) in COMPARATOR_PREFIXES {
        if let Some(after) = rest.strip_prefix(word) {
            comparator = Some(*found);
            rest = after.to_owned();
            break;
        }
    }
    for (word, found) in COMPARATOR_SUFFIXES {
        if let Some(before) = rest.strip_suffix(word) {
            if comparator.is_some_and(|written| written != *found) {
                return Err(format!(
                    "{text:?} has two comparators that disagree; expected one"
                ));
            }
            comparator = Some(*found);
            rest = before.to_owned();
            break;
        }
    }
    if comparator.is_none() {
        for separator in RANGE_SEPARATORS {
            let Some((low, high)) = rest.split_once(separator) else {
                continue;
            };
            let (Some(low), Some(high)) = (quantity(low), quantity(high)) else {
                continue;
            };
            let (Ok(mut low), Ok(high)) = (low, high) else {
                // Not two figures (2022年1月-12月): a date span, qualitative.
                return if is_sentence(&rest) || !rest.is_ascii() {
                    Ok(TargetReading::Qualitative)
                } else {
                    Err(format!(
                        "{text:?} is not a range of two figures in one unit, as in 90%-100%"
                    ))
                };
            };
            // `90-100%`: the low end takes the high end's unit.
            if low.unit.is_none() {
                low.unit = high.unit;
                low.unit_word = high.unit_word.clone();
            }
            if low.unit != high.unit {
                return Err(format!(
                    "{text:?} is a range whose ends are in different units; expected one unit, as in 90%-100%"
                ));
            }
            if low.value > high.value {
                return Err(format!(
                    "{text:?} is a range whose low end is above its high end"
                ));
            }
            return Ok(TargetReading::Range { low, high });
        }
    }
    match quantity(&rest) {
        Some(Ok(quantity)) => Ok(TargetReading::Quantity {
            comparator: comparator.unwrap_or_else(|| inferred_comparator(direction, level2)),
            inferred: comparator.is_none(),
            quantity,
        }),
        // A number inside a sentence (a deadline such as 2021年12月完成, a scoring rule such
        // as <=100% 计5分;每超1个百分点扣0.5分): qualitative, the text kept.
        Some(Err(reason)) => match leading_number(&rest) {
            Some(Ok((_, after))) if is_sentence(after) => Ok(TargetReading::Qualitative),
            _ => Err(reason),
        },
        // Words (效果明显, 合规, 在项目计划完成时间内完成, 控制在预算范围内, 不低于上年), or
        // a sentence that starts with one (春节前下达50%,6月底前全部下达).
        None if only_words(&rest) || rest.chars().next().is_some_and(char::is_alphabetic) => {
            Ok(TargetReading::Qualitative)
        }
        None => Err(format!(
            "{text:?} is not a target; expected [comparator] number [unit] (≥50个, ≤90万元, 100%), a range (90%-100%) or words (效果明显)"
        )),
    }
}

/// An actual as read (实际完成值).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActualReading {
    /// A number with an optional unit.
    Quantity(Quantity),
    /// A copy of a bound (`≥95%`): the bound's value counts, flagged `actual_is_bound`.
    Bound {
        /// The comparator copied with it.
        comparator: Comparator,
        /// The bound.
        quantity: Quantity,
    },
    /// `无`/`零`: nothing happened; 0 on a quantitative row.
    Nothing,
    /// A verdict, with the attainment percentage written inside it, if any (`达成 95%`).
    Verdict {
        /// The verdict.
        verdict: Verdict,
        /// The attainment percentage written, if any.
        attainment: Option<Decimal>,
    },
    /// The target's own words repeated: the target as written was met (达成).
    SameAsTarget,
    /// Words that state what was done without a verdict (有资金测算标准): read and kept, but
    /// nothing to score until a verdict or a reviewer decides.
    Statement,
}

/// Reads an actual as written (实际完成值) against the row's target text (as written).
///
/// # Errors
///
/// The text and what was expected: a figure that is not one (`12,5`), a number among words
/// that is neither a figure nor a verdict (`约50`), or a unit jixiao does not know.
pub fn read_actual(text: &str, target_text: &str) -> Result<ActualReading, String> {
    let written = normalize(text);
    if written.is_empty() {
        return Err(
            "is empty; expected a number (50, 100%), a verdict (达成预期指标) or 无".to_owned(),
        );
    }
    if NONE_WORDS.contains(&written.as_str()) {
        return Ok(ActualReading::Nothing);
    }
    let malformed = match quantity(&written) {
        Some(Ok(quantity)) => return Ok(ActualReading::Quantity(quantity)),
        Some(Err(reason)) => Some(reason),
        None => None,
    };
    // A copy of a bound: ≥95%, 2天以内.
    for (word, comparator) in COMPARATOR_PREFIXES {
        if let Some(rest) = written.strip_prefix(word)
            && let Some(Ok(quantity)) = quantity(rest)
        {
            return Ok(ActualReading::Bound {
                comparator: *comparator,
                quantity,
            });
        }
    }
    for (word, comparator) in COMPARATOR_SUFFIXES {
        if let Some(rest) = written.strip_suffix(word)
            && let Some(Ok(quantity)) = quantity(rest)
        {
            return Ok(ActualReading::Bound {
                comparator: *comparator,
                quantity,
            });
        }
    }
    if !target_text.trim().is_empty() && normalize(target_text) == written {
        return Ok(ActualReading::SameAsTarget);
    }
    if let Some(verdict) = verdict_of(&written) {
        return Ok(verdict);
    }
    if let Some(reason) = malformed.filter(|reason| reason.contains("thousands separator")) {
        return Err(reason);
    }
    if written.bytes().any(|byte| byte.is_ascii_digit()) {
        return Err(format!(
            "{text:?} is neither a number nor a verdict; expected a number with an optional unit (50, 100%, 20万元), a verdict (达成预期指标, 部分达成 70%) or 无"
        ));
    }
    if only_words(&written) {
        return Ok(ActualReading::Statement);
    }
    Err(format!(
        "{text:?} is neither a number nor a verdict; expected a number with an optional unit, a verdict (达成预期指标) or 无"
    ))
}

/// Reads `text` as the actual of the self-reported row `target`: what [`read_actual`] reads,
/// checked against what the row measures (a number on a qualitative row is an attainment
/// percentage), with a short account of what was read (`50 个`, `≥ 95%: the bound`, `达成`).
///
/// # Errors
///
/// The reason [`read_actual`] gives, or a unit of another kind than the row's.
pub fn read_row_actual(text: &str, target: &Target) -> Result<(ActualReading, String), String> {
    let reading = read_actual(text, &target.target_text)?;
    let expected = if target.comparator == Comparator::Qualitative {
        MetricKind::Percent
    } else {
        target.kind.unwrap_or(MetricKind::Count)
    };
    let unit_word = |quantity: &Quantity| {
        if quantity.unit_word.is_empty() {
            Unit::by_code(&target.unit).map_or(String::new(), |unit| {
                if target.unit_word.is_empty() {
                    unit.name_zh().to_owned()
                } else {
                    target.unit_word.clone()
                }
            })
        } else {
            quantity.unit_word.clone()
        }
    };
    let check = |quantity: &Quantity| match quantity.unit {
        Some(unit) if unit.kind != expected => Err(format!(
            "{text:?} is in {} ({}), but the row measures {expected}",
            quantity.unit_word, unit.kind
        )),
        _ => Ok(()),
    };
    let read_as = match &reading {
        ActualReading::Quantity(quantity) => {
            check(quantity)?;
            format!("{} {}", quantity.value, unit_word(quantity))
        }
        ActualReading::Bound {
            comparator,
            quantity,
        } => {
            check(quantity)?;
            format!(
                "the bound {comparator} {} {}, read as {} (actual_is_bound)",
                quantity.value,
                unit_word(quantity),
                quantity.value
            )
        }
        ActualReading::Nothing => "无: 0".to_owned(),
        ActualReading::Verdict {
            verdict,
            attainment: Some(attainment),
        } => format!("{verdict} {attainment}%"),
        ActualReading::Verdict {
            verdict,
            attainment: None,
        } => format!("{verdict}, the framework's default attainment"),
        ActualReading::SameAsTarget => "the target's own words: 达成".to_owned(),
        ActualReading::Statement => "a statement without a verdict: not judged".to_owned(),
    };
    Ok((reading, read_as))
}

/// The value of a numeric actual in the canonical unit of its row: with its own unit, or, for
/// a bare number, in the target's unit (`unit_code`). `None` for a reading without a number,
/// or a value a decimal cannot hold exactly in the canonical unit.
pub fn actual_value(reading: &ActualReading, unit_code: &str) -> Option<Decimal> {
    let quantity = match reading {
        ActualReading::Quantity(quantity) | ActualReading::Bound { quantity, .. } => quantity,
        ActualReading::Nothing => return Some(Decimal::ZERO),
        _ => return None,
    };
    match quantity.unit {
        Some(unit) => unit.to_canonical(quantity.value),
        None => Unit::by_code(unit_code).map_or(Some(quantity.value), |unit| {
            unit.to_canonical(quantity.value)
        }),
    }
}

/// A verdict read from `written` (normalised): its words, then an optional attainment
/// percentage (`达成 95%`, `部分达成(70%)`).
fn verdict_of(written: &str) -> Option<ActualReading> {
    // The attainment percentage, if the text ends with one.
    let (words, attainment) = match written.rfind(|character: char| {
        !(character.is_ascii_digit() || character == '.' || character == '%' || character == ')')
    }) {
        Some(position) if written.ends_with('%') || written.ends_with("%)") => {
            let (head, tail) =
                written.split_at(position + written[position..].chars().next()?.len_utf8());
            let head = head.strip_suffix('(').unwrap_or(head);
            let number = tail.trim_end_matches(')').trim_end_matches('%');
            match parse_plain_decimal(number) {
                Ok(value) => (head, Some(value)),
                Err(_) => (written, None),
            }
        }
        _ => (written, None),
    };
    for (verdict, phrases) in VERDICT_WORDS {
        if phrases.contains(&words) {
            return Some(ActualReading::Verdict {
                verdict: *verdict,
                attainment,
            });
        }
    }
    // Inside longer words: a verdict word negated by a word before it (未按时完成, 效果不明显,
    // 没有达到) is 未达成; one qualified as partial (部分实现, 基本达到) is 部分达成.
    let contains = |verdict: Verdict| {
        VERDICT_WORDS
            .iter()
            .filter(|(found, _)| *found == verdict)
            .flat_map(|(_, phrases)| phrases.iter())
            // Single characters (是, 否, 好, 高, 差) only count as the whole text.
            .any(|phrase| phrase.chars().count() > 1 && words.contains(phrase))
    };
    let partial = PARTIAL_WORDS.iter().any(|partial| words.contains(partial));
    let verdict = if contains(Verdict::NotAchieved) || negates_an_achievement(words) {
        Verdict::NotAchieved
    } else if contains(Verdict::PartlyAchieved) || (partial && contains(Verdict::Achieved)) {
        Verdict::PartlyAchieved
    } else if contains(Verdict::Achieved) {
        Verdict::Achieved
    } else {
        return None;
    };
    Some(ActualReading::Verdict {
        verdict,
        attainment,
    })
}

/// Characters that negate a verdict word at most [`NEGATION_REACH`] characters after them
/// (未按时完成, 效果不明显, 没有达到, 不够及时). 无 and 非 are left out: 无偏差完成 and 非常显著
/// are achievements.
pub const NEGATIONS: &[char] = &['未', '不', '没'];

/// How many characters before a verdict word a negation still reaches (未 in 未按时完成).
pub const NEGATION_REACH: usize = 3;

/// Whether an achievement word of `words` is negated shortly before it.
fn negates_an_achievement(words: &str) -> bool {
    let characters: Vec<char> = words.chars().collect();
    VERDICT_WORDS
        .iter()
        .filter(|(verdict, _)| *verdict == Verdict::Achieved)
        .flat_map(|(_, phrases)| phrases.iter())
        .filter(|phrase| phrase.chars().count() > 1)
        .any(|phrase| {
            let phrase: Vec<char> = phrase.chars().collect();
            (0..characters.len()).any(|start| {
                characters[start..].starts_with(&phrase)
                    && characters[start.saturating_sub(NEGATION_REACH)..start]
                        .iter()
                        .any(|character| NEGATIONS.contains(character))
            })
        })
}

/// Words that make a verdict word after them partial (部分实现, 基本达到).
pub const PARTIAL_WORDS: &[&str] = &["部分", "基本", "大部分", "大体"];

#[cfg(test)]
mod tests;
