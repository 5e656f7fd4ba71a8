//! Conversions between the protobuf messages and the domain and storage records, with the
//! validation of everything a client sends. Every proto message is destructured without `..`,
//! so that a new field breaks the build until it is handled here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use jixiao::ingest::v1 as pb;
use jixiao_domain::department::{validate_code, validate_text};
use jixiao_domain::{
    Catalog, MetricDef, Period, Target, TargetInput, Unit, Violation, parse_plain_decimal,
};
use jixiao_storage::{
    ActualRecord, ActualsOutcome, DepartmentRecord, ExportPoint, NewActual, NewDepartment,
    NewPoint, NewProject, PointRecord, ProjectRecord, PushOutcome, TableOutcome, TargetSetRecord,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Most violations listed in one refusal; the rest are counted.
pub const MAX_VIOLATIONS: usize = Violation::MAX_LISTED;
/// Longest request id accepted.
const MAX_REQUEST_ID_LEN: usize = 128;
/// Longest note accepted, in characters.
const MAX_NOTE_CHARS: usize = 2000;
/// Default and largest page sizes.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 1000;

/// Collects violations up to [`MAX_VIOLATIONS`], counting the rest.
#[derive(Debug, Default)]
pub struct Violations {
    listed: Vec<Violation>,
    more: usize,
}

impl Violations {
    /// Records a violation.
    pub fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.listed.len() < MAX_VIOLATIONS {
            self.listed.push(Violation::new(field, description));
        } else {
            self.more += 1;
        }
    }

    /// Records several.
    pub fn extend(&mut self, violations: impl IntoIterator<Item = Violation>) {
        for violation in violations {
            self.push(violation.field, violation.description);
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every violation.
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<Violation>> {
        if self.listed.is_empty() {
            return Ok(value);
        }
        let mut listed = self.listed;
        if self.more > 0 {
            listed.push(Violation::new(
                "request",
                format!("{} more violations not listed", self.more),
            ));
        }
        Err(listed)
    }
}

/// The SHA-256 of a request's encoding (without its request id), in hexadecimal.
pub fn digest(message: &impl prost::Message) -> String {
    let hash = Sha256::digest(message.encode_to_vec());
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether a request's list `field` (of `item`s) holds between 1 and `max`; else a violation
/// saying so, with `hint` (how to stay within the limit).
fn batch_size_ok(
    (field, item): (&str, &str),
    len: usize,
    max: usize,
    hint: &str,
    violations: &mut Violations,
) -> bool {
    if len == 0 {
        violations.push(field, format!("at least one {item} is required"));
        return false;
    }
    if len > max {
        violations.push(
            field,
            format!("has {len} {field}; at most {max} are accepted in one request ({hint})"),
        );
        return false;
    }
    true
}

/// Checks a code that may be left empty (a project code, a filter); whether it is valid.
pub fn check_optional_code(field: &str, code: &str, violations: &mut Violations) -> bool {
    if !code.is_empty()
        && let Err(reason) = validate_code(code)
    {
        violations.push(field, reason);
        return false;
    }
    true
}

/// Checks an optional request id.
pub fn check_request_id(request_id: &str, violations: &mut Violations) {
    if request_id.len() > MAX_REQUEST_ID_LEN {
        violations.push(
            "request_id",
            format!("is longer than {MAX_REQUEST_ID_LEN} bytes"),
        );
    } else if let Err(reason) = validate_text(request_id, false, MAX_REQUEST_ID_LEN) {
        violations.push("request_id", reason);
    }
}

/// A page size: 0 means the default, larger than the maximum means the maximum.
pub fn page_size(requested: i32, violations: &mut Violations) -> u32 {
    match requested {
        0 => DEFAULT_PAGE_SIZE,
        size if size < 0 => {
            violations.push("page_size", "must not be negative");
            DEFAULT_PAGE_SIZE
        }
        size => (size as u32).min(MAX_PAGE_SIZE),
    }
}

/// Checks a year given alone (targets, exports).
pub fn check_year(field: &str, year: i32, violations: &mut Violations) {
    if let Err(error) = Period::year(year) {
        violations.push(field, error.to_string());
    }
}

/// A protobuf timestamp.
pub fn timestamp(time: &DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// Validates an UpsertDepartment's department.
pub fn new_department(department: Option<pb::Department>) -> Result<NewDepartment, Vec<Violation>> {
    let mut violations = Violations::default();
    let Some(pb::Department {
        code,
        name,
        parent_code,
        updated_at: _,
    }) = department
    else {
        violations.push("department", "is required");
        return violations.into_result(NewDepartment {
            code: String::new(),
            name: String::new(),
            parent_code: None,
        });
    };
    if let Err(reason) = validate_code(&code) {
        violations.push("department.code", reason);
    }
    if let Err(reason) = jixiao_domain::validate_name(&name) {
        violations.push("department.name", reason);
    }
    if !parent_code.is_empty() {
        if let Err(reason) = validate_code(&parent_code) {
            violations.push("department.parent_code", reason);
        } else if parent_code == code {
            violations.push(
                "department.parent_code",
                "a department cannot be its own parent",
            );
        }
    }
    violations.into_result(NewDepartment {
        code,
        name,
        parent_code: (!parent_code.is_empty()).then_some(parent_code),
    })
}

/// A department as sent back.
pub fn department(record: DepartmentRecord) -> pb::Department {
    let DepartmentRecord {
        code,
        name,
        parent_code,
        updated_at,
    } = record;
    pb::Department {
        code,
        name,
        parent_code: parent_code.unwrap_or_default(),
        updated_at: Some(timestamp(&updated_at)),
    }
}

/// A target row as sent, for validation by the domain.
pub fn target_input(target: pb::Target) -> TargetInput {
    let pb::Target {
        indicator_code,
        name,
        level1,
        level2,
        metric_code,
        comparator,
        target_value,
        unit,
        weight,
        target_value_canonical: _,
        canonical_unit: _,
        target_text,
        direction,
        comparator_inferred: _,
        target_value_high: _,
        target_value_high_canonical: _,
        measure_kind: _,
        unit_as_written: _,
        level1_as_written: _,
        level2_as_written: _,
        reported_score,
        review_reason: _,
        read_note: _,
        suspect_reading: _,
        weight_missing: _,
    } = target;
    TargetInput {
        indicator_code,
        name,
        level1,
        level2,
        metric_code,
        comparator,
        target_value,
        unit,
        weight,
        target_text,
        direction,
        reported_score,
    }
}

/// A target row as sent back.
pub fn target(target: Target, catalog: &Catalog) -> pb::Target {
    let Target {
        indicator_code,
        name,
        level1,
        level2,
        metric_code,
        comparator,
        target_value,
        unit,
        target_canonical,
        weight,
        target_text,
        level1_text,
        level2_text,
        comparator_inferred,
        target_high,
        kind,
        unit_word,
        reported_score,
        review_reason,
        read_note,
        suspect,
        weight_missing,
    } = target;
    let canonical_unit = catalog
        .get(&metric_code)
        .map(|metric| metric.kind)
        .or(kind)
        .map(|kind| kind.canonical_unit().code.to_owned())
        .unwrap_or_default();
    pb::Target {
        indicator_code,
        name,
        level1: level1.name_zh().to_owned(),
        level2,
        metric_code,
        comparator: comparator.as_str().to_owned(),
        target_value: target_value.to_string(),
        unit,
        weight: weight.to_string(),
        target_value_canonical: target_canonical.to_string(),
        canonical_unit,
        target_text,
        direction: String::new(),
        comparator_inferred,
        target_value_high: target_high
            .map(|(high, _)| high.to_string())
            .unwrap_or_default(),
        target_value_high_canonical: target_high
            .map(|(_, high)| high.to_string())
            .unwrap_or_default(),
        measure_kind: kind
            .map(|kind| kind.as_str().to_owned())
            .unwrap_or_default(),
        unit_as_written: unit_word,
        level1_as_written: level1_text,
        level2_as_written: level2_text,
        reported_score: reported_score
            .map(|score| score.to_string())
            .unwrap_or_default(),
        review_reason,
        read_note,
        suspect_reading: suspect,
        weight_missing,
    }
}

/// A target set as sent back.
pub fn target_set(record: TargetSetRecord, catalog: &Catalog) -> pb::TargetSet {
    let TargetSetRecord {
        department_code,
        project_code,
        year,
        revision,
        targets,
        framework,
        set_at,
        overall_target,
        overall_result,
    } = record;
    pb::TargetSet {
        project_code,
        department_code,
        year,
        revision,
        targets: targets
            .into_iter()
            .map(|row| target(row, catalog))
            .collect(),
        set_at: Some(timestamp(&set_at)),
        framework,
        overall_target,
        overall_result,
    }
}

/// Most characters of a 年度总体目标 text (预期目标, 实际完成情况): a few paragraphs.
const MAX_OVERALL_CHARS: usize = 4000;

/// Checks the 年度总体目标 texts of a target set, naming `overall_target` and `overall_result`.
pub fn check_overall(overall_target: &str, overall_result: &str, violations: &mut Violations) {
    for (field, text) in [
        ("overall_target", overall_target),
        ("overall_result", overall_result),
    ] {
        if let Err(reason) = validate_text(text, false, MAX_OVERALL_CHARS) {
            violations.push(field, reason);
        }
    }
}

/// Validates a batch of points: every field of every point, and no point twice.
pub fn new_points(
    points: Vec<pb::MetricPoint>,
    catalog: &Catalog,
    max_points: usize,
    violations: &mut Violations,
) -> Vec<NewPoint> {
    if !batch_size_ok(
        ("points", "point"),
        points.len(),
        max_points,
        "split the batch or use StreamMetrics",
        violations,
    ) {
        return Vec::new();
    }
    let mut first_index: HashMap<(String, String, Period, String), usize> =
        HashMap::with_capacity(points.len());
    let mut validated = Vec::with_capacity(points.len());
    for (index, point) in points.into_iter().enumerate() {
        let pb::MetricPoint {
            department_code,
            metric_code,
            period,
            value,
            unit,
            project_code,
            note,
        } = point;
        let field = |name: &str| format!("points[{index}].{name}");
        let mut ok = true;
        if let Err(reason) = validate_code(&department_code) {
            violations.push(field("department_code"), reason);
            ok = false;
        }
        ok &= check_optional_code(&field("project_code"), &project_code, violations);
        if let Err(reason) = validate_note(&note) {
            violations.push(field("note"), reason);
            ok = false;
        }
        let period = match period.parse::<Period>() {
            Ok(period) => Some(period),
            Err(error) => {
                violations.push(field("period"), error.to_string());
                None
            }
        };
        let metric = catalog.get(&metric_code);
        if metric.is_none() {
            violations.push(
                field("metric_code"),
                format!("unknown metric {metric_code:?}; see ListMetricDefinitions"),
            );
        }
        let parsed = match parse_plain_decimal(&value) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                violations.push(field("value"), error.to_string());
                None
            }
        };
        let canonical = metric.and_then(|metric| {
            let unit = match Unit::for_kind(metric.kind, &unit) {
                Ok(unit) => unit,
                Err(error) => {
                    violations.push(field("unit"), error.to_string());
                    return None;
                }
            };
            let parsed = parsed?;
            if parsed < Decimal::ZERO && !metric.allows_negative() {
                violations.push(
                    field("value"),
                    format!(
                        "{value} is negative, but {} cannot be (only money flows can)",
                        metric.code
                    ),
                );
                return None;
            }
            let canonical = unit.to_canonical(parsed);
            if canonical.is_none() {
                violations.push(
                    field("value"),
                    jixiao_domain::not_held_exactly(&value, unit),
                );
            }
            canonical
        });
        let (Some(period), Some(canonical), true) = (period, canonical, ok) else {
            continue;
        };
        let key = (
            department_code.clone(),
            metric_code.clone(),
            period,
            project_code.clone(),
        );
        if let Some(first) = first_index.insert(key, index) {
            violations.push(
                format!("points[{index}]"),
                format!(
                    "repeats points[{first}]: the same department, metric, period and project may appear only once in a batch"
                ),
            );
            continue;
        }
        validated.push(NewPoint {
            department_code,
            metric_code,
            period,
            value: canonical,
            value_as_sent: value,
            unit_as_sent: unit,
            project_code,
            note,
        });
    }
    validated
}

fn validate_note(note: &str) -> Result<(), String> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(format!("is longer than {MAX_NOTE_CHARS} characters"));
    }
    if let Some(bad) = note
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(format!("has the control character {bad:?}"));
    }
    jixiao_domain::department::check_readable(note)
}

/// A stored point as sent back.
pub fn stored_point(record: PointRecord, catalog: &Catalog) -> pb::StoredMetricPoint {
    let PointRecord {
        department_code,
        metric_code,
        period,
        value,
        value_as_sent,
        unit_as_sent,
        source,
        project_code,
        note,
        revision,
        sequence,
        received_at,
        request_id,
        pushed_by,
        current,
    } = record;
    let canonical_unit = catalog
        .get(&metric_code)
        .map(|metric| metric.kind.canonical_unit().code.to_owned())
        .unwrap_or_default();
    pb::StoredMetricPoint {
        department_code,
        metric_code,
        period,
        value,
        canonical_unit,
        value_as_sent,
        unit_as_sent,
        source,
        project_code,
        note,
        revision,
        sequence,
        received_at: Some(timestamp(&received_at)),
        request_id: request_id.unwrap_or_default(),
        current,
        pushed_by,
    }
}

/// An exported point as sent: the audit fields stay empty (ListMetricPoints has them).
pub fn exported_point(point: ExportPoint) -> pb::StoredMetricPoint {
    let ExportPoint {
        department_code,
        metric_code,
        period,
        value,
        source,
        project_code,
        note,
        revision,
        sequence,
    } = point;
    pb::StoredMetricPoint {
        department_code,
        metric_code,
        period,
        value,
        source,
        project_code,
        note,
        revision,
        sequence,
        current: true,
        ..pb::StoredMetricPoint::default()
    }
}

/// A catalog metric as sent.
pub fn metric_definition(metric: &MetricDef) -> pb::MetricDefinition {
    let MetricDef {
        code,
        name_zh,
        name_en,
        kind,
        temporal,
        additive,
    } = metric;
    pb::MetricDefinition {
        code: code.clone(),
        name_zh: name_zh.clone(),
        name_en: name_en.clone(),
        kind: kind.as_str().to_owned(),
        temporal: temporal.as_str().to_owned(),
        additive: *additive,
        canonical_unit: kind.canonical_unit().code.to_owned(),
        accepted_units: kind
            .units()
            .flat_map(|unit| std::iter::once(unit.code).chain(unit.aliases.iter().copied()))
            .map(str::to_owned)
            .collect(),
        allows_negative: metric.allows_negative(),
    }
}

/// Validates the actuals of a ReportActuals request, field by field; what needs the target
/// sets (the row, its kind, the reading of the text) is checked by the store in the same
/// transaction that stores them.
pub fn new_actuals(
    actuals: Vec<pb::RowActual>,
    max: usize,
    violations: &mut Violations,
) -> Vec<NewActual> {
    if !batch_size_ok(
        ("actuals", "actual"),
        actuals.len(),
        max,
        "limits.max_points_per_request",
        violations,
    ) {
        return Vec::new();
    }
    let mut validated = Vec::with_capacity(actuals.len());
    for (index, actual) in actuals.into_iter().enumerate() {
        let field = |name: &str| format!("actuals[{index}].{name}");
        let pb::RowActual {
            department_code,
            project_code,
            indicator_code,
            period,
            actual_text,
            note,
            revision: _,
            read_as: _,
            pushed_by: _,
            sequence: _,
            projected_text,
            likelihood,
        } = actual;
        let mut ok = true;
        if let Err(reason) = validate_code(&department_code) {
            violations.push(field("department_code"), reason);
            ok = false;
        }
        if let Err(reason) = validate_code(&indicator_code) {
            violations.push(field("indicator_code"), reason);
            ok = false;
        }
        ok &= check_optional_code(&field("project_code"), &project_code, violations);
        let period = match period.parse::<Period>() {
            Ok(period) if period.is_evaluable() => Some(period),
            Ok(_) => {
                violations.push(
                    field("period"),
                    format!("{period:?} is a month; an actual is as of a quarter (2022-Q2) or the year (2022)"),
                );
                None
            }
            Err(error) => {
                violations.push(field("period"), error.to_string());
                None
            }
        };
        if let Err(reason) =
            validate_text(&actual_text, true, jixiao_domain::target::MAX_TEXT_CHARS)
        {
            violations.push(field("actual_text"), reason);
            ok = false;
        }
        if let Err(reason) = validate_note(&note) {
            violations.push(field("note"), reason);
            ok = false;
        }
        for (name, text) in [
            ("projected_text", &projected_text),
            ("likelihood", &likelihood),
        ] {
            if let Err(reason) = validate_text(text, false, jixiao_domain::target::MAX_TEXT_CHARS) {
                violations.push(field(name), reason);
                ok = false;
            }
        }
        if let (Some(period), true) = (period, ok) {
            validated.push(NewActual {
                department_code,
                project_code,
                indicator_code,
                period,
                actual_text,
                note,
                projected_text,
                likelihood,
            });
        }
    }
    validated
}

/// An actual as sent back or exported.
pub fn row_actual(record: ActualRecord) -> pb::RowActual {
    let ActualRecord {
        department_code,
        project_code,
        indicator_code,
        period,
        actual_text,
        note,
        projected_text,
        likelihood,
        read_as,
        revision,
        sequence,
        pushed_by,
    } = record;
    pb::RowActual {
        department_code,
        project_code,
        indicator_code,
        period,
        actual_text,
        note,
        revision,
        read_as,
        pushed_by,
        sequence,
        projected_text,
        likelihood,
    }
}

/// Most fund sources a project names.
const MAX_FUND_SOURCES: usize = 20;

/// Validates a project to upsert; every violation names `project.<field>`.
pub fn new_project(project: Option<pb::Project>, violations: &mut Violations) -> NewProject {
    let Some(pb::Project {
        code,
        name,
        department_code,
        first_year,
        last_year,
        fund_sources,
        updated_at: _,
    }) = project
    else {
        violations.push("project", "is required");
        return NewProject {
            code: String::new(),
            name: String::new(),
            department_code: String::new(),
            first_year: 0,
            last_year: 0,
            fund_sources: Vec::new(),
        };
    };
    if let Err(reason) = validate_code(&code) {
        violations.push("project.code", reason);
    }
    if let Err(reason) = jixiao_domain::validate_name(&name) {
        violations.push("project.name", reason);
    }
    if let Err(reason) = validate_code(&department_code) {
        violations.push("project.department_code", reason);
    }
    check_year("project.first_year", first_year, violations);
    check_year("project.last_year", last_year, violations);
    if last_year < first_year {
        violations.push(
            "project.last_year",
            format!("{last_year} is before first_year {first_year}"),
        );
    }
    if fund_sources.len() > MAX_FUND_SOURCES {
        violations.push(
            "project.fund_sources",
            format!("has {}; at most {MAX_FUND_SOURCES}", fund_sources.len()),
        );
    }
    for (index, source) in fund_sources.iter().enumerate() {
        if let Err(reason) = jixiao_domain::validate_name(source) {
            violations.push(format!("project.fund_sources[{index}]"), reason);
        }
    }
    NewProject {
        code,
        name,
        department_code,
        first_year,
        last_year,
        fund_sources,
    }
}

/// A project as sent back or exported.
pub fn project(record: ProjectRecord) -> pb::Project {
    let ProjectRecord {
        code,
        name,
        department_code,
        first_year,
        last_year,
        fund_sources,
        updated_at,
    } = record;
    pb::Project {
        code,
        name,
        department_code,
        first_year,
        last_year,
        fund_sources,
        updated_at: Some(timestamp(&updated_at)),
    }
}

/// The answer to ImportTable; `validate_only` says nothing was stored.
pub fn table_outcome(
    outcome: TableOutcome,
    validate_only: bool,
    catalog: &Catalog,
) -> pb::ImportTableResponse {
    let TableOutcome {
        department,
        renamed_from,
        project,
        targets,
        points,
        actuals,
        watermark,
    } = outcome;
    pb::ImportTableResponse {
        validate_only,
        department: Some(self::department(department.department)),
        department_created: department.created,
        renamed_from: renamed_from.unwrap_or_default(),
        project_created: project.as_ref().is_some_and(|project| project.created),
        project: project.map(|project| self::project(project.project)),
        target_set: Some(target_set(targets.target_set, catalog)),
        targets_unchanged: targets.unchanged,
        points: Some(push_response(points)),
        actuals: Some(actuals_response(actuals)),
        watermark,
    }
}

/// The answer to PushMetrics (and a table's figures).
pub fn push_response(outcome: PushOutcome) -> pb::PushMetricsResponse {
    let PushOutcome {
        stored,
        unchanged,
        revised,
        watermark,
        replayed: _,
    } = outcome;
    pb::PushMetricsResponse {
        stored,
        unchanged,
        revised,
        watermark,
    }
}

/// The answer to ReportActuals (and a table's actuals).
pub fn actuals_response(outcome: ActualsOutcome) -> pb::ReportActualsResponse {
    pb::ReportActualsResponse {
        stored: outcome.stored as i32,
        revised: outcome.revised as i32,
        unchanged: outcome.unchanged as i32,
        watermark: outcome.watermark,
        actuals: outcome.actuals.into_iter().map(row_actual).collect(),
    }
}
