use jixiao::evaluator::v1 as evaluator_pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_evaluator::{EvaluatorConfig, EvaluatorServer};
use jixiao_ingest::IngestConfig;
use jixiao_server::auth::{AuthConfig, BearerToken, Scope, TokenConfig, new_token};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::support::{TestIngest, point, test_config};

struct Tokens {
    admin: String,
    pusher: String,
    reader: String,
    config: AuthConfig,
}

fn tokens() -> Tokens {
    let mut config = AuthConfig::default();
    let mut issue = |name: &str, scopes: Vec<Scope>, departments: Vec<String>| {
        let (token, sha256) = new_token().unwrap();
        config.tokens.push(TokenConfig {
            name: name.into(),
            sha256,
            scopes,
            departments,
        });
        token
    };
    let admin = issue("administrator", vec![Scope::Admin, Scope::Read], Vec::new());
    let pusher = issue("budget-system", vec![Scope::Push], vec!["BY".into()]);
    let reader = issue("evaluator", vec![Scope::Read], Vec::new());
    Tokens {
        admin,
        pusher,
        reader,
        config,
    }
}

type Client = IngestServiceClient<InterceptedService<Channel, BearerToken>>;

fn client(channel: Channel, token: &str) -> Client {
    IngestServiceClient::with_interceptor(channel, BearerToken::new(token).unwrap())
}

async fn secured() -> (TestIngest, Tokens, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    let tokens = tokens();
    let mut config = test_config(temp.path());
    config.auth = tokens.config.clone();
    (TestIngest::start_with(config).await, tokens, temp)
}

fn push_request(department: &str) -> pb::PushMetricsRequest {
    pb::PushMetricsRequest {
        validate_only: false,
        request_id: String::new(),
        source: "budget".into(),
        points: vec![point(
            department,
            "budget.executed",
            "2022-Q1",
            "10",
            "万元",
        )],
    }
}

#[tokio::test]
async fn tokens_are_required_and_scoped_and_health_stays_open() {
    let (ingest, tokens, _temp) = secured().await;
    let channel = ingest.channel().await;
    let mut admin = client(channel.clone(), &tokens.admin);
    admin
        .upsert_department(pb::UpsertDepartmentRequest {
            validate_only: false,
            department: Some(pb::Department {
                code: "BY".into(),
                name: "白云".into(),
                parent_code: String::new(),
                updated_at: None,
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();

    let mut anonymous = client(channel.clone(), "");
    let status = anonymous
        .push_metrics(push_request("BY"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().contains("scope push"),
        "{}",
        status.message()
    );

    let mut stranger = client(channel.clone(), "jx_0123");
    let status = stranger
        .list_departments(pb::ListDepartmentsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let mut reader = client(channel.clone(), &tokens.reader);
    let status = reader.push_metrics(push_request("BY")).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("lacks the scope push"),
        "{}",
        status.message()
    );
    let status = client(channel.clone(), &tokens.pusher)
        .upsert_department(pb::UpsertDepartmentRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(status.message().contains("admin"), "{}", status.message());

    let mut health = HealthClient::new(channel.clone());
    let answer = health
        .check(HealthCheckRequest {
            service: "jixiao.ingest.v1.IngestService".into(),
        })
        .await
        .unwrap();
    assert_eq!(answer.into_inner().status, 1, "health needs no token");
    ingest.stop().await;
}

#[tokio::test]
async fn a_push_token_limited_to_departments_is_refused_elsewhere_and_recorded_where_it_pushes() {
    let (ingest, tokens, _temp) = secured().await;
    let channel = ingest.channel().await;
    let mut admin = client(channel.clone(), &tokens.admin);
    for (code, parent) in [("BY", ""), ("BY.A", "BY"), ("GZ", "")] {
        admin
            .upsert_department(pb::UpsertDepartmentRequest {
                validate_only: false,
                department: Some(pb::Department {
                    code: code.into(),
                    name: code.into(),
                    parent_code: parent.into(),
                    updated_at: None,
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
    }
    let mut pusher = client(channel.clone(), &tokens.pusher);
    let mut mixed = push_request("BY.A");
    mixed
        .points
        .push(point("GZ", "budget.executed", "2022-Q1", "10", "万元"));
    let status = pusher.push_metrics(mixed).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("points[1] (GZ)"),
        "{}",
        status.message()
    );

    pusher.push_metrics(push_request("BY.A")).await.unwrap();
    let points = client(channel, &tokens.reader)
        .list_metric_points(pb::ListMetricPointsRequest {
            include_history: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .points;
    assert_eq!(points.len(), 1, "nothing of the refused batch was stored");
    assert_eq!(
        (
            points[0].department_code.as_str(),
            points[0].pushed_by.as_str()
        ),
        ("BY.A", "budget-system")
    );
    ingest.stop().await;
}

#[tokio::test]
async fn the_evaluator_reads_with_its_own_token_and_requires_admin_to_run() {
    let (ingest, tokens, _temp) = secured().await;
    let evaluator_tokens = self::tokens();
    let temp = tempfile::tempdir().unwrap();
    let config = EvaluatorConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: temp.path().to_owned(),
        ingest_endpoint: format!("http://{}", ingest.address),
        ingest_token: tokens.reader.clone().into(),
        auth: evaluator_tokens.config.clone(),
        schedule: jixiao_evaluator::config::ScheduleConfig {
            enabled: false,
            ..Default::default()
        },
        ..EvaluatorConfig::default()
    };
    let server = EvaluatorServer::build(config.clone()).await.unwrap();
    let address = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let run = || evaluator_pb::RunEvaluationRequest {
        period: "2022".into(),
        department_codes: Vec::new(),
        request_id: String::new(),
    };
    let mut reader = EvaluatorServiceClient::with_interceptor(
        channel.clone(),
        BearerToken::new(&evaluator_tokens.reader).unwrap(),
    );
    let status = reader.run_evaluation(run()).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut admin = EvaluatorServiceClient::with_interceptor(
        channel,
        BearerToken::new(&evaluator_tokens.admin).unwrap(),
    );
    let answer = admin.run_evaluation(run()).await.unwrap().into_inner();
    assert_eq!(
        answer.run.unwrap().status(),
        evaluator_pb::RunStatus::Succeeded,
        "the evaluator's token reads the inputs"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // With a token the ingestion service does not know, runs fail visibly.
    let wrong = EvaluatorConfig {
        ingest_token: "jx_wrong".to_owned().into(),
        auth: AuthConfig::default(),
        ..config
    };
    let server = EvaluatorServer::build(wrong).await.unwrap();
    let address = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let mut open = EvaluatorServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap();
    let status = open.run_evaluation(run()).await.unwrap_err();
    assert!(
        status.message().contains("not known"),
        "{}",
        status.message()
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    ingest.stop().await;
}

#[test]
fn every_rpc_of_both_services_has_an_explicit_scope() {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(jixiao::FILE_DESCRIPTOR_SET).unwrap();
    let mut checked = 0;
    for file in &set.file {
        for service in &file.service {
            let scope_of: fn(&str) -> Option<Scope> = match (file.package(), service.name()) {
                ("jixiao.ingest.v1", "IngestService") => jixiao_ingest::scope_of,
                ("jixiao.evaluator.v1", "EvaluatorService") => jixiao_evaluator::scope_of,
                (package, name) => panic!("{package}.{name} has no scope table"),
            };
            for method in &service.method {
                assert!(
                    scope_of(method.name()).is_some(),
                    "{}.{}/{} has no explicit scope",
                    file.package(),
                    service.name(),
                    method.name()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} methods found");
    assert!(jixiao_ingest::scope_of("NotAMethod").is_none());
}

/// An admin token limited to departments reaches no other department by any method: writes,
/// evaluations and adjustments; every department at once is beyond it. A read token cannot be
/// limited: the services refuse one at start.
#[tokio::test]
async fn a_department_limited_admin_token_reaches_no_other_department() {
    let temp = tempfile::tempdir().unwrap();
    let mut auth = AuthConfig::default();
    let (limited, sha256) = new_token().unwrap();
    auth.tokens.push(TokenConfig {
        name: "by-admin".into(),
        sha256,
        scopes: vec![Scope::Admin, Scope::Push],
        departments: vec!["BY".into()],
    });
    let mut reading = auth.clone();
    reading.tokens[0].scopes.push(Scope::Read);
    let error = jixiao_ingest::IngestServer::build(IngestConfig {
        auth: reading,
        ..test_config(temp.path())
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("has the scope read"), "{error}");
    let mut config = test_config(temp.path());
    config.auth = auth.clone();
    let ingest = TestIngest::start_with(config).await;
    let mut by = client(ingest.channel().await, &limited);
    let department = |code: &str| pb::UpsertDepartmentRequest {
        department: Some(pb::Department {
            code: code.into(),
            name: "某单位".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    by.upsert_department(department("BY-LAND")).await.unwrap();
    let denied = |status: tonic::Status| {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert!(status.message().contains("by-admin"), "{status:?}");
    };
    denied(by.upsert_department(department("TH")).await.unwrap_err());
    denied(
        by.set_targets(pb::SetTargetsRequest {
            department_code: "TH".into(),
            year: 2022,
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );
    denied(
        by.import_table(pb::ImportTableRequest {
            department: Some(pb::Department {
                code: "TH".into(),
                ..Default::default()
            }),
            year: 2022,
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );

    let evaluator_temp = tempfile::tempdir().unwrap();
    let server = EvaluatorServer::build(EvaluatorConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: evaluator_temp.path().to_owned(),
        ingest_endpoint: format!("http://{}", ingest.address),
        auth,
        schedule: jixiao_evaluator::config::ScheduleConfig {
            enabled: false,
            ..Default::default()
        },
        ..EvaluatorConfig::default()
    })
    .await
    .unwrap();
    let address = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut evaluator =
        EvaluatorServiceClient::with_interceptor(channel, BearerToken::new(&limited).unwrap());
    for codes in [Vec::new(), vec!["TH".to_owned()]] {
        denied(
            evaluator
                .run_evaluation(evaluator_pb::RunEvaluationRequest {
                    period: "2022".into(),
                    department_codes: codes,
                    request_id: String::new(),
                })
                .await
                .unwrap_err(),
        );
    }
    denied(
        evaluator
            .adjust_score(evaluator_pb::AdjustScoreRequest {
                department_code: "TH".into(),
                period: "2022".into(),
                indicator_code: "R01".into(),
                score: "1".into(),
                reason: "复核".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    ingest.stop().await;
}
