//! Frameworks as data (TABLES.md §4–5): the field cases of other provinces scored under their
//! shipped framework, a bureau's own framework loaded from a directory, and reviewer
//! adjustments that reproduce the published judgements, over real gRPC and real grpcurl.

use jixiao::evaluator::v1 as pb;
use jixiao::ingest::v1 as ingest_pb;
use tonic::Code;

use crate::field::{Case, budget_points, case, row_code};
use crate::ingest_support::{TestIngest, test_config, violations};
use crate::support::{TestEvaluator, evaluator_config};
use crate::written::score_with;

/// The case's rows as SetTargets under `framework`: weights the table does not print are the
/// published scores (the case notes infer them so: the rows are met), and each row's published
/// 得分 is pushed as its reported score.
fn targets_with_inferred_weights(case: &Case, framework: &str) -> ingest_pb::SetTargetsRequest {
    let mut request = case.set_targets();
    request.framework = framework.to_owned();
    for (target, row) in request.targets.iter_mut().zip(&case.indicators) {
        if target.weight.is_empty() {
            target.weight = row.published_score.clone().unwrap_or_default();
        }
        target.reported_score = row.published_score.clone().unwrap_or_default();
    }
    request
}

fn flagged(snapshot: &pb::Snapshot, code: &str) -> Vec<String> {
    snapshot
        .flags
        .iter()
        .filter(|flag| flag.code == code)
        .map(|flag| flag.message.clone())
        .collect()
}

fn two(text: &str) -> String {
    format!("{:.2}", text.parse::<f64>().unwrap())
}

/// R10: the Hubei 20/80 tables score as published under hubei-2020 — budget 20 × rate, each row
/// its weight, total 100 — with no reported score or total differing; F14, whose groups make
/// 120 with the budget's 20, is stored and judged but not graded, naming the sums.
#[tokio::test]
async fn the_hubei_tables_score_as_published_under_hubei_2020() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    for id in ["F13", "F16"] {
        let case = case(id);
        let request = targets_with_inferred_weights(&case, "hubei-2020");
        let snapshot = score_with(&mut ingest, &mut evaluator, &case, request).await;
        assert_eq!(snapshot.framework_name, "hubei-2020", "{id}");
        let budget = snapshot.budget.as_ref().unwrap();
        assert_eq!(budget.weight, "20", "{id}");
        assert_eq!(budget.score, "20.00", "{id}");
        for (row, published) in snapshot.indicators.iter().zip(&case.indicators) {
            assert_eq!(
                row.score,
                two(published.published_score.as_deref().unwrap()),
                "{id} {}: {row:?}",
                row.name
            );
        }
        assert_eq!(snapshot.total, "100.00", "{id}");
        assert_eq!(snapshot.grade, "优", "{id}");
        assert!(
            flagged(&snapshot, "reported_score_mismatch").is_empty(),
            "{id}"
        );
        assert!(
            flagged(&snapshot, "reported_total_mismatch").is_empty(),
            "{id}"
        );
        // F13 splits its 80 as hubei-2020's reference does (40/20/20), F16 as 40/0/40.
        assert_eq!(
            flagged(&snapshot, "group_weights_adjusted").len(),
            usize::from(id == "F16"),
            "{id}"
        );
    }

    let f14 = case("F14");
    // Its rows weigh 100 and hubei-2020's budget 20: stored, judged row by row, not graded
    // (TABLES.md §0: weights that do not add up are never a reason to refuse a table).
    let request = targets_with_inferred_weights(&f14, "hubei-2020");
    let snapshot = score_with(&mut ingest, &mut evaluator, &f14, request).await;
    assert_eq!(snapshot.grade, "", "not graded");
    let incomplete = flagged(&snapshot, "weights_incomplete");
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert!(
        incomplete[0].contains("120 in all, not 100"),
        "{incomplete:?}"
    );
    evaluator.stop().await;
}

/// The metrics the computed rows of hunan-department-2020 read, chosen to meet every rule of
/// R14 as F20's published 5, 5, 5, 3 and 6 say they were met.
fn hunan_points(department: &str, adjusted: &str) -> Vec<ingest_pb::MetricPoint> {
    [
        ("staff.actual", "46", "人"),
        ("staff.approved", "48", "人"),
        ("budget.three_public_budget", "11.2", "万元"),
        ("budget.three_public_prior_year", "12", "万元"),
        ("budget.three_public", "10.9", "万元"),
        ("budget.key_spending", "1450", "万元"),
        ("budget.initial", "1500", "万元"),
        ("budget.adjusted", adjusted, "万元"),
        ("budget.executed", "1480", "万元"),
    ]
    .into_iter()
    .map(|(metric, value, unit)| ingest_pb::MetricPoint {
        department_code: department.to_owned(),
        metric_code: metric.to_owned(),
        period: "2020".to_owned(),
        value: value.to_owned(),
        unit: unit.to_owned(),
        ..Default::default()
    })
    .collect()
}

fn adjust(
    department: &str,
    row: &str,
    score: &str,
    reason: &str,
    request_id: &str,
) -> pb::AdjustScoreRequest {
    pb::AdjustScoreRequest {
        department_code: department.to_owned(),
        project_code: String::new(),
        period: "2020".to_owned(),
        indicator_code: row.to_owned(),
        score: score.to_owned(),
        reason: reason.to_owned(),
        request_id: request_id.to_owned(),
    }
}

fn row<'a>(snapshot: &'a pb::Snapshot, code: &str) -> &'a pb::IndicatorScore {
    snapshot
        .indicators
        .iter()
        .find(|row| row.indicator_code == code)
        .unwrap_or_else(|| panic!("no row {code} in {:?}", snapshot.indicators))
}

/// R14 (F20, Hunan 部门整体): the computed rows of 投入 and 过程 give the published scores from
/// the department's figures; the table's own rows fill the rest of each group. The one row the
/// unit judged (资金结余: 有结余, 2 of 3) is adjusted by a reviewer with the published figure; the
/// adjustment is a new snapshot, is carried by later runs while the computed score stays, and
/// is listed stale once it moves. Adjustments are read with real grpcurl.
#[tokio::test]
async fn the_hunan_department_table_scores_its_computed_rows_and_adjustments_carry_the_judgements()
{
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    let case = case("F20");
    assert_eq!(case.framework(), "hunan-department-2020");
    let department = "YY-SCIENCE";
    ingest.upsert(department, "岳阳市科技局", "").await;

    // The table's rows that are not computed by the framework, then rows for the part of the
    // table the excerpt cuts off (the rest of 过程, and 产出 and 效果), met in full.
    let computed = [
        "财政供养人员控制率",
        "“三公经费”变动率",
        "重点支出安排率",
        "预算调整率",
        "“三公经费”控制率",
    ];
    let mut targets = Vec::new();
    let mut actuals = Vec::new();
    for (index, written) in case.indicators.iter().enumerate() {
        if computed.contains(&written.name.as_str()) {
            continue;
        }
        targets.push(ingest_pb::Target {
            indicator_code: row_code(index),
            name: written.name.clone(),
            level1: written.level1.clone(),
            level2: written.level2.clone().unwrap_or_default(),
            target_text: "按规定执行".to_owned(),
            weight: written.weight.clone().unwrap(),
            reported_score: written.published_score.clone().unwrap_or_default(),
            ..Default::default()
        });
        actuals.push((
            row_code(index),
            written
                .actual_text
                .clone()
                .unwrap_or("达成预期指标".to_owned()),
        ));
    }
    for (code, level1, weight) in [
        ("X-PROCESS", "过程", "22"),
        ("X-OUTPUT", "产出", "25"),
        ("X-EFFECT", "效果", "20"),
    ] {
        targets.push(ingest_pb::Target {
            indicator_code: code.to_owned(),
            name: format!("{level1}(摘录未载)"),
            level1: level1.to_owned(),
            level2: "其他".to_owned(),
            target_text: "达成年度目标".to_owned(),
            weight: weight.to_owned(),
            ..Default::default()
        });
        actuals.push((code.to_owned(), "达成预期指标".to_owned()));
    }
    ingest
        .client
        .set_targets(ingest_pb::SetTargetsRequest {
            department_code: department.to_owned(),
            year: 2020,
            targets: targets.clone(),
            framework: "hunan-department-2020".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    ingest
        .push("", "budget", hunan_points(department, "1500"))
        .await
        .unwrap();
    ingest
        .client
        .report_actuals(ingest_pb::ReportActualsRequest {
            validate_only: false,
            request_id: "f20-actuals".to_owned(),
            actuals: actuals
                .into_iter()
                .map(|(code, text)| ingest_pb::RowActual {
                    department_code: department.to_owned(),
                    indicator_code: code,
                    period: "2020".to_owned(),
                    actual_text: text,
                    ..Default::default()
                })
                .collect(),
        })
        .await
        .unwrap();

    let run = |evaluator: &mut TestEvaluator| {
        let mut client = evaluator.client.clone();
        async move {
            let answer = client
                .run_evaluation(pb::RunEvaluationRequest {
                    period: "2020".to_owned(),
                    department_codes: vec![department.to_owned()],
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner();
            answer.snapshots[0].snapshot_id.clone()
        }
    };
    let computed_id = run(&mut evaluator).await;
    let snapshot = evaluator.snapshot(&computed_id).await;
    assert_eq!(snapshot.framework_name, "hunan-department-2020");
    for (code, score) in [
        ("staff_control_rate", "5.00"),
        ("three_public_change_rate", "5.00"),
        ("key_spending_rate", "5.00"),
        ("budget_adjustment_rate", "3.00"),
        ("three_public_control_rate", "6.00"),
    ] {
        assert_eq!(row(&snapshot, code).score, score, "{code}");
        assert!(!row(&snapshot, code).formula.is_empty());
    }
    assert_eq!(row(&snapshot, "staff_control_rate").actual, "95.83");
    // 资金结余 reads 有结余 as a statement without a verdict: the rules cannot judge it, so the
    // table's printed 2 counts until a reviewer adjusts it (TABLES.md §0).
    let balance = row(&snapshot, "R06");
    assert_eq!(balance.name, "资金结余");
    assert_eq!(balance.score, "2.00");
    assert_eq!(balance.reported_score, "2");
    assert!(balance.review_reason.contains("without a verdict"));
    assert_eq!(flagged(&snapshot, "score_as_printed").len(), 1);
    assert!(flagged(&snapshot, "reported_score_mismatch").is_empty());
    assert_eq!(snapshot.total, "99.00");

    // A reviewer judges otherwise: 3 of 3, with the reason.
    let answer = evaluator
        .client
        .adjust_score(adjust(
            department,
            "R06",
            "3",
            "结余未超过上年结转：按评分表计3分",
            "adj-1",
        ))
        .await
        .unwrap()
        .into_inner();
    let adjustment = answer.adjustment.unwrap();
    assert_eq!(adjustment.computed_score, "2.00");
    assert_eq!(adjustment.adjusted_score, "3.00");
    assert_eq!(adjustment.status, "applied");
    let adjusted_summary = answer.snapshot.unwrap();
    assert_ne!(adjusted_summary.snapshot_id, computed_id);
    assert_eq!(adjusted_summary.total, "100.00");
    assert_eq!(adjusted_summary.trigger, pb::RunTrigger::Adjustment as i32);
    let adjusted = evaluator.snapshot(&adjusted_summary.snapshot_id).await;
    assert_eq!(row(&adjusted, "R06").score, "3.00");
    assert_eq!(row(&adjusted, "R06").computed_score, "2.00");
    let manual = flagged(&adjusted, "manual_adjustment");
    assert_eq!(manual.len(), 1);
    assert!(
        manual[0].contains("the rules give 2.00, a reviewer set 3.00"),
        "{manual:?}"
    );
    assert!(manual[0].contains("按评分表计3分"), "{manual:?}");
    // The reviewer's 3 now differs from the printed 2.
    assert_eq!(flagged(&adjusted, "reported_score_mismatch").len(), 1);
    // The computed snapshot stays as it was.
    assert_eq!(evaluator.snapshot(&computed_id).await.total, "99.00");
    // A retry with the same request id records nothing new.
    let again = evaluator
        .client
        .adjust_score(adjust(
            department,
            "R06",
            "3",
            "结余未超过上年结转：按评分表计3分",
            "adj-1",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.adjustment.unwrap().adjustment_id,
        adjustment.adjustment_id
    );
    assert_eq!(
        again.snapshot.unwrap().snapshot_id,
        adjusted_summary.snapshot_id
    );

    // A later run carries it: same inputs and adjustment, the adjusted snapshot is reused.
    let later = run(&mut evaluator).await;
    assert_eq!(later, adjusted_summary.snapshot_id);

    // An adjustment of a computed row is listed stale once its computed score moves: the
    // budget is adjusted in-year by 12%, so 预算调整率 falls from 3 to 1.
    evaluator
        .client
        .adjust_score(adjust(
            department,
            "budget_adjustment_rate",
            "2.5",
            "调整系政策性追加",
            "adj-2",
        ))
        .await
        .unwrap();
    ingest
        .push("", "budget", hunan_points(department, "1680"))
        .await
        .unwrap();
    let moved_id = run(&mut evaluator).await;
    let moved = evaluator.snapshot(&moved_id).await;
    assert_eq!(row(&moved, "budget_adjustment_rate").score, "1.00");
    assert_eq!(row(&moved, "budget_adjustment_rate").computed_score, "");
    assert_eq!(row(&moved, "R06").score, "3.00");
    let stale = flagged(&moved, "adjustment_stale");
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(
        stale[0].contains("made on a computed score of 3.00, which is now 1.00"),
        "{stale:?}"
    );

    // Refusals name the field: a score above the row's weight, an unknown row, no reason.
    for (request, field) in [
        (adjust(department, "R06", "3.5", "多给", ""), "score"),
        (
            adjust(department, "R99", "1", "无此行", ""),
            "indicator_code",
        ),
        (adjust(department, "R06", "1", "", ""), "reason"),
        (adjust(department, "R06", "1,5", "逗号", ""), "score"),
    ] {
        let status = evaluator.client.adjust_score(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            violations(&status).iter().any(|(name, _)| name == field),
            "{status:?}"
        );
    }
    let status = evaluator
        .client
        .adjust_score(pb::AdjustScoreRequest {
            period: "2021".to_owned(),
            ..adjust(department, "R06", "1", "尚未评价", "")
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

    // grpcurl lists them with who, when and the status in the latest snapshot.
    let address = evaluator.address.to_string();
    let request = format!(r#"{{"departmentCode":"{department}","period":"2020"}}"#);
    let (ok, output) = tokio::task::spawn_blocking(move || {
        jixiao_testkit::grpcurl(&[
            "-plaintext",
            "-d",
            &request,
            &address,
            "jixiao.evaluator.v1.EvaluatorService/ListAdjustments",
        ])
    })
    .await
    .unwrap();
    assert!(ok, "{output}");
    let listed: serde_json::Value = serde_json::from_str(&output).unwrap();
    let listed = listed["adjustments"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{output}");
    assert_eq!(listed[0]["indicatorCode"], "R06");
    assert_eq!(listed[0]["status"], "applied");
    assert_eq!(listed[0]["reason"], "结余未超过上年结转：按评分表计3分");
    assert!(listed[0]["adjustedAt"].as_str().is_some(), "{output}");
    assert_eq!(listed[1]["status"], "stale");
    evaluator.stop().await;
}

/// F04 (Hebei, central template): the table prints 9 for the budget and for 工程资金金额 where the
/// rules give 8.62 (whole-point rounding of 86.2%); two adjustments with the published figures
/// reproduce its total of 98, and reported_total_mismatch goes away.
#[tokio::test]
async fn adjustments_with_the_published_figures_reproduce_a_published_total() {
    let temp = tempfile::tempdir().unwrap();
    let mut ingest = TestIngest::start().await;
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    let case = case("F04");
    let subject = case.subject();
    let mut request = case.set_targets();
    request.framework = "central-2020".to_owned();
    let snapshot = score_with(&mut ingest, &mut evaluator, &case, request).await;
    assert_eq!(snapshot.total, "97.24");
    let mut points = budget_points(&case);
    points.push(ingest_pb::MetricPoint {
        department_code: subject.department_code.clone(),
        project_code: subject.project_code.clone(),
        metric_code: "evaluation.total_reported".to_owned(),
        period: case.year().to_string(),
        value: "98".to_owned(),
        unit: "%".to_owned(),
        ..Default::default()
    });
    ingest.push("", "budget", points).await.unwrap();
    let before = {
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
        let id = answer
            .snapshots
            .iter()
            .find(|summary| summary.project_code == subject.project_code)
            .unwrap()
            .snapshot_id
            .clone();
        evaluator.snapshot(&id).await
    };
    assert_eq!(flagged(&before, "reported_total_mismatch").len(), 1);
    let mut last = None;
    for row in ["budget", "R01"] {
        let answer = evaluator
            .client
            .adjust_score(pb::AdjustScoreRequest {
                department_code: subject.department_code.clone(),
                project_code: subject.project_code.clone(),
                period: case.year().to_string(),
                indicator_code: row.to_owned(),
                score: "9".to_owned(),
                reason: "按整数计分(86.2% 计 9 分)".to_owned(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        last = answer.snapshot;
    }
    let adjusted = evaluator.snapshot(&last.unwrap().snapshot_id).await;
    assert_eq!(adjusted.total, "98.00");
    assert_eq!(adjusted.budget.as_ref().unwrap().score, "9.00");
    assert_eq!(adjusted.budget.as_ref().unwrap().computed_score, "8.62");
    assert_eq!(flagged(&adjusted, "manual_adjustment").len(), 2);
    assert!(flagged(&adjusted, "reported_total_mismatch").is_empty());
    evaluator.stop().await;
}

/// A bureau's own framework file, loaded from a directory by both services: a target set naming
/// it is checked against its weights and scored by it; a name neither service knows is refused
/// at the door; an evaluator that lacks a framework the ingestion service knows fails that
/// subject alone and scores the others.
#[tokio::test]
async fn a_bureaus_framework_file_is_loaded_beside_the_shipped_ones() {
    let temp = tempfile::tempdir().unwrap();
    let frameworks = temp.path().join("frameworks");
    std::fs::create_dir(&frameworks).unwrap();
    // Anhui's county template: the central split, 优 from 85.
    let anhui = include_str!("../../crates/jixiao-scoring/frameworks/central-2020.toml")
        .replace("name = \"central-2020\"", "name = \"anhui-2022\"")
        .replace("min_total = \"90\"", "min_total = \"85\"");
    std::fs::write(frameworks.join("anhui.toml"), anhui).unwrap();
    let ingest_dir = tempfile::tempdir().unwrap();
    let mut ingest_config = test_config(ingest_dir.path());
    ingest_config.frameworks_dir = Some(frameworks.clone());
    let mut ingest = TestIngest::start_with(ingest_config).await;
    let mut config = evaluator_config(&temp.path().join("evaluator"), ingest.address);
    config.frameworks_dir = Some(frameworks.clone());
    let mut evaluator = TestEvaluator::start(config).await;

    let listed = evaluator
        .client
        .get_framework(pb::GetFrameworkRequest {
            name: "anhui-2022".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.framework.unwrap().name, "anhui-2022");
    let names: Vec<&str> = listed.frameworks.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "anhui-2022",
            "central-2020",
            "hubei-2020",
            "hunan-department-2020"
        ]
    );
    assert!(listed.frameworks[0].origin.ends_with("anhui.toml"));
    assert_eq!(listed.frameworks[1].default_for, ["department", "project"]);

    // F01 (Anhui) under the bureau's framework.
    let f01 = case("F01");
    let mut request = f01.set_targets();
    request.framework = "anhui-2022".to_owned();
    let snapshot = score_with(&mut ingest, &mut evaluator, &f01, request.clone()).await;
    assert_eq!(snapshot.framework_name, "anhui-2022");
    assert_eq!(snapshot.total, "90.00");

    request.framework = "sichuan-2023".to_owned();
    let status = ingest.client.set_targets(request).await.unwrap_err();
    let found = violations(&status);
    assert!(
        found.iter().any(|(field, description)| field == "framework"
            && description.contains("\"sichuan-2023\"")
            && description.contains("anhui-2022")),
        "{found:?}"
    );

    // A row may not take the code that names budget execution in adjustments.
    let mut reserved = f01.set_targets();
    reserved.targets[0].indicator_code = "budget".to_owned();
    let status = ingest.client.set_targets(reserved).await.unwrap_err();
    assert!(
        violations(&status)
            .iter()
            .any(|(field, description)| field == "targets[0].indicator_code"
                && description.contains("budget execution")),
        "{status:?}"
    );

    // The evaluator restarted without the directory: F01's set names a framework it does not
    // load, so F01 fails alone and F05 (same year) is scored.
    evaluator.stop().await;
    let f05 = case("F05");
    f05.register(&mut ingest.client).await;
    ingest.client.set_targets(f05.set_targets()).await.unwrap();
    ingest
        .push("", "budget", budget_points(&f05))
        .await
        .unwrap();
    let mut evaluator = TestEvaluator::start(evaluator_config(
        &temp.path().join("evaluator"),
        ingest.address,
    ))
    .await;
    let answer = evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: "2022".to_owned(),
            department_codes: vec![f01.subject().department_code, f05.subject().department_code],
            request_id: String::new(),
        })
        .await;
    let answer = match answer {
        Ok(answer) => answer.into_inner(),
        Err(status) => panic!("{status:?}"),
    };
    let run = answer.run.clone().unwrap();
    assert!(
        run.failures.iter().any(|failure| failure
            .reason
            .contains("\"anhui-2022\", which is not loaded")),
        "{run:?}"
    );
    assert!(
        answer
            .snapshots
            .iter()
            .any(|summary| summary.project_code == f05.subject().project_code),
        "{answer:?}"
    );
    evaluator.stop().await;
}
