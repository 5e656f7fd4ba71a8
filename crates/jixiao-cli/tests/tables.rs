//! Spreadsheets in, 自评表 and report out (TABLES.md §6), as a user runs them: workbooks laid
//! out as the field cases' tables are published, made here, imported with `jixiao import` into a
//! running `jixiao serve`, evaluated, exported with `jixiao export`, and the exports read back by
//! independent readers (openpyxl, python-docx) and imported again.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use jixiao_testkit::{Process, run};
use rust_xlsxwriter::Workbook;
use serde_json::Value;

const JIXIAO: &str = env!("CARGO_BIN_EXE_jixiao");

fn cases() -> Vec<Value> {
    serde_json::from_str(include_str!("../../../tests/data/field/cases.json")).unwrap()
}

fn case(id: &str) -> Value {
    cases().into_iter().find(|case| case["id"] == id).unwrap()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The cells of a case's table as published: title, names, the budget block, the indicator
/// header, the rows (一级指标 merged over its rows) and 总分. A weight the table does not print
/// is its published score, as the case notes infer.
fn layout(case: &Value) -> (Vec<Vec<String>>, Vec<(usize, usize)>) {
    let project = case["kind"] == "项目支出";
    let year = text(&case["year"]);
    let department = text(&case["department"]);
    let (unit, name) = department
        .split_once(" — ")
        .map_or((department.clone(), String::new()), |(unit, name)| {
            (unit.to_owned(), name.to_owned())
        });
    let mut rows: Vec<Vec<String>> = Vec::new();
    let kind = if project {
        "项目支出"
    } else {
        "部门整体支出"
    };
    rows.push(vec![format!("{year}年度{kind}绩效自评表")]);
    if project {
        rows.push(vec![
            "项目名称".into(),
            name,
            String::new(),
            "实施单位".into(),
            unit,
        ]);
    } else {
        rows.push(vec!["单位名称".into(), unit]);
    }
    rows.push(
        [
            "",
            "年初预算数",
            "全年预算数",
            "全年执行数",
            "分值",
            "执行率",
            "得分",
        ]
        .map(String::from)
        .to_vec(),
    );
    let budget = &case["budget"];
    // 执行率 as tables print it: 2 decimals and a percent sign.
    let rate = match (budget["executed"].as_str(), budget["adjusted"].as_str()) {
        (Some(executed), Some(adjusted)) => {
            let (executed, adjusted): (f64, f64) =
                (executed.parse().unwrap(), adjusted.parse().unwrap());
            format!("{:.2}%", executed / adjusted * 100.0)
        }
        _ => String::new(),
    };
    rows.push(vec![
        "年度资金总额".into(),
        text(&budget["initial"]),
        text(&budget["adjusted"]),
        text(&budget["executed"]),
        text(&budget["weight"]),
        rate,
        text(&budget["published_score"]),
    ]);
    rows.push(Vec::new());
    rows.push(
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ]
        .map(String::from)
        .to_vec(),
    );
    let mut merges = Vec::new();
    let mut previous = String::new();
    for row in case["indicators"].as_array().unwrap() {
        let level1 = text(&row["level1"]);
        let weight = row["weight"]
            .as_str()
            .or(row["published_score"].as_str())
            .unwrap_or_default()
            .to_owned();
        // 一级指标 is merged over its group: only its first row holds the label.
        let shown = if level1 == previous {
            String::new()
        } else {
            merges.push((rows.len(), rows.len()));
            level1.clone()
        };
        if level1 == previous {
            merges.last_mut().unwrap().1 = rows.len();
        }
        previous = level1;
        rows.push(vec![
            shown,
            text(&row["level2"]),
            text(&row["name"]),
            text(&row["target_text"]),
            text(&row["actual_text"]),
            weight,
            text(&row["published_score"]),
            // The unit's 偏差原因 of its first row.
            if rows.len() == 6 {
                "按计划完成".to_owned()
            } else {
                String::new()
            },
        ]);
    }
    let mut total = vec![String::new(); 7];
    total[0] = "总分".into();
    total[6] = text(&case["published_total"]);
    rows.push(total);
    (rows, merges)
}

/// Writes the cells as a workbook: figures as numbers, 一级指标 merged over its rows.
fn write_xlsx(rows: &[Vec<String>], merges: &[(usize, usize)], path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(number) if c > 0 || r == 3 => {
                    sheet.write_number(r as u32, c as u16, number).unwrap();
                }
                _ => {
                    sheet.write_string(r as u32, c as u16, cell).unwrap();
                }
            }
        }
    }
    let format = rust_xlsxwriter::Format::new();
    for &(first, last) in merges {
        if last > first {
            sheet
                .merge_range(first as u32, 0, last as u32, 0, &rows[first][0], &format)
                .unwrap();
        }
    }
    workbook.save(path).unwrap();
}

fn write_csv(rows: &[Vec<String>], path: &Path) {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
}

/// What the ingestion service holds of a subject: its target set's revision, and how many
/// point revisions and actual revisions its department has (history included).
fn state(ingest: &str, department: &str, project: &str, year: &str) -> (String, usize, usize) {
    let ask = |method: &str, json: String| -> Value {
        let (ok, output) = jixiao_testkit::call(ingest, method, &json);
        assert!(ok, "{method}: {output}");
        serde_json::from_str(&output).unwrap()
    };
    let targets = ask(
        "jixiao.ingest.v1.IngestService/GetTargets",
        format!(
            r#"{{"departmentCode": "{department}", "projectCode": "{project}", "year": {year}}}"#
        ),
    );
    let points = ask(
        "jixiao.ingest.v1.IngestService/ListMetricPoints",
        format!(
            r#"{{"departmentCode": "{department}", "year": {year}, "includeHistory": true, "pageSize": 1000}}"#
        ),
    );
    let count = |value: &Value, key: &str| value[key].as_array().map_or(0, Vec::len);
    let revision = text(&targets["targetSet"]["revision"]);
    (
        revision,
        count(&points, "points"),
        count(&targets, "actuals"),
    )
}

/// `jixiao serve` on free ports with `extra` arguments: the process and both services' URLs.
fn serve(extra: &[&str]) -> (Process, String, String) {
    let mut args = vec![
        "serve",
        "--ingest-set",
        "listen=127.0.0.1:0",
        "--evaluator-set",
        "listen=127.0.0.1:0",
        "--evaluator-set",
        "schedule.catch_up_days=0",
    ];
    args.extend_from_slice(extra);
    let system = Process::start(JIXIAO, &args, &["ingest", "evaluator"]);
    let ingest = format!("http://{}", system.address("ingest"));
    let evaluator = format!("http://{}", system.address("evaluator"));
    (system, ingest, evaluator)
}

/// Evaluates a department's year and prints its project's score (`jixiao score`).
fn evaluate_and_score(evaluator: &str, department: &str, year: &str, project: &str) -> String {
    let (ok, output) = jixiao(&[
        "evaluate",
        year,
        "--department",
        department,
        "--evaluator",
        evaluator,
    ]);
    assert!(ok, "{output}");
    let (ok, output) = jixiao(&[
        "score",
        department,
        year,
        "--project",
        project,
        "--evaluator",
        evaluator,
    ]);
    assert!(ok, "{output}");
    output
}

fn jixiao(args: &[&str]) -> (bool, String) {
    run(JIXIAO, args)
}

fn python(script: &str, file: &Path) -> String {
    let output = Command::new("python3")
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .expect("python3 runs (openpyxl and python-docx from .ci/requirements.txt)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Reads every non-empty cell of the first sheet as `A1=text` lines.
const READ_XLSX: &str = r#"
import sys, openpyxl
sheet = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
for row in sheet.iter_rows():
    for cell in row:
        if cell.value is not None:
            print(f"{cell.coordinate}={cell.value}")
"#;

/// Reads a document's paragraphs, one per line.
const READ_DOCX: &str = r#"
import sys, docx
for paragraph in docx.Document(sys.argv[1]).paragraphs:
    print(paragraph.text)
"#;

#[test]
fn published_tables_import_score_export_and_import_back() {
    let (mut system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();

    // Each case whose table the previous issues score, laid out as published: central-2020
    // project tables (F01 and F09 as CSV, F09 without a year in its title), Hubei's project
    // (F16) and 部门整体 (F13) tables under hubei-2020; the totals those issues check.
    for (id, framework, csv, expected) in [
        ("F01", "", true, "90.00 优"),
        ("F04", "", false, "97.24 优"),
        ("F05", "", false, "40.00 差"),
        ("F08a", "", false, "90.00 优"),
        ("F09", "", true, "0.00 差"),
        ("F10", "", false, "10.00 差"),
        ("F16", "hubei-2020", false, "100.00 优"),
        ("F13", "hubei-2020", false, "100.00 优"),
    ] {
        let case = case(id);
        let (rows, merges) = layout(&case);
        let path = files
            .path()
            .join(format!("{id}.{}", if csv { "csv" } else { "xlsx" }));
        if csv {
            write_csv(&rows, &path);
        } else {
            write_xlsx(&rows, &merges, &path);
        }
        let department = format!("CASE-{id}");
        let project = if case["kind"] == "项目支出" {
            format!("{department}-P")
        } else {
            String::new()
        };
        let printed_year = text(&case["year"]);
        let year = if printed_year.is_empty() {
            "2022".to_owned()
        } else {
            printed_year.clone()
        };
        let import = |dry_run: bool| {
            let mut args = vec![
                "import",
                path.to_str().unwrap(),
                "--department",
                &department,
                "--project",
                &project,
                "--framework",
                framework,
                "--ingest",
                &ingest,
            ];
            if dry_run {
                args.push("--dry-run");
            }
            if printed_year.is_empty() {
                args.extend(["--year", "2022"]);
            }
            jixiao(&args)
        };
        let (ok, output) = import(true);
        assert!(ok, "{id}: {output}");
        assert!(
            output.contains("dry run: the service checked every table and stored nothing")
                && output.contains(": would store unit ")
                && output.contains("target set revision 1"),
            "{id}: {output}"
        );
        let (ok, output) = import(false);
        assert!(ok, "{id}: {output}");
        assert!(
            output.contains(": stored unit ") && output.contains("target set revision 1"),
            "{id}: {output}"
        );
        let address = system.address("ingest").to_owned();
        let first = state(&address, &department, &project, &year);
        assert_eq!(first.0, "1", "{id}");
        // The same file again stores nothing: no new revision of anything.
        let (ok, output) = import(false);
        assert!(ok, "{id}: {output}");
        assert!(output.contains("nothing new stored"), "{id}: {output}");
        assert_eq!(state(&address, &department, &project, &year), first, "{id}");

        let output = evaluate_and_score(&evaluator, &department, &year, &project);
        assert!(output.contains(&format!(": {expected}")), "{id}: {output}");
    }

    // F01 imported as A, then with one actual changed (B: 49个 for ≥50个), then as A again:
    // the last import counts, though A's requests were seen before.
    let (rows, _) = layout(&case("F01"));
    let mut changed = rows.clone();
    changed[6][4] = "49".into();
    let total_after = |rows: &[Vec<String>], name: &str| {
        let path = files.path().join(name);
        write_csv(rows, &path);
        let (ok, output) = jixiao(&[
            "import",
            path.to_str().unwrap(),
            "--department",
            "CASE-F01",
            "--project",
            "CASE-F01-P",
            "--ingest",
            &ingest,
        ]);
        assert!(ok, "{output}");
        evaluate_and_score(&evaluator, "CASE-F01", "2022", "CASE-F01-P")
    };
    assert!(total_after(&changed, "F01-b.csv").contains(": 89.84"));
    assert!(total_after(&rows, "F01-a.csv").contains(": 90.00"));

    // F16 out again: the filled 自评表, read back cell by cell.
    let exported = files.path().join("F16-out.xlsx");
    let (ok, output) = jixiao(&[
        "export",
        "CASE-F16",
        "2020",
        "--project",
        "CASE-F16-P",
        "--format",
        "xlsx",
        "--output",
        exported.to_str().unwrap(),
        "--evaluator",
        &evaluator,
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let cells = python(READ_XLSX, &exported);
    for expected in [
        "A1=2020年度项目支出绩效自评表",
        "A2=项目名称",
        "C4=1.56",
        "D4=1.56",
        "E4=20",
        "G4=20",
        "A6=一级指标",
        "H6=偏差原因分析及改进措施",
        "A7=产出指标",
        "B7=数量指标",
        "C7=补贴渔船数",
        "F7=20",
        "G7=20",
        "A10=满意度指标",
        "D10=≥90%",
        "E10=90%",
        "G10=40",
        "H4=100",
        "I4=20",
        "H7=按计划完成",
        "I7=20",
        "J7=R01",
        "K6=评价提示",
        "A11=总分",
        "G11=100",
        "H11=等级: 优",
        "I11=100",
    ] {
        assert!(
            cells.lines().any(|line| line == expected),
            "{expected} not in\n{cells}"
        );
    }
    // … and imported back: the same inputs, so nothing new is stored.
    let address = system.address("ingest").to_owned();
    let before = state(&address, "CASE-F16", "CASE-F16-P", "2020");
    let (ok, output) = jixiao(&[
        "import",
        exported.to_str().unwrap(),
        "--department",
        "CASE-F16",
        "--project",
        "CASE-F16-P",
        "--framework",
        "hubei-2020",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    assert_eq!(
        state(&address, "CASE-F16", "CASE-F16-P", "2020"),
        before,
        "{output}"
    );

    // F04 prints other scores than the rules give (9 for 8.62): its filled table carries both,
    // jixiao's under 得分 and the printed ones under 报送得分, and imports back unchanged too.
    let f04 = files.path().join("F04-out.xlsx");
    let (ok, output) = jixiao(&[
        "export",
        "CASE-F04",
        "2019",
        "--project",
        "CASE-F04-P",
        "--format",
        "xlsx",
        "--output",
        f04.to_str().unwrap(),
        "--evaluator",
        &evaluator,
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let cells = python(READ_XLSX, &f04);
    for expected in ["G4=8.62", "I4=9", "G7=8.62", "I7=9"] {
        assert!(
            cells.lines().any(|line| line == expected),
            "{expected} not in\n{cells}"
        );
    }
    let before = state(&address, "CASE-F04", "CASE-F04-P", "2019");
    let (ok, output) = jixiao(&[
        "import",
        f04.to_str().unwrap(),
        "--department",
        "CASE-F04",
        "--project",
        "CASE-F04-P",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    assert!(output.contains("nothing new stored"), "{output}");
    assert_eq!(
        state(&address, "CASE-F04", "CASE-F04-P", "2019"),
        before,
        "{output}"
    );

    // The draft report, part by part, and the Markdown.
    let report = files.path().join("F04.docx");
    let (ok, output) = jixiao(&[
        "export",
        "CASE-F04",
        "2019",
        "--project",
        "CASE-F04-P",
        "--format",
        "docx",
        "--output",
        report.to_str().unwrap(),
        "--evaluator",
        &evaluator,
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let paragraphs = python(READ_DOCX, &report);
    let position = |text: &str| {
        paragraphs
            .find(text)
            .unwrap_or_else(|| panic!("{text} not in\n{paragraphs}"))
    };
    assert!(position("一、基本情况") < position("二、综合评价分析"));
    assert!(position("二、综合评价分析") < position("三、存在的主要问题"));
    assert!(position("三、存在的主要问题") < position("四、下一步改进措施"));
    assert!(
        paragraphs.contains("自评得分 97.24，等级 优"),
        "{paragraphs}"
    );
    assert!(paragraphs.contains("预算执行率 86.20%"), "{paragraphs}");
    assert!(paragraphs.contains("（由单位填写"), "{paragraphs}");
    let markdown = files.path().join("F04.md");
    let (ok, output) = jixiao(&[
        "export",
        "CASE-F04",
        "2019",
        "--project",
        "CASE-F04-P",
        "--format",
        "md",
        "--output",
        markdown.to_str().unwrap(),
        "--evaluator",
        &evaluator,
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let markdown = std::fs::read_to_string(markdown).unwrap();
    assert!(markdown.contains("| 一级指标 | 二级指标 |"), "{markdown}");
    assert!(markdown.contains("## 三、存在的主要问题"), "{markdown}");

    assert!(system.terminate(Duration::from_secs(30)));
}

#[test]
fn a_table_with_cells_the_rules_cannot_read_is_read_whole_and_each_cell_noted() {
    let (_system, ingest, _) = serve(&[]);
    // TABLES.md §0: a table's words are never bad input. Text in a 分值, a group the framework
    // does not know, an actual among words, a header without 分值: every row is read, and each
    // such cell is noted with what was done with it.
    let files = tempfile::tempdir().unwrap();
    let (mut rows, merges) = layout(&case("F16"));
    rows[6][5] = "二十".into(); // 分值 of the first row: text in a number cell
    rows[9][0] = "其他指标".into(); // a group no framework has
    rows[9][4] = "约90".into(); // a number among words
    let odd = files.path().join("odd.xlsx");
    write_xlsx(&rows, &merges, &odd);
    let (ok, output) = jixiao(&[
        "import",
        odd.to_str().unwrap(),
        "--department",
        "X",
        "--dry-run",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    for expected in [
        "note Sheet1!F7: 分值 \"二十\" is not a number",
        "stored without it",
        "note Sheet1!A10: 一级指标 \"其他指标\" is kept as written",
        "dry run: the service checked every table and stored nothing",
    ] {
        assert!(output.contains(expected), "{expected} not in\n{output}");
    }
    assert!(!output.contains("约90\" is"), "约90 reads as 90:\n{output}");
    // A header without its 分值 column.
    let (mut rows, merges) = layout(&case("F16"));
    for row in rows.iter_mut().skip(5) {
        if row.len() > 5 {
            row.remove(5);
        }
    }
    let no_weights = files.path().join("no-weights.xlsx");
    write_xlsx(&rows, &merges, &no_weights);
    let (ok, output) = jixiao(&[
        "import",
        no_weights.to_str().unwrap(),
        "--department",
        "X",
        "--dry-run",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    assert!(
        output.contains("starts an indicator header without a 分值 column"),
        "{output}"
    );
    assert!(output.contains("weights_incomplete"), "{output}");
}

/// `jixiao serve` gives the evaluator's frameworks directory to its ingestion service too: a
/// table imported for a bureau's own framework is accepted and scored under it.
#[test]
fn a_bureaus_framework_serves_both_services_of_one_process() {
    let files = tempfile::tempdir().unwrap();
    let frameworks = files.path().join("frameworks");
    std::fs::create_dir(&frameworks).unwrap();
    let anhui = include_str!("../../jixiao-scoring/frameworks/central-2020.toml")
        .replace("name = \"central-2020\"", "name = \"anhui-2022\"");
    std::fs::write(frameworks.join("anhui.toml"), anhui).unwrap();
    let setting = format!("frameworks_dir={}", frameworks.display());
    let (mut system, ingest, evaluator) = serve(&["--evaluator-set", &setting]);
    let (rows, merges) = layout(&case("F04"));
    let path = files.path().join("F04.xlsx");
    write_xlsx(&rows, &merges, &path);
    let (ok, output) = jixiao(&[
        "import",
        path.to_str().unwrap(),
        "--department",
        "HB-FOOD",
        "--project",
        "HB-FOOD-P",
        "--framework",
        "anhui-2022",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let (ok, output) = jixiao(&[
        "evaluate",
        "2019",
        "--department",
        "HB-FOOD",
        "--evaluator",
        &evaluator,
    ]);
    assert!(ok, "{output}");
    let (ok, output) = jixiao(&[
        "explain",
        "HB-FOOD",
        "2019",
        "--project",
        "HB-FOOD-P",
        "--evaluator",
        &evaluator,
    ]);
    assert!(ok, "{output}");
    assert!(output.contains("framework anhui-2022"), "{output}");
    assert!(output.contains("97.24"), "{output}");
    assert!(system.terminate(Duration::from_secs(30)));
}

/// A table with rows the rules cannot judge: the import stores them, `jixiao reviews` lists
/// them with their reasons, `jixiao explain` says what each counts, and the exported 自评表
/// and report say which rows await a reviewer.
#[test]
fn rows_for_a_reviewer_are_listed_explained_and_exported() {
    let (_system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    let table = files.path().join("review.csv");
    let rows: Vec<Vec<String>> = [
        vec!["2022年度项目支出绩效自评表"],
        vec!["项目名称", "待复核项目"],
        vec![
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
        ],
        vec![
            "产出指标",
            "数量指标",
            "培训人数",
            "≥120人",
            "130人",
            "50",
            "50",
        ],
        vec![
            "产出指标",
            "成本指标",
            "成本控制",
            "≥50%且≤80万元",
            "60%",
            "20",
            "18",
        ],
        vec![
            "效益指标",
            "社会效益指标",
            "资金结余",
            "合理",
            "有结余",
            "20",
            "",
        ],
    ]
    .iter()
    .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
    .collect();
    write_csv(&rows, &table);
    let (ok, output) = jixiao(&[
        "import",
        table.to_str().unwrap(),
        "--department",
        "REVIEW",
        "--project",
        "REVIEW-P",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let score = evaluate_and_score(&evaluator, "REVIEW", "2022", "REVIEW-P");
    assert!(score.contains("(not graded)"), "{score}");

    let (ok, output) = jixiao(&["reviews", "2022", "--evaluator", &evaluator]);
    assert!(ok, "{output}");
    for expected in [
        "REVIEW-P 待复核项目 (REVIEW",
        "R02 成本控制",
        "counts the printed 18",
        "R03 资金结余",
        "no score yet, weight 20 (the total is provisional)",
        "actual as written: 有结余",
        "2 rows await a reviewer in 2022",
    ] {
        assert!(output.contains(expected), "{expected} not in\n{output}");
    }

    let (ok, output) = jixiao(&[
        "explain",
        "REVIEW",
        "2022",
        "--project",
        "REVIEW-P",
        "--evaluator",
        &evaluator,
    ]);
    assert!(ok, "{output}");
    assert!(
        output.contains("(not graded: awaiting_review)")
            && output.contains("for a reviewer:")
            && output.contains("the printed 得分 counts until a reviewer adjusts it")
            && output.contains("no score until a reviewer adjusts it"),
        "{output}"
    );

    let exported = files.path().join("review.md");
    let (ok, output) = jixiao(&[
        "export",
        "REVIEW",
        "2022",
        "--project",
        "REVIEW-P",
        "--format",
        "md",
        "--output",
        exported.to_str().unwrap(),
        "--evaluator",
        &evaluator,
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    let markdown = std::fs::read_to_string(&exported).unwrap();
    for expected in [
        "“成本控制”无法按规则判断",
        "暂按报送得分 18 分计，待复核",
        "“资金结余”无法按规则判断",
        "未报送得分，待复核评分",
    ] {
        assert!(markdown.contains(expected), "{expected} not in\n{markdown}");
    }
}

/// Writes the cells with an independent writer: a Word document whose table merges 一级指标
/// down its group (vMerge) under the title paragraph (python-docx), an Excel 97 workbook
/// (xlwt) or an OpenDocument spreadsheet (odfpy), each with the group merged as published.
const WRITE_OTHER: &str = r#"
import json, sys
rows, merges, kind, path = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
number = lambda text: float(text) if text.replace('.', '', 1).isdigit() else None
if kind == "docx":
    import docx
    document = docx.Document()
    document.add_paragraph(rows[0][0])
    body = rows[1:]
    width = max(len(row) for row in body)
    table = document.add_table(rows=len(body), cols=width)
    for r, row in enumerate(body):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    for first, last in merges:
        if last > first:
            top = table.cell(first - 1, 0)
            text = top.text
            merged = top.merge(table.cell(last - 1, 0))
            merged.text = text
    document.save(path)
elif kind == "xls":
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("自评表")
    merged = {(r, 0) for first, last in merges if last > first for r in range(first, last + 1)}
    for first, last in merges:
        if last > first:
            sheet.write_merge(first, last, 0, 0, rows[first][0])
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if (r, c) in merged or text == "":
                continue
            value = number(text) if c > 0 else None
            sheet.write(r, c, value if value is not None else text)
    book.save(path)
else:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow, TableCell, CoveredTableCell
    from odf.text import P
    document = OpenDocumentSpreadsheet()
    table = Table(name="自评表")
    spans = {first: last - first + 1 for first, last in merges if last > first}
    covered = {r for first, last in merges if last > first for r in range(first + 1, last + 1)}
    for r, row in enumerate(rows):
        line = TableRow()
        for c, text in enumerate(row):
            if c == 0 and r in covered:
                line.addElement(CoveredTableCell())
                continue
            value = number(text) if c > 0 else None
            attributes = {"numberrowsspanned": spans[r]} if c == 0 and r in spans else {}
            if value is not None:
                cell = TableCell(valuetype="float", value=value, **attributes)
            else:
                cell = TableCell(valuetype="string", **attributes)
            cell.addElement(P(text=text))
            line.addElement(cell)
        table.addElement(line)
    document.spreadsheet.addElement(table)
    document.save(path)
"#;

/// The same published table read from `.docx`, `.xls` and `.ods` files made by other writers
/// scores as its `.xlsx` does.
#[test]
fn word_documents_and_older_spreadsheets_import_as_workbooks_do() {
    let (_system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    let (rows, merges) = layout(&case("F16"));
    let rows_file = files.path().join("rows.json");
    let merges_file = files.path().join("merges.json");
    std::fs::write(&rows_file, serde_json::to_string(&rows).unwrap()).unwrap();
    std::fs::write(&merges_file, serde_json::to_string(&merges).unwrap()).unwrap();
    let script = files.path().join("write.py");
    std::fs::write(&script, WRITE_OTHER).unwrap();
    let mut first_read: Option<Vec<String>> = None;
    for kind in ["docx", "xls", "ods"] {
        let path = files.path().join(format!("F16.{kind}"));
        let output = Command::new("python3")
            .args([
                script.to_str().unwrap(),
                rows_file.to_str().unwrap(),
                merges_file.to_str().unwrap(),
                kind,
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let department = format!("OTHER-{}", kind.to_uppercase());
        let project = format!("{department}-P");
        let (ok, output) = jixiao(&[
            "import",
            path.to_str().unwrap(),
            "--department",
            &department,
            "--project",
            &project,
            "--framework",
            "hubei-2020",
            "--ingest",
            &ingest,
        ]);
        assert!(ok, "{kind}: {output}");
        assert!(output.contains(": stored unit "), "{kind}: {output}");
        // Every row read alike, 一级指标 carried over its merged group.
        let read: Vec<&str> = output
            .lines()
            .filter(|line| line.starts_with("  R0"))
            .collect();
        assert_eq!(read.len(), 4, "{kind}: {output}");
        assert!(
            read[1].starts_with("  R02 [产出指标/质量指标]"),
            "{kind}: {output}"
        );
        if let Some(first) = &first_read {
            assert_eq!(&read, first, "{kind}");
        }
        first_read = Some(
            read.iter()
                .map(|line| (*line).to_owned())
                .collect::<Vec<_>>(),
        );
        let score = evaluate_and_score(&evaluator, &department, "2020", &project);
        assert!(score.contains(": 100.00 优"), "{kind}: {score}\n{output}");
    }
}

/// A monitoring table (绩效运行监控表, 1-6月): its figures are the year to date at the end of
/// Q2, its projections for the year are stored, shown and compared with the targets.
#[test]
fn a_monitoring_table_is_read_as_of_its_quarter_with_its_projections() {
    let (_system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    let table = files.path().join("monitoring.csv");
    let rows: Vec<Vec<String>> = [
        vec!["2022年1-6月项目支出绩效运行监控表"],
        vec!["项目名称", "监控项目"],
        vec!["全年预算数", "1-6月执行数", "执行率", "全年预计执行数"],
        vec!["100", "45", "45%", "96"],
        vec![
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "1-6月实际完成值",
            "全年预计完成值",
            "完成目标可能性",
            "原因分析",
        ],
        vec![
            "产出指标",
            "数量指标",
            "培训人数",
            "≥120人",
            "50人",
            "100人",
            "有可能",
            "报名不足",
        ],
        vec![
            "产出指标",
            "质量指标",
            "合格率",
            "≥95%",
            "96%",
            "96%",
            "确定能",
            "",
        ],
    ]
    .iter()
    .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
    .collect();
    write_csv(&rows, &table);
    let (ok, output) = jixiao(&[
        "import",
        table.to_str().unwrap(),
        "--department",
        "MON",
        "--project",
        "MON-P",
        "--ingest",
        &ingest,
    ]);
    assert!(ok, "{output}");
    // The actual column is the year to date, never the projection.
    assert!(output.contains("培训人数: ≥120人 → 50人"), "{output}");
    let (ok, output) = jixiao(&[
        "evaluate",
        "2022-Q2",
        "--department",
        "MON",
        "--evaluator",
        &evaluator,
    ]);
    assert!(ok, "{output}");
    let (ok, output) = jixiao(&[
        "explain",
        "MON",
        "2022-Q2",
        "--project",
        "MON-P",
        "--evaluator",
        &evaluator,
    ]);
    assert!(ok, "{output}");
    for expected in [
        "— 2022-Q2:",
        "E 45.00 万元 / A 100.00 万元",
        "actual as written: 50人 (2022-Q2)",
        "projected for the year: 100人 (完成目标可能性: 有可能)",
        "projected for the year: 96% (完成目标可能性: 确定能)",
        "projected_shortfall: R01",
        "projected for the year (全年预计执行数): 96.00 万元",
    ] {
        assert!(output.contains(expected), "{expected} not in\n{output}");
    }
    assert_eq!(output.matches("projected_shortfall").count(), 1, "{output}");
}

/// The national project form (财预〔2020〕10号): `绩效指标` merged down the left of the
/// indicator block, the 年度总体目标 block above it. Rows are named by 三级指标, the block's
/// texts are stored, explained, exported in the 自评表 (and read back from it) and in the
/// report's 基本情况.
#[test]
fn the_national_form_keeps_its_overall_target_block_through_export_and_back() {
    let (_system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    let table = files.path().join("national.csv");
    let rows: Vec<Vec<String>> = [
        &["项目支出绩效自评表"][..],
        &["（2022年度）"],
        &["项目名称", "国家形式项目"],
        &["主管部门", "某局", "", "实施单位", "某中心"],
        &[
            "项目资金（万元）",
            "",
            "年初预算数",
            "全年预算数",
            "全年执行数",
            "分值",
            "执行率",
            "得分",
        ],
        &["", "年度资金总额", "100", "100", "90", "10", "90%", "9"],
        &["年度总体目标", "预期目标", "", "", "实际完成情况"],
        &["", "完成培训任务120人次", "", "", "完成培训130人次"],
        &[
            "绩效指标",
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
            "",
            "产出指标",
            "数量指标",
            "培训人次",
            "≥120人次",
            "130人次",
            "50",
            "50",
            "",
        ],
        &[
            "",
            "效益指标",
            "社会效益指标",
            "群众满意",
            "有效提升",
            "达成预期指标",
            "30",
            "30",
            "",
        ],
        &[
            "",
            "满意度指标",
            "服务对象满意度指标",
            "满意度",
            "≥90%",
            "95%",
            "10",
            "10",
            "",
        ],
        &["总分", "", "", "", "", "", "100", "99"],
    ]
    .iter()
    .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
    .collect();
    write_csv(&rows, &table);
    let import = |path: &Path, department: &str| {
        let (ok, output) = jixiao(&[
            "import",
            path.to_str().unwrap(),
            "--department",
            department,
            "--project",
            &format!("{department}-P"),
            "--ingest",
            &ingest,
        ]);
        assert!(ok, "{output}");
        output
    };
    let output = import(&table, "NAT");
    for expected in [
        "R01 [产出指标/数量指标] 培训人次: ≥120人次 → 130人次",
        "年度总体目标 · 预期目标: 完成培训任务120人次",
        "年度总体目标 · 实际完成情况: 完成培训130人次",
        "unit NAT 某中心",
    ] {
        assert!(output.contains(expected), "{expected} not in\n{output}");
    }
    assert!(!output.contains("] 绩效指标:"), "{output}");
    let explain = |department: &str| {
        let score = evaluate_and_score(&evaluator, department, "2022", &format!("{department}-P"));
        assert!(score.contains(": 99.00 优"), "{score}");
        let (ok, output) = jixiao(&[
            "explain",
            department,
            "2022",
            "--project",
            &format!("{department}-P"),
            "--evaluator",
            &evaluator,
        ]);
        assert!(ok, "{output}");
        output
    };
    let explained = explain("NAT");
    assert!(
        explained.contains("年度总体目标 · 预期目标: 完成培训任务120人次")
            && explained.contains("年度总体目标 · 实际完成情况: 完成培训130人次"),
        "{explained}"
    );
    let export = |format: &str| {
        let path = files.path().join(format!("NAT.{format}"));
        let (ok, output) = jixiao(&[
            "export",
            "NAT",
            "2022",
            "--project",
            "NAT-P",
            "--format",
            format,
            "--output",
            path.to_str().unwrap(),
            "--evaluator",
            &evaluator,
            "--ingest",
            &ingest,
        ]);
        assert!(ok, "{output}");
        path
    };
    let report = python(READ_DOCX, &export("docx"));
    assert!(
        report.contains("年度总体目标：完成培训任务120人次")
            && report.contains("实际完成情况：完成培训130人次"),
        "{report}"
    );
    // The filled 自评表 reads back with its block.
    let output = import(&export("xlsx"), "NAT2");
    assert!(
        output.contains("年度总体目标 · 预期目标: 完成培训任务120人次")
            && output.contains("年度总体目标 · 实际完成情况: 完成培训130人次"),
        "{output}"
    );
    assert!(explain("NAT2").contains("年度总体目标 · 实际完成情况: 完成培训130人次"));
}

/// Writes a generated table as a workbook with its merged regions (text in their first cell).
fn write_generated_xlsx(table: &jixiao_testkit::tables::GeneratedTable, path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in table.cells.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    let format = rust_xlsxwriter::Format::new();
    for &(first, last, column) in &table.merges {
        let text = &table.cells[first][column];
        sheet
            .merge_range(
                first as u32,
                column as u16,
                last as u32,
                column as u16,
                text,
                &format,
            )
            .unwrap();
    }
    workbook.save(path).unwrap();
}

/// The rows of a subject's target set as stored: (一级指标 as written, 三级指标, 年度指标值).
fn stored_rows(ingest: &str, department: &str, project: &str, year: i32) -> Vec<[String; 3]> {
    let (ok, output) = jixiao_testkit::call(
        ingest,
        "jixiao.ingest.v1.IngestService/GetTargets",
        &format!(
            r#"{{"departmentCode": "{department}", "projectCode": "{project}", "year": {year}}}"#
        ),
    );
    assert!(ok, "{output}");
    let answer: Value = serde_json::from_str(&output).unwrap();
    answer["targetSet"]["targets"]
        .as_array()
        .map(|targets| {
            targets
                .iter()
                .map(|target| {
                    let level1 = text(&target["level1AsWritten"]);
                    [
                        if level1.is_empty() {
                            text(&target["level1"])
                        } else {
                            level1
                        },
                        text(&target["name"]),
                        text(&target["targetText"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Generated tables of random words in the layouts of TABLES.md §7, through the real service:
/// the dry run says what the import then stores, every row is stored with its texts, every
/// row is judged or listed for a reviewer, and the exported 自评表 imports back the same.
#[test]
fn generated_tables_import_as_checked_and_come_back_from_export_the_same() {
    use proptest::strategy::{Strategy, ValueTree};
    let (_system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    let address = ingest.trim_start_matches("http://").to_owned();
    let evaluator_address = evaluator.trim_start_matches("http://").to_owned();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for case in 0..6 {
        let generated = jixiao_testkit::tables::table()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let department = format!("GEN{case}");
        let project = format!("{department}-P");
        let path = files.path().join(format!(
            "gen{case}.{}",
            if case % 2 == 0 { "xlsx" } else { "csv" }
        ));
        if case % 2 == 0 {
            write_generated_xlsx(&generated, &path);
        } else {
            write_csv(&generated.cells, &path);
        }
        let import = |path: &Path, department: &str, dry_run: bool| {
            let project = format!("{department}-P");
            let mut args = vec![
                "import",
                path.to_str().unwrap(),
                "--department",
                department,
                "--project",
                &project,
                "--ingest",
                &ingest,
            ];
            if dry_run {
                args.push("--dry-run");
            }
            let (ok, output) = jixiao(&args);
            assert!(ok, "case {case}: {output}\n{:?}", generated.cells);
            output
                .lines()
                .find(|line| line.starts_with("[1/1]"))
                .unwrap_or_else(|| panic!("case {case}: {output}"))
                .to_owned()
        };
        let checked = import(&path, &department, true);
        let stored = import(&path, &department, false);
        assert_eq!(
            checked.replace("would store", "stored"),
            stored,
            "case {case}: the dry run said otherwise"
        );
        let written: Vec<[String; 3]> = generated
            .rows
            .iter()
            .map(|row| [row.level1.clone(), row.name.clone(), row.target.clone()])
            .collect();
        assert_eq!(
            stored_rows(&address, &department, &project, generated.year),
            written,
            "case {case}"
        );

        // Every row judged by rule or listed for a reviewer with its reason.
        let year = generated.year.to_string();
        let score = evaluate_and_score(&evaluator, &department, &year, &project);
        let snapshot_id = score
            .split("(snapshot ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap()
            .to_owned();
        let (ok, output) = jixiao_testkit::call(
            &evaluator_address,
            "jixiao.evaluator.v1.EvaluatorService/GetSnapshot",
            &format!(r#"{{"snapshotId": "{snapshot_id}"}}"#),
        );
        assert!(ok, "{output}");
        let snapshot: Value = serde_json::from_str(&output).unwrap();
        let indicators = snapshot["snapshot"]["indicators"].as_array().unwrap();
        assert_eq!(indicators.len(), generated.rows.len(), "case {case}");
        let for_review = indicators
            .iter()
            .filter(|row| !text(&row["reviewReason"]).is_empty())
            .count();
        let (ok, output) = jixiao_testkit::call(
            &evaluator_address,
            "jixiao.evaluator.v1.EvaluatorService/ListPendingReviews",
            &format!(
                r#"{{"period": "{year}", "departmentCode": "{department}", "pageSize": 200}}"#
            ),
        );
        assert!(ok, "{output}");
        let pending: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(
            pending["reviews"].as_array().map_or(0, Vec::len),
            for_review,
            "case {case}: {output}"
        );

        // Out as a filled 自评表 and in again: the same rows.
        let exported = files.path().join(format!("gen{case}-out.xlsx"));
        let (ok, output) = jixiao(&[
            "export",
            &department,
            &year,
            "--project",
            &project,
            "--format",
            "xlsx",
            "--output",
            exported.to_str().unwrap(),
            "--evaluator",
            &evaluator,
            "--ingest",
            &ingest,
        ]);
        assert!(ok, "{output}");
        let again = format!("GEN{case}B");
        import(&exported, &again, false);
        assert_eq!(
            stored_rows(&address, &again, &format!("{again}-P"), generated.year),
            written,
            "case {case}: the exported table read back otherwise"
        );
    }
}

/// A case's table in the national form: `绩效指标` merged down the left of the indicator
/// block, and the 年度总体目标 block above it.
fn national_layout(case: &Value) -> (Vec<Vec<String>>, Vec<(usize, usize)>) {
    let (rows, _) = layout(case);
    let header = rows
        .iter()
        .position(|row| row.first().is_some_and(|cell| cell == "一级指标"))
        .unwrap();
    let mut out: Vec<Vec<String>> = rows[..header].to_vec();
    out.push(vec![
        "年度总体目标".into(),
        "预期目标".into(),
        String::new(),
        String::new(),
        "实际完成情况".into(),
    ]);
    out.push(vec![
        String::new(),
        "按计划完成年度任务".into(),
        String::new(),
        String::new(),
        "已完成".into(),
    ]);
    for (index, row) in rows[header..].iter().enumerate() {
        let mut shifted = vec![if index == 0 {
            "绩效指标".to_owned()
        } else {
            String::new()
        }];
        shifted.extend(row.iter().cloned());
        out.push(shifted);
    }
    (out, Vec::new())
}

/// A case's table in the Yunnan form: the target written as 指标性质 | 指标值 | 度量单位.
fn yunnan_layout(case: &Value) -> (Vec<Vec<String>>, Vec<(usize, usize)>) {
    let (rows, _) = layout(case);
    let header = rows
        .iter()
        .position(|row| row.first().is_some_and(|cell| cell == "一级指标"))
        .unwrap();
    let mut out: Vec<Vec<String>> = rows[..header].to_vec();
    for (index, row) in rows[header..].iter().enumerate() {
        let mut split = row.clone();
        if split.len() > 3 {
            let target = split.remove(3);
            let parts = if index == 0 {
                [
                    "指标性质".to_owned(),
                    "指标值".to_owned(),
                    "度量单位".to_owned(),
                ]
            } else {
                let nature: String = target
                    .chars()
                    .take_while(|c| "≥≤=<>＞＜≧≦﹦═".contains(*c))
                    .collect();
                let rest = &target[nature.len()..];
                let value: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                if value.is_empty() {
                    ["定性".to_owned(), target.clone(), String::new()]
                } else {
                    [nature, value.clone(), rest[value.len()..].to_owned()]
                }
            };
            for (offset, part) in parts.into_iter().enumerate() {
                split.insert(3 + offset, part);
            }
        }
        out.push(split);
    }
    (out, Vec::new())
}

/// The published tables in the national form and the Yunnan form score as in their own
/// layout, with the project and the unit named from 项目名称 and 实施单位.
#[test]
fn published_tables_in_the_national_and_yunnan_forms_score_as_published() {
    let (_system, ingest, evaluator) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    for (id, framework, expected) in [
        ("F01", "", "90.00 优"),
        ("F04", "", "97.24 优"),
        ("F08a", "", "90.00 优"),
        ("F16", "hubei-2020", "100.00 优"),
    ] {
        let case = case(id);
        let year = text(&case["year"]);
        let year = if year.is_empty() {
            "2022".to_owned()
        } else {
            year
        };
        for (form, (rows, _)) in [
            ("national", national_layout(&case)),
            ("yunnan", yunnan_layout(&case)),
        ] {
            let path = files.path().join(format!("{id}-{form}.csv"));
            write_csv(&rows, &path);
            let department = format!("{id}-{form}").to_uppercase();
            let project = format!("{department}-P");
            let (ok, output) = jixiao(&[
                "import",
                path.to_str().unwrap(),
                "--department",
                &department,
                "--project",
                &project,
                "--framework",
                framework,
                "--year",
                &year,
                "--ingest",
                &ingest,
            ]);
            assert!(ok, "{id} {form}: {output}");
            let unit = text(&case["department"])
                .split_once(" — ")
                .map(|(unit, _)| unit.to_owned())
                .unwrap();
            assert!(
                output.contains(&format!("unit {department} {unit}")),
                "{id} {form}: {output}"
            );
            assert!(!output.contains("] 绩效指标:"), "{id} {form}: {output}");
            // Every target reads as written, the Yunnan form's three cells as one text.
            for row in case["indicators"].as_array().unwrap() {
                let line = format!("{}: {} → ", text(&row["name"]), text(&row["target_text"]));
                assert!(
                    output.contains(&line),
                    "{id} {form}: {line} not in\n{output}"
                );
            }
            let score = evaluate_and_score(&evaluator, &department, &year, &project);
            assert!(
                score.contains(&format!(": {expected}")),
                "{id} {form}: {score}\n{output}"
            );
        }
    }
}

/// `jixiao import … | head`: the command ends quietly when its reader goes away, never with
/// a panic.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let (_system, ingest, _) = serve(&[]);
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("long.csv");
    let mut rows = vec![
        vec!["2022年度项目支出绩效自评表".to_owned()],
        vec!["项目名称".to_owned(), "长表项目".to_owned()],
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for index in 0..400 {
        rows.push(
            [
                "产出指标".to_owned(),
                "数量指标".to_owned(),
                format!("指标{index}"),
                "≥1个".to_owned(),
                "1个".to_owned(),
                "0.2".to_owned(),
            ]
            .to_vec(),
        );
    }
    write_csv(&rows, &path);
    let script = format!(
        "{JIXIAO} import {} --department LONG --dry-run --ingest {ingest} | head -n 1; echo \"status ${{PIPESTATUS[0]}}\"",
        path.display()
    );
    let output = Command::new("bash").args(["-c", &script]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.contains("status 141") || stdout.contains("status 0"),
        "{stdout}\n{stderr}"
    );
}
