//! gRPC plumbing shared by the services.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use jixiao_domain::Violation;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codegen::http;
use tonic::transport::Server;
use tonic::transport::server::Router;
use tonic::{Code, Status};
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::HealthReporter;
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
use tower_layer::{Identity, Stack};

use crate::metrics::{GrpcMetrics, GrpcMetricsLayer};

/// `INVALID_ARGUMENT` with a `google.rpc.BadRequest` naming each violation, and the same list
/// in the message text, since older grpcurl does not print details.
///
/// Both travel in the response's trailers, which HTTP/2 peers limit in size (often 16 KiB, and
/// the message is percent-encoded, tripling non-ASCII bytes), so the violations are listed
/// within a byte budget (at most [`Violation::MAX_LISTED`]), each field and description is cut,
/// and the rest are counted in a last violation.
pub fn invalid_argument(violations: &[Violation]) -> Status {
    let mut listed = Vec::new();
    let mut budget = MAX_DETAILS_BYTES;
    for violation in violations.iter().take(Violation::MAX_LISTED) {
        let field = shorten(&violation.field, MAX_FIELD_BYTES);
        let description = shorten(&violation.description, MAX_DESCRIPTION_BYTES);
        let size = field.len() + description.len();
        if size > budget {
            break;
        }
        budget -= size;
        listed.push(Violation::new(field, description));
    }
    if listed.len() < violations.len() {
        listed.push(Violation::new(
            "request",
            format!(
                "{} more violations not listed",
                violations.len() - listed.len()
            ),
        ));
    }
    let message = shorten(
        &format!("invalid request: {}", Violation::join(&listed)),
        MAX_MESSAGE_BYTES,
    );
    let field_violations: Vec<FieldViolation> = listed
        .iter()
        .map(|violation| FieldViolation::new(&violation.field, &violation.description))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(field_violations),
    )
}

/// The longest `grpc-message` any response of the services carries, percent-encoded as it
/// travels: HTTP/2 peers limit a header block (hyper's clients to 16 KiB), and a status that
/// does not fit makes them fail with a protocol error or hang instead of showing it.
pub const MAX_STATUS_MESSAGE_BYTES: usize = 4096;

/// The characters tonic percent-encodes in `grpc-message` (its `ENCODING_SET`; the gRPC
/// specification asks for at least these).
const GRPC_MESSAGE_ENCODING: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'?')
    .add(b'{')
    .add(b'}');

/// Cuts the `grpc-message` of `headers` (a trailers-only response's headers, or trailers) to
/// at most [`MAX_STATUS_MESSAGE_BYTES`] encoded, at a character boundary, saying how much was
/// cut; the whole message stays in the service's log. Every status of the services passes
/// here (see [`crate::metrics::GrpcMetricsLayer`]), whatever its code.
pub fn bound_status_message(headers: &mut http::HeaderMap) {
    let Some(value) = headers.get("grpc-message") else {
        return;
    };
    if value.len() <= MAX_STATUS_MESSAGE_BYTES {
        return;
    }
    let message = percent_encoding::percent_decode(value.as_bytes())
        .decode_utf8_lossy()
        .into_owned();
    let suffix = |cut: usize| format!(" … ({cut} more bytes in the service log)");
    let mut kept = String::new();
    let mut encoded = 0;
    let budget = MAX_STATUS_MESSAGE_BYTES - 3 * suffix(message.len()).len();
    for character in message.chars() {
        let mut buffer = [0u8; 4];
        let bytes = character.encode_utf8(&mut buffer).as_bytes();
        let size: usize = percent_encoding::percent_encode(bytes, GRPC_MESSAGE_ENCODING)
            .map(str::len)
            .sum();
        if encoded + size > budget {
            break;
        }
        encoded += size;
        kept.push(character);
    }
    let cut = message.len() - kept.len();
    kept.push_str(&suffix(cut));
    let text = percent_encoding::percent_encode(kept.as_bytes(), GRPC_MESSAGE_ENCODING).to_string();
    if let Ok(value) = http::HeaderValue::from_str(&text) {
        headers.insert("grpc-message", value);
    }
}

const MAX_FIELD_BYTES: usize = 120;
const MAX_DESCRIPTION_BYTES: usize = 300;
const MAX_DETAILS_BYTES: usize = 3500;
const MAX_MESSAGE_BYTES: usize = 1500;

/// `text` cut to at most `max_bytes` bytes at a character boundary, marked with `…` when cut.
fn shorten(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut end = max_bytes.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The reflection services, `v1` and `v1alpha` (grpcurl 1.8 speaks only `v1alpha`), knowing
/// jixiao's protos, health's and `google.rpc`'s.
pub fn reflection() -> anyhow::Result<(
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
)> {
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(jixiao::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

/// Limits of every connection and request, always on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConnectionLimits {
    /// Longest a request may take before it is cut off with DEADLINE_EXCEEDED naming this
    /// setting ([`DeadlineLayer`]; a client's own shorter `grpc-timeout` is honoured too); a
    /// cut-off write is stored whole or not at all, so a retry with its request id is safe.
    pub request_timeout_seconds: u64,
    /// Most HTTP/2 streams (requests) open at once on one connection.
    pub max_concurrent_streams_per_connection: u32,
    /// Interval of HTTP/2 keepalive pings to idle clients.
    pub keepalive_interval_seconds: u64,
    /// How long a keepalive ping may go unanswered before the connection is closed.
    pub keepalive_timeout_seconds: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            request_timeout_seconds: 600,
            max_concurrent_streams_per_connection: 256,
            keepalive_interval_seconds: 30,
            keepalive_timeout_seconds: 20,
        }
    }
}

impl ConnectionLimits {
    /// Checks each limit against its range; `prefix` is where the table sits in the
    /// configuration (`limits.connection.` in the ingestion service, `limits.` in the
    /// evaluator), so that the error names the key as the operator writes it.
    pub fn validate(&self, prefix: &str) -> anyhow::Result<()> {
        use crate::config::check_range;
        const DAY: u64 = 86_400;
        check_range(
            &format!("{prefix}request_timeout_seconds"),
            self.request_timeout_seconds,
            1..=DAY,
        )?;
        check_range(
            &format!("{prefix}max_concurrent_streams_per_connection"),
            self.max_concurrent_streams_per_connection,
            1..=100_000,
        )?;
        check_range(
            &format!("{prefix}keepalive_interval_seconds"),
            self.keepalive_interval_seconds,
            1..=DAY,
        )?;
        check_range(
            &format!("{prefix}keepalive_timeout_seconds"),
            self.keepalive_timeout_seconds,
            1..=3_600,
        )
    }
}

/// A router whose requests are counted into [`GrpcMetrics`].
pub type ServiceRouter = Router<Stack<DeadlineLayer, Stack<GrpcMetricsLayer, Identity>>>;

/// Cuts a request off after `request_timeout_seconds` with
/// DEADLINE_EXCEEDED and the setting's name (tonic's own server timeout answers CANCELLED,
/// `Timeout expired`, naming nothing). The handler's future is dropped: a write in progress is
/// rolled back whole, so a retry with its request id is safe. A streamed answer already begun
/// is bounded by its own limits (an export's `export_max_seconds`).
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    limit: Duration,
    /// The setting's name as its configuration file spells it.
    setting: &'static str,
}

impl<S> tower_layer::Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            limit: self.limit,
            setting: self.setting,
        }
    }
}

/// A service whose requests are cut off at a deadline; see [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
    setting: &'static str,
}

impl<S, B> tower_service::Service<http::Request<B>> for Deadline<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (limit, setting) = (self.limit, self.setting);
        let response = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout(limit, response).await {
                Ok(response) => response,
                Err(_) => Ok(Status::deadline_exceeded(format!(
                    "the request ran longer than {} s ({setting}); a write it began is stored whole or not at all (each message of a stream on its own, those before the cut-off committed): retry with the same request ids, and what was stored is answered, not stored twice",
                    limit.as_secs()
                ))
                .into_http()),
            }
        })
    }
}

/// A router with what every jixiao service serves besides its own API: one span per request
/// (with its method and request id, from `x-request-id` or new), health, and reflection `v1`
/// and `v1alpha`; with `limits` applied (its deadline named `deadline_setting` in refusals),
/// every request counted into `metrics`, and with
/// `tls`, TLS only.
pub fn base_router<H>(
    health: HealthServer<H>,
    tls: Option<tonic::transport::ServerTlsConfig>,
    limits: &ConnectionLimits,
    deadline_setting: &'static str,
    metrics: &GrpcMetrics,
) -> anyhow::Result<ServiceRouter>
where
    H: tonic_health::pb::health_server::Health,
{
    let (reflection_v1, reflection_v1alpha) = reflection()?;
    let mut server = Server::builder()
        .max_concurrent_streams(limits.max_concurrent_streams_per_connection.max(1))
        .http2_keepalive_interval(Some(Duration::from_secs(
            limits.keepalive_interval_seconds.max(1),
        )))
        .http2_keepalive_timeout(Some(Duration::from_secs(
            limits.keepalive_timeout_seconds.max(1),
        )));
    if let Some(tls) = tls {
        server = server
            .tls_config(tls)
            .map_err(|error| anyhow::anyhow!("invalid TLS configuration: {error}"))?;
    }
    Ok(server
        .layer(metrics.layer())
        .layer(DeadlineLayer {
            limit: Duration::from_secs(limits.request_timeout_seconds.max(1)),
            setting: deadline_setting,
        })
        .trace_fn(|request| {
            let request_id = crate::telemetry::request_id(request.headers());
            let span = tracing::info_span!(
                "grpc",
                otel.name = %request.uri().path(),
                otel.kind = "server",
                method = %request.uri().path(),
                request_id = %request_id
            );
            crate::telemetry::continue_trace(&span, request.headers());
            span
        })
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Binds a listener, logging the address actually bound (port 0 picks a free port).
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {address}: {error}"))
}

/// Serves `router` on `listener` until `shutdown` resolves; then marks `service_name`
/// NOT_SERVING, stops accepting, and waits at most `grace` for requests and streams in flight
/// before cutting them off.
pub async fn serve_until(
    router: ServiceRouter,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
    health: HealthReporter,
    service_name: &'static str,
) -> anyhow::Result<()> {
    health
        .set_service_status(service_name, ServingStatus::Serving)
        .await;
    let (stop_sender, stop_receiver) = tokio::sync::oneshot::channel::<()>();
    let serve = router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move {
        let _ = stop_receiver.await;
    });
    tokio::pin!(serve);
    tokio::select! {
        result = &mut serve => return result.map_err(Into::into),
        () = shutdown => {}
    }
    tracing::info!(
        service = service_name,
        grace_seconds = grace.as_secs_f64(),
        "shutting down"
    );
    health
        .set_service_status(service_name, ServingStatus::NotServing)
        .await;
    let _ = stop_sender.send(());
    match tokio::time::timeout(grace, serve).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => {
            tracing::warn!(
                service = service_name,
                "requests still in flight after the shutdown grace period were cut off"
            );
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutdown signal received");
}

/// Parses an address such as `127.0.0.1:50051`, naming the setting when it is not one.
pub fn parse_address(setting: &str, text: &str) -> anyhow::Result<SocketAddr> {
    text.parse().map_err(|error| {
        anyhow::anyhow!("{setting} = {text:?} is not an address like 127.0.0.1:50051: {error}")
    })
}
