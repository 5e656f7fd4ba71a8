//! Reported figures (TABLES.md §5): a table's own 得分 per row, for budget execution and its
//! 总分, checked against the computed scores at the precision they were written with.

use rust_decimal::{Decimal, RoundingStrategy};

use super::{BudgetScore, Context, Flag, FlagCode, IndicatorScore, percent, show};
use crate::arith;

/// The budget execution score as the table printed it.
const REPORTED_BUDGET_SCORE: &str = "evaluation.budget_score_reported";
/// The table's 总分.
const REPORTED_TOTAL: &str = "evaluation.total_reported";

impl Context<'_> {
    /// The subject's own reported budget score, total and execution rate for exactly the as-of
    /// period.
    pub(super) fn reported_figures(&self) -> (Option<Decimal>, Option<Decimal>, Option<Decimal>) {
        let as_of = self.as_of;
        let root = self.scope[0];
        let figure = |metric: &str| {
            self.figures
                .get(&(root, metric))
                .and_then(|figures| figures.iter().find(|figure| figure.period == as_of))
                .map(|figure| figure.value)
        };
        (
            figure(REPORTED_BUDGET_SCORE),
            figure(REPORTED_TOTAL),
            figure(super::budget::REPORTED_RATE),
        )
    }
}

/// The flags of every reported figure that differs from its computed one by more than
/// `tolerance` points once the computed one is rounded to the decimals the reported one was
/// written with: `reported_score_mismatch` per row and for the budget, `reported_total_mismatch`
/// for the total. Made again when adjustments change the scores.
pub(super) fn flags(
    budget: &BudgetScore,
    rows: &[IndicatorScore],
    total: Decimal,
    reported_total: Option<Decimal>,
    tolerance: Decimal,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    for row in rows {
        // A row without a 分值 scores nothing by rule (weights_incomplete says so): its printed
        // 得分 has nothing to be compared with.
        if row.weight.is_zero() {
            continue;
        }
        if let Some(reported) = row.reported_score
            && let Some(difference) = differs(reported, row.score, tolerance)
        {
            flags.push(score_flag(
                &row.indicator_code,
                &row.name,
                reported,
                row.score,
                difference,
            ));
        }
    }
    if let Some(reported) = budget.reported_score
        && let Some(difference) = differs(reported, budget.score, tolerance)
    {
        flags.push(score_flag(
            "budget",
            "预算执行率",
            reported,
            budget.score,
            difference,
        ));
    }
    if let Some(reported) = reported_total
        && let Some(difference) = differs(reported, total, tolerance)
    {
        flags.push(Flag {
            code: FlagCode::ReportedTotalMismatch,
            subject: REPORTED_TOTAL.to_owned(),
            message: format!(
                "the reported total {} differs from the computed {} by {} points at the table's precision",
                show(reported),
                percent(total),
                show(difference)
            ),
            figures: vec![
                ("reported".to_owned(), show(reported)),
                ("computed".to_owned(), percent(total)),
                ("difference_points".to_owned(), percent(difference)),
            ],
        });
    }
    flags
}

/// The difference when it exceeds the tolerance at the reported figure's precision.
pub(super) fn differs(reported: Decimal, computed: Decimal, tolerance: Decimal) -> Option<Decimal> {
    let at_precision =
        computed.round_dp_with_strategy(reported.scale(), RoundingStrategy::MidpointAwayFromZero);
    let difference = arith::sub(reported, at_precision).abs();
    (difference > tolerance).then_some(difference)
}

fn score_flag(
    code: &str,
    name: &str,
    reported: Decimal,
    computed: Decimal,
    difference: Decimal,
) -> Flag {
    Flag {
        code: FlagCode::ReportedScoreMismatch,
        subject: code.to_owned(),
        message: format!(
            "{code} ({name}): the table gives {} points, the rules {} ({} apart at the table's precision)",
            show(reported),
            percent(computed),
            show(difference)
        ),
        figures: vec![
            ("reported".to_owned(), show(reported)),
            ("computed".to_owned(), percent(computed)),
            ("difference_points".to_owned(), percent(difference)),
        ],
    }
}
