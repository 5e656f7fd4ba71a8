//! End to end: `jixiao backup` copies the ingestion database while batches are being pushed,
//! and `jixiao restore` brings the copy back as a consistent state: every batch acknowledged
//! before the backup began is in it, and every batch in it is whole.

use std::collections::BTreeMap;
use std::time::Duration;

use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_testkit::{Process, run};
use tonic::transport::Channel;

const JIXIAO: &str = env!("CARGO_BIN_EXE_jixiao");
const POINTS_PER_BATCH: usize = 10;

fn serve(data: tempfile::TempDir) -> Process {
    Process::start_in(
        JIXIAO,
        &[
            "serve",
            "--ingest-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "listen=127.0.0.1:0",
            "--evaluator-set",
            "schedule.enabled=false",
        ],
        &["ingest", "evaluator"],
        data,
    )
}

async fn client(system: &Process) -> IngestServiceClient<Channel> {
    IngestServiceClient::connect(format!("http://{}", system.address("ingest")))
        .await
        .unwrap()
}

fn batch(number: usize) -> pb::PushMetricsRequest {
    pb::PushMetricsRequest {
        validate_only: false,
        request_id: format!("batch-{number}"),
        source: "land".into(),
        points: (0..POINTS_PER_BATCH)
            .map(|k| pb::MetricPoint {
                department_code: "BY-LAND".into(),
                metric_code: "land.supply.area".into(),
                period: "2022".into(),
                value: format!("{number}.{k}"),
                unit: "亩".into(),
                project_code: format!("B{number:05}-{k}"),
                note: String::new(),
            })
            .collect(),
    }
}

/// The number of points stored for each batch, by batch number.
async fn points_by_batch(client: &mut IngestServiceClient<Channel>) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_metric_points(pb::ListMetricPointsRequest {
                department_code: "BY-LAND".into(),
                year: 2022,
                metric_code: String::new(),
                page_size: 1000,
                page_token,
                include_history: false,
            })
            .await
            .unwrap()
            .into_inner();
        for point in page.points {
            let number: usize = point.project_code[1..6].parse().unwrap();
            *counts.entry(number).or_default() += 1;
        }
        if page.next_page_token.is_empty() {
            return counts;
        }
        page_token = page.next_page_token;
    }
}

fn jixiao(args: &[&str]) -> String {
    let (ok, output) = run(JIXIAO, args);
    assert!(ok, "jixiao {args:?}: {output}");
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_pushes_restores_to_a_consistent_state() {
    let mut system = serve(tempfile::tempdir().unwrap());
    let data = system.data_dir().to_owned();
    let mut ingest = client(&system).await;
    ingest
        .upsert_department(pb::UpsertDepartmentRequest {
            validate_only: false,
            department: Some(pb::Department {
                code: "BY-LAND".into(),
                name: "土地中心".into(),
                parent_code: String::new(),
                updated_at: None,
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();

    // One writer pushes batches one after another and announces each acknowledgement.
    let (acknowledged, mut acknowledgements) = tokio::sync::watch::channel(0usize);
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let writer = tokio::spawn({
        let mut ingest = ingest.clone();
        async move {
            let mut number = 0;
            while !*stopped.borrow_and_update() {
                ingest.push_metrics(batch(number)).await.unwrap();
                number += 1;
                acknowledged.send_replace(number);
            }
            number
        }
    });
    let mut wait_for = async |count: usize| {
        tokio::time::timeout(
            Duration::from_secs(60),
            acknowledgements.wait_for(|&acknowledged| acknowledged >= count),
        )
        .await
        .unwrap_or_else(|_| panic!("{count} batches were not acknowledged within 60 s"))
        .map(|acknowledged| *acknowledged)
        .unwrap()
    };
    let acknowledged_before = wait_for(20).await;

    let backups = tempfile::tempdir().unwrap();
    let copy = backups.path().join("ingest-backup.sqlite");
    let output = tokio::task::spawn_blocking({
        let database = data.join("ingest.sqlite");
        let copy = copy.clone();
        move || jixiao(&["backup", database.to_str().unwrap(), copy.to_str().unwrap()])
    })
    .await
    .unwrap();
    let acknowledged_after = wait_for(0).await;
    assert!(output.contains("integrity checked"), "{output}");
    // The pushes went on: the backup did not stop the writer.
    wait_for(acknowledged_after + 10).await;
    stop.send(true).unwrap();
    let pushed = writer.await.unwrap();
    assert_eq!(points_by_batch(&mut ingest).await.len(), pushed);

    // The evaluator's database backs up the same way.
    let output = jixiao(&[
        "backup",
        data.join("evaluator.sqlite").to_str().unwrap(),
        backups
            .path()
            .join("evaluator-backup.sqlite")
            .to_str()
            .unwrap(),
    ]);
    assert!(output.contains("integrity checked"), "{output}");
    // A backup never overwrites.
    let (ok, output) = run(
        JIXIAO,
        &[
            "backup",
            data.join("ingest.sqlite").to_str().unwrap(),
            copy.to_str().unwrap(),
        ],
    );
    assert!(!ok && output.contains("never overwrites"), "{output}");
    // A running service's database is not replaced.
    let (ok, output) = run(
        JIXIAO,
        &[
            "restore",
            copy.to_str().unwrap(),
            data.join("ingest.sqlite").to_str().unwrap(),
        ],
    );
    assert!(!ok && output.contains("stop its service"), "{output}");
    assert!(system.terminate(Duration::from_secs(30)));
    let data_dir = system.into_data();
    let database = data_dir.path().join("ingest.sqlite");
    // A backup of the stopped service's database leaves nothing behind that blocks a restore.
    jixiao(&[
        "backup",
        database.to_str().unwrap(),
        backups.path().join("at-stop.sqlite").to_str().unwrap(),
    ]);

    // Restore in place of the stopped service's database and serve it again.
    let output = jixiao(&[
        "restore",
        copy.to_str().unwrap(),
        database.to_str().unwrap(),
    ]);
    assert!(output.contains("restored"), "{output}");
    assert!(
        data_dir
            .path()
            .join("ingest.sqlite.before-restore")
            .is_file()
    );
    let system = serve(data_dir);
    let mut ingest = client(&system).await;
    let counts = points_by_batch(&mut ingest).await;
    let batches = counts.len();
    // Every batch is whole, and they are the first ones pushed (one writer, in order).
    assert!(
        counts
            .iter()
            .enumerate()
            .all(|(index, (&number, &points))| index == number && points == POINTS_PER_BATCH),
        "{counts:?}"
    );
    // Everything acknowledged before the backup began is there; nothing pushed after it ended
    // (one more batch may have been in flight as it ended).
    assert!(
        batches >= acknowledged_before && batches <= acknowledged_after + 1,
        "{batches} batches restored; {acknowledged_before} acknowledged before the backup, {acknowledged_after} after"
    );
    // The request log came back with the points: a retry of a restored batch changes nothing,
    // and the batches after it can be pushed again.
    let retry = ingest
        .push_metrics(batch(batches - 1))
        .await
        .unwrap()
        .into_inner();
    let again = ingest
        .push_metrics(batch(batches - 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, again);
    let next = ingest
        .push_metrics(batch(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.stored, POINTS_PER_BATCH as i64);
    assert_eq!(points_by_batch(&mut ingest).await.len(), batches + 1);
}
