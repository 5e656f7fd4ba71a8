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
        }
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
