//! The benchmark's data: a three-level hierarchy of departments, a year of quarterly points
//! over 25 metrics, 20 targets per top-level department, and the small pushes' points.

use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use tonic::transport::Channel;

/// The year of every point.
pub const YEAR: i32 = 2022;

/// The 25 metrics and a unit of each.
pub const METRICS: [(&str, &str); 25] = [
    ("budget.initial", "万元"),
    ("budget.adjusted", "万元"),
    ("budget.executed", "万元"),
    ("budget.income", "万元"),
    ("budget.prior_year_final", "万元"),
    ("procurement.contracts", "件"),
    ("procurement.contracts_filed_late", "件"),
    ("procurement.sme_field_missing", "件"),
    ("land.approval.submitted.parcels", "宗"),
    ("land.approval.submitted.area", "亩"),
    ("land.approval.granted.parcels", "宗"),
    ("land.approval.granted.area", "亩"),
    ("land.transfer.parcels", "宗"),
    ("land.transfer.area", "亩"),
    ("land.transfer.floor_area", "平方米"),
    ("land.transfer.revenue", "万元"),
    ("land.supply.parcels", "宗"),
    ("land.supply.area", "公顷"),
    ("land.supervision.due", "宗"),
    ("land.supervision.inspected", "宗"),
    ("land.supervision.reminders", "宗"),
    ("land.certificate.extensions", "宗"),
    ("land.idle.disposal_target", "亩"),
    ("land.idle.disposed", "亩"),
    ("satisfaction.rate", "%"),
];

/// Department `index`'s code.
pub fn department(index: usize) -> String {
    format!("D{index:05}")
}

/// How many top-level and second-level departments `count` departments have.
pub fn levels(count: usize) -> (usize, usize) {
    let top = (count / 100).max(1).min(count);
    let second = (count / 10).saturating_sub(top).min(count - top);
    (top, second)
}

/// The parent of department `index`: top-level departments have none, the second level hangs
/// under the top level, the rest under the second level (or the top level when there is none).
pub fn parent(index: usize, count: usize) -> Option<usize> {
    let (top, second) = levels(count);
    if index < top {
        None
    } else if index < top + second || second == 0 {
        Some((index - top) % top)
    } else {
        Some(top + (index - top - second) % second)
    }
}

/// Creates `count` departments, parents first.
pub async fn upsert_departments(
    client: &mut IngestServiceClient<Channel>,
    count: usize,
) -> anyhow::Result<()> {
    for index in 0..count {
        client
            .upsert_department(pb::UpsertDepartmentRequest {
                validate_only: false,
                department: Some(pb::Department {
                    code: department(index),
                    name: format!("部门 {index}"),
                    parent_code: parent(index, count).map(department).unwrap_or_default(),
                    updated_at: None,
                }),
                request_id: String::new(),
            })
            .await?;
    }
    Ok(())
}

/// One point of the bulk data.
pub fn point(department_index: usize, metric: usize, quarter: usize) -> pb::MetricPoint {
    let (code, unit) = METRICS[metric];
    pb::MetricPoint {
        department_code: department(department_index),
        metric_code: code.to_owned(),
        period: format!("{YEAR}-Q{}", quarter + 1),
        value: format!(
            "{}.{}",
            10 + (department_index + metric + quarter) % 90,
            quarter * 25
        ),
        unit: unit.to_owned(),
        project_code: String::new(),
        note: String::new(),
    }
}

/// The bulk data as StreamMetrics messages, generated as they are sent.
pub fn stream_messages(
    args: &crate::Args,
) -> impl Iterator<Item = pb::StreamMetricsRequest> + Send + 'static {
    let (departments, metrics, quarters, batch) = (
        args.departments,
        args.metrics.min(25),
        args.quarters.min(4),
        args.batch.max(1),
    );
    let points = (0..departments).flat_map(move |department_index| {
        (0..metrics).flat_map(move |metric| {
            (0..quarters).map(move |quarter| point(department_index, metric, quarter))
        })
    });
    let mut points = points.peekable();
    std::iter::from_fn(move || {
        points.peek()?;
        Some(pb::StreamMetricsRequest {
            request_id: String::new(),
            source: "bench".into(),
            points: points.by_ref().take(batch).collect(),
        })
    })
}

/// 20 targets for each top-level department: 10 outputs and 6 outcomes of weight 5, 4
/// satisfaction rows of weight 2.5.
pub async fn set_targets(
    client: &mut IngestServiceClient<Channel>,
    args: &crate::Args,
) -> anyhow::Result<()> {
    let (top, _) = levels(args.departments);
    let metrics = args.metrics.clamp(1, 25);
    for index in 0..top {
        let targets = (0..20)
            .map(|row| {
                let (level1, level2, weight) = match row {
                    0..10 => ("产出", "数量", "5"),
                    10..16 => ("效益", "经济", "5"),
                    _ => ("满意度", "服务对象满意度", "2.5"),
                };
                let (metric, unit) = METRICS[row % metrics];
                pb::Target {
                    indicator_code: format!("T{row:02}"),
                    name: format!("指标 {row}"),
                    level1: level1.into(),
                    level2: level2.into(),
                    metric_code: metric.into(),
                    comparator: ">=".into(),
                    target_value: "100".into(),
                    unit: unit.into(),
                    weight: weight.into(),
                    ..Default::default()
                }
            })
            .collect();
        client
            .set_targets(pb::SetTargetsRequest {
                department_code: department(index),
                year: YEAR,
                targets,
                request_id: String::new(),
                ..Default::default()
            })
            .await?;
    }
    Ok(())
}

/// The one point of small push `request` of `client`: a new figure each time.
pub fn small_point(client: usize, request: usize) -> pb::MetricPoint {
    pb::MetricPoint {
        department_code: department(0),
        metric_code: "land.supply.parcels".into(),
        period: format!("{YEAR}"),
        value: "1".into(),
        unit: "宗".into(),
        project_code: format!("C{client}R{request}"),
        note: String::new(),
    }
}
