use std::collections::HashMap;

use jixiao::ingest::v1 as pb;

use crate::support::{TestIngest, point};

const CLIENTS: u64 = 16;
const REQUESTS_PER_CLIENT: u64 = 25;

/// The figures one request pushes: five of twelve overlapping keys, chosen by a small LCG.
fn figures(client: u64, request: u64) -> Vec<pb::MetricPoint> {
    let mut state = client * 7919 + request * 104_729 + 1;
    let mut keys = Vec::new();
    while keys.len() < 5 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let key = (state >> 33) % 12;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|key| {
            let metric = [
                "land.supply.parcels",
                "land.transfer.parcels",
                "land.supervision.inspected",
            ][(key / 4) as usize];
            let period = format!("2022-Q{}", key % 4 + 1);
            // Some requests repeat a value already there, so unchanged points occur too.
            let value = (client * 1000 + request) % 37;
            point("A", metric, &period, &value.to_string(), "宗")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_pushing_overlapping_figures_end_as_their_commit_order_says() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("A", "甲", "").await;
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let mut connection = ingest.client.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for request in 0..REQUESTS_PER_CLIENT {
                let points = figures(client, request);
                let answer = connection
                    .push_metrics(pb::PushMetricsRequest {
                        validate_only: false,
                        request_id: format!("c{client}-r{request}"),
                        source: "land".into(),
                        points: points.clone(),
                    })
                    .await;
                match answer {
                    Ok(answer) => acknowledged.push((answer.into_inner(), points)),
                    Err(status) => panic!("client {client} request {request} failed: {status:?}"),
                }
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    assert_eq!(acknowledged.len() as u64, CLIENTS * REQUESTS_PER_CLIENT);

    // Commit order: by watermark; at one watermark, the request that changed something came
    // first, and those that changed nothing saw its result.
    acknowledged.sort_by_key(|(answer, _)| (answer.watermark, answer.stored == 0));
    let mut model: HashMap<(String, String), String> = HashMap::new();
    for (_, points) in &acknowledged {
        for point in points {
            model.insert(
                (point.metric_code.clone(), point.period.clone()),
                point.value.clone(),
            );
        }
    }
    let stored: HashMap<(String, String), String> = ingest
        .all_points(false)
        .await
        .into_iter()
        .map(|point| ((point.metric_code, point.period), point.value))
        .collect();
    assert_eq!(stored, model);
    let changes: i64 = acknowledged.iter().map(|(answer, _)| answer.stored).sum();
    assert_eq!(
        ingest.all_points(true).await.len() as i64,
        changes,
        "every stored change is one revision"
    );
    ingest.stop().await;
}
