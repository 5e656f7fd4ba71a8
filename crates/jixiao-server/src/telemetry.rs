//! Logs and traces.
//!
//! Logs: tracing to standard error, filtered by `RUST_LOG` (default `info`), as text or as
//! JSON lines. Every gRPC request runs in a span carrying its method and request id, so every
//! line it logs names both.
//!
//! Traces: with an OTLP endpoint (`--otlp-endpoint` or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT`), the same spans are exported over OTLP/gRPC in batches, as
//! children of the caller's trace when the request carries a W3C `traceparent` header.

use std::io::IsTerminal;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tonic::codegen::http::HeaderMap;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, in colour on a terminal.
    #[default]
    Text,
    /// One JSON object per line, with the request's span fields.
    Json,
}

/// Logging and tracing flags every binary takes.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// Log lines as text or as JSON.
    #[arg(long, env = "JIXIAO_LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: LogFormat,
    /// Export traces over OTLP/gRPC to this collector, for example http://127.0.0.1:4317;
    /// unset: no traces leave the process.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

/// What [`init`] set up; [`Telemetry::shutdown`] sends the traces still buffered.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the trace export, if any.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            eprintln!("warning: flushing the traces to the OTLP collector failed: {error}");
        }
    }
}

/// The log filter when `RUST_LOG` is unset: `info` for jixiao; the cron scheduler's own
/// bookkeeping (`Uninited`, `Job creator created`) only from `warn` on.
pub const DEFAULT_FILTER: &str = "info,tokio_cron_scheduler=warn";

fn default_filter() -> EnvFilter {
    EnvFilter::new(DEFAULT_FILTER)
}

/// Installs the global subscriber: logs as `args` say, and traces to the OTLP endpoint when
/// one is set, named `service_name` (unless `OTEL_SERVICE_NAME` names it). Call it inside the
/// tokio runtime; a second call changes nothing.
pub fn init(args: &TelemetryArgs, service_name: &str) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter());
    let provider = match args.otlp_endpoint.as_deref().filter(|url| !url.is_empty()) {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()
                .map_err(|error| {
                    anyhow::anyhow!("--otlp-endpoint {endpoint:?}: cannot export to it: {error}")
                })?;
            let name = std::env::var("OTEL_SERVICE_NAME")
                .ok()
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| service_name.to_owned());
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        opentelemetry_sdk::Resource::builder()
                            .with_service_name(name)
                            .build(),
                    )
                    .build(),
            )
        }
        None => None,
    };
    let traces = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("jixiao")));
    let registry = tracing_subscriber::registry().with(filter).with(traces);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let installed = match args.log_format {
        LogFormat::Text => registry
            .with(fmt.with_ansi(std::io::stderr().is_terminal()))
            .try_init(),
        LogFormat::Json => registry.with(fmt.json().with_current_span(true)).try_init(),
    };
    if installed.is_ok()
        && let Some(endpoint) = &args.otlp_endpoint
    {
        tracing::info!(endpoint = %endpoint, "exporting traces over OTLP");
    }
    Ok(Telemetry { provider })
}

/// Sets up logs and traces as [`init`] does, runs `serve`, then flushes the traces.
pub async fn run_with(
    args: &TelemetryArgs,
    service_name: &str,
    serve: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let telemetry = init(args, service_name)?;
    let result = serve.await;
    telemetry.shutdown();
    result
}

/// Makes `span` a child of the trace named by the request's `traceparent` header, if any.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    if headers.get("traceparent").is_none() {
        return;
    }
    let context = TraceContextPropagator::new().extract(&Headers(headers));
    // A span whose trace is not exported has nothing to attach to.
    let _ = span.set_parent(context);
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

/// The request id of a request: its `x-request-id` header when it has a usable one (at most
/// 128 visible ASCII characters), else a new random one.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            // Without randomness the id is still unique enough to follow one request's lines.
            let _ = getrandom::fill(&mut bytes);
            bytes.iter().map(|byte| format!("{byte:02x}")).collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_default_filter_keeps_the_cron_schedulers_bookkeeping_out() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::registry().with(default_filter()).with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "tokio_cron_scheduler::job_scheduler", "Uninited");
            tracing::info!(target: "tokio_cron_scheduler::job::creator", "Job creator created");
            tracing::warn!(target: "tokio_cron_scheduler::job_scheduler", "a real problem");
            tracing::info!(target: "jixiao_evaluator::schedule", "schedule armed");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("Uninited"), "{text}");
        assert!(!text.contains("Job creator"), "{text}");
        assert!(text.contains("a real problem"), "{text}");
        assert!(text.contains("schedule armed"), "{text}");
    }
}
