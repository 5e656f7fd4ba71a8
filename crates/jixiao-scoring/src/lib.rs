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
//! Invariants: scoring does no I/O, reads no clock and draws no randomness: the same inputs
//! and framework always give the same evaluation (only [`Frameworks::load`] reads files). Arithmetic is exact decimal; scores and deductions are rounded to 2 decimals,
//! half away from zero, before they are summed.

mod arith;
mod evaluate;
mod formula;
mod framework;
mod inputs;
mod registry;

pub use evaluate::{
    Adjustment, AdjustmentOutcome, AdjustmentStatus, BUDGET_ROW, Band, BudgetScore, DeductionScore,
    Evaluation, Flag, FlagCode, IndicatorScore, Light, apply_adjustments, evaluate,
    evaluate_project,
};
pub use formula::{Formula, Undefined};
pub use framework::{
    AtMostRule, BudgetBand, BudgetDenominator, BudgetRule, BudgetScoring, CENTRAL_2020,
    ComputedRow, ComputedRule, DeductionRule, Direction, EqualRule, FlagThresholds, Framework,
    FrameworkError, GradeBand, Group, IndicatorRules, LightThresholds, OverAchievementRule,
    Rounding, ValueBand, WhenUndefined,
};
pub use inputs::{Department, Inputs, MetricInfo, Point, Project, RowActual, TargetRow, TargetSet};
pub use registry::{DefaultFrameworks, FrameworkSources, Frameworks, Loaded, SHIPPED};
