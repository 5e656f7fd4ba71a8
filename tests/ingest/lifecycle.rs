use jixiao::ingest::v1 as pb;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::support::{TestIngest, point, test_config};
use crate::targets::land_center_targets;

#[tokio::test]
async fn a_restart_on_the_same_file_keeps_everything() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("BY-LAND", "白云区土地中心", "").await;
    ingest.upsert("BY-LAND.A", "报批科", "BY-LAND").await;
    ingest
        .client
        .set_targets(pb::SetTargetsRequest {
            department_code: "BY-LAND".into(),
            year: 2022,
            targets: land_center_targets(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap();
    ingest
        .push(
            "first",
            "budget",
            vec![point(
                "BY-LAND",
                "budget.adjusted",
                "2022",
                "816.10",
                "万元",
            )],
        )
        .await
        .unwrap();
    let revised = ingest
        .push(
            "second",
            "budget",
            vec![point("BY-LAND", "budget.adjusted", "2022", "820", "万元")],
        )
        .await
        .unwrap();
    let before = ingest.state().await;
    let temp = ingest.stop().await.unwrap();

    let mut again = TestIngest::start_with(test_config(temp.path())).await;
    assert_eq!(again.state().await, before);
    let targets = again
        .client
        .get_targets(pb::GetTargetsRequest {
            department_code: "BY-LAND".into(),
            year: 2022,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .target_set
        .unwrap();
    assert_eq!(targets.targets.len(), 5);
    // A retry after the restart still answers as the first time.
    let retry = again
        .push(
            "second",
            "budget",
            vec![point("BY-LAND", "budget.adjusted", "2022", "820", "万元")],
        )
        .await
        .unwrap();
    assert_eq!(retry, revised);
    let next = again
        .push(
            "",
            "budget",
            vec![point("BY-LAND", "budget.initial", "2022", "789.64", "万元")],
        )
        .await
        .unwrap();
    assert!(
        next.watermark > revised.watermark,
        "the sequence continues after a restart"
    );
    again.stop().await;
    drop(temp);
}

#[tokio::test]
async fn health_reports_the_service_serving() {
    let ingest = TestIngest::start().await;
    let mut health = HealthClient::new(ingest.channel().await);
    let answer = health
        .check(HealthCheckRequest {
            service: "jixiao.ingest.v1.IngestService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.status(), ServingStatus::Serving);
    ingest.stop().await;
}

#[tokio::test]
async fn reflection_v1_lists_the_services_for_current_clients() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let ingest = TestIngest::start().await;
    let mut client = ServerReflectionClient::new(ingest.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = client
        .server_reflection_info(futures::stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("unexpected answer {answer:?}");
    };
    let names: Vec<String> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    assert!(
        names.contains(&"jixiao.ingest.v1.IngestService".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
    drop(answers);
    ingest.stop().await;
}
