//! End to end: the real `jixiao-ingest` binary with its metrics endpoint on, driven with
//! grpcurl, then scraped as Prometheus would.

use jixiao_testkit::{Process, call, grpcurl, scrape};

const SERVICE: &str = "jixiao.ingest.v1.IngestService";

#[test]
fn the_metrics_endpoint_counts_requests_points_refusals_and_streams() {
    let service = Process::start(
        env!("CARGO_BIN_EXE_jixiao-ingest"),
        &["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"],
        &["address", "metrics"],
    );
    let address = service.address("address").to_owned();
    let metrics = service.address("metrics").to_owned();
    let method = |name: &str| format!("{SERVICE}/{name}");

    let before = scrape(&metrics);
    assert!(
        before
            .content_type
            .starts_with("application/openmetrics-text"),
        "{}",
        before.content_type
    );
    assert_eq!(before.sum("jixiao_ingest_points_stored_total", &[]), 0.0);
    assert!(before.sum("jixiao_ingest_database_size_bytes", &[]) > 0.0);

    let (ok, answer) = call(
        &address,
        &method("UpsertDepartment"),
        r#"{"department": {"code": "BY-LAND", "name": "广州市白云区土地资源利用和保护中心"}}"#,
    );
    assert!(ok, "{answer}");
    let two_points = r#"{"requestId": "metrics-1", "source": "land", "points": [
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022", "value": "420.58", "unit": "公顷"},
            {"departmentCode": "BY-LAND", "metricCode": "land.transfer.revenue", "period": "2022", "value": "205.55", "unit": "亿元"}]}"#;
    let (ok, answer) = call(&address, &method("PushMetrics"), two_points);
    assert!(ok, "{answer}");
    // A retry is answered from the request log: it stores nothing and counts nothing.
    let (ok, retried) = call(&address, &method("PushMetrics"), two_points);
    assert!(ok && retried == answer, "{retried}");
    // The same figures again: nothing new is stored.
    let (ok, answer) = call(
        &address,
        &method("PushMetrics"),
        r#"{"source": "land", "points": [
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022", "value": "420.58", "unit": "公顷"}]}"#,
    );
    assert!(ok, "{answer}");
    // Three points refused whole for one bad value.
    let (ok, answer) = call(
        &address,
        &method("PushMetrics"),
        r#"{"source": "land", "points": [
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022-Q1", "value": "1", "unit": "公顷"},
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022-Q2", "value": "12,5", "unit": "公顷"},
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022-Q3", "value": "3", "unit": "公顷"}]}"#,
    );
    assert!(!ok && answer.contains("points[1].value"), "{answer}");
    // A stream of two messages, three points.
    let (ok, answer) = grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"source": "land", "points": [{"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2023-Q1", "value": "10", "unit": "公顷"}]}
           {"source": "land", "points": [{"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2023-Q2", "value": "20", "unit": "公顷"},
                                         {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2023-Q3", "value": "30", "unit": "公顷"}]}"#,
        &address,
        &method("StreamMetrics"),
    ]);
    assert!(ok, "{answer}");
    let (ok, answer) = call(
        &address,
        "grpc.health.v1.Health/Check",
        &format!(r#"{{"service": "{SERVICE}"}}"#),
    );
    assert!(ok, "{answer}");

    let after = scrape(&metrics);
    let handled = |grpc_method: &str, code: &str| {
        after.sum(
            "grpc_server_handled_total",
            &[
                ("grpc_service", SERVICE),
                ("grpc_method", grpc_method),
                ("grpc_code", code),
            ],
        )
    };
    assert_eq!(handled("PushMetrics", "OK"), 3.0);
    assert_eq!(handled("PushMetrics", "INVALID_ARGUMENT"), 1.0);
    assert_eq!(handled("StreamMetrics", "OK"), 1.0);
    assert_eq!(handled("UpsertDepartment", "OK"), 1.0);
    assert_eq!(
        after.sum(
            "grpc_server_handled_total",
            &[
                ("grpc_service", "grpc.health.v1.Health"),
                ("grpc_code", "OK")
            ]
        ),
        1.0
    );
    assert_eq!(
        after.sum(
            "grpc_server_started_total",
            &[("grpc_service", SERVICE), ("grpc_method", "PushMetrics")]
        ),
        4.0
    );
    assert_eq!(
        after.sum(
            "grpc_server_handling_seconds_count",
            &[("grpc_service", SERVICE), ("grpc_method", "PushMetrics")]
        ),
        4.0
    );
    assert!(after.has(
        "grpc_server_handling_seconds_bucket",
        &[("grpc_method", "PushMetrics"), ("le", "+Inf")]
    ));

    assert_eq!(after.sum("jixiao_ingest_points_stored_total", &[]), 5.0);
    assert_eq!(after.sum("jixiao_ingest_points_unchanged_total", &[]), 1.0);
    assert_eq!(
        after.sum(
            "jixiao_ingest_points_refused_total",
            &[("reason", "invalid")]
        ),
        3.0
    );
    assert_eq!(
        after.sum(
            "jixiao_ingest_violations_total",
            &[("field", "points[].value")]
        ),
        1.0
    );
    assert_eq!(after.sum("jixiao_ingest_stream_points_count", &[]), 1.0);
    assert_eq!(after.sum("jixiao_ingest_stream_points_sum", &[]), 3.0);
    assert!(
        after.sum("jixiao_ingest_database_size_bytes", &[])
            >= before.sum("jixiao_ingest_database_size_bytes", &[])
    );
}
