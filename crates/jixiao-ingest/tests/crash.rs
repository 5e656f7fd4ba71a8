//! Crash safety: the real `jixiao-ingest` is killed with SIGKILL while several clients push,
//! and restarted on the same files. Every acknowledged point is there with its value, and no
//! batch is half-stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_testkit::Process;

const BINARY: &str = env!("CARGO_BIN_EXE_jixiao-ingest");
const CLIENTS: usize = 4;
const POINTS_PER_BATCH: usize = 12;

fn batch(client: usize, number: usize) -> Vec<pb::MetricPoint> {
    (1..=POINTS_PER_BATCH)
        .map(|month| pb::MetricPoint {
            department_code: "A".into(),
            metric_code: "land.supply.parcels".into(),
            period: format!("2022-{month:02}"),
            value: format!("{}", number * 100 + month),
            unit: "宗".into(),
            project_code: format!("C{client}B{number:05}"),
            note: String::new(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_points_survive_sigkill_and_no_batch_is_half_stored() {
    let service = Process::start(BINARY, &["--listen", "127.0.0.1:0"], &["address"]);
    let url = format!("http://{}", service.address("address"));
    let mut admin = IngestServiceClient::connect(url.clone()).await.unwrap();
    admin
        .upsert_department(pb::UpsertDepartmentRequest {
            validate_only: false,
            department: Some(pb::Department {
                code: "A".into(),
                name: "甲".into(),
                parent_code: String::new(),
                updated_at: None,
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();

    // Each client pushes batches until the service dies, remembering the acknowledged ones.
    let acknowledged_total = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let url = url.clone();
        let acknowledged_total = Arc::clone(&acknowledged_total);
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let Ok(mut connection) = IngestServiceClient::connect(url).await else {
                return acknowledged;
            };
            for number in 0.. {
                let request = pb::PushMetricsRequest {
                    validate_only: false,
                    request_id: format!("C{client}B{number:05}"),
                    source: "land".into(),
                    points: batch(client, number),
                };
                match connection.push_metrics(request).await {
                    Ok(_) => {
                        acknowledged.push(number);
                        acknowledged_total.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
            acknowledged
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut interval = tokio::time::interval(Duration::from_millis(10));
    while acknowledged_total.load(Ordering::SeqCst) < 40 {
        interval.tick().await;
        assert!(Instant::now() < deadline, "the clients never got going");
    }
    let data = service.kill();
    let mut acknowledged: HashMap<usize, Vec<usize>> = HashMap::new();
    for (client, handle) in clients.into_iter().enumerate() {
        acknowledged.insert(client, handle.await.unwrap());
    }

    let service = Process::start_in(BINARY, &["--listen", "127.0.0.1:0"], &["address"], data);
    let mut reader = IngestServiceClient::connect(format!("http://{}", service.address("address")))
        .await
        .unwrap();
    let mut stored: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut page_token = String::new();
    loop {
        let page = reader
            .list_metric_points(pb::ListMetricPointsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for point in page.points {
            stored
                .entry(point.project_code)
                .or_default()
                .insert(point.period, point.value);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut checked = 0;
    for (client, numbers) in &acknowledged {
        for number in numbers {
            let figures = stored
                .get(&format!("C{client}B{number:05}"))
                .unwrap_or_else(|| panic!("acknowledged batch C{client}B{number:05} was lost"));
            for point in batch(*client, *number) {
                assert_eq!(
                    figures.get(&point.period),
                    Some(&point.value),
                    "C{client}B{number:05}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 40);
    for (project, figures) in &stored {
        assert_eq!(
            figures.len(),
            POINTS_PER_BATCH,
            "batch {project} is half-stored"
        );
    }
}
