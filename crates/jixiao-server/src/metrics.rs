//! Prometheus metrics, served as OpenMetrics text on an HTTP port of the service's own
//! (`GET /metrics`), apart from the gRPC port so that scraping needs neither TLS client
//! certificates nor tokens.
//!
//! Every service counts its gRPC requests with [`GrpcMetricsLayer`] (the names of
//! go-grpc-prometheus, which dashboards already know: `grpc_server_started_total`,
//! `grpc_server_handled_total` by method and code, `grpc_server_handling_seconds`) and adds
//! its own metrics to the [`Registry`]. Values that are read rather than counted (database
//! size, snapshot count, next fire times) are refreshed by a hook at each scrape.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tonic::Code;
use tonic::codegen::http;

/// Label pairs of a metric.
pub type Labels = Vec<(&'static str, String)>;

/// A histogram family with fixed buckets.
pub type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// Latency buckets, in seconds: from a millisecond to five minutes.
pub const SECONDS_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

fn seconds_histogram() -> Histogram {
    Histogram::new(SECONDS_BUCKETS)
}

/// A histogram family of durations in seconds.
pub fn seconds_family() -> HistogramFamily {
    Family::new_with_constructor(seconds_histogram)
}

/// A refresh run before each scrape, to read values that are not counted as they change.
pub type Refresh = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Counts of gRPC requests by method and status code, and their durations.
#[derive(Debug, Clone)]
pub struct GrpcMetrics {
    started: Family<Labels, Counter>,
    handled: Family<Labels, Counter>,
    handling_seconds: HistogramFamily,
}

impl GrpcMetrics {
    /// Registers the gRPC metrics in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            started: Family::default(),
            handled: Family::default(),
            handling_seconds: seconds_family(),
        };
        registry.register(
            "grpc_server_started",
            "gRPC requests started, by service and method",
            metrics.started.clone(),
        );
        registry.register(
            "grpc_server_handled",
            "gRPC requests finished, by service, method and status code (CANCELLED also counts requests cut off by their deadline or by the client)",
            metrics.handled.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Time from a gRPC request's arrival to its status, by service and method",
            metrics.handling_seconds.clone(),
        );
        metrics
    }

    /// A layer counting the requests of a tonic server.
    pub fn layer(&self) -> GrpcMetricsLayer {
        GrpcMetricsLayer {
            metrics: self.clone(),
        }
    }
}

/// A tower layer counting gRPC requests into [`GrpcMetrics`]. Since it sees every status the
/// services send, in headers or trailers, it also bounds their messages
/// ([`crate::grpc::bound_status_message`]).
#[derive(Debug, Clone)]
pub struct GrpcMetricsLayer {
    metrics: GrpcMetrics,
}

impl<S> tower_layer::Layer<S> for GrpcMetricsLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metered {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// A service whose requests are counted; see [`GrpcMetricsLayer`].
#[derive(Debug, Clone)]
pub struct Metered<S> {
    inner: S,
    metrics: GrpcMetrics,
}

/// Records one request's end once: at its status, or as CANCELLED when dropped before.
#[derive(Debug)]
struct Recorder {
    metrics: GrpcMetrics,
    labels: Labels,
    started: Instant,
    done: bool,
}

impl Recorder {
    fn record(&mut self, code: Code) {
        if self.done {
            return;
        }
        self.done = true;
        let mut labels = self.labels.clone();
        self.metrics
            .handling_seconds
            .get_or_create(&labels)
            .observe(self.started.elapsed().as_secs_f64());
        labels.push(("grpc_code", code_name(code).to_owned()));
        self.metrics.handled.get_or_create(&labels).inc();
    }

    fn record_header(&mut self, value: Option<&http::HeaderValue>) -> bool {
        match value {
            Some(value) => {
                self.record(Code::from_bytes(value.as_bytes()));
                true
            }
            None => false,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.record(Code::Cancelled);
    }
}

impl<S, B> tower_service::Service<http::Request<B>> for Metered<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The path is /package.Service/Method; anything else is counted under its path.
        let path = request.uri().path();
        let (service, method) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or(("", path));
        let labels: Labels = vec![
            ("grpc_service", service.to_owned()),
            ("grpc_method", method.to_owned()),
        ];
        self.metrics.started.get_or_create(&labels).inc();
        let mut recorder = Recorder {
            metrics: self.metrics.clone(),
            labels,
            started: Instant::now(),
            done: false,
        };
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            // A status in the headers: the response has no messages (trailers-only).
            if recorder.record_header(response.headers().get("grpc-status")) {
                crate::grpc::bound_status_message(response.headers_mut());
                return Ok(response);
            }
            Ok(response.map(|body| {
                tonic::body::Body::new(MeteredBody {
                    inner: body,
                    recorder,
                })
            }))
        })
    }
}

/// A response body that records the status in its trailers.
#[derive(Debug)]
struct MeteredBody {
    inner: tonic::body::Body,
    recorder: Recorder,
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, tonic::Status>>> {
        let this = &mut *self;
        let mut frame = Pin::new(&mut this.inner).poll_frame(context);
        match &mut frame {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_mut() {
                    this.recorder.record_header(trailers.get("grpc-status"));
                    crate::grpc::bound_status_message(trailers);
                }
            }
            Poll::Ready(Some(Err(status))) => this.recorder.record(status.code()),
            Poll::Ready(None) => this.recorder.record(Code::Unknown),
            Poll::Pending => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The name of a status code as the gRPC specification writes it (`INVALID_ARGUMENT`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Sets `gauge` to the size of the SQLite database at `path` on disk: the file and its
/// write-ahead log (0 for a file that cannot be read).
pub async fn set_database_size(gauge: &Gauge, path: std::path::PathBuf) {
    let bytes = tokio::task::spawn_blocking(move || {
        let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |meta| meta.len());
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        size(&path) + size(std::path::Path::new(&wal))
    })
    .await
    .unwrap_or(0);
    gauge.set(i64::try_from(bytes).unwrap_or(i64::MAX));
}

/// The metrics endpoint of a service: a bound listener, not yet serving.
#[derive(Debug)]
pub struct MetricsEndpoint {
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl MetricsEndpoint {
    /// Binds `listen` (`setting` names it in errors); `None` when it is empty, which turns
    /// the endpoint off.
    pub async fn bind(setting: &str, listen: &str) -> anyhow::Result<Option<Self>> {
        if listen.trim().is_empty() {
            return Ok(None);
        }
        let address = crate::grpc::parse_address(setting, listen)?;
        let listener = crate::grpc::bind(address).await?;
        let local_addr = listener.local_addr()?;
        Ok(Some(Self {
            listener,
            local_addr,
        }))
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves `GET /metrics` from `registry` (after `refresh`) until the returned handle is
    /// stopped.
    pub fn spawn(self, registry: Registry, refresh: Refresh) -> MetricsServer {
        let registry = Arc::new(registry);
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let registry = Arc::clone(&registry);
                let refresh = Arc::clone(&refresh);
                async move {
                    refresh().await;
                    let mut text = String::new();
                    match encode(&mut text, &registry) {
                        Ok(()) => (
                            http::StatusCode::OK,
                            [(
                                http::header::CONTENT_TYPE,
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )],
                            text,
                        ),
                        Err(error) => (
                            http::StatusCode::INTERNAL_SERVER_ERROR,
                            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                            format!("encoding the metrics failed: {error}"),
                        ),
                    }
                }
            }),
        );
        tracing::info!(metrics = %self.local_addr, "metrics listening on http://{}/metrics", self.local_addr);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(self.listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(error = %error, "the metrics endpoint failed");
            }
        });
        MetricsServer { stop, task }
    }
}

/// A running metrics endpoint.
#[derive(Debug)]
pub struct MetricsServer {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl MetricsServer {
    /// Stops serving and waits for scrapes in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::MAX_STATUS_MESSAGE_BYTES;

    /// A service answering every request with `status`, in the headers (trailers-only) or in
    /// the trailers after the headers.
    #[derive(Clone)]
    struct Answer {
        status: tonic::Status,
        trailers_only: bool,
    }

    struct TrailersBody(Option<http::HeaderMap>);

    impl http_body::Body for TrailersBody {
        type Data = Bytes;
        type Error = tonic::Status;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, tonic::Status>>> {
            Poll::Ready(
                self.0
                    .take()
                    .map(|trailers| Ok(http_body::Frame::trailers(trailers))),
            )
        }
    }

    impl tower_service::Service<http::Request<()>> for Answer {
        type Response = http::Response<tonic::body::Body>;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            let response = if self.trailers_only {
                self.status.clone().into_http()
            } else {
                let mut trailers = http::HeaderMap::new();
                self.status.add_header(&mut trailers).unwrap();
                http::Response::new(tonic::body::Body::new(TrailersBody(Some(trailers))))
            };
            std::future::ready(Ok(response))
        }
    }

    #[tokio::test]
    async fn every_status_message_is_bounded_whatever_its_code_and_wherever_it_travels() {
        use http_body::Body as _;
        use tower_layer::Layer as _;
        use tower_service::Service as _;
        let metrics = GrpcMetrics::register(&mut Registry::default());
        // A run's failure or an upstream error: 40,000 characters, most of them Chinese.
        let long = "上游服务的错误原因 upstream said: ".repeat(2_000);
        for code in 0..=16 {
            let code = Code::from_i32(code);
            for trailers_only in [true, false] {
                let status = tonic::Status::new(code, long.clone());
                let mut service = metrics.layer().layer(Answer {
                    status,
                    trailers_only,
                });
                let response = service.call(http::Request::new(())).await.unwrap();
                let headers = if trailers_only {
                    response.headers().clone()
                } else {
                    let mut body = response.into_body();
                    let frame =
                        std::future::poll_fn(|context| Pin::new(&mut body).poll_frame(context))
                            .await
                            .unwrap()
                            .unwrap();
                    frame.into_trailers().unwrap()
                };
                let encoded = headers.get("grpc-message").unwrap();
                assert!(
                    encoded.len() <= MAX_STATUS_MESSAGE_BYTES,
                    "{code:?}: {} bytes",
                    encoded.len()
                );
                let received = tonic::Status::from_header_map(&headers).unwrap();
                assert_eq!(received.code(), code);
                assert!(received.message().starts_with("上游服务的错误原因"));
                assert!(
                    received
                        .message()
                        .ends_with("more bytes in the service log)"),
                    "{}",
                    received.message()
                );
            }
        }
        // A short message passes unchanged.
        let mut service = metrics.layer().layer(Answer {
            status: tonic::Status::failed_precondition("没有目标 100%"),
            trailers_only: true,
        });
        let response = service.call(http::Request::new(())).await.unwrap();
        let received = tonic::Status::from_header_map(response.headers()).unwrap();
        assert_eq!(received.message(), "没有目标 100%");
    }
}
