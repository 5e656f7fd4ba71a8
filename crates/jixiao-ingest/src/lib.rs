//! The ingestion service: upstream systems push departments, yearly targets and metric
//! figures; the evaluator reads them back with `ExportInputs`.
//!
//! [`IngestServer::build`] opens the store and binds the listener (port 0 picks a free port,
//! which tests use); [`IngestServer::run_until_stopped`] serves until a future resolves, then
//! shuts down within the configured grace period. The binary `jixiao-ingest` is a thin wrapper.

pub mod config;
pub mod convert;
mod error;
pub mod metrics;
mod service;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use jixiao::ingest::v1::ingest_service_server::IngestServiceServer;
use jixiao_server::auth::Authenticator;
use jixiao_server::metrics::MetricsEndpoint;
use jixiao_storage::{SqliteStore, StoreOptions};
use tokio::net::TcpListener;

pub use config::IngestConfig;
pub use error::IngestError;
pub use metrics::IngestMetrics;
pub use service::{IngestApi, scope_of};

/// The fully qualified name of the service, as health checks know it.
pub const SERVICE_NAME: &str = "jixiao.ingest.v1.IngestService";

/// A built ingestion server: store open, listener bound, not yet serving.
#[derive(Debug)]
pub struct IngestServer {
    config: IngestConfig,
    store: SqliteStore,
    listener: TcpListener,
    local_addr: SocketAddr,
    metrics: Option<MetricsEndpoint>,
}

impl IngestServer {
    /// Opens the store (creating the data directory and the file if needed) and binds the
    /// listener.
    pub async fn build(config: IngestConfig) -> anyhow::Result<Self> {
        let address = jixiao_server::grpc::parse_address("listen", &config.listen)?;
        config.catalog()?;
        Authenticator::new(&config.auth, service::scope_of)?;
        config.tls.load("tls")?;
        let store = SqliteStore::open(
            &config.database_path(),
            &StoreOptions {
                pool: jixiao_sqlite::PoolOptions {
                    durable: config.durable,
                    ..jixiao_sqlite::PoolOptions::default()
                },
                export_stall: Duration::from_secs(config.limits.export_stall_seconds),
                export_max: Duration::from_secs(config.limits.connection.request_timeout_seconds),
            },
        )
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "opening the database {}: {error}",
                config.database_path().display()
            )
        })?;
        let listener = jixiao_server::grpc::bind(address).await?;
        let local_addr = listener.local_addr()?;
        let metrics = MetricsEndpoint::bind("metrics_listen", &config.metrics_listen).await?;
        Ok(Self {
            config,
            store,
            listener,
            local_addr,
            metrics,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then drains requests in flight for at most the
    /// configured grace period and closes the store.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let Self {
            config,
            store,
            listener,
            local_addr,
            metrics,
        } = self;
        let (registry, grpc_metrics, ingest_metrics) = IngestMetrics::registry();
        let metrics = metrics.map(|endpoint| {
            endpoint.spawn(registry, ingest_metrics.refresh(store.path().to_path_buf()))
        });
        let api = IngestApi::new(
            store.clone(),
            config.catalog()?,
            config.group_weights.clone(),
            config.frameworks()?,
            config.limits.clone(),
            ingest_metrics,
        );
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        let authenticator = Authenticator::new(&config.auth, service::scope_of)?;
        authenticator.warn_if_open(SERVICE_NAME);
        let max_message_bytes = config.limits.max_message_bytes;
        let tls = config.tls.load("tls")?;
        let router = jixiao_server::grpc::base_router(
            health_service,
            tls,
            &config.limits.connection,
            "limits.connection.request_timeout_seconds",
            &grpc_metrics,
        )?
        .add_service(
            authenticator.protect(
                IngestServiceServer::new(api)
                    .max_decoding_message_size(max_message_bytes)
                    // What clients accept by default; pages and export batches stay far below.
                    .max_encoding_message_size(4 * 1024 * 1024),
            ),
        );
        tracing::info!(
            address = %local_addr,
            database = %store.path().display(),
            "ingestion service listening"
        );
        let result = jixiao_server::grpc::serve_until(
            router,
            listener,
            shutdown,
            Duration::from_secs(config.shutdown_grace_seconds),
            health_reporter,
            SERVICE_NAME,
        )
        .await;
        if let Some(metrics) = metrics {
            metrics.stop().await;
        }
        store.close().await;
        tracing::info!("ingestion service stopped");
        result
    }
}
