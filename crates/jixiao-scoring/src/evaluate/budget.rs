//! Budget execution (预算执行率): the budget block's figures, the score by the framework's
//! rule, and the flags that compare budget figures (`SCORING.md` §3, TABLES.md §4–5).

use jixiao_domain::Grain;
use rust_decimal::Decimal;

use super::rules::ValueRule;
use super::{BudgetScore, Context, Flag, FlagCode, Light, money, percent, round2, show};
use crate::arith;
use crate::framework::{BudgetDenominator, BudgetScoring, Framework, ValueBand};

const EXECUTED: &str = "budget.executed";
const ADJUSTED: &str = "budget.adjusted";
const INITIAL: &str = "budget.initial";
pub(super) const REPORTED_RATE: &str = "budget.execution_rate_reported";
/// The fund-source lines of each budget column (`jixiao_domain::catalog::FUND_LINES`).
const EXECUTED_LINES: [&str; 5] = [
    "budget.executed.current_appropriation",
    "budget.executed.carryover",
    "budget.executed.special_account",
    "budget.executed.unit_funds",
    "budget.executed.other",
];
const ADJUSTED_LINES: [&str; 5] = [
    "budget.adjusted.current_appropriation",
    "budget.adjusted.carryover",
    "budget.adjusted.special_account",
    "budget.adjusted.unit_funds",
    "budget.adjusted.other",
];
const INITIAL_LINES: [&str; 5] = [
    "budget.initial.current_appropriation",
    "budget.initial.carryover",
    "budget.initial.special_account",
    "budget.initial.unit_funds",
    "budget.initial.other",
];

impl<'a> Context<'a> {
    /// A budget figure as a 自评表's budget block gives it: the 年度资金总额 line, or, when that
    /// line is 0 or empty while fund-source lines have figures, their sum, flagged
    /// `budget_total_missing` (TABLES.md §5; cases F01, F02).
    pub(super) fn budget_figure(
        &mut self,
        total: &'static str,
        lines: &[&'static str],
    ) -> Option<Decimal> {
        let stated = self.value(total).map(|value| value.amount);
        if stated.is_some_and(|value| !value.is_zero()) {
            return stated;
        }
        let parts: Vec<(&str, Decimal)> = lines
            .iter()
            .filter_map(|code| self.value(code).map(|value| (*code, value.amount)))
            .collect();
        let sum = arith::sum(parts.iter().map(|(_, value)| *value));
        if parts.is_empty() || sum.is_zero() {
            return stated;
        }
        let written = stated.map_or("empty".to_owned(), |_| "0".to_owned());
        let message = format!(
            "the total line of {total} is {written}, while its fund-source lines sum to {}: the sum counts",
            money(sum)
        );
        let mut figures: Vec<(&str, String)> = parts
            .iter()
            .map(|(code, value)| (*code, show(*value)))
            .collect();
        figures.push(("sum", show(sum)));
        self.flag(FlagCode::BudgetTotalMissing, total, message, figures);
        Some(sum)
    }

    pub(super) fn budget(&mut self) -> BudgetScore {
        let weight = self.framework.budget.weight;
        let executed = self.budget_figure(EXECUTED, &EXECUTED_LINES);
        let adjusted = self.budget_figure(ADJUSTED, &ADJUSTED_LINES);
        let initial = self.budget_figure(INITIAL, &INITIAL_LINES);
        let mut budget = BudgetScore {
            executed,
            adjusted,
            initial,
            rate: None,
            progress: None,
            weight,
            score: Decimal::ZERO,
            light: Light::None,
            computed_score: None,
            reported_score: None,
            reported_rate: None,
            projected: self
                .value("budget.executed_projected")
                .map(|value| value.amount),
        };
        if self.framework.budget.rule == BudgetScoring::None {
            // The framework judges the budget through its own rows (R14): no score, no flags.
            return budget;
        }
        match (executed, adjusted) {
            (_, None) => self.flag(
                FlagCode::MissingBudget,
                ADJUSTED,
                "the full-year budget A (budget.adjusted) has no value; budget execution scores 0"
                    .to_owned(),
                vec![("executed", executed.map(show).unwrap_or_default())],
            ),
            (_, Some(adjusted)) if adjusted.is_zero() => self.flag(
                FlagCode::MissingBudget,
                ADJUSTED,
                "the full-year budget A (budget.adjusted) is 0; budget execution scores 0"
                    .to_owned(),
                vec![("adjusted", show(adjusted))],
            ),
            (None, Some(adjusted)) => self.flag(
                FlagCode::MissingBudget,
                EXECUTED,
                "executed expenditure E (budget.executed) has no value; budget execution scores 0"
                    .to_owned(),
                vec![("adjusted", show(adjusted))],
            ),
            (Some(executed), Some(adjusted)) => {
                let hundred = Decimal::ONE_HUNDRED;
                let rule = &self.framework.budget;
                let denominator = match rule.denominator {
                    BudgetDenominator::Adjusted => Some(adjusted),
                    BudgetDenominator::Initial => initial.filter(|initial| !initial.is_zero()),
                };
                let Some(denominator) = denominator else {
                    self.flag(
                        FlagCode::MissingBudget,
                        INITIAL,
                        "the initial budget I (budget.initial), which this framework divides by, has no value or is 0; budget execution scores 0".to_owned(),
                        vec![("executed", show(executed))],
                    );
                    return budget;
                };
                let rate = arith::div(executed, denominator);
                let progress = arith::div(rate, self.t);
                let percent_progress = arith::mul(progress, hundred);
                budget.rate = Some(round2(arith::mul(rate, hundred)));
                budget.progress = Some(round2(percent_progress));
                // Budget execution is a computed row judged on time progress (TABLES.md §4):
                // its rule is one of the rules computed rows use.
                let bands: Vec<ValueBand> = rule
                    .bands
                    .iter()
                    .map(|band| ValueBand {
                        at_least: Some(band.min_percent),
                        at_most: None,
                        score: band.score,
                    })
                    .collect();
                let value_rule = match rule.rule {
                    BudgetScoring::Linear => ValueRule::Proportional {
                        limit: hundred,
                        inverse: false,
                    },
                    BudgetScoring::Threshold => ValueRule::Threshold {
                        full_at: rule.full_at.unwrap_or(hundred),
                        per_point: rule.points_per_point,
                    },
                    BudgetScoring::Bands => ValueRule::Bands(&bands),
                    BudgetScoring::None => ValueRule::Value,
                };
                let raw = if rule.rule == BudgetScoring::None {
                    Decimal::ZERO
                } else {
                    value_rule.score(weight, percent_progress)
                };
                budget.score = self.framework.rounding.round(raw);
                budget.light = self.light_for_progress(percent_progress);
            }
        }
        budget
    }

    /// The flags that compare budget figures: reported rate, unspent, adjustment, and outputs
    /// ahead of spending.
    pub(super) fn budget_flags(&mut self, budget: &BudgetScore, indicator_total: Decimal) {
        let thresholds = self.framework.flags.clone();
        let hundred = Decimal::from(100);
        if let (Some(executed), Some(adjusted)) = (budget.executed, budget.adjusted)
            && !adjusted.is_zero()
        {
            let computed = arith::mul(arith::div(executed, adjusted), hundred);
            let (_, _, reported) = self.reported_figures();
            // Compared at the precision it was written with (TABLES.md §5): 89.7% printed
            // against a computed 89.715% is right; 31.00% against 31.08% is a slip.
            if let Some(reported) = reported
                && let Some(difference) =
                    super::reported::differs(reported, computed, thresholds.reported_rate_tolerance)
            {
                let message = format!(
                    "the reported execution rate {}% differs from the computed 100 × E / A = {}% by {} percentage points",
                    show(reported),
                    percent(computed),
                    percent(difference)
                );
                self.flag(
                    FlagCode::ReportedRateMismatch,
                    REPORTED_RATE,
                    message,
                    vec![
                        ("reported_percent", show(reported)),
                        ("computed_percent", percent(computed)),
                        ("difference_points", percent(difference)),
                        ("executed", show(executed)),
                        ("adjusted", show(adjusted)),
                    ],
                );
            }
            if self.as_of.grain() == Grain::Year {
                let unspent = arith::sub(Decimal::ONE, arith::div(executed, adjusted));
                if unspent > thresholds.large_unspent_ratio {
                    let message = format!(
                        "{}% of the full-year budget is unspent ({} of {})",
                        percent(arith::mul(unspent, hundred)),
                        money(arith::sub(adjusted, executed)),
                        money(adjusted)
                    );
                    self.flag(
                        FlagCode::LargeUnspent,
                        EXECUTED,
                        message,
                        vec![
                            ("unspent_percent", percent(arith::mul(unspent, hundred))),
                            ("executed", show(executed)),
                            ("adjusted", show(adjusted)),
                        ],
                    );
                }
            }
        }
        if let (Some(adjusted), Some(initial)) = (budget.adjusted, budget.initial)
            && !initial.is_zero()
        {
            let adjustment = arith::div(arith::sub(adjusted, initial).abs(), initial);
            if adjustment > thresholds.large_adjustment_ratio {
                let message = format!(
                    "the budget was adjusted by {}% from the initial {} to {}",
                    percent(arith::mul(adjustment, hundred)),
                    money(initial),
                    money(adjusted)
                );
                self.flag(
                    FlagCode::LargeAdjustment,
                    ADJUSTED,
                    message,
                    vec![
                        (
                            "adjustment_percent",
                            percent(arith::mul(adjustment, hundred)),
                        ),
                        ("initial", show(initial)),
                        ("adjusted", show(adjusted)),
                    ],
                );
            }
        }
        if let Some(flag) = outputs_ahead(self.framework, budget.score, indicator_total) {
            self.push_flag(flag);
        }
    }
}

/// `outputs_ahead_of_spending`: S / G − B / W > margin × S / G, with S the rows' total, G the
/// groups' weights, B the budget score and W its weight. Raised again when adjustments change a
/// score.
pub(super) fn outputs_ahead(
    framework: &Framework,
    budget_score: Decimal,
    indicator_total: Decimal,
) -> Option<Flag> {
    let hundred = Decimal::ONE_HUNDRED;
    let groups_total = framework.groups_total();
    let budget_weight = framework.budget.weight;
    if groups_total.is_zero() || budget_weight.is_zero() {
        return None;
    }
    let outputs = arith::div(indicator_total, groups_total);
    let spending = arith::div(budget_score, budget_weight);
    if arith::sub(outputs, spending) <= arith::mul(framework.flags.outputs_ahead_margin, outputs) {
        return None;
    }
    Some(Flag {
        code: FlagCode::OutputsAheadOfSpending,
        subject: EXECUTED.to_owned(),
        message: format!(
            "indicators earned {}% of their points while budget execution earned {}%: outputs are ahead of spending",
            percent(arith::mul(outputs, hundred)),
            percent(arith::mul(spending, hundred))
        ),
        figures: vec![
            ("indicator_total".to_owned(), show(indicator_total)),
            ("budget_score".to_owned(), show(budget_score)),
            (
                "indicator_share_percent".to_owned(),
                percent(arith::mul(outputs, hundred)),
            ),
            (
                "budget_share_percent".to_owned(),
                percent(arith::mul(spending, hundred)),
            ),
        ],
    })
}
