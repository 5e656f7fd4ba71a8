//! The published tables of `tests/data/field/cases.json` (see its README), and what the tests
//! send of them: each case's rows as a target set written as the table prints them, and its
//! actuals as written.

use jixiao::ingest::v1 as pb;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub year: Option<String>,
    pub budget: Budget,
    pub indicators: Vec<Row>,
}

#[derive(Debug, Deserialize)]
pub struct Budget {
    pub initial: Option<String>,
    pub adjusted: Option<String>,
    pub executed: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Row {
    pub level1: String,
    pub level2: Option<String>,
    pub name: String,
    pub target_text: Option<String>,
    pub actual_text: Option<String>,
    pub weight: Option<String>,
}

pub fn cases() -> Vec<Case> {
    serde_json::from_str(include_str!("../data/field/cases.json")).unwrap()
}

pub fn case(id: &str) -> Case {
    cases().into_iter().find(|case| case.id == id).unwrap()
}

impl Case {
    /// The year of the table (2022 when the excerpt does not give it).
    pub fn year(&self) -> i32 {
        self.year
            .as_deref()
            .and_then(|year| year.parse().ok())
            .unwrap_or(2022)
    }
}

/// The code of a case's row `index` in its target set.
pub fn row_code(index: usize) -> String {
    format!("R{:02}", index + 1)
}

/// The case's rows as a target set written as the table prints them.
pub fn written_targets(case: &Case) -> Vec<pb::Target> {
    case.indicators
        .iter()
        .enumerate()
        .map(|(index, row)| pb::Target {
            indicator_code: row_code(index),
            name: row.name.clone(),
            level1: row.level1.clone(),
            level2: row.level2.clone().unwrap_or_default(),
            target_text: row.target_text.clone().unwrap_or_default(),
            weight: row.weight.clone().unwrap_or_default(),
            ..Default::default()
        })
        .collect()
}

/// The case's actuals as written, for the year, of `department_code`: the rows that print one.
pub fn written_actuals(case: &Case, department_code: &str) -> Vec<pb::RowActual> {
    case.indicators
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let text = row.actual_text.clone()?;
            Some(pb::RowActual {
                department_code: department_code.to_owned(),
                indicator_code: row_code(index),
                period: case.year().to_string(),
                actual_text: text,
                ..Default::default()
            })
        })
        .collect()
}

/// The case's budget figures (万元) as points of `department_code` for its year.
pub fn budget_points(case: &Case, department_code: &str) -> Vec<pb::MetricPoint> {
    [
        ("budget.initial", &case.budget.initial),
        ("budget.adjusted", &case.budget.adjusted),
        ("budget.executed", &case.budget.executed),
    ]
    .into_iter()
    .filter_map(|(metric, value)| {
        Some(pb::MetricPoint {
            department_code: department_code.to_owned(),
            metric_code: metric.to_owned(),
            period: case.year().to_string(),
            value: value.clone()?,
            unit: "万元".to_owned(),
            ..Default::default()
        })
    })
    .collect()
}
