use std::time::{Duration, Instant};

use jixiao::ingest::v1 as pb;
use tonic::Code;

use crate::support::{TestIngest, point, test_config};

fn message(period: &str) -> pb::StreamMetricsRequest {
    pb::StreamMetricsRequest {
        request_id: String::new(),
        source: "land".into(),
        points: vec![
            point("A", "land.supply.parcels", period, "1", "宗"),
            point("A", "land.supply.area", period, "1", "亩"),
        ],
    }
}

async fn start(
    configure: impl FnOnce(&mut jixiao_ingest::IngestConfig),
) -> (TestIngest, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    configure(&mut config);
    let mut ingest = TestIngest::start_with(config).await;
    ingest.upsert("A", "甲", "").await;
    (ingest, temp)
}

#[tokio::test]
async fn a_stream_over_its_point_limit_is_refused_and_keeps_what_came_before() {
    let (mut ingest, _temp) = start(|config| config.limits.max_points_per_stream = 3).await;
    let status = ingest
        .client
        .stream_metrics(futures::stream::iter(vec![
            message("2022-Q1"),
            message("2022-Q2"),
        ]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("limits.max_points_per_stream"),
        "{}",
        status.message()
    );
    assert!(
        status
            .message()
            .contains("the 1 messages before it were committed"),
        "{}",
        status.message()
    );
    assert_eq!(ingest.all_points(true).await.len(), 2);
    ingest.stop().await;
}

#[tokio::test]
async fn streams_beyond_the_concurrent_limit_are_refused() {
    let (mut ingest, _temp) = start(|config| config.limits.max_concurrent_streams = 1).await;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    sender.send(message("2022-Q1")).await.unwrap();
    let mut first_client = ingest.client.clone();
    let first = tokio::spawn(async move {
        first_client
            .stream_metrics(tokio_stream::wrappers::ReceiverStream::new(receiver))
            .await
    });
    // Until the first stream is admitted, a second (empty) one is refused for being empty.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    loop {
        interval.tick().await;
        let status = ingest
            .client
            .stream_metrics(futures::stream::iter(Vec::<pb::StreamMetricsRequest>::new()))
            .await
            .unwrap_err();
        if status.code() == Code::ResourceExhausted {
            assert!(
                status.message().contains("limits.max_concurrent_streams"),
                "{}",
                status.message()
            );
            break;
        }
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            Instant::now() < deadline,
            "the second stream was never refused"
        );
    }
    drop(sender);
    let answer = first.await.unwrap().unwrap().into_inner();
    assert_eq!(answer.stored, 2);
    ingest.stop().await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused() {
    let (mut ingest, _temp) = start(|config| config.limits.max_message_bytes = 2048).await;
    let points = (1..=12)
        .flat_map(|month| {
            [
                "budget.executed",
                "budget.income",
                "budget.initial",
                "budget.adjusted",
                "land.transfer.revenue",
            ]
            .map(|metric| {
                point(
                    "A",
                    metric,
                    &format!("2022-{month:02}"),
                    "123456.789",
                    "万元",
                )
            })
        })
        .collect();
    let status = ingest.push("", "budget", points).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted),
        "{status:?}"
    );
    assert!(
        status.message().contains("too large"),
        "{}",
        status.message()
    );
    assert!(ingest.all_points(true).await.is_empty());
    ingest.stop().await;
}

#[tokio::test]
async fn a_batch_cut_off_by_its_deadline_is_stored_whole_or_not_at_all() {
    let (mut ingest, _temp) = start(|_| {}).await;
    let points: Vec<pb::MetricPoint> = (0..40_000)
        .map(|index| {
            let mut figure = point("A", "land.supply.parcels", "2022", "1", "宗");
            figure.project_code = format!("P{index:05}");
            figure
        })
        .collect();
    let mut request = tonic::Request::new(pb::PushMetricsRequest {
        validate_only: false,
        request_id: String::new(),
        source: "land".into(),
        points,
    });
    request.set_timeout(Duration::from_millis(5));
    let status = ingest.client.push_metrics(request).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    let stored = ingest.all_points(true).await.len();
    assert!(
        stored == 0 || stored == 40_000,
        "{stored} points of a batch were stored"
    );
    ingest.stop().await;
}
