//! From grids to tables: the 自评表 of a sheet found by the labels of its layout (TABLES.md
//! §7) — the indicator header by meaning, the heading above it (title, names, the budget block,
//! 年度总体目标), the rows under it with merged labels carried down — and every cell read
//! otherwise than as written noted. Nothing here refuses a table for its words (TABLES.md §0).

use crate::grid::Grid;
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
pub(crate) struct Columns {
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
pub(crate) fn find_column(grid: &Grid, row: usize, wanted: &[&str]) -> Option<usize> {
    wanted.iter().find_map(|label| {
        (0..grid.width(row)).find(|&column| is_label(grid.text(row, column), &[label]))
    })
}

/// The first column of the row whose label `matches` (a header found by meaning, not by a
/// list of spellings: 年度指标值, 年初指标值, 预期指标值 … all name the target).
pub(crate) fn find_column_by(grid: &Grid, row: usize, matches: fn(&str) -> bool) -> Option<usize> {
    (0..grid.width(row)).find(|&column| matches(&fold(grid.text(row, column))))
}

/// Whether a header names the target column: a 指标值 or 目标值 that is not a completion, a
/// projection or a score (年度指标值, 年初指标值, 预期指标值, 目标值, 指标值).
pub(crate) fn is_target_header(label: &str) -> bool {
    (label.contains("指标值") || label.contains("目标值"))
        && !label.contains("完成")
        && !label.contains("预计")
        && !label.contains("实际")
}

/// Whether a header names the actual column: a completion or an actual that is not a
/// projection (实际完成值, 全年完成值, 实际完成指标值, 年终完成值, 1-6月完成值, 实际值).
pub(crate) fn is_actual_header(label: &str) -> bool {
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
pub(crate) fn header(grid: &Grid, row: usize) -> Option<Columns> {
    let name = find_column(grid, row, labels::NAME)
        .or_else(|| find_column_by(grid, row, is_name_header))?;
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

/// The columns of a header over two rows (预期指标值 over 年初 | 调整后; 年度指标值 over 符号 | 值 |
/// 单位), when the row under the header is its second row: no name, no figure, only labels
/// under the first row's columns. The parts are mapped by meaning: an adjusted target (调整)
/// is the target, a sign (符号, 性质) the comparator, a unit (单位) the unit, a value (值) the
/// target's number; other parts (年初 beside 调整后) are kept as written in the grid only.
pub(crate) fn second_header_row(
    grid: &Grid,
    header_row: usize,
    columns: &Columns,
) -> Option<Columns> {
    let row = header_row + 1;
    let name = grid.text(row, columns.name);
    if !name.is_empty() && name != grid.text(header_row, columns.name) {
        return None;
    }
    let parts: Vec<(usize, String)> = (0..grid.width(row))
        .map(|column| (column, grid.text(row, column)))
        .filter(|(column, text)| !text.is_empty() && *text != grid.text(header_row, *column))
        .map(|(column, text)| (column, fold(text)))
        .collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|(_, text)| text.chars().any(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let mut refined = *columns;
    for (column, text) in &parts {
        if text.contains("调整") {
            refined.target = *column;
        } else if text.contains("符号") || text.contains("性质") {
            refined.nature = Some(*column);
        } else if text.contains("单位") {
            refined.measure_unit = Some(*column);
        } else if text == "值" || text == "指标值" || text == "数值" {
            refined.target = *column;
        }
    }
    Some(refined)
}

/// Whether a header names the indicator's name column by meaning: an 指标 that is named
/// (绩效指标名称, 指标名称, 三级指标名称) and is no group, value or score.
pub(crate) fn is_name_header(label: &str) -> bool {
    label.contains("指标")
        && (label.contains("名称") || label.contains("三级"))
        && !label.contains("值")
        && !label.contains("一级")
        && !label.contains("二级")
}

/// A label and its value in one cell (`实施单位：某委员会`), split at its colon when the part
/// before it is a label of `wanted`.
pub(crate) fn label_with_value(text: &str, wanted: &[&str]) -> Option<String> {
    let normalized = jixiao_domain::written::normalize(text);
    let (label, value) = normalized.split_once(':')?;
    (is_label(label, wanted) && !value.trim().is_empty()).then(|| value.trim().to_owned())
}

/// Puts `value` in an empty `slot`: the first name a heading gives counts.
fn fill(slot: &mut String, value: String) {
    if slot.is_empty() {
        *slot = value;
    }
}

/// Whether a heading label names the project (项目名称, 转移支付（项目）名称): a 名称 of a 项目.
fn names_project(text: &str) -> bool {
    let folded = fold(text);
    is_label(text, labels::PROJECT) || (folded.ends_with("名称") && folded.contains("项目"))
}

/// Whether a heading label names the supervising department (主管部门, 地方主管部门).
fn names_supervisor(text: &str) -> bool {
    let folded = fold(text);
    is_label(text, labels::SUPERVISOR) || folded.ends_with("主管部门")
}

/// The months a monitoring table's figures cover from January: the `N` of a range `1-N月`
/// (`1—6月`, `1至9月`, `1～6月`) in `text`, when it holds one and N is a month.
pub(crate) fn months_covered(text: &str) -> Option<u32> {
    let text = jixiao_domain::written::normalize(text);
    let mut previous_digit = false;
    text.char_indices().find_map(|(at, character)| {
        let starts = !previous_digit;
        previous_digit = character.is_ascii_digit();
        starts
            .then(|| crate::table::month_range_prefix(&text[at..]))
            .flatten()
            .map(|(months, _)| months)
            .filter(|months| (2..=12).contains(months))
    })
}

/// The text right of a label on the same row (项目名称 | 某项目), up to the next label: a blank
/// cell never names anything after its label (主管部门 | (blank) | 实施单位 | 某单位).
pub(crate) fn value_right_of(grid: &Grid, row: usize, column: usize) -> String {
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
pub(crate) fn is_heading_label(text: &str) -> bool {
    [labels::PROJECT, labels::UNIT, labels::SUPERVISOR]
        .iter()
        .any(|wanted| is_label(text, wanted))
}

/// The year of a title (`2022年度项目支出绩效自评表`).
pub(crate) fn year_of(text: &str) -> Option<i32> {
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
pub(crate) struct Heading {
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
pub(crate) struct BudgetColumns {
    initial: Option<usize>,
    adjusted: Option<usize>,
    executed: Option<usize>,
    rate: Option<usize>,
    score: Option<usize>,
    /// 全年预计执行数: a label that projects (预计) spending (执行).
    projected: Option<usize>,
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

    /// Reads the names given with their labels in one cell (`实施单位：某委员会`); whether the
    /// row held only such cells.
    fn read_named_cells(&mut self, grid: &Grid, row: usize, filled: &[usize]) -> bool {
        let mut named = 0;
        for &column in filled {
            let text = grid.text(row, column);
            if let Some(value) = label_with_value(text, labels::UNIT) {
                fill(&mut self.unit_name, value);
            } else if let Some(value) = label_with_value(text, labels::SUPERVISOR) {
                fill(&mut self.supervisor, value);
            } else if let Some(value) = label_with_value(text, labels::PROJECT) {
                fill(&mut self.project_name, value);
            } else {
                continue;
            }
            named += 1;
        }
        named > 0 && named == filled.len()
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
        if self.read_overall(grid, row, &filled) || self.read_named_cells(grid, row, &filled) {
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
            if names_project(text) {
                self.project_name = value_right_of(grid, row, column);
            } else if names_supervisor(text) && self.supervisor.is_empty() {
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
            projected: find_column_by(grid, row, |label| {
                label.contains("预计") && label.contains("执行")
            }),
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
                projected: take(columns.projected),
            };
        }
    }
}

/// Reads the rows under an indicator header until a 总分 row, two blank rows, the next
/// header or the sheet's end; returns the table, its unreadable cells and the row after it.
pub(crate) fn read_table(
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
    // A header over two rows: the second names the parts of a column of the first.
    let mut columns = columns;
    if let Some(refined) = second_header_row(grid, header_row, &columns) {
        columns = refined;
        row += 1;
    }
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
        // A flat table has no 二级指标: the row's stays empty, never its name.
        let level2 = level2.clone().unwrap_or_else(|| {
            columns.level2.map_or_else(
                || Cell {
                    text: String::new(),
                    at: name_at.clone(),
                },
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
pub(crate) fn target_cell(grid: &Grid, row: usize, columns: &Columns) -> Cell {
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
pub(crate) fn figure(cell: &Cell, label: &str, units: &[&str]) -> Result<String, Note> {
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
pub(crate) struct FigureCell<'a> {
    /// The cell, when the table has it.
    pub(crate) cell: Option<&'a Cell>,
    /// Its label (年初预算数 …).
    pub(crate) label: &'static str,
    /// The metric it is pushed as.
    pub(crate) metric: &'static str,
    /// The unit it is pushed in.
    pub(crate) unit: &'static str,
    /// Units the cell may carry after its figure.
    pub(crate) units: &'static [&'static str],
}

/// The budget block's figures and 总分, the one list both the check and the push go by.
pub(crate) fn figure_cells(table: &Table) -> [FigureCell<'_>; 7] {
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
            cell: budget.projected.as_ref(),
            label: "全年预计执行数",
            metric: "budget.executed_projected",
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
