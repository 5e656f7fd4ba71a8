use jixiao::ingest::v1 as pb;
use tonic::Code;

use crate::support::{TestIngest, assert_violation, point, test_config, violations};

async fn with_department() -> TestIngest {
    let mut ingest = TestIngest::start().await;
    ingest
        .upsert("BY-LAND", "广州市白云区土地资源利用和保护中心", "")
        .await;
    ingest
}

#[tokio::test]
async fn push_metrics_stores_canonical_values_and_keeps_what_was_sent() {
    let mut ingest = with_department().await;
    let answer = ingest
        .push(
            "",
            "land",
            vec![
                point("BY-LAND", "land.supply.area", "2022", "420.58", "公顷"),
                point("BY-LAND", "land.transfer.revenue", "2022", "205.55", "亿元"),
                point("BY-LAND", "budget.executed", "2022", "790.85", "万元"),
                point(
                    "BY-LAND",
                    "land.transfer.floor_area",
                    "2022",
                    "413",
                    "万平方米",
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!((answer.stored, answer.unchanged, answer.revised), (4, 0, 0));
    let points = ingest.all_points(false).await;
    let read: Vec<(&str, &str, &str, &str, &str)> = points
        .iter()
        .map(|p| {
            (
                p.metric_code.as_str(),
                p.value.as_str(),
                p.canonical_unit.as_str(),
                p.value_as_sent.as_str(),
                p.unit_as_sent.as_str(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("budget.executed", "790.85", "wan_yuan", "790.85", "万元"),
            ("land.supply.area", "6308.70", "mu", "420.58", "公顷"),
            (
                "land.transfer.floor_area",
                "4130000",
                "sqm",
                "413",
                "万平方米"
            ),
            (
                "land.transfer.revenue",
                "2055500",
                "wan_yuan",
                "205.55",
                "亿元"
            ),
        ]
    );
    assert!(
        points
            .iter()
            .all(|p| p.source == "land" && p.revision == 1 && p.current)
    );
    assert_eq!(
        answer.watermark,
        points.iter().map(|p| p.sequence).max().unwrap()
    );
}

#[tokio::test]
async fn push_metrics_refuses_every_malformed_decimal_and_stores_nothing() {
    let mut ingest = with_department().await;
    let before = ingest.state().await;
    for value in [
        "12,5", "1e3", "NaN", "", " 1", "1.", "+1", "0x1F", "1_000", "١",
    ] {
        let status = ingest
            .push(
                "",
                "budget",
                vec![point("BY-LAND", "budget.executed", "2022", value, "万元")],
            )
            .await
            .unwrap_err();
        assert_violation(&status, "points[0].value", "");
        let described = &violations(&status)[0].1;
        assert!(
            described.contains("plain decimal") || described.contains("is empty"),
            "{value:?}: {described}"
        );
    }
    assert_eq!(ingest.state().await, before);
}

#[tokio::test]
async fn push_metrics_refuses_impossible_periods() {
    let mut ingest = with_department().await;
    for (period, reason) in [
        ("2022-Q5", "quarters run from Q1 to Q4"),
        ("2022-13", "months run from 01 to 12"),
        ("1899", "outside 2000..=2100"),
        ("2022-7", "is not a period"),
        ("", "is not a period"),
    ] {
        let status = ingest
            .push(
                "",
                "budget",
                vec![point("BY-LAND", "budget.executed", period, "1", "万元")],
            )
            .await
            .unwrap_err();
        assert_violation(&status, "points[0].period", reason);
    }
    assert!(ingest.all_points(true).await.is_empty());
}

#[tokio::test]
async fn push_metrics_refuses_unknown_codes_and_wrong_units() {
    let mut ingest = with_department().await;
    let status = ingest
        .push(
            "",
            "budget",
            vec![
                point("NOBODY", "budget.executed", "2022", "1", "万元"),
                point("BY-LAND", "budget.executed", "2022-Q1", "1", "万元"),
            ],
        )
        .await
        .unwrap_err();
    assert_violation(
        &status,
        "points[0].department_code",
        "unknown department \"NOBODY\"",
    );
    assert_eq!(
        violations(&status).len(),
        1,
        "the valid point is not blamed"
    );

    let status = ingest
        .push(
            "",
            "budget",
            vec![
                point("BY-LAND", "budget.spent", "2022", "1", "万元"),
                point("BY-LAND", "budget.executed", "2022", "1", "公顷"),
                point("BY-LAND", "budget.executed", "2022-Q2", "1", "dollars"),
                point("BY-LAND", "land.supply.area", "2022", "-1", "亩"),
            ],
        )
        .await
        .unwrap_err();
    assert_violation(
        &status,
        "points[0].metric_code",
        "unknown metric \"budget.spent\"",
    );
    assert_violation(
        &status,
        "points[1].unit",
        "measures land_area, but the metric is money",
    );
    assert_violation(&status, "points[2].unit", "unknown unit \"dollars\"");
    assert_violation(
        &status,
        "points[3].value",
        "cannot be (only money flows can)",
    );
    assert!(ingest.all_points(true).await.is_empty());

    // A reversal can make a period's spending negative.
    let answer = ingest
        .push(
            "",
            "budget",
            vec![point(
                "BY-LAND",
                "budget.executed",
                "2022-03",
                "-2.5",
                "万元",
            )],
        )
        .await
        .unwrap();
    assert_eq!(answer.stored, 1);
}

#[tokio::test]
async fn push_metrics_refuses_empty_batches_duplicates_and_a_missing_source() {
    let mut ingest = with_department().await;
    let status = ingest.push("", "budget", vec![]).await.unwrap_err();
    assert_violation(&status, "points", "at least one point");
    let status = ingest
        .push(
            "",
            "",
            vec![point("BY-LAND", "budget.executed", "2022", "1", "万元")],
        )
        .await
        .unwrap_err();
    assert_violation(&status, "source", "is required");
    let status = ingest
        .push(
            "",
            "budget",
            vec![
                point("BY-LAND", "budget.executed", "2022", "1", "万元"),
                point("BY-LAND", "budget.income", "2022", "1", "万元"),
                point("BY-LAND", "budget.executed", "2022", "2", "万元"),
            ],
        )
        .await
        .unwrap_err();
    assert_violation(&status, "points[2]", "repeats points[0]");
    assert!(ingest.all_points(true).await.is_empty());
}

#[tokio::test]
async fn push_metrics_refuses_a_batch_over_the_limit() {
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    config.limits.max_points_per_request = 3;
    let mut ingest = TestIngest::start_with(config).await;
    ingest.upsert("A", "甲", "").await;
    let points = (1..=4)
        .map(|month| {
            point(
                "A",
                "budget.executed",
                &format!("2022-{month:02}"),
                "1",
                "万元",
            )
        })
        .collect();
    let status = ingest.push("", "budget", points).await.unwrap_err();
    assert_violation(&status, "points", "has 4 points; at most 3");
    assert!(ingest.all_points(true).await.is_empty());
    ingest.stop().await;
}

#[tokio::test]
async fn a_refused_batch_of_many_points_lists_a_bounded_number_of_violations() {
    let mut ingest = with_department().await;
    let points = (0..500)
        .map(|index| {
            point(
                "BY-LAND",
                "budget.executed",
                &format!("{}", 2000 + index % 100),
                "x",
                "万元",
            )
        })
        .collect();
    let status = ingest.push("", "budget", points).await.unwrap_err();
    let found = violations(&status);
    assert!(found.len() <= 21, "{} violations", found.len());
    assert!(
        found
            .last()
            .unwrap()
            .1
            .contains("more violations not listed")
    );
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_answers_the_same_and_counts_once() {
    let mut ingest = with_department().await;
    let batch = vec![
        point("BY-LAND", "budget.executed", "2022-Q1", "100", "万元"),
        point("BY-LAND", "budget.executed", "2022-Q2", "200", "万元"),
    ];
    let first = ingest
        .push("push-0001", "budget", batch.clone())
        .await
        .unwrap();
    let after_first = ingest.state().await;
    let retry = ingest
        .push("push-0001", "budget", batch.clone())
        .await
        .unwrap();
    assert_eq!(first, retry);
    assert_eq!(retry.stored, 2, "the retry answers as the first time");
    assert_eq!(ingest.state().await, after_first);

    let mut changed = batch;
    changed[1].value = "250".into();
    let status = ingest
        .push("push-0001", "budget", changed)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(
        status.message().contains("push-0001"),
        "{}",
        status.message()
    );
    assert_eq!(ingest.state().await, after_first);
}

#[tokio::test]
async fn an_equal_value_is_unchanged_and_a_different_one_is_a_new_revision() {
    let mut ingest = with_department().await;
    ingest
        .push(
            "",
            "budget",
            vec![point(
                "BY-LAND",
                "budget.adjusted",
                "2022",
                "816.10",
                "万元",
            )],
        )
        .await
        .unwrap();
    // The same amount written another way is the same value.
    let same = ingest
        .push(
            "",
            "budget",
            vec![point("BY-LAND", "budget.adjusted", "2022", "8161000", "元")],
        )
        .await
        .unwrap();
    assert_eq!((same.stored, same.unchanged), (0, 1));
    let revised = ingest
        .push(
            "",
            "budget",
            vec![point("BY-LAND", "budget.adjusted", "2022", "820", "万元")],
        )
        .await
        .unwrap();
    assert_eq!(
        (revised.stored, revised.unchanged, revised.revised),
        (1, 0, 1)
    );
    assert!(revised.watermark > same.watermark);

    let current = ingest.all_points(false).await;
    assert_eq!(current.len(), 1);
    assert_eq!((current[0].value.as_str(), current[0].revision), ("820", 2));
    let history = ingest.all_points(true).await;
    let revisions: Vec<(&str, i64, bool)> = history
        .iter()
        .map(|p| (p.value.as_str(), p.revision, p.current))
        .collect();
    assert_eq!(revisions, [("816.10", 1, false), ("820", 2, true)]);

    // Another source keeps its own revisions of the same figure.
    ingest
        .push(
            "",
            "finance",
            vec![point(
                "BY-LAND",
                "budget.adjusted",
                "2022",
                "816.10",
                "万元",
            )],
        )
        .await
        .unwrap();
    assert_eq!(ingest.all_points(false).await.len(), 2);
}

#[tokio::test]
async fn list_metric_points_filters_and_pages() {
    let mut ingest = with_department().await;
    ingest.upsert("OTHER", "其他", "").await;
    let mut points = Vec::new();
    for month in 1..=12 {
        points.push(point(
            "BY-LAND",
            "budget.executed",
            &format!("2022-{month:02}"),
            "1",
            "万元",
        ));
    }
    points.push(point("OTHER", "budget.executed", "2022", "5", "万元"));
    points.push(point("BY-LAND", "budget.executed", "2023", "5", "万元"));
    points.push(point("BY-LAND", "budget.income", "2022", "5", "万元"));
    ingest.push("", "budget", points).await.unwrap();

    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = ingest
            .client
            .list_metric_points(pb::ListMetricPointsRequest {
                department_code: "BY-LAND".into(),
                year: 2022,
                metric_code: "budget.executed".into(),
                page_size: 5,
                page_token,
                include_history: false,
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.points.into_iter().map(|p| p.period));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let expected: Vec<String> = (1..=12).map(|month| format!("2022-{month:02}")).collect();
    assert_eq!(seen, expected);

    let status = ingest
        .client
        .list_metric_points(pb::ListMetricPointsRequest {
            metric_code: "no.such".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_violation(&status, "metric_code", "unknown metric");
}

#[tokio::test]
async fn list_metric_definitions_returns_the_catalog_with_units() {
    let mut ingest = TestIngest::start().await;
    let metrics = ingest
        .client
        .list_metric_definitions(pb::ListMetricDefinitionsRequest {})
        .await
        .unwrap()
        .into_inner()
        .metrics;
    let area = metrics
        .iter()
        .find(|m| m.code == "land.transfer.area")
        .unwrap();
    assert_eq!(
        (area.kind.as_str(), area.temporal.as_str()),
        ("land_area", "flow")
    );
    assert_eq!(area.canonical_unit, "mu");
    assert!(area.accepted_units.contains(&"公顷".to_owned()));
    let executed = metrics
        .iter()
        .find(|m| m.code == "budget.executed")
        .unwrap();
    assert!(executed.allows_negative);
    assert_eq!(executed.name_zh, "执行数");
}

#[tokio::test]
async fn oversized_strings_are_refused_with_a_bounded_message() {
    let mut ingest = with_department().await;
    let long = "码".repeat(100_000);
    let status = ingest
        .push(&long, &long, vec![point(&long, &long, &long, &long, &long)])
        .await
        .unwrap_err();
    let found = violations(&status);
    assert!(found.iter().any(|(field, _)| field == "points[0].value"));
    assert!(found.iter().any(|(field, _)| field == "request_id"));
    assert!(status.message().len() <= 1500);
    assert!(ingest.all_points(true).await.is_empty());
}

/// A PushMetricsRequest whose `source` (field 2) carries raw bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawPush {
    #[prost(bytes = "vec", tag = "2")]
    source: Vec<u8>,
}

#[tokio::test]
async fn text_that_is_not_utf8_is_refused_as_invalid_argument() {
    let mut ingest = with_department().await;
    let mut grpc = tonic::client::Grpc::new(ingest.channel().await);
    grpc.ready().await.unwrap();
    let status = grpc
        .unary::<RawPush, pb::PushMetricsResponse, _>(
            tonic::Request::new(RawPush {
                source: vec![b'l', 0xff, 0xfe, b'd'],
            }),
            "/jixiao.ingest.v1.IngestService/PushMetrics"
                .parse()
                .unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("UTF-8"), "{}", status.message());
    assert!(ingest.all_points(true).await.is_empty());
}
