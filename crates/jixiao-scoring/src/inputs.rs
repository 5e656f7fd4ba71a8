//! What an evaluation reads: one year of departments, target sets and points.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jixiao_domain::{Comparator, Level1, MetricKind, Period, Temporal};
use rust_decimal::Decimal;

/// How a metric aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricInfo {
    /// Flow or stock.
    pub temporal: Temporal,
    /// Whether sub-unit values sum to the department's value.
    pub additive: bool,
    /// The code of its canonical unit (`wan_yuan`, `count`), for explanations.
    pub unit: String,
}

/// A department or unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent, for a unit.
    pub parent_code: Option<String>,
}

/// A target row, its target in the metric's canonical unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    /// Identifies the row.
    pub indicator_code: String,
    /// Display name.
    pub name: String,
    /// Level-1 group.
    pub level1: Level1,
    /// The level-1 label as written, when it differs from the group's name (a group the
    /// framework does not know: 制度指标).
    pub level1_text: String,
    /// Level-2 sub-group.
    pub level2: String,
    /// The metric of the actual.
    pub metric_code: String,
    /// How the actual is compared.
    pub comparator: Comparator,
    /// The annual target T, canonical.
    pub target: Decimal,
    /// The canonical unit's code.
    pub unit: String,
    /// The row's weight.
    pub weight: Decimal,
    /// For a range (`90%-100%`), its high end, canonical.
    pub target_high: Option<Decimal>,
    /// For a self-reported row (no metric), the kind it measures.
    pub kind: Option<MetricKind>,
    /// The target as written (年度指标值), empty when it was sent field by field.
    pub target_text: String,
    /// Whether no comparator was written and it was inferred.
    pub comparator_inferred: bool,
    /// The unit code the target was written in (`centimetre`); a self-reported actual written
    /// as a bare number is in this unit.
    pub unit_as_sent: String,
    /// The row's 得分 as the table printed it (TABLES.md §5), when it was pushed.
    pub reported_score: Option<Decimal>,
    /// The unit as written in the target (`人次`, `种`, `元/户`); a unit kept as written
    /// (`as_written`) compares by it.
    pub unit_word: String,
    /// Why the rules cannot judge the target (comparator `review`); empty otherwise.
    pub review_reason: String,
    /// How the target text was read beyond its plain form, for the explanation.
    pub read_note: String,
    /// The reading a garbled text looks intended to have (`text_suspect`); empty otherwise.
    pub suspect: String,
    /// Whether the row was sent without a weight (`weights_incomplete`).
    pub weight_missing: bool,
}

/// A department-year's target set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSet {
    /// Its revision at the ingestion service.
    pub revision: i64,
    /// Its rows.
    pub targets: Vec<TargetRow>,
    /// The framework it is scored under (TABLES.md §4); empty: the default of its subject kind.
    pub framework: String,
    /// 年度总体目标 · 预期目标 as written (TABLES.md §1).
    pub overall_target: String,
    /// 年度总体目标 · 实际完成情况 as written.
    pub overall_result: String,
}

/// The current revision of a point from one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// Department. Codes are shared (`Arc<str>`): a year holds a million points over a few
    /// thousand codes.
    pub department_code: Arc<str>,
    /// Metric.
    pub metric_code: Arc<str>,
    /// Period.
    pub period: Period,
    /// Canonical value.
    pub value: Decimal,
    /// Source.
    pub source: Arc<str>,
    /// Project; points with one never count into a department's figure.
    pub project_code: Arc<str>,
    /// Note (an explanation).
    pub note: String,
    /// The ingestion sequence of this revision: a higher one was received later.
    pub sequence: i64,
}

/// A project (项目支出) of a department: a subject of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The department it belongs to.
    pub department_code: String,
    /// The first year it runs.
    pub first_year: i32,
    /// The last year it runs.
    pub last_year: i32,
}

/// The current actual (实际完成值) of a self-reported target row for one period, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowActual {
    /// The row of the department's target set.
    pub indicator_code: String,
    /// A quarter or the year.
    pub period: Period,
    /// The actual as written.
    pub actual_text: String,
    /// 偏差原因分析及改进措施.
    pub note: String,
    /// 全年预计完成值 as written: a monitoring table's projection for the year (TABLES.md §7).
    pub projected_text: String,
    /// 完成目标可能性 as written.
    pub likelihood: String,
    /// The ingestion sequence of this revision.
    pub sequence: i64,
}

/// One year of inputs, indexed for evaluation.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    metrics: HashMap<String, MetricInfo>,
    departments: HashMap<String, Department>,
    children: HashMap<String, Vec<String>>,
    target_sets: HashMap<String, TargetSet>,
    points_by_department: HashMap<Arc<str>, Vec<Point>>,
    actuals_by_department: HashMap<String, Vec<RowActual>>,
    projects: HashMap<String, Project>,
    project_target_sets: HashMap<String, TargetSet>,
    actuals_by_project: HashMap<String, Vec<RowActual>>,
    /// The ingestion watermark of the view the inputs were read from.
    pub watermark: i64,
}

impl Inputs {
    /// Indexes inputs. Departments are listed parents first or not; children are ordered by code.
    pub fn new(
        metrics: HashMap<String, MetricInfo>,
        departments: Vec<Department>,
        target_sets: HashMap<String, TargetSet>,
        points: Vec<Point>,
        watermark: i64,
    ) -> Self {
        let mut inputs = Self {
            metrics,
            target_sets,
            watermark,
            ..Self::default()
        };
        for department in departments {
            inputs.add_department(department);
        }
        for point in points {
            inputs.add_point(point);
        }
        inputs.finish();
        inputs
    }

    /// Adds a metric's definition.
    pub fn add_metric(&mut self, code: String, info: MetricInfo) {
        self.metrics.insert(code, info);
    }

    /// Adds a department.
    pub fn add_department(&mut self, department: Department) {
        if let Some(parent) = &department.parent_code {
            self.children
                .entry(parent.clone())
                .or_default()
                .push(department.code.clone());
        }
        self.departments.insert(department.code.clone(), department);
    }

    /// Adds a target set.
    pub fn add_target_set(&mut self, department_code: String, target_set: TargetSet) {
        self.target_sets.insert(department_code, target_set);
    }

    /// Adds a project.
    pub fn add_project(&mut self, project: Project) {
        self.projects.insert(project.code.clone(), project);
    }

    /// A project.
    pub fn project(&self, code: &str) -> Option<&Project> {
        self.projects.get(code)
    }

    /// The projects of the departments in `departments` that run in `year`, ordered by code.
    pub fn projects_of(&self, departments: &[&str], year: i32) -> Vec<&str> {
        let mut codes: Vec<&str> = self
            .projects
            .values()
            .filter(|project| departments.contains(&project.department_code.as_str()))
            .filter(|project| (project.first_year..=project.last_year).contains(&year))
            .map(|project| project.code.as_str())
            .collect();
        codes.sort_unstable();
        codes
    }

    /// Adds a project's target set.
    pub fn add_project_target_set(&mut self, project_code: String, target_set: TargetSet) {
        self.project_target_sets.insert(project_code, target_set);
    }

    /// A project's target set.
    pub fn project_target_set(&self, code: &str) -> Option<&TargetSet> {
        self.project_target_sets.get(code)
    }

    /// Adds the actual of a self-reported row of `project_code`'s target set.
    pub fn add_project_row_actual(&mut self, project_code: String, actual: RowActual) {
        self.actuals_by_project
            .entry(project_code)
            .or_default()
            .push(actual);
    }

    /// The actuals of a project's self-reported rows, ordered like [`Inputs::row_actuals`].
    pub fn project_row_actuals(&self, project_code: &str) -> &[RowActual] {
        self.actuals_by_project
            .get(project_code)
            .map_or(&[], Vec::as_slice)
    }

    /// Adds the actual of a self-reported row of `department_code`'s target set.
    pub fn add_row_actual(&mut self, department_code: String, actual: RowActual) {
        self.actuals_by_department
            .entry(department_code)
            .or_default()
            .push(actual);
    }

    /// The actuals of `department_code`'s self-reported rows, ordered by row, period and
    /// sequence.
    pub fn row_actuals(&self, department_code: &str) -> &[RowActual] {
        self.actuals_by_department
            .get(department_code)
            .map_or(&[], Vec::as_slice)
    }

    /// Adds a point.
    pub fn add_point(&mut self, point: Point) {
        self.points_by_department
            .entry(Arc::clone(&point.department_code))
            .or_default()
            .push(point);
    }

    /// Orders children and points, so that evaluation does not depend on arrival order. Call it
    /// after the last `add_*`.
    pub fn finish(&mut self) {
        for children in self.children.values_mut() {
            children.sort();
            children.dedup();
        }
        for actuals in self
            .actuals_by_department
            .values_mut()
            .chain(self.actuals_by_project.values_mut())
        {
            actuals.sort_by(|a, b| {
                (&a.indicator_code, a.period, a.sequence).cmp(&(
                    &b.indicator_code,
                    b.period,
                    b.sequence,
                ))
            });
        }
        for points in self.points_by_department.values_mut() {
            points.sort_by(|a, b| {
                (
                    &a.metric_code,
                    a.period,
                    &a.project_code,
                    &a.source,
                    a.sequence,
                )
                    .cmp(&(
                        &b.metric_code,
                        b.period,
                        &b.project_code,
                        &b.source,
                        b.sequence,
                    ))
            });
        }
    }

    /// A metric's definition.
    pub fn metric(&self, code: &str) -> Option<&MetricInfo> {
        self.metrics.get(code)
    }

    /// A department.
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.get(code)
    }

    /// The departments without a parent, ordered by code.
    pub fn top_level(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self
            .departments
            .values()
            .filter(|department| department.parent_code.is_none())
            .map(|department| department.code.as_str())
            .collect();
        codes.sort_unstable();
        codes
    }

    /// The department and all its descendants, the department first, then breadth first.
    pub fn scope(&self, code: &str) -> Vec<&str> {
        let mut scope = Vec::new();
        let Some(root) = self.departments.get(code) else {
            return scope;
        };
        scope.push(root.code.as_str());
        let mut seen: HashSet<&str> = HashSet::from([root.code.as_str()]);
        let mut index = 0;
        while index < scope.len() {
            if let Some(children) = self.children.get(scope[index]) {
                for child in children {
                    // A cycle cannot be stored, but never loop on one.
                    if seen.insert(child.as_str()) {
                        scope.push(child.as_str());
                    }
                }
            }
            index += 1;
        }
        scope
    }

    /// A department's target set.
    pub fn target_set(&self, code: &str) -> Option<&TargetSet> {
        self.target_sets.get(code)
    }

    /// A department's own points.
    pub fn points(&self, code: &str) -> &[Point] {
        self.points_by_department
            .get(code)
            .map_or(&[], Vec::as_slice)
    }
}
