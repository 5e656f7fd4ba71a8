//! `jixiao import FILE`: reads the 自评表 of a spreadsheet as published (`.xlsx`, `.xls`,
//! `.ods` through calamine, `.csv` through csv), checks every cell it needs, and pushes what it
//! read through the ingestion service's gRPC API like any upstream system (TABLES.md §6).
//!
//! Tables are found by their header labels: the indicator header (一级指标 … 分值), the budget
//! block above it (年初预算数, 全年预算数, 全年执行数 …), 项目名称 and the unit. A sheet may hold
//! several tables; merged cells of 一级指标 and 二级指标 are carried down. No table is refused
//! for its words (TABLES.md §0): a cell read otherwise than as written is noted. Each table is
//! one ImportTable request, stored whole or not at all; `--dry-run` sends the same requests
//! with `validate_only`, so the service runs every check of the import and stores nothing.

use std::path::Path;

use jixiao::ingest::v1 as pb;
use sha2::{Digest, Sha256};

use crate::endpoint::IngestEndpoint;
use crate::endpoint::{IngestClient, connect_ingest};
use crate::grid::read_grids;
use crate::table::read::{figure, figure_cells, tables_of};
use crate::table::{Cell, Kind, Row, Table, fold};

/// What `jixiao import` is told besides the file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The department the tables belong to (its code).
    pub department: String,
    /// The project code of a project table; empty: derived from the project's name.
    pub project: String,
    /// The year, when the title does not give it.
    pub year: Option<i32>,
    /// The framework the target sets name (empty: the evaluator's default).
    pub framework: String,
    /// Print, push nothing.
    pub dry_run: bool,
}

/// What one table becomes at the ingestion service: one ImportTable request, stored whole
/// or not at all.
pub type Plan = pb::ImportTableRequest;

/// A row's code: its 指标编码 when the table has one (a table jixiao filled), else its position
/// (`R01` …).
fn row_code(row: &Row, index: usize) -> String {
    row.code
        .as_ref()
        .map(|cell| cell.text.clone())
        .unwrap_or_else(|| format!("R{:02}", index + 1))
}

/// A request id made from a prefix (the step, and on push the import's run) and the content:
/// within an import, the same content gives the same id.
fn request_id(step: &str, content: &impl prost::Message) -> String {
    let digest = Sha256::digest(content.encode_to_vec());
    let hex: String = digest
        .iter()
        .take(12)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("import-{step}-{hex}")
}

/// The project code of a table without `--project`: `P` and a digest of its name, so that a
/// second import finds the same project.
fn project_code(department: &str, name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02X}"))
        .collect();
    format!("{department}-P{hex}")
}

/// The period a table's figures are as of: the year, or for a monitoring table of `1-N月`
/// the quarter its months end (`1-6月` of 2022: `2022-Q2`; the figures are the year to date,
/// which as the only quarter point of a flow is the window's value); months that end no
/// quarter are as of the quarter before (said by the reader), under three months the year.
fn period_of(year: i32, months: Option<u32>) -> String {
    match months {
        Some(months @ 3..=11) => format!("{year}-Q{}", months / 3),
        _ => year.to_string(),
    }
}

fn cell_text(cell: Option<&Cell>) -> String {
    cell.map(|cell| cell.text.clone()).unwrap_or_default()
}

/// The requests a table becomes.
///
/// # Errors
/// When the year is known neither from the title nor from `--year`.
pub fn plan(table: &Table, options: &ImportOptions, index: usize) -> anyhow::Result<Plan> {
    let year = options.year.or(table.year).ok_or_else(|| {
        anyhow::anyhow!(
            "table {} of sheet {}: the title gives no year; pass --year",
            index + 1,
            table.sheet
        )
    })?;
    let department_code = options.department.clone();
    let project_code = match table.kind {
        Kind::Department => String::new(),
        Kind::Project if !options.project.is_empty() => options.project.clone(),
        Kind::Project => project_code(&department_code, &table.project_name),
    };
    let project = (table.kind == Kind::Project).then(|| pb::Project {
        code: project_code.clone(),
        name: table.project_name.clone(),
        department_code: department_code.clone(),
        first_year: year,
        last_year: year,
        ..Default::default()
    });
    let targets: Vec<pb::Target> = table
        .rows
        .iter()
        .enumerate()
        .map(|(row_index, row)| pb::Target {
            indicator_code: row_code(row, row_index),
            name: row.name.text.clone(),
            level1: row.level1.text.clone(),
            level2: row.level2.text.clone(),
            target_text: row.target.text.clone(),
            weight: figure(&row.weight, "分值", &["分"]).unwrap_or_default(),
            reported_score: row
                .score
                .as_ref()
                .and_then(|score| figure(score, "得分", &["分"]).ok())
                .unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    let period = period_of(year, table.months);
    let mut points = Vec::new();
    for figure_cell in figure_cells(table) {
        if let Some(cell) = figure_cell.cell
            && let Ok(value) = figure(cell, figure_cell.label, figure_cell.units)
        {
            points.push(pb::MetricPoint {
                department_code: department_code.clone(),
                metric_code: figure_cell.metric.to_owned(),
                period: period.clone(),
                value,
                unit: figure_cell.unit.to_owned(),
                project_code: project_code.clone(),
                note: String::new(),
            });
        }
    }
    let actuals = table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| !row.actual.text.is_empty())
        .map(|(row_index, row)| pb::RowActual {
            department_code: department_code.clone(),
            project_code: project_code.clone(),
            indicator_code: row_code(row, row_index),
            period: period.clone(),
            actual_text: row.actual.text.clone(),
            projected_text: cell_text(row.projected.as_ref()),
            likelihood: cell_text(row.likelihood.as_ref()),
            // 偏差原因分析及改进措施 is the unit's note on the actual (jixiao's own findings go
            // to 评价提示 on export).
            note: row
                .deviation
                .as_ref()
                .map(|cell| cell.text.clone())
                .unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    let mut plan = pb::ImportTableRequest {
        request_id: String::new(),
        validate_only: options.dry_run,
        department: Some(pb::Department {
            code: department_code,
            // Empty: an existing unit keeps its name; a new one takes its code.
            name: table.unit_name.clone(),
            ..Default::default()
        }),
        project,
        year,
        framework: options.framework.clone(),
        targets,
        source: "import".to_owned(),
        points,
        actuals,
        overall_target: table.overall_target.clone(),
        overall_result: table.overall_result.clone(),
    };
    plan.request_id = request_id("table", &plan);
    Ok(plan)
}

/// Reads `path`, prints what was read and every unreadable cell, and, unless `--dry-run` or a
/// cell is unreadable, pushes each table. Prints a progress line per sheet and per table.
///
/// # Errors
/// An unreadable file, unreadable cells (after listing them), or a refusal of the service.
pub async fn run(
    path: &Path,
    options: &ImportOptions,
    endpoint: &IngestEndpoint,
) -> anyhow::Result<()> {
    let grids = read_grids(path)?;
    let mut tables = Vec::new();
    let mut problems = Vec::new();
    for grid in &grids {
        eprintln!("reading sheet {} ({} rows)", grid.sheet, grid.rows.len());
        for (table, unreadable, skipped) in tables_of(grid, &options.framework) {
            for name in skipped {
                crate::say!(
                    "{}: row {name} left out: {} computes it from the figures",
                    table.sheet,
                    options.framework
                );
            }
            problems.extend(unreadable);
            tables.push(table);
        }
    }
    if tables.is_empty() {
        anyhow::bail!(
            "{}: no 自评表 found (no row holds the labels 一级指标, 三级指标, 年度指标值 and 实际完成值)",
            path.display()
        );
    }
    let projects = tables
        .iter()
        .filter(|table| table.kind == Kind::Project)
        .count();
    if projects > 1 && !options.project.is_empty() {
        anyhow::bail!(
            "{}: --project names one project, but the file holds {projects} project tables; leave it out (each project's code is then derived from its name) or import them one by one",
            path.display()
        );
    }
    let mut plans = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        plans.push(plan(table, options, index)?);
    }
    for (table, plan) in tables.iter().zip(&plans) {
        print_plan(table, plan);
    }
    // Notes never stop an import: every row is stored as written (TABLES.md §0).
    for problem in &problems {
        crate::say!("note {problem}");
    }
    let mut client = connect_ingest(endpoint).await.map_err(|error| {
        anyhow::anyhow!("{error} (a dry run asks it too: it runs every check of the import)")
    })?;
    let total = plans.len();
    // This import's part of every request id: a retry within it is safe, and a later import
    // is judged on its content by the service.
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos())
    );
    let mut refused = 0;
    for (index, plan) in plans.into_iter().enumerate() {
        match push(&mut client, plan, &run).await {
            Ok(stored) => eprintln!("[{}/{total}] {stored}", index + 1),
            // A dry run checks every table; an import stops at the first refusal, each table
            // before it stored whole and nothing of the refused one.
            Err(error) if options.dry_run => {
                refused += 1;
                eprintln!("[{}/{total}] would be refused: {error}", index + 1);
            }
            Err(error) => {
                anyhow::bail!(
                    "table {} of {total}: {error}; nothing of it was stored{}",
                    index + 1,
                    if index == 0 {
                        String::new()
                    } else {
                        format!(" (the {index} tables before it are stored)")
                    }
                );
            }
        }
    }
    if options.dry_run {
        if refused > 0 {
            anyhow::bail!(
                "dry run: the service would refuse {refused} of {total} tables; nothing was stored"
            );
        }
        crate::say!("dry run: the service checked every table and stored nothing");
    }
    Ok(())
}

/// Sends one table (ImportTable, or with `--dry-run` its check); says what was stored (or
/// would be) and what was already there.
///
/// The unit and the project are created when missing; an existing unit keeps its parent and
/// is renamed only when the table names it otherwise (said); an existing project's years are
/// widened to take the table's. The request carries an id made from its content and this
/// import (`run`), so that a retry is answered without storing twice; importing the same file
/// again stores nothing because the service finds every row, figure and actual equal to what
/// it holds, and a file imported after another one's changes stores its own content again.
/// (An id made from the content alone would replay the first answer of an earlier import and
/// keep the other file's figures.)
async fn push(client: &mut IngestClient, mut plan: Plan, run: &str) -> anyhow::Result<String> {
    plan.request_id = request_id(&format!("{run}-table"), &plan);
    let answer = client
        .import_table(plan)
        .await
        .map_err(|status| anyhow::anyhow!("{:?}: {}", status.code(), status.message()))?
        .into_inner();
    Ok(said(&answer))
}

/// One line on what an ImportTable answer stored, or would store.
fn said(answer: &pb::ImportTableResponse) -> String {
    let unit = answer.department.clone().unwrap_or_default();
    let subject = answer
        .project
        .as_ref()
        .map_or_else(|| unit.code.clone(), |project| project.code.clone());
    let mut stored = Vec::new();
    let mut unchanged = Vec::new();
    if answer.department_created {
        stored.push(format!("unit {} {}", unit.code, unit.name));
    }
    if !answer.renamed_from.is_empty() {
        stored.push(format!(
            "unit {} renamed from {} to {}",
            unit.code, answer.renamed_from, unit.name
        ));
    }
    if answer.project_created
        && let Some(project) = &answer.project
    {
        stored.push(format!("project {} {}", project.code, project.name));
    }
    let revision = answer.target_set.as_ref().map_or(0, |set| set.revision);
    if answer.targets_unchanged {
        unchanged.push(format!("target set (revision {revision})"));
    } else {
        stored.push(format!("target set revision {revision}"));
    }
    let points = answer.points.unwrap_or_default();
    let actuals = answer.actuals.clone().unwrap_or_default();
    for (what, new, same) in [
        ("figures", points.stored, points.unchanged),
        (
            "actuals",
            i64::from(actuals.stored),
            i64::from(actuals.unchanged),
        ),
    ] {
        if new > 0 {
            stored.push(format!("{new} {what}"));
        }
        if same > 0 {
            unchanged.push(format!("{same} {what}"));
        }
    }
    let verb = if answer.validate_only {
        "would store"
    } else {
        "stored"
    };
    if stored.is_empty() {
        format!(
            "{subject}: nothing new {verb} ({} already there)",
            unchanged.join(", ")
        )
    } else if unchanged.is_empty() {
        format!("{subject}: {verb} {}", stored.join(", "))
    } else {
        format!(
            "{subject}: {verb} {}; {} already there",
            stored.join(", "),
            unchanged.join(", ")
        )
    }
}

fn print_plan(table: &Table, plan: &Plan) {
    let department_code = plan
        .department
        .as_ref()
        .map(|unit| unit.code.as_str())
        .unwrap_or_default();
    let subject = match &plan.project {
        Some(project) => format!(
            "project {} {} of {department_code}",
            project.code, project.name
        ),
        None => format!("department {department_code}"),
    };
    crate::say!(
        "{} (sheet {}): {subject}, {} {}, {} rows, {} figures, {} actuals",
        if table.title.is_empty() {
            "table"
        } else {
            table.title.as_str()
        },
        table.sheet,
        plan.year,
        if plan.framework.is_empty() {
            "default framework"
        } else {
            plan.framework.as_str()
        },
        plan.targets.len(),
        plan.points.len(),
        plan.actuals.len(),
    );
    for (target, row) in plan.targets.iter().zip(&table.rows) {
        crate::say!(
            "  {} [{}/{}] {}: {} → {} ({}{})",
            target.indicator_code,
            fold(&target.level1),
            target.level2,
            target.name,
            target.target_text,
            row.actual.text,
            if target.weight.is_empty() {
                "no 分值".to_owned()
            } else {
                format!("{} points", target.weight)
            },
            if target.reported_score.is_empty() {
                String::new()
            } else {
                format!(", printed {}", target.reported_score)
            }
        );
    }
    for point in &plan.points {
        // Printed scores are points of 100 (the catalog keeps them as percent).
        let unit = if point.metric_code.starts_with("evaluation.") {
            "分"
        } else {
            point.unit.as_str()
        };
        crate::say!("  {} = {} {unit}", point.metric_code, point.value);
    }
    for (label, text) in [
        ("年度总体目标 · 预期目标", &plan.overall_target),
        ("年度总体目标 · 实际完成情况", &plan.overall_result),
    ] {
        if !text.is_empty() {
            crate::say!("  {label}: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::table::CellRef;
    use crate::table::read::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any generated table, its merged cells copied as a workbook's reader does or left
        /// blank as a CSV has them, is found with every row and every text exactly as written,
        /// and becomes a request; nothing panics (TABLES.md §0).
        #[test]
        fn any_generated_table_is_read_row_by_row_as_written(
            generated in jixiao_testkit::tables::table(),
            copy_merges in proptest::prelude::any::<bool>(),
        ) {
            let mut cells = generated.cells.clone();
            if copy_merges {
                for &(first, last, column) in &generated.merges {
                    let text = cells[first][column].clone();
                    for row in &mut cells[first + 1..=last] {
                        if row.len() > column && row[column].is_empty() {
                            row[column].clone_from(&text);
                        }
                    }
                }
            }
            let grid = Grid { sheet: "Sheet1".into(), origin: (0, 0), rows: cells };
            let tables = find_tables(&grid);
            proptest::prop_assert_eq!(tables.len(), 1, "{:?}", generated.cells);
            let (table, _) = &tables[0];
            proptest::prop_assert_eq!(table.year, Some(generated.year));
            proptest::prop_assert_eq!(&table.project_name, &generated.project);
            let read: Vec<(String, String, String, String, String, String)> = table
                .rows
                .iter()
                .map(|row| {
                    (
                        row.level1.text.clone(),
                        row.level2.text.clone(),
                        row.name.text.clone(),
                        row.target.text.clone(),
                        row.actual.text.clone(),
                        row.deviation.as_ref().map(|cell| cell.text.clone()).unwrap_or_default(),
                    )
                })
                .collect();
            let written: Vec<(String, String, String, String, String, String)> = generated
                .rows
                .iter()
                .map(|row| {
                    (
                        row.level1.clone(),
                        row.level2.clone(),
                        row.name.clone(),
                        row.target.clone(),
                        row.actual.clone(),
                        row.deviation.clone(),
                    )
                })
                .collect();
            proptest::prop_assert_eq!(read, written);
            let overall = (!table.overall_target.is_empty() || !table.overall_result.is_empty())
                .then(|| (table.overall_target.clone(), table.overall_result.clone()));
            proptest::prop_assert_eq!(overall, generated.overall.clone());
            let options = ImportOptions {
                department: "GEN".into(),
                project: String::new(),
                year: None,
                framework: String::new(),
                dry_run: false,
            };
            let plan = plan(table, &options, 0).unwrap();
            proptest::prop_assert_eq!(plan.targets.len(), generated.rows.len());
            for (target, row) in plan.targets.iter().zip(&generated.rows) {
                proptest::prop_assert_eq!(&target.target_text, &row.target);
                proptest::prop_assert_eq!(&target.weight, &row.weight);
            }
        }
    }

    /// Headers spelled by meaning and names given in one cell: a flat table whose name column
    /// is 绩效指标名称, with 实施单位：… in one cell and 转移支付（项目）名称 naming the project.
    #[test]
    fn a_flat_table_with_its_own_spellings_is_read_whole() {
        let grid = grid(&[
            &["渝北区2023年度项目支出绩效自评表"],
            &["转移支付（项目）名称", "老旧小区改造补助资金"],
            &["实施单位：渝北区住房和城乡建设委员会"],
            &[
                "序号",
                "绩效指标名称",
                "目标值",
                "全年完成值",
                "分值",
                "得分",
            ],
            &["1", "改造老旧小区数量", "≥23个", "23个", "15", "15"],
            &["2", "改造户数", "5600户", "5712户", "10", "10"],
        ]);
        let tables = find_tables(&grid);
        assert_eq!(tables.len(), 1);
        let table = &tables[0].0;
        assert_eq!(table.project_name, "老旧小区改造补助资金");
        assert_eq!(table.unit_name, "渝北区住房和城乡建设委员会");
        let rows: Vec<(&str, &str, &str, &str)> = table
            .rows
            .iter()
            .map(|row| {
                (
                    row.level2.text.as_str(),
                    row.name.text.as_str(),
                    row.target.text.as_str(),
                    row.actual.text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("", "改造老旧小区数量", "≥23个", "23个"),
                ("", "改造户数", "5600户", "5712户")
            ]
        );
    }

    /// A header over two rows: the adjusted target (预期指标值 over 年初 | 调整后) is the target,
    /// and a target in three parts (年度指标值 over 符号 | 值 | 单位) reads as one text; the second
    /// header row is no indicator row.
    #[test]
    fn a_header_over_two_rows_maps_its_parts_by_meaning() {
        let adjusted = grid(&[
            &["2023年度项目支出绩效自评表"],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "预期指标值",
                "",
                "实际完成值",
                "分值",
            ],
            &["", "", "", "年初", "调整后", "", ""],
            &[
                "产出指标",
                "数量指标",
                "培训乡村医生",
                "≥1500人",
                "≥1300人",
                "1320人",
                "10",
            ],
        ]);
        let tables = find_tables(&adjusted);
        let table = &tables[0].0;
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].target.text, "≥1300人");
        assert_eq!(table.rows[0].actual.text, "1320人");
        let parts = grid(&[
            &["2023年度项目支出绩效自评表"],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "",
                "",
                "实际完成值",
                "分值",
            ],
            &["", "", "", "符号", "值", "单位", "", ""],
            &[
                "产出指标",
                "数量指标",
                "供热面积",
                "≥",
                "3000",
                "万平方米",
                "3100",
                "20",
            ],
            &[
                "产出指标",
                "质量指标",
                "供热事故发生数",
                "=",
                "0",
                "起",
                "1",
                "10",
            ],
        ]);
        let tables = find_tables(&parts);
        let table = &tables[0].0;
        let targets: Vec<&str> = table
            .rows
            .iter()
            .map(|row| row.target.text.as_str())
            .collect();
        assert_eq!(targets, ["≥3000万平方米", "=0起"]);
    }

    fn grid(rows: &[&[&str]]) -> Grid {
        Grid {
            sheet: "Sheet1".into(),
            origin: (0, 0),
            rows: rows
                .iter()
                .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
                .collect(),
        }
    }

    #[test]
    fn a_project_table_is_found_with_merged_labels_carried_down() {
        let grid = grid(&[
            &["2022年度项目支出绩效自评表"],
            &["项目名称", "长江禁捕补贴", "", "实施单位", "某区农业工作科"],
            &[
                "",
                "年初预算数",
                "全年预算数",
                "全年执行数",
                "分值",
                "执行率",
                "得分",
            ],
            &["年度资金总额", "", "1.56", "1.56", "20", "100%", "20"],
            &[],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
                "得分",
                "偏差原因分析及改进措施",
            ],
            &[
                "产出指标",
                "数量指标",
                "补贴渔船数",
                "6艘",
                "6艘",
                "20",
                "20",
                "",
            ],
            &[
                "",
                "质量指标",
                "渔船补贴发放率",
                "100%",
                "100%",
                "10",
                "10",
                "",
            ],
            &[
                "满意度指标",
                "服务对象满意度指标",
                "满意度",
                "≥90%",
                "约90",
                "十",
                "40",
                "",
            ],
            &["总分", "", "", "", "", "", "９０", ""],
        ]);
        let found = tables_of(&grid, "");
        assert_eq!(found.len(), 1);
        let (table, problems, _) = &found[0];
        assert_eq!(table.kind, Kind::Project);
        assert_eq!(table.year, Some(2022));
        assert_eq!(table.project_name, "长江禁捕补贴");
        assert_eq!(table.unit_name, "某区农业工作科");
        assert_eq!(table.budget.adjusted.as_ref().unwrap().text, "1.56");
        assert_eq!(table.rows.len(), 3);
        assert_eq!(table.rows[1].level1.text, "产出指标");
        assert_eq!(table.total.as_ref().unwrap().text, "９０");
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        // Noted, never refused: the row is stored without its weight; 约90 reads as 90.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("Sheet1!F9: 分值 \"十\" is not a number"),
            "{problems:?}"
        );
        assert!(problems[0].ends_with("stored without it"), "{problems:?}");
    }

    #[test]
    fn a_header_without_weights_and_an_unknown_group_are_named() {
        let grid = grid(&[
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
            ],
            &["其他指标", "数量指标", "行", "6", "6"],
        ]);
        let (table, problems, _) = &tables_of(&grid, "")[0];
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].to_string().contains("Sheet1!C1: 三级指标"),
            "{}",
            problems[0]
        );
        assert!(problems[0].reason.contains("weights_incomplete"));
        assert!(problems[1].reason.contains("group_not_in_framework"));
        assert_eq!(table.rows.len(), 1, "stored all the same");
        let grid = self::grid(&[
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
            ],
            &["其他指标", "数量指标", "行", "6", "6", "10"],
        ]);
        let (_, problems, _) = &tables_of(&grid, "")[0];
        assert!(
            problems[0]
                .to_string()
                .starts_with("Sheet1!A2: 一级指标 \"其他指标\""),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn several_tables_in_one_sheet_are_read_each_with_its_own_heading() {
        let grid = grid(&[
            &["2021年度项目支出绩效自评表"],
            &["项目名称：", "初中公用经费"],
            &["", "年初预算数", "全年预算数", "全年执行数"],
            &["年度资金总额", "64.8", "64.8", "64.8"],
            &[
                "一级 指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值（分）",
            ],
            &[
                "产出指标",
                "数量指标",
                "保障人数",
                "2370人",
                "2370人",
                "１０",
            ],
            &["总分", "", "", "", "", "10"],
            &[],
            &[],
            &["2021年度项目支出绩效自评表"],
            &["项目名称", "维修经费"],
            &["", "年初预算数", "全年预算数", "全年执行数"],
            &["年度资金总额", "35", "30", "29.5"],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
            ],
            &[
                "产出指标",
                "成本指标",
                "维修成本",
                "≤35万元",
                "29.5万元",
                "10",
            ],
        ]);
        let found = tables_of(&grid, "");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0.project_name, "初中公用经费");
        assert_eq!(found[0].0.rows.len(), 1);
        assert_eq!(found[0].0.rows[0].weight.text, "１０");
        assert!(found[0].1.is_empty(), "{:?}", found[0].1);
        assert!(found[0].2.is_empty());
        assert_eq!(found[1].0.project_name, "维修经费");
        assert_eq!(found[1].0.budget.adjusted.as_ref().unwrap().text, "30");
        assert_eq!(found[1].0.rows[0].target.at.to_string(), "Sheet1!D15");
        assert!(found[1].1.is_empty(), "{:?}", found[1].1);
    }

    /// A Hunan 部门整体 table read for hunan-department-2020: the rows the framework computes are
    /// left out, its aliases are read, and a group it does not have is named.
    #[test]
    fn a_framework_leaves_out_its_computed_rows_and_reads_its_groups() {
        let grid = grid(&[
            &["2020年度部门整体支出绩效自评表"],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
            ],
            &[
                "投入",
                "预算配置",
                "财政供养人员控制率",
                "≤100%",
                "96%",
                "5",
            ],
            &[
                "过程",
                "预算执行",
                "支付进度",
                "按进度支付",
                "达成预期指标",
                "31",
            ],
            &[
                "部门绩效",
                "履职成效",
                "重点工作完成率",
                "100%",
                "100%",
                "20",
            ],
            &["满意度指标", "满意度", "群众满意度", "≥90%", "95%", "10"],
        ]);
        let (table, problems, skipped) = &tables_of(&grid, "hunan-department-2020")[0];
        assert_eq!(skipped, &["财政供养人员控制率"]);
        assert_eq!(table.rows.len(), 3);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].to_string().starts_with("Sheet1!A6: 一级指标 \"满意度指标\" is kept as written and scored by the framework's default row rules (group_not_in_framework): hunan-department-2020 has no group 满意度"),
            "{}",
            problems[0]
        );
        // A bureau's own framework: its labels are the ingestion service's to judge.
        let (_, problems, skipped) = &tables_of(&grid, "yueyang-2021")[0];
        assert!(problems.is_empty() && skipped.is_empty(), "{problems:?}");
    }

    #[test]
    fn figures_take_thousands_separators_but_not_decimal_commas() {
        let cell = |text: &str| Cell {
            text: text.into(),
            at: CellRef {
                sheet: "Sheet1".into(),
                row: 0,
                column: 0,
            },
        };
        assert_eq!(
            figure(&cell("1,560.00"), "全年预算数", &["万元"]).unwrap(),
            "1560.00",
            "kept at the precision written"
        );
        assert_eq!(
            figure(&cell("１，２３４万元"), "全年预算数", &["万元"]).unwrap(),
            "1234"
        );
        // The precision written is kept: a printed 86.20% is compared at two decimals.
        assert_eq!(figure(&cell("86.20%"), "执行率", &["%"]).unwrap(), "86.20");
        for refused in ["12,5", "1,23,456", "1e3", "NaN", "约50"] {
            assert!(
                figure(&cell(refused), "分值", &["分"]).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn a_gbk_csv_is_read_and_an_unreadable_file_is_named() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("表.csv");
        let (bytes, _, _) = encoding_rs::GB18030.encode("一级指标,三级指标\n产出指标,保障人数\n");
        std::fs::write(&path, &bytes).unwrap();
        let grids = read_grids(&path).unwrap();
        assert_eq!(grids[0].rows[1], ["产出指标", "保障人数"]);
        assert_eq!(grids[0].sheet, "表");
        let error = read_grids(&directory.path().join("missing.xlsx")).unwrap_err();
        assert!(error.to_string().contains("missing.xlsx"), "{error}");
    }

    /// A header over two rows (绩效指标 merged over 一级/二级/三级指标, 年度指标值 merged down),
    /// an actual formatted as a percentage, and a sum with float noise.
    #[test]
    fn merged_headers_percent_cells_and_sums_read_as_shown() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("two-row-header.xlsx");
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let plain = rust_xlsxwriter::Format::new();
        let percent = rust_xlsxwriter::Format::new().set_num_format("0.00%");
        sheet
            .write_string(0, 0, "2022年度项目支出绩效自评表")
            .unwrap();
        sheet.write_string(1, 0, "项目名称").unwrap();
        sheet.write_string(1, 1, "维修经费").unwrap();
        sheet.merge_range(3, 0, 3, 2, "绩效指标", &plain).unwrap();
        for (column, label) in ["年度指标值", "实际完成值", "分值", "得分"]
            .iter()
            .enumerate()
        {
            let column = column as u16 + 3;
            sheet
                .merge_range(3, column, 4, column, label, &plain)
                .unwrap();
        }
        for (column, label) in ["一级指标", "二级指标", "三级指标"].iter().enumerate() {
            sheet.write_string(4, column as u16, *label).unwrap();
        }
        sheet.write_string(5, 0, "满意度指标").unwrap();
        sheet.write_string(5, 1, "服务对象满意度指标").unwrap();
        sheet.write_string(5, 2, "满意度").unwrap();
        sheet.write_string(5, 3, "≥90%").unwrap();
        sheet
            .write_number_with_format(5, 4, 0.95, &percent)
            .unwrap();
        sheet.write_number(5, 5, 0.1 + 0.2 + 9.7).unwrap();
        workbook.save(&path).unwrap();

        let grids = read_grids(&path).unwrap();
        let found = tables_of(&grids[0], "");
        assert_eq!(found.len(), 1, "{:?}", grids[0].rows);
        let (table, problems, _) = &found[0];
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].actual.text, "95%");
        assert_eq!(table.rows[0].weight.text, "10");
        assert_eq!(table.rows[0].target.text, "≥90%");
    }

    #[test]
    fn request_ids_follow_the_content() {
        let grid = grid(&[
            &["2022年度部门整体支出绩效自评表"],
            &[
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
            ],
            &[
                "产出指标",
                "数量指标",
                "办结信访案件",
                "168起",
                "168起",
                "90",
            ],
        ]);
        let (table, _) = &find_tables(&grid)[0];
        let options = ImportOptions {
            department: "TC-TANGHU".into(),
            project: String::new(),
            year: None,
            framework: String::new(),
            dry_run: true,
        };
        let first = plan(table, &options, 0).unwrap();
        let second = plan(table, &options, 0).unwrap();
        assert_eq!(first.request_id, second.request_id);
        assert!(first.project.is_none());
        assert!(first.validate_only);
        let mut changed = table.clone();
        changed.rows[0].weight.text = "80".into();
        assert_ne!(
            plan(&changed, &options, 0).unwrap().request_id,
            first.request_id
        );
        assert_eq!(year_of("通城县2020年度单位整体绩效自评表"), Some(2020));
        assert_eq!(year_of("自评表"), None);
    }
}
