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
            ..Default::default()
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

/// `count` points of sub-units of BY, each with a note of `note_chars` characters (3 bytes
/// each), pushed in requests of at most 500.
async fn push_noted_points(ingest: &mut TestIngest, count: usize, note_chars: usize) {
    ingest.upsert("BY", "白云区规划和自然资源局", "").await;
    let periods: Vec<String> = (1..=12)
        .map(|month| format!("2026-{month:02}"))
        .chain((1..=4).map(|quarter| format!("2026-Q{quarter}")))
        .chain(["2026".to_owned()])
        .collect();
    let metrics = ["land.supply.parcels", "land.supervision.inspected"];
    let mut points = Vec::new();
    'units: for unit in 0.. {
        let code = format!("BY.U{unit:03}");
        ingest.upsert(&code, "科室", "BY").await;
        for metric in metrics {
            for period in &periods {
                let mut point = point(&code, metric, period, "1", "宗");
                point.note = "巡".repeat(note_chars);
                points.push(point);
                if points.len() == count {
                    break 'units;
                }
            }
        }
    }
    for chunk in points.chunks(500) {
        ingest.push("", "land", chunk.to_vec()).await.unwrap();
    }
}

#[tokio::test]
async fn every_page_and_export_item_fits_the_default_limit_of_grpcurl() {
    let mut ingest = TestIngest::start().await;
    push_noted_points(&mut ingest, 1000, 2000).await;
    let address = ingest.address.to_string();
    // grpcurl, like tonic clients, accepts 4 MiB per message by default.
    let grpcurl = |args: Vec<String>| {
        // grpcurl blocks: off this test's runtime, which serves it.
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            jixiao_testkit::grpcurl(&args)
        })
    };
    let args = |json: &str, method: &str| {
        ["-plaintext", "-d", json, &address, method]
            .map(str::to_owned)
            .to_vec()
    };
    let (ok, page) = grpcurl(args(
        r#"{"year": 2026, "pageSize": 1000}"#,
        "jixiao.ingest.v1.IngestService/ListMetricPoints",
    ))
    .await
    .unwrap();
    assert!(ok, "{}", &page[..page.len().min(2000)]);
    let listed = page.matches("\"metricCode\"").count();
    assert!((1..1000).contains(&listed), "{listed} points on the page");
    assert!(page.contains("\"nextPageToken\""));
    // Every point is reached by following the pages.
    let mut seen = 0;
    let mut page_token = String::new();
    loop {
        let page = ingest
            .client
            .list_metric_points(pb::ListMetricPointsRequest {
                year: 2026,
                page_size: 1000,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen += page.points.len();
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, 1000);
    let (ok, exported) = grpcurl(args(
        r#"{"year": 2026}"#,
        "jixiao.ingest.v1.IngestService/ExportInputs",
    ))
    .await
    .unwrap();
    assert!(ok, "{}", &exported[..exported.len().min(2000)]);
    assert!(exported.contains(r#""points": "1000""#), "no end item");
    assert!(exported.matches("\"points\": [").count() > 1, "one batch");
}

#[tokio::test]
async fn stalled_export_readers_are_cut_off_while_reads_and_exports_go_on() {
    let temp = tempfile::tempdir().unwrap();
    let mut config = crate::support::test_config(temp.path());
    config.limits.export_stall_seconds = 2;
    let mut ingest = TestIngest::start_with(config).await;
    // Far more than the buffers between the store and a reader that stopped reading hold.
    push_noted_points(&mut ingest, 4000, 2000).await;
    let request = || pb::ExportInputsRequest {
        year: 2026,
        department_codes: Vec::new(),
    };
    // Four readers that take the first item, then stop reading (one connection each, as
    // separate grpcurl processes would be).
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut client = jixiao::ingest::v1::ingest_service_client::IngestServiceClient::new(
            ingest.channel().await,
        );
        let mut stream = client.export_inputs(request()).await.unwrap().into_inner();
        stream.next().await.unwrap().unwrap();
        stalled.push((client, stream));
    }
    // Points pushed while the stalled readers hold their snapshots stay in the WAL for now.
    let more: Vec<pb::MetricPoint> = (1..=10)
        .map(|month| {
            point(
                "BY",
                "budget.executed",
                &format!("2026-{month:02}"),
                "1",
                "万元",
            )
        })
        .collect();
    ingest.push("", "budget", more).await.unwrap();
    // Plain reads never wait for them.
    let started = std::time::Instant::now();
    ingest
        .client
        .list_departments(pb::ListDepartmentsRequest::default())
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // A reader that reads gets the whole export once the stalled ones are cut off.
    let items = export(&mut ingest, 2026, &[]).await;
    assert!(matches!(items.last(), Some(Item::End(end)) if end.points == 4010));
    // A stalled reader that reads again finds its export cut off, with the reason.
    // (The first three held the export slots from the start, and were cut off before the full
    // export could begin.)
    let (_client, mut stream) = stalled.remove(0);
    let mut cut_off = None;
    let mut read = 0;
    while let Some(message) = stream.next().await {
        match message {
            Err(status) => {
                cut_off = Some(status);
                break;
            }
            Ok(item) => {
                read += 1;
                if let Some(Item::End(end)) = item.item {
                    panic!("the stalled export was read to its end after {read} items: {end:?}");
                }
            }
        }
    }
    let status = cut_off.expect("the stalled export ends with an error");
    assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
    assert!(status.message().contains("limits.export_stall_seconds"));
    // The export checkpointed the WAL once its snapshot was released: the database file alone,
    // without its WAL, holds every point.
    let copy = temp.path().join("copy.sqlite");
    std::fs::copy(temp.path().join("ingest.sqlite"), &copy).unwrap();
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}?mode=ro&immutable=1",
        copy.display()
    ))
    .await
    .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM current_points")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(stored, 4010, "points left in the WAL");
    drop(stalled);
}

#[tokio::test]
async fn an_export_read_slowly_but_steadily_is_cut_off_at_its_bound() {
    let temp = tempfile::tempdir().unwrap();
    let mut config = crate::support::test_config(temp.path());
    config.limits.export_stall_seconds = 30;
    config.limits.connection.request_timeout_seconds = 3;
    let mut ingest = TestIngest::start_with(config).await;
    push_noted_points(&mut ingest, 4000, 2000).await;
    let mut stream = ingest
        .client
        .export_inputs(pb::ExportInputsRequest {
            year: 2026,
            department_codes: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    // One item every 30 ms: never stalled, but slower than the 3 s the export may take.
    let started = std::time::Instant::now();
    // The reader's pace is the scenario under test: one item per tick.
    let mut pace = tokio::time::interval(std::time::Duration::from_millis(30));
    let status = loop {
        pace.tick().await;
        match stream.next().await {
            Some(Ok(message)) => {
                assert!(
                    !matches!(message.item, Some(Item::End(_))),
                    "read to its end"
                );
            }
            Some(Err(status)) => break status,
            None => panic!("the export ended without its end item"),
        }
    };
    assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
    assert!(
        status.message().contains("cut off after 3 s"),
        "{}",
        status.message()
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
