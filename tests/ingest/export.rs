use futures::StreamExt;
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::export_inputs_response::Item;

use crate::support::{TestIngest, assert_violation, point};
use crate::targets::land_center_targets;

async fn export(ingest: &mut TestIngest, year: i32, departments: &[&str]) -> Vec<Item> {
    let mut stream = ingest
        .client
        .export_inputs(pb::ExportInputsRequest {
            year,
            department_codes: departments.iter().map(|code| code.to_string()).collect(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut items = Vec::new();
    while let Some(message) = stream.next().await {
        items.push(message.unwrap().item.unwrap());
    }
    items
}

#[tokio::test]
async fn export_inputs_streams_a_year_in_order_and_ends_with_the_watermark() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("ROOT", "局", "").await;
    ingest.upsert("ROOT.A", "中心", "ROOT").await;
    ingest.upsert("ROOT.A.1", "科", "ROOT.A").await;
    ingest.upsert("OTHER", "其他", "").await;
    ingest
        .client
        .set_targets(pb::SetTargetsRequest {
            department_code: "ROOT.A".into(),
            year: 2022,
            targets: land_center_targets(),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let mut points = Vec::new();
    for department in ["ROOT", "ROOT.A", "ROOT.A.1", "OTHER"] {
        for month in 1..=12 {
            points.push(point(
                department,
                "budget.executed",
                &format!("2022-{month:02}"),
                "10",
                "万元",
            ));
        }
        points.push(point(department, "budget.executed", "2021", "99", "万元"));
    }
    for index in 0..1500 {
        let mut detail = point("ROOT.A.1", "land.supply.parcels", "2022", "1", "宗");
        detail.project_code = format!("P{index:04}");
        points.push(detail);
    }
    let pushed = ingest.push("", "budget", points).await.unwrap();

    let items = export(&mut ingest, 2022, &["ROOT.A"]).await;
    let metrics = items
        .iter()
        .filter(|item| matches!(item, Item::Metric(_)))
        .count();
    assert!(metrics >= 25);
    let departments: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            Item::Department(department) => Some(department.code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        departments,
        ["ROOT.A", "ROOT.A.1"],
        "the department and its descendants, parents first"
    );
    let target_sets: Vec<&pb::TargetSet> = items
        .iter()
        .filter_map(|item| match item {
            Item::TargetSet(set) => Some(set),
            _ => None,
        })
        .collect();
    assert_eq!(target_sets.len(), 1);
    let points: Vec<&pb::StoredMetricPoint> = items
        .iter()
        .filter_map(|item| match item {
            Item::Points(batch) => Some(batch.points.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(points.len(), 24 + 1500);
    assert!(
        points
            .iter()
            .all(|p| p.period.starts_with("2022") && p.department_code.starts_with("ROOT.A"))
    );
    match items.last().unwrap() {
        Item::End(end) => {
            assert_eq!(end.watermark, pushed.watermark);
            assert_eq!((end.departments, end.target_sets, end.points), (2, 1, 1524));
        }
        other => panic!("the export ended with {other:?}"),
    }

    let everything = export(&mut ingest, 2022, &[]).await;
    let first_departments: Vec<&str> = everything
        .iter()
        .filter_map(|item| match item {
            Item::Department(department) => Some(department.code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(first_departments, ["OTHER", "ROOT", "ROOT.A", "ROOT.A.1"]);
}

#[tokio::test]
async fn export_inputs_refuses_an_impossible_year_and_unknown_departments() {
    let mut ingest = TestIngest::start().await;
    let status = ingest
        .client
        .export_inputs(pb::ExportInputsRequest {
            year: 0,
            department_codes: Vec::new(),
        })
        .await
        .expect_err("year 0 is refused");
    assert_violation(&status, "year", "outside");

    let mut stream = ingest
        .client
        .export_inputs(pb::ExportInputsRequest {
            year: 2022,
            department_codes: vec!["NOBODY".into()],
        })
        .await
        .unwrap()
        .into_inner();
    let mut refused = None;
    while let Some(message) = stream.next().await {
        if let Err(status) = message {
            refused = Some(status);
            break;
        }
    }
    assert_violation(
        &refused.expect("the export fails"),
        "department_codes",
        "unknown department \"NOBODY\"",
    );
}
