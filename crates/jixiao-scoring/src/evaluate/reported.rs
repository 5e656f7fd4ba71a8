//! Reported figures (TABLES.md §5): a table's own 得分 per row and for budget execution,
//! checked against the computed scores at the precision they were written with.

use rust_decimal::{Decimal, RoundingStrategy};

use super::{BudgetScore, Context, IndicatorScore, percent, show};
use crate::arith;

/// The budget execution score as the table printed it.
const REPORTED_BUDGET_SCORE: &str = "evaluation.budget_score_reported";

impl Context<'_> {
    /// `reported_score_mismatch` for each row whose 得分 was pushed with its target set, and for
    /// budget execution when `evaluation.budget_score_reported` has a figure for exactly the
    /// as-of period: the computed score, rounded to the decimals the reported one was written
    /// with, differs from it by more than `flags.reported_score_tolerance`.
    pub(super) fn reported_scores(&mut self, budget: &BudgetScore, rows: &[IndicatorScore]) {
        for row in rows {
            if let Some(reported) = row.reported_score {
                self.compare_score(&row.indicator_code, &row.name, reported, row.score);
            }
        }
        let as_of = self.as_of;
        let root = self.scope[0];
        let reported = self
            .figures
            .get(&(root, REPORTED_BUDGET_SCORE))
            .and_then(|figures| figures.iter().find(|figure| figure.period == as_of))
            .map(|figure| figure.value);
        if let Some(reported) = reported {
            self.compare_score("budget", "预算执行率", reported, budget.score);
        }
    }

    fn compare_score(&mut self, code: &str, name: &str, reported: Decimal, computed: Decimal) {
        let at_precision = computed
            .round_dp_with_strategy(reported.scale(), RoundingStrategy::MidpointAwayFromZero);
        let difference = arith::sub(reported, at_precision).abs();
        if difference > self.framework.flags.reported_score_tolerance {
            let message = format!(
                "{code} ({name}): the table gives {} points, the rules {} ({} apart)",
                show(reported),
                percent(computed),
                percent(difference)
            );
            self.flag(
                "reported_score_mismatch",
                code,
                message,
                vec![
                    ("reported", show(reported)),
                    ("computed", percent(computed)),
                    ("difference_points", percent(difference)),
                ],
            );
        }
    }
}
