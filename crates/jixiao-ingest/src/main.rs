//! `jixiao-ingest`: runs the ingestion service alone.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Parser;
use jixiao_ingest::{IngestConfig, IngestServer};
use jixiao_server::config::{Sources, load};

/// The jixiao ingestion service. Configuration: defaults, then the file, then JIXIAO_INGEST_*
/// environment variables, then flags.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its keys at the top level, or under [ingest]).
    #[arg(long, env = "JIXIAO_CONFIG")]
    config: Option<PathBuf>,
    /// Address to serve on, for example 0.0.0.0:50051.
    #[arg(long)]
    listen: Option<String>,
    /// Directory of the SQLite file.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Any other setting, as key=value (for example limits.max_points_per_request=1000).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Log lines as text or as JSON.
    #[arg(long, env = "JIXIAO_LOG_FORMAT", value_enum, default_value_t)]
    log_format: jixiao_server::telemetry::LogFormat,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jixiao_server::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    jixiao_server::telemetry::init(args.log_format);
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut overrides = jixiao_server::config::parse_settings(&args.settings)?;
    if let Some(listen) = args.listen {
        overrides.push(("listen".to_owned(), listen));
    }
    if let Some(data_dir) = args.data_dir {
        overrides.push(("data_dir".to_owned(), data_dir.display().to_string()));
    }
    let file_table = match &args.config {
        Some(path) => jixiao_server::config::detect_table(path, "ingest")?,
        None => None,
    };
    let config: IngestConfig = load(&Sources {
        file: args.config.as_deref(),
        file_table,
        env: &env,
        env_prefix: "JIXIAO_INGEST_",
        overrides,
    })?;
    let server = IngestServer::build(config).await?;
    server
        .run_until_stopped(jixiao_server::grpc::shutdown_signal())
        .await
}
