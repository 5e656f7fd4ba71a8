//! The labels of a 自评表 and the comparators of its targets: the level-1 groups (一级指标)
//! with their published spellings, the level-2 sub-groups (二级指标), the comparators with the
//! words written before a number, and the normalisation every label is matched after. Both the
//! reading of texts (`written`) and the target rows (`target`) build on this module; it builds
//! on neither.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The level-1 group of an indicator (一级指标). central-2020 has 产出, 效益 and 满意度; other
/// provinces' frameworks have 投入, 过程, 决策, 管理 and 效果 (TABLES.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level1 {
    /// 产出.
    Output,
    /// 效益.
    Outcome,
    /// 满意度.
    Satisfaction,
    /// 投入.
    Input,
    /// 过程.
    Process,
    /// 决策 (项目决策, 部门决策).
    Decision,
    /// 管理 (项目管理, 综合管理).
    Management,
    /// 效果 (部门绩效).
    Effect,
    /// A group the common vocabulary does not know (制度指标, 规划, 资金管理情况), or none (a flat
    /// table): kept as written in the row's `level1_text`, scored by the framework's default row
    /// rules and flagged `group_not_in_framework` (TABLES.md §0, §3 Weights).
    Other,
}

impl Level1 {
    /// Every group, in report order.
    pub const ALL: [Level1; 9] = [
        Level1::Decision,
        Level1::Input,
        Level1::Process,
        Level1::Management,
        Level1::Output,
        Level1::Outcome,
        Level1::Effect,
        Level1::Satisfaction,
        Level1::Other,
    ];

    /// The groups of central-2020 (财预〔2020〕10号), in report order.
    pub const CENTRAL: [Level1; 3] = [Level1::Output, Level1::Outcome, Level1::Satisfaction];

    /// The code: `output`, `outcome`, `satisfaction`, `input`, `process`, `decision`,
    /// `management` or `effect`.
    pub fn code(&self) -> &'static str {
        match self {
            Level1::Output => "output",
            Level1::Outcome => "outcome",
            Level1::Satisfaction => "satisfaction",
            Level1::Input => "input",
            Level1::Process => "process",
            Level1::Decision => "decision",
            Level1::Management => "management",
            Level1::Effect => "effect",
            Level1::Other => "other",
        }
    }

    /// The Chinese name: 产出, 效益, 满意度, 投入, 过程, 决策, 管理 or 效果.
    pub fn name_zh(&self) -> &'static str {
        match self {
            Level1::Output => "产出",
            Level1::Outcome => "效益",
            Level1::Satisfaction => "满意度",
            Level1::Input => "投入",
            Level1::Process => "过程",
            Level1::Decision => "决策",
            Level1::Management => "管理",
            Level1::Effect => "效果",
            Level1::Other => "其他",
        }
    }
}

impl fmt::Display for Level1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

impl FromStr for Level1 {
    type Err = String;

    /// A label as published: a code, a Chinese name or an alias ([`read_level1`]).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if matches!(text.trim(), "other" | "其他") {
            return Ok(Level1::Other);
        }
        read_level1(text)
    }
}

/// The level-2 sub-group of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level2(&'static str);

const LEVEL2: &[(&str, &str)] = &[
    ("数量", "quantity"),
    ("质量", "quality"),
    ("时效", "timeliness"),
    ("成本", "cost"),
    ("经济", "economic"),
    ("社会", "social"),
    ("生态", "ecological"),
    ("可持续", "sustainability"),
    ("服务对象满意度", "beneficiary_satisfaction"),
];

impl Level2 {
    /// The Chinese name, for example 数量.
    pub fn name_zh(&self) -> &'static str {
        self.0
    }
}

impl FromStr for Level2 {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        LEVEL2
            .iter()
            .find(|(zh, en)| *zh == text || *en == text)
            .map(|(zh, _)| Level2(zh))
            .ok_or_else(|| {
                format!(
                    "{text:?} is not a level-2 group; expected one of 数量, 质量, 时效, 成本, 经济, 社会, 生态, 可持续, 服务对象满意度"
                )
            })
    }
}

impl fmt::Display for Level2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How an indicator's actual is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    /// `>=`: higher is better.
    AtLeast,
    /// `<=`: lower is better.
    AtMost,
    /// `=`: reach the target.
    Equal,
    /// `qualitative`: the actual is an attainment percentage or a verdict.
    Qualitative,
    /// `range`: full weight inside [target, high]; below, as `>=` the low end; above, as `<=`
    /// the high end (TABLES.md §3, `90%-100%`).
    Range,
    /// `deadline`: the target is a date (`9月前`, `2023年12月前`), held as `YYYYMMDD`; an actual
    /// date not later meets it (TABLES.md §3).
    Deadline,
    /// `review`: the rules cannot judge the target as written (two measures, an impossible
    /// date, a garbled text); the row keeps the unit's printed 得分 until a reviewer adjusts it
    /// (TABLES.md §0). The reason is the row's `review_reason`.
    Review,
}

impl Comparator {
    /// The text used in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Comparator::AtLeast => ">=",
            Comparator::AtMost => "<=",
            Comparator::Equal => "=",
            Comparator::Qualitative => "qualitative",
            Comparator::Range => "range",
            Comparator::Deadline => "deadline",
            Comparator::Review => "review",
        }
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Comparator {
    type Err = String;

    /// `>=`, `<=`, `=`, `qualitative`, or any spelling of [`COMPARATOR_PREFIXES`]
    /// (≧, ﹦, 大于等于, 不超过, …) and 定性.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let written = normalize(text);
        match written.as_str() {
            "qualitative" | "定性" => return Ok(Comparator::Qualitative),
            "range" => return Ok(Comparator::Range),
            "deadline" => return Ok(Comparator::Deadline),
            "review" => return Ok(Comparator::Review),
            _ => {}
        }
        COMPARATOR_PREFIXES
            .iter()
            .find(|(word, _)| *word == written)
            .map(|(_, comparator)| *comparator)
            .ok_or_else(|| {
                format!(
                    "{text:?} is not a comparator; expected \">=\", \"<=\", \"=\" or \"qualitative\" (or ≥, ≤, ≧, ≦, ﹦, 大于等于, 小于等于, 等于, …)"
                )
            })
    }
}

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

/// Comparators written before the number, as a sign or among the words before it (`≥95%`,
/// `达到预计值 2100`, `完成率达到95%`, `确保`, `力争`): the spelling nearest the number counts,
/// the longest where one ends another (`不大于` over `大于`).
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
    ("低于", Comparator::AtMost),
    ("小于", Comparator::AtMost),
    ("少于", Comparator::AtMost),
    ("<", Comparator::AtMost),
    ("达到", Comparator::AtLeast),
    ("确保", Comparator::AtLeast),
    ("力争", Comparator::AtLeast),
    ("高于", Comparator::AtLeast),
    ("大于", Comparator::AtLeast),
    ("多于", Comparator::AtLeast),
    ("超过", Comparator::AtLeast),
    (">", Comparator::AtLeast),
    ("==", Comparator::Equal),
    ("等于", Comparator::Equal),
    ("=", Comparator::Equal),
    ("═", Comparator::Equal),
    ("﹦", Comparator::Equal),
];

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

/// Strips what surrounds a group label: its points (`(50分)`, `(50)`), then the suffix 指标.
pub(crate) fn label_core(label: &str) -> String {
    let mut text = normalize(label);
    // The group's points after it: `(50分)`, `(50)`, `(30.5分)`.
    if let Some(open) = text.rfind('(')
        && let Some(inner) = text[open + 1..].strip_suffix(')')
        && !inner.is_empty()
        && inner
            .trim_end_matches('分')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
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
