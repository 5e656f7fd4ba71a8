//! The metrics endpoint of the real `jixiao-evaluator`, scraped after runs as Prometheus would.

use jixiao::evaluator::v1 as pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao_testkit::{Process, scrape};

use crate::support::{BINARY, args, ingest_with_a_year};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_counts_runs_snapshots_and_shows_the_schedule() {
    let (ingest, stop_ingest, ingest_task, _ingest_dir) = ingest_with_a_year().await;
    let mut all = args(&format!("http://{ingest}"));
    all.extend(["--metrics-listen".to_owned(), "127.0.0.1:0".to_owned()]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let evaluator = Process::start(BINARY, &all, &["address", "metrics"]);
    let metrics = evaluator.address("metrics").to_owned();
    let mut client =
        EvaluatorServiceClient::connect(format!("http://{}", evaluator.address("address")))
            .await
            .unwrap();

    let before = tokio::task::spawn_blocking({
        let metrics = metrics.clone();
        move || scrape(&metrics)
    })
    .await
    .unwrap();
    assert_eq!(before.sum("jixiao_evaluator_snapshots", &[]), 0.0);
    let now = chrono::Utc::now().timestamp() as f64;
    for schedule in ["quarterly", "yearly"] {
        let next = before.sum(
            "jixiao_evaluator_schedule_next_fire_timestamp_seconds",
            &[("schedule", schedule)],
        );
        // Both crons fire at the start of 1 January.
        assert!(
            next > now && next <= now + 366.0 * 86_400.0,
            "{schedule}: {next}"
        );
    }

    let run = |department_codes: Vec<String>| {
        let mut client = client.clone();
        async move {
            client
                .run_evaluation(pb::RunEvaluationRequest {
                    period: "2022".into(),
                    department_codes,
                    request_id: String::new(),
                })
                .await
        }
    };
    let answer = run(Vec::new()).await.unwrap().into_inner();
    assert_eq!(answer.snapshots.len(), 1, "{answer:?}");
    let refused = run(vec!["NOPE".into()]).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    client
        .get_score(pb::GetScoreRequest {
            department_code: "BY".into(),
            period: "2022".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let after = tokio::task::spawn_blocking(move || scrape(&metrics))
        .await
        .unwrap();
    let runs = |outcome: &str| {
        after.sum(
            "jixiao_evaluator_runs_total",
            &[("trigger", "manual"), ("outcome", outcome)],
        )
    };
    assert_eq!(runs("succeeded"), 1.0);
    assert_eq!(runs("failed"), 1.0);
    assert_eq!(
        after.sum(
            "jixiao_evaluator_run_duration_seconds_count",
            &[("trigger", "manual")]
        ),
        2.0
    );
    assert_eq!(after.sum("jixiao_evaluator_runs_in_flight", &[]), 0.0);
    assert_eq!(
        after.sum("jixiao_evaluator_snapshots_created_total", &[]),
        1.0
    );
    assert_eq!(after.sum("jixiao_evaluator_snapshots", &[]), 1.0);
    assert!(after.sum("jixiao_evaluator_database_size_bytes", &[]) > 0.0);
    let handled = |method: &str, code: &str| {
        after.sum(
            "grpc_server_handled_total",
            &[
                ("grpc_service", "jixiao.evaluator.v1.EvaluatorService"),
                ("grpc_method", method),
                ("grpc_code", code),
            ],
        )
    };
    assert_eq!(handled("RunEvaluation", "OK"), 1.0);
    assert_eq!(handled("RunEvaluation", "INVALID_ARGUMENT"), 1.0);
    assert_eq!(handled("GetScore", "OK"), 1.0);

    drop(evaluator);
    stop_ingest.send(()).unwrap();
    ingest_task.await.unwrap().unwrap();
}
