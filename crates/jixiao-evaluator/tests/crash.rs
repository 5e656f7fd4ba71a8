//! Crash safety: the real `jixiao-evaluator` is killed with SIGKILL in the middle of a run. The
//! next start records that run as interrupted and redoes it, and no snapshot of the interrupted
//! run ever becomes visible.

use std::time::{Duration, Instant};

use jixiao::evaluator::v1 as pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1 as ingest_pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_ingest::{IngestConfig, IngestServer};
use jixiao_testkit::Process;
use tonic::transport::Channel;

const BINARY: &str = env!("CARGO_BIN_EXE_jixiao-evaluator");

fn args(ingest: &str) -> Vec<String> {
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

async fn runs(client: &mut EvaluatorServiceClient<Channel>) -> Vec<pb::Run> {
    client
        .list_runs(pb::ListRunsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .runs
}

async fn wait_for(
    client: &mut EvaluatorServiceClient<Channel>,
    what: &str,
    matches: impl Fn(&[pb::Run]) -> bool,
) -> Vec<pb::Run> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut interval = tokio::time::interval(Duration::from_millis(50));
    loop {
        interval.tick().await;
        let runs = runs(client).await;
        if matches(&runs) {
            return runs;
        }
        assert!(Instant::now() < deadline, "no {what} within 60 s: {runs:?}");
    }
}

/// The real ingestion service with a department's 2022 budget: its address, and what stops it.
async fn ingest_with_a_year() -> (
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
async fn hung_peer() -> std::net::SocketAddr {
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
fn evaluator(
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

/// Starts a RunEvaluation of 2022 that hangs, and waits until it is recorded as running.
async fn start_hanging_run(
    evaluator: &Process,
) -> (
    String,
    tokio::task::JoinHandle<Result<tonic::Response<pb::RunEvaluationResponse>, tonic::Status>>,
) {
    let url = format!("http://{}", evaluator.address("address"));
    let mut client = EvaluatorServiceClient::connect(url).await.unwrap();
    let mut runner = client.clone();
    let pending = tokio::spawn(async move {
        runner
            .run_evaluation(pb::RunEvaluationRequest {
                period: "2022".into(),
                department_codes: Vec::new(),
                request_id: String::new(),
            })
            .await
    });
    let running = wait_for(&mut client, "running run", |runs| {
        runs.iter()
            .any(|run| run.status() == pb::RunStatus::Running)
    })
    .await;
    (running[0].run_id.clone(), pending)
}

/// After a restart on the real ingestion service: the cut run is interrupted with `reason`,
/// it was redone, and the only snapshot is the redone run's.
async fn assert_redone(evaluator: &Process, cut_run: &str, reason: &str) {
    let mut client =
        EvaluatorServiceClient::connect(format!("http://{}", evaluator.address("address")))
            .await
            .unwrap();
    let runs = wait_for(&mut client, "redone run", |runs| {
        runs.iter().any(|run| {
            run.trigger() == pb::RunTrigger::Retry && run.status() == pb::RunStatus::Succeeded
        })
    })
    .await;
    let cut = runs.iter().find(|run| run.run_id == cut_run).unwrap();
    assert_eq!(cut.status(), pb::RunStatus::Interrupted);
    assert!(cut.error.contains(reason), "{}", cut.error);
    assert_eq!(cut.snapshots_created, 0);
    let redone = runs
        .iter()
        .find(|run| run.trigger() == pb::RunTrigger::Retry)
        .unwrap();
    assert_eq!(redone.period, "2022");
    let snapshots = client
        .list_snapshots(pb::ListSnapshotsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .snapshots;
    assert_eq!(snapshots.len(), 1);
    let snapshot = client
        .get_snapshot(pb::GetSnapshotRequest {
            snapshot_id: snapshots[0].snapshot_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(
        snapshot.run_id, redone.run_id,
        "no snapshot of the interrupted run"
    );
    assert_eq!(snapshot.budget.unwrap().score, "9.69");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_off_by_sigkill_is_recorded_interrupted_and_redone_without_partial_snapshots() {
    let (ingest_address, stop_ingest, ingest_task, _ingest_dir) = ingest_with_a_year().await;
    let first = evaluator(hung_peer().await, &[], None);
    let (cut_run, pending) = start_hanging_run(&first).await;
    let data = first.kill();
    assert!(
        pending.await.unwrap().is_err(),
        "the client saw the evaluator go away"
    );

    let second = evaluator(ingest_address, &[], Some(data));
    assert_redone(&second, &cut_run, "stopped during the run").await;
    drop(second);
    stop_ingest.send(()).unwrap();
    ingest_task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_waits_for_a_run_within_its_grace_then_records_it_interrupted() {
    let (ingest_address, stop_ingest, ingest_task, _ingest_dir) = ingest_with_a_year().await;
    let mut first = evaluator(
        hung_peer().await,
        &["--set", "shutdown_grace_seconds=1"],
        None,
    );
    let (cut_run, pending) = start_hanging_run(&first).await;
    assert!(
        first.terminate(Duration::from_secs(20)),
        "SIGTERM stops it within the grace periods"
    );
    assert!(pending.await.unwrap().is_err());
    let data = first.into_data();

    let second = evaluator(ingest_address, &[], Some(data));
    assert_redone(&second, &cut_run, "shut down during the run").await;
    drop(second);
    stop_ingest.send(()).unwrap();
    ingest_task.await.unwrap().unwrap();
}
