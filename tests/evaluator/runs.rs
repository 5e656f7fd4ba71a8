//! Runs: snapshots reused for unchanged inputs, refusals, idempotent requests, and failures
//! when the ingestion service is down.

use jixiao::evaluator::v1 as pb;
use tonic::Code;

use crate::ingest_support::{TestIngest, assert_violation, point, test_config};
use crate::support::{TestEvaluator, evaluator_config, push_bureau_year};

#[tokio::test]
async fn unchanged_inputs_reuse_the_snapshot_and_changed_inputs_make_a_new_one() {
    let mut ingest = TestIngest::start().await;
    push_bureau_year(&mut ingest, 2022).await;
    let temp = tempfile::tempdir().unwrap();
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;

    let first = evaluator.evaluate("2022-Q2").await.unwrap();
    let again = evaluator.evaluate("2022-Q2").await.unwrap();
    assert_eq!(
        again.snapshots[0].snapshot_id,
        first.snapshots[0].snapshot_id
    );
    assert!(again.snapshots[0].reused);
    assert_eq!(again.run.as_ref().unwrap().snapshots_reused, 1);

    // A figure of another department's year does not change BY's inputs.
    ingest.upsert("OTHER", "其他", "").await;
    ingest
        .push(
            "",
            "budget",
            vec![point("OTHER", "budget.executed", "2022-Q1", "1", "万元")],
        )
        .await
        .unwrap();
    let unrelated = evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: "2022-Q2".into(),
            department_codes: vec!["BY".into()],
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(unrelated.snapshots[0].reused);

    // A revised figure makes a new snapshot, and GetScore answers with it.
    ingest
        .push(
            "",
            "budget",
            vec![point("BY", "budget.executed", "2022-Q1", "140", "万元")],
        )
        .await
        .unwrap();
    let changed = evaluator.evaluate("2022-Q2").await.unwrap();
    let bureau = changed
        .snapshots
        .iter()
        .find(|s| s.department_code == "BY")
        .unwrap();
    assert!(!bureau.reused);
    assert_ne!(bureau.snapshot_id, first.snapshots[0].snapshot_id);
    assert_eq!(bureau.total, "94.75", "E 290 of 400: 7.25 + 87.5");
    let score = evaluator
        .client
        .get_score(pb::GetScoreRequest {
            department_code: "BY".into(),
            period: "2022-Q2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (score.snapshot_id.as_str(), score.total.as_str()),
        (bureau.snapshot_id.as_str(), "94.75")
    );

    let listed = evaluator
        .client
        .list_snapshots(pb::ListSnapshotsRequest {
            department_code: "BY".into(),
            year: 2022,
            page_size: 1,
            page_token: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.snapshots[0].snapshot_id, bureau.snapshot_id,
        "newest first"
    );
    assert!(!listed.next_page_token.is_empty());

    evaluator.stop().await;
    ingest.stop().await;
}

#[tokio::test]
async fn run_evaluation_refuses_bad_requests_and_records_refused_runs() {
    let ingest = TestIngest::start().await;
    let temp = tempfile::tempdir().unwrap();
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    for (period, reason) in [
        ("2022-Q5", "quarters run from Q1 to Q4"),
        ("2022-07", "is a month"),
        ("", "is not a period"),
    ] {
        let status = evaluator.evaluate(period).await.unwrap_err();
        assert_violation(&status, "period", reason);
    }
    assert!(
        evaluator.runs().await.is_empty(),
        "a malformed request starts no run"
    );

    let status = evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: "2022".into(),
            department_codes: vec!["NOBODY".into()],
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_violation(&status, "department_codes", "unknown department \"NOBODY\"");
    let runs = evaluator.runs().await;
    assert_eq!(runs[0].status(), pb::RunStatus::Failed);
    assert!(runs[0].error.contains("NOBODY"), "{}", runs[0].error);

    let status = evaluator
        .client
        .get_score(pb::GetScoreRequest {
            department_code: "NOBODY".into(),
            period: "2022".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = evaluator
        .client
        .get_snapshot(pb::GetSnapshotRequest {
            snapshot_id: "x1".into(),
        })
        .await
        .unwrap_err();
    assert_violation(&status, "snapshot_id", "is not a snapshot id");
    evaluator.stop().await;
    ingest.stop().await;
}

#[tokio::test]
async fn a_retried_run_evaluation_answers_with_the_first_run() {
    let mut ingest = TestIngest::start().await;
    push_bureau_year(&mut ingest, 2022).await;
    let temp = tempfile::tempdir().unwrap();
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
    let request = pb::RunEvaluationRequest {
        period: "2022".into(),
        department_codes: Vec::new(),
        request_id: "year-2022-once".into(),
    };
    let first = evaluator
        .client
        .run_evaluation(request.clone())
        .await
        .unwrap()
        .into_inner();
    let retry = evaluator
        .client
        .run_evaluation(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retry);
    assert_eq!(evaluator.runs().await.len(), 1, "the retry started no run");
    let status = evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: "2022-Q1".into(),
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    evaluator.stop().await;
    ingest.stop().await;
}

#[tokio::test]
async fn an_unreachable_ingestion_service_fails_the_run_visibly_and_a_later_run_succeeds() {
    // Take a free address from an ingestion service, then stop it: nothing listens there.
    let mut ingest = TestIngest::start().await;
    push_bureau_year(&mut ingest, 2022).await;
    let address = ingest.address;
    let ingest_dir = ingest.stop().await.unwrap();

    let temp = tempfile::tempdir().unwrap();
    let mut evaluator = TestEvaluator::start(evaluator_config(temp.path(), address)).await;
    let status = evaluator.evaluate("2022-Q1").await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let runs = evaluator.runs().await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status(), pb::RunStatus::Failed);
    assert!(
        runs[0].error.contains("ingestion service is unavailable"),
        "{}",
        runs[0].error
    );
    let status = evaluator
        .client
        .get_score(pb::GetScoreRequest {
            department_code: "BY".into(),
            period: "2022-Q1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::NotFound,
        "a failed run leaves no snapshot"
    );

    // The ingestion service comes back on the same address with the same data.
    let mut config = test_config(ingest_dir.path());
    config.listen = address.to_string();
    let ingest = TestIngest::start_with(config).await;
    let answer = evaluator.evaluate("2022-Q1").await.unwrap();
    assert_eq!(answer.snapshots[0].total, "67.33");
    let runs = evaluator.runs().await;
    assert_eq!(runs[0].status(), pb::RunStatus::Succeeded);
    assert_eq!(runs[1].status(), pb::RunStatus::Failed);
    evaluator.stop().await;
    ingest.stop().await;
    drop(ingest_dir);
}

/// A request still running at `limits.request_timeout_seconds` is cut off with
/// DEADLINE_EXCEEDED naming the setting: here a run waiting on an ingestion service that
/// accepts connections and never answers.
#[tokio::test]
async fn a_request_past_the_servers_deadline_is_deadline_exceeded_naming_the_setting() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            connections.push(connection);
        }
    });
    let temp = tempfile::tempdir().unwrap();
    let mut config = evaluator_config(temp.path(), address);
    config.limits.request_timeout_seconds = 1;
    let mut evaluator = TestEvaluator::start(config).await;
    let status = evaluator
        .client
        .run_evaluation(pb::RunEvaluationRequest {
            period: "2022".into(),
            department_codes: Vec::new(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(
        status.message().contains("limits.request_timeout_seconds"),
        "{}",
        status.message()
    );
    held.abort();
}
