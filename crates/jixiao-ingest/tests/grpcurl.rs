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
