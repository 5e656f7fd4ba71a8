//! The scoring of jixiao: every rule of the domain specification, as pure functions.
//!
//! - [`Framework`]: the framework file (weights, comparators, grade bands, deductions, light and
//!   flag thresholds, source priorities), validated on load;
//! - [`Inputs`]: one year of a scope's departments, target sets and points, as exported by the
//!   ingestion service;
//! - [`evaluate`]: a department-wide [`Evaluation`] as of a quarter or the year, with every
//!   indicator, deduction, light and flag explained by its figures, and a digest of the inputs
//!   that counted.
//!
//! Invariants: no I/O, no clock, no randomness: the same inputs and framework always give the
//! same evaluation. Arithmetic is exact decimal; scores and deductions are rounded to 2 decimals,
//! half away from zero, before they are summed.

mod arith;
mod evaluate;
mod framework;
mod inputs;

pub use evaluate::{
    BudgetScore, DeductionScore, Evaluation, Flag, IndicatorScore, Light, evaluate,
    evaluate_project,
};
pub use framework::{
    AtMostRule, BudgetBand, BudgetDenominator, BudgetRule, BudgetScoring, CENTRAL_2020,
    DeductionRule, EqualRule, FlagThresholds, Framework, FrameworkError, GradeBand, Group,
    IndicatorRules, LightThresholds, OverAchievementRule, Rounding,
};
pub use inputs::{Department, Inputs, MetricInfo, Point, Project, RowActual, TargetRow, TargetSet};
