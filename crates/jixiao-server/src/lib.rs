//! What the jixiao services share at run time:
//!
//! - [`config`]: defaults, then a TOML file, then `JIXIAO_*` environment variables, then
//!   command-line flags, merged into a typed configuration;
//! - [`telemetry`]: tracing logs, human-readable or JSON, and optional OTLP trace export;
//! - [`grpc`]: health and reflection (`v1` and `v1alpha`), the mapping of validation errors to
//!   `INVALID_ARGUMENT` with `google.rpc.BadRequest`, and serving with a bounded graceful
//!   shutdown;
//! - [`metrics`]: Prometheus metrics on an HTTP port of their own, gRPC requests counted by a
//!   layer.

pub mod auth;
pub mod config;
pub mod grpc;
pub mod metrics;
pub mod telemetry;
pub mod tls;

/// Turns a binary's result into its exit code, printing an error as one line of causes
/// (`error: opening the database …: …`) rather than as a debug dump.
pub fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
