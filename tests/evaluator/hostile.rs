//! Hostile input to the evaluator: random periods, codes, ids and page tokens are answered, or
//! refused with INVALID_ARGUMENT or NOT_FOUND; never an internal error, a panic or a hang.

use jixiao::evaluator::v1 as pb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tonic::Code;

use crate::ingest_support::TestIngest;
use crate::support::{TestEvaluator, evaluator_config, push_bureau_year};

fn text(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => proptest::sample::select(valid).prop_map(str::to_owned),
        1 => "\\PC{0,30}",
        1 => "[0-9Q\\-]{0,8}",
        1 => "\\PC{200,400}",
    ]
}

#[test]
fn random_requests_are_answered_or_refused_precisely() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let (ingest, evaluator) = runtime.block_on(async {
        let mut ingest = TestIngest::start().await;
        push_bureau_year(&mut ingest, 2022).await;
        let evaluator = TestEvaluator::start(evaluator_config(temp.path(), ingest.address)).await;
        (ingest, evaluator)
    });
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        text(&["2022", "2022-Q2", "2022-Q5", "2022-07", "1999"]),
        proptest::collection::vec(text(&["BY", "BY.A", "NOBODY"]), 0..3),
        text(&["1", "0", "-1", "99999999999999999999"]),
        any::<i32>(),
    );
    let acceptable =
        |status: &tonic::Status| matches!(status.code(), Code::InvalidArgument | Code::NotFound);
    runner
        .run(&strategy, |(period, department_codes, id, page_size)| {
            let mut client = evaluator.client.clone();
            runtime.block_on(async {
                let department = department_codes.first().cloned().unwrap_or_default();
                if let Err(status) = client
                    .run_evaluation(pb::RunEvaluationRequest {
                        period: period.clone(),
                        department_codes,
                        request_id: String::new(),
                    })
                    .await
                {
                    prop_assert!(acceptable(&status), "RunEvaluation: {:?}", status);
                }
                if let Err(status) = client
                    .get_score(pb::GetScoreRequest {
                        department_code: department,
                        period,
                        ..Default::default()
                    })
                    .await
                {
                    prop_assert!(acceptable(&status), "GetScore: {:?}", status);
                }
                if let Err(status) = client
                    .get_snapshot(pb::GetSnapshotRequest {
                        snapshot_id: id.clone(),
                    })
                    .await
                {
                    prop_assert!(acceptable(&status), "GetSnapshot: {:?}", status);
                }
                if let Err(status) = client
                    .list_runs(pb::ListRunsRequest {
                        page_size,
                        page_token: id.clone(),
                    })
                    .await
                {
                    prop_assert!(acceptable(&status), "ListRuns: {:?}", status);
                }
                if let Err(status) = client
                    .list_snapshots(pb::ListSnapshotsRequest {
                        department_code: String::new(),
                        year: page_size,
                        page_size,
                        page_token: id,
                        ..Default::default()
                    })
                    .await
                {
                    prop_assert!(acceptable(&status), "ListSnapshots: {:?}", status);
                }
                Ok(())
            })
        })
        .unwrap();
    runtime.block_on(async {
        evaluator.stop().await;
        ingest.stop().await;
    });
}
