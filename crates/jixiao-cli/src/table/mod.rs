//! A 自评表 (self-evaluation table) as finance staff write it (TABLES.md §6): the shape
//! `jixiao import` reads out of a spreadsheet and `jixiao export` writes back, and the labels
//! both find it by.

pub mod read;

use std::fmt;

/// What a table scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 项目支出绩效自评表: a project, headed by its 项目名称.
    Project,
    /// 部门（单位）整体支出绩效自评表: a department department-wide.
    Department,
}

/// Where a cell is: its sheet and A1 reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRef {
    /// The sheet's name (for a CSV file, the file's stem).
    pub sheet: String,
    /// Row, from 0.
    pub row: usize,
    /// Column, from 0.
    pub column: usize,
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}!{}{}",
            self.sheet,
            column_name(self.column),
            self.row + 1
        )
    }
}

/// The spreadsheet name of a column from 0: A … Z, AA …
pub fn column_name(mut column: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// A cell's text and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The text as read (numbers in their shortest decimal form).
    pub text: String,
    /// Where.
    pub at: CellRef,
}

/// One indicator row (三级指标) as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 一级指标 (carried down over merged cells).
    pub level1: Cell,
    /// 二级指标 (carried down over merged cells).
    pub level2: Cell,
    /// 三级指标, the indicator's name.
    pub name: Cell,
    /// 年度指标值, the target as written.
    pub target: Cell,
    /// 实际完成值, the actual as written.
    pub actual: Cell,
    /// 分值, the weight (points).
    pub weight: Cell,
    /// 得分, the table's own score (points), when written.
    pub score: Option<Cell>,
    /// 偏差原因分析及改进措施, when written.
    pub deviation: Option<Cell>,
    /// 指标编码, in tables `jixiao export` wrote.
    pub code: Option<Cell>,
    /// 全年预计完成值 of a monitoring table, when written.
    pub projected: Option<Cell>,
    /// 完成目标可能性 of a monitoring table, when written.
    pub likelihood: Option<Cell>,
}

/// A budget block's line: 年初预算数, 全年预算数, 全年执行数 (万元), 分值, 执行率 (%) and 得分.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    /// 年初预算数 (I).
    pub initial: Option<Cell>,
    /// 全年预算数 (A).
    pub adjusted: Option<Cell>,
    /// 全年执行数 (E).
    pub executed: Option<Cell>,
    /// 执行率 as printed, percent.
    pub rate: Option<Cell>,
    /// 得分 of budget execution as printed.
    pub score: Option<Cell>,
    /// 全年预计执行数 of a monitoring table (万元): the spending projected for the year.
    pub projected: Option<Cell>,
}

impl Budget {
    /// Whether the block has no figure at all.
    pub fn is_empty(&self) -> bool {
        [
            &self.initial,
            &self.adjusted,
            &self.executed,
            &self.rate,
            &self.score,
            &self.projected,
        ]
        .iter()
        .all(|cell| cell.is_none())
    }
}

/// A table as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Whether its indicator header has a 分值 column.
    pub has_weights: bool,
    /// What it scores.
    pub kind: Kind,
    /// The sheet it is on.
    pub sheet: String,
    /// Its title, when it has one (the first text above it).
    pub title: String,
    /// The year: from `--year`, else the title's `2022年`.
    pub year: Option<i32>,
    /// 项目名称, for a project table.
    pub project_name: String,
    /// 实施单位 / 单位名称 / 部门名称, else 主管部门; empty when every such cell is blank.
    pub unit_name: String,
    /// The money block's unit: `万元`, or `元` when its label says so (项目资金（元）).
    pub money_unit: &'static str,
    /// The budget block's total line.
    pub budget: Budget,
    /// The indicator rows.
    pub rows: Vec<Row>,
    /// 总分 as printed.
    pub total: Option<Cell>,
    /// 年度总体目标 · 预期目标 as written; empty without the block.
    pub overall_target: String,
    /// 年度总体目标 · 实际完成情况 as written.
    pub overall_result: String,
    /// The months its figures cover from January, for a monitoring table (`1-6月` in its title
    /// or its actual column's label: 6); `None` for a year's table.
    pub months: Option<u32>,
}

/// Labels of the indicator header, each with the spellings tables use.
pub mod labels {
    /// 一级指标.
    pub const LEVEL1: &[&str] = &["一级指标"];
    /// 二级指标.
    pub const LEVEL2: &[&str] = &["二级指标"];
    /// 三级指标.
    /// Tried in this order: in the national form `绩效指标` is the block's label merged down the
    /// left, and 三级指标 names the row.
    pub const NAME: &[&str] = &["三级指标", "指标名称", "绩效指标"];
    /// 年度指标值.
    pub const TARGET: &[&str] = &["年度指标值", "指标值", "目标值", "预期指标值", "年度目标值"];
    /// 实际完成值.
    pub const ACTUAL: &[&str] = &["实际完成值", "完成值", "全年实际值", "实际值"];
    /// 分值.
    pub const WEIGHT: &[&str] = &["分值", "权重", "指标分值"];
    /// 得分.
    pub const SCORE: &[&str] = &["得分", "自评得分"];
    /// 偏差原因分析及改进措施 (any label starting so).
    pub const DEVIATION: &[&str] = &["偏差原因", "偏差原因分析及改进措施"];
    /// 年初预算数.
    pub const INITIAL: &[&str] = &["年初预算数"];
    /// 全年预算数.
    pub const ADJUSTED: &[&str] = &["全年预算数", "调整后预算数"];
    /// 全年执行数.
    pub const EXECUTED: &[&str] = &["全年执行数", "执行数", "实际支出数"];
    /// 执行率.
    pub const RATE: &[&str] = &["执行率", "预算执行率"];
    /// 项目名称.
    pub const PROJECT: &[&str] = &["项目名称"];
    /// The unit that carries out the work (实施单位), or the department of a 部门整体 table.
    pub const UNIT: &[&str] = &["实施单位", "单位名称", "部门名称", "部门(单位)名称"];
    /// 主管部门 (with or without 及代码): the supervising department.
    pub const SUPERVISOR: &[&str] = &["主管部门", "主管部门及代码"];
    /// 总分.
    pub const TOTAL: &[&str] = &["总分", "合计", "总得分", "自评总分", "自评得分合计"];
    /// The printed 得分 of a table `jixiao export` filled (its 得分 column then holds jixiao's).
    pub const REPORTED_SCORE: &[&str] = &["报送得分"];
    /// The printed 执行率 of a table `jixiao export` filled.
    pub const REPORTED_RATE: &[&str] = &["报送执行率"];
    /// 指标编码, the row's code in a table `jixiao export` wrote.
    pub const CODE: &[&str] = &["指标编码"];
    /// 指标性质 in a column of its own (≥, ≤, =, 定性: the Yunnan form).
    pub const NATURE: &[&str] = &["指标性质"];
    /// 度量单位 in a column of its own (the Yunnan form).
    pub const MEASURE_UNIT: &[&str] = &["度量单位"];
    /// The budget block's total line.
    /// The 年度总体目标 block (TABLES.md §1, §7) and its two texts' labels.
    pub const OVERALL: &[&str] = &["年度总体目标", "总体目标", "年度绩效目标"];
    pub const OVERALL_TARGET: &[&str] = &["预期目标", "年初设定目标", "年度目标"];
    pub const OVERALL_RESULT: &[&str] = &["实际完成情况", "全年实际完成情况", "年度实际完成情况"];
    pub const BUDGET_TOTAL: &[&str] = &["年度资金总额", "资金总额", "合计"];
}

/// Whether a cell's text is one of `labels` once spaces, full-width forms and a trailing colon
/// are folded away (`一级 指标`, `项目名称：`).
pub fn is_label(text: &str, labels: &[&str]) -> bool {
    let folded = fold(text);
    labels.iter().any(|label| folded == *label)
}

/// Whether a cell's text starts with one of `labels` (long headers such as
/// 偏差原因分析及改进措施).
pub fn starts_with_label(text: &str, labels: &[&str]) -> bool {
    let folded = fold(text);
    labels.iter().any(|label| folded.starts_with(label))
}

/// A month range from January at the start of `text` (`1-6月`, `1—9月`, `1至6月`): the months it
/// covers, and the text after it. The one reading of a monitoring table's period, for its
/// labels (`1-6月执行数`) and its title.
pub fn month_range_prefix(text: &str) -> Option<(u32, &str)> {
    let rest = text.strip_prefix('1')?;
    let separator = rest.chars().next()?;
    if !matches!(separator, '-' | '—' | '–' | '~' | '～' | '至' | '到') {
        return None;
    }
    let rest = &rest[separator.len_utf8()..];
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let months = rest[..digits].parse::<u32>().ok()?;
    let rest = rest[digits..].strip_prefix('月')?;
    Some((months, rest))
}

/// A label folded: full-width forms to ASCII, spaces away, a trailing colon and a bracketed
/// unit or weight (`全年预算数（万元）`, `分值(100)`) dropped.
pub fn fold(text: &str) -> String {
    let mut folded = jixiao_domain::written::normalize(text);
    // A monitoring table's period before the label (`1-6月执行数`, `1-6月实际完成值`) is the
    // table's, not the label's.
    if let Some((_, rest)) = month_range_prefix(&folded).filter(|(_, rest)| !rest.is_empty()) {
        folded = rest.to_owned();
    }
    while folded.ends_with(':') {
        folded.pop();
    }
    if let Some(open) = folded.find('(')
        && folded.ends_with(')')
        && open > 0
    {
        folded.truncate(open);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_and_labels() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        let at = CellRef {
            sheet: "Sheet1".into(),
            row: 11,
            column: 5,
        };
        assert_eq!(at.to_string(), "Sheet1!F12");
        assert!(is_label("一级 指标", labels::LEVEL1));
        assert!(is_label("项目名称：", labels::PROJECT));
        assert!(is_label("全年预算数（万元）", labels::ADJUSTED));
        assert!(is_label("分值(100)", labels::WEIGHT));
        assert!(starts_with_label(
            "偏差原因分析及改进措施",
            labels::DEVIATION
        ));
        assert!(!is_label("得分率", labels::SCORE));
    }
}
