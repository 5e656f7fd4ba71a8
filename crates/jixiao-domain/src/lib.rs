//! Domain types of jixiao, shared by the services: plain decimals, periods, units with exact
//! conversion to canonical, the metric catalog, departments and yearly targets.
//!
//! This crate does no I/O and knows nothing of protobuf; the services convert at their edge.
//! Every fallible constructor reports [`Violation`]s that name the offending field and the
//! reason, so the services can send them to clients unchanged.

pub mod catalog;
pub mod decimal;
pub mod department;
pub mod label;
pub mod period;
pub mod target;
pub mod unit;
mod violation;
pub mod written;

pub use catalog::{Catalog, MetricDef, Temporal};
pub use decimal::{DecimalError, parse_plain_decimal};
pub use department::{DepartmentCode, validate_code, validate_name};
pub use period::{Grain, Period, PeriodError};
pub use target::{Comparator, GroupWeights, Level1, Level2, Target, TargetInput, WeightPlan};
pub use unit::{MetricKind, Unit, not_held_exactly};
pub use violation::Violation;
