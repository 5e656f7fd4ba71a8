//! Generated 自评表: tables built from random but well-formed parts, in the layouts of
//! TABLES.md §7, with what a reader must find in them. Words are random CJK characters, so
//! that no reading can rest on a list of the words it was shown.

use proptest::collection::vec;
use proptest::prelude::*;

/// One indicator row as the table writes it, and as a reader must store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRow {
    /// 一级指标 as written (carried down its group).
    pub level1: String,
    /// 二级指标.
    pub level2: String,
    /// 三级指标.
    pub name: String,
    /// 年度指标值.
    pub target: String,
    /// 实际完成值.
    pub actual: String,
    /// 分值, empty when the table has no 分值 column.
    pub weight: String,
    /// 偏差原因分析及改进措施, empty when the table has no such column.
    pub deviation: String,
}

/// A generated table: its cells row by row, the regions merged (first row, last row, column),
/// and what must be read from it.
#[derive(Debug, Clone)]
pub struct GeneratedTable {
    /// The year in its title.
    pub year: i32,
    /// 项目名称.
    pub project: String,
    /// The cells.
    pub cells: Vec<Vec<String>>,
    /// Merged regions of one column: (first row, last row, column).
    pub merges: Vec<(usize, usize, usize)>,
    /// The rows to find.
    pub rows: Vec<GeneratedRow>,
    /// 年度总体目标 · 预期目标 and 实际完成情况, when the table has the block.
    pub overall: Option<(String, String)>,
}

/// Words that are labels of the layouts (a random word that happens to be one would change
/// the table's shape, not its reading).
const LABELS: &[&str] = &[
    "总分",
    "合计",
    "总得分",
    "项目名称",
    "实施单位",
    "主管部门",
    "单位名称",
    "部门名称",
    "分值",
    "权重",
    "得分",
    "指标值",
    "目标值",
    "完成值",
    "实际值",
    "预期目标",
    "总体目标",
    "绩效指标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标名称",
    "执行数",
    "执行率",
    "年初预算数",
];

/// A word of `min..=max` CJK characters that is no label and holds none.
pub fn word(min: usize, max: usize) -> impl Strategy<Value = String> {
    vec(0x4e00u32..0x9fa5, min..=max)
        .prop_map(|codes| {
            codes
                .into_iter()
                .filter_map(char::from_u32)
                .collect::<String>()
        })
        .prop_filter("a label of the layouts", |word: &String| {
            !LABELS.iter().any(|label| word.contains(label))
                && !word.contains("自评表")
                && !word.contains('年')
                && !word.contains('月')
        })
}

/// A target as units write them: a bound with any unit word, a percentage, a number among
/// words, or words alone; and an actual to go with it.
fn target_and_actual() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (1u32..5000, word(1, 3), 0u32..6000, any::<bool>()).prop_map(|(n, unit, m, bare)| {
            let actual = if bare {
                m.to_string()
            } else {
                format!("{m}{unit}")
            };
            (format!("≥{n}{unit}"), actual)
        }),
        (1u32..5000, word(1, 2), 0u32..6000)
            .prop_map(|(n, unit, m)| (format!("≤{n}{unit}"), format!("{m}{unit}"))),
        (50u32..101, 0u32..101, 0u32..3).prop_map(|(n, m, decimals)| {
            let actual = match decimals {
                0 => format!("{m}%"),
                1 => format!("{m}.0%"),
                _ => format!("{m}.00%"),
            };
            (format!("≥{n}%"), actual)
        }),
        (word(2, 4), 1u32..900, word(1, 2))
            .prop_map(|(words, n, unit)| (format!("{words}{n}{unit}"), format!("{n}{unit}"))),
        (word(2, 6), word(2, 6)).prop_map(|(target, actual)| (target, actual)),
    ]
}

/// A generated 自评表 in one of the layouts of TABLES.md §7: with or without the `绩效指标`
/// column, the 年度总体目标 block, 分值 and 偏差原因 columns; 一级指标 merged over its group;
/// header spellings of the target and the actual as units write them.
pub fn table() -> impl Strategy<Value = GeneratedTable> {
    (
        2015i32..2031,
        word(4, 10),
        any::<bool>(),
        prop::option::of((word(4, 20), word(4, 20))),
        any::<bool>(),
        any::<bool>(),
        0usize..5,
        0usize..4,
        vec(
            (
                word(2, 6),
                vec(
                    (
                        word(2, 4),
                        word(2, 8),
                        target_and_actual(),
                        1u32..30,
                        word(0, 6),
                    ),
                    1..4,
                ),
            ),
            1..4,
        ),
    )
        .prop_map(
            |(
                year,
                project,
                national,
                overall,
                weights,
                deviation,
                target_label,
                actual_label,
                groups,
            )| {
                let target_header =
                    ["年度指标值", "年初指标值", "预期指标值", "目标值", "指标值"][target_label];
                let actual_header =
                    ["实际完成值", "全年完成值", "实际完成指标值", "年终完成值"][actual_label];
                let offset = usize::from(national);
                let mut cells: Vec<Vec<String>> = vec![
                    vec![format!("{year}年度项目支出绩效自评表")],
                    vec!["项目名称".to_owned(), project.clone()],
                ];
                if let Some((expected, achieved)) = &overall {
                    cells.push(vec![
                        "年度总体目标".to_owned(),
                        "预期目标".to_owned(),
                        String::new(),
                        "实际完成情况".to_owned(),
                    ]);
                    cells.push(vec![
                        String::new(),
                        expected.clone(),
                        String::new(),
                        achieved.clone(),
                    ]);
                }
                let mut header: Vec<String> = Vec::new();
                if national {
                    header.push("绩效指标".to_owned());
                }
                header.extend(
                    [
                        "一级指标",
                        "二级指标",
                        "三级指标",
                        target_header,
                        actual_header,
                    ]
                    .map(String::from),
                );
                if weights {
                    header.push("分值".to_owned());
                }
                if deviation {
                    header.push("偏差原因分析及改进措施".to_owned());
                }
                let header_row = cells.len();
                cells.push(header);
                let mut merges = Vec::new();
                let mut rows = Vec::new();
                let mut names = std::collections::HashSet::new();
                for (group, members) in groups {
                    let first = cells.len();
                    for (index, (level2, name, (target, actual), weight, note)) in
                        members.into_iter().enumerate()
                    {
                        // Names are unique within a table, as a table's rows are.
                        let name = if names.insert(name.clone()) {
                            name
                        } else {
                            format!("{name}{index}")
                        };
                        names.insert(name.clone());
                        let mut line = vec![String::new(); offset];
                        line.extend([
                            if index == 0 {
                                group.clone()
                            } else {
                                String::new()
                            },
                            level2.clone(),
                            name.clone(),
                            target.clone(),
                            actual.clone(),
                        ]);
                        if weights {
                            line.push(weight.to_string());
                        }
                        if deviation {
                            line.push(note.clone());
                        }
                        cells.push(line);
                        rows.push(GeneratedRow {
                            level1: group.clone(),
                            level2,
                            name,
                            target,
                            actual,
                            weight: if weights {
                                weight.to_string()
                            } else {
                                String::new()
                            },
                            deviation: if deviation { note } else { String::new() },
                        });
                    }
                    if cells.len() - 1 > first {
                        merges.push((first, cells.len() - 1, offset));
                    }
                }
                if national && cells.len() - 1 > header_row {
                    merges.push((header_row, cells.len() - 1, 0));
                }
                GeneratedTable {
                    year,
                    project,
                    cells,
                    merges,
                    rows,
                    overall,
                }
            },
        )
}
