//! Flags: the findings a snapshot lists, by code, at most [`MAX_FLAGS_PER_CODE`] of each.

use serde::{Deserialize, Serialize};

use super::Context;

/// What a flag is about (`docs/scoring.md`, "Flags"). Stored and sent as its snake_case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// An actual was written as a bound (≥ 50, 2天以内) and counts as that bound.
    ActualIsBound,
    /// No longer raised (such rows go to a reviewer: `ScoreAsPrinted`, `AwaitingReview`); kept
    /// so that snapshots stored before read back.
    ActualNotJudged,
    /// A budget block's total line is 0 or empty while its fund-source lines have figures (TABLES.md §5).
    BudgetTotalMissing,
    /// A row uses a comparator the framework does not allow.
    ComparatorNotAllowed,
    /// A divisor of a computed row's formula is 0; the framework says what it scores.
    ComputedRowUndefined,
    /// A sum, product or quotient went beyond what a decimal holds.
    FigureOutOfRange,
    /// The set weighs its groups otherwise than the framework, and adds up (rule `total_only`).
    GroupWeightsAdjusted,
    /// The budget was adjusted in-year by a large share.
    LargeAdjustment,
    /// A large share of the budget is unspent at year end.
    LargeUnspent,
    /// A row (or a computed row's metric) has no actual as of the window.
    MissingActual,
    /// A budget figure the execution rate needs has no value or is 0.
    MissingBudget,
    /// The subject has no target set for the year; it is not graded.
    MissingTargets,
    /// Output scores run ahead of spending.
    OutputsAheadOfSpending,
    /// An actual is far above its target without a note.
    OverAchievement,
    /// The reported execution rate differs from the computed one at its written precision.
    ReportedRateMismatch,
    /// Two sources gave different values for one figure; the rule that decided is named.
    SourceConflict,
    /// A figure and its finer periods (months, quarters) do not add up.
    SubperiodSumMismatch,
    /// A group's row weights do not sum to its weight (rule `fixed`).
    TargetWeightsMismatch,
    /// A verdict (达成 …) was written as the actual of a quantitative row.
    VerdictOnQuantitativeRow,
    /// A row's or the budget's printed 得分 differs from the computed score (TABLES.md §5).
    ReportedScoreMismatch,
    /// The printed 总分 differs from the computed total (TABLES.md §5).
    ReportedTotalMismatch,
    /// A reviewer's score replaced the computed one (TABLES.md §5).
    ManualAdjustment,
    /// An adjustment was made on a computed score that has changed; it is not applied.
    AdjustmentStale,
    /// A row the rules cannot judge scores the unit's printed 得分 until a reviewer adjusts it
    /// (TABLES.md §0).
    ScoreAsPrinted,
    /// Rows the rules cannot judge have no printed 得分: the total is provisional, computed over
    /// the judged rows, and not graded until a reviewer scores them (TABLES.md §0).
    AwaitingReview,
    /// Rows without a weight, or weights that do not add up with the budget's to 100: the rows
    /// are judged, the subject is not graded (TABLES.md §0, §3 Weights).
    WeightsIncomplete,
    /// Rows of a level-1 group the framework does not have, scored by its default row rules.
    GroupNotInFramework,
    /// A text OCR may have garbled (`1O0%`, `295%`): read as written, the intended reading said.
    TextSuspect,
    /// A monitoring table's projection for the year (全年预计完成值) does not reach the target.
    ProjectedShortfall,
}

impl FlagCode {
    /// The code as stored and sent: `source_conflict`, `missing_actual` …
    pub fn as_str(&self) -> &'static str {
        match self {
            FlagCode::ActualIsBound => "actual_is_bound",
            FlagCode::ActualNotJudged => "actual_not_judged",
            FlagCode::BudgetTotalMissing => "budget_total_missing",
            FlagCode::ComparatorNotAllowed => "comparator_not_allowed",
            FlagCode::ComputedRowUndefined => "computed_row_undefined",
            FlagCode::FigureOutOfRange => "figure_out_of_range",
            FlagCode::GroupWeightsAdjusted => "group_weights_adjusted",
            FlagCode::LargeAdjustment => "large_adjustment",
            FlagCode::LargeUnspent => "large_unspent",
            FlagCode::MissingActual => "missing_actual",
            FlagCode::MissingBudget => "missing_budget",
            FlagCode::MissingTargets => "missing_targets",
            FlagCode::OutputsAheadOfSpending => "outputs_ahead_of_spending",
            FlagCode::OverAchievement => "over_achievement",
            FlagCode::ReportedRateMismatch => "reported_rate_mismatch",
            FlagCode::SourceConflict => "source_conflict",
            FlagCode::SubperiodSumMismatch => "subperiod_sum_mismatch",
            FlagCode::TargetWeightsMismatch => "target_weights_mismatch",
            FlagCode::VerdictOnQuantitativeRow => "verdict_on_quantitative_row",
            FlagCode::ReportedScoreMismatch => "reported_score_mismatch",
            FlagCode::ReportedTotalMismatch => "reported_total_mismatch",
            FlagCode::ManualAdjustment => "manual_adjustment",
            FlagCode::AdjustmentStale => "adjustment_stale",
            FlagCode::ScoreAsPrinted => "score_as_printed",
            FlagCode::AwaitingReview => "awaiting_review",
            FlagCode::WeightsIncomplete => "weights_incomplete",
            FlagCode::GroupNotInFramework => "group_not_in_framework",
            FlagCode::TextSuspect => "text_suspect",
            FlagCode::ProjectedShortfall => "projected_shortfall",
        }
    }
}

impl FlagCode {
    /// Every code, in the order of the enum.
    pub const ALL: [FlagCode; 29] = [
        FlagCode::ActualIsBound,
        FlagCode::ActualNotJudged,
        FlagCode::BudgetTotalMissing,
        FlagCode::ComparatorNotAllowed,
        FlagCode::ComputedRowUndefined,
        FlagCode::FigureOutOfRange,
        FlagCode::GroupWeightsAdjusted,
        FlagCode::LargeAdjustment,
        FlagCode::LargeUnspent,
        FlagCode::MissingActual,
        FlagCode::MissingBudget,
        FlagCode::MissingTargets,
        FlagCode::OutputsAheadOfSpending,
        FlagCode::OverAchievement,
        FlagCode::ReportedRateMismatch,
        FlagCode::SourceConflict,
        FlagCode::SubperiodSumMismatch,
        FlagCode::TargetWeightsMismatch,
        FlagCode::VerdictOnQuantitativeRow,
        FlagCode::ReportedScoreMismatch,
        FlagCode::ReportedTotalMismatch,
        FlagCode::ManualAdjustment,
        FlagCode::AdjustmentStale,
        FlagCode::ScoreAsPrinted,
        FlagCode::AwaitingReview,
        FlagCode::WeightsIncomplete,
        FlagCode::GroupNotInFramework,
        FlagCode::TextSuspect,
        FlagCode::ProjectedShortfall,
    ];

    /// Whether a snapshot with this flag is not graded (TABLES.md §0): rows await a reviewer,
    /// the weights are incomplete, or the subject has no targets.
    pub fn withholds_grade(self) -> bool {
        matches!(
            self,
            FlagCode::AwaitingReview | FlagCode::WeightsIncomplete | FlagCode::MissingTargets
        )
    }

    /// The flag as a sentence of a Chinese report (评价提示, 自评报告): `name` is the row's
    /// 三级指标 (empty for a flag about the subject), `figure` gives a figure of the flag by
    /// name (empty when it has none). One arm per code, so that a new code cannot go unworded.
    pub fn sentence_zh(self, name: &str, figure: &dyn Fn(&str) -> String) -> String {
        match self {
            FlagCode::MissingActual => format!("“{name}”未填报实际完成值，按 0 分计"),
            FlagCode::MissingBudget => "预算数据不全，预算执行得分按 0 分计".to_owned(),
            FlagCode::BudgetTotalMissing => {
                "预算表的资金总额行为空或为 0，按各资金来源之和计算".to_owned()
            }
            FlagCode::ReportedRateMismatch => format!(
                "报送的预算执行率 {}% 与按预算数、执行数计算的 {}% 不一致",
                figure("reported_percent"),
                figure("computed_percent")
            ),
            FlagCode::ReportedScoreMismatch => format!(
                "“{name}”报送得分 {} 与按规则计算的 {} 不一致",
                figure("reported"),
                figure("computed")
            ),
            FlagCode::ReportedTotalMismatch => format!(
                "报送总分 {} 与计算总分 {} 相差 {} 分",
                figure("reported"),
                figure("computed"),
                figure("difference_points")
            ),
            FlagCode::LargeUnspent => {
                format!("预算结余较大，未执行 {}%", figure("unspent_percent"))
            }
            FlagCode::LargeAdjustment => "年度内预算调整幅度较大".to_owned(),
            FlagCode::OutputsAheadOfSpending => "产出指标得分明显领先于预算执行进度".to_owned(),
            FlagCode::OverAchievement => format!("“{name}”实际完成值大幅超过目标，且未说明原因"),
            FlagCode::SourceConflict => format!("“{name}”不同来源报送的数据不一致"),
            FlagCode::SubperiodSumMismatch => format!("“{name}”分期数据之和与全期数据不一致"),
            FlagCode::MissingTargets => "未设定年度绩效目标，不评定等级".to_owned(),
            FlagCode::TargetWeightsMismatch | FlagCode::GroupWeightsAdjusted => {
                "各一级指标的分值与评价框架的设定不一致".to_owned()
            }
            FlagCode::ComparatorNotAllowed => format!("“{name}”的比较方式不在评价框架允许之列"),
            FlagCode::FigureOutOfRange => "部分数据超出可计算范围，请核实".to_owned(),
            FlagCode::VerdictOnQuantitativeRow => {
                format!("“{name}”为定量指标，实际完成值却以定性结论填报")
            }
            FlagCode::ActualIsBound => format!("“{name}”实际完成值以目标区间填报，未填具体数值"),
            FlagCode::ActualNotJudged => {
                format!("“{name}”实际完成值仅为情况描述，未判断是否达成，暂按 0 分计")
            }
            FlagCode::ComputedRowUndefined => {
                format!("“{name}”计算公式的分母为 0，按评价框架规定计分")
            }
            FlagCode::ManualAdjustment => format!(
                "“{name}”按规则计 {} 分，经复核调整为 {} 分（{}）",
                figure("computed"),
                figure("adjusted"),
                figure("reason")
            ),
            FlagCode::AdjustmentStale => format!("“{name}”的复核调整因计算得分已变化而未采用"),
            FlagCode::ScoreAsPrinted => format!(
                "“{name}”无法按规则判断（{}），暂按报送得分 {} 分计，待复核",
                figure("reason"),
                figure("printed")
            ),
            FlagCode::AwaitingReview => format!(
                "{} 个指标无法按规则判断且未报送得分，总分为暂计，待复核后评定等级",
                figure("rows")
            ),
            FlagCode::WeightsIncomplete => format!(
                "指标分值不完整（指标合计 {} 分，预算执行 {} 分，共 {} 分；{} 个指标未填分值），不评定等级",
                figure("rows_total"),
                figure("reserved"),
                figure("total"),
                figure("rows_without_weight")
            ),
            FlagCode::GroupNotInFramework => format!(
                "一级指标“{}”不在评价框架之列，其 {} 个指标按框架的通用规则计分",
                figure("group"),
                figure("rows")
            ),
            FlagCode::TextSuspect => format!(
                "“{name}”的指标值疑有录入或识别错误，按原文计，疑为“{}”",
                figure("intended")
            ),
            FlagCode::ProjectedShortfall => format!(
                "“{name}”全年预计完成 {}，未达到年度指标值 {}，请关注",
                figure("projected"),
                figure("target")
            ),
        }
    }
}

impl std::str::FromStr for FlagCode {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        FlagCode::ALL
            .into_iter()
            .find(|known| known.as_str() == code)
            .ok_or_else(|| format!("{code:?} is not a flag code"))
    }
}

impl std::fmt::Display for FlagCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for FlagCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Most flags of one code a snapshot lists (a large tree can raise a `source_conflict` per
/// figure); past it, one last flag of that code counts the rest, so that a snapshot stays
/// far below the 4 MiB a client accepts by default.
pub const MAX_FLAGS_PER_CODE: usize = 50;

/// A consistency or plausibility finding, with the figures that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// What it is about.
    pub code: FlagCode,
    /// What it is about: a metric or an indicator code.
    pub subject: String,
    /// The explanation.
    pub message: String,
    /// The figures, by name.
    pub figures: Vec<(String, String)>,
}

impl<'a> Context<'a> {
    pub(super) fn flag(
        &mut self,
        code: FlagCode,
        subject: &str,
        message: String,
        figures: Vec<(&str, String)>,
    ) {
        self.push_flag(Flag {
            code,
            subject: subject.to_owned(),
            message,
            figures: figures
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        });
    }

    /// Lists a flag, unless [`MAX_FLAGS_PER_CODE`] of its code are listed; counts it either way.
    pub(super) fn push_flag(&mut self, flag: Flag) {
        let count = self.flag_counts.entry(flag.code).or_default();
        *count += 1;
        if *count <= MAX_FLAGS_PER_CODE {
            self.flags.push(flag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FlagCode;

    #[test]
    fn every_code_reads_back_and_has_a_sentence_without_gaps() {
        for (index, code) in FlagCode::ALL.into_iter().enumerate() {
            assert_eq!(code.as_str().parse::<FlagCode>(), Ok(code));
            assert!(!FlagCode::ALL[..index].contains(&code), "{code} twice");
            let sentence = code.sentence_zh("指标", &|name| format!("<{name}>"));
            assert!(
                !sentence.is_empty() && !sentence.contains("<>"),
                "{code}: {sentence}"
            );
        }
        assert!("no_such_flag".parse::<FlagCode>().is_err());
    }
}
