//! The evaluator service: reads the ingestion service's inputs through `ExportInputs`, scores
//! them with the framework (the `jixiao-scoring` crate), and stores immutable snapshots in its
//! own SQLite file, on a schedule and on demand.
//!
//! [`EvaluatorServer::build`] opens the store, records runs cut off by a crash as interrupted,
//! and binds the listener; [`EvaluatorServer::run_until_stopped`] starts the schedule and
//! serves until a future resolves, then stops the schedule, lets runs in flight finish within
//! the grace period (recording the rest as interrupted), and stops serving.

pub mod config;
mod convert;
pub mod engine;
pub mod error;
pub mod inputs;
pub mod metrics;
pub mod schedule;
mod service;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jixiao::evaluator::v1::evaluator_service_server::EvaluatorServiceServer;
use jixiao::ingest::v1::ingest_service_client::IngestServiceClient;
use jixiao_server::auth::{Authenticator, BearerToken};
use jixiao_server::metrics::{GrpcMetrics, MetricsEndpoint};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tonic::transport::Endpoint;

pub use config::EvaluatorConfig;
pub use engine::{Engine, FrameworkSource};
pub use metrics::EvaluatorMetrics;
pub use service::{EvaluatorApi, scope_of};
pub use store::EvaluatorStore;

/// The fully qualified name of the service, as health checks know it.
pub const SERVICE_NAME: &str = "jixiao.evaluator.v1.EvaluatorService";

/// A built evaluator: store open, listener bound, not yet serving.
#[derive(Debug)]
pub struct EvaluatorServer {
    config: EvaluatorConfig,
    engine: Arc<Engine>,
    listener: TcpListener,
    local_addr: SocketAddr,
    metrics_endpoint: Option<MetricsEndpoint>,
    metrics: (Registry, GrpcMetrics, EvaluatorMetrics),
}

impl EvaluatorServer {
    /// Opens the store, checks the framework and the schedule, and binds the listener. The
    /// ingestion service need not be up: it is connected to at each run.
    pub async fn build(config: EvaluatorConfig) -> anyhow::Result<Self> {
        let address = jixiao_server::grpc::parse_address("listen", &config.listen)?;
        let framework = FrameworkSource::new(jixiao_scoring::FrameworkSources {
            directory: config.frameworks_dir.clone(),
            file: config.framework_file.clone(),
            defaults: config.default_frameworks.clone(),
        });
        let loaded = framework
            .load()
            .map_err(|reason| anyhow::anyhow!("invalid framework: {reason}"))?;
        // The content digest is what decides whether a snapshot is reused: a file changed
        // under the same version shows here with another digest, and its subjects are scored
        // anew at the next run.
        for framework in loaded.iter() {
            tracing::info!(
                name = %framework.framework.name,
                version = %framework.framework.version,
                digest = %framework.framework.content_digest(),
                origin = %framework.origin,
                "framework loaded"
            );
        }
        schedule::Schedules::new(&config.schedule)?;
        Authenticator::new(&config.auth, service::scope_of)?;
        config.tls.load("tls")?;
        let endpoint = Endpoint::from_shared(config.ingest_endpoint.clone())
            .map_err(|error| {
                anyhow::anyhow!(
                    "ingest_endpoint = {:?} is not a URL like http://127.0.0.1:50051: {error}",
                    config.ingest_endpoint
                )
            })?
            .connect_timeout(Duration::from_secs(5))
            // A peer that stops answering (a frozen process, a dropped route) is found by
            // HTTP/2 pings, also in the middle of an export.
            .http2_keep_alive_interval(Duration::from_secs(15))
            .keep_alive_timeout(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        let endpoint = config.ingest_tls.apply(endpoint, "ingest_tls")?;
        let token = BearerToken::new(config.ingest_token.expose())?;
        let ingest = IngestServiceClient::with_interceptor(endpoint.connect_lazy(), token)
            .max_decoding_message_size(64 * 1024 * 1024);
        let store = EvaluatorStore::open(&config.database_path())
            .await
            .map_err(|error| {
                anyhow::anyhow!(
                    "opening the database {}: {error}",
                    config.database_path().display()
                )
            })?;
        for run in store
            .interrupt_running("the evaluator stopped during the run")
            .await?
        {
            tracing::warn!(run_id = run.id, period = %run.period, "a run cut off by the last stop is recorded as interrupted");
        }
        let (registry, grpc_metrics, evaluator_metrics) = EvaluatorMetrics::registry();
        let engine = Arc::new(Engine::new(
            store,
            ingest,
            framework,
            Duration::from_secs(config.ingest_timeout_seconds),
            evaluator_metrics.clone(),
        ));
        let listener = jixiao_server::grpc::bind(address).await?;
        let local_addr = listener.local_addr()?;
        let metrics_endpoint =
            MetricsEndpoint::bind("metrics_listen", &config.metrics_listen).await?;
        Ok(Self {
            config,
            engine,
            listener,
            local_addr,
            metrics_endpoint,
            metrics: (registry, grpc_metrics, evaluator_metrics),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Starts the schedule (when enabled) and serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let Self {
            config,
            engine,
            listener,
            local_addr,
            metrics_endpoint,
            metrics: (registry, grpc_metrics, evaluator_metrics),
        } = self;
        let schedules = if config.schedule.enabled {
            Some(schedule::Schedules::new(&config.schedule)?)
        } else {
            None
        };
        let metrics_server = metrics_endpoint.map(|endpoint| {
            endpoint.spawn(
                registry,
                evaluator_metrics.refresh(
                    engine.store().clone(),
                    config.database_path(),
                    schedules,
                ),
            )
        });
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        let authenticator = Authenticator::new(&config.auth, service::scope_of)?;
        authenticator.warn_if_open(SERVICE_NAME);
        let tls = config.tls.load("tls")?;
        let router = jixiao_server::grpc::base_router(
            health_service,
            tls,
            &config.limits,
            "limits.request_timeout_seconds",
            &grpc_metrics,
        )?
        .add_service(
            authenticator.protect(
                EvaluatorServiceServer::new(EvaluatorApi::new(Arc::clone(&engine)))
                    // What clients accept by default; snapshots list at most
                    // MAX_FLAGS_PER_CODE flags of a kind, pages are bounded in bytes.
                    .max_encoding_message_size(4 * 1024 * 1024),
            ),
        );
        let scheduler = if config.schedule.enabled {
            let scheduler = schedule::Scheduler::new(Arc::clone(&engine), &config.schedule)?;
            let cron = scheduler.start().await?;
            Some((scheduler, cron))
        } else {
            tracing::info!("the schedule is disabled");
            None
        };
        tracing::info!(
            address = %local_addr,
            ingest_endpoint = %config.ingest_endpoint,
            database = %config.database_path().display(),
            "evaluator service listening"
        );
        let grace = Duration::from_secs(config.shutdown_grace_seconds);
        let engine_for_shutdown = Arc::clone(&engine);
        let stopped = async move {
            shutdown.await;
            if let Some((scheduler, cron)) = scheduler {
                scheduler.stop(cron).await;
            }
            // Runs in flight finish (or are recorded as interrupted) before serving stops, so
            // that a RunEvaluation waiting on one still gets its answer.
            engine_for_shutdown.shutdown(grace).await;
        };
        let result = jixiao_server::grpc::serve_until(
            router,
            listener,
            stopped,
            grace,
            health_reporter,
            SERVICE_NAME,
        )
        .await;
        if let Some(metrics_server) = metrics_server {
            metrics_server.stop().await;
        }
        engine.store().close().await;
        tracing::info!("evaluator service stopped");
        result
    }
}
