//! Crash safety: the real `jixiao-evaluator` is killed with SIGKILL in the middle of a run. The
//! next start records that run as interrupted and redoes it, and no snapshot of the interrupted
//! run ever becomes visible.

use std::time::Duration;

use jixiao::evaluator::v1 as pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao_testkit::Process;

use crate::support::{evaluator, hung_peer, ingest_with_a_year, wait_for};

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

/// A proxy to `upstream` that forwards everything the client sends, but only the first
/// `limit` bytes of the answers: then it stops forwarding and holds the connection open, as an
/// ingestion service that freezes in the middle of an export.
async fn freezing_proxy(upstream: std::net::SocketAddr, limit: usize) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
            let (mut from_client, mut to_client) = client.into_split();
            let (mut from_server, mut to_server) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
            });
            tokio::spawn(async move {
                let mut forwarded = 0;
                let mut buffer = vec![0u8; 4096];
                while forwarded < limit {
                    let Ok(read) = from_server.read(&mut buffer).await else {
                        break;
                    };
                    if read == 0 {
                        break;
                    }
                    let take = read.min(limit - forwarded);
                    if to_client.write_all(&buffer[..take]).await.is_err() {
                        break;
                    }
                    forwarded += take;
                }
                // Frozen: both halves stay open, nothing more is forwarded.
                std::future::pending::<()>().await;
                drop((from_server, to_client));
            });
        }
    });
    address
}

/// An ingestion service that freezes in the middle of an export fails the run within
/// `ingest_timeout_seconds`: the run is recorded failed, not left running with its period's
/// lock held.
#[tokio::test]
async fn an_ingestion_service_frozen_mid_export_fails_the_run_within_its_timeout() {
    let (ingest, _stop, _task, _dir) = ingest_with_a_year().await;
    // Enough points with long notes that the export is far longer than what gets through.
    let mut client = jixiao::ingest::v1::ingest_service_client::IngestServiceClient::connect(
        format!("http://{ingest}"),
    )
    .await
    .unwrap();
    let points = (1..=12)
        .flat_map(|month| {
            [
                "land.supply.parcels",
                "land.supervision.inspected",
                "land.approval.granted.parcels",
            ]
            .into_iter()
            .map(move |metric| jixiao::ingest::v1::MetricPoint {
                department_code: "BY".into(),
                metric_code: metric.into(),
                period: format!("2022-{month:02}"),
                value: "3".into(),
                unit: "宗".into(),
                project_code: String::new(),
                note: "供后监管巡查记录".repeat(120),
            })
        })
        .collect();
    client
        .push_metrics(jixiao::ingest::v1::PushMetricsRequest {
            validate_only: false,
            request_id: String::new(),
            source: "land".into(),
            points,
        })
        .await
        .unwrap();
    let frozen = freezing_proxy(ingest, 24 * 1024).await;
    let evaluator = evaluator(frozen, &["--set", "ingest_timeout_seconds=3"], None);
    let url = format!("http://{}", evaluator.address("address"));
    let mut client = EvaluatorServiceClient::connect(url).await.unwrap();
    let started = std::time::Instant::now();
    let status = tokio::time::timeout(
        Duration::from_secs(60),
        client.run_evaluation(pb::RunEvaluationRequest {
            period: "2022".into(),
            department_codes: Vec::new(),
            request_id: String::new(),
        }),
    )
    .await
    .expect("the run ends by itself")
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    let runs = crate::support::runs(&mut client).await;
    assert_eq!(runs[0].status(), pb::RunStatus::Failed, "{runs:?}");
    assert!(
        runs[0].error.contains("ingest_timeout_seconds"),
        "{}",
        runs[0].error
    );
}
