//! `jixiao export`: a subject's period as its filled 自评表 (`xlsx` through rust_xlsxwriter) and
//! a draft 自评报告 with the seed report's four parts (`docx` through docx-rs), or both as
//! Markdown (TABLES.md §6). Every figure comes from the latest snapshot; labels, targets and
//! actuals as written come from the ingestion service's target set, so that an exported table
//! imports back to the same inputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jixiao::evaluator::v1 as pb;
use jixiao::ingest::v1 as ingest_pb;
use jixiao_scoring::FlagCode;
use rust_decimal::Decimal;

use crate::endpoint::{Client, Endpoint, IngestEndpoint, connect, connect_ingest};
use crate::figures::amount;

/// What `jixiao export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The filled 自评表 as a workbook.
    Xlsx,
    /// The draft 自评报告 as a Word document.
    Docx,
    /// Both as Markdown.
    Md,
}

/// One indicator row of the filled table.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 一级指标 as written.
    pub level1: String,
    /// 二级指标 as written.
    pub level2: String,
    /// 三级指标.
    pub name: String,
    /// 年度指标值 as written.
    pub target: String,
    /// 实际完成值 as written (or the value with its unit).
    pub actual: String,
    /// 分值.
    pub weight: String,
    /// 得分: the computed score, or the reviewer's where adjusted.
    pub score: String,
    /// The computed score, where a reviewer adjusted it.
    pub computed: String,
    /// 偏差原因分析及改进措施: the unit's own, given with the row's actual.
    pub deviation: String,
    /// 评价提示: what jixiao found about the row (its flags).
    pub findings: String,
    /// The row's code (指标编码).
    pub code: String,
    /// The row's 得分 as the table printed it, when it was pushed (报送得分).
    pub reported: String,
    /// Whether the framework computes the row (it is not part of the target set).
    pub computed_row: bool,
}

/// A subject's period, ready to be written.
#[derive(Debug, Clone)]
pub struct Filled {
    /// The snapshot.
    pub snapshot: pb::Snapshot,
    /// Its rows, in the order of the table.
    pub lines: Vec<Line>,
    /// Last year's executed budget, when last year was evaluated.
    pub previous_executed: Option<String>,
}

impl Filled {
    fn is_project(&self) -> bool {
        !self.snapshot.project_code.is_empty()
    }

    fn year(&self) -> &str {
        self.snapshot.period.split('-').next().unwrap_or_default()
    }

    fn title(&self) -> String {
        if self.is_project() {
            format!("{}年度项目支出绩效自评表", self.year())
        } else {
            format!("{}年度部门整体支出绩效自评表", self.year())
        }
    }

    fn subject_name(&self) -> String {
        if self.is_project() {
            self.snapshot.project_name.clone()
        } else {
            self.snapshot.department_name.clone()
        }
    }
}

/// Builds the filled table from a snapshot and the target set as written.
pub fn fill(
    snapshot: pb::Snapshot,
    targets: Option<&ingest_pb::TargetSet>,
    previous_executed: Option<String>,
) -> Filled {
    let written: HashMap<&str, &ingest_pb::Target> = targets
        .map(|set| {
            set.targets
                .iter()
                .map(|target| (target.indicator_code.as_str(), target))
                .collect()
        })
        .unwrap_or_default();
    let lines = snapshot
        .indicators
        .iter()
        .map(|row| {
            let target = written.get(row.indicator_code.as_str());
            let label = |as_written: Option<&str>, read: &str| {
                as_written
                    .filter(|text| !text.is_empty())
                    .unwrap_or(read)
                    .to_owned()
            };
            let actual = if row.actual_text.is_empty() {
                if row.actual.is_empty() {
                    String::new()
                } else {
                    amount(&row.actual, &row.unit)
                }
            } else {
                without_period(&row.actual_text).to_owned()
            };
            let mut deviation: Vec<String> = snapshot
                .flags
                .iter()
                .filter(|flag| flag.subject == row.indicator_code)
                .map(|flag| finding(flag, &row.name))
                .collect();
            if row.awaiting_review {
                deviation.push(format!(
                    "“{}”无法按规则判断（{}），未报送得分，待复核评分",
                    row.name, row.review_reason
                ));
            }
            Line {
                level1: label(target.map(|t| t.level1_as_written.as_str()), &row.level1),
                level2: label(target.map(|t| t.level2_as_written.as_str()), &row.level2),
                name: row.name.clone(),
                target: if row.target_text.is_empty() {
                    format!(
                        "{}{}",
                        row.comparator,
                        amount(&row.annual_target, &row.unit)
                    )
                } else {
                    row.target_text.clone()
                },
                actual,
                weight: target.map_or_else(|| row.weight.clone(), |t| t.weight.clone()),
                score: row.score.clone(),
                computed: row.computed_score.clone(),
                deviation: row.note.clone(),
                findings: deviation.join("；"),
                code: row.indicator_code.clone(),
                reported: row.reported_score.clone(),
                computed_row: !row.formula.is_empty(),
            }
        })
        .collect();
    Filled {
        snapshot,
        lines,
        previous_executed,
    }
}

/// An actual as the snapshot explains it (`487宗 (2022-Q4)`) without the period it was
/// reported for.
fn without_period(text: &str) -> &str {
    text.strip_suffix(')')
        .and_then(|rest| rest.rsplit_once(" ("))
        .filter(|(_, period)| period.parse::<jixiao_domain::Period>().is_ok())
        .map_or(text, |(actual, _)| actual)
}

/// Reads the latest snapshot of the subject's period, its target set as written and last
/// year's executed budget, and writes the file.
///
/// # Errors
/// When the evaluator has no snapshot, or the file cannot be written.
pub async fn run(
    endpoint: &Endpoint,
    ingest: &IngestEndpoint,
    department: String,
    period: String,
    project: String,
    format: Format,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    if format == Format::Xlsx && period.parse::<i32>().is_err() {
        anyhow::bail!("{period}: a 自评表 is yearly; export a quarter's monitoring as docx or md");
    }
    let mut client = connect(endpoint).await?;
    let snapshot = latest(&mut client, &department, &period, &project)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{department} {project} has no snapshot for {period}: evaluate it first"
            )
        })?;
    let previous_executed = match period.parse::<i32>() {
        Ok(year) => latest(&mut client, &department, &(year - 1).to_string(), &project)
            .await
            .ok()
            .flatten()
            .and_then(|snapshot| snapshot.budget)
            .map(|budget| budget.executed)
            .filter(|executed| !executed.is_empty()),
        Err(_) => None,
    };
    let year: i32 = period
        .split('-')
        .next()
        .and_then(|year| year.parse().ok())
        .unwrap_or_default();
    let targets = match target_set(ingest, &department, &project, year).await {
        None => {
            eprintln!(
                "warning: the target set could not be read from {}; labels are written as read, not as the table wrote them",
                ingest.ingest_url
            );
            None
        }
        // The labels as written must be those of the revision the snapshot scored.
        Some(set) if set.revision != snapshot.targets_revision => {
            eprintln!(
                "warning: the targets changed since snapshot {} (revision {} then, {} now); labels are written as read: evaluate again for a table of the current targets",
                snapshot.snapshot_id, snapshot.targets_revision, set.revision
            );
            None
        }
        Some(set) => Some(set),
    };
    let filled = fill(snapshot, targets.as_ref(), previous_executed);
    let output = output.unwrap_or_else(|| {
        let subject = if project.is_empty() {
            &department
        } else {
            &project
        };
        PathBuf::from(format!(
            "{subject}-{period}.{}",
            match format {
                Format::Xlsx => "xlsx",
                Format::Docx => "docx",
                Format::Md => "md",
            }
        ))
    });
    match format {
        Format::Xlsx => write_xlsx(&filled, &output)?,
        Format::Docx => write_docx(&filled, &output)?,
        Format::Md => std::fs::write(&output, markdown(&filled))
            .map_err(|error| anyhow::anyhow!("{}: {error}", output.display()))?,
    }
    crate::say!("{}", output.display());
    Ok(())
}

async fn latest(
    client: &mut Client,
    department: &str,
    period: &str,
    project: &str,
) -> anyhow::Result<Option<pb::Snapshot>> {
    let score = match client
        .get_score(pb::GetScoreRequest {
            department_code: department.to_owned(),
            period: period.to_owned(),
            project_code: project.to_owned(),
        })
        .await
    {
        Ok(answer) => answer.into_inner(),
        Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
        Err(status) => anyhow::bail!("{:?}: {}", status.code(), status.message()),
    };
    let snapshot = client
        .get_snapshot(pb::GetSnapshotRequest {
            snapshot_id: score.snapshot_id,
        })
        .await
        .map_err(|status| anyhow::anyhow!("{:?}: {}", status.code(), status.message()))?
        .into_inner()
        .snapshot;
    Ok(snapshot)
}

/// The target set as written, when the ingestion service answers (the labels then come out as
/// the table wrote them; without it, as read).
async fn target_set(
    ingest: &IngestEndpoint,
    department: &str,
    project: &str,
    year: i32,
) -> Option<ingest_pb::TargetSet> {
    let mut client = connect_ingest(ingest).await.ok()?;
    client
        .get_targets(ingest_pb::GetTargetsRequest {
            department_code: department.to_owned(),
            year,
            project_code: project.to_owned(),
        })
        .await
        .ok()?
        .into_inner()
        .target_set
}

/// A decimal figure as a number cell when a float holds it exactly as written, else as text
/// (an amount must not change on its way through a spreadsheet).
fn write_figure(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    column: u16,
    text: &str,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let exact = text.parse::<f64>().ok().filter(|value| {
        text.parse::<Decimal>().ok() == Decimal::from_str_exact(&value.to_string()).ok()
    });
    match exact {
        Some(value) if !text.is_empty() => sheet.write_number(row, column, value).map(|_| ()),
        _ => sheet.write_string(row, column, text).map(|_| ()),
    }
}

/// The filled 自评表 in the layout `jixiao import` reads: title, names, the budget block, the
/// indicator rows and 总分.
///
/// # Errors
/// When the workbook cannot be written.
pub fn write_xlsx(filled: &Filled, path: &Path) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("自评表")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let snapshot = &filled.snapshot;
    sheet.write_string_with_format(0, 0, filled.title(), &bold)?;
    if filled.is_project() {
        sheet.write_string(1, 0, "项目名称")?;
        sheet.write_string(1, 1, &snapshot.project_name)?;
        sheet.write_string(1, 3, "实施单位")?;
        sheet.write_string(1, 4, &snapshot.department_name)?;
    } else {
        sheet.write_string(1, 0, "单位名称")?;
        sheet.write_string(1, 1, &snapshot.department_name)?;
    }
    for (column, label) in [
        "",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
        "报送执行率",
        "报送得分",
    ]
    .into_iter()
    .enumerate()
    {
        sheet.write_string_with_format(2, column as u16, label, &bold)?;
    }
    sheet.write_string(3, 0, "年度资金总额")?;
    if let Some(budget) = &snapshot.budget {
        for (column, text) in [
            (1, &budget.initial),
            (2, &budget.adjusted),
            (3, &budget.executed),
            (4, &budget.weight),
            (5, &budget.rate),
            (6, &budget.score),
            (7, &budget.reported_rate),
            (8, &budget.reported_score),
        ] {
            write_figure(sheet, 3, column, text)?;
        }
    }
    // The 年度总体目标 block, as the national form has it (read back by `jixiao import`).
    let overall = !snapshot.overall_target.is_empty() || !snapshot.overall_result.is_empty();
    if overall {
        sheet.write_string_with_format(5, 0, "年度总体目标", &bold)?;
        sheet.write_string_with_format(5, 1, "预期目标", &bold)?;
        sheet.write_string_with_format(5, 4, "实际完成情况", &bold)?;
        sheet.write_string(6, 1, &snapshot.overall_target)?;
        sheet.write_string(6, 4, &snapshot.overall_result)?;
    }
    let header = if overall { 8 } else { 5 };
    for (column, label) in [
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
        "报送得分",
        "指标编码",
        "评价提示",
    ]
    .into_iter()
    .enumerate()
    {
        sheet.write_string_with_format(header, column as u16, label, &bold)?;
    }
    let mut row = header + 1;
    // A computed row belongs to the framework, not to the table: it is in the report.
    for line in filled.lines.iter().filter(|line| !line.computed_row) {
        sheet.write_string(row, 0, &line.level1)?;
        sheet.write_string(row, 1, &line.level2)?;
        sheet.write_string(row, 2, &line.name)?;
        sheet.write_string(row, 3, &line.target)?;
        sheet.write_string(row, 4, &line.actual)?;
        write_figure(sheet, row, 5, &line.weight)?;
        write_figure(sheet, row, 6, &line.score)?;
        sheet.write_string(row, 7, &line.deviation)?;
        write_figure(sheet, row, 8, &line.reported)?;
        sheet.write_string(row, 9, &line.code)?;
        sheet.write_string(row, 10, &line.findings)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "总分", &bold)?;
    write_figure(sheet, row, 6, &snapshot.total)?;
    sheet.write_string(row, 7, format!("等级: {}", snapshot.grade))?;
    write_figure(sheet, row, 8, &snapshot.reported_total)?;
    sheet.set_column_width(2, 28)?;
    sheet.set_column_width(3, 18)?;
    sheet.set_column_width(4, 18)?;
    sheet.set_column_width(7, 40)?;
    sheet.set_column_width(10, 40)?;
    workbook
        .save(path)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    Ok(())
}

/// A flag as a sentence of the report (`docs/scoring.md`, "Flags"), about the row `name` where
/// the flag is about a row; the flag's own message for a code this version does not word.
fn finding(flag: &pb::Flag, name: &str) -> String {
    let figure = |key: &str| {
        flag.figures
            .iter()
            .find(|figure| figure.name == key)
            .map_or("", |figure| figure.value.as_str())
            .to_owned()
    };
    // A code this build does not know (a newer service) keeps the service's own words.
    flag.code.parse::<FlagCode>().map_or_else(
        |_| flag.message.clone(),
        |code| code.sentence_zh(name, &figure),
    )
}

/// The draft 自评报告's four parts, each a heading and its paragraphs.
pub fn report(filled: &Filled) -> Vec<(String, Vec<String>)> {
    let snapshot = &filled.snapshot;
    let name = filled.subject_name();
    let budget = snapshot.budget.clone().unwrap_or_default();
    let money = |text: &str| amount(text, "wan_yuan");
    let mut basics = vec![format!(
        "{name}（{}）{}年度绩效自评。",
        if filled.is_project() {
            format!("项目支出，{}", snapshot.department_name)
        } else {
            "部门整体".to_owned()
        },
        filled.year()
    )];
    basics.push(format!(
        "年初预算数 {}，全年预算数 {}，全年执行数 {}，预算执行率 {}%。",
        money(&budget.initial),
        money(&budget.adjusted),
        money(&budget.executed),
        if budget.rate.is_empty() {
            "-"
        } else {
            &budget.rate
        }
    ));
    for (label, text) in [
        ("年度总体目标", &snapshot.overall_target),
        ("实际完成情况", &snapshot.overall_result),
    ] {
        if !text.is_empty() {
            basics.push(format!("{label}：{text}"));
        }
    }
    if let Some(previous) = &filled.previous_executed
        && let (Ok(now), Ok(before)) = (
            budget.executed.parse::<Decimal>(),
            previous.parse::<Decimal>(),
        )
    {
        let change = now - before;
        let percent = if before.is_zero() {
            String::new()
        } else {
            format!(
                "（{:.2}%）",
                (change / before * Decimal::ONE_HUNDRED).round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero
                )
            )
        };
        basics.push(format!(
            "上年执行数 {}，较上年{} {}{percent}。",
            money(previous),
            if change.is_sign_negative() {
                "减少"
            } else {
                "增加"
            },
            money(&change.abs().to_string()),
        ));
    }
    let mut analysis = vec![format!(
        "自评得分 {}，等级 {}。预算执行 {} 分（分值 {}）。",
        snapshot.total,
        if snapshot.grade.is_empty() {
            "未评定"
        } else {
            &snapshot.grade
        },
        budget.score,
        budget.weight
    )];
    for line in &filled.lines {
        let adjusted = if line.computed.is_empty() {
            String::new()
        } else {
            format!("（按规则计算 {}，经复核调整）", line.computed)
        };
        analysis.push(format!(
            "{}：年度指标值 {}，实际完成值 {}，得分 {}（分值 {}）{adjusted}。",
            line.name,
            if line.target.is_empty() {
                "-"
            } else {
                &line.target
            },
            if line.actual.is_empty() {
                "未填报"
            } else {
                &line.actual
            },
            line.score,
            line.weight
        ));
    }
    let mut problems: Vec<String> = snapshot
        .deductions
        .iter()
        .map(|deduction| format!("{}（扣 {} 分）。", deduction.reason, deduction.amount))
        .collect();
    let names: HashMap<&str, &str> = snapshot
        .indicators
        .iter()
        .map(|row| (row.indicator_code.as_str(), row.name.as_str()))
        .collect();
    problems.extend(snapshot.flags.iter().map(|flag| {
        let name = names
            .get(flag.subject.as_str())
            .copied()
            .unwrap_or(&flag.subject);
        format!("{}。", finding(flag, name))
    }));
    problems.extend(
        snapshot
            .indicators
            .iter()
            .filter(|row| row.awaiting_review)
            .map(|row| {
                format!(
                    "“{}”无法按规则判断（{}），未报送得分，待复核评分。",
                    row.name, row.review_reason
                )
            }),
    );
    problems.extend(
        filled
            .lines
            .iter()
            .filter(|line| !line.deviation.is_empty())
            .map(|line| format!("{}：{}", line.name, line.deviation)),
    );
    if problems.is_empty() {
        problems.push("本期未发现扣分事项或数据异常。".to_owned());
    }
    let mut steps = vec!["（由单位填写：针对以下问题提出改进措施、责任人和完成时限。）".to_owned()];
    steps.extend(
        snapshot
            .deductions
            .iter()
            .map(|deduction| format!("针对“{}”：", deduction.reason)),
    );
    vec![
        ("一、基本情况".to_owned(), basics),
        ("二、综合评价分析".to_owned(), analysis),
        ("三、存在的主要问题".to_owned(), problems),
        ("四、下一步改进措施".to_owned(), steps),
    ]
}

/// The draft 自评报告 as a Word document: a title and the four parts.
///
/// # Errors
/// When the document cannot be written.
pub fn write_docx(filled: &Filled, path: &Path) -> anyhow::Result<()> {
    use docx_rs::{Docx, Paragraph, Run};
    let title = format!("{}{}年度绩效自评报告", filled.subject_name(), filled.year());
    let mut document = Docx::new()
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(title).bold().size(32)));
    for (heading, paragraphs) in report(filled) {
        document = document
            .add_paragraph(Paragraph::new().add_run(Run::new().add_text(heading).bold().size(28)));
        for text in paragraphs {
            document = document.add_paragraph(Paragraph::new().add_run(Run::new().add_text(text)));
        }
    }
    let file = std::fs::File::create(path)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    document
        .build()
        .pack(file)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    Ok(())
}

/// The filled table and the draft report as Markdown.
pub fn markdown(filled: &Filled) -> String {
    use std::fmt::Write;
    let snapshot = &filled.snapshot;
    let mut out = format!("# {}\n\n", filled.title());
    let _ = writeln!(
        out,
        "{}：{}\n",
        if filled.is_project() {
            "项目名称"
        } else {
            "单位名称"
        },
        filled.subject_name()
    );
    if let Some(budget) = &snapshot.budget {
        out.push_str("| 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分 |\n|---|---|---|---|---|---|\n");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {}% | {} |\n",
            budget.initial,
            budget.adjusted,
            budget.executed,
            budget.weight,
            budget.rate,
            budget.score
        );
    }
    for (label, text) in [
        ("年度总体目标 · 预期目标", &snapshot.overall_target),
        ("年度总体目标 · 实际完成情况", &snapshot.overall_result),
    ] {
        if !text.is_empty() {
            let _ = writeln!(
                out,
                "{label}：{text}
"
            );
        }
    }
    out.push_str("| 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施 | 评价提示 |\n|---|---|---|---|---|---|---|---|---|\n");
    for line in &filled.lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            line.level1,
            line.level2,
            line.name,
            line.target,
            line.actual,
            line.weight,
            line.score,
            line.deviation.replace('|', "/"),
            line.findings.replace('|', "/")
        );
    }
    let _ = writeln!(out, "\n总分 {}，等级 {}\n", snapshot.total, snapshot.grade);
    let _ = writeln!(
        out,
        "# {}{}年度绩效自评报告\n",
        filled.subject_name(),
        filled.year()
    );
    for (heading, paragraphs) in report(filled) {
        let _ = writeln!(out, "## {heading}\n");
        for text in paragraphs {
            let _ = writeln!(out, "{text}\n");
        }
    }
    out
}
