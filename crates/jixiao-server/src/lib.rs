//! What the jixiao services share at run time:
//!
//! - [`config`]: defaults, then a TOML file, then `JIXIAO_*` environment variables, then
//!   command-line flags, merged into a typed configuration;
//! - [`telemetry`]: tracing logs, human-readable or JSON;
//! - [`grpc`]: health and reflection (`v1` and `v1alpha`), the mapping of validation errors to
//!   `INVALID_ARGUMENT` with `google.rpc.BadRequest`, and serving with a bounded graceful
//!   shutdown.

pub mod config;
pub mod grpc;
pub mod telemetry;
