//! Reviewer adjustments (TABLES.md §5): a reviewer's score for a row or for budget execution
//! replaces the computed one while the computed one stays what it was when the adjustment was
//! made; once it changes, the adjustment is stale and not applied.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Evaluation, Flag, FlagCode, MAX_FLAGS_PER_CODE, percent, show, total_of};
use crate::arith;
use crate::framework::Framework;

/// The row code that names budget execution in an adjustment.
pub const BUDGET_ROW: &str = "budget";

/// A reviewer's score for one row of a subject's period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// Its id, increasing: a later adjustment of the same row supersedes an earlier one.
    pub id: i64,
    /// The row's indicator code, or [`BUDGET_ROW`].
    pub indicator_code: String,
    /// The score the rules gave when it was made, in points.
    pub computed_score: Decimal,
    /// The reviewer's score, in points, within [0, the row's weight].
    pub adjusted_score: Decimal,
    /// Why.
    pub reason: String,
    /// Who (the token's name; empty when the service runs open).
    pub adjusted_by: String,
    /// When, RFC 3339.
    pub adjusted_at: String,
}

/// What became of an adjustment in an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentStatus {
    /// It replaced the computed score.
    Applied,
    /// The computed score is no longer the one it was made on (or the row is gone).
    Stale,
    /// A later adjustment of the same row replaced it.
    Superseded,
}

impl AdjustmentStatus {
    /// `applied`, `stale` or `superseded`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AdjustmentStatus::Applied => "applied",
            AdjustmentStatus::Stale => "stale",
            AdjustmentStatus::Superseded => "superseded",
        }
    }
}

/// An adjustment with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentOutcome {
    /// The adjustment.
    pub adjustment: Adjustment,
    /// What became of it.
    pub status: AdjustmentStatus,
}

impl Evaluation {
    /// What an adjustment of `code` (a row's indicator code, or [`BUDGET_ROW`]) replaces: the
    /// computed score (also where an adjustment is applied), the weight and the row's name;
    /// `None` when the evaluation has no such row.
    pub fn adjustable(&self, code: &str) -> Option<(Decimal, Decimal, &str)> {
        if code == BUDGET_ROW {
            let budget = &self.budget;
            return Some((
                budget.computed_score.unwrap_or(budget.score),
                budget.weight,
                "预算执行率",
            ));
        }
        self.indicators
            .iter()
            .find(|row| row.indicator_code == code)
            .map(|row| {
                (
                    row.computed_score.unwrap_or(row.score),
                    row.weight,
                    row.name.as_str(),
                )
            })
    }
}

/// Applies a subject's adjustments to its computed evaluation: the latest adjustment of each
/// row is applied when the row's computed score equals the one it was made on (flag
/// `manual_adjustment` with both scores and the reason) and listed stale otherwise (flag
/// `adjustment_stale`); the totals and the grade follow, and the input digest covers the
/// adjustments, so that an adjusted evaluation is a snapshot of its own.
pub fn apply_adjustments(
    evaluation: &mut Evaluation,
    framework: &Framework,
    adjustments: &[Adjustment],
) {
    if adjustments.is_empty() {
        return;
    }
    let mut sorted: Vec<&Adjustment> = adjustments.iter().collect();
    sorted.sort_by_key(|adjustment| adjustment.id);
    let mut digest = Sha256::new();
    digest.update(evaluation.input_digest.as_bytes());
    for (index, adjustment) in sorted.iter().enumerate() {
        digest.update(
            format!(
                "\nadjustment {} {} {} {}",
                adjustment.id,
                adjustment.indicator_code,
                show(adjustment.computed_score),
                show(adjustment.adjusted_score)
            )
            .as_bytes(),
        );
        let superseded = sorted[index + 1..]
            .iter()
            .any(|later| later.indicator_code == adjustment.indicator_code);
        let status = if superseded {
            AdjustmentStatus::Superseded
        } else if apply(evaluation, adjustment) {
            AdjustmentStatus::Applied
        } else {
            AdjustmentStatus::Stale
        };
        evaluation.adjustments.push(AdjustmentOutcome {
            adjustment: (*adjustment).clone(),
            status,
        });
    }
    evaluation.indicator_total = arith::sum(evaluation.indicators.iter().map(|row| row.score));
    evaluation.total = total_of(
        evaluation.budget.score,
        evaluation.indicator_total,
        evaluation.deduction_total,
    );
    super::settle_review(evaluation, framework);
    // The flags that compare scores are raised again on the scores as adjusted, at most
    // MAX_FLAGS_PER_CODE of each listed as everywhere.
    let again = [
        FlagCode::ReportedScoreMismatch,
        FlagCode::ReportedTotalMismatch,
        FlagCode::OutputsAheadOfSpending,
    ];
    evaluation.flags.retain(|flag| !again.contains(&flag.code));
    let mut raised = super::reported::flags(
        &evaluation.budget,
        &evaluation.indicators,
        evaluation.total,
        evaluation.reported_total,
        framework.flags.reported_score_tolerance,
    );
    raised.extend(super::budget::outputs_ahead(
        framework,
        evaluation.budget.score,
        evaluation.indicator_total,
    ));
    let rows = raised
        .iter()
        .filter(|flag| flag.code == FlagCode::ReportedScoreMismatch)
        .count();
    if rows > MAX_FLAGS_PER_CODE {
        let mut kept = 0;
        raised.retain(|flag| {
            if flag.code != FlagCode::ReportedScoreMismatch {
                return true;
            }
            kept += 1;
            kept <= MAX_FLAGS_PER_CODE
        });
        let more = rows - MAX_FLAGS_PER_CODE;
        raised.push(Flag {
            code: FlagCode::ReportedScoreMismatch,
            subject: "flags".to_owned(),
            message: format!(
                "{more} more reported_score_mismatch flags of this evaluation are not listed"
            ),
            figures: vec![
                ("not_listed".to_owned(), more.to_string()),
                ("raised".to_owned(), rows.to_string()),
            ],
        });
    }
    evaluation.flags.extend(raised);
    evaluation.input_digest = digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
}

/// Applies one adjustment; `false` when it is stale.
fn apply(evaluation: &mut Evaluation, adjustment: &Adjustment) -> bool {
    let code = adjustment.indicator_code.as_str();
    let row = evaluation
        .adjustable(code)
        .map(|(computed, weight, name)| (computed, weight, name.to_owned()));
    let (computed, weight, name) = if let Some(row) = row {
        row
    } else {
        evaluation.flags.push(Flag {
            code: FlagCode::AdjustmentStale,
            subject: code.to_owned(),
            message: format!(
                "adjustment {} of {code} is not applied: the row is no longer in the target set",
                adjustment.id
            ),
            figures: vec![("adjustment_id".to_owned(), adjustment.id.to_string())],
        });
        return false;
    };
    if computed != adjustment.computed_score {
        evaluation.flags.push(Flag {
            code: FlagCode::AdjustmentStale,
            subject: code.to_owned(),
            message: format!(
                "adjustment {} of {code} ({name}) to {} is not applied: it was made on a computed score of {}, which is now {}",
                adjustment.id,
                percent(adjustment.adjusted_score),
                percent(adjustment.computed_score),
                percent(computed)
            ),
            figures: vec![
                ("adjustment_id".to_owned(), adjustment.id.to_string()),
                ("made_on".to_owned(), percent(adjustment.computed_score)),
                ("computed".to_owned(), percent(computed)),
            ],
        });
        return false;
    }
    let adjusted = adjustment.adjusted_score.max(Decimal::ZERO).min(weight);
    if code == BUDGET_ROW {
        evaluation.budget.computed_score = Some(computed);
        evaluation.budget.score = adjusted;
    } else if let Some(row) = evaluation
        .indicators
        .iter_mut()
        .find(|row| row.indicator_code == code)
    {
        row.computed_score = Some(computed);
        row.score = adjusted;
        row.awaiting_review = false;
        if !row.formula.is_empty() {
            row.light = super::computed::light(row.actual, adjusted, row.weight);
        }
    }
    let by = if adjustment.adjusted_by.is_empty() {
        String::new()
    } else {
        format!(" by {}", adjustment.adjusted_by)
    };
    evaluation.flags.push(Flag {
        code: FlagCode::ManualAdjustment,
        subject: code.to_owned(),
        message: format!(
            "{code} ({name}): the rules give {}, a reviewer set {}{by} on {}: {}",
            percent(computed),
            percent(adjusted),
            adjustment.adjusted_at,
            adjustment.reason
        ),
        figures: vec![
            ("computed".to_owned(), percent(computed)),
            ("adjusted".to_owned(), percent(adjusted)),
            ("reason".to_owned(), adjustment.reason.clone()),
            ("adjusted_by".to_owned(), adjustment.adjusted_by.clone()),
            ("adjusted_at".to_owned(), adjustment.adjusted_at.clone()),
            ("adjustment_id".to_owned(), adjustment.id.to_string()),
        ],
    });
    true
}
