//! ImportTable: a whole 自评表 in one transaction, and `validate_only` on it and on the other
//! writes (AIP-163): a check runs every step of the write and stores nothing.

use jixiao::ingest::v1 as pb;

use crate::support::{TestIngest, violations};

/// A project table of unit `unit` as `jixiao import` sends it: two rows written as published
/// (one self-reported in words), its budget figures and its actuals.
fn table(unit: &str, name: &str, note: &str) -> pb::ImportTableRequest {
    let row = |code: &str, level1: &str, level2: &str, target: &str, weight: &str| pb::Target {
        indicator_code: code.into(),
        name: format!("指标 {code}"),
        level1: level1.into(),
        level2: level2.into(),
        target_text: target.into(),
        weight: weight.into(),
        ..Default::default()
    };
    let actual = |code: &str, text: &str| pb::RowActual {
        indicator_code: code.into(),
        period: "2022".into(),
        actual_text: text.into(),
        note: note.into(),
        ..Default::default()
    };
    let figure = |metric: &str, value: &str| pb::MetricPoint {
        metric_code: metric.into(),
        period: "2022".into(),
        value: value.into(),
        unit: "万元".into(),
        ..Default::default()
    };
    pb::ImportTableRequest {
        department: Some(pb::Department {
            code: unit.into(),
            name: name.into(),
            ..Default::default()
        }),
        project: Some(pb::Project {
            code: format!("{unit}-P1"),
            name: "用地报批技术服务经费".into(),
            ..Default::default()
        }),
        year: 2022,
        targets: vec![
            row("R01", "产出指标", "数量指标", "不少于12 种", "50"),
            row("R02", "效益指标", "社会效益指标", "有效提升", "40"),
        ],
        points: vec![
            figure("budget.adjusted", "100"),
            figure("budget.executed", "95"),
        ],
        actuals: vec![actual("R01", "14种"), actual("R02", "达成")],
        ..Default::default()
    }
}

async fn targets_of(ingest: &mut TestIngest, unit: &str, project: &str) -> Option<pb::TargetSet> {
    ingest
        .client
        .get_targets(pb::GetTargetsRequest {
            department_code: unit.into(),
            year: 2022,
            project_code: project.into(),
        })
        .await
        .ok()
        .and_then(|answer| answer.into_inner().target_set)
}

#[tokio::test]
async fn a_table_is_stored_whole_and_a_check_answers_what_the_import_stores() {
    let mut ingest = TestIngest::start().await;
    let mut check = table("U1", "某某中心", "");
    check.validate_only = true;
    let checked = ingest
        .client
        .import_table(check)
        .await
        .unwrap()
        .into_inner();
    assert!(checked.validate_only && checked.department_created && checked.project_created);
    assert_eq!(
        ingest.state().await,
        (Vec::new(), Vec::new()),
        "a check stores nothing"
    );
    assert!(targets_of(&mut ingest, "U1", "U1-P1").await.is_none());

    let mut request = table("U1", "某某中心", "");
    request.request_id = "table-1".into();
    let stored = ingest
        .client
        .import_table(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(!stored.validate_only);
    // The check answered what the import stored, but for the times and the watermark.
    let counts = |answer: &pb::ImportTableResponse| {
        (
            answer.department_created,
            answer.project_created,
            answer.target_set.as_ref().map(|set| set.revision),
            answer.points.map(|points| points.stored),
            answer.actuals.as_ref().map(|actuals| actuals.stored),
        )
    };
    assert_eq!(counts(&checked), counts(&stored));
    assert_eq!(counts(&stored), (true, true, Some(1), Some(2), Some(2)));
    let set = targets_of(&mut ingest, "U1", "U1-P1").await.unwrap();
    assert_eq!(set.targets.len(), 2);
    assert_eq!(ingest.all_points(false).await.len(), 2);

    // A retry with the same id replays; the same table under another id stores nothing new.
    let replayed = ingest
        .client
        .import_table(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replayed.watermark, stored.watermark);
    request.request_id = "table-2".into();
    let again = ingest
        .client
        .import_table(request)
        .await
        .unwrap()
        .into_inner();
    assert!(again.targets_unchanged && !again.department_created && !again.project_created);
    assert_eq!(again.points.unwrap().stored, 0);
    assert_eq!(again.actuals.unwrap().stored, 0);
    assert_eq!(again.watermark, stored.watermark);
}

/// What was refused at its last part (an actual's note over the limit, a weight over 100, a
/// figure that is not a decimal) stores nothing of the table, and the check refuses it alike.
#[tokio::test]
async fn a_table_refused_in_any_part_leaves_nothing_behind() {
    let mut ingest = TestIngest::start().await;
    let mut long_note = table("U2", "某某中心", &"偏".repeat(2001));
    let mut heavy = table("U2", "某某中心", "");
    heavy.targets[1].weight = "140".into();
    let mut malformed = table("U2", "某某中心", "");
    malformed.points[0].value = "12,5".into();
    let mut elsewhere = table("U2", "某某中心", "");
    elsewhere.actuals[1].department_code = "OTHER".into();
    for (request, field) in [
        (&mut long_note, "actuals[0].note"),
        (&mut heavy, "targets[1].weight"),
        (&mut malformed, "points[0].value"),
        (&mut elsewhere, "actuals[1].department_code"),
    ] {
        for validate_only in [true, false] {
            request.validate_only = validate_only;
            let status = ingest
                .client
                .import_table(request.clone())
                .await
                .unwrap_err();
            let fields: Vec<String> = violations(&status)
                .into_iter()
                .map(|(field, _)| field)
                .collect();
            assert!(
                fields.iter().any(|named| named == field),
                "{field}: {fields:?}"
            );
            assert_eq!(ingest.state().await, (Vec::new(), Vec::new()), "{field}");
        }
    }
    assert!(targets_of(&mut ingest, "U2", "U2-P1").await.is_none());
}

/// An actual of a row the table does not have is refused by the store, after the unit, the
/// project and the target set were written in the same transaction: none of them stays.
#[tokio::test]
async fn a_refusal_in_the_store_rolls_the_whole_table_back() {
    let mut ingest = TestIngest::start().await;
    let mut request = table("U3", "某某中心", "");
    request.actuals[0].indicator_code = "R09".into();
    let status = ingest.client.import_table(request).await.unwrap_err();
    assert!(
        violations(&status)
            .iter()
            .any(|(field, reason)| field == "actuals[0].indicator_code" && reason.contains("R09")),
        "{status:?}"
    );
    assert_eq!(ingest.state().await, (Vec::new(), Vec::new()));
    assert!(targets_of(&mut ingest, "U3", "U3-P1").await.is_none());
}

/// A table renames its unit only when it names it otherwise, and says so; the unit's parent
/// and a project's fund sources and years are kept (the years widened).
#[tokio::test]
async fn a_table_renames_its_unit_only_when_it_names_it_otherwise() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("BUREAU", "某某局", "").await;
    ingest.upsert("U4", "旧名称", "BUREAU").await;
    let unnamed = ingest
        .client
        .import_table(table("U4", "", ""))
        .await
        .unwrap()
        .into_inner();
    let unit = unnamed.department.unwrap();
    assert_eq!(
        (unit.name.as_str(), unit.parent_code.as_str()),
        ("旧名称", "BUREAU")
    );
    assert!(unnamed.renamed_from.is_empty());
    let mut next_year = table("U4", "新名称", "");
    next_year.year = 2023;
    for actual in &mut next_year.actuals {
        actual.period = "2023".into();
    }
    for point in &mut next_year.points {
        point.period = "2023".into();
    }
    let renamed = ingest
        .client
        .import_table(next_year)
        .await
        .unwrap()
        .into_inner();
    let unit = renamed.department.unwrap();
    assert_eq!(
        (unit.name.as_str(), unit.parent_code.as_str()),
        ("新名称", "BUREAU")
    );
    assert_eq!(renamed.renamed_from, "旧名称");
    let project = renamed.project.unwrap();
    assert_eq!((project.first_year, project.last_year), (2022, 2023));
}

/// `validate_only` on the single writes: answered as the write would be, nothing stored.
#[tokio::test]
async fn validate_only_on_every_write_stores_nothing() {
    let mut ingest = TestIngest::start().await;
    let department = ingest
        .client
        .upsert_department(pb::UpsertDepartmentRequest {
            department: Some(pb::Department {
                code: "U5".into(),
                name: "某某中心".into(),
                ..Default::default()
            }),
            request_id: String::new(),
            validate_only: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(department.created);
    assert!(ingest.all_departments().await.is_empty());
    ingest.upsert("U5", "某某中心", "").await;
    let before = ingest.state().await;
    let targets = ingest
        .client
        .set_targets(pb::SetTargetsRequest {
            department_code: "U5".into(),
            year: 2022,
            targets: table("U5", "", "").targets,
            validate_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(targets.target_set.unwrap().revision, 1);
    assert!(targets_of(&mut ingest, "U5", "").await.is_none());
    let pushed = ingest
        .client
        .push_metrics(pb::PushMetricsRequest {
            request_id: "check".into(),
            source: "budget".into(),
            points: vec![crate::support::point(
                "U5",
                "budget.adjusted",
                "2022",
                "100",
                "万元",
            )],
            validate_only: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pushed.stored, 1);
    assert_eq!(ingest.state().await, before);
    // A check remembers no request id: the real push under the same id stores.
    let pushed = ingest
        .push(
            "check",
            "budget",
            vec![crate::support::point(
                "U5",
                "budget.adjusted",
                "2022",
                "100",
                "万元",
            )],
        )
        .await
        .unwrap();
    assert_eq!(pushed.stored, 1);
    let refused = ingest
        .client
        .report_actuals(pb::ReportActualsRequest {
            actuals: vec![pb::RowActual {
                department_code: "U5".into(),
                indicator_code: "R01".into(),
                period: "2022".into(),
                actual_text: "14种".into(),
                ..Default::default()
            }],
            validate_only: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        violations(&refused)
            .iter()
            .any(|(_, reason)| reason.contains("no target set")),
        "{refused:?}"
    );
}

/// A form without figures or actuals (filled before the year's end, or without its budget
/// block) and without rows is still a table: stored, its lists empty.
#[tokio::test]
async fn a_table_without_figures_actuals_or_rows_is_stored() {
    let mut ingest = TestIngest::start().await;
    let mut request = table("U6", "某某中心", "");
    request.points.clear();
    request.actuals.clear();
    request.targets.clear();
    request.project = None;
    let answer = ingest
        .client
        .import_table(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.target_set.unwrap().revision, 1);
    assert_eq!(answer.points.unwrap().stored, 0);
    assert!(
        targets_of(&mut ingest, "U6", "")
            .await
            .unwrap()
            .targets
            .is_empty()
    );
}

/// Texts people read that would display as something else (a right-to-left override) or as
/// nothing (zero-width spaces only) are refused with their field, and nothing is stored.
#[tokio::test]
async fn texts_that_display_as_something_else_are_refused() {
    let mut ingest = TestIngest::start().await;
    let mut reversed = table("U7", "某某中心", "审核通过\u{202e}过通不核审\u{202c}");
    let mut invisible = table("U7", "\u{200b}\u{200b}", "");
    for (request, field) in [
        (&mut reversed, "actuals[0].note"),
        (&mut invisible, "department.name"),
    ] {
        request.validate_only = false;
        let status = ingest
            .client
            .import_table(request.clone())
            .await
            .unwrap_err();
        assert!(
            violations(&status).iter().any(|(named, _)| named == field),
            "{field}: {status:?}"
        );
    }
    assert_eq!(ingest.state().await, (Vec::new(), Vec::new()));
}
