//! End to end: the real `jixiao-ingest` binary on a fresh data directory, driven with grpcurl
//! as an administrator would.

use std::time::Duration;

use jixiao_testkit::{Process, call, grpcurl};

const SERVICE: &str = "jixiao.ingest.v1.IngestService";

#[test]
fn grpcurl_lists_describes_pushes_and_reads_back() {
    let mut service = Process::start(
        env!("CARGO_BIN_EXE_jixiao-ingest"),
        &["--listen", "127.0.0.1:0"],
        &["address"],
    );
    let address = service.address("address").to_owned();
    let method = |name: &str| format!("{SERVICE}/{name}");

    let (ok, listed) = grpcurl(&["-plaintext", &address, "list"]);
    assert!(ok, "{listed}");
    for name in [
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(listed.contains(name), "{name} missing from {listed}");
    }
    let (ok, described) = grpcurl(&["-plaintext", &address, "describe", SERVICE]);
    assert!(ok, "{described}");
    assert!(described.contains("rpc PushMetrics"), "{described}");
    assert!(
        described.contains("stream .jixiao.ingest.v1.ExportInputsResponse"),
        "{described}"
    );

    let (ok, answer) = call(
        &address,
        &method("UpsertDepartment"),
        r#"{"department": {"code": "BY-LAND", "name": "广州市白云区土地资源利用和保护中心"}}"#,
    );
    assert!(ok && answer.contains(r#""created": true"#), "{answer}");
    let (ok, answer) = call(
        &address,
        &method("PushMetrics"),
        r#"{"requestId": "grpcurl-1", "source": "land", "points": [
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022", "value": "420.58", "unit": "公顷"},
            {"departmentCode": "BY-LAND", "metricCode": "land.transfer.revenue", "period": "2022", "value": "205.55", "unit": "亿元"}]}"#,
    );
    assert!(ok && answer.contains(r#""stored": "2""#), "{answer}");
    let (ok, answer) = call(&address, &method("ListMetricPoints"), r#"{"year": 2022}"#);
    assert!(ok, "{answer}");
    assert!(answer.contains(r#""value": "6308.70""#), "{answer}");
    assert!(answer.contains(r#""value": "2055500""#), "{answer}");
    assert!(answer.contains(r#""unitAsSent": "公顷""#), "{answer}");

    let (ok, answer) = call(
        &address,
        &method("PushMetrics"),
        r#"{"source": "land", "points": [{"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022-Q5", "value": "12,5", "unit": "公顷"}]}"#,
    );
    assert!(!ok);
    assert!(answer.contains("InvalidArgument"), "{answer}");
    assert!(answer.contains("points[0].period"), "{answer}");
    assert!(answer.contains("points[0].value"), "{answer}");

    let (ok, answer) = call(
        &address,
        "grpc.health.v1.Health/Check",
        &format!(r#"{{"service": "{SERVICE}"}}"#),
    );
    assert!(ok && answer.contains("SERVING"), "{answer}");

    assert!(
        service.terminate(Duration::from_secs(20)),
        "SIGTERM stops it cleanly"
    );
}

#[test]
fn json_logs_carry_the_request_id_of_each_request() {
    let service = Process::start(
        env!("CARGO_BIN_EXE_jixiao-ingest"),
        &["--listen", "127.0.0.1:0", "--log-format", "json"],
        &["address"],
    );
    let address = service.address("address").to_owned();
    let (ok, answer) = grpcurl(&[
        "-plaintext",
        "-rpc-header",
        "x-request-id: trace-42",
        "-d",
        r#"{"department": {"code": "A", "name": "甲"}}"#,
        &address,
        &format!("{SERVICE}/UpsertDepartment"),
    ]);
    assert!(ok, "{answer}");
    let line = service
        .wait_for_log(
            &["department upserted", r#""request_id":"trace-42""#],
            Duration::from_secs(10),
        )
        .expect("a JSON line with the request id");
    assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
    assert!(
        line.contains(r#""method":"/jixiao.ingest.v1.IngestService/UpsertDepartment""#),
        "{line}"
    );

    // Without the header, the service makes one up.
    let (ok, answer) = call(&address, &format!("{SERVICE}/ListDepartments"), "{}");
    assert!(ok, "{answer}");
    let (ok, answer) = call(
        &address,
        &format!("{SERVICE}/UpsertDepartment"),
        r#"{"department": {"code": "B", "name": "乙"}}"#,
    );
    assert!(ok, "{answer}");
    let line = service
        .wait_for_log(
            &["department upserted", r#""code":"B""#],
            Duration::from_secs(10),
        )
        .expect("a JSON line of the second upsert");
    assert!(
        line.contains(r#""request_id":""#) && !line.contains("trace-42"),
        "{line}"
    );
}
