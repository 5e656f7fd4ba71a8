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
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_server::auth::BearerToken;
use sha2::{Digest, Sha256};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::grid::{Grid, read_grids};
use crate::table::{Budget, Cell, CellRef, Kind, Row, Table, fold, is_label, labels};

/// A cell read otherwise than its column asks (a 分值 that is not a number, a header without
/// 分值), and what was done with it. A note never stops an import: a table's words are never
/// bad input (TABLES.md §0); the row is stored as written and the note printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Where.
    pub at: CellRef,
    /// What the cell is (分值, 实际完成值 …).
    pub label: String,
    /// Its text.
    pub text: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} {:?} {}",
            self.at, self.label, self.text, self.reason
        )
    }
}

/// The columns of an indicator header.
#[derive(Debug, Clone, Copy)]
struct Columns {
    /// 一级指标; `None` for a flat table (TABLES.md §7).
    level1: Option<usize>,
    level2: Option<usize>,
    name: usize,
    target: usize,
    actual: usize,
    weight: Option<usize>,
    score: Option<usize>,
    deviation: Option<usize>,
    reported: Option<usize>,
    code: Option<usize>,
    /// 指标性质 (≥, ≤, =, 定性) in a column of its own (the Yunnan form).
    nature: Option<usize>,
    /// 度量单位 in a column of its own (the Yunnan form).
    measure_unit: Option<usize>,
    /// 全年预计完成值 (a monitoring table's projection for the year).
    projected: Option<usize>,
    /// 完成目标可能性 (a monitoring table's word on reaching the target).
    likelihood: Option<usize>,
}

/// The column of the first of `wanted` that the row holds: labels are tried in the order
/// given, so that `三级指标` wins over the `绩效指标` block label merged down the left of the
/// national form (TABLES.md §7).
fn find_column(grid: &Grid, row: usize, wanted: &[&str]) -> Option<usize> {
    wanted.iter().find_map(|label| {
        (0..grid.width(row)).find(|&column| is_label(grid.text(row, column), &[label]))
    })
}

/// The first column of the row whose label `matches` (a header found by meaning, not by a
/// list of spellings: 年度指标值, 年初指标值, 预期指标值 … all name the target).
fn find_column_by(grid: &Grid, row: usize, matches: fn(&str) -> bool) -> Option<usize> {
    (0..grid.width(row)).find(|&column| matches(&fold(grid.text(row, column))))
}

/// Whether a header names the target column: a 指标值 or 目标值 that is not a completion, a
/// projection or a score (年度指标值, 年初指标值, 预期指标值, 目标值, 指标值).
fn is_target_header(label: &str) -> bool {
    (label.contains("指标值") || label.contains("目标值"))
        && !label.contains("完成")
        && !label.contains("预计")
        && !label.contains("实际")
}

/// Whether a header names the actual column: a completion or an actual that is not a
/// projection (实际完成值, 全年完成值, 实际完成指标值, 年终完成值, 1-6月完成值, 实际值).
fn is_actual_header(label: &str) -> bool {
    (label.contains("完成值")
        || label.contains("实际值")
        || label.contains("实际完成")
        || label.contains("完成情况")
        || label.contains("完成指标值"))
        && !label.contains("预计")
        && !label.contains("目标")
        && !label.contains("可能性")
}

/// The indicator header of `row`, when it is one: 一级指标, a name and a target and an actual
/// column. A header without 分值 is still a header: the missing column is reported.
fn header(grid: &Grid, row: usize) -> Option<Columns> {
    let name = find_column(grid, row, labels::NAME)?;
    let target = find_column(grid, row, labels::TARGET)
        .or_else(|| find_column_by(grid, row, is_target_header))?;
    let actual = find_column(grid, row, labels::ACTUAL)
        .filter(|column| *column != target)
        .or_else(|| find_column_by(grid, row, is_actual_header))?;
    Some(Columns {
        level1: find_column(grid, row, labels::LEVEL1).filter(|column| *column != name),
        level2: find_column(grid, row, labels::LEVEL2),
        name,
        target,
        actual,
        nature: find_column(grid, row, labels::NATURE),
        measure_unit: find_column(grid, row, labels::MEASURE_UNIT),
        weight: find_column(grid, row, labels::WEIGHT),
        score: find_column(grid, row, labels::SCORE),
        deviation: (0..grid.width(row)).find(|&column| {
            crate::table::starts_with_label(grid.text(row, column), labels::DEVIATION)
        }),
        reported: find_column(grid, row, labels::REPORTED_SCORE),
        code: find_column(grid, row, labels::CODE),
        projected: find_column_by(grid, row, |label| label.contains("预计")),
        likelihood: find_column_by(grid, row, |label| label.contains("可能")),
    })
}

/// The months a monitoring table's figures cover from January: the `N` of a range `1-N月`
/// (`1—6月`, `1至9月`, `1～6月`) in `text`, when it holds one and N is a month.
fn months_covered(text: &str) -> Option<u32> {
    let text = jixiao_domain::written::normalize(text);
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len()).find_map(|start| {
        if chars[start] != '1'
            || chars
                .get(start.wrapping_sub(1))
                .is_some_and(char::is_ascii_digit)
        {
            return None;
        }
        let separator = *chars.get(start + 1)?;
        if !matches!(separator, '-' | '—' | '–' | '~' | '～' | '至' | '到') {
            return None;
        }
        let digits: String = chars[start + 2..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let end = start + 2 + digits.len();
        (chars.get(end) == Some(&'月'))
            .then(|| digits.parse::<u32>().ok())
            .flatten()
            .filter(|months| (2..=12).contains(months))
    })
}

/// The text right of a label on the same row (项目名称 | 某项目), up to the next label: a blank
/// cell never names anything after its label (主管部门 | (blank) | 实施单位 | 某单位).
fn value_right_of(grid: &Grid, row: usize, column: usize) -> String {
    let label = grid.text(row, column);
    (column + 1..grid.width(row))
        .map(|next| grid.text(row, next))
        // A merged label reads the same in every cell it covers.
        .filter(|text| *text != label)
        .take_while(|text| !is_heading_label(text))
        .find(|text| !text.is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// Whether a cell is one of the heading's labels (项目名称, 主管部门, 实施单位 …).
fn is_heading_label(text: &str) -> bool {
    [labels::PROJECT, labels::UNIT, labels::SUPERVISOR]
        .iter()
        .any(|wanted| is_label(text, wanted))
}

/// The year of a title (`2022年度项目支出绩效自评表`).
fn year_of(text: &str) -> Option<i32> {
    let text = jixiao_domain::written::normalize(text);
    let position = text.find('年')?;
    let digits: String = text[..position]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let year: i32 = digits.get(digits.len().saturating_sub(4)..)?.parse().ok()?;
    (2000..=2100).contains(&year).then_some(year)
}

/// Finds the tables of a sheet: each indicator header starts one, with what was read above it
/// since the previous table (title, names, budget block) as its heading.
pub fn find_tables(grid: &Grid) -> Vec<(Table, Vec<Note>)> {
    let mut tables = Vec::new();
    let mut heading = Heading::default();
    let mut row = 0;
    while row < grid.rows.len() {
        // A header over two rows (绩效指标 over 一级指标 | 二级指标 | 三级指标): the lower one.
        if let Some(columns) = header(grid, row).filter(|_| header(grid, row + 1).is_none()) {
            let (table, problems, next) =
                read_table(grid, row, columns, std::mem::take(&mut heading));
            tables.push((table, problems));
            row = next;
            continue;
        }
        heading.read(grid, row);
        row += 1;
    }
    // A form without indicator rows (a transfer payment's 区域绩效自评表, a summary form): a
    // subject scored on its budget alone (TABLES.md §7).
    if !heading.budget.is_empty() {
        tables.push((heading.into_table(grid), Vec::new()));
    }
    tables
}

/// What a table's heading says, read row by row above its indicator header.
#[derive(Debug, Default)]
struct Heading {
    title: String,
    /// The first year a heading row names (`2022年度`).
    year: Option<i32>,
    /// Whether the budget line read is the one labelled as the total (年度资金总额).
    budget_total_labelled: bool,
    project_name: String,
    unit_name: String,
    /// 主管部门: names the subject when no 实施单位 does.
    supervisor: String,
    /// The money block's unit: 万元 unless its label says 元.
    money_unit: &'static str,
    budget: Budget,
    /// Columns of the budget block's header, once seen.
    budget_columns: Option<BudgetColumns>,
    /// 年度总体目标 · 预期目标 and 实际完成情况 as written.
    overall_target: String,
    overall_result: String,
    /// The columns of 预期目标 and 实际完成情况 once their labels are seen: the next row holds
    /// the texts.
    overall_columns: Option<(Option<usize>, Option<usize>)>,
}

#[derive(Debug, Clone, Copy)]
struct BudgetColumns {
    initial: Option<usize>,
    adjusted: Option<usize>,
    executed: Option<usize>,
    rate: Option<usize>,
    score: Option<usize>,
}

impl Heading {
    /// A table of this heading: its names and budget block, no indicator rows yet (a
    /// budget-only form keeps none).
    fn into_table(self, grid: &Grid) -> Table {
        Table {
            has_weights: false,
            kind: if self.project_name.is_empty() {
                Kind::Department
            } else {
                Kind::Project
            },
            sheet: grid.sheet.clone(),
            year: year_of(&self.title).or(self.year),
            months: months_covered(&self.title),
            title: self.title,
            project_name: self.project_name,
            unit_name: if self.unit_name.is_empty() {
                self.supervisor
            } else {
                self.unit_name
            },
            money_unit: self.money_unit,
            budget: self.budget,
            rows: Vec::new(),
            total: None,
            overall_target: self.overall_target,
            overall_result: self.overall_result,
        }
    }

    /// Reads the 年度总体目标 block: a row labelling 预期目标 and 实际完成情况 over the row of
    /// their texts, or one text right of 年度总体目标. Whether the row was part of it.
    fn read_overall(&mut self, grid: &Grid, row: usize, filled: &[usize]) -> bool {
        if let Some((target, result)) = self.overall_columns.take() {
            let text_at = |column: Option<usize>| {
                column
                    .map(|column| grid.text(row, column).to_owned())
                    .filter(|text| !is_label(text, labels::OVERALL))
                    .unwrap_or_default()
            };
            self.overall_target = text_at(target);
            self.overall_result = text_at(result);
            return true;
        }
        let target = find_column(grid, row, labels::OVERALL_TARGET);
        let result = find_column(grid, row, labels::OVERALL_RESULT);
        if target.is_some() || result.is_some() {
            self.overall_columns = Some((target, result));
            return true;
        }
        if let Some(&column) = filled
            .iter()
            .find(|&&column| is_label(grid.text(row, column), labels::OVERALL))
        {
            self.overall_target = value_right_of(grid, row, column);
            return true;
        }
        false
    }

    fn read(&mut self, grid: &Grid, row: usize) {
        let width = grid.width(row);
        let filled: Vec<usize> = (0..width)
            .filter(|&column| !grid.text(row, column).is_empty())
            .collect();
        if filled.is_empty() {
            return;
        }
        for &column in &filled {
            let written = jixiao_domain::written::normalize(grid.text(row, column));
            // The money block's unit is its label's: 项目资金（元） is in 元 (TABLES.md §7).
            if written.contains("(元)") {
                self.money_unit = "元";
            } else if written.contains("(万元)") {
                self.money_unit = "万元";
            }
        }
        if self.read_overall(grid, row, &filled) {
            return;
        }
        // A title merged across the sheet reads the same in every cell it covers.
        let lone = filled
            .iter()
            .all(|&column| grid.text(row, column) == grid.text(row, filled[0]));
        if lone && self.budget_columns.is_none() {
            let text = grid.text(row, filled[0]);
            // The title: the row that says 自评表, else the first lone text (附件2 gives way).
            if self.title.is_empty() || (text.contains("自评表") && !self.title.contains("自评表"))
            {
                self.title = text.to_owned();
            }
            if self.year.is_none() {
                self.year = year_of(text);
            }
            return;
        }
        for &column in &filled {
            if self.year.is_none() {
                self.year = year_of(grid.text(row, column));
            }
        }
        for &column in &filled {
            let text = grid.text(row, column);
            if is_label(text, labels::PROJECT) {
                self.project_name = value_right_of(grid, row, column);
            } else if is_label(text, labels::SUPERVISOR) && self.supervisor.is_empty() {
                self.supervisor = value_right_of(grid, row, column);
            } else if is_label(text, labels::UNIT) && self.unit_name.is_empty() {
                self.unit_name = value_right_of(grid, row, column);
            }
        }
        let budget_header = BudgetColumns {
            initial: find_column(grid, row, labels::INITIAL),
            adjusted: find_column(grid, row, labels::ADJUSTED),
            executed: find_column(grid, row, labels::EXECUTED),
            // A table jixiao filled keeps the printed figures under 报送执行率 and 报送得分.
            rate: find_column(grid, row, labels::REPORTED_RATE)
                .or_else(|| find_column(grid, row, labels::RATE)),
            score: find_column(grid, row, labels::REPORTED_SCORE)
                .or_else(|| find_column(grid, row, labels::SCORE)),
        };
        if budget_header.adjusted.is_some() && budget_header.executed.is_some() {
            self.budget_columns = Some(budget_header);
            return;
        }
        // The total line: the one labelled so (年度资金总额), else the first under the header.
        let labelled = is_label(grid.text(row, filled[0]), labels::BUDGET_TOTAL);
        if let Some(columns) = self.budget_columns
            && (self.budget.is_empty() || (labelled && !self.budget_total_labelled))
        {
            self.budget_total_labelled = labelled;
            let take = |column: Option<usize>| {
                column
                    .map(|column| grid.cell(row, column))
                    .filter(|cell| !cell.text.is_empty())
            };
            self.budget = Budget {
                initial: take(columns.initial),
                adjusted: take(columns.adjusted),
                executed: take(columns.executed),
                rate: take(columns.rate),
                score: take(columns.score),
            };
        }
    }
}

/// Reads the rows under an indicator header until a 总分 row, two blank rows, the next
/// header or the sheet's end; returns the table, its unreadable cells and the row after it.
fn read_table(
    grid: &Grid,
    header_row: usize,
    columns: Columns,
    heading: Heading,
) -> (Table, Vec<Note>, usize) {
    let mut problems = Vec::new();
    if columns.weight.is_none() {
        problems.push(Note {
            at: grid.cell(header_row, columns.name).at,
            label: "三级指标".to_owned(),
            text: grid.text(header_row, columns.name).to_owned(),
            reason: "starts an indicator header without a 分值 column: the rows are stored without weights, judged, and the subject is not graded (weights_incomplete)"
                .to_owned(),
        });
    }
    let name_label = grid.text(header_row, columns.name).to_owned();
    let mut rows = Vec::new();
    let mut total = None;
    let (mut level1, mut level2) = (None::<Cell>, None::<Cell>);
    let mut blank = 0;
    let mut row = header_row + 1;
    while row < grid.rows.len() {
        if header(grid, row).is_some() {
            break;
        }
        let first = (0..grid.width(row))
            .map(|column| grid.text(row, column))
            .find(|text| !text.is_empty());
        let Some(first) = first else {
            blank += 1;
            row += 1;
            if blank >= 2 {
                break;
            }
            continue;
        };
        blank = 0;
        if is_label(first, labels::TOTAL) {
            // A table jixiao filled keeps the printed 总分 under 报送得分.
            let score_column = columns
                .reported
                .or(columns.score)
                .or(columns.weight)
                .unwrap_or(columns.actual);
            let cell = grid.cell(row, score_column);
            total = (!cell.text.is_empty()).then_some(cell);
            row += 1;
            break;
        }
        let filled_cells = (0..grid.width(row))
            .filter(|&column| !grid.text(row, column).is_empty())
            .count();
        if is_label(first, labels::PROJECT) || (filled_cells == 1 && first.contains("自评表")) {
            break;
        }
        let mut name = grid.cell(row, columns.name);
        let name_at = name.at.clone();
        // The second row of a header over two rows (预期指标值 over 年初 | 调整后).
        if name.text == name_label {
            row += 1;
            continue;
        }
        if let Some(column) = columns.level1 {
            let cell_l1 = grid.cell(row, column);
            if !cell_l1.text.is_empty() {
                level1 = Some(cell_l1);
                level2 = None;
            }
        }
        if let Some(column) = columns.level2 {
            let cell = grid.cell(row, column);
            if !cell.text.is_empty() {
                level2 = Some(cell);
            }
        }
        if name.text.is_empty() {
            let filled = [
                Some(columns.target),
                Some(columns.actual),
                columns.weight,
                columns.score,
            ]
            .into_iter()
            .flatten()
            .map(|column| grid.cell(row, column))
            .find(|cell| !cell.text.is_empty());
            let Some(cell) = filled else {
                row += 1;
                continue;
            };
            // Stored all the same (TABLES.md §0), named after where it is.
            name.text = format!("第{}行", name.at.row + 1);
            problems.push(Note {
                at: name.at.clone(),
                label: "三级指标".to_owned(),
                text: String::new(),
                reason: format!(
                    "is empty, but the row has figures ({} {:?}): stored as {:?}",
                    cell.at, cell.text, name.text
                ),
            });
        }
        let level1 = level1.clone().unwrap_or_else(|| Cell {
            text: String::new(),
            at: name.at.clone(),
        });
        let level2 = level2.clone().unwrap_or_else(|| {
            columns.level2.map_or_else(
                || grid.cell(row, columns.name),
                |column| grid.cell(row, column),
            )
        });
        let optional = |column: Option<usize>| {
            column
                .map(|column| grid.cell(row, column))
                .filter(|cell| !cell.text.is_empty())
        };
        rows.push(Row {
            level1,
            level2,
            name,
            target: target_cell(grid, row, &columns),
            actual: grid.cell(row, columns.actual),
            weight: columns.weight.map_or_else(
                || Cell {
                    text: String::new(),
                    at: name_at.clone(),
                },
                |column| grid.cell(row, column),
            ),
            // A table jixiao filled keeps the printed 得分 under 报送得分.
            score: match columns.reported {
                Some(column) => optional(Some(column)),
                None => optional(columns.score),
            },
            deviation: optional(columns.deviation),
            code: optional(columns.code),
            projected: optional(columns.projected),
            likelihood: optional(columns.likelihood),
        });
        row += 1;
    }
    let heading = heading.into_table(grid);
    let months = months_covered(grid.text(header_row, columns.actual)).or(heading.months);
    if let Some(months) = months.filter(|months| months % 3 != 0) {
        problems.push(Note {
            at: grid.cell(header_row, columns.actual).at,
            label: "实际完成值".to_owned(),
            text: grid.text(header_row, columns.actual).to_owned(),
            reason: format!(
                "covers 1-{months}月, which ends no quarter: the figures are stored as of the quarter before ({}), the last an actual can be as of",
                if months < 3 {
                    "none: the year".to_owned()
                } else {
                    format!("Q{}", months / 3)
                }
            ),
        });
    }
    let table = Table {
        has_weights: columns.weight.is_some(),
        rows,
        total,
        months,
        ..heading
    };
    (table, problems, row)
}

/// The target of a row: its 年度指标值, or, in the Yunnan form, 指标性质 | 指标值 | 度量单位
/// read together as one target (`≥` `95` `%` is `≥95%`; 定性 leaves the value's words).
fn target_cell(grid: &Grid, row: usize, columns: &Columns) -> Cell {
    let mut cell = grid.cell(row, columns.target);
    if cell.text.is_empty() {
        return cell;
    }
    let nature = columns
        .nature
        .map(|column| grid.text(row, column).to_owned())
        .unwrap_or_default();
    let unit = columns
        .measure_unit
        .map(|column| grid.text(row, column).to_owned())
        .unwrap_or_default();
    let qualitative = nature.contains("定性");
    if !qualitative && !nature.is_empty() && !cell.text.starts_with(nature.as_str()) {
        cell.text = format!("{nature}{}", cell.text);
    }
    if !qualitative && !unit.is_empty() && !cell.text.ends_with(unit.as_str()) {
        cell.text.push_str(&unit);
    }
    cell
}

/// How the 一级指标 of rows are checked before anything is pushed.
#[derive(Debug)]
pub enum Groups {
    /// The common vocabulary (a table naming no framework).
    Common,
    /// A shipped framework's groups and aliases.
    Framework(jixiao_domain::WeightPlan),
    /// A framework this command does not know (a bureau's own, loaded by the services): the
    /// ingestion service checks the labels.
    Service,
}

/// The tables of a sheet read for `framework`: each with its unreadable cells and the rows left
/// out because the framework computes them (a Hunan 部门整体 table prints 预算调整率 among its
/// rows; hunan-department-2020 computes it from the budget figures).
pub fn tables_of(grid: &Grid, framework: &str) -> Vec<(Table, Vec<Note>, Vec<String>)> {
    let shipped = jixiao_scoring::Frameworks::shipped();
    let named = shipped.get(framework).map(|loaded| &loaded.framework);
    let groups = match named {
        Some(framework) => Groups::Framework(framework.weight_plan()),
        None if framework.is_empty() => Groups::Common,
        None => Groups::Service,
    };
    find_tables(grid)
        .into_iter()
        .map(|(mut table, mut problems)| {
            let mut skipped = Vec::new();
            if let Some(framework) = named {
                table.rows.retain(|row| {
                    let computed = framework
                        .computed
                        .iter()
                        .any(|computed| fold(&computed.name) == fold(&row.name.text));
                    if computed {
                        skipped.push(row.name.text.clone());
                    }
                    !computed
                });
            }
            problems.extend(check(&table, &groups));
            (table, problems, skipped)
        })
        .collect()
}

/// A figure cell: a plain decimal, with a trailing unit the column already says (万元, 分, %)
/// dropped. Thousands separators are refused: `12,5` could be either.
fn figure(cell: &Cell, label: &str, units: &[&str]) -> Result<String, Note> {
    let mut text = jixiao_domain::written::normalize(&cell.text);
    for unit in units {
        if let Some(stripped) = text.strip_suffix(unit) {
            text = stripped.to_owned();
            break;
        }
    }
    // Thousands separators in their three-digit groups (1,560.00); `12,5` stays refused.
    let integer = text.split('.').next().unwrap_or_default();
    let groups: Vec<&str> = integer.split(',').collect();
    if groups.len() > 1
        && (1..=3).contains(&groups[0].trim_start_matches('-').len())
        && groups[1..].iter().all(|group| group.len() == 3)
        && groups.iter().all(|group| {
            group
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit())
        })
    {
        text = text.replacen(',', "", groups.len() - 1);
    }
    jixiao_domain::parse_plain_decimal(&text)
        // Kept at the precision written: a printed 31.00% is compared at two decimals.
        .map(|value| value.to_string())
        .map_err(|error| Note {
            at: cell.at.clone(),
            label: label.to_owned(),
            text: cell.text.clone(),
            reason: format!("is not a number ({error}): stored without it"),
        })
}

/// A figure of a table's heading: its cell, its label, the metric it is pushed as, the unit
/// it is pushed in, and the units a cell may end with.
struct FigureCell<'a> {
    cell: Option<&'a Cell>,
    label: &'static str,
    metric: &'static str,
    unit: &'static str,
    units: &'static [&'static str],
}

/// The budget block's figures and 总分, the one list both the check and the push go by.
fn figure_cells(table: &Table) -> [FigureCell<'_>; 6] {
    let budget = &table.budget;
    let money: &'static str = if table.money_unit.is_empty() {
        "万元"
    } else {
        table.money_unit
    };
    let money_units: &'static [&'static str] = if money == "元" {
        &["元"]
    } else {
        &["万元"]
    };
    [
        FigureCell {
            cell: budget.initial.as_ref(),
            label: "年初预算数",
            metric: "budget.initial",
            unit: money,
            units: money_units,
        },
        FigureCell {
            cell: budget.adjusted.as_ref(),
            label: "全年预算数",
            metric: "budget.adjusted",
            unit: money,
            units: money_units,
        },
        FigureCell {
            cell: budget.executed.as_ref(),
            label: "全年执行数",
            metric: "budget.executed",
            unit: money,
            units: money_units,
        },
        FigureCell {
            cell: budget.rate.as_ref(),
            label: "执行率",
            metric: "budget.execution_rate_reported",
            unit: "%",
            units: &["%"],
        },
        FigureCell {
            cell: budget.score.as_ref(),
            label: "得分",
            metric: "evaluation.budget_score_reported",
            unit: "%",
            units: &["分"],
        },
        FigureCell {
            cell: table.total.as_ref(),
            label: "总分",
            metric: "evaluation.total_reported",
            unit: "%",
            units: &["分"],
        },
    ]
}

/// What a table's cells say beyond what is stored as written: figures that are not numbers
/// (stored without them, said), groups the framework does not have, targets and actuals the
/// rules cannot judge (for a reviewer, with the reason). None of them stops the import
/// (TABLES.md §0).
pub fn check(table: &Table, groups: &Groups) -> Vec<Note> {
    let mut notes = Vec::new();
    for figure_cell in figure_cells(table) {
        if let Some(cell) = figure_cell.cell {
            notes.extend(figure(cell, figure_cell.label, figure_cell.units).err());
        }
    }
    let note = |cell: &Cell, label: &str, reason: String| Note {
        at: cell.at.clone(),
        label: label.to_owned(),
        text: cell.text.clone(),
        reason,
    };
    for row in &table.rows {
        if !row.weight.text.is_empty() {
            notes.extend(figure(&row.weight, "分值", &["分"]).err());
        }
        if let Some(score) = &row.score {
            notes.extend(figure(score, "得分", &["分"]).err());
        }
        let group = match groups {
            Groups::Common => jixiao_domain::written::read_level1(&row.level1.text).map(|_| ()),
            Groups::Framework(plan) => plan.read_level1(&row.level1.text).and_then(|level| {
                plan.weight(level)
                    .map(|_| ())
                    .ok_or_else(|| format!("{} has no group {}", plan.framework, level.name_zh()))
            }),
            Groups::Service => Ok(()),
        };
        if let Err(reason) = group
            && !row.level1.text.is_empty()
        {
            notes.push(note(
                &row.level1,
                "一级指标",
                format!("is kept as written and scored by the framework's default row rules (group_not_in_framework): {reason}"),
            ));
        }
        let level2 = jixiao_domain::written::read_level2(&row.level2.text);
        if !row.target.text.is_empty()
            && let jixiao_domain::written::TargetReading::NotJudged { reason } =
                jixiao_domain::written::read_target(&row.target.text, None, &level2)
        {
            notes.push(note(
                &row.target,
                "年度指标值",
                format!("is stored for a reviewer: {reason}"),
            ));
        }
        if !row.actual.text.is_empty()
            && let jixiao_domain::written::ActualReading::NotRead { reason } =
                jixiao_domain::written::read_actual(&row.actual.text, &row.target.text)
        {
            notes.push(note(
                &row.actual,
                "实际完成值",
                format!("is stored for a reviewer: {reason}"),
            ));
        }
    }
    notes
}

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

/// Where the ingestion service is.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestEndpoint {
    /// The ingestion service.
    #[arg(
        long = "ingest",
        env = "JIXIAO_INGEST_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub ingest_url: String,
    /// A bearer token with the scopes push and admin, when the service requires one.
    #[arg(
        long = "ingest-token",
        env = "JIXIAO_INGEST_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub ingest_token: String,
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
                println!(
                    "{}: row {name} left out: {} computes it from the figures",
                    table.sheet, options.framework
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
        println!("note {problem}");
    }
    let channel = Channel::from_shared(endpoint.ingest_url.clone())
        .map_err(|error| anyhow::anyhow!("--ingest {:?}: {error}", endpoint.ingest_url))?
        .connect()
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot reach the ingestion service at {} (a dry run asks it too: it runs every check of the import): {error}",
                endpoint.ingest_url
            )
        })?;
    let mut client: IngestServiceClient<InterceptedService<Channel, BearerToken>> =
        IngestServiceClient::with_interceptor(channel, BearerToken::new(&endpoint.ingest_token)?);
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
        println!("dry run: the service checked every table and stored nothing");
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
async fn push(
    client: &mut IngestServiceClient<InterceptedService<Channel, BearerToken>>,
    mut plan: Plan,
    run: &str,
) -> anyhow::Result<String> {
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
    println!(
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
        println!(
            "  {} [{}/{}] {}: {} → {} ({} points{})",
            target.indicator_code,
            fold(&target.level1),
            target.level2,
            target.name,
            target.target_text,
            row.actual.text,
            target.weight,
            if target.reported_score.is_empty() {
                String::new()
            } else {
                format!(", printed {}", target.reported_score)
            }
        );
    }
    for point in &plan.points {
        println!("  {} = {} {}", point.metric_code, point.value, point.unit);
    }
    for (label, text) in [
        ("年度总体目标 · 预期目标", &plan.overall_target),
        ("年度总体目标 · 实际完成情况", &plan.overall_result),
    ] {
        if !text.is_empty() {
            println!("  {label}: {text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
