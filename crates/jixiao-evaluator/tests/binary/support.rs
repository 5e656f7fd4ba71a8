//! Starting the real `jixiao-evaluator` binary next to an in-process ingestion service.

use std::time::Duration;

use jixiao::evaluator::v1 as pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1 as ingest_pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_ingest::{IngestConfig, IngestServer};
use jixiao_testkit::Process;
use tonic::transport::Channel;

pub const BINARY: &str = env!("CARGO_BIN_EXE_jixiao-evaluator");

pub fn args(ingest: &str) -> Vec<String> {
    [
        "--listen",
        "127.0.0.1:0",
        "--ingest-endpoint",
        ingest,
        // The schedule runs (it redoes interrupted runs at start) but never fires in the test.
        "--set",
        "schedule.quarterly_cron=0 0 0 1 1 *",
        "--set",
        "schedule.yearly_cron=0 0 0 1 1 *",
        "--set",
        "schedule.catch_up_days=0",
        "--set",
        "ingest_timeout_seconds=300",
    ]
    .map(str::to_owned)
    .to_vec()
}

pub async fn runs(client: &mut EvaluatorServiceClient<Channel>) -> Vec<pb::Run> {
    client
        .list_runs(pb::ListRunsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .runs
}

pub async fn wait_for(
    client: &mut EvaluatorServiceClient<Channel>,
    what: &str,
    matches: impl Fn(&[pb::Run]) -> bool,
) -> Vec<pb::Run> {
    jixiao_testkit::wait_until(what, Duration::from_secs(60), || {
        let mut client = client.clone();
        let matches = &matches;
        async move {
            let runs = runs(&mut client).await;
            if matches(&runs) { Ok(runs) } else { Err(runs) }
        }
    })
    .await
}

/// The real ingestion service with a department's 2022 budget: its address, and what stops it.
pub async fn ingest_with_a_year() -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
    tempfile::TempDir,
) {
    let ingest_dir = tempfile::tempdir().unwrap();
    let ingest = IngestServer::build(IngestConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: ingest_dir.path().to_owned(),
        ..IngestConfig::default()
    })
    .await
    .unwrap();
    let ingest_address = ingest.local_addr();
    let (stop_ingest, ingest_stopped) = tokio::sync::oneshot::channel::<()>();
    let ingest_task = tokio::spawn(ingest.run_until_stopped(async move {
        let _ = ingest_stopped.await;
    }));
    let mut ingest_client = IngestServiceClient::connect(format!("http://{ingest_address}"))
        .await
        .unwrap();
    ingest_client
        .upsert_department(ingest_pb::UpsertDepartmentRequest {
            validate_only: false,
            department: Some(ingest_pb::Department {
                code: "BY".into(),
                name: "白云".into(),
                parent_code: String::new(),
                updated_at: None,
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let figure = |metric: &str, value: &str| ingest_pb::MetricPoint {
        department_code: "BY".into(),
        metric_code: metric.into(),
        period: "2022".into(),
        value: value.into(),
        unit: "万元".into(),
        project_code: String::new(),
        note: String::new(),
    };
    ingest_client
        .push_metrics(ingest_pb::PushMetricsRequest {
            validate_only: false,
            request_id: String::new(),
            source: "budget".into(),
            points: vec![
                figure("budget.adjusted", "816.10"),
                figure("budget.executed", "790.85"),
            ],
        })
        .await
        .unwrap();
    (ingest_address, stop_ingest, ingest_task, ingest_dir)
}

/// A peer that accepts connections and never answers: a run reading from it hangs.
pub async fn hung_peer() -> std::net::SocketAddr {
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_address = hung.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = hung.accept().await {
            held.push(connection);
        }
    });
    hung_address
}

/// Starts an evaluator reading from `ingest`, with `extra` arguments, on `data` or a fresh
/// directory.
pub fn evaluator(
    ingest: std::net::SocketAddr,
    extra: &[&str],
    data: Option<tempfile::TempDir>,
) -> Process {
    let mut all = args(&format!("http://{ingest}"));
    all.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    match data {
        Some(data) => Process::start_in(BINARY, &all, &["address"], data),
        None => Process::start(BINARY, &all, &["address"]),
    }
}
