//! Concurrent pushes share commits: each batch stays all or nothing, a refused batch does not
//! affect the others committed with it, and retries in one group count once.

use jixiao_storage::{
    Idempotency, IngestStore, NewDepartment, NewPoint, PointBatch, PointFilter, PushOutcome,
    SqliteStore, StoreError, StoreOptions, WriteMode,
};

fn batch(department: &str, project: &str, value: &str) -> PointBatch {
    PointBatch {
        source: "land".into(),
        points: (1..=3)
            .map(|month| NewPoint {
                department_code: department.into(),
                metric_code: "land.supply.parcels".into(),
                period: format!("2022-{month:02}").parse().unwrap(),
                value: value.parse().unwrap(),
                value_as_sent: value.into(),
                unit_as_sent: "宗".into(),
                project_code: project.into(),
                note: String::new(),
            })
            .collect(),
        pushed_by: String::new(),
    }
}

fn id(request_id: &str, digest: &str) -> Option<Idempotency> {
    Some(Idempotency {
        request_id: request_id.into(),
        method: "PushMetrics",
        digest: digest.into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_commit_together_and_stay_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ingest.sqlite"), &StoreOptions::default())
        .await
        .unwrap();
    store
        .upsert_department(
            NewDepartment {
                code: "A".into(),
                name: "甲".into(),
                parent_code: None,
            },
            None,
            WriteMode::Commit,
        )
        .await
        .unwrap();

    let mut tasks = Vec::new();
    for index in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let (batch, idempotency) = match index % 4 {
                // A refused batch among accepted ones.
                0 => (batch("NOBODY", &format!("P{index}"), "1"), None),
                // The same request sent eight times at once.
                1 => (batch("A", "RETRIED", "7"), id("same-request", "d1")),
                // The same id with other content.
                2 if index == 2 => (batch("A", "OTHER", "8"), id("same-request", "d2")),
                _ => (batch("A", &format!("P{index}"), "2"), None),
            };
            (
                index,
                store
                    .push_points(batch, idempotency, WriteMode::Commit)
                    .await,
            )
        }));
    }
    // Whichever of the two contents of "same-request" came first wins; every copy of it answers
    // alike, the other content is refused.
    let mut stored = 0;
    let mut same_request = Vec::new();
    for task in tasks {
        let (index, result) = task.await.unwrap();
        match (index % 4, result) {
            (0, Err(StoreError::Invalid(violations))) => {
                assert!(violations[0].description.contains("NOBODY"));
            }
            (1, result) => same_request.push((1, result)),
            (2, result) if index == 2 => same_request.push((2, result)),
            (2 | 3, Ok(outcome)) => stored += outcome.stored,
            (kind, result) => panic!("batch {index} (kind {kind}) answered {result:?}"),
        }
    }
    let winner = if same_request
        .iter()
        .any(|(kind, result)| *kind == 2 && result.is_ok())
    {
        2
    } else {
        1
    };
    let mut answers = Vec::new();
    for (kind, result) in &same_request {
        match result {
            Ok(outcome) => {
                assert_eq!(*kind, winner);
                answers.push(*outcome);
            }
            Err(StoreError::RequestIdReused { .. }) => assert_ne!(*kind, winner),
            Err(error) => panic!("{error:?}"),
        }
    }
    // Every copy gets the same answer; exactly one of them stored it, the others are replays.
    let stored_once = answers.iter().filter(|outcome| !outcome.replayed).count();
    assert_eq!(stored_once, 1, "one copy stores: {answers:?}");
    assert!(
        answers.windows(2).all(|pair| PushOutcome {
            replayed: false,
            ..pair[0]
        } == PushOutcome {
            replayed: false,
            ..pair[1]
        }),
        "copies answer alike: {answers:?}"
    );
    assert_eq!(answers[0].stored, 3);
    let page = store
        .list_points(
            PointFilter {
                include_history: true,
                ..PointFilter::default()
            },
            "",
            1000,
        )
        .await
        .unwrap();
    assert_eq!(
        page.items.len() as i64,
        stored + 3,
        "the refused batches stored nothing"
    );
    assert!(page.items.iter().all(|point| point.department_code == "A"));
    let loser = if winner == 1 { "OTHER" } else { "RETRIED" };
    assert!(page.items.iter().all(|point| point.project_code != loser));
    store.close().await;
}
