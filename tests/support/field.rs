//! The published tables of `tests/data/field/cases.json` (see its README), and what the tests
//! send of them: each case's rows as a target set written as the table prints them, and its
//! actuals as written.

use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use serde::Deserialize;
use tonic::transport::Channel;

/// The ingestion service's client.
pub type Client = IngestServiceClient<Channel>;

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub year: Option<String>,
    /// 项目支出 (a project) or 部门整体 (department-wide).
    pub kind: String,
    /// The unit and, for a project, its name, as the table heads it.
    pub department: String,
    pub budget: Budget,
    pub indicators: Vec<Row>,
    /// The table's own 总分, when it prints one.
    pub published_total: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Budget {
    pub initial: Option<String>,
    pub adjusted: Option<String>,
    pub executed: Option<String>,
    /// The weight the table gives budget execution (20 on Hubei's template).
    pub weight: Option<String>,
    /// The table's own budget score.
    pub published_score: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Row {
    pub level1: String,
    pub level2: Option<String>,
    pub name: String,
    pub target_text: Option<String>,
    pub actual_text: Option<String>,
    pub weight: Option<String>,
    /// The table's own 得分 of the row.
    pub published_score: Option<String>,
}

pub fn cases() -> Vec<Case> {
    serde_json::from_str(include_str!("../data/field/cases.json")).unwrap()
}

pub fn case(id: &str) -> Case {
    cases().into_iter().find(|case| case.id == id).unwrap()
}

/// Where a case's table goes: the department `CASE-<id>` and, for a project table, its project
/// `CASE-<id>-P`.
#[derive(Debug, Clone)]
pub struct Subject {
    pub department_code: String,
    pub project_code: String,
}

impl Case {
    /// Whether the table scores a project (项目支出) rather than a department (部门整体).
    pub fn is_project(&self) -> bool {
        self.kind == "项目支出"
    }

    /// The department and (for a project table) the project it is entered as.
    pub fn subject(&self) -> Subject {
        Subject {
            department_code: format!("CASE-{}", self.id),
            project_code: if self.is_project() {
                format!("CASE-{}-P", self.id)
            } else {
                String::new()
            },
        }
    }

    /// Registers the case's department and, for a project table, its project.
    pub async fn register(&self, client: &mut Client) -> Subject {
        let subject = self.subject();
        let (department_name, project_name) = match self.department.split_once(" — ") {
            Some((department, project)) => (department.to_owned(), project.to_owned()),
            None => (self.department.clone(), self.department.clone()),
        };
        client
            .upsert_department(pb::UpsertDepartmentRequest {
                validate_only: false,
                department: Some(pb::Department {
                    code: subject.department_code.clone(),
                    name: department_name,
                    parent_code: String::new(),
                    updated_at: None,
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        if self.is_project() {
            client
                .upsert_project(pb::UpsertProjectRequest {
                    validate_only: false,
                    project: Some(pb::Project {
                        code: subject.project_code.clone(),
                        name: project_name,
                        department_code: subject.department_code.clone(),
                        first_year: self.year(),
                        last_year: self.year(),
                        fund_sources: Vec::new(),
                        updated_at: None,
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap();
        }
        subject
    }

    /// SetTargets for the case's subject, its rows as written.
    pub fn set_targets(&self) -> pb::SetTargetsRequest {
        let subject = self.subject();
        pb::SetTargetsRequest {
            validate_only: false,
            department_code: subject.department_code,
            project_code: subject.project_code,
            year: self.year(),
            targets: written_targets(self),
            request_id: String::new(),
            framework: self.framework().to_owned(),
            ..Default::default()
        }
    }

    /// The shipped framework of the case's province (TABLES.md §4): `hubei-2020` for the
    /// tables on Hubei's 20/80 template (budget weight 20), `hunan-department-2020` for the
    /// Hunan 部门整体 table with 投入/过程 groups; empty (the default, central-2020) otherwise.
    pub fn framework(&self) -> &'static str {
        let has = |label: &str| self.indicators.iter().any(|row| row.level1 == label);
        if self.budget.weight.as_deref() == Some("20") {
            "hubei-2020"
        } else if has("投入") && has("过程") {
            "hunan-department-2020"
        } else {
            ""
        }
    }

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

/// The case's actuals as written, for the year, of its subject: the rows that print one.
pub fn written_actuals(case: &Case) -> Vec<pb::RowActual> {
    let subject = case.subject();
    case.indicators
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let text = row.actual_text.clone()?;
            Some(pb::RowActual {
                department_code: subject.department_code.clone(),
                project_code: subject.project_code.clone(),
                indicator_code: row_code(index),
                period: case.year().to_string(),
                actual_text: text,
                ..Default::default()
            })
        })
        .collect()
}

/// The case's budget figures (万元) as points of its subject for its year.
pub fn budget_points(case: &Case) -> Vec<pb::MetricPoint> {
    let subject = case.subject();
    [
        ("budget.initial", &case.budget.initial),
        ("budget.adjusted", &case.budget.adjusted),
        ("budget.executed", &case.budget.executed),
    ]
    .into_iter()
    .filter_map(|(metric, value)| {
        Some(pb::MetricPoint {
            department_code: subject.department_code.clone(),
            project_code: subject.project_code.clone(),
            metric_code: metric.to_owned(),
            period: case.year().to_string(),
            value: value.clone()?,
            unit: "万元".to_owned(),
            ..Default::default()
        })
    })
    .collect()
}

/// The table's own 总分 as a reported figure of its subject, when it prints one.
pub fn reported_total(case: &Case) -> Option<pb::MetricPoint> {
    let subject = case.subject();
    Some(pb::MetricPoint {
        department_code: subject.department_code,
        project_code: subject.project_code,
        metric_code: "evaluation.total_reported".to_owned(),
        period: case.year().to_string(),
        value: case.published_total.clone()?,
        unit: "%".to_owned(),
        ..Default::default()
    })
}
