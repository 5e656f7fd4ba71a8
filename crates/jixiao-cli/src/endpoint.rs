//! Where the services are and how to be let in: the evaluator's and the ingestion service's
//! endpoints of the command line, and connecting to each with its bearer token.

use jixiao::evaluator::v1::evaluator_service_client::EvaluatorServiceClient;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_server::auth::BearerToken;
use jixiao_server::tls::ClientTls;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Where the evaluator is, and how to be let in.
#[derive(Debug, clap::Args)]
pub struct Endpoint {
    /// The evaluator service.
    #[arg(
        long = "evaluator",
        env = "JIXIAO_EVALUATOR_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    url: String,
    /// A bearer token (scope read; admin for evaluate), when the evaluator requires one.
    #[arg(long, env = "JIXIAO_TOKEN", hide_env_values = true, default_value = "")]
    token: String,
    /// With an https:// evaluator: the CA that signed its certificate (PEM).
    #[arg(long, env = "JIXIAO_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// With an evaluator that requires client certificates: this client's certificate (PEM).
    #[arg(long, env = "JIXIAO_CERT_FILE")]
    cert_file: Option<std::path::PathBuf>,
    /// This client's private key (PEM).
    #[arg(long, env = "JIXIAO_KEY_FILE")]
    key_file: Option<std::path::PathBuf>,
}

/// A client of the evaluator with the bearer token.
pub(crate) type Client = EvaluatorServiceClient<InterceptedService<Channel, BearerToken>>;

/// Connects to the evaluator.
pub(crate) async fn connect(endpoint: &Endpoint) -> anyhow::Result<Client> {
    let tls = ClientTls {
        ca_file: endpoint.ca_file.clone(),
        cert_file: endpoint.cert_file.clone(),
        key_file: endpoint.key_file.clone(),
        domain_name: None,
    };
    let target = Channel::from_shared(endpoint.url.clone())
        .map_err(|error| anyhow::anyhow!("--evaluator {:?}: {error}", endpoint.url))?;
    let channel = tls
        .apply(target, "--ca-file/--cert-file/--key-file")?
        .connect()
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot reach the evaluator at {}: {}",
                endpoint.url,
                with_causes(&error)
            )
        })?;
    Ok(EvaluatorServiceClient::with_interceptor(
        channel,
        BearerToken::new(&endpoint.token)?,
    ))
}

/// An error with its causes, as `transport error: tcp connect error: Connection refused`.
pub(crate) fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let more = inner.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        cause = inner.source();
    }
    text
}

/// Where the ingestion service is.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestEndpoint {
    /// The ingestion service.
    #[arg(
        long = "ingest",
        env = "JIXIAO_INGEST_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub ingest_url: String,
    /// A bearer token with the scopes push and admin, when the service requires one.
    #[arg(
        long = "ingest-token",
        env = "JIXIAO_INGEST_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub ingest_token: String,
}

/// A client of the ingestion service with the bearer token.
pub(crate) type IngestClient = IngestServiceClient<InterceptedService<Channel, BearerToken>>;

/// Connects to the ingestion service.
pub(crate) async fn connect_ingest(endpoint: &IngestEndpoint) -> anyhow::Result<IngestClient> {
    let channel = Channel::from_shared(endpoint.ingest_url.clone())
        .map_err(|error| anyhow::anyhow!("--ingest {:?}: {error}", endpoint.ingest_url))?
        .connect()
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot reach the ingestion service at {}: {}",
                endpoint.ingest_url,
                with_causes(&error)
            )
        })?;
    Ok(IngestServiceClient::with_interceptor(
        channel,
        BearerToken::new(&endpoint.ingest_token)?,
    ))
}
