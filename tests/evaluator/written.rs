//! The field cases whose weights add up under central-2020, entered as written (targets, budget
//! figures, actuals) over gRPC and scored for their year: each row scores what the SCORING.md
//! column of the field notes gives (central-2020's formulas on the row as published).

use jixiao::evaluator::v1 as pb;
use jixiao::ingest::v1 as ingest_pb;

use crate::field::{Case, budget_points, case, reported_total, written_actuals, written_targets};
use crate::ingest_support::TestIngest;
use crate::support::{TestEvaluator, evaluator_config};

/// Enters case `id` as written (its department, and its project for a project table) and
/// scores its year; the snapshot of its subject.
async fn score_case(
    ingest: &mut TestIngest,
    evaluator: &mut TestEvaluator,
    id: &str,
) -> pb::Snapshot {
    let case = case(id);
    let targets = case.set_targets();
    score_with(ingest, evaluator, &case, targets).await
}

/// Enters a case with `targets` as its target set, its budget figures, printed total and
/// actuals as written, and scores its year; the snapshot of its subject.
pub(crate) async fn score_with(
    ingest: &mut TestIngest,
    evaluator: &mut TestEvaluator,
    case: &Case,
    targets: ingest_pb::SetTargetsRequest,
) -> pb::Snapshot {
    let id = &case.id;
    let subject = case.register(&mut ingest.client).await;
    ingest
        .client
        .set_targets(targets)
        .await
        .unwrap_or_else(|status| panic!("{id}: {status:?}"));
    let mut budget = budget_points(case);
    budget.extend(reported_total(case));
    if !budget.is_empty() {
        ingest.push("", "budget", budget).await.unwrap();
    }
    let actuals = written_actuals(case);
    if !actuals.is_empty() {
        ingest
            .client
            .report_actuals(ingest_pb::ReportActualsRequest {
                validate_only: false,
                request_id: format!("actuals-{id}"),
                actuals,
            })
            .await
            .unwrap_or_else(|status| panic!("{id}: {status:?}"));
    }
    let answer = evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: case.year().to_string(),
            department_codes: vec![subject.department_code.clone()],
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let summary = answer
        .snapshots
        .iter()
        .find(|summary| summary.project_code == subject.project_code)
        .unwrap_or_else(|| panic!("{id}: no snapshot of its subject in {answer:?}"));
    evaluator.snapshot(&summary.snapshot_id).await
}

fn scores(snapshot: &pb::Snapshot) -> Vec<&str> {
    snapshot
        .indicators
        .iter()
        .map(|row| row.score.as_str())
        .collect()
}

fn flagged(snapshot: &pb::Snapshot, code: &str) -> Vec<String> {
    snapshot
        .flags
        .iter()
        .filter(|flag| flag.code == code)
        .map(|flag| flag.subject.clone())
        .collect()
}

#[tokio::test]
async fn the_field_cases_that_add_up_score_as_the_notes_say_under_central_2020() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;

    // F01: six text targets met by 达成预期指标 (the default 100%), ≥50个 by 50, ≤90万元 by 90;
    // the last row is cut off in the source: no target, no actual.
    let f01 = score_case(&mut ingest, &mut evaluator, "F01").await;
    assert_eq!(
        scores(&f01),
        [
            "8.00", "8.00", "8.00", "8.00", "8.00", "10.00", "10.00", "10.00", "10.00", "0.00"
        ]
    );
    assert_eq!(f01.budget.as_ref().unwrap().score, "10.00");
    assert_eq!(f01.total, "90.00");
    assert_eq!(flagged(&f01, "missing_actual"), ["R10"]);
    let row = &f01.indicators[2];
    assert_eq!(row.target_text, "严格执行相关制度规定");
    assert_eq!(row.actual_text, "达成预期指标 (2022)");
    assert_eq!(
        row.read_as,
        "comparator qualitative inferred; 达成, the framework's default 100%"
    );
    assert_eq!(row.band, "达成");

    // F04: a bare 43.2 on a 数量 row (>= inferred) against 37.24, the 成本 row <= inferred.
    let f04 = score_case(&mut ingest, &mut evaluator, "F04").await;
    assert_eq!(
        scores(&f04),
        [
            "8.62", "10.00", "10.00", "10.00", "10.00", "10.00", "10.00", "10.00", "10.00"
        ]
    );
    assert_eq!(f04.budget.as_ref().unwrap().score, "8.62");
    assert_eq!(f04.total, "97.24");
    assert_eq!(f04.indicators[4].comparator, "<=");

    // F05: six rows print neither target nor actual: 0 each, with missing_actual.
    let f05 = score_case(&mut ingest, &mut evaluator, "F05").await;
    assert_eq!(
        scores(&f05),
        [
            "10.00", "10.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "10.00"
        ]
    );
    assert_eq!(flagged(&f05, "missing_actual").len(), 6);
    assert_eq!(f05.total, "40.00");
    // The unit printed 100: the six unfilled rows are why, and the snapshot says so.
    let mismatch = f05
        .flags
        .iter()
        .find(|flag| flag.code == "reported_total_mismatch")
        .unwrap();
    assert!(
        mismatch
            .message
            .contains("by 60 points at the table's precision"),
        "{}",
        mismatch.message
    );
    assert!(flagged(&f05, "over_achievement").is_empty());

    // F08a: one <= row of 90 points whose actual is the word 完成.
    let f08a = score_case(&mut ingest, &mut evaluator, "F08a").await;
    assert_eq!(scores(&f08a), ["90.00"]);
    assert_eq!(flagged(&f08a, "verdict_on_quantitative_row"), ["R01"]);
    assert!(!flagged(&f08a, "missing_budget").is_empty());

    // F09 and F10: weights that differ from 50/30/10 but add up; no actual printed.
    let f10 = score_case(&mut ingest, &mut evaluator, "F10").await;
    assert_eq!(scores(&f10), ["0.00", "0.00"]);
    assert_eq!(f10.total, "10.00");
    assert_eq!(flagged(&f10, "group_weights_adjusted").len(), 1);
    let f09 = score_case(&mut ingest, &mut evaluator, "F09").await;
    assert_eq!(scores(&f09), ["0.00", "0.00", "0.00", "0.00"]);
}

#[tokio::test]
async fn actuals_are_revised_idempotent_and_refused_whole_when_unreadable() {
    let mut ingest = TestIngest::start().await;
    let case = case("F01");
    ingest.upsert("TX", "棠溪镇", "").await;
    ingest
        .client
        .set_targets(ingest_pb::SetTargetsRequest {
            overall_target: String::new(),
            overall_result: String::new(),
            validate_only: false,
            department_code: "TX".into(),
            year: 2022,
            targets: written_targets(&case),
            request_id: String::new(),
            project_code: String::new(),
            framework: String::new(),
        })
        .await
        .unwrap();
    let actual = |row: &str, period: &str, text: &str| ingest_pb::RowActual {
        department_code: "TX".into(),
        indicator_code: row.into(),
        period: period.into(),
        actual_text: text.into(),
        ..Default::default()
    };
    let request = |actuals| ingest_pb::ReportActualsRequest {
        validate_only: false,
        request_id: "q2".into(),
        actuals,
    };
    let first = ingest
        .client
        .report_actuals(request(vec![
            actual("R01", "2022-Q2", "30"),
            actual("R03", "2022-Q2", "部分达成 70%"),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.stored, first.revised, first.unchanged), (2, 0, 0));
    assert_eq!(first.actuals[0].read_as, "30 个");
    assert_eq!(first.actuals[1].read_as, "部分达成 70%");
    // A retry with the same id answers the same and stores nothing.
    let retried = ingest
        .client
        .report_actuals(request(vec![
            actual("R01", "2022-Q2", "30"),
            actual("R03", "2022-Q2", "部分达成 70%"),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried, first);
    // A new figure is a revision; the same one is unchanged.
    let revised = ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: String::new(),
            actuals: vec![
                actual("R01", "2022-Q2", "35"),
                actual("R03", "2022-Q2", "部分达成 70%"),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (revised.stored, revised.revised, revised.unchanged),
        (0, 1, 1)
    );
    assert_eq!(revised.actuals[0].revision, 2);
    // Refused whole, naming each actual: an unreadable text, another kind's unit, a row bound
    // to nothing in the set, a month.
    let status = ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: String::new(),
            actuals: vec![
                actual("R01", "2022", "约50"),
                actual("R05", "2022", "90亩"),
                actual("R99", "2022", "1"),
                actual("R02", "2022-05", "100"),
                actual("R06", "2022", "达成"),
            ],
        })
        .await
        .unwrap_err();
    let found = crate::ingest_support::violations(&status);
    let fields: Vec<&str> = found.iter().map(|(field, _)| field.as_str()).collect();
    assert_eq!(
        fields,
        ["actuals[3].period"],
        "field checks come first: {found:?}"
    );
    let status = ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: String::new(),
            actuals: vec![
                actual("R01", "2022", "约50"),
                actual("R05", "2022", "90亩"),
                actual("R99", "2022", "1"),
                actual("R06", "2022", "达成"),
            ],
        })
        .await
        .unwrap_err();
    let found = crate::ingest_support::violations(&status);
    let fields: Vec<&str> = found.iter().map(|(field, _)| field.as_str()).collect();
    // An actual is never refused for its words (TABLES.md §0): 约50 and 90亩 would be stored
    // for a reviewer; only the row that is not in the set refuses the request.
    assert_eq!(fields, ["actuals[2].indicator_code"]);
    assert!(found[0].1.contains("R99"), "{found:?}");
    // Nothing of it was stored: R06 has no actual yet.
    let again = ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: String::new(),
            actuals: vec![actual("R06", "2022", "达成")],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.stored, 1);
}

#[tokio::test]
async fn a_projects_quarter_is_monitored_with_self_reported_actuals_as_of_the_quarter() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    ingest.upsert("MON", "监控单位", "").await;
    ingest
        .client
        .upsert_project(ingest_pb::UpsertProjectRequest {
            validate_only: false,
            project: Some(ingest_pb::Project {
                code: "MON-P".into(),
                name: "供后监管工作经费".into(),
                department_code: "MON".into(),
                first_year: 2022,
                last_year: 2023,
                fund_sources: Vec::new(),
                updated_at: None,
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let target = |code: &str, level1: &str, text: &str, weight: &str| ingest_pb::Target {
        indicator_code: code.into(),
        name: format!("指标 {code}"),
        level1: level1.into(),
        level2: "数量指标".into(),
        target_text: text.into(),
        weight: weight.into(),
        ..Default::default()
    };
    ingest
        .client
        .set_targets(ingest_pb::SetTargetsRequest {
            overall_target: String::new(),
            overall_result: String::new(),
            validate_only: false,
            department_code: "MON".into(),
            project_code: "MON-P".into(),
            year: 2022,
            targets: vec![
                target("O1", "产出指标", "≥480宗", "50"),
                target("E1", "效益指标", "效果明显", "30"),
                target("S1", "满意度指标", "≥90%", "10"),
            ],
            request_id: String::new(),
            framework: String::new(),
        })
        .await
        .unwrap();
    let actual = |row: &str, period: &str, text: &str| ingest_pb::RowActual {
        department_code: "MON".into(),
        project_code: "MON-P".into(),
        indicator_code: row.into(),
        period: period.into(),
        actual_text: text.into(),
        ..Default::default()
    };
    ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: String::new(),
            actuals: vec![
                actual("O1", "2022-Q1", "100宗"),
                actual("O1", "2022-Q2", "180宗"),
                actual("O1", "2022", "487宗"),
                actual("E1", "2022-Q2", "部分达成"),
                actual("S1", "2022-Q2", "92%"),
            ],
        })
        .await
        .unwrap();
    // The quarter's monitoring snapshot of the project (the department has no targets).
    let q2 = evaluator.evaluate("2022-Q2").await.unwrap();
    let project = |run: &pb::RunEvaluationResponse| {
        run.snapshots
            .iter()
            .find(|summary| summary.project_code == "MON-P")
            .map(|summary| summary.snapshot_id.clone())
            .unwrap()
    };
    let snapshot = evaluator.snapshot(&project(&q2)).await;
    assert_eq!(snapshot.period, "2022-Q2");
    // As of June: 180 of the window's 240 (480 × 6/12); the year's 487 does not count yet.
    let o1 = &snapshot.indicators[0];
    assert_eq!(o1.window_target, "240");
    assert_eq!(o1.actual, "180");
    assert_eq!(o1.actual_text, "180宗 (2022-Q2)");
    assert_eq!(o1.score, "37.50");
    // 部分达成 without a percentage: central-2020's 70%.
    assert_eq!(snapshot.indicators[1].score, "21.00");
    assert_eq!(snapshot.indicators[1].band, "部分达成");
    assert_eq!(snapshot.indicators[2].score, "10.00");
    let year = evaluator.evaluate("2022").await.unwrap();
    let snapshot = evaluator.snapshot(&project(&year)).await;
    assert_eq!(snapshot.indicators[0].actual, "487");
    assert_eq!(snapshot.indicators[0].score, "50.00");
}

#[tokio::test]
async fn a_project_is_scored_on_its_own_figures_beside_its_department() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    ingest
        .upsert("BY-LAND", "广州市白云区土地资源利用和保护中心", "")
        .await;
    let project = ingest
        .client
        .upsert_project(ingest_pb::UpsertProjectRequest {
            validate_only: false,
            project: Some(ingest_pb::Project {
                code: "BY-LAND-P01".into(),
                name: "用地报批技术服务及供后监管工作经费".into(),
                department_code: "BY-LAND".into(),
                first_year: 2022,
                last_year: 2022,
                fund_sources: vec!["本年财政拨款".into()],
                updated_at: None,
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(project.created);
    let target =
        |code: &str, level1: &str, level2: &str, text: &str, weight: &str| ingest_pb::Target {
            indicator_code: code.into(),
            name: format!("指标 {code}"),
            level1: level1.into(),
            level2: level2.into(),
            target_text: text.into(),
            weight: weight.into(),
            ..Default::default()
        };
    ingest
        .client
        .set_targets(ingest_pb::SetTargetsRequest {
            overall_target: String::new(),
            overall_result: String::new(),
            validate_only: false,
            department_code: "BY-LAND".into(),
            year: 2022,
            project_code: "BY-LAND-P01".into(),
            targets: vec![
                target("O1", "产出指标", "数量指标", "≥480宗", "30"),
                target("O2", "产出指标", "成本指标", "≤142.27万元", "20"),
                target("E1", "效益指标", "社会效益指标", "效果明显", "30"),
                target("S1", "满意度指标", "服务对象满意度指标", "≥90%", "10"),
            ],
            request_id: String::new(),
            framework: String::new(),
        })
        .await
        .unwrap();
    // The project's budget figures carry its code; the department's own do not.
    let figure = |metric: &str, value: &str, project: &str| ingest_pb::MetricPoint {
        department_code: "BY-LAND".into(),
        metric_code: metric.into(),
        period: "2022".into(),
        value: value.into(),
        unit: "万元".into(),
        project_code: project.into(),
        note: String::new(),
    };
    ingest
        .push(
            "",
            "budget",
            vec![
                figure("budget.adjusted", "142.27", "BY-LAND-P01"),
                figure("budget.executed", "142.27", "BY-LAND-P01"),
                figure("budget.adjusted", "816.10", ""),
                figure("budget.executed", "790.85", ""),
            ],
        )
        .await
        .unwrap();
    let actual = |row: &str, text: &str| ingest_pb::RowActual {
        department_code: "BY-LAND".into(),
        project_code: "BY-LAND-P01".into(),
        indicator_code: row.into(),
        period: "2022".into(),
        actual_text: text.into(),
        ..Default::default()
    };
    ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: String::new(),
            actuals: vec![
                actual("O1", "487宗"),
                actual("O2", "142.27万元"),
                actual("E1", "达成预期指标"),
                actual("S1", "94.4%"),
            ],
        })
        .await
        .unwrap();
    let run = evaluator.evaluate("2022").await.unwrap();
    let subjects: Vec<(&str, &str)> = run
        .snapshots
        .iter()
        .map(|summary| {
            (
                summary.department_code.as_str(),
                summary.project_code.as_str(),
            )
        })
        .collect();
    assert_eq!(subjects, [("BY-LAND", ""), ("BY-LAND", "BY-LAND-P01")]);
    // The project: its own budget (142.27 of 142.27) and rows: 10 + 30 + 20 + 30 + 10.
    let score = evaluator
        .client
        .get_score(pb::GetScoreRequest {
            department_code: "BY-LAND".into(),
            period: "2022".into(),
            project_code: "BY-LAND-P01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (score.total.as_str(), score.grade.as_str()),
        ("100.00", "优")
    );
    let snapshot = evaluator.snapshot(&score.snapshot_id).await;
    assert_eq!(snapshot.project_name, "用地报批技术服务及供后监管工作经费");
    assert_eq!(snapshot.budget.as_ref().unwrap().rate, "100.00");
    // The department: its own budget only (790.85 / 816.10), no targets: not graded.
    let department = evaluator
        .client
        .get_score(pb::GetScoreRequest {
            department_code: "BY-LAND".into(),
            period: "2022".into(),
            project_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(department.grade, "");
    let snapshot = evaluator.snapshot(&department.snapshot_id).await;
    assert_eq!(snapshot.budget.as_ref().unwrap().rate, "96.91");
    assert!(
        snapshot
            .flags
            .iter()
            .any(|flag| flag.code == "missing_targets")
    );
    // A department's snapshots list together with its projects', or one project's alone.
    let listed = evaluator
        .client
        .list_snapshots(pb::ListSnapshotsRequest {
            department_code: "BY-LAND".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.snapshots.len(), 2);
    let listed = evaluator
        .client
        .list_snapshots(pb::ListSnapshotsRequest {
            project_code: "BY-LAND-P01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.snapshots.len(), 1);
    // A project runs in its own years, and belongs to its own department.
    let status = ingest
        .client
        .set_targets(ingest_pb::SetTargetsRequest {
            overall_target: String::new(),
            overall_result: String::new(),
            validate_only: false,
            department_code: "BY-LAND".into(),
            year: 2023,
            project_code: "BY-LAND-P01".into(),
            targets: vec![target("O1", "产出", "数量", "≥1个", "90")],
            request_id: String::new(),
            framework: String::new(),
        })
        .await
        .unwrap_err();
    crate::ingest_support::assert_violation(&status, "year", "runs from 2022 to 2022");
    // A year the project does not run in has no snapshot of it.
    let other_year = evaluator.evaluate("2023").await.unwrap();
    assert!(
        other_year
            .snapshots
            .iter()
            .all(|summary| summary.project_code.is_empty()),
        "{other_year:?}"
    );
}

#[tokio::test]
async fn a_budget_block_whose_total_line_is_zero_scores_on_its_fund_lines() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    // F02 as published: 年度资金总额 0/0/0, the figures on the 本年财政拨款 line.
    let case = case("F02");
    ingest.upsert("TX-VILLAGE", "棠溪镇", "").await;
    let line = |metric: &str, value: &str| ingest_pb::MetricPoint {
        department_code: "TX-VILLAGE".into(),
        metric_code: metric.into(),
        period: "2022".into(),
        value: value.into(),
        unit: "万元".into(),
        ..Default::default()
    };
    let budget = &case.budget;
    ingest
        .push(
            "",
            "budget",
            vec![
                line("budget.initial", "0"),
                line("budget.adjusted", "0"),
                line("budget.executed", "0"),
                line(
                    "budget.initial.current_appropriation",
                    budget.initial.as_deref().unwrap(),
                ),
                line(
                    "budget.adjusted.current_appropriation",
                    budget.adjusted.as_deref().unwrap(),
                ),
                line(
                    "budget.executed.current_appropriation",
                    budget.executed.as_deref().unwrap(),
                ),
            ],
        )
        .await
        .unwrap();
    let run = evaluator.evaluate("2022").await.unwrap();
    let snapshot = evaluator.snapshot(&run.snapshots[0].snapshot_id).await;
    let budget = snapshot.budget.as_ref().unwrap();
    assert_eq!(
        (budget.score.as_str(), budget.rate.as_str()),
        ("10.00", "100.00")
    );
    assert_eq!(flagged(&snapshot, "budget_total_missing").len(), 3);
    // |132.912 − 202.64| / 202.64 = 34.41%: a large adjustment.
    let adjustment = snapshot
        .flags
        .iter()
        .find(|flag| flag.code == "large_adjustment")
        .unwrap();
    assert!(
        adjustment.message.contains("34.41%"),
        "{}",
        adjustment.message
    );
}
