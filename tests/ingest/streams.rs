use jixiao::ingest::v1 as pb;

use crate::support::{TestIngest, assert_violation, point};

fn message(request_id: &str, points: Vec<pb::MetricPoint>) -> pb::StreamMetricsRequest {
    pb::StreamMetricsRequest {
        request_id: request_id.into(),
        source: "land".into(),
        points,
    }
}

#[tokio::test]
async fn stream_metrics_stores_every_message_and_sums_the_counts() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("A", "甲", "").await;
    let messages: Vec<pb::StreamMetricsRequest> = (1..=4)
        .map(|quarter| {
            message(
                &format!("stream-q{quarter}"),
                vec![
                    point(
                        "A",
                        "land.supervision.inspected",
                        &format!("2022-Q{quarter}"),
                        "120",
                        "宗",
                    ),
                    point(
                        "A",
                        "land.supervision.due",
                        &format!("2022-Q{quarter}"),
                        "122",
                        "宗",
                    ),
                ],
            )
        })
        .collect();
    let answer = ingest
        .client
        .stream_metrics(futures::stream::iter(messages.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (answer.messages, answer.stored, answer.unchanged),
        (4, 8, 0)
    );
    assert_eq!(ingest.all_points(false).await.len(), 8);

    // Replaying the whole stream (each message with its request id) changes nothing.
    let replay = ingest
        .client
        .stream_metrics(futures::stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.stored, 8, "each message answers as the first time");
    assert_eq!(ingest.all_points(true).await.len(), 8);
}

#[tokio::test]
async fn a_refused_stream_message_keeps_the_messages_before_it() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("A", "甲", "").await;
    let messages = vec![
        message(
            "",
            vec![point("A", "land.supply.parcels", "2022-Q1", "10", "宗")],
        ),
        message(
            "",
            vec![point("A", "land.supply.parcels", "2022-Q2", "1e3", "宗")],
        ),
        message(
            "",
            vec![point("A", "land.supply.parcels", "2022-Q3", "30", "宗")],
        ),
    ];
    let status = ingest
        .client
        .stream_metrics(futures::stream::iter(messages))
        .await
        .unwrap_err();
    assert_violation(
        &status,
        "messages[1].points[0].value",
        "not a plain decimal",
    );
    assert_violation(
        &status,
        "messages",
        "the 1 messages before messages[1] were committed",
    );
    let periods: Vec<String> = ingest
        .all_points(true)
        .await
        .into_iter()
        .map(|p| p.period)
        .collect();
    assert_eq!(periods, ["2022-Q1"]);
}

#[tokio::test]
async fn an_empty_stream_is_refused() {
    let mut ingest = TestIngest::start().await;
    let status = ingest
        .client
        .stream_metrics(futures::stream::iter(Vec::<pb::StreamMetricsRequest>::new()))
        .await
        .unwrap_err();
    assert_violation(&status, "messages", "no messages");
}
