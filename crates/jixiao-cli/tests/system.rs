//! End to end: `jixiao serve` runs the whole system; an administrator pushes the source
//! report's 2022 figures with grpcurl, runs the self-evaluation, and reads every score's
//! explanation with grpcurl and with the `jixiao` command.

use std::time::Duration;

use jixiao_testkit::{Process, call, grpcurl, run};

const INGEST: &str = "jixiao.ingest.v1.IngestService";
const EVALUATOR: &str = "jixiao.evaluator.v1.EvaluatorService";
const JIXIAO: &str = env!("CARGO_BIN_EXE_jixiao");

fn ok(result: (bool, String)) -> String {
    assert!(result.0, "{}", result.1);
    result.1
}

#[test]
fn the_whole_system_scores_the_source_report_and_explains_it_over_grpcurl() {
    let mut system = Process::start(
        JIXIAO,
        &[
            "serve",
            "--ingest-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "schedule.catch_up_days=0",
        ],
        &["ingest", "evaluator"],
    );
    let ingest = system.address("ingest").to_owned();
    let evaluator = system.address("evaluator").to_owned();

    let listed = ok(grpcurl(&["-plaintext", &evaluator, "list"]));
    assert!(listed.contains(EVALUATOR), "{listed}");
    let described = ok(grpcurl(&[
        "-plaintext",
        &evaluator,
        "describe",
        "jixiao.evaluator.v1.Snapshot",
    ]));
    assert!(
        described.contains("repeated .jixiao.evaluator.v1.Flag flags"),
        "{described}"
    );

    ok(call(
        &ingest,
        &format!("{INGEST}/UpsertDepartment"),
        r#"{"department": {"code": "BY-LAND", "name": "广州市白云区土地资源利用和保护中心"}}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/SetTargets"),
        r#"{"departmentCode": "BY-LAND", "year": 2022, "requestId": "targets-2022", "targets": [
          {"indicatorCode": "O1", "name": "到期地块巡查宗数", "level1": "产出", "level2": "数量", "metricCode": "land.supervision.inspected", "comparator": ">=", "targetValue": "480", "unit": "宗", "weight": "30"},
          {"indicatorCode": "O2", "name": "建设用地供应宗数", "level1": "产出", "level2": "数量", "metricCode": "land.supply.parcels", "comparator": ">=", "targetValue": "70", "unit": "宗", "weight": "20"},
          {"indicatorCode": "E1", "name": "土地出让金", "level1": "效益", "level2": "经济", "metricCode": "land.transfer.revenue", "comparator": ">=", "targetValue": "150", "unit": "亿元", "weight": "30"},
          {"indicatorCode": "S1", "name": "服务对象满意度", "level1": "满意度", "level2": "服务对象满意度", "metricCode": "satisfaction.rate", "comparator": ">=", "targetValue": "100", "unit": "%", "weight": "10"}]}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/PushMetrics"),
        r#"{"requestId": "budget-2022", "source": "budget", "points": [
          {"departmentCode": "BY-LAND", "metricCode": "budget.initial", "period": "2022", "value": "789.64", "unit": "万元"},
          {"departmentCode": "BY-LAND", "metricCode": "budget.adjusted", "period": "2022", "value": "816.10", "unit": "万元"},
          {"departmentCode": "BY-LAND", "metricCode": "budget.executed", "period": "2022", "value": "790.85", "unit": "万元"},
          {"departmentCode": "BY-LAND", "metricCode": "budget.execution_rate_reported", "period": "2022", "value": "96.61", "unit": "%"},
          {"departmentCode": "BY-LAND", "metricCode": "procurement.contracts_filed_late", "period": "2022", "value": "1", "unit": "件"},
          {"departmentCode": "BY-LAND", "metricCode": "procurement.sme_field_missing", "period": "2022", "value": "1", "unit": "件"}]}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/PushMetrics"),
        r#"{"requestId": "land-2022", "source": "land", "points": [
          {"departmentCode": "BY-LAND", "metricCode": "land.supervision.inspected", "period": "2022", "value": "487", "unit": "宗"},
          {"departmentCode": "BY-LAND", "metricCode": "land.supply.parcels", "period": "2022", "value": "76", "unit": "宗"},
          {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022", "value": "420.58", "unit": "公顷"},
          {"departmentCode": "BY-LAND", "metricCode": "land.transfer.revenue", "period": "2022", "value": "205.55", "unit": "亿元", "note": "含机场三期扩建等重点项目出让"},
          {"departmentCode": "BY-LAND", "metricCode": "land.transfer.area", "period": "2022", "value": "2684.45", "unit": "亩"},
          {"departmentCode": "BY-LAND", "metricCode": "satisfaction.rate", "period": "2022", "value": "94.4", "unit": "%"}]}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/PushMetrics"),
        r#"{"requestId": "report-2022", "source": "report", "points": [
          {"departmentCode": "BY-LAND", "metricCode": "land.transfer.area", "period": "2022", "value": "2301.75", "unit": "亩"}]}"#,
    ));

    let answer = ok(call(
        &evaluator,
        &format!("{EVALUATOR}/RunEvaluation"),
        r#"{"period": "2022"}"#,
    ));
    assert!(answer.contains("RUN_STATUS_SUCCEEDED"), "{answer}");
    assert!(answer.contains(r#""total": "97.63""#), "{answer}");

    let score = ok(call(
        &evaluator,
        &format!("{EVALUATOR}/GetScore"),
        r#"{"departmentCode": "BY-LAND", "period": "2022"}"#,
    ));
    assert!(
        score.contains(r#""total": "97.63""#) && score.contains(r#""grade": "优""#),
        "{score}"
    );
    let snapshot_id = score
        .split(r#""snapshotId": ""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    let snapshot = ok(call(
        &evaluator,
        &format!("{EVALUATOR}/GetSnapshot"),
        &format!(r#"{{"snapshotId": "{snapshot_id}"}}"#),
    ));
    for expected in [
        r#""score": "9.69""#,
        r#""rate": "96.91""#,
        r#""indicatorTotal": "89.44""#,
        r#""deductionTotal": "1.50""#,
        r#""reason": "政府采购合同未在签订后2个工作日内备案""#,
        r#""code": "reported_rate_mismatch""#,
        r#""name": "difference_points""#,
        r#""value": "0.30""#,
        r#""code": "source_conflict""#,
        r#""value": "2301.75""#,
        r#""frameworkName": "central-2020""#,
        r#""light": "LIGHT_GREEN""#,
        r#""light": "LIGHT_BLUE""#,
    ] {
        assert!(
            snapshot.contains(expected),
            "{expected} missing from {snapshot}"
        );
    }
    assert!(
        !snapshot.contains("over_achievement"),
        "the revenue's note explains it: {snapshot}"
    );

    let framework = ok(call(&evaluator, &format!("{EVALUATOR}/GetFramework"), "{}"));
    assert!(framework.contains(r#""budgetWeight": "10""#), "{framework}");
    let runs = ok(call(&evaluator, &format!("{EVALUATOR}/ListRuns"), "{}"));
    assert!(runs.contains("RUN_TRIGGER_MANUAL"), "{runs}");

    let evaluator_url = format!("http://{evaluator}");
    let explained = ok(run(
        JIXIAO,
        &["explain", "BY-LAND", "2022", "--evaluator", &evaluator_url],
    ));
    assert!(explained.contains("97.63 优"), "{explained}");
    assert!(explained.contains("reported_rate_mismatch"), "{explained}");
    // Figures as a report prints them: Chinese unit names, money with 2 decimals.
    assert!(
        explained.contains("E 790.85 万元 / A 816.10 万元 (I 789.64 万元)"),
        "{explained}"
    );
    assert!(explained.contains("actual 487 个"), "{explained}");
    assert!(!explained.contains("wan_yuan"), "{explained}");
    assert!(!explained.contains("487 count"), "{explained}");
    // Priority decided the land transfer area (land 10 against report 0), not arrival.
    assert!(
        explained.contains("land counts (priority 10, the highest priority among them)"),
        "{explained}"
    );
    let scored = ok(run(
        JIXIAO,
        &["score", "BY-LAND", "2022", "--evaluator", &evaluator_url],
    ));
    assert!(scored.contains("BY-LAND 2022: 97.63 优"), "{scored}");
    // A project of the department, as its 自评表 writes it, read with the command.
    ok(call(
        &ingest,
        &format!("{INGEST}/UpsertProject"),
        r#"{"project": {"code": "BY-LAND-P01", "name": "用地报批技术服务及供后监管工作经费", "departmentCode": "BY-LAND", "firstYear": 2022, "lastYear": 2022}}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/SetTargets"),
        r#"{"departmentCode": "BY-LAND", "projectCode": "BY-LAND-P01", "year": 2022, "targets": [
          {"indicatorCode": "P1", "name": "到期地块巡查宗数", "level1": "产出指标", "level2": "数量指标", "targetText": "≥480宗", "weight": "50"},
          {"indicatorCode": "P2", "name": "对土地节约集约利用的影响", "level1": "效益指标", "level2": "社会效益指标", "targetText": "效果明显", "weight": "30"},
          {"indicatorCode": "P3", "name": "服务对象满意度", "level1": "满意度指标", "level2": "服务对象满意度指标", "targetText": "≥90%", "weight": "10"}]}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/PushMetrics"),
        r#"{"source": "budget", "points": [
          {"departmentCode": "BY-LAND", "projectCode": "BY-LAND-P01", "metricCode": "budget.adjusted", "period": "2022", "value": "142.27", "unit": "万元"},
          {"departmentCode": "BY-LAND", "projectCode": "BY-LAND-P01", "metricCode": "budget.executed", "period": "2022", "value": "142.27", "unit": "万元"}]}"#,
    ));
    ok(call(
        &ingest,
        &format!("{INGEST}/ReportActuals"),
        r#"{"actuals": [
          {"departmentCode": "BY-LAND", "projectCode": "BY-LAND-P01", "indicatorCode": "P1", "period": "2022", "actualText": "487宗"},
          {"departmentCode": "BY-LAND", "projectCode": "BY-LAND-P01", "indicatorCode": "P2", "period": "2022", "actualText": "部分达成"},
          {"departmentCode": "BY-LAND", "projectCode": "BY-LAND-P01", "indicatorCode": "P3", "period": "2022", "actualText": "94.4%"}]}"#,
    ));
    ok(run(
        JIXIAO,
        &["evaluate", "2022", "--evaluator", &evaluator_url],
    ));
    let project = ok(run(
        JIXIAO,
        &[
            "score",
            "BY-LAND",
            "2022",
            "--project",
            "BY-LAND-P01",
            "--evaluator",
            &evaluator_url,
        ],
    ));
    // 10 + 50 + 30 × 70% + 10 = 91.
    assert!(
        project.contains("BY-LAND project BY-LAND-P01 2022: 91.00 优"),
        "{project}"
    );
    let listed = ok(run(
        JIXIAO,
        &["projects", "BY-LAND", "2022", "--evaluator", &evaluator_url],
    ));
    assert!(
        listed.contains("BY-LAND-P01") && listed.contains("91.00"),
        "{listed}"
    );
    let explained = ok(run(
        JIXIAO,
        &[
            "explain",
            "BY-LAND",
            "2022",
            "--project",
            "BY-LAND-P01",
            "--evaluator",
            &evaluator_url,
        ],
    ));
    for expected in [
        "用地报批技术服务及供后监管工作经费 (项目支出 of BY-LAND",
        "target as written: ≥480宗",
        "actual as written: 部分达成 (2022)",
        "部分达成, the framework's default 70%",
    ] {
        assert!(
            explained.contains(expected),
            "{expected} missing from {explained}"
        );
    }
    let (succeeded, refused) = run(
        JIXIAO,
        &["evaluate", "2022-Q5", "--evaluator", &evaluator_url],
    );
    assert!(!succeeded);
    assert!(refused.starts_with("error: InvalidArgument"), "{refused}");

    assert!(system.data_dir().join("ingest.sqlite").exists());
    assert!(system.data_dir().join("evaluator.sqlite").exists());
    assert!(
        system.terminate(Duration::from_secs(30)),
        "SIGTERM stops both services cleanly"
    );
}

#[test]
fn the_system_starts_whatever_else_the_environment_holds() {
    // Kubernetes' service links for both Services, and the command-line tool's own variable
    // that the README tells users to export.
    let env = [
        ("JIXIAO_INGEST_PORT", "tcp://10.96.0.10:50051"),
        ("JIXIAO_INGEST_PORT_50051_TCP", "tcp://10.96.0.10:50051"),
        ("JIXIAO_INGEST_SERVICE_HOST", "10.96.0.10"),
        ("JIXIAO_INGEST_SERVICE_PORT", "50051"),
        ("JIXIAO_EVALUATOR_PORT", "tcp://10.96.0.11:50052"),
        ("JIXIAO_EVALUATOR_SERVICE_HOST", "10.96.0.11"),
        ("JIXIAO_EVALUATOR_URL", "http://localhost:50052"),
    ];
    let system = Process::start_with_env(
        JIXIAO,
        &[
            "serve",
            "--ingest-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "schedule.enabled=false",
        ],
        &env,
        &["ingest", "evaluator"],
        tempfile::tempdir().unwrap(),
    );
    ok(call(
        system.address("ingest"),
        &format!("{INGEST}/ListDepartments"),
        "{}",
    ));
    let warning = system
        .wait_for_log(&["JIXIAO_EVALUATOR_URL"], Duration::from_secs(10))
        .expect("the ignored variables are logged");
    assert!(warning.contains("name no setting"), "{warning}");
    // A misspelt key in a flag is still an error naming it.
    let (started, output) = run(
        JIXIAO,
        &["serve", "--evaluator-set", "schedule.enabeld=false"],
    );
    assert!(!started, "{output}");
    assert!(output.contains("schedule.enabeld"), "{output}");
}
