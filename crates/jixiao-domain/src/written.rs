//! Tables as written (TABLES.md §3): the labels, target texts (年度指标值) and actual texts
//! (实际完成值) of published 自评表, read into what jixiao scores, the text kept beside.
//!
//! Reading is total (TABLES.md §0): a text is never refused for its words. Numbers and dates
//! are found by position (`scan`), a unit is whatever follows a number (`units`), and the
//! vocabularies below (comparators, verdicts, labels) are data, each entry tested. What the rules
//! cannot judge reads as `NotJudged`/`NotRead` with the reason, for a reviewer.
//!
//! A small hand-written reader rather than a parser library: the grammar is a handful of
//! words around one number, and what matters is the vocabulary, which is this crate's own.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::parse_plain_decimal;
pub use crate::label::{COMPARATOR_PREFIXES, LEVEL1_LABELS, normalize, read_level1};
use crate::label::{Comparator, label_core};
use crate::unit::{MetricKind, Unit};

pub mod scan;
pub mod units;

pub use scan::WrittenDate;

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
/// A number with its unit as read: the value as written, and the unit (a known unit, or the
/// word as written: TABLES.md §0, a unit is the text after the number, whatever it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    /// The value as written, in `unit_word`.
    pub value: Decimal,
    /// The unit when jixiao converts it; `None` for a bare number or a unit kept as written.
    pub unit: Option<&'static Unit>,
    /// The unit as written, folded ([`units::fold_unit`]): `人次`, `%`, `种`, `元/户`; empty for
    /// a bare number.
    pub unit_word: String,
}

impl Quantity {
    /// The kind it measures: a known unit's, [`MetricKind::AsWritten`] for any other word, and
    /// a count for a bare number.
    pub fn kind(&self) -> MetricKind {
        units::kind_of(&self.unit_word).unwrap_or(MetricKind::Count)
    }

    /// The value in the canonical unit of its kind, exactly (`None` when a decimal cannot hold
    /// it exactly, see [`Unit::to_canonical`]); a unit kept as written is its own canonical.
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

/// A target text as read (年度指标值). Reading never fails (TABLES.md §0): what the rules
/// cannot judge is [`TargetReading::NotJudged`] with the reason, for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetReading {
    /// One number with its comparator and unit, wherever the words put them (`≥50个`,
    /// `达到预计值 2100`, `完成率达到95%`, `50个以上`).
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
    /// A deadline (`9月前`, `2023年12月前`, `年底前`, `2021年12月完成`): met by an actual date
    /// that is not later; a month without a year takes the table's year.
    Deadline(WrittenDate),
    /// Words (效果明显, 合规, 按期), or a sentence with several numbers that is not a range
    /// (its verdict decides; the explanation says the numbers were read as words).
    Qualitative,
    /// What the rules cannot judge, and why: an impossible date (`2022年13月`), two measures
    /// (`≥50%且≤80万元`), a figure that is not one (`12,5`), a text OCR may have garbled
    /// (`1O0%`), two comparators that disagree. The row goes to a reviewer (TABLES.md §0).
    NotJudged {
        /// Why, in a sentence naming the text.
        reason: String,
    },
}

/// Characters that end a unit word after a number: punctuation, brackets and the start of
/// another clause.
const UNIT_STOPS: &[char] = &[
    '-', '～', '~', '至', '—', '–', ',', ';', '.', '、', '(', ')', ':', '，', '；', '。', '：',
    '（', '）', '【', '】', '[', ']', '"', '\'', '“', '”', '!', '?', '\n',
];

/// Longest a unit kept as written may be, in characters: longer text after a number is words.
pub const MAX_UNIT_CHARS: usize = 8;

/// The folded text, its numbers outside dates, and its dates.
struct Scanned {
    text: String,
    free: Vec<scan::NumberAt>,
    dates: Vec<scan::DateAt>,
}

fn scanned(text: &str) -> Scanned {
    let dates = scan::dates(text);
    let free = scan::numbers(text)
        .into_iter()
        .filter(|number| {
            !dates.iter().any(|date| {
                date.span.start <= number.span.start && number.span.end <= date.span.end
            })
        })
        .collect();
    Scanned {
        text: text.to_owned(),
        free,
        dates,
    }
}

/// The unit right after a number, and what follows it: the word up to punctuation, a
/// comparator or a digit when it is short (`个`, `种`, `元/人*月`, `万`, `%` before words),
/// else no unit.
fn unit_after(after: &str) -> (String, &str) {
    let word_end = after
        .char_indices()
        .find(|(_, character)| UNIT_STOPS.contains(character) || character.is_ascii_digit())
        .map_or(after.len(), |(index, _)| index);
    let mut candidate = &after[..word_end];
    for (suffix, _) in COMPARATOR_SUFFIXES {
        if let Some(position) = candidate.find(suffix) {
            candidate = &candidate[..position];
        }
    }
    for (suffix, _) in COMPARATOR_PREFIXES.iter() {
        if let Some(position) = candidate.find(suffix)
            && position > 0
        {
            candidate = &candidate[..position];
        }
    }
    let folded = units::fold_unit(candidate);
    if Unit::named(&folded).is_some() {
        return (folded, &after[candidate.len()..]);
    }
    // A percent sign ends its unit (`98%完成`): a sign never runs into a word. Any other word
    // is the unit as written, whole (`个左右`, `人次/年`); it compares by its leading unit
    // ([`units::express_in`]).
    if let Some(sign) = candidate
        .char_indices()
        .map(|(index, character)| index + character.len_utf8())
        .find(|end| {
            Unit::named(&candidate[..*end]).is_some_and(|unit| unit.kind == MetricKind::Percent)
        })
        && !candidate[sign..].starts_with(['/', '*', '·', '×', '•'])
    {
        return (candidate[..sign].to_owned(), &after[sign..]);
    }
    if !candidate.is_empty() && candidate.chars().count() <= MAX_UNIT_CHARS {
        return (folded, &after[candidate.len()..]);
    }
    (String::new(), after)
}

/// The quantity of the number `number` of `text`, with what follows its unit.
fn quantity_at<'t>(text: &'t str, number: &scan::NumberAt) -> Result<(Quantity, &'t str), String> {
    let value = number.value.clone()?;
    let (mut unit_word, rest) = unit_after(&text[number.span.end..]);
    let before = &text[..number.span.start];
    if unit_word.is_empty() && (before.ends_with('￥') || before.ends_with('¥')) {
        unit_word = "元".to_owned();
    }
    Ok((
        Quantity {
            value,
            unit: Unit::named(&unit_word),
            unit_word,
        },
        rest,
    ))
}

/// The comparator written in `words` (before the number): the spelling nearest the number.
fn comparator_before(words: &str) -> Option<(Comparator, usize)> {
    COMPARATOR_PREFIXES
        .iter()
        .filter_map(|(word, comparator)| {
            words
                .rfind(word)
                .map(|position| (position + word.len(), word.len(), *comparator))
        })
        .max_by_key(|(end, length, _)| (*end, *length))
        .map(|(end, _, comparator)| (comparator, end))
}

/// The comparator written after the unit (`以上`, `以内`).
fn comparator_after(words: &str) -> Option<Comparator> {
    COMPARATOR_SUFFIXES
        .iter()
        .find(|(word, _)| words.starts_with(word) || words.ends_with(word))
        .map(|(_, comparator)| *comparator)
}

/// The measures of a text: numbers with a known unit that stand as a target of their own, with
/// a comparator right before them or right after another such number (`≥50%且≤80万元`,
/// `≥1.5公顷10亩`). Two or more make a row the rules cannot judge by one target.
fn measures(scanned: &Scanned) -> Vec<String> {
    let text = &scanned.text;
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<(usize, String)> = None;
    for number in &scanned.free {
        let Ok((quantity, _)) = quantity_at(text, number) else {
            previous = None;
            continue;
        };
        let shown = format!("{}{}", quantity.value, quantity.unit_word);
        let before = &text[..number.span.start];
        let compared = COMPARATOR_PREFIXES
            .iter()
            .any(|(word, _)| before.ends_with(word));
        let adjacent = previous
            .as_ref()
            .filter(|(end, _)| *end == number.span.start);
        if quantity.unit.is_some() {
            if let Some((_, earlier)) = adjacent
                && !found.contains(earlier)
            {
                found.push(earlier.clone());
            }
            if compared || adjacent.is_some() {
                found.push(shown.clone());
            }
        }
        previous = quantity
            .unit
            .is_some()
            .then(|| (number.span.end + quantity.unit_word.len(), shown));
    }
    found
}

/// Words after a number that make it points of a scoring rubric (`≥90% 5分; 80-90% 4分`), not
/// a measure; `分钟` (minutes) and `分之` (a fraction) are not points.
pub const POINT_WORDS: &[&str] = &["分"];

/// Whether a text with several numbers is a scoring rubric printed in the target column: a
/// number followed by points (TABLES.md §7 item 5). Its bands are read as words.
fn is_rubric(scanned: &Scanned) -> bool {
    scanned.free.iter().any(|number| {
        let after = &scanned.text[number.span.end..];
        POINT_WORDS.iter().any(|word| {
            after.starts_with(word)
                && !after[word.len()..].starts_with('钟')
                && !after[word.len()..].starts_with('之')
        })
    })
}

/// Reads a range `low - high` of two numbers, when `scanned` is one.
fn range_of(scanned: &Scanned) -> Option<TargetReading> {
    let [first, second] = scanned.free.as_slice() else {
        return None;
    };
    let text = &scanned.text;
    if first.span.start != 0 {
        return None;
    }
    let (mut low, between) = quantity_at(text, first).ok()?;
    let between = &between[..between.len() - (text.len() - second.span.start)];
    if !RANGE_SEPARATORS.contains(&between) {
        return None;
    }
    let (high, rest) = match quantity_at(text, second) {
        Ok(read) => read,
        Err(reason) => return Some(TargetReading::NotJudged { reason }),
    };
    if !rest.is_empty() {
        return None;
    }
    // `90-100%`: the low end takes the high end's unit.
    if low.unit_word.is_empty() {
        low.unit = high.unit;
        low.unit_word.clone_from(&high.unit_word);
    }
    let reason = if low.unit_word != high.unit_word {
        format!("{text:?} is a range whose ends are in different units")
    } else if low.value > high.value {
        format!("{text:?} is a range whose low end is above its high end")
    } else {
        return Some(TargetReading::Range { low, high });
    };
    Some(TargetReading::NotJudged { reason })
}

/// A reading of `text` with its digits as OCR likely garbled them, when it looks garbled:
/// `O`, `o`, `l`, `I` beside digits (`1O0%` → `100%`), or a leading `2` where `≥` belongs
/// (`295%` → `≥95%`). The text is never corrected silently: a row with such a text is read as
/// written and flagged `text_suspect` with this reading (TABLES.md §0, issue of reading).
pub fn suspect_reading(text: &str) -> Option<String> {
    let text = normalize(text);
    let characters: Vec<char> = text.chars().collect();
    let lookalike = |character: char| matches!(character, 'O' | 'o' | 'l' | 'I');
    // Runs of digits and look-alike letters: a run holding both, not part of a longer word
    // (`100Ohm`), has its letters read as the digits they resemble.
    let mut read = characters.clone();
    let mut garbled = false;
    let mut start = 0;
    while start < characters.len() {
        let in_run = |character: char| character.is_ascii_digit() || lookalike(character);
        if !in_run(characters[start]) {
            start += 1;
            continue;
        }
        let end = (start..characters.len())
            .find(|&index| !in_run(characters[index]))
            .unwrap_or(characters.len());
        let run = &characters[start..end];
        let word_before = start > 0 && characters[start - 1].is_ascii_alphabetic();
        let word_after = characters
            .get(end)
            .is_some_and(|next| next.is_ascii_alphabetic());
        if run.iter().any(char::is_ascii_digit)
            && run.iter().any(|character| lookalike(*character))
            && !word_before
            && !word_after
        {
            garbled = true;
            for (offset, character) in run.iter().enumerate() {
                read[start + offset] = match character {
                    'O' | 'o' => '0',
                    'l' | 'I' => '1',
                    other => *other,
                };
            }
        }
        start = end;
    }
    if garbled {
        return Some(read.into_iter().collect());
    }
    // `295%` where `≥95%` was printed: a percentage from 200 to 300 whose rest is one.
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let rest = &text[digits.len()..];
    if digits.len() >= 3 && digits.starts_with('2') && rest.starts_with('%') {
        let value: u32 = digits[1..].parse().ok()?;
        if value <= 100 {
            return Some(format!("≥{}{rest}", &digits[1..]));
        }
    }
    None
}

/// Whether `text` holds letters beside digits as OCR writes `0` and `1` (see
/// [`suspect_reading`]), as opposed to a leading `2` that reads as a figure.
fn garbled(text: &str) -> Option<String> {
    let read = suspect_reading(text)?;
    (read.chars().filter(char::is_ascii_digit).count()
        > text.chars().filter(char::is_ascii_digit).count())
    .then_some(read)
}

/// Reads a target as written (年度指标值) on a row of level-2 `level2` (normalised, see
/// [`read_level2`]) with the direction `direction` (正向/反向), if the table gives one.
///
/// Never fails (TABLES.md §0): a text the rules cannot judge reads as
/// [`TargetReading::NotJudged`] with the reason.
pub fn read_target(text: &str, direction: Option<Comparator>, level2: &str) -> TargetReading {
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
        return TargetReading::NotJudged {
            reason: "the target is empty".to_owned(),
        };
    }
    if let Some(read) = garbled(&rest) {
        return TargetReading::NotJudged {
            reason: format!(
                "{rest:?} has letters among its digits, as OCR writes 0 and 1; it may read {read:?} (not corrected)"
            ),
        };
    }
    let scanned = scanned(&rest);
    if let Some(reason) = scanned
        .dates
        .iter()
        .find_map(|date| date.date.clone().err())
    {
        return TargetReading::NotJudged { reason };
    }
    match scanned.free.len() {
        0 => match scanned.dates.as_slice() {
            [date] => date
                .date
                .clone()
                .map_or(TargetReading::Qualitative, TargetReading::Deadline),
            _ => TargetReading::Qualitative,
        },
        1 => one_number(&scanned, direction, level2),
        _ => {
            if let Some(range) = range_of(&scanned) {
                return range;
            }
            let measures = measures(&scanned);
            if measures.len() >= 2 && !is_rubric(&scanned) {
                return TargetReading::NotJudged {
                    reason: format!(
                        "{rest:?} holds {} measures ({}); the rules judge a row by one",
                        measures.len(),
                        measures.join(", ")
                    ),
                };
            }
            TargetReading::Qualitative
        }
    }
}

/// A target with one number outside dates: its comparator from the words before it or after
/// its unit, else inferred.
fn one_number(scanned: &Scanned, direction: Option<Comparator>, level2: &str) -> TargetReading {
    let text = &scanned.text;
    let number = &scanned.free[0];
    let (quantity, after) = match quantity_at(text, number) {
        Ok(read) => read,
        Err(reason) => return TargetReading::NotJudged { reason },
    };
    let before = comparator_before(&text[..number.span.start]).map(|(comparator, _)| comparator);
    let after = comparator_after(after);
    let comparator = match (before, after) {
        (Some(before), Some(after)) if before != after => {
            return TargetReading::NotJudged {
                reason: format!("{text:?} has two comparators that disagree ({before}, {after})"),
            };
        }
        (Some(written), _) | (None, Some(written)) => Some(written),
        (None, None) => None,
    };
    TargetReading::Quantity {
        comparator: comparator.unwrap_or_else(|| inferred_comparator(direction, level2)),
        inferred: comparator.is_none(),
        quantity,
    }
}

/// How a target was read beyond its plain form, for the explanation: a number found among
/// words, several numbers read as words. Empty for a plain target (`≥50个`, `50个以上`).
pub fn target_note(text: &str, reading: &TargetReading) -> String {
    let mut folded = normalize(text);
    for (word, _) in DIRECTIONS {
        if let Some(after) = folded.strip_prefix(word) {
            folded = after.to_owned();
        }
    }
    let scanned = scanned(&folded);
    match reading {
        TargetReading::Quantity { quantity, .. } => {
            let before = scanned
                .free
                .first()
                .map_or("", |number| &folded[..number.span.start]);
            let plain =
                before.is_empty() || COMPARATOR_PREFIXES.iter().any(|(word, _)| *word == before);
            if plain {
                String::new()
            } else {
                format!("the number {quantity} read among the words of {folded:?}")
            }
        }
        TargetReading::Qualitative if !scanned.free.is_empty() => format!(
            "{folded:?} holds {} numbers and is not a range: read as words, its verdict decides",
            scanned.free.len()
        ),
        _ => String::new(),
    }
}

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

/// Reads a 指标性质 (正向, 反向), written in its own column or before the target; any other
/// word is no direction (`None`), as a column of another meaning may stand there.
pub fn read_direction(text: &str) -> Option<Comparator> {
    let text = normalize(text);
    DIRECTIONS
        .iter()
        .find(|(word, _)| *word == text)
        .map(|(_, comparator)| *comparator)
}

/// An actual as read (实际完成值). Reading never fails (TABLES.md §0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActualReading {
    /// A number with an optional unit.
    Quantity(Quantity),
    /// One number among words (`约50`, `共计14种`): the number counts, and the explanation
    /// says where it was found.
    QuantityInWords(Quantity),
    /// A copy of a bound (`≥95%`): the bound's value counts, flagged `actual_is_bound`.
    Bound {
        /// The comparator copied with it.
        comparator: Comparator,
        /// The bound.
        quantity: Quantity,
    },
    /// A date (`7月`, `2023年10月`, `10月底`), for a deadline.
    Date(WrittenDate),
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
    /// What the rules cannot read, and why (`12,5`, several numbers, an impossible date, a text
    /// OCR may have garbled): kept as written for a reviewer.
    NotRead {
        /// Why, in a sentence naming the text.
        reason: String,
    },
}

/// Reads an actual as written (实际完成值) against the row's target text (as written). Never
/// fails: what cannot be read is [`ActualReading::NotRead`] with the reason.
pub fn read_actual(text: &str, target_text: &str) -> ActualReading {
    let written = normalize(text);
    if written.is_empty() {
        return ActualReading::NotRead {
            reason: "the actual is empty".to_owned(),
        };
    }
    if NONE_WORDS.contains(&written.as_str()) {
        return ActualReading::Nothing;
    }
    if let Some(read) = garbled(&written) {
        return ActualReading::NotRead {
            reason: format!(
                "{written:?} has letters among its digits, as OCR writes 0 and 1; it may read {read:?} (not corrected)"
            ),
        };
    }
    let scanned = scanned(&written);
    if let [number] = scanned.free.as_slice() {
        let before = &written[..number.span.start];
        match quantity_at(&written, number) {
            Err(reason) => return ActualReading::NotRead { reason },
            Ok((quantity, "")) if before.is_empty() => return ActualReading::Quantity(quantity),
            Ok((quantity, after)) => {
                // A copy of a bound: ≥95%, 2天以内.
                let bound = COMPARATOR_PREFIXES
                    .iter()
                    .find(|(word, _)| *word == before)
                    .map(|(_, comparator)| *comparator)
                    .or_else(|| {
                        COMPARATOR_SUFFIXES
                            .iter()
                            .find(|(word, _)| before.is_empty() && *word == after)
                            .map(|(_, comparator)| *comparator)
                    });
                if let Some(comparator) = bound {
                    return ActualReading::Bound {
                        comparator,
                        quantity,
                    };
                }
            }
        }
    }
    if !target_text.trim().is_empty() && normalize(target_text) == written {
        return ActualReading::SameAsTarget;
    }
    if let Some(reading) = date_actual(&scanned) {
        return reading;
    }
    if let Some(verdict) = verdict_of(&written) {
        return verdict;
    }
    match scanned.free.as_slice() {
        [] if only_words(&written) => ActualReading::Statement,
        [] => ActualReading::NotRead {
            reason: format!("{written:?} is neither a number nor a verdict"),
        },
        [number] => match quantity_at(&written, number) {
            Ok((quantity, _)) => ActualReading::QuantityInWords(quantity),
            Err(reason) => ActualReading::NotRead { reason },
        },
        several => ActualReading::NotRead {
            reason: format!(
                "{written:?} holds {} numbers and no verdict: which one is the actual is for a reviewer",
                several.len()
            ),
        },
    }
}

/// An actual that is a date, alone or with deadline words (`7月`, `2023年10月完成`,
/// `10月底前`).
fn date_actual(scanned: &Scanned) -> Option<ActualReading> {
    let [date] = scanned.dates.as_slice() else {
        return None;
    };
    if !scanned.free.is_empty() {
        return None;
    }
    Some(match &date.date {
        Ok(date) => ActualReading::Date(*date),
        Err(reason) => ActualReading::NotRead {
            reason: reason.clone(),
        },
    })
}

/// Whether `text` holds words (letters of any script) and no digit: words without a number.
fn only_words(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
        && !text.chars().any(|character| character.is_ascii_digit())
}

/// The value of a numeric actual in the unit of its row: in the canonical unit of the target's
/// kind, or in the target's own word for a unit kept as written ([`units::express_in`]).
/// `target_word` is the unit the target was written in (a unit code such as `centimetre`, or
/// the folded word); empty when the target had none.
///
/// # Errors
///
/// Why the actual cannot count: it has no number, or its unit cannot be compared with the
/// target's.
pub fn actual_value(reading: &ActualReading, target_word: &str) -> Result<Decimal, String> {
    let quantity = match reading {
        ActualReading::Quantity(quantity)
        | ActualReading::QuantityInWords(quantity)
        | ActualReading::Bound { quantity, .. } => quantity,
        ActualReading::Nothing => return Ok(Decimal::ZERO),
        _ => return Err("the actual has no figure".to_owned()),
    };
    let target_word = Unit::by_code(target_word)
        .and_then(|unit| unit.aliases.first().copied())
        .unwrap_or(target_word);
    units::express_in(quantity.value, &quantity.unit_word, target_word)
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
