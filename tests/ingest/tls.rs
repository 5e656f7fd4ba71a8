use jixiao::evaluator::v1 as evaluator_pb;
use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1 as pb;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_evaluator::{EvaluatorConfig, EvaluatorServer};
use jixiao_server::tls::{ClientTls, ServerTls};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tonic::transport::Endpoint;

use crate::support::{TestIngest, test_config};

/// A CA, a server certificate for localhost and 127.0.0.1, and a client certificate, as files.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        for (name, names) in [
            (
                "server",
                vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            ),
            ("client", vec!["budget-system".to_owned()]),
        ] {
            let key = KeyPair::generate().unwrap();
            let certificate = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), certificate.pem()).unwrap();
            std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        Self { dir }
    }

    fn file(&self, name: &str) -> Option<std::path::PathBuf> {
        Some(self.dir.path().join(name))
    }

    fn server(&self, require_client_certificates: bool) -> ServerTls {
        ServerTls {
            cert_file: self.file("server.pem"),
            key_file: self.file("server.key"),
            client_ca_file: if require_client_certificates {
                self.file("ca.pem")
            } else {
                None
            },
        }
    }

    fn client(&self, with_certificate: bool) -> ClientTls {
        ClientTls {
            ca_file: self.file("ca.pem"),
            cert_file: if with_certificate {
                self.file("client.pem")
            } else {
                None
            },
            key_file: if with_certificate {
                self.file("client.key")
            } else {
                None
            },
            domain_name: Some("localhost".into()),
        }
    }
}

async fn list(
    address: std::net::SocketAddr,
    scheme: &str,
    tls: &ClientTls,
) -> Result<pb::ListDepartmentsResponse, String> {
    let endpoint = tls
        .apply(
            Endpoint::from_shared(format!("{scheme}://{address}")).unwrap(),
            "test",
        )
        .unwrap();
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| error.to_string())?;
    IngestServiceClient::new(channel)
        .list_departments(pb::ListDepartmentsRequest::default())
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| status.to_string())
}

#[tokio::test]
async fn tls_with_client_certificates_lets_in_only_certified_clients() {
    let pki = Pki::new();
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    config.tls = pki.server(true);
    let ingest = TestIngest::start_with_tls(config, &pki.client(true)).await;

    assert!(
        list(ingest.address, "https", &pki.client(true))
            .await
            .is_ok()
    );
    assert!(
        list(ingest.address, "https", &pki.client(false))
            .await
            .is_err(),
        "no client certificate"
    );
    assert!(
        list(ingest.address, "http", &ClientTls::default())
            .await
            .is_err(),
        "plaintext"
    );

    // The evaluator speaks TLS to the ingestion service and serves TLS itself.
    let evaluator_dir = tempfile::tempdir().unwrap();
    let evaluator = EvaluatorServer::build(EvaluatorConfig {
        listen: "127.0.0.1:0".into(),
        data_dir: evaluator_dir.path().to_owned(),
        ingest_endpoint: format!("https://{}", ingest.address),
        ingest_tls: pki.client(true),
        tls: pki.server(false),
        schedule: jixiao_evaluator::config::ScheduleConfig {
            enabled: false,
            ..Default::default()
        },
        ..EvaluatorConfig::default()
    })
    .await
    .unwrap();
    let address = evaluator.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(evaluator.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let endpoint = pki
        .client(false)
        .apply(
            Endpoint::from_shared(format!("https://{address}")).unwrap(),
            "test",
        )
        .unwrap();
    let mut client = EvaluatorServiceClient::new(endpoint.connect().await.unwrap());
    let answer = client
        .run_evaluation(evaluator_pb::RunEvaluationRequest {
            period: "2022".into(),
            department_codes: Vec::new(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.run.unwrap().status(),
        evaluator_pb::RunStatus::Succeeded
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    ingest.stop().await;
}

#[tokio::test]
async fn a_certificate_without_its_key_is_refused_at_start() {
    let pki = Pki::new();
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    config.tls = ServerTls {
        key_file: None,
        ..pki.server(false)
    };
    let error = jixiao_ingest::IngestServer::build(config)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("tls.cert_file and tls.key_file go together"),
        "{error}"
    );
}
